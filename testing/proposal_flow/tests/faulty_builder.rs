//! (b) A relay too slow for the getHeader timeout: local payloads, and the chain grows. (c) A relay
//! whose payload the EE finds INVALID: the builder is disabled and asked no more.

use crate::common::assert_imported;
use execution_layer::{BuilderOutcome, BuilderStatusState};
use mock_relay::{InvalidPayloadFault, RelayFaults};
use proposal_flow::{Harness, HarnessOptions, SlotResult, Source};
use std::time::Duration;

/// The outcome of the harness's one builder in `outcome`.
fn builder_outcome(outcome: &proposal_flow::Outcome) -> &BuilderOutcome {
    &outcome.builders[0].outcome
}

#[tokio::test]
async fn slow_relay_times_out_and_local_payloads_keep_the_chain_growing() {
    let mut harness = Harness::start(HarnessOptions {
        relay_faults: RelayFaults {
            get_header_delay_ms: 5_000,
            ..Default::default()
        },
        get_header_timeout: Duration::from_secs(1),
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts");
    let mut parent = harness.genesis_hash();
    for slot in 1..=2 {
        let outcome = harness.propose(slot).await.expect("a proposal");
        assert_eq!(builder_outcome(&outcome), &BuilderOutcome::Timeout);
        let hash = assert_imported(&outcome, &Source::Local);
        assert_ne!(hash, parent);
        assert_eq!(harness.el.head_hash(), hash);
        parent = hash;
    }
    assert_eq!(harness.head().latest_block_header().slot, 2);
    assert_eq!(harness.layer.status().builders[0].counters.timeouts, 2);
}

#[tokio::test]
async fn invalid_builder_payload_disables_the_builder_and_the_next_slot_goes_local() {
    let mut harness = Harness::start(HarnessOptions {
        relay_faults: RelayFaults {
            invalid_payload: InvalidPayloadFault::Once,
            ..Default::default()
        },
        ..HarnessOptions::default()
    })
    .await
    .expect("the harness starts");
    let builder = harness.builder.clone();

    let outcome = harness.propose(1).await.expect("a proposal");
    assert_eq!(outcome.source, Source::Builder(builder.clone()));
    let SlotResult::InvalidPayload {
        block_root,
        disabled,
        ..
    } = outcome.result
    else {
        panic!("expected an INVALID payload, got {outcome:?}");
    };
    let [disabled] = disabled.as_slice() else {
        panic!("exactly the builder is disabled: {disabled:?}");
    };
    assert_eq!(disabled.builder, builder);
    assert_eq!(disabled.block_root, block_root);
    // The block was not imported: the head is still genesis, on both layers.
    assert_eq!(harness.head().slot(), 0);
    assert_eq!(harness.el.head_hash(), harness.genesis_hash());
    let status = harness.layer.status();
    assert!(
        matches!(
            &status.builders[0].state,
            BuilderStatusState::Disabled { block_root: root, slot: 1, .. } if *root == block_root
        ),
        "{:?}",
        status.builders[0].state
    );
    assert_eq!(status.builders[0].counters.invalid_payloads, 1);

    let asked = |h: &Harness| {
        let stats = h.relay.stats();
        stats.headers_served + stats.no_bids + stats.rejections
    };
    let asked_before = asked(&harness);
    let outcome = harness.propose(2).await.expect("a proposal");
    assert_eq!(builder_outcome(&outcome), &BuilderOutcome::Disabled);
    let hash = assert_imported(&outcome, &Source::Local);
    assert_eq!(hash, harness.el.head_hash());
    assert_eq!(
        asked(&harness),
        asked_before,
        "a disabled builder gets no getHeader"
    );
}
