//! status and registerValidator: batches, SSZ bodies, the remembered JSON fallback, refused batches.

use crate::*;
use builder_api::BuilderError;
use types::ssz::Decode;
use types::SignedValidatorRegistrationV1;

/// `n` distinct registrations, from the example with the timestamp varied.
fn registrations(n: u64) -> Vec<SignedValidatorRegistrationV1> {
    let list: Vec<SignedValidatorRegistrationV1> =
        serde_json::from_value(example_json("bellatrix", "signed_validator_registrations"))
            .unwrap();
    (0..n)
        .map(|i| {
            let mut r = list[0].clone();
            r.message.timestamp = 1_000 + i;
            r
        })
        .collect()
}

/// The registrations a request carried, in whichever encoding it used.
fn decode_batch(request: &Recorded) -> Vec<SignedValidatorRegistrationV1> {
    if request.is_ssz() {
        assert_eq!(request.body.len() % 180, 0);
        request
            .body
            .chunks(180)
            .map(|c| SignedValidatorRegistrationV1::from_ssz_bytes(c).unwrap())
            .collect()
    } else {
        assert_eq!(request.content_type(), Some("application/json"));
        serde_json::from_slice(&request.body).unwrap()
    }
}

#[tokio::test]
async fn status_ok_and_failing() {
    let builder = MockBuilder::start(|_| Reply::status(200));
    builder.client().status().await.unwrap();
    let request = &builder.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/eth/v1/builder/status")
    );

    let builder = MockBuilder::start(|_| Reply::error(500, "Internal server error"));
    let err = builder.client().status().await.unwrap_err();
    assert!(
        matches!(err, BuilderError::Http { status: 500, ref message, .. } if message == "Internal server error"),
        "{err}"
    );
}

#[tokio::test]
async fn registrations_go_in_ordered_ssz_batches() {
    let all = registrations(7);
    let builder = MockBuilder::start(|_| Reply::status(200));
    let mut config = builder.config();
    config.registration_batch_size = 3;
    let client = BuilderClient::new(config).unwrap();
    client.register_validators(&all).await.unwrap();

    let requests = builder.requests();
    assert_eq!(requests.len(), 3);
    let mut sent = Vec::new();
    for (request, size) in requests.iter().zip([3, 3, 1]) {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/eth/v1/builder/validators")
        );
        assert!(request.is_ssz());
        let batch = decode_batch(request);
        assert_eq!(batch.len(), size);
        sent.extend(batch);
    }
    assert_eq!(sent, all);

    // Nothing to register: no request.
    client.register_validators(&[]).await.unwrap();
    assert_eq!(builder.requests().len(), 3);
}

#[tokio::test]
async fn unsupported_media_type_falls_back_to_json_and_remembers() {
    let builder = MockBuilder::start(|request| {
        if request.is_ssz() {
            Reply::error(415, "Cannot read the supplied content type.")
        } else {
            Reply::status(200)
        }
    });
    let client = builder.client();
    let all = registrations(2);
    client.register_validators(&all).await.unwrap();
    let requests = builder.requests();
    assert_eq!(requests.len(), 2, "one SSZ try, one JSON retry");
    assert!(requests[0].is_ssz());
    assert_eq!(decode_batch(&requests[1]), all);
    assert!(!client.uses_ssz());

    // Remembered: the next call goes straight to JSON, clones included.
    client.clone().register_validators(&all).await.unwrap();
    let requests = builder.requests();
    assert_eq!(requests.len(), 3);
    assert!(!requests[2].is_ssz());
}

#[tokio::test]
async fn json_retry_refused_too_is_unsupported_media_type() {
    let builder = MockBuilder::start(|_| Reply::error(415, "nope"));
    let err = builder
        .client()
        .register_validators(&registrations(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuilderError::UnsupportedMediaType { status: 415, ref message, .. } if message == "nope"),
        "{err}"
    );
    assert_eq!(builder.requests().len(), 2, "retried once only");
}

#[tokio::test]
async fn json_only_config_never_sends_ssz() {
    let builder = MockBuilder::start(|_| Reply::status(200));
    let mut config = builder.config();
    config.prefer_ssz = false;
    let client = BuilderClient::new(config).unwrap();
    client.register_validators(&registrations(1)).await.unwrap();
    let requests = builder.requests();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].is_ssz());
}

#[tokio::test]
async fn a_refused_batch_does_not_stop_the_others() {
    let builder = MockBuilder::start(|request| {
        let batch: Vec<SignedValidatorRegistrationV1> = decode_batch(request);
        if batch[0].message.timestamp == 1_002 {
            Reply::error(400, "unknown validator")
        } else {
            Reply::status(200)
        }
    });
    let mut config = builder.config();
    config.registration_batch_size = 2;
    let client = BuilderClient::new(config).unwrap();
    let err = client
        .register_validators(&registrations(6))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuilderError::Http { status: 400, ref message, .. } if message == "unknown validator"),
        "{err}"
    );
    assert_eq!(builder.requests().len(), 3);
    assert!(client.uses_ssz(), "a plain 400 is not a media-type refusal");
}

#[tokio::test]
async fn a_slow_builder_stops_the_batches() {
    let builder = MockBuilder::start(|_| Reply::status(200).delay(Duration::from_secs(5)));
    let mut config = builder.config();
    config.registration_batch_size = 1;
    config.timeouts.register_validator = Duration::from_millis(200);
    let client = BuilderClient::new(config).unwrap();
    let err = client
        .register_validators(&registrations(3))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BuilderError::Timeout {
                operation: "registerValidator",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(builder.requests().len(), 1);
}
