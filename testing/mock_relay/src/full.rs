//! The full-payload faces of the relay (issue 14), on `POST /` as JSON-RPC:
//! - `builder_getPayloadV1` (the OP builder-API draft): the proposer's request signature is checked
//!   **before** anything is built or answered; the answer is a full payload (with blobs and requests)
//!   signed with the relay's secp256k1 key as `docs/full-payload-builders.md` defines;
//! - `builder_forwardTransactionV1`: the transaction goes into the next payload this relay serves
//!   (also `eth_sendRawTransaction` on the engine face, as the RPC gateway forwards to engine builders);
//! - an engine-API face (`engine_forkchoiceUpdatedV2/V3`, `engine_getPayloadV2..V5`, JWT with the
//!   relay's own secret): forkchoiceUpdated is passed to the relay's engine (the mock-el it builds
//!   with), and getPayload answers that engine's payload made the relay's (its extra-data, forwarded
//!   transactions, faults, a bonus on the value, the block hash recomputed).
//!
//! The relay's fault switches apply where they make sense (delay, status, no bid, malformed JSON, the
//! header faults, invalid payload, zero value, wrong pubkey, bad signature), plus `unsigned_payload`,
//! `wrong_signer` and `syncing_payload`.

use crate::bidder::{flip, rehash, Bidder, Built};
use crate::faults::RelayFaults;
use alloy_primitives::{Address, Bytes};
use engine_api::{
    execution_requests_to_engine, ForkchoiceStateV1, JsonExecutionPayload, JsonGetPayloadResponse,
    JwtSecret, PayloadAttributes, PayloadId,
};
use execution_layer::full_payload::signing::{
    payload_digest, recover_signer, request_digest, Secp256k1Key,
};
use execution_layer::full_payload::wire::{
    BuilderPayloadV1, PayloadRequestV1, FORWARD_TRANSACTION_V1, GET_PAYLOAD_V1,
};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use types::ssz_types::VariableList;
use types::{EthSpec, ExecutionPayload, ForkName, Root, U256};
use warp::http::StatusCode;
use warp::reply::Response;

/// The extra-data of a `syncing_payload` fault's payload. mock-el has no per-payload SYNCING switch,
/// so an engine that should answer SYNCING to it recognises this marker (the execution_layer tests'
/// engine proxy does): it stands for a payload the proposer's engine cannot yet verify.
pub const SYNCING_EXTRA_DATA: &[u8] = b"mock-relay-syncing";
/// The default secp256k1 key of the full-payload faces (a public test key).
pub const DEFAULT_SECP256K1_KEY: [u8; 32] = [0x43; 32];
/// The key `wrong_signer` and `wrong_pubkey` use.
const OTHER_SECP256K1_KEY: [u8; 32] = [0x44; 32];
/// Forwarded transactions waiting for a payload, at most.
const MAX_PENDING: usize = 1024;
/// A forwarded transaction's size, at most.
const MAX_TRANSACTION_BYTES: usize = 128 * 1024;
/// Gas a forwarded transaction adds to `gas_used` (the mock engine executes nothing).
const FORWARDED_TX_GAS: u64 = 21_000;
/// JSON-RPC error code of a refused request signature.
pub const UNAUTHORIZED_CODE: i64 = -32001;

/// Counters of the full-payload faces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FullStats {
    /// `builder_getPayloadV1` answers with a payload.
    pub payloads_served: u64,
    /// Requests refused for their proposer signature (nothing built or answered).
    pub requests_refused: u64,
    /// Transactions taken by `builder_forwardTransactionV1`.
    pub transactions_forwarded: u64,
    /// Forwarded transactions put into served payloads.
    pub transactions_included: u64,
    /// engine_getPayload answers.
    pub engine_payloads_served: u64,
    /// engine_forkchoiceUpdated calls passed to the engine.
    pub forkchoice_updates: u64,
}

