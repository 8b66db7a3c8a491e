//! Writes: a batch of [`StoreOp`]s is applied in one redb write transaction, so a block import (block,
//! payload, sidecars, state, head, fork choice) lands whole or not at all.

use crate::error::{Result, StoreError};
use crate::tables::{self, *};
use redb::{ReadableTable, Table, WriteTransaction};
use ssz::Encode;
use tree_hash::TreeHash;
use types::{
    BeaconState, BlobSidecar, Checkpoint, DataColumnSidecar, EthSpec, ExecutionPayload,
    ExecutionPayloadHeader, Hash256, SignedBeaconBlock, SignedBlindedBeaconBlock,
    SignedValidatorRegistrationV1, Slot,
};

/// The oldest block and state the store holds: genesis, or the checkpoint a node synced from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub slot: Slot,
    pub block_root: Hash256,
    pub state_root: Hash256,
}

/// One logical write. [`crate::Store::do_atomically`] applies a batch of them in one transaction, in
/// order (a later op sees an earlier one's writes).
#[derive(Debug, Clone)]
pub enum StoreOp<E: EthSpec> {
    /// A full block: stored blinded, with its payload in the payload table.
    PutBlock {
        block_root: Hash256,
        block: Box<SignedBeaconBlock<E>>,
    },
    /// A blinded block whose payload is not known yet; [`StoreOp::PutPayload`] may follow later.
    PutBlindedBlock {
        block_root: Hash256,
        block: Box<SignedBlindedBeaconBlock<E>>,
    },
    /// The payload of a stored blinded block.
    PutPayload {
        block_root: Hash256,
        payload: Box<ExecutionPayload<E>>,
    },
    /// Blob sidecars of one block (Deneb, Electra), each under its index.
    PutBlobSidecars {
        block_root: Hash256,
        sidecars: Vec<BlobSidecar<E>>,
    },
    /// Data column sidecars of one block (Fulu), each under its column index.
    PutDataColumnSidecars {
        block_root: Hash256,
        sidecars: Vec<DataColumnSidecar<E>>,
    },
    /// A state: in full at an epoch boundary (or when its boundary state is missing), otherwise as a
    /// summary that replays from the boundary. `state_root` must be the state's root (not recomputed).
    PutState {
        state_root: Hash256,
        state: Box<BeaconState<E>>,
    },
    /// A state as a summary only, replayed from the latest state of its chain stored in full in its
    /// epoch or the one before; in full only if there is none. An import writes its post-state so,
    /// keeping the (large) full write of an epoch's first state off the import's transaction: a
    /// [`StoreOp::PutState`] of that state follows in a transaction of its own, and until it lands
    /// the epoch's states replay from the previous boundary. `state_root` as for `PutState`.
    PutStateSummary {
        state_root: Hash256,
        state: Box<BeaconState<E>>,
    },
    /// The head block: the canonical slot index is rewritten from it back to where it agrees.
    SetHead(Hash256),
    SetFinalized(Checkpoint),
    SetJustified(Checkpoint),
    /// The fork-choice crate's persisted form (or its core, when written in parts), opaque here.
    SetForkChoice(Vec<u8>),
    /// The fork choice's justified balances (opaque), kept until replaced.
    SetForkChoiceBalances(Vec<u8>),
    /// A record of changed fork-choice votes (opaque), after those stored.
    AppendForkChoiceVotes(Vec<u8>),
    /// A snapshot of every fork-choice vote (opaque), replacing every record stored.
    SetForkChoiceVotes(Vec<u8>),
    SetGenesis {
        state_root: Hash256,
        block_root: Hash256,
    },
    SetAnchor(Anchor),
    /// Any other bytes a node keeps to resume (operation pool, ...), under `item/<key>`.
    PutItem {
        key: String,
        value: Vec<u8>,
    },
    /// Signed builder registrations, each replacing the one kept for its validator's key.
    PutRegistrations(Vec<SignedValidatorRegistrationV1>),
    /// A block and everything stored under its root (payload, sidecars, states whose latest block it is).
    DeleteBlock(Hash256),
    /// Prune on finalization (see [`crate::prune`]). Pair it with [`StoreOp::SetFinalized`].
    PruneOnFinalization(Checkpoint),
    /// Drop the blob and column sidecars of canonical blocks before `slot`: they are only owed to peers
    /// for `MIN_EPOCHS_FOR_BLOB_SIDECARS_REQUESTS` (or the data-column equivalent), and dominate the
    /// database's size. Blocks before finality off the canonical chain are already gone.
    PruneSidecarsBefore(Slot),
}

