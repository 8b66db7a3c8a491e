//! Full-payload builders (issue 14): builders that hand the proposer a whole payload rather than a
//! header to sign blind, asked beside the relays in the same parallel sourcing.
//!
//! - **RPC builders** speak `builder_getPayloadV1` (the OP builder-API draft): the request is signed
//!   with the proposer's secp256k1 key, the answer must name the pinned builder address and carry its
//!   signature ([`signing`], `docs/full-payload-builders.md`). 200 ms, no retry.
//! - **Engine builders** (seed 004's first design, rollup-boost's shape) are an engine-API endpoint
//!   with their own JWT secret: the module mirrors forkchoiceUpdated to them (with attributes when it
//!   proposes) and asks them for getPayload.
//!
//! Either way, before a full payload may compete it passes the relay header checks
//! ([`crate::bid_checks::check_header`]), its blobs are checked by KZG, and the local engine's
//! `newPayload` must answer VALID in time; SYNCING, INVALID, an error or a timeout leave the local
//! payload, and INVALID disables the builder until restart. The winner is never blinded: the node
//! builds a full block from [`WinningPayload`] and then tells the module its root
//! ([`crate::ExecutionLayer::record_builder_block`]), so a later INVALID verdict at import blames the
//! builder as it would a relay.

mod ask;
pub mod config;
mod engine;
mod fetch;
mod http;
pub mod signing;
mod verify;
pub mod wire;

pub use config::{
    load_request_key, parse_engine_builder, parse_rpc_builders, EngineBuilderConfig, FlagError,
    FullPayloadBuildersConfig, RpcBuilderConfig, DEFAULT_ENGINE_BUILDER_TIMEOUT,
    DEFAULT_NEW_PAYLOAD_CHECK_TIMEOUT, DEFAULT_RPC_BUILDER_TIMEOUT,
};
pub use http::RpcCallError;
pub use signing::{payload_digest, recover_signer, request_digest, Secp256k1Key, SignatureError};
pub use wire::{BuilderPayloadV1, PayloadRequestV1};

pub(crate) use ask::{ask_full_builder, FullAsk};
pub(crate) use engine::PreparedBuilds;
pub(crate) use fetch::{fetch_engine, fetch_rpc, FetchError};
pub(crate) use verify::{check_full_payload, engine_verdict};

use crate::blobs::BlobsBundle;
use crate::builders::BuilderRecord;
use builder_api::Url;
use engine_api::EngineClient;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;
use types::{Address, EthSpec, ExecutionBlockHash, ExecutionPayload, ExecutionRequests, U256};

/// A full payload as a builder handed it over, before or after its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct FullPayload<E: EthSpec> {
    /// The payload.
    pub payload: ExecutionPayload<E>,
    /// Wei to the proposer (signed by an RPC builder; an engine builder's `blockValue`).
    pub value: U256,
    /// From Deneb on.
    pub blobs_bundle: Option<BlobsBundle<E>>,
    /// From Electra on.
    pub execution_requests: Option<ExecutionRequests<E>>,
}

impl<E: EthSpec> FullPayload<E> {
    /// The payload's block hash.
    pub fn block_hash(&self) -> ExecutionBlockHash {
        self.payload.block_hash()
    }
}

/// The full payload that won: the node builds, signs and publishes a full block with it.
#[derive(Debug, Clone, PartialEq)]
pub struct WinningPayload<E: EthSpec> {
    /// The builder's identity (pass it to [`crate::ExecutionLayer::record_builder_block`]).
    pub builder: String,
    /// The builder's position among all builders (relays first, then RPC, then engine builders).
    pub builder_index: usize,
    /// The payload, checked and found VALID by the local engine, with its blobs and requests.
    pub payload: Arc<FullPayload<E>>,
}

/// What kind of full-payload builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullBuilderKind {
    /// `builder_getPayloadV1`, pinned to this address.
    Rpc {
        /// The pinned address.
        address: Address,
    },
    /// An engine-API endpoint.
    Engine,
}

impl FullBuilderKind {
    /// `rpc` or `engine`, for the status.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Rpc { .. } => "rpc",
            Self::Engine => "engine",
        }
    }
}

/// How the module reaches one full-payload builder.
#[derive(Debug)]
pub(crate) enum FullClient {
    Rpc {
        address: Address,
        url: Url,
        timeout: Duration,
    },
    Engine {
        client: EngineClient,
        timeout: Duration,
        prepared: Mutex<PreparedBuilds>,
        /// Whether the last mirrored head change failed: the first failure after a success is a
        /// warning, the rest are debug lines (a builder that is down would fill the log each slot).
        mirror_failing: std::sync::atomic::AtomicBool,
    },
}

/// A configured full-payload builder and what it did since start.
#[derive(Debug)]
pub(crate) struct FullBuilder {
    pub name: String,
    pub client: FullClient,
    pub record: Mutex<BuilderRecord>,
}

impl FullBuilder {
    pub fn kind(&self) -> FullBuilderKind {
        match &self.client {
            FullClient::Rpc { address, .. } => FullBuilderKind::Rpc { address: *address },
            FullClient::Engine { .. } => FullBuilderKind::Engine,
        }
    }

    pub fn url(&self) -> String {
        match &self.client {
            FullClient::Rpc { url, .. } => url.to_string(),
            FullClient::Engine { client, .. } => config::engine_identity(client.url()),
        }
    }

    pub fn timeout(&self) -> Duration {
        match &self.client {
            FullClient::Rpc { timeout, .. } | FullClient::Engine { timeout, .. } => *timeout,
        }
    }
}

/// The full-payload builders of `config`, each named by its identity (address, or URL without
/// credentials).
pub(crate) fn full_builders(
    config: &FullPayloadBuildersConfig,
) -> Result<Vec<FullBuilder>, engine_api::EngineError> {
    let mut builders = Vec::with_capacity(config.rpc.len() + config.engine.len());
    for rpc in &config.rpc {
        builders.push(FullBuilder {
            name: rpc.address.to_string(),
            client: FullClient::Rpc {
                address: rpc.address,
                url: rpc.url.clone(),
                timeout: rpc.timeout,
            },
            record: Mutex::new(BuilderRecord::default()),
        });
    }
    for engine in &config.engine {
        builders.push(FullBuilder {
            name: config::engine_identity(&engine.url),
            client: FullClient::Engine {
                client: EngineClient::new(
                    engine.url.clone(),
                    engine_api::JwtAuth::new(engine.jwt.clone()),
                )?,
                timeout: engine.timeout,
                prepared: Mutex::new(PreparedBuilds::default()),
                mirror_failing: std::sync::atomic::AtomicBool::new(false),
            },
            record: Mutex::new(BuilderRecord::default()),
        });
    }
    Ok(builders)
}
