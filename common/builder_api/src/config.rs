//! Per-builder settings: where it is, which key it must sign with, and how long each call may take.

use crate::url::{parse_builder_url, BuilderUrlError};
use std::path::PathBuf;
use std::time::Duration;
use types::PublicKeyBytes;
use url::Url;

/// getHeader's timeout: the proposer must still have time to sign and publish a block (and to build one
/// locally if the builder has nothing), so the whole call gets under a second. mev-boost's
/// `--request-timeout-getheader` default, and the value relays expect in `X-Timeout-Ms`.
pub const DEFAULT_GET_HEADER_TIMEOUT: Duration = Duration::from_millis(950);
/// submitBlindedBlock's timeout (v1 and v2): the block is already signed, so waiting longer is better
/// than giving up, but past 4 s the block would likely arrive too late to be attested to. mev-boost's
/// `--request-timeout-getpayload` default.
pub const DEFAULT_SUBMIT_BLINDED_BLOCK_TIMEOUT: Duration = Duration::from_millis(4000);
/// registerValidator's timeout, per batch request: registrations are not time-critical but run every
/// epoch; a builder that takes longer is treated as failing. mev-boost's `--request-timeout-regval`.
pub const DEFAULT_REGISTER_VALIDATOR_TIMEOUT: Duration = Duration::from_millis(3000);
/// status's timeout: a health check; a builder that cannot answer in a second is not healthy.
pub const DEFAULT_STATUS_TIMEOUT: Duration = Duration::from_millis(1000);
/// Registrations per registerValidator request: keeps each body (about 0.6 KiB of JSON per registration)
/// well under common proxy body limits and each batch well inside its timeout.
pub const DEFAULT_REGISTRATION_BATCH_SIZE: usize = 500;
/// The most blobs a submitBlindedBlock answer is allowed to carry, for bounding its size. Above every
/// scheduled mainnet blob limit (Fulu's blob-parameter-only forks included); raise it with the schedule.
pub const DEFAULT_MAX_BLOBS_PER_BLOCK: usize = 128;

/// How long each builder call may take, from the first byte sent to the decoded answer, retries
/// included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuilderTimeouts {
    /// `GET /eth/v1/builder/status`.
    pub status: Duration,
    /// Each registerValidator batch.
    pub register_validator: Duration,
    /// getHeader: short, since the proposal waits on it and the local payload is the fallback.
    pub get_header: Duration,
    /// submitBlindedBlock v1 or v2: once signed, there is no fallback, so it may take longer.
    pub submit_blinded_block: Duration,
}

impl Default for BuilderTimeouts {
    fn default() -> Self {
        Self {
            status: DEFAULT_STATUS_TIMEOUT,
            register_validator: DEFAULT_REGISTER_VALIDATOR_TIMEOUT,
            get_header: DEFAULT_GET_HEADER_TIMEOUT,
            submit_blinded_block: DEFAULT_SUBMIT_BLINDED_BLOCK_TIMEOUT,
        }
    }
}

/// Everything needed to talk to one builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderConfig {
    /// Base URL; endpoint paths are appended to its path. Must carry no user part (see
    /// [`BuilderConfig::from_flag`], which moves a pinned key into `pubkey`).
    /// The builder's base URL (`http` or `https`), without the pinned key.
    pub url: Url,
    /// The key the builder's bids must carry, when the operator pinned one.
    pub pubkey: Option<PublicKeyBytes>,
    /// Per-call time limits.
    pub timeouts: BuilderTimeouts,
    /// Registrations per registerValidator request.
    pub registration_batch_size: usize,
    /// Bounds the size of submitBlindedBlock answers (see [`DEFAULT_MAX_BLOBS_PER_BLOCK`]).
    pub max_blobs_per_block: usize,
    /// Whether to offer SSZ at all. When true the client starts with SSZ and falls back to JSON for good
    /// once the builder shows it does not speak SSZ; when false it only ever uses JSON.
    pub prefer_ssz: bool,
    /// Sent as `User-Agent`, so that relay operators can tell clients and versions apart.
    pub user_agent: String,
    /// A PEM file of CA certificates to trust for `https` builders, besides the Mozilla roots built in:
    /// for a relay or sidecar behind a private CA. Read when the client is built, so that a missing or
    /// unreadable file stops the node at startup.
    pub extra_ca_certificates: Option<PathBuf>,
}

impl BuilderConfig {
    /// A config with every default, for `url` (which must carry no user part).
    pub fn new(url: Url, pubkey: Option<PublicKeyBytes>) -> Self {
        Self {
            url,
            pubkey,
            timeouts: BuilderTimeouts::default(),
            registration_batch_size: DEFAULT_REGISTRATION_BATCH_SIZE,
            max_blobs_per_block: DEFAULT_MAX_BLOBS_PER_BLOCK,
            prefer_ssz: true,
            user_agent: default_user_agent(),
            extra_ca_certificates: None,
        }
    }

    /// A config with every default, from a command-line URL (pinned key allowed), errors naming `flag`.
    pub fn from_flag(url: &str, flag: &str) -> Result<Self, BuilderUrlError> {
        let (url, pubkey) = parse_builder_url(url, flag)?;
        Ok(Self::new(url, pubkey))
    }
}

/// `Blindfold/<version>`: builders and relays log it, which helps operators and relay maintainers.
pub fn default_user_agent() -> String {
    format!("Blindfold/{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = BuilderConfig::from_flag("http://localhost:18550", "--builder").unwrap();
        assert_eq!(config.timeouts.get_header, Duration::from_millis(950));
        assert_eq!(config.registration_batch_size, 500);
        assert!(config.prefer_ssz);
        assert!(config.user_agent.starts_with("Blindfold/"));
        assert_eq!(config.pubkey, None);
    }
}
