//! Block import: the checks a gossiping node runs (slot, finality, parent, repeat, proposer and its
//! signature), the state transition with the block's signatures verified in one batch, the blobs (or
//! Fulu's columns) against the block's commitments, the engine's verdict (`newPayload`), fork choice,
//! one atomic store write, then the head.
//!
//! The builder's verdict path (seed 004) runs here too: an INVALID payload goes to
//! `ExecutionLayer::on_new_payload_status`, which disables the builder of the payload that is actually
//! invalid, and to fork choice, which invalidates the block's ancestors back to the engine's
//! `latestValidHash`.

use crate::config::MAXIMUM_CLOCK_DISPARITY_MS;
use crate::events::{versioned_hash, BlobSidecarEvent, BlockEvent, Event};
use crate::head::execution_chain;
use crate::{BeaconChain, BlockError};
use engine_api::{NewPayloadRequest, PayloadStatusKind};
use execution_layer::BlobsBundle;
use fork_choice::{BlockSummary, ExecutionStatus, InvalidPayloadTarget};
use state_processing::common::{get_current_epoch, AttestationRef, IndexedAttestationRef};
use state_processing::per_block::{process_block_deferring_signatures, verify_block_signature};
use state_processing::StateCaches;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use store::StoreOp;
use types::{
    BeaconBlock, BeaconBlockBodyRef, BeaconState, BlobSidecar, DataColumnSidecar, EthSpec, Hash256,
    KzgProof, SignedBeaconBlock, Slot,
};

/// The blobs that come with a block: its payload's blobs bundle (from the builder's reveal, the local
/// payload, or a publication's `blobs` and `kzg_proofs`).
pub type BlobsInput<E> = BlobsBundle<E>;

/// A block that was imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBlock {
    /// Its root.
    pub block_root: Hash256,
    /// Its slot.
    pub slot: Slot,
    /// The engine's verdict on its payload.
    pub execution_status: ExecutionStatus,
}

/// What the blocking half of an import hands back.
struct Verified<E: EthSpec> {
    block: Box<BeaconBlock<E>>,
    post_state: BeaconState<E>,
    /// The caches of `post_state` (the parent state's, carried through the block).
    caches: StateCaches,
    state_root: Hash256,
    blob_sidecars: Vec<BlobSidecar<E>>,
    column_sidecars: Vec<DataColumnSidecar<E>>,
}

impl<E: EthSpec> BeaconChain<E> {
    /// Imports a signed block (with its blobs from Deneb on), then updates the head.
    pub async fn import_block(
        self: &Arc<Self>,
        block: SignedBeaconBlock<E>,
        blobs: Option<BlobsInput<E>>,
    ) -> Result<ImportedBlock, BlockError> {
        let _import = self.import_lock.lock().await;
        let block_root = block.message_root();
        let slot = block.slot();
        self.gossip_checks(&block, block_root)?;

        let chain = self.clone();
        let block = Arc::new(block);
        let verified = {
            let block = block.clone();
            tokio::task::spawn_blocking(move || chain.verify_block(&block, block_root, blobs))
                .await
                .map_err(|e| BlockError::Internal(format!("import task: {e}")))??
        };

        let execution_status = self.notify_new_payload(&verified.block, block_root).await?;

        let chain = self.clone();
        let imported = tokio::task::spawn_blocking(move || {
            chain.commit_block(&block, block_root, verified, execution_status)
        })
        .await
        .map_err(|e| BlockError::Internal(format!("import task: {e}")))??;
        tracing::info!(slot, %block_root, execution = execution_status.as_str(), "block imported");
        let head = self.recompute_head().await;
        self.write_owed_full_state();
        head?;
        Ok(imported)
    }

    /// Whether `root` is known to fork choice (imported and not pruned).
    pub fn is_known_block(&self, root: &Hash256) -> bool {
        self.fork_choice.read().contains_block(root)
    }

