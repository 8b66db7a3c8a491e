//! `/eth/v*/validator/*`: duties, block production, attestation data and aggregates, sync committee
//! contributions, subscriptions (accepted: there is no p2p stack to subscribe), preparations,
//! registrations and liveness.

mod attestation;
mod duties;
mod produce;
mod registration;

pub use attestation::is_aggregator;
pub use produce::block_data;

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{
    body, consensus_version, empty_response, headers, json_body, query, with_ctx, Query,
};
use crate::Context;
use beacon_api::{
    BeaconCommitteeSubscription, SignedAggregateAndProof, SyncCommitteeSubscription,
    ValidatorIndices,
};
use produce::Endpoint;
use std::sync::Arc;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let limit = ctx.config.max_body_bytes;
    let c = ctx.clone();
    let with = move || with_ctx(c.clone());

    // Production.
    let produce_v3 = warp::path!("eth" / "v3" / "validator" / "blocks" / String)
        .and(warp::get())
        .and(query())
        .and(headers())
        .and(with())
        .then(
            |slot: String, q: Query, h: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(produce::produce(ctx, Endpoint::V3, Some(slot), q, h).await)
            },
        );
    let produce_v2 = warp::path!("eth" / "v2" / "validator" / "blocks" / String)
        .and(warp::get())
        .and(query())
        .and(headers())
        .and(with())
        .then(
            |slot: String, q: Query, h: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(produce::produce(ctx, Endpoint::V2, Some(slot), q, h).await)
            },
        );
    let produce_blinded = warp::path!("eth" / "v1" / "validator" / "blinded_blocks" / String)
        .and(warp::get())
        .and(query())
        .and(headers())
        .and(with())
        .then(
            |slot: String, q: Query, h: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(produce::produce(ctx, Endpoint::BlindedV1, Some(slot), q, h).await)
            },
        );
    let produce_alias = warp::path!("eth" / "v1" / "validator" / "blinded_block")
        .and(warp::get())
        .and(query())
        .and(headers())
        .and(with())
        .then(|q: Query, h: HeaderMap, ctx: Arc<Context<E>>| async move {
            respond(produce::produce(ctx, Endpoint::BlindedV1, None, q, h).await)
        });

    // Duties.
    let proposer = warp::path!("eth" / "v1" / "validator" / "duties" / "proposer" / String)
        .and(warp::get())
        .and(with())
        .then(|epoch: String, ctx: Arc<Context<E>>| async move {
            respond(ctx.blocking(move |ctx| duties::proposer(ctx, &epoch)).await)
        });
    let duties_post = warp::path!("eth" / "v1" / "validator" / "duties" / String / String)
        .and(warp::post())
        .and(headers())
        .and(body(limit))
        .and(with())
        .then(
            |kind: String, epoch: String, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(
                    async {
                        let ValidatorIndices(indices) = json_body(&h, &b)?;
                        match kind.as_str() {
                            "attester" => {
                                ctx.blocking(move |ctx| duties::attester(ctx, &epoch, indices))
                                    .await
                            }
                            "sync" => {
                                ctx.blocking(move |ctx| duties::sync(ctx, &epoch, indices))
                                    .await
                            }
                            _ => Err(ApiError::not_found("no such endpoint")),
                        }
                    }
                    .await,
                )
            },
        );

    // Attestations and sync committee.
    let gets = warp::path!("eth" / String / "validator" / String)
        .and(warp::get())
        .and(query())
        .and(with())
        .then(
            |version: String, what: String, q: Query, ctx: Arc<Context<E>>| async move {
                respond(
                    ctx.clone()
                        .blocking(move |ctx| match (version.as_str(), what.as_str()) {
                            ("v1", "attestation_data") => attestation::attestation_data(ctx, &q),
                            ("v2", "aggregate_attestation") => {
                                attestation::aggregate_attestation(ctx, &q)
                            }
                            ("v1", "aggregate_attestation") => {
                                attestation::aggregate_attestation_v1(ctx, &q)
                            }
                            ("v1", "sync_committee_contribution") => {
                                attestation::sync_committee_contribution(ctx, &q)
                            }
                            _ => Err(ApiError::not_found("no such endpoint")),
                        })
                        .await,
                )
            },
        );
    let posts = warp::path!("eth" / String / "validator" / String)
        .and(warp::post())
        .and(headers())
        .and(body(limit))
        .and(with())
        .then(
            |version: String, what: String, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(post(ctx, version, what, h, b).await)
            },
        );
    let liveness = warp::path!("eth" / "v1" / "validator" / "liveness" / String)
        .and(warp::post())
        .and(headers())
        .and(body(limit))
        .and(with())
        .then(
            |epoch: String, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(
                    async {
                        let ValidatorIndices(indices) = json_body(&h, &b)?;
                        ctx.blocking(move |ctx| registration::liveness(ctx, &epoch, indices))
                            .await
                    }
                    .await,
                )
            },
        );

    produce_v3
        .or(produce_v2)
        .unify()
        .or(produce_blinded)
        .unify()
        .or(produce_alias)
        .unify()
        .or(proposer)
        .unify()
        .or(duties_post)
        .unify()
        .or(liveness)
        .unify()
        .or(gets)
        .unify()
        .or(posts)
        .unify()
        .boxed()
}