/// Every table, opened once for the transaction.
pub(crate) struct WriteTables<'txn> {
    pub meta: Table<'txn, &'static str, &'static [u8]>,
    pub blocks: Table<'txn, &'static [u8], &'static [u8]>,
    pub payloads: Table<'txn, &'static [u8], &'static [u8]>,
    pub block_summaries: Table<'txn, &'static [u8], &'static [u8]>,
    pub hot_blocks: Table<'txn, &'static [u8], ()>,
    pub canonical: Table<'txn, u64, &'static [u8]>,
    pub blob_sidecars: Table<'txn, &'static [u8], &'static [u8]>,
    pub data_column_sidecars: Table<'txn, &'static [u8], &'static [u8]>,
    pub states: Table<'txn, &'static [u8], &'static [u8]>,
    pub state_summaries: Table<'txn, &'static [u8], &'static [u8]>,
    pub fork_choice_votes: Table<'txn, u64, &'static [u8]>,
    pub registrations: Table<'txn, &'static [u8], &'static [u8]>,
}

impl<'txn> WriteTables<'txn> {
    pub fn open(txn: &'txn WriteTransaction) -> Result<Self> {
        Ok(Self {
            meta: txn.open_table(META)?,
            blocks: txn.open_table(BLOCKS)?,
            payloads: txn.open_table(PAYLOADS)?,
            block_summaries: txn.open_table(BLOCK_SUMMARIES)?,
            hot_blocks: txn.open_table(HOT_BLOCKS)?,
            canonical: txn.open_table(CANONICAL)?,
            blob_sidecars: txn.open_table(BLOB_SIDECARS)?,
            data_column_sidecars: txn.open_table(DATA_COLUMN_SIDECARS)?,
            states: txn.open_table(STATES)?,
            state_summaries: txn.open_table(STATE_SUMMARIES)?,
            fork_choice_votes: txn.open_table(FORK_CHOICE_VOTES)?,
            registrations: txn.open_table(REGISTRATIONS)?,
        })
    }

