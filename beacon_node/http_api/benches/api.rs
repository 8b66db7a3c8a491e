//! Beacon API throughput at mainnet scale: `GET /eth/v1/beacon/headers/head` and
//! `GET /eth/v1/beacon/states/head/validators` on a mainnet-preset Fulu chain of 2^20 validators,
//! served by the real server over loopback and driven by concurrent reqwest clients.
//! Run with `cargo bench -p http_api --bench api` (`BENCH_SECONDS=n` per case, default 10).
//!
//! The chain's anchor is the state `common/state_processing/benches/state.rs` builds (2^20
//! validators with realistic balances, statuses and credentials), its latest execution payload
//! header mock-el's genesis block and its latest block header the chain's genesis block, advanced
//! to the first slot of the next epoch; mock-el (in process) is the engine. No block is imported:
//! the head is the anchor, which is all these two endpoints read.
//!
//! Each case runs for a fixed time with `clients` concurrent clients, each sending its next request
//! once the previous answer's body is read in full; it prints requests per second, the mean
//! latency and the body size. Both endpoints are JSON-only in the spec (no SSZ form is defined for
//! them); each case is also run with the spec's SSZ-preferring `Accept`
//! (`application/octet-stream;q=1.0,application/json;q=0.9`), which they answer in JSON.

#[path = "../../../common/state_processing/benches/common/mod.rs"]
mod state_bench;

use beacon_chain::{BeaconChain, ChainConfig, ChainParts, ChainView, ManualClock};
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use execution_layer::{ExecutionLayer, ExecutionLayerConfig, RedbBuilderBlockStore};
use mock_el::{MockEl, MockElConfig};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;
use types::{BeaconBlockHeader, EthSpec, ForkName, Hash256};

type E = types::MainnetEthSpec;

const SSZ_FIRST: &str = "application/octet-stream;q=1.0,application/json;q=0.9";

fn jwt() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The anchor state (see the module docs).
fn anchor_state(
    spec: &types::ChainSpec,
    header: types::ExecutionPayloadHeader<E>,
) -> types::BeaconState<E> {
    let start = Instant::now();
    let mut state = state_bench::build_state(spec);
    match (&mut state, header) {
        (types::BeaconState::Fulu(s), types::ExecutionPayloadHeader::Fulu(header)) => {
            s.latest_execution_payload_header = header;
        }
        _ => panic!("a Fulu state and header"),
    }
    let genesis = beacon_chain::block_builder::genesis_block::<E>(ForkName::Fulu, Hash256::ZERO)
        .expect("the genesis block");
    *state.latest_block_header_mut() = BeaconBlockHeader {
        slot: 0,
        proposer_index: 0,
        parent_root: Hash256::ZERO,
        state_root: Hash256::ZERO,
        body_root: genesis.body_root(),
    };
    let slot = state.slot() + 1;
    state_processing::process_slots(&mut state, slot, spec).expect("the epoch transition");
    state.latest_block_header_mut().state_root = Hash256::ZERO;
    state.update_tree_hash_cache().expect("the state root");
    eprintln!(
        "built the {}-validator state at slot {slot} in {:?}",
        state.validators().len(),
        start.elapsed()
    );
    state
}

