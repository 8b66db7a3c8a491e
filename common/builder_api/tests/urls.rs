//! Builder URLs from flags: pinned keys, and startup errors that name the flag.

use crate::*;
use builder_api::{parse_builder_url, parse_builder_urls, BuilderError, BuilderUrlErrorKind};

const FLAG: &str = "--payload-builder";

fn refusal(input: &str) -> BuilderUrlErrorKind {
    let err = parse_builder_url(input, FLAG).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{FLAG}: invalid builder URL {input:?}: ")),
        "{message}"
    );
    err.reason
}

#[tokio::test]
async fn pinned_key_is_kept_out_of_requests() {
    let builder = MockBuilder::start(|_| Reply::status(200));
    let key = valid_pubkey(3);
    let with_key = format!("http://{key}@{}", builder.url.authority());
    let (url, pinned) = parse_builder_url(&with_key, FLAG).unwrap();
    assert_eq!(pinned, Some(key));
    assert_eq!(url, builder.url);

    let config = BuilderConfig::from_flag(&with_key, FLAG).unwrap();
    assert_eq!(config.pubkey, Some(key));
    let client = BuilderClient::new(config).unwrap();
    assert_eq!(client.pinned_pubkey(), Some(key));
    client.status().await.unwrap();
    assert_eq!(builder.requests()[0].header("authorization"), None);
}

#[test]
fn bad_hex() {
    let input = format!("http://0x{}@localhost:18550", "zz".repeat(48));
    assert!(matches!(
        refusal(&input),
        BuilderUrlErrorKind::PubkeyNotHex(_)
    ));
    let input = format!("http://{}@localhost:18550", "ab".repeat(48));
    assert!(matches!(
        refusal(&input),
        BuilderUrlErrorKind::PubkeyNotHex(_)
    ));
}

#[test]
fn wrong_length() {
    let input = format!("http://0x{}@localhost:18550", "ab".repeat(47));
    assert_eq!(refusal(&input), BuilderUrlErrorKind::PubkeyWrongLength(47));
}

#[test]
fn invalid_point() {
    // Compression and infinity flags with non-zero bits: not an encoding of any point.
    let input = format!("http://0x{}@localhost:18550", "ff".repeat(48));
    assert!(matches!(
        refusal(&input),
        BuilderUrlErrorKind::PubkeyInvalidPoint(_)
    ));
    // The point at infinity is well-formed but refused as a key.
    let input = format!("http://0xc0{}@localhost:18550", "00".repeat(47));
    assert!(matches!(
        refusal(&input),
        BuilderUrlErrorKind::PubkeyInvalidPoint(_)
    ));
}

#[test]
fn bad_scheme_and_malformed() {
    assert_eq!(
        refusal("ftp://localhost:18550"),
        BuilderUrlErrorKind::UnsupportedScheme("ftp".into())
    );
    assert_eq!(
        refusal("wss://relay.example"),
        BuilderUrlErrorKind::UnsupportedScheme("wss".into())
    );
    assert!(matches!(
        refusal("localhost:18550"),
        BuilderUrlErrorKind::UnsupportedScheme(_) | BuilderUrlErrorKind::Malformed(_)
    ));
    assert!(matches!(
        refusal("http://[::1"),
        BuilderUrlErrorKind::Malformed(_)
    ));
}

#[test]
fn lists_name_the_flag_and_the_bad_item() {
    let key = valid_pubkey(4);
    let list = parse_builder_urls(&format!("http://a:1,http://{key}@b:2"), "--builders").unwrap();
    assert_eq!(list[0].1, None);
    assert_eq!(list[1].1, Some(key));
    let err = parse_builder_urls("http://a:1,http://0x12@b:2", "--builders").unwrap_err();
    assert_eq!(
        err.to_string(),
        "--builders: invalid builder URL \"http://0x12@b:2\": the pinned public key must be 48 bytes, got 1"
    );
}

#[test]
fn client_refuses_a_url_with_a_user_part() {
    let config = BuilderConfig::new(Url::parse("http://user@localhost:1").unwrap(), None);
    assert!(matches!(
        BuilderClient::new(config),
        Err(BuilderError::Config(_))
    ));
}
