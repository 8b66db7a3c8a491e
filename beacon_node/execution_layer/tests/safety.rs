//! Never a builder payload on an unsafe head: an engine that answers SYNCING or INVALID on the parent
//! keeps the builders out too; only an unreachable or late engine lets a bid stand in. And the local
//! build started ahead of the proposal (`prepare_payload`) is the one the proposal fetches.

use crate::harness::*;
use engine_api::{EngineClient, ForkchoiceStateV1, JwtAuth, NewPayloadRequest, PayloadStatusKind};
use execution_layer::{
    ChoiceReason, ExecutionLayerConfig, LocalPayloadError, PayloadError, PayloadSource,
};
use mock_el::InjectedError;
use std::time::Duration;
use types::{ExecutionPayload, Hash256};

/// The local failure of a proposal that produced nothing.
fn local_failure(
    result: Result<execution_layer::ProducedPayload<E>, PayloadError>,
) -> LocalPayloadError {
    match result {
        Err(PayloadError::NoPayload { local }) => local,
        other => panic!("expected no payload at all, got {other:?}"),
    }
}

#[tokio::test]
async fn a_syncing_engine_keeps_valid_bids_out() {
    let mut options = BenchOptions::relays(1);
    options.separate_engine = true;
    let bench = Bench::start(options).await;
    let layer_el = bench.layer_el.as_ref().expect("a separate engine");
    layer_el.update_faults(|f| f.syncing = true);

    let local = local_failure(bench.layer.get_payload(&bench.request(1)).await);
    assert_eq!(local.unsafe_parent(), Some(PayloadStatusKind::Syncing));
    assert!(!local.engine_unavailable());
    // The builder was asked and its bid was valid: it is the parent that is not.
    assert_eq!(bench.headers_served(0), 1);
    let state = &bench.layer.builder_states()[0];
    assert_eq!(state.counters.bids, 1);
    assert_eq!(state.counters.chosen, 0);
}

#[tokio::test]
async fn an_invalid_parent_keeps_valid_bids_out() {
    let mut options = BenchOptions::relays(1);
    options.separate_engine = true;
    let bench = Bench::start(options).await;
    let layer_el = bench.layer_el.as_ref().expect("a separate engine");

    // A payload built on genesis by the layer's engine: valid for the relays' engine, which makes
    // it its head; marked INVALID in the layer's engine.
    let produced = bench.propose(1).await;
    let payload: ExecutionPayload<E> = produced.local.as_ref().expect("local").payload.clone();
    let hash = payload.block_hash();
    let relays_engine = EngineClient::new(
        bench.el_mock.url().parse().expect("a URL"),
        JwtAuth::new(jwt()),
    )
    .expect("a client");
    let requests = types::ExecutionRequests::<E>::default();
    let import = |client: EngineClient, payload: ExecutionPayload<E>, requests| async move {
        client
            .new_payload(&NewPayloadRequest {
                payload: &payload,
                versioned_hashes: vec![],
                parent_beacon_block_root: Some(Hash256::repeat_byte(0xbb)),
                execution_requests: Some(&requests),
            })
            .await
            .expect("newPayload answers")
    };
    let status = import(relays_engine.clone(), payload.clone(), requests.clone()).await;
    assert_eq!(status.status, PayloadStatusKind::Valid);
    relays_engine
        .forkchoice_updated(
            bench.fork,
            ForkchoiceStateV1 {
                head_block_hash: hash,
                safe_block_hash: Hash256::ZERO,
                finalized_block_hash: Hash256::ZERO,
            },
            None,
        )
        .await
        .expect("the relays' engine follows");
    layer_el.update_faults(|f| {
        f.invalid_block_hashes.insert(hash);
    });
    let status = import(bench.layer.engine().clone(), payload, requests).await;
    assert_eq!(status.status, PayloadStatusKind::Invalid);

    // The proposal on that parent: the relay bids validly; the layer's engine refuses the parent.
    let request = bench.request(2);
    assert_eq!(request.parent_hash, hash);
    let local = local_failure(bench.layer.get_payload(&request).await);
    assert_eq!(local.unsafe_parent(), Some(PayloadStatusKind::Invalid));
    let state = &bench.layer.builder_states()[0];
    assert_eq!(
        state.counters.bids, 2,
        "the relay bid on the invalid parent too"
    );
    assert_eq!(
        state.counters.chosen, 1,
        "only the first proposal took a bid"
    );
}

#[tokio::test]
async fn an_engine_error_is_not_unavailability() {
    // The engine answers, with an error: it is there and says no, so no bid stands in.
    let mut options = BenchOptions::relays(1);
    options.separate_engine = true;
    let bench = Bench::start(options).await;
    bench
        .layer_el
        .as_ref()
        .expect("a separate engine")
        .update_faults(|f| {
            f.errors.insert(
                "engine_forkchoiceUpdatedV3".into(),
                InjectedError {
                    code: -32000,
                    message: "internal".into(),
                },
            );
        });
    let local = local_failure(bench.layer.get_payload(&bench.request(1)).await);
    assert!(matches!(local, LocalPayloadError::Engine(_)), "{local:?}");
    assert!(!local.engine_unavailable());
}

#[tokio::test]
async fn the_default_deadline_takes_a_valid_bid_when_the_engine_hangs() {
    let mut options = BenchOptions::relays(1);
    options.engine_hangs = true;
    let mut config = ExecutionLayerConfig::new(
        types::ChainSpec::mainnet().with_forks_at_genesis_up_to(options.fork),
    );
    config.local_payload_timeout = Some(Duration::from_millis(300));
    options.config = Some(config);
    let bench = Bench::start(options).await;
    let request = bench.request(1);
    assert!(request.local_payload_deadline.is_none());
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(produced.choice.reason, ChoiceReason::LocalUnavailable);
    assert!(produced
        .local_error
        .as_deref()
        .is_some_and(|e| e.contains("deadline")));
}

#[tokio::test]
async fn the_proposal_fetches_the_build_prepared_ahead() {
    let bench = Bench::start(BenchOptions::default()).await;
    let request = bench.request(1);
    bench
        .layer
        .prepare_payload(&request)
        .await
        .expect("the build starts");
    // From now on every forkchoiceUpdated fails: only the prepared build can give a payload.
    let fcu_fails = |f: &mut mock_el::Faults| {
        f.errors.insert(
            "engine_forkchoiceUpdatedV3".into(),
            InjectedError {
                code: -32000,
                message: "no new builds".into(),
            },
        );
    };
    bench.el_mock.update_faults(fcu_fails);
    let produced = bench
        .layer
        .get_payload(&request)
        .await
        .expect("the prepared payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    // It is taken once: the next proposal with the same attributes needs a new build, which fails.
    let again = bench.layer.get_payload(&request).await;
    assert!(
        matches!(again, Err(PayloadError::NoPayload { .. })),
        "{again:?}"
    );
}
