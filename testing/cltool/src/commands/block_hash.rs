//! `cltool block-hash`: the execution block hash recomputed from a payload's fields.

use super::{hex_hash, print_line};
use crate::cli::BlockHashArgs;
use crate::dispatch::{decode, Plain, Versioned};
use crate::error::{Error, Result};
use crate::input;
use execution_block_hash::compute_execution_block_hash;
use types::*;

pub fn run<E: EthSpec>(args: &BlockHashArgs) -> Result<()> {
    let hash = compute::<E>(args)?;
    print_line(&hex_hash(&hash))
}

fn compute<E: EthSpec>(args: &BlockHashArgs) -> Result<Hash256> {
    let fork = ForkName::from(args.fork);
    check_context(fork, args)?;

    let path = &args.payload;
    let payload = decode::<Versioned<ExecutionPayload<E>>>(
        path,
        input::read(path)?,
        fork,
        "ExecutionPayload",
    )?;
    let requests = match &args.execution_requests {
        Some(path) => Some(decode::<Plain<ExecutionRequests<E>>>(
            path,
            input::read(path)?,
            fork,
            "ExecutionRequests",
        )?),
        None => None,
    };
    compute_execution_block_hash(&payload, args.parent_beacon_block_root, requests.as_ref())
        .map_err(|e| Error::input(format!("cannot build the execution block header: {e}")))
}

/// The beacon-block context must be given exactly for the forks whose header commits to it.
fn check_context(fork: ForkName, args: &BlockHashArgs) -> Result<()> {
    match (fork.deneb_enabled(), args.parent_beacon_block_root.is_some()) {
        (true, false) => {
            return Err(Error::usage(format!(
                "--fork {fork} needs --parent-beacon-block-root (the beacon block's parent_root, which \
                 the execution header commits to from deneb on)"
            )))
        }
        (false, true) => {
            return Err(Error::usage(format!(
                "--fork {fork} has no parent beacon block root in its execution header; drop \
                 --parent-beacon-block-root"
            )))
        }
        _ => {}
    }
    match (fork.electra_enabled(), args.execution_requests.is_some()) {
        (true, false) => Err(Error::usage(format!(
            "--fork {fork} needs --execution-requests FILE.json (the block's ExecutionRequests; \
             {{\"deposits\":[],\"withdrawals\":[],\"consolidations\":[]}} for none)"
        ))),
        (false, true) => Err(Error::usage(format!(
            "--fork {fork} has no execution requests in its execution header; drop --execution-requests"
        ))),
        _ => Ok(()),
    }
}
