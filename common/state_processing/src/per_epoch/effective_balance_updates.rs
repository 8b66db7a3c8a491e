//! `process_effective_balance_updates`: move effective balances towards balances, with hysteresis (capped
//! at 32 ETH before Electra, at `get_max_effective_balance` from Electra on).

use crate::common::get_max_effective_balance;
use crate::{Result, StateError};
use types::{BeaconState, EthSpec};

/// `process_effective_balance_updates` for the state's fork.
pub fn process_effective_balance_updates<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let electra = state.fork_name().electra_enabled();
    let hysteresis_increment = E::EFFECTIVE_BALANCE_INCREMENT / E::HYSTERESIS_QUOTIENT;
    let downward_threshold = hysteresis_increment * E::HYSTERESIS_DOWNWARD_MULTIPLIER;
    let upward_threshold = hysteresis_increment * E::HYSTERESIS_UPWARD_MULTIPLIER;

    let mut updates = vec![];
    let balances = state.balances();
    if balances.len() != state.validators().len() {
        return Err(StateError::Other(
            "balances and validators differ in length".into(),
        ));
    }
    for (index, (v, &balance)) in state.validators().iter().zip(balances.iter()).enumerate() {
        let max_effective_balance = if electra {
            get_max_effective_balance::<E>(v)
        } else {
            E::MAX_EFFECTIVE_BALANCE
        };
        if balance.saturating_add(downward_threshold) < v.effective_balance
            || v.effective_balance.saturating_add(upward_threshold) < balance
        {
            let effective_balance =
                (balance - balance % E::EFFECTIVE_BALANCE_INCREMENT).min(max_effective_balance);
            if effective_balance != v.effective_balance {
                updates.push((index, effective_balance));
            }
        }
    }
    let validators = state.validators_mut();
    for (index, effective_balance) in updates {
        validators
            .get_mut(index)
            .ok_or(StateError::UnknownValidator(index as u64))?
            .effective_balance = effective_balance;
    }
    Ok(())
}
