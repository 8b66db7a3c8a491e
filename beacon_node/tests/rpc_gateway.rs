//! `bn --rpc-gateway-port --execution-rpc`: other calls reach the engine's RPC, a transaction is
//! accepted by the engine and forwarded to the node's `--payload-builder-rpc` builder (a mock-relay
//! building on its own engine), and the forward is counted on the node's metrics; bad gateway flags
//! and a taken port are startup errors naming their flag.

use crate::harness::*;
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use types::{ChainSpec, Hash256, MinimalEthSpec};

fn node_args(dir: &TempDir, el: &MockEl, jwt: &std::path::Path) -> Vec<String> {
    let mut args = base_args(&dir.path("datadir"), &el.url(), jwt);
    args.extend(
        [
            "--preset",
            "minimal",
            "--interop-validators",
            "8",
            "--genesis-time",
            &now().to_string(),
        ]
        .map(String::from),
    );
    args
}

async fn post(url: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_proxies_and_forwards_to_the_nodes_rpc_builder() {
    let dir = TempDir::new("rpc_gateway");
    let (el, jwt_path) = mock_el(&dir, 0).await;
    let builder_el = MockEl::start(MockElConfig::new(jwt()))
        .await
        .expect("the builder's mock-el starts");
    let relay = MockRelay::start::<MinimalEthSpec>(MockRelayConfig::new(
        ChainSpec::minimal(),
        Hash256::ZERO,
        bls::SecretKey::random(),
        builder_el.url().parse().expect("a URL"),
        jwt(),
    ))
    .await
    .expect("mock-relay starts");
    let key = dir.path("request.key");
    std::fs::write(&key, "31".repeat(32)).expect("the key file");
    let builder = relay.secp256k1_address().to_string();
    let mut args = node_args(&dir, &el, &jwt_path);
    args.extend(
        [
            "--execution-rpc",
            &format!("http://{}/eth", el.addr()),
            "--rpc-gateway-port",
            "0",
            "--metrics-port",
            "0",
            "--payload-builder-rpc",
            &format!("{builder}@{}", relay.url()),
            "--payload-builder-request-key",
            &key.display().to_string(),
        ]
        .map(String::from),
    );
    let mut bn = Bn::start(&args);
    let line = bn
        .wait_for_line("`RPC gateway on`", WAIT, |l| l.contains("RPC gateway on"))
        .await;
    let gateway = format!("http://{}/", field(&line, "address").expect("an address"));
    assert!(gateway.starts_with("http://127.0.0.1:"), "{gateway}");
    let line = bn
        .wait_for_line("the metrics address", WAIT, |l| {
            l.contains("metrics server listening")
        })
        .await;
    let metrics = format!(
        "http://{}/metrics",
        field(&line, "address").expect("an address")
    );

    let chain_id = json!({"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": []});
    assert_eq!(
        post(&gateway, &chain_id).await,
        post(&format!("http://{}/eth", el.addr()), &chain_id).await
    );
    let raw = rpc_gateway::tx::signed_transfer(&[0x11; 32], 1, 0).expect("a transaction");
    let answer = post(
        &gateway,
        &json!({"jsonrpc": "2.0", "id": 4, "method": "eth_sendRawTransaction",
                "params": [format!("0x{}", hex::encode(&raw))]}),
    )
    .await;
    assert_eq!(
        answer["result"],
        json!(alloy_primitives::keccak256(&raw)),
        "{answer}"
    );
    let deadline = Instant::now() + WAIT;
    let expected = format!("blindfold_rpc_gateway_forwarded_total{{builder=\"{builder}\"}} 1");
    loop {
        let text = reqwest::get(&metrics)
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if text.contains(&expected) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no `{expected}` in:\n{}",
            text.lines()
                .filter(|l| l.contains("rpc_gateway"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(relay.full_stats().transactions_forwarded, 1);
    bn.signal("TERM");
    assert_eq!(bn.wait_exit(WAIT).await.code(), Some(0), "{}", bn.dump());
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_gateway_flags_and_a_taken_port_name_their_flag() {
    let dir = TempDir::new("rpc_gateway_flags");
    let (el, jwt_path) = mock_el(&dir, 0).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = taken.local_addr().expect("an address").port().to_string();
    let rpc = format!("http://{}/eth", el.addr());
    let cases: [(&[&str], &str); 3] = [
        (
            &["--rpc-gateway-port", &port, "--execution-rpc", &rpc],
            "--rpc-gateway-port",
        ),
        (
            &["--rpc-gateway-port", "0", "--execution-rpc", "ftp://x"],
            "--execution-rpc",
        ),
        (&["--execution-rpc", &rpc], "--rpc-gateway-port"),
    ];
    for (extra, flag) in cases {
        let mut args = node_args(&dir, &el, &jwt_path);
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut bn = Bn::start(&args);
        assert_eq!(bn.wait_exit(WAIT).await.code(), Some(1), "{}", bn.dump());
        let stderr = bn.stderr();
        let prefix = format!("bn: error: {flag}: ");
        assert!(
            stderr.iter().any(|l| l.starts_with(&prefix)),
            "{extra:?}: {}",
            bn.dump()
        );
    }
}