/// The state of the full-payload faces.
pub(crate) struct FullSide {
    pub key: Secp256k1Key,
    other_key: Secp256k1Key,
    /// Proposer addresses whose requests are answered; empty: any request whose signature recovers
    /// its own `pubKey`.
    proposers: Vec<Address>,
    /// The engine face's JWT secret; `None`: no engine face.
    engine_jwt: Option<JwtSecret>,
    pending: Mutex<Vec<Vec<u8>>>,
    /// Engine face: the parent beacon block root of each build, by the engine's payload id.
    builds: Mutex<HashMap<PayloadId, Option<Root>>>,
    payloads_served: AtomicU64,
    requests_refused: AtomicU64,
    transactions_forwarded: AtomicU64,
    transactions_included: AtomicU64,
    engine_payloads_served: AtomicU64,
    forkchoice_updates: AtomicU64,
}

impl FullSide {
    pub fn new(key: Secp256k1Key, proposers: Vec<Address>, engine_jwt: Option<JwtSecret>) -> Self {
        Self {
            key,
            other_key: Secp256k1Key::from_bytes(&OTHER_SECP256K1_KEY)
                .expect("the constant is a valid secp256k1 key"),
            proposers,
            engine_jwt,
            pending: Mutex::new(Vec::new()),
            builds: Mutex::new(HashMap::new()),
            payloads_served: AtomicU64::new(0),
            requests_refused: AtomicU64::new(0),
            transactions_forwarded: AtomicU64::new(0),
            transactions_included: AtomicU64::new(0),
            engine_payloads_served: AtomicU64::new(0),
            forkchoice_updates: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> FullStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        FullStats {
            payloads_served: get(&self.payloads_served),
            requests_refused: get(&self.requests_refused),
            transactions_forwarded: get(&self.transactions_forwarded),
            transactions_included: get(&self.transactions_included),
            engine_payloads_served: get(&self.engine_payloads_served),
            forkchoice_updates: get(&self.forkchoice_updates),
        }
    }

    fn take_pending(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.pending.lock())
    }
}

fn rpc_result(id: &Value, result: Value) -> Response {
    crate::http::json(&json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

fn rpc_error(id: &Value, code: i64, message: impl Into<String>) -> Response {
    crate::http::json(&json!({
        "jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}
    }))
}

/// `POST /`: one JSON-RPC call.
pub(crate) async fn handle<E: EthSpec>(
    bidder: Arc<Bidder<E>>,
    authorization: Option<String>,
    body: &[u8],
) -> Response {
    let Ok(call) = serde_json::from_slice::<Value>(body) else {
        return rpc_error(&Value::Null, -32700, "parse error");
    };
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call.get("method").and_then(Value::as_str).unwrap_or("");
    let params = call.get("params").cloned().unwrap_or(Value::Null);
    let param = |i: usize| params.get(i).cloned().unwrap_or(Value::Null);
    let faults = bidder.core.faults();
    match method {
        GET_PAYLOAD_V1 => get_payload_v1(&bidder, &id, param(0), param(1), &faults).await,
        FORWARD_TRANSACTION_V1 => forward_transaction(&bidder, &id, param(0), false),
        m if m.starts_with("engine_") || m == "eth_sendRawTransaction" => {
            let Some(secret) = &bidder.full.engine_jwt else {
                return rpc_error(&id, -32601, format!("method {m} not served"));
            };
            let token = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("");
            if engine_api::auth::verify_token(secret, token, engine_api::auth::unix_now()).is_err()
            {
                return crate::http::error(StatusCode::UNAUTHORIZED, "a valid JWT is required");
            }
            match m {
                // An execution client serves `eth_` on its engine port too: the RPC gateway
                // forwards transactions to an engine builder this way.
                "eth_sendRawTransaction" => forward_transaction(&bidder, &id, param(0), true),
                "engine_forkchoiceUpdatedV2" | "engine_forkchoiceUpdatedV3" => {
                    let fork = if m.ends_with("V2") {
                        ForkName::Capella
                    } else {
                        ForkName::Deneb
                    };
                    forkchoice_updated(&bidder, &id, fork, param(0), param(1)).await
                }
                "engine_getPayloadV2" => {
                    engine_get_payload(&bidder, &id, ForkName::Capella, param(0), &faults).await
                }
                "engine_getPayloadV3" => {
                    engine_get_payload(&bidder, &id, ForkName::Deneb, param(0), &faults).await
                }
                "engine_getPayloadV4" => {
                    engine_get_payload(&bidder, &id, ForkName::Electra, param(0), &faults).await
                }
                "engine_getPayloadV5" => {
                    engine_get_payload(&bidder, &id, ForkName::Fulu, param(0), &faults).await
                }
                other => rpc_error(&id, -32601, format!("method {other} not served")),
            }
        }
        other => rpc_error(
            &id,
            -32601,
            format!("method {:?} not found", crate::http::excerpt(other)),
        ),
    }
}

/// The delay, status and malformed-JSON faults: `Some` answer when one applies.
async fn early_faults(id: &Value, faults: &RelayFaults) -> Option<Response> {
    if faults.get_header_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.get_header_delay_ms)).await;
    }
    if let Some(status) = faults.get_header_status {
        return Some(crate::http::error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "get_header_status fault",
        ));
    }
    if faults.malformed_json {
        let _ = id;
        return Some(Response::new(
            r#"{"jsonrpc":"2.0","result":{"executionPayload":"#.into(),
        ));
    }
    None
}

