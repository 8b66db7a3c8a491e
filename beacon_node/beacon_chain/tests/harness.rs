//! The test bench: mock-el with a Capella → Deneb → Electra → Fulu schedule, mock relays on it, a
//! store in a temporary directory, and a `BeaconChain` over them with a clock the test moves. The
//! bench plays the validators (interop keys): it registers them, produces, signs and publishes.

use beacon_chain::{
    BeaconChain, BlockFormat, BlockProposal, BroadcastValidation, ChainConfig, ChainParts,
    ChainView, ManualClock, ProduceOptions, Published,
};
use builder_api::{BuilderClient, BuilderConfig};
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use execution_layer::full_payload::{EngineBuilderConfig, RpcBuilderConfig};
use execution_layer::{
    ExecutionLayer, ExecutionLayerConfig, FullPayloadBuildersConfig, RedbBuilderBlockStore,
};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig, RelayFaults};
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;
use types::{
    compute_signing_root, Address, BeaconState, ChainSpec, EthSpec, ForkName, MinimalEthSpec, Slot,
    DOMAIN_BEACON_PROPOSER, DOMAIN_RANDAO,
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
        let path = std::env::temp_dir().join(format!(
            "beacon_chain_{name}_{}_{nanos}",
            std::process::id()
        ));
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
    pub relays: Vec<RelayFaults>,
    pub blobs_per_payload: u64,
    /// Full-payload builders over `builder_getPayloadV1` (mock relays' RPC face), after the relays.
    pub rpc_builders: Vec<RelayFaults>,
    /// Engine builders (mock relays' engine face), after the RPC builders.
    pub engine_builders: Vec<RelayFaults>,
    /// Value bonus in wei per full-payload builder (RPC builders first); default 3 gwei each, above
    /// the relays' defaults, so that a full payload wins unless a test says otherwise.
    pub full_bonuses: Vec<u64>,
    /// The only proposer addresses the RPC builders answer (empty: any correctly signed request).
    pub rpc_proposers: Vec<Address>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            relays: vec![relay()],
            blobs_per_payload: 0,
            rpc_builders: vec![],
            engine_builders: vec![],
            full_bonuses: vec![],
            rpc_proposers: vec![],
        }
    }
}

/// The JWT secret of the engine builders' faces (not the local engine's).
pub fn builder_jwt() -> JwtSecret {
    JwtSecret::new([0x55; 32])
}

/// The proposer's key that signs `builder_getPayloadV1` requests.
pub fn request_key() -> execution_layer::full_payload::Secp256k1Key {
    execution_layer::full_payload::Secp256k1Key::from_bytes(&[0x31; 32]).expect("a valid key")
}

/// A relay that reveals payloads on Fulu too (submitBlindedBlockV2 unsupported): the bench has no
/// beacon API for a relay to publish to, so Fulu's v2 path is exercised where there is one.
pub fn relay() -> RelayFaults {
    RelayFaults {
        v2_unsupported: true,
        ..RelayFaults::default()
    }
}

/// The processes and files of one test; the chain can be restarted over them.
pub struct Env {
    pub spec: Arc<ChainSpec>,
    pub el: MockEl,
    pub relays: Vec<MockRelay>,
    /// The mock relays behind the full-payload builders: RPC builders, then engine builders.
    pub full_relays: Vec<MockRelay>,
    /// Their settings, as the chain's execution layer has them.
    pub full: FullPayloadBuildersConfig,
    pub datadir: TempDir,
    pub clock: Arc<ManualClock>,
    chain: Option<Arc<BeaconChain<E>>>,
    events: parking_lot::Mutex<Option<tokio::sync::broadcast::Receiver<beacon_chain::Event>>>,
}

