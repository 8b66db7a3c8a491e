//! Full-payload builders (issue 14): a `builder_getPayloadV1` builder and an engine builder, each a
//! mock relay's face on the bench's mock-el, competing with the relays and the local payload.

use crate::harness::{outcome, Bench, BenchOptions, E};
use execution_layer::{BidRejection, BuilderOutcome, PayloadSource};
use mock_relay::RelayFaults;
use std::time::Duration;

/// Ample time for the background forkchoiceUpdated of `prepare_payload` to reach the builder.
const PREPARE_SETTLE: Duration = Duration::from_millis(150);

fn one_rpc_builder(faults: RelayFaults) -> BenchOptions {
    BenchOptions {
        rpc_builders: vec![faults],
        ..BenchOptions::default()
    }
}

#[tokio::test]
async fn an_rpc_builder_wins_with_a_signed_payload_the_engine_found_valid() {
    let bench = Bench::start(one_rpc_builder(RelayFaults::default())).await;
    let name = bench.layer.builder_names()[0].clone();
    assert_eq!(
        name,
        bench.full_relays[0].secp256k1_address().to_string(),
        "an RPC builder is named by its pinned address"
    );
    let produced = bench.propose(1).await;
    let winner = produced
        .full_winner
        .as_ref()
        .expect("the full payload wins");
    assert!(produced.winner.is_none(), "no blinded bid");
    assert_eq!(winner.builder, name);
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    let local = produced
        .local
        .as_ref()
        .expect("the local payload was built too");
    assert!(winner.payload.value > local.block_value);
    assert_ne!(winner.payload.block_hash(), local.payload.block_hash());
    assert!(matches!(
        outcome(&produced, &name),
        BuilderOutcome::Bid { .. }
    ));
    assert!(
        winner.payload.execution_requests.is_some(),
        "Electra requests"
    );
    assert_eq!(bench.full_relays[0].full_stats().payloads_served, 1);

    let status = bench.layer.status();
    assert_eq!(status.builders[0].kind, "rpc");
    assert_eq!(
        status.builders[0].address,
        Some(bench.full_relays[0].secp256k1_address())
    );
    assert_eq!(status.builders[0].counters.chosen, 1);
}

#[tokio::test]
async fn an_engine_builder_builds_on_the_mirrored_forkchoice_update() {
    let bench = Bench::start(BenchOptions {
        engine_builders: vec![RelayFaults::default()],
        ..BenchOptions::default()
    })
    .await;
    let request = bench.request(1);
    bench
        .layer
        .prepare_payload(&request)
        .await
        .expect("prepared");
    tokio::time::sleep(PREPARE_SETTLE).await;
    assert_eq!(bench.full_relays[0].full_stats().forkchoice_updates, 1);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    let winner = produced
        .full_winner
        .as_ref()
        .expect("the engine builder wins");
    assert_eq!(winner.builder, bench.full_relays[0].url().to_string());
    let stats = bench.full_relays[0].full_stats();
    assert_eq!(stats.engine_payloads_served, 1);
    assert_eq!(stats.forkchoice_updates, 1, "the prepared build was used");
    assert_eq!(bench.layer.status().builders[0].kind, "engine");
    // Without a prepared build, the proposal itself starts one.
    let produced = bench.propose(2).await;
    assert!(produced.full_winner.is_some());
    assert_eq!(bench.full_relays[0].full_stats().forkchoice_updates, 2);
}

