//! The bench: mock-el (Capella → Deneb → Electra → Fulu one epoch apart), a mock relay (v2 unsupported,
//! so Fulu's builders reveal), a store in a temporary directory, a chain over them on a hand-moved
//! clock, and the beacon API served on a free localhost port with a typed client. The bench plays the
//! validators with interop keys.

use beacon_api::{BeaconNodeHttpClient, ProduceQuery};
use beacon_chain::{BeaconChain, ChainConfig, ChainParts, ChainView, ManualClock};
use builder_api::{BuilderClient, BuilderConfig};
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use execution_layer::{ExecutionLayer, ExecutionLayerConfig, RedbBuilderBlockStore};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig, RelayFaults};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;
use types::{
    compute_signing_root, Address, BeaconState, ChainSpec, EthSpec, ForkName, Hash256,
    MinimalEthSpec, SignatureBytes, Slot, DOMAIN_BEACON_PROPOSER, DOMAIN_RANDAO,
};

pub type E = MinimalEthSpec;

pub const VALIDATORS: u64 = 64;
pub const GENESIS_TIME: u64 = 1_700_000_000;
pub const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

pub fn jwt() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

/// Capella at genesis, then Deneb, Electra and Fulu one epoch apart (minimal preset).
pub fn spec() -> ChainSpec {
    let mut spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Capella);
    spec.deneb_fork_epoch = 1;
    spec.electra_fork_epoch = 2;
    spec.fulu_fork_epoch = 3;
    spec
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("http_api_{name}_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Options {
    pub blobs_per_payload: u64,
    pub config: http_api::Config,
    /// The relay follows this node's event stream and, from Fulu, publishes the blocks it is given
    /// (submitBlindedBlockV2) through this node's `POST /eth/v2/beacon/blocks`.
    pub relay_publishes: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            blobs_per_payload: 0,
            relay_publishes: false,
            config: http_api::Config {
                listen: "127.0.0.1:0".parse().expect("an address"),
                ..http_api::Config::default()
            },
        }
    }
}

