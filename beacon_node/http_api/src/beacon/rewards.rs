//! `/eth/v1/beacon/rewards/*`: what a block paid its proposer, what its sync aggregate paid the sync
//! committee, and what an epoch's attestations earned. The amounts come from `state_processing::rewards`
//! (the state transition's own steps) on the block's pre-state or the epoch's processing state.

use super::states::{parse_ids, select, state};
use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{body, headers, json_body, json_response, parse_path_u64, with_ctx};
use crate::ids::{parse_block_id, BlockView};
use crate::Context;
use beacon_api::{
    AttestationRewardData, AttestationsRewardsData, BlockRewardsData, ChainResponse,
    IdealAttestationRewardData, StateId, SyncCommitteeRewardData, ValidatorId,
};
use state_processing::rewards::{
    compute_attestation_rewards, compute_block_rewards, compute_sync_committee_rewards,
};
use std::collections::HashSet;
use std::sync::Arc;
use types::{BeaconState, BlindedBeaconBlock, EthSpec};
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let limit = ctx.config.max_body_bytes;
    let blocks = warp::path!("eth" / "v1" / "beacon" / "rewards" / "blocks" / String)
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(
            |id: String, ctx: Arc<Context<E>>| async move { respond(block_rewards(ctx, id).await) },
        );
    let sync = warp::path!("eth" / "v1" / "beacon" / "rewards" / "sync_committee" / String)
        .and(warp::post())
        .and(headers())
        .and(optional_body(limit))
        .and(with_ctx(ctx.clone()))
        .then(
            |id: String, headers: HeaderMap, body: Bytes, ctx: Arc<Context<E>>| async move {
                respond(sync_committee_rewards(ctx, id, headers, body).await)
            },
        );
    let attestations = warp::path!("eth" / "v1" / "beacon" / "rewards" / "attestations" / String)
        .and(warp::post())
        .and(headers())
        .and(optional_body(limit))
        .and(with_ctx(ctx))
        .then(
            |epoch: String, headers: HeaderMap, body: Bytes, ctx: Arc<Context<E>>| async move {
                respond(attestation_rewards(ctx, epoch, headers, body).await)
            },
        );
    blocks.or(sync).unify().or(attestations).unify().boxed()
}

/// A request body the spec makes optional: a request without one (neither `Content-Length` nor
/// `Transfer-Encoding`: zero bytes by HTTP/1.1) is an empty body, which [`body`] would refuse with
/// 411; any other goes through [`body`] and its limit (the first branch's not-found rejection yields
/// to the second's 411 or 413).
pub(crate) fn optional_body(
    limit: u64,
) -> impl Filter<Extract = (Bytes,), Error = warp::Rejection> + Clone {
    let unframed = headers().and_then(|headers: HeaderMap| async move {
        let framed = headers.contains_key(warp::http::header::CONTENT_LENGTH)
            || headers.contains_key(warp::http::header::TRANSFER_ENCODING);
        if framed {
            Err(warp::reject::not_found())
        } else {
            Ok(Bytes::new())
        }
    });
    unframed.or(body(limit)).unify()
}

/// The validator ids of a rewards body: an array of indices or keys; none (no body or `[]`) is all.
fn body_ids(headers: &HeaderMap, body: &Bytes) -> ApiResult<Option<Vec<ValidatorId>>> {
    if body.is_empty() {
        return Ok(None);
    }
    let ids: Vec<String> = json_body(headers, body)?;
    if ids.is_empty() {
        return Ok(None);
    }
    parse_ids(&ids).map(Some)
}

fn respond_chain<T: serde::Serialize>(optimistic: bool, finalized: bool, data: T) -> ApiResult {
    json_response(&ChainResponse {
        execution_optimistic: optimistic,
        finalized,
        data,
    })
}

/// A stored block and its pre-state (the parent's post-state advanced to the block's slot). Blocking.
fn block_and_pre_state<E: EthSpec>(
    ctx: &Context<E>,
    id: &str,
) -> ApiResult<(BlockView, BlindedBeaconBlock<E>, Arc<BeaconState<E>>)> {
    let view = ctx.block_view(parse_block_id(id)?)?;
    let block = ctx.blinded_block(&view.root)?.message_enum();
    if block.slot() == 0 {
        return Err(ApiError::bad_request(
            "the genesis block has no parent state and pays no rewards",
        ));
    }
    let state = ctx
        .chain
        .state_at_slot(block.parent_root(), block.slot())
        .map_err(|e| ApiError::internal(format!("the block's pre-state: {e}")))?;
    Ok((view, block, state))
}

