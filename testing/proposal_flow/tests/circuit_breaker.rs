//! The chain health the harness computes from its state feeds the circuit breaker: after a run of
//! empty slots the builder is not asked, and once the head is recent again it wins again.

use crate::common::assert_imported;
use execution_layer::BuilderOutcome;
use proposal_flow::{Harness, HarnessOptions, Source};

#[tokio::test]
async fn skipped_slots_at_the_head_trip_the_breaker_until_the_chain_recovers() {
    let mut harness = Harness::start(HarnessOptions::default())
        .await
        .expect("the harness starts");
    let builder = Source::Builder(harness.builder.clone());
    assert_imported(&harness.propose(1).await.expect("a proposal"), &builder);

    // Slots 2 to 5 are empty: four skipped slots at the head, over the default limit of three.
    let outcome = harness.propose(6).await.expect("a proposal");
    assert_eq!(
        outcome.builders[0].outcome,
        BuilderOutcome::Skipped("circuit_breaker")
    );
    assert_imported(&outcome, &Source::Local);
    let breaker = harness.layer.status().circuit_breaker.expect("a verdict");
    assert!(breaker.tripped && breaker.slot == 6, "{breaker:?}");

    // The head is slot 6 now; four empty slots in the last 32 are within the limit of eight.
    assert_imported(&harness.propose(7).await.expect("a proposal"), &builder);
    assert!(
        !harness
            .layer
            .status()
            .circuit_breaker
            .expect("a verdict")
            .tripped
    );
}
