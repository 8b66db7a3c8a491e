//! The test bench: an in-process mock-el, any number of mock relays building on it, a fake chain, and
//! an `ExecutionLayer` over them, plus helpers to make proposals and signed blinded blocks.

use builder_api::{BuilderClient, BuilderConfig};
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use execution_layer::{
    BuilderBlockStore, BuilderOutcome, ChainHealth, ExecutionLayer, ExecutionLayerChain,
    ExecutionLayerConfig, MemoryBuilderBlockStore, PayloadRequest, ProducedPayload,
    ProposerRegistration,
};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig, RelayFaults};
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use types::{
    compute_signing_root, Address, BlindedBeaconBlock, BlindedBeaconBlockBodyElectra,
    BlindedBeaconBlockBodyFulu, BlindedBeaconBlockElectra, BlindedBeaconBlockFulu, ChainSpec,
    EthSpec, EventPayloadAttributes, ExecutionPayloadHeader, ExecutionRequests, ForkName, Hash256,
    MainnetEthSpec, PayloadAttributesEvent, PublicKeyBytes, SignedBlindedBeaconBlock, Slot,
    SyncAggregate, Withdrawal, DOMAIN_BEACON_PROPOSER,
};

pub type E = MainnetEthSpec;

#[path = "servers.rs"]
mod servers;
pub use servers::{post_rpc, CannedBuilder, SyncingProxy};

/// The proposer's fee recipient and gas limit as registered with the relays.
pub const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
pub const GENESIS_VALIDATORS_ROOT: Hash256 = Hash256::repeat_byte(0x99);
/// The getHeader timeout of every test builder.
pub const GET_HEADER_TIMEOUT: Duration = Duration::from_millis(950);

pub fn jwt() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

pub fn proposer_key() -> bls::SecretKey {
    bls::interop_secret_key(0)
}

/// The key with which relay `i` signs its bids.
pub fn relay_key(i: usize) -> bls::SecretKey {
    bls::interop_secret_key(100 + i as u64)
}

/// The secp256k1 key of full-payload builder `i` (its `builder_getPayloadV1` answers).
pub fn full_builder_key(i: usize) -> execution_layer::full_payload::Secp256k1Key {
    execution_layer::full_payload::Secp256k1Key::from_bytes(&[0x50 + i as u8; 32])
        .expect("a valid key")
}

/// The proposer's request key (`--payload-builder-request-key`).
pub fn request_key() -> execution_layer::full_payload::Secp256k1Key {
    execution_layer::full_payload::Secp256k1Key::from_bytes(&[0x31; 32]).expect("a valid key")
}

/// The engine builders' own JWT secret (not the local engine's).
pub fn builder_jwt() -> JwtSecret {
    JwtSecret::new([0x24; 32])
}

/// A chain whose answers the test sets.
pub struct FakeChain {
    pub registration: Mutex<Option<ProposerRegistration>>,
    /// `None`: healthy at every slot.
    pub health: Mutex<Option<ChainHealth>>,
}

impl FakeChain {
    pub fn healthy(slot: Slot) -> ChainHealth {
        ChainHealth {
            finalized_epoch: 0,
            current_epoch: 0,
            ..ChainHealth::healthy(slot, 0)
        }
    }
}

impl ExecutionLayerChain for FakeChain {
    fn proposer_registration(&self, _pubkey: &PublicKeyBytes) -> Option<ProposerRegistration> {
        *self.registration.lock()
    }

    fn chain_health(&self, slot: Slot) -> ChainHealth {
        self.health.lock().unwrap_or_else(|| Self::healthy(slot))
    }
}

