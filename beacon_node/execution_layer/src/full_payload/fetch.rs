//! Asking one full-payload builder for its payload: `builder_getPayloadV1` with a signed request and a
//! checked signed answer, or an engine builder's getPayload. The caller bounds each in time.

use super::http::{call, RpcCallError};
use super::signing::{payload_digest, recover_signer, request_digest, Secp256k1Key};
use super::wire::{BuilderPayloadV1, PayloadRequestV1, GET_PAYLOAD_V1};
use super::FullPayload;
use crate::bid_checks::BidRejection;
use crate::blobs::BlobsBundle;
use alloy_primitives::Bytes;
use builder_api::Url;
use engine_api::{
    execution_requests_from_engine, EngineClient, ForkchoiceStateV1, PayloadAttributes, PayloadId,
};
use serde_json::json;
use types::{Address, EthSpec, ForkName};

/// Why a builder gave no payload to check.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// It has nothing for this request (a `null` result, or no build started).
    NoPayload,
    /// Transport, HTTP, JSON-RPC or engine failure.
    Failed(String),
    /// An answer that fails a check before the payload's own (signature, signer, shape).
    Rejected(BidRejection),
}

impl From<RpcCallError> for FetchError {
    fn from(error: RpcCallError) -> Self {
        Self::Failed(error.to_string())
    }
}

/// `builder_getPayloadV1` at `url` for `request`, signed by `key`; the answer must come from
/// `address` and be signed by it, and fit `limit` bytes.
pub(crate) async fn fetch_rpc<E: EthSpec>(
    url: &Url,
    address: Address,
    key: &Secp256k1Key,
    request: PayloadRequestV1,
    fork: ForkName,
    limit: usize,
) -> Result<FullPayload<E>, FetchError> {
    let digest = request_digest(&request, address);
    let signature = Bytes::copy_from_slice(&key.sign_digest(digest));
    let result = call(url, GET_PAYLOAD_V1, json!([request, signature]), limit).await?;
    if result.is_null() {
        return Err(FetchError::NoPayload);
    }
    let answer: BuilderPayloadV1 = serde_json::from_value(result)
        .map_err(|e| FetchError::Failed(format!("not a BuilderPayloadV1: {e}")))?;
    if answer.pub_key != address {
        return Err(FetchError::Rejected(BidRejection::WrongSigner {
            expected: address,
            got: answer.pub_key,
        }));
    }
    let signature = answer
        .signature
        .as_ref()
        .ok_or(FetchError::Rejected(BidRejection::Unsigned))?;
    let signed = payload_digest(
        request.pub_key,
        address,
        answer.execution_payload.block_hash,
        answer.value,
        digest,
    );
    let signer = recover_signer(signed, signature)
        .map_err(|e| FetchError::Rejected(BidRejection::MalformedSignature(e.to_string())))?;
    if signer != address {
        return Err(FetchError::Rejected(BidRejection::WrongSigner {
            expected: address,
            got: signer,
        }));
    }
    convert(
        fork,
        answer.execution_payload,
        answer.value,
        answer.blobs_bundle,
        answer.execution_requests,
    )
}

/// An engine builder's payload: the build `payload_id` (prepared by a mirrored forkchoiceUpdated),
/// else a new build started now with `attributes` on `state`.
pub(crate) async fn fetch_engine<E: EthSpec>(
    client: &EngineClient,
    payload_id: Option<PayloadId>,
    state: ForkchoiceStateV1,
    attributes: &PayloadAttributes,
    fork: ForkName,
) -> Result<(FullPayload<E>, PayloadId), FetchError> {
    let failed = |e: engine_api::EngineError| FetchError::Failed(e.to_string());
    let payload_id = match payload_id {
        Some(id) => id,
        None => client
            .forkchoice_updated(fork, state, Some(attributes))
            .await
            .map_err(failed)?
            .payload_id
            .ok_or(FetchError::NoPayload)?,
    };
    let built = client
        .get_payload::<E>(fork, payload_id)
        .await
        .map_err(failed)?;
    let blobs_bundle = built
        .blobs_bundle
        .as_ref()
        .map(|bundle| BlobsBundle::from_engine(fork, bundle))
        .transpose()
        .map_err(|e| FetchError::Rejected(BidRejection::BadBlobsBundle(e.to_string())))?;
    Ok((
        FullPayload {
            payload: built.payload,
            value: built.block_value,
            blobs_bundle,
            execution_requests: built.execution_requests,
        },
        payload_id,
    ))
}

/// The answer's engine-API JSON in consensus types of `fork`, every list bounded.
fn convert<E: EthSpec>(
    fork: ForkName,
    payload: engine_api::JsonExecutionPayload,
    value: types::U256,
    blobs_bundle: Option<engine_api::BlobsBundle>,
    execution_requests: Option<Vec<Bytes>>,
) -> Result<FullPayload<E>, FetchError> {
    let malformed = |m: String| FetchError::Rejected(BidRejection::MalformedPayload(m));
    let payload = payload
        .try_into_payload::<E>(fork)
        .map_err(|e| malformed(e.to_string()))?;
    let blobs_bundle = match (fork.deneb_enabled(), blobs_bundle) {
        (true, Some(bundle)) => Some(
            BlobsBundle::from_engine(fork, &bundle)
                .map_err(|e| FetchError::Rejected(BidRejection::BadBlobsBundle(e.to_string())))?,
        ),
        (true, None) => return Err(malformed(format!("a {fork} payload needs its blobsBundle"))),
        (false, _) => None,
    };
    let execution_requests = match (fork.electra_enabled(), execution_requests) {
        (true, Some(list)) => {
            Some(execution_requests_from_engine(&list).map_err(|e| malformed(e.to_string()))?)
        }
        (true, None) => {
            return Err(malformed(format!(
                "a {fork} payload needs its executionRequests"
            )))
        }
        (false, _) => None,
    };
    Ok(FullPayload {
        payload,
        value,
        blobs_bundle,
        execution_requests,
    })
}
