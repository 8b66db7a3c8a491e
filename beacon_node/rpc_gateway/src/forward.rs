//! Forwarding accepted transactions to the full-payload builders, in the background: one bounded
//! queue per builder (the oldest transaction is dropped, and counted, when it is full), a few
//! deliveries in flight per builder, each attempt bounded by the OP draft's 200 ms and retried with
//! exponential backoff, and an error log when every attempt to a builder failed. A slow or dead
//! builder thus costs its own queue only: the client's answer and the other builders never wait.

use crate::metrics::Metrics;
use alloy_primitives::B256;
use engine_api::{JwtAuth, JwtSecret};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use url::Url;

/// The OP builder-API draft's method for a forwarded transaction (`execution_layer`'s
/// `full_payload::wire::FORWARD_TRANSACTION_V1`; this crate does not depend on the builder module).
pub const FORWARD_TRANSACTION_V1: &str = "builder_forwardTransactionV1";
/// A builder's answer to a forwarded transaction is read this far at most.
const ANSWER_LIMIT: usize = 64 * 1024;

/// How one builder receives transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// `builder_forwardTransactionV1` at the builder's JSON-RPC URL (`--payload-builder-rpc`).
    Rpc,
    /// `eth_sendRawTransaction` at the builder's engine endpoint, with its JWT secret
    /// (`--payload-builder-engine`): an engine builder is an execution client, and execution clients
    /// serve the `eth_` namespace on their authenticated port too, so this reaches its own pool.
    Engine(JwtSecret),
}

/// A builder that receives forwarded transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTarget {
    /// Its identity in logs and metric labels (the builder's address, or its URL).
    pub name: String,
    pub url: Url,
    pub kind: TargetKind,
}

/// Bounds of forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardConfig {
    /// One attempt's deadline (the OP draft's 200 ms).
    pub attempt_timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// The wait before the first retry; doubled before each further one.
    pub backoff: Duration,
    /// Transactions waiting per builder before the oldest is dropped.
    pub queue_capacity: usize,
    /// Deliveries in flight per builder.
    pub concurrency: usize,
}

impl Default for ForwardConfig {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_millis(200),
            retries: 5,
            backoff: Duration::from_millis(25),
            queue_capacity: 4096,
            concurrency: 16,
        }
    }
}

/// A transaction to forward: its hash (for logs) and its hex, shared by every builder's queue.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub hash: B256,
    pub hex: Arc<str>,
}

#[derive(Default)]
struct Queue {
    items: Mutex<VecDeque<Job>>,
    notify: Notify,
    closed: AtomicBool,
}

struct Target {
    name: String,
    url: Url,
    method: &'static str,
    auth: Option<JwtAuth>,
}

/// The queues and their workers.
pub(crate) struct Forwarder {
    queues: Vec<(Arc<Target>, Arc<Queue>)>,
    capacity: usize,
    metrics: Metrics,
}

impl Forwarder {
    /// Starts one worker per target (on the current tokio runtime).
    pub fn spawn(
        targets: &[ForwardTarget],
        config: ForwardConfig,
        client: reqwest::Client,
        metrics: Metrics,
    ) -> Self {
        let queues = targets
            .iter()
            .map(|t| {
                let (method, auth) = match &t.kind {
                    TargetKind::Rpc => (FORWARD_TRANSACTION_V1, None),
                    TargetKind::Engine(secret) => {
                        ("eth_sendRawTransaction", Some(JwtAuth::new(secret.clone())))
                    }
                };
                let target = Arc::new(Target {
                    name: t.name.clone(),
                    url: t.url.clone(),
                    method,
                    auth,
                });
                let queue = Arc::new(Queue::default());
                tokio::spawn(worker(
                    target.clone(),
                    queue.clone(),
                    config,
                    client.clone(),
                    metrics.clone(),
                ));
                (target, queue)
            })
            .collect();
        Self {
            queues,
            capacity: config.queue_capacity.max(1),
            metrics,
        }
    }