/// How to set a bench up.
pub struct BenchOptions {
    pub fork: ForkName,
    /// One relay per entry, with these faults.
    pub relays: Vec<RelayFaults>,
    /// Bid bonus per relay (default 1 gwei each).
    pub bonuses: Vec<u64>,
    /// Extra-data per relay (default mock-relay's): relays on one engine with different extra-data
    /// offer different blocks of equal value.
    pub extra_data: Vec<Vec<u8>>,
    /// Pin each relay's key in its builder URL.
    pub pin_keys: bool,
    /// Add, after the relays, a [`CannedBuilder`]: at first it answers with a bid envelope of another
    /// fork than the slot's (which mock-relay cannot be made to do).
    pub canned_builder: bool,
    /// Where the builder blocks are stored (memory when `None`).
    pub store_path: Option<PathBuf>,
    pub config: Option<ExecutionLayerConfig>,
    /// Point the execution layer's engine client at a closed port (the relays still use mock-el).
    pub engine_down: bool,
    /// Point the execution layer's engine client at a port that accepts connections and never
    /// answers: a hung engine (the relays still use mock-el).
    pub engine_hangs: bool,
    /// Give the execution layer its own mock-el ([`Bench::layer_el`]), with the same genesis as the
    /// relays' one, so its faults (SYNCING, INVALID heads) do not stop the relays from bidding.
    pub separate_engine: bool,
    pub submit_timeout: Duration,
    pub get_header_timeout: Duration,
    /// Blobs per payload in mock-el (KZG's setup is loaded before the first proposal).
    pub blobs_per_payload: u64,
    /// One `builder_getPayloadV1` builder (a mock relay's RPC face) per entry, with these faults;
    /// they come after the relays in the layer's builder order.
    pub rpc_builders: Vec<RelayFaults>,
    /// One engine builder (a mock relay's engine face) per entry, after the RPC builders.
    pub engine_builders: Vec<RelayFaults>,
    /// Value bonus per full-payload builder (RPC builders first), default 1 gwei each.
    pub full_bonuses: Vec<u64>,
    /// Put the layer's engine behind a proxy that answers SYNCING to `newPayload` of payloads with
    /// mock-relay's `SYNCING_EXTRA_DATA` (mock-el has no per-payload SYNCING switch).
    pub syncing_proxy: bool,
    /// The full-payload builders' timeout instead of their defaults (blobs are slow in debug builds).
    pub full_timeout: Option<Duration>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            fork: ForkName::Electra,
            relays: vec![],
            bonuses: vec![],
            extra_data: vec![],
            pin_keys: false,
            canned_builder: false,
            store_path: None,
            config: None,
            engine_down: false,
            engine_hangs: false,
            separate_engine: false,
            submit_timeout: Duration::from_secs(2),
            get_header_timeout: GET_HEADER_TIMEOUT,
            blobs_per_payload: 0,
            rpc_builders: vec![],
            engine_builders: vec![],
            full_bonuses: vec![],
            syncing_proxy: false,
            full_timeout: None,
        }
    }
}

impl BenchOptions {
    pub fn relays(n: usize) -> Self {
        Self {
            relays: vec![RelayFaults::default(); n],
            ..Self::default()
        }
    }
}

pub struct Bench {
    pub spec: ChainSpec,
    pub el_mock: MockEl,
    pub relays: Vec<MockRelay>,
    pub chain: Arc<FakeChain>,
    pub layer: ExecutionLayer<E>,
    pub fork: ForkName,
    pub registration: ProposerRegistration,
    pub builder_clients: Vec<BuilderClient>,
    /// The builder whose answer the test writes, if asked for.
    pub canned: Option<CannedBuilder>,
    /// The execution layer's own engine, with [`BenchOptions::separate_engine`].
    pub layer_el: Option<MockEl>,
    /// The mock relays serving the full-payload builders: RPC builders, then engine builders.
    pub full_relays: Vec<MockRelay>,
    /// The listener of a hung engine, kept open for the bench's life.
    _hung_engine: Option<std::net::TcpListener>,
}

/// A URL on which nothing listens.
fn closed_url() -> builder_api::Url {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    format!("http://127.0.0.1:{port}/").parse().expect("a URL")
}

