//! Bids that real builders send: a builder that pays the proposer by transaction (its own fee
//! recipient in the header) is accepted and recorded by default, refused when the node requires the
//! fee recipient; a zero-value bid is valid, loses to any local payload, and saves the slot when the
//! engine is unreachable; a registration whose gas limit target differs from the parent's makes the
//! builder step towards it.

use crate::harness::*;
use execution_layer::{
    BuilderOutcome, ChoiceReason, ExecutionLayerConfig, PayloadSource, Unblinded,
};
use mock_relay::RelayFaults;
use types::U256;

fn builder_pays() -> BenchOptions {
    BenchOptions {
        relays: vec![RelayFaults {
            builder_pays: true,
            ..RelayFaults::default()
        }],
        ..BenchOptions::default()
    }
}

#[tokio::test]
async fn a_builder_paying_by_transaction_competes_and_is_recorded() {
    let bench = Bench::start(builder_pays()).await;
    let produced = bench.propose(1).await;
    let name = bench.name(0);
    let relay_address = mock_relay::default_builder_address();
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert!(
        matches!(
            outcome(&produced, &name),
            BuilderOutcome::Bid { fee_recipient_mismatch: Some(address), .. } if *address == relay_address
        ),
        "{:?}",
        outcome(&produced, &name)
    );
    let state = &bench.layer.builder_states()[0];
    assert_eq!(state.counters.fee_recipient_mismatches, 1);
    assert_eq!(
        state
            .last_bid
            .as_ref()
            .and_then(|b| b.fee_recipient_mismatch),
        Some(relay_address)
    );
    let metrics = bench.layer.metrics().encode_text();
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_fee_recipient_mismatches_total{{builder="{name}"}} 1"#
    )));

    // The revealed payload's last transaction pays the proposer the bid's value, and it counts as a
    // win once signed and revealed.
    let value = produced.winner.as_ref().expect("a winner").bid.value();
    let block = block_for_winner(&bench.spec, &produced);
    let Unblinded::Full { block, .. } = bench.layer.unblind(block).await.expect("revealed") else {
        panic!("an Electra block is revealed");
    };
    let payload = block.message_enum().body_enum().execution_payload_enum();
    let payment = mock_relay::last_transaction_payment(&payload).expect("a payment");
    assert_eq!(payment.to, FEE_RECIPIENT);
    assert_eq!(payment.value, value);
    assert_eq!(bench.layer.builder_states()[0].counters.wins, 1);
}

#[tokio::test]
async fn the_fee_recipient_can_be_required() {
    let mut options = builder_pays();
    let mut config = ExecutionLayerConfig::new(
        types::ChainSpec::mainnet().with_forks_at_genesis_up_to(options.fork),
    );
    config.require_fee_recipient = true;
    options.config = Some(config);
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert!(
        matches!(outcome(&produced, &bench.name(0)), BuilderOutcome::Rejected(r) if r.reason() == "wrong_fee_recipient"),
        "{:?}",
        outcome(&produced, &bench.name(0))
    );
}

fn zero_value() -> BenchOptions {
    BenchOptions {
        relays: vec![RelayFaults {
            zero_value: true,
            ..RelayFaults::default()
        }],
        ..BenchOptions::default()
    }
}

#[tokio::test]
async fn a_zero_value_bid_is_valid_but_loses_to_the_local_payload() {
    let bench = Bench::start(zero_value()).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(u64::MAX);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert!(matches!(
        outcome(&produced, &bench.name(0)),
        BuilderOutcome::Bid { value, .. } if *value == U256::ZERO
    ));
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(produced.choice.reason, ChoiceReason::ZeroValueBid);
}

#[tokio::test]
async fn a_zero_value_bid_saves_the_slot_when_the_engine_is_down() {
    let mut options = zero_value();
    options.engine_down = true;
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(produced.choice.reason, ChoiceReason::LocalUnavailable);
}

#[tokio::test]
async fn the_bid_steps_towards_a_registered_target_unlike_the_parent() {
    // The parent's gas limit is the engine's genesis limit; the proposer registers a much higher
    // target. The relay must step by at most parent/1024 towards it, and the bid check expects
    // exactly that step.
    let mut bench = Bench::start(BenchOptions::relays(1)).await;
    let parent = bench.el_mock.with_chain(|c| c.head().header.gas_limit);
    let target = parent * 2;
    bench.registration.gas_limit = target;
    *bench.chain.registration.lock() = Some(bench.registration);
    bench.register().await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    let gas_limit = produced
        .winner
        .as_ref()
        .expect("a winner")
        .bid
        .header()
        .gas_limit();
    assert_eq!(
        gas_limit,
        execution_layer::expected_gas_limit(parent, target)
    );
    assert!(
        gas_limit > parent && gas_limit < target,
        "{parent} -> {gas_limit} -> {target}"
    );
    assert_eq!(gas_limit - parent, parent / 1024 - 1);
}
