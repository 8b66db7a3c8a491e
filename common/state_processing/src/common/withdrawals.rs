//! Withdrawals as consensus-specs 1.7.0b4 defines them: the validator sweep (capella), preceded from
//! Electra on by pending partial withdrawals, and the state updates `process_withdrawals` makes.

use super::accessors::get_current_epoch;
use super::math::{safe_add, safe_sub};
use super::predicates::{
    get_max_effective_balance, is_eligible_for_partial_withdrawals,
    is_fully_withdrawable_validator, is_partially_withdrawable_validator,
};
use crate::common::mutators::decrease_balance;
use crate::{Result, StateError};
use types::{Address, BeaconState, EthSpec, Gwei, ValidatorIndex, Withdrawal, WithdrawalIndex};

/// `ExpectedWithdrawals` (1.7): the withdrawals of the next payload and how far each queue advanced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpectedWithdrawals {
    /// The withdrawals the next payload must carry, in order.
    pub withdrawals: Vec<Withdrawal>,
    /// Pending partial withdrawals consumed (always 0 before Electra).
    pub processed_partial_withdrawals_count: u64,
    /// Validators visited by the sweep.
    pub processed_validators_sweep_count: u64,
}

/// The execution address of a `0x01`/`0x02` credential: its last 20 bytes.
fn withdrawal_address(credentials: &types::Hash256) -> Address {
    Address::from_slice(&credentials[12..])
}

/// `get_balance_after_withdrawals` (1.7): the balance minus what `withdrawals` already take from it.
pub fn get_balance_after_withdrawals<E: EthSpec>(
    state: &BeaconState<E>,
    validator_index: ValidatorIndex,
    withdrawals: &[Withdrawal],
) -> Result<Gwei> {
    let mut withdrawn: Gwei = 0;
    for w in withdrawals {
        if w.validator_index == validator_index {
            withdrawn = safe_add(withdrawn, w.amount)?;
        }
    }
    let balance = *state
        .balances()
        .get(validator_index as usize)
        .ok_or(StateError::UnknownValidator(validator_index))?;
    safe_sub(balance, withdrawn)
}

/// `get_validators_sweep_withdrawals` (1.7): full and partial withdrawals of the sweep starting at
/// `next_withdrawal_validator_index`, after `prior_withdrawals`. Returns the withdrawals, the next
/// withdrawal index and the number of validators visited.
pub fn get_validators_sweep_withdrawals<E: EthSpec>(
    state: &BeaconState<E>,
    mut withdrawal_index: WithdrawalIndex,
    prior_withdrawals: &[Withdrawal],
) -> Result<(Vec<Withdrawal>, WithdrawalIndex, u64)> {
    let epoch = get_current_epoch(state);
    let fork = state.fork_name();
    let validators = state.validators();
    let validator_count = validators.len() as u64;
    let validators_limit = validator_count.min(E::MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP);
    let withdrawals_limit = E::max_withdrawals_per_payload();
    if prior_withdrawals.len() >= withdrawals_limit {
        return Err(StateError::Other(
            "no room left for validator sweep withdrawals".into(),
        ));
    }

    // `prior_withdrawals` followed by this step's withdrawals, which are split off at the end.
    let mut all: Vec<Withdrawal> = prior_withdrawals.to_vec();
    let mut processed_count = 0u64;
    let mut validator_index = state.next_withdrawal_validator_index();
    for _ in 0..validators_limit {
        if all.len() >= withdrawals_limit {
            break;
        }
        let validator = validators
            .get(validator_index as usize)
            .ok_or(StateError::UnknownValidator(validator_index))?;
        let balance = get_balance_after_withdrawals(state, validator_index, &all)?;
        let amount = if is_fully_withdrawable_validator(validator, balance, epoch, fork) {
            Some(balance)
        } else if is_partially_withdrawable_validator::<E>(validator, balance, fork) {
            let max_effective_balance = if fork.electra_enabled() {
                get_max_effective_balance::<E>(validator)
            } else {
                E::MAX_EFFECTIVE_BALANCE
            };
            Some(balance - max_effective_balance)
        } else {
            None
        };
        if let Some(amount) = amount {
            all.push(Withdrawal {
                index: withdrawal_index,
                validator_index,
                address: withdrawal_address(&validator.withdrawal_credentials),
                amount,
            });
            withdrawal_index = safe_add(withdrawal_index, 1)?;
        }
        validator_index = (validator_index + 1) % validator_count;
        processed_count += 1;
    }
    let withdrawals = all.split_off(prior_withdrawals.len());
    Ok((withdrawals, withdrawal_index, processed_count))
}