    /// The gossip-level checks that need no state: slot against the clock and finality, parent, repeat.
    fn gossip_checks(
        &self,
        block: &SignedBeaconBlock<E>,
        block_root: Hash256,
    ) -> Result<(), BlockError> {
        let slot = block.slot();
        let fork_choice = self.fork_choice.read();
        if fork_choice.contains_block(&block_root) {
            return Err(BlockError::AlreadyKnown(block_root));
        }
        let now_ms = self.slot_clock.now_ms() + MAXIMUM_CLOCK_DISPARITY_MS;
        let latest_slot =
            now_ms.saturating_sub(self.genesis_time * 1000) / self.spec.slot_duration_ms.max(1);
        if slot > latest_slot {
            return Err(BlockError::FutureSlot {
                slot,
                current_slot: self.current_slot(),
            });
        }
        let finalized_slot = fork_choice.finalized_checkpoint().epoch * E::slots_per_epoch();
        if slot <= finalized_slot {
            return Err(BlockError::BeforeFinalization {
                slot,
                finalized_slot,
            });
        }
        let parent_root = block.message_enum_parent_root();
        let parent = fork_choice
            .block(&parent_root)
            .ok_or(BlockError::UnknownParent(parent_root))?;
        if slot <= parent.slot {
            return Err(BlockError::NotLaterThanParent {
                slot,
                parent_slot: parent.slot,
            });
        }
        if parent.execution_status == ExecutionStatus::Invalid {
            return Err(BlockError::InvalidPayload {
                block_hash: parent.execution_block_hash,
                status: PayloadStatusKind::Invalid,
                latest_valid_hash: None,
                error: format!("the parent {parent_root} is invalid"),
            });
        }
        Ok(())
    }

    /// The state transition on the parent's state (proposer, signatures in one batch, state root), and
    /// the blobs against the commitments. Blocking.
    fn verify_block(
        &self,
        block: &SignedBeaconBlock<E>,
        block_root: Hash256,
        blobs: Option<BlobsInput<E>>,
    ) -> Result<Verified<E>, BlockError> {
        let message = block.message_enum();
        let slot = message.slot();
        let crate::state_cache::CachedState {
            state: pre,
            mut caches,
        } = self
            .state_and_caches_at_slot(message.parent_root(), slot)
            .map_err(BlockError::Internal)?;
        let expected = caches.get_beacon_proposer_index(&pre)?;
        if expected != message.proposer_index() {
            return Err(BlockError::IncorrectProposer {
                expected,
                got: message.proposer_index(),
            });
        }
        verify_block_signature(
            &pre,
            message.proposer_index(),
            block_root,
            &block.signature(),
        )
        .map_err(|_| BlockError::InvalidSignature)?;
        let mut post_state = (*pre).clone();
        let mut signatures = process_block_deferring_signatures(
            &mut post_state,
            &message,
            true,
            &self.spec,
            &mut caches,
        )?;
        // The block's signatures (one batch: tens of thousands of attesters' keys summed, then the
        // pairings) are checked on a second thread while this one computes the state root. If they
        // fail, the post-state and its caches are dropped with the error.
        let (state_root, signed) = std::thread::scope(|scope| {
            let checker = scope.spawn(move || signatures.finish());
            let state_root = post_state.update_tree_hash_cache();
            let signed = checker.join().unwrap_or_else(|_| {
                Err(state_processing::StateError::Other(
                    "signature check panicked".into(),
                ))
            });
            (state_root, signed)
        });
        signed?;
        let state_root = state_root.map_err(state_processing::StateError::from)?;
        if state_root != message.state_root() {
            return Err(BlockError::StateRootMismatch {
                block: message.state_root(),
                computed: state_root,
            });
        }
        let (blob_sidecars, column_sidecars) = self.check_blobs(block, &message, blobs)?;
        Ok(Verified {
            block: Box::new(message),
            post_state,
            caches,
            state_root,
            blob_sidecars,
            column_sidecars,
        })
    }

