//! The fork-choice store (`Store` of the phase0 spec) over a proto-array, and its handlers:
//! `on_tick`, `on_block`, `on_attestation`, `on_attester_slashing`, `get_head`, and the execution
//! verdicts of optimistic sync.
//!
//! The store keeps no states. The caller runs the state transition and hands `on_block` the post-state;
//! it checks attestation signatures against the target checkpoint state and hands `on_attestation` the
//! attesting indices; and it provides the justified checkpoint state's balances through a
//! [`BalancesSource`] when the justified checkpoint changes.

use crate::error::Error;
use crate::inputs::{BalancesSource, BlockSummary, ForkChoiceConfig, JustifiedBalances};
use crate::proto_array::{ExecutionStatus, ProtoArray, ProtoNode, Viability};
use state_processing::common::{get_current_epoch, is_multiple};
use state_processing::common::{is_slashable_attestation_data, IndexedAttestationRef};
use state_processing::progressive_balances::compute_unrealized_checkpoints;
use state_processing::ProgressiveBalancesCache;
use std::collections::BTreeSet;
use types::{
    AttestationData, BeaconState, Checkpoint, Epoch, EthSpec, ExecutionBlockHash, Gwei, Hash256,
    Slot, ValidatorIndex,
};

/// How far past the validators it knows (justified balances, votes) an attesting index may be.
const MAX_NEW_VALIDATOR_INDICES: usize = 1 << 21;

/// A validator's vote (`latest_messages`), split into the root its weight sits on now and the root
/// it moves to at the next delta computation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct VoteTracker {
    pub current_root: Hash256,
    pub next_root: Hash256,
    pub next_epoch: Epoch,
}

/// Which block an `INVALID` engine verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidPayloadTarget {
    /// A block in the fork choice (from `newPayload` of an imported block, or a head of `forkchoiceUpdated`).
    Block(Hash256),
    /// The payload hash of a block in the fork choice (the `headBlockHash` of a `forkchoiceUpdated`).
    HeadHash(ExecutionBlockHash),
    /// A block that was not imported (its `newPayload` was INVALID): only `latest_valid_hash` can
    /// invalidate something, from the parent back.
    UnimportedChild { parent_root: Hash256 },
}

/// The fork-choice store on a proto-array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkChoice {
    pub(crate) config: ForkChoiceConfig,
    pub(crate) time: u64,
    pub(crate) genesis_time: u64,
    pub(crate) justified_checkpoint: Checkpoint,
    pub(crate) finalized_checkpoint: Checkpoint,
    pub(crate) unrealized_justified_checkpoint: Checkpoint,
    pub(crate) unrealized_finalized_checkpoint: Checkpoint,
    pub(crate) proposer_boost_root: Hash256,
    pub(crate) equivocating_indices: BTreeSet<ValidatorIndex>,
    pub(crate) votes: Vec<VoteTracker>,
    pub(crate) proto_array: ProtoArray,
    /// The balances of the justified checkpoint they were read for (`None` until first needed). The
    /// node weights hold the votes weighed with these.
    pub(crate) justified_balances: Option<(Checkpoint, JustifiedBalances)>,
    /// The proposer boost the node weights currently hold.
    pub(crate) applied_boost: Option<(Hash256, Gwei)>,
    /// What changed since the store was last persisted (see [`ForkChoice::take_persisted_parts`]).
    pub(crate) persisted: crate::persist::PersistTracker,
    /// The votes whose next root changed since the weights were last brought up to date, so that a
    /// head update visits those only (a block's attestations change tens of thousands of a
    /// million votes). `None`: every vote must be visited (after a start, new justified balances or
    /// new equivocators).
    pub(crate) moved_votes: MovedVotes,
}

/// [`ForkChoice::moved_votes`]: bookkeeping, not part of the store's value (two stores with the same
/// votes and weights are equal whatever they would visit next).
#[derive(Debug, Clone, Default)]
pub(crate) struct MovedVotes(pub Option<Vec<u32>>);

impl PartialEq for MovedVotes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for MovedVotes {}

