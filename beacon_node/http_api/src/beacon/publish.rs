//! Publishing signed blocks: `POST /eth/v2/beacon/blocks` and `/eth/v2/beacon/blinded_blocks` (with
//! `broadcast_validation`; `Eth-Consensus-Version` required), their v1 forms (gossip validation, the
//! fork from the header or else the block's slot), and the seed's alias `POST /eth/v1/beacon/blinded_block`.
//! JSON or SSZ bodies; from Deneb a full block comes with its blobs and proofs, which become the
//! chain's `BlobsBundle`.

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{
    body, body_format, consensus_version, empty_response, headers, query, with_ctx, BodyFormat,
    Query,
};
use crate::Context;
use beacon_api::{PublishBlockRequest, SignedBlockContents};
use beacon_chain::{BeaconChain, BlockError, BroadcastValidation, PublishError, Published};
use execution_layer::{BlobsBundle, UnblindError};
use ssz_types::VariableList;
use std::sync::Arc;
use types::{
    BlobsBundleDeneb, BlobsBundleFulu, EthSpec, ForkName, ForkVersioned, SignedBeaconBlock,
    SignedBlindedBeaconBlock,
};
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let limit = ctx.config.max_body_bytes;
    let inputs = move || {
        warp::post()
            .and(query())
            .and(headers())
            .and(body(limit))
            .and(with_ctx(ctx.clone()))
    };
    let full_v2 = warp::path!("eth" / "v2" / "beacon" / "blocks")
        .and(inputs())
        .then(
            |q: Query, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(publish_full(ctx, Version::V2, q, h, b).await)
            },
        );
    let full_v1 = warp::path!("eth" / "v1" / "beacon" / "blocks")
        .and(inputs())
        .then(
            |q: Query, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(publish_full(ctx, Version::V1, q, h, b).await)
            },
        );
    let blinded_v2 = warp::path!("eth" / "v2" / "beacon" / "blinded_blocks")
        .and(inputs())
        .then(
            |q: Query, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(publish_blinded(ctx, Version::V2, q, h, b).await)
            },
        );
    let blinded_v1 = warp::path!("eth" / "v1" / "beacon" / "blinded_blocks")
        .and(inputs())
        .then(
            |q: Query, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(publish_blinded(ctx, Version::V1, q, h, b).await)
            },
        );
    let blinded_alias = warp::path!("eth" / "v1" / "beacon" / "blinded_block")
        .and(inputs())
        .then(
            |q: Query, h: HeaderMap, b: Bytes, ctx: Arc<Context<E>>| async move {
                respond(publish_blinded(ctx, Version::V1, q, h, b).await)
            },
        );
    full_v2
        .or(full_v1)
        .unify()
        .or(blinded_v2)
        .unify()
        .or(blinded_v1)
        .unify()
        .or(blinded_alias)
        .unify()
        .boxed()
}

fn validation(version: Version, query: &Query) -> ApiResult<BroadcastValidation> {
    match (version, query.get("broadcast_validation")) {
        (Version::V1, _) | (Version::V2, None) => Ok(BroadcastValidation::Gossip),
        (Version::V2, Some(text)) => text.parse().map_err(ApiError::bad_request),
    }
}

/// The fork a body is decoded as: `Eth-Consensus-Version` (required by v2), else the fork the spec
/// schedules at the block's slot.
fn fork_of<E: EthSpec>(
    chain: &BeaconChain<E>,
    version: Version,
    headers: &HeaderMap,
    format: BodyFormat,
    body: &[u8],
    json: Option<&serde_json::Value>,
) -> ApiResult<ForkName> {
    if let Some(fork) = consensus_version(headers)? {
        return Ok(fork);
    }
    if version == Version::V2 {
        return Err(ApiError::bad_request(
            "Eth-Consensus-Version header required",
        ));
    }
    let slot = match (format, json) {
        (BodyFormat::Ssz, _) => {
            // A signed block's SSZ: a 4-byte offset to the message, the signature, then the slot. Block
            // contents start with a 12-byte table of offsets before the signed block.
            let slot_at = |offset: usize| {
                body.get(offset..offset + 8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_le_bytes)
            };
            slot_at(100).ok_or_else(|| ApiError::bad_request("body too short"))?
        }
        (BodyFormat::Json, Some(value)) => {
            let slot = value
                .pointer("/message/slot")
                .or_else(|| value.pointer("/signed_block/message/slot"))
                .and_then(|v| v.as_str())
                .and_then(beacon_api::ids::parse_u64)
                .ok_or_else(|| ApiError::bad_request("the body has no block slot"))?;
            slot
        }
        (BodyFormat::Json, None) => return Err(ApiError::bad_request("empty body")),
    };
    Ok(chain.spec().fork_name_at_slot::<E>(slot))
}

/// The fork the block's slot has must be the one the body was decoded as.
fn check_fork<E: EthSpec>(chain: &BeaconChain<E>, fork: ForkName, slot: u64) -> ApiResult<()> {
    let expected = chain.spec().fork_name_at_slot::<E>(slot);
    if fork != expected {
        return Err(ApiError::bad_request(format!(
            "a {fork} block at slot {slot}, which is {expected}"
        )));
    }
    Ok(())
}

