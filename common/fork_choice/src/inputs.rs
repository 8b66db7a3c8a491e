//! What fork choice takes from its caller besides blocks and votes: the configuration, the justified
//! checkpoint state's balances (through a [`BalancesSource`]) and the fields it reads of a block.

use crate::error::Error;
use state_processing::common::{get_current_epoch, get_total_active_balance, is_active_validator};
use state_processing::StateCaches;
use types::{
    BeaconBlock, BeaconState, BlindedBeaconBlock, ChainSpec, Checkpoint, Epoch, EthSpec,
    ExecutionBlockHash, Gwei, Hash256, Slot, ValidatorIndex,
};

/// `GENESIS_EPOCH`.
pub const GENESIS_EPOCH: Epoch = 0;
/// `BASIS_POINTS`.
pub const BASIS_POINTS: u64 = 10_000;

/// The constants fork choice reads: from the `ChainSpec` and preset, plus the fork-choice
/// configuration values the spec defines (`REORG_*`, the slot component deadlines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkChoiceConfig {
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
    /// `SLOT_DURATION_MS`.
    pub slot_duration_ms: u64,
    /// `PROPOSER_SCORE_BOOST` (percent of a committee's weight).
    pub proposer_score_boost: u64,
    /// `REORG_HEAD_WEIGHT_THRESHOLD` (percent).
    pub reorg_head_weight_threshold: u64,
    /// `REORG_PARENT_WEIGHT_THRESHOLD` (percent).
    pub reorg_parent_weight_threshold: u64,
    /// `REORG_MAX_EPOCHS_SINCE_FINALIZATION`.
    pub reorg_max_epochs_since_finalization: u64,
    /// `PROPOSER_REORG_CUTOFF_BPS`.
    pub proposer_reorg_cutoff_bps: u64,
    /// `ATTESTATION_DUE_BPS`.
    pub attestation_due_bps: u64,
    /// `MIN_SEED_LOOKAHEAD`.
    pub min_seed_lookahead: u64,
    /// Prune below the finalized block once it sits this deep in the array.
    pub prune_threshold: usize,
    /// `FULU_FORK_EPOCH`: from Fulu the proposer lookahead (EIP-7917) fixes the next epoch's
    /// proposers in advance, so proposer re-orgs are allowed at epoch boundaries (as the vectors of
    /// 1.7.0-beta.4 expect).
    pub fulu_fork_epoch: Epoch,
}

impl ForkChoiceConfig {
    /// The spec's values for `spec` and the preset `E`.
    pub fn new<E: EthSpec>(spec: &ChainSpec) -> Self {
        Self {
            slots_per_epoch: E::slots_per_epoch(),
            slot_duration_ms: spec.slot_duration_ms,
            proposer_score_boost: spec.proposer_score_boost,
            reorg_head_weight_threshold: 20,
            reorg_parent_weight_threshold: 160,
            reorg_max_epochs_since_finalization: 2,
            proposer_reorg_cutoff_bps: 1667,
            attestation_due_bps: 3333,
            min_seed_lookahead: E::MIN_SEED_LOOKAHEAD,
            prune_threshold: 256,
            fulu_fork_epoch: spec.fulu_fork_epoch,
        }
    }

    /// `compute_epoch_at_slot`.
    pub fn epoch_at_slot(&self, slot: Slot) -> Epoch {
        slot / self.slots_per_epoch
    }

    /// `compute_start_slot_at_epoch`.
    pub fn start_slot(&self, epoch: Epoch) -> Slot {
        epoch.saturating_mul(self.slots_per_epoch)
    }

    /// `get_slot_component_duration_ms`.
    pub fn slot_component_duration_ms(&self, basis_points: u64) -> u64 {
        basis_points * self.slot_duration_ms / BASIS_POINTS
    }
}

/// The justified checkpoint state's balances (`store.checkpoint_states[store.justified_checkpoint]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JustifiedBalances {
    /// Every validator's effective balance.
    pub effective_balances: Vec<Gwei>,
    /// The effective balance of active unslashed validators, zero for the others (a vote's weight).
    pub weights: Vec<Gwei>,
    /// `get_total_active_balance`.
    pub total_active_balance: Gwei,
    /// The same over unslashed validators only (at least one increment): the proposer boost's base.
    pub total_unslashed_active_balance: Gwei,
}

