//! `/eth/v*/debug/*`: whole states (JSON and SSZ), fork choice's heads, and its tree.

use crate::beacon::states::state;
use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{headers, json_response, negotiate, versioned_response, with_ctx};
use crate::Context;
use beacon_api::{ChainHeadData, ForkChoiceData, ForkChoiceNode, GenericResponse};
use fork_choice::ExecutionStatus;
use ssz::Encode;
use std::collections::HashSet;
use std::sync::Arc;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let states = warp::path!("eth" / "v2" / "debug" / "beacon" / "states" / String)
        .and(warp::get())
        .and(headers())
        .and(with_ctx(ctx.clone()))
        .then(
            |id: String, headers: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(debug_state(ctx, id, headers).await)
            },
        );
    let heads = warp::path!("eth" / "v2" / "debug" / "beacon" / "heads")
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .map(|ctx: Arc<Context<E>>| respond(heads(&ctx)));
    let fork_choice = warp::path!("eth" / "v1" / "debug" / "fork_choice")
        .and(warp::get())
        .and(with_ctx(ctx))
        .then(|ctx: Arc<Context<E>>| async move { respond(ctx.blocking(fork_choice).await) });
    states.or(heads).unify().or(fork_choice).unify().boxed()
}

async fn debug_state<E: EthSpec>(
    ctx: Arc<Context<E>>,
    id: String,
    headers: HeaderMap,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let view = state(&ctx, &id).await?;
    tokio::task::spawn_blocking(move || {
        versioned_response(
            encoding,
            view.state.fork_name(),
            view.execution_optimistic,
            view.finalized,
            &*view.state,
            |state| state.as_ssz_bytes(),
        )
    })
    .await?
}

fn validity(status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Valid | ExecutionStatus::Irrelevant => "valid",
        ExecutionStatus::Optimistic => "optimistic",
        ExecutionStatus::Invalid => "invalid",
    }
}

/// Fork choice's leaves that are not invalid.
fn heads<E: EthSpec>(ctx: &Context<E>) -> ApiResult {
    let data = ctx.chain.with_fork_choice(|fc| {
        let nodes = fc.proto_array().nodes();
        let parents: HashSet<usize> = nodes.iter().filter_map(|n| n.parent).collect();
        nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| !parents.contains(i) && n.execution_status != ExecutionStatus::Invalid)
            .map(|(_, n)| ChainHeadData {
                root: n.root,
                slot: n.slot,
                execution_optimistic: n.execution_status == ExecutionStatus::Optimistic,
            })
            .collect::<Vec<_>>()
    });
    json_response(&GenericResponse::from(data))
}

/// Fork choice's tree. Blocking: the anchor's parent root is read from the store, since the spec
/// requires one for every node and fork choice keeps none for its anchor.
fn fork_choice<E: EthSpec>(ctx: &Context<E>) -> ApiResult {
    let mut data = ctx.chain.with_fork_choice(|fc| {
        let nodes = fc.proto_array().nodes();
        ForkChoiceData {
            justified_checkpoint: fc.justified_checkpoint(),
            finalized_checkpoint: fc.finalized_checkpoint(),
            fork_choice_nodes: nodes
                .iter()
                .map(|n| ForkChoiceNode {
                    slot: n.slot,
                    block_root: n.root,
                    parent_root: n.parent.and_then(|i| nodes.get(i)).map(|p| p.root),
                    justified_epoch: n.justified_checkpoint.epoch,
                    finalized_epoch: n.finalized_checkpoint.epoch,
                    weight: n.weight,
                    validity: validity(n.execution_status).to_string(),
                    execution_block_hash: n.execution_block_hash,
                })
                .collect(),
        }
    });
    for node in data.fork_choice_nodes.iter_mut() {
        if node.parent_root.is_none() {
            let summary = ctx
                .chain
                .store()
                .get_block_summary(&node.block_root)?
                .ok_or_else(|| {
                    ApiError::internal(format!(
                        "fork choice's anchor {:#x} is not stored",
                        node.block_root
                    ))
                })?;
            node.parent_root = Some(summary.parent_root);
        }
    }
    json_response(&data)
}
