//! Builder URLs from the command line: `http://host:port` or `https://host:port`, optionally pinning the
//! builder's BLS key in the user part, `https://0x<pubkey>@host:port`.
//!
//! A bad URL or key is an operator's mistake that must stop the node at startup, with a message that
//! names the flag it came from, rather than surface later as a failed proposal.

use std::collections::HashSet;
use types::PublicKeyBytes;
use url::Url;

/// Schemes a builder URL may use: plain HTTP for a local mev-boost or sidecar, HTTPS for relays on the
/// internet (rustls, trusting the Mozilla roots plus any CA given in the config). Anything else would
/// fail on every call, so it is refused at startup.
pub const SUPPORTED_SCHEMES: &[&str] = &["http", "https"];

/// A builder URL that could not be used, naming the flag it was given with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: invalid builder URL {input:?}: {reason}")]
pub struct BuilderUrlError {
    /// The command-line flag (or config key) the URL came from, e.g. `--payload-builder`.
    pub flag: String,
    /// The offending text (one URL of a list).
    pub input: String,
    pub reason: BuilderUrlErrorKind,
}

/// Why a builder URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuilderUrlErrorKind {
    #[error("empty URL")]
    Empty,
    #[error("{0}")]
    Malformed(String),
    #[error("unsupported scheme {0:?} (expected http or https)")]
    UnsupportedScheme(String),
    #[error("no host")]
    NoHost,
    #[error("a query or fragment is not allowed")]
    QueryOrFragment,
    #[error("a password is not allowed; the user part may only hold the builder's 0x-prefixed BLS public key")]
    Password,
    #[error("the user part must be the builder's 0x-prefixed BLS public key, got {0:?}")]
    PubkeyNotHex(String),
    #[error("the pinned public key must be 48 bytes, got {0}")]
    PubkeyWrongLength(usize),
    #[error("the pinned public key is not a valid BLS public key: {0}")]
    PubkeyInvalidPoint(String),
    #[error("listed more than once")]
    Duplicate,
}

/// Parse one builder URL, returning the URL to send requests to (without the user part) and the pinned
/// builder key, if the user part held one.
///
/// The key is checked to be a valid BLS public key now, so that a typo cannot silently disable the
/// check that bids are signed by the expected builder.
pub fn parse_builder_url(
    s: &str,
    flag: &str,
) -> Result<(Url, Option<PublicKeyBytes>), BuilderUrlError> {
    let fail = |reason| BuilderUrlError {
        flag: flag.to_string(),
        input: s.to_string(),
        reason,
    };
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(fail(BuilderUrlErrorKind::Empty));
    }
    let mut url =
        Url::parse(trimmed).map_err(|e| fail(BuilderUrlErrorKind::Malformed(e.to_string())))?;
    if !SUPPORTED_SCHEMES.contains(&url.scheme()) {
        return Err(fail(BuilderUrlErrorKind::UnsupportedScheme(
            url.scheme().to_string(),
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(fail(BuilderUrlErrorKind::NoHost));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail(BuilderUrlErrorKind::QueryOrFragment));
    }
    if url.password().is_some() {
        return Err(fail(BuilderUrlErrorKind::Password));
    }
    let pubkey = match url.username() {
        "" => None,
        user => Some(parse_pinned_pubkey(user).map_err(fail)?),
    };
    // The user part is ours, not the builder's: never send it (as basic auth) in requests.
    url.set_username("").map_err(|()| {
        fail(BuilderUrlErrorKind::Malformed(
            "cannot strip user part".into(),
        ))
    })?;
    Ok((url, pubkey))
}

/// Parse a comma-separated list of builder URLs (as `parse_builder_url` each), refusing duplicates.
pub fn parse_builder_urls(
    s: &str,
    flag: &str,
) -> Result<Vec<(Url, Option<PublicKeyBytes>)>, BuilderUrlError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for item in s.split(',') {
        let parsed = parse_builder_url(item, flag)?;
        if !seen.insert(parsed.0.clone()) {
            return Err(BuilderUrlError {
                flag: flag.to_string(),
                input: item.trim().to_string(),
                reason: BuilderUrlErrorKind::Duplicate,
            });
        }
        out.push(parsed);
    }
    Ok(out)
}

fn parse_pinned_pubkey(user: &str) -> Result<PublicKeyBytes, BuilderUrlErrorKind> {
    let digits = user
        .strip_prefix("0x")
        .or_else(|| user.strip_prefix("0X"))
        .ok_or_else(|| BuilderUrlErrorKind::PubkeyNotHex(user.to_string()))?;
    let bytes =
        hex::decode(digits).map_err(|_| BuilderUrlErrorKind::PubkeyNotHex(user.to_string()))?;
    if bytes.len() != PublicKeyBytes::LEN {
        return Err(BuilderUrlErrorKind::PubkeyWrongLength(bytes.len()));
    }
    let key = bls::PublicKey::from_bytes(&bytes)
        .map_err(|e| BuilderUrlErrorKind::PubkeyInvalidPoint(e.to_string()))?;
    Ok(key.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_hex() -> String {
        bls::interop_secret_key(0).public_key().to_hex()
    }

    #[test]
    fn plain_url_has_no_pin() {
        let (url, key) = parse_builder_url("http://127.0.0.1:18550", "--builder").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:18550/");
        assert_eq!(key, None);
    }

    #[test]
    fn pinned_key_is_parsed_and_stripped() {
        let input = format!("http://{}@localhost:18550/relay", key_hex());
        let (url, key) = parse_builder_url(&input, "--builder").unwrap();
        assert_eq!(url.as_str(), "http://localhost:18550/relay");
        assert_eq!(key.unwrap().to_hex(), key_hex());
    }

    #[test]
    fn https_with_a_pinned_key_is_accepted() {
        let input = format!("https://{}@relay.example/", key_hex());
        let (url, key) = parse_builder_url(&input, "--builder").unwrap();
        assert_eq!(url.as_str(), "https://relay.example/");
        assert_eq!(key.unwrap().to_hex(), key_hex());
    }

    #[test]
    fn refusals() {
        let cases = [
            ("", BuilderUrlErrorKind::Empty),
            (
                "ws://h",
                BuilderUrlErrorKind::UnsupportedScheme("ws".into()),
            ),
            ("http://h/?a=1", BuilderUrlErrorKind::QueryOrFragment),
            ("http://0xab:pw@h", BuilderUrlErrorKind::Password),
            (
                "http://abc@h",
                BuilderUrlErrorKind::PubkeyNotHex("abc".into()),
            ),
            ("http://0xabcd@h", BuilderUrlErrorKind::PubkeyWrongLength(2)),
        ];
        for (input, kind) in cases {
            let err = parse_builder_url(input, "--builder").unwrap_err();
            assert_eq!(err.reason, kind, "{input}");
            assert!(err
                .to_string()
                .starts_with("--builder: invalid builder URL"));
        }
        assert!(matches!(
            parse_builder_url("not a url", "--b").unwrap_err().reason,
            BuilderUrlErrorKind::Malformed(_)
        ));
    }

    #[test]
    fn lists_split_on_commas_and_refuse_duplicates() {
        let list = parse_builder_urls("http://a:1, http://b:2", "--builders").unwrap();
        assert_eq!(list.len(), 2);
        let err = parse_builder_urls("http://a:1,http://a:1/", "--builders").unwrap_err();
        assert_eq!(err.reason, BuilderUrlErrorKind::Duplicate);
        let err = parse_builder_urls("http://a:1,,http://b", "--builders").unwrap_err();
        assert_eq!(err.reason, BuilderUrlErrorKind::Empty);
    }
}