async fn get_payload_v1<E: EthSpec>(
    bidder: &Bidder<E>,
    id: &Value,
    request: Value,
    signature: Value,
    faults: &RelayFaults,
) -> Response {
    let full = &bidder.full;
    let (Ok(request), Ok(signature)) = (
        serde_json::from_value::<PayloadRequestV1>(request),
        serde_json::from_value::<Bytes>(signature),
    ) else {
        full.requests_refused.fetch_add(1, Ordering::Relaxed);
        return rpc_error(id, -32602, "params: [PayloadRequestV1, signature]");
    };
    // The proposer's signature first: a builder reveals nothing to a request it cannot attribute.
    let digest = request_digest(&request, full.key.address());
    let signer = recover_signer(digest, &signature);
    let allowed = full.proposers.is_empty() || full.proposers.contains(&request.pub_key);
    if signer.as_ref() != Ok(&request.pub_key) || !allowed {
        full.requests_refused.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(proposer = %request.pub_key, ?signer, "refusing builder_getPayloadV1: the request signature does not verify");
        return rpc_error(
            id,
            UNAUTHORIZED_CODE,
            "the request signature does not verify",
        );
    }
    if let Some(answer) = early_faults(id, faults).await {
        return answer;
    }
    if faults.no_bid {
        return rpc_result(id, Value::Null);
    }
    let core = &bidder.core;
    let Some(attributes) = core.attributes_for_parent(request.parent_hash, request.block_number)
    else {
        return rpc_result(id, Value::Null);
    };
    let fork = core.spec.fork_name_at_slot::<E>(attributes.proposal_slot);
    let fee_recipient = attributes.payload_attributes.suggested_fee_recipient;
    let built = match bidder.build(fork, &attributes, fee_recipient).await {
        Ok(built) => built,
        Err(e) => return rpc_error(id, -32000, format!("building failed: {e}")),
    };
    let payload = match finish(bidder, &built, Some(request.gas_limit), faults) {
        Ok(payload) => payload,
        Err(e) => return rpc_error(id, -32000, e),
    };
    let value = value_of(bidder, &built, faults);
    let builder = full.key.address();
    let block_hash = payload.block_hash();
    let signed_value = if faults.bad_signature {
        value.saturating_add(U256::from(1u64))
    } else {
        value
    };
    let signer = if faults.wrong_signer {
        &full.other_key
    } else {
        &full.key
    };
    let signature = (!faults.unsigned_payload).then(|| {
        let digest = payload_digest(request.pub_key, builder, block_hash, signed_value, digest);
        Bytes::copy_from_slice(&signer.sign_digest(digest))
    });
    let answer = BuilderPayloadV1 {
        execution_payload: JsonExecutionPayload::from(&payload),
        blobs_bundle: built.response.blobs_bundle.clone(),
        execution_requests: built
            .response
            .execution_requests
            .as_ref()
            .map(execution_requests_to_engine),
        pub_key: if faults.wrong_pubkey {
            full.other_key.address()
        } else {
            builder
        },
        value,
        signature,
    };
    full.payloads_served.fetch_add(1, Ordering::Relaxed);
    tracing::info!(block_hash = %block_hash, %value, proposer = %request.pub_key, "serving a full payload (builder_getPayloadV1)");
    rpc_result(id, serde_json::to_value(answer).unwrap_or(Value::Null))
}

