//! A full payload's checks before it may compete: the relay header checks, blob count and execution
//! requests ([`crate::bid_checks`]), the blobs bundle's KZG proofs (a full block publishes these blobs,
//! so bad ones would make it unavailable), then the local engine's verdict, which must be VALID.

use super::FullPayload;
use crate::bid_checks::{check_contents, check_header, BidContext, BidRejection};
use engine_api::{EngineClient, NewPayloadRequest, PayloadStatusKind};
use std::sync::Arc;
use std::time::Duration;
use types::{Address, EthSpec, Hash256};

/// The checks of a full payload against the chain; returns the fee recipient mismatch, as
/// [`crate::bid_checks::verify_bid`] records it. KZG runs on a blocking thread.
pub(crate) async fn check_full_payload<E: EthSpec>(
    full: &Arc<FullPayload<E>>,
    ctx: &BidContext,
) -> Result<Option<Address>, BidRejection> {
    let fork = full.payload.fork_name();
    if fork != ctx.fork {
        return Err(BidRejection::WrongFork {
            expected: ctx.fork,
            got: fork.to_string(),
        });
    }
    let header = full.payload.to_header();
    let mismatch = check_header(&header, ctx)?;
    check_contents::<E>(
        full.blobs_bundle.as_ref().map(|b| b.commitments().len()),
        full.execution_requests.as_ref(),
        ctx,
    )?;
    if full.blobs_bundle.as_ref().is_some_and(|b| !b.is_empty()) {
        let checked = full.clone();
        let max = ctx.max_blobs_per_block;
        let result = tokio::task::spawn_blocking(move || {
            let Some(bundle) = checked.blobs_bundle.as_ref() else {
                return Ok(());
            };
            kzg::verify_blobs_bundle(fork, max, bundle.commitments(), bundle.as_ref())
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("the KZG check did not finish: {e}")));
        result.map_err(BidRejection::BadBlobsBundle)?;
    }
    Ok(mismatch)
}

/// The local engine's `newPayload` on `full`, within `timeout`: only VALID passes.
pub(crate) async fn engine_verdict<E: EthSpec>(
    engine: &EngineClient,
    full: &FullPayload<E>,
    parent_beacon_block_root: Hash256,
    timeout: Duration,
) -> Result<(), BidRejection> {
    let fork = full.payload.fork_name();
    let versioned_hashes = full
        .blobs_bundle
        .as_ref()
        .map(|b| {
            b.commitments()
                .iter()
                .map(kzg::kzg_to_versioned_hash)
                .collect()
        })
        .unwrap_or_default();
    let request = NewPayloadRequest {
        payload: &full.payload,
        versioned_hashes,
        parent_beacon_block_root: fork.deneb_enabled().then_some(parent_beacon_block_root),
        execution_requests: full.execution_requests.as_ref(),
    };
    let status = match tokio::time::timeout(timeout, engine.new_payload(&request)).await {
        Err(_) => {
            return Err(BidRejection::EngineCheckFailed(format!(
                "newPayload took longer than {} ms",
                timeout.as_millis()
            )))
        }
        Ok(Err(error)) => return Err(BidRejection::EngineCheckFailed(error.to_string())),
        Ok(Ok(status)) => status,
    };
    match status.status {
        PayloadStatusKind::Valid => Ok(()),
        PayloadStatusKind::Invalid | PayloadStatusKind::InvalidBlockHash => {
            Err(BidRejection::EngineInvalid {
                block_hash: full.block_hash(),
                error: status.validation_error.unwrap_or_default(),
            })
        }
        other => Err(BidRejection::EngineSyncing(format!("{other:?}"))),
    }
}
