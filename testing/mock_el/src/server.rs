//! The HTTP side: JWT-checked JSON-RPC on `POST /`, unauthenticated `eth_` methods on `POST /eth`,
//! and the admin endpoints under `/admin/`.

use crate::chain::{Chain, RpcError};
use crate::faults::{Faults, FaultsPatch};
use engine_api::auth::{unix_now, verify_token, JwtSecret};
use engine_api::RpcErrorCode;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

/// Request bodies up to this size are read (a payload with many blob transactions is large).
const MAX_BODY: u64 = 256 * 1024 * 1024;

/// What the handlers share.
pub struct Shared {
    pub chain: Mutex<Chain>,
    pub faults: Mutex<Faults>,
    pub secret: JwtSecret,
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut r = Response::new(body.into().into());
    *r.status_mut() = status;
    r
}

fn json_response(value: &Value) -> Response {
    let mut r = Response::new(serde_json::to_vec(value).unwrap_or_default().into());
    r.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static("application/json"),
    );
    r
}

/// A response whose body fails at once: hyper closes the connection without an answer.
fn dropped() -> Response {
    let (sender, body) = warp::hyper::Body::channel();
    sender.abort();
    Response::new(body)
}

/// Checks `Authorization: Bearer <jwt>` (HS256, `iat` within ±60 s).
fn check_jwt(secret: &JwtSecret, header: Option<&str>) -> Result<(), String> {
    let header = header.ok_or("missing Authorization header")?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or("Authorization is not a Bearer token")?;
    verify_token(secret, token.trim(), unix_now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn error_object(id: Value, e: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": e.code, "message": e.message}})
}

fn answer_one(chain: &mut Chain, call: &Value, faults: &Faults, eth_only: bool) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = call.get("method").and_then(Value::as_str) else {
        return error_object(
            id,
            &RpcError::new(RpcErrorCode::InvalidRequest, "no method"),
        );
    };
    let params = match call.get("params") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.clone(),
        Some(_) => {
            return error_object(
                id,
                &RpcError::new(RpcErrorCode::InvalidRequest, "params must be an array"),
            )
        }
    };
    if eth_only && !method.starts_with("eth_") {
        return error_object(
            id,
            &RpcError::new(
                RpcErrorCode::MethodNotFound,
                format!("{method} needs the JWT-authenticated endpoint POST /"),
            ),
        );
    }
    if let Some(e) = faults.error_for(method) {
        let e = RpcError {
            code: e.code,
            message: e.message.clone(),
        };
        return error_object(id, &e);
    }
    match chain.dispatch(method, &params, faults) {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(e) => error_object(id, &e),
    }
}

async fn handle_rpc(
    shared: Arc<Shared>,
    authorization: Option<String>,
    body: Bytes,
    eth_only: bool,
) -> Result<Response, Infallible> {
    if !eth_only {
        if let Err(why) = check_jwt(&shared.secret, authorization.as_deref()) {
            tracing::debug!(%why, "refusing request");
            return Ok(text(
                StatusCode::UNAUTHORIZED,
                format!("401 Unauthorized: {why}\n"),
            ));
        }
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let e = RpcError::new(RpcErrorCode::ParseError, e);
            return Ok(json_response(&error_object(Value::Null, &e)));
        }
    };
    let (calls, batch) = match value {
        Value::Array(calls) => (calls, true),
        other => (vec![other], false),
    };
    if calls.is_empty() {
        let e = RpcError::new(RpcErrorCode::InvalidRequest, "empty batch");
        return Ok(json_response(&error_object(Value::Null, &e)));
    }
    let faults = shared.faults.lock().clone();
    let methods: Vec<&str> = calls
        .iter()
        .filter_map(|c| c.get("method").and_then(Value::as_str))
        .collect();
    let delay = methods
        .iter()
        .map(|m| faults.delay_for(m))
        .max()
        .unwrap_or(0);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if methods.iter().any(|m| faults.drops(m)) {
        return Ok(dropped());
    }
    let answers = tokio::task::spawn_blocking(move || {
        let mut chain = shared.chain.lock();
        calls
            .iter()
            .map(|c| answer_one(&mut chain, c, &faults, eth_only))
            .collect::<Vec<_>>()
    })
    .await;
    Ok(match answers {
        Ok(mut answers) if !batch => json_response(&answers.swap_remove(0)),
        Ok(answers) => json_response(&Value::Array(answers)),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("handler failed: {e}\n"),
        ),
    })
}

/// All routes of the mock.
pub fn routes(
    shared: Arc<Shared>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let with = {
        let shared = shared.clone();
        warp::any().map(move || shared.clone())
    };
    let engine = warp::post()
        .and(warp::path::end())
        .and(with.clone())
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::body::content_length_limit(MAX_BODY))
        .and(warp::body::bytes())
        .and_then(|s, a, b| handle_rpc(s, a, b, false));
    let eth = warp::post()
        .and(warp::path("eth"))
        .and(warp::path::end())
        .and(with.clone())
        .and(warp::body::content_length_limit(MAX_BODY))
        .and(warp::body::bytes())
        .and_then(|s, b| handle_rpc(s, None, b, true));
    let faults = warp::path!("admin" / "faults");
    let get_faults = faults
        .and(warp::get())
        .and(with.clone())
        .map(|s: Arc<Shared>| json_response(&json!(*s.faults.lock())));
    let patch_faults = faults
        .and(warp::post())
        .and(with.clone())
        .and(warp::body::content_length_limit(1 << 20))
        .and(warp::body::bytes())
        .map(
            |s: Arc<Shared>, body: Bytes| match serde_json::from_slice::<FaultsPatch>(&body) {
                Ok(patch) => {
                    let mut f = s.faults.lock();
                    f.apply(patch);
                    tracing::info!(faults = ?*f, "fault switches changed");
                    json_response(&json!(*f))
                }
                Err(e) => text(
                    StatusCode::BAD_REQUEST,
                    format!("bad fault switches: {e}\n"),
                ),
            },
        );
    let put_faults = faults
        .and(warp::put())
        .and(with.clone())
        .and(warp::body::content_length_limit(1 << 20))
        .and(warp::body::bytes())
        .map(
            |s: Arc<Shared>, body: Bytes| match serde_json::from_slice::<Faults>(&body) {
                Ok(new) => {
                    *s.faults.lock() = new.clone();
                    json_response(&json!(new))
                }
                Err(e) => text(
                    StatusCode::BAD_REQUEST,
                    format!("bad fault switches: {e}\n"),
                ),
            },
        );
    let reset_faults = faults
        .and(warp::delete())
        .and(with.clone())
        .map(|s: Arc<Shared>| {
            *s.faults.lock() = Faults::default();
            json_response(&json!(Faults::default()))
        });
    let status = warp::path!("admin" / "status")
        .and(warp::get())
        .and(with)
        .map(|s: Arc<Shared>| json_response(&s.chain.lock().status()));
    engine
        .or(eth)
        .unify()
        .or(get_faults)
        .unify()
        .or(patch_faults)
        .unify()
        .or(put_faults)
        .unify()
        .or(reset_faults)
        .unify()
        .or(status)
        .unify()
}
