//! The event stream, the debug namespace and the node's own endpoints.

use crate::harness::*;
use beacon_api::StateId;
use std::time::Duration;
use types::ForkName;

#[tokio::test]
async fn events_stream_head_block_and_payload_attributes() {
    let env = Env::start("events").await;
    let client = &env.client;
    let mut stream = client
        .get_events(&[
            "head",
            "block",
            "payload_attributes",
            "finalized_checkpoint",
        ])
        .await
        .unwrap();
    env.propose(1, false).await;
    env.chain.prepare_slot(2).await;
    let mut seen: std::collections::HashMap<String, serde_json::Value> =
        std::collections::HashMap::new();
    // Until the block, the head and the attributes of slot 2 (those of slot 1 came first).
    while seen.len() < 3 || seen["payload_attributes"]["data"]["proposal_slot"] != "2" {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("events arrive")
            .expect("the stream stays open")
            .expect("an event");
        seen.insert(event.event.clone(), event.data);
    }
    assert_eq!(seen["block"]["slot"], "1");
    assert_eq!(
        seen["head"]["block"],
        format!("{:#x}", env.chain.head().block_root)
    );
    // payload_attributes carries its fork: `{"version", "data"}`.
    assert_eq!(seen["payload_attributes"]["version"], "capella");
    assert_eq!(seen["payload_attributes"]["data"]["proposal_slot"], "2");

    for bad in [
        "eth/v1/events",
        "eth/v1/events?topics=",
        "eth/v1/events?topics=head,gossip",
    ] {
        let error = client
            .get_with_accept(bad, "text/event-stream")
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(400), "{bad}");
    }
}

#[tokio::test]
async fn debug_states_heads_and_fork_choice() {
    let env = Env::start("debug").await;
    env.propose(1, false).await;
    env.propose(2, true).await;
    let client = &env.client;
    let head = env.chain.head();

    let json = client
        .get_debug_beacon_states::<E>(StateId::Head)
        .await
        .unwrap();
    assert_eq!(json.version, ForkName::Capella);
    assert_eq!(json.data.canonical_root(), head.state_root);
    let ssz = client
        .get_debug_beacon_states_ssz::<E>(StateId::Slot(1))
        .await
        .unwrap();
    assert_eq!(ssz.slot(), 1);
    let genesis = client
        .get_debug_beacon_states_ssz::<E>(StateId::Genesis)
        .await
        .unwrap();
    assert_eq!(genesis.slot(), 0);

    let heads = client.get_debug_beacon_heads().await.unwrap();
    assert_eq!(heads.len(), 1);
    assert_eq!(heads[0].root, head.block_root);
    assert_eq!(heads[0].slot, 2);

    let fork_choice = client.get_debug_fork_choice().await.unwrap();
    assert_eq!(fork_choice.fork_choice_nodes.len(), 3);
    let tip = fork_choice
        .fork_choice_nodes
        .iter()
        .find(|n| n.block_root == head.block_root)
        .unwrap();
    assert_eq!(tip.validity, "valid");
    assert_eq!(tip.execution_block_hash, head.execution_block_hash);
    // The spec requires every node's parent root: the anchor (genesis) names the zero root.
    assert!(fork_choice
        .fork_choice_nodes
        .iter()
        .all(|n| n.parent_root.is_some()));
    assert!(fork_choice
        .fork_choice_nodes
        .iter()
        .any(|n| n.parent_root == Some(types::Hash256::ZERO)));

    let builders = client.get_blindfold_builders().await.unwrap();
    assert_eq!(builders["builders"][0]["counters"]["wins"], "2");
}
