//! `GET /eth/v1/beacon/blobs/{block_id}` and `GET /eth/v1/debug/beacon/data_column_sidecars/{block_id}`.
//!
//! Deneb and Electra blocks' blobs are read from their stored blob sidecars. A Fulu node keeps data
//! columns instead: each blob is rebuilt from its row of cells (`kzg::blob_from_cells`: the first half
//! of the extended blob's cells, or `recover_cells_and_kzg_proofs` from any half, as the spec's
//! `recover_matrix` does).

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{
    headers, json_response, negotiate, parse_root, query, ssz_response, versioned_response,
    with_ctx, Encoding, Query,
};
use crate::ids::parse_block_id;
use crate::Context;
use beacon_api::{BlobsData, ChainResponse};
use ssz::Encode;
use std::sync::Arc;
use types::sidecar::NUMBER_OF_COLUMNS;
use types::{Blob, EthSpec, ForkName, Hash256};
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let blobs = warp::path!("eth" / "v1" / "beacon" / "blobs" / String)
        .and(warp::get())
        .and(query())
        .and(headers())
        .and(with_ctx(ctx.clone()))
        .then(
            |id: String, query: Query, headers: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(blobs(ctx, id, query, headers).await)
            },
        );
    let columns = warp::path!("eth" / "v1" / "debug" / "beacon" / "data_column_sidecars" / String)
        .and(warp::get())
        .and(query())
        .and(headers())
        .and(with_ctx(ctx))
        .then(
            |id: String, query: Query, headers: HeaderMap, ctx: Arc<Context<E>>| async move {
                respond(data_columns(ctx, id, query, headers).await)
            },
        );
    blobs.or(columns).unify().boxed()
}

/// The most versioned hashes one request may name: a block has at most this many blobs.
fn parse_hashes<E: EthSpec>(query: &Query) -> ApiResult<Option<Vec<Hash256>>> {
    let Some(list) = query.list("versioned_hashes") else {
        return Ok(None);
    };
    if list.len() > E::max_blob_commitments_per_block() {
        return Err(ApiError::bad_request(format!(
            "at most {} versioned hashes per request",
            E::max_blob_commitments_per_block()
        )));
    }
    list.iter()
        .map(|h| parse_root("versioned_hashes", h))
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

/// `GET /eth/v1/beacon/blobs/{block_id}?versioned_hashes=`: the block's blobs in commitment order,
/// only those named when `versioned_hashes` is given. A block before Deneb has none.
async fn blobs<E: EthSpec>(
    ctx: Arc<Context<E>>,
    id: String,
    query: Query,
    headers: HeaderMap,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let hashes = parse_hashes::<E>(&query)?;
    let block_id = parse_block_id(&id)?;
    let (view, blobs) = ctx
        .blocking(move |ctx| {
            let view = ctx.block_view(block_id)?;
            let root = view.root;
            let block = ctx.blinded_block(&root)?;
            let fork = block.fork_name();
            let message = block.message_enum();
            let body = message.body_ref();
            let commitments: Vec<_> = body
                .blob_kzg_commitments()
                .map(|c| c.iter().copied().collect())
                .unwrap_or_default();
            // The rows asked for, in commitment order.
            let rows: Vec<usize> = commitments
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    hashes
                        .as_ref()
                        .is_none_or(|h| h.contains(&kzg::kzg_to_versioned_hash(c)))
                })
                .map(|(i, _)| i)
                .collect();
            if rows.is_empty() {
                return Ok((view, vec![]));
            }
            let missing = || {
                ApiError::not_found(format!(
                    "the blobs of block {root:#x} are not kept by this node"
                ))
            };
            let blobs = if fork.fulu_enabled() {
                blobs_from_columns::<E>(ctx, &root, &rows, missing)?
            } else {
                let sidecars = ctx.chain.store().get_blob_sidecars(&root)?;
                rows.iter()
                    .map(|&row| {
                        sidecars
                            .iter()
                            .find(|s| s.index == row as u64)
                            .map(|s| s.blob.clone())
                            .ok_or_else(missing)
                    })
                    .collect::<ApiResult<Vec<_>>>()?
            };
            Ok((view, blobs))
        })
        .await?;
    let blobs = types::Blobs::<E>::new(blobs)
        .map_err(|e| ApiError::internal(format!("too many blobs: {e:?}")))?;
    match encoding {
        Encoding::Ssz => Ok(ssz_response(blobs.as_ssz_bytes())),
        Encoding::Json => json_response(&ChainResponse {
            execution_optimistic: view.execution_optimistic,
            finalized: view.finalized,
            data: BlobsData::<E>(blobs),
        }),
    }
}

/// The blobs at `rows` of a Fulu block, each from the cells the stored columns hold of it.
fn blobs_from_columns<E: EthSpec>(
    ctx: &Context<E>,
    root: &Hash256,
    rows: &[usize],
    missing: impl Fn() -> ApiError,
) -> ApiResult<Vec<Blob<E>>> {
    let columns = ctx.chain.store().get_data_column_sidecars(root)?;
    if (columns.len() as u64) < NUMBER_OF_COLUMNS / 2 {
        return Err(missing());
    }
    rows.iter()
        .map(|&row| {
            let mut indices = Vec::with_capacity(columns.len());
            let mut cells = Vec::with_capacity(columns.len());
            for column in &columns {
                if let Some(cell) = column.column.get(row) {
                    indices.push(column.index);
                    cells.push(&cell[..]);
                }
            }
            let bytes = kzg::blob_from_cells(&indices, &cells).map_err(|e| {
                ApiError::internal(format!("blob {row} of block {root:#x} from its cells: {e}"))
            })?;
            Blob::<E>::new(bytes)
                .map_err(|_| ApiError::internal("a rebuilt blob of the wrong size"))
        })
        .collect()
}

/// `GET /eth/v1/debug/beacon/data_column_sidecars/{block_id}?indices=`: the stored columns of a Fulu
/// block (all `NUMBER_OF_COLUMNS`: this node keeps every column), only those named by `indices`.
async fn data_columns<E: EthSpec>(
    ctx: Arc<Context<E>>,
    id: String,
    query: Query,
    headers: HeaderMap,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let indices = query.u64_list("indices")?;
    if let Some(bad) = indices.iter().flatten().find(|i| **i >= NUMBER_OF_COLUMNS) {
        return Err(ApiError::bad_request(format!(
            "invalid indices: column {bad} is not below {NUMBER_OF_COLUMNS}"
        )));
    }
    let block_id = parse_block_id(&id)?;
    let (view, fork, sidecars) = ctx
        .blocking(move |ctx| {
            let view = ctx.block_view(block_id)?;
            let fork = ctx.blinded_block(&view.root)?.fork_name();
            if !fork.fulu_enabled() {
                return Err(ApiError::bad_request(format!(
                    "block {:#x} is a {fork} block: data columns exist from {}",
                    view.root,
                    ForkName::Fulu
                )));
            }
            let mut sidecars = ctx.chain.store().get_data_column_sidecars(&view.root)?;
            if let Some(indices) = &indices {
                sidecars.retain(|s| indices.contains(&s.index));
            }
            Ok((view, fork, sidecars))
        })
        .await?;
    versioned_response(
        encoding,
        fork,
        view.execution_optimistic,
        view.finalized,
        &sidecars,
        |s| s.as_ssz_bytes(),
    )
}
