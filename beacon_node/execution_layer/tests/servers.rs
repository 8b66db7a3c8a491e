//! Small HTTP servers and a client for the bench: a builder with canned answers, an engine proxy that
//! answers SYNCING to marked payloads, and a raw JSON-RPC poster for calling mock-relay directly.

use super::jwt;
use engine_api::{EngineClient, JwtAuth};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;
use types::ForkName;

/// A builder that answers every request (registrations included) 200 with the JSON envelope the test
/// set, for answers mock-relay cannot give; it lives as long as the test's runtime.
pub struct CannedBuilder {
    pub url: builder_api::Url,
    answer: Arc<Mutex<(ForkName, serde_json::Value)>>,
}

impl CannedBuilder {
    /// Answers `{"version": fork, "data": data}` (with `Eth-Consensus-Version: fork`) from now on.
    pub fn answer(&self, fork: ForkName, data: serde_json::Value) {
        *self.answer.lock() = (fork, data);
    }

    pub(super) async fn start(fork: ForkName) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a listener");
        let addr = listener.local_addr().expect("a bound address");
        let answer = Arc::new(Mutex::new((fork, serde_json::json!({}))));
        tokio::spawn(serve_canned(listener, answer.clone()));
        Self {
            url: format!("http://{addr}/").parse().expect("a URL"),
            answer,
        }
    }
}

/// Accepts connections and answers each one request (`connection: close`) with the current answer.
async fn serve_canned(
    listener: tokio::net::TcpListener,
    answer: Arc<Mutex<(ForkName, serde_json::Value)>>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let (fork, body) = {
            let (fork, data) = &*answer.lock();
            let body = serde_json::json!({ "version": fork.to_string(), "data": data });
            (*fork, body.to_string())
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\neth-consensus-version: {fork}\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        tokio::spawn(answer_one(stream, response));
    }
}

/// Reads one request (its head, then its body by `content-length`), then writes `response`.
async fn answer_one(mut stream: tokio::net::TcpStream, response: String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// An engine proxy in front of mock-el that answers SYNCING to `newPayload` of payloads carrying
/// mock-relay's `SYNCING_EXTRA_DATA`, and forwards every other call; it lives as long as the test's
/// runtime.
pub struct SyncingProxy;

impl SyncingProxy {
    pub(super) async fn start(engine: builder_api::Url) -> builder_api::Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a listener");
        let addr = listener.local_addr().expect("a bound address");
        let client = EngineClient::new(engine, JwtAuth::new(jwt())).expect("a client");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(proxy_one(stream, client.clone()));
            }
        });
        format!("http://{addr}/").parse().expect("a URL")
    }
}

async fn proxy_one(mut stream: tokio::net::TcpStream, client: EngineClient) {
    use tokio::io::AsyncWriteExt;
    let Some(body) = read_request(&mut stream).await else {
        return;
    };
    let call: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = call["id"].clone();
    let method = call["method"].as_str().unwrap_or("").to_string();
    let marker = format!("0x{}", hex_of(mock_relay::SYNCING_EXTRA_DATA));
    let answer = if method.starts_with("engine_newPayload")
        && call["params"][0]["extraData"].as_str() == Some(marker.as_str())
    {
        serde_json::json!({"jsonrpc": "2.0", "id": id, "result": {
            "status": "SYNCING", "latestValidHash": null, "validationError": null}})
    } else {
        match client
            .request::<serde_json::Value>(&method, call["params"].clone(), Duration::from_secs(8))
            .await
        {
            Ok(result) => serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err(engine_api::EngineError::Rpc { code, message, .. }) => serde_json::json!(
                {"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
            Err(_) => return,
        }
    };
    let body = answer.to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads one HTTP request; returns its body.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                return Some(request[end + 4..end + 4 + length].to_vec());
            }
        }
    }
}

/// POSTs a JSON-RPC call to `url` and returns the answer's JSON (for calling mock-relay directly).
pub async fn post_rpc(
    url: &builder_api::Url,
    method: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().expect("a port")
    );
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("writes");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("reads");
    let text = String::from_utf8_lossy(&raw);
    let start = text.find("\r\n\r\n").map(|i| i + 4).unwrap_or(0);
    serde_json::from_str(&text[start..]).unwrap_or(serde_json::Value::Null)
}
