//! `process_pending_deposits` (electra): apply finalized pending deposits within the activation churn,
//! postponing those of exiting validators.

use crate::caches::PubkeyCache;
use crate::common::{
    add_validator_to_registry, compute_start_slot_at_epoch, get_activation_exit_churn_limit,
    get_current_epoch, increase_balance, is_valid_deposit_signature, safe_add,
};
use crate::{Result, StateError};
use types::{BeaconState, ChainSpec, EthSpec, PendingDeposit, FAR_FUTURE_EPOCH, GENESIS_SLOT};

/// `apply_pending_deposit` (electra): top up an existing validator, or register a new one if the
/// deposit's proof of possession is valid. `pubkeys` (possibly empty) indexes a prefix of the registry
/// and is extended when a validator is added, unless empty.
pub fn apply_pending_deposit<E: EthSpec>(
    state: &mut BeaconState<E>,
    deposit: &PendingDeposit,
    spec: &ChainSpec,
    pubkeys: &mut PubkeyCache,
) -> Result<()> {
    match pubkeys.find(state, &deposit.pubkey) {
        Some(index) => increase_balance(state, index, deposit.amount),
        None => {
            if is_valid_deposit_signature(
                &deposit.pubkey,
                deposit.withdrawal_credentials,
                deposit.amount,
                &deposit.signature,
                spec,
            ) {
                add_validator_to_registry(
                    state,
                    deposit.pubkey,
                    deposit.withdrawal_credentials,
                    deposit.amount,
                )?;
                if !pubkeys.is_empty() {
                    pubkeys.update(state);
                }
            }
            Ok(())
        }
    }
}

/// `process_pending_deposits` (electra; Fulu drops the wait for eth1-bridge deposits, 1.7.0b4).
/// A non-empty `pubkeys` map is brought up to date and used for lookups; an empty one is left empty and
/// lookups scan the registry (at most `2 * MAX_PENDING_DEPOSITS_PER_EPOCH` scans, cheaper than building
/// the map for a single epoch).
pub fn process_pending_deposits<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    pubkeys: &mut PubkeyCache,
) -> Result<()> {
    if state.pending_deposits()?.is_empty() {
        // Nothing to apply and no churn reached: only the carried-over churn resets.
        *state.deposit_balance_to_consume_mut()? = 0;
        return Ok(());
    }
    if !pubkeys.is_empty() {
        pubkeys.update(state);
    }
    let wait_for_eth1_bridge = !state.fork_name().fulu_enabled();
    let next_epoch = get_current_epoch(state)
        .checked_add(1)
        .ok_or(StateError::Overflow)?;
    let available_for_processing = safe_add(
        state.deposit_balance_to_consume()?,
        get_activation_exit_churn_limit(state, spec)?,
    )?;
    let finalized_slot = compute_start_slot_at_epoch::<E>(state.finalized_checkpoint().epoch)?;
    let eth1_bridge_pending = state.eth1_deposit_index() < state.deposit_requests_start_index()?;

    let mut processed_amount: u64 = 0;
    let mut next_deposit_index: usize = 0;
    let mut deposits_to_postpone = vec![];
    let mut is_churn_limit_reached = false;
    // The queue itself is not modified while deposits are applied, so walk it by position.
    let queue_len = state.pending_deposits()?.len();
    for position in 0..queue_len {
        let deposit = state
            .pending_deposits()?
            .get(position)
            .cloned()
            .ok_or_else(|| StateError::Other("pending deposit vanished".into()))?;
        // Deposit requests wait until every eth1-bridge deposit is applied (Electra only).
        if wait_for_eth1_bridge && deposit.slot > GENESIS_SLOT && eth1_bridge_pending {
            break;
        }
        if deposit.slot > finalized_slot {
            break;
        }
        if next_deposit_index as u64 >= E::MAX_PENDING_DEPOSITS_PER_EPOCH {
            break;
        }

        let (is_validator_exited, is_validator_withdrawn) =
            match pubkeys.find(state, &deposit.pubkey) {
                Some(index) => {
                    let v = state
                        .validators()
                        .get(index as usize)
                        .ok_or(StateError::UnknownValidator(index))?;
                    (
                        v.exit_epoch < FAR_FUTURE_EPOCH,
                        v.withdrawable_epoch < next_epoch,
                    )
                }
                None => (false, false),
            };

        if is_validator_withdrawn {
            // The deposited balance will never become active: apply without consuming churn.
            apply_pending_deposit(state, &deposit, spec, pubkeys)?;
        } else if is_validator_exited {
            deposits_to_postpone.push(deposit);
        } else {
            is_churn_limit_reached =
                safe_add(processed_amount, deposit.amount)? > available_for_processing;
            if is_churn_limit_reached {
                break;
            }
            processed_amount = safe_add(processed_amount, deposit.amount)?;
            apply_pending_deposit(state, &deposit, spec, pubkeys)?;
        }
        next_deposit_index += 1;
    }

    let queue = state.pending_deposits_mut()?;
    queue.pop_front(next_deposit_index)?;
    for deposit in deposits_to_postpone {
        queue.push(deposit)?;
    }
    *state.deposit_balance_to_consume_mut()? = if is_churn_limit_reached {
        available_for_processing - processed_amount
    } else {
        0
    };
    Ok(())
}