impl ForkChoice {
    /// `get_forkchoice_store`: a store anchored at `anchor` (whose post-state is `anchor_state`; the
    /// caller has checked `anchor.state_root == hash_tree_root(anchor_state)`).
    pub fn from_anchor<E: EthSpec>(
        anchor: &BlockSummary,
        anchor_state: &BeaconState<E>,
        execution_status: ExecutionStatus,
        config: ForkChoiceConfig,
    ) -> Result<Self, Error> {
        if config.slots_per_epoch == 0 || config.slot_duration_ms == 0 {
            return Err(Error::InvalidConfig(
                "zero slots per epoch or slot duration",
            ));
        }
        let anchor_epoch = get_current_epoch(anchor_state);
        let checkpoint = Checkpoint {
            epoch: anchor_epoch,
            root: anchor.root,
        };
        let genesis_time = anchor_state.genesis_time();
        let time = genesis_time
            .checked_add(config.slot_duration_ms.saturating_mul(anchor_state.slot()) / 1000)
            .ok_or(Error::Overflow("anchor time"))?;
        let node = ProtoNode {
            root: anchor.root,
            parent: None,
            slot: anchor.slot,
            proposer_index: anchor.proposer_index,
            justified_checkpoint: anchor_state.current_justified_checkpoint(),
            finalized_checkpoint: anchor_state.finalized_checkpoint(),
            unrealized_justified_checkpoint: checkpoint,
            unrealized_finalized_checkpoint: checkpoint,
            weight: 0,
            best_child: None,
            best_descendant: None,
            execution_status,
            execution_block_hash: anchor.execution_block_hash,
            timely: false,
        };
        Ok(Self {
            config,
            time,
            genesis_time,
            justified_checkpoint: checkpoint,
            finalized_checkpoint: checkpoint,
            unrealized_justified_checkpoint: checkpoint,
            unrealized_finalized_checkpoint: checkpoint,
            proposer_boost_root: Hash256::ZERO,
            equivocating_indices: BTreeSet::new(),
            votes: vec![],
            proto_array: ProtoArray::new(node),
            justified_balances: None,
            applied_boost: None,
            persisted: Default::default(),
            moved_votes: MovedVotes(None),
        })
    }

    /// The constants the store runs with.
    pub fn config(&self) -> &ForkChoiceConfig {
        &self.config
    }
    /// `store.time` (seconds).
    pub fn time(&self) -> u64 {
        self.time
    }
    /// `store.genesis_time` (seconds).
    pub fn genesis_time(&self) -> u64 {
        self.genesis_time
    }
    /// `store.justified_checkpoint`.
    pub fn justified_checkpoint(&self) -> Checkpoint {
        self.justified_checkpoint
    }
    /// `store.finalized_checkpoint`.
    pub fn finalized_checkpoint(&self) -> Checkpoint {
        self.finalized_checkpoint
    }
    /// `store.unrealized_justified_checkpoint`.
    pub fn unrealized_justified_checkpoint(&self) -> Checkpoint {
        self.unrealized_justified_checkpoint
    }
    /// `store.unrealized_finalized_checkpoint`.
    pub fn unrealized_finalized_checkpoint(&self) -> Checkpoint {
        self.unrealized_finalized_checkpoint
    }
    /// `store.proposer_boost_root` (zero when unset).
    pub fn proposer_boost_root(&self) -> Hash256 {
        self.proposer_boost_root
    }
    /// `store.equivocating_indices`.
    pub fn equivocating_indices(&self) -> &BTreeSet<ValidatorIndex> {
        &self.equivocating_indices
    }
    /// The block tree.
    pub fn proto_array(&self) -> &ProtoArray {
        &self.proto_array
    }
    /// Whether the block is in the fork choice (`root in store.blocks`).
    pub fn contains_block(&self, root: &Hash256) -> bool {
        self.proto_array.contains(root)
    }
    /// The node of a block in the fork choice.
    pub fn block(&self, root: &Hash256) -> Option<&ProtoNode> {
        self.proto_array.node(root)
    }
    /// The block's execution status, if the block is known.
    pub fn execution_status(&self, root: &Hash256) -> Option<ExecutionStatus> {
        self.block(root).map(|n| n.execution_status)
    }
    /// `is_optimistic` (sync/optimistic.md): the block was imported before its payload was validated.
    pub fn is_optimistic(&self, root: &Hash256) -> Result<bool, Error> {
        let status = self
            .execution_status(root)
            .ok_or(Error::UnknownBlock(*root))?;
        Ok(status == ExecutionStatus::Optimistic)
    }
    /// `get_safe_beacon_block_root` (safe-block.md): the justified checkpoint's block.
    pub fn get_safe_beacon_block_root(&self) -> Hash256 {
        self.justified_checkpoint.root
    }
    /// The `forkchoiceUpdated` block hashes for `head_root`: head, safe
    /// (`get_safe_execution_block_hash`) and finalized payload hashes (zero for a block without one).
    pub fn forkchoice_update_hashes(
        &self,
        head_root: &Hash256,
    ) -> Result<(ExecutionBlockHash, ExecutionBlockHash, ExecutionBlockHash), Error> {
        let hash = |root: &Hash256| {
            self.block(root)
                .map(|n| n.execution_block_hash)
                .ok_or(Error::UnknownBlock(*root))
        };
        Ok((
            hash(head_root)?,
            hash(&self.get_safe_beacon_block_root())?,
            hash(&self.finalized_checkpoint.root)?,
        ))
    }
    /// `get_ancestor`: the root of the block at or before `slot` on `root`'s chain.
    pub fn get_ancestor(&self, root: &Hash256, slot: Slot) -> Result<Hash256, Error> {
        self.proto_array.ancestor(root, slot)
    }
    /// `is_ancestor`.
    pub fn is_ancestor(&self, root: &Hash256, ancestor: &Hash256) -> bool {
        self.proto_array.is_ancestor(root, ancestor)
    }
    /// `get_checkpoint_block`.
    pub fn get_checkpoint_block(&self, root: &Hash256, epoch: Epoch) -> Result<Hash256, Error> {
        self.get_ancestor(root, self.config.start_slot(epoch))
    }

