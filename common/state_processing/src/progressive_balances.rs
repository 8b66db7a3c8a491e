//! Per-epoch balance caches that block processing keeps current as it goes: the effective balance and
//! slashed flag of every validator ([`EpochValidatorCache`], read per attester instead of walking the
//! registry tree), and the participating balances per flag ([`ProgressiveBalancesCache`]), which give
//! fork choice the unrealized justification and finalization of a state without a pass over the
//! registry.
//!
//! Both are built for one epoch, from the state at any slot of it ([`EpochValidatorCache::new`],
//! [`ProgressiveBalancesCache::new`]) or by epoch processing for the epoch it starts, and stay valid
//! through the epoch because effective balances only change in epoch processing (or at a fork upgrade,
//! after which the caches are dropped), while block processing reports what changes the totals: new
//! participation flags ([`ProgressiveBalancesCache::on_new_flags`]) and slashings
//! ([`ProgressiveBalancesCache::on_slashing`]).

use crate::common::{
    get_current_epoch, get_previous_epoch, has_flag, is_active_validator, safe_add,
    PARTICIPATION_FLAG_WEIGHTS, TIMELY_TARGET_FLAG_INDEX,
};
use crate::per_epoch::weigh_checkpoints;
use crate::{Result, StateError};
use std::sync::Arc;
use types::{
    BeaconState, Checkpoint, Epoch, EthSpec, Gwei, Validator, ValidatorIndex, GENESIS_EPOCH,
};

const FLAG_COUNT: usize = PARTICIPATION_FLAG_WEIGHTS.len();

/// The effective balance and slashed flag of every validator of a state during one epoch, contiguous
/// (shared between clones; a slashing copies the flags on write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochValidatorCache {
    epoch: Epoch,
    effective_balances: Arc<Vec<Gwei>>,
    slashed: Arc<Vec<bool>>,
}

impl EpochValidatorCache {
    /// Read every validator of `state` (one pass over the registry).
    pub fn new<E: EthSpec>(state: &BeaconState<E>) -> Self {
        let n = state.validators().len();
        let mut effective_balances = Vec::with_capacity(n);
        let mut slashed = Vec::with_capacity(n);
        for v in state.validators().iter() {
            effective_balances.push(v.effective_balance);
            slashed.push(v.slashed);
        }
        Self::from_parts(get_current_epoch(state), effective_balances, slashed)
    }

    /// From vectors epoch processing already holds (`epoch` is the epoch they are valid for).
    pub(crate) fn from_parts(
        epoch: Epoch,
        effective_balances: Vec<Gwei>,
        slashed: Vec<bool>,
    ) -> Self {
        Self {
            epoch,
            effective_balances: Arc::new(effective_balances),
            slashed: Arc::new(slashed),
        }
    }

    /// The epoch the values hold for.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// How many validators are covered (validators added later in the epoch are not).
    pub fn len(&self) -> usize {
        self.effective_balances.len()
    }

    /// Whether no validator is covered.
    pub fn is_empty(&self) -> bool {
        self.effective_balances.is_empty()
    }

    /// Every covered validator's effective balance, by index.
    pub fn effective_balances(&self) -> &[Gwei] {
        &self.effective_balances
    }

    /// The effective balance of validator `index`, if covered.
    pub fn effective_balance(&self, index: ValidatorIndex) -> Option<Gwei> {
        self.effective_balances.get(index as usize).copied()
    }

    /// Whether validator `index` is slashed, if covered.
    pub fn is_slashed(&self, index: ValidatorIndex) -> Option<bool> {
        self.slashed.get(index as usize).copied()
    }

    /// Record that validator `index` was slashed.
    pub fn on_slashing(&mut self, index: ValidatorIndex) {
        if let Some(flag) = Arc::make_mut(&mut self.slashed).get_mut(index as usize) {
            *flag = true;
        }
    }
}

