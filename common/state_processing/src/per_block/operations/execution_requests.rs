//! Electra's execution-layer requests: `process_deposit_request`, `process_withdrawal_request`,
//! `process_consolidation_request`. Invalid requests are ignored, never a block failure.

use crate::caches::StateCaches;
use crate::common::{
    compute_consolidation_epoch_and_update_churn, compute_exit_epoch_and_update_churn,
    get_consolidation_churn_limit, get_current_epoch, get_pending_balance_to_withdraw,
    has_compounding_withdrawal_credential, has_eth1_withdrawal_credential,
    has_execution_withdrawal_credential, initiate_validator_exit, is_active_validator, safe_add,
    switch_to_compounding_validator,
};
use crate::{Result, StateError};
use types::ssz_types::typenum::Unsigned;
use types::{
    BeaconState, ChainSpec, ConsolidationRequest, DepositRequest, EthSpec, PendingConsolidation,
    PendingDeposit, PendingPartialWithdrawal, Validator, WithdrawalRequest, FAR_FUTURE_EPOCH,
};

/// `UNSET_DEPOSIT_REQUESTS_START_INDEX`.
pub const UNSET_DEPOSIT_REQUESTS_START_INDEX: u64 = u64::MAX;
/// `FULL_EXIT_REQUEST_AMOUNT`.
pub const FULL_EXIT_REQUEST_AMOUNT: u64 = 0;

fn validator<E: EthSpec>(state: &BeaconState<E>, index: u64) -> Result<&Validator> {
    state
        .validators()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))
}

/// The execution address of a credential is `source_address`.
fn is_source_address(validator: &Validator, address: &types::Address) -> bool {
    validator.withdrawal_credentials[12..] == address[..]
}

/// `process_deposit_request`: queue a pending deposit (Electra: the first request also fixes
/// `deposit_requests_start_index`, ending eth1-bridge deposits; Fulu dropped that step).
pub fn process_deposit_request<E: EthSpec>(
    state: &mut BeaconState<E>,
    deposit_request: &DepositRequest,
) -> Result<()> {
    if !state.fork_name().fulu_enabled()
        && state.deposit_requests_start_index()? == UNSET_DEPOSIT_REQUESTS_START_INDEX
    {
        *state.deposit_requests_start_index_mut()? = deposit_request.index;
    }
    let slot = state.slot();
    state.pending_deposits_mut()?.push(PendingDeposit {
        pubkey: deposit_request.pubkey,
        withdrawal_credentials: deposit_request.withdrawal_credentials,
        amount: deposit_request.amount,
        signature: deposit_request.signature,
        slot,
    })?;
    Ok(())
}

/// `process_withdrawal_request`: from the validator's execution address, either a full exit (when no
/// partial withdrawal is pending) or, for a compounding validator with excess balance, a queued partial
/// withdrawal paced by the exit churn.
pub fn process_withdrawal_request<E: EthSpec>(
    state: &mut BeaconState<E>,
    request: &WithdrawalRequest,
    caches: &StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    let amount = request.amount;
    let is_full_exit_request = amount == FULL_EXIT_REQUEST_AMOUNT;
    if state.pending_partial_withdrawals()?.len() as u64
        == E::PendingPartialWithdrawalsLimit::to_u64()
        && !is_full_exit_request
    {
        return Ok(());
    }
    let Some(index) = caches.find_validator_index(state, &request.validator_pubkey) else {
        return Ok(());
    };
    let v = validator(state, index)?;
    if !(has_execution_withdrawal_credential(v) && is_source_address(v, &request.source_address)) {
        return Ok(());
    }
    let current_epoch = get_current_epoch(state);
    if !is_active_validator(v, current_epoch) || v.exit_epoch != FAR_FUTURE_EPOCH {
        return Ok(());
    }
    if current_epoch < safe_add(v.activation_epoch, spec.shard_committee_period)? {
        return Ok(());
    }
    let pending_balance_to_withdraw = get_pending_balance_to_withdraw(state, index)?;
    if is_full_exit_request {
        if pending_balance_to_withdraw == 0 {
            initiate_validator_exit(state, index, spec)?;
        }
        return Ok(());
    }
    let v = validator(state, index)?;
    let balance = *state
        .balances()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))?;
    let has_sufficient_effective_balance = v.effective_balance >= E::MIN_ACTIVATION_BALANCE;
    let has_excess_balance =
        balance > safe_add(E::MIN_ACTIVATION_BALANCE, pending_balance_to_withdraw)?;
    if has_compounding_withdrawal_credential(v)
        && has_sufficient_effective_balance
        && has_excess_balance
    {
        let to_withdraw =
            (balance - E::MIN_ACTIVATION_BALANCE - pending_balance_to_withdraw).min(amount);
        let exit_queue_epoch = compute_exit_epoch_and_update_churn(state, to_withdraw, spec)?;
        let withdrawable_epoch =
            safe_add(exit_queue_epoch, spec.min_validator_withdrawability_delay)?;
        state
            .pending_partial_withdrawals_mut()?
            .push(PendingPartialWithdrawal {
                validator_index: index,
                amount: to_withdraw,
                withdrawable_epoch,
            })?;
    }
    Ok(())
}