    /// `get_current_slot`.
    pub fn current_slot(&self) -> Slot {
        self.time
            .saturating_sub(self.genesis_time)
            .saturating_mul(1000)
            / self.config.slot_duration_ms
    }

    /// `get_current_store_epoch`.
    pub fn current_epoch(&self) -> Epoch {
        self.config.epoch_at_slot(self.current_slot())
    }

    /// Milliseconds into the current slot (`time_into_slot_ms`).
    pub(crate) fn time_into_slot_ms(&self) -> u64 {
        self.time
            .saturating_sub(self.genesis_time)
            .saturating_mul(1000)
            % self.config.slot_duration_ms
    }

    /// `on_tick`: advance slot by slot to `time` (seconds), resetting the proposer boost at each new
    /// slot and pulling up the unrealized checkpoints at each new epoch. A time before the store's
    /// is ignored (a clock stepping back must not re-open past slots).
    pub fn on_tick(&mut self, time: u64) {
        if time < self.time {
            return;
        }
        let tick_slot = time.saturating_sub(self.genesis_time).saturating_mul(1000)
            / self.config.slot_duration_ms;
        while self.current_slot() < tick_slot {
            let next = self.current_slot() + 1;
            // The slot's start (rounded up to a whole second when it does not fall on one).
            let previous_time = self.genesis_time.saturating_add(
                next.saturating_mul(self.config.slot_duration_ms)
                    .div_ceil(1000),
            );
            self.on_tick_per_slot(previous_time);
            if self.current_slot() < next {
                break;
            }
        }
        self.on_tick_per_slot(time);
    }

    /// `on_tick_per_slot`.
    fn on_tick_per_slot(&mut self, time: u64) {
        let previous_slot = self.current_slot();
        self.time = time;
        let current_slot = self.current_slot();
        if current_slot > previous_slot {
            self.proposer_boost_root = Hash256::ZERO;
            if is_multiple(current_slot, self.config.slots_per_epoch) {
                self.update_checkpoints(
                    self.unrealized_justified_checkpoint,
                    self.unrealized_finalized_checkpoint,
                );
            }
        }
    }

    /// `update_checkpoints`.
    fn update_checkpoints(&mut self, justified: Checkpoint, finalized: Checkpoint) {
        if justified.epoch > self.justified_checkpoint.epoch {
            self.justified_checkpoint = justified;
        }
        if finalized.epoch > self.finalized_checkpoint.epoch {
            self.finalized_checkpoint = finalized;
        }
    }

