//! The gateway against an in-process mock-el, scripted fake builders and a real mock-relay.

mod end_to_end;
mod rig;

use alloy_primitives::keccak256;
use rig::*;
use serde_json::{json, Value};
use std::time::Duration;

const FORWARDED: &str = "blindfold_rpc_gateway_forwarded_total";
const FAILED: &str = "blindfold_rpc_gateway_forward_failed_total";
const RETRIED: &str = "blindfold_rpc_gateway_forward_retries_total";
const DROPPED: &str = "blindfold_rpc_gateway_forward_dropped_total";
const SUBMISSIONS: &str = "blindfold_rpc_gateway_submissions_total";

#[tokio::test]
async fn junk_gets_a_json_rpc_error_and_reaches_no_one() {
    let builder = FakeBuilder::start(0, Duration::ZERO).await;
    let gateway = Gateway::start(vec![builder.target()]).await;
    let good = transaction(0);
    // r = 2^256 - 1, past the curve order (another s would only recover another sender).
    let mut bad_signature = good.clone();
    let r_start = bad_signature.len() - 66;
    bad_signature[r_start..r_start + 32].fill(0xff);
    let oversized = format!("0x{}", "c0".repeat(3 * 1024 * 1024));
    for params in [
        json!([]),
        json!([42]),
        json!(["0x"]),
        json!(["c0"]),
        json!(["0xzz"]),
        json!(["0x80"]),
        json!(["0x05c0"]),
        json!([hex(&good[..good.len() - 1])]),
        json!([hex(&bad_signature)]),
        json!([oversized]),
    ] {
        let answer = gateway.call("eth_sendRawTransaction", params.clone()).await;
        assert_eq!(answer["error"]["code"], -32602, "{params:.80}: {answer}");
        assert_eq!(answer["id"], 1);
        assert!(answer["error"]["message"].as_str().unwrap().len() > 5);
    }
    let answer = gateway.post_raw(b"{not json".to_vec()).await;
    assert_eq!(answer["error"]["code"], -32700, "{answer}");
    let answer = gateway.post(&json!([])).await;
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert_eq!(gateway.counter(SUBMISSIONS, "invalid"), 10);
    assert_eq!(gateway.el.with_chain(|c| c.pool_len()), 0);
    // Still serving, and a good transaction after the junk goes through.
    let answer = gateway
        .call("eth_sendRawTransaction", json!([hex(&good)]))
        .await;
    assert_eq!(answer["result"], json!(keccak256(&good)), "{answer}");
    wait_for("the forward", Duration::from_secs(5), || {
        gateway.counter(FORWARDED, builder.url.as_str()) == 1
    })
    .await;
    assert_eq!(builder.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_valid_transaction_gets_its_hash_and_reaches_the_engine_and_every_builder() {
    let (a, b) = (
        FakeBuilder::start(0, Duration::ZERO).await,
        FakeBuilder::start(0, Duration::ZERO).await,
    );
    let gateway = Gateway::start(vec![a.target(), b.target()]).await;
    let raw = transaction(7);
    let answer = gateway
        .call("eth_sendRawTransaction", json!([hex(&raw)]))
        .await;
    assert_eq!(answer["result"], json!(keccak256(&raw)), "{answer}");
    assert_eq!(gateway.el.with_chain(|c| c.pool_len()), 1);
    wait_for("both builders", Duration::from_secs(5), || {
        a.accepted.lock().len() == 1 && b.accepted.lock().len() == 1
    })
    .await;
    assert_eq!(a.accepted.lock()[0], hex(&raw));
    assert_eq!(gateway.counter(SUBMISSIONS, "accepted"), 1);
    for builder in [&a, &b] {
        wait_for("the counter", Duration::from_secs(5), || {
            gateway.counter(FORWARDED, builder.url.as_str()) == 1
        })
        .await;
        assert_eq!(gateway.counter(RETRIED, builder.url.as_str()), 0);
    }
}

#[tokio::test]
async fn a_transaction_the_engine_refuses_is_answered_with_its_error_and_not_forwarded() {
    let builder = FakeBuilder::start(0, Duration::ZERO).await;
    let gateway = Gateway::start(vec![builder.target()]).await;
    gateway.el.update_faults(|f| {
        f.errors.insert(
            "eth_sendRawTransaction".into(),
            mock_el::InjectedError {
                code: -32000,
                message: "nonce too low".into(),
            },
        );
    });
    let answer = gateway
        .call("eth_sendRawTransaction", json!([hex(&transaction(1))]))
        .await;
    assert_eq!(answer["error"]["message"], "nonce too low", "{answer}");
    assert_eq!(gateway.counter(SUBMISSIONS, "refused"), 1);
    // Nothing is queued: a later accepted one is the builder's first call.
    gateway.el.set_faults(mock_el::Faults::default());
    let raw = transaction(2);
    gateway
        .call("eth_sendRawTransaction", json!([hex(&raw)]))
        .await;
    wait_for("the forward", Duration::from_secs(5), || {
        builder.accepted.lock().len() == 1
    })
    .await;
    assert_eq!(builder.accepted.lock().clone(), vec![hex(&raw)]);
    assert_eq!(builder.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_builder_that_fails_three_times_is_retried_and_counted() {
    let builder = FakeBuilder::start(3, Duration::ZERO).await;
    let gateway = Gateway::start(vec![builder.target()]).await;
    let raw = transaction(3);
    gateway
        .call("eth_sendRawTransaction", json!([hex(&raw)]))
        .await;
    let name = builder.url.as_str();
    wait_for("the forward", Duration::from_secs(5), || {
        gateway.counter(FORWARDED, name) == 1
    })
    .await;
    assert_eq!(gateway.counter(RETRIED, name), 3);
    assert_eq!(gateway.counter(FAILED, name), 0);
    assert_eq!(builder.calls.load(std::sync::atomic::Ordering::SeqCst), 4);
    assert_eq!(builder.accepted.lock().clone(), vec![hex(&raw)]);
}

#[tokio::test]
async fn a_builder_that_always_fails_is_logged_and_counted_without_delaying_the_answer() {
    let down = FakeBuilder::start(u64::MAX, Duration::ZERO).await;
    let up = FakeBuilder::start(0, Duration::ZERO).await;
    // A builder that answers too late: each attempt times out.
    let slow = FakeBuilder::start(0, Duration::from_millis(400)).await;
    let gateway = Gateway::start(vec![down.target(), up.target(), slow.target()]).await;
    let raw = transaction(4);
    let answer = gateway
        .call("eth_sendRawTransaction", json!([hex(&raw)]))
        .await;
    assert_eq!(answer["result"], json!(keccak256(&raw)));
    // The hash came back before the failing builders were given up on (that takes 25+50+100+200+400
    // ms of backoff at least): the answer does not wait for forwarding.
    assert_eq!(gateway.counter(FAILED, down.url.as_str()), 0);
    assert_eq!(gateway.counter(FAILED, slow.url.as_str()), 0);
    for failing in [&down, &slow] {
        let name = failing.url.as_str();
        wait_for("the give-up", Duration::from_secs(10), || {
            gateway.counter(FAILED, name) == 1
        })
        .await;
        assert_eq!(gateway.counter(RETRIED, name), 5);
        assert_eq!(gateway.counter(FORWARDED, name), 0);
        assert_eq!(failing.calls.load(std::sync::atomic::Ordering::SeqCst), 6);
        let logs = logs();
        let line = logs
            .lines()
            .find(|l| l.contains("ERROR") && l.contains(name) && l.contains("every attempt"))
            .unwrap_or_else(|| panic!("no error line for {name} in:\n{logs}"));
        assert!(line.contains(&format!("{}", keccak256(&raw))), "{line}");
    }
    assert_eq!(gateway.counter(FORWARDED, up.url.as_str()), 1);
}

#[tokio::test]
async fn a_full_queue_drops_its_oldest_transaction_and_counts_it() {
    let slow = FakeBuilder::start(0, Duration::from_millis(100)).await;
    let forward = rpc_gateway::ForwardConfig {
        queue_capacity: 2,
        concurrency: 1,
        ..Default::default()
    };
    let gateway = Gateway::with(vec![slow.target()], forward).await;
    let sent: Vec<Vec<u8>> = (10..16).map(transaction).collect();
    for raw in &sent {
        let answer = gateway
            .call("eth_sendRawTransaction", json!([hex(raw)]))
            .await;
        assert!(answer["result"].is_string(), "{answer}");
    }
    let name = slow.url.as_str();
    wait_for("the queue to drain", Duration::from_secs(10), || {
        gateway.counter(FORWARDED, name) + gateway.counter(DROPPED, name) == sent.len() as u64
    })
    .await;
    let dropped = gateway.counter(DROPPED, name);
    assert!(dropped >= 1, "nothing dropped");
    // The newest always arrives: what is dropped is the oldest waiting.
    assert_eq!(
        slow.accepted.lock().last(),
        Some(&hex(sent.last().unwrap()))
    );
}

#[tokio::test]
async fn other_methods_and_batches_are_proxied_to_the_engine() {
    let gateway = Gateway::start(vec![]).await;
    let direct = |body: Value| {
        let url = format!("http://{}/eth", gateway.el.addr());
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let chain_id = json!({"jsonrpc": "2.0", "id": 5, "method": "eth_chainId", "params": []});
    assert_eq!(
        gateway.post(&chain_id).await,
        direct(chain_id.clone()).await
    );
    let unknown = json!({"jsonrpc": "2.0", "id": "x", "method": "eth_nothing", "params": []});
    let answer = gateway.post(&unknown).await;
    assert_eq!(answer, direct(unknown).await);
    assert!(answer["error"].is_object());
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": []},
    ]);
    assert_eq!(gateway.post(&batch).await, direct(batch.clone()).await);

    // A batch with a transaction: handled here, the rest proxied, the answers in the calls' order.
    let raw = transaction(20);
    let mixed = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [hex(&raw)]},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_sendRawTransaction", "params": ["0x00"]},
        {"jsonrpc": "2.0", "id": 4, "method": "eth_blockNumber", "params": []},
    ]);
    let answer = gateway.post(&mixed).await;
    let answers = answer.as_array().expect("a batch answer");
    let ids: Vec<&Value> = answers.iter().map(|a| &a["id"]).collect();
    assert_eq!(
        ids,
        [&json!(1), &json!(2), &json!(3), &json!(4)],
        "{answer}"
    );
    assert_eq!(
        answers[0]["result"],
        direct(mixed[0].clone()).await["result"]
    );
    assert_eq!(answers[1]["result"], json!(keccak256(&raw)));
    assert_eq!(answers[2]["error"]["code"], -32602);
    assert_eq!(answers[3]["result"], "0x0");

    // Notifications only: nothing is answered, yet the transaction is taken.
    let raw = transaction(21);
    let notification = json!([
        {"jsonrpc": "2.0", "method": "eth_sendRawTransaction", "params": [hex(&raw)]},
    ]);
    let body = reqwest::Client::new()
        .post(gateway.url.clone())
        .json(&notification)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "");
    assert_eq!(gateway.el.with_chain(|c| c.pool_len()), 2);
}
