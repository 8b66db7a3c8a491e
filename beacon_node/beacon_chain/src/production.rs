//! Block production on the head: the head state advanced to the slot (usually already, by the
//! timer), the payload attributes from that state, the payload from the builder module (the engine and
//! every builder at once), the pools packed, the block assembled full or blinded, and its state root
//! computed before anyone signs it. The answer carries the payload's value and the proposer's reward
//! (the block's consensus value).

use crate::block_builder::{
    blinded_block, full_block, BlockAttestations, BlockAttesterSlashings, BlockHeaderParts,
    BodyParts,
};
use crate::{BeaconChain, ProduceError};
use execution_layer::{BlobsBundle, PayloadRequest, PayloadSource};
use operation_pool::{Attestation, AttesterSlashing};
use state_processing::common::{
    get_current_epoch, get_domain, get_expected_withdrawals, get_randao_mix,
};
use state_processing::per_block::execution_payload::compute_time_at_slot;
use state_processing::per_block::{process_block_with_caches, VerifySignatures};
use state_processing::StateCaches;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{
    compute_signing_root, BeaconBlock, BeaconState, BlindedBeaconBlock, EthSpec, ForkName, Hash256,
    SignatureBytes, Slot, DOMAIN_RANDAO, U256,
};

/// Which block shapes the caller takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockFormat {
    /// `/eth/v3/validator/blocks`: full when the local payload wins, blinded when a builder's does.
    Either,
    /// `/eth/v2/validator/blocks`: full only, so builders are not used.
    Full,
    /// `/eth/v1/validator/blinded_blocks`: always blinded (a local payload is served blinded and
    /// unblinded from the module's cache at publication).
    Blinded,
}

/// How to produce a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceOptions {
    /// The proposer's RANDAO reveal.
    pub randao_reveal: SignatureBytes,
    /// The block's graffiti; the node's default when absent.
    pub graffiti: Option<Hash256>,
    /// Skip the RANDAO reveal check (`skip_randao_verification`: the reveal must then be the
    /// infinity signature).
    pub skip_randao_verification: bool,
    /// The validator's `builder_boost_factor`.
    pub builder_boost_factor: Option<u64>,
    /// Which shapes the caller takes.
    pub format: BlockFormat,
}

/// The produced block.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockProposal<E: EthSpec> {
    /// A full block with its blobs (Deneb on).
    Full {
        /// The unsigned block.
        block: BeaconBlock<E>,
        /// Its blobs and proofs.
        blobs_bundle: Option<BlobsBundle<E>>,
    },
    /// A blinded block: a builder's header, or the local payload's.
    Blinded {
        /// The unsigned block.
        block: BlindedBeaconBlock<E>,
    },
}

/// A produced block and what the beacon API reports with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducedBlock<E: EthSpec> {
    /// The block.
    pub proposal: BlockProposal<E>,
    /// Its fork.
    pub fork: ForkName,
    /// `Eth-Execution-Payload-Value`: wei to the proposer from the payload.
    pub execution_payload_value: U256,
    /// `Eth-Consensus-Block-Value`: the proposer's reward for the block, in wei.
    pub consensus_block_value: U256,
    /// The builder whose bid made the block, when one did.
    pub builder: Option<String>,
    /// Why that source was chosen (the module's reason label).
    pub source_reason: &'static str,
}

impl<E: EthSpec> ProducedBlock<E> {
    /// Whether the block is blinded (`Eth-Execution-Payload-Blinded`).
    pub fn is_blinded(&self) -> bool {
        matches!(self.proposal, BlockProposal::Blinded { .. })
    }
}

