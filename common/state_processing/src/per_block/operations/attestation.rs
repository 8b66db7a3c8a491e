//! `process_attestation` (Deneb form before Electra; Electra's multi-committee form from Electra).

use super::slashings::check_indexed_attestation;
use crate::caches::StateCaches;
use crate::common::attestation::AttestationRef;
use crate::common::{
    add_flag, compute_epoch_at_slot, get_attestation_participation_flag_indices,
    get_committee_indices, get_current_epoch, get_previous_epoch, has_flag, increase_balance,
    safe_add, safe_mul, PARTICIPATION_FLAG_WEIGHTS, PROPOSER_WEIGHT, WEIGHT_DENOMINATOR,
};
use crate::per_block::signatures::SignatureVerifier;
use crate::{ensure, Result, StateError};
use types::{BeaconState, EthSpec};

/// `process_attestation`: check the target, timing and committees (Electra: every committee named by
/// `committee_bits` has an attester and the bits cover exactly those committees), the source and the
/// aggregate signature; set the participation flags earned and reward the proposer.
pub fn process_attestation<E: EthSpec>(
    state: &mut BeaconState<E>,
    attestation: AttestationRef<'_, E>,
    verifier: &mut SignatureVerifier,
    caches: &StateCaches,
) -> Result<()> {
    let data = attestation.data();
    let current_epoch = get_current_epoch(state);
    let previous_epoch = get_previous_epoch(state);
    ensure!(
        data.target.epoch == previous_epoch || data.target.epoch == current_epoch,
        "attestation target epoch {} is neither previous nor current",
        data.target.epoch
    );
    ensure!(
        data.target.epoch == compute_epoch_at_slot::<E>(data.slot),
        "attestation target epoch does not match its slot"
    );
    ensure!(
        safe_add(data.slot, E::MIN_ATTESTATION_INCLUSION_DELAY)? <= state.slot(),
        "attestation included too early"
    );
    if !state.fork_name().deneb_enabled() {
        ensure!(
            state.slot() <= safe_add(data.slot, E::slots_per_epoch())?,
            "attestation included too late"
        );
    }
    let committee_count = caches.get_committee_count_per_slot(state, data.target.epoch);
    match attestation {
        AttestationRef::Base(a) => {
            ensure!(
                data.index < committee_count,
                "attestation committee index {} out of range",
                data.index
            );
            let committee = caches.get_beacon_committee(state, data.slot, data.index)?;
            ensure!(
                a.aggregation_bits.len() == committee.len(),
                "attestation aggregation bits length mismatch"
            );
        }
        AttestationRef::Electra(a) => {
            ensure!(data.index == 0, "attestation data index must be 0");
            let mut offset = 0usize;
            for committee_index in get_committee_indices::<E>(&a.committee_bits) {
                ensure!(
                    committee_index < committee_count,
                    "attestation committee index {committee_index} out of range"
                );
                let committee = caches.get_beacon_committee(state, data.slot, committee_index)?;
                let mut any = false;
                for i in 0..committee.len() {
                    if a.aggregation_bits.get(offset + i)? {
                        any = true;
                    }
                }
                ensure!(
                    any,
                    "attestation committee {committee_index} has no attester"
                );
                offset += committee.len();
            }
            ensure!(
                a.aggregation_bits.len() == offset,
                "attestation aggregation bits length mismatch"
            );
        }
    }

    let inclusion_delay = state.slot() - data.slot;
    let flag_indices = get_attestation_participation_flag_indices(state, data, inclusion_delay)?;
    let indexed = caches.get_indexed_attestation(state, attestation)?;
    check_indexed_attestation(state, indexed.as_ref(), verifier, "attestation")?;

    let is_current = data.target.epoch == current_epoch;
    let base_reward_per_increment = caches.get_base_reward_per_increment(state)?;
    let mut proposer_reward_numerator = 0u64;
    for &index in indexed.as_ref().attesting_indices() {
        let effective_balance = state
            .validators()
            .get(index as usize)
            .ok_or(StateError::UnknownValidator(index))?
            .effective_balance;
        let base_reward = safe_mul(
            effective_balance / E::EFFECTIVE_BALANCE_INCREMENT,
            base_reward_per_increment,
        )?;
        let participation = if is_current {
            state.current_epoch_participation_mut()
        } else {
            state.previous_epoch_participation_mut()
        };
        let flags = participation
            .get_mut(index as usize)
            .ok_or(StateError::UnknownValidator(index))?;
        for (flag_index, weight) in PARTICIPATION_FLAG_WEIGHTS.iter().enumerate() {
            if flag_indices.contains(&flag_index) && !has_flag(*flags, flag_index) {
                *flags = add_flag(*flags, flag_index);
                proposer_reward_numerator =
                    safe_add(proposer_reward_numerator, safe_mul(base_reward, *weight)?)?;
            }
        }
    }
    let proposer_reward_denominator =
        (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT) * WEIGHT_DENOMINATOR / PROPOSER_WEIGHT;
    let proposer_reward = proposer_reward_numerator / proposer_reward_denominator;
    let proposer_index = caches.get_beacon_proposer_index(state)?;
    increase_balance(state, proposer_index, proposer_reward)
}
