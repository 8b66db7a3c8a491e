//! Content negotiation, unknown routes and methods, body limits and CORS.

use crate::harness::*;
use types::ForkName;

#[tokio::test]
async fn negotiation_routes_and_limits() {
    let env = Env::start_with(
        "errors",
        Options {
            config: http_api::Config {
                listen: "127.0.0.1:0".parse().unwrap(),
                max_body_bytes: 4096,
                ..http_api::Config::default()
            },
            ..Options::default()
        },
    )
    .await;
    env.propose(1, false).await;
    let client = &env.client;

    // Accept: q-values choose; nothing acceptable is 406; JSON-only endpoints refuse SSZ alone.
    let ssz = client
        .get_with_accept(
            "eth/v2/beacon/blocks/head",
            "application/json;q=0.5, application/octet-stream;q=0.9",
        )
        .await
        .unwrap();
    assert_eq!(ssz.headers()["content-type"], "application/octet-stream");
    assert_eq!(ssz.headers()["eth-consensus-version"], "capella");
    let json = client
        .get_with_accept("eth/v2/beacon/blocks/head", "*/*")
        .await
        .unwrap();
    assert_eq!(json.headers()["content-type"], "application/json");
    for (path, accept) in [
        ("eth/v2/beacon/blocks/head", "text/html"),
        ("eth/v1/beacon/blob_sidecars/head", "image/png"),
        (
            "eth/v2/debug/beacon/states/head",
            "application/octet-stream;q=0",
        ),
    ] {
        let error = client.get_with_accept(path, accept).await.unwrap_err();
        assert_eq!(error.status(), Some(406), "{path} {accept}");
        assert_eq!(error.body().unwrap().code, 406);
    }

    // Unknown paths 404 and wrong methods 405, both with the error body.
    let missing = client
        .get_with_accept("eth/v1/beacon/nothing", "application/json")
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert_eq!(missing.body().unwrap().code, 404);
    let method = client
        .post_raw(
            "eth/v1/node/version",
            "application/json",
            b"{}".to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(method.status(), Some(405));

    // A body over the limit is refused before it is read; a body of the wrong type is 415.
    let large = client
        .post_raw(
            "eth/v1/validator/prepare_beacon_proposer",
            "application/json",
            vec![b' '; 8192],
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(large.status(), Some(413));
    let unsupported = client
        .post_raw(
            "eth/v1/validator/prepare_beacon_proposer",
            "application/x-www-form-urlencoded",
            b"a=b".to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(unsupported.status(), Some(415));
    let ssz_where_json_only = client
        .post_raw(
            "eth/v2/beacon/pool/attestations",
            "application/octet-stream",
            vec![0; 8],
            Some(ForkName::Capella),
        )
        .await
        .unwrap_err();
    assert_eq!(ssz_where_json_only.status(), Some(415));
    let bad_version = client
        .post_raw(
            "eth/v2/beacon/pool/attestations",
            "application/json",
            b"[]".to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad_version.status(), Some(400));

    // Numbers at the edge of u64 are refused or not found, never a failure of the node.
    let max = u64::MAX;
    for (path, status) in [
        (
            format!("eth/v1/beacon/states/head/committees?epoch={max}"),
            400,
        ),
        (format!("eth/v1/beacon/states/head/randao?epoch={max}"), 400),
        (format!("eth/v1/validator/duties/proposer/{max}"), 400),
        (format!("eth/v1/beacon/states/{max}/root"), 404),
        (format!("eth/v2/beacon/blocks/{max}"), 404),
        (
            format!(
                "eth/v3/validator/blocks/{max}?randao_reveal=0x{}",
                "00".repeat(96)
            ),
            400,
        ),
        (
            format!("eth/v1/validator/attestation_data?slot={max}&committee_index=0"),
            400,
        ),
        (
            format!("eth/v1/builder/states/head/expected_withdrawals?proposal_slot={max}"),
            400,
        ),
    ] {
        let error = client
            .get_with_accept(&path, "application/json")
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(status), "{path}");
    }
    let liveness = client
        .post_raw(
            &format!("eth/v1/validator/liveness/{max}"),
            "application/json",
            br#"["1"]"#.to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(liveness.status(), Some(400));
    let headers = client
        .get_with_accept(
            &format!("eth/v1/beacon/headers?slot={max}"),
            "application/json",
        )
        .await
        .unwrap();
    assert_eq!(headers.status(), 200);

    // CORS is off unless an origin is configured.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/eth/v1/node/version", env.addr))
        .header("Origin", "https://example.com")
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_with_an_allowed_origin() {
    let env = Env::start_with(
        "cors",
        Options {
            config: http_api::Config {
                listen: "127.0.0.1:0".parse().unwrap(),
                allow_origin: Some("https://example.com".into()),
                ..http_api::Config::default()
            },
            ..Options::default()
        },
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/eth/v1/node/version", env.addr);
    let allowed = client
        .get(&url)
        .header("Origin", "https://example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://example.com"
    );
    let other = client
        .get(&url)
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
    // Without an Origin header (a validator client, curl) nothing changes.
    let local = client.get(&url).send().await.unwrap();
    assert_eq!(local.status(), 200);
}
