//! `process_proposer_slashing` and `process_attester_slashing`.

use crate::caches::StateCaches;
use crate::common::{
    compute_epoch_at_slot, get_current_epoch, get_domain, get_previous_epoch, is_active_validator,
    is_slashable_attestation_data, is_slashable_validator, is_valid_indexed_attestation,
    slash_validator_with_proposer, IndexedAttestationRef,
};
use crate::per_block::signatures::SignatureVerifier;
use crate::{ensure, Result, StateError};
use types::{
    BeaconState, ChainSpec, EthSpec, ProposerSlashing, ValidatorIndex, DOMAIN_BEACON_ATTESTER,
    DOMAIN_BEACON_PROPOSER,
};

/// `process_proposer_slashing`: two different signed headers of one slot by one slashable proposer.
pub fn process_proposer_slashing<E: EthSpec>(
    state: &mut BeaconState<E>,
    proposer_slashing: &ProposerSlashing,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    let header_1 = &proposer_slashing.signed_header_1.message;
    let header_2 = &proposer_slashing.signed_header_2.message;
    ensure!(
        header_1.slot == header_2.slot,
        "proposer slashing: slots differ"
    );
    ensure!(
        header_1.proposer_index == header_2.proposer_index,
        "proposer slashing: proposers differ"
    );
    ensure!(header_1 != header_2, "proposer slashing: headers are equal");
    let proposer_index = header_1.proposer_index;
    let proposer = state
        .validators()
        .get(proposer_index as usize)
        .ok_or(StateError::UnknownValidator(proposer_index))?;
    ensure!(
        is_slashable_validator(proposer, get_current_epoch(state)),
        "proposer slashing: validator {proposer_index} is not slashable"
    );
    let pubkey = proposer.pubkey;
    for signed_header in [
        &proposer_slashing.signed_header_1,
        &proposer_slashing.signed_header_2,
    ] {
        let domain = get_domain(
            state,
            DOMAIN_BEACON_PROPOSER,
            Some(compute_epoch_at_slot::<E>(signed_header.message.slot)),
        );
        let signing_root = types::compute_signing_root(&signed_header.message, domain);
        verifier.add(
            "proposer slashing header",
            &signed_header.signature,
            [&pubkey],
            signing_root,
        )?;
    }
    let block_proposer = caches.get_beacon_proposer_index(state)?;
    record_slashing(state, caches, proposer_index)?;
    slash_validator_with_proposer(state, proposer_index, None, block_proposer, spec)
}

/// Keep the epoch caches right across a slashing of validator `index` (before it is slashed): it
/// leaves the progressive balances' unslashed totals of the epochs it was active in.
pub(crate) fn record_slashing<E: EthSpec>(
    state: &BeaconState<E>,
    caches: &mut StateCaches,
    index: ValidatorIndex,
) -> Result<()> {
    let Some((validators, progressive)) = caches.epoch_balances_mut(state) else {
        return Ok(());
    };
    let v = state
        .validators()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))?;
    if v.slashed {
        return Ok(());
    }
    let current_epoch = get_current_epoch(state);
    let previous_epoch = get_previous_epoch(state);
    let flags_of = |list: &types::ParticipationList<E::ValidatorRegistryLimit>, epoch| {
        if is_active_validator(v, epoch) {
            list.get(index as usize).copied().unwrap_or(0)
        } else {
            0
        }
    };
    let previous_list = if previous_epoch == current_epoch {
        state.current_epoch_participation()
    } else {
        state.previous_epoch_participation()
    };
    let previous_flags = flags_of(previous_list, previous_epoch);
    let current_flags = flags_of(state.current_epoch_participation(), current_epoch);
    progressive.on_slashing(previous_flags, current_flags, v.effective_balance)?;
    validators.on_slashing(index);
    Ok(())
}

/// `is_valid_indexed_attestation`, with the signature going to `verifier`.
pub(crate) fn check_indexed_attestation<E: EthSpec>(
    state: &BeaconState<E>,
    indexed: IndexedAttestationRef<'_, E>,
    verifier: &mut SignatureVerifier,
    what: &'static str,
) -> Result<()> {
    ensure!(
        is_valid_indexed_attestation(state, indexed, false),
        "{what}: invalid indexed attestation"
    );
    if verifier.enabled() {
        let data = indexed.data();
        let domain = get_domain(state, DOMAIN_BEACON_ATTESTER, Some(data.target.epoch));
        let signing_root = types::compute_signing_root(data, domain);
        verifier.add_validators(
            what,
            indexed.signature(),
            indexed.attesting_indices(),
            state.validators(),
            signing_root,
        )?;
    }
    Ok(())
}

/// `process_attester_slashing` (either shape): two slashable attestation data, both valid; slash every
/// slashable validator in both, at least one.
pub fn process_attester_slashing<E: EthSpec>(
    state: &mut BeaconState<E>,
    attestation_1: IndexedAttestationRef<'_, E>,
    attestation_2: IndexedAttestationRef<'_, E>,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    ensure!(
        is_slashable_attestation_data(attestation_1.data(), attestation_2.data()),
        "attester slashing: data is not slashable"
    );
    check_indexed_attestation(
        state,
        attestation_1,
        verifier,
        "attester slashing attestation 1",
    )?;
    check_indexed_attestation(
        state,
        attestation_2,
        verifier,
        "attester slashing attestation 2",
    )?;
    let set_2: std::collections::BTreeSet<u64> =
        attestation_2.attesting_indices().iter().copied().collect();
    let indices: std::collections::BTreeSet<u64> = attestation_1
        .attesting_indices()
        .iter()
        .copied()
        .filter(|i| set_2.contains(i))
        .collect();
    let mut slashed_any = false;
    let epoch = get_current_epoch(state);
    for index in indices {
        let v = state
            .validators()
            .get(index as usize)
            .ok_or(StateError::UnknownValidator(index))?;
        if is_slashable_validator(v, epoch) {
            let block_proposer = caches.get_beacon_proposer_index(state)?;
            record_slashing(state, caches, index)?;
            slash_validator_with_proposer(state, index, None, block_proposer, spec)?;
            slashed_any = true;
        }
    }
    ensure!(slashed_any, "attester slashing: nobody slashable");
    Ok(())
}