impl Bench {
    pub async fn start(options: BenchOptions) -> Self {
        let spec = ChainSpec::mainnet().with_forks_at_genesis_up_to(options.fork);
        let el_mock = MockEl::start(MockElConfig::new(jwt()).with_last_fork(options.fork))
            .await
            .expect("mock-el starts");
        let engine_url: builder_api::Url = el_mock.url().parse().expect("a URL");
        if options.blobs_per_payload > 0 {
            // Loading the trusted setup takes about a second: not in the first proposal's budget.
            let _ = kzg::settings();
            el_mock.update_faults(|f| f.blobs_per_payload = options.blobs_per_payload);
        }
        let mut relays = Vec::new();
        for (i, faults) in options.relays.iter().enumerate() {
            let mut config = MockRelayConfig::new(
                spec.clone(),
                GENESIS_VALIDATORS_ROOT,
                relay_key(i),
                engine_url.clone(),
                jwt(),
            );
            config.faults = faults.clone();
            if let Some(bonus) = options.bonuses.get(i) {
                config.bid_bonus_wei = types::U256::from(*bonus);
            }
            if let Some(extra_data) = options.extra_data.get(i) {
                config.extra_data = extra_data.clone();
            }
            relays.push(MockRelay::start::<E>(config).await.expect("relay starts"));
        }
        let mut builder_urls: Vec<(builder_api::Url, Option<PublicKeyBytes>)> = relays
            .iter()
            .map(|relay| (relay.url(), options.pin_keys.then(|| relay.pubkey())))
            .collect();
        let canned = if options.canned_builder {
            let other = if options.fork == ForkName::Deneb {
                ForkName::Electra
            } else {
                ForkName::Deneb
            };
            let canned = CannedBuilder::start(other).await;
            builder_urls.push((canned.url.clone(), None));
            Some(canned)
        } else {
            None
        };
        let builder_clients: Vec<BuilderClient> = builder_urls
            .into_iter()
            .map(|(url, pubkey)| {
                let mut config = BuilderConfig::new(url, pubkey);
                config.timeouts.get_header = options.get_header_timeout;
                config.timeouts.submit_blinded_block = options.submit_timeout;
                BuilderClient::new(config).expect("a builder client")
            })
            .collect();
        let gas_limit = el_mock.with_chain(|c| c.head().header.gas_limit);
        let registration = ProposerRegistration {
            fee_recipient: FEE_RECIPIENT,
            gas_limit,
        };
        let chain = Arc::new(FakeChain {
            registration: Mutex::new(Some(registration)),
            health: Mutex::new(None),
        });
        let store: Box<dyn BuilderBlockStore> = match &options.store_path {
            Some(path) => Box::new(
                execution_layer::RedbBuilderBlockStore::open(path).expect("the store opens"),
            ),
            None => Box::new(MemoryBuilderBlockStore::default()),
        };
        let config = options
            .config
            .unwrap_or_else(|| ExecutionLayerConfig::new(spec.clone()));
        let mut full_relays = Vec::new();
        let kinds = options
            .rpc_builders
            .iter()
            .map(|f| (f, false))
            .chain(options.engine_builders.iter().map(|f| (f, true)));
        for (i, (faults, engine_face)) in kinds.enumerate() {
            let mut config = MockRelayConfig::new(
                spec.clone(),
                GENESIS_VALIDATORS_ROOT,
                relay_key(50 + i),
                engine_url.clone(),
                jwt(),
            );
            config.faults = faults.clone();
            config.secp256k1_key = full_builder_key(i);
            config.extra_data = format!("full-builder-{i}").into_bytes();
            if engine_face {
                config.engine_face_jwt = Some(builder_jwt());
            }
            if let Some(bonus) = options.full_bonuses.get(i) {
                config.bid_bonus_wei = types::U256::from(*bonus);
            }
            full_relays.push(MockRelay::start::<E>(config).await.expect("relay starts"));
        }
        let mut config = config;
        let rpc_count = options.rpc_builders.len();
        let full = &mut config.full_payload_builders;
        for relay in &full_relays[..rpc_count] {
            full.rpc
                .push(execution_layer::full_payload::RpcBuilderConfig {
                    address: relay.secp256k1_address(),
                    url: relay.url(),
                    timeout: options
                        .full_timeout
                        .unwrap_or(execution_layer::full_payload::DEFAULT_RPC_BUILDER_TIMEOUT),
                });
        }
        for relay in &full_relays[rpc_count..] {
            full.engine
                .push(execution_layer::full_payload::EngineBuilderConfig {
                    url: relay.url(),
                    jwt: builder_jwt(),
                    timeout: options
                        .full_timeout
                        .unwrap_or(execution_layer::full_payload::DEFAULT_ENGINE_BUILDER_TIMEOUT),
                });
        }
        if full.request_key.is_none() && !full.rpc.is_empty() {
            full.request_key = Some(request_key());
        }
        let hung_engine = options.engine_hangs.then(|| {
            std::net::TcpListener::bind("127.0.0.1:0").expect("a listener for the hung engine")
        });
        let layer_el = if options.separate_engine {
            Some(
                MockEl::start(MockElConfig::new(jwt()).with_last_fork(options.fork))
                    .await
                    .expect("the layer's mock-el starts"),
            )
        } else {
            None
        };
        let syncing_proxy = if options.syncing_proxy {
            Some(SyncingProxy::start(el_mock.url().parse().expect("a URL")).await)
        } else {
            None
        };
        let layer_engine_url = if let Some(proxy) = &syncing_proxy {
            proxy.clone()
        } else if options.engine_down {
            closed_url()
        } else if let Some(layer_el) = &layer_el {
            layer_el.url().parse().expect("a URL")
        } else if let Some(listener) = &hung_engine {
            let addr = listener.local_addr().expect("a bound address");
            format!("http://{addr}/").parse().expect("a URL")
        } else {
            engine_url.clone()
        };
        let engine = EngineClient::new(layer_engine_url, JwtAuth::new(jwt())).expect("a client");
        let layer = ExecutionLayer::new(
            config,
            engine.clone(),
            builder_clients.clone(),
            store,
            chain.clone(),
        )
        .expect("the layer builds");
        let bench = Self {
            spec,
            el_mock,
            relays,
            chain,
            layer,
            fork: options.fork,
            registration,
            builder_clients,
            canned,
            layer_el,
            full_relays,
            _hung_engine: hung_engine,
        };
        bench.register().await;
        bench
    }

