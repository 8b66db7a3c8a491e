//! Full-payload builders (issue 14) in the chain: a builder's payload becomes a full block that is
//! signed, imported and recorded as that builder's; engine builders follow the chain's head changes;
//! the three kinds of builder compete in one proposal; and faults leave the local payload. The
//! module's own tests (`execution_layer/tests/full_payload.rs`, `full_faults.rs`) cover each check in
//! isolation (the SYNCING verdict through an engine proxy, a late verdict, a foreign JWT); these cover
//! what the chain adds: the block, its import and the record of its builder.

use crate::harness::*;
use beacon_chain::{BlockFormat, BlockProposal, ProducedBlock, Published};
use mock_relay::{InvalidPayloadFault, RelayFaults};
use std::time::Duration;
use types::{Address, ExecutionBlockHash};

/// The payload's block hash of a produced full block.
fn full_block_hash(produced: &ProducedBlock<E>) -> ExecutionBlockHash {
    match &produced.proposal {
        BlockProposal::Full { block, .. } => {
            block.body_enum().execution_payload_enum().block_hash()
        }
        BlockProposal::Blinded { .. } => panic!("a blinded block: {}", produced.source_reason),
    }
}

fn imported(published: &Result<Published, beacon_chain::PublishError>) -> bool {
    matches!(published, Ok(Published::Imported(_)))
}

/// Waits until `condition` holds (background work such as a mirrored forkchoiceUpdated).
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn an_rpc_builders_payload_is_imported_full_as_its_block_and_an_invalid_verdict_disables_it()
{
    let mut env = Env::start(
        "full_rpc",
        Options {
            relays: vec![],
            rpc_builders: vec![RelayFaults::default()],
            ..Options::default()
        },
    )
    .await;
    let builder = env.chain().execution_layer().builder_names()[0].clone();
    assert_eq!(builder, env.full_relays[0].secp256k1_address().to_string());

    let (produced, published) = env.propose(1, BlockFormat::Either).await;
    assert!(imported(&published), "{published:?}");
    assert!(!produced.is_blinded(), "a full payload makes a full block");
    assert_eq!(produced.builder.as_deref(), Some(builder.as_str()));
    let root = produced.proposal.block_root();
    let head = env.chain().head();
    assert_eq!(head.block_root, root);
    assert_eq!(head.execution_block_hash, full_block_hash(&produced));
    assert!(!head.optimistic);
    let layer = env.chain().execution_layer().clone();
    let record = layer.builder_of(root).unwrap().expect("recorded");
    assert_eq!(record.builders, vec![builder.clone()]);
    assert_eq!(record.execution_block_hash, head.execution_block_hash);
    assert_eq!(env.full_relays[0].full_stats().payloads_served, 1);

    // Slot 2: the builder's block is imported optimistically (the engine fell behind after the
    // module's VALID check), and the engine later finds it INVALID: the head goes back and the
    // builder is disabled through the same registry as a relay.
    let valid = head;
    let (produced, published) = env
        .propose_with(2, BlockFormat::Either, || {
            // The module's check put the payload in the engine, so only a SYNCING engine (not
            // one that is merely behind) leaves its import optimistic.
            env.el.update_faults(|f| f.syncing = true)
        })
        .await;
    assert!(imported(&published), "{published:?}");
    assert_eq!(produced.builder.as_deref(), Some(builder.as_str()));
    let root = produced.proposal.block_root();
    assert!(env.chain().head().optimistic);
    let hash = full_block_hash(&produced);
    env.el.update_faults(|f| {
        f.syncing = false;
        f.invalid_heads.insert(hash, valid.execution_block_hash);
    });
    env.start_slot(3).await;
    assert_eq!(env.chain().head().block_root, valid.block_root);
    assert!(layer.is_builder_disabled(&builder));
    let status = serde_json::to_value(layer.status()).unwrap();
    assert_eq!(status["builders"][0]["kind"], "rpc");
    assert_eq!(status["builders"][0]["state"]["reason"], "invalid_payload");
    assert_eq!(
        status["builders"][0]["state"]["block_root"],
        format!("{root:?}")
    );

    // Slot 4: a disabled builder is not asked; the local payload makes the block.
    env.el.update_faults(|f| f.invalid_heads.clear());
    let served = env.full_relays[0].full_stats().payloads_served;
    let (produced, published) = env.propose(4, BlockFormat::Either).await;
    assert!(imported(&published), "{published:?}");
    assert_eq!(produced.builder, None);
    assert_eq!(env.full_relays[0].full_stats().payloads_served, served);

    // The record survives a restart, which enables the builder again (the module holds the
    // database: let go of it first).
    drop(layer);
    env.restart().await;
    let layer = env.chain().execution_layer();
    assert!(!layer.is_builder_disabled(&builder));
    assert_eq!(
        layer.builder_of(root).unwrap().map(|b| b.builders),
        Some(vec![builder])
    );
}

