//! The chain at mainnet scale: a mainnet-preset Fulu chain of 2^20 validators over an in-process
//! mock-el (HTTP + JWT on 127.0.0.1, behind a timing proxy) and a store in a temporary directory.
//! Run with `cargo bench -p beacon_chain --bench chain` (`BENCH_SLOTS=n` for more or fewer slots).
//!
//! The state is the one `common/state_processing/benches/state.rs` builds (`build_state`: 2^20
//! validators, realistic balances and participation), with three changes so that the chain can run
//! on it with real signatures: validator `i`'s key is `(i + 1)·G` (secret `i + 1`, so an aggregate of
//! a committee is signed with the sum of its members' secrets), the sync committees are recomputed
//! from those keys, and the latest execution payload header is mock-el's genesis block (so that
//! `newPayload` answers VALID). Its latest block header is the chain's genesis block's, and it is
//! advanced to the first slot of epoch 11 (an epoch transition), which becomes the chain's anchor.
//!
//! Each slot then runs as a node runs it:
//! - late in the previous slot, `prepare_slot` (the timer's state advance and early local build);
//! - the previous slot's attestations: one aggregate per committee, every member, signed, into the
//!   pool through `insert_attestations`; a full sync committee contribution per subnet into the pool;
//! - `produce_block(.., BlockFormat::Full)`, no builders (timed; the engine calls' own time,
//!   measured at the proxy, is reported apart and subtracted);
//! - the block signed, then `import_block` (timed: gossip checks, the state transition with every
//!   signature checked in one batch, `newPayload`, fork choice, the store write, the head update with
//!   `forkchoiceUpdated`), and its head-update part alone (from the "block imported" event to the end).
//!
//! An epoch's first state is written in full in the background after its import; the bench waits
//! for that write (untimed) before the next slot, as a node has the rest of the slot for it.
//!
//! The first slot is a warm-up (not counted). The decompressed public keys are warmed first (as a
//! running node's are after an epoch of blocks). p50/p90 over the remaining slots are printed; the
//! epoch's first slot (whose full-state store write follows its import) is also shown alone.

#[path = "../../../common/state_processing/benches/common/mod.rs"]
mod state_bench;

use beacon_chain::{
    BeaconChain, BlockFormat, BlockProposal, ChainConfig, ChainParts, ChainView, ManualClock,
    ProduceOptions,
};
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use execution_layer::{ExecutionLayer, ExecutionLayerConfig, RedbBuilderBlockStore};
use mock_el::{MockEl, MockElConfig};
use parking_lot::Mutex;
use state_processing::common::{get_committee_count_per_slot, get_domain};
use state_processing::StateCaches;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;
use types::milhouse::List;
use types::{
    compute_signing_root, Address, BeaconBlockHeader, BeaconState, ChainSpec, EthSpec, ForkName,
    Hash256, PublicKeyBytes, Slot, DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER, DOMAIN_RANDAO,
    DOMAIN_SYNC_COMMITTEE,
};

type E = types::MainnetEthSpec;

const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

fn jwt() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

// ---------------------------------------------------------------------------------------------
// Keys: validator i has secret i + 1.

/// The secret key `n` (a scalar well below the group order).
fn secret(n: u128) -> bls::SecretKey {
    let mut bytes = [0u8; 32];
    bytes[16..].copy_from_slice(&n.to_be_bytes());
    bls::SecretKey::from_bytes(&bytes).expect("a valid scalar")
}

/// The secret key whose signature is the aggregate of `members`' signatures of one message.
fn aggregate_secret(members: impl IntoIterator<Item = u64>) -> bls::SecretKey {
    secret(members.into_iter().map(|i| i as u128 + 1).sum())
}

