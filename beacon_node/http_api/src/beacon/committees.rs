//! `states/{state_id}/committees`, `sync_committees` and `randao`, and the builder namespace's
//! `expected_withdrawals` (what relays check a payload's withdrawals against).

use super::states::{chain_response, state};
use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{query, with_ctx, Query};
use crate::Context;
use beacon_api::{CommitteeData, QuotedIndices, RandaoData, SyncCommitteeData};
use ssz_types::typenum::Unsigned;
use state_processing::caches::CommitteeCache;
use state_processing::common::{get_expected_withdrawals, get_randao_mix};
use std::sync::Arc;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

/// How far past a state `expected_withdrawals` advances it (slots): the next proposals, not a replay
/// of the future.
pub const MAX_WITHDRAWALS_LOOKAHEAD: u64 = 64;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    warp::path!("eth" / "v1" / "builder" / "states" / String / "expected_withdrawals")
        .and(warp::get())
        .and(query())
        .and(with_ctx(ctx))
        .then(|id: String, q: Query, ctx: Arc<Context<E>>| async move {
            respond(expected_withdrawals(ctx, id, q).await)
        })
        .boxed()
}

pub async fn committees<E: EthSpec>(ctx: Arc<Context<E>>, id: String, q: Query) -> ApiResult {
    let view = state(&ctx, &id).await?;
    let state_epoch = view.state.slot() / E::slots_per_epoch();
    let epoch = q.u64("epoch")?.unwrap_or(state_epoch);
    if epoch.saturating_add(1) < state_epoch || epoch > state_epoch.saturating_add(1) {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is not the state's previous, current or next epoch"
        )));
    }
    let index = q.u64("index")?;
    let slot = q.u64("slot")?;
    if let Some(slot) = slot {
        if slot / E::slots_per_epoch() != epoch {
            return Err(ApiError::bad_request(format!(
                "slot {slot} is not in epoch {epoch}"
            )));
        }
    }
    let state = view.state.clone();
    let data = tokio::task::spawn_blocking(move || -> ApiResult<Vec<CommitteeData>> {
        let cache =
            CommitteeCache::new(&state, epoch).map_err(|e| ApiError::internal(e.to_string()))?;
        let count = cache.committees_per_slot();
        if index.is_some_and(|i| i >= count) {
            return Err(ApiError::bad_request(format!(
                "committee index out of range ({count} committees per slot)"
            )));
        }
        let spe = E::slots_per_epoch();
        let mut out = Vec::new();
        for s in (epoch * spe..(epoch + 1) * spe).filter(|s| slot.is_none_or(|x| x == *s)) {
            for i in (0..count).filter(|i| index.is_none_or(|x| x == *i)) {
                let validators = cache
                    .get_beacon_committee(s, i)
                    .map_err(|e| ApiError::internal(e.to_string()))?
                    .to_vec();
                out.push(CommitteeData {
                    index: i,
                    slot: s,
                    validators,
                });
            }
        }
        Ok(out)
    })
    .await??;
    chain_response(&view, data)
}

pub async fn sync_committees<E: EthSpec>(ctx: Arc<Context<E>>, id: String, q: Query) -> ApiResult {
    let view = state(&ctx, &id).await?;
    let period = |epoch: u64| epoch / E::EPOCHS_PER_SYNC_COMMITTEE_PERIOD;
    let state_epoch = view.state.slot() / E::slots_per_epoch();
    let epoch = q.u64("epoch")?.unwrap_or(state_epoch);
    let committee = if period(epoch) == period(state_epoch) {
        view.state.current_sync_committee().clone()
    } else if period(epoch) == period(state_epoch) + 1 {
        view.state.next_sync_committee().clone()
    } else {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is outside the state's current and next sync committee periods"
        )));
    };
    let state = view.state.clone();
    let validators = tokio::task::spawn_blocking(move || -> ApiResult<Vec<u64>> {
        let mut index = std::collections::HashMap::new();
        for (i, v) in state.validators().iter().enumerate() {
            index.entry(v.pubkey).or_insert(i as u64);
        }
        committee
            .pubkeys
            .iter()
            .map(|key| {
                index.get(key).copied().ok_or_else(|| {
                    ApiError::internal("a sync committee member is not in the registry")
                })
            })
            .collect()
    })
    .await??;
    let size = (E::SyncCommitteeSize::to_usize()
        / operation_pool::SYNC_COMMITTEE_SUBNET_COUNT as usize)
        .max(1);
    let validator_aggregates = validators
        .chunks(size)
        .map(|chunk| QuotedIndices(chunk.to_vec()))
        .collect();
    chain_response(
        &view,
        SyncCommitteeData {
            validators,
            validator_aggregates,
        },
    )
}

pub async fn randao<E: EthSpec>(ctx: Arc<Context<E>>, id: String, q: Query) -> ApiResult {
    let view = state(&ctx, &id).await?;
    let state_epoch = view.state.slot() / E::slots_per_epoch();
    let epoch = q.u64("epoch")?.unwrap_or(state_epoch);
    let history = E::EpochsPerHistoricalVector::to_u64();
    if epoch > state_epoch || epoch.saturating_add(history) <= state_epoch {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is outside the state's RANDAO history"
        )));
    }
    let randao =
        get_randao_mix(&view.state, epoch).map_err(|e| ApiError::internal(e.to_string()))?;
    chain_response(&view, RandaoData { randao })
}

async fn expected_withdrawals<E: EthSpec>(ctx: Arc<Context<E>>, id: String, q: Query) -> ApiResult {
    let view = state(&ctx, &id).await?;
    let slot = match q.u64("proposal_slot")? {
        Some(slot) => slot,
        None => view.state.slot() + 1,
    };
    if slot <= view.state.slot() || slot > view.state.slot() + MAX_WITHDRAWALS_LOOKAHEAD {
        return Err(ApiError::bad_request(format!(
            "proposal_slot {slot} must be after the state's slot {} and at most {MAX_WITHDRAWALS_LOOKAHEAD} slots later",
            view.state.slot()
        )));
    }
    let spec = ctx.chain.spec().clone();
    let state = view.state.clone();
    let withdrawals = tokio::task::spawn_blocking(move || -> ApiResult<Vec<types::Withdrawal>> {
        let mut advanced = (*state).clone();
        state_processing::process_slots(&mut advanced, slot, &spec)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(get_expected_withdrawals(&advanced)
            .map_err(|e| ApiError::internal(e.to_string()))?
            .withdrawals)
    })
    .await??;
    chain_response(&view, withdrawals)
}
