//! Reading blocks: `blocks/{block_id}` (v2, JSON and SSZ), its root, `blinded_blocks/{block_id}`,
//! headers, and blob sidecars.

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{
    headers, json_response, negotiate, query, ssz_response, versioned_response, with_ctx,
    with_version, Encoding, Query,
};
use crate::ids::{parse_block_id, BlockView};
use crate::Context;
use beacon_api::{BlockHeaderData, ChainResponse, RootData, VersionedResponse};
use serde::Serialize;
use ssz::Encode;
use std::sync::Arc;
use types::{EthSpec, ForkName, Hash256, SignedBlindedBeaconBlock};
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let block = warp::path!("eth" / "v2" / "beacon" / "blocks" / String)
        .and(warp::get())
        .and(headers())
        .and(with_ctx(ctx.clone()))
        .then(
            |id: String, headers: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(get_block(ctx, id, headers, false).await)
            },
        );
    let blinded = warp::path!("eth" / "v1" / "beacon" / "blinded_blocks" / String)
        .and(warp::get())
        .and(headers())
        .and(with_ctx(ctx.clone()))
        .then(
            |id: String, headers: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(get_block(ctx, id, headers, true).await)
            },
        );
    let root = warp::path!("eth" / "v1" / "beacon" / "blocks" / String / "root")
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(|id: String, ctx: Arc<Context<E>>| async move {
            respond(
                async {
                    let view = block_view(&ctx, &id).await?;
                    chain_response(&view, RootData { root: view.root })
                }
                .await,
            )
        });
    let attestations = warp::path!("eth" / "v2" / "beacon" / "blocks" / String / "attestations")
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(|id: String, ctx: Arc<Context<E>>| async move {
            respond(block_attestations(ctx, id).await)
        });
    let header = warp::path!("eth" / "v1" / "beacon" / "headers" / String)
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .then(|id: String, ctx: Arc<Context<E>>| async move {
            respond(
                async {
                    let view = block_view(&ctx, &id).await?;
                    let data = header_data(&ctx, view).await?;
                    chain_response(&view, data)
                }
                .await,
            )
        });
    let headers_list = warp::path!("eth" / "v1" / "beacon" / "headers")
        .and(warp::get())
        .and(query())
        .and(with_ctx(ctx.clone()))
        .then(|query: Query, ctx: Arc<Context<E>>| async move {
            respond(list_headers(ctx, query).await)
        });
    let blobs = warp::path!("eth" / "v1" / "beacon" / "blob_sidecars" / String)
        .and(warp::get())
        .and(query())
        .and(headers())
        .and(with_ctx(ctx))
        .then(
            |id: String, query: Query, headers: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(blob_sidecars(ctx, id, query, headers).await)
            },
        );
    block
        .or(blinded)
        .unify()
        .or(root)
        .unify()
        .or(attestations)
        .unify()
        .or(header)
        .unify()
        .or(headers_list)
        .unify()
        .or(blobs)
        .unify()
        .boxed()
}

async fn block_view<E: EthSpec>(ctx: &Arc<Context<E>>, id: &str) -> ApiResult<BlockView> {
    let id = parse_block_id(id)?;
    ctx.blocking(move |ctx| ctx.block_view(id)).await
}

fn chain_response<T: Serialize>(view: &BlockView, data: T) -> ApiResult {
    json_response(&ChainResponse {
        execution_optimistic: view.execution_optimistic,
        finalized: view.finalized,
        data,
    })
}

/// `GET /eth/v2/beacon/blocks/{block_id}` and `GET /eth/v1/beacon/blinded_blocks/{block_id}`.
async fn get_block<E: EthSpec>(
    ctx: Arc<Context<E>>,
    id: String,
    headers: HeaderMap,
    blinded: bool,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let view = block_view(&ctx, &id).await?;
    let root = view.root;
    let (fork, ssz, json) = ctx
        .blocking(move |ctx| {
            let store = ctx.chain.store();
            if blinded {
                let block = ctx.blinded_block(&root)?;
                Ok(encode(block.fork_name(), &block, &view, encoding))
            } else {
                let block = store.get_full_block(&root).map_err(|e| match e {
                    // A payload pruned or never kept is the node's gap, not a bad request.
                    store::StoreError::MissingPayload(_) => {
                        ApiError::not_found(format!("the payload of block {root:#x} is not kept"))
                    }
                    other => ApiError::from(other),
                })?;
                let block = block
                    .ok_or_else(|| ApiError::not_found(format!("block {root:#x} not found")))?;
                Ok(encode(block.fork_name(), &block, &view, encoding))
            }
        })
        .await?;
    let response = match encoding {
        Encoding::Ssz => ssz_response(ssz),
        Encoding::Json => json_response(&json)?,
    };
    Ok(with_version(response, fork))
}

/// One encoding of a block: the SSZ bytes, or its JSON envelope.
fn encode<T: Serialize + Encode>(
    fork: ForkName,
    block: &T,
    view: &BlockView,
    encoding: Encoding,
) -> (ForkName, Vec<u8>, serde_json::Value) {
    match encoding {
        Encoding::Ssz => (fork, block.as_ssz_bytes(), serde_json::Value::Null),
        Encoding::Json => (
            fork,
            vec![],
            serde_json::to_value(VersionedResponse {
                version: fork,
                execution_optimistic: Some(view.execution_optimistic),
                finalized: Some(view.finalized),
                data: block,
            })
            .unwrap_or_default(),
        ),
    }
}

