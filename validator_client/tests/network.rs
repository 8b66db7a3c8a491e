//! The validator client against a beacon node in process (the real chain crates and HTTP API, mock-el,
//! a mock relay following the node's events): with `--blinded-payload-builder` the client alone
//! performs every duty, the chain finalizes through the fork schedule, and builder payloads win
//! proposals; without it every proposal is local.

use beacon_chain::{BeaconChain, ChainConfig, ChainParts, ChainView, SystemClock};
use builder_api::{BuilderClient, BuilderConfig};
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use execution_layer::{ExecutionLayer, ExecutionLayerConfig, RedbBuilderBlockStore};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig, RelayFaults};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use types::{Address, ChainSpec, EthSpec, ForkName, MinimalEthSpec};
use validator_client::keys::interop::interop_keys;
use validator_client::run::ClientConfig;
use validator_client::settings::{Settings, ValidatorSettings};

type E = MinimalEthSpec;

const VALIDATORS: u64 = 64;
const SLOT_MS: u64 = 2000;
const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

struct Network {
    _el: MockEl,
    _relay: MockRelay,
    chain: Arc<BeaconChain<E>>,
    api: url::Url,
    spec: ChainSpec,
    datadir: std::path::PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
        let _ = std::fs::remove_dir_all(&self.datadir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Capella at genesis, Deneb, Electra and Fulu one epoch apart, 2-second slots.
fn spec() -> ChainSpec {
    let mut spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Capella);
    spec.deneb_fork_epoch = 1;
    spec.electra_fork_epoch = 2;
    spec.fulu_fork_epoch = 3;
    spec.slot_duration_ms = SLOT_MS;
    spec
}

async fn network(name: &str) -> Network {
    let spec = spec();
    let jwt = JwtSecret::new([0x42; 32]);
    let genesis_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock")
        .as_secs()
        + 3;
    let mut el_config = MockElConfig::new(jwt.clone());
    let at = |epoch: u64| Some(genesis_time + epoch * E::slots_per_epoch() * SLOT_MS / 1000);
    el_config.genesis.schedule.cancun_time = at(1);
    el_config.genesis.schedule.prague_time = at(2);
    el_config.genesis.schedule.osaka_time = at(3);
    let el = MockEl::start(el_config).await.expect("mock-el");
    let engine = EngineClient::new(el.url().parse().expect("a URL"), JwtAuth::new(jwt.clone()))
        .expect("an engine client");
    let genesis =
        beacon_chain::genesis::interop_genesis::<E>(VALIDATORS, genesis_time, &spec, &engine, 3)
            .await
            .expect("a genesis");
    let api_port = free_port();
    let api: url::Url = format!("http://127.0.0.1:{api_port}/")
        .parse()
        .expect("a URL");
    let mut relay_config = MockRelayConfig::new(
        spec.clone(),
        genesis.genesis_validators_root(),
        bls::interop_secret_key(1000),
        el.url().parse().expect("a URL"),
        jwt,
    );
    relay_config.beacon_node = Some(api.clone());
    relay_config.faults = RelayFaults {
        v2_unsupported: true,
        ..RelayFaults::default()
    };
    let relay = MockRelay::start::<E>(relay_config)
        .await
        .expect("the relay");

    let datadir = std::env::temp_dir().join(format!(
        "vc_network_{name}_{}_{}",
        std::process::id(),
        genesis_time
    ));
    let spec_arc = Arc::new(spec.clone());
    let store = Arc::new(Store::<E>::open(&datadir.join("bn"), spec_arc.clone()).expect("a store"));
    let view = Arc::new(ChainView::new(E::slots_per_epoch()));
    // A generous getHeader timeout: a loaded test machine must not decide who wins.
    let mut builder_config = BuilderConfig::new(relay.url(), Some(relay.pubkey()));
    builder_config.timeouts.get_header = Duration::from_secs(5);
    let builder = BuilderClient::new(builder_config).expect("a builder client");
    let layer = Arc::new(
        ExecutionLayer::new(
            ExecutionLayerConfig::new(spec.clone()),
            engine,
            vec![builder],
            Box::new(RedbBuilderBlockStore::from_database(store.database()).expect("registry")),
            view.clone(),
        )
        .expect("the execution layer"),
    );
    let chain = BeaconChain::start(ChainParts {
        spec: spec_arc,
        config: ChainConfig::default(),
        store,
        execution_layer: layer,
        view,
        clock: Arc::new(SystemClock),
        genesis_state: Some(genesis),
    })
    .expect("the chain");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let timer = chain.spawn_timer();
    let mut on_stop = stopped.clone();
    let (_, server) = http_api::serve(
        chain.clone(),
        http_api::Config {
            listen: ([127, 0, 0, 1], api_port).into(),
            ..http_api::Config::default()
        },
        async move {
            let _ = on_stop.wait_for(|s| *s).await;
        },
    )
    .expect("the API serves");
    let server = tokio::spawn(server);
    Network {
        _el: el,
        _relay: relay,
        chain,
        api,
        spec,
        datadir,
        stop,
        tasks: vec![timer, server],
    }
}

impl Network {
    /// A second API server on the same node, stopped when `stop` says so: a beacon node to fail over
    /// to, or from.
    fn serve_api(&mut self, stop: tokio::sync::watch::Receiver<bool>) -> url::Url {
        let port = free_port();
        let mut stop = stop;
        let mut on_stop = self.stop.subscribe();
        let (_, server) = http_api::serve(
            self.chain.clone(),
            http_api::Config {
                listen: ([127, 0, 0, 1], port).into(),
                ..http_api::Config::default()
            },
            async move {
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => {}
                    _ = on_stop.wait_for(|s| *s) => {}
                }
            },
        )
        .expect("the API serves");
        self.tasks.push(tokio::spawn(server));
        format!("http://127.0.0.1:{port}/").parse().expect("a URL")
    }
}