async fn publish_full<E: EthSpec>(
    ctx: Arc<Context<E>>,
    version: Version,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let validation = validation(version, &query)?;
    let format = body_format(&headers, true)?;
    let json = match format {
        BodyFormat::Json => Some(
            serde_json::from_slice::<serde_json::Value>(&body)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?,
        ),
        BodyFormat::Ssz => None,
    };
    let fork = fork_of(&ctx.chain, version, &headers, format, &body, json.as_ref())?;
    let request = match json {
        Some(value) => PublishBlockRequest::<E>::from_value_by_fork(value, fork)
            .map_err(|e| ApiError::bad_request(format!("invalid {fork} block: {e}")))?,
        None => {
            // v1 SSZ without the header: the block alone (pre-Deneb) or its contents, tried in turn.
            PublishBlockRequest::<E>::from_ssz_bytes_by_fork(&body, fork).or_else(|e| {
                if version == Version::V1 && consensus_version(&headers)?.is_none() {
                    contents_fork_from_ssz(&ctx.chain, &body)
                } else {
                    Err(ApiError::bad_request(format!(
                        "invalid {fork} block: {e:?}"
                    )))
                }
            })?
        }
    };
    let (block, blobs) = into_chain_inputs(request)?;
    check_fork(&ctx.chain, fork, block.slot())?;
    let result = ctx.chain.publish_block(block, blobs, validation).await;
    publish_status(result)
}

/// v1 SSZ block contents without a version header: the slot sits after the contents' offset table.
fn contents_fork_from_ssz<E: EthSpec>(
    chain: &BeaconChain<E>,
    body: &[u8],
) -> ApiResult<PublishBlockRequest<E>> {
    let slot = body
        .get(112..120)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| ApiError::bad_request("body too short"))?;
    let fork = chain.spec().fork_name_at_slot::<E>(slot);
    PublishBlockRequest::from_ssz_bytes_by_fork(body, fork)
        .map_err(|e| ApiError::bad_request(format!("invalid {fork} block: {e:?}")))
}

/// The signed block and the blobs bundle the chain takes.
fn into_chain_inputs<E: EthSpec>(
    request: PublishBlockRequest<E>,
) -> ApiResult<(SignedBeaconBlock<E>, Option<BlobsBundle<E>>)> {
    let SignedBlockContents {
        signed_block,
        kzg_proofs,
        blobs,
    } = match request {
        PublishBlockRequest::Block(block) => return Ok((block, None)),
        PublishBlockRequest::Contents(contents) => contents,
    };
    let commitments = signed_block
        .message_enum()
        .body_ref()
        .blob_kzg_commitments()
        .cloned()
        .map_err(|_| ApiError::bad_request("block contents for a block without blobs"))?;
    let bundle = if signed_block.fork_name().fulu_enabled() {
        BlobsBundle::Fulu(BlobsBundleFulu {
            commitments,
            proofs: kzg_proofs,
            blobs,
        })
    } else {
        let proofs = VariableList::new(kzg_proofs.to_vec())
            .map_err(|_| ApiError::bad_request("too many KZG proofs"))?;
        BlobsBundle::Deneb(BlobsBundleDeneb {
            commitments,
            proofs,
            blobs,
        })
    };
    Ok((signed_block, Some(bundle)))
}

async fn publish_blinded<E: EthSpec>(
    ctx: Arc<Context<E>>,
    version: Version,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let validation = validation(version, &query)?;
    let format = body_format(&headers, true)?;
    let json = match format {
        BodyFormat::Json => Some(
            serde_json::from_slice::<serde_json::Value>(&body)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?,
        ),
        BodyFormat::Ssz => None,
    };
    let fork = fork_of(&ctx.chain, version, &headers, format, &body, json.as_ref())?;
    let block = match json {
        Some(value) => SignedBlindedBeaconBlock::<E>::from_value_by_fork(value, fork),
        None => SignedBlindedBeaconBlock::<E>::from_ssz_bytes_by_fork(&body, fork)
            .map_err(|e| <serde_json::Error as serde::de::Error>::custom(format!("{e:?}"))),
    }
    .map_err(|e| ApiError::bad_request(format!("invalid {fork} blinded block: {e}")))?;
    check_fork(&ctx.chain, fork, block.message_enum().slot())?;
    let result = ctx.chain.publish_blinded_block(block, validation).await;
    publish_status(result)
}

/// The answer to a publication: 200 imported (or taken by its builder to publish), 202 broadcast but
/// not imported; refusals by whose fault they are.
pub fn publish_status(result: Result<Published, PublishError>) -> ApiResult {
    match result {
        Ok(Published::Imported(_)) | Ok(Published::BuilderPublishes { .. }) => {
            Ok(empty_response(StatusCode::OK))
        }
        Ok(Published::BroadcastButInvalid(_)) => Ok(empty_response(StatusCode::ACCEPTED)),
        Err(PublishError::Block(error)) => Err(match &error {
            BlockError::ExecutionEngineUnavailable(_) => {
                ApiError::service_unavailable(error.to_string())
            }
            BlockError::Store(_) | BlockError::Internal(_) => ApiError::internal(error.to_string()),
            _ => ApiError::bad_request(error.to_string()),
        }),
        Err(PublishError::Unblind(error)) => Err(match &error {
            // A header no local payload or bid of this node matches: the caller's block.
            UnblindError::UnknownPayload { .. } => ApiError::bad_request(error.to_string()),
            // The builder failed after the proposer signed: an upstream failure.
            _ => ApiError::new(StatusCode::BAD_GATEWAY, error.to_string()),
        }),
    }
}
