//! Duties: proposers of an epoch, attester committees and sync committee seats of given validators,
//! each with the root their computation depends on (a re-org past it changes the duties).

use crate::errors::{ApiError, ApiResult};
use crate::filters::{json_response, parse_path_u64};
use crate::ids::settled;
use crate::Context;
use beacon_api::{
    AttesterData, DutiesResponse, OptimisticResponse, ProposerData, StateId, SyncDutyData,
};
use state_processing::caches::CommitteeCache;
use state_processing::common::{get_beacon_proposer_indices, get_block_root_at_slot};
use std::collections::HashMap;
use std::sync::Arc;
use types::{BeaconState, Epoch, EthSpec, Hash256};

/// The most validators one duties request may name.
pub const MAX_DUTY_INDICES: usize = 65_536;

/// A state in `epoch` (at its first slot, or the head's if later) on the canonical chain, and whether
/// it is optimistic. Past epochs come from the store; the current and next from the head advanced.
fn state_in_epoch<E: EthSpec>(
    ctx: &Context<E>,
    epoch: Epoch,
) -> ApiResult<(Arc<BeaconState<E>>, bool)> {
    let current = ctx.chain.current_slot() / E::slots_per_epoch();
    if epoch > current + 1 {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is more than one epoch after the current epoch {current}"
        )));
    }
    let start = epoch
        .checked_mul(E::slots_per_epoch())
        .ok_or_else(|| ApiError::bad_request("epoch out of range"))?;
    let head = ctx.chain.head();
    let head_epoch = head.slot / E::slots_per_epoch();
    if epoch >= head_epoch {
        let state = ctx
            .chain
            .state_at_slot(head.block_root, start.max(head.slot))
            .map_err(ApiError::internal)?;
        return Ok((settled(&state)?.0, head.optimistic));
    }
    let view = ctx.state_view(StateId::Slot(start)).map_err(|e| {
        // The duties endpoints document no 404: an epoch whose states are pruned is one this node
        // cannot answer for, a 400.
        if e.status == warp::http::StatusCode::NOT_FOUND {
            ApiError::bad_request(format!("epoch {epoch}: {}", e.message))
        } else {
            e
        }
    })?;
    Ok((view.state, view.execution_optimistic))
}

/// The root of the block at `slot` as `state` records it, or the genesis block before genesis.
fn root_at<E: EthSpec>(ctx: &Context<E>, state: &BeaconState<E>, slot: Option<u64>) -> Hash256 {
    slot.and_then(|slot| get_block_root_at_slot(state, slot).ok())
        .unwrap_or_else(|| ctx.chain.genesis_block_root())
}

/// `GET /eth/v1/validator/duties/proposer/{epoch}`.
pub fn proposer<E: EthSpec>(ctx: &Context<E>, epoch: &str) -> ApiResult {
    let epoch = parse_path_u64("epoch", epoch)?;
    let (state, optimistic) = state_in_epoch(ctx, epoch)?;
    let spe = E::slots_per_epoch();
    let start = epoch * spe;
    let (proposers, dependent_slot) = match state.proposer_lookahead() {
        // Fulu: the lookahead, fixed at the end of the epoch before the previous one.
        Ok(lookahead) if state.slot() / spe == epoch => (
            lookahead
                .iter()
                .take(spe as usize)
                .copied()
                .collect::<Vec<_>>(),
            epoch.checked_sub(1).and_then(|e| (e * spe).checked_sub(1)),
        ),
        _ => (
            get_beacon_proposer_indices(&state, epoch)
                .map_err(|e| ApiError::internal(e.to_string()))?,
            start.checked_sub(1),
        ),
    };
    let data = proposers
        .iter()
        .enumerate()
        .filter_map(|(i, &index)| {
            let validator = state.validators().get(index as usize)?;
            Some(ProposerData {
                pubkey: validator.pubkey,
                validator_index: index,
                slot: start + i as u64,
            })
        })
        .collect::<Vec<_>>();
    json_response(&DutiesResponse {
        dependent_root: root_at(ctx, &state, dependent_slot),
        execution_optimistic: optimistic,
        data,
    })
}

