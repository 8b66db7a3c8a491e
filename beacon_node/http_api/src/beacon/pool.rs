//! The operation pools: `GET` lists what a pool keeps, `POST` hands each operation to the chain, which
//! checks it against the head state, keeps it, counts it for fork choice where it is a vote or an
//! equivocation, and announces it. A batch with failures answers 400 with every failure's index; the
//! valid items are kept regardless.

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{
    body, consensus_version, headers, json_body, json_response, query, with_ctx, with_version,
    Query,
};
use crate::Context;
use beacon_api::{
    attester_slashing_from_value, GenericResponse, IndexedError, PoolAttestations,
    VersionedResponse,
};
use beacon_chain::PoolOperation;
use operation_pool::{Attestation, SyncCommitteeMessage};
use serde::Serialize;
use std::sync::Arc;
use types::{EthSpec, ForkName, SignedBlsToExecutionChange};
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let limit = ctx.config.max_body_bytes;
    let get = warp::path!("eth" / String / "beacon" / "pool" / String)
        .and(warp::get())
        .and(query())
        .and(with_ctx(ctx.clone()))
        .then(
            |version: String, kind: String, query: Query, ctx: Arc<Context<E>>| async move {
                respond(get_pool(ctx, version, kind, query))
            },
        );
    let post = warp::path!("eth" / String / "beacon" / "pool" / String)
        .and(warp::post())
        .and(headers())
        .and(body(limit))
        .and(with_ctx(ctx))
        .then(
            |version: String,
             kind: String,
             headers: HeaderMap,
             body: Bytes,
             ctx: Arc<Context<E>>| async move {
                // The batch endpoints answer every 400 as `IndexedErrorMessage`.
                let batch = matches!(
                    kind.as_str(),
                    "attestations" | "bls_to_execution_changes" | "sync_committees"
                );
                let result = post_pool(ctx, version, kind, headers, body).await;
                respond(result.map_err(|e| if batch { e.in_batch() } else { e }))
            },
        );
    get.or(post).unify().boxed()
}

fn no_endpoint() -> ApiError {
    ApiError::not_found("no such endpoint")
}

fn versioned<T: Serialize>(fork: ForkName, data: T) -> ApiResult {
    Ok(with_version(
        json_response(&VersionedResponse {
            version: fork,
            execution_optimistic: None,
            finalized: None,
            data,
        })?,
        fork,
    ))
}

fn get_pool<E: EthSpec>(
    ctx: Arc<Context<E>>,
    version: String,
    kind: String,
    query: Query,
) -> ApiResult {
    let pool = ctx.pool();
    let head_fork = ctx.chain.head().state.fork_name();
    match (version.as_str(), kind.as_str()) {
        ("v2", "attestations") => {
            let slot = query.u64("slot")?;
            let index = query.u64("committee_index")?;
            let fork = slot
                .map(|s| ctx.chain.spec().fork_name_at_slot::<E>(s))
                .unwrap_or(head_fork);
            let list: Vec<Attestation<E>> = pool
                .attestations(slot, index)
                .into_iter()
                .filter(|a| matches!(a, Attestation::Electra(_)) == fork.electra_enabled())
                .collect();
            versioned(fork, list)
        }
        ("v2", "attester_slashings") => {
            let list: Vec<_> = pool
                .attester_slashings()
                .into_iter()
                .filter(|s| {
                    matches!(s, operation_pool::AttesterSlashing::Electra(_))
                        == head_fork.electra_enabled()
                })
                .collect();
            versioned(head_fork, list)
        }
        ("v1", "proposer_slashings") => {
            json_response(&GenericResponse::from(pool.proposer_slashings()))
        }
        ("v1", "voluntary_exits") => json_response(&GenericResponse::from(pool.voluntary_exits())),
        ("v1", "bls_to_execution_changes") => {
            json_response(&GenericResponse::from(pool.bls_to_execution_changes()))
        }
        _ => Err(no_endpoint()),
    }
}