    pub fn apply<E: EthSpec>(&mut self, op: StoreOp<E>) -> Result<()> {
        match op {
            StoreOp::PutBlock { block_root, block } => {
                let (blinded, payload) = split_block(*block);
                self.put_blinded_block(block_root, &blinded)?;
                self.put_payload(block_root, &payload)
            }
            StoreOp::PutBlindedBlock { block_root, block } => {
                self.put_blinded_block(block_root, &block)
            }
            StoreOp::PutPayload {
                block_root,
                payload,
            } => {
                self.check_payload::<E>(block_root, &payload)?;
                self.put_payload(block_root, &payload)
            }
            StoreOp::PutBlobSidecars {
                block_root,
                sidecars,
            } => {
                for sidecar in sidecars {
                    check_sidecar_block(block_root, sidecar.block_root(), sidecar.index)?;
                    let key = sidecar_key(&block_root, sidecar.index);
                    self.blob_sidecars
                        .insert(key.as_slice(), sidecar.as_ssz_bytes().as_slice())?;
                }
                Ok(())
            }
            StoreOp::PutDataColumnSidecars {
                block_root,
                sidecars,
            } => {
                for sidecar in sidecars {
                    check_sidecar_block(block_root, sidecar.block_root(), sidecar.index)?;
                    let key = sidecar_key(&block_root, sidecar.index);
                    self.data_column_sidecars
                        .insert(key.as_slice(), sidecar.as_ssz_bytes().as_slice())?;
                }
                Ok(())
            }
            StoreOp::PutState { state_root, state } => self.put_state(state_root, &state, false),
            StoreOp::PutStateSummary { state_root, state } => {
                self.put_state(state_root, &state, true)
            }
            StoreOp::SetHead(root) => {
                self.meta
                    .insert(meta_keys::HEAD_BLOCK_ROOT, root.as_slice())?;
                self.update_canonical(root)
            }
            StoreOp::SetFinalized(checkpoint) => {
                self.put_checkpoint(meta_keys::FINALIZED_CHECKPOINT, checkpoint)
            }
            StoreOp::SetJustified(checkpoint) => {
                self.put_checkpoint(meta_keys::JUSTIFIED_CHECKPOINT, checkpoint)
            }
            StoreOp::SetForkChoice(bytes) => {
                self.meta.insert(meta_keys::FORK_CHOICE, bytes.as_slice())?;
                Ok(())
            }
            StoreOp::SetForkChoiceBalances(bytes) => {
                self.meta
                    .insert(meta_keys::FORK_CHOICE_BALANCES, bytes.as_slice())?;
                Ok(())
            }
            StoreOp::AppendForkChoiceVotes(bytes) => {
                let next = self
                    .fork_choice_votes
                    .last()?
                    .map_or(0, |(key, _)| key.value() + 1);
                self.fork_choice_votes.insert(next, bytes.as_slice())?;
                Ok(())
            }
            StoreOp::SetForkChoiceVotes(bytes) => {
                self.fork_choice_votes.retain(|_, _| false)?;
                self.fork_choice_votes.insert(0, bytes.as_slice())?;
                Ok(())
            }
            StoreOp::SetGenesis {
                state_root,
                block_root,
            } => {
                self.meta
                    .insert(meta_keys::GENESIS_STATE_ROOT, state_root.as_slice())?;
                self.meta
                    .insert(meta_keys::GENESIS_BLOCK_ROOT, block_root.as_slice())?;
                Ok(())
            }
            StoreOp::SetAnchor(anchor) => {
                let mut bytes = Vec::with_capacity(72);
                bytes.extend_from_slice(&anchor.slot.to_le_bytes());
                bytes.extend_from_slice(anchor.block_root.as_slice());
                bytes.extend_from_slice(anchor.state_root.as_slice());
                self.meta.insert(meta_keys::ANCHOR, bytes.as_slice())?;
                Ok(())
            }
            StoreOp::PutItem { key, value } => {
                let key = format!("{}{key}", meta_keys::ITEM_PREFIX);
                self.meta.insert(key.as_str(), value.as_slice())?;
                Ok(())
            }
            StoreOp::PutRegistrations(registrations) => {
                for registration in registrations {
                    self.registrations.insert(
                        registration.message.pubkey.0.as_slice(),
                        registration.as_ssz_bytes().as_slice(),
                    )?;
                }
                Ok(())
            }
            StoreOp::DeleteBlock(root) => self.delete_block(root),
            StoreOp::PruneOnFinalization(checkpoint) => {
                crate::prune::prune_with_spec::<E>(self, checkpoint)
            }
            StoreOp::PruneSidecarsBefore(slot) => crate::prune::prune_sidecars(self, slot),
        }
    }

    fn put_blinded_block<E: EthSpec>(
        &mut self,
        root: Hash256,
        block: &SignedBlindedBeaconBlock<E>,
    ) -> Result<()> {
        let summary = BlockSummary {
            slot: block.slot(),
            parent_root: parent_root(block),
        };
        self.blocks.insert(
            root.as_slice(),
            encode_versioned(block.fork_name(), block).as_slice(),
        )?;
        self.block_summaries
            .insert(root.as_slice(), summary.to_bytes().as_slice())?;
        self.hot_blocks
            .insert(hot_key(summary.slot, &root).as_slice(), ())?;
        Ok(())
    }

