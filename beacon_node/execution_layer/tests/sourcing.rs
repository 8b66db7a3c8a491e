//! Parallel sourcing and the choice: local only, one and several builders, the boost factor,
//! `shouldOverrideBuilder`, the circuit breaker and an unavailable engine.

use crate::harness::*;
use execution_layer::{BuilderOutcome, ChainHealth, ChoiceReason, PayloadError, PayloadSource};
use mock_relay::RelayFaults;
use types::U256;

#[tokio::test]
async fn local_only_without_builders() {
    let bench = Bench::start(BenchOptions::default()).await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(
        produced.choice.reason,
        ChoiceReason::BuildersNotAsked("no_builders")
    );
    let local = produced.local.as_ref().expect("a local payload");
    assert_eq!(local.payload.fee_recipient(), FEE_RECIPIENT);
    assert!(produced.winner.is_none() && produced.builders.is_empty());
    let metrics = bench.layer.metrics().encode_text();
    assert!(
        metrics
            .contains(r#"blindfold_payload_source_total{reason="no_builders",source="local"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn builder_bid_beats_local_and_is_visible() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    let produced = bench.propose(1).await;
    let name = bench.name(0);
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(produced.choice.reason.reason(), "builder_value_higher");
    let winner = produced.winner.as_ref().expect("a winner");
    assert_eq!(winner.builder, name);
    let local_value = produced.local.as_ref().expect("local awaited").block_value;
    assert_eq!(
        winner.bid.value(),
        local_value + U256::from(1_000_000_000u64)
    );
    assert!(matches!(
        outcome(&produced, &name),
        BuilderOutcome::Bid { .. }
    ));

    let status = bench.layer.status();
    let builder = &status.builders[0];
    assert_eq!(builder.name, name);
    assert_eq!(builder.counters.bids, 1);
    // Chosen, but not won: nothing is signed and unblinded yet.
    assert_eq!(builder.counters.chosen, 1);
    assert_eq!(builder.counters.wins, 0);
    let last = builder.last_bid.as_ref().expect("a last bid");
    assert_eq!(last.slot, 1);
    assert_eq!(last.block_hash, winner.bid.block_hash());
    assert!(!status.circuit_breaker.expect("a verdict").tripped);
    let json = serde_json::to_value(bench.layer.status()).expect("serialisable");
    assert_eq!(json["builders"][0]["state"]["status"], "enabled");
    let metrics = bench.layer.metrics().encode_text();
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_bids_total{{builder="{name}"}} 1"#
    )));
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_enabled{{builder="{name}"}} 1"#
    )));
    assert!(metrics.contains("blindfold_builder_get_header_seconds_bucket"));
}

#[tokio::test]
async fn best_valid_bid_wins_among_builders() {
    let mut options = BenchOptions::relays(3);
    options.bonuses = vec![1_000_000_000, 3_000_000_000, 2_000_000_000];
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 1 });
    assert_eq!(
        produced.winner.as_ref().expect("a winner").builder,
        bench.name(1)
    );
    for i in 0..3 {
        assert!(matches!(
            outcome(&produced, &bench.name(i)),
            BuilderOutcome::Bid { .. }
        ));
    }
}

#[tokio::test]
async fn a_faulty_builder_is_isolated() {
    let mut options = BenchOptions::relays(3);
    options.relays[0].bad_signature = true;
    options.relays[2].get_header_status = Some(500);
    options.bonuses = vec![9_000_000_000, 1_000_000_000, 9_000_000_000];
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    // The highest bids are from faulty builders; the only valid one wins.
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 1 });
    assert_eq!(
        outcome(&produced, &bench.name(0)).label(),
        "invalid_signature"
    );
    assert!(matches!(
        outcome(&produced, &bench.name(2)),
        BuilderOutcome::Error(_)
    ));
    let states = bench.layer.builder_states();
    assert_eq!(
        states[0].counters.rejections.get("invalid_signature"),
        Some(&1)
    );
    assert_eq!(states[2].counters.errors, 1);
    assert_eq!(states[1].counters.chosen, 1);
}