fn check_indices(indices: &[u64]) -> ApiResult<()> {
    if indices.len() > MAX_DUTY_INDICES {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_DUTY_INDICES} validators per request"
        )));
    }
    Ok(())
}

/// `POST /eth/v1/validator/duties/attester/{epoch}`.
pub fn attester<E: EthSpec>(ctx: &Context<E>, epoch: &str, indices: Vec<u64>) -> ApiResult {
    let epoch = parse_path_u64("epoch", epoch)?;
    check_indices(&indices)?;
    let (state, optimistic) = state_in_epoch(ctx, epoch)?;
    let committees =
        CommitteeCache::new(&state, epoch).map_err(|e| ApiError::internal(e.to_string()))?;
    let wanted: std::collections::HashSet<u64> = indices.iter().copied().collect();
    let mut found: HashMap<u64, AttesterData> = HashMap::new();
    let spe = E::slots_per_epoch();
    for slot in epoch * spe..(epoch + 1) * spe {
        for index in 0..committees.committees_per_slot() {
            let committee = committees
                .get_beacon_committee(slot, index)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            for (position, validator) in committee.iter().enumerate() {
                if !wanted.contains(validator) {
                    continue;
                }
                let Some(v) = state.validators().get(*validator as usize) else {
                    continue;
                };
                found.insert(
                    *validator,
                    AttesterData {
                        pubkey: v.pubkey,
                        validator_index: *validator,
                        committee_index: index,
                        committee_length: committee.len() as u64,
                        committees_at_slot: committees.committees_per_slot(),
                        validator_committee_index: position as u64,
                        slot,
                    },
                );
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let data: Vec<AttesterData> = indices
        .iter()
        .filter(|i| seen.insert(**i))
        .filter_map(|i| found.remove(i))
        .collect();
    let dependent_slot = epoch.checked_sub(1).and_then(|e| (e * spe).checked_sub(1));
    json_response(&DutiesResponse {
        dependent_root: root_at(ctx, &state, dependent_slot),
        execution_optimistic: optimistic,
        data,
    })
}

/// `POST /eth/v1/validator/duties/sync/{epoch}`: seats in the sync committee of the epoch's period
/// (the head state's current or next period).
pub fn sync<E: EthSpec>(ctx: &Context<E>, epoch: &str, indices: Vec<u64>) -> ApiResult {
    let epoch = parse_path_u64("epoch", epoch)?;
    check_indices(&indices)?;
    let head = ctx.chain.head();
    let period = |e: Epoch| e / E::EPOCHS_PER_SYNC_COMMITTEE_PERIOD;
    let head_period = period(head.slot / E::slots_per_epoch());
    let committee = if period(epoch) == head_period {
        head.state.current_sync_committee().clone()
    } else if period(epoch) == head_period + 1 {
        head.state.next_sync_committee().clone()
    } else {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is outside the current and next sync committee periods"
        )));
    };
    let mut seen = std::collections::HashSet::new();
    let data: Vec<SyncDutyData> = indices
        .into_iter()
        .filter(|i| seen.insert(*i))
        .filter_map(|index| {
            let pubkey = head.state.validators().get(index as usize)?.pubkey;
            let seats: Vec<u64> = committee
                .pubkeys
                .iter()
                .enumerate()
                .filter(|(_, key)| **key == pubkey)
                .map(|(i, _)| i as u64)
                .collect();
            (!seats.is_empty()).then_some(SyncDutyData {
                pubkey,
                validator_index: index,
                validator_sync_committee_indices: seats,
            })
        })
        .collect();
    json_response(&OptimisticResponse {
        execution_optimistic: head.optimistic,
        data,
    })
}
