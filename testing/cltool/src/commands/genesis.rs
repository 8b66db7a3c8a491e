//! `cltool genesis`: an interop genesis state (the deterministic validator set of interop and devnet
//! modes).

use super::{hex_hash, print_line};
use crate::cli::GenesisArgs;
use crate::dispatch::{decode, Versioned};
use crate::error::{Error, Result};
use crate::input;
use state_processing::genesis::interop_genesis_state;
use types::ssz::Encode;
use types::*;

/// More validators than any network has: beyond this the key derivation alone would take hours.
pub const MAX_VALIDATORS: u64 = 1 << 22;

pub fn run<E: EthSpec>(args: &GenesisArgs) -> Result<()> {
    let fork = ForkName::from(args.fork);
    if args.validators > MAX_VALIDATORS {
        return Err(Error::usage(format!(
            "--validators {} is more than the limit of {MAX_VALIDATORS}",
            args.validators
        )));
    }
    let header = match &args.execution_payload_header {
        Some(path) => Some(decode::<Versioned<ExecutionPayloadHeader<E>>>(
            path,
            input::read(path)?,
            fork,
            "ExecutionPayloadHeader",
        )?),
        None => None,
    };
    let spec = ChainSpec::for_preset(E::NAME)
        .ok_or_else(|| Error::input(format!("no bundled config for preset {}", E::NAME)))?
        .with_forks_at_genesis_up_to(fork);
    let mut state =
        interop_genesis_state::<E>(args.validators, args.genesis_time, fork, header, &spec)
            .map_err(|e| Error::input(format!("cannot build the genesis state: {e}")))?;
    let root = state
        .update_tree_hash_cache()
        .map_err(|e| Error::input(format!("cannot hash the genesis state: {e:?}")))?;
    super::transition::write_state(&args.out, state.as_ssz_bytes())?;
    print_line(&format!(
        "genesis_validators_root={}",
        hex_hash(&state.genesis_validators_root())
    ))?;
    print_line(&format!("state_root={}", hex_hash(&root)))
}