    /// Queues `job` for every builder; never waits.
    pub fn push(&self, job: Job) {
        for (target, queue) in &self.queues {
            let dropped = {
                let mut items = queue.items.lock();
                let dropped = if items.len() >= self.capacity {
                    items.pop_front()
                } else {
                    None
                };
                items.push_back(job.clone());
                dropped
            };
            match dropped {
                Some(old) => {
                    self.metrics
                        .dropped
                        .with_label_values(&[&target.name])
                        .inc();
                    tracing::warn!(builder = %target.name, dropped = %old.hash, "forwarding queue full: dropped its oldest transaction");
                }
                None => self.metrics.queued.with_label_values(&[&target.name]).inc(),
            }
            queue.notify.notify_one();
        }
    }

    /// Stops the workers once their queues are empty.
    pub fn close(&self) {
        for (_, queue) in &self.queues {
            queue.closed.store(true, Ordering::Release);
            queue.notify.notify_one();
        }
    }
}

async fn worker(
    target: Arc<Target>,
    queue: Arc<Queue>,
    config: ForwardConfig,
    client: reqwest::Client,
    metrics: Metrics,
) {
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let job = loop {
            if let Some(job) = queue.items.lock().pop_front() {
                break job;
            }
            if queue.closed.load(Ordering::Acquire) {
                return;
            }
            queue.notify.notified().await;
        };
        let (target, client, metrics) = (target.clone(), client.clone(), metrics.clone());
        tokio::spawn(async move {
            deliver(&target, &job, config, &client, &metrics).await;
            metrics.queued.with_label_values(&[&target.name]).dec();
            drop(slot);
        });
    }
}

/// Sends `job` to `target` until it is accepted or every attempt failed.
async fn deliver(
    target: &Target,
    job: &Job,
    config: ForwardConfig,
    client: &reqwest::Client,
    metrics: &Metrics,
) {
    let label = [target.name.as_str()];
    let mut last_error = String::new();
    for attempt in 0..=config.retries {
        if attempt > 0 {
            metrics.retried.with_label_values(&label).inc();
            let factor = 1u32 << (attempt - 1).min(16);
            tokio::time::sleep(config.backoff.saturating_mul(factor)).await;
        }
        match tokio::time::timeout(config.attempt_timeout, send(target, job, client)).await {
            Ok(Ok(())) => {
                metrics.forwarded.with_label_values(&label).inc();
                tracing::debug!(builder = %target.name, tx = %job.hash, attempt, "transaction forwarded");
                return;
            }
            Ok(Err(e)) => last_error = e,
            Err(_) => {
                last_error = format!("no answer within {:?}", config.attempt_timeout);
            }
        }
        tracing::debug!(builder = %target.name, tx = %job.hash, attempt, error = %last_error, "forwarding attempt failed");
    }
    metrics.failed.with_label_values(&label).inc();
    tracing::error!(
        builder = %target.name,
        url = %target.url,
        tx = %job.hash,
        attempts = config.retries + 1,
        error = %last_error,
        "every attempt to forward a transaction to this builder failed; its blocks will lack it"
    );
}

/// One attempt: the call, and a JSON-RPC answer with a `result`.
async fn send(target: &Target, job: &Job, client: &reqwest::Client) -> Result<(), String> {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"{}","params":["{}"]}}"#,
        target.method, job.hex
    );
    let mut request = client
        .post(target.url.clone())
        .header("content-type", "application/json")
        .body(body);
    if let Some(auth) = &target.auth {
        let bearer = auth.bearer().map_err(|e| format!("JWT: {e}"))?;
        request = request.header("authorization", bearer);
    }
    let mut response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if answer.len() + chunk.len() > ANSWER_LIMIT {
            return Err(format!("the answer exceeds {ANSWER_LIMIT} bytes"));
        }
        answer.extend_from_slice(&chunk);
    }
    let excerpt = || String::from_utf8_lossy(&answer[..answer.len().min(200)]).into_owned();
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", excerpt()));
    }
    let value: Value =
        serde_json::from_slice(&answer).map_err(|e| format!("not JSON ({e}): {}", excerpt()))?;
    if let Some(error) = value.get("error") {
        return Err(format!("JSON-RPC error: {error}"));
    }
    if value.get("result").is_none() {
        return Err(format!("no result: {}", excerpt()));
    }
    Ok(())
}