fn client_config(network: &Network, blinded: bool) -> ClientConfig {
    ClientConfig {
        spec: network.spec.clone(),
        datadir: network.datadir.join("vc"),
        beacon_nodes: vec![network.api.clone()],
        settings: Settings::new(ValidatorSettings {
            fee_recipient: FEE_RECIPIENT,
            gas_limit: 36_000_000,
            builder: true,
            builder_boost_factor: 100,
            graffiti: None,
        }),
        blinded_payload_builder: blinded,
        prefer_builder_proposals: false,
        doppelganger_protection: false,
        metrics: None,
    }
}

/// Runs the client until `done` says so or `limit` passes; returns whether `done` held.
async fn run_client(
    network: &mut Network,
    blinded: bool,
    limit: Duration,
    done: impl Fn(&BeaconChain<E>) -> bool,
) -> bool {
    let config = client_config(network, blinded);
    run_client_with(network, config, limit, done).await
}

async fn run_client_with(
    network: &mut Network,
    config: ClientConfig,
    limit: Duration,
    done: impl Fn(&BeaconChain<E>) -> bool,
) -> bool {
    std::fs::create_dir_all(network.datadir.join("vc")).expect("a datadir");
    let mut stopped = network.stop.subscribe();
    let client = tokio::spawn(validator_client::run::run::<E>(
        config,
        interop_keys(0..VALIDATORS),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    network.tasks.push(tokio::spawn(async move {
        if let Ok(Err(error)) = client.await {
            panic!("the client stopped: {error}");
        }
    }));
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if done(&network.chain) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_alone_finalizes_the_chain_on_builder_payloads() {
    let mut network = network("blinded").await;
    let epochs = 6;
    let finalized = run_client(
        &mut network,
        true,
        Duration::from_millis(SLOT_MS * E::slots_per_epoch() * (epochs + 2)),
        |chain| {
            chain.finalized_checkpoint().epoch >= 2
                && chain.head().state.fork_name() == ForkName::Fulu
        },
    )
    .await;
    let head = network.chain.head();
    assert!(
        finalized,
        "head slot {}, finalized {:?}, justified {:?}",
        head.slot,
        network.chain.finalized_checkpoint(),
        network.chain.justified_checkpoint()
    );
    let status = network.chain.execution_layer().status();
    let wins = status.builders[0].counters.wins;
    assert!(
        wins > 0,
        "no builder block: {:?}",
        status.builders[0].counters
    );
    // The chain moved past genesis on the client's blocks.
    assert!(head.slot > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_every_proposal_is_local() {
    let mut network = network("local").await;
    let reached = run_client(
        &mut network,
        false,
        Duration::from_millis(SLOT_MS * (E::slots_per_epoch() + 6)),
        |chain| chain.head().slot >= 4,
    )
    .await;
    assert!(reached, "head slot {}", network.chain.head().slot);
    let status = network.chain.execution_layer().status();
    assert_eq!(
        status.builders[0].counters.chosen, 0,
        "{:?}",
        status.builders[0].counters
    );
    assert_eq!(status.builders[0].counters.wins, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_beacon_node_takes_over_when_the_first_dies() {
    let mut network = network("failover").await;
    let (stop_first, first_stopped) = tokio::sync::watch::channel(false);
    let first = network.serve_api(first_stopped);
    let mut config = client_config(&network, false);
    // The preferred node is the one that will die; the bench's own API is the second.
    config.beacon_nodes = vec![first, network.api.clone()];
    let chain = network.chain.clone();
    let reached = run_client_with(
        &mut network,
        config,
        Duration::from_millis(SLOT_MS * (E::slots_per_epoch() + 6)),
        |chain| chain.head().slot >= 3,
    )
    .await;
    assert!(reached, "head slot {}", chain.head().slot);
    // The first node dies; blocks keep coming through the second within a slot or two.
    let _ = stop_first.send(true);
    let died_at = chain.head().slot;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(SLOT_MS * 6);
    while chain.head().slot < died_at + 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no blocks after the first node died at slot {died_at}: head {}",
            chain.head().slot
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
