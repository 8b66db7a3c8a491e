//! The latency the execution layer adds to a proposal: the time of `get_payload` minus the time of
//! doing its two calls directly and at once (a raw getHeader to the relay and a raw local
//! forkchoiceUpdated + getPayload), i.e. minus max(builder latency, local latency). Measured against an
//! in-process mock-el and one mock relay with 0 ms and 200 ms of getHeader delay; target ≤ 2 ms p50.
//!
//! Run: `cargo bench -p execution_layer --bench latency` (`LATENCY_ITERATIONS` sets the iterations).

use builder_api::{BuilderClient, BuilderConfig};
use engine_api::{EngineClient, ForkchoiceStateV1, JwtAuth, JwtSecret, PayloadAttributes};
use execution_layer::{
    ChainHealth, ExecutionLayer, ExecutionLayerChain, ExecutionLayerConfig,
    MemoryBuilderBlockStore, PayloadRequest, PayloadSource, ProposerRegistration,
};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig, RelayFaults};
use std::sync::Arc;
use std::time::{Duration, Instant};
use types::{
    compute_signing_root, Address, ChainSpec, EthSpec, EventPayloadAttributes, ForkName, Hash256,
    MainnetEthSpec, PayloadAttributesEvent, PublicKeyBytes, SignedValidatorRegistrationV1, Slot,
    ValidatorRegistrationV1, Withdrawal,
};

type E = MainnetEthSpec;

const FORK: ForkName = ForkName::Electra;
const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

struct Chain {
    registration: ProposerRegistration,
}

impl ExecutionLayerChain for Chain {
    fn proposer_registration(&self, _: &PublicKeyBytes) -> Option<ProposerRegistration> {
        Some(self.registration)
    }

    fn chain_health(&self, slot: Slot) -> ChainHealth {
        ChainHealth {
            current_slot: slot,
            head_slot: slot.saturating_sub(1),
            empty_slots_in_last_32: 0,
            finalized_epoch: 0,
            current_epoch: 0,
        }
    }
}

struct Setup {
    spec: ChainSpec,
    el_mock: MockEl,
    relay: MockRelay,
    layer: ExecutionLayer<E>,
    builder: BuilderClient,
    engine: EngineClient,
}

fn jwt() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

async fn setup(delay_ms: u64) -> Setup {
    let spec = ChainSpec::mainnet().with_forks_at_genesis_up_to(FORK);
    let el_mock = MockEl::start(MockElConfig::new(jwt()).with_last_fork(FORK))
        .await
        .expect("mock-el starts");
    let engine_url: builder_api::Url = el_mock.url().parse().expect("a URL");
    let mut config = MockRelayConfig::new(
        spec.clone(),
        Hash256::ZERO,
        bls::interop_secret_key(100),
        engine_url.clone(),
        jwt(),
    );
    config.faults = RelayFaults {
        get_header_delay_ms: delay_ms,
        ..RelayFaults::default()
    };
    let relay = MockRelay::start::<E>(config).await.expect("relay starts");
    let builder = BuilderClient::new(BuilderConfig::new(relay.url(), None)).expect("a client");
    let engine = EngineClient::new(engine_url, JwtAuth::new(jwt())).expect("a client");
    let gas_limit = el_mock.with_chain(|c| c.head().header.gas_limit);
    let registration = ProposerRegistration {
        fee_recipient: FEE_RECIPIENT,
        gas_limit,
    };
    let layer = ExecutionLayer::new(
        ExecutionLayerConfig::new(spec.clone()),
        engine.clone(),
        vec![builder.clone()],
        Box::<MemoryBuilderBlockStore>::default(),
        Arc::new(Chain { registration }),
    )
    .expect("the layer builds");
    let key = bls::interop_secret_key(0);
    let message = ValidatorRegistrationV1 {
        fee_recipient: FEE_RECIPIENT,
        gas_limit,
        timestamp: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
        pubkey: key.public_key().to_bytes(),
    };
    let signature = key
        .sign(compute_signing_root(&message, spec.builder_domain()).as_slice())
        .to_bytes();
    for (name, result) in layer
        .register_validators(&[SignedValidatorRegistrationV1 { message, signature }])
        .await
    {
        result.unwrap_or_else(|e| panic!("registration with {name}: {e}"));
    }
    Setup {
        spec,
        el_mock,
        relay,
        layer,
        builder,
        engine,
    }
}

