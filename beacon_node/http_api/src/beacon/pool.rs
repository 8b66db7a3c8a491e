//! The operation pools: `GET` lists what a pool keeps, `POST` verifies each operation against the head
//! state and keeps the valid ones. A batch with failures answers 400 with every failure's index; the
//! valid items are kept regardless. Accepted operations go out on the event stream.

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
use beacon_chain::Event;
use operation_pool::{Attestation, SyncCommitteeMessage};
use serde::Serialize;
use state_processing::StateCaches;
use std::sync::Arc;
use types::{BeaconState, EthSpec, ForkName, ProposerSlashing, SignedBlsToExecutionChange, SignedVoluntaryExit};
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
            |version: String, kind: String, headers: HeaderMap, body: Bytes, ctx: Arc<Context<E>>| async move {
                respond(post_pool(ctx, version, kind, headers, body).await)
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

fn get_pool<E: EthSpec>(ctx: Arc<Context<E>>, version: String, kind: String, query: Query) -> ApiResult {
    let pool = ctx.pool();
    let head_fork = ctx.chain.head().state.fork_name();
    match (version.as_str(), kind.as_str()) {
        ("v2", "attestations") => {
            let slot = query.u64("slot")?;
            let index = query.u64("committee_index")?;
            let fork = slot
                .map(|s| ctx.chain.spec().fork_name_at_slot::<E>(s))
                .unwrap_or(head_fork);
            let list: Vec<Attestation<E>> = pool?
                .attestations(slot, index)
                .into_iter()
                .filter(|a| matches!(a, Attestation::Electra(_)) == fork.electra_enabled())
                .collect();
            versioned(fork, list)
        }
        ("v2", "attester_slashings") => {
            let list: Vec<_> = pool?
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
            json_response(&GenericResponse::from(pool?.proposer_slashings()))
        }
        ("v1", "voluntary_exits") => json_response(&GenericResponse::from(pool?.voluntary_exits())),
        ("v1", "bls_to_execution_changes") => {
            json_response(&GenericResponse::from(pool?.bls_to_execution_changes()))
        }
        _ => Err(no_endpoint()),
    }
}

/// The outcome of a batch: 200, or 400 naming each refused item.
fn batch_result(what: &str, failures: Vec<IndexedError>) -> ApiResult {
    if failures.is_empty() {
        Ok(crate::filters::empty_response(StatusCode::OK))
    } else {
        Err(ApiError::indexed(
            format!("some {what} were refused"),
            failures,
        ))
    }
}

fn event<T: Serialize>(ctx: &Context<impl EthSpec>, topic: &'static str, item: &T) {
    if ctx.chain.events().has_subscribers() {
        if let Ok(data) = serde_json::to_value(item) {
            ctx.chain.events().send(Event::Operation { topic, data });
        }
    }
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
            | ("v2", "attester_slashings")
            | ("v1", "proposer_slashings")
            | ("v1", "voluntary_exits")
            | ("v1", "bls_to_execution_changes")
            | ("v1", "sync_committees")
    ) {
        return Err(no_endpoint());
    }
    ctx.pool()?;
    let value: serde_json::Value = json_body(&headers, &body)?;
    let fork = consensus_version(&headers)?;
    let require_fork =
        || fork.ok_or_else(|| ApiError::bad_request("Eth-Consensus-Version header required"));
    let kind_owned = kind.clone();
    // Decode first (cheap, 400 on failure), then verify on a blocking thread.
    enum Ops<E: EthSpec> {
        Attestations(PoolAttestations<E>),
        AttesterSlashing(operation_pool::AttesterSlashing<E>),
        ProposerSlashing(ProposerSlashing),
        Exit(SignedVoluntaryExit),
        Changes(Vec<SignedBlsToExecutionChange>),
        Sync(Vec<SyncCommitteeMessage>),
    }
    let bad = |e: serde_json::Error| ApiError::bad_request(format!("invalid {kind_owned}: {e}"));
    let ops = match kind.as_str() {
        "attestations" => Ops::Attestations(PoolAttestations::from_value(value, require_fork()?).map_err(bad)?),
        "attester_slashings" => Ops::AttesterSlashing(
            attester_slashing_from_value(value, require_fork()?).map_err(bad)?,
        ),
        "proposer_slashings" => Ops::ProposerSlashing(serde_json::from_value(value).map_err(bad)?),
        "voluntary_exits" => Ops::Exit(serde_json::from_value(value).map_err(bad)?),
        "bls_to_execution_changes" => Ops::Changes(serde_json::from_value(value).map_err(bad)?),
        _ => Ops::Sync(serde_json::from_value(value).map_err(bad)?),
    };
    let ops = match ops {
        Ops::Attestations(PoolAttestations::Base(list)) => {
            let list = list.into_iter().map(Attestation::Base).collect();
            let refused = ctx.chain.insert_attestations(list).await;
            return attestation_result(refused);
        }
        Ops::Attestations(PoolAttestations::Single(list)) => {
            let refused = ctx.chain.insert_single_attestations(list).await;
            return attestation_result(refused);
        }
        other => other,
    };
    ctx.blocking(move |ctx| {
        let pool = ctx.pool()?;
        let head = ctx.chain.head();
        let state: &BeaconState<E> = &head.state;
        let caches = StateCaches::new();
        let mut failures = Vec::new();
        let mut fail = |index: usize, message: String| failures.push(IndexedError { index, message });
        match ops {
            Ops::Attestations(_) => Err(ApiError::internal("attestations are handled above")),
            Ops::AttesterSlashing(s) => match pool.insert_attester_slashing(s.clone(), state, &caches) {
                Ok(_) => {
                    event(ctx, "attester_slashing", &s);
                    Ok(crate::filters::empty_response(StatusCode::OK))
                }
                Err(e) => Err(ApiError::bad_request(format!("invalid attester slashing: {e}"))),
            },
            Ops::ProposerSlashing(s) => match pool.insert_proposer_slashing(s.clone(), state, &caches) {
                Ok(_) => {
                    event(ctx, "proposer_slashing", &s);
                    Ok(crate::filters::empty_response(StatusCode::OK))
                }
                Err(e) => Err(ApiError::bad_request(format!("invalid proposer slashing: {e}"))),
            },
            Ops::Exit(exit) => match pool.insert_voluntary_exit(exit.clone(), state, &caches) {
                Ok(_) => {
                    event(ctx, "voluntary_exit", &exit);
                    Ok(crate::filters::empty_response(StatusCode::OK))
                }
                Err(e) => Err(ApiError::bad_request(format!("invalid voluntary exit: {e}"))),
            },
            Ops::Changes(list) => {
                for (i, change) in list.into_iter().enumerate() {
                    match pool.insert_bls_to_execution_change(change.clone(), state, &caches) {
                        Ok(_) => event(ctx, "bls_to_execution_change", &change),
                        Err(e) => fail(i, e.to_string()),
                    }
                }
                batch_result("BLS to execution changes", failures)
            }
            Ops::Sync(list) => {
                for (i, message) in list.iter().enumerate() {
                    if let Err(e) = pool.insert_sync_committee_message(message, state, &caches) {
                        fail(i, e.to_string());
                    }
                }
                batch_result("sync committee messages", failures)
            }
        }
    })
    .await
}

/// The chain's verdicts on a batch of attestations (it announces and counts the accepted ones).
fn attestation_result(refused: Vec<(usize, operation_pool::AttestationError)>) -> ApiResult {
    batch_result(
        "attestations",
        refused
            .into_iter()
            .map(|(index, error)| IndexedError {
                index,
                message: error.to_string(),
            })
            .collect(),
    )
}
