//! submitBlindedBlock v1 (payload, or payload and blobs) and v2 (202, the builder publishes).

use crate::*;
use builder_api::{BuilderError, UnblindedPayload};
use types::{ExecutionPayload, ExecutionPayloadAndBlobsBundle, SignedBlindedBeaconBlock};

fn block(fork: ForkName) -> SignedBlindedBeaconBlock<E> {
    example(fork, "signed_blinded_beacon_block")
}

#[tokio::test]
async fn v1_capella_returns_the_payload() {
    let (payload, envelope) =
        versioned_example::<ExecutionPayload<E>>(ForkName::Capella, "execution_payload");
    let builder = MockBuilder::start(move |_| Reply::json(200, &envelope));
    let client = builder.client();
    let block = block(ForkName::Capella);
    let got = client.submit_blinded_block_v1(&block).await.unwrap();
    assert_eq!(got, UnblindedPayload::Payload(payload.clone()));
    assert_eq!(got.fork_name(), ForkName::Capella);
    assert_eq!(got.execution_payload(), payload);

    let request = &builder.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/eth/v1/builder/blinded_blocks")
    );
    assert_eq!(request.header("eth-consensus-version"), Some("capella"));
    assert_eq!(
        request.header("accept"),
        Some(builder_api::ACCEPT_SSZ_OR_JSON)
    );
    assert!(request.is_ssz());
    assert_eq!(request.body, ssz(&block));
}

#[tokio::test]
async fn v1_from_deneb_returns_payload_and_blobs_in_ssz_and_json() {
    for fork in [ForkName::Deneb, ForkName::Electra, ForkName::Fulu] {
        let (bundle, envelope) = versioned_example::<ExecutionPayloadAndBlobsBundle<E>>(
            fork,
            "execution_payload_and_blobs_bundle",
        );
        let bytes = ssz(&bundle);
        let builder = MockBuilder::start(move |_| Reply::ssz(fork, bytes.clone()));
        let got = builder
            .client()
            .submit_blinded_block_v1(&block(fork))
            .await
            .unwrap();
        assert_eq!(
            got,
            UnblindedPayload::PayloadAndBlobs(bundle.clone()),
            "{fork}"
        );
        assert_eq!(got.execution_payload(), bundle.execution_payload_enum());

        let builder = MockBuilder::start(move |_| Reply::json(200, &envelope));
        let got = builder
            .client()
            .submit_blinded_block_v1(&block(fork))
            .await
            .unwrap();
        assert_eq!(got, UnblindedPayload::PayloadAndBlobs(bundle), "{fork}");
        assert_eq!(
            builder.requests()[0].header("eth-consensus-version"),
            Some(fork.as_str())
        );
    }
}

#[tokio::test]
async fn v1_answer_of_another_fork_is_refused() {
    let (_, envelope) = versioned_example::<ExecutionPayloadAndBlobsBundle<E>>(
        ForkName::Electra,
        "execution_payload_and_blobs_bundle",
    );
    let builder = MockBuilder::start(move |_| Reply::json(200, &envelope));
    let err = builder
        .client()
        .submit_blinded_block_v1(&block(ForkName::Deneb))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BuilderError::WrongFork { expected: ForkName::Deneb, got, .. } if got == "electra"),
        "{err}"
    );
}

#[tokio::test]
async fn v1_error_message_is_surfaced() {
    let builder = MockBuilder::start(|_| Reply::error(400, "Invalid block: missing signature"));
    let err = builder
        .client()
        .submit_blinded_block_v1(&block(ForkName::Deneb))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuilderError::Http { status: 400, ref message, .. } if message == "Invalid block: missing signature"),
        "{err}"
    );
    assert_eq!(builder.requests().len(), 1, "a plain 400 is not retried");
}

#[tokio::test]
async fn v1_oversized_answer_is_refused() {
    let mut config = BuilderConfig::new(Url::parse("http://127.0.0.1:1").unwrap(), None);
    config.max_blobs_per_block = 0;
    let limit = builder_api::payload_response_limit::<E>(ForkName::Deneb, 0);
    let big = vec![0u8; limit + 1];
    let builder = MockBuilder::start(move |_| Reply::ssz(ForkName::Deneb, big.clone()));
    config.url = builder.url.clone();
    let err = BuilderClient::new(config)
        .unwrap()
        .submit_blinded_block_v1(&block(ForkName::Deneb))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuilderError::ResponseTooLarge { limit: l, .. } if l == limit),
        "{err}"
    );
}

#[tokio::test]
async fn bad_request_naming_the_content_type_falls_back_to_json() {
    let (payload, envelope) =
        versioned_example::<ExecutionPayload<E>>(ForkName::Capella, "execution_payload");
    let builder = MockBuilder::start(move |request| {
        if request.is_ssz() {
            Reply::error(400, "unsupported Content-Type application/octet-stream")
        } else {
            Reply::json(200, &envelope)
        }
    });
    let client = builder.client();
    let block = block(ForkName::Capella);
    let got = client.submit_blinded_block_v1(&block).await.unwrap();
    assert_eq!(got, UnblindedPayload::Payload(payload));
    let requests = builder.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].content_type(), Some("application/json"));
    assert_eq!(requests[1].header("accept"), Some("application/json"));
    assert_eq!(requests[1].header("eth-consensus-version"), Some("capella"));
    let sent: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(sent, example_json("capella", "signed_blinded_beacon_block"));
    assert!(!client.uses_ssz());
}

#[tokio::test]
async fn v2_fulu_is_accepted_with_202() {
    let builder = MockBuilder::start(|_| Reply::status(202));
    let block = block(ForkName::Fulu);
    builder
        .client()
        .submit_blinded_block_v2(&block)
        .await
        .unwrap();
    let request = &builder.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/eth/v2/builder/blinded_blocks")
    );
    assert_eq!(request.header("eth-consensus-version"), Some("fulu"));
    assert!(request.is_ssz());
    assert_eq!(request.body, ssz(&block));
}

#[tokio::test]
async fn v2_refusals() {
    let builder = MockBuilder::start(|_| Reply::error(400, "Invalid block: missing signature"));
    let client = builder.client();
    let err = client
        .submit_blinded_block_v2(&block(ForkName::Fulu))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuilderError::Http { status: 400, ref message, .. } if message == "Invalid block: missing signature"),
        "{err}"
    );

    // v2 does not exist before Fulu: refused without a request.
    let err = client
        .submit_blinded_block_v2(&block(ForkName::Electra))
        .await
        .unwrap_err();
    assert!(matches!(err, BuilderError::InvalidRequest(_)), "{err}");
    assert_eq!(builder.requests().len(), 1);

    let builder = MockBuilder::start(|_| Reply::status(204));
    let err = builder
        .client()
        .submit_blinded_block_v2(&block(ForkName::Fulu))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuilderError::UnexpectedStatus { status: 204, .. }),
        "{err}"
    );
}