#[tokio::test]
async fn identical_bids_are_attributed_to_every_builder_and_the_first_wins() {
    // Two relays on one engine with the same bonus build the same payload: the same block hash.
    let bench = Bench::start(BenchOptions::relays(2)).await;
    let produced = bench.propose(1).await;
    let hashes: Vec<_> = (0..2)
        .map(|i| match outcome(&produced, &bench.name(i)) {
            BuilderOutcome::Bid { block_hash, .. } => *block_hash,
            other => panic!("expected a bid, got {other:?}"),
        })
        .collect();
    assert_eq!(hashes[0], hashes[1]);
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
}

#[tokio::test]
async fn equal_values_go_to_the_lower_block_hash() {
    // Two relays on one engine with the same bonus but different extra-data: different blocks of
    // equal value. Over a few slots, whichever relay offers the lower block hash wins.
    let mut options = BenchOptions::relays(2);
    options.extra_data = vec![b"builder a".to_vec(), b"builder b".to_vec()];
    let bench = Bench::start(options).await;
    for slot in 1..=3 {
        let produced = bench.propose(slot).await;
        let bids: Vec<(U256, types::Hash256)> = (0..2)
            .map(|i| match outcome(&produced, &bench.name(i)) {
                BuilderOutcome::Bid {
                    value, block_hash, ..
                } => (*value, *block_hash),
                other => panic!("expected a bid, got {other:?}"),
            })
            .collect();
        assert_eq!(bids[0].0, bids[1].0, "equal values");
        assert_ne!(bids[0].1, bids[1].1, "different blocks");
        let lower = if bids[0].1 < bids[1].1 { 0 } else { 1 };
        assert_eq!(
            produced.choice.source,
            PayloadSource::Builder { index: lower }
        );
        let winner = produced.winner.as_ref().expect("a winner");
        assert_eq!(winner.builder, bench.name(lower));
        assert_eq!(winner.bid.block_hash(), bids[lower].1);
    }
}

#[tokio::test]
async fn boost_factor_zero_prefers_local_but_still_asks_the_builders() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(0);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(produced.choice.reason, ChoiceReason::LocalOnlyBoostFactor);
    assert!(matches!(
        outcome(&produced, &bench.name(0)),
        BuilderOutcome::Bid { .. }
    ));
    assert_eq!(bench.headers_served(0), 1);
}

#[tokio::test]
async fn boost_factor_zero_uses_a_bid_when_the_engine_is_unreachable() {
    // beacon-APIs: 0 means "prefer the local payload unless an error makes it unviable".
    let mut options = BenchOptions::relays(1);
    options.engine_down = true;
    let bench = Bench::start(options).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(0);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(produced.choice.reason, ChoiceReason::LocalUnavailable);
}

#[tokio::test]
async fn boost_factor_max_always_takes_the_builder() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(u64::MAX);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(
        produced.choice.reason,
        ChoiceReason::BuilderAlwaysBoostFactor
    );
}

#[tokio::test]
async fn boost_factor_scales_the_builder_value() {
    // The local payload of an empty pool is worth 0; a 199 wei bid at factor 1 is worth
    // `1 * (199 // 100)` = 1 wei: more.
    let mut options = BenchOptions::relays(1);
    options.bonuses = vec![199];
    let bench = Bench::start(options).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(1);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(
        produced.choice.reason,
        ChoiceReason::BuilderValueHigher {
            boosted_builder_value: U256::from(1u64)
        }
    );
}

#[tokio::test]
async fn boost_divides_by_100_before_it_multiplies() {
    // beacon-APIs: `builder_boost_factor * (builder_payload_value // 100)`. A 99 wei bid is worth
    // nothing at any factor below the maximum, so the local payload (0 wei) keeps the tie.
    let mut options = BenchOptions::relays(1);
    options.bonuses = vec![99];
    let bench = Bench::start(options).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(1_000);
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(
        produced.choice.reason,
        ChoiceReason::LocalValueHigherOrEqual {
            boosted_builder_value: U256::ZERO
        }
    );
}

