//! The latency the execution layer adds to a proposal: the time of `get_payload` minus the time of
//! doing its two calls directly and at once (a raw getHeader to the relay and a raw local
//! forkchoiceUpdated + getPayload), i.e. minus max(builder latency, local latency). Measured against an
//! in-process mock-el and one mock relay with 0 ms and 200 ms of getHeader delay; target ≤ 2 ms p50.
//!
//! Run: `cargo bench -p execution_layer --bench latency` (`LATENCY_ITERATIONS` sets the iterations).

// The integration tests' bench: mock-el, a mock relay, the fake chain and the layer over them.
#[allow(dead_code)]
#[path = "../tests/harness.rs"]
mod harness;

use engine_api::{ForkchoiceStateV1, PayloadAttributes};
use execution_layer::{PayloadRequest, PayloadSource};
use harness::{Bench, BenchOptions, E};
use mock_relay::RelayFaults;
use std::time::{Duration, Instant};
use types::ForkName;

const FORK: ForkName = ForkName::Electra;

/// One relay answering getHeader after `delay_ms`, registered through the layer.
async fn setup(delay_ms: u64) -> Bench {
    Bench::start(BenchOptions {
        fork: FORK,
        relays: vec![RelayFaults {
            get_header_delay_ms: delay_ms,
            ..RelayFaults::default()
        }],
        ..BenchOptions::default()
    })
    .await
}

/// The two raw calls at once, without the module: max(builder latency, local latency).
async fn time_direct(bench: &Bench, request: &PayloadRequest) -> Duration {
    let start = Instant::now();
    let builder = bench.builder_clients[0].get_header::<E>(
        request.slot,
        request.parent_hash,
        &request.proposer_pubkey,
        FORK,
    );
    let local = async {
        let attributes = PayloadAttributes::new(
            FORK,
            request.timestamp,
            request.prev_randao,
            request.suggested_fee_recipient,
            &request.withdrawals,
            request.parent_beacon_block_root,
        );
        let state = ForkchoiceStateV1 {
            head_block_hash: request.parent_hash,
            ..Default::default()
        };
        let response = bench
            .layer
            .engine()
            .forkchoice_updated(FORK, state, Some(&attributes))
            .await
            .expect("fcU");
        bench
            .layer
            .engine()
            .get_payload::<E>(FORK, response.payload_id.expect("a payload id"))
            .await
            .expect("getPayload")
    };
    let (bid, _) = tokio::join!(builder, local);
    assert!(bid.expect("getHeader").is_some(), "the relay bids");
    start.elapsed()
}

/// The same proposal through the module.
async fn time_module(bench: &Bench, request: &PayloadRequest) -> Duration {
    let start = Instant::now();
    let produced = bench.layer.get_payload(request).await.expect("a payload");
    let elapsed = start.elapsed();
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    elapsed
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(delay_ms: u64, iterations: u64) {
    let setup = setup(delay_ms).await;
    // Warm up connections, caches and the relay. Slots only go up: the relay forgets older ones.
    for slot in (1..=6).step_by(2) {
        time_direct(&setup, &setup.request(slot)).await;
        time_module(&setup, &setup.request(slot + 1)).await;
    }
    let mut direct = Vec::new();
    let mut module = Vec::new();
    let mut added = Vec::new();
    for i in 0..iterations {
        // Fresh slots for both, alternating which goes first.
        let (first, second) = (100 + 2 * i, 101 + 2 * i);
        let (d, m) = if i % 2 == 0 {
            let d = time_direct(&setup, &setup.request(first)).await;
            (d, time_module(&setup, &setup.request(second)).await)
        } else {
            let m = time_module(&setup, &setup.request(first)).await;
            (time_direct(&setup, &setup.request(second)).await, m)
        };
        direct.push(ms(d));
        module.push(ms(m));
        added.push(ms(m) - ms(d));
    }
    for v in [&mut direct, &mut module, &mut added] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    println!(
        "relay delay {delay_ms:>3} ms, {iterations} iterations: direct max(builder, local) p50 {:.2} ms; \
         get_payload p50 {:.2} ms; added latency p50 {:.2} ms, p90 {:.2} ms; p50(get_payload) - p50(direct) {:.2} ms",
        percentile(&direct, 0.5),
        percentile(&module, 0.5),
        percentile(&added, 0.5),
        percentile(&added, 0.9),
        percentile(&module, 0.5) - percentile(&direct, 0.5),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing else: run a short pass then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let iterations = std::env::var("LATENCY_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 3 } else { 60 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        run(0, iterations).await;
        run(200, iterations).await;
    });
}
