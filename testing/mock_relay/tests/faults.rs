//! Every getHeader fault switch, seen at the wire, and the admin endpoint that sets them.

use crate::common::*;
use builder_api::BuilderError;
use mock_relay::{InvalidPayloadFault, RelayFaults};
use serde_json::json;
use std::time::Duration;
use types::*;

#[tokio::test]
async fn delay_trips_the_client_timeout() {
    let rig = Rig::new(ForkName::Deneb).await;
    rig.register().await;
    rig.feed(2);
    rig.relay.update_faults(|f| f.get_header_delay_ms = 3_000);
    let impatient = rig.client_with(|c| c.timeouts.get_header = Duration::from_millis(200));
    let e = rig.get_header_with(&impatient, 2).await.unwrap_err();
    assert!(matches!(e, BuilderError::Timeout { .. }), "{e:?}");
}

#[tokio::test]
async fn status_malformed_json_and_no_bid() {
    let rig = Rig::new(ForkName::Deneb).await;
    rig.register().await;
    rig.feed(2);
    rig.relay.update_faults(|f| f.get_header_status = Some(503));
    let e = rig.get_header(2).await.unwrap_err();
    assert_eq!(status_of(&e), Some(503), "{e:?}");

    rig.relay.set_faults(RelayFaults {
        malformed_json: true,
        ..Default::default()
    });
    let e = rig.get_header(2).await.unwrap_err();
    assert!(matches!(e, BuilderError::Decode { .. }), "{e:?}");

    rig.relay.set_faults(RelayFaults {
        no_bid: true,
        ..Default::default()
    });
    assert_eq!(rig.get_header(2).await.unwrap(), None);

    rig.relay.set_faults(RelayFaults::default());
    assert!(rig.get_header(2).await.unwrap().is_some());
}