fn header_of<E: EthSpec>(block: &SignedBlindedBeaconBlock<E>, view: BlockView) -> BlockHeaderData {
    BlockHeaderData {
        root: view.root,
        canonical: view.canonical,
        header: block.signed_block_header(),
    }
}

async fn header_data<E: EthSpec>(
    ctx: &Arc<Context<E>>,
    view: BlockView,
) -> ApiResult<BlockHeaderData> {
    let root = view.root;
    ctx.blocking(move |ctx| Ok(header_of(&ctx.blinded_block(&root)?, view)))
        .await
}

/// `GET /eth/v1/beacon/headers?slot=&parent_root=`: the blocks at a slot (canonical or not, as far
/// as fork choice knows them), the children of a parent, or the head.
async fn list_headers<E: EthSpec>(ctx: Arc<Context<E>>, query: Query) -> ApiResult {
    let slot = query.u64("slot")?;
    let parent_root = query.root("parent_root")?;
    let data = ctx
        .blocking(move |ctx| {
            let roots: Vec<(Hash256, u64)> = match (slot, parent_root) {
                (None, None) => {
                    let head = ctx.chain.head();
                    vec![(head.block_root, head.slot)]
                }
                _ => {
                    let mut roots: Vec<(Hash256, u64)> = ctx.chain.with_fork_choice(|fc| {
                        let nodes = fc.proto_array().nodes();
                        nodes
                            .iter()
                            .filter(|n| slot.is_none_or(|s| n.slot == s))
                            .filter(|n| {
                                parent_root.is_none_or(|p| {
                                    n.parent
                                        .and_then(|i| nodes.get(i))
                                        .is_some_and(|parent| parent.root == p)
                                })
                            })
                            .map(|n| (n.root, n.slot))
                            .collect()
                    });
                    // Below fork choice's anchor, the store's canonical block at the slot.
                    if let (Some(slot), None) = (slot, parent_root) {
                        if let Some(root) = ctx.chain.store().canonical_block_root(slot)? {
                            if !roots.iter().any(|(r, _)| *r == root) {
                                roots.push((root, slot));
                            }
                        }
                    }
                    roots
                }
            };
            let mut data = Vec::new();
            let mut optimistic = false;
            let mut finalized = true;
            for (root, slot) in roots {
                let view = ctx.block_view_of(root, slot)?;
                optimistic |= view.execution_optimistic;
                finalized &= view.finalized;
                data.push(header_of(&ctx.blinded_block(&root)?, view));
            }
            Ok(ChainResponse {
                execution_optimistic: optimistic,
                finalized: finalized && !data.is_empty(),
                data,
            })
        })
        .await?;
    json_response(&data)
}

/// `GET /eth/v1/beacon/blob_sidecars/{block_id}?indices=`.
async fn blob_sidecars<E: EthSpec>(
    ctx: Arc<Context<E>>,
    id: String,
    query: Query,
    headers: HeaderMap,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let indices = query.u64_list("indices")?;
    let view = block_view(&ctx, &id).await?;
    let root = view.root;
    let (fork, sidecars) = ctx
        .blocking(move |ctx| {
            let block = ctx.blinded_block(&root)?;
            let mut sidecars = ctx.chain.store().get_blob_sidecars(&root)?;
            if let Some(indices) = indices {
                sidecars.retain(|s| indices.contains(&s.index));
            }
            Ok((block.fork_name(), sidecars))
        })
        .await?;
    if !fork.deneb_enabled() {
        return Err(ApiError::bad_request(format!(
            "block {root:#x} is a {fork} block: it has no blobs"
        )));
    }
    if fork.fulu_enabled() {
        // The endpoint is deprecated (beacon-APIs v4.0.0) and its answer's `version` is deneb or
        // electra only: a Fulu block has no blob sidecars, its blobs are served by the blobs endpoint.
        return Err(ApiError::bad_request(format!(
            "block {root:#x} is a {fork} block: it has data columns, not blob sidecars; use \
             /eth/v1/beacon/blobs/{{block_id}} or /eth/v1/debug/beacon/data_column_sidecars/{{block_id}}"
        )));
    }
    versioned_response(
        encoding,
        fork,
        view.execution_optimistic,
        view.finalized,
        &sidecars,
        |s| s.as_ssz_bytes(),
    )
}

/// `GET /eth/v2/beacon/blocks/{block_id}/attestations`: the block's attestations in its fork's shape.
async fn block_attestations<E: EthSpec>(ctx: Arc<Context<E>>, id: String) -> ApiResult {
    let view = block_view(&ctx, &id).await?;
    let root = view.root;
    let block = ctx.blocking(move |ctx| ctx.blinded_block(&root)).await?;
    let fork = block.fork_name();
    let data = match &block {
        SignedBlindedBeaconBlock::Capella(b) => serde_json::to_value(&b.message.body.attestations),
        SignedBlindedBeaconBlock::Deneb(b) => serde_json::to_value(&b.message.body.attestations),
        SignedBlindedBeaconBlock::Electra(b) => serde_json::to_value(&b.message.body.attestations),
        SignedBlindedBeaconBlock::Fulu(b) => serde_json::to_value(&b.message.body.attestations),
    }
    .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(with_version(
        json_response(&VersionedResponse {
            version: fork,
            execution_optimistic: Some(view.execution_optimistic),
            finalized: Some(view.finalized),
            data,
        })?,
        fork,
    ))
}
