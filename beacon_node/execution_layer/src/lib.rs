//! The payload-builder module: local and builder payloads in parallel, bid checks, choice, circuit breaker, unblinding and the faulty-builder registry.
//!
//! This crate is adoptable by any consensus client: it depends on `types`, `bls`, `kzg`, `engine_api`
//! and `builder_api` (plus redb for the builder-block store), never on Blindfold's chain crates; it asks
//! the chain what it needs through one trait, [`ExecutionLayerChain`].
//!
//! - [`ExecutionLayer::get_payload`] asks the execution engine and every enabled builder at once,
//!   checks each bid ([`verify_bid`]), applies the circuit breaker ([`circuit_breaker()`]) and picks the
//!   source ([`choose_payload_source`]); past the proposal's deadline for the local payload a valid
//!   bid stands in for a hung or unreachable engine, never for one that refused the parent (SYNCING,
//!   INVALID); [`ExecutionLayer::prepare_payload`] starts the local build a slot early;
//! - [`ExecutionLayer::unblind`] puts the payload back into a signed blinded block, from the local cache
//!   or from the builder that offered it, checked, and records which builders produced the block; it
//!   never falls back to a local payload after signing, and disables a builder that withholds or
//!   reveals a wrong payload;
//! - [`ExecutionLayer::on_new_payload_status`] and [`ExecutionLayer::on_forkchoice_status`] feed the
//!   engine's INVALID verdicts to the [`FaultyBuilderRegistry`], which disables the builders of the
//!   payload that is actually invalid (the first descendant of `latestValidHash`) until restart;
//! - full-payload builders ([`full_payload`]: `builder_getPayloadV1`, signed both ways, and engine-API
//!   builders) compete in the same `get_payload`; their payload passes the relay header checks and the
//!   local engine's `newPayload` (VALID only) before it may win, and the winner comes back whole
//!   ([`ProducedPayload::full_winner`]), never blinded;
//! - [`ExecutionLayer::status`] and [`ExecutionLayer::metrics`] make each builder's state visible.

#![warn(missing_docs)]

pub mod bid_checks;
pub mod blobs;
mod builders;
pub mod chain;
pub mod choice;
pub mod circuit_breaker;
pub mod config;
pub mod full_payload;
mod local;
pub mod metrics;
pub mod registry;
mod sourcing;
mod unblind;
mod verdict;

pub use verdict::{invalid_payload_culprit, invalidated_by};

pub use bid_checks::{
    check_contents, check_header, expected_gas_limit, verify_bid, withdrawals_root, BidContext,
    BidRejection, VerifiedBid,
};
pub use blobs::{BlobsBundle, BlobsBundleError};
pub use builders::{
    builder_identity, BuilderCounters, BuilderOutcome, BuilderReport, BuilderStatus,
    BuilderStatusState, CircuitBreakerStatus, ExecutionLayerStatus, LastBid,
};
pub use chain::{ExecutionLayerChain, PayloadRequest, ProposerRegistration};
pub use choice::{
    choose_payload_source, Choice, ChoiceReason, LocalCandidate, Offer, PayloadSource,
    DEFAULT_BUILDER_BOOST_FACTOR,
};
pub use circuit_breaker::{
    circuit_breaker, ChainHealth, CircuitBreakerConfig, CircuitBreakerReason, CircuitBreakerVerdict,
};
pub use config::{ExecutionLayerConfig, DEFAULT_LOCAL_PAYLOAD_TIMEOUT};
pub use full_payload::{FullBuilderKind, FullPayload, FullPayloadBuildersConfig, WinningPayload};
pub use local::{LocalPayload, LocalPayloadError};
pub use metrics::Metrics;
pub use registry::{
    BuilderBlock, BuilderBlockStore, BuilderState, DisableReason, DisabledBuilder,
    FaultyBuilderRegistry, InvalidPayloadId, MemoryBuilderBlockStore, RedbBuilderBlockStore,
    RegistryError,
};
pub use sourcing::{PayloadError, ProducedPayload, WinningBid};
pub use unblind::{UnblindError, UnblindSource, Unblinded};

use builder_api::{BuilderClient, BuilderError};
use builders::{builder_names, Builder};
use engine_api::EngineClient;
use parking_lot::Mutex;
use std::marker::PhantomData;
use std::sync::Arc;
use types::{EthSpec, ExecutionBlockHash, Hash256, SignedValidatorRegistrationV1, Slot};

/// Why the execution layer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionLayerError {
    /// A metric name clashes with one already in the registry.
    #[error("cannot register the metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// Two configured builders have the same identity (pinned key, or URL).
    #[error("payload builder {0} is configured twice")]
    DuplicateBuilder(String),
    /// `builder_getPayloadV1` builders without the proposer's request key to sign with.
    #[error("--payload-builder-rpc needs --payload-builder-request-key: requests must be signed")]
    MissingRequestKey,
    /// An engine builder's client could not be built.
    #[error("engine builder client: {0}")]
    EngineBuilder(#[from] engine_api::EngineError),
}