#[tokio::test]
async fn an_engine_builder_follows_the_mirrored_head_and_its_payload_wins() {
    let env = Env::start(
        "full_engine",
        Options {
            relays: vec![],
            engine_builders: vec![RelayFaults::default()],
            ..Options::default()
        },
    )
    .await;
    let builder = env.chain().execution_layer().builder_names()[0].clone();
    let relay = &env.full_relays[0];
    for slot in 1..=3 {
        let before_publishing = std::cell::Cell::new(0);
        let (produced, published) = env
            .propose_with(slot, BlockFormat::Either, || {
                before_publishing.set(relay.full_stats().forkchoice_updates)
            })
            .await;
        assert!(imported(&published), "slot {slot}: {published:?}");
        assert_eq!(
            produced.builder.as_deref(),
            Some(builder.as_str()),
            "slot {slot}: {}",
            produced.source_reason
        );
        assert_eq!(
            env.chain().head().execution_block_hash,
            full_block_hash(&produced)
        );
        assert_eq!(
            env.chain()
                .execution_layer()
                .builder_of(produced.proposal.block_root())
                .unwrap()
                .map(|b| b.builders),
            Some(vec![builder.clone()])
        );
        // The import moved the head: the builder hears of it, in the background.
        let seen = before_publishing.get();
        eventually("the head change mirrored to the engine builder", || {
            relay.full_stats().forkchoice_updates > seen
        })
        .await;
    }
    assert_eq!(relay.full_stats().engine_payloads_served, 3);
    let metrics = env.chain().execution_layer().metrics().encode_text();
    assert!(
        !metrics.contains("blindfold_builder_forkchoice_mirror_failures_total{"),
        "no mirror failed"
    );
}

#[tokio::test]
async fn a_relay_an_rpc_builder_and_an_engine_builder_compete_and_the_best_valid_payload_wins() {
    // The relay bids 1 gwei over the engine's value, the RPC builder 3, the engine builder 2.
    let env = Env::start(
        "full_compete",
        Options {
            rpc_builders: vec![RelayFaults::default()],
            engine_builders: vec![RelayFaults::default()],
            full_bonuses: vec![3_000_000_000, 2_000_000_000],
            ..Options::default()
        },
    )
    .await;
    let names = env.chain().execution_layer().builder_names();
    assert_eq!(names.len(), 3);
    let (relay, rpc, engine) = (&names[0], &names[1], &names[2]);

    let (produced, published) = env.propose(1, BlockFormat::Either).await;
    assert!(imported(&published), "{published:?}");
    assert_eq!(
        produced.builder.as_ref(),
        Some(rpc),
        "the RPC builder pays most"
    );
    assert!(!produced.is_blinded());

    // The RPC builder's payload fails a bid check: the engine builder's is the best valid one.
    env.full_relays[0].update_faults(|f| f.wrong_timestamp = true);
    let (produced, published) = env.propose(2, BlockFormat::Either).await;
    assert!(imported(&published), "{published:?}");
    assert_eq!(produced.builder.as_ref(), Some(engine));
    assert!(!produced.is_blinded());

    // The engine builder has nothing: the relay's header wins, blinded and unblinded by the relay.
    env.full_relays[1].update_faults(|f| f.no_bid = true);
    let (produced, published) = env.propose(3, BlockFormat::Either).await;
    assert!(imported(&published), "{published:?}");
    assert_eq!(produced.builder.as_ref(), Some(relay));
    assert!(produced.is_blinded());

    // The blinded-only endpoint cannot serve a full payload (no builder could reveal it): when a
    // full payload is the best offer, that endpoint gets the local payload, blinded.
    env.full_relays[0].update_faults(|f| f.wrong_timestamp = false);
    env.full_relays[1].update_faults(|f| f.no_bid = false);
    let (produced, published) = env.propose(4, BlockFormat::Blinded).await;
    assert!(imported(&published), "{published:?}");
    assert!(produced.is_blinded());
    assert_eq!(produced.builder, None, "{}", produced.source_reason);
    for name in &names {
        assert!(!env.chain().execution_layer().is_builder_disabled(name));
    }
}