/// One test's processes, files, server and client.
pub struct Env {
    pub spec: Arc<ChainSpec>,
    pub el: MockEl,
    pub relay: MockRelay,
    pub clock: Arc<ManualClock>,
    pub chain: Arc<BeaconChain<E>>,
    pub client: BeaconNodeHttpClient,
    pub addr: SocketAddr,
    events: parking_lot::Mutex<tokio::sync::broadcast::Receiver<beacon_chain::Event>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _datadir: TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Env {
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, Options::default()).await
    }

    pub async fn start_with(name: &str, mut options: Options) -> Self {
        let spec = Arc::new(spec());
        if options.relay_publishes {
            // The relay needs the node's URL before the node (which needs the relay's) exists: take a
            // free port now and serve on it.
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            options.config.listen = listener.local_addr().expect("an address");
        }
        let mut el_config = MockElConfig::new(jwt());
        let at = |epoch: u64| {
            Some(GENESIS_TIME + epoch * E::slots_per_epoch() * spec.slot_duration_ms / 1000)
        };
        el_config.genesis.schedule.cancun_time = at(1);
        el_config.genesis.schedule.prague_time = at(2);
        el_config.genesis.schedule.osaka_time = at(3);
        let el = MockEl::start(el_config).await.expect("mock-el starts");
        if options.blobs_per_payload > 0 {
            let _ = kzg::settings();
            el.update_faults(|f| f.blobs_per_payload = options.blobs_per_payload);
        }
        let engine = engine(&el);
        let genesis = beacon_chain::genesis::interop_genesis::<E>(
            VALIDATORS,
            GENESIS_TIME,
            &spec,
            &engine,
            3,
        )
        .await
        .expect("the interop genesis");
        let mut relay_config = MockRelayConfig::new(
            (*spec).clone(),
            genesis.genesis_validators_root(),
            bls::interop_secret_key(1000),
            el.url().parse().expect("a URL"),
            jwt(),
        );
        relay_config.faults = RelayFaults {
            v2_unsupported: !options.relay_publishes,
            ..RelayFaults::default()
        };
        if options.relay_publishes {
            relay_config.beacon_node = Some(
                format!("http://{}/", options.config.listen)
                    .parse()
                    .expect("a URL"),
            );
        }
        relay_config.bid_bonus_wei = types::U256::from(1_000_000_000u64);
        let relay = MockRelay::start::<E>(relay_config)
            .await
            .expect("the relay starts");
        let datadir = TempDir::new(name);
        let clock = Arc::new(ManualClock::new(GENESIS_TIME * 1000));
        let chain = build_chain(&spec, &el, &relay, &datadir, &clock, genesis).expect("a chain");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr, server) = http_api::serve(chain.clone(), options.config, async {
            let _ = rx.await;
        })
        .expect("the server binds");
        tokio::spawn(server);
        let client = BeaconNodeHttpClient::new(format!("http://{addr}").parse().expect("a URL"))
            .expect("a client");
        let env = Self {
            spec,
            el,
            relay,
            clock,
            events: parking_lot::Mutex::new(chain.events().subscribe()),
            chain,
            client,
            addr,
            shutdown: Some(tx),
            _datadir: datadir,
        };
        env.register_all().await;
        env
    }

    /// Every validator prepared and registered with the relay.
    pub async fn register_all(&self) {
        let preparations: Vec<(u64, Address)> =
            (0..VALIDATORS).map(|i| (i, FEE_RECIPIENT)).collect();
        self.chain.prepare_beacon_proposer(&preparations);
        let registrations = self.registrations();
        let failures = self.chain.register_validators(registrations).await;
        assert!(failures.is_empty(), "{failures:?}");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.relay.stats().registrations < VALIDATORS {
            assert!(
                tokio::time::Instant::now() < deadline,
                "registrations never reached the relay"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    pub fn registrations(&self) -> Vec<types::SignedValidatorRegistrationV1> {
        let gas_limit = self.el.with_chain(|c| c.head().header.gas_limit);
        let timestamp = self.clock_seconds();
        (0..VALIDATORS)
            .map(|i| {
                mock_relay::sign_registration(
                    &self.spec,
                    &bls::interop_secret_key(i),
                    FEE_RECIPIENT,
                    gas_limit,
                    timestamp,
                )
            })
            .collect()
    }

    pub fn clock_seconds(&self) -> u64 {
        use beacon_chain::Clock;
        self.clock.now_ms() / 1000
    }

    /// The slot's preparation (early local build, payload attributes to the relay), then the clock at
    /// its start and the slot's duties run.
    pub async fn enter_slot(&self, slot: Slot) {
        self.chain.prepare_slot(slot).await;
        {
            let mut events = self.events.lock();
            while let Ok(event) = events.try_recv() {
                if let beacon_chain::Event::PayloadAttributes(envelope) = event {
                    self.relay.on_payload_attributes(envelope.data.clone());
                }
            }
        }
        self.clock
            .set_ms((GENESIS_TIME + slot * self.spec.slot_duration_ms / 1000) * 1000);
        self.chain.on_slot_start(slot).await;
    }

    /// The head state advanced to `slot`.
    pub fn state_at(&self, slot: Slot) -> Arc<BeaconState<E>> {
        let head = self.chain.head();
        self.chain
            .state_at_slot(head.block_root, slot.max(head.slot))
            .expect("the head state advances")
    }

    pub fn proposer(&self, slot: Slot) -> u64 {
        state_processing::common::get_beacon_proposer_index(&self.state_at(slot))
            .expect("a proposer")
    }

    /// The proposer's RANDAO reveal for `slot`.
    pub fn randao(&self, slot: Slot) -> SignatureBytes {
        let state = self.state_at(slot);
        let epoch = slot / E::slots_per_epoch();
        let domain = state_processing::common::get_domain(&state, DOMAIN_RANDAO, Some(epoch));
        bls::interop_secret_key(self.proposer(slot))
            .sign(compute_signing_root(&epoch, domain).as_slice())
            .to_bytes()
    }

    /// The proposer's signature of a block root at `slot`.
    pub fn sign_block(&self, slot: Slot, root: Hash256) -> SignatureBytes {
        let state = self.state_at(slot);
        let domain = state_processing::common::get_domain(&state, DOMAIN_BEACON_PROPOSER, None);
        bls::interop_secret_key(self.proposer(slot))
            .sign(compute_signing_root(&root, domain).as_slice())
            .to_bytes()
    }

    pub fn produce_query(&self, slot: Slot) -> ProduceQuery {
        ProduceQuery {
            randao_reveal: self.randao(slot),
            ..ProduceQuery::default()
        }
    }

    /// Enters `slot` and proposes through the API: v3 production, signing, publication of the
    /// blinded or full block (JSON, or SSZ both ways with `ssz`). Returns the production.
    pub async fn propose(&self, slot: Slot, ssz: bool) -> beacon_api::ProduceBlockV3Response<E> {
        self.enter_slot(slot).await;
        let query = self.produce_query(slot);
        let produced = if ssz {
            self.client
                .get_validator_blocks_v3_ssz::<E>(slot, &query)
                .await
        } else {
            self.client.get_validator_blocks_v3::<E>(slot, &query).await
        }
        .expect("a block is produced");
        let status = self.publish(slot, &produced.data, ssz).await;
        assert_eq!(status, 200, "slot {slot}");
        assert_eq!(self.chain.head().slot, slot);
        produced
    }

    /// Signs a produced block and publishes it through the v2 endpoints.
    pub async fn publish(
        &self,
        slot: Slot,
        data: &beacon_api::ProducedBlockData<E>,
        ssz: bool,
    ) -> u16 {
        use beacon_api::{
            FullBlockContents, ProducedBlockData, PublishBlockRequest, SignedBlockContents,
        };
        let validation = Some("consensus_and_equivocation");
        match data {
            ProducedBlockData::Blinded(block) => {
                let signature = self.sign_block(slot, block.canonical_root());
                let signed = block.clone().into_signed(signature);
                if ssz {
                    self.client
                        .post_beacon_blinded_blocks_v2_ssz(&signed, validation)
                        .await
                } else {
                    self.client
                        .post_beacon_blinded_blocks_v2(&signed, validation)
                        .await
                }
            }
            ProducedBlockData::Full(full) => {
                let signature = self.sign_block(slot, full.block().canonical_root());
                let request = match full {
                    FullBlockContents::Block(block) => {
                        PublishBlockRequest::Block(block.clone().into_signed(signature))
                    }
                    FullBlockContents::Contents(contents) => {
                        PublishBlockRequest::Contents(SignedBlockContents {
                            signed_block: contents.block.clone().into_signed(signature),
                            kzg_proofs: contents.kzg_proofs.clone(),
                            blobs: contents.blobs.clone(),
                        })
                    }
                };
                if ssz {
                    self.client
                        .post_beacon_blocks_v2_ssz(&request, validation)
                        .await
                } else {
                    self.client
                        .post_beacon_blocks_v2(&request, validation)
                        .await
                }
            }
        }
        .map(|status| status.as_u16())
        .unwrap_or_else(|e| panic!("publication of slot {slot} failed: {e}"))
    }
}

pub fn engine(el: &MockEl) -> EngineClient {
    EngineClient::new(el.url().parse().expect("a URL"), JwtAuth::new(jwt())).expect("a client")
}

fn build_chain(
    spec: &Arc<ChainSpec>,
    el: &MockEl,
    relay: &MockRelay,
    datadir: &TempDir,
    clock: &Arc<ManualClock>,
    genesis: BeaconState<E>,
) -> Result<Arc<BeaconChain<E>>, String> {
    let store = Arc::new(Store::<E>::open(&datadir.0, spec.clone()).map_err(|e| e.to_string())?);
    let mut builder_config = BuilderConfig::new(relay.url(), Some(relay.pubkey()));
    // The machine running the tests may be loaded: a bid must not miss the default 950 ms.
    builder_config.timeouts.get_header = std::time::Duration::from_secs(5);
    let builder = BuilderClient::new(builder_config).map_err(|e| e.to_string())?;
    let view = Arc::new(ChainView::new(E::slots_per_epoch()));
    let builder_store =
        RedbBuilderBlockStore::from_database(store.database()).map_err(|e| e.to_string())?;
    let layer = Arc::new(
        ExecutionLayer::new(
            ExecutionLayerConfig::new((**spec).clone()),
            engine(el),
            vec![builder],
            Box::new(builder_store),
            view.clone(),
        )
        .map_err(|e| e.to_string())?,
    );
    BeaconChain::start(ChainParts {
        spec: spec.clone(),
        config: ChainConfig {
            suggested_fee_recipient: Some(FEE_RECIPIENT),
            ..ChainConfig::default()
        },
        store,
        execution_layer: layer,
        view,
        clock: clock.clone(),
        genesis_state: Some(genesis),
    })
    .map_err(|e| e.to_string())
}