    /// `update_unrealized_checkpoints`.
    fn update_unrealized_checkpoints(&mut self, justified: Checkpoint, finalized: Checkpoint) {
        if justified.epoch > self.unrealized_justified_checkpoint.epoch {
            self.unrealized_justified_checkpoint = justified;
        }
        if finalized.epoch > self.unrealized_finalized_checkpoint.epoch {
            self.unrealized_finalized_checkpoint = finalized;
        }
    }

    /// The checks `on_block` makes before the state transition: the parent is known, the block is not
    /// from the future, and it is after and descends from the finalized checkpoint. Callers run this
    /// before spending a state transition on the block.
    pub fn validate_block(&self, slot: Slot, parent_root: &Hash256) -> Result<(), Error> {
        if !self.proto_array.contains(parent_root) {
            return Err(Error::UnknownParent {
                parent_root: *parent_root,
                slot,
            });
        }
        let current_slot = self.current_slot();
        if slot > current_slot {
            return Err(Error::FutureBlock {
                block_slot: slot,
                current_slot,
            });
        }
        let finalized_slot = self.config.start_slot(self.finalized_checkpoint.epoch);
        if slot <= finalized_slot {
            return Err(Error::NotAfterFinalizedSlot {
                block_slot: slot,
                finalized_slot,
            });
        }
        let checkpoint_block =
            self.get_checkpoint_block(parent_root, self.finalized_checkpoint.epoch)?;
        if checkpoint_block != self.finalized_checkpoint.root {
            return Err(Error::NotFinalizedDescendant {
                finalized_root: self.finalized_checkpoint.root,
            });
        }
        Ok(())
    }

    /// `on_block`, after the caller ran `state_transition` (`state` is the post-state). `progressive`
    /// is the post-state's `ProgressiveBalancesCache` if the caller keeps one (else one is built).
    /// `data_available` is `is_data_available` (blobs or columns checked by the caller);
    /// `execution_status` is the engine's verdict on the payload (`Valid` or `Optimistic`).
    /// The caller then feeds the block's attestations (`is_from_block`) and attester slashings.
    pub fn on_block<E: EthSpec>(
        &mut self,
        block: &BlockSummary,
        state: &BeaconState<E>,
        progressive: Option<&ProgressiveBalancesCache>,
        execution_status: ExecutionStatus,
        data_available: bool,
        balances: &mut impl BalancesSource,
    ) -> Result<(), Error> {
        if self.proto_array.contains(&block.root) {
            return Ok(());
        }
        self.validate_block(block.slot, &block.parent_root)?;
        if !data_available {
            return Err(Error::DataUnavailable);
        }
        if execution_status == ExecutionStatus::Invalid {
            return Err(Error::InvalidPayloadBlock);
        }
        if state.slot() != block.slot {
            return Err(Error::StateSlotMismatch {
                state_slot: state.slot(),
                block_slot: block.slot,
            });
        }
        let built;
        let progressive = match progressive {
            Some(cache) => cache,
            None => {
                built = ProgressiveBalancesCache::new(state)?;
                &built
            }
        };
        let (unrealized_justified, unrealized_finalized) =
            compute_unrealized_checkpoints(state, progressive)?;

        // `record_block_timeliness`.
        let timely = self.current_slot() == block.slot
            && self.time_into_slot_ms()
                < self
                    .config
                    .slot_component_duration_ms(self.config.attestation_due_bps);
        // The head before the block, for `update_proposer_boost_root` (only needed if it may boost).
        let is_first_block = self.proposer_boost_root == Hash256::ZERO;
        let head = if timely && is_first_block {
            Some(self.get_head(balances)?)
        } else {
            None
        };
        let node = ProtoNode {
            root: block.root,
            parent: None,
            slot: block.slot,
            proposer_index: block.proposer_index,
            justified_checkpoint: state.current_justified_checkpoint(),
            finalized_checkpoint: state.finalized_checkpoint(),
            unrealized_justified_checkpoint: unrealized_justified,
            unrealized_finalized_checkpoint: unrealized_finalized,
            weight: 0,
            best_child: None,
            best_descendant: None,
            execution_status,
            execution_block_hash: block.execution_block_hash,
            timely,
        };
        self.proto_array.insert(node, block.parent_root)?;

        // `update_proposer_boost_root`.
        if let Some(head) = head {
            let epoch = self.current_epoch();
            let head_dependent = self.get_shuffling_dependent_root(&head, epoch)?;
            let block_dependent = self.get_shuffling_dependent_root(&block.root, epoch)?;
            if head_dependent == block_dependent {
                self.proposer_boost_root = block.root;
            }
        }

        self.update_checkpoints(
            state.current_justified_checkpoint(),
            state.finalized_checkpoint(),
        );
        // `compute_pulled_up_tip`.
        self.update_unrealized_checkpoints(unrealized_justified, unrealized_finalized);
        if self.config.epoch_at_slot(block.slot) < self.current_epoch() {
            self.update_checkpoints(unrealized_justified, unrealized_finalized);
        }
        tracing::debug!(slot = block.slot, block_root = %block.root, "fork choice: block added");
        Ok(())
    }

