//! `process_registry_updates`: activation eligibility, ejections and activations (phase0's queue with
//! Deneb's activation cap before Electra; Electra's single pass from Electra on).

use crate::common::{
    activation_exit_churn_limit, compute_activation_exit_epoch, get_current_epoch,
    initiate_validator_exit_with, is_active_validator, is_eligible_for_activation_queue, safe_add,
    validator_churn_limit, ExitChurn, ExitQueueTail,
};
use crate::{Result, StateError};
use types::{BeaconState, ChainSpec, Epoch, EthSpec, ForkName, Gwei, Validator, FAR_FUTURE_EPOCH};

/// What `process_registry_updates` decides from each validator alone, gathered in a read-only pass
/// (its own, or epoch processing's shared one). The conditions of one validator never depend on the
/// updates of another, so every update can be decided first and applied afterwards in index order.
#[derive(Debug, Clone, Default)]
pub(crate) struct RegistryCandidates {
    fork: Option<ForkName>,
    current_epoch: Epoch,
    ejection_balance: u64,
    /// `is_eligible_for_activation_queue`.
    queue_for_activation: Vec<usize>,
    /// To `initiate_validator_exit` (active with an effective balance at most `EJECTION_BALANCE`).
    eject: Vec<usize>,
    /// `(activation_eligibility_epoch, index)` of every validator not activated yet with an eligibility
    /// epoch set: `is_eligible_for_activation` once compared with the finalized epoch.
    activation: Vec<(Epoch, usize)>,
    /// The size of the current epoch's active set (the pre-Electra churn limit).
    active_count: u64,
    /// The current epoch's total active balance, unfloored (the Electra exit churn).
    active_balance: Gwei,
    /// The latest exit epoch and how many exit at it (the pre-Electra exit queue).
    exit_tail: ExitQueueTail,
}

impl RegistryCandidates {
    pub(crate) fn new<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> Self {
        Self {
            fork: Some(state.fork_name()),
            current_epoch: get_current_epoch(state),
            ejection_balance: spec.ejection_balance,
            ..Self::default()
        }
    }

    /// Append the candidates gathered over the validators that follow `self`'s.
    pub(crate) fn append(&mut self, mut next: Self) -> Result<()> {
        self.queue_for_activation
            .append(&mut next.queue_for_activation);
        self.eject.append(&mut next.eject);
        self.activation.append(&mut next.activation);
        self.active_count += next.active_count;
        self.active_balance = safe_add(self.active_balance, next.active_balance)?;
        self.exit_tail = self.exit_tail.merge(next.exit_tail);
        Ok(())
    }

    /// Record validator `index` (in ascending index order).
    pub(crate) fn observe<E: EthSpec>(&mut self, index: usize, v: &Validator) -> Result<()> {
        let fork = self.fork.unwrap_or(ForkName::Capella);
        let active = is_active_validator(v, self.current_epoch);
        if active {
            self.active_count += 1;
            self.active_balance = safe_add(self.active_balance, v.effective_balance)?;
        }
        self.exit_tail.observe(v.exit_epoch);
        let eligible_for_queue = is_eligible_for_activation_queue::<E>(v, fork);
        if eligible_for_queue {
            self.queue_for_activation.push(index);
        }
        let to_eject = active && v.effective_balance <= self.ejection_balance;
        // Electra's `elif` chain ejects only validators not entering the queue.
        if to_eject && !(fork.electra_enabled() && eligible_for_queue) {
            self.eject.push(index);
        }
        if v.activation_epoch == FAR_FUTURE_EPOCH
            && v.activation_eligibility_epoch != FAR_FUTURE_EPOCH
        {
            self.activation
                .push((v.activation_eligibility_epoch, index));
        }
        Ok(())
    }
}

/// `process_registry_updates` for the state's fork.
pub fn process_registry_updates<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<()> {
    let mut candidates = RegistryCandidates::new(state, spec);
    for (index, v) in state.validators().iter().enumerate() {
        candidates.observe::<E>(index, v)?;
    }
    apply_registry_updates(state, spec, candidates).map(|_| ())
}

/// The updates of `process_registry_updates` from the candidates gathered on `state` (after
/// justification and finalization, whose finalized epoch decides the activations). Returns the
/// validators ejected (the only ones whose withdrawable epoch may have changed).
pub(crate) fn apply_registry_updates<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    candidates: RegistryCandidates,
) -> Result<Vec<usize>> {
    let fork = state.fork_name();
    let current_epoch = get_current_epoch(state);
    let next_epoch = current_epoch.checked_add(1).ok_or(StateError::Overflow)?;
    let activation_epoch = compute_activation_exit_epoch::<E>(current_epoch)?;
    let finalized_epoch = state.finalized_checkpoint().epoch;

    for index in candidates.queue_for_activation {
        validator_mut(state, index)?.activation_eligibility_epoch = next_epoch;
    }
    // `initiate_validator_exit` for each, with the registry-wide churn gathered above (no effective
    // balance or current-epoch activity changes during the step, so it stays exact).
    let mut churn = if fork.electra_enabled() {
        let total_active_balance = candidates
            .active_balance
            .max(E::EFFECTIVE_BALANCE_INCREMENT);
        ExitChurn::Balance {
            per_epoch_churn: activation_exit_churn_limit::<E>(total_active_balance, spec),
        }
    } else {
        candidates
            .exit_tail
            .into_churn(validator_churn_limit(candidates.active_count, spec))
    };
    for &index in &candidates.eject {
        initiate_validator_exit_with(state, index as u64, spec, &mut churn)?;
    }
    // A validator queued above has no eligibility epoch yet, so it is never among the activations.
    let mut queue: Vec<(Epoch, usize)> = candidates
        .activation
        .into_iter()
        .filter(|(eligibility, _)| *eligibility <= finalized_epoch)
        .collect();
    if fork.electra_enabled() {
        for (_, index) in queue {
            validator_mut(state, index)?.activation_epoch = activation_epoch;
        }
        return Ok(candidates.eject);
    }

    // Queue by (eligibility epoch, index) and activate up to the churn limit.
    queue.sort_unstable();
    let churn_limit = validator_churn_limit(candidates.active_count, spec);
    let churn_limit = if fork == ForkName::Capella {
        churn_limit
    } else {
        spec.max_per_epoch_activation_churn_limit.min(churn_limit)
    };
    for &(_, index) in queue.iter().take(churn_limit as usize) {
        validator_mut(state, index)?.activation_epoch = activation_epoch;
    }
    Ok(candidates.eject)
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
