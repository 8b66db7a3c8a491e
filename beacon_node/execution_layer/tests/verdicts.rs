//! Verdicts (seed 004): a builder whose payload the execution engine finds INVALID is disabled until
//! restart and asked no more; the attribution of its blocks survives a restart, the disablement does not.

use crate::harness::*;
use engine_api::{NewPayloadRequest, PayloadStatusKind, PayloadStatusV1};
use execution_layer::{BuilderOutcome, BuilderStatusState, PayloadSource, Unblinded};
use mock_relay::InvalidPayloadFault;
use types::{ExecutionBlockHash, Hash256, SignedBeaconBlock};

/// Proposes at `slot` and unblinds the builder's block (which records it); returns the block root,
/// the execution block hash and the full block.
async fn builder_block(
    bench: &Bench,
    slot: u64,
) -> (Hash256, ExecutionBlockHash, SignedBeaconBlock<E>) {
    let produced = bench.propose(slot).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    let winner = produced.winner.as_ref().expect("a winner");
    let blinded = block_for_winner(&bench.spec, &produced);
    let block_root = blinded.message_root();
    let block_hash = winner.bid.block_hash();
    let Unblinded::Full { block, .. } = bench.layer.unblind(blinded).await.expect("unblinded")
    else {
        panic!("an Electra block is revealed, not published by the builder");
    };
    (block_root, block_hash, *block)
}

/// Imports the block's payload into mock-el (`newPayload`) and feeds the verdict to the layer.
async fn import(bench: &Bench, block_root: Hash256, block: &SignedBeaconBlock<E>) -> bool {
    let body = block.message_enum().body_enum();
    let payload = body.execution_payload_enum();
    let requests = body.execution_requests().ok().cloned();
    let status = bench
        .layer
        .engine()
        .new_payload(&NewPayloadRequest {
            payload: &payload,
            versioned_hashes: vec![],
            parent_beacon_block_root: Some(Hash256::repeat_byte(0xbb)),
            execution_requests: requests.as_ref(),
        })
        .await
        .expect("newPayload answers");
    let chain = [payload.block_hash(), payload.parent_hash()];
    bench
        .layer
        .on_new_payload_status(block_root, &status, &chain);
    status.is_invalid()
}

#[tokio::test]
async fn invalid_payload_disables_the_builder_until_restart() {
    let path = TempPath::new("verdict_restart");
    let mut options = BenchOptions::relays(2);
    options.relays[0].invalid_payload = InvalidPayloadFault::Once;
    options.bonuses = vec![2_000_000_000, 1_000_000_000];
    options.store_path = Some(path.0.clone());
    let mut bench = Bench::start(options).await;
    let faulty = bench.name(0);

    let (block_root, block_hash, block) = builder_block(&bench, 1).await;
    assert!(
        import(&bench, block_root, &block).await,
        "mock-el must find the payload INVALID"
    );
    assert!(bench.layer.is_builder_disabled(&faulty));
    let status = &bench.layer.builder_states()[0];
    assert_eq!(
        status.state,
        BuilderStatusState::Disabled {
            reason: "invalid_payload".into(),
            block_root,
            slot: 1,
            execution_block_hash: block_hash,
            until_epoch: None,
        }
    );
    assert_eq!(status.counters.invalid_payloads, 1);
    let metrics = bench.layer.metrics().encode_text();
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_enabled{{builder="{faulty}"}} 0"#
    )));
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_invalid_payloads_total{{builder="{faulty}"}} 1"#
    )));
    // What a staker reads from `GET /blindfold/v1/builders`.
    let json = serde_json::to_value(bench.layer.status()).expect("serialisable");
    let state = &json["builders"][0]["state"];
    assert_eq!(json["builders"][0]["name"], faulty.as_str());
    assert_eq!(state["status"], "disabled");
    assert_eq!(state["reason"], "invalid_payload");
    assert_eq!(state["block_root"], format!("{block_root:?}"));
    assert_eq!(state["slot"], "1");
    assert_eq!(json["builders"][0]["counters"]["invalid_payloads"], "1");
    assert_eq!(json["builders"][1]["state"]["status"], "enabled");

    // A disabled builder receives no registrations either; the other one does.
    let registrations = [0, 1].map(|i| bench.relays[i].stats().registrations);
    bench.register().await;
    assert_eq!(bench.relays[0].stats().registrations, registrations[0]);
    assert_eq!(bench.relays[1].stats().registrations, registrations[1] + 1);

    // The disabled builder is asked no more; the other one still wins.
    let served = bench.headers_served(0);
    let produced = bench.propose(2).await;
    assert_eq!(outcome(&produced, &faulty), &BuilderOutcome::Disabled);
    assert_eq!(bench.headers_served(0), served);
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 1 });

    // After a restart over the same store: the root is still attributed, the builder enabled again.
    bench.restart(&path.0);
    let attributed = bench
        .layer
        .builder_of(block_root)
        .expect("readable")
        .expect("attributed");
    assert_eq!(attributed.builders, vec![faulty.clone()]);
    assert_eq!(attributed.execution_block_hash, block_hash);
    assert!(!bench.layer.is_builder_disabled(&faulty));
    let produced = bench.propose(3).await;
    assert!(matches!(
        outcome(&produced, &faulty),
        BuilderOutcome::Bid { .. }
    ));
    assert_eq!(bench.headers_served(0), served + 1);
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
}

#[tokio::test]
async fn valid_payload_keeps_the_builder() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    let (block_root, _, block) = builder_block(&bench, 1).await;
    assert!(!import(&bench, block_root, &block).await);
    assert!(!bench.layer.is_builder_disabled(&bench.name(0)));
}