#[tokio::test]
async fn relay_rpc_and_engine_builders_compete_and_the_best_valid_payload_wins() {
    // Relay 1 gwei, RPC builder 3 gwei, engine builder 2 gwei over the engine's value.
    let bench = Bench::start(BenchOptions {
        relays: vec![RelayFaults::default()],
        bonuses: vec![1_000_000_000],
        rpc_builders: vec![RelayFaults::default()],
        engine_builders: vec![RelayFaults::default()],
        full_bonuses: vec![3_000_000_000, 2_000_000_000],
        ..BenchOptions::default()
    })
    .await;
    let names = bench.layer.builder_names();
    let produced = bench.propose(1).await;
    for name in &names {
        assert!(
            matches!(outcome(&produced, name), BuilderOutcome::Bid { .. }),
            "{name}: {:?}",
            outcome(&produced, name)
        );
    }
    let winner = produced.full_winner.as_ref().expect("a full payload wins");
    assert_eq!(winner.builder, names[1], "the RPC builder pays most");
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 1 });

    // The RPC builder's payload now fails a check: the engine builder is the best valid one.
    bench.full_relays[0].update_faults(|f| f.wrong_timestamp = true);
    let produced = bench.propose(2).await;
    assert!(matches!(
        outcome(&produced, &names[1]),
        BuilderOutcome::Rejected(BidRejection::WrongTimestamp { .. })
    ));
    assert_eq!(
        produced.full_winner.as_ref().expect("a winner").builder,
        names[2]
    );

    // And with both full builders out, the relay's blinded bid wins.
    bench.full_relays[1].update_faults(|f| f.no_bid = true);
    let produced = bench.propose(3).await;
    assert!(produced.full_winner.is_none());
    assert_eq!(
        produced.winner.as_ref().expect("the relay wins").builder,
        names[0]
    );
}

/// A full payload whose value ties the relay's bid: the lower block hash wins, as between relays.
#[tokio::test]
async fn ties_between_a_relay_and_a_full_payload_go_to_the_lower_block_hash() {
    let bench = Bench::start(BenchOptions {
        relays: vec![RelayFaults::default()],
        rpc_builders: vec![RelayFaults::default()],
        ..BenchOptions::default()
    })
    .await;
    let produced = bench.propose(1).await;
    let hashes: Vec<_> = produced
        .builders
        .iter()
        .map(|r| match &r.outcome {
            BuilderOutcome::Bid {
                block_hash, value, ..
            } => (*block_hash, *value),
            other => panic!("{}: {other:?}", r.builder),
        })
        .collect();
    assert_eq!(hashes[0].1, hashes[1].1, "equal values");
    let lower = if hashes[0].0 < hashes[1].0 { 0 } else { 1 };
    assert_eq!(
        produced.choice.source,
        PayloadSource::Builder { index: lower }
    );
}

#[tokio::test]
async fn a_boost_factor_of_zero_keeps_the_local_payload() {
    let bench = Bench::start(one_rpc_builder(RelayFaults::default())).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(0);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert!(produced.full_winner.is_none());
}