/// Why validator registrations did not reach a builder.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The builder is disabled (after an INVALID, withheld or mismatched payload): not sent.
    #[error("builder disabled; registrations not sent")]
    Disabled,
    /// The builder refused them or could not be reached.
    #[error(transparent)]
    Builder(#[from] BuilderError),
}

/// The payload-builder module of a beacon node: one execution engine, any number of builders.
pub struct ExecutionLayer<E: EthSpec> {
    config: ExecutionLayerConfig,
    engine: EngineClient,
    builders: Vec<Arc<Builder>>,
    /// Full-payload builders, after the relays in the builders' common order.
    full_builders: Vec<Arc<full_payload::FullBuilder>>,
    registry: Arc<FaultyBuilderRegistry>,
    chain: Arc<dyn ExecutionLayerChain>,
    metrics: Metrics,
    caches: Mutex<unblind::Caches<E>>,
    prepared: Mutex<local::PreparedPayloads>,
    last_breaker: Mutex<Option<CircuitBreakerStatus>>,
    _spec: PhantomData<E>,
}

impl<E: EthSpec> std::fmt::Debug for ExecutionLayer<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionLayer")
            .field("engine", &self.engine)
            .field("builders", &self.builders)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl<E: EthSpec> ExecutionLayer<E> {
    /// The module over `engine` and `builders` (each named by its identity: its pinned key, or its
    /// URL), recording builder blocks in `store`, with metrics in a fresh registry.
    pub fn new(
        config: ExecutionLayerConfig,
        engine: EngineClient,
        builders: Vec<BuilderClient>,
        store: Box<dyn BuilderBlockStore>,
        chain: Arc<dyn ExecutionLayerChain>,
    ) -> Result<Self, ExecutionLayerError> {
        Self::with_metrics_registry(
            config,
            engine,
            builders,
            store,
            chain,
            prometheus::Registry::new(),
        )
    }

    /// As [`Self::new`], registering the metrics in the node's `registry`.
    pub fn with_metrics_registry(
        config: ExecutionLayerConfig,
        engine: EngineClient,
        builders: Vec<BuilderClient>,
        store: Box<dyn BuilderBlockStore>,
        chain: Arc<dyn ExecutionLayerChain>,
        registry: prometheus::Registry,
    ) -> Result<Self, ExecutionLayerError> {
        let mut names = builder_names(&builders).map_err(ExecutionLayerError::DuplicateBuilder)?;
        let full_config = &config.full_payload_builders;
        if !full_config.rpc.is_empty() && full_config.request_key.is_none() {
            return Err(ExecutionLayerError::MissingRequestKey);
        }
        let full_builders: Vec<Arc<full_payload::FullBuilder>> =
            full_payload::full_builders(full_config)?
                .into_iter()
                .map(Arc::new)
                .collect();
        for builder in &full_builders {
            if names.contains(&builder.name) {
                return Err(ExecutionLayerError::DuplicateBuilder(builder.name.clone()));
            }
            names.push(builder.name.clone());
        }
        let metrics = Metrics::new(registry)?;
        let builders: Vec<Arc<Builder>> = names
            .iter()
            .cloned()
            .zip(builders)
            .map(|(name, client)| Arc::new(Builder::new(name, client)))
            .collect();
        for builder in &full_builders {
            metrics
                .builder_enabled
                .with_label_values(&[&builder.name])
                .set(1);
            tracing::info!(builder = %builder.name, kind = builder.kind().label(), url = %builder.url(), "full-payload builder configured");
        }
        for builder in &builders {
            metrics
                .builder_enabled
                .with_label_values(&[&builder.name])
                .set(1);
            tracing::info!(builder = %builder.name, url = %builder.client.url(), pinned_pubkey = ?builder.client.pinned_pubkey(), "payload builder configured");
        }
        Ok(Self {
            config,
            engine,
            builders,
            full_builders,
            registry: Arc::new(FaultyBuilderRegistry::new(store, names)),
            chain,
            metrics,
            caches: Mutex::new(unblind::Caches::default()),
            prepared: Mutex::new(local::PreparedPayloads::default()),
            last_breaker: Mutex::new(None),
            _spec: PhantomData,
        })
    }

    /// The settings it was built with.
    pub fn config(&self) -> &ExecutionLayerConfig {
        &self.config
    }

    /// The execution engine's client (the node also imports payloads through it).
    pub fn engine(&self) -> &EngineClient {
        &self.engine
    }

    /// The module's metrics (and the registry they are in).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The names of the configured builders: the relays in configuration order, then the RPC
    /// builders, then the engine builders (the order of [`ProducedPayload::builders`]).
    pub fn builder_names(&self) -> Vec<String> {
        self.builders
            .iter()
            .map(|b| b.name.clone())
            .chain(self.full_builders.iter().map(|b| b.name.clone()))
            .collect()
    }

    /// The name and record of the builder at `index` among all builders.
    pub(crate) fn builder_entry(
        &self,
        index: usize,
    ) -> Option<(&str, &Mutex<builders::BuilderRecord>)> {
        match self.builders.get(index) {
            Some(builder) => Some((&builder.name, &builder.record)),
            None => self
                .full_builders
                .get(index.checked_sub(self.builders.len())?)
                .map(|builder| (builder.name.as_str(), &builder.record)),
        }
    }

    /// Records that the block `block_root` carries the payload `builders` offered: if the execution
    /// engine later finds it INVALID, they are disabled. [`Self::unblind`] already records every
    /// builder block it unblinds; this is for blocks that reach the node another way, above all the
    /// full blocks built from a [`WinningPayload`]: the node's block production calls it with the
    /// winner's builder once it has signed (or imported) that block. A blocking redb commit: async
    /// callers use `spawn_blocking`.
    pub fn record_builder_block(
        &self,
        block_root: Hash256,
        builders: &[String],
        slot: Slot,
        execution_block_hash: ExecutionBlockHash,
    ) -> Result<(), RegistryError> {
        self.registry
            .record_builder_block(block_root, builders, slot, execution_block_hash)
    }

    /// The builder that produced `block_root`, if any (persistent across restarts).
    pub fn builder_of(&self, block_root: Hash256) -> Result<Option<BuilderBlock>, RegistryError> {
        self.registry.builder_of(block_root)
    }

    /// Whether `builder` is disabled (until restart, or until its penalty ends).
    pub fn is_builder_disabled(&self, builder: &str) -> bool {
        self.registry.is_disabled(builder)
    }

    /// Metrics and counters of a builder that was just disabled.
    fn note_disabled(&self, disabled: &DisabledBuilder) {
        self.metrics
            .builder_enabled
            .with_label_values(&[&disabled.builder])
            .set(0);
        self.metrics
            .builder_disabled
            .with_label_values(&[&disabled.builder, disabled.reason.label()])
            .inc();
    }

    /// Every builder's visible state, in configuration order.
    pub fn builder_states(&self) -> Vec<BuilderStatus> {
        let states: std::collections::BTreeMap<String, BuilderState> =
            self.registry.builder_states().into_iter().collect();
        self.builders
            .iter()
            .map(|builder| {
                let record = builder.record.lock();
                BuilderStatus {
                    name: builder.name.clone(),
                    url: builder.client.url().to_string(),
                    pubkey: builder.client.pinned_pubkey(),
                    state: states
                        .get(&builder.name)
                        .map(BuilderStatusState::from)
                        .unwrap_or(BuilderStatusState::Enabled),
                    last_bid: record.last_bid.clone(),
                    counters: record.counters.clone(),
                    kind: "relay",
                    address: None,
                }
            })
            .chain(self.full_builders.iter().map(|builder| {
                let record = builder.record.lock();
                let kind = builder.kind();
                BuilderStatus {
                    name: builder.name.clone(),
                    url: builder.url(),
                    pubkey: None,
                    state: states
                        .get(&builder.name)
                        .map(BuilderStatusState::from)
                        .unwrap_or(BuilderStatusState::Enabled),
                    last_bid: record.last_bid.clone(),
                    counters: record.counters.clone(),
                    kind: kind.label(),
                    address: match kind {
                        FullBuilderKind::Rpc { address } => Some(address),
                        FullBuilderKind::Engine => None,
                    },
                }
            }))
            .collect()
    }

    /// Every builder's state plus the circuit breaker's last verdict: what `GET /blindfold/v1/builders`
    /// serves.
    pub fn status(&self) -> ExecutionLayerStatus {
        ExecutionLayerStatus {
            builders: self.builder_states(),
            circuit_breaker: self.last_breaker.lock().clone(),
        }
    }

    /// Forwards validator registrations to every enabled builder at once (each client batches them), and
    /// returns every configured builder's result, in configuration order: a disabled builder is
    /// reported as such, not silently left out; failures are logged per builder.
    pub async fn register_validators(
        &self,
        registrations: &[SignedValidatorRegistrationV1],
    ) -> Vec<(String, Result<(), RegistrationError>)> {
        let registrations: Arc<[SignedValidatorRegistrationV1]> = registrations.into();
        let mut tasks = tokio::task::JoinSet::new();
        let mut results = Vec::with_capacity(self.builders.len());
        for (index, builder) in self.builders.iter().enumerate() {
            if self.registry.is_disabled(&builder.name) {
                tracing::debug!(builder = %builder.name, count = registrations.len(), "builder disabled; validator registrations not sent");
                results.push((
                    index,
                    (builder.name.clone(), Err(RegistrationError::Disabled)),
                ));
                continue;
            }
            let client = builder.client.clone();
            let registrations = registrations.clone();
            tasks.spawn(async move { (index, client.register_validators(&registrations).await) });
        }
        while let Some(joined) = tasks.join_next().await {
            // A task only fails to join if it panicked, which the client does not do.
            let Ok((index, result)) = joined else {
                continue;
            };
            let name = self.builders[index].name.clone();
            match &result {
                Ok(()) => {
                    tracing::debug!(builder = %name, count = registrations.len(), "validator registrations forwarded")
                }
                Err(error) => {
                    tracing::warn!(builder = %name, %error, count = registrations.len(), "validator registrations failed")
                }
            }
            results.push((index, (name, result.map_err(RegistrationError::from))));
        }
        results.sort_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, result)| result).collect()
    }
}
