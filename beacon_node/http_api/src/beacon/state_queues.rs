//! `states/{state_id}/*` that arrived with Electra and Fulu: the pending deposit, partial withdrawal and
//! consolidation queues, the proposer lookahead, and validator identities. JSON or SSZ by `Accept`.

use super::states::{chain_response, parse_ids, select, state};
use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{
    headers, json_body, negotiate, ssz_response, versioned_response, with_ctx, Encoding,
};
use crate::ids::StateView;
use crate::Context;
use beacon_api::{QuotedIndices, ValidatorIdentityData};
use serde::Serialize;
use ssz::Encode;
use std::sync::Arc;
use types::{BeaconState, EthSpec, ForkName};
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

/// The queue or list a `GET states/{state_id}/{what}` names.
#[derive(Debug, Clone, Copy)]
enum Queue {
    PendingDeposits,
    PendingPartialWithdrawals,
    PendingConsolidations,
    ProposerLookahead,
}

impl Queue {
    fn parse(what: &str) -> Option<Self> {
        Some(match what {
            "pending_deposits" => Self::PendingDeposits,
            "pending_partial_withdrawals" => Self::PendingPartialWithdrawals,
            "pending_consolidations" => Self::PendingConsolidations,
            "proposer_lookahead" => Self::ProposerLookahead,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::PendingDeposits => "pending deposits",
            Self::PendingPartialWithdrawals => "pending partial withdrawals",
            Self::PendingConsolidations => "pending consolidations",
            Self::ProposerLookahead => "proposer lookahead",
        }
    }

    /// The first fork whose state has it.
    fn since(self) -> ForkName {
        match self {
            Self::ProposerLookahead => ForkName::Fulu,
            _ => ForkName::Electra,
        }
    }
}

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let limit = ctx.config.max_body_bytes;
    let base = warp::path!("eth" / "v1" / "beacon" / "states" / String / ..);
    let queues = base
        .and(warp::path!(String))
        .and(warp::get())
        .and_then(|state_id: String, what: String| async move {
            match Queue::parse(&what) {
                Some(queue) => Ok((state_id, queue)),
                None => Err(warp::reject::not_found()),
            }
        })
        .untuple_one()
        .and(headers())
        .and(with_ctx(ctx.clone()))
        .then(
            |state_id: String, queue: Queue, headers: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(get_queue(ctx, state_id, queue, headers).await)
            },
        );
    let identities = base
        .and(warp::path!("validator_identities"))
        .and(warp::post())
        .and(headers())
        .and(super::rewards::optional_body(limit))
        .and(with_ctx(ctx))
        .then(
            |state_id: String, headers: HeaderMap, body: Bytes, ctx: Arc<Context<E>>| async move {
                respond(identities(ctx, state_id, headers, body).await)
            },
        );
    queues.or(identities).unify().boxed()
}

/// A versioned answer (`version`, `execution_optimistic`, `finalized`, `data`, and the header).
fn versioned<E: EthSpec, T: Serialize + Encode>(
    view: &StateView<E>,
    encoding: Encoding,
    data: T,
) -> ApiResult {
    versioned_as(view, encoding, &data, |d| d.as_ssz_bytes())
}

/// [`versioned`] where the SSZ bytes come from `ssz` (the JSON form is a wrapper).
fn versioned_as<E: EthSpec, T: Serialize>(
    view: &StateView<E>,
    encoding: Encoding,
    data: &T,
    ssz: impl FnOnce(&T) -> Vec<u8>,
) -> ApiResult {
    versioned_response(
        encoding,
        view.state.fork_name(),
        view.execution_optimistic,
        view.finalized,
        data,
        ssz,
    )
}

async fn get_queue<E: EthSpec>(
    ctx: Arc<Context<E>>,
    state_id: String,
    queue: Queue,
    headers: HeaderMap,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let view = state(&ctx, &state_id).await?;
    let fork = view.state.fork_name();
    if fork < queue.since() {
        return Err(ApiError::bad_request(format!(
            "the state is a {fork} state: it has no {} (from {})",
            queue.name(),
            queue.since()
        )));
    }
    let s: &BeaconState<E> = &view.state;
    let wrong_fork = |_| ApiError::internal("state fork and fields disagree");
    match queue {
        Queue::PendingDeposits => {
            let data: Vec<_> = s
                .pending_deposits()
                .map_err(wrong_fork)?
                .iter()
                .cloned()
                .collect();
            versioned(&view, encoding, data)
        }
        Queue::PendingPartialWithdrawals => {
            let data: Vec<_> = s
                .pending_partial_withdrawals()
                .map_err(wrong_fork)?
                .iter()
                .cloned()
                .collect();
            versioned(&view, encoding, data)
        }
        Queue::PendingConsolidations => {
            let data: Vec<_> = s
                .pending_consolidations()
                .map_err(wrong_fork)?
                .iter()
                .cloned()
                .collect();
            versioned(&view, encoding, data)
        }
        Queue::ProposerLookahead => {
            let data: Vec<u64> = s
                .proposer_lookahead()
                .map_err(wrong_fork)?
                .iter()
                .copied()
                .collect();
            versioned_as(&view, encoding, &QuotedIndices(data), |d| {
                d.0.as_ssz_bytes()
            })
        }
    }
}

/// `POST /eth/v1/beacon/states/{state_id}/validator_identities`: index, key and activation epoch of
/// the validators named (every validator for no body or `[]`; unknown ones left out).
async fn identities<E: EthSpec>(
    ctx: Arc<Context<E>>,
    state_id: String,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let ids = if body.is_empty() {
        None
    } else {
        let ids: Vec<String> = json_body(&headers, &body)?;
        (!ids.is_empty()).then(|| parse_ids(&ids)).transpose()?
    };
    let view = state(&ctx, &state_id).await?;
    let state_arc = view.state.clone();
    let data = tokio::task::spawn_blocking(move || {
        select(&state_arc, ids.as_deref())
            .into_iter()
            .filter_map(|i| {
                state_arc
                    .validators()
                    .get(i)
                    .map(|v| ValidatorIdentityData {
                        index: i as u64,
                        pubkey: v.pubkey,
                        activation_epoch: v.activation_epoch,
                    })
            })
            .collect::<Vec<_>>()
    })
    .await?;
    match encoding {
        Encoding::Ssz => Ok(ssz_response(data.as_ssz_bytes())),
        Encoding::Json => chain_response(&view, data),
    }
}
