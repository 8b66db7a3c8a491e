//! `/eth/v1/beacon/states/{state_id}/*`: root, fork, finality checkpoints, validators and balances.

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{body, headers, json_body, json_response, query, with_ctx, Query};
use crate::ids::{parse_state_id, StateView};
use crate::Context;
use beacon_api::{
    ChainResponse, FinalityCheckpointsData, RootData, StatusFilter, ValidatorBalanceData,
    ValidatorData, ValidatorId, ValidatorStatus, ValidatorsRequestBody,
};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use types::{BeaconState, EthSpec, PublicKeyBytes};
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

/// The most ids one validators request may name: each is a lookup, and the spec's own bound for POST
/// bodies is of this order.
pub const MAX_VALIDATOR_IDS: usize = 65_536;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let limit = ctx.config.max_body_bytes;
    let base = warp::path!("eth" / "v1" / "beacon" / "states" / String / ..);
    let simple = base
        .and(warp::path!(String))
        .and(warp::get())
        .and(query())
        .and(with_ctx(ctx.clone()))
        .then(
            |state_id: String, what: String, query: Query, ctx: Arc<Context<E>>| async move {
                respond(match what.as_str() {
                    "committees" => super::committees::committees(ctx, state_id, query).await,
                    "sync_committees" => {
                        super::committees::sync_committees(ctx, state_id, query).await
                    }
                    "randao" => super::committees::randao(ctx, state_id, query).await,
                    _ => simple(ctx, state_id, what).await,
                })
            },
        );
    let validators_get = base
        .and(warp::path!("validators"))
        .and(warp::get())
        .and(query())
        .and(with_ctx(ctx.clone()))
        .then(
            |state_id: String, query: Query, ctx: Arc<Context<E>>| async move {
                let request = (|| {
                    let ids = query.list("id").map(|ids| parse_ids(&ids)).transpose()?;
                    let statuses = query
                        .list("status")
                        .map(|s| {
                            s.iter()
                                .map(|s| s.parse::<StatusFilter>().map_err(ApiError::bad_request))
                                .collect::<ApiResult<Vec<_>>>()
                        })
                        .transpose()?;
                    Ok((ids, statuses))
                })();
                respond(match request {
                    Ok((ids, statuses)) => validators(ctx, state_id, ids, statuses).await,
                    Err(e) => Err(e),
                })
            },
        );
    let validators_post = base
        .and(warp::path!("validators"))
        .and(warp::post())
        .and(headers())
        .and(body(limit))
        .and(with_ctx(ctx.clone()))
        .then(
            |state_id: String, headers: HeaderMap, body: Bytes, ctx: Arc<Context<E>>| async move {
                let request = (|| {
                    let request: ValidatorsRequestBody = if body.is_empty() {
                        ValidatorsRequestBody::default()
                    } else {
                        json_body(&headers, &body)?
                    };
                    let ids = request.ids.as_deref().map(parse_ids).transpose()?;
                    Ok::<_, ApiError>((ids, request.statuses))
                })();
                respond(match request {
                    Ok((ids, statuses)) => validators(ctx, state_id, ids, statuses).await,
                    Err(e) => Err(e),
                })
            },
        );
    let validator = base
        .and(warp::path!("validators" / String))
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(
            |state_id: String, id: String, ctx: Arc<Context<E>>| async move {
                respond(validator(ctx, state_id, id).await)
            },
        );
    let balances_get = base
        .and(warp::path!("validator_balances"))
        .and(warp::get())
        .and(query())
        .and(with_ctx(ctx.clone()))
        .then(
            |state_id: String, query: Query, ctx: Arc<Context<E>>| async move {
                let ids = query.list("id").map(|ids| parse_ids(&ids)).transpose();
                respond(match ids {
                    Ok(ids) => balances(ctx, state_id, ids).await,
                    Err(e) => Err(e),
                })
            },
        );
    let balances_post = base
        .and(warp::path!("validator_balances"))
        .and(warp::post())
        .and(headers())
        .and(body(limit))
        .and(with_ctx(ctx))
        .then(
            |state_id: String, headers: HeaderMap, body: Bytes, ctx: Arc<Context<E>>| async move {
                let ids = if body.is_empty() {
                    Ok(None)
                } else {
                    json_body::<Vec<String>>(&headers, &body)
                        .and_then(|ids| parse_ids(&ids).map(Some))
                };
                respond(match ids {
                    Ok(ids) => balances(ctx, state_id, ids).await,
                    Err(e) => Err(e),
                })
            },
        );
    validators_get
        .or(validators_post)
        .unify()
        .or(validator)
        .unify()
        .or(balances_get)
        .unify()
        .or(balances_post)
        .unify()
        .or(simple)
        .unify()
        .boxed()
}