    /// `get_shuffling_dependent_root`.
    pub fn get_shuffling_dependent_root(
        &self,
        root: &Hash256,
        epoch: Epoch,
    ) -> Result<Hash256, Error> {
        let slot = if epoch <= self.config.min_seed_lookahead {
            0
        } else {
            self.config
                .start_slot(epoch - self.config.min_seed_lookahead)
                - 1
        };
        self.get_ancestor(root, slot)
    }

    /// `validate_on_attestation`. Callers run it before computing the indexed attestation.
    pub fn validate_on_attestation(
        &self,
        data: &AttestationData,
        is_from_block: bool,
    ) -> Result<(), Error> {
        let target = data.target;
        if !is_from_block {
            // `validate_target_epoch_against_current_time`.
            let current = self.current_epoch();
            let previous = current.saturating_sub(1);
            if target.epoch != current && target.epoch != previous {
                return Err(Error::AttestationTargetEpochOutOfRange {
                    target: target.epoch,
                    current,
                });
            }
        }
        let slot_epoch = self.config.epoch_at_slot(data.slot);
        if target.epoch != slot_epoch {
            return Err(Error::AttestationBadTargetEpoch {
                target: target.epoch,
                slot_epoch,
            });
        }
        if !self.proto_array.contains(&target.root) {
            return Err(Error::UnknownBlock(target.root));
        }
        let block = self
            .proto_array
            .node(&data.beacon_block_root)
            .ok_or(Error::UnknownBlock(data.beacon_block_root))?;
        if block.slot > data.slot {
            return Err(Error::AttestationForFutureBlock {
                block_slot: block.slot,
                slot: data.slot,
            });
        }
        let expected = self.get_checkpoint_block(&data.beacon_block_root, target.epoch)?;
        if target.root != expected {
            return Err(Error::AttestationTargetMismatch {
                target: target.root,
                expected,
            });
        }
        let current_slot = self.current_slot();
        if current_slot < data.slot + 1 {
            return Err(Error::AttestationFromCurrentSlot {
                slot: data.slot,
                current_slot,
            });
        }
        Ok(())
    }

    /// `on_attestation` with the attestation already indexed and verified by the caller against the
    /// target checkpoint state (`get_indexed_attestation`, `is_valid_indexed_attestation`):
    /// validates it against the store and records the votes (`update_latest_messages`).
    pub fn on_attestation(
        &mut self,
        data: &AttestationData,
        attesting_indices: &[ValidatorIndex],
        is_from_block: bool,
    ) -> Result<(), Error> {
        self.validate_on_attestation(data, is_from_block)?;
        // The vote table grows to the highest index seen: bound it so that a corrupt index cannot
        // make it allocate without limit (far more validators than any registry grows by between
        // two justified checkpoints).
        let known = self
            .justified_balances
            .as_ref()
            .map_or(0, |(_, b)| b.weights.len())
            .max(self.votes.len());
        let limit = known.saturating_add(MAX_NEW_VALIDATOR_INDICES);
        if let Some(&i) = attesting_indices.iter().find(|&&i| i >= limit as u64) {
            return Err(Error::ValidatorIndexOutOfRange(i));
        }
        let epoch = data.target.epoch;
        for &i in attesting_indices {
            if self.equivocating_indices.contains(&i) {
                continue;
            }
            let index = i as usize;
            if index >= self.votes.len() {
                self.votes.resize(index + 1, VoteTracker::default());
            }
            let vote = &mut self.votes[index];
            if vote.next_root == Hash256::ZERO || epoch > vote.next_epoch {
                vote.next_root = data.beacon_block_root;
                vote.next_epoch = epoch;
                self.persisted.vote_changed(index);
                if let Some(moved) = &mut self.moved_votes.0 {
                    moved.push(index as u32);
                }
            }
        }
        // Past one entry per vote a full visit is cheaper than the list.
        if self
            .moved_votes
            .0
            .as_ref()
            .is_some_and(|moved| moved.len() > self.votes.len())
        {
            self.moved_votes.0 = None;
        }
        Ok(())
    }