impl Env {
    pub async fn start(name: &str, options: Options) -> Self {
        let spec = Arc::new(spec());
        let el = MockEl::start(mock_el_config())
            .await
            .expect("mock-el starts");
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
        let mut relays = Vec::new();
        for (i, faults) in options.relays.iter().enumerate() {
            let mut config = MockRelayConfig::new(
                (*spec).clone(),
                genesis.genesis_validators_root(),
                bls::interop_secret_key(1000 + i as u64),
                el.url().parse().expect("a URL"),
                jwt(),
            );
            config.faults = faults.clone();
            config.bid_bonus_wei = types::U256::from(1_000_000_000u64 * (i as u64 + 1));
            relays.push(
                MockRelay::start::<E>(config)
                    .await
                    .expect("the relay starts"),
            );
        }
        let (full_relays, full) = start_full_builders(&spec, &el, &genesis, &options).await;
        let datadir = TempDir::new(name);
        let clock = Arc::new(ManualClock::new(GENESIS_TIME * 1000));
        let chain = build_chain(&spec, &el, &relays, &full, &datadir, &clock, Some(genesis))
            .expect("the chain starts");
        let env = Self {
            spec,
            el,
            relays,
            full_relays,
            full,
            datadir,
            clock,
            events: parking_lot::Mutex::new(Some(chain.events().subscribe())),
            chain: Some(chain),
        };
        env.register_all().await;
        env
    }

    /// The running chain.
    pub fn chain(&self) -> &Arc<BeaconChain<E>> {
        self.chain.as_ref().expect("a running chain")
    }

    /// Restarts the chain over the same datadir: the old chain is dropped, and the store reopened once
    /// its last handle (held for a moment by tasks the chain spawned) is gone.
    pub async fn restart(&mut self) {
        self.restart_without_registering().await;
        self.register_all().await;
    }