/// Each header fault changes its field (and only its field) of the honest header, and the bid is
/// re-signed so that it still verifies.
#[tokio::test]
async fn header_faults_change_their_field() {
    let rig = Rig::new(ForkName::Electra).await;
    let honest = rig.bid(7).await.message_enum().header_enum();
    type Check = fn(&ExecutionPayloadHeader<E>, &ExecutionPayloadHeader<E>) -> bool;
    type Case = (&'static str, fn(&mut RelayFaults), Check);
    let cases: [Case; 7] = [
        (
            "wrong_parent_hash",
            |f| f.wrong_parent_hash = true,
            |a, b| a.parent_hash() != b.parent_hash(),
        ),
        (
            "wrong_fee_recipient",
            |f| f.wrong_fee_recipient = true,
            |a, b| a.fee_recipient() != b.fee_recipient(),
        ),
        (
            "wrong_gas_limit",
            |f| f.wrong_gas_limit = true,
            |a, b| a.gas_limit() != b.gas_limit(),
        ),
        (
            "wrong_prev_randao",
            |f| f.wrong_prev_randao = true,
            |a, b| a.prev_randao() != b.prev_randao(),
        ),
        (
            "wrong_timestamp",
            |f| f.wrong_timestamp = true,
            |a, b| a.timestamp() != b.timestamp(),
        ),
        (
            "wrong_withdrawals_root",
            |f| f.wrong_withdrawals_root = true,
            |a, b| a.withdrawals_root() != b.withdrawals_root(),
        ),
        (
            "wrong_block_number",
            |f| f.wrong_block_number = true,
            |a, b| a.block_number() != b.block_number(),
        ),
    ];
    for (name, set, differs) in cases {
        let mut faults = RelayFaults::default();
        set(&mut faults);
        rig.relay.set_faults(faults);
        let bid = rig.get_header(7).await.unwrap().expect("a bid");
        assert!(bid_verifies(&rig.spec, &bid), "{name}: re-signed");
        let header = bid.message_enum().header_enum();
        assert!(differs(&header, &honest), "{name}: field changed");
        // Everything but that field is the honest header's: putting the honest field back restores it.
        let mut repaired = header.clone();
        match (&mut repaired, &honest) {
            (ExecutionPayloadHeader::Electra(r), ExecutionPayloadHeader::Electra(h)) => {
                r.parent_hash = h.parent_hash;
                r.fee_recipient = h.fee_recipient;
                r.gas_limit = h.gas_limit;
                r.prev_randao = h.prev_randao;
                r.timestamp = h.timestamp;
                r.withdrawals_root = h.withdrawals_root;
                r.block_number = h.block_number;
            }
            _ => panic!("{name}: not an electra header"),
        }
        assert_eq!(repaired, honest, "{name}: only the field changed");
    }
}

#[tokio::test]
async fn too_many_blobs_exceeds_the_fork_limit() {
    let rig = Rig::new(ForkName::Electra).await;
    rig.bid(3).await;
    rig.relay.update_faults(|f| f.too_many_blobs = true);
    let bid = rig.get_header(3).await.unwrap().unwrap();
    let count = bid.message_enum().blob_kzg_commitments().unwrap().len() as u64;
    assert_eq!(count, rig.spec.max_blobs_per_block(0) + 1);
    assert!(bid_verifies(&rig.spec, &bid));
}

#[tokio::test]
async fn signature_pubkey_and_value_faults() {
    let rig = Rig::new(ForkName::Deneb).await;
    let honest = rig.bid(3).await;
    assert!(bid_verifies(&rig.spec, &honest));

    rig.relay.set_faults(RelayFaults {
        bad_signature: true,
        ..Default::default()
    });
    let bid = rig.get_header(3).await.unwrap().unwrap();
    assert_eq!(bid.message_enum(), honest.message_enum());
    assert!(!bid_verifies(&rig.spec, &bid));

    rig.relay.set_faults(RelayFaults {
        wrong_pubkey: true,
        ..Default::default()
    });
    let bid = rig.get_header(3).await.unwrap().unwrap();
    assert_ne!(bid.message_enum().pubkey(), rig.relay.pubkey());
    assert!(bid_verifies(&rig.spec, &bid), "signed by the key it names");
    let pinned = rig.client_with(|c| c.pubkey = Some(rig.relay.pubkey()));
    let e = rig.get_header_with(&pinned, 3).await.unwrap_err();
    assert!(
        matches!(e, BuilderError::UnexpectedBuilderKey { .. }),
        "{e:?}"
    );

    rig.relay.set_faults(RelayFaults {
        zero_value: true,
        ..Default::default()
    });
    let bid = rig.get_header(3).await.unwrap().unwrap();
    assert_eq!(bid.message_enum().value(), U256::ZERO);
    assert!(bid_verifies(&rig.spec, &bid));
}

#[tokio::test]
async fn admin_endpoint_reads_patches_replaces_and_resets() {
    let rig = Rig::new(ForkName::Deneb).await;
    let url = format!("{}admin/faults", rig.relay.url());
    let http = reqwest::Client::new();
    let patched: RelayFaults = http
        .post(&url)
        .json(&json!({"no_bid": true, "invalid_payload": "always"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(patched.no_bid);
    assert_eq!(rig.relay.faults(), patched);
    assert_eq!(
        rig.relay.faults().invalid_payload,
        InvalidPayloadFault::Always
    );
    // A second patch keeps the first one's fields.
    http.post(&url)
        .json(&json!({"get_header_delay_ms": 5}))
        .send()
        .await
        .unwrap();
    let read: RelayFaults = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert!(read.no_bid && read.get_header_delay_ms == 5);
    // Unknown switches are refused and change nothing.
    let refused = http
        .post(&url)
        .json(&json!({"no_bids": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(rig.relay.faults(), read);
    // Replace.
    http.put(&url)
        .json(&json!({"zero_value": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        rig.relay.faults(),
        RelayFaults {
            zero_value: true,
            ..Default::default()
        }
    );
    // Reset.
    http.delete(&url).send().await.unwrap();
    assert_eq!(rig.relay.faults(), RelayFaults::default());
    // Stats and metrics.
    let stats: serde_json::Value = reqwest::get(format!("{}admin/stats", rig.relay.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["headers_served"], 0);
    let metrics = reqwest::get(format!("{}metrics", rig.relay.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("blindfold_mock_relay_headers_served_total 0"));
}

/// `invalid_payload: once` spoils exactly one bid, however many getHeader calls were in flight when
/// it was set (they share one engine build, then each decides on the switch).
#[tokio::test]
async fn invalid_payload_once_spoils_one_of_concurrent_bids() {
    let rig = Rig::new(ForkName::Deneb).await;
    rig.register().await;
    rig.feed(4);
    rig.relay
        .update_faults(|f| f.invalid_payload = InvalidPayloadFault::Once);
    let (a, b, c, d) = tokio::join!(
        rig.get_header(4),
        rig.get_header(4),
        rig.get_header(4),
        rig.get_header(4)
    );
    let spoiled = [a, b, c, d]
        .into_iter()
        .map(|bid| bid.unwrap().expect("a bid").message_enum().header_enum())
        .filter(|header| header.gas_used() > header.gas_limit())
        .count();
    assert_eq!(spoiled, 1);
    assert_eq!(rig.relay.faults().invalid_payload, InvalidPayloadFault::Off);
}

/// A status that is no HTTP status is refused by the admin endpoint (patch and replace alike) rather
/// than turned into a 500 at the next call.
#[tokio::test]
async fn admin_endpoint_refuses_statuses_outside_http() {
    let rig = Rig::new(ForkName::Capella).await;
    let url = format!("{}admin/faults", rig.relay.url());
    let http = reqwest::Client::new();
    for request in [
        http.post(&url).json(&json!({"get_header_status": 1000})),
        http.put(&url).json(&json!({"submit_status": 42})),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("not an HTTP status"),
            "{body}"
        );
    }
    assert_eq!(rig.relay.faults(), RelayFaults::default());
}