#[tokio::test]
async fn should_override_builder_keeps_the_local_payload() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    bench
        .el_mock
        .update_faults(|f| f.should_override_builder = true);
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(produced.choice.reason, ChoiceReason::ShouldOverrideBuilder);
    // The builder was still asked and its bid is valid; it just does not win.
    assert!(matches!(
        outcome(&produced, &bench.name(0)),
        BuilderOutcome::Bid { .. }
    ));
}

/// Health at slot 100 with the given measures.
fn health(skipped: u64, empty: u64, epochs_since_finality: u64) -> ChainHealth {
    ChainHealth {
        head_slot: 100 - 1 - skipped,
        empty_slots_in_last_32: empty,
        finalized_epoch: 10,
        ..ChainHealth::healthy(100, 10 + epochs_since_finality)
    }
}

#[tokio::test]
async fn circuit_breaker_thresholds() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    // Default thresholds: 3 skipped slots at the head, 8 empty slots in 32, 3 epochs since finality.
    let cases = [
        (health(3, 8, 3), None),
        (health(4, 0, 0), Some("skipped_slots_at_head")),
        (health(0, 9, 0), Some("empty_slots_in_last_32")),
        (health(0, 0, 4), Some("epochs_since_finality")),
        (
            ChainHealth {
                head_is_optimistic: true,
                ..health(0, 0, 0)
            },
            Some("optimistic_head"),
        ),
        (
            ChainHealth {
                ee_syncing: true,
                ..health(0, 0, 0)
            },
            Some("execution_engine_syncing"),
        ),
    ];
    for (slot, (health, tripped)) in (1..).zip(cases) {
        *bench.chain.health.lock() = Some(health);
        let served_before = bench.headers_served(0);
        let produced = bench.propose(slot).await;
        match tripped {
            None => {
                assert!(!produced.circuit_breaker.is_tripped());
                assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
            }
            Some(reason) => {
                assert_eq!(produced.choice.source, PayloadSource::Local);
                assert_eq!(produced.choice.reason.reason(), "circuit_breaker");
                match produced.choice.reason {
                    ChoiceReason::CircuitBreaker(r) => assert_eq!(r.reason(), reason),
                    other => panic!("expected the breaker, got {other:?}"),
                }
                assert_eq!(
                    outcome(&produced, &bench.name(0)),
                    &BuilderOutcome::Skipped("circuit_breaker")
                );
                assert_eq!(
                    bench.headers_served(0),
                    served_before,
                    "builders are not asked"
                );
                let status = bench.layer.status().circuit_breaker.expect("a verdict");
                assert!(status.tripped);
                assert_eq!(status.slot, slot);
                assert_eq!(status.reason_label, Some(reason));
                let metrics = bench.layer.metrics().encode_text();
                assert!(metrics.contains("blindfold_circuit_breaker_tripped 1"));
            }
        }
    }
}

#[tokio::test]
async fn unregistered_proposer_asks_no_builder() {
    let bench = Bench::start(BenchOptions::relays(1)).await;
    *bench.chain.registration.lock() = None;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(
        produced.choice.reason,
        ChoiceReason::BuildersNotAsked("not_registered")
    );
    assert_eq!(
        outcome(&produced, &bench.name(0)),
        &BuilderOutcome::Skipped("not_registered")
    );
    assert_eq!(bench.headers_served(0), 0);
}

#[tokio::test]
async fn engine_down_uses_a_valid_bid_before_signing() {
    let mut options = BenchOptions::relays(1);
    options.engine_down = true;
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(produced.choice.reason, ChoiceReason::LocalUnavailable);
    assert!(produced.local.is_none() && produced.local_error.is_some());
}

