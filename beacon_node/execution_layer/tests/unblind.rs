//! Unblinding: a builder's payload with blobs (v1), the local payload from the cache, Fulu's v2 where
//! the builder publishes, and the failures (mismatch, withholding, unknown payload) that never fall
//! back to a local payload.

use crate::harness::*;
use execution_layer::{
    ExecutionLayerConfig, PayloadSource, UnblindError, UnblindSource, Unblinded,
};
use std::time::Duration;
use tree_hash::TreeHash;
use types::ForkName;

/// Building blobs (and Fulu's cell proofs) in a debug build on a busy machine can take longer than a
/// real getHeader timeout allows.
const BLOB_GET_HEADER_TIMEOUT: Duration = Duration::from_secs(8);

#[tokio::test]
async fn builder_payload_with_blobs_is_revealed_and_checked() {
    let bench = Bench::start(BenchOptions {
        blobs_per_payload: 2,
        get_header_timeout: BLOB_GET_HEADER_TIMEOUT,
        ..BenchOptions::relays(1)
    })
    .await;
    let produced = bench.propose(1).await;
    assert_eq!(
        produced.choice.source,
        PayloadSource::Builder { index: 0 },
        "{:?}",
        produced.builders
    );
    let block = block_for_winner(&bench.spec, &produced);
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
    let bench = Bench::start(BenchOptions {
        blobs_per_payload: 1,
        get_header_timeout: BLOB_GET_HEADER_TIMEOUT,
        ..BenchOptions::relays(1)
    })
    .await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(0);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    let block = block_for_local(&bench.spec, &produced);
    match bench.layer.unblind(block).await.expect("unblinded") {
        Unblinded::Full {
            source,
            blobs_bundle,
            ..
        } => {
            assert_eq!(source, UnblindSource::LocalCache);
            assert_eq!(blobs_bundle.expect("blobs").len(), 1);
        }
        other => panic!("expected a full block, got {other:?}"),
    }
    assert_eq!(bench.relays[0].stats().submissions, 0);
}

#[tokio::test]
async fn fulu_builder_publishes_after_202() {
    let bench = Bench::start(BenchOptions {
        fork: ForkName::Fulu,
        blobs_per_payload: 1,
        get_header_timeout: BLOB_GET_HEADER_TIMEOUT,
        ..BenchOptions::relays(1)
    })
    .await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    let block = block_for_winner(&bench.spec, &produced);
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
async fn mismatched_payload_is_refused_without_local_fallback() {
    let mut options = BenchOptions::relays(1);
    options.relays[0].mismatched_payload = true;
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    let block = block_for_winner(&bench.spec, &produced);
    let error = bench.layer.unblind(block).await.expect_err("a mismatch");
    assert!(
        matches!(&error, UnblindError::PayloadMismatch { builder, .. } if *builder == bench.name(0)),
        "{error:?}"
    );
    let counters = &bench.layer.builder_states()[0].counters;
    assert_eq!(counters.unblind_mismatches, 1);
    assert_eq!(counters.unblind_successes, 0);
}

#[tokio::test]
async fn withholding_costs_the_slot_and_counts_against_the_builder() {
    let mut options = BenchOptions::relays(1);
    options.relays[0].withhold_payload = true;
    options.submit_timeout = Duration::from_millis(500);
    let mut config = ExecutionLayerConfig::new(
        types::ChainSpec::mainnet().with_forks_at_genesis_up_to(ForkName::Electra),
    );
    config.unblind_budget = Duration::from_millis(1500);
    config.unblind_retry_interval = Duration::from_millis(100);
    options.config = Some(config);
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    let block = block_for_winner(&bench.spec, &produced);
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
}

#[tokio::test]
async fn unknown_payload_is_refused() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    let produced = bench.propose(1).await;
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
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    let block = block_for_winner(&bench.spec, &produced);
    match bench
        .layer
        .unblind(block)
        .await
        .expect("unblinded by the second")
    {
        Unblinded::Full { source, .. } => assert_eq!(source, UnblindSource::Builder(bench.name(1))),
        other => panic!("expected a full block, got {other:?}"),
    }
    assert_eq!(bench.relays[1].stats().payloads_revealed, 1);
    assert_eq!(
        bench.layer.builder_states()[1].counters.unblind_successes,
        1
    );
}

#[tokio::test]
async fn server_errors_are_retried_within_the_budget() {
    let mut options = BenchOptions::relays(1);
    options.relays[0].submit_status = Some(502);
    let mut config = ExecutionLayerConfig::new(
        types::ChainSpec::mainnet().with_forks_at_genesis_up_to(ForkName::Electra),
    );
    config.unblind_budget = Duration::from_millis(1000);
    config.unblind_retry_interval = Duration::from_millis(100);
    options.config = Some(config);
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    let block = block_for_winner(&bench.spec, &produced);
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
