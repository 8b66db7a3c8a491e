//! `process_voluntary_exit`.

use crate::common::{
    get_current_epoch, get_domain, get_pending_balance_to_withdraw, initiate_validator_exit,
    is_active_validator, safe_add,
};
use crate::per_block::signatures::SignatureVerifier;
use crate::{ensure, Result, StateError};
use types::{
    BeaconState, ChainSpec, EthSpec, SignedVoluntaryExit, DOMAIN_VOLUNTARY_EXIT, FAR_FUTURE_EPOCH,
};

/// `process_voluntary_exit`: an active, not yet exiting validator past the shard committee period, at or
/// after the exit's epoch (Electra: with no pending partial withdrawals), signed under the exit domain
/// (from Deneb pinned to the Capella fork version, EIP-7044); start its exit.
pub fn process_voluntary_exit<E: EthSpec>(
    state: &mut BeaconState<E>,
    signed_exit: &SignedVoluntaryExit,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<()> {
    let exit = &signed_exit.message;
    let index = exit.validator_index;
    let validator = state
        .validators()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))?;
    let current_epoch = get_current_epoch(state);
    ensure!(
        is_active_validator(validator, current_epoch),
        "voluntary exit: validator {index} is not active"
    );
    ensure!(
        validator.exit_epoch == FAR_FUTURE_EPOCH,
        "voluntary exit: validator {index} is already exiting"
    );
    ensure!(
        current_epoch >= exit.epoch,
        "voluntary exit: epoch {} is in the future",
        exit.epoch
    );
    ensure!(
        current_epoch >= safe_add(validator.activation_epoch, spec.shard_committee_period)?,
        "voluntary exit: validator {index} has not been active long enough"
    );
    let pubkey = validator.pubkey;
    if state.fork_name().electra_enabled() {
        ensure!(
            get_pending_balance_to_withdraw(state, index)? == 0,
            "voluntary exit: validator {index} has pending partial withdrawals"
        );
    }
    let domain = if state.fork_name().deneb_enabled() {
        types::compute_domain(
            DOMAIN_VOLUNTARY_EXIT,
            spec.capella_fork_version,
            state.genesis_validators_root(),
        )
    } else {
        get_domain(state, DOMAIN_VOLUNTARY_EXIT, Some(exit.epoch))
    };
    let signing_root = types::compute_signing_root(exit, domain);
    verifier.add(
        "voluntary exit",
        &signed_exit.signature,
        [&pubkey],
        signing_root,
    )?;
    initiate_validator_exit(state, index, spec)
}
