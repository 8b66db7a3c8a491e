//! The latency the execution layer adds to a proposal: the time of `get_payload` minus the time of
//! doing its two calls directly and at once (a raw getHeader to the relay and a raw local
//! forkchoiceUpdated + getPayload), i.e. minus max(builder latency, local latency). Measured against an
//! in-process mock-el and one mock relay with 0 ms and 200 ms of getHeader delay; target ≤ 2 ms p50.
//!
//! Full-payload builders (issue 14): the same measure for a proposal whose winner is a
//! `builder_getPayloadV1` builder or an engine builder (each a mock relay's face on the same mock-el):
//! direct = max(a raw signed `builder_getPayloadV1` call, or a raw forkchoiceUpdated + getPayload on
//! the engine face; the raw local build); module = `get_payload`, which also checks the payload (header
//! checks, signature, KZG) and has the local engine verify it (`newPayload`). The check's share is the
//! `newPayload` time (from the layer's `blindfold_builder_new_payload_check_seconds`) over the added
//! latency.
//!
//! Run: `cargo bench -p execution_layer --bench latency` (`LATENCY_ITERATIONS` sets the iterations).

// The integration tests' bench: mock-el, a mock relay, the fake chain and the layer over them.
#[allow(dead_code)]
#[path = "../tests/harness.rs"]
mod harness;

use engine_api::{EngineClient, ForkchoiceStateV1, JwtAuth, PayloadAttributes};
use execution_layer::full_payload::signing::request_digest;
use execution_layer::full_payload::PayloadRequestV1;
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

/// Which full-payload builder the bench measures.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FullKind {
    Rpc,
    Engine,
}

async fn setup_full(kind: FullKind) -> Bench {
    let mut options = BenchOptions {
        fork: FORK,
        ..BenchOptions::default()
    };
    match kind {
        FullKind::Rpc => options.rpc_builders = vec![RelayFaults::default()],
        FullKind::Engine => options.engine_builders = vec![RelayFaults::default()],
    }
    Bench::start(options).await
}

/// The raw local build, as [`time_direct`] does it.
async fn raw_local(bench: &Bench, request: &PayloadRequest) {
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
    let engine = bench.layer.engine();
    let response = engine
        .forkchoice_updated(FORK, state, Some(&attributes))
        .await
        .expect("fcU");
    engine
        .get_payload::<E>(FORK, response.payload_id.expect("a payload id"))
        .await
        .expect("getPayload");
}

/// The raw builder call: a signed `builder_getPayloadV1`, or fcU + getPayload on the engine face
/// through `face` (one client, so its connections are reused as the module's are).
async fn raw_builder(bench: &Bench, face: &EngineClient, kind: FullKind, request: &PayloadRequest) {
    let relay = &bench.full_relays[0];
    match kind {
        FullKind::Rpc => {
            let key = harness::request_key();
            let v1 = PayloadRequestV1 {
                block_number: request.parent_block_number + 1,
                parent_hash: request.parent_hash,
                pub_key: key.address(),
                gas_limit: request.parent_gas_limit,
                parent_beacon_block_root: request.parent_beacon_block_root,
            };
            let digest = request_digest(&v1, relay.secp256k1_address());
            let signature: String = key
                .sign_digest(digest)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let answer = harness::post_rpc(
                &relay.url(),
                "builder_getPayloadV1",
                serde_json::json!([v1, format!("0x{signature}")]),
            )
            .await;
            assert!(answer["result"].is_object(), "{answer}");
        }
        FullKind::Engine => {
            let client = face;
            let attributes = PayloadAttributes::new(
                FORK,
                request.timestamp,
                request.prev_randao,
                harness::FEE_RECIPIENT,
                &request.withdrawals,
                request.parent_beacon_block_root,
            );
            let state = ForkchoiceStateV1 {
                head_block_hash: request.parent_hash,
                ..Default::default()
            };
            let response = client
                .forkchoice_updated(FORK, state, Some(&attributes))
                .await
                .expect("fcU");
            client
                .get_payload::<E>(FORK, response.payload_id.expect("a payload id"))
                .await
                .expect("getPayload");
        }
    }
}

async fn time_full_direct(
    bench: &Bench,
    face: &EngineClient,
    kind: FullKind,
    request: &PayloadRequest,
) -> Duration {
    let start = Instant::now();
    tokio::join!(
        raw_builder(bench, face, kind, request),
        raw_local(bench, request)
    );
    start.elapsed()
}

/// `get_payload` with a full-payload winner, and the `newPayload` check's time in it.
async fn time_full_module(bench: &Bench, request: &PayloadRequest) -> (Duration, Duration) {
    let name = bench.layer.builder_names()[0].clone();
    let check = bench
        .layer
        .metrics()
        .new_payload_check_seconds
        .with_label_values(&[&name]);
    let before = check.get_sample_sum();
    let start = Instant::now();
    let produced = bench.layer.get_payload(request).await.expect("a payload");
    let elapsed = start.elapsed();
    assert!(produced.full_winner.is_some(), "{:?}", produced.builders);
    let check = Duration::from_secs_f64((check.get_sample_sum() - before).max(0.0));
    (elapsed, check)
}

async fn run_full(kind: FullKind, iterations: u64) {
    let bench = setup_full(kind).await;
    let face = EngineClient::new(
        bench.full_relays[0].url(),
        JwtAuth::new(harness::builder_jwt()),
    )
    .expect("a client");
    for slot in (1..=6).step_by(2) {
        time_full_direct(&bench, &face, kind, &bench.request(slot)).await;
        time_full_module(&bench, &bench.request(slot + 1)).await;
    }
    let (mut direct, mut module, mut added, mut checks) = (vec![], vec![], vec![], vec![]);
    for i in 0..iterations {
        let (first, second) = (100 + 2 * i, 101 + 2 * i);
        let (d, (m, c)) = if i % 2 == 0 {
            let d = time_full_direct(&bench, &face, kind, &bench.request(first)).await;
            (d, time_full_module(&bench, &bench.request(second)).await)
        } else {
            let m = time_full_module(&bench, &bench.request(first)).await;
            let d = time_full_direct(&bench, &face, kind, &bench.request(second)).await;
            (d, m)
        };
        direct.push(ms(d));
        module.push(ms(m));
        added.push(ms(m) - ms(d));
        checks.push(ms(c));
    }
    for v in [&mut direct, &mut module, &mut added, &mut checks] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    let added_p50 = percentile(&added, 0.5);
    let check_p50 = percentile(&checks, 0.5);
    let share = if added_p50 > 0.0 {
        format!("{:.0}% of the added p50", 100.0 * check_p50 / added_p50)
    } else {
        "the added p50 is within noise".to_string()
    };
    println!(
        "full payload ({kind:?} builder), {iterations} iterations: direct max(builder, local) p50 {:.2} ms; \
         get_payload p50 {:.2} ms; added latency p50 {added_p50:.2} ms, p90 {:.2} ms; newPayload check \
         p50 {check_p50:.2} ms, p90 {:.2} ms ({share})",
        percentile(&direct, 0.5),
        percentile(&module, 0.5),
        percentile(&added, 0.9),
        percentile(&checks, 0.9),
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
        run_full(FullKind::Rpc, iterations).await;
        run_full(FullKind::Engine, iterations).await;
    });
}
