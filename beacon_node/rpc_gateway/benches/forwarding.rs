//! Gateway forwarding throughput (issue 14 item 5): signed transactions submitted to the gateway by
//! concurrent clients, accepted by an in-process mock-el, and forwarded to two builders that accept
//! at once. Reports submissions per second (the client's view: decode, engine, answer) and
//! transactions per second delivered to both builders (the last forward's arrival ends the clock).
//!
//! `cargo bench -p rpc_gateway --bench forwarding [-- TRANSACTIONS CLIENTS]` (defaults 4000, 32).

use rpc_gateway::{ForwardConfig, ForwardTarget, GatewayConfig, TargetKind};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use warp::Filter;

/// A builder that accepts every forwarded transaction at once and counts them.
fn builder(count: Arc<AtomicU64>) -> url::Url {
    let route = warp::post().and(warp::body::bytes()).map(move |_body| {
        count.fetch_add(1, Ordering::Relaxed);
        warp::reply::json(&json!({"jsonrpc": "2.0", "id": 1, "result": true}))
    });
    let (addr, server) = warp::serve(route).bind_ephemeral(SocketAddr::from(([127, 0, 0, 1], 0)));
    tokio::spawn(server);
    format!("http://{addr}/").parse().expect("a URL")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let transactions: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(4000);
    let clients: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(32);

    let el = mock_el::MockEl::start(mock_el::MockElConfig::new(engine_api::JwtSecret::new(
        [0x33; 32],
    )))
    .await
    .expect("mock-el starts");
    let counts = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let builders = counts
        .iter()
        .enumerate()
        .map(|(i, count)| ForwardTarget {
            name: format!("builder-{i}"),
            url: builder(count.clone()),
            kind: TargetKind::Rpc,
        })
        .collect();
    let mut config = GatewayConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        format!("http://{}/eth", el.addr()).parse().expect("a URL"),
        builders,
    );
    // Room for every transaction: the figure is of delivery, not of dropping.
    config.forward = ForwardConfig {
        queue_capacity: transactions as usize,
        ..ForwardConfig::default()
    };
    let registry = prometheus::Registry::new();
    let (address, server) =
        rpc_gateway::serve(config, &registry, std::future::pending()).expect("the gateway starts");
    tokio::spawn(server);
    let url = format!("http://{address}/");

    // Distinct signed transactions (one sender, consecutive nonces), made before the clock starts.
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..transactions)
            .map(|nonce| {
                let raw =
                    rpc_gateway::tx::signed_transfer(&[0x11; 32], 1, nonce).expect("a transaction");
                json!({"jsonrpc": "2.0", "id": nonce, "method": "eth_sendRawTransaction",
                       "params": [format!("0x{}", hex::encode(raw))]})
                .to_string()
            })
            .collect(),
    );
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, bodies, next) =
                (client.clone(), url.clone(), bodies.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i as usize) else {
                        return;
                    };
                    let answer: Value = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("the gateway answers")
                        .json()
                        .await
                        .expect("JSON");
                    assert!(answer["result"].is_string(), "{answer}");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a client");
    }
    let submitted = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while counts
        .iter()
        .any(|c| c.load(Ordering::Relaxed) < transactions)
    {
        assert!(Instant::now() < deadline, "forwarding did not finish");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let delivered = started.elapsed();
    let rate = |d: Duration| transactions as f64 / d.as_secs_f64();
    println!(
        "gateway forwarding: {transactions} transactions, {clients} clients, 2 builders\n  \
         submitted (hash returned): {:>8.0} tx/s ({submitted:.2?})\n  \
         delivered to both builders: {:>7.0} tx/s ({delivered:.2?}; {} forwards)",
        rate(submitted),
        rate(delivered),
        2 * transactions,
    );
}