/// Takes a transaction for the next payload; answers `true` (`builder_forwardTransactionV1`) or, as
/// `eth_sendRawTransaction` does, its hash.
fn forward_transaction<E: EthSpec>(
    bidder: &Bidder<E>,
    id: &Value,
    transaction: Value,
    answer_hash: bool,
) -> Response {
    let Ok(raw) = serde_json::from_value::<Bytes>(transaction) else {
        return rpc_error(id, -32602, "params: [hex-encoded RLP transaction]");
    };
    // A typed transaction (EIP-2718) or a legacy RLP list; its contents are the engine's business.
    let plausible = match raw.first() {
        Some(&b) => b <= 0x7f || b >= 0xc0,
        None => false,
    };
    if !plausible || raw.len() > MAX_TRANSACTION_BYTES {
        return rpc_error(id, -32602, "not a transaction");
    }
    let full = &bidder.full;
    let mut pending = full.pending.lock();
    if pending.len() >= MAX_PENDING {
        return rpc_error(id, -32000, "too many pending transactions");
    }
    if !pending.iter().any(|tx| tx[..] == raw[..]) {
        pending.push(raw.to_vec());
        full.transactions_forwarded.fetch_add(1, Ordering::Relaxed);
    }
    if answer_hash {
        rpc_result(id, json!(alloy_primitives::keccak256(&raw)))
    } else {
        rpc_result(id, json!(true))
    }
}

async fn forkchoice_updated<E: EthSpec>(
    bidder: &Bidder<E>,
    id: &Value,
    fork: ForkName,
    state: Value,
    attributes: Value,
) -> Response {
    let (Ok(state), Ok(attributes)) = (
        serde_json::from_value::<ForkchoiceStateV1>(state),
        serde_json::from_value::<Option<PayloadAttributes>>(attributes),
    ) else {
        return rpc_error(
            id,
            -32602,
            "params: [ForkchoiceStateV1, PayloadAttributes|null]",
        );
    };
    let full = &bidder.full;
    full.forkchoice_updates.fetch_add(1, Ordering::Relaxed);
    match bidder
        .engine
        .forkchoice_updated(fork, state, attributes.as_ref())
        .await
    {
        Ok(response) => {
            if let (Some(id), Some(attributes)) = (response.payload_id, &attributes) {
                let mut builds = full.builds.lock();
                if builds.len() > 256 {
                    builds.clear();
                }
                builds.insert(id, attributes.parent_beacon_block_root);
            }
            rpc_result(id, serde_json::to_value(response).unwrap_or(Value::Null))
        }
        Err(e) => rpc_error(id, -32000, format!("engine: {e}")),
    }
}

async fn engine_get_payload<E: EthSpec>(
    bidder: &Bidder<E>,
    id: &Value,
    fork: ForkName,
    payload_id: Value,
    faults: &RelayFaults,
) -> Response {
    let Ok(payload_id) = serde_json::from_value::<PayloadId>(payload_id) else {
        return rpc_error(id, -32602, "params: [payloadId]");
    };
    if let Some(answer) = early_faults(id, faults).await {
        return answer;
    }
    if faults.no_bid {
        return rpc_error(id, -38001, "Unknown payload");
    }
    let parent_beacon_block_root = bidder
        .full
        .builds
        .lock()
        .get(&payload_id)
        .copied()
        .flatten();
    let response = match bidder.engine.get_payload::<E>(fork, payload_id).await {
        Ok(response) => response,
        Err(e) => return rpc_error(id, -38001, format!("engine: {e}")),
    };
    let parent_gas_limit = response.payload.gas_limit();
    let built = Built {
        response,
        parent_gas_limit,
        parent_beacon_block_root,
    };
    let payload = match finish(bidder, &built, None, faults) {
        Ok(payload) => payload,
        Err(e) => return rpc_error(id, -32000, e),
    };
    let answer = JsonGetPayloadResponse {
        execution_payload: JsonExecutionPayload::from(&payload),
        block_value: value_of(bidder, &built, faults),
        blobs_bundle: built.response.blobs_bundle.clone(),
        should_override_builder: fork.deneb_enabled().then_some(false),
        execution_requests: built
            .response
            .execution_requests
            .as_ref()
            .map(execution_requests_to_engine),
    };
    bidder
        .full
        .engine_payloads_served
        .fetch_add(1, Ordering::Relaxed);
    rpc_result(id, serde_json::to_value(answer).unwrap_or(Value::Null))
}