pub(crate) fn parse_ids(ids: &[String]) -> ApiResult<Vec<ValidatorId>> {
    if ids.len() > MAX_VALIDATOR_IDS {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_VALIDATOR_IDS} validator ids per request"
        )));
    }
    ids.iter()
        .map(|id| {
            id.parse()
                .map_err(|e: beacon_api::IdError| ApiError::bad_request(e.to_string()))
        })
        .collect()
}

/// Resolves `state_id` on a blocking thread.
pub async fn state<E: EthSpec>(ctx: &Arc<Context<E>>, state_id: &str) -> ApiResult<StateView<E>> {
    let id = parse_state_id(state_id)?;
    ctx.blocking(move |ctx| ctx.state_view(id)).await
}

pub(crate) fn chain_response<E: EthSpec, T: Serialize>(view: &StateView<E>, data: T) -> ApiResult {
    json_response(&ChainResponse {
        execution_optimistic: view.execution_optimistic,
        finalized: view.finalized,
        data,
    })
}

/// `root`, `fork` and `finality_checkpoints`.
async fn simple<E: EthSpec>(ctx: Arc<Context<E>>, state_id: String, what: String) -> ApiResult {
    if !matches!(what.as_str(), "root" | "fork" | "finality_checkpoints") {
        return Err(ApiError::not_found("no such endpoint"));
    }
    let view = state(&ctx, &state_id).await?;
    let s = &view.state;
    match what.as_str() {
        "root" => chain_response(&view, RootData { root: view.root }),
        "fork" => chain_response(&view, s.fork()),
        _ => chain_response(
            &view,
            FinalityCheckpointsData {
                previous_justified: s.previous_justified_checkpoint(),
                current_justified: s.current_justified_checkpoint(),
                finalized: s.finalized_checkpoint(),
            },
        ),
    }
}

