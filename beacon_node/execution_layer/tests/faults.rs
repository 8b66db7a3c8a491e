//! One test per bid check and per relay fault: the fault is switched on in the relay, the bid is
//! rejected (or ignored) with its own reason, recorded in the builder's state and metrics, and the
//! local payload is chosen.

use crate::harness::*;
use execution_layer::{BuilderOutcome, ChoiceReason, PayloadSource};
use mock_relay::RelayFaults;
use types::ssz_types::VariableList;
use types::{compute_signing_root, BuilderBid, DepositRequest, ForkName, SignedBuilderBid};

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
    assert_rejection_recorded(&bench, 0, &outcome, reason);
}

/// Builder `index`'s bid failed `reason`, and its state and metrics say so.
fn assert_rejection_recorded(bench: &Bench, index: usize, outcome: &BuilderOutcome, reason: &str) {
    assert!(
        matches!(outcome, BuilderOutcome::Rejected(r) if r.reason() == reason),
        "expected {reason}, got {outcome:?}"
    );
    let state = &bench.layer.builder_states()[index];
    assert_eq!(state.counters.rejections.get(reason), Some(&1));
    assert_eq!(state.counters.bids, 0);
    let metrics = bench.layer.metrics().encode_text();
    let line = format!(
        r#"blindfold_builder_bid_rejections_total{{builder="{}",reason="{reason}"}} 1"#,
        bench.name(index)
    );
    assert!(metrics.contains(&line), "{line} missing from\n{metrics}");
}

#[tokio::test]
async fn wrong_fork_is_rejected() {
    // A builder that answers with a Deneb bid for an Electra slot.
    let bench = Bench::start(BenchOptions {
        canned_builder: true,
        ..BenchOptions::default()
    })
    .await;
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Local);
    assert_eq!(produced.choice.reason, ChoiceReason::NoValidBids);
    let outcome = outcome(&produced, &bench.name(0)).clone();
    assert_rejection_recorded(&bench, 0, &outcome, "wrong_fork");
}

#[tokio::test]
async fn malformed_execution_requests_are_rejected() {
    // The relay's honest bid, given a deposit of zero gwei and signed again with the relay's key, is
    // served by a second builder: only the execution requests check can refuse it.
    let bench = Bench::start(BenchOptions {
        canned_builder: true,
        ..BenchOptions::relays(1)
    })
    .await;
    let request = bench.request(1);
    let bid = bench.builder_clients[0]
        .get_header::<E>(1, request.parent_hash, &request.proposer_pubkey, bench.fork)
        .await
        .expect("getHeader")
        .expect("a bid");
    let SignedBuilderBid::Electra(mut bid) = bid else {
        panic!("an Electra bid")
    };
    bid.message.execution_requests.deposits = VariableList::new(vec![DepositRequest {
        amount: 0,
        ..DepositRequest::default()
    }])
    .expect("one deposit fits");
    let root = compute_signing_root(
        &BuilderBid::<E>::Electra(bid.message.clone()),
        bench.spec.builder_domain(),
    );
    bid.signature = relay_key(0).sign(root.as_slice()).to_bytes();
    let data = serde_json::to_value(&bid).expect("serialisable");
    let canned = bench.canned.as_ref().expect("the canned builder");
    canned.answer(ForkName::Electra, data);

    let produced = bench.layer.get_payload(&request).await.expect("a payload");
    assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
    let outcome = outcome(&produced, &bench.name(1)).clone();
    assert_rejection_recorded(&bench, 1, &outcome, "malformed_execution_requests");
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

/// A getHeader that gave no usable bid: the local payload is chosen, and the builder's counter and the
/// metric say so: `blindfold_builder_get_header_failures_total` of `kind` (`timeout`, `error`), or
/// `blindfold_builder_no_bids_total` for a 204, which is "no bid", not a failure.
async fn failure_recorded(faults: RelayFaults, kind: &str) -> BuilderOutcome {
    let (bench, outcome) = local_chosen_with(faults, false).await;
    let counters = &bench.layer.builder_states()[0].counters;
    let counted = match kind {
        "timeout" => counters.timeouts,
        "error" => counters.errors,
        _ => counters.no_bids,
    };
    assert_eq!(counted, 1, "{kind}: {counters:?}");
    let metrics = bench.layer.metrics().encode_text();
    let line = if kind == "no_bid" {
        format!(
            r#"blindfold_builder_no_bids_total{{builder="{}"}} 1"#,
            bench.name(0)
        )
    } else {
        format!(
            r#"blindfold_builder_get_header_failures_total{{builder="{}",kind="{kind}"}} 1"#,
            bench.name(0)
        )
    };
    assert!(metrics.contains(&line), "{line} missing from\n{metrics}");
    if kind == "no_bid" {
        assert!(
            !metrics.contains("blindfold_builder_get_header_failures_total{"),
            "a 204 is not a failure:\n{metrics}"
        );
    }
    outcome
}

#[tokio::test]
async fn late_bid_is_ignored() {
    // The relay would answer after 30 s; the proposal does not wait for it (the request is dropped at
    // the getHeader timeout).
    let start = std::time::Instant::now();
    let faults = RelayFaults {
        get_header_delay_ms: 30_000,
        ..RelayFaults::default()
    };
    let outcome = failure_recorded(faults, "timeout").await;
    assert!(
        start.elapsed() < std::time::Duration::from_secs(15),
        "the late builder was awaited: {:?}",
        start.elapsed()
    );
    assert_eq!(outcome, BuilderOutcome::Timeout);
}

#[tokio::test]
async fn server_error_is_an_error() {
    let faults = RelayFaults {
        get_header_status: Some(503),
        ..RelayFaults::default()
    };
    let outcome = failure_recorded(faults, "error").await;
    assert!(
        matches!(&outcome, BuilderOutcome::Error(e) if e.contains("503")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_an_error() {
    let faults = RelayFaults {
        malformed_json: true,
        ..RelayFaults::default()
    };
    let outcome = failure_recorded(faults, "error").await;
    assert!(
        matches!(&outcome, BuilderOutcome::Error(e) if e.contains("JSON")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn no_bid_is_recorded() {
    let faults = RelayFaults {
        no_bid: true,
        ..RelayFaults::default()
    };
    assert_eq!(
        failure_recorded(faults, "no_bid").await,
        BuilderOutcome::NoBid
    );
}
