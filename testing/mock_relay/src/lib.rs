//! A mock builder-specs relay on 127.0.0.1: it registers validators, builds real payloads through an
//! execution engine and bids for them, and reveals them only to the proposer's valid signature, with
//! fault switches for every way a relay can fail a proposer.
//!
//! Endpoints (one port):
//! - `GET /eth/v1/builder/status`: 200.
//! - `POST /eth/v1/builder/validators`: JSON or SSZ `SignedValidatorRegistrationV1` list;
//!   `process_registration`'s signature and timestamp checks (never decreasing, at most 10 s ahead). A
//!   batch is all or nothing: 400 `{"code","message"}` naming the first bad entry's index and pubkey.
//! - `GET /eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}`: 204 unless payload attributes for the
//!   slot and parent are known and the proposer is registered; else a payload built by the engine for
//!   the registered fee recipient, its gas limit stepped towards the registered target, extra-data
//!   `mock-relay`, the block hash recomputed, bid at the engine's value plus a bonus, signed under the
//!   builder domain. JSON or SSZ by `Accept`, with `Eth-Consensus-Version`. With `builder_pays`, the
//!   payload pays [`MockRelayConfig::builder_address`] instead and ends with a signed transfer of the
//!   bid value to the registered fee recipient ([`last_transaction_payment`] reads it back).
//! - `POST /eth/v1/builder/blinded_blocks` (deprecated from Fulu, still served) and
//!   `POST /eth/v2/builder/blinded_blocks`: JSON, or SSZ with the `Eth-Consensus-Version` it requires,
//!   of the fork the block's slot is in; the proposer's signature (`DOMAIN_BEACON_PROPOSER`, a key that
//!   asked for the bid) is verified before anything is revealed; v1 answers the payload (and blobs from
//!   Deneb), v2 publishes the full block to the beacon node and answers 202.
//! - `GET|POST|PUT|DELETE /admin/faults` (read, patch, replace, reset [`RelayFaults`]), `GET /admin/stats`
//!   ([`RelayStats`]), `POST /admin/payload_attributes` (feed an event by hand), `GET /metrics`.
//! - `POST /`: JSON-RPC for full-payload proposers (issue 14): `builder_getPayloadV1` (the proposer's
//!   secp256k1 request signature checked before anything is answered; the answer signed with
//!   [`MockRelayConfig::secp256k1_key`]), `builder_forwardTransactionV1` (into the next payload), and
//!   with [`MockRelayConfig::engine_face_jwt`] an engine-API face (`engine_forkchoiceUpdatedV2/V3`
//!   passed to its engine, `engine_getPayloadV2..V5` answering that build made the relay's).
//!
//! Every refusal, including those made before a handler runs (404, 405, 411, 413), carries the
//! builder-specs `{"code","message"}` body; bodies are bounded by `Content-Length` before they are read.
//!
//! Payload attributes come from the beacon node's `payload_attributes` events
//! ([`MockRelayConfig::beacon_node`]) or, in process, from [`MockRelay::on_payload_attributes`].

mod bidder;
mod blobs;
pub mod faults;
mod full;
mod http;
pub mod payment;
mod reveal;
mod server;
pub mod sse;
mod state;
pub mod stats;

pub use bidder::{EXTRA_DATA, MISMATCHED_EXTRA_DATA};
/// The gas limit rule bids are built by (the one `execution_layer` checks them against).
pub use builder_api::expected_gas_limit;
pub use execution_layer::full_payload::Secp256k1Key;
pub use faults::{InvalidPayloadFault, RelayFaults};
pub use full::{FullStats, DEFAULT_SECP256K1_KEY, SYNCING_EXTRA_DATA, UNAUTHORIZED_CODE};
pub use payment::{
    decode_payment, default_builder_address, last_transaction_payment, Payment, PaymentError,
};
pub use state::{sign_registration, MAX_REGISTRATION_LOOKAHEAD};
pub use stats::RelayStats;