    /// `on_attester_slashing`, with both attestations already checked by the caller with
    /// `is_valid_indexed_attestation` against the state of the justified checkpoint's block.
    pub fn on_attester_slashing<E: EthSpec>(
        &mut self,
        attestation_1: IndexedAttestationRef<'_, E>,
        attestation_2: IndexedAttestationRef<'_, E>,
    ) -> Result<(), Error> {
        if !is_slashable_attestation_data(attestation_1.data(), attestation_2.data()) {
            return Err(Error::NotSlashable);
        }
        let second: BTreeSet<_> = attestation_2.attesting_indices().iter().copied().collect();
        for i in attestation_1.attesting_indices() {
            if second.contains(i) && self.equivocating_indices.insert(*i) {
                // The new equivocator's weight comes off at the next full visit of the votes.
                self.moved_votes.0 = None;
            }
        }
        Ok(())
    }

    /// `get_head`: applies the votes and proposer boost changed since the last call, then walks the
    /// viable branches from the justified block. Prunes below the finalized block when it is deep.
    pub fn get_head(&mut self, balances: &mut impl BalancesSource) -> Result<Hash256, Error> {
        self.apply_changes(balances)?;
        let head = self
            .proto_array
            .find_head(&self.justified_checkpoint.root)?;
        self.proto_array
            .maybe_prune(&self.finalized_checkpoint.root, self.config.prune_threshold)?;
        Ok(head)
    }

    /// Bring node weights and best descendants up to date with the votes, balances, boost and time.
    pub(crate) fn apply_changes(
        &mut self,
        balances: &mut impl BalancesSource,
    ) -> Result<(), Error> {
        let justified = self.justified_checkpoint;
        // On a new justified checkpoint, votes are re-weighed: off with the old, on with the new.
        let mut previous = None;
        if self.justified_balances.as_ref().map(|(c, _)| c) != Some(&justified) {
            let fresh = balances.justified_balances(&justified).map_err(|reason| {
                Error::JustifiedBalances {
                    epoch: justified.epoch,
                    root: justified.root,
                    reason,
                }
            })?;
            previous = self.justified_balances.replace((justified, fresh));
        }
        let Some((_, current)) = &self.justified_balances else {
            return Err(Error::Inconsistent("no justified balances".into()));
        };
        let old_weights = previous
            .as_ref()
            .map_or(&current.weights, |(_, b)| &b.weights);
        // Equivocators' votes are cleared for good below: the persisted votes follow.
        for &i in &self.equivocating_indices {
            let index = i as usize;
            if self
                .votes
                .get(index)
                .is_some_and(|v| *v != VoteTracker::default())
            {
                self.persisted.vote_changed(index);
            }
        }
        // With the same balances and no new equivocator, only the votes that moved change weights.
        let moved = match self.moved_votes.0.take() {
            Some(moved) if previous.is_none() => Some(moved),
            _ => None,
        };
        let mut deltas = match &moved {
            Some(moved) => crate::votes::compute_moved_deltas(
                &self.proto_array,
                &mut self.votes,
                moved,
                &current.weights,
            )?,
            None => crate::votes::compute_deltas(
                &self.proto_array,
                &mut self.votes,
                old_weights,
                &current.weights,
                &self.equivocating_indices,
            )?,
        };
        self.moved_votes.0 = Some(moved.map_or_else(Vec::new, |mut m| {
            m.clear();
            m
        }));
        // Proposer boost: take back the old, add the new (`get_proposer_score`).
        if let Some((root, score)) = self.applied_boost.take() {
            if let Some(i) = self.proto_array.index_of(&root) {
                deltas[i] = deltas[i]
                    .checked_sub(i64::try_from(score).map_err(|_| Error::Overflow("boost"))?)
                    .ok_or(Error::Overflow("boost"))?;
            }
        }
        if self.proposer_boost_root != Hash256::ZERO {
            if let Some(i) = self.proto_array.index_of(&self.proposer_boost_root) {
                let score = self.proposer_score()?;
                deltas[i] = deltas[i]
                    .checked_add(i64::try_from(score).map_err(|_| Error::Overflow("boost"))?)
                    .ok_or(Error::Overflow("boost"))?;
                self.applied_boost = Some((self.proposer_boost_root, score));
            }
        }
        let viability = Viability {
            current_epoch: self.current_epoch(),
            justified: self.justified_checkpoint,
            finalized: self.finalized_checkpoint,
            slots_per_epoch: self.config.slots_per_epoch,
        };
        self.proto_array
            .apply_score_changes(&mut deltas, &viability)
    }

