//! The node's life: start (engine, store, genesis or resume, builder module, chain, timer, servers),
//! run until SIGINT or SIGTERM, then stop in order so that the database closes cleanly.

use crate::config::{Genesis, NodeConfig, StartupError};
use crate::metrics::{self, NodeMetrics};
use crate::notifier;
use beacon_chain::{BeaconChain, ChainConfig, ChainParts, ChainView, StartError, SystemClock};
use builder_api::BuilderClient;
use engine_api::{EngineClient, EngineState, JwtAuth, Watchdog};
use execution_layer::{ExecutionLayer, ExecutionLayerConfig, RedbBuilderBlockStore};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use types::{BeaconState, EthSpec};

/// Attempts (one a second) to read the engine's genesis block for an interop genesis: an engine
/// started alongside the node may take minutes to open its database, so the limit is generous.
pub const ENGINE_GENESIS_ATTEMPTS: u32 = 300;
/// How long the stop waits for in-flight work (a block import's store write, a state advance) to let
/// go of the chain and the database.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the stop waits for each server to finish its open requests.
const SERVER_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the node until `signal` resolves (with the signal's name). A startup error is returned; a
/// signal during startup stops the node before it runs.
pub async fn run<E: EthSpec>(
    config: NodeConfig,
    signal: impl Future<Output = &'static str>,
) -> Result<(), StartupError> {
    tokio::pin!(signal);
    let node = tokio::select! {
        node = Node::<E>::start(config) => node?,
        name = &mut signal => {
            tracing::info!(signal = name, "stopping before the node started");
            return Ok(());
        }
    };
    let name = signal.await;
    tracing::info!(signal = name, "shutting down");
    node.stop().await;
    Ok(())
}

/// A started node: what must be stopped, in order.
struct Node<E: EthSpec> {
    chain: Arc<BeaconChain<E>>,
    timer: JoinHandle<()>,
    notifier: JoinHandle<()>,
    watchdog: Watchdog,
    shutdown: watch::Sender<bool>,
    servers: Vec<(&'static str, JoinHandle<()>)>,
}

/// A future that resolves once the node stops, for servers' graceful shutdown.
fn stopped(shutdown: &watch::Sender<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut receiver = shutdown.subscribe();
    async move {
        let _ = receiver.wait_for(|stop| *stop).await;
    }
}

impl<E: EthSpec> Node<E> {
    async fn start(config: NodeConfig) -> Result<Self, StartupError> {
        let spec = Arc::new(config.spec.clone());
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            datadir = %config.datadir.display(),
            preset = config.preset.as_str(),
            config = %spec.config_name,
            genesis = ?config.genesis,
            execution_endpoint = %config.execution_endpoint,
            builders = config.builder.builders.len(),
            rpc_builders = config.builder.full_payload.rpc.len(),
            engine_builders = config.builder.full_payload.engine.len(),
            "starting the beacon node"
        );

        let engine = EngineClient::new(
            config.execution_endpoint.clone(),
            JwtAuth::new(config.jwt_secret.clone()),
        )
        .map_err(|e| StartupError::flag("--execution-endpoint", e))?;
        // The engine's state changes are logged by its tracker; only a bad start needs a word here.
        let state = engine_api::watchdog::probe(&engine).await;
        if state == EngineState::AuthFailed {
            // Not a passing outage: the node would never be able to use this engine.
            return Err(StartupError::flag(
                "--execution-jwt",
                format!(
                    "the execution engine at {} refuses the secret (another secret, or clocks more \
                     than 60 s apart)",
                    config.execution_endpoint
                ),
            ));
        }
        if state != EngineState::Online {
            tracing::warn!(
                %state,
                endpoint = %config.execution_endpoint,
                "execution engine not ready; the node keeps trying"
            );
        }
        let watchdog =
            Watchdog::spawn(engine.clone(), Duration::from_millis(spec.slot_duration_ms));

        let store = Arc::new(
            Store::<E>::open(&config.datadir, spec.clone()).map_err(|e| {
                StartupError::flag(
                    "--datadir",
                    format!(
                        "cannot open the database in {}: {e}",
                        config.datadir.display()
                    ),
                )
            })?,
        );
        let (genesis_state, resuming) = genesis_state::<E>(&config, &store, &engine).await?;

        let registry = prometheus::Registry::new();
        let node_metrics = NodeMetrics::new(&registry)
            .map_err(|e| StartupError::Other(format!("cannot register the metrics: {e}")))?;
        let view = Arc::new(ChainView::new(E::slots_per_epoch()));
        let execution_layer = Arc::new(execution_layer::<E>(
            &config,
            engine,
            &store,
            &view,
            registry.clone(),
        )?);
        let chain = BeaconChain::start(ChainParts {
            spec: spec.clone(),
            config: ChainConfig {
                suggested_fee_recipient: config.suggested_fee_recipient,
                ..ChainConfig::default()
            },
            store,
            execution_layer,
            view,
            clock: Arc::new(SystemClock),
            genesis_state,
        })
        .map_err(|e| start_error(e, &config))?;
        let head = chain.head();
        if resuming {
            tracing::info!(datadir = %config.datadir.display(), head_slot = head.slot, head_block = %head.block_root, "resumed the chain from the datadir");
        } else {
            tracing::info!(datadir = %config.datadir.display(), genesis_time = chain.genesis_time(), genesis_block = %chain.genesis_block_root(), "started a new chain");
        }

        // Servers first: a port in use stops the start before any duty runs.
        let (shutdown, _) = watch::channel(false);
        let mut servers = Vec::new();
        if let Some(addr) = config.metrics_address {
            let (bound, server) = metrics::serve(registry.clone(), addr, stopped(&shutdown))
                .map_err(|e| {
                    StartupError::flag("--metrics-port", format!("cannot listen on {addr}: {e}"))
                })?;
            tracing::info!(address = %bound, "metrics server listening on http://{bound}/metrics");
            servers.push(("metrics", tokio::spawn(server)));
        }
        let api_config = http_api::Config {
            listen: config.http_address,
            allow_origin: config.http_allow_origin.clone(),
            ..http_api::Config::default()
        };
        let (bound, server) = http_api::serve(chain.clone(), api_config, stopped(&shutdown))
            .map_err(|e| match e {
                http_api::ServeError::Origin(_) => StartupError::flag("--http-allow-origin", e),
                other => StartupError::flag("--http-port", other),
            })?;
        tracing::info!(address = %bound, "HTTP API on http://{bound}");
        servers.push(("http_api", tokio::spawn(server)));
        if let Some(settings) = &config.rpc_gateway {
            let (bound, server) = crate::gateway::serve(
                settings,
                &config.builder.full_payload,
                &registry,
                stopped(&shutdown),
            )?;
            tracing::info!(
                address = %bound,
                execution_rpc = %settings.execution_rpc,
                builders = config.builder.full_payload.rpc.len() + config.builder.full_payload.engine.len(),
                "RPC gateway on http://{bound}"
            );
            servers.push(("rpc_gateway", tokio::spawn(server)));
        }
        let timer = chain.spawn_timer();
        let notifier = notifier::spawn(chain.clone(), node_metrics);
        Ok(Self {
            chain,
            timer,
            notifier,
            watchdog,
            shutdown,
            servers,
        })
    }

    /// Stops the duties and the servers, waits for in-flight work to release the chain, then drops
    /// it, which closes the database.
    async fn stop(self) {
        let Self {
            chain,
            timer,
            notifier,
            watchdog,
            shutdown,
            servers,
        } = self;
        let _ = shutdown.send(true);
        timer.abort();
        notifier.abort();
        drop(watchdog);
        // An aborted task drops its future (and its handle on the chain) before `await` returns.
        let _ = timer.await;
        let _ = notifier.await;
        for (name, mut server) in servers {
            if tokio::time::timeout(SERVER_STOP_TIMEOUT, &mut server)
                .await
                .is_err()
            {
                // Long-lived connections (event streams) would hold the chain: cut them.
                tracing::warn!(server = name, "server did not stop in time; closing it");
                server.abort();
                let _ = server.await;
            }
        }
        let database = Arc::downgrade(&chain.store().database());
        let deadline = Instant::now() + STOP_TIMEOUT;
        // Blocking tasks (a state advance, an import's store write) cannot be aborted: let them end.
        while Arc::strong_count(&chain) > 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(chain);
        while database.strong_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if database.strong_count() == 0 {
            tracing::info!("database closed");
        } else {
            tracing::warn!(
                "work still holds the database at exit; redb checks the file at the next start"
            );
        }
    }
}

/// The genesis state to give the chain, and whether the datadir already holds a chain. A new chain
/// gets its genesis from the flags; a resumed one gets the same genesis rebuilt, which the chain
/// compares with the one it stored, so that a datadir of another chain is refused.
async fn genesis_state<E: EthSpec>(
    config: &NodeConfig,
    store: &Store<E>,
    engine: &EngineClient,
) -> Result<(Option<BeaconState<E>>, bool), StartupError> {
    let metadata = store
        .chain_metadata()
        .map_err(|e| StartupError::flag("--datadir", format!("cannot read the database: {e}")))?;
    let resuming = metadata.head_block_root.is_some();
    let state = match &config.genesis {
        Genesis::TestnetDir(dir) => {
            beacon_chain::genesis::testnet_genesis_state::<E>(dir, &config.spec)
                .map_err(|e| StartupError::flag("--testnet-dir", e))?
        }
        Genesis::Interop {
            validators,
            genesis_time,
        } if resuming => {
            // The engine's genesis header is in the stored genesis state: no need to ask the engine.
            let stored = metadata
                .genesis_state_root
                .and_then(|root| store.get_state(&root).ok().flatten())
                .ok_or_else(|| {
                    StartupError::flag("--datadir", "the database has a head but no genesis state")
                })?;
            let fork = config.spec.fork_name_at_epoch(0);
            if stored.fork_name() != fork {
                return Err(StartupError::flag(
                    "--datadir",
                    format!(
                        "{} holds a chain that starts at {}, not at {fork} as the flags say",
                        config.datadir.display(),
                        stored.fork_name()
                    ),
                ));
            }
            state_processing::genesis::interop_genesis_state::<E>(
                *validators,
                *genesis_time,
                fork,
                Some(stored.latest_execution_payload_header()),
                &config.spec,
            )
            .map_err(|e| StartupError::flag("--interop-validators", e))?
        }
        Genesis::Interop {
            validators,
            genesis_time,
        } => beacon_chain::genesis::interop_genesis::<E>(
            *validators,
            *genesis_time,
            &config.spec,
            engine,
            ENGINE_GENESIS_ATTEMPTS,
        )
        .await
        .map_err(|e| StartupError::Other(e.to_string()))?,
    };
    Ok((Some(state), resuming))
}

/// The builder module over the engine, the configured builders and the node's database.
fn execution_layer<E: EthSpec>(
    config: &NodeConfig,
    engine: EngineClient,
    store: &Store<E>,
    view: &Arc<ChainView>,
    registry: prometheus::Registry,
) -> Result<ExecutionLayer<E>, StartupError> {
    let settings = &config.builder;
    let mut layer_config = ExecutionLayerConfig::new(config.spec.clone());
    layer_config.circuit_breaker = settings.circuit_breaker;
    layer_config.require_fee_recipient = settings.require_fee_recipient;
    layer_config.withhold_penalty_epochs = settings.withhold_penalty_epochs;
    layer_config.local_payload_timeout = settings.local_payload_timeout;
    layer_config.full_payload_builders = settings.full_payload.clone();
    let builders = settings
        .builders
        .iter()
        .map(|builder| {
            BuilderClient::new(builder.clone()).map_err(|e| {
                StartupError::flag("--payload-builder", format!("{}: {e}", builder.url))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let builder_store = RedbBuilderBlockStore::from_database(store.database()).map_err(|e| {
        StartupError::flag("--datadir", format!("cannot open the builder tables: {e}"))
    })?;
    ExecutionLayer::with_metrics_registry(
        layer_config,
        engine,
        builders,
        Box::new(builder_store),
        view.clone(),
        registry,
    )
    .map_err(|e| match e {
        execution_layer::ExecutionLayerError::DuplicateBuilder(ref name)
            if settings
                .full_payload
                .engine
                .iter()
                .any(|engine| engine.url.as_str() == name.as_str()) =>
        {
            StartupError::flag("--payload-builder-engine", e)
        }
        execution_layer::ExecutionLayerError::DuplicateBuilder(_) => {
            StartupError::flag("--payload-builder", e)
        }
        execution_layer::ExecutionLayerError::MissingRequestKey => {
            StartupError::flag("--payload-builder-request-key", e)
        }
        execution_layer::ExecutionLayerError::EngineBuilder(_) => {
            StartupError::flag("--payload-builder-engine", e)
        }
        other => StartupError::Other(other.to_string()),
    })
}

/// A chain that would not start, as the operator's error.
fn start_error(error: StartError, config: &NodeConfig) -> StartupError {
    match error {
        StartError::WrongChain { stored, expected } => StartupError::flag(
            "--datadir",
            format!(
                "{} holds another chain (genesis state root {stored}); the genesis of {} has root {expected}",
                config.datadir.display(),
                config.genesis.flag()
            ),
        ),
        StartError::Genesis(message) => StartupError::flag(config.genesis.flag(), message),
        other => StartupError::Other(format!("cannot start the chain: {other}")),
    }
}