    /// As [`Self::restart`], without registering the validators again after it.
    pub async fn restart_without_registering(&mut self) {
        self.events.lock().take();
        drop(self.chain.take());
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        let chain = loop {
            match build_chain(
                &self.spec,
                &self.el,
                &self.relays,
                &self.full,
                &self.datadir,
                &self.clock,
                None,
            ) {
                Ok(chain) => break chain,
                Err(error) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(%error, "the store is still open; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(error) => panic!("the chain does not restart: {error}"),
            }
        };
        *self.events.lock() = Some(chain.events().subscribe());
        self.chain = Some(chain);
    }

    /// Feeds the chain's `payload_attributes` events so far to the relays (what their SSE follower
    /// does).
    fn forward_events(&self) {
        let mut events = self.events.lock();
        let Some(receiver) = events.as_mut() else {
            return;
        };
        while let Ok(event) = receiver.try_recv() {
            if let beacon_chain::Event::PayloadAttributes(envelope) = event {
                for relay in self.relays.iter().chain(&self.full_relays) {
                    relay.on_payload_attributes(envelope.data.clone());
                }
            }
        }
    }

    /// Every validator prepared (fee recipient) and registered with the builders.
    pub async fn register_all(&self) {
        let preparations: Vec<(u64, Address)> =
            (0..VALIDATORS).map(|i| (i, FEE_RECIPIENT)).collect();
        self.chain().prepare_beacon_proposer(&preparations);
        let gas_limit = self.el.with_chain(|c| c.head().header.gas_limit);
        let timestamp = self.clock_seconds();
        let registrations = (0..VALIDATORS)
            .map(|i| {
                mock_relay::sign_registration(
                    &self.spec,
                    &bls::interop_secret_key(i),
                    FEE_RECIPIENT,
                    gas_limit,
                    timestamp,
                )
            })
            .collect();
        let failures = self.chain().register_validators(registrations).await;
        assert!(failures.is_empty(), "{failures:?}");
        // The chain forwards in the background: wait until every relay has them.
        for relay in &self.relays {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
            while relay.stats().registrations < VALIDATORS {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "registrations never reached the relay"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }

    pub fn clock_seconds(&self) -> u64 {
        use beacon_chain::Clock;
        self.clock.now_ms() / 1000
    }

    /// Moves the clock to the start of `slot`, then runs the slot's duties as the timer would.
    pub async fn start_slot(&self, slot: Slot) {
        self.clock
            .set_ms((GENESIS_TIME + slot * self.spec.slot_duration_ms / 1000) * 1000);
        self.chain().on_slot_start(slot).await;
    }

    /// The proposer of `slot`, the one the chain's head state computes.
    pub fn proposer(&self, slot: Slot) -> u64 {
        let head = self.chain().head();
        let state = self
            .chain()
            .state_at_slot(head.block_root, slot)
            .expect("the head state advances");
        state_processing::common::get_beacon_proposer_index(&state).expect("a proposer")
    }

    /// Proposes at `slot` on the head as its proposer would: the slot prepared, the block produced
    /// (`format`), signed and published. Returns the production and the publication.
    pub async fn propose(
        &self,
        slot: Slot,
        format: BlockFormat,
    ) -> (
        beacon_chain::ProducedBlock<E>,
        Result<Published, beacon_chain::PublishError>,
    ) {
        self.propose_with(slot, format, || {}).await
    }

    /// As [`Self::propose`], running `before_publishing` between production and publication.
    pub async fn propose_with(
        &self,
        slot: Slot,
        format: BlockFormat,
        before_publishing: impl FnOnce(),
    ) -> (
        beacon_chain::ProducedBlock<E>,
        Result<Published, beacon_chain::PublishError>,
    ) {
        self.chain().prepare_slot(slot).await;
        self.forward_events();
        self.start_slot(slot).await;
        propose_block(self.chain(), slot, format, before_publishing).await
    }
}

impl Env {
    /// Every member of every committee of `slot` attests to the chain's view of the slot; one
    /// aggregate per committee goes into the chain. Returns how many validators attested.
    pub async fn attest(&self, slot: Slot) -> usize {
        let chain = self.chain();
        let head = chain.head();
        let state = chain
            .state_at_slot(head.block_root, slot.max(head.slot))
            .expect("the head state");
        let epoch = slot / E::slots_per_epoch();
        let committees = state_processing::common::get_committee_count_per_slot(&state, epoch);
        let mut attestations = Vec::new();
        let mut attesters = 0;
        for index in 0..committees {
            let data = chain
                .produce_attestation_data(slot, index)
                .expect("attestation data");
            let committee = state_processing::common::get_beacon_committee(&state, slot, index)
                .expect("a committee");
            let domain = state_processing::common::get_domain(
                &state,
                types::DOMAIN_BEACON_ATTESTER,
                Some(data.target.epoch),
            );
            let root = compute_signing_root(&data, domain);
            let signatures: Vec<bls::Signature> = committee
                .iter()
                .map(|v| bls::interop_secret_key(*v).sign(root.as_slice()))
                .collect();
            let signature = bls::AggregateSignature::aggregate(&signatures)
                .expect("an aggregate")
                .to_bytes();
            attesters += committee.len();
            let attestation = if state.fork_name().electra_enabled() {
                let mut bits = types::ssz_types::BitList::with_capacity(committee.len()).unwrap();
                let mut committee_bits = types::ssz_types::BitVector::new();
                committee_bits.set(index as usize, true).unwrap();
                for i in 0..committee.len() {
                    bits.set(i, true).unwrap();
                }
                operation_pool::Attestation::Electra(types::AttestationElectra {
                    aggregation_bits: bits,
                    data,
                    signature,
                    committee_bits,
                })
            } else {
                let mut bits = types::ssz_types::BitList::with_capacity(committee.len()).unwrap();
                for i in 0..committee.len() {
                    bits.set(i, true).unwrap();
                }
                operation_pool::Attestation::Base(types::AttestationBase {
                    aggregation_bits: bits,
                    data,
                    signature,
                })
            };
            attestations.push(attestation);
        }
        let failures = chain.insert_attestations(attestations).await;
        assert!(failures.is_empty(), "slot {slot}: {failures:?}");
        attesters
    }
}

/// Produces, signs (as the slot's interop proposer) and publishes a block at `slot` on `chain`'s
/// head; the clock must be in the slot. `before_publishing` runs between production and
/// publication.
pub async fn propose_block(
    chain: &Arc<BeaconChain<E>>,
    slot: Slot,
    format: BlockFormat,
    before_publishing: impl FnOnce(),
) -> (
    beacon_chain::ProducedBlock<E>,
    Result<Published, beacon_chain::PublishError>,
) {
    let head = chain.head();
    let state = chain
        .state_at_slot(head.block_root, slot)
        .expect("the head state advances");
    let proposer = state_processing::common::get_beacon_proposer_index(&state).expect("a proposer");
    let key = bls::interop_secret_key(proposer);
    let epoch = slot / E::slots_per_epoch();
    let randao_domain = state_processing::common::get_domain(&state, DOMAIN_RANDAO, Some(epoch));
    let randao_reveal = key
        .sign(compute_signing_root(&epoch, randao_domain).as_slice())
        .to_bytes();
    let produced = chain
        .produce_block(
            slot,
            ProduceOptions {
                randao_reveal,
                graffiti: None,
                skip_randao_verification: false,
                builder_boost_factor: None,
                format,
            },
        )
        .await
        .expect("a block is produced");
    before_publishing();
    let domain = state_processing::common::get_domain(&state, DOMAIN_BEACON_PROPOSER, None);
    let root = produced.proposal.block_root();
    let signature = key
        .sign(compute_signing_root(&root, domain).as_slice())
        .to_bytes();
    let published = match produced.proposal.clone() {
        BlockProposal::Full {
            block,
            blobs_bundle,
        } => {
            chain
                .publish_block(
                    block.into_signed(signature),
                    blobs_bundle,
                    BroadcastValidation::ConsensusAndEquivocation,
                )
                .await
        }
        BlockProposal::Blinded { block } => {
            chain
                .publish_blinded_block(
                    block.into_signed(signature),
                    BroadcastValidation::ConsensusAndEquivocation,
                )
                .await
        }
    };
    (produced, published)
}

/// mock-el on the bench's fork schedule (by timestamp).
pub fn mock_el_config() -> MockElConfig {
    let spec = spec();
    let mut config = MockElConfig::new(jwt());
    let at = |epoch: u64| {
        Some(GENESIS_TIME + epoch * E::slots_per_epoch() * spec.slot_duration_ms / 1000)
    };
    config.genesis.schedule.cancun_time = at(1);
    config.genesis.schedule.prague_time = at(2);
    config.genesis.schedule.osaka_time = at(3);
    config
}

pub fn engine(el: &MockEl) -> EngineClient {
    engine_at(&el.url())
}

pub fn engine_at(url: &str) -> EngineClient {
    EngineClient::new(url.parse().expect("a URL"), JwtAuth::new(jwt())).expect("a client")
}

/// A chain without builders over the store in `datadir`, on the engine at `el_url`.
pub fn build_chain_at(
    spec: &Arc<ChainSpec>,
    el_url: &str,
    datadir: &std::path::Path,
    clock: &Arc<ManualClock>,
    genesis: Option<BeaconState<E>>,
) -> Result<Arc<BeaconChain<E>>, String> {
    let full = FullPayloadBuildersConfig::default();
    chain_over(
        spec,
        engine_at(el_url),
        vec![],
        &full,
        datadir,
        clock,
        genesis,
    )
}

/// The chain over the store in `datadir`, the relays as builders (keys pinned), `genesis` for a new
/// chain or `None` to resume.
pub fn build_chain(
    spec: &Arc<ChainSpec>,
    el: &MockEl,
    relays: &[MockRelay],
    full: &FullPayloadBuildersConfig,
    datadir: &TempDir,
    clock: &Arc<ManualClock>,
    genesis: Option<BeaconState<E>>,
) -> Result<Arc<BeaconChain<E>>, String> {
    let builders: Vec<BuilderClient> = relays
        .iter()
        .map(|relay| {
            // A generous getHeader timeout: the tests choose who wins, not a loaded machine's
            // scheduler (the 950 ms default is what a node runs with).
            let mut config = BuilderConfig::new(relay.url(), Some(relay.pubkey()));
            config.timeouts.get_header = std::time::Duration::from_secs(5);
            BuilderClient::new(config).expect("a builder client")
        })
        .collect();
    chain_over(spec, engine(el), builders, full, &datadir.0, clock, genesis)
}

fn chain_over(
    spec: &Arc<ChainSpec>,
    engine: EngineClient,
    builders: Vec<BuilderClient>,
    full: &FullPayloadBuildersConfig,
    datadir: &std::path::Path,
    clock: &Arc<ManualClock>,
    genesis: Option<BeaconState<E>>,
) -> Result<Arc<BeaconChain<E>>, String> {
    let store = Arc::new(Store::<E>::open(datadir, spec.clone()).map_err(|e| e.to_string())?);
    let view = Arc::new(ChainView::new(E::slots_per_epoch()));
    let builder_store =
        RedbBuilderBlockStore::from_database(store.database()).expect("the builder store opens");
    let mut config = ExecutionLayerConfig::new((**spec).clone());
    config.full_payload_builders = full.clone();
    let layer = Arc::new(
        ExecutionLayer::new(
            config,
            engine,
            builders,
            Box::new(builder_store),
            view.clone(),
        )
        .expect("the execution layer"),
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
        genesis_state: genesis,
    })
    .map_err(|e| e.to_string())
}

/// The mock relays behind `options`' full-payload builders (RPC faces, then engine faces) on `el`,
/// and the execution layer's settings for them. Generous timeouts: the tests choose who wins, not a
/// loaded machine (the defaults are what a node runs with).
async fn start_full_builders(
    spec: &Arc<ChainSpec>,
    el: &MockEl,
    genesis: &BeaconState<E>,
    options: &Options,
) -> (Vec<MockRelay>, FullPayloadBuildersConfig) {
    let timeout = std::time::Duration::from_secs(5);
    let mut relays = Vec::new();
    let mut full = FullPayloadBuildersConfig::default();
    let kinds = options
        .rpc_builders
        .iter()
        .map(|f| (f, false))
        .chain(options.engine_builders.iter().map(|f| (f, true)));
    for (i, (faults, engine_face)) in kinds.enumerate() {
        let mut config = MockRelayConfig::new(
            (**spec).clone(),
            genesis.genesis_validators_root(),
            bls::interop_secret_key(1100 + i as u64),
            el.url().parse().expect("a URL"),
            jwt(),
        );
        config.faults = faults.clone();
        config.secp256k1_key =
            execution_layer::full_payload::Secp256k1Key::from_bytes(&[0x50 + i as u8; 32])
                .expect("a valid key");
        config.extra_data = format!("full-builder-{i}").into_bytes();
        config.bid_bonus_wei = types::U256::from(
            options
                .full_bonuses
                .get(i)
                .copied()
                .unwrap_or(3_000_000_000),
        );
        if engine_face {
            config.engine_face_jwt = Some(builder_jwt());
        } else {
            config.proposers = options.rpc_proposers.clone();
        }
        let relay = MockRelay::start::<E>(config)
            .await
            .expect("the builder starts");
        if engine_face {
            full.engine.push(EngineBuilderConfig {
                url: relay.url(),
                jwt: builder_jwt(),
                timeout,
            });
        } else {
            full.rpc.push(RpcBuilderConfig {
                address: relay.secp256k1_address(),
                url: relay.url(),
                timeout,
            });
        }
        relays.push(relay);
    }
    if !full.rpc.is_empty() {
        full.request_key = Some(request_key());
    }
    (relays, full)
}