/// Each fault of the full faces (and the relay switches that apply to them) leaves the local payload,
/// whose block is imported; only an INVALID payload disables its builder.
#[tokio::test]
async fn full_builder_faults_fall_back_to_the_local_payload() {
    let env = Env::start(
        "full_faults",
        Options {
            relays: vec![],
            rpc_builders: vec![RelayFaults::default()],
            engine_builders: vec![RelayFaults::default()],
            ..Options::default()
        },
    )
    .await;
    let names = env.chain().execution_layer().builder_names();
    type Fault = fn(&mut RelayFaults);
    let faults: [(&str, Fault); 9] = [
        ("unsigned answer", |f| f.unsigned_payload = true),
        ("wrong signer", |f| f.wrong_signer = true),
        ("wrong parent hash", |f| f.wrong_parent_hash = true),
        ("wrong timestamp", |f| f.wrong_timestamp = true),
        ("wrong prev_randao", |f| f.wrong_prev_randao = true),
        ("wrong withdrawals", |f| f.wrong_withdrawals_root = true),
        ("wrong block number", |f| f.wrong_block_number = true),
        ("no payload", |f| f.no_bid = true),
        ("malformed JSON", |f| f.malformed_json = true),
    ];
    let mut slot = 0;
    for (name, fault) in faults {
        slot += 1;
        for relay in &env.full_relays {
            relay.set_faults(RelayFaults::default());
            relay.update_faults(fault);
        }
        let (produced, published) = env.propose(slot, BlockFormat::Either).await;
        assert!(imported(&published), "{name}: {published:?}");
        // The engine face has no signature: a signing fault leaves it a valid offer.
        let signing_fault = matches!(name, "unsigned answer" | "wrong signer");
        let expected = signing_fault.then(|| names[1].clone());
        assert_eq!(
            produced.builder, expected,
            "{name}: {}",
            produced.source_reason
        );
        assert!(!produced.is_blinded(), "{name}");
        for builder in &names {
            assert!(
                !env.chain().execution_layer().is_builder_disabled(builder),
                "{name}: {builder} disabled"
            );
        }
    }

    // A payload the engine finds INVALID at the module's check: the local payload makes the block,
    // and each builder that offered one is disabled.
    slot += 1;
    for relay in &env.full_relays {
        relay.set_faults(RelayFaults {
            invalid_payload: InvalidPayloadFault::Always,
            ..RelayFaults::default()
        });
    }
    let (produced, published) = env.propose(slot, BlockFormat::Either).await;
    assert!(imported(&published), "{published:?}");
    assert_eq!(produced.builder, None, "{}", produced.source_reason);
    let layer = env.chain().execution_layer();
    for builder in &names {
        assert!(
            layer.is_builder_disabled(builder),
            "{builder} still enabled"
        );
    }
    // Disabled builders are not asked again.
    let served: Vec<_> = env.full_relays.iter().map(|r| r.full_stats()).collect();
    let (produced, _) = env.propose(slot + 1, BlockFormat::Either).await;
    assert_eq!(produced.builder, None);
    let now: Vec<_> = env.full_relays.iter().map(|r| r.full_stats()).collect();
    assert_eq!(now[0].payloads_served, served[0].payloads_served);
    assert_eq!(
        now[1].engine_payloads_served,
        served[1].engine_payloads_served
    );
}

/// A builder that does not know the proposer's address answers nothing (it checks the request's
/// signature before building): the local payload makes the block.
#[tokio::test]
async fn a_request_the_builder_refuses_leaves_the_local_payload() {
    let env = Env::start(
        "full_refused",
        Options {
            relays: vec![],
            rpc_builders: vec![RelayFaults::default()],
            rpc_proposers: vec![Address::repeat_byte(0x99)],
            ..Options::default()
        },
    )
    .await;
    let (produced, published) = env.propose(1, BlockFormat::Either).await;
    assert!(imported(&published), "{published:?}");
    assert_eq!(produced.builder, None, "{}", produced.source_reason);
    let stats = env.full_relays[0].full_stats();
    assert_eq!(stats.requests_refused, 1);
    assert_eq!(stats.payloads_served, 0);
    let builder = &env.chain().execution_layer().builder_names()[0];
    assert!(!env.chain().execution_layer().is_builder_disabled(builder));
}