impl JustifiedBalances {
    /// Read from the checkpoint state (the checkpoint block's state advanced to the epoch's first slot).
    pub fn from_state<E: EthSpec>(state: &BeaconState<E>) -> Result<Self, Error> {
        let epoch = get_current_epoch(state);
        let mut effective_balances = Vec::with_capacity(state.validators().len());
        let mut weights = Vec::with_capacity(state.validators().len());
        for v in state.validators().iter() {
            effective_balances.push(v.effective_balance);
            let counts = is_active_validator(v, epoch) && !v.slashed;
            weights.push(if counts { v.effective_balance } else { 0 });
        }
        Ok(Self::from_weights::<E>(
            effective_balances,
            weights,
            get_total_active_balance(state)?,
        ))
    }

    /// [`Self::from_state`] from `caches` where they hold the state's epoch (its active set, effective
    /// balances and slashed flags): a justified checkpoint moves at an epoch's start, when a read of
    /// the registry's tree would cost about a hundred milliseconds at 2^20 validators on the block's path.
    pub fn from_state_with_caches<E: EthSpec>(
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<Self, Error> {
        let epoch = get_current_epoch(state);
        let n = state.validators().len();
        let (Some(validators), Some(committees)) = (
            caches
                .epoch_validators()
                .filter(|c| c.epoch() == epoch && c.len() == n),
            caches.committee_cache(epoch),
        ) else {
            return Self::from_state(state);
        };
        let effective_balances = validators.effective_balances().to_vec();
        let mut weights = vec![0; n];
        for &index in committees.active_validator_indices() {
            let i = index as usize;
            if validators.is_slashed(index) == Some(false) && i < n {
                weights[i] = effective_balances[i];
            }
        }
        Ok(Self::from_weights::<E>(
            effective_balances,
            weights,
            caches.get_total_active_balance(state)?,
        ))
    }

    fn from_weights<E: EthSpec>(
        effective_balances: Vec<Gwei>,
        weights: Vec<Gwei>,
        total_active_balance: Gwei,
    ) -> Self {
        let unslashed: Gwei = weights.iter().sum();
        Self {
            effective_balances,
            weights,
            total_active_balance,
            total_unslashed_active_balance: unslashed.max(E::EFFECTIVE_BALANCE_INCREMENT),
        }
    }
}

/// Where fork choice gets the justified checkpoint state's balances when the justified checkpoint
/// changes. A closure `FnMut(&Checkpoint) -> Result<JustifiedBalances, String>` is one.
pub trait BalancesSource {
    /// The balances of `checkpoint`'s state, or why they cannot be had.
    fn justified_balances(&mut self, checkpoint: &Checkpoint) -> Result<JustifiedBalances, String>;
}

impl<F: FnMut(&Checkpoint) -> Result<JustifiedBalances, String>> BalancesSource for F {
    fn justified_balances(&mut self, checkpoint: &Checkpoint) -> Result<JustifiedBalances, String> {
        self(checkpoint)
    }
}

/// What fork choice reads of a block (full or blinded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSummary {
    pub root: Hash256,
    pub slot: Slot,
    pub parent_root: Hash256,
    pub proposer_index: ValidatorIndex,
    /// The execution payload's block hash.
    pub execution_block_hash: ExecutionBlockHash,
}

impl BlockSummary {
    /// From a full block (hashing it for its root).
    pub fn from_block<E: EthSpec>(block: &BeaconBlock<E>) -> Self {
        let execution_block_hash = match block {
            BeaconBlock::Capella(b) => b.body.execution_payload.block_hash,
            BeaconBlock::Deneb(b) => b.body.execution_payload.block_hash,
            BeaconBlock::Electra(b) => b.body.execution_payload.block_hash,
            BeaconBlock::Fulu(b) => b.body.execution_payload.block_hash,
        };
        Self {
            root: block.canonical_root(),
            slot: block.slot(),
            parent_root: block.parent_root(),
            proposer_index: block.proposer_index(),
            execution_block_hash,
        }
    }

    /// From a blinded block (same root as its full form).
    pub fn from_blinded_block<E: EthSpec>(block: &BlindedBeaconBlock<E>) -> Self {
        let execution_block_hash = match block {
            BlindedBeaconBlock::Capella(b) => b.body.execution_payload_header.block_hash,
            BlindedBeaconBlock::Deneb(b) => b.body.execution_payload_header.block_hash,
            BlindedBeaconBlock::Electra(b) => b.body.execution_payload_header.block_hash,
            BlindedBeaconBlock::Fulu(b) => b.body.execution_payload_header.block_hash,
        };
        Self {
            root: block.canonical_root(),
            slot: block.slot(),
            parent_root: block.parent_root(),
            proposer_index: block.proposer_index(),
            execution_block_hash,
        }
    }
}
