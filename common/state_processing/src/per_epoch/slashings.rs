//! `process_slashings`: the correlation penalty for validators halfway to withdrawable after a slashing
//! (Bellatrix multiplier; Electra computes the penalty per effective-balance increment).

use crate::common::{decrease_balance, get_current_epoch, is_active_validator, safe_add};
use crate::{Result, StateError};
use types::{BeaconState, EthSpec};

/// `process_slashings` for the state's fork.
pub fn process_slashings<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let Some(halfway) = slashings_halfway_epoch(state)? else {
        return Ok(());
    };
    let epoch = get_current_epoch(state);
    // One pass over the registry: `get_total_active_balance` and the validators to penalise together.
    let mut active_balance: u64 = 0;
    let mut to_penalise = vec![];
    for (index, v) in state.validators().iter().enumerate() {
        if is_active_validator(v, epoch) {
            active_balance = safe_add(active_balance, v.effective_balance)?;
        }
        if v.slashed && v.withdrawable_epoch == halfway {
            to_penalise.push((index as u64, v.effective_balance));
        }
    }
    for (index, penalty) in slashing_penalties(state, active_balance, &to_penalise)? {
        decrease_balance(state, index, penalty)?;
    }
    Ok(())
}

/// The withdrawable epoch of the validators `process_slashings` penalises (`epoch +
/// EPOCHS_PER_SLASHINGS_VECTOR // 2`), or `None` when no slashing is recorded (every penalty would be
/// zero, so the step can be skipped).
pub(crate) fn slashings_halfway_epoch<E: EthSpec>(state: &BeaconState<E>) -> Result<Option<u64>> {
    let mut sum_slashings: u64 = 0;
    for s in state.slashings().iter() {
        sum_slashings = safe_add(sum_slashings, *s)?;
    }
    if sum_slashings == 0 {
        return Ok(None);
    }
    get_current_epoch(state)
        .checked_add(E::epochs_per_slashings_vector() as u64 / 2)
        .map(Some)
        .ok_or(StateError::Overflow)
}

/// The penalties of `process_slashings` for `to_penalise` (`(index, effective_balance)` of each slashed
/// validator at the halfway epoch), given the current epoch's total active effective balance.
pub(crate) fn slashing_penalties<E: EthSpec>(
    state: &BeaconState<E>,
    active_balance: u64,
    to_penalise: &[(u64, u64)],
) -> Result<Vec<(u64, u64)>> {
    let mut sum_slashings: u64 = 0;
    for s in state.slashings().iter() {
        sum_slashings = safe_add(sum_slashings, *s)?;
    }
    let total_balance = active_balance.max(E::EFFECTIVE_BALANCE_INCREMENT);
    let adjusted_total_slashing_balance = sum_slashings
        .checked_mul(E::PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX)
        .ok_or(StateError::Overflow)?
        .min(total_balance);
    let increment = E::EFFECTIVE_BALANCE_INCREMENT;
    let electra = state.fork_name().electra_enabled();
    let penalty_per_increment =
        adjusted_total_slashing_balance / (total_balance / increment).max(1);

    let mut penalties = Vec::with_capacity(to_penalise.len());
    for &(index, effective_balance) in to_penalise {
        let increments = effective_balance / increment;
        let penalty = if electra {
            penalty_per_increment
                .checked_mul(increments)
                .ok_or(StateError::Overflow)?
        } else {
            let numerator = increments as u128 * adjusted_total_slashing_balance as u128;
            let penalty = numerator / total_balance as u128 * increment as u128;
            u64::try_from(penalty).map_err(|_| StateError::Overflow)?
        };
        penalties.push((index, penalty));
    }
    Ok(penalties)
}