/// The validator indices `ids` name in `state` (unknown ones left out), in request order, or every
/// index when `ids` is `None`.
pub(crate) fn select<E: EthSpec>(
    state: &BeaconState<E>,
    ids: Option<&[ValidatorId]>,
) -> Vec<usize> {
    let count = state.validators().len();
    let Some(ids) = ids else {
        return (0..count).collect();
    };
    let wanted_keys: Vec<&PublicKeyBytes> = ids
        .iter()
        .filter_map(|id| match id {
            ValidatorId::Pubkey(key) => Some(key),
            ValidatorId::Index(_) => None,
        })
        .collect();
    let mut by_key: HashMap<PublicKeyBytes, usize> = HashMap::new();
    if !wanted_keys.is_empty() {
        let wanted: std::collections::HashSet<&PublicKeyBytes> = wanted_keys.into_iter().collect();
        for (i, v) in state.validators().iter().enumerate() {
            if wanted.contains(&v.pubkey) {
                by_key.entry(v.pubkey).or_insert(i);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .filter_map(|id| match id {
            ValidatorId::Index(i) => usize::try_from(*i).ok().filter(|i| *i < count),
            ValidatorId::Pubkey(key) => by_key.get(key).copied(),
        })
        .filter(|i| seen.insert(*i))
        .collect()
}

fn validator_data<E: EthSpec>(state: &BeaconState<E>, index: usize) -> Option<ValidatorData> {
    let validator = state.validators().get(index)?.clone();
    let balance = state.balances().get(index).copied().unwrap_or_default();
    let epoch = state.slot() / E::slots_per_epoch();
    Some(ValidatorData {
        index: index as u64,
        balance,
        status: ValidatorStatus::of(&validator, balance, epoch),
        validator,
    })
}

async fn validators<E: EthSpec>(
    ctx: Arc<Context<E>>,
    state_id: String,
    ids: Option<Vec<ValidatorId>>,
    statuses: Option<Vec<StatusFilter>>,
) -> ApiResult {
    let view = state(&ctx, &state_id).await?;
    let whole_registry = ids.is_none() && statuses.as_ref().is_none_or(|s| s.is_empty());
    if whole_registry {
        return whole_registry_answer(&ctx, view).await;
    }
    // At 2^20 validators the answer is some 500 MB of JSON: it is written on a blocking thread,
    // straight from the state's lists (no intermediate list of entries).
    tokio::task::spawn_blocking(move || {
        let indices = ids.as_deref().map(|ids| select(&view.state, Some(ids)));
        chain_response(
            &view,
            ValidatorList {
                state: &view.state,
                indices: indices.as_deref(),
                statuses: statuses.as_deref().filter(|s| !s.is_empty()),
            },
        )
    })
    .await?
}

/// The last whole-registry `validators` answer (no `id`, no `status`) by the state root and the flags
/// it reports. At 2^20 validators it is some 500 MB of JSON that takes seconds to write, and its
/// readers (explorers, dashboards, validator clients starting) ask for the same head again and
/// again. One answer is kept (its memory is the price), and one is written at a time: a request that
/// comes while it is written waits for it rather than writing another.
#[derive(Default)]
pub struct WholeRegistryAnswer {
    last: tokio::sync::Mutex<Option<(WholeRegistryKey, Bytes)>>,
}

type WholeRegistryKey = (types::Hash256, bool, bool);

async fn whole_registry_answer<E: EthSpec>(ctx: &Context<E>, view: StateView<E>) -> ApiResult {
    let key = (view.root, view.execution_optimistic, view.finalized);
    let mut last = ctx.whole_registry.last.lock().await;
    let body = match &*last {
        Some((cached, body)) if *cached == key => body.clone(),
        _ => {
            // The old answer goes before the new one is written: never two in memory.
            *last = None;
            let body = tokio::task::spawn_blocking(move || {
                serde_json::to_vec(&ChainResponse {
                    execution_optimistic: view.execution_optimistic,
                    finalized: view.finalized,
                    data: ValidatorList {
                        state: &view.state,
                        indices: None,
                        statuses: None,
                    },
                })
            })
            .await?
            .map_err(|e| ApiError::internal(format!("serialising the response: {e}")))?;
            let body = Bytes::from(body);
            *last = Some((key, body.clone()));
            body
        }
    };
    let mut response = Response::new(body.into());
    response.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static(beacon_api::JSON_CONTENT_TYPE),
    );
    Ok(response)
}

/// The entries of a validators answer, serialised as they are read: `indices` in that order, else
/// the whole registry (walked in order, not looked up one index at a time), keeping those whose
/// status matches one of `statuses` when given.
struct ValidatorList<'a, E: EthSpec> {
    state: &'a BeaconState<E>,
    indices: Option<&'a [usize]>,
    statuses: Option<&'a [StatusFilter]>,
}

impl<E: EthSpec> Serialize for ValidatorList<'_, E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let epoch = self.state.slot() / E::slots_per_epoch();
        let mut seq = serializer.serialize_seq(None)?;
        let mut write = |index: usize, validator: &types::Validator, balance: u64| {
            let status = ValidatorStatus::of(validator, balance, epoch);
            if self
                .statuses
                .is_some_and(|filters| !filters.iter().any(|f| status.matches(f)))
            {
                return Ok(());
            }
            seq.serialize_element(&ValidatorData {
                index: index as u64,
                balance,
                status,
                validator: validator.clone(),
            })
        };
        match self.indices {
            Some(indices) => {
                for &i in indices {
                    if let Some(validator) = self.state.validators().get(i) {
                        let balance = self.state.balances().get(i).copied().unwrap_or_default();
                        write(i, validator, balance)?;
                    }
                }
            }
            None => {
                let balances = self.state.balances().iter();
                for (i, (validator, balance)) in
                    self.state.validators().iter().zip(balances).enumerate()
                {
                    write(i, validator, *balance)?;
                }
            }
        }
        seq.end()
    }
}

async fn validator<E: EthSpec>(ctx: Arc<Context<E>>, state_id: String, id: String) -> ApiResult {
    let id: ValidatorId = id
        .parse()
        .map_err(|e: beacon_api::IdError| ApiError::bad_request(e.to_string()))?;
    let view = state(&ctx, &state_id).await?;
    let index = select(&view.state, Some(&[id]))
        .first()
        .copied()
        .ok_or_else(|| ApiError::not_found(format!("validator {id} not found")))?;
    let data = validator_data(&view.state, index)
        .ok_or_else(|| ApiError::not_found(format!("validator {id} not found")))?;
    chain_response(&view, data)
}

async fn balances<E: EthSpec>(
    ctx: Arc<Context<E>>,
    state_id: String,
    ids: Option<Vec<ValidatorId>>,
) -> ApiResult {
    let view = state(&ctx, &state_id).await?;
    let state_arc = view.state.clone();
    let data = tokio::task::spawn_blocking(move || {
        select(&state_arc, ids.as_deref())
            .into_iter()
            .map(|i| ValidatorBalanceData {
                index: i as u64,
                balance: state_arc.balances().get(i).copied().unwrap_or_default(),
            })
            .collect::<Vec<_>>()
    })
    .await?;
    chain_response(&view, data)
}