/// The outcome of a batch: 200, or 400 naming each refused item (a single operation is refused as
/// a plain 400).
fn batch_result<T: std::fmt::Display>(
    what: &str,
    single: bool,
    refused: Vec<(usize, T)>,
) -> ApiResult {
    if refused.is_empty() {
        return Ok(crate::filters::empty_response(StatusCode::OK));
    }
    if single {
        let message = refused
            .first()
            .map(|(_, e)| e.to_string())
            .unwrap_or_default();
        return Err(ApiError::bad_request(format!("invalid {what}: {message}")));
    }
    Err(ApiError::indexed(
        format!("some {what} were refused"),
        refused
            .into_iter()
            .map(|(index, error)| IndexedError {
                index,
                message: error.to_string(),
            })
            .collect(),
    ))
}

async fn post_pool<E: EthSpec>(
    ctx: Arc<Context<E>>,
    version: String,
    kind: String,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let key = (version.as_str(), kind.as_str());
    if !matches!(
        key,
        ("v2", "attestations")
            | ("v1", "attestations")
            | ("v2", "attester_slashings")
            | ("v1", "proposer_slashings")
            | ("v1", "voluntary_exits")
            | ("v1", "bls_to_execution_changes")
            | ("v1", "sync_committees")
    ) {
        return Err(no_endpoint());
    }
    let value: serde_json::Value = json_body(&headers, &body)?;
    let fork = consensus_version(&headers)?;
    let require_fork =
        || fork.ok_or_else(|| ApiError::bad_request("Eth-Consensus-Version header required"));
    let bad = |e: serde_json::Error| ApiError::bad_request(format!("invalid {kind}: {e}"));
    let chain = &ctx.chain;
    match kind.as_str() {
        "attestations" => {
            // v1 (pre-Electra, kept for older validator clients such as Lodestar 1.5.1) names no
            // fork: its attestations are phase0-shaped, which any pre-Electra fork decodes.
            let fork = match version.as_str() {
                "v1" => ForkName::Capella,
                _ => require_fork()?,
            };
            match PoolAttestations::<E>::from_value(value, fork).map_err(bad)? {
                PoolAttestations::Base(list) => {
                    let list = list.into_iter().map(Attestation::Base).collect();
                    batch_result("attestations", false, chain.insert_attestations(list).await)
                }
                PoolAttestations::Single(list) => batch_result(
                    "attestations",
                    false,
                    chain.insert_single_attestations(list).await,
                ),
            }
        }
        "attester_slashings" => {
            let op = attester_slashing_from_value(value, require_fork()?).map_err(bad)?;
            let refused = chain
                .insert_operations(vec![PoolOperation::AttesterSlashing(op)])
                .await;
            batch_result("attester slashing", true, refused)
        }
        "proposer_slashings" => {
            let op = serde_json::from_value(value).map_err(bad)?;
            let refused = chain
                .insert_operations(vec![PoolOperation::ProposerSlashing(op)])
                .await;
            batch_result("proposer slashing", true, refused)
        }
        "voluntary_exits" => {
            let op = serde_json::from_value(value).map_err(bad)?;
            let refused = chain
                .insert_operations(vec![PoolOperation::VoluntaryExit(op)])
                .await;
            batch_result("voluntary exit", true, refused)
        }
        "bls_to_execution_changes" => {
            let list: Vec<SignedBlsToExecutionChange> =
                serde_json::from_value(value).map_err(bad)?;
            let ops = list
                .into_iter()
                .map(PoolOperation::BlsToExecutionChange)
                .collect();
            batch_result(
                "BLS to execution changes",
                false,
                chain.insert_operations(ops).await,
            )
        }
        _ => {
            let list: Vec<SyncCommitteeMessage> = serde_json::from_value(value).map_err(bad)?;
            batch_result(
                "sync committee messages",
                false,
                chain.insert_sync_committee_messages(list).await,
            )
        }
    }
}
