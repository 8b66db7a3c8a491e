//! getHeader: both encodings, no bid, fork checks, headers sent, timeout, errors, size bound, pinning.

use crate::*;
use builder_api::{BuilderError, ACCEPT_SSZ_OR_JSON};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use types::{Hash256, SignedBuilderBid};

const SLOT: u64 = 123;

fn parent_hash() -> Hash256 {
    Hash256::repeat_byte(0xab)
}

fn bid(fork: ForkName) -> (SignedBuilderBid<E>, Value) {
    versioned_example(fork, "signed_builder_bid")
}

async fn get(
    client: &BuilderClient,
    fork: ForkName,
) -> Result<Option<SignedBuilderBid<E>>, BuilderError> {
    client
        .get_header::<E>(SLOT, parent_hash(), &valid_pubkey(1), fork)
        .await
}

#[tokio::test]
async fn json_bid_and_the_headers_sent() {
    let (expected, envelope) = bid(ForkName::Deneb);
    let builder = MockBuilder::start(move |_| {
        Reply::json(200, &envelope).header("eth-consensus-version", "deneb")
    });
    let client = builder.client();
    assert!(client.uses_ssz());
    let got = get(&client, ForkName::Deneb).await.unwrap().unwrap();
    assert_eq!(got, expected);

    let requests = builder.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        format!(
            "/eth/v1/builder/header/{SLOT}/0x{}/{}",
            "ab".repeat(32),
            valid_pubkey(1)
        )
    );
    assert_eq!(request.header("accept"), Some(ACCEPT_SSZ_OR_JSON));
    assert_eq!(request.header("x-timeout-ms"), Some("950"));
    let sent_ms: u128 = request
        .header("date-milliseconds")
        .unwrap()
        .parse()
        .unwrap();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert!(sent_ms <= now_ms && now_ms - sent_ms < 60_000);
    assert!(request
        .header("user-agent")
        .unwrap()
        .starts_with("Blindfold/"));

    // A JSON answer to an SSZ-preferring Accept: the builder speaks JSON, so JSON from now on.
    assert!(!client.uses_ssz());
    get(&client, ForkName::Deneb).await.unwrap().unwrap();
    assert_eq!(
        builder.requests()[1].header("accept"),
        Some("application/json")
    );
}

#[tokio::test]
async fn ssz_bid_every_fork() {
    for fork in [
        ForkName::Capella,
        ForkName::Deneb,
        ForkName::Electra,
        ForkName::Fulu,
    ] {
        let (expected, _) = bid(fork);
        let bytes = ssz(&expected);
        let builder = MockBuilder::start(move |_| Reply::ssz(fork, bytes.clone()));
        let client = builder.client();
        let got = get(&client, fork).await.unwrap().unwrap();
        assert_eq!(got, expected, "{fork}");
        assert!(client.uses_ssz(), "an SSZ answer keeps SSZ on");
    }
}

#[tokio::test]
async fn no_bid_is_none() {
    let builder = MockBuilder::start(|_| Reply::status(204));
    assert_eq!(get(&builder.client(), ForkName::Electra).await, Ok(None));
}

#[tokio::test]
async fn wrong_fork_is_refused() {
    // JSON whose `version` is not the fork asked for.
    let (_, envelope) = bid(ForkName::Deneb);
    let builder = MockBuilder::start(move |_| Reply::json(200, &envelope));
    let err = get(&builder.client(), ForkName::Electra).await.unwrap_err();
    assert!(
        matches!(&err, BuilderError::WrongFork { expected: ForkName::Electra, got, .. } if got == "deneb"),
        "{err}"
    );

    // SSZ whose header names another fork.
    let (deneb, _) = bid(ForkName::Deneb);
    let bytes = ssz(&deneb);
    let builder = MockBuilder::start(move |_| Reply::ssz(ForkName::Deneb, bytes.clone()));
    let err = get(&builder.client(), ForkName::Fulu).await.unwrap_err();
    assert!(matches!(err, BuilderError::WrongFork { .. }), "{err}");

    // JSON whose header disagrees with the fork asked for.
    let (_, envelope) = bid(ForkName::Deneb);
    let builder = MockBuilder::start(move |_| {
        Reply::json(200, &envelope).header("eth-consensus-version", "electra")
    });
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert!(matches!(err, BuilderError::WrongFork { .. }), "{err}");
}

