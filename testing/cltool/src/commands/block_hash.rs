//! `cltool block-hash`: the execution block hash recomputed from a payload's fields.

use super::{hex_hash, print_line};
use crate::cli::BlockHashArgs;
use crate::dispatch::{decode, Plain, Versioned};
use crate::error::{Error, Result};
use crate::input;
use execution_block_hash::{execution_block_hash, PayloadFields};
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
        Some(path) => Some(
            decode::<Plain<ExecutionRequests<E>>>(
                path,
                input::read(path)?,
                fork,
                "ExecutionRequests",
            )?
            .to_engine_requests(),
        ),
        None => None,
    };

    let logs_bloom: &[u8; 256] = payload.logs_bloom()[..].try_into().map_err(|_| {
        Error::in_file(
            path,
            "logs_bloom is not 256 bytes long (is --preset right?)",
        )
    })?;
    let transactions: Vec<&[u8]> = payload.transactions().iter().map(|tx| &tx[..]).collect();
    let withdrawals: Vec<execution_block_hash::Withdrawal> = payload
        .withdrawals()
        .iter()
        .map(|w| (w.index, w.validator_index, w.address, w.amount))
        .collect();
    let fields = PayloadFields {
        parent_hash: payload.parent_hash(),
        fee_recipient: payload.fee_recipient(),
        state_root: payload.state_root(),
        receipts_root: payload.receipts_root(),
        logs_bloom,
        prev_randao: payload.prev_randao(),
        block_number: payload.block_number(),
        gas_limit: payload.gas_limit(),
        gas_used: payload.gas_used(),
        timestamp: payload.timestamp(),
        extra_data: &payload.extra_data()[..],
        base_fee_per_gas: payload.base_fee_per_gas(),
        transactions: &transactions,
        withdrawals: Some(&withdrawals),
        blob_gas_used: payload.blob_gas_used().ok(),
        excess_blob_gas: payload.excess_blob_gas().ok(),
        parent_beacon_block_root: args.parent_beacon_block_root,
        execution_requests: requests.as_deref(),
    };
    execution_block_hash(&fields)
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
