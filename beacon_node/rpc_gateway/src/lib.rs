//! The node's Ethereum JSON-RPC gateway: it takes wallets' transactions and hands them to the execution engine and to every full-payload builder, and passes every other call to the engine.
//!
//! Why: a full-payload builder (issue 14) builds from its own view of the mempool; a transaction sent
//! to the proposer's node should be in the builder's block as it would be in the local one. So
//! `eth_sendRawTransaction` is decoded here first (EIP-2718 envelope, fields, sender; junk gets a
//! JSON-RPC error, never a crash), sent to the engine's RPC (`--execution-rpc`), and once the engine
//! accepts it the hash is returned and the transaction is forwarded in the background
//! ([`forward`]): RPC builders get `builder_forwardTransactionV1`, engine builders
//! `eth_sendRawTransaction` on their engine endpoint with their JWT. A transaction the engine refuses
//! is not forwarded: the engine is the gateway's check of nonce, balance and signature domain, and a
//! refused transaction would only load the builders. Every other call, batches included, goes to the
//! engine unchanged.

pub mod forward;
pub mod metrics;
pub mod tx;

pub use forward::{ForwardConfig, ForwardTarget, TargetKind, FORWARD_TRANSACTION_V1};
pub use metrics::Metrics;

use alloy_primitives::B256;
use forward::{Forwarder, Job};
use serde_json::{json, Value};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

/// Request bodies are read this far at most: a batch of a few blob transactions in hex.
pub const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;
/// Calls in one batch, at most (geth's default `BatchRequestLimit`).
pub const MAX_BATCH: usize = 1000;
/// How long the engine may take to answer a call.
pub const DEFAULT_EXECUTION_TIMEOUT: Duration = Duration::from_secs(10);

/// The gateway's settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where to listen (`--rpc-gateway-address`, 127.0.0.1 by default, and `--rpc-gateway-port`).
    pub listen: SocketAddr,
    /// The engine's (unauthenticated) JSON-RPC: `--execution-rpc`.
    pub execution_rpc: url::Url,
    /// See [`DEFAULT_EXECUTION_TIMEOUT`].
    pub execution_timeout: Duration,
    /// The builders that receive accepted transactions.
    pub builders: Vec<ForwardTarget>,
    pub forward: ForwardConfig,
}

impl GatewayConfig {
    /// Default bounds.
    pub fn new(listen: SocketAddr, execution_rpc: url::Url, builders: Vec<ForwardTarget>) -> Self {
        Self {
            listen,
            execution_rpc,
            execution_timeout: DEFAULT_EXECUTION_TIMEOUT,
            builders,
            forward: ForwardConfig::default(),
        }
    }
}

/// Why the gateway did not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("cannot register the gateway's metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: warp::Error,
    },
}

struct Gateway {
    client: reqwest::Client,
    execution_rpc: url::Url,
    execution_timeout: Duration,
    forwarder: Forwarder,
    metrics: Metrics,
}

/// Binds `config.listen`, registers the metrics in `registry` and starts the forwarding workers.
/// Returns the bound address (the port may have been 0) and the server's future, which serves until
/// `shutdown` resolves and then lets the workers finish their queues. Call inside a tokio runtime.
pub fn serve(
    config: GatewayConfig,
    registry: &prometheus::Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, impl Future<Output = ()> + Send + 'static), GatewayError> {
    let metrics = Metrics::new(registry)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| GatewayError::Client(e.to_string()))?;
    let forwarder = Forwarder::spawn(
        &config.builders,
        config.forward,
        client.clone(),
        metrics.clone(),
    );
    let gateway = Arc::new(Gateway {
        client,
        execution_rpc: config.execution_rpc,
        execution_timeout: config.execution_timeout,
        forwarder,
        metrics,
    });
    let with = {
        let gateway = gateway.clone();
        warp::any().map(move || gateway.clone())
    };
    let route = warp::post()
        .and(warp::path::end())
        .and(with)
        .and(warp::body::content_length_limit(MAX_BODY_BYTES))
        .and(warp::body::bytes())
        .then(|gateway: Arc<Gateway>, body: Bytes| async move { gateway.handle(body).await });
    let (address, server) = warp::serve(route)
        .try_bind_with_graceful_shutdown(config.listen, shutdown)
        .map_err(|source| GatewayError::Bind {
            address: config.listen,
            source,
        })?;
    Ok((address, async move {
        server.await;
        gateway.forwarder.close();
    }))
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = Response::new(serde_json::to_vec(value).unwrap_or_default().into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static("application/json"),
    );
    response
}