use bidder::Bidder;
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use state::Core;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use types::{
    Address, ChainSpec, EthSpec, Hash256, PayloadAttributesEvent, PublicKeyBytes, Root,
    ValidatorRegistrationV1, U256,
};

/// The default bid bonus: 1 gwei over the engine's block value, so the relay beats a local payload of
/// the same engine by default.
pub const DEFAULT_BID_BONUS_WEI: u64 = 1_000_000_000;

/// How to start a relay.
pub struct MockRelayConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Fork schedule and domains.
    pub spec: ChainSpec,
    /// For `DOMAIN_BEACON_PROPOSER` checks on submitBlindedBlock.
    pub genesis_validators_root: Hash256,
    /// The builder key that signs bids.
    pub secret_key: bls::SecretKey,
    /// The execution engine (mock-el or real) that builds payloads.
    pub engine_url: url::Url,
    /// The engine's JWT secret (the engine API refuses unauthenticated calls).
    pub engine_jwt: JwtSecret,
    /// Follow `GET {bn}/eth/v1/events?topics=payload_attributes`; v2 submissions POST the full block to
    /// `{bn}/eth/v2/beacon/blocks`. Without it, v2 blocks are only counted.
    pub beacon_node: Option<url::Url>,
    /// The fault switches at start; the admin endpoint and [`MockRelay::set_faults`] change them later.
    pub faults: RelayFaults,
    /// Bid value = the engine's block value + this.
    pub bid_bonus_wei: U256,
    /// The extra-data of the payloads it builds (at most 32 bytes): two relays on one engine with
    /// different extra-data offer different blocks (block hashes) of equal value.
    pub extra_data: Vec<u8>,
    /// The fee recipient of builder-pays payloads ([`default_builder_address`], the payment signer's).
    pub builder_address: Address,
    /// The key that signs `builder_getPayloadV1` answers ([`DEFAULT_SECP256K1_KEY`] by default).
    pub secp256k1_key: Secp256k1Key,
    /// The proposer addresses whose `builder_getPayloadV1` requests are answered; empty: any request
    /// whose signature recovers its own `pubKey`.
    pub proposers: Vec<Address>,
    /// The engine face's JWT secret; `None`: no engine face.
    pub engine_face_jwt: Option<JwtSecret>,
}

