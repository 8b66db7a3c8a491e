//! State accessors: epochs, roots, randomness, the active set, committees, proposers, balances, domains
//! and churn limits. These are the spec-direct forms, computed from the state on every call; the caches
//! in [`crate::caches`] give the same answers faster.

use super::math::{compute_epoch_at_slot, compute_start_slot_at_epoch, hash, safe_add};
use super::predicates::is_active_validator;
use super::shuffle::{
    compute_committee, compute_proposer_index, compute_proposer_index_bounded,
    sample_proposer_index,
};
use crate::{Result, StateError};
use milhouse::List;
use types::{
    BeaconState, ChainSpec, CommitteeIndex, Domain, DomainType, Epoch, EthSpec, ForkName, Gwei,
    Hash256, Root, Slot, ValidatorIndex, DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER,
    GENESIS_EPOCH,
};

/// `get_current_epoch` (phase0).
pub fn get_current_epoch<E: EthSpec>(state: &BeaconState<E>) -> Epoch {
    compute_epoch_at_slot::<E>(state.slot())
}

/// `get_previous_epoch` (phase0): the current epoch minus one, floored at genesis.
pub fn get_previous_epoch<E: EthSpec>(state: &BeaconState<E>) -> Epoch {
    let current = get_current_epoch(state);
    if current == GENESIS_EPOCH {
        GENESIS_EPOCH
    } else {
        current - 1
    }
}

/// `get_block_root_at_slot` (phase0): requires `slot < state.slot <= slot + SLOTS_PER_HISTORICAL_ROOT`.
pub fn get_block_root_at_slot<E: EthSpec>(state: &BeaconState<E>, slot: Slot) -> Result<Root> {
    let state_slot = state.slot();
    let in_range = slot < state_slot
        && state_slot <= slot.saturating_add(E::slots_per_historical_root() as u64);
    if !in_range {
        return Err(StateError::SlotOutOfRange { slot, state_slot });
    }
    let index = (slot % E::slots_per_historical_root() as u64) as usize;
    state
        .block_roots()
        .get(index)
        .copied()
        .ok_or(StateError::SlotOutOfRange { slot, state_slot })
}

/// `get_block_root` (phase0): the block root at the start slot of `epoch`.
pub fn get_block_root<E: EthSpec>(state: &BeaconState<E>, epoch: Epoch) -> Result<Root> {
    get_block_root_at_slot(state, compute_start_slot_at_epoch::<E>(epoch)?)
}

/// `get_randao_mix` (phase0).
pub fn get_randao_mix<E: EthSpec>(state: &BeaconState<E>, epoch: Epoch) -> Result<Hash256> {
    let index = (epoch % E::epochs_per_historical_vector() as u64) as usize;
    state
        .randao_mixes()
        .get(index)
        .copied()
        .ok_or_else(|| StateError::Other(format!("randao mix {index} missing")))
}

/// `get_active_validator_indices` (phase0), ascending.
pub fn get_active_validator_indices<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
) -> Vec<ValidatorIndex> {
    state
        .validators()
        .iter()
        .enumerate()
        .filter(|(_, v)| is_active_validator(v, epoch))
        .map(|(i, _)| i as ValidatorIndex)
        .collect()
}

/// `get_validator_churn_limit` (phase0): validators per epoch that may enter or leave (before Electra).
pub fn get_validator_churn_limit<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> u64 {
    let active = get_active_validator_indices(state, get_current_epoch(state)).len() as u64;
    validator_churn_limit(active, spec)
}

/// `get_validator_churn_limit` from an active-validator count.
pub fn validator_churn_limit(active_validator_count: u64, spec: &ChainSpec) -> u64 {
    spec.min_per_epoch_churn_limit
        .max(active_validator_count / spec.churn_limit_quotient.max(1))
}

/// `get_seed` (phase0): `hash(domain_type + uint_to_bytes(epoch) + mix)` with the mix of
/// `epoch - MIN_SEED_LOOKAHEAD - 1`.
pub fn get_seed<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    domain_type: DomainType,
) -> Result<Hash256> {
    // `epoch + EPOCHS_PER_HISTORICAL_VECTOR - MIN_SEED_LOOKAHEAD - 1` avoids underflow; modulo the vector
    // length it is the same position, so compute it without the overflow risk of the addition.
    let len = E::epochs_per_historical_vector() as u64;
    let mix_epoch = (epoch % len + len - (E::MIN_SEED_LOOKAHEAD + 1) % len) % len;
    let mix = get_randao_mix(state, mix_epoch)?;
    Ok(Hash256::from(hash(&[
        &domain_type,
        &epoch.to_le_bytes(),
        mix.as_slice(),
    ])))
}

/// `get_committee_count_per_slot` from an active-validator count.
pub fn committee_count_per_slot<E: EthSpec>(active_validator_count: u64) -> u64 {
    (active_validator_count / E::slots_per_epoch() / E::TARGET_COMMITTEE_SIZE)
        .clamp(1, E::max_committees_per_slot() as u64)
}