/// `(i + 1)·G` compressed, for `i < n`: by repeated addition and batched affine conversion.
fn public_keys(n: usize) -> Vec<PublicKeyBytes> {
    use blst::*;
    const CHUNK: usize = 1 << 14;
    let mut out = Vec::with_capacity(n);
    // SAFETY: blst's C API on properly sized, initialised values; `points` holds a pointer to a
    // contiguous array of `len` points followed by a null pointer (blst's contiguous-input form).
    unsafe {
        let g = blst_p1_affine_generator();
        let mut acc = blst_p1::default();
        blst_p1_from_affine(&mut acc, g);
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut affine = vec![blst_p1_affine::default(); CHUNK];
        while out.len() < n {
            chunk.clear();
            let len = CHUNK.min(n - out.len());
            for _ in 0..len {
                chunk.push(acc);
                let mut next = blst_p1::default();
                blst_p1_add_or_double_affine(&mut next, &acc, g);
                acc = next;
            }
            let points = [chunk.as_ptr(), std::ptr::null()];
            blst_p1s_to_affine(affine.as_mut_ptr(), points.as_ptr(), len);
            for point in &affine[..len] {
                let mut bytes = [0u8; 48];
                blst_p1_affine_compress(bytes.as_mut_ptr(), point);
                out.push(PublicKeyBytes(bytes));
            }
        }
    }
    assert_eq!(out[0], secret(1).public_key().to_bytes(), "key 0");
    assert_eq!(
        out[n - 1],
        secret(n as u128).public_key().to_bytes(),
        "key n-1"
    );
    out
}

// ---------------------------------------------------------------------------------------------
// The engine behind a timing proxy.

/// A JSON-RPC proxy in front of mock-el that records each call's method and time.
#[derive(Clone, Default)]
struct EngineTimes(Arc<Mutex<Vec<(String, Duration)>>>);

impl EngineTimes {
    fn take(&self) -> Vec<(String, Duration)> {
        std::mem::take(&mut *self.0.lock())
    }
}

async fn start_proxy(target: String, times: EngineTimes) -> std::net::SocketAddr {
    use warp::Filter;
    let client = reqwest::Client::new();
    let route = warp::post()
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::body::bytes())
        .and_then(
            move |auth: Option<String>, body: warp::hyper::body::Bytes| {
                let client = client.clone();
                let target = target.clone();
                let times = times.clone();
                async move {
                    let method = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v.get("method").and_then(|m| m.as_str()).map(String::from))
                        .unwrap_or_default();
                    let start = Instant::now();
                    let mut request = client
                        .post(&target)
                        .header("content-type", "application/json")
                        .body(body.to_vec());
                    if let Some(auth) = auth {
                        request = request.header("authorization", auth);
                    }
                    let response = request.send().await.map_err(|_| warp::reject())?;
                    let status = response.status().as_u16();
                    let bytes = response.bytes().await.map_err(|_| warp::reject())?;
                    times.0.lock().push((method, start.elapsed()));
                    Ok::<_, warp::Rejection>(
                        warp::http::Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(bytes.to_vec())
                            .expect("a response"),
                    )
                }
            },
        );
    let (addr, server) = warp::serve(route).bind_ephemeral(([127, 0, 0, 1], 0));
    tokio::spawn(server);
    addr
}

// ---------------------------------------------------------------------------------------------
// The "block imported" instant, from the chain's own log event.

#[derive(Clone, Default)]
struct ImportedAt(Arc<Mutex<Option<Instant>>>);

