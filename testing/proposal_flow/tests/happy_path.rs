//! (a) The builder wins slot after slot: the chain grows on builder payloads, each one's state root
//! computed blind and confirmed on the full block.

use crate::common::assert_imported;
use proposal_flow::{
    Delivery, Harness, HarnessOptions, SlotResult, Source, GENEROUS_GET_HEADER_TIMEOUT,
};

#[tokio::test]
async fn builder_wins_three_slots_in_a_row() {
    let mut harness = Harness::start(HarnessOptions {
        blobs_per_payload: 1,
        get_header_timeout: GENEROUS_GET_HEADER_TIMEOUT,
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts");
    // The chain's execution parent is the EE's real genesis block (its RLP header's hash).
    let genesis_header_hash = harness.el.with_chain(|c| c.genesis.header().hash());
    assert_eq!(genesis_header_hash.ok(), Some(harness.genesis_hash()));
    assert_eq!(harness.head_execution_hash(), harness.el.genesis_hash());
    let builder = Source::Builder(harness.builder.clone());
    let mut parent = harness.genesis_hash();
    for slot in 1..=3 {
        let outcome = harness.propose(slot).await.expect("a proposal");
        let hash = assert_imported(&outcome, &builder);
        // The chain grows on builder payloads: each is the head, built on the previous one.
        assert_ne!(hash, parent);
        assert_eq!(harness.head_execution_hash(), hash);
        assert_eq!(harness.el.head_hash(), hash);
        assert_eq!(harness.head().latest_block_header().slot, slot);
        let block = harness
            .el
            .with_chain(|c| c.block(&hash).map(|b| b.header.parent_hash));
        assert_eq!(
            block,
            Some(parent),
            "slot {slot} builds on the previous payload"
        );
        match outcome.result {
            proposal_flow::SlotResult::Imported { blobs, .. } => assert_eq!(blobs, 1),
            _ => unreachable!("checked by assert_imported"),
        }
        parent = hash;
    }
    let stats = harness.relay.stats();
    assert_eq!(stats.payloads_revealed, 3);
    // Every submission carried a valid proposer signature (the relay checks it before revealing).
    assert_eq!(stats.rejections, 0);
    assert_eq!(harness.layer.status().builders[0].counters.wins, 3);
}

#[tokio::test]
async fn relay_without_bids_leaves_local_payloads() {
    // The relay answers 204: every slot is local, and the chain still grows.
    let mut harness = Harness::start(HarnessOptions {
        relay_faults: mock_relay::RelayFaults {
            no_bid: true,
            ..Default::default()
        },
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts");
    for slot in 1..=2 {
        let outcome = harness.propose(slot).await.expect("a proposal");
        let hash = assert_imported(&outcome, &Source::Local);
        assert_eq!(harness.el.head_hash(), hash);
    }
    assert_eq!(harness.relay.stats().no_bids, 2);
}

#[tokio::test]
async fn fulu_builder_wins_through_submit_v1() {
    // From Fulu the layer submits with v2 (the builder publishes); a relay that serves only v1 hands
    // the payload back, so the node imports it itself.
    let mut harness = Harness::start(HarnessOptions {
        fork: types::ForkName::Fulu,
        blobs_per_payload: 1,
        relay_faults: mock_relay::RelayFaults {
            v2_unsupported: true,
            ..Default::default()
        },
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts");
    assert_eq!(harness.head().fork_name(), types::ForkName::Fulu);
    let builder = Source::Builder(harness.builder.clone());
    for slot in 1..=2 {
        let outcome = harness.propose(slot).await.expect("a proposal");
        let hash = assert_imported(&outcome, &builder);
        assert_eq!(harness.el.head_hash(), hash);
        assert!(
            matches!(
                outcome.result,
                SlotResult::Imported {
                    delivery: Delivery::Revealed,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(harness.relay.stats().payloads_revealed, 2);
    assert_eq!(harness.relay.published_blocks(), 0);
}

#[tokio::test]
async fn fulu_builder_publishes_through_submit_v2() {
    // The relay takes the signed block through submitBlindedBlockV2 and publishes it, with its blobs,
    // to the harness's beacon API; the harness imports what arrives there.
    let mut harness = Harness::start(HarnessOptions {
        fork: types::ForkName::Fulu,
        blobs_per_payload: 1,
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts");
    assert_eq!(harness.head().fork_name(), types::ForkName::Fulu);
    let builder = Source::Builder(harness.builder.clone());
    let mut roots = vec![];
    let mut parent = harness.genesis_hash();
    for slot in 1..=2 {
        let outcome = harness.propose(slot).await.expect("a proposal");
        let hash = assert_imported(&outcome, &builder);
        let SlotResult::Imported {
            block_root,
            blobs,
            delivery,
            ..
        } = outcome.result
        else {
            unreachable!("checked by assert_imported");
        };
        assert_eq!(delivery, Delivery::Published, "slot {slot}");
        assert_eq!(blobs, 1);
        // The head moved onto the published block, on both layers.
        assert_ne!(hash, parent);
        assert_eq!(harness.el.head_hash(), hash);
        assert_eq!(harness.head_execution_hash(), hash);
        assert_eq!(harness.head().latest_block_header().slot, slot);
        roots.push(block_root);
        parent = hash;
    }
    assert_eq!(harness.relay.published_blocks(), 2);
    assert_eq!(harness.relay.published_block_roots(), roots);
    let stats = harness.relay.stats();
    assert_eq!(stats.payloads_revealed, 0);
    assert_eq!(stats.rejections, 0);
    assert_eq!(harness.layer.status().builders[0].counters.wins, 2);
}
