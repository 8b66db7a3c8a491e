//! Issue 14: a transaction sent to the RPC gateway is in the block of the next proposal that its
//! builder wins. The gateway's engine is a mock-el of its own, so the transaction can reach the
//! builder's payload (and the block) only through the forward, never through the chain's engine pool.

use crate::harness::*;
use beacon_chain::{BlockFormat, BlockProposal, Published};
use mock_relay::RelayFaults;
use rpc_gateway::{ForwardTarget, GatewayConfig, TargetKind};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn a_transaction_sent_to_the_gateway_is_in_the_next_block_its_builder_wins() {
    let env = Env::start(
        "gateway",
        Options {
            relays: vec![],
            rpc_builders: vec![RelayFaults::default()],
            ..Options::default()
        },
    )
    .await;
    let builder = env.full.rpc[0].address.to_string();
    let gateway_el = mock_el::MockEl::start(mock_el_config())
        .await
        .expect("the gateway's mock-el starts");
    let config = GatewayConfig::new(
        "127.0.0.1:0".parse().expect("an address"),
        format!("http://{}/eth", gateway_el.addr())
            .parse()
            .expect("a URL"),
        vec![ForwardTarget {
            name: builder.clone(),
            url: env.full.rpc[0].url.clone(),
            kind: TargetKind::Rpc,
        }],
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (address, server) = rpc_gateway::serve(config, &prometheus::Registry::new(), async {
        let _ = stopped.await;
    })
    .expect("the gateway starts");
    let server = tokio::spawn(server);

    let raw = rpc_gateway::tx::signed_transfer(&[0x11; 32], 1, 0).expect("a transaction");
    let answer: Value = reqwest::Client::new()
        .post(format!("http://{address}/"))
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                      "params": [format!("0x{}", hex::encode(&raw))]}),
        )
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert!(answer["result"].is_string(), "{answer}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while env.full_relays[0].full_stats().transactions_forwarded == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never forwarded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(env.el.with_chain(|c| c.pool_len()), 0);

    let (produced, published) = env.propose(1, BlockFormat::Either).await;
    assert!(
        matches!(published, Ok(Published::Imported(_))),
        "{published:?}"
    );
    assert_eq!(produced.builder.as_deref(), Some(builder.as_str()));
    let BlockProposal::Full { block, .. } = &produced.proposal else {
        panic!("a blinded block: {}", produced.source_reason);
    };
    let payload = block.body_enum().execution_payload_enum();
    assert!(
        payload.transactions().iter().any(|tx| tx[..] == raw[..]),
        "the forwarded transaction is not in the block"
    );
    assert_eq!(env.full_relays[0].full_stats().transactions_included, 1);
    let _ = stop.send(());
    let _ = server.await;
}
