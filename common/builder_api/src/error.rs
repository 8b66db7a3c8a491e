//! What can go wrong talking to a builder, classified so that callers can tell a slow builder from a
//! broken one from a dishonest one (and log, score or fall back to the local payload accordingly).

use std::time::Duration;
use types::ForkName;

/// A failed builder call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuilderError {
    /// The client could not be built from its configuration.
    #[error("builder client configuration: {0}")]
    Config(String),
    /// The call was refused before sending, e.g. a v2 submission of a pre-Fulu block.
    #[error("invalid builder request: {0}")]
    InvalidRequest(String),
    /// The call did not complete within its timeout (connection, retries and decoding included).
    #[error("builder {operation} timed out after {} ms", timeout.as_millis())]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },
    /// The request could not be sent or the response not received (connection refused, reset, ...).
    #[error("builder {operation}: transport error: {message}")]
    Transport {
        operation: &'static str,
        message: String,
    },
    /// The TLS handshake with an `https` builder failed: its certificate is not trusted (a private CA
    /// missing from the config's extra CA certificates), expired, or for another name. Unlike
    /// `Transport`, retrying will not help until the setup changes.
    #[error("builder {operation}: TLS error: {message}")]
    Tls {
        operation: &'static str,
        message: String,
    },
    /// The builder answered with an error status; `message` is the `message` of its `{"code","message"}`
    /// body (or the body's text when it is not that shape).
    #[error("builder {operation} failed with HTTP {status}: {message}")]
    Http {
        operation: &'static str,
        status: u16,
        message: String,
    },
    /// The builder refused our request encoding even after the fallback to JSON.
    #[error("builder {operation}: unsupported media type (HTTP {status}): {message}")]
    UnsupportedMediaType {
        operation: &'static str,
        status: u16,
        message: String,
    },
    /// A success status this call does not expect (e.g. 200 where the spec says 202, 204 on submit).
    #[error("builder {operation}: unexpected HTTP status {status}")]
    UnexpectedStatus {
        operation: &'static str,
        status: u16,
    },
    /// The response's `Content-Type` is neither JSON nor SSZ.
    #[error("builder {operation}: unexpected content type {content_type:?}")]
    UnexpectedContentType {
        operation: &'static str,
        content_type: String,
    },
    /// An SSZ response without the `Eth-Consensus-Version` header, which the spec requires for SSZ.
    #[error("builder {operation}: SSZ response without an Eth-Consensus-Version header")]
    MissingConsensusVersion { operation: &'static str },
    /// The response body exceeds what a valid answer to this call can be.
    #[error("builder {operation}: response larger than the {limit}-byte limit")]
    ResponseTooLarge {
        operation: &'static str,
        limit: usize,
    },
    /// The response body does not decode as the expected object.
    #[error("builder {operation}: undecodable response: {message}")]
    Decode {
        operation: &'static str,
        message: String,
    },
    /// The response is for another fork than the one asked for (by header or `version` field).
    #[error("builder {operation}: response is for fork {got:?}, expected {expected}")]
    WrongFork {
        operation: &'static str,
        expected: ForkName,
        got: String,
    },
    /// The bid is signed for another builder key than the one pinned in the builder's URL.
    #[error("builder bid carries public key {got}, but the URL pins {pinned}")]
    UnexpectedBuilderKey {
        pinned: types::PublicKeyBytes,
        got: types::PublicKeyBytes,
    },
}

impl BuilderError {
    /// Whether the builder was merely unreachable or slow (as opposed to answering wrongly): callers use
    /// this to decide between "try again later" and "distrust this builder".
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::Transport { .. })
    }
}