/// `get_committee_count_per_slot` (phase0).
pub fn get_committee_count_per_slot<E: EthSpec>(state: &BeaconState<E>, epoch: Epoch) -> u64 {
    committee_count_per_slot::<E>(get_active_validator_indices(state, epoch).len() as u64)
}

/// `get_beacon_committee` (phase0). Fails for a committee index at or above the epoch's committee count.
pub fn get_beacon_committee<E: EthSpec>(
    state: &BeaconState<E>,
    slot: Slot,
    index: CommitteeIndex,
) -> Result<Vec<ValidatorIndex>> {
    let epoch = compute_epoch_at_slot::<E>(slot);
    let indices = get_active_validator_indices(state, epoch);
    let committees_per_slot = committee_count_per_slot::<E>(indices.len() as u64);
    if index >= committees_per_slot {
        return Err(StateError::CommitteeIndexOutOfRange {
            index,
            count: committees_per_slot,
        });
    }
    let seed = get_seed(state, epoch, DOMAIN_BEACON_ATTESTER)?;
    compute_committee::<E>(
        &indices,
        &seed,
        (slot % E::slots_per_epoch()) * committees_per_slot + index,
        committees_per_slot * E::slots_per_epoch(),
    )
}

/// The per-slot proposer seed: `hash(get_seed(state, epoch, DOMAIN_BEACON_PROPOSER) + uint_to_bytes(slot))`.
pub fn proposer_seed(epoch_seed: &Hash256, slot: Slot) -> Hash256 {
    Hash256::from(hash(&[epoch_seed.as_slice(), &slot.to_le_bytes()]))
}

/// `compute_proposer_indices` (fulu): the proposer of every slot of `epoch`, from the epoch's proposer
/// `seed` and active `indices` (valid for any fork; the sampler follows the state's fork).
pub fn compute_proposer_indices<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    seed: &Hash256,
    indices: &[ValidatorIndex],
) -> Result<Vec<ValidatorIndex>> {
    compute_proposer_indices_bounded(state, epoch, seed, indices, u64::MAX)
}

/// [`compute_proposer_indices`] given an upper bound on the effective balances of `indices` (see
/// [`compute_proposer_index_bounded`]).
fn compute_proposer_indices_bounded<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
    seed: &Hash256,
    indices: &[ValidatorIndex],
    max_effective_balance: Gwei,
) -> Result<Vec<ValidatorIndex>> {
    let start_slot = compute_start_slot_at_epoch::<E>(epoch)?;
    (0..E::slots_per_epoch())
        .map(|i| {
            let slot = safe_add(start_slot, i)?;
            compute_proposer_index_bounded(
                state,
                indices,
                &proposer_seed(seed, slot),
                max_effective_balance,
            )
        })
        .collect()
}

/// `get_beacon_proposer_indices` (fulu): the proposers of every slot of `epoch`.
pub fn get_beacon_proposer_indices<E: EthSpec>(
    state: &BeaconState<E>,
    epoch: Epoch,
) -> Result<Vec<ValidatorIndex>> {
    // `get_active_validator_indices` and the largest active effective balance in one pass.
    let mut indices = vec![];
    let mut max_effective_balance: Gwei = 0;
    for (i, v) in state.validators().iter().enumerate() {
        if is_active_validator(v, epoch) {
            indices.push(i as ValidatorIndex);
            max_effective_balance = max_effective_balance.max(v.effective_balance);
        }
    }
    let seed = get_seed(state, epoch, DOMAIN_BEACON_PROPOSER)?;
    compute_proposer_indices_bounded(state, epoch, &seed, &indices, max_effective_balance)
}

/// `compute_proposer_indices` (fulu) for `fork`, with effective balances read from
/// `effective_balances` (indexed by validator index): the form epoch processing uses, with a vector built
/// once per epoch instead of a registry lookup per candidate.
pub fn compute_proposer_indices_from_balances<E: EthSpec>(
    fork: ForkName,
    epoch: Epoch,
    seed: &Hash256,
    indices: &[ValidatorIndex],
    effective_balances: &[Gwei],
) -> Result<Vec<ValidatorIndex>> {
    let balance = |index: ValidatorIndex| {
        effective_balances
            .get(index as usize)
            .copied()
            .ok_or(StateError::UnknownValidator(index))
    };
    let mut max_effective_balance: Gwei = 0;
    for &index in indices {
        max_effective_balance = max_effective_balance.max(balance(index)?);
    }
    let start_slot = compute_start_slot_at_epoch::<E>(epoch)?;
    (0..E::slots_per_epoch())
        .map(|i| {
            let slot = safe_add(start_slot, i)?;
            sample_proposer_index::<E>(
                fork,
                indices,
                &proposer_seed(seed, slot),
                max_effective_balance,
                balance,
            )
        })
        .collect()
}