fn value_of<E: EthSpec>(bidder: &Bidder<E>, built: &Built<E>, faults: &RelayFaults) -> U256 {
    if faults.zero_value {
        U256::ZERO
    } else {
        built
            .response
            .block_value
            .saturating_add(bidder.core.bid_bonus_wei)
    }
}

macro_rules! each_payload {
    ($value:expr, $p:ident => $body:expr) => {
        match $value {
            ExecutionPayload::Capella($p) => $body,
            ExecutionPayload::Deneb($p) => $body,
            ExecutionPayload::Electra($p) => $body,
            ExecutionPayload::Fulu($p) => $body,
        }
    };
}

/// The engine's payload made the relay's: forwarded transactions appended, the gas limit set (when
/// the request names one), its extra-data, the faults applied, the block hash recomputed.
fn finish<E: EthSpec>(
    bidder: &Bidder<E>,
    built: &Built<E>,
    gas_limit: Option<u64>,
    faults: &RelayFaults,
) -> Result<ExecutionPayload<E>, String> {
    let mut payload = built.response.payload.clone();
    let forwarded = bidder.full.take_pending();
    let extra = if faults.syncing_payload {
        SYNCING_EXTRA_DATA.to_vec()
    } else {
        bidder.extra_data.clone()
    };
    let extra = VariableList::new(extra).map_err(|e| format!("extra-data: {e:?}"))?;
    let invalid = bidder.core.take_invalid_payload();
    let mut included = 0u64;
    each_payload!(&mut payload, p => {
        for tx in forwarded {
            if let Ok(tx) = VariableList::new(tx) {
                if p.transactions.push(tx).is_ok() {
                    p.gas_used = p.gas_used.saturating_add(FORWARDED_TX_GAS);
                    included += 1;
                }
            }
        }
        if let Some(gas_limit) = gas_limit {
            p.gas_limit = gas_limit.max(p.gas_used);
        }
        p.extra_data = extra;
        if invalid {
            p.gas_used = p.gas_limit.saturating_add(1);
        }
        if faults.wrong_parent_hash {
            p.parent_hash = flip(p.parent_hash);
        }
        if faults.wrong_fee_recipient {
            let mut bytes = p.fee_recipient.0 .0;
            bytes[0] ^= 0x01;
            p.fee_recipient = Address::from(bytes);
        }
        if faults.wrong_gas_limit {
            p.gas_limit = p.gas_limit.saturating_add(1);
        }
        if faults.wrong_prev_randao {
            p.prev_randao = flip(p.prev_randao);
        }
        if faults.wrong_timestamp {
            p.timestamp = p.timestamp.saturating_add(1);
        }
        if faults.wrong_block_number {
            p.block_number = p.block_number.saturating_add(1);
        }
        if faults.wrong_withdrawals_root {
            match p.withdrawals.first_mut() {
                Some(w) => w.amount = w.amount.saturating_add(1),
                None => {
                    let _ = p.withdrawals.push(types::Withdrawal::default());
                }
            }
        }
    });
    bidder
        .full
        .transactions_included
        .fetch_add(included, Ordering::Relaxed);
    rehash(
        &mut payload,
        built.parent_beacon_block_root,
        built.response.execution_requests.as_ref(),
    )?;
    Ok(payload)
}