    /// Restarts the layer over the redb store at `path` (the old layer is dropped first, closing it).
    pub fn restart(&mut self, path: &std::path::Path) {
        let config = self.layer.config().clone();
        let engine = self.layer.engine().clone();
        let build = |store: Box<dyn BuilderBlockStore>| {
            ExecutionLayer::new(
                config.clone(),
                engine.clone(),
                self.builder_clients.clone(),
                store,
                self.chain.clone(),
            )
            .expect("the layer builds")
        };
        self.layer = build(Box::<MemoryBuilderBlockStore>::default());
        self.layer = build(Box::new(
            execution_layer::RedbBuilderBlockStore::open(path).expect("the store reopens"),
        ));
    }

    /// Signs the proposer's registration and sends it through the layer to every relay.
    pub async fn register(&self) {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let registration = mock_relay::sign_registration(
            &self.spec,
            &proposer_key(),
            self.registration.fee_recipient,
            self.registration.gas_limit,
            timestamp,
        );
        let results = self.layer.register_validators(&[registration]).await;
        let results: Vec<_> = results
            .into_iter()
            .filter(|(_, result)| {
                !matches!(result, Err(execution_layer::RegistrationError::Disabled))
            })
            .collect();
        for (builder, result) in results {
            result.unwrap_or_else(|e| panic!("registration with {builder} failed: {e}"));
        }
    }

    /// The name of relay `i` in the layer.
    pub fn name(&self, i: usize) -> String {
        self.layer.builder_names()[i].clone()
    }

    /// A proposal at `slot` on the mock-el head, its attributes fed to every relay.
    pub fn request(&self, slot: Slot) -> PayloadRequest {
        let (parent_hash, number, gas_limit, timestamp) = self.el_mock.with_chain(|c| {
            let head = c.head();
            (
                head.hash,
                head.header.number,
                head.header.gas_limit,
                head.header.timestamp,
            )
        });
        let withdrawals = vec![Withdrawal {
            index: slot,
            validator_index: 1,
            address: Address::repeat_byte(0x77),
            amount: 1_000,
        }];
        let request = PayloadRequest {
            slot,
            fork: self.fork,
            proposer_index: 0,
            proposer_pubkey: proposer_key().public_key().to_bytes(),
            parent_hash,
            safe_block_hash: Hash256::ZERO,
            finalized_block_hash: Hash256::ZERO,
            parent_block_number: number,
            parent_gas_limit: gas_limit,
            timestamp: timestamp + 12,
            prev_randao: Hash256::repeat_byte(slot as u8),
            suggested_fee_recipient: FEE_RECIPIENT,
            withdrawals: withdrawals.clone(),
            parent_beacon_block_root: Hash256::repeat_byte(0xbb),
            builder_boost_factor: None,
            max_blobs_per_block: self.spec.max_blobs_per_block(slot / E::slots_per_epoch()),
            local_payload_deadline: None,
        };
        let event = PayloadAttributesEvent {
            proposer_index: request.proposer_index,
            proposal_slot: slot,
            parent_block_number: number,
            parent_block_root: request.parent_beacon_block_root,
            parent_block_hash: parent_hash,
            payload_attributes: EventPayloadAttributes {
                timestamp: request.timestamp,
                prev_randao: request.prev_randao,
                suggested_fee_recipient: FEE_RECIPIENT,
                withdrawals,
                parent_beacon_block_root: Some(request.parent_beacon_block_root),
            },
        };
        for relay in self.relays.iter().chain(&self.full_relays) {
            relay.on_payload_attributes(event.clone());
        }
        request
    }

