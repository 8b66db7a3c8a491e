//! The head: fork choice's choice, `forkchoiceUpdated` to the engine on every change, the engine's
//! INVALID verdicts applied (to fork choice, which moves the head, and to the faulty-builder registry,
//! which disables the builder of the invalid payload), finality and pruning.

use crate::events::{finalized_event, ChainReorgEvent, Event, HeadEvent};
use crate::view::HeadHealth;
use crate::{BeaconChain, BlockError};
use engine_api::{ForkchoiceStateV1, PayloadStatusKind};
use fork_choice::{
    ExecutionStatus, ForkChoice, InvalidPayloadTarget, JustifiedBalances, PersistedParts,
    VotesRecord,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use store::StoreOp;
use types::{BeaconState, Checkpoint, EthSpec, ExecutionBlockHash, Hash256, Slot};

/// How many times a head update follows INVALID verdicts to a new head before it gives up for now.
const MAX_INVALIDATION_ROUNDS: usize = 4;

/// How far back (blocks) the execution chain from a head is given to verdicts: beyond finality an
/// ancestor is valid.
const MAX_CHAIN_FROM_HEAD: usize = 256;

/// The head as the chain last computed it.
#[derive(Debug, Clone)]
pub struct CachedHead<E: EthSpec> {
    /// The head block's root.
    pub block_root: Hash256,
    /// The head block's slot.
    pub slot: Slot,
    /// The head block's post-state root.
    pub state_root: Hash256,
    /// The head block's post-state.
    pub state: Arc<BeaconState<E>>,
    /// The head's payload hash.
    pub execution_block_hash: ExecutionBlockHash,
    /// The head was imported optimistically (its payload is not verified by the engine).
    pub optimistic: bool,
    /// Fork choice's justified checkpoint.
    pub justified: Checkpoint,
    /// Fork choice's finalized checkpoint.
    pub finalized: Checkpoint,
}

impl<E: EthSpec> CachedHead<E> {
    pub(crate) fn new(
        block_root: Hash256,
        state_root: Hash256,
        state: Arc<BeaconState<E>>,
        fork_choice: &ForkChoice,
    ) -> Self {
        let node = fork_choice.block(&block_root);
        Self {
            block_root,
            slot: state.slot(),
            state_root,
            execution_block_hash: node
                .map(|n| n.execution_block_hash)
                .unwrap_or_else(|| state.latest_execution_payload_header().block_hash()),
            optimistic: node.is_some_and(|n| n.execution_status == ExecutionStatus::Optimistic),
            justified: fork_choice.justified_checkpoint(),
            finalized: fork_choice.finalized_checkpoint(),
            state,
        }
    }
}

/// The payload hashes of `root` and its ancestors, newest first (as far as fork choice knows them).
pub(crate) fn execution_chain(fork_choice: &ForkChoice, root: &Hash256) -> Vec<ExecutionBlockHash> {
    let nodes = fork_choice.proto_array().nodes();
    let mut chain = Vec::new();
    let mut index = fork_choice.proto_array().index_of(root);
    while let Some(i) = index {
        let Some(node) = nodes.get(i) else { break };
        if node.execution_block_hash.is_zero() || chain.len() >= MAX_CHAIN_FROM_HEAD {
            break;
        }
        chain.push(node.execution_block_hash);
        index = node.parent;
    }
    chain
}

impl<E: EthSpec> BeaconChain<E> {
    /// `get_head` from fork choice at the clock's time; if the head or the checkpoints changed, the
    /// cached head, the store, the events and the engine (`forkchoiceUpdated`) follow. INVALID
    /// verdicts of the engine move the head again.
    pub async fn recompute_head(self: &Arc<Self>) -> Result<(), BlockError> {
        for _ in 0..MAX_INVALIDATION_ROUNDS {
            let chain = self.clone();
            let changed = tokio::task::spawn_blocking(move || chain.update_head_blocking())
                .await
                .map_err(|e| BlockError::Internal(format!("head update task: {e}")))??;
            let Some(change) = changed else {
                return Ok(());
            };
            if !self.notify_engine(&change).await {
                return Ok(());
            }
        }
        tracing::warn!("the engine keeps invalidating heads; the head is left for the next update");
        Ok(())
    }

    /// Fork choice's head, and the cached head, store and events brought up to it. Returns what
    /// the engine must be told, or `None` when nothing changed.
    fn update_head_blocking(self: &Arc<Self>) -> Result<Option<HeadChange>, BlockError> {
        // Fork choice's writes are a journal: they must land in the order they were taken.
        let _one_at_a_time = self.head_update_lock.lock();
        let now = self.slot_clock.now_seconds();
        let (new_root, justified, finalized) = {
            let mut fork_choice = self.fork_choice.write();
            fork_choice.on_tick(now.max(self.genesis_time));
            let mut balances = |checkpoint: &Checkpoint| self.justified_balances(checkpoint);
            let root = fork_choice.get_head(&mut balances)?;
            (
                root,
                fork_choice.justified_checkpoint(),
                fork_choice.finalized_checkpoint(),
            )
        };
        let old = self.head.read().clone();
        if new_root == old.block_root && justified == old.justified && finalized == old.finalized {
            // A block imported without moving the head is persisted in fork choice here.
            if self.fork_choice_dirty.swap(false, Ordering::AcqRel) {
                let ops = self.fork_choice_ops();
                if let Err(error) = self.store.do_atomically(ops) {
                    self.fork_choice_write_failed();
                    return Err(error.into());
                }
            }
            return Ok(None);
        }
        // The persisted fork choice goes with the head: its core, and only the votes (and balances)
        // that changed since the last write.
        self.fork_choice_dirty.store(false, Ordering::Release);
        let fork_choice_ops = self.fork_choice_ops();
        let block = self
            .store
            .get_blinded_block(&new_root)?
            .ok_or_else(|| BlockError::Internal(format!("head block {new_root} not stored")))?;
        let message = block.message_enum();
        let state = self
            .state_at_slot(new_root, message.slot())
            .map_err(BlockError::Internal)?;
        let new = {
            let fork_choice = self.fork_choice.read();
            CachedHead::new(new_root, message.state_root(), state, &fork_choice)
        };
        let mut ops = vec![StoreOp::SetHead(new_root), StoreOp::SetJustified(justified)];
        ops.extend(fork_choice_ops);
        let finality_advanced = finalized.epoch > old.finalized.epoch;
        if finality_advanced {
            ops.push(StoreOp::SetFinalized(finalized));
            ops.push(StoreOp::PruneOnFinalization(finalized));
        }
        if let Err(error) = self.store.do_atomically(ops) {
            self.fork_choice_write_failed();
            return Err(error.into());
        }
        *self.head.write() = new.clone();

        if new_root != old.block_root {
            let reorg = !self
                .fork_choice
                .read()
                .is_ancestor(&new_root, &old.block_root);
            self.emit_head_events(&old, &new, reorg);
            tracing::info!(slot = new.slot, block_root = %new_root, optimistic = new.optimistic, "new head");
        }
        if finality_advanced {
            {
                let mut fork_choice = self.fork_choice.write();
                if let Err(error) = fork_choice.prune() {
                    tracing::warn!(%error, "fork choice pruning failed");
                }
            }
            let finalized_slot = finalized.epoch * E::slots_per_epoch();
            self.states.lock().prune_before(finalized_slot);
            self.observed_proposals
                .lock()
                .retain(|(_, slot), _| *slot >= finalized_slot);
            let finalized_state_root = self
                .store
                .get_blinded_block(&finalized.root)
                .ok()
                .flatten()
                .map(|b| b.message_enum().state_root())
                .unwrap_or_default();
            self.events.send(Event::FinalizedCheckpoint(finalized_event(
                finalized,
                finalized_state_root,
                new.optimistic,
            )));
            tracing::info!(epoch = finalized.epoch, root = %finalized.root, "finalized");
        }
        self.op_pool.prune(&new.state);
        self.update_view();
        let fork_choice = self.fork_choice.read();
        let hash_of = |root: &Hash256| {
            fork_choice
                .block(root)
                .map(|n| n.execution_block_hash)
                .unwrap_or_default()
        };
        Ok(Some(HeadChange {
            head_root: new_root,
            slot: new.slot,
            state: ForkchoiceStateV1 {
                head_block_hash: new.execution_block_hash,
                safe_block_hash: hash_of(&justified.root),
                finalized_block_hash: hash_of(&finalized.root),
            },
            fork: new.state.fork_name(),
        }))
    }

    /// `forkchoiceUpdated` again for the current head (an optimistic head waits for the engine's
    /// verdict); an INVALID answer moves the head.
    pub async fn refresh_engine_head(self: &Arc<Self>) {
        let head = self.head();
        let change = {
            let fork_choice = self.fork_choice.read();
            let hash_of = |root: &Hash256| {
                fork_choice
                    .block(root)
                    .map(|n| n.execution_block_hash)
                    .unwrap_or_default()
            };
            HeadChange {
                head_root: head.block_root,
                slot: head.slot,
                state: ForkchoiceStateV1 {
                    head_block_hash: head.execution_block_hash,
                    safe_block_hash: hash_of(&head.justified.root),
                    finalized_block_hash: hash_of(&head.finalized.root),
                },
                fork: head.state.fork_name(),
            }
        };
        if self.notify_engine(&change).await {
            if let Err(error) = self.recompute_head().await {
                tracing::warn!(%error, "head update after an INVALID verdict failed");
            }
        }
    }

    /// `forkchoiceUpdated` for a new head. Returns true when the engine invalidated blocks, so the
    /// head must be computed again.
    async fn notify_engine(self: &Arc<Self>, change: &HeadChange) -> bool {
        // Engine builders follow the same head (issue 14): mirrored in the background, so a slow or
        // failing builder never delays the local engine's call.
        self.execution_layer
            .mirror_forkchoice(change.fork, change.state);
        let engine = self.execution_layer.engine();
        let response = match engine
            .forkchoice_updated(change.fork, change.state, None)
            .await
        {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(slot = change.slot, %error, "forkchoiceUpdated failed; the engine follows at the next head change");
                return false;
            }
        };
        let status = response.payload_status;
        match status.status {
            PayloadStatusKind::Valid => {
                self.view.set_ee_syncing(false);
                let mut fork_choice = self.fork_choice.write();
                if let Err(error) = fork_choice.on_valid_execution_payload(&change.head_root) {
                    tracing::warn!(%error, "cannot mark the head's payload valid");
                }
                drop(fork_choice);
                self.refresh_head_optimism();
                false
            }
            PayloadStatusKind::Syncing | PayloadStatusKind::Accepted => {
                self.view.set_ee_syncing(true);
                tracing::warn!(slot = change.slot, head = %change.head_root, "the execution engine is syncing: the head stays optimistic");
                false
            }
            PayloadStatusKind::Invalid | PayloadStatusKind::InvalidBlockHash => {
                let (invalidated, chain) = {
                    let mut fork_choice = self.fork_choice.write();
                    let chain = execution_chain(&fork_choice, &change.head_root);
                    let invalidated = fork_choice.on_invalid_execution_payload(
                        InvalidPayloadTarget::Block(change.head_root),
                        status.latest_valid_hash,
                    );
                    (invalidated, chain)
                };
                let disabled = self.execution_layer.on_forkchoice_status(&status, &chain);
                match invalidated {
                    Ok(roots) => {
                        for root in &roots {
                            tracing::error!(block_root = %root, "block invalidated by the execution engine");
                        }
                        for builder in &disabled {
                            tracing::error!(builder = %builder.builder, slot = builder.slot, block_root = %builder.block_root, "builder disabled until restart: its payload is INVALID");
                        }
                        !roots.is_empty()
                    }
                    Err(error) => {
                        tracing::error!(%error, "cannot apply the engine's INVALID verdict");
                        false
                    }
                }
            }
        }
    }

    /// The justified checkpoint's balances for fork choice: its state at the epoch start.
    /// Fork choice's changes since its last write, as store ops for one transaction (see
    /// `fork_choice::PersistedParts`). A caller whose write fails calls
    /// [`Self::fork_choice_write_failed`].
    pub(crate) fn fork_choice_ops(&self) -> Vec<StoreOp<E>> {
        fork_choice_ops(self.fork_choice.write().take_persisted_parts())
    }

    /// A write of [`Self::fork_choice_ops`] did not commit: the next one writes everything.
    fn fork_choice_write_failed(&self) {
        self.fork_choice.write().persist_failed();
        self.fork_choice_dirty.store(true, Ordering::Release);
    }

    pub(crate) fn justified_balances(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<JustifiedBalances, String> {
        let slot = checkpoint.epoch * E::slots_per_epoch();
        let block_slot = self
            .fork_choice_block_slot(&checkpoint.root)
            .ok_or_else(|| format!("justified block {} unknown", checkpoint.root))?;
        // Caches only if they are warm (a state read from the store is read from its registry).
        let crate::state_cache::CachedState { state, caches } =
            self.cached_state_at_slot(checkpoint.root, slot.max(block_slot), false)?;
        JustifiedBalances::from_state_with_caches(&state, &caches).map_err(|e| e.to_string())
    }

    fn fork_choice_block_slot(&self, root: &Hash256) -> Option<Slot> {
        // Called with the fork choice lock held by `get_head`; the store has every block's slot.
        self.store
            .get_block_summary(root)
            .ok()
            .flatten()
            .map(|summary| summary.slot)
    }

    fn emit_head_events(&self, old: &CachedHead<E>, new: &CachedHead<E>, reorg: bool) {
        let epoch = new.slot / E::slots_per_epoch();
        let dependent = |epoch: u64| {
            let slot = (epoch * E::slots_per_epoch()).saturating_sub(1);
            if slot >= new.slot {
                return new.block_root;
            }
            state_processing::common::get_block_root_at_slot(&new.state, slot)
                .unwrap_or(self.genesis_block_root)
        };
        self.events.send(Event::Head(HeadEvent {
            slot: new.slot,
            block: new.block_root,
            state: new.state_root,
            epoch_transition: new.slot / E::slots_per_epoch() != old.slot / E::slots_per_epoch(),
            previous_duty_dependent_root: dependent(epoch.saturating_sub(1)),
            current_duty_dependent_root: dependent(epoch),
            execution_optimistic: new.optimistic,
        }));
        if reorg {
            let common = self
                .fork_choice
                .read()
                .get_ancestor(&old.block_root, new.slot.min(old.slot))
                .ok();
            let depth = common
                .and_then(|root| self.fork_choice.read().block(&root).map(|n| n.slot))
                .map(|slot| old.slot.saturating_sub(slot))
                .unwrap_or(0);
            self.events.send(Event::ChainReorg(ChainReorgEvent {
                slot: new.slot,
                depth,
                old_head_block: old.block_root,
                new_head_block: new.block_root,
                old_head_state: old.state_root,
                new_head_state: new.state_root,
                epoch,
                execution_optimistic: new.optimistic,
            }));
            tracing::warn!(old = %old.block_root, new = %new.block_root, depth, "chain re-org");
        }
    }

    /// The head's optimism after a verdict on its payload.
    fn refresh_head_optimism(&self) {
        let optimistic = {
            let fork_choice = self.fork_choice.read();
            let root = self.head.read().block_root;
            fork_choice
                .execution_status(&root)
                .is_some_and(|s| s == ExecutionStatus::Optimistic)
        };
        self.head.write().optimistic = optimistic;
        self.update_view();
    }

    /// The circuit breaker's view of the head.
    pub(crate) fn update_view(&self) {
        let head = self.head.read().clone();
        let mut block_slots = std::collections::BTreeSet::new();
        block_slots.insert(head.slot);
        let state = &head.state;
        let start = head.slot.saturating_sub(32);
        for slot in start.max(1)..head.slot {
            let (Ok(root), Ok(previous)) = (
                state_processing::common::get_block_root_at_slot(state, slot),
                state_processing::common::get_block_root_at_slot(state, slot - 1),
            ) else {
                continue;
            };
            if root != previous {
                block_slots.insert(slot);
            }
        }
        self.view.set_head_health(HeadHealth {
            head_slot: head.slot,
            block_slots,
            finalized_epoch: head.finalized.epoch,
            head_is_optimistic: head.optimistic,
        });
    }
}

/// What the engine is told after a head change.
pub(crate) struct HeadChange {
    head_root: Hash256,
    slot: Slot,
    state: ForkchoiceStateV1,
    fork: types::ForkName,
}

/// The store ops that write `parts`.
pub(crate) fn fork_choice_ops<E: EthSpec>(parts: PersistedParts) -> Vec<StoreOp<E>> {
    let mut ops = vec![StoreOp::SetForkChoice(parts.core)];
    if let Some(balances) = parts.balances {
        ops.push(StoreOp::SetForkChoiceBalances(balances));
    }
    match parts.votes {
        VotesRecord::Unchanged => {}
        VotesRecord::Journal(bytes) => ops.push(StoreOp::AppendForkChoiceVotes(bytes)),
        VotesRecord::Snapshot(bytes) => ops.push(StoreOp::SetForkChoiceVotes(bytes)),
    }
    ops
}