/// `get_pending_partial_withdrawals` (electra, 1.7): withdrawals from the pending partial withdrawal
/// queue that are due, at most `MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP` beyond `prior_withdrawals`
/// and leaving one payload slot for the sweep. Returns the withdrawals, the next withdrawal index and the
/// number of queue entries consumed.
pub fn get_pending_partial_withdrawals<E: EthSpec>(
    state: &BeaconState<E>,
    mut withdrawal_index: WithdrawalIndex,
    prior_withdrawals: &[Withdrawal],
) -> Result<(Vec<Withdrawal>, WithdrawalIndex, u64)> {
    let epoch = get_current_epoch(state);
    let withdrawals_limit = (prior_withdrawals.len()
        + E::MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP as usize)
        .min(E::max_withdrawals_per_payload().saturating_sub(1));
    if prior_withdrawals.len() > withdrawals_limit {
        return Err(StateError::Other(
            "too many withdrawals before pending partial withdrawals".into(),
        ));
    }

    let validators = state.validators();
    // `prior_withdrawals` followed by this step's withdrawals, which are split off at the end.
    let mut all: Vec<Withdrawal> = prior_withdrawals.to_vec();
    let mut processed_count = 0u64;
    for pending in state.pending_partial_withdrawals()?.iter() {
        if pending.withdrawable_epoch > epoch || all.len() >= withdrawals_limit {
            break;
        }
        let validator_index = pending.validator_index;
        let validator = validators
            .get(validator_index as usize)
            .ok_or(StateError::UnknownValidator(validator_index))?;
        let balance = get_balance_after_withdrawals(state, validator_index, &all)?;
        if is_eligible_for_partial_withdrawals::<E>(validator, balance) {
            let amount = (balance - E::MIN_ACTIVATION_BALANCE).min(pending.amount);
            all.push(Withdrawal {
                index: withdrawal_index,
                validator_index,
                address: withdrawal_address(&validator.withdrawal_credentials),
                amount,
            });
            withdrawal_index = safe_add(withdrawal_index, 1)?;
        }
        processed_count += 1;
    }
    let withdrawals = all.split_off(prior_withdrawals.len());
    Ok((withdrawals, withdrawal_index, processed_count))
}

/// `get_expected_withdrawals` (1.7): pending partial withdrawals first (from Electra), then the sweep.
pub fn get_expected_withdrawals<E: EthSpec>(state: &BeaconState<E>) -> Result<ExpectedWithdrawals> {
    let mut withdrawal_index = state.next_withdrawal_index();
    let mut withdrawals = Vec::new();
    let mut processed_partial_withdrawals_count = 0;
    if state.fork_name().electra_enabled() {
        let (partials, next_index, processed) =
            get_pending_partial_withdrawals(state, withdrawal_index, &withdrawals)?;
        withdrawals.extend(partials);
        withdrawal_index = next_index;
        processed_partial_withdrawals_count = processed;
    }
    let (sweep, _, processed_validators_sweep_count) =
        get_validators_sweep_withdrawals(state, withdrawal_index, &withdrawals)?;
    withdrawals.extend(sweep);
    Ok(ExpectedWithdrawals {
        withdrawals,
        processed_partial_withdrawals_count,
        processed_validators_sweep_count,
    })
}

/// `apply_withdrawals` (1.7): debit every withdrawal.
pub fn apply_withdrawals<E: EthSpec>(
    state: &mut BeaconState<E>,
    withdrawals: &[Withdrawal],
) -> Result<()> {
    for w in withdrawals {
        decrease_balance(state, w.validator_index, w.amount)?;
    }
    Ok(())
}

/// `update_next_withdrawal_index` (1.7): one past the last withdrawal's index, if there was any.
pub fn update_next_withdrawal_index<E: EthSpec>(
    state: &mut BeaconState<E>,
    withdrawals: &[Withdrawal],
) -> Result<()> {
    if let Some(last) = withdrawals.last() {
        *state.next_withdrawal_index_mut() = safe_add(last.index, 1)?;
    }
    Ok(())
}

/// `update_next_withdrawal_validator_index` (1.7): after the last withdrawn validator if the payload was
/// full, else `MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP` further on.
pub fn update_next_withdrawal_validator_index<E: EthSpec>(
    state: &mut BeaconState<E>,
    withdrawals: &[Withdrawal],
) -> Result<()> {
    let validator_count = state.validators().len() as u64;
    if validator_count == 0 {
        return Err(StateError::Other("empty validator registry".into()));
    }
    let next = match withdrawals.last() {
        Some(last) if withdrawals.len() == E::max_withdrawals_per_payload() => {
            (last.validator_index + 1) % validator_count
        }
        _ => {
            safe_add(
                state.next_withdrawal_validator_index(),
                E::MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP,
            )? % validator_count
        }
    };
    *state.next_withdrawal_validator_index_mut() = next;
    Ok(())
}

/// `update_pending_partial_withdrawals` (electra, 1.7): drop the consumed queue entries.
pub fn update_pending_partial_withdrawals<E: EthSpec>(
    state: &mut BeaconState<E>,
    processed_partial_withdrawals_count: u64,
) -> Result<()> {
    let queue = state.pending_partial_withdrawals_mut()?;
    let n = (processed_partial_withdrawals_count as usize).min(queue.len());
    queue.pop_front(n)?;
    Ok(())
}