struct ImportedLayer(ImportedAt);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ImportedLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}") == "block imported" {
                    self.0 = true;
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "message" && value == "block imported" {
                    self.0 = true;
                }
            }
        }
        if !event.metadata().target().starts_with("beacon_chain") {
            return;
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 {
            *self.0 .0.lock() = Some(Instant::now());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The state.

/// The benchmark's anchor state (see the module docs) and the validators' public keys.
fn anchor_state(
    spec: &ChainSpec,
    header: types::ExecutionPayloadHeader<E>,
) -> (BeaconState<E>, Vec<PublicKeyBytes>) {
    let start = Instant::now();
    let mut state = state_bench::build_state(spec);
    eprintln!(
        "built the {}-validator state in {:?}",
        state.validators().len(),
        start.elapsed()
    );
    let start = Instant::now();
    let keys = public_keys(state.validators().len());
    eprintln!("computed the public keys in {:?}", start.elapsed());
    let validators: Vec<types::Validator> = state
        .validators()
        .iter()
        .zip(&keys)
        .map(|(v, key)| types::Validator {
            pubkey: *key,
            ..v.clone()
        })
        .collect();
    *state.validators_mut() = List::new(validators).expect("validators");
    let committee = state_processing::common::get_next_sync_committee(&state).expect("sync");
    match (&mut state, header) {
        (BeaconState::Fulu(s), types::ExecutionPayloadHeader::Fulu(header)) => {
            s.current_sync_committee = Arc::new(committee.clone());
            s.next_sync_committee = Arc::new(committee);
            s.latest_execution_payload_header = header;
        }
        _ => panic!("a Fulu state and header"),
    }
    let genesis = beacon_chain::block_builder::genesis_block::<E>(ForkName::Fulu, Hash256::ZERO)
        .expect("the genesis block");
    *state.latest_block_header_mut() = BeaconBlockHeader {
        slot: 0,
        proposer_index: 0,
        parent_root: Hash256::ZERO,
        state_root: Hash256::ZERO,
        body_root: genesis.body_root(),
    };
    let start = Instant::now();
    let slot = state.slot() + 1;
    state_processing::process_slots(&mut state, slot, spec).expect("the epoch transition");
    state.latest_block_header_mut().state_root = Hash256::ZERO;
    state.update_tree_hash_cache().expect("the state root");
    eprintln!(
        "advanced to slot {slot} (epoch transition) in {:?}",
        start.elapsed()
    );
    (state, keys)
}

// ---------------------------------------------------------------------------------------------

struct Bench {
    spec: Arc<ChainSpec>,
    chain: Arc<BeaconChain<E>>,
    clock: Arc<ManualClock>,
    genesis_time: u64,
    engine_times: EngineTimes,
    imported_at: ImportedAt,
    caches: Mutex<Option<StateCaches>>,
    _el: MockEl,
    _datadir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Bench {
    async fn start(imported_at: ImportedAt) -> Self {
        let spec = Arc::new(state_bench::spec());
        let el = MockEl::start(MockElConfig::new(jwt()))
            .await
            .expect("mock-el starts");
        let engine_times = EngineTimes::default();
        let proxy = start_proxy(el.url(), engine_times.clone()).await;
        let engine = || {
            EngineClient::new(
                format!("http://{proxy}").parse().expect("a URL"),
                JwtAuth::new(jwt()),
            )
            .expect("an engine client")
        };
        let header = beacon_chain::genesis::engine_genesis_header::<E>(&engine(), ForkName::Fulu)
            .await
            .expect("mock-el's genesis block");
        let spec_for_state = spec.clone();
        let (state, _keys) =
            tokio::task::spawn_blocking(move || anchor_state(&spec_for_state, header))
                .await
                .expect("the state");
        let genesis_time = state.genesis_time();
        let slot = state.slot();

        let datadir = TempDir(std::env::temp_dir().join(format!(
            "beacon_chain_bench_{}_{}",
            std::process::id(),
            genesis_time
        )));
        std::fs::create_dir_all(&datadir.0).expect("a temporary directory");
        let store = Arc::new(Store::<E>::open(&datadir.0, spec.clone()).expect("the store"));
        let view = Arc::new(ChainView::new(E::slots_per_epoch()));
        let builder_store =
            RedbBuilderBlockStore::from_database(store.database()).expect("the builder store");
        let layer = Arc::new(
            ExecutionLayer::new(
                ExecutionLayerConfig::new((*spec).clone()),
                engine(),
                vec![],
                Box::new(builder_store),
                view.clone(),
            )
            .expect("the execution layer"),
        );
        let clock = Arc::new(ManualClock::new(
            (genesis_time + slot * spec.slot_duration_ms / 1000) * 1000,
        ));
        let start = Instant::now();
        let chain_spec = spec.clone();
        let chain_clock = clock.clone();
        let chain = tokio::task::spawn_blocking(move || {
            BeaconChain::start(ChainParts {
                spec: chain_spec,
                config: ChainConfig {
                    suggested_fee_recipient: Some(FEE_RECIPIENT),
                    ..ChainConfig::default()
                },
                store,
                execution_layer: layer,
                view,
                clock: chain_clock,
                genesis_state: Some(state),
            })
        })
        .await
        .expect("the start task")
        .expect("the chain starts");
        eprintln!("chain started (anchor stored) in {:?}", start.elapsed());
        let start = Instant::now();
        let validators = chain.head().state.validators().len();
        while chain.decompressed_pubkeys() < validators {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!(
            "the chain's start-up decompressed the {validators} public keys in {:?}",
            start.elapsed()
        );
        Self {
            spec,
            chain,
            clock,
            genesis_time,
            engine_times,
            imported_at,
            caches: Mutex::new(None),
            _el: el,
            _datadir: datadir,
        }
    }

    fn set_time(&self, slot: Slot, per_mille: u64) {
        let ms = (self.genesis_time + slot * self.spec.slot_duration_ms / 1000) * 1000
            + self.spec.slot_duration_ms * per_mille / 1000;
        self.clock.set_ms(ms);
    }

    /// One aggregate per committee of `slot` (every member) and a full contribution per sync
    /// subnet, for the head, into the pools.
    async fn attest(&self, slot: Slot) {
        let chain = &self.chain;
        let head = chain.head();
        let state = chain
            .state_at_slot(head.block_root, (slot + 1).max(head.slot))
            .expect("the head state");
        let epoch = slot / E::slots_per_epoch();
        let committees = get_committee_count_per_slot(&state, epoch);
        let mut attestations = Vec::new();
        // The bench's own caches (for building the operations), kept across slots.
        let mut caches = self.caches.lock().take().unwrap_or_default();
        caches.prepare(&*state).expect("caches");
        for index in 0..committees {
            let data = chain
                .produce_attestation_data(slot, index)
                .expect("attestation data");
            let committee = caches
                .get_beacon_committee(&*state, slot, index)
                .expect("a committee")
                .to_vec();
            let domain = get_domain(&state, DOMAIN_BEACON_ATTESTER, Some(data.target.epoch));
            let root = compute_signing_root(&data, domain);
            let signature = aggregate_secret(committee.iter().copied())
                .sign(root.as_slice())
                .to_bytes();
            let mut bits = types::ssz_types::BitList::with_capacity(committee.len()).unwrap();
            for i in 0..committee.len() {
                bits.set(i, true).unwrap();
            }
            let mut committee_bits = types::ssz_types::BitVector::new();
            committee_bits.set(index as usize, true).unwrap();
            attestations.push(operation_pool::Attestation::Electra(
                types::AttestationElectra {
                    aggregation_bits: bits,
                    data,
                    signature,
                    committee_bits,
                },
            ));
        }
        let failures = chain.insert_attestations(attestations).await;
        assert!(failures.is_empty(), "slot {slot}: {failures:?}");

        // Sync committee: the members' indices by key (validator i's key is the i-th).
        let members: Vec<u64> = state
            .current_sync_committee()
            .pubkeys
            .iter()
            .map(|pk| {
                caches
                    .find_validator_index(&*state, pk)
                    .expect("a member's index")
            })
            .collect();
        let size = E::sync_committee_size() / 4;
        let domain = self.spec.domain_at_epoch(
            DOMAIN_SYNC_COMMITTEE,
            epoch,
            state.genesis_validators_root(),
        );
        let root = compute_signing_root(&head.block_root, domain);
        for subnet in 0..4 {
            let part = &members[subnet * size..(subnet + 1) * size];
            let mut bits = operation_pool::SyncSubcommitteeBits::<E>::default();
            for i in 0..size {
                bits.set(i, true);
            }
            let contribution = operation_pool::SyncCommitteeContribution::<E> {
                slot,
                beacon_block_root: head.block_root,
                subcommittee_index: subnet as u64,
                aggregation_bits: bits,
                signature: aggregate_secret(part.iter().copied())
                    .sign(root.as_slice())
                    .to_bytes(),
            };
            chain
                .op_pool()
                .insert_sync_contribution(&contribution, &state, &caches)
                .expect("a sync contribution");
        }
        *self.caches.lock() = Some(caches);
    }
}

#[derive(Default)]
struct Figures {
    slot: Vec<Slot>,
    advance: Vec<Duration>,
    produce: Vec<Duration>,
    produce_engine: Vec<Duration>,
    import: Vec<Duration>,
    import_engine: Vec<Duration>,
    head: Vec<Duration>,
    head_engine: Vec<Duration>,
}

fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn minus(a: &[Duration], b: &[Duration]) -> Vec<Duration> {
    a.iter().zip(b).map(|(a, b)| a.saturating_sub(*b)).collect()
}

fn line(name: &str, values: &[Duration]) {
    eprintln!(
        "  {name:<44} p50 {:>9.2?}  p90 {:>9.2?}  max {:>9.2?}",
        percentile(values, 50.0),
        percentile(values, 90.0),
        values.iter().max().copied().unwrap_or_default()
    );
}

fn sum_engine(times: &[(String, Duration)], method: impl Fn(&str) -> bool) -> Duration {
    times
        .iter()
        .filter(|(m, _)| method(m))
        .map(|(_, d)| *d)
        .sum()
}

async fn run() {
    let imported_at = ImportedAt::default();
    {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry()
            .with(ImportedLayer(imported_at.clone()))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(tracing_subscriber::EnvFilter::new(
                        std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
                    )),
            );
        use tracing_subscriber::Layer;
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    }
    let bench = Bench::start(imported_at).await;
    let slots: u64 = std::env::var("BENCH_SLOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(34);
    let first = bench.chain.head().slot + 1;
    let mut figures = Figures::default();
    for slot in first..first + slots {
        // The timer, late in the previous slot.
        bench.set_time(slot - 1, 750);
        let start = Instant::now();
        bench.chain.prepare_slot(slot).await;
        let advance = start.elapsed();
        bench.attest(slot - 1).await;
        bench.set_time(slot, 0);
        bench.chain.on_slot_start(slot).await;
        // Let the early local build (spawned by prepare_slot) finish as it would in the 3 s before.
        tokio::time::sleep(Duration::from_millis(50)).await;
        bench.engine_times.take();

        let state = bench
            .chain
            .state_at_slot(bench.chain.head().block_root, slot)
            .expect("the advanced state");
        let proposer =
            state_processing::common::get_beacon_proposer_index(&state).expect("a proposer");
        let key = secret(proposer as u128 + 1);
        let epoch = slot / E::slots_per_epoch();
        let randao_reveal = key
            .sign(
                compute_signing_root(&epoch, get_domain(&state, DOMAIN_RANDAO, Some(epoch)))
                    .as_slice(),
            )
            .to_bytes();
        let start = Instant::now();
        let produced = bench
            .chain
            .produce_block(
                slot,
                ProduceOptions {
                    randao_reveal,
                    graffiti: None,
                    skip_randao_verification: false,
                    builder_boost_factor: None,
                    format: BlockFormat::Full,
                },
            )
            .await
            .expect("a block");
        let produce = start.elapsed();
        let produce_engine = sum_engine(&bench.engine_times.take(), |_| true);
        let BlockProposal::Full {
            block,
            blobs_bundle,
        } = produced.proposal
        else {
            panic!("a full block");
        };
        let attestations = block
            .body_ref()
            .attestations_electra()
            .map(|a| a.len())
            .unwrap_or(0);
        let root = block.tree_hash_root_of();
        let signature = key
            .sign(
                compute_signing_root(&root, get_domain(&state, DOMAIN_BEACON_PROPOSER, None))
                    .as_slice(),
            )
            .to_bytes();
        let signed = block.into_signed(signature);
        drop(state);

        bench.set_time(slot, 150);
        *bench.imported_at.0.lock() = None;
        let start = Instant::now();
        let imported = bench
            .chain
            .import_block(signed, blobs_bundle)
            .await
            .expect("the block imports");
        let import = start.elapsed();
        let end = Instant::now();
        let head = bench
            .imported_at
            .0
            .lock()
            .map(|at| end.duration_since(at))
            .unwrap_or_default();
        let times = bench.engine_times.take();
        let new_payload = sum_engine(&times, |m| m.starts_with("engine_newPayload"));
        let fcu = sum_engine(&times, |m| m.starts_with("engine_forkchoiceUpdated"));
        assert_eq!(bench.chain.head().block_root, imported.block_root);
        // An epoch's first state is written in full after the import, off its path; a node has the
        // rest of the slot for it, the bench waits for it here (untimed) so the next slot does not.
        let chain = bench.chain.clone();
        let waited = Instant::now();
        tokio::task::spawn_blocking(move || chain.wait_for_state_writes())
            .await
            .expect("the state writer joins");
        let waited = waited.elapsed();
        if waited > Duration::from_millis(100) {
            eprintln!("slot {slot}: waited {waited:.2?} for the epoch state's full write");
        }
        eprintln!(
            "slot {slot}: advance {advance:>9.2?} | produce {produce:>9.2?} (engine {produce_engine:>8.2?}, {attestations} attestations) | import {import:>9.2?} (engine {:>8.2?}) | head {head:>9.2?} (fcU {fcu:>8.2?}) | {}",
            new_payload + fcu,
            imported.execution_status.as_str(),
        );
        if slot == first {
            continue; // warm-up
        }
        figures.slot.push(slot);
        figures.advance.push(advance);
        figures.produce.push(produce);
        figures.produce_engine.push(produce_engine);
        figures.import.push(import);
        figures.import_engine.push(new_payload + fcu);
        figures.head.push(head);
        figures.head_engine.push(fcu);
    }
    eprintln!(
        "\nchain at mainnet preset, 2^20 validators, Fulu, {} slots (after one warm-up), engine = in-process mock-el over HTTP:",
        figures.slot.len()
    );
    line("import_block (total)", &figures.import);
    line(
        "import_block minus engine (newPayload + fcU)",
        &minus(&figures.import, &figures.import_engine),
    );
    line("  of which head update (total)", &figures.head);
    line(
        "  of which head update minus fcU",
        &minus(&figures.head, &figures.head_engine),
    );
    line("produce_block Full (total)", &figures.produce);
    line(
        "produce_block minus engine calls",
        &minus(&figures.produce, &figures.produce_engine),
    );
    line("prepare_slot (timer's state advance)", &figures.advance);
    let boundary: Vec<usize> = (0..figures.slot.len())
        .filter(|&i| figures.slot[i] % E::slots_per_epoch() == 0)
        .collect();
    for i in boundary {
        eprintln!(
            "  epoch start slot {}: import {:.2?} (minus engine {:.2?}), produce minus engine {:.2?}, advance {:.2?}",
            figures.slot[i],
            figures.import[i],
            figures.import[i].saturating_sub(figures.import_engine[i]),
            figures.produce[i].saturating_sub(figures.produce_engine[i]),
            figures.advance[i]
        );
    }
}

trait RootOf {
    fn tree_hash_root_of(&self) -> Hash256;
}

impl RootOf for types::BeaconBlock<E> {
    fn tree_hash_root_of(&self) -> Hash256 {
        tree_hash::TreeHash::tree_hash_root(self)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run());
}
