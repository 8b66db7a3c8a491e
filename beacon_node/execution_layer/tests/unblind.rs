//! Unblinding: a builder's payload with blobs (v1), the local payload from the cache, Fulu's v2 where
//! the builder publishes (and v1 when it does not serve v2), and the failures (mismatch, withholding,
//! unknown payload) that never fall back to a local payload.

use crate::harness::*;
use execution_layer::{
    ExecutionLayerConfig, PayloadSource, ProducedPayload, UnblindError, UnblindSource, Unblinded,
};
use std::time::Duration;
use tree_hash::TreeHash;
use types::{ForkName, SignedBlindedBeaconBlock};

/// Building blobs (and Fulu's cell proofs) on a busy machine, with several such tests at once, can
/// take far longer than a real getHeader timeout allows; only a slow build waits this long.
const BLOB_GET_HEADER_TIMEOUT: Duration = Duration::from_secs(20);

/// One relay on a `fork` engine whose payloads carry `blobs` blobs.
fn with_blobs(fork: ForkName, blobs: u64) -> BenchOptions {
    BenchOptions {
        fork,
        blobs_per_payload: blobs,
        get_header_timeout: BLOB_GET_HEADER_TIMEOUT,
        ..BenchOptions::relays(1)
    }
}

/// `options` with an unblinding budget of `budget`, retried every 100 ms, each submission bounded by
/// 500 ms.
fn with_budget(mut options: BenchOptions, budget: Duration) -> BenchOptions {
    let mut config = ExecutionLayerConfig::new(
        types::ChainSpec::mainnet().with_forks_at_genesis_up_to(options.fork),
    );
    config.unblind_budget = budget;
    config.unblind_retry_interval = Duration::from_millis(100);
    options.config = Some(config);
    options.submit_timeout = Duration::from_millis(500);
    options
}

/// Proposes at slot 1, where the first builder must win; returns the proposal and the signed blinded
/// block on its bid.
async fn builder_won(bench: &Bench) -> (ProducedPayload<E>, SignedBlindedBeaconBlock<E>) {
    let produced = bench.propose(1).await;
    assert_eq!(
        produced.choice.source,
        PayloadSource::Builder { index: 0 },
        "{:?}",
        produced.builders
    );
    let block = block_for_winner(&bench.spec, &produced);
    (produced, block)
}

/// The source and blob count of a full unblinded block; panics on any other outcome.
fn full(unblinded: Unblinded<E>) -> (UnblindSource, Option<usize>) {
    match unblinded {
        Unblinded::Full {
            source,
            blobs_bundle,
            ..
        } => (source, blobs_bundle.map(|b| b.len())),
        other => panic!("expected a full block, got {other:?}"),
    }
}

#[tokio::test]
async fn builder_payload_with_blobs_is_revealed_and_checked() {
    let bench = Bench::start(with_blobs(ForkName::Electra, 2)).await;
    let (_, block) = builder_won(&bench).await;
    let block_root = block.message_root();
    let header_root = block.execution_payload_header().tree_hash_root();
    match bench.layer.unblind(block).await.expect("unblinded") {
        Unblinded::Full {
            block,
            blobs_bundle,
            source,
        } => {
            assert_eq!(source, UnblindSource::Builder(bench.name(0)));
            assert_eq!(block.message_root(), block_root);
            assert_eq!(
                block
                    .message_enum()
                    .body_enum()
                    .execution_payload_enum()
                    .tree_hash_root(),
                header_root
            );
            assert_eq!(blobs_bundle.expect("blobs").len(), 2);
        }
        other => panic!("expected a full block, got {other:?}"),
    }
    assert_eq!(bench.relays[0].stats().payloads_revealed, 1);
    assert_eq!(
        bench.layer.builder_states()[0].counters.unblind_successes,
        1
    );
}

#[tokio::test]
async fn local_payload_served_blinded_comes_from_the_cache() {
    let bench = Bench::start(with_blobs(ForkName::Electra, 1)).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(0);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    let block = block_for_local(&bench.spec, &produced);
    let unblinded = bench.layer.unblind(block).await.expect("unblinded");
    assert_eq!(full(unblinded), (UnblindSource::LocalCache, Some(1)));
    assert_eq!(bench.relays[0].stats().submissions, 0);
}

#[tokio::test]
async fn fulu_builder_publishes_after_202() {
    let bench = Bench::start(with_blobs(ForkName::Fulu, 1)).await;
    let (_, block) = builder_won(&bench).await;
    let unblinded = bench.layer.unblind(block).await.expect("accepted");
    assert_eq!(
        unblinded,
        Unblinded::BuilderPublishes {
            builder: bench.name(0)
        }
    );
    assert_eq!(bench.relays[0].published_blocks(), 1);
}