/// The unslashed participating balance of each flag in the previous and current epochs (what
/// `get_total_balance(state, get_unslashed_participating_indices(state, flag, epoch))` sums, before its
/// floor), and the current epoch's total active balance, for the state's current epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressiveBalancesCache {
    epoch: Epoch,
    /// At genesis the previous epoch is the current one: `previous` mirrors the current participation.
    previous_is_current: bool,
    total_active_balance: Gwei,
    previous: [Gwei; FLAG_COUNT],
    current: [Gwei; FLAG_COUNT],
}

impl ProgressiveBalancesCache {
    /// Compute the totals from `state` (one pass over the registry and both participation lists). At
    /// genesis the previous epoch is the current one, and both read the current participation, as
    /// `get_unslashed_participating_indices` does.
    pub fn new<E: EthSpec>(state: &BeaconState<E>) -> Result<Self> {
        progressive_pass(state, |_| {})
    }

    /// All totals zero, for `epoch`.
    pub(crate) fn empty(epoch: Epoch) -> Self {
        Self {
            epoch,
            previous_is_current: epoch == GENESIS_EPOCH,
            total_active_balance: 0,
            previous: [0; FLAG_COUNT],
            current: [0; FLAG_COUNT],
        }
    }

    /// The totals of a new epoch, as epoch processing computes them: `previous` per flag (the ending
    /// epoch's current participation with the new effective balances) and the new total active balance;
    /// the new current epoch has no participation yet.
    pub(crate) fn for_new_epoch(
        epoch: Epoch,
        total_active_balance: Gwei,
        previous: [Gwei; FLAG_COUNT],
    ) -> Self {
        Self {
            epoch,
            previous_is_current: epoch == GENESIS_EPOCH,
            total_active_balance,
            previous,
            current: [0; FLAG_COUNT],
        }
    }

    /// The state's current epoch the totals belong to.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// `get_total_active_balance` (floored at `EFFECTIVE_BALANCE_INCREMENT`).
    pub fn total_active_balance<E: EthSpec>(&self) -> Gwei {
        self.total_active_balance
            .max(E::EFFECTIVE_BALANCE_INCREMENT)
    }

    /// `get_total_balance(state, get_unslashed_participating_indices(state, flag_index,
    /// previous_epoch))`, floored as the spec floors it.
    pub fn previous_epoch_flag_attesting_balance<E: EthSpec>(
        &self,
        flag_index: usize,
    ) -> Result<Gwei> {
        flag_total(&self.previous, flag_index).map(|b| b.max(E::EFFECTIVE_BALANCE_INCREMENT))
    }

    /// As [`Self::previous_epoch_flag_attesting_balance`], for the current epoch.
    pub fn current_epoch_flag_attesting_balance<E: EthSpec>(
        &self,
        flag_index: usize,
    ) -> Result<Gwei> {
        flag_total(&self.current, flag_index).map(|b| b.max(E::EFFECTIVE_BALANCE_INCREMENT))
    }

    /// The previous epoch's timely-target balance (`process_justification_and_finalization`'s
    /// `previous_target_balance`).
    pub fn previous_epoch_target_attesting_balance<E: EthSpec>(&self) -> Gwei {
        self.previous[TIMELY_TARGET_FLAG_INDEX].max(E::EFFECTIVE_BALANCE_INCREMENT)
    }

    /// The current epoch's timely-target balance (`current_target_balance`).
    pub fn current_epoch_target_attesting_balance<E: EthSpec>(&self) -> Gwei {
        self.current[TIMELY_TARGET_FLAG_INDEX].max(E::EFFECTIVE_BALANCE_INCREMENT)
    }

    /// An unslashed validator with `effective_balance` gained the flags of `new_flags` (flags it did not
    /// have) in the current (`is_current`) or previous epoch's participation.
    pub fn on_new_flags(
        &mut self,
        is_current: bool,
        new_flags: u8,
        effective_balance: Gwei,
    ) -> Result<()> {
        if is_current {
            add_flags(&mut self.current, new_flags, effective_balance)?;
        }
        if !is_current || self.previous_is_current {
            add_flags(&mut self.previous, new_flags, effective_balance)?;
        }
        Ok(())
    }