    fn put_payload<E: EthSpec>(
        &mut self,
        root: Hash256,
        payload: &ExecutionPayload<E>,
    ) -> Result<()> {
        self.payloads.insert(
            root.as_slice(),
            encode_versioned(payload.fork_name(), payload).as_slice(),
        )?;
        Ok(())
    }

    /// A payload stored after its block must be the one the block's header commits to (the same check
    /// as unblinding); a payload stored first is checked when the block is served.
    fn check_payload<E: EthSpec>(
        &self,
        root: Hash256,
        payload: &ExecutionPayload<E>,
    ) -> Result<()> {
        let Some(bytes) = self.blocks.get(root.as_slice())? else {
            return Ok(());
        };
        let block: SignedBlindedBeaconBlock<E> =
            decode_versioned("blocks", root.as_slice(), bytes.value())?;
        let header = block.execution_payload_header();
        if header.fork_name() != payload.fork_name()
            || header.tree_hash_root() != payload.tree_hash_root()
        {
            return Err(StoreError::PayloadMismatch {
                block_root: root,
                reason: "the payload's root is not the signed header's".into(),
            });
        }
        Ok(())
    }

    fn put_checkpoint(&mut self, key: &str, checkpoint: Checkpoint) -> Result<()> {
        self.meta
            .insert(key, checkpoint.as_ssz_bytes().as_slice())?;
        Ok(())
    }

    /// Whether the state `root` is stored in full: its summary names itself as its replay base (a
    /// full state and its summary are written and pruned together). Asked of the summary, because
    /// reading a full state's entry loads its whole value, hundreds of MB at mainnet scale, which
    /// cost the first imports after an epoch's full write up to seconds.
    fn is_stored_in_full(&self, root: &Hash256) -> Result<bool> {
        let Some(bytes) = self.state_summaries.get(root.as_slice())? else {
            return Ok(false);
        };
        let summary = StateSummary::from_bytes(root.as_slice(), bytes.value())?;
        Ok(summary.epoch_boundary_state_root == *root)
    }

    /// `summary_only`: look for a base in the previous epoch too, rather than writing this state in
    /// full (see [`StoreOp::PutStateSummary`]).
    fn put_state<E: EthSpec>(
        &mut self,
        state_root: Hash256,
        state: &BeaconState<E>,
        summary_only: bool,
    ) -> Result<()> {
        let slot = state.slot();
        let mut header = state.latest_block_header().clone();
        if header.state_root.is_zero() {
            // `process_slot` fills it in later; until then the block's state is this one.
            header.state_root = state_root;
        }
        let latest_block_root = header.tree_hash_root();
        let mut boundary_slot = slot - slot % E::slots_per_epoch();
        if summary_only {
            boundary_slot = boundary_slot.saturating_sub(E::slots_per_epoch());
        }
        // The replay base: the epoch-boundary state, else the latest state of this epoch on this chain
        // that is stored in full (a skipped boundary the node did not store), else this state itself.
        let mut boundary_root = state_root;
        for base_slot in (boundary_slot..slot).rev() {
            let index = (base_slot % E::slots_per_historical_root() as u64) as usize;
            let Some(root) = state.state_roots().get(index).copied() else {
                break;
            };
            if self.is_stored_in_full(&root)? {
                boundary_root = root;
                break;
            }
        }
        if boundary_root == state_root {
            self.states.insert(
                state_root.as_slice(),
                encode_versioned(state.fork_name(), state).as_slice(),
            )?;
        }
        let summary = StateSummary {
            slot,
            latest_block_root,
            epoch_boundary_state_root: boundary_root,
        };
        self.state_summaries
            .insert(state_root.as_slice(), summary.to_bytes().as_slice())?;
        Ok(())
    }