#[tokio::test]
async fn fulu_builder_without_v2_is_asked_with_v1() {
    let mut options = with_blobs(ForkName::Fulu, 1);
    options.relays[0].v2_unsupported = true;
    let bench = Bench::start(options).await;
    let (_, block) = builder_won(&bench).await;
    let unblinded = bench.layer.unblind(block).await.expect("revealed by v1");
    assert_eq!(
        full(unblinded),
        (UnblindSource::Builder(bench.name(0)), Some(1))
    );
    let stats = bench.relays[0].stats();
    assert_eq!(stats.submissions, 2, "one refused v2, then v1: {stats:?}");
    assert_eq!(stats.payloads_revealed, 1);
    assert_eq!(bench.relays[0].published_blocks(), 0);
}

#[tokio::test]
async fn mismatched_payload_is_refused_without_local_fallback() {
    let mut options = BenchOptions::relays(1);
    options.relays[0].mismatched_payload = true;
    let bench = Bench::start(options).await;
    let (_, block) = builder_won(&bench).await;
    let error = bench.layer.unblind(block).await.expect_err("a mismatch");
    assert!(
        matches!(&error, UnblindError::PayloadMismatch { builder, .. } if *builder == bench.name(0)),
        "{error:?}"
    );
    let state = &bench.layer.builder_states()[0];
    assert_eq!(state.counters.unblind_mismatches, 1);
    assert_eq!(state.counters.unblind_successes, 0);
    assert_eq!(state.counters.wins, 0);
    // It cost a signed slot: disabled, with its own reason.
    assert!(bench.layer.is_builder_disabled(&bench.name(0)));
    let json = serde_json::to_value(&state.state).expect("serialisable");
    assert_eq!(json["reason"], "reveal_mismatch");
}

#[tokio::test]
async fn withholding_costs_the_slot_and_counts_against_the_builder() {
    let mut options = with_budget(BenchOptions::relays(1), Duration::from_millis(1500));
    options.relays[0].withhold_payload = true;
    let bench = Bench::start(options).await;
    let (_, block) = builder_won(&bench).await;
    let error = bench.layer.unblind(block).await.expect_err("withheld");
    assert!(
        matches!(&error, UnblindError::Withheld { builders, .. } if builders == &[bench.name(0)]),
        "{error:?}"
    );
    let state = &bench.layer.builder_states()[0];
    assert_eq!(state.counters.unblind_withheld, 1);
    let metrics = bench.layer.metrics().encode_text();
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_unblind_total{{builder="{}",result="withheld"}} 1"#,
        bench.name(0)
    )));
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_disabled_total{{builder="{}",reason="withheld"}} 1"#,
        bench.name(0)
    )));
    // Disabled until restart (no penalty length set): the next proposal does not ask it.
    let json = serde_json::to_value(&state.state).expect("serialisable");
    assert_eq!(json["status"], "disabled");
    assert_eq!(json["reason"], "withheld");
    assert!(json.get("until_epoch").is_none(), "{json}");
    let produced = bench.propose(40).await;
    assert_eq!(
        outcome(&produced, &bench.name(0)),
        &execution_layer::BuilderOutcome::Disabled
    );
    assert_eq!(
        produced.choice.reason,
        execution_layer::ChoiceReason::BuildersNotAsked("all_disabled")
    );
}

#[tokio::test]
async fn a_withhold_penalty_ends_after_its_epochs() {
    let mut options = with_budget(BenchOptions::relays(1), Duration::from_millis(600));
    options.relays[0].withhold_payload = true;
    if let Some(config) = options.config.as_mut() {
        config.withhold_penalty_epochs = Some(1);
    }
    let bench = Bench::start(options).await;
    let (_, block) = builder_won(&bench).await;
    bench.layer.unblind(block).await.expect_err("withheld");
    let json = serde_json::to_value(&bench.layer.builder_states()[0].state).unwrap();
    assert_eq!(json["until_epoch"], "1");
    // Slot 1 is in epoch 0: still disabled at the end of epoch 0, asked again in epoch 1.
    let produced = bench.propose(31).await;
    assert_eq!(
        outcome(&produced, &bench.name(0)),
        &execution_layer::BuilderOutcome::Disabled
    );
    let produced = bench.propose(32).await;
    assert!(matches!(
        outcome(&produced, &bench.name(0)),
        execution_layer::BuilderOutcome::Bid { .. }
    ));
    assert!(!bench.layer.is_builder_disabled(&bench.name(0)));
}

#[tokio::test]
async fn unknown_payload_is_refused() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    let (produced, _) = builder_won(&bench).await;
    // A header that neither the cache nor any bid knows.
    let winner = produced.winner.as_ref().expect("a winner");
    let mut header = winner.bid.header().clone();
    if let types::ExecutionPayloadHeader::Electra(h) = &mut header {
        h.block_hash = types::Hash256::repeat_byte(0x42);
    }
    let block = signed_blinded_block(&bench.spec, 1, header, &[], Default::default());
    let error = bench.layer.unblind(block).await.expect_err("unknown");
    assert!(
        matches!(error, UnblindError::UnknownPayload { .. }),
        "{error:?}"
    );
    assert_eq!(bench.relays[0].stats().submissions, 0);
}