    /// A validator with `effective_balance` and these participation flags (`previous_flags` from the
    /// list the previous epoch reads: the current one at genesis) was slashed: it leaves the unslashed
    /// totals (it stays in the total active balance).
    pub fn on_slashing(
        &mut self,
        previous_flags: u8,
        current_flags: u8,
        effective_balance: Gwei,
    ) -> Result<()> {
        for (totals, flags) in [
            (&mut self.previous, previous_flags),
            (&mut self.current, current_flags),
        ] {
            for (flag_index, total) in totals.iter_mut().enumerate() {
                if has_flag(flags, flag_index) {
                    *total = total.checked_sub(effective_balance).ok_or_else(|| {
                        StateError::Other("progressive balance below a slashed balance".into())
                    })?;
                }
            }
        }
        Ok(())
    }
}

fn flag_total(totals: &[Gwei; FLAG_COUNT], flag_index: usize) -> Result<Gwei> {
    totals
        .get(flag_index)
        .copied()
        .ok_or_else(|| StateError::Other(format!("unknown flag index {flag_index}")))
}

pub(crate) fn add_flags(totals: &mut [Gwei; FLAG_COUNT], flags: u8, balance: Gwei) -> Result<()> {
    for (flag_index, total) in totals.iter_mut().enumerate() {
        if has_flag(flags, flag_index) {
            *total = safe_add(*total, balance)?;
        }
    }
    Ok(())
}

/// Both caches of `state`'s current epoch in one pass over the registry and the participation lists.
pub fn build_epoch_caches<E: EthSpec>(
    state: &BeaconState<E>,
) -> Result<(EpochValidatorCache, ProgressiveBalancesCache)> {
    let n = state.validators().len();
    let mut effective_balances = Vec::with_capacity(n);
    let mut slashed = Vec::with_capacity(n);
    let progressive = progressive_pass(state, |v| {
        effective_balances.push(v.effective_balance);
        slashed.push(v.slashed);
    })?;
    let validators =
        EpochValidatorCache::from_parts(progressive.epoch, effective_balances, slashed);
    Ok((validators, progressive))
}

/// The pass [`ProgressiveBalancesCache::new`] and [`build_epoch_caches`] share: the totals of `state`'s
/// current epoch, handing every validator to `each` in index order on the way.
fn progressive_pass<E: EthSpec>(
    state: &BeaconState<E>,
    mut each: impl FnMut(&Validator),
) -> Result<ProgressiveBalancesCache> {
    let current_epoch = get_current_epoch(state);
    let previous_epoch = get_previous_epoch(state);
    let validators = state.validators();
    let previous_list = if previous_epoch == current_epoch {
        state.current_epoch_participation()
    } else {
        state.previous_epoch_participation()
    };
    let current_list = state.current_epoch_participation();
    if previous_list.len() != validators.len() || current_list.len() != validators.len() {
        return Err(StateError::Other(
            "participation list length differs from the registry".into(),
        ));
    }
    let mut cache = ProgressiveBalancesCache::empty(current_epoch);
    for ((v, &previous_flags), &current_flags) in validators
        .iter()
        .zip(previous_list.iter())
        .zip(current_list.iter())
    {
        each(v);
        if is_active_validator(v, current_epoch) {
            cache.total_active_balance = safe_add(cache.total_active_balance, v.effective_balance)?;
            if !v.slashed {
                add_flags(&mut cache.current, current_flags, v.effective_balance)?;
            }
        }
        if is_active_validator(v, previous_epoch) && !v.slashed {
            add_flags(&mut cache.previous, previous_flags, v.effective_balance)?;
        }
    }
    Ok(cache)
}

