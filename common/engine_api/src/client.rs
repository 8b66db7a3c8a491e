//! The engine API client: JSON-RPC over HTTP with a JWT on every request, the method version chosen by
//! fork, the spec's per-method timeouts, and classified errors. Every call's outcome feeds the
//! [`crate::watchdog`] state.

use crate::auth::JwtAuth;
use crate::error::EngineError;
use crate::json::*;
use crate::watchdog::{EngineState, StateTracker};
use alloy_primitives::B256;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use types::{EthSpec, ExecutionPayload, ExecutionRequests, ForkName, Hash256};
use url::Url;

/// Per-method timeouts, as the engine API spec gives them.
pub mod timeouts {
    use std::time::Duration;
    /// `engine_newPayloadV*` (paris/shanghai/cancun/prague: 8 s).
    pub const NEW_PAYLOAD: Duration = Duration::from_secs(8);
    /// `engine_forkchoiceUpdatedV*` (8 s).
    pub const FORKCHOICE_UPDATED: Duration = Duration::from_secs(8);
    /// `engine_getPayloadV*` (1 s).
    pub const GET_PAYLOAD: Duration = Duration::from_secs(1);
    /// `engine_exchangeCapabilities` (common.md: 1 s).
    pub const EXCHANGE_CAPABILITIES: Duration = Duration::from_secs(1);
    /// `engine_getClientVersionV1` (identification.md: 1 s).
    pub const GET_CLIENT_VERSION: Duration = Duration::from_secs(1);
    /// `engine_getBlobsV1`/`V2` (1 s).
    pub const GET_BLOBS: Duration = Duration::from_secs(1);
    /// The `eth_` methods the engine port also serves; the spec gives none, so a short one.
    pub const ETH: Duration = Duration::from_secs(2);
}

/// The engine methods used at a fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineMethods {
    pub forkchoice_updated: &'static str,
    pub new_payload: &'static str,
    pub get_payload: &'static str,
    pub get_blobs: &'static str,
}

/// Which method versions a fork's payloads need.
pub fn methods_for(fork: ForkName) -> EngineMethods {
    match fork {
        ForkName::Capella => EngineMethods {
            forkchoice_updated: "engine_forkchoiceUpdatedV2",
            new_payload: "engine_newPayloadV2",
            get_payload: "engine_getPayloadV2",
            get_blobs: "engine_getBlobsV1",
        },
        ForkName::Deneb => EngineMethods {
            forkchoice_updated: "engine_forkchoiceUpdatedV3",
            new_payload: "engine_newPayloadV3",
            get_payload: "engine_getPayloadV3",
            get_blobs: "engine_getBlobsV1",
        },
        ForkName::Electra => EngineMethods {
            forkchoice_updated: "engine_forkchoiceUpdatedV3",
            new_payload: "engine_newPayloadV4",
            get_payload: "engine_getPayloadV4",
            get_blobs: "engine_getBlobsV1",
        },
        ForkName::Fulu => EngineMethods {
            forkchoice_updated: "engine_forkchoiceUpdatedV3",
            new_payload: "engine_newPayloadV4",
            get_payload: "engine_getPayloadV5",
            get_blobs: "engine_getBlobsV2",
        },
    }
}

/// Every engine method this client can call (what it offers in `engine_exchangeCapabilities`).
pub const SUPPORTED_METHODS: &[&str] = &[
    "engine_forkchoiceUpdatedV2",
    "engine_forkchoiceUpdatedV3",
    "engine_newPayloadV2",
    "engine_newPayloadV3",
    "engine_newPayloadV4",
    "engine_getPayloadV2",
    "engine_getPayloadV3",
    "engine_getPayloadV4",
    "engine_getPayloadV5",
    "engine_getBlobsV1",
    "engine_getBlobsV2",
    "engine_getClientVersionV1",
];

/// What `engine_newPayload` needs besides the payload: from Deneb the versioned hashes of the block's
/// blob commitments and the parent beacon block root, from Electra the execution requests.
#[derive(Debug, Clone)]
pub struct NewPayloadRequest<'a, E: EthSpec> {
    pub payload: &'a ExecutionPayload<E>,
    pub versioned_hashes: Vec<Hash256>,
    pub parent_beacon_block_root: Option<Hash256>,
    pub execution_requests: Option<&'a ExecutionRequests<E>>,
}

#[derive(Deserialize)]
struct RpcResponse {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RpcErrorObject>,
}

