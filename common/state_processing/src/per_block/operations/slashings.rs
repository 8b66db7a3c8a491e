//! `process_proposer_slashing` and `process_attester_slashing`.

use crate::caches::StateCaches;
use crate::common::{
    compute_epoch_at_slot, get_current_epoch, get_domain, is_slashable_attestation_data,
    is_slashable_validator, is_valid_indexed_attestation, slash_validator_with_proposer,
    IndexedAttestationRef,
};
use crate::per_block::signatures::SignatureVerifier;
use crate::{ensure, Result, StateError};
use types::{
    BeaconState, ChainSpec, EthSpec, ProposerSlashing, DOMAIN_BEACON_ATTESTER,
    DOMAIN_BEACON_PROPOSER,
};

/// `process_proposer_slashing`: two different signed headers of one slot by one slashable proposer.
pub fn process_proposer_slashing<E: EthSpec>(
    state: &mut BeaconState<E>,
    proposer_slashing: &ProposerSlashing,
    verifier: &mut SignatureVerifier,
    caches: &StateCaches,
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
    slash_validator_with_proposer(state, proposer_index, None, block_proposer, spec)
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
        let validators = state.validators();
        let mut pubkeys = Vec::with_capacity(indexed.attesting_indices().len());
        for &index in indexed.attesting_indices() {
            let v = validators
                .get(index as usize)
                .ok_or(StateError::UnknownValidator(index))?;
            pubkeys.push(v.pubkey);
        }
        let data = indexed.data();
        let domain = get_domain(state, DOMAIN_BEACON_ATTESTER, Some(data.target.epoch));
        let signing_root = types::compute_signing_root(data, domain);
        verifier.add(what, indexed.signature(), pubkeys.iter(), signing_root)?;
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
    caches: &StateCaches,
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
            slash_validator_with_proposer(state, index, None, block_proposer, spec)?;
            slashed_any = true;
        }
    }
    ensure!(slashed_any, "attester slashing: nobody slashable");
    Ok(())
}
