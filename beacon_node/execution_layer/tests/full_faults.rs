//! Every fault of a full-payload builder: the proposal falls back to the local payload, and an INVALID
//! payload isolates the builder; a request with a bad proposer signature gets nothing.

use crate::harness::{outcome, post_rpc, request_key, Bench, BenchOptions};
use execution_layer::full_payload::signing::{request_digest, Secp256k1Key};
use execution_layer::full_payload::PayloadRequestV1;
use execution_layer::{BidRejection, BuilderOutcome, PayloadSource};
use mock_relay::{InvalidPayloadFault, RelayFaults};
use std::time::Duration;

/// A bench with one full-payload builder of the kind asked for, with `faults`.
async fn bench(engine: bool, faults: RelayFaults, syncing_proxy: bool) -> Bench {
    let mut options = BenchOptions {
        syncing_proxy,
        ..BenchOptions::default()
    };
    if engine {
        options.engine_builders = vec![faults];
    } else {
        options.rpc_builders = vec![faults];
    }
    Bench::start(options).await
}

/// Proposes once with a builder under `faults`; the local payload must win. Returns the outcome.
async fn local_wins(engine: bool, faults: RelayFaults, syncing_proxy: bool) -> BuilderOutcome {
    let bench = bench(engine, faults.clone(), syncing_proxy).await;
    let produced = bench.propose(1).await;
    assert_eq!(
        produced.choice.source,
        PayloadSource::Local,
        "{faults:?}: {:?}",
        produced.builders
    );
    assert!(produced.full_winner.is_none() && produced.local.is_some());
    let name = bench.layer.builder_names()[0].clone();
    outcome(&produced, &name).clone()
}

