//! The JSON of `builder_getPayloadV1` and `builder_forwardTransactionV1` (the OP builder-API draft,
//! `../shared/specs/optimism-builder-api/builder-getpayload-draft.md`), with what L1 needs beyond it.
//!
//! The draft's `BuilderPayloadV1` carries an `ExecutionPayloadV2`; on L1 from Deneb a payload needs
//! its blobs and from Electra its execution requests, so the answer here carries an engine-API
//! `ExecutionPayloadV3` (V2 before Deneb), `blobsBundle` and `executionRequests` as `engine_getPayload`
//! writes them, and the builder's `signature` (which the draft leaves undefined; see `signing`).

use alloy_primitives::{Address, Bytes, B256, U256};
use engine_api::{quantity, BlobsBundle, JsonExecutionPayload};
use serde::{Deserialize, Serialize};

/// The method a proposer calls.
pub const GET_PAYLOAD_V1: &str = "builder_getPayloadV1";
/// The method the RPC gateway calls to forward a transaction.
pub const FORWARD_TRANSACTION_V1: &str = "builder_forwardTransactionV1";

/// `PayloadRequestV1`: what the proposer asks a builder to build on. Quantities are engine-API hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PayloadRequestV1 {
    /// The parent's number plus one.
    #[serde(with = "quantity")]
    pub block_number: u64,
    /// The head's execution block hash.
    pub parent_hash: B256,
    /// The proposer's address (of its request key): the answer is signed for it.
    pub pub_key: Address,
    /// The gas limit the payload must have (one protocol step from the parent's towards the
    /// proposer's registered target).
    #[serde(with = "quantity")]
    pub gas_limit: u64,
    /// The head block's root.
    pub parent_beacon_block_root: B256,
}

/// `BuilderPayloadV1`: the builder's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuilderPayloadV1 {
    /// The full payload.
    pub execution_payload: JsonExecutionPayload,
    /// From Deneb on: the blobs of the payload's blob transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blobs_bundle: Option<BlobsBundle>,
    /// From Electra on: the execution requests, as `engine_getPayloadV4` lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_requests: Option<Vec<Bytes>>,
    /// The builder's address: must be the pinned one.
    pub pub_key: Address,
    /// Wei to the proposer.
    pub value: U256,
    /// The builder's signature (`signing::payload_digest`); absent means unsigned, which is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Bytes>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_uses_the_draft_names_and_hex_quantities() {
        let request = PayloadRequestV1 {
            block_number: 10,
            parent_hash: B256::repeat_byte(1),
            pub_key: Address::repeat_byte(2),
            gas_limit: 30_000_000,
            parent_beacon_block_root: B256::repeat_byte(3),
        };
        let json = serde_json::to_value(request).unwrap();
        assert_eq!(json["blockNumber"], "0xa");
        assert_eq!(json["gasLimit"], "0x1c9c380");
        for field in ["parentHash", "pubKey", "parentBeaconBlockRoot"] {
            assert!(json.get(field).is_some(), "{field}");
        }
        assert_eq!(
            serde_json::from_value::<PayloadRequestV1>(json).unwrap(),
            request
        );
    }
}