impl<E: EthSpec> BeaconChain<E> {
    /// Produces an unsigned block for `slot` on the head.
    pub async fn produce_block(
        self: &Arc<Self>,
        slot: Slot,
        options: ProduceOptions,
    ) -> Result<ProducedBlock<E>, ProduceError> {
        let head = self.head();
        if slot <= head.slot {
            return Err(ProduceError::SlotNotAfterHead {
                slot,
                head_slot: head.slot,
            });
        }
        let current_slot = self.current_slot();
        if slot > current_slot + 1 {
            return Err(ProduceError::TooFarAhead { slot, current_slot });
        }
        let chain = self.clone();
        let head_root = head.block_root;
        let crate::state_cache::CachedState { state, caches } =
            tokio::task::spawn_blocking(move || chain.state_and_caches_at_slot(head_root, slot))
                .await
                .map_err(|e| ProduceError::Internal(e.to_string()))?
                .map_err(ProduceError::Internal)?;
        let proposer_index = caches.get_beacon_proposer_index(&state)?;
        if !options.skip_randao_verification {
            self.check_randao(&state, proposer_index, &options.randao_reveal)?;
        }

        let mut request = self.payload_request(&state, proposer_index, head_root)?;
        request.builder_boost_factor = match options.format {
            // Full blocks only: builders are still asked (boost 0 prefers local), but a bid is
            // useless here, so a failing engine is an error below.
            BlockFormat::Full => Some(0),
            _ => options.builder_boost_factor,
        };
        // The pools are packed (blocking work, tens of ms at 2^20 validators) while the engine and
        // the builders answer: the packing does not depend on the payload.
        let operations = {
            let chain = self.clone();
            let state = state.clone();
            let caches = caches.clone();
            tokio::task::spawn_blocking(move || chain.block_operations(&state, &caches, head_root))
        };
        let produced = self.execution_layer.get_payload(&request).await?;
        let fork = state.fork_name();

        let mut parts = operations
            .await
            .map_err(|e| ProduceError::Internal(e.to_string()))??;
        parts.randao_reveal = options.randao_reveal;
        parts.eth1_data = state.eth1_data().clone();
        parts.graffiti = options
            .graffiti
            .unwrap_or(Hash256::from(self.config.default_graffiti));
        let header_parts = BlockHeaderParts {
            slot,
            proposer_index,
            parent_root: head_root,
            state_root: Hash256::ZERO,
        };

        let (proposal, value, builder) = match (&produced.choice.source, &produced.winner) {
            (PayloadSource::Builder { .. }, Some(winner)) => {
                if options.format == BlockFormat::Full {
                    return Err(ProduceError::NoLocalPayload(
                        produced.local_error.clone().unwrap_or_default(),
                    ));
                }
                let message = winner.bid.bid().message_enum();
                parts.blob_kzg_commitments = message
                    .blob_kzg_commitments()
                    .map(|c| c.to_vec())
                    .unwrap_or_default();
                parts.execution_requests =
                    message.execution_requests().cloned().unwrap_or_default();
                let block = blinded_block(header_parts, parts, winner.bid.header().clone())
                    .map_err(ProduceError::Internal)?;
                (
                    BlockProposal::Blinded { block },
                    winner.bid.value(),
                    Some(winner.builder.clone()),
                )
            }
            // A full-payload builder's payload (issue 14): checked by the module and found VALID by
            // the local engine, so the block is full and signed as such; it cannot be served blinded
            // (no builder could reveal it), so the blinded-only endpoint keeps the local payload.
            (_, None)
                if produced.full_winner.is_some() && options.format != BlockFormat::Blinded =>
            {
                let Some(full) = produced.full_winner.as_ref() else {
                    return Err(ProduceError::Internal("no full-payload winner".into()));
                };
                let payload = &full.payload;
                parts.blob_kzg_commitments = payload
                    .blobs_bundle
                    .as_ref()
                    .map(|b| b.commitments().to_vec())
                    .unwrap_or_default();
                parts.execution_requests = payload.execution_requests.clone().unwrap_or_default();
                let proposal = BlockProposal::Full {
                    block: full_block(header_parts, parts, payload.payload.clone())
                        .map_err(ProduceError::Internal)?,
                    blobs_bundle: payload.blobs_bundle.clone(),
                };
                (proposal, payload.value, Some(full.builder.clone()))
            }
            _ => {
                let local = produced.local.as_ref().ok_or_else(|| {
                    ProduceError::NoLocalPayload(produced.local_error.clone().unwrap_or_default())
                })?;
                parts.blob_kzg_commitments = local
                    .blobs_bundle
                    .as_ref()
                    .map(|b| b.commitments().to_vec())
                    .unwrap_or_default();
                parts.execution_requests = local.execution_requests.clone().unwrap_or_default();
                let proposal = if options.format == BlockFormat::Blinded {
                    BlockProposal::Blinded {
                        block: blinded_block(header_parts, parts, local.payload.to_header())
                            .map_err(ProduceError::Internal)?,
                    }
                } else {
                    BlockProposal::Full {
                        block: full_block(header_parts, parts, local.payload.clone())
                            .map_err(ProduceError::Internal)?,
                        blobs_bundle: local.blobs_bundle.clone(),
                    }
                };
                (proposal, local.block_value, None)
            }
        };

        // The state root and the proposer's reward, on a copy of the state (the payload is taken as
        // valid: the engine built it, or a builder signed for it).
        let chain = self.clone();
        let (proposal, reward) = tokio::task::spawn_blocking(move || {
            chain.finish_block(&state, caches, proposer_index, proposal)
        })
        .await
        .map_err(|e| ProduceError::Internal(e.to_string()))??;
        // A full-payload builder's block is attributed now: it is never unblinded, so `unblind` does
        // not record it, and an INVALID verdict on it must find its builder.
        if let (Some(full), BlockProposal::Full { .. }) = (&produced.full_winner, &proposal) {
            let layer = self.execution_layer.clone();
            let builders = vec![full.builder.clone()];
            let root = proposal.block_root();
            let hash = full.payload.block_hash();
            let recorded = match tokio::task::spawn_blocking(move || {
                layer.record_builder_block(root, &builders, slot, hash)
            })
            .await
            {
                Ok(result) => result.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(error) = recorded {
                tracing::error!(slot, %error, "cannot record the full-payload builder's block");
            }
        }
        tracing::info!(
            slot,
            proposer_index,
            blinded = matches!(proposal, BlockProposal::Blinded { .. }),
            builder = builder.as_deref().unwrap_or("-"),
            reason = produced.choice.reason.reason(),
            value = %value,
            "block produced"
        );
        Ok(ProducedBlock {
            proposal,
            fork,
            execution_payload_value: value,
            consensus_block_value: U256::from(reward) * U256::from(1_000_000_000u64),
            builder,
            source_reason: produced.choice.reason.reason(),
        })
    }

    /// The payload request of a proposal on `state` (already at the proposal's slot), for the
    /// builder module (`prepare_execution_payload`'s inputs).
    pub fn payload_request(
        &self,
        state: &BeaconState<E>,
        proposer_index: u64,
        parent_root: Hash256,
    ) -> Result<PayloadRequest, ProduceError> {
        let slot = state.slot();
        let epoch = get_current_epoch(state);
        let parent = state.latest_execution_payload_header();
        let proposer_pubkey = state
            .validators()
            .get(proposer_index as usize)
            .map(|v| v.pubkey)
            .ok_or_else(|| ProduceError::Internal(format!("no validator {proposer_index}")))?;
        let (safe_block_hash, finalized_block_hash) = {
            let fork_choice = self.fork_choice.read();
            let hash = |root: &Hash256| {
                fork_choice
                    .block(root)
                    .map(|n| n.execution_block_hash)
                    .unwrap_or_default()
            };
            (
                hash(&fork_choice.justified_checkpoint().root),
                hash(&fork_choice.finalized_checkpoint().root),
            )
        };
        Ok(PayloadRequest {
            slot,
            fork: state.fork_name(),
            proposer_index,
            proposer_pubkey,
            parent_hash: parent.block_hash(),
            safe_block_hash,
            finalized_block_hash,
            parent_block_number: parent.block_number(),
            parent_gas_limit: parent.gas_limit(),
            timestamp: compute_time_at_slot(state, slot, &self.spec)?,
            prev_randao: get_randao_mix(state, epoch)?,
            suggested_fee_recipient: self.fee_recipient(proposer_index).unwrap_or_default(),
            withdrawals: get_expected_withdrawals(state)?.withdrawals,
            parent_beacon_block_root: parent_root,
            builder_boost_factor: None,
            max_blobs_per_block: self.spec.max_blobs_per_block(epoch),
            local_payload_deadline: None,
        })
    }

    fn check_randao(
        &self,
        state: &BeaconState<E>,
        proposer: u64,
        reveal: &SignatureBytes,
    ) -> Result<(), ProduceError> {
        let epoch = get_current_epoch(state);
        let domain = get_domain(state, DOMAIN_RANDAO, Some(epoch));
        let root = compute_signing_root(&epoch, domain);
        let pubkey = state
            .validators()
            .get(proposer as usize)
            .map(|v| v.pubkey)
            .ok_or(ProduceError::InvalidRandaoReveal { proposer })?;
        let valid = match (
            bls::PublicKey::try_from(&pubkey),
            bls::Signature::try_from(reveal),
        ) {
            (Ok(key), Ok(signature)) => signature.verify(&key, root.as_slice()),
            _ => false,
        };
        valid
            .then_some(())
            .ok_or(ProduceError::InvalidRandaoReveal { proposer })
    }

    /// Runs the block on a copy of `state` (with `state`'s caches): its state root goes into the block,
    /// and the proposer's balance change is the block's consensus value (gwei).
    fn finish_block(
        &self,
        state: &BeaconState<E>,
        mut caches: StateCaches,
        proposer_index: u64,
        proposal: BlockProposal<E>,
    ) -> Result<(BlockProposal<E>, u64), ProduceError> {
        let before = state
            .balances()
            .get(proposer_index as usize)
            .copied()
            .unwrap_or_default();
        let mut post = state.clone();
        let proposal = match proposal {
            BlockProposal::Full {
                mut block,
                blobs_bundle,
            } => {
                process_block_with_caches(
                    &mut post,
                    &block,
                    VerifySignatures::Skip,
                    true,
                    &self.spec,
                    &mut caches,
                )?;
                let root = post
                    .update_tree_hash_cache()
                    .map_err(state_processing::StateError::from)?;
                set_state_root_full(&mut block, root);
                BlockProposal::Full {
                    block,
                    blobs_bundle,
                }
            }
            BlockProposal::Blinded { mut block } => {
                process_block_with_caches(
                    &mut post,
                    &block,
                    VerifySignatures::Skip,
                    true,
                    &self.spec,
                    &mut caches,
                )?;
                let root = post
                    .update_tree_hash_cache()
                    .map_err(state_processing::StateError::from)?;
                set_state_root_blinded(&mut block, root);
                BlockProposal::Blinded { block }
            }
        };
        let after = post
            .balances()
            .get(proposer_index as usize)
            .copied()
            .unwrap_or_default();
        Ok((proposal, after.saturating_sub(before)))
    }

    /// The operations of a block on `state` (the parent's state at the block's slot), packed from
    /// the pools: attestations by greedy max-cover, slashings, exits, BLS changes, and the sync
    /// aggregate of the parent's slot.
    fn block_operations(
        &self,
        state: &BeaconState<E>,
        caches: &StateCaches,
        parent_root: Hash256,
    ) -> Result<BodyParts<E>, ProduceError> {
        let fork = state.fork_name();
        let mut parts = BodyParts::empty(fork);
        let attestations = self.op_pool.attestations_for_block(state, caches)?;
        parts.attestations = if fork.electra_enabled() {
            BlockAttestations::Electra(
                attestations
                    .into_iter()
                    .filter_map(|a| match a {
                        Attestation::Electra(a) => Some(a),
                        Attestation::Base(_) => None,
                    })
                    .collect(),
            )
        } else {
            BlockAttestations::Base(
                attestations
                    .into_iter()
                    .filter_map(|a| match a {
                        Attestation::Base(a) => Some(a),
                        Attestation::Electra(_) => None,
                    })
                    .collect(),
            )
        };
        let operations = self.op_pool.operations_for_block(state, caches);
        parts.proposer_slashings = operations.proposer_slashings;
        parts.voluntary_exits = operations.voluntary_exits;
        parts.bls_to_execution_changes = operations.bls_to_execution_changes;
        parts.attester_slashings = if fork.electra_enabled() {
            BlockAttesterSlashings::Electra(
                operations
                    .attester_slashings
                    .into_iter()
                    .filter_map(|s| match s {
                        AttesterSlashing::Electra(s) => Some(s),
                        AttesterSlashing::Base(_) => None,
                    })
                    .collect(),
            )
        } else {
            BlockAttesterSlashings::Base(
                operations
                    .attester_slashings
                    .into_iter()
                    .filter_map(|s| match s {
                        AttesterSlashing::Base(s) => Some(s),
                        AttesterSlashing::Electra(_) => None,
                    })
                    .collect(),
            )
        };
        parts.sync_aggregate =
            self.op_pool
                .sync_aggregate_for_block(state, caches, state.slot(), parent_root);
        Ok(parts)
    }
}

fn set_state_root_full<E: EthSpec>(block: &mut BeaconBlock<E>, root: Hash256) {
    match block {
        BeaconBlock::Capella(b) => b.state_root = root,
        BeaconBlock::Deneb(b) => b.state_root = root,
        BeaconBlock::Electra(b) => b.state_root = root,
        BeaconBlock::Fulu(b) => b.state_root = root,
    }
}

fn set_state_root_blinded<E: EthSpec>(block: &mut BlindedBeaconBlock<E>, root: Hash256) {
    match block {
        BlindedBeaconBlock::Capella(b) => b.state_root = root,
        BlindedBeaconBlock::Deneb(b) => b.state_root = root,
        BlindedBeaconBlock::Electra(b) => b.state_root = root,
        BlindedBeaconBlock::Fulu(b) => b.state_root = root,
    }
}

impl<E: EthSpec> BlockProposal<E> {
    /// The block's root (the same for its full and blinded forms): what the proposer signs.
    pub fn block_root(&self) -> Hash256 {
        match self {
            Self::Full { block, .. } => block.tree_hash_root(),
            Self::Blinded { block } => block.tree_hash_root(),
        }
    }
}