/// The checkpoints `process_justification_and_finalization` would leave on `state` now (fork choice's
/// unrealized justification and finalization), from the progressive totals instead of a pass over the
/// registry: `(current_justified_checkpoint, finalized_checkpoint)`. `cache` must be the state's, for its
/// current epoch.
pub fn compute_unrealized_checkpoints<E: EthSpec>(
    state: &BeaconState<E>,
    cache: &ProgressiveBalancesCache,
) -> Result<(Checkpoint, Checkpoint)> {
    let current_epoch = get_current_epoch(state);
    if cache.epoch() != current_epoch {
        return Err(StateError::EpochOutOfRange {
            epoch: cache.epoch(),
            current_epoch,
        });
    }
    if current_epoch <= GENESIS_EPOCH + 1 {
        return Ok((
            state.current_justified_checkpoint(),
            state.finalized_checkpoint(),
        ));
    }
    let outcome = weigh_checkpoints(
        state,
        cache.total_active_balance::<E>(),
        cache.previous_epoch_target_attesting_balance::<E>(),
        cache.current_epoch_target_attesting_balance::<E>(),
    )?;
    Ok((outcome.current_justified, outcome.finalized))
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec;

    type E = MinimalEthSpec;
    const ETH: Gwei = 1_000_000_000;

    #[test]
    fn new_flags_and_slashings_move_the_totals() {
        let mut cache = ProgressiveBalancesCache::for_new_epoch(3, 64 * ETH, [0; 3]);
        cache.on_new_flags(true, 0b011, 32 * ETH).unwrap();
        cache.on_new_flags(false, 0b010, 32 * ETH).unwrap();
        assert_eq!(
            cache.current_epoch_target_attesting_balance::<E>(),
            32 * ETH
        );
        assert_eq!(
            cache.previous_epoch_target_attesting_balance::<E>(),
            32 * ETH
        );
        assert_eq!(
            cache.current_epoch_flag_attesting_balance::<E>(0).unwrap(),
            32 * ETH
        );
        cache.on_slashing(0b010, 0b001, 32 * ETH).unwrap();
        // Empty totals read as the spec's floor of one increment.
        assert_eq!(
            cache.previous_epoch_target_attesting_balance::<E>(),
            E::EFFECTIVE_BALANCE_INCREMENT
        );
        assert_eq!(
            cache.current_epoch_target_attesting_balance::<E>(),
            32 * ETH
        );
        assert!(cache.current_epoch_flag_attesting_balance::<E>(3).is_err());
        // A slashing larger than what was counted means the cache went wrong: an error, not a wrap.
        assert!(cache.on_slashing(0, 0b010, 64 * ETH).is_err());
    }

    #[test]
    fn at_genesis_the_previous_totals_mirror_the_current_ones() {
        let mut cache = ProgressiveBalancesCache::empty(GENESIS_EPOCH);
        cache.on_new_flags(true, 0b111, 32 * ETH).unwrap();
        assert_eq!(
            cache.previous_epoch_target_attesting_balance::<E>(),
            32 * ETH
        );
        let mut later = ProgressiveBalancesCache::empty(1);
        later.on_new_flags(true, 0b111, 32 * ETH).unwrap();
        assert_eq!(
            later.previous_epoch_target_attesting_balance::<E>(),
            E::EFFECTIVE_BALANCE_INCREMENT
        );
    }

    #[test]
    fn a_slashing_copies_the_shared_flags_on_write() {
        let cache = EpochValidatorCache::from_parts(1, vec![32 * ETH; 4], vec![false; 4]);
        let mut copy = cache.clone();
        copy.on_slashing(2);
        assert_eq!(copy.is_slashed(2), Some(true));
        assert_eq!(cache.is_slashed(2), Some(false));
        assert_eq!(copy.is_slashed(9), None);
        assert_eq!(copy.effective_balance(3), Some(32 * ETH));
    }
}