impl MockRelayConfig {
    /// Port 0, no beacon node, no faults, a 1 gwei bonus.
    pub fn new(
        spec: ChainSpec,
        genesis_validators_root: Hash256,
        secret_key: bls::SecretKey,
        engine_url: url::Url,
        engine_jwt: JwtSecret,
    ) -> Self {
        Self {
            port: 0,
            spec,
            genesis_validators_root,
            secret_key,
            engine_url,
            engine_jwt,
            beacon_node: None,
            faults: RelayFaults::default(),
            bid_bonus_wei: U256::from(DEFAULT_BID_BONUS_WEI),
            extra_data: EXTRA_DATA.to_vec(),
            builder_address: default_builder_address(),
            secp256k1_key: Secp256k1Key::from_bytes(&DEFAULT_SECP256K1_KEY)
                .expect("the constant is a valid secp256k1 key"),
            proposers: Vec::new(),
            engine_face_jwt: None,
        }
    }
}

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockRelayError {
    /// The port is taken (or not ours to bind).
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: warp::Error },
    /// The engine URL or JWT secret cannot make a client.
    #[error("engine client: {0}")]
    Engine(#[from] engine_api::EngineError),
    /// The HTTP client that publishes v2 blocks could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
    /// A counter could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// A running relay. Dropping it stops the server (and the event follower).
pub struct MockRelay {
    addr: SocketAddr,
    url: url::Url,
    core: Arc<Core>,
    full: Arc<full::FullSide>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    follower: Option<JoinHandle<()>>,
}

impl MockRelay {
    /// Binds 127.0.0.1 and serves on the current Tokio runtime, for preset `E`.
    pub async fn start<E: EthSpec>(config: MockRelayConfig) -> Result<MockRelay, MockRelayError> {
        let engine = EngineClient::new(config.engine_url, JwtAuth::new(config.engine_jwt))?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| MockRelayError::Http(e.to_string()))?;
        let core = Arc::new(Core::new(
            config.spec,
            config.genesis_validators_root,
            config.secret_key,
            config.bid_bonus_wei,
            config.faults,
            stats::Metrics::new()?,
        ));
        let full = Arc::new(full::FullSide::new(
            config.secp256k1_key,
            config.proposers,
            config.engine_face_jwt,
        ));
        let bidder = Arc::new(
            Bidder::<E>::new(
                core.clone(),
                engine,
                config.beacon_node.clone(),
                http,
                full.clone(),
            )
            .with_extra_data(config.extra_data)
            .with_builder_address(config.builder_address),
        );
        let (tx, rx) = oneshot::channel::<()>();
        let (addr, server) = warp::serve(server::routes(bidder))
            .try_bind_with_graceful_shutdown(([127, 0, 0, 1], config.port), async {
                rx.await.ok();
            })
            .map_err(|source| MockRelayError::Bind {
                port: config.port,
                source,
            })?;
        let url = format!("http://{addr}/")
            .parse()
            .map_err(|e| MockRelayError::Http(format!("bad listen URL: {e}")))?;
        let task = tokio::spawn(server);
        let follower = config.beacon_node.map(|bn| {
            let core = core.clone();
            tokio::spawn(sse::follow(bn, move |event| {
                core.on_payload_attributes(event)
            }))
        });
        tracing::info!(%addr, builder = %core.pubkey, "mock relay listening");
        Ok(Self {
            addr,
            url,
            core,
            full,
            shutdown: Some(tx),
            task: Some(task),
            follower,
        })
    }

    /// `127.0.0.1:PORT`, with the port chosen when the config asked for 0.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> url::Url {
        self.url.clone()
    }

    /// The key bids are signed with.
    pub fn pubkey(&self) -> PublicKeyBytes {
        self.core.pubkey
    }

    /// The address `builder_getPayloadV1` answers are signed with (the `0xADDRESS` to pin).
    pub fn secp256k1_address(&self) -> Address {
        self.full.key.address()
    }

    /// Counters of the full-payload faces.
    pub fn full_stats(&self) -> FullStats {
        self.full.stats()
    }

    /// The fault switches in force.
    pub fn faults(&self) -> RelayFaults {
        self.core.faults()
    }

    /// Replace every fault switch (what `PUT /admin/faults` does), for in-process tests.
    pub fn set_faults(&self, faults: RelayFaults) {
        *self.core.faults.lock() = faults;
    }

    /// Change some switches under one lock, so that a concurrent getHeader sees all or none of them.
    pub fn update_faults(&self, f: impl FnOnce(&mut RelayFaults)) {
        f(&mut self.core.faults.lock());
    }

    /// In-process feed of the beacon node's `payload_attributes` event (what `beacon_node` does over
    /// SSE).
    pub fn on_payload_attributes(&self, event: PayloadAttributesEvent) {
        self.core.on_payload_attributes(event);
    }

    /// The proposer's latest accepted registration.
    pub fn registration(&self, pubkey: &PublicKeyBytes) -> Option<ValidatorRegistrationV1> {
        self.core.registration(pubkey)
    }

    /// Counters: registrations, headers served, submissions, payloads revealed, blocks published,
    /// rejections.
    pub fn stats(&self) -> RelayStats {
        self.core.metrics.snapshot()
    }

    /// v2 submissions published (to the beacon node, or only counted when there is none).
    pub fn published_blocks(&self) -> usize {
        self.core.metrics.snapshot().blocks_published as usize
    }

    /// Roots of the blocks published by v2 submissions, oldest first (the last 1024).
    pub fn published_block_roots(&self) -> Vec<Root> {
        self.core.published()
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        self.begin_shutdown();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Stop following the beacon node and tell the server to finish its open requests.
    fn begin_shutdown(&mut self) {
        if let Some(follower) = self.follower.take() {
            follower.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for MockRelay {
    fn drop(&mut self) {
        self.begin_shutdown();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