    /// Point the canonical index at the chain ending in `head`: drop entries past the head, then walk
    /// back writing the chain's slots (clearing skipped ones) until the index already agrees.
    fn update_canonical(&mut self, head: Hash256) -> Result<()> {
        let Some(head_summary) = read_block_summary(&self.block_summaries, &head)? else {
            return Err(StoreError::MissingBlock(head));
        };
        self.canonical
            .retain_in(head_summary.slot.saturating_add(1).., |_, _| false)?;
        let (mut root, mut summary) = (head, head_summary);
        loop {
            let current = self
                .canonical
                .get(summary.slot)?
                .map(|v| {
                    tables::decode_root(
                        "canonical_block_roots",
                        &summary.slot.to_be_bytes(),
                        v.value(),
                    )
                })
                .transpose()?;
            if current == Some(root) {
                return Ok(());
            }
            self.canonical.insert(summary.slot, root.as_slice())?;
            let parent = read_block_summary(&self.block_summaries, &summary.parent_root)?;
            let parent_slot = parent.map(|p| p.slot).unwrap_or(0);
            if summary.slot > parent_slot + 1 {
                // Skipped slots between parent and child are not canonical blocks.
                self.canonical
                    .retain_in(parent_slot + 1..summary.slot, |_, _| false)?;
            }
            match parent {
                Some(p) if p.slot < summary.slot => {
                    root = summary.parent_root;
                    summary = p;
                }
                _ => return Ok(()),
            }
        }
    }

    /// Remove a block, its payload, its sidecars, its tree entries and its canonical slot (if it holds
    /// it). States whose latest block it was go with it in pruning, not here.
    pub fn delete_block(&mut self, root: Hash256) -> Result<()> {
        let summary = read_block_summary(&self.block_summaries, &root)?;
        self.blocks.remove(root.as_slice())?;
        self.payloads.remove(root.as_slice())?;
        self.block_summaries.remove(root.as_slice())?;
        let (lo, hi) = sidecar_range(&root);
        self.blob_sidecars
            .retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
        self.data_column_sidecars
            .retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
        if let Some(summary) = summary {
            self.hot_blocks
                .remove(hot_key(summary.slot, &root).as_slice())?;
            let canonical = self
                .canonical
                .get(summary.slot)?
                .map(|v| v.value() == root.as_slice())
                .unwrap_or(false);
            if canonical {
                self.canonical.remove(summary.slot)?;
            }
        }
        Ok(())
    }
}

/// A full block as its blinded form and its payload, moving the payload rather than copying it (a
/// mainnet payload can be megabytes).
fn split_block<E: EthSpec>(
    block: SignedBeaconBlock<E>,
) -> (SignedBlindedBeaconBlock<E>, ExecutionPayload<E>) {
    macro_rules! split {
        ($b:expr, $Fork:ident) => {{
            let mut b = $b;
            let payload =
                ExecutionPayload::$Fork(std::mem::take(&mut b.message.body.execution_payload));
            let header = payload.to_header();
            let mut blinded = SignedBeaconBlock::$Fork(b).to_blinded();
            if let (SignedBlindedBeaconBlock::$Fork(s), ExecutionPayloadHeader::$Fork(h)) =
                (&mut blinded, header)
            {
                s.message.body.execution_payload_header = h;
            }
            (blinded, payload)
        }};
    }
    match block {
        SignedBeaconBlock::Capella(b) => split!(b, Capella),
        SignedBeaconBlock::Deneb(b) => split!(b, Deneb),
        SignedBeaconBlock::Electra(b) => split!(b, Electra),
        SignedBeaconBlock::Fulu(b) => split!(b, Fulu),
    }
}

fn parent_root<E: EthSpec>(block: &SignedBlindedBeaconBlock<E>) -> Hash256 {
    match block {
        SignedBlindedBeaconBlock::Capella(b) => b.message.parent_root,
        SignedBlindedBeaconBlock::Deneb(b) => b.message.parent_root,
        SignedBlindedBeaconBlock::Electra(b) => b.message.parent_root,
        SignedBlindedBeaconBlock::Fulu(b) => b.message.parent_root,
    }
}

fn check_sidecar_block(block_root: Hash256, sidecar_block: Hash256, index: u64) -> Result<()> {
    if block_root != sidecar_block {
        return Err(StoreError::SidecarBlockMismatch {
            block_root,
            sidecar_block,
            index,
        });
    }
    Ok(())
}
