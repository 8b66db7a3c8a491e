//! The test rig: a gateway on a free port in front of an in-process mock-el, fake builders whose
//! failures are scripted, a log capture, and metric readers.

use parking_lot::Mutex;
use rpc_gateway::{ForwardConfig, ForwardTarget, GatewayConfig, TargetKind};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use warp::Filter;

pub fn jwt() -> engine_api::JwtSecret {
    engine_api::JwtSecret::new([0x33; 32])
}

/// A signed EIP-1559 transfer (key 0x11..), nonce `nonce`.
pub fn transaction(nonce: u64) -> Vec<u8> {
    rpc_gateway::tx::signed_transfer(&[0x11; 32], 1, nonce).unwrap()
}

pub fn hex(raw: &[u8]) -> String {
    format!("0x{}", hex::encode(raw))
}

/// Everything logged in this test binary (the gateway logs from its own tasks, so the capture is
/// global; tests look for their own builder's name).
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn capture_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("rpc_gateway=debug")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    });
}

pub fn logs() -> String {
    LOGS.get()
        .map(|b| String::from_utf8_lossy(&b.lock()).into_owned())
        .unwrap_or_default()
}

/// A builder's JSON-RPC face: the first `failures` calls get HTTP 500, later ones `true`; it
/// records the transactions it accepted.
pub struct FakeBuilder {
    pub url: url::Url,
    pub calls: Arc<AtomicU64>,
    pub accepted: Arc<Mutex<Vec<String>>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeBuilder {
    /// `failures`: how many calls fail first (`u64::MAX`: all); `delay`: before each answer.
    pub async fn start(failures: u64, delay: Duration) -> Self {
        let calls = Arc::new(AtomicU64::new(0));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let route = {
            let (calls, accepted) = (calls.clone(), accepted.clone());
            warp::post()
                .and(warp::body::json())
                .then(move |call: Value| {
                    let (calls, accepted) = (calls.clone(), accepted.clone());
                    async move {
                        let n = calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        if n < failures {
                            return warp::reply::with_status(
                                warp::reply::json(&json!("down")),
                                warp::http::StatusCode::INTERNAL_SERVER_ERROR,
                            );
                        }
                        assert_eq!(call["method"], rpc_gateway::FORWARD_TRANSACTION_V1);
                        if let Some(tx) = call["params"][0].as_str() {
                            accepted.lock().push(tx.to_string());
                        }
                        warp::reply::with_status(
                            warp::reply::json(
                                &json!({"jsonrpc": "2.0", "id": call["id"], "result": true}),
                            ),
                            warp::http::StatusCode::OK,
                        )
                    }
                })
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, server) = warp::serve(route).bind_with_graceful_shutdown(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            async move {
                let _ = stopped.await;
            },
        );
        Self {
            url: format!("http://{addr}/").parse().unwrap(),
            calls,
            accepted,
            stop: Some(stop),
            task: Some(tokio::spawn(server)),
        }
    }

    pub fn target(&self) -> ForwardTarget {
        ForwardTarget {
            name: self.url.to_string(),
            url: self.url.clone(),
            kind: TargetKind::Rpc,
        }
    }
}

impl Drop for FakeBuilder {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A gateway in front of a fresh mock-el.
pub struct Gateway {
    pub el: mock_el::MockEl,
    pub url: url::Url,
    pub registry: prometheus::Registry,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Gateway {
    pub async fn start(builders: Vec<ForwardTarget>) -> Self {
        Self::with(builders, ForwardConfig::default()).await
    }

    pub async fn with(builders: Vec<ForwardTarget>, forward: ForwardConfig) -> Self {
        capture_logs();
        let el = mock_el::MockEl::start(mock_el::MockElConfig::new(jwt()))
            .await
            .unwrap();
        let execution_rpc = format!("http://{}/eth", el.addr()).parse().unwrap();
        let mut config = GatewayConfig::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            execution_rpc,
            builders,
        );
        config.forward = forward;
        let registry = prometheus::Registry::new();
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, server) = rpc_gateway::serve(config, &registry, async move {
            let _ = stopped.await;
        })
        .unwrap();
        Self {
            el,
            url: format!("http://{addr}/").parse().unwrap(),
            registry,
            stop: Some(stop),
            task: Some(tokio::spawn(server)),
        }
    }

    /// Posts `body` (any JSON) and returns the answer.
    pub async fn post(&self, body: &Value) -> Value {
        self.post_raw(serde_json::to_vec(body).unwrap()).await
    }

    pub async fn post_raw(&self, body: Vec<u8>) -> Value {
        let response = reqwest::Client::new()
            .post(self.url.clone())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }

    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.post(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .await
    }

    /// A counter's value for one label value (0 when absent).
    pub fn counter(&self, name: &str, label: &str) -> u64 {
        self.registry
            .gather()
            .iter()
            .filter(|family| family.get_name() == name)
            .flat_map(|family| family.get_metric().iter())
            .filter(|m| m.get_label().iter().any(|l| l.get_value() == label))
            .map(|m| m.get_counter().get_value() as u64)
            .sum()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Polls `condition` every 10 ms until it holds, or fails after `limit`.
pub async fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
