//! (d) A relay that withholds the payload after the proposer signed: the slot is missed, with no local
//! fallback; the builder, which cost a signed slot, is disabled, and the next slot proceeds on the
//! local payload. From Fulu the same goes for a builder that takes the block through
//! submitBlindedBlockV2 and then publishes nothing, or a block whose blobs do not verify.

use crate::common::assert_imported;
use mock_relay::RelayFaults;
use proposal_flow::{Harness, HarnessOptions, SlotResult, Source};
use std::time::Duration;

#[tokio::test]
async fn withheld_payload_misses_the_slot_and_the_next_one_proceeds() {
    let mut harness = Harness::start(HarnessOptions {
        relay_faults: RelayFaults {
            withhold_payload: true,
            ..Default::default()
        },
        submit_timeout: Duration::from_secs(1),
        unblind_budget: Duration::from_secs(1),
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts");
    let builder = Source::Builder(harness.builder.clone());

    let outcome = harness.propose(1).await.expect("a proposal");
    assert_eq!(outcome.source, builder);
    assert!(
        matches!(outcome.result, SlotResult::Missed { .. }),
        "{outcome:?}"
    );
    // No block, and no local payload in its place.
    assert_eq!(harness.head().slot(), 0);
    assert_eq!(harness.el.head_hash(), harness.genesis_hash());
    let stats = harness.relay.stats();
    assert!(stats.submissions >= 1);
    assert_eq!(stats.payloads_revealed, 0);
    assert!(harness.layer.status().builders[0].counters.unblind_withheld >= 1);

    // The relay would reveal now, but it is disabled: it is not asked, and the local payload wins.
    harness.relay.update_faults(|f| f.withhold_payload = false);
    let headers = harness.relay.stats().headers_served;
    let outcome = harness.propose(2).await.expect("a proposal");
    assert_eq!(
        outcome.builders[0].outcome,
        execution_layer::BuilderOutcome::Disabled
    );
    assert_eq!(harness.relay.stats().headers_served, headers);
    let hash = assert_imported(&outcome, &Source::Local);
    assert_eq!(harness.el.head_hash(), hash);
    let parent = harness
        .el
        .with_chain(|c| c.block(&hash).map(|b| b.header.parent_hash));
    assert_eq!(
        parent,
        Some(harness.genesis_hash()),
        "slot 2 builds on genesis"
    );
    assert_eq!(harness.head().latest_block_header().slot, 2);
}

/// A Fulu harness whose relay takes blocks through submitBlindedBlockV2, with `faults`.
async fn fulu_v2_harness(faults: RelayFaults) -> Harness {
    Harness::start(HarnessOptions {
        fork: types::ForkName::Fulu,
        blobs_per_payload: 1,
        relay_faults: faults,
        publish_wait: Duration::from_secs(1),
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts")
}

#[tokio::test]
async fn v2_builder_that_publishes_nothing_misses_the_slot_and_the_next_one_proceeds() {
    // The relay answers 202 to the signed block but publishes nothing.
    let mut harness = fulu_v2_harness(RelayFaults {
        mismatched_payload: true,
        ..Default::default()
    })
    .await;
    let builder = Source::Builder(harness.builder.clone());

    let outcome = harness.propose(1).await.expect("a proposal");
    assert_eq!(outcome.source, builder);
    let SlotResult::Missed { reason } = &outcome.result else {
        panic!("expected a missed slot, got {outcome:?}");
    };
    assert!(reason.contains("published none"), "{reason}");
    assert_eq!(harness.head().slot(), 0);
    assert_eq!(harness.el.head_hash(), harness.genesis_hash());
    assert_eq!(harness.relay.published_blocks(), 0);

    // Accepted and never published is withholding: the builder is disabled, and slot 2 goes local.
    let state = &harness.layer.status().builders[0];
    assert_eq!(state.counters.unblind_withheld, 1);
    assert_eq!(state.counters.wins, 0);
    harness
        .relay
        .update_faults(|f| f.mismatched_payload = false);
    let outcome = harness.propose(2).await.expect("a proposal");
    assert_eq!(
        outcome.builders[0].outcome,
        execution_layer::BuilderOutcome::Disabled
    );
    let hash = assert_imported(&outcome, &Source::Local);
    assert_eq!(harness.el.head_hash(), hash);
    assert_eq!(harness.relay.published_blocks(), 0);
}

#[tokio::test]
async fn v2_builder_publishing_blobs_that_fail_kzg_misses_the_slot() {
    // The block is the signed one, but its blob's first cell proof does not verify: not available, not
    // imported.
    let mut harness = fulu_v2_harness(RelayFaults {
        blobs_bad_proof: true,
        ..Default::default()
    })
    .await;
    let outcome = harness.propose(1).await.expect("a proposal");
    let SlotResult::Missed { reason } = &outcome.result else {
        panic!("expected a missed slot, got {outcome:?}");
    };
    assert!(reason.contains("do not match"), "{reason}");
    assert_eq!(harness.relay.published_blocks(), 1);
    assert_eq!(harness.head().slot(), 0);
    assert_eq!(harness.el.head_hash(), harness.genesis_hash());
}