    /// `is_data_available` for a node without p2p: the blobs came with the block, and they must open
    /// its commitments (KZG); they are kept as blob sidecars (Deneb, Electra) or data columns (Fulu).
    #[allow(clippy::type_complexity)]
    fn check_blobs(
        &self,
        block: &SignedBeaconBlock<E>,
        message: &BeaconBlock<E>,
        blobs: Option<BlobsInput<E>>,
    ) -> Result<(Vec<BlobSidecar<E>>, Vec<DataColumnSidecar<E>>), BlockError> {
        let body = message.body_ref();
        let Ok(commitments) = body.blob_kzg_commitments() else {
            return Ok((vec![], vec![]));
        };
        if commitments.is_empty() {
            return Ok((vec![], vec![]));
        }
        let fork = message.fork_name();
        let bundle = blobs.ok_or_else(|| {
            BlockError::DataUnavailable(format!(
                "the block commits to {} blobs and none came with it",
                commitments.len()
            ))
        })?;
        let max = self
            .spec
            .max_blobs_per_block(message.slot() / E::slots_per_epoch());
        kzg::verify_blobs_bundle(fork, max, commitments, bundle.as_ref())
            .map_err(|e| BlockError::DataUnavailable(e.to_string()))?;
        let header = block.signed_block_header();
        let unavailable = |e: String| BlockError::DataUnavailable(e);
        match bundle {
            BlobsBundle::Deneb(bundle) => {
                let sidecars = bundle
                    .blobs
                    .iter()
                    .zip(bundle.proofs.iter())
                    .enumerate()
                    .map(|(index, (blob, proof))| {
                        BlobSidecar::new(index as u64, blob.clone(), *proof, &body, header.clone())
                            .map_err(|e| unavailable(format!("blob sidecar {index}: {e:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((sidecars, vec![]))
            }
            BlobsBundle::Fulu(bundle) => {
                let cells_per_blob = kzg::CELLS_PER_EXT_BLOB;
                let mut columns: Vec<Vec<types::sidecar::Cell>> = vec![Vec::new(); cells_per_blob];
                let mut proofs: Vec<Vec<KzgProof>> = vec![Vec::new(); cells_per_blob];
                for (i, blob) in bundle.blobs.iter().enumerate() {
                    let cells = kzg::compute_cells(blob).map_err(|e| unavailable(e.to_string()))?;
                    for (column, cell) in cells.into_iter().enumerate() {
                        let cell = types::sidecar::Cell::new(cell)
                            .map_err(|_| unavailable("a cell of the wrong size".into()))?;
                        columns[column].push(cell);
                        let proof = bundle
                            .proofs
                            .get(i * cells_per_blob + column)
                            .copied()
                            .ok_or_else(|| unavailable("too few cell proofs".into()))?;
                        proofs[column].push(proof);
                    }
                }
                let sidecars = columns
                    .into_iter()
                    .zip(proofs)
                    .enumerate()
                    .map(|(index, (column, proofs))| {
                        DataColumnSidecar::new(index as u64, column, proofs, &body, header.clone())
                            .map_err(|e| unavailable(format!("column {index}: {e:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((vec![], sidecars))
            }
        }
    }

    /// `verify_and_notify_new_payload`: the engine's verdict. VALID imports as valid; SYNCING or
    /// ACCEPTED import optimistically; INVALID refuses the block, invalidates its ancestors back to
    /// `latestValidHash`, and blames the builder of the payload that is actually invalid.
    async fn notify_new_payload(
        &self,
        block: &BeaconBlock<E>,
        block_root: Hash256,
    ) -> Result<ExecutionStatus, BlockError> {
        let body = block.body_enum();
        let payload = body.execution_payload_enum();
        let commitments: Vec<Hash256> = body
            .blob_kzg_commitments()
            .map(|c| c.iter().map(versioned_hash).collect())
            .unwrap_or_default();
        let requests = body.execution_requests().ok().cloned();
        let fork = block.fork_name();
        let request = NewPayloadRequest {
            payload: &payload,
            versioned_hashes: commitments,
            parent_beacon_block_root: fork.deneb_enabled().then_some(block.parent_root()),
            execution_requests: requests.as_ref(),
        };
        let status = self
            .execution_layer
            .engine()
            .new_payload(&request)
            .await
            .map_err(|e| BlockError::ExecutionEngineUnavailable(e.to_string()))?;
        match status.status {
            PayloadStatusKind::Valid => {
                self.view.set_ee_syncing(false);
                Ok(ExecutionStatus::Valid)
            }
            PayloadStatusKind::Syncing | PayloadStatusKind::Accepted => {
                self.view
                    .set_ee_syncing(status.status == PayloadStatusKind::Syncing);
                Ok(ExecutionStatus::Optimistic)
            }
            PayloadStatusKind::Invalid | PayloadStatusKind::InvalidBlockHash => {
                let block_hash = payload.block_hash();
                let mut chain = vec![block_hash];
                {
                    let mut fork_choice = self.fork_choice.write();
                    chain.extend(execution_chain(&fork_choice, &block.parent_root()));
                    // The parent's own verdict follows from `latestValidHash`: if it lies below the
                    // parent, the parent's chain down to it is invalid too.
                    if status.latest_valid_hash != Some(payload.parent_hash()) {
                        if let Err(error) = fork_choice.on_invalid_execution_payload(
                            InvalidPayloadTarget::UnimportedChild {
                                parent_root: block.parent_root(),
                            },
                            status.latest_valid_hash,
                        ) {
                            tracing::warn!(%error, "cannot apply the engine's verdict to the ancestors");
                        }
                    }
                }
                let disabled = self
                    .execution_layer
                    .on_new_payload_status(block_root, &status, &chain);
                for builder in &disabled {
                    tracing::error!(builder = %builder.builder, slot = builder.slot, block_root = %builder.block_root, "builder disabled until restart: its payload is INVALID");
                }
                Err(BlockError::InvalidPayload {
                    block_hash,
                    status: status.status,
                    latest_valid_hash: status.latest_valid_hash,
                    error: status.validation_error.unwrap_or_default(),
                })
            }
        }
    }

    /// Fork choice, the store (one transaction), the state cache and the events. Blocking.
    fn commit_block(
        self: &Arc<Self>,
        block: &SignedBeaconBlock<E>,
        block_root: Hash256,
        verified: Verified<E>,
        execution_status: ExecutionStatus,
    ) -> Result<ImportedBlock, BlockError> {
        let Verified {
            block: message,
            post_state,
            caches,
            state_root,
            blob_sidecars,
            column_sidecars,
        } = verified;
        let slot = message.slot();
        let summary = BlockSummary::from_block(&message);
        let first_of_epoch = {
            let mut fork_choice = self.fork_choice.write();
            let parent_slot = fork_choice
                .block(&summary.parent_root)
                .map_or(0, |parent| parent.slot);
            fork_choice.on_tick(self.slot_clock.now_seconds().max(self.genesis_time));
            let mut balances = |checkpoint: &types::Checkpoint| self.justified_balances(checkpoint);
            // Block processing kept the caches' progressive balances current: fork choice's
            // unrealized checkpoints need no registry pass.
            let epoch = get_current_epoch(&post_state);
            let progressive = caches.progressive_balances().filter(|p| p.epoch() == epoch);
            fork_choice.on_block(
                &summary,
                &post_state,
                progressive,
                execution_status,
                true,
                &mut balances,
            )?;
            apply_block_votes(&mut fork_choice, &post_state, &caches, message.body_ref());
            // Persisted by the head update that follows (with the head when it moves), which writes
            // only what changed: one transaction per block is enough.
            self.fork_choice_dirty.store(true, Ordering::Release);
            parent_slot / E::slots_per_epoch() != slot / E::slots_per_epoch()
        };
        // The post-state as a summary: the full write an epoch's first state owes (hundreds of MB
        // at mainnet scale) follows the head update in a transaction of its own.
        let mut ops = vec![
            StoreOp::PutBlock {
                block_root,
                block: Box::new(block.clone()),
            },
            StoreOp::PutStateSummary {
                state_root,
                state: Box::new(post_state.clone()),
            },
        ];
        let blob_events: Vec<BlobSidecarEvent> = blob_sidecars
            .iter()
            .map(|s| BlobSidecarEvent {
                block_root,
                index: s.index,
                slot,
                kzg_commitment: s.kzg_commitment,
                versioned_hash: versioned_hash(&s.kzg_commitment),
            })
            .collect();
        if !blob_sidecars.is_empty() {
            ops.push(StoreOp::PutBlobSidecars {
                block_root,
                sidecars: blob_sidecars,
            });
        }
        if !column_sidecars.is_empty() {
            ops.push(StoreOp::PutDataColumnSidecars {
                block_root,
                sidecars: column_sidecars,
            });
        }
        self.store.do_atomically(ops)?;
        let post_state = Arc::new(post_state);
        if first_of_epoch {
            *self.owed_full_state.lock() = Some((state_root, post_state.clone()));
        }
        self.states
            .lock()
            .insert_with_caches(block_root, post_state, caches);
        self.observed_proposals
            .lock()
            .insert((message.proposer_index(), slot), block_root);
        self.events.send(Event::Block(BlockEvent {
            slot,
            block: block_root,
            execution_optimistic: execution_status == ExecutionStatus::Optimistic,
        }));
        for event in blob_events {
            self.events.send(Event::BlobSidecar(event));
        }
        Ok(ImportedBlock {
            block_root,
            slot,
            execution_status,
        })
    }

    /// The full write of an epoch's first state, owed by its import, on a thread of its own: until
    /// it lands, the store replays the epoch's states from the previous epoch's (and a crash before
    /// it lands leaves them so). One at a time; the next waits for the previous.
    fn write_owed_full_state(&self) {
        let Some((state_root, state)) = self.owed_full_state.lock().take() else {
            return;
        };
        let mut writer = self.state_writer.lock();
        // Joined on the new thread, not here: this runs on an async worker.
        let previous = writer.take();
        let store = self.store.clone();
        let spawned = std::thread::Builder::new()
            .name("state-writer".into())
            .spawn(move || {
                if let Some(previous) = previous {
                    let _ = previous.join();
                }
                let slot = state.slot();
                let op = StoreOp::PutState {
                    state_root,
                    state: Box::new((*state).clone()),
                };
                match store.do_atomically(vec![op]) {
                    Ok(()) => tracing::debug!(slot, %state_root, "epoch state stored in full"),
                    Err(error) => {
                        tracing::warn!(slot, %state_root, %error, "the epoch state was not stored in full; its epoch's states replay from an earlier one")
                    }
                }
            });
        match spawned {
            Ok(handle) => *writer = Some(handle),
            Err(error) => tracing::warn!(%error, "no thread for the epoch state's full write"),
        }
    }

    /// Wait until the last owed full state write (see `import_block`) has landed or failed.
    pub fn wait_for_state_writes(&self) {
        if let Some(handle) = self.state_writer.lock().take() {
            let _ = handle.join();
        }
    }

    /// The root of another block `proposer` proposed at `slot`, if one was imported.
    pub fn observed_proposal(&self, proposer: u64, slot: Slot) -> Option<Hash256> {
        self.observed_proposals
            .lock()
            .get(&(proposer, slot))
            .copied()
    }
}

/// The block's attestations as votes (`on_attestation` with `is_from_block`) and its attester
/// slashings as equivocations. A vote fork choice refuses (too old, unknown target) is skipped: the
/// state transition already accepted the block. The committees come from `caches` (the post-state's).
fn apply_block_votes<E: EthSpec>(
    fork_choice: &mut fork_choice::ForkChoice,
    state: &BeaconState<E>,
    caches: &StateCaches,
    body: BeaconBlockBodyRef<'_, E>,
) {
    let attestations: Vec<AttestationRef<'_, E>> = match body {
        BeaconBlockBodyRef::Capella(b) => b.attestations.iter().map(Into::into).collect(),
        BeaconBlockBodyRef::Deneb(b) => b.attestations.iter().map(Into::into).collect(),
        BeaconBlockBodyRef::Electra(b) => b.attestations.iter().map(Into::into).collect(),
        BeaconBlockBodyRef::Fulu(b) => b.attestations.iter().map(Into::into).collect(),
    };
    for attestation in attestations {
        let Ok(indices) = caches.get_attesting_indices(state, attestation) else {
            continue;
        };
        let indices: Vec<u64> = indices.into_iter().collect();
        let _ = fork_choice.on_attestation(attestation.data(), &indices, true);
    }
    let slashings: Vec<(IndexedAttestationRef<'_, E>, IndexedAttestationRef<'_, E>)> = match body {
        BeaconBlockBodyRef::Capella(b) => b
            .attester_slashings
            .iter()
            .map(|s| ((&s.attestation_1).into(), (&s.attestation_2).into()))
            .collect(),
        BeaconBlockBodyRef::Deneb(b) => b
            .attester_slashings
            .iter()
            .map(|s| ((&s.attestation_1).into(), (&s.attestation_2).into()))
            .collect(),
        BeaconBlockBodyRef::Electra(b) => b
            .attester_slashings
            .iter()
            .map(|s| ((&s.attestation_1).into(), (&s.attestation_2).into()))
            .collect(),
        BeaconBlockBodyRef::Fulu(b) => b
            .attester_slashings
            .iter()
            .map(|s| ((&s.attestation_1).into(), (&s.attestation_2).into()))
            .collect(),
    };
    for (first, second) in slashings {
        let _ = fork_choice.on_attester_slashing(first, second);
    }
}

/// The parent root without cloning the message.
trait ParentRoot {
    fn message_enum_parent_root(&self) -> Hash256;
}

impl<E: EthSpec> ParentRoot for SignedBeaconBlock<E> {
    fn message_enum_parent_root(&self) -> Hash256 {
        match self {
            SignedBeaconBlock::Capella(b) => b.message.parent_root,
            SignedBeaconBlock::Deneb(b) => b.message.parent_root,
            SignedBeaconBlock::Electra(b) => b.message.parent_root,
            SignedBeaconBlock::Fulu(b) => b.message.parent_root,
        }
    }
}