/// `is_valid_switch_to_compounding_request`: a self-consolidation from the validator's own address of
/// an active, non-exiting `0x01` validator.
fn is_valid_switch_to_compounding_request<E: EthSpec>(
    state: &BeaconState<E>,
    request: &ConsolidationRequest,
    caches: &StateCaches,
) -> Result<bool> {
    if request.source_pubkey != request.target_pubkey {
        return Ok(false);
    }
    let Some(index) = caches.find_validator_index(state, &request.source_pubkey) else {
        return Ok(false);
    };
    let v = validator(state, index)?;
    Ok(is_source_address(v, &request.source_address)
        && has_eth1_withdrawal_credential(v)
        && is_active_validator(v, get_current_epoch(state))
        && v.exit_epoch == FAR_FUTURE_EPOCH)
}

/// `process_consolidation_request`: a switch to compounding credentials, or a consolidation of an
/// active source into an active compounding target (source exits through the consolidation churn).
pub fn process_consolidation_request<E: EthSpec>(
    state: &mut BeaconState<E>,
    request: &ConsolidationRequest,
    caches: &StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    if is_valid_switch_to_compounding_request(state, request, caches)? {
        if let Some(index) = caches.find_validator_index(state, &request.source_pubkey) {
            switch_to_compounding_validator(state, index)?;
        }
        return Ok(());
    }
    if request.source_pubkey == request.target_pubkey {
        return Ok(());
    }
    if state.pending_consolidations()?.len() as u64 == E::PendingConsolidationsLimit::to_u64() {
        return Ok(());
    }
    if get_consolidation_churn_limit(state, spec)? <= E::MIN_ACTIVATION_BALANCE {
        return Ok(());
    }
    let Some(source_index) = caches.find_validator_index(state, &request.source_pubkey) else {
        return Ok(());
    };
    let Some(target_index) = caches.find_validator_index(state, &request.target_pubkey) else {
        return Ok(());
    };
    let source = validator(state, source_index)?;
    let target = validator(state, target_index)?;
    if !(has_execution_withdrawal_credential(source)
        && is_source_address(source, &request.source_address))
    {
        return Ok(());
    }
    if !has_compounding_withdrawal_credential(target) {
        return Ok(());
    }
    let current_epoch = get_current_epoch(state);
    if !is_active_validator(source, current_epoch) || !is_active_validator(target, current_epoch) {
        return Ok(());
    }
    if source.exit_epoch != FAR_FUTURE_EPOCH || target.exit_epoch != FAR_FUTURE_EPOCH {
        return Ok(());
    }
    if current_epoch < safe_add(source.activation_epoch, spec.shard_committee_period)? {
        return Ok(());
    }
    if get_pending_balance_to_withdraw(state, source_index)? > 0 {
        return Ok(());
    }
    let effective_balance = source.effective_balance;
    let exit_epoch = compute_consolidation_epoch_and_update_churn(state, effective_balance, spec)?;
    let withdrawable_epoch = safe_add(exit_epoch, spec.min_validator_withdrawability_delay)?;
    let source = state
        .validators_mut()
        .get_mut(source_index as usize)
        .ok_or(StateError::UnknownValidator(source_index))?;
    source.exit_epoch = exit_epoch;
    source.withdrawable_epoch = withdrawable_epoch;
    state
        .pending_consolidations_mut()?
        .push(PendingConsolidation {
            source_index,
            target_index,
        })?;
    Ok(())
}