/// The `POST /eth/v*/validator/{what}` endpoints with a plain body.
async fn post<E: EthSpec>(
    ctx: Arc<Context<E>>,
    version: String,
    what: String,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    match (version.as_str(), what.as_str()) {
        (v @ ("v1" | "v2"), "aggregate_and_proofs") => async {
            // v1 (pre-Electra, for older validator clients) names no fork: phase0-shaped aggregates.
            let fork = match v {
                "v1" => types::ForkName::Capella,
                _ => consensus_version(&headers)?.ok_or_else(|| {
                    ApiError::bad_request("Eth-Consensus-Version header required")
                })?,
            };
            let values: Vec<serde_json::Value> = json_body(&headers, &body)?;
            let aggregates = values
                .into_iter()
                .map(|v| SignedAggregateAndProof::from_value(v, fork))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::bad_request(format!("invalid aggregate: {e}")))?;
            attestation::aggregate_and_proofs(ctx, aggregates).await
        }
        .await
        // Batch endpoints: every 400 is an `IndexedErrorMessage`.
        .map_err(ApiError::in_batch),
        ("v1", "contribution_and_proofs") => async {
            let contributions = json_body(&headers, &body)?;
            attestation::contribution_and_proofs(ctx, contributions).await
        }
        .await
        .map_err(ApiError::in_batch),
        ("v1", "beacon_committee_selections" | "sync_committee_selections") => {
            // Only distributed-validator middleware combines selection proofs; the spec lets a
            // beacon node answer 501.
            Err(ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "selection proofs are combined by distributed-validator middleware, not a beacon node",
            ))
        }
        ("v1", "beacon_committee_subscriptions") => {
            // No p2p stack: nothing to subscribe to, but the body must be well formed.
            let _: Vec<BeaconCommitteeSubscription> = json_body(&headers, &body)?;
            Ok(empty_response(StatusCode::OK))
        }
        ("v1", "sync_committee_subscriptions") => {
            let _: Vec<SyncCommitteeSubscription> = json_body(&headers, &body)?;
            Ok(empty_response(StatusCode::OK))
        }
        ("v1", "prepare_beacon_proposer") => {
            let preparations = json_body(&headers, &body)?;
            registration::prepare_beacon_proposer(&ctx, preparations)
        }
        ("v1", "register_validator") => {
            let registrations = json_body(&headers, &body)?;
            registration::register_validator(ctx, registrations).await
        }
        _ => Err(ApiError::not_found("no such endpoint")),
    }
}
