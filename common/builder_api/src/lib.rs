//! The builder-specs client: talks to external payload builders (mev-boost, relays) for a proposer.
//!
//! One [`BuilderClient`] per builder. Each call (status, registerValidator, getHeader,
//! submitBlindedBlock v1 and v2) runs under its own timeout, because a proposal has a deadline and a
//! builder must never make us miss it: on any error the caller builds the payload locally. Answers are
//! bounded in size, checked to be of the expected fork, and decoded from JSON or SSZ, whichever the
//! builder sent. The client prefers SSZ and falls back to JSON, for good, for a builder that shows it
//! does not speak SSZ.
//!
//! Builder URLs come from the command line ([`parse_builder_url`]) and may pin the builder's BLS key in
//! their user part, `https://0x<pubkey>@host:port`; bids must then carry that key. `https` relays are
//! reached over rustls, trusting the Mozilla roots and any extra CA file in [`BuilderConfig`].

mod client;
mod config;
mod error;
mod gas_limit;
mod http;
mod tls;
mod url;

pub use crate::url::{
    parse_builder_url, parse_builder_urls, BuilderUrlError, BuilderUrlErrorKind, SUPPORTED_SCHEMES,
};
pub use ::url::Url;
pub use client::{
    payload_response_limit, BuilderClient, UnblindedPayload, BLINDED_BLOCKS_V1_PATH,
    BLINDED_BLOCKS_V2_PATH, HEADER_PATH, PAYLOAD_RESPONSE_BASE_LIMIT, RESPONSE_LIMIT, STATUS_PATH,
    VALIDATORS_PATH,
};
pub use config::{
    default_user_agent, BuilderConfig, BuilderTimeouts, DEFAULT_GET_HEADER_TIMEOUT,
    DEFAULT_MAX_BLOBS_PER_BLOCK, DEFAULT_REGISTER_VALIDATOR_TIMEOUT,
    DEFAULT_REGISTRATION_BATCH_SIZE, DEFAULT_STATUS_TIMEOUT, DEFAULT_SUBMIT_BLINDED_BLOCK_TIMEOUT,
};
pub use error::BuilderError;
pub use gas_limit::{expected_gas_limit, GAS_LIMIT_BOUND_DIVISOR, MIN_GAS_LIMIT};
pub use http::{
    content_type_encoding, Encoding, ACCEPT_SSZ_OR_JSON, CONSENSUS_VERSION_HEADER,
    DATE_MILLISECONDS_HEADER, JSON_MEDIA_TYPE, SSZ_MEDIA_TYPE, TIMEOUT_MS_HEADER,
};
pub use tls::CA_FILE_LIMIT;