    /// A proposal at `slot` with the default request.
    pub async fn propose(&self, slot: Slot) -> ProducedPayload<E> {
        self.layer
            .get_payload(&self.request(slot))
            .await
            .expect("a payload")
    }

    /// The headers relay `i` served so far.
    pub fn headers_served(&self, i: usize) -> u64 {
        self.relays[i].stats().headers_served
    }
}

/// The outcome label of builder `name` in `produced`.
pub fn outcome<'a>(produced: &'a ProducedPayload<E>, name: &str) -> &'a BuilderOutcome {
    &produced
        .report(name)
        .unwrap_or_else(|| panic!("no report for {name}"))
        .outcome
}

/// A signed blinded block at `slot` carrying `header`, `commitments` and `requests`, signed by the
/// proposer under `DOMAIN_BEACON_PROPOSER`.
pub fn signed_blinded_block(
    spec: &ChainSpec,
    slot: Slot,
    header: ExecutionPayloadHeader<E>,
    commitments: &[types::KzgCommitment],
    requests: ExecutionRequests<E>,
) -> SignedBlindedBeaconBlock<E> {
    let commitments =
        types::ssz_types::VariableList::new(commitments.to_vec()).expect("within the limit");
    macro_rules! body {
        ($Body:ident, $header:expr) => {
            $Body {
                randao_reveal: Default::default(),
                eth1_data: Default::default(),
                graffiti: Hash256::ZERO,
                proposer_slashings: Default::default(),
                attester_slashings: Default::default(),
                attestations: Default::default(),
                deposits: Default::default(),
                voluntary_exits: Default::default(),
                sync_aggregate: SyncAggregate::empty(),
                execution_payload_header: $header,
                bls_to_execution_changes: Default::default(),
                blob_kzg_commitments: commitments,
                execution_requests: requests,
            }
        };
    }
    let block = match header {
        ExecutionPayloadHeader::Electra(h) => {
            BlindedBeaconBlock::Electra(BlindedBeaconBlockElectra {
                slot,
                proposer_index: 0,
                parent_root: Hash256::repeat_byte(0xbb),
                state_root: Hash256::repeat_byte(0x5e),
                body: body!(BlindedBeaconBlockBodyElectra, h),
            })
        }
        ExecutionPayloadHeader::Fulu(h) => BlindedBeaconBlock::Fulu(BlindedBeaconBlockFulu {
            slot,
            proposer_index: 0,
            parent_root: Hash256::repeat_byte(0xbb),
            state_root: Hash256::repeat_byte(0x5e),
            body: body!(BlindedBeaconBlockBodyFulu, h),
        }),
        other => panic!(
            "the bench builds Electra and Fulu blocks, not {}",
            other.fork_name()
        ),
    };
    let domain = spec.domain_at_epoch(
        DOMAIN_BEACON_PROPOSER,
        slot / E::slots_per_epoch(),
        GENESIS_VALIDATORS_ROOT,
    );
    let signature = proposer_key()
        .sign(compute_signing_root(&block, domain).as_slice())
        .to_bytes();
    block.into_signed(signature)
}

/// The signed blinded block for the winning bid of `produced`.
pub fn block_for_winner(
    spec: &ChainSpec,
    produced: &ProducedPayload<E>,
) -> SignedBlindedBeaconBlock<E> {
    let winner = produced.winner.as_ref().expect("a builder won");
    let message = winner.bid.bid().message_enum();
    let commitments = message
        .blob_kzg_commitments()
        .map(|c| c.to_vec())
        .unwrap_or_default();
    let requests = message.execution_requests().cloned().unwrap_or_default();
    signed_blinded_block(
        spec,
        produced.slot,
        winner.bid.header().clone(),
        &commitments,
        requests,
    )
}

/// The signed blinded block for the local payload of `produced`.
pub fn block_for_local(
    spec: &ChainSpec,
    produced: &ProducedPayload<E>,
) -> SignedBlindedBeaconBlock<E> {
    let local = produced.local.as_ref().expect("a local payload");
    let commitments = local
        .blobs_bundle
        .as_ref()
        .map(|b| b.commitments().to_vec())
        .unwrap_or_default();
    signed_blinded_block(
        spec,
        produced.slot,
        local.payload.to_header(),
        &commitments,
        local.execution_requests.clone().unwrap_or_default(),
    )
}

/// A fresh path for a redb file, removed on drop.
pub struct TempPath(pub PathBuf);

impl TempPath {
    pub fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Self(std::env::temp_dir().join(format!(
            "execution_layer_{name}_{}_{nanos}.redb",
            std::process::id()
        )))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
