//! Proposer preparations, builder registrations, subnet subscriptions and liveness.

use crate::errors::{ApiError, ApiResult};
use crate::filters::{empty_response, json_response, parse_path_u64};
use crate::Context;
use beacon_api::{GenericResponse, IndexedError, LivenessData, ProposerPreparationData};
use std::collections::HashSet;
use std::sync::Arc;
use types::{EthSpec, SignedValidatorRegistrationV1};
use warp::http::StatusCode;

/// `POST /eth/v1/validator/prepare_beacon_proposer`: fee recipients for local payloads.
pub fn prepare_beacon_proposer<E: EthSpec>(
    ctx: &Context<E>,
    preparations: Vec<ProposerPreparationData>,
) -> ApiResult {
    let pairs: Vec<(u64, types::Address)> = preparations
        .iter()
        .map(|p| (p.validator_index, p.fee_recipient))
        .collect();
    ctx.chain.prepare_beacon_proposer(&pairs);
    Ok(empty_response(StatusCode::OK))
}

/// `POST /eth/v1/validator/register_validator`: checked by the chain and forwarded to the builders;
/// refused ones answer 400 with their indices.
pub async fn register_validator<E: EthSpec>(
    ctx: Arc<Context<E>>,
    registrations: Vec<SignedValidatorRegistrationV1>,
) -> ApiResult {
    let failures = ctx.chain.register_validators(registrations).await;
    if failures.is_empty() {
        return Ok(empty_response(StatusCode::OK));
    }
    Err(ApiError::indexed(
        "some registrations were refused",
        failures
            .into_iter()
            .map(|f| IndexedError {
                index: f.index,
                message: f.message,
            })
            .collect(),
    ))
}

/// `POST /eth/v1/validator/liveness/{epoch}`: whether the chain shows each validator active in the
/// epoch (the current or the previous): a proposal in fork choice, or a participation flag in the head
/// state. The node has no gossip to watch, so what the chain recorded is what it knows.
pub fn liveness<E: EthSpec>(ctx: &Context<E>, epoch: &str, indices: Vec<u64>) -> ApiResult {
    let epoch = parse_path_u64("epoch", epoch)?;
    let current = ctx.chain.current_slot() / E::slots_per_epoch();
    if epoch > current || epoch + 1 < current {
        return Err(ApiError::bad_request(format!(
            "epoch {epoch} is neither the current epoch {current} nor the previous"
        )));
    }
    let head = ctx.chain.head();
    let head_epoch = head.slot / E::slots_per_epoch();
    let participation = if epoch == head_epoch {
        Some(head.state.current_epoch_participation())
    } else if epoch + 1 == head_epoch {
        Some(head.state.previous_epoch_participation())
    } else {
        None
    };
    let proposers: HashSet<u64> = ctx.chain.with_fork_choice(|fc| {
        fc.proto_array()
            .nodes()
            .iter()
            .filter(|n| n.slot / E::slots_per_epoch() == epoch && n.slot > 0)
            .map(|n| n.proposer_index)
            .collect()
    });
    let data: Vec<LivenessData> = indices
        .into_iter()
        .map(|index| LivenessData {
            index,
            is_live: proposers.contains(&index)
                || participation
                    .and_then(|p| p.get(index as usize).copied())
                    .is_some_and(|flags| flags != 0),
        })
        .collect();
    json_response(&GenericResponse::from(data))
}