    /// `get_proposer_score`: the boost, from the justified checkpoint state's active balance of
    /// unslashed validators (the vectors of 1.7.0-beta.4 leave slashed validators out of the boost).
    pub(crate) fn proposer_score(&self) -> Result<Gwei, Error> {
        self.fraction_of(self.config.proposer_score_boost, |b| {
            b.total_unslashed_active_balance
        })
    }

    /// `calculate_committee_fraction` of the justified checkpoint state.
    pub(crate) fn committee_fraction(&self, percent: u64) -> Result<Gwei, Error> {
        self.fraction_of(percent, |b| b.total_active_balance)
    }

    fn fraction_of(
        &self,
        percent: u64,
        total: impl Fn(&JustifiedBalances) -> Gwei,
    ) -> Result<Gwei, Error> {
        let (_, balances) = self
            .justified_balances
            .as_ref()
            .ok_or(Error::Inconsistent("no justified balances".into()))?;
        let committee_weight = total(balances) / self.config.slots_per_epoch;
        committee_weight
            .checked_mul(percent)
            .map(|w| w / 100)
            .ok_or(Error::Overflow("committee fraction"))
    }

    /// `on_valid_execution_payload`: the engine found `root`'s payload valid, so it and its ancestors
    /// are valid.
    pub fn on_valid_execution_payload(&mut self, root: &Hash256) -> Result<(), Error> {
        self.proto_array.propagate_valid(root)
    }

    /// An `INVALID` engine verdict with its `latest_valid_hash` (`sync/optimistic.md`): invalidates the
    /// block and its ancestors back to the latest valid one, and all their descendants; none of them
    /// can be head again. Returns the block roots newly invalidated.
    pub fn on_invalid_execution_payload(
        &mut self,
        target: InvalidPayloadTarget,
        latest_valid_hash: Option<ExecutionBlockHash>,
    ) -> Result<Vec<Hash256>, Error> {
        let (start, include_start) = match target {
            InvalidPayloadTarget::Block(root) => (
                self.proto_array
                    .index_of(&root)
                    .ok_or(Error::UnknownBlock(root))?,
                true,
            ),
            InvalidPayloadTarget::HeadHash(hash) => (
                self.proto_array
                    .nodes
                    .iter()
                    .rposition(|n| n.execution_block_hash == hash)
                    .ok_or(Error::UnknownExecutionBlockHash(hash))?,
                true,
            ),
            InvalidPayloadTarget::UnimportedChild { parent_root } => (
                self.proto_array
                    .index_of(&parent_root)
                    .ok_or(Error::UnknownBlock(parent_root))?,
                false,
            ),
        };
        let invalidated = self
            .proto_array
            .invalidate(start, include_start, latest_valid_hash)?;
        if !invalidated.is_empty() {
            tracing::warn!(
                count = invalidated.len(),
                "fork choice: blocks invalidated by the engine"
            );
        }
        Ok(invalidated)
    }

    /// Drop blocks that do not descend from the finalized block (whatever the threshold).
    pub fn prune(&mut self) -> Result<usize, Error> {
        self.proto_array
            .maybe_prune(&self.finalized_checkpoint.root, 0)
    }
}