#[tokio::test]
async fn always_invalid_builder_is_disabled_by_forkchoice_invalidation() {
    let mut options = BenchOptions::relays(1);
    options.relays[0].invalid_payload = InvalidPayloadFault::Always;
    let bench = Bench::start(options).await;
    let parent_hash = bench.el_mock.with_chain(|c| c.head().hash);
    let (block_root, block_hash, _) = builder_block(&bench, 1).await;
    // A later forkchoiceUpdated on a descendant answers INVALID with the builder block's parent as
    // the latest valid hash: the builder's payload and its descendant are invalid, the parent not.
    let status = PayloadStatusV1 {
        status: PayloadStatusKind::Invalid,
        latest_valid_hash: Some(parent_hash),
        validation_error: Some("gas used exceeds the gas limit".into()),
    };
    let chain_from_head = [Hash256::repeat_byte(0x01), block_hash, parent_hash];
    let disabled = bench.layer.on_forkchoice_status(&status, &chain_from_head);
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].builder, bench.name(0));
    assert_eq!(disabled[0].block_root, block_root);
    let produced = bench.propose(2).await;
    assert_eq!(
        outcome(&produced, &bench.name(0)),
        &BuilderOutcome::Disabled
    );
    assert_eq!(produced.choice.source, PayloadSource::Local);
}

#[tokio::test]
async fn invalid_local_payload_disables_nobody() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    let disabled = bench
        .layer
        .on_invalid_payload(execution_layer::InvalidPayloadId::BlockRoot(
            Hash256::repeat_byte(9),
        ));
    assert!(disabled.is_empty());
    assert!(!bench.layer.is_builder_disabled(&bench.name(0)));
}

/// Records a builder block by hand, as if `builders` had revealed its payload.
fn recorded(bench: &Bench, byte: u8, builders: &[String]) -> (Hash256, ExecutionBlockHash) {
    let (root, hash) = (
        Hash256::repeat_byte(byte),
        Hash256::repeat_byte(byte ^ 0x80),
    );
    bench
        .layer
        .record_builder_block(root, builders, byte as u64, hash)
        .expect("recorded");
    (root, hash)
}

fn invalid(latest_valid_hash: ExecutionBlockHash) -> PayloadStatusV1 {
    PayloadStatusV1 {
        status: PayloadStatusKind::Invalid,
        latest_valid_hash: Some(latest_valid_hash),
        validation_error: Some("bad state root".into()),
    }
}

#[tokio::test]
async fn inherited_invalidity_blames_the_block_that_is_invalid() {
    let bench = Bench::start(BenchOptions::relays(2)).await;
    let (a, b) = (bench.name(0), bench.name(1));
    let valid_ancestor = Hash256::repeat_byte(0x11);
    // Builder A made block 1 (invalid); builder B made block 2 on top of it (valid in itself).
    let (_, hash1) = recorded(&bench, 1, std::slice::from_ref(&a));
    let (root2, hash2) = recorded(&bench, 2, std::slice::from_ref(&b));
    // Importing block 2: INVALID, with the last valid payload below block 1.
    let chain = [hash2, hash1, valid_ancestor];
    let disabled = bench
        .layer
        .on_new_payload_status(root2, &invalid(valid_ancestor), &chain);
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].builder, a);
    assert_eq!(disabled[0].execution_block_hash, hash1);
    assert!(bench.layer.is_builder_disabled(&a));
    assert!(
        !bench.layer.is_builder_disabled(&b),
        "B only built on A's block"
    );

    // The same rule for a forkchoiceUpdated on a head above both.
    let bench = Bench::start(BenchOptions::relays(2)).await;
    recorded(&bench, 1, std::slice::from_ref(&a));
    recorded(&bench, 2, std::slice::from_ref(&b));
    let head = Hash256::repeat_byte(0x33);
    let disabled = bench.layer.on_forkchoice_status(
        &invalid(valid_ancestor),
        &[head, hash2, hash1, valid_ancestor],
    );
    assert_eq!(
        disabled.iter().map(|d| &d.builder).collect::<Vec<_>>(),
        [&a]
    );
    assert!(!bench.layer.is_builder_disabled(&b));

    // A latest valid hash that is none of the known ancestors names no culprit: nobody is blamed.
    let disabled = bench.layer.on_new_payload_status(
        root2,
        &invalid(Hash256::repeat_byte(0x77)),
        &[hash2, hash1],
    );
    assert!(disabled.is_empty());
    assert!(!bench.layer.is_builder_disabled(&b));
}

#[tokio::test]
async fn every_builder_that_offered_the_invalid_payload_is_blamed() {
    // Two relays on one engine with the same bonus offer the same payload; both are recorded at
    // unblinding, and both answer for it.
    let mut options = BenchOptions::relays(2);
    options.relays[0].invalid_payload = InvalidPayloadFault::Always;
    options.relays[1].invalid_payload = InvalidPayloadFault::Always;
    let bench = Bench::start(options).await;
    let (block_root, _, block) = builder_block(&bench, 1).await;
    let attributed = bench
        .layer
        .builder_of(block_root)
        .expect("readable")
        .expect("attributed");
    assert_eq!(attributed.builders.len(), 2, "{attributed:?}");
    assert!(import(&bench, block_root, &block).await);
    assert!(bench.layer.is_builder_disabled(&bench.name(0)));
    assert!(bench.layer.is_builder_disabled(&bench.name(1)));
}