/// Starts the chain on the anchor and the API on a free loopback port.
async fn start() -> (SocketAddr, Arc<BeaconChain<E>>, MockEl, TempDir) {
    let spec = Arc::new(state_bench::spec());
    let el = MockEl::start(MockElConfig::new(jwt()))
        .await
        .expect("mock-el starts");
    let engine = || {
        EngineClient::new(el.url().parse().expect("a URL"), JwtAuth::new(jwt()))
            .expect("an engine client")
    };
    let header = beacon_chain::genesis::engine_genesis_header::<E>(&engine(), ForkName::Fulu)
        .await
        .expect("mock-el's genesis block");
    let state_spec = spec.clone();
    let state = tokio::task::spawn_blocking(move || anchor_state(&state_spec, header))
        .await
        .expect("the state");
    let datadir = TempDir(std::env::temp_dir().join(format!(
        "http_api_bench_{}_{}",
        std::process::id(),
        state.genesis_time()
    )));
    std::fs::create_dir_all(&datadir.0).expect("a temporary directory");
    let store = Arc::new(Store::<E>::open(&datadir.0, spec.clone()).expect("the store"));
    let view = Arc::new(ChainView::new(E::slots_per_epoch()));
    let builder_store =
        RedbBuilderBlockStore::from_database(store.database()).expect("the builder store");
    let layer = Arc::new(
        ExecutionLayer::new(
            ExecutionLayerConfig::new((*spec).clone()),
            engine(),
            vec![],
            Box::new(builder_store),
            view.clone(),
        )
        .expect("the execution layer"),
    );
    let clock = Arc::new(ManualClock::new(
        (state.genesis_time() + state.slot() * spec.slot_duration_ms / 1000) * 1000,
    ));
    let chain = tokio::task::spawn_blocking(move || {
        BeaconChain::start(ChainParts {
            spec,
            config: ChainConfig::default(),
            store,
            execution_layer: layer,
            view,
            clock,
            genesis_state: Some(state),
        })
    })
    .await
    .expect("the start task")
    .expect("the chain starts");
    // The start decompresses every key in the background: let it finish before measuring.
    let mut last = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = chain.decompressed_pubkeys();
        if now == last {
            break;
        }
        last = now;
    }
    let config = http_api::Config {
        listen: "127.0.0.1:0".parse().expect("an address"),
        ..http_api::Config::default()
    };
    let (addr, server) =
        http_api::serve(chain.clone(), config, std::future::pending()).expect("the API starts");
    tokio::spawn(server);
    (addr, chain, el, datadir)
}

/// Sends one request and reads the body as it comes (counted, not kept): the bytes read.
async fn fetch(client: &reqwest::Client, url: &str, accept: &str) -> usize {
    let mut response = client
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .expect("the API answers");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    let mut size = 0;
    while let Some(chunk) = response.chunk().await.expect("a body") {
        size += chunk.len();
    }
    size
}

/// `clients` clients requesting `path` for `duration`: (requests per second, mean latency, body
/// bytes, the first answer's latency).
async fn measure(
    addr: SocketAddr,
    path: &str,
    accept: &str,
    clients: usize,
    duration: Duration,
) -> (f64, Duration, usize, Duration) {
    let url = format!("http://{addr}{path}");
    // One answer first: it must succeed, and it warms whatever the server caches.
    let sent = Instant::now();
    let size = fetch(&reqwest::Client::new(), &url, accept).await;
    let first = sent.elapsed();
    let done = Arc::new(AtomicU64::new(0));
    let latency_us = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (url, accept) = (url.clone(), accept.to_string());
            let (done, latency_us) = (done.clone(), latency_us.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    fetch(&client, &url, &accept).await;
                    latency_us.fetch_add(sent.elapsed().as_micros() as u64, Ordering::Relaxed);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a client");
    }
    let elapsed = start.elapsed();
    let done = done.load(Ordering::Relaxed).max(1);
    (
        done as f64 / elapsed.as_secs_f64(),
        Duration::from_micros(latency_us.load(Ordering::Relaxed) / done),
        size,
        first,
    )
}

async fn run() {
    let seconds = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let duration = Duration::from_secs(seconds);
    let (addr, chain, _el, _datadir) = start().await;
    let validators = chain.head().state.validators().len();
    println!("beacon API over loopback, {validators} validators, {seconds} s per case");
    let cases = [
        ("/eth/v1/beacon/headers/head", 16),
        ("/eth/v1/beacon/states/head/validators", 2),
    ];
    for (path, clients) in cases {
        for (name, accept) in [("json", "application/json"), ("ssz-first", SSZ_FIRST)] {
            let (rate, latency, size, first) = measure(addr, path, accept, clients, duration).await;
            println!(
                "{path} [{name}] {clients} clients: {rate:.2} req/s, mean latency {latency:?}, \
                 body {size} bytes (first answer {first:?})"
            );
        }
    }
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run());
}