fn error_object(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn is_send_raw(call: &Value) -> bool {
    call.get("method").and_then(Value::as_str) == Some("eth_sendRawTransaction")
}

impl Gateway {
    async fn handle(&self, body: Bytes) -> Response {
        let value: Value = match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => {
                return json_response(
                    StatusCode::OK,
                    &error_object(Value::Null, -32700, format!("parse error: {e}")),
                )
            }
        };
        match value {
            Value::Array(calls) if calls.is_empty() || calls.len() > MAX_BATCH => json_response(
                StatusCode::OK,
                &error_object(
                    Value::Null,
                    -32600,
                    format!("a batch holds 1 to {MAX_BATCH} calls"),
                ),
            ),
            Value::Array(calls) if calls.iter().any(is_send_raw) => {
                let answers = self.batch(calls).await;
                if answers.is_empty() {
                    // Only notifications: JSON-RPC 2.0 answers nothing at all, not `[]`.
                    return Response::new(Vec::new().into());
                }
                json_response(StatusCode::OK, &Value::Array(answers))
            }
            ref call @ Value::Object(_) if is_send_raw(call) => {
                json_response(StatusCode::OK, &self.send_raw(call).await)
            }
            other => {
                let kind = if other.is_array() { "batch" } else { "single" };
                self.metrics.proxied.with_label_values(&[kind]).inc();
                self.proxy(body, other.get("id").cloned().unwrap_or(Value::Null))
                    .await
            }
        }
    }

    /// Passes `body` to the engine unchanged and its answer back unchanged.
    async fn proxy(&self, body: Bytes, id: Value) -> Response {
        match self.call_engine(body).await {
            Ok((status, answer)) => {
                let mut response = Response::new(answer.into());
                *response.status_mut() = status;
                response.headers_mut().insert(
                    warp::http::header::CONTENT_TYPE,
                    warp::http::HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(e) => json_response(StatusCode::OK, &error_object(id, -32000, e)),
        }
    }

    async fn call_engine(&self, body: Bytes) -> Result<(StatusCode, Bytes), String> {
        let unreachable = |e: reqwest::Error| format!("the execution engine's RPC: {e}");
        let response = self
            .client
            .post(self.execution_rpc.clone())
            .header("content-type", "application/json")
            .timeout(self.execution_timeout)
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let status =
            StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let answer = response.bytes().await.map_err(unreachable)?;
        Ok((status, answer))
    }

    /// A batch with transactions: those are handled here in order (a sender's nonces stay in
    /// sequence), the other calls go to the engine as one batch, and the answers are put back in
    /// the calls' order (matched by id, as a server may reorder a batch). Calls without an id are
    /// notifications and get no answer.
    async fn batch(&self, calls: Vec<Value>) -> Vec<Value> {
        let others: Vec<&Value> = calls.iter().filter(|c| !is_send_raw(c)).collect();
        let mut other_answers: Vec<Value> = Vec::new();
        if !others.is_empty() {
            self.metrics.proxied.with_label_values(&["batch"]).inc();
            let body = Bytes::from(serde_json::to_vec(&others).unwrap_or_default());
            match self.call_engine(body).await {
                Ok((_, answer)) => match serde_json::from_slice::<Value>(&answer) {
                    Ok(Value::Array(answers)) => other_answers = answers,
                    Ok(single) => other_answers = vec![single],
                    Err(e) => {
                        other_answers = vec![error_object(
                            Value::Null,
                            -32000,
                            format!("the execution engine's answer is not JSON: {e}"),
                        )]
                    }
                },
                Err(e) => other_answers = vec![error_object(Value::Null, -32000, e)],
            }
        }
        let mut answers = Vec::with_capacity(calls.len());
        for call in &calls {
            let id = call.get("id");
            if is_send_raw(call) {
                let answer = self.send_raw(call).await;
                if id.is_some() {
                    answers.push(answer);
                }
                continue;
            }
            let Some(id) = id else { continue };
            match other_answers.iter().position(|a| a.get("id") == Some(id)) {
                Some(i) => answers.push(other_answers.swap_remove(i)),
                None => {
                    // The engine answered the batch as a whole (an error): that answer, per call.
                    let reason = other_answers
                        .iter()
                        .find(|a| a.get("id").is_none_or(Value::is_null))
                        .and_then(|a| a.get("error").cloned())
                        .unwrap_or_else(|| json!({"code": -32000, "message": "no answer from the execution engine"}));
                    answers.push(json!({"jsonrpc": "2.0", "id": id, "error": reason}));
                }
            }
        }
        answers
    }

    /// `eth_sendRawTransaction`: decoded here, sent to the engine, forwarded once it is accepted.
    async fn send_raw(&self, call: &Value) -> Value {
        let id = call.get("id").cloned().unwrap_or(Value::Null);
        let outcome = |name: &str| self.metrics.submissions.with_label_values(&[name]).inc();
        let raw = match raw_param(call) {
            Ok(raw) => raw,
            Err(message) => {
                outcome("invalid");
                return error_object(id, -32602, message);
            }
        };
        // Signature recovery and a blob sidecar's walk are CPU work: off the async workers.
        let decoded = match tokio::task::spawn_blocking({
            let raw = raw.clone();
            move || tx::decode(&raw)
        })
        .await
        {
            Ok(Ok(decoded)) => decoded,
            Ok(Err(e)) => {
                outcome("invalid");
                return error_object(id, -32602, format!("invalid transaction: {e}"));
            }
            Err(e) => return error_object(id, -32603, format!("decoding failed: {e}")),
        };
        let hex = format!("0x{}", hex::encode(&raw));
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [hex]});
        let body = Bytes::from(serde_json::to_vec(&request).unwrap_or_default());
        let answer = match self.call_engine(body).await {
            Ok((_, answer)) => serde_json::from_slice::<Value>(&answer)
                .map_err(|e| format!("the execution engine's answer is not JSON: {e}")),
            Err(e) => Err(e),
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                outcome("engine_unreachable");
                tracing::warn!(tx = %decoded.hash, error = %e, "cannot submit a transaction to the execution engine");
                return error_object(id, -32000, e);
            }
        };
        let accepted = answer
            .get("result")
            .and_then(Value::as_str)
            .and_then(|h| h.parse::<B256>().ok());
        match accepted {
            Some(hash) => {
                outcome("accepted");
                if hash != decoded.hash {
                    tracing::warn!(engine = %hash, gateway = %decoded.hash, "the execution engine hashes a transaction differently");
                }
                tracing::debug!(tx = %decoded.hash, sender = %decoded.sender, nonce = decoded.nonce, "transaction accepted; forwarding it to the builders");
                self.forwarder.push(Job {
                    hash: decoded.hash,
                    hex: Arc::from(hex),
                });
            }
            None => {
                outcome("refused");
                tracing::debug!(tx = %decoded.hash, answer = %answer, "the execution engine refused a transaction; not forwarded");
            }
        }
        answer
    }
}

/// `params[0]` as bytes, its size bounded before it is decoded.
fn raw_param(call: &Value) -> Result<Vec<u8>, String> {
    let text = call
        .get("params")
        .and_then(|p| p.get(0))
        .and_then(Value::as_str)
        .ok_or("params: [\"0x\" + the signed transaction's hex]")?;
    let digits = text
        .strip_prefix("0x")
        .ok_or("params[0] lacks the 0x prefix")?;
    let limit = tx::MAX_BLOB_TRANSACTION_BYTES;
    if digits.len() > 2 * limit {
        return Err(format!("the transaction exceeds {limit} bytes"));
    }
    hex::decode(digits).map_err(|e| format!("params[0] is not hex: {e}"))
}
