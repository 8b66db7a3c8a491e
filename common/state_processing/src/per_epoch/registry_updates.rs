//! `process_registry_updates`: activation eligibility, ejections and activations (phase0's queue with
//! Deneb's activation cap before Electra; Electra's single pass from Electra on).

use crate::common::{
    compute_activation_exit_epoch, get_current_epoch, get_validator_activation_churn_limit,
    get_validator_churn_limit, initiate_validator_exit, is_active_validator,
    is_eligible_for_activation, is_eligible_for_activation_queue,
};
use crate::{Result, StateError};
use types::{BeaconState, ChainSpec, EthSpec, ForkName};

/// `process_registry_updates` for the state's fork.
pub fn process_registry_updates<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<()> {
    let fork = state.fork_name();
    let current_epoch = get_current_epoch(state);
    let next_epoch = current_epoch.checked_add(1).ok_or(StateError::Overflow)?;
    let activation_epoch = compute_activation_exit_epoch::<E>(current_epoch)?;

    // The conditions of one validator never depend on the updates of another, so a read-only pass
    // decides every update and they are applied afterwards, in index order as the spec does.
    let mut queue_for_activation = vec![];
    let mut eject = vec![];
    let mut activate = vec![];
    for (index, v) in state.validators().iter().enumerate() {
        let eligible_for_queue = is_eligible_for_activation_queue::<E>(v, fork);
        let to_eject =
            is_active_validator(v, current_epoch) && v.effective_balance <= spec.ejection_balance;
        if eligible_for_queue {
            queue_for_activation.push(index);
        }
        if fork.electra_enabled() {
            if !eligible_for_queue && to_eject {
                eject.push(index);
            } else if !eligible_for_queue && is_eligible_for_activation(state, v) {
                activate.push(index);
            }
        } else if to_eject {
            eject.push(index);
        }
    }
    for index in queue_for_activation {
        validator_mut(state, index)?.activation_eligibility_epoch = next_epoch;
    }
    for index in eject {
        initiate_validator_exit(state, index as u64, spec)?;
    }
    if fork.electra_enabled() {
        for index in activate {
            validator_mut(state, index)?.activation_epoch = activation_epoch;
        }
        return Ok(());
    }

    // Queue by (eligibility epoch, index) and activate up to the churn limit.
    let mut queue: Vec<(u64, usize)> = state
        .validators()
        .iter()
        .enumerate()
        .filter(|(_, v)| is_eligible_for_activation(state, v))
        .map(|(i, v)| (v.activation_eligibility_epoch, i))
        .collect();
    queue.sort_unstable();
    let churn_limit = if fork == ForkName::Capella {
        get_validator_churn_limit(state, spec)
    } else {
        get_validator_activation_churn_limit(state, spec)
    };
    for &(_, index) in queue.iter().take(churn_limit as usize) {
        validator_mut(state, index)?.activation_epoch = activation_epoch;
    }
    Ok(())
}

fn validator_mut<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: usize,
) -> Result<&mut types::Validator> {
    state
        .validators_mut()
        .get_mut(index)
        .ok_or(StateError::UnknownValidator(index as u64))
}