#[derive(Deserialize)]
struct RpcErrorObject {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

struct Inner {
    http: reqwest::Client,
    url: Url,
    auth: Option<JwtAuth>,
    next_id: AtomicU64,
    state: StateTracker,
}

/// A JSON-RPC client of one execution engine's authenticated engine port. Cheap to clone.
#[derive(Clone)]
pub struct EngineClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EngineClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineClient")
            .field("url", &self.inner.url.as_str())
            .field("state", &self.state())
            .finish()
    }
}

impl EngineClient {
    /// A client of the engine at `url` that signs every request with `auth`.
    pub fn new(url: Url, auth: JwtAuth) -> Result<Self, EngineError> {
        Self::build(url, Some(auth))
    }

    /// A client that sends no `Authorization` header (for testing that the EE refuses it).
    pub fn new_unauthenticated(url: Url) -> Result<Self, EngineError> {
        Self::build(url, None)
    }

    fn build(url: Url, auth: Option<JwtAuth>) -> Result<Self, EngineError> {
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| EngineError::BadRequest(format!("cannot build HTTP client: {e}")))?;
        let state = StateTracker::new(url.to_string());
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                url,
                auth,
                next_id: AtomicU64::new(1),
                state,
            }),
        })
    }

    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// The EE's state as the last call or watchdog probe left it.
    pub fn state(&self) -> EngineState {
        self.inner.state.get()
    }

    /// A receiver that sees every change of [`Self::state`].
    pub fn subscribe_state(&self) -> watch::Receiver<EngineState> {
        self.inner.state.subscribe()
    }

    pub(crate) fn set_state(&self, state: EngineState) {
        self.inner.state.set(state);
    }

    /// Calls `method` with `params`, giving up after `timeout`, and returns its `result`. Records the
    /// outcome (online, offline, auth failed) in the watchdog state.
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<T, EngineError> {
        let result = self.call(method, params, timeout).await;
        self.observe(&result, false);
        result
    }

    /// Records a call's outcome: unreachable → Offline, refused JWT → AuthFailed, an answer → Online
    /// (or Syncing when the answer says so).
    fn observe<T>(&self, result: &Result<T, EngineError>, syncing: bool) {
        let state = match result {
            Ok(_) if syncing => EngineState::Syncing,
            Ok(_) => EngineState::Online,
            Err(e) if e.is_unreachable() => EngineState::Offline,
            Err(EngineError::Auth { .. }) => EngineState::AuthFailed,
            Err(EngineError::Jwt(_)) => return,
            Err(EngineError::BadRequest(_)) => return,
            Err(_) => EngineState::Online,
        };
        self.set_state(state);
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<T, EngineError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        let mut request = self
            .inner
            .http
            .post(self.inner.url.clone())
            .timeout(timeout)
            .json(&body);
        if let Some(auth) = &self.inner.auth {
            request = request.header(reqwest::header::AUTHORIZATION, auth.bearer()?);
        }
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                EngineError::Timeout {
                    method: method.to_string(),
                    after: timeout,
                }
            } else {
                EngineError::Transport {
                    method: method.to_string(),
                    message: error_chain(&e),
                }
            }
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(EngineError::Auth {
                status: status.as_u16(),
            });
        }
        let bytes = response.bytes().await.map_err(transport)?;
        let parsed: Result<RpcResponse, _> = serde_json::from_slice(&bytes);
        match parsed {
            Ok(RpcResponse {
                error: Some(error), ..
            }) => Err(EngineError::Rpc {
                method: method.to_string(),
                code: error.code,
                message: error.message,
                data: error.data,
            }),
            _ if !status.is_success() => Err(EngineError::Http {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned(),
            }),
            Ok(RpcResponse { result, .. }) => serde_json::from_value(result.unwrap_or(Value::Null))
                .map_err(|e| EngineError::BadResponse {
                    method: method.to_string(),
                    message: e.to_string(),
                }),
            Err(e) => Err(EngineError::BadResponse {
                method: method.to_string(),
                message: format!("not a JSON-RPC response: {e}"),
            }),
        }
    }

    /// `engine_exchangeCapabilities`: offers `ours` and returns the EE's methods.
    pub async fn exchange_capabilities(&self, ours: &[&str]) -> Result<Vec<String>, EngineError> {
        self.request(
            "engine_exchangeCapabilities",
            json!([ours]),
            timeouts::EXCHANGE_CAPABILITIES,
        )
        .await
    }

    /// `engine_getClientVersionV1`.
    pub async fn get_client_version_v1(
        &self,
        ours: &ClientVersionV1,
    ) -> Result<Vec<ClientVersionV1>, EngineError> {
        self.request(
            "engine_getClientVersionV1",
            json!([ours]),
            timeouts::GET_CLIENT_VERSION,
        )
        .await
    }

    /// `engine_forkchoiceUpdatedV2` (Capella) or `V3` (Deneb on), chosen by `fork`, the fork of the
    /// payload to build (or of the head, without attributes).
    pub async fn forkchoice_updated(
        &self,
        fork: ForkName,
        state: ForkchoiceStateV1,
        attributes: Option<&PayloadAttributes>,
    ) -> Result<ForkchoiceUpdatedResponse, EngineError> {
        if let Some(a) = attributes {
            if a.withdrawals.is_none() {
                return Err(EngineError::BadRequest(
                    "payload attributes need withdrawals from Capella on".into(),
                ));
            }
            if fork.deneb_enabled() != a.parent_beacon_block_root.is_some() {
                return Err(EngineError::BadRequest(format!(
                    "payload attributes for {fork} {} a parent beacon block root",
                    if fork.deneb_enabled() {
                        "need"
                    } else {
                        "must not have"
                    }
                )));
            }
        }
        let method = methods_for(fork).forkchoice_updated;
        let result: Result<ForkchoiceUpdatedResponse, _> = self
            .call(
                method,
                json!([state, attributes]),
                timeouts::FORKCHOICE_UPDATED,
            )
            .await;
        let syncing =
            matches!(&result, Ok(r) if r.payload_status.status == PayloadStatusKind::Syncing);
        self.observe(&result, syncing);
        result
    }

    /// `engine_newPayloadV2`/`V3`/`V4`, chosen by the payload's fork.
    pub async fn new_payload<E: EthSpec>(
        &self,
        request: &NewPayloadRequest<'_, E>,
    ) -> Result<PayloadStatusV1, EngineError> {
        let fork = request.payload.fork_name();
        let payload = JsonExecutionPayload::from(request.payload);
        let params = match (
            fork,
            request.parent_beacon_block_root,
            request.execution_requests,
        ) {
            (ForkName::Capella, None, None) => json!([payload]),
            (ForkName::Deneb, Some(root), None) => {
                json!([payload, request.versioned_hashes, root])
            }
            (ForkName::Electra | ForkName::Fulu, Some(root), Some(requests)) => json!([
                payload,
                request.versioned_hashes,
                root,
                execution_requests_to_engine(requests)
            ]),
            _ => {
                return Err(EngineError::BadRequest(format!(
                    "a {fork} payload needs {}",
                    match fork {
                        ForkName::Capella => "no parent beacon block root nor requests",
                        ForkName::Deneb => "a parent beacon block root and no requests",
                        _ => "a parent beacon block root and execution requests",
                    }
                )))
            }
        };
        if fork == ForkName::Capella && !request.versioned_hashes.is_empty() {
            return Err(EngineError::BadRequest(
                "a capella payload has no blob versioned hashes".into(),
            ));
        }
        let method = methods_for(fork).new_payload;
        let result: Result<PayloadStatusV1, _> =
            self.call(method, params, timeouts::NEW_PAYLOAD).await;
        let syncing = matches!(&result, Ok(s) if s.status == PayloadStatusKind::Syncing);
        self.observe(&result, syncing);
        result
    }

    /// `engine_getPayloadV2`..`V5`, chosen by `fork` (the fork of the payload being built), converted
    /// to consensus types.
    pub async fn get_payload<E: EthSpec>(
        &self,
        fork: ForkName,
        payload_id: PayloadId,
    ) -> Result<GetPayloadResponse<E>, EngineError> {
        let method = methods_for(fork).get_payload;
        let json: JsonGetPayloadResponse = self
            .request(method, json!([payload_id]), timeouts::GET_PAYLOAD)
            .await?;
        GetPayloadResponse::from_json(json, fork).map_err(|e| EngineError::BadResponse {
            method: method.to_string(),
            message: e.to_string(),
        })
    }

    /// `engine_getBlobsV1` (before Fulu): one entry per hash, `None` where the EE lacks the blob.
    pub async fn get_blobs_v1(
        &self,
        versioned_hashes: &[B256],
    ) -> Result<Vec<Option<BlobAndProofV1>>, EngineError> {
        let out: Vec<Option<BlobAndProofV1>> = self
            .request(
                "engine_getBlobsV1",
                json!([versioned_hashes]),
                timeouts::GET_BLOBS,
            )
            .await?;
        if out.len() != versioned_hashes.len() {
            return Err(EngineError::BadResponse {
                method: "engine_getBlobsV1".into(),
                message: format!(
                    "{} entries for {} hashes",
                    out.len(),
                    versioned_hashes.len()
                ),
            });
        }
        Ok(out)
    }

    /// `engine_getBlobsV2` (Fulu): all the blobs with their cell proofs, or `None` if any is missing.
    pub async fn get_blobs_v2(
        &self,
        versioned_hashes: &[B256],
    ) -> Result<Option<Vec<BlobAndProofV2>>, EngineError> {
        let out: Option<Vec<BlobAndProofV2>> = self
            .request(
                "engine_getBlobsV2",
                json!([versioned_hashes]),
                timeouts::GET_BLOBS,
            )
            .await?;
        if out
            .as_ref()
            .is_some_and(|o| o.len() != versioned_hashes.len())
        {
            return Err(EngineError::BadResponse {
                method: "engine_getBlobsV2".into(),
                message: "entry count differs from the request".into(),
            });
        }
        Ok(out)
    }

    /// `eth_syncing`: `true` if the EE reports a sync in progress (the state becomes Syncing).
    pub async fn eth_syncing(&self) -> Result<bool, EngineError> {
        let result: Result<Value, _> = self.call("eth_syncing", json!([]), timeouts::ETH).await;
        let result = result.map(|v| !matches!(v, Value::Bool(false) | Value::Null));
        self.observe(&result, matches!(result, Ok(true)));
        result
    }

    /// `eth_blockNumber`.
    pub async fn eth_block_number(&self) -> Result<u64, EngineError> {
        self.eth_quantity("eth_blockNumber").await
    }

    /// `eth_chainId`.
    pub async fn eth_chain_id(&self) -> Result<u64, EngineError> {
        self.eth_quantity("eth_chainId").await
    }

    /// A parameterless `eth_` method whose result is a quantity.
    async fn eth_quantity(&self, method: &str) -> Result<u64, EngineError> {
        let v: String = self.request(method, json!([]), timeouts::ETH).await?;
        quantity::parse(&v).map_err(|message| EngineError::BadResponse {
            method: method.into(),
            message,
        })
    }

    /// `eth_getBlockByNumber(tag, false)` (tag: `latest`, `safe`, `finalized`, `earliest` or a `0x`
    /// number), as the EE's JSON block object; `None` if it has no such block.
    pub async fn eth_get_block_by_number(&self, tag: &str) -> Result<Option<Value>, EngineError> {
        self.request("eth_getBlockByNumber", json!([tag, false]), timeouts::ETH)
            .await
    }

    /// `eth_getBlockByHash(hash, false)`.
    pub async fn eth_get_block_by_hash(&self, hash: B256) -> Result<Option<Value>, EngineError> {
        self.request("eth_getBlockByHash", json!([hash, false]), timeouts::ETH)
            .await
    }
}

/// An error and its sources, joined (reqwest's top-level message hides the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_versions_by_fork() {
        assert_eq!(
            methods_for(ForkName::Capella).new_payload,
            "engine_newPayloadV2"
        );
        assert_eq!(
            methods_for(ForkName::Deneb).forkchoice_updated,
            "engine_forkchoiceUpdatedV3"
        );
        assert_eq!(
            methods_for(ForkName::Electra).get_payload,
            "engine_getPayloadV4"
        );
        assert_eq!(
            methods_for(ForkName::Fulu).get_payload,
            "engine_getPayloadV5"
        );
        assert_eq!(methods_for(ForkName::Fulu).get_blobs, "engine_getBlobsV2");
        assert_eq!(
            methods_for(ForkName::Electra).get_blobs,
            "engine_getBlobsV1"
        );
        for fork in ForkName::ALL {
            let m = methods_for(fork);
            for name in [
                m.forkchoice_updated,
                m.new_payload,
                m.get_payload,
                m.get_blobs,
            ] {
                assert!(SUPPORTED_METHODS.contains(&name));
            }
        }
    }
}
