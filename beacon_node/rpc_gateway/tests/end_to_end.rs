//! "A transaction sent to the gateway is in the builder's next block": the gateway (in front of one
//! mock-el) forwards to a mock-relay building on another mock-el, so the transaction can reach the
//! relay's payload only through the forward; the payload is the one the relay serves to a signed
//! `builder_getPayloadV1`.

use crate::rig::*;
use alloy_primitives::{keccak256, Bytes};
use execution_layer::full_payload::signing::{request_digest, Secp256k1Key};
use execution_layer::full_payload::PayloadRequestV1;
use mock_relay::{MockRelay, MockRelayConfig};
use rpc_gateway::{ForwardTarget, TargetKind};
use serde_json::{json, Value};
use std::time::Duration;
use types::*;

type E = MinimalEthSpec;
const FORK: ForkName = ForkName::Electra;

#[tokio::test]
async fn a_transaction_sent_to_the_gateway_is_in_the_builders_next_payload() {
    let builder_el = mock_el::MockEl::start(mock_el::MockElConfig::new(jwt()).with_last_fork(FORK))
        .await
        .unwrap();
    let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(FORK);
    let config = MockRelayConfig::new(
        spec,
        Hash256::repeat_byte(0x77),
        bls::SecretKey::random(),
        builder_el.url().parse().unwrap(),
        jwt(),
    );
    let relay = MockRelay::start::<E>(config).await.unwrap();
    let target = ForwardTarget {
        name: relay.secp256k1_address().to_string(),
        url: relay.url(),
        kind: TargetKind::Rpc,
    };
    let gateway = Gateway::start(vec![target]).await;

    let raw = transaction(42);
    let answer = gateway
        .call("eth_sendRawTransaction", json!([hex(&raw)]))
        .await;
    assert_eq!(answer["result"], json!(keccak256(&raw)), "{answer}");
    wait_for("the relay to hold it", Duration::from_secs(5), || {
        relay.full_stats().transactions_forwarded == 1
    })
    .await;
    assert_eq!(
        builder_el.with_chain(|c| c.pool_len()),
        0,
        "only the forward reaches the relay"
    );

    // The proposer's turn: the relay's next payload, on its engine's head.
    let (parent, number, timestamp, gas_limit) = builder_el.with_chain(|c| {
        let head = c.head();
        (
            head.hash,
            head.header.number,
            head.header.timestamp,
            head.header.gas_limit,
        )
    });
    let parent_root = Hash256::repeat_byte(0x42);
    relay.on_payload_attributes(PayloadAttributesEvent {
        proposer_index: 0,
        proposal_slot: 1,
        parent_block_number: number,
        parent_block_root: parent_root,
        parent_block_hash: parent,
        payload_attributes: EventPayloadAttributes {
            timestamp: timestamp + 6,
            prev_randao: Hash256::repeat_byte(1),
            suggested_fee_recipient: Address::repeat_byte(0xfe),
            withdrawals: vec![],
            parent_beacon_block_root: Some(parent_root),
        },
    });
    let proposer = Secp256k1Key::from_bytes(&[0x31; 32]).unwrap();
    let request = PayloadRequestV1 {
        block_number: number + 1,
        parent_hash: parent,
        pub_key: proposer.address(),
        gas_limit,
        parent_beacon_block_root: parent_root,
    };
    let signature = Bytes::copy_from_slice(
        &proposer.sign_digest(request_digest(&request, relay.secp256k1_address())),
    );
    let answer: Value = reqwest::Client::new()
        .post(relay.url())
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "builder_getPayloadV1", "params": [request, signature]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let transactions = answer["result"]["executionPayload"]["transactions"]
        .as_array()
        .unwrap_or_else(|| panic!("no payload: {answer}"));
    assert!(transactions.contains(&json!(hex(&raw))), "{answer}");
    assert_eq!(relay.full_stats().transactions_included, 1);
    relay.stop().await;
}

/// An engine builder gets the transaction by `eth_sendRawTransaction` on its engine face with its own
/// JWT secret; a wrong secret is refused there, retried and counted as failed.
#[tokio::test]
async fn an_engine_builder_gets_the_transaction_on_its_engine_face_with_its_jwt() {
    let builder_el = mock_el::MockEl::start(mock_el::MockElConfig::new(jwt()).with_last_fork(FORK))
        .await
        .unwrap();
    let face_secret = engine_api::JwtSecret::new([0x55; 32]);
    let mut config = MockRelayConfig::new(
        ChainSpec::minimal().with_forks_at_genesis_up_to(FORK),
        Hash256::repeat_byte(0x77),
        bls::SecretKey::random(),
        builder_el.url().parse().unwrap(),
        jwt(),
    );
    config.engine_face_jwt = Some(face_secret.clone());
    let relay = MockRelay::start::<E>(config).await.unwrap();
    let target = |name: &str, secret: engine_api::JwtSecret| ForwardTarget {
        name: name.to_string(),
        url: relay.url(),
        kind: TargetKind::Engine(secret),
    };
    let gateway = Gateway::start(vec![
        target("engine-builder", face_secret),
        target("wrong-secret", engine_api::JwtSecret::new([0x56; 32])),
    ])
    .await;
    let raw = transaction(43);
    let answer = gateway
        .call("eth_sendRawTransaction", json!([hex(&raw)]))
        .await;
    assert_eq!(answer["result"], json!(keccak256(&raw)), "{answer}");
    wait_for("both outcomes", Duration::from_secs(10), || {
        gateway.counter("blindfold_rpc_gateway_forwarded_total", "engine-builder") == 1
            && gateway.counter("blindfold_rpc_gateway_forward_failed_total", "wrong-secret") == 1
    })
    .await;
    assert_eq!(relay.full_stats().transactions_forwarded, 1);
    assert_eq!(
        gateway.counter(
            "blindfold_rpc_gateway_forward_retries_total",
            "wrong-secret"
        ),
        5
    );
    relay.stop().await;
}