#[tokio::test]
async fn ssz_without_a_version_header_is_refused() {
    let (deneb, _) = bid(ForkName::Deneb);
    let bytes = ssz(&deneb);
    let builder = MockBuilder::start(move |_| {
        Reply::status(200)
            .header("content-type", "application/octet-stream")
            .body(bytes.clone())
    });
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert!(
        matches!(err, BuilderError::MissingConsensusVersion { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn undecodable_and_unexpected_answers() {
    let builder = MockBuilder::start(|_| Reply::ssz(ForkName::Deneb, vec![1, 2, 3]));
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert!(matches!(err, BuilderError::Decode { .. }), "{err}");

    let builder = MockBuilder::start(|_| {
        Reply::status(200)
            .header("content-type", "text/html")
            .body(b"<html>".to_vec())
    });
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert!(
        matches!(err, BuilderError::UnexpectedContentType { ref content_type, .. } if content_type == "text/html"),
        "{err}"
    );

    let builder = MockBuilder::start(|_| Reply::status(202));
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert!(
        matches!(err, BuilderError::UnexpectedStatus { status: 202, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn timeout_returns_promptly() {
    let builder = MockBuilder::start(|_| Reply::status(204).delay(Duration::from_secs(5)));
    let mut config = builder.config();
    config.timeouts.get_header = Duration::from_millis(300);
    let client = BuilderClient::new(config).unwrap();
    let start = Instant::now();
    let err = get(&client, ForkName::Deneb).await.unwrap_err();
    let elapsed = start.elapsed();
    assert!(
        matches!(err, BuilderError::Timeout { operation: "getHeader", timeout } if timeout.as_millis() == 300),
        "{err}"
    );
    assert!(err.is_unavailable());
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    // The timeout plus 100 ms, with generous room for a loaded test machine.
    assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");
    assert_eq!(builder.requests()[0].header("x-timeout-ms"), Some("300"));
}

#[tokio::test]
async fn error_message_is_surfaced() {
    let builder = MockBuilder::start(|_| Reply::error(400, "Unknown hash: missing parent hash"));
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert_eq!(
        err,
        BuilderError::Http {
            operation: "getHeader",
            status: 400,
            message: "Unknown hash: missing parent hash".into()
        }
    );
    assert!(err
        .to_string()
        .contains("Unknown hash: missing parent hash"));

    let builder = MockBuilder::start(|_| Reply::status(500).body(b"boom".to_vec()));
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert!(
        matches!(err, BuilderError::Http { status: 500, ref message, .. } if message == "boom"),
        "{err}"
    );
}

#[tokio::test]
async fn oversized_answer_is_refused() {
    let big = vec![0u8; builder_api::RESPONSE_LIMIT + 1];
    let builder = MockBuilder::start(move |_| Reply::ssz(ForkName::Deneb, big.clone()));
    let err = get(&builder.client(), ForkName::Deneb).await.unwrap_err();
    assert!(
        matches!(err, BuilderError::ResponseTooLarge { limit, .. } if limit == builder_api::RESPONSE_LIMIT),
        "{err}"
    );
}

#[tokio::test]
async fn not_acceptable_falls_back_to_json_accept() {
    let (expected, envelope) = bid(ForkName::Capella);
    let builder = MockBuilder::start(move |request| {
        if request.header("accept") == Some(ACCEPT_SSZ_OR_JSON) {
            Reply::error(406, "Accepted media type not supported")
        } else {
            Reply::json(200, &envelope)
        }
    });
    let client = builder.client();
    assert_eq!(
        get(&client, ForkName::Capella).await.unwrap(),
        Some(expected)
    );
    let requests = builder.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("accept"), Some("application/json"));
    assert!(!client.uses_ssz());
}

#[tokio::test]
async fn pinned_builder_key_is_enforced() {
    let (mut deneb, _) = bid(ForkName::Deneb);
    let pinned = valid_pubkey(7);
    let bytes = ssz(&deneb);
    let builder = MockBuilder::start(move |_| Reply::ssz(ForkName::Deneb, bytes.clone()));
    let mut config = builder.config();
    config.pubkey = Some(pinned);
    let client = BuilderClient::new(config.clone()).unwrap();
    let err = get(&client, ForkName::Deneb).await.unwrap_err();
    assert!(
        matches!(err, BuilderError::UnexpectedBuilderKey { pinned: p, .. } if p == pinned),
        "{err}"
    );

    if let SignedBuilderBid::Deneb(inner) = &mut deneb {
        inner.message.pubkey = pinned;
    }
    let bytes = ssz(&deneb);
    let builder = MockBuilder::start(move |_| Reply::ssz(ForkName::Deneb, bytes.clone()));
    config.url = builder.url.clone();
    let client = BuilderClient::new(config).unwrap();
    assert_eq!(get(&client, ForkName::Deneb).await.unwrap(), Some(deneb));
}

#[tokio::test]
async fn unreachable_builder_is_a_transport_error() {
    // Bind and drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = BuilderConfig::new(
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        None,
    );
    let client = BuilderClient::new(config).unwrap();
    let err = get(&client, ForkName::Deneb).await.unwrap_err();
    assert!(matches!(err, BuilderError::Transport { .. }), "{err}");
    assert!(err.is_unavailable());
}
