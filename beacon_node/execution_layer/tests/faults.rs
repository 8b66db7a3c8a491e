//! One test per bid check and per relay fault: the fault is switched on in the relay, the bid is
//! rejected (or ignored) with its own reason, recorded in the builder's state and metrics, and the
//! local payload is chosen.

use crate::harness::*;
use execution_layer::{BuilderOutcome, ChoiceReason, PayloadSource};
use mock_relay::RelayFaults;

/// Runs one proposal against a relay with `faults` and checks that the local payload won with no valid
/// bids; returns the builder's outcome.
async fn local_chosen_with(faults: RelayFaults, pin_keys: bool) -> (Bench, BuilderOutcome) {
    let mut options = BenchOptions::relays(1);
    options.relays[0] = faults;
    options.pin_keys = pin_keys;
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(produced.choice.reason, ChoiceReason::NoValidBids);
    assert!(produced.local.is_some());
    let outcome = outcome(&produced, &bench.name(0)).clone();
    (bench, outcome)
}

/// A bid check: the relay's fault makes the bid fail exactly `reason`.
async fn rejected_for(faults: RelayFaults, pin_keys: bool, reason: &str) {
    let (bench, outcome) = local_chosen_with(faults, pin_keys).await;
    assert!(
        matches!(&outcome, BuilderOutcome::Rejected(r) if r.reason() == reason),
        "expected {reason}, got {outcome:?}"
    );
    let state = &bench.layer.builder_states()[0];
    assert_eq!(state.counters.rejections.get(reason), Some(&1));
    assert_eq!(state.counters.bids, 0);
    let metrics = bench.layer.metrics().encode_text();
    let line = format!(
        r#"blindfold_builder_bid_rejections_total{{builder="{}",reason="{reason}"}} 1"#,
        bench.name(0)
    );
    assert!(metrics.contains(&line), "{line} missing from\n{metrics}");
}

macro_rules! bid_check {
    ($name:ident, $field:ident, $reason:literal) => {
        #[tokio::test]
        async fn $name() {
            rejected_for(
                RelayFaults {
                    $field: true,
                    ..RelayFaults::default()
                },
                false,
                $reason,
            )
            .await;
        }
    };
}

bid_check!(wrong_parent_hash, wrong_parent_hash, "wrong_parent_hash");
bid_check!(
    wrong_fee_recipient,
    wrong_fee_recipient,
    "wrong_fee_recipient"
);
bid_check!(wrong_gas_limit, wrong_gas_limit, "wrong_gas_limit");
bid_check!(wrong_prev_randao, wrong_prev_randao, "wrong_prev_randao");
bid_check!(wrong_timestamp, wrong_timestamp, "wrong_timestamp");
bid_check!(
    wrong_withdrawals_root,
    wrong_withdrawals_root,
    "wrong_withdrawals_root"
);
bid_check!(wrong_block_number, wrong_block_number, "wrong_block_number");
bid_check!(too_many_blobs, too_many_blobs, "too_many_blob_commitments");
bid_check!(bad_signature, bad_signature, "invalid_signature");
bid_check!(zero_value, zero_value, "zero_value");

#[tokio::test]
async fn wrong_pubkey_is_caught_by_a_pinned_key() {
    rejected_for(
        RelayFaults {
            wrong_pubkey: true,
            ..RelayFaults::default()
        },
        true,
        "unexpected_builder_pubkey",
    )
    .await;
}

#[tokio::test]
async fn wrong_pubkey_without_a_pin_is_a_valid_bid() {
    // The bid is validly signed by another key: only a pinned key can tell.
    let mut options = BenchOptions::relays(1);
    options.relays[0].wrong_pubkey = true;
    let bench = Bench::start(options).await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    assert_ne!(
        produced.winner.expect("a winner").bid.pubkey(),
        bench.relays[0].pubkey()
    );
}

#[tokio::test]
async fn late_bid_is_ignored() {
    let (bench, outcome) = local_chosen_with(
        RelayFaults {
            get_header_delay_ms: 3 * GET_HEADER_TIMEOUT.as_millis() as u64,
            ..RelayFaults::default()
        },
        false,
    )
    .await;
    assert_eq!(outcome, BuilderOutcome::Timeout);
    assert_eq!(bench.layer.builder_states()[0].counters.timeouts, 1);
    let metrics = bench.layer.metrics().encode_text();
    assert!(metrics.contains(&format!(
        r#"blindfold_builder_get_header_failures_total{{builder="{}",kind="timeout"}} 1"#,
        bench.name(0)
    )));
}

#[tokio::test]
async fn server_error_is_an_error() {
    let (bench, outcome) = local_chosen_with(
        RelayFaults {
            get_header_status: Some(503),
            ..RelayFaults::default()
        },
        false,
    )
    .await;
    assert!(
        matches!(&outcome, BuilderOutcome::Error(e) if e.contains("503")),
        "{outcome:?}"
    );
    assert_eq!(bench.layer.builder_states()[0].counters.errors, 1);
}

#[tokio::test]
async fn malformed_json_is_an_error() {
    let (bench, outcome) = local_chosen_with(
        RelayFaults {
            malformed_json: true,
            ..RelayFaults::default()
        },
        false,
    )
    .await;
    assert!(matches!(outcome, BuilderOutcome::Error(_)), "{outcome:?}");
    assert_eq!(bench.layer.builder_states()[0].counters.errors, 1);
}

#[tokio::test]
async fn no_bid_is_recorded() {
    let (bench, outcome) = local_chosen_with(
        RelayFaults {
            no_bid: true,
            ..RelayFaults::default()
        },
        false,
    )
    .await;
    assert_eq!(outcome, BuilderOutcome::NoBid);
    assert_eq!(bench.layer.builder_states()[0].counters.no_bids, 1);
}