#[tokio::test]
async fn forwarded_transactions_are_in_the_builders_next_payload() {
    let bench = Bench::start(one_rpc_builder(RelayFaults::default())).await;
    let base_fee = bench
        .el_mock
        .with_chain(|c| c.head().header.base_fee_per_gas)
        .unwrap_or_default();
    let tx = mock_relay::payment::payment_transaction(
        1,
        7,
        base_fee,
        types::Address::repeat_byte(0x12),
        types::U256::from(5u64),
    );
    let answer = crate::harness::post_rpc(
        &bench.full_relays[0].url(),
        "builder_forwardTransactionV1",
        serde_json::json!([format!("0x{}", hex(&tx))]),
    )
    .await;
    assert_eq!(answer["result"], true, "{answer}");
    let produced = bench.propose(1).await;
    let winner = produced.full_winner.as_ref().expect("the builder wins");
    assert!(
        winner
            .payload
            .payload
            .transactions()
            .iter()
            .any(|t| t[..] == tx[..]),
        "the forwarded transaction is in the payload"
    );
    assert_eq!(bench.full_relays[0].full_stats().transactions_included, 1);
    // Junk is refused.
    let answer = crate::harness::post_rpc(
        &bench.full_relays[0].url(),
        "builder_forwardTransactionV1",
        serde_json::json!(["0x"]),
    )
    .await;
    assert!(answer["error"].is_object(), "{answer}");
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_full_winner_recorded_and_found_invalid_at_import_disables_its_builder() {
    let bench = Bench::start(one_rpc_builder(RelayFaults::default())).await;
    let produced = bench.propose(1).await;
    let winner = produced.full_winner.as_ref().expect("a winner");
    let root = types::Hash256::repeat_byte(0x77);
    bench
        .layer
        .record_builder_block(
            root,
            std::slice::from_ref(&winner.builder),
            1,
            winner.payload.block_hash(),
        )
        .expect("recorded");
    let status = engine_api::PayloadStatusV1::invalid(None, "bad");
    let disabled = bench
        .layer
        .on_new_payload_status(root, &status, &[winner.payload.block_hash()]);
    assert_eq!(disabled.len(), 1);
    assert!(bench.layer.is_builder_disabled(&winner.builder));
    let produced = bench.propose(2).await;
    assert_eq!(
        outcome(&produced, &winner.builder),
        &BuilderOutcome::Disabled
    );
}

#[tokio::test]
async fn rpc_builders_need_a_request_key_and_identities_are_unique() {
    let spec = types::ChainSpec::mainnet();
    let mut config = execution_layer::ExecutionLayerConfig::new(spec.clone());
    let rpc = execution_layer::full_payload::RpcBuilderConfig {
        address: types::Address::repeat_byte(1),
        url: "http://127.0.0.1:1/".parse().unwrap(),
        timeout: Duration::from_millis(200),
    };
    config.full_payload_builders.rpc = vec![rpc.clone()];
    let engine = engine_api::EngineClient::new(
        "http://127.0.0.1:1/".parse().unwrap(),
        engine_api::JwtAuth::new(crate::harness::jwt()),
    )
    .unwrap();
    let chain = std::sync::Arc::new(crate::harness::FakeChain {
        registration: parking_lot::Mutex::new(None),
        health: parking_lot::Mutex::new(None),
    });
    let build = |config: execution_layer::ExecutionLayerConfig| {
        execution_layer::ExecutionLayer::<E>::new(
            config,
            engine.clone(),
            vec![],
            Box::<execution_layer::MemoryBuilderBlockStore>::default(),
            chain.clone(),
        )
    };
    assert!(matches!(
        build(config.clone()),
        Err(execution_layer::ExecutionLayerError::MissingRequestKey)
    ));
    config.full_payload_builders.request_key = Some(crate::harness::request_key());
    config.full_payload_builders.rpc = vec![rpc.clone(), rpc];
    assert!(matches!(
        build(config),
        Err(execution_layer::ExecutionLayerError::DuplicateBuilder(_))
    ));
}

/// Blobs come with a full payload; their KZG proofs are checked before it competes.
#[tokio::test]
async fn full_payloads_carry_their_checked_blobs() {
    let bench = Bench::start(BenchOptions {
        rpc_builders: vec![RelayFaults::default()],
        engine_builders: vec![RelayFaults::default()],
        full_bonuses: vec![2_000_000_000, 1_000_000_000],
        blobs_per_payload: 2,
        // Building and checking blobs is slow in a debug build; behaviour, not speed, is tested.
        full_timeout: Some(Duration::from_secs(10)),
        ..BenchOptions::default()
    })
    .await;
    let names = bench.layer.builder_names();
    let produced = bench.propose(1).await;
    for name in &names {
        assert!(
            matches!(outcome(&produced, name), BuilderOutcome::Bid { .. }),
            "{name}: {:?}",
            outcome(&produced, name)
        );
    }
    let winner = produced.full_winner.as_ref().expect("a full payload wins");
    let bundle = winner.payload.blobs_bundle.as_ref().expect("blobs");
    assert_eq!(bundle.len(), 2);
}

/// Head changes reach engine builders in the background; a disabled one is left alone.
#[tokio::test]
async fn head_changes_are_mirrored_to_engine_builders() {
    let bench = Bench::start(BenchOptions {
        engine_builders: vec![RelayFaults::default()],
        ..BenchOptions::default()
    })
    .await;
    let state = engine_api::ForkchoiceStateV1 {
        head_block_hash: bench.el_mock.head_hash(),
        ..Default::default()
    };
    bench.layer.mirror_forkchoice(bench.fork, state);
    tokio::time::sleep(PREPARE_SETTLE).await;
    assert_eq!(bench.full_relays[0].full_stats().forkchoice_updates, 1);
}
