//! The engine client's round-trip overhead (JWT, JSON-RPC envelope, error classification, state
//! tracking) over a bare HTTP request with the same body and token, both against an in-process
//! mock-el on 127.0.0.1.

use criterion::{criterion_group, criterion_main, Criterion};
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use mock_el::{MockEl, MockElConfig};
use serde_json::json;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let secret = JwtSecret::new([7; 32]);
    let mock = rt
        .block_on(MockEl::start(MockElConfig::new(secret.clone())))
        .expect("mock");
    let url = mock.url();
    let client =
        EngineClient::new(url.parse().expect("url"), JwtAuth::new(secret.clone())).expect("client");
    let http = reqwest::Client::new();
    let bearer = JwtAuth::new(secret).bearer().expect("token");
    let body =
        serde_json::to_vec(&json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}))
            .expect("body");
    let mut group = c.benchmark_group("engine_client");
    group.bench_function("bare HTTP POST eth_blockNumber", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = http
                    .post(&url)
                    .header("authorization", &bearer)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("response");
                assert_eq!(r.status(), 200);
                r.bytes().await.expect("body")
            })
        })
    });
    group.bench_function("EngineClient::eth_block_number", |b| {
        b.iter(|| rt.block_on(client.eth_block_number()).expect("answer"))
    });
    group.bench_function("EngineClient::exchange_capabilities", |b| {
        b.iter(|| {
            rt.block_on(client.exchange_capabilities(engine_api::SUPPORTED_METHODS))
                .expect("answer")
        })
    });
    let timed = http.clone();
    group.bench_function("bare HTTP POST with a per-request timeout", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = timed
                    .post(&url)
                    .timeout(std::time::Duration::from_secs(2))
                    .header("authorization", &bearer)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("response");
                r.bytes().await.expect("body")
            })
        })
    });
    group.finish();
    drop(mock);
}

criterion_group!(benches, bench);
criterion_main!(benches);