#[tokio::test]
async fn every_builder_that_offered_the_block_hash_is_asked() {
    // Two relays on one engine offer the same payload; the first withholds, the second reveals.
    let mut options = BenchOptions::relays(2);
    options.relays[0].withhold_payload = true;
    options.submit_timeout = Duration::from_millis(500);
    let bench = Bench::start(options).await;
    let (_, block) = builder_won(&bench).await;
    let unblinded = bench.layer.unblind(block).await.expect("by the second");
    assert_eq!(full(unblinded).0, UnblindSource::Builder(bench.name(1)));
    assert_eq!(bench.relays[1].stats().payloads_revealed, 1);
    let states = bench.layer.builder_states();
    assert_eq!(states[1].counters.unblind_successes, 1);
    assert_eq!(states[1].counters.wins, 1);
    // The first one's submission was dropped once the second revealed: it cost nothing, and it is
    // not blamed.
    assert!(!bench.layer.is_builder_disabled(&bench.name(0)));
}

#[tokio::test]
async fn server_errors_are_retried_within_the_budget() {
    let mut options = with_budget(BenchOptions::relays(1), Duration::from_millis(1000));
    options.relays[0].submit_status = Some(502);
    let bench = Bench::start(options).await;
    let (_, block) = builder_won(&bench).await;
    let error = bench
        .layer
        .unblind(block)
        .await
        .expect_err("never revealed");
    assert!(
        matches!(&error, UnblindError::Withheld { last_error, .. } if last_error.contains("502")),
        "{error:?}"
    );
    assert!(
        bench.relays[0].stats().submissions >= 2,
        "a 502 is retried: {:?}",
        bench.relays[0].stats()
    );
    assert_eq!(bench.layer.builder_states()[0].counters.unblind_withheld, 1);
}

#[tokio::test]
async fn every_builder_failing_never_falls_back_to_the_cached_local_payload() {
    // Both relays offer the same block; one withholds, the other refuses. The slot's local payload is
    // in the cache, but the proposer signed the builder's header: no local fallback after signing.
    let mut options = with_budget(BenchOptions::relays(2), Duration::from_millis(1500));
    options.relays[0].withhold_payload = true;
    options.relays[1].submit_status = Some(400);
    let bench = Bench::start(options).await;
    let (produced, block) = builder_won(&bench).await;
    assert!(produced.local.is_some(), "the local payload is cached");
    let error = bench.layer.unblind(block).await.expect_err("withheld");
    match &error {
        UnblindError::Withheld { builders, .. } => {
            let mut builders = builders.clone();
            builders.sort();
            let mut expected = vec![bench.name(0), bench.name(1)];
            expected.sort();
            assert_eq!(builders, expected);
        }
        other => panic!("expected withholding, got {other:?}"),
    }
    for state in bench.layer.builder_states() {
        assert_eq!(state.counters.unblind_withheld, 1, "{}", state.name);
        assert!(bench.layer.is_builder_disabled(&state.name));
    }
    // The local payload still unblinds its own header only.
    let local = bench
        .layer
        .unblind(block_for_local(&bench.spec, &produced))
        .await
        .expect("the local block");
    assert_eq!(full(local).0, UnblindSource::LocalCache);
}

/// A relay whose revealed blobs are spoiled by `spoil`: the unblind refuses them (no local fallback)
/// and the builder, which cost a signed slot, is disabled.
async fn bad_blobs_refused(spoil: impl FnOnce(&mut mock_relay::RelayFaults)) {
    let mut options = with_blobs(ForkName::Electra, 2);
    spoil(&mut options.relays[0]);
    let bench = Bench::start(options).await;
    let (_, block) = builder_won(&bench).await;
    let error = bench.layer.unblind(block).await.expect_err("bad blobs");
    assert!(
        matches!(
            &error,
            UnblindError::BadBlobs { builder, .. } | UnblindError::MissingBlobs { builder, .. }
                if *builder == bench.name(0)
        ),
        "{error:?}"
    );
    let state = &bench.layer.builder_states()[0];
    assert_eq!(state.counters.unblind_mismatches, 1);
    assert!(bench.layer.is_builder_disabled(&bench.name(0)));
}

#[tokio::test]
async fn missing_blobs_are_refused() {
    bad_blobs_refused(|f| f.blobs_missing = true).await;
}

#[tokio::test]
async fn mismatched_blobs_are_refused() {
    bad_blobs_refused(|f| f.blobs_mismatched = true).await;
}

#[tokio::test]
async fn a_blob_with_a_bad_proof_is_refused() {
    bad_blobs_refused(|f| f.blobs_bad_proof = true).await;
}