#[tokio::test]
async fn engine_down_and_no_bid_is_an_error() {
    let mut options = BenchOptions::relays(1);
    options.engine_down = true;
    options.relays[0] = RelayFaults {
        no_bid: true,
        ..RelayFaults::default()
    };
    let bench = Bench::start(options).await;
    let result = bench.layer.get_payload(&bench.request(1)).await;
    assert!(
        matches!(result, Err(PayloadError::NoPayload { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn registrations_reach_every_enabled_builder() {
    let bench = Bench::start(BenchOptions::relays(2)).await;
    // The bench registered the proposer through the layer at start.
    for relay in &bench.relays {
        assert_eq!(relay.stats().registrations, 1);
        assert_eq!(
            relay
                .registration(&proposer_key().public_key().to_bytes())
                .map(|r| r.fee_recipient),
            Some(FEE_RECIPIENT)
        );
    }
    // A registration signed by another key is refused by each builder, and reported per builder.
    let message = types::ValidatorRegistrationV1 {
        fee_recipient: FEE_RECIPIENT,
        gas_limit: 30_000_000,
        timestamp: 1,
        pubkey: proposer_key().public_key().to_bytes(),
    };
    let signature = bls::interop_secret_key(5)
        .sign(types::compute_signing_root(&message, bench.spec.builder_domain()).as_slice())
        .to_bytes();
    let results = bench
        .layer
        .register_validators(&[types::SignedValidatorRegistrationV1 { message, signature }])
        .await;
    assert_eq!(results.len(), 2);
    for (i, (builder, result)) in results.iter().enumerate() {
        assert_eq!(builder, &bench.name(i));
        assert!(result.is_err(), "{builder} accepted a bad registration");
    }
}

#[tokio::test]
async fn too_many_withdrawals_is_a_clear_error() {
    let bench = Bench::start(BenchOptions::default()).await;
    let mut request = bench.request(1);
    request.withdrawals = vec![request.withdrawals[0].clone(); 17];
    let result = bench.layer.get_payload(&request).await;
    assert!(
        matches!(result, Err(PayloadError::TooManyWithdrawals(17))),
        "{result:?}"
    );
}

#[tokio::test]
async fn local_payload_deadline_takes_a_valid_bid_when_the_engine_hangs() {
    let mut options = BenchOptions::relays(1);
    options.engine_hangs = true;
    let bench = Bench::start(options).await;
    let mut request = bench.request(1);
    request.local_payload_deadline =
        Some(tokio::time::Instant::now() + std::time::Duration::from_millis(300));
    let start = std::time::Instant::now();
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_eq!(produced.choice.reason, ChoiceReason::LocalUnavailable);
    assert!(produced.local.is_none());
    assert!(
        produced
            .local_error
            .as_deref()
            .is_some_and(|e| e.contains("deadline")),
        "{:?}",
        produced.local_error
    );
    // Generous bound: the hung engine's forkchoiceUpdated would only time out after 8 s.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(6),
        "the hung engine was awaited: {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn local_payload_deadline_without_a_valid_bid_still_awaits_the_engine() {
    let mut options = BenchOptions::relays(1);
    options.relays[0].no_bid = true;
    let bench = Bench::start(options).await;
    bench.el_mock.update_faults(|f| {
        f.delay_ms.insert("engine_getPayloadV4".into(), 800);
    });
    let mut request = bench.request(1);
    request.local_payload_deadline =
        Some(tokio::time::Instant::now() + std::time::Duration::from_millis(50));
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(produced.choice.reason, ChoiceReason::NoValidBids);
    assert!(produced.local.is_some() && produced.local_error.is_none());
}

#[tokio::test]
async fn local_payload_in_time_competes_as_usual() {
    let mut options = BenchOptions::relays(1);
    options.bonuses = vec![99];
    let bench = Bench::start(options).await;
    let mut request = bench.request(1);
    request.builder_boost_factor = Some(1);
    request.local_payload_deadline =
        Some(tokio::time::Instant::now() + std::time::Duration::from_secs(30));
    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(
        produced.choice.reason.reason(),
        "local_value_higher_or_equal"
    );
}
