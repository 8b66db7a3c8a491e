//! registerValidator: signatures under the builder domain, timestamps, the 400 body, JSON and SSZ.

use crate::common::*;
use bls::SecretKey;
use builder_api::BuilderError;
use types::ForkName;

#[tokio::test]
async fn valid_registrations_are_stored() {
    let rig = Rig::new(ForkName::Deneb).await;
    let second = SecretKey::random();
    let batch = [
        rig.registration(&rig.proposer, now()),
        rig.registration(&second, now()),
    ];
    rig.client.register_validators(&batch).await.unwrap();
    let stored = rig.relay.registration(&rig.proposer_pubkey()).unwrap();
    assert_eq!(stored.fee_recipient, rig.fee_recipient);
    assert_eq!(stored.gas_limit, GAS_LIMIT_TARGET);
    assert!(rig
        .relay
        .registration(&second.public_key().to_bytes())
        .is_some());
    assert_eq!(rig.relay.stats().registrations, 2);
}

#[tokio::test]
async fn json_registrations_are_accepted_too() {
    let rig = Rig::new(ForkName::Capella).await;
    let json_client = rig.client_with(|c| c.prefer_ssz = false);
    json_client
        .register_validators(&[rig.registration(&rig.proposer, now())])
        .await
        .unwrap();
    assert!(rig.relay.registration(&rig.proposer_pubkey()).is_some());
}

/// The 400 answer names the index and pubkey of the bad entry; the batch is refused as a whole.
fn assert_refused(e: BuilderError, index: usize, pubkey: &types::PublicKeyBytes, why: &str) {
    match e {
        BuilderError::Http {
            status: 400,
            message,
            ..
        } => {
            assert!(
                message.contains(&format!("registration {index}")),
                "{message}"
            );
            assert!(message.contains(&pubkey.to_string()), "{message}");
            assert!(message.contains(why), "{message}");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bad_signature_refuses_the_batch() {
    let rig = Rig::new(ForkName::Deneb).await;
    let other = SecretKey::random();
    let good = rig.registration(&rig.proposer, now());
    let mut bad = rig.registration(&other, now());
    // Signed by the proposer's key, claiming the other key.
    bad.signature = good.signature;
    let e = rig
        .client
        .register_validators(&[good, bad.clone()])
        .await
        .unwrap_err();
    assert_refused(e, 1, &bad.message.pubkey, "signature");
    assert!(rig.relay.registration(&rig.proposer_pubkey()).is_none());
    assert_eq!(rig.relay.stats().rejections, 1);
}

#[tokio::test]
async fn a_stale_timestamp_is_refused() {
    let rig = Rig::new(ForkName::Deneb).await;
    let t = now();
    rig.client
        .register_validators(&[rig.registration(&rig.proposer, t)])
        .await
        .unwrap();
    // The same timestamp again is fine (the spec only forbids going back).
    rig.client
        .register_validators(&[rig.registration(&rig.proposer, t)])
        .await
        .unwrap();
    let e = rig
        .client
        .register_validators(&[rig.registration(&rig.proposer, t - 1)])
        .await
        .unwrap_err();
    assert_refused(e, 0, &rig.proposer_pubkey(), "older than the previous");
}

#[tokio::test]
async fn a_future_timestamp_is_refused() {
    let rig = Rig::new(ForkName::Deneb).await;
    rig.client
        .register_validators(&[rig.registration(&rig.proposer, now() + 5)])
        .await
        .unwrap();
    let e = rig
        .client
        .register_validators(&[rig.registration(&rig.proposer, now() + 60)])
        .await
        .unwrap_err();
    assert_refused(e, 0, &rig.proposer_pubkey(), "in the future");
}

#[tokio::test]
async fn undecodable_registrations_are_400() {
    let rig = Rig::new(ForkName::Deneb).await;
    let response = reqwest::Client::new()
        .post(format!("{}eth/v1/builder/validators", rig.relay.url()))
        .header("content-type", "application/json")
        .body("[{\"message\": 1}]")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], 400);
    assert!(body["message"].as_str().unwrap().contains("undecodable"));
}

#[tokio::test]
async fn an_unsupported_content_type_is_415_with_the_error_body() {
    let rig = Rig::new(ForkName::Deneb).await;
    let (status, body) = rig
        .post_raw(
            "eth/v1/builder/validators",
            &[("content-type", "text/plain")],
            b"[]".to_vec(),
        )
        .await;
    assert_eq!(status, 415, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["code"], 415);
    assert!(json["message"].as_str().unwrap().contains("text/plain"));
}