impl Setup {
    /// A proposal at `slot`, its attributes fed to the relay.
    fn request(&self, slot: Slot) -> PayloadRequest {
        let (parent_hash, number, gas_limit, timestamp) = self.el_mock.with_chain(|c| {
            let h = c.head();
            (
                h.hash,
                h.header.number,
                h.header.gas_limit,
                h.header.timestamp,
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
            fork: FORK,
            proposer_index: 0,
            proposer_pubkey: bls::interop_secret_key(0).public_key().to_bytes(),
            parent_hash,
            safe_block_hash: Hash256::ZERO,
            finalized_block_hash: Hash256::ZERO,
            parent_block_number: number,
            parent_gas_limit: gas_limit,
            timestamp: timestamp + 12,
            prev_randao: Hash256::from_slice(&[slot as u8; 32]),
            suggested_fee_recipient: FEE_RECIPIENT,
            withdrawals: withdrawals.clone(),
            parent_beacon_block_root: Hash256::repeat_byte(0xbb),
            builder_boost_factor: None,
            max_blobs_per_block: self.spec.max_blobs_per_block(slot / E::slots_per_epoch()),
        };
        self.relay.on_payload_attributes(PayloadAttributesEvent {
            proposer_index: 0,
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
        });
        request
    }

    /// The two raw calls at once, without the module: max(builder latency, local latency).
    async fn direct(&self, request: &PayloadRequest) -> Duration {
        let start = Instant::now();
        let builder = self.builder.get_header::<E>(
            request.slot,
            request.parent_hash,
            &request.proposer_pubkey,
            FORK,
        );
        let local = async {
            let attributes = PayloadAttributes::new(
                FORK,
                request.timestamp,
                request.prev_randao,
                request.suggested_fee_recipient,
                &request.withdrawals,
                request.parent_beacon_block_root,
            );
            let state = ForkchoiceStateV1 {
                head_block_hash: request.parent_hash,
                ..Default::default()
            };
            let response = self
                .engine
                .forkchoice_updated(FORK, state, Some(&attributes))
                .await
                .expect("fcU");
            self.engine
                .get_payload::<E>(FORK, response.payload_id.expect("a payload id"))
                .await
                .expect("getPayload")
        };
        let (bid, _) = tokio::join!(builder, local);
        assert!(bid.expect("getHeader").is_some(), "the relay bids");
        start.elapsed()
    }

    async fn module(&self, request: &PayloadRequest) -> Duration {
        let start = Instant::now();
        let produced = self.layer.get_payload(request).await.expect("a payload");
        let elapsed = start.elapsed();
        assert_eq!(produced.choice.source, PayloadSource::Builder { index: 0 });
        elapsed
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(delay_ms: u64, iterations: u64) {
    let setup = setup(delay_ms).await;
    // Warm up connections, caches and the relay. Slots only go up: the relay forgets older ones.
    for slot in (1..=6).step_by(2) {
        setup.direct(&setup.request(slot)).await;
        setup.module(&setup.request(slot + 1)).await;
    }
    let mut direct = Vec::new();
    let mut module = Vec::new();
    let mut added = Vec::new();
    for i in 0..iterations {
        // Fresh slots for both, alternating which goes first.
        let (first, second) = (100 + 2 * i, 101 + 2 * i);
        let (d, m) = if i % 2 == 0 {
            let d = setup.direct(&setup.request(first)).await;
            (d, setup.module(&setup.request(second)).await)
        } else {
            let m = setup.module(&setup.request(first)).await;
            (setup.direct(&setup.request(second)).await, m)
        };
        direct.push(ms(d));
        module.push(ms(m));
        added.push(ms(m) - ms(d));
    }
    for v in [&mut direct, &mut module, &mut added] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    println!(
        "relay delay {delay_ms:>3} ms, {iterations} iterations: direct max(builder, local) p50 {:.2} ms; \
         get_payload p50 {:.2} ms; added latency p50 {:.2} ms, p90 {:.2} ms; p50(get_payload) - p50(direct) {:.2} ms",
        percentile(&direct, 0.5),
        percentile(&module, 0.5),
        percentile(&added, 0.5),
        percentile(&added, 0.9),
        percentile(&module, 0.5) - percentile(&direct, 0.5),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing else: run a short pass then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let iterations = std::env::var("LATENCY_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 3 } else { 60 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        run(0, iterations).await;
        run(200, iterations).await;
    });
}