/// `get_beacon_proposer_index`: the proposer at the state's slot, sampled from the current epoch before
/// Fulu, read from `proposer_lookahead` from Fulu on.
pub fn get_beacon_proposer_index<E: EthSpec>(state: &BeaconState<E>) -> Result<ValidatorIndex> {
    if let Ok(lookahead) = state.proposer_lookahead() {
        let index = (state.slot() % E::slots_per_epoch()) as usize;
        return lookahead
            .get(index)
            .copied()
            .ok_or_else(|| StateError::Other("proposer lookahead too short".into()));
    }
    let epoch = get_current_epoch(state);
    let seed = proposer_seed(
        &get_seed(state, epoch, DOMAIN_BEACON_PROPOSER)?,
        state.slot(),
    );
    let indices = get_active_validator_indices(state, epoch);
    compute_proposer_index(state, &indices, &seed)
}

/// `get_total_balance` (phase0): the sum of the effective balances of `indices` (which must be distinct),
/// at least `EFFECTIVE_BALANCE_INCREMENT`.
pub fn get_total_balance<E: EthSpec>(
    state: &BeaconState<E>,
    indices: impl IntoIterator<Item = ValidatorIndex>,
) -> Result<Gwei> {
    let validators = state.validators();
    let mut total: Gwei = 0;
    for index in indices {
        let validator = validators
            .get(index as usize)
            .ok_or(StateError::UnknownValidator(index))?;
        total = safe_add(total, validator.effective_balance)?;
    }
    Ok(total.max(E::EFFECTIVE_BALANCE_INCREMENT))
}

/// `get_total_active_balance` (phase0): the total effective balance of the current epoch's active set.
pub fn get_total_active_balance<E: EthSpec>(state: &BeaconState<E>) -> Result<Gwei> {
    let epoch = get_current_epoch(state);
    let mut total: Gwei = 0;
    for validator in state.validators().iter() {
        if is_active_validator(validator, epoch) {
            total = safe_add(total, validator.effective_balance)?;
        }
    }
    Ok(total.max(E::EFFECTIVE_BALANCE_INCREMENT))
}

/// `get_domain` (phase0), state form: the domain of `domain_type` at `epoch` (the current epoch if
/// `None`) under the state's fork and genesis validators root.
pub fn get_domain<E: EthSpec>(
    state: &BeaconState<E>,
    domain_type: DomainType,
    epoch: Option<Epoch>,
) -> Domain {
    let epoch = epoch.unwrap_or_else(|| get_current_epoch(state));
    types::get_domain(
        &state.fork(),
        domain_type,
        epoch,
        state.genesis_validators_root(),
    )
}

/// `get_balance_churn_limit` (electra): the per-epoch churn in Gwei, a multiple of the increment.
pub fn get_balance_churn_limit<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Gwei> {
    Ok(balance_churn_limit::<E>(
        get_total_active_balance(state)?,
        spec,
    ))
}

/// `get_balance_churn_limit` from a total active balance.
pub fn balance_churn_limit<E: EthSpec>(total_active_balance: Gwei, spec: &ChainSpec) -> Gwei {
    let churn = spec
        .min_per_epoch_churn_limit_electra
        .max(total_active_balance / spec.churn_limit_quotient.max(1));
    churn - churn % E::EFFECTIVE_BALANCE_INCREMENT
}

/// `get_activation_exit_churn_limit` (electra).
pub fn get_activation_exit_churn_limit<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Gwei> {
    Ok(activation_exit_churn_limit::<E>(
        get_total_active_balance(state)?,
        spec,
    ))
}

/// `get_activation_exit_churn_limit` from a total active balance (already floored, as
/// `get_total_active_balance` returns it).
pub fn activation_exit_churn_limit<E: EthSpec>(
    total_active_balance: Gwei,
    spec: &ChainSpec,
) -> Gwei {
    spec.max_per_epoch_activation_exit_churn_limit
        .min(balance_churn_limit::<E>(total_active_balance, spec))
}

/// `get_consolidation_churn_limit` (electra): what the balance churn leaves after activations and exits.
pub fn get_consolidation_churn_limit<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Gwei> {
    let balance_churn = get_balance_churn_limit(state, spec)?;
    Ok(balance_churn
        - spec
            .max_per_epoch_activation_exit_churn_limit
            .min(balance_churn))
}

/// `get_pending_balance_to_withdraw` (electra): the validator's queued partial withdrawals in Gwei.
pub fn get_pending_balance_to_withdraw<E: EthSpec>(
    state: &BeaconState<E>,
    validator_index: ValidatorIndex,
) -> Result<Gwei> {
    let mut total: Gwei = 0;
    for withdrawal in state.pending_partial_withdrawals()?.iter() {
        if withdrawal.validator_index == validator_index {
            total = safe_add(total, withdrawal.amount)?;
        }
    }
    Ok(total)
}

/// Write `value` at `index` of a milhouse list, or append it when `index == len` (`set_or_append_list`).
pub fn set_or_append_list<T, N, U>(list: &mut List<T, N, U>, index: usize, value: T) -> Result<()>
where
    T: milhouse::Value,
    N: types::ssz_types::typenum::Unsigned,
    U: milhouse::UpdateMap<T>,
{
    if index == list.len() {
        list.push(value)?;
    } else {
        *list
            .get_mut(index)
            .ok_or(StateError::UnknownValidator(index as u64))? = value;
    }
    Ok(())
}