fn rejected(outcome: &BuilderOutcome) -> &BidRejection {
    match outcome {
        BuilderOutcome::Rejected(rejection) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn rpc_answer_faults_fall_back_to_local() {
    let cases: Vec<(RelayFaults, &str)> = vec![
        (
            RelayFaults {
                unsigned_payload: true,
                ..Default::default()
            },
            "unsigned",
        ),
        (
            RelayFaults {
                wrong_signer: true,
                ..Default::default()
            },
            "wrong_signer",
        ),
        (
            RelayFaults {
                wrong_pubkey: true,
                ..Default::default()
            },
            "wrong_signer",
        ),
        // A signature over another value recovers another address.
        (
            RelayFaults {
                bad_signature: true,
                ..Default::default()
            },
            "wrong_signer",
        ),
        (
            RelayFaults {
                wrong_parent_hash: true,
                ..Default::default()
            },
            "wrong_parent_hash",
        ),
        (
            RelayFaults {
                wrong_prev_randao: true,
                ..Default::default()
            },
            "wrong_prev_randao",
        ),
        (
            RelayFaults {
                wrong_timestamp: true,
                ..Default::default()
            },
            "wrong_timestamp",
        ),
        (
            RelayFaults {
                wrong_block_number: true,
                ..Default::default()
            },
            "wrong_block_number",
        ),
        (
            RelayFaults {
                wrong_gas_limit: true,
                ..Default::default()
            },
            "wrong_gas_limit",
        ),
        (
            RelayFaults {
                wrong_withdrawals_root: true,
                ..Default::default()
            },
            "wrong_withdrawals_root",
        ),
    ];
    for (faults, reason) in cases {
        let outcome = local_wins(false, faults.clone(), false).await;
        assert_eq!(rejected(&outcome).reason(), reason, "{faults:?}");
    }
}

#[tokio::test]
async fn rpc_transport_faults_fall_back_to_local() {
    let slow = RelayFaults {
        get_header_delay_ms: 400,
        ..Default::default()
    };
    assert_eq!(
        local_wins(false, slow, false).await,
        BuilderOutcome::Timeout
    );
    let status = RelayFaults {
        get_header_status: Some(503),
        ..Default::default()
    };
    assert!(matches!(
        local_wins(false, status, false).await,
        BuilderOutcome::Error(_)
    ));
    let junk = RelayFaults {
        malformed_json: true,
        ..Default::default()
    };
    assert!(matches!(
        local_wins(false, junk, false).await,
        BuilderOutcome::Error(_)
    ));
    let none = RelayFaults {
        no_bid: true,
        ..Default::default()
    };
    assert_eq!(local_wins(false, none, false).await, BuilderOutcome::NoBid);
    let zero = RelayFaults {
        zero_value: true,
        ..Default::default()
    };
    assert!(matches!(
        local_wins(false, zero, false).await,
        BuilderOutcome::Bid { .. }
    ));
}

#[tokio::test]
async fn a_payload_the_engine_calls_syncing_falls_back_to_local() {
    for engine in [false, true] {
        let faults = RelayFaults {
            syncing_payload: true,
            ..Default::default()
        };
        let outcome = local_wins(engine, faults, true).await;
        assert_eq!(
            rejected(&outcome).reason(),
            "engine_syncing",
            "engine builder: {engine}"
        );
    }
}

#[tokio::test]
async fn an_invalid_payload_isolates_the_builder() {
    for engine in [false, true] {
        let faults = RelayFaults {
            invalid_payload: InvalidPayloadFault::Always,
            ..Default::default()
        };
        let bench = bench(engine, faults, false).await;
        let name = bench.layer.builder_names()[0].clone();
        let produced = bench.propose(1).await;
        assert_eq!(produced.choice.source, PayloadSource::Local);
        assert!(matches!(
            rejected(outcome(&produced, &name)),
            BidRejection::EngineInvalid { .. }
        ));
        assert!(
            bench.layer.is_builder_disabled(&name),
            "engine builder: {engine}"
        );
        let status = &bench.layer.status().builders[0];
        assert_eq!(status.counters.invalid_payloads, 1);
        let produced = bench.propose(2).await;
        assert_eq!(outcome(&produced, &name), &BuilderOutcome::Disabled);
    }
}

#[tokio::test]
async fn a_late_engine_verdict_falls_back_to_local() {
    let mut config = execution_layer::ExecutionLayerConfig::new(
        types::ChainSpec::mainnet().with_forks_at_genesis_up_to(types::ForkName::Electra),
    );
    config.full_payload_builders.new_payload_timeout = Duration::from_millis(100);
    let bench = Bench::start(BenchOptions {
        rpc_builders: vec![RelayFaults::default()],
        config: Some(config),
        ..BenchOptions::default()
    })
    .await;
    bench.el_mock.update_faults(|f| {
        f.delay_ms.insert("engine_newPayloadV4".into(), 300);
    });
    let produced = bench.propose(1).await;
    assert_eq!(produced.choice.source, PayloadSource::Local);
    let name = bench.layer.builder_names()[0].clone();
    assert_eq!(
        rejected(outcome(&produced, &name)).reason(),
        "engine_check_failed"
    );
    assert!(
        !bench.layer.is_builder_disabled(&name),
        "a slow engine blames no builder"
    );
}

#[tokio::test]
async fn engine_builder_faults_fall_back_to_local() {
    let slow = RelayFaults {
        get_header_delay_ms: 700,
        ..Default::default()
    };
    assert_eq!(local_wins(true, slow, false).await, BuilderOutcome::Timeout);
    let none = RelayFaults {
        no_bid: true,
        ..Default::default()
    };
    assert!(matches!(
        local_wins(true, none, false).await,
        BuilderOutcome::Error(_)
    ));
    let wrong = RelayFaults {
        wrong_prev_randao: true,
        ..Default::default()
    };
    assert_eq!(
        rejected(&local_wins(true, wrong, false).await).reason(),
        "wrong_prev_randao"
    );
}

#[tokio::test]
async fn the_engine_face_refuses_another_jwt() {
    let bench = bench(true, RelayFaults::default(), false).await;
    let client = engine_api::EngineClient::new(
        bench.full_relays[0].url(),
        engine_api::JwtAuth::new(crate::harness::jwt()),
    )
    .unwrap();
    let state = engine_api::ForkchoiceStateV1::default();
    let error = client
        .forkchoice_updated(types::ForkName::Electra, state, None)
        .await
        .unwrap_err();
    assert!(error.is_auth(), "{error}");
    assert_eq!(bench.full_relays[0].full_stats().forkchoice_updates, 0);
}

/// A request the builder cannot attribute to its proposer gets nothing: no payload is built or served.
#[tokio::test]
async fn a_request_with_a_bad_proposer_signature_gets_nothing() {
    let bench = bench(false, RelayFaults::default(), false).await;
    let request = bench.request(1);
    let relay = &bench.full_relays[0];
    let proposer = request_key();
    let v1 = PayloadRequestV1 {
        block_number: request.parent_block_number + 1,
        parent_hash: request.parent_hash,
        pub_key: proposer.address(),
        gas_limit: request.parent_gas_limit,
        parent_beacon_block_root: request.parent_beacon_block_root,
    };
    let sign = |key: &Secp256k1Key, builder| {
        format!(
            "0x{}",
            crate::full_payload::hex(&key.sign_digest(request_digest(&v1, builder)))
        )
    };
    let intruder = Secp256k1Key::from_bytes(&[0x66; 32]).unwrap();
    let bad = [
        sign(&intruder, relay.secp256k1_address()),
        // Signed for another builder.
        sign(&proposer, types::Address::repeat_byte(1)),
        "0x".to_string(),
        format!("0x{}", "ab".repeat(65)),
    ];
    for signature in bad {
        let answer = post_rpc(
            &relay.url(),
            "builder_getPayloadV1",
            serde_json::json!([v1, signature]),
        )
        .await;
        assert!(answer.get("result").is_none(), "{answer}");
        assert_eq!(
            answer["error"]["code"],
            mock_relay::UNAUTHORIZED_CODE,
            "{answer}"
        );
    }
    let stats = relay.full_stats();
    assert_eq!((stats.requests_refused, stats.payloads_served), (4, 0));
    // The proposer's own signature is answered.
    let answer = post_rpc(
        &relay.url(),
        "builder_getPayloadV1",
        serde_json::json!([v1, sign(&proposer, relay.secp256k1_address())]),
    )
    .await;
    assert!(answer["result"]["executionPayload"].is_object(), "{answer}");
    assert_eq!(relay.full_stats().payloads_served, 1);
}
