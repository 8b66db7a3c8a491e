//! Sync committee selection (altair, re-weighted in Electra).

use super::accessors::{get_active_validator_indices, get_current_epoch, get_seed};
use super::shuffle::{accept_candidate, ensure_samplable, shuffle_list};
use crate::{Result, StateError};
use types::ssz_types::FixedVector;
use types::{
    BeaconState, EthSpec, PublicKeyBytes, SyncCommittee, ValidatorIndex, DOMAIN_SYNC_COMMITTEE,
};

/// `get_next_sync_committee_indices`: `SYNC_COMMITTEE_SIZE` validators (with possible repeats) sampled by
/// effective balance from the next epoch's active set (phase0 random-byte test before Electra, Electra's
/// 16-bit test from Electra on).
///
/// The candidate at step `i` is `active[compute_shuffled_index(i % n, n, seed)]`; the whole permutation
/// is computed once with [`shuffle_list`] (identical results, far fewer hashes when many candidates are
/// rejected, as in Electra where a 32 ETH validator passes with probability 1/64).
pub fn get_next_sync_committee_indices<E: EthSpec>(
    state: &BeaconState<E>,
) -> Result<Vec<ValidatorIndex>> {
    let epoch = get_current_epoch(state)
        .checked_add(1)
        .ok_or(StateError::Overflow)?;
    let active = get_active_validator_indices(state, epoch);
    if active.is_empty() {
        return Err(StateError::NoActiveValidators);
    }
    let count = active.len() as u64;
    let seed = get_seed(state, epoch, DOMAIN_SYNC_COMMITTEE)?;
    // shuffled[p] = active[compute_shuffled_index(p, count, seed)].
    let mut shuffled = active.clone();
    shuffle_list(&mut shuffled, &seed, E::SHUFFLE_ROUND_COUNT);

    let fork = state.fork_name();
    let validators = state.validators();
    let check_after = count.saturating_mul(64).saturating_add(1 << 16);
    let mut indices = Vec::with_capacity(E::sync_committee_size());
    let mut i = 0u64;
    while indices.len() < E::sync_committee_size() {
        let candidate = shuffled[(i % count) as usize];
        let effective_balance = validators
            .get(candidate as usize)
            .ok_or(StateError::UnknownValidator(candidate))?
            .effective_balance;
        if accept_candidate::<E>(fork, &seed, i, effective_balance) {
            indices.push(candidate);
        }
        if i == check_after {
            ensure_samplable(state, &active)?;
        }
        i = i.checked_add(1).ok_or(StateError::Overflow)?;
    }
    Ok(indices)
}

/// `eth_aggregate_pubkeys` (altair): the sum of `pubkeys`, each of which must be a valid key.
pub fn eth_aggregate_pubkeys(pubkeys: &[PublicKeyBytes]) -> Result<PublicKeyBytes> {
    let keys = pubkeys
        .iter()
        .map(|pk| bls::PublicKey::from_bytes(&pk.0))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let refs: Vec<&bls::PublicKey> = keys.iter().collect();
    Ok(bls::AggregatePublicKey::aggregate(&refs)?.to_bytes())
}

/// `get_next_sync_committee` (altair): the next committee's keys and their aggregate.
pub fn get_next_sync_committee<E: EthSpec>(state: &BeaconState<E>) -> Result<SyncCommittee<E>> {
    let indices = get_next_sync_committee_indices(state)?;
    let validators = state.validators();
    let pubkeys = indices
        .iter()
        .map(|&i| {
            validators
                .get(i as usize)
                .map(|v| v.pubkey)
                .ok_or(StateError::UnknownValidator(i))
        })
        .collect::<Result<Vec<_>>>()?;
    let aggregate_pubkey = eth_aggregate_pubkeys(&pubkeys)?;
    Ok(SyncCommittee {
        pubkeys: FixedVector::new(pubkeys)?,
        aggregate_pubkey,
    })
}
