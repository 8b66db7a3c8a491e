//! `process_bls_to_execution_change` (capella).

use crate::common::{hash, BLS_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX};
use crate::per_block::signatures::SignatureVerifier;
use crate::{ensure, Result, StateError};
use types::{
    BeaconState, ChainSpec, EthSpec, Hash256, SignedBlsToExecutionChange,
    DOMAIN_BLS_TO_EXECUTION_CHANGE,
};

/// `process_bls_to_execution_change`: a `0x00` credential committing to `from_bls_pubkey`, signed by
/// that key under the genesis-fork domain, becomes a `0x01` credential to `to_execution_address`.
pub fn process_bls_to_execution_change<E: EthSpec>(
    state: &mut BeaconState<E>,
    signed_change: &SignedBlsToExecutionChange,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<()> {
    let change = &signed_change.message;
    let index = change.validator_index;
    let validator = state
        .validators()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))?;
    let credentials = validator.withdrawal_credentials;
    ensure!(
        credentials[0] == BLS_WITHDRAWAL_PREFIX,
        "bls change: validator {index} does not have BLS credentials"
    );
    let pubkey_hash = hash(&[&change.from_bls_pubkey.0]);
    ensure!(
        credentials[1..] == pubkey_hash[1..],
        "bls change: pubkey does not match the credentials"
    );
    let domain = types::compute_domain(
        DOMAIN_BLS_TO_EXECUTION_CHANGE,
        spec.genesis_fork_version,
        state.genesis_validators_root(),
    );
    let signing_root = types::compute_signing_root(change, domain);
    verifier.add(
        "bls to execution change",
        &signed_change.signature,
        [&change.from_bls_pubkey],
        signing_root,
    )?;
    let mut new_credentials = [0u8; 32];
    new_credentials[0] = ETH1_ADDRESS_WITHDRAWAL_PREFIX;
    new_credentials[12..].copy_from_slice(change.to_execution_address.as_slice());
    state
        .validators_mut()
        .get_mut(index as usize)
        .ok_or(StateError::UnknownValidator(index))?
        .withdrawal_credentials = Hash256::from(new_credentials);
    Ok(())
}
