//! `process_effective_balance_updates`: move effective balances towards balances, with hysteresis (capped
//! at 32 ETH before Electra, at `get_max_effective_balance` from Electra on).

use crate::common::get_max_effective_balance;
use crate::{Result, StateError};
use types::{BeaconState, EthSpec, Validator};

/// `process_effective_balance_updates` for the state's fork.
pub fn process_effective_balance_updates<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let electra = state.fork_name().electra_enabled();
    let mut updates = vec![];
    let balances = state.balances();
    if balances.len() != state.validators().len() {
        return Err(StateError::Other(
            "balances and validators differ in length".into(),
        ));
    }
    for (index, (v, &balance)) in state.validators().iter().zip(balances.iter()).enumerate() {
        let max_effective_balance = max_effective_balance_at::<E>(v, electra);
        if let Some(effective_balance) =
            updated_effective_balance::<E>(balance, v.effective_balance, max_effective_balance)
        {
            updates.push((index, effective_balance));
        }
    }
    write_effective_balances(state, updates)
}

/// Set the effective balances of `updates` (`(index, effective_balance)`).
pub(crate) fn write_effective_balances<E: EthSpec>(
    state: &mut BeaconState<E>,
    updates: Vec<(usize, u64)>,
) -> Result<()> {
    let validators = state.validators_mut();
    for (index, effective_balance) in updates {
        validators
            .get_mut(index)
            .ok_or(StateError::UnknownValidator(index as u64))?
            .effective_balance = effective_balance;
    }
    Ok(())
}

/// The effective-balance cap of `v`: 32 ETH before Electra, `get_max_effective_balance` from Electra on.
pub(crate) fn max_effective_balance_at<E: EthSpec>(v: &Validator, electra: bool) -> u64 {
    if electra {
        get_max_effective_balance::<E>(v)
    } else {
        E::MAX_EFFECTIVE_BALANCE
    }
}

/// One validator's step of `process_effective_balance_updates`: the new effective balance if the
/// balance left the hysteresis band and the rounded value differs, else `None`.
pub(crate) fn updated_effective_balance<E: EthSpec>(
    balance: u64,
    effective_balance: u64,
    max_effective_balance: u64,
) -> Option<u64> {
    let hysteresis_increment = E::EFFECTIVE_BALANCE_INCREMENT / E::HYSTERESIS_QUOTIENT;
    let downward_threshold = hysteresis_increment * E::HYSTERESIS_DOWNWARD_MULTIPLIER;
    let upward_threshold = hysteresis_increment * E::HYSTERESIS_UPWARD_MULTIPLIER;
    if balance.saturating_add(downward_threshold) < effective_balance
        || effective_balance.saturating_add(upward_threshold) < balance
    {
        let new = (balance - balance % E::EFFECTIVE_BALANCE_INCREMENT).min(max_effective_balance);
        if new != effective_balance {
            return Some(new);
        }
    }
    None
}