/// `GET /eth/v1/beacon/rewards/blocks/{block_id}`.
async fn block_rewards<E: EthSpec>(ctx: Arc<Context<E>>, id: String) -> ApiResult {
    parse_block_id(&id)?;
    let (view, rewards) = ctx
        .blocking(move |ctx| {
            let (view, block, state) = block_and_pre_state(ctx, &id)?;
            let rewards = compute_block_rewards(&state, &block, ctx.chain.spec())
                .map_err(|e| ApiError::internal(format!("replaying the block: {e}")))?;
            Ok((view, rewards))
        })
        .await?;
    respond_chain(
        view.execution_optimistic,
        view.finalized,
        BlockRewardsData {
            proposer_index: rewards.proposer_index,
            total: rewards.total(),
            attestations: rewards.attestations,
            sync_aggregate: rewards.sync_aggregate,
            proposer_slashings: rewards.proposer_slashings,
            attester_slashings: rewards.attester_slashings,
        },
    )
}

/// `POST /eth/v1/beacon/rewards/sync_committee/{block_id}`.
async fn sync_committee_rewards<E: EthSpec>(
    ctx: Arc<Context<E>>,
    id: String,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    parse_block_id(&id)?;
    let ids = body_ids(&headers, &body)?;
    let (view, data) = ctx
        .blocking(move |ctx| {
            let (view, block, state) = block_and_pre_state(ctx, &id)?;
            let bits: Vec<bool> = block
                .body_ref()
                .sync_aggregate()
                .sync_committee_bits
                .iter()
                .collect();
            let rewards = compute_sync_committee_rewards(&state, &bits)
                .map_err(|e| ApiError::internal(format!("sync committee rewards: {e}")))?;
            let wanted: Option<HashSet<u64>> = ids.map(|ids| {
                select(&state, Some(&ids))
                    .into_iter()
                    .map(|i| i as u64)
                    .collect()
            });
            let data: Vec<SyncCommitteeRewardData> = rewards
                .into_iter()
                .filter(|(i, _)| wanted.as_ref().is_none_or(|w| w.contains(i)))
                .map(|(validator_index, reward)| SyncCommitteeRewardData {
                    validator_index,
                    reward,
                })
                .collect();
            Ok((view, data))
        })
        .await?;
    respond_chain(view.execution_optimistic, view.finalized, data)
}

/// `POST /eth/v1/beacon/rewards/attestations/{epoch}`: epoch N's attestations are paid when epoch N + 1
/// ends, so the answer is read from the state at epoch N + 1's last slot, once that slot is past.
async fn attestation_rewards<E: EthSpec>(
    ctx: Arc<Context<E>>,
    epoch: String,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let epoch = parse_path_u64("epoch", &epoch)?;
    let ids = body_ids(&headers, &body)?;
    let slots = E::slots_per_epoch();
    let end_slot = epoch
        .checked_add(2)
        .and_then(|e| e.checked_mul(slots))
        .map(|s| s - 1)
        .ok_or_else(|| ApiError::bad_request(format!("epoch {epoch} is out of range")))?;
    let now = ctx.chain.current_slot().max(ctx.chain.head().slot);
    if now <= end_slot {
        return Err(ApiError::bad_request(format!(
            "the rewards of epoch {epoch} are paid at the end of epoch {}: not yet",
            epoch + 1
        )));
    }
    let view = state(&ctx, &StateId::Slot(end_slot).to_string()).await?;
    let state_arc = view.state.clone();
    let spec = ctx.chain.spec().clone();
    let data = tokio::task::spawn_blocking(move || {
        let rewards = compute_attestation_rewards(&state_arc, &spec)
            .map_err(|e| ApiError::internal(format!("attestation rewards: {e}")))?;
        let indices = select(&state_arc, ids.as_deref());
        let total_rewards = indices
            .into_iter()
            .filter_map(|i| {
                rewards.total.get(i).map(|r| AttestationRewardData {
                    validator_index: i as u64,
                    head: r.head,
                    target: r.target,
                    source: r.source,
                    inactivity: r.inactivity,
                })
            })
            .collect();
        let ideal_rewards = rewards
            .ideal
            .iter()
            .map(|(effective_balance, r)| IdealAttestationRewardData {
                effective_balance: *effective_balance,
                head: r.head,
                target: r.target,
                source: r.source,
                inactivity: r.inactivity,
            })
            .collect();
        Ok::<_, ApiError>(AttestationsRewardsData {
            ideal_rewards,
            total_rewards,
        })
    })
    .await??;
    respond_chain(view.execution_optimistic, view.finalized, data)
}
