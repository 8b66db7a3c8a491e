//! The beacon node's chain: genesis, block import, fork choice and head, block production through the builder module, publication, events and registrations.
//!
//! One [`BeaconChain`] owns the parts and reads as the flows of `DESIGN.md`:
//! - [`BeaconChain::start`] opens a new chain on a genesis state, or resumes the one in the store;
//! - `import`: a block's gossip-level checks, the state transition, the engine's verdict
//!   (`newPayload`), its blobs, fork choice, one atomic store write, then the head;
//! - `head`: fork choice's head, `forkchoiceUpdated` to the engine on every change, INVALID verdicts
//!   applied to fork choice and to the faulty-builder registry, finality and pruning;
//! - `production`: a block (full or blinded) on the head through `ExecutionLayer::get_payload`;
//! - `publish`: a signed block, full or blinded (unblinded through the builder module), imported;
//! - `registrations`: proposers' fee recipients and builder registrations;
//! - `timer`: the slot's duties (the next slot's state advanced early, its payload attributes
//!   announced, the proposer's local build started).

mod attestations;
pub mod block_builder;
pub mod clock;
pub mod config;
pub mod errors;
pub mod events;
pub mod genesis;
mod head;
mod import;
mod operations;
mod production;
mod publish;
mod registrations;
pub mod state_cache;
pub mod timer;
pub mod view;

pub use attestations::AttestationDataError;
pub use clock::{Clock, ManualClock, SlotClock, SystemClock};
pub use config::ChainConfig;
pub use errors::{BlockError, ProduceError, StartError};
pub use events::{Event, EventBus};
pub use genesis::GenesisSource;
pub use head::CachedHead;
pub use import::{BlobsInput, ImportedBlock};
pub use operations::PoolOperation;
pub use production::{BlockFormat, BlockProposal, ProduceOptions, ProducedBlock};
pub use publish::{BroadcastValidation, PublishError, Published};
pub use registrations::RegistrationFailure;
pub use view::ChainView;

use execution_layer::ExecutionLayer;
use fork_choice::{BlockSummary, ExecutionStatus, ForkChoice, ForkChoiceConfig};
use parking_lot::{Mutex, RwLock};
use state_cache::{CachedState, StateCache};
use state_processing::per_block::DecompressedPubkeys;
use state_processing::StateCaches;
use std::collections::HashMap;
use std::sync::Arc;
use store::{Store, StoreOp};
use tree_hash::TreeHash;
use types::{Address, BeaconState, ChainSpec, Checkpoint, EthSpec, Hash256, Slot};

/// A running chain.
pub struct BeaconChain<E: EthSpec> {
    spec: Arc<ChainSpec>,
    config: ChainConfig,
    store: Arc<Store<E>>,
    execution_layer: Arc<ExecutionLayer<E>>,
    view: Arc<ChainView>,
    slot_clock: SlotClock,
    fork_choice: RwLock<ForkChoice>,
    head: RwLock<CachedHead<E>>,
    states: Mutex<StateCache<E>>,
    /// Fork choice changed (a block was imported) since it was last persisted: the head update
    /// writes it.
    fork_choice_dirty: std::sync::atomic::AtomicBool,
    /// One head update at a time: each writes fork choice's changes since the one before.
    head_update_lock: Mutex<()>,
    /// An imported epoch's first state (root, state) whose full write waits for the head update.
    owed_full_state: Mutex<Option<(Hash256, Arc<BeaconState<E>>)>>,
    /// The thread writing the last owed full state.
    state_writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Decompressed keys by their bytes, for signers the caches' validator keys do not index (the
    /// op pool's sync committee messages, new validators before the next cache update).
    decompressed_pubkeys: DecompressedPubkeys,
    /// The head's registry keys at start, decompressed in the background and adopted by fresh caches.
    validator_keys: state_processing::ValidatorKeys,
    events: EventBus,
    genesis_validators_root: Hash256,
    genesis_block_root: Hash256,
    genesis_time: u64,
    /// One import (and head update) at a time: fork choice, the store and the engine see blocks in
    /// order.
    import_lock: tokio::sync::Mutex<()>,
    /// `(proposer, slot) -> block root` of recent blocks, for equivocation checks.
    observed_proposals: Mutex<HashMap<(u64, Slot), Hash256>>,
    /// `prepare_beacon_proposer`: validator index -> (fee recipient, epoch it was sent).
    preparations: RwLock<HashMap<u64, (Address, u64)>>,
    registrations: Mutex<registrations::Registrations>,
    op_pool: operation_pool::OperationPool<E>,
    queued_votes: Mutex<Vec<attestations::QueuedVote>>,
}

impl<E: EthSpec> std::fmt::Debug for BeaconChain<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeaconChain")
            .field("genesis_block_root", &self.genesis_block_root)
            .field("head", &self.head.read().block_root)
            .finish_non_exhaustive()
    }
}

/// What [`BeaconChain::start`] needs.
pub struct ChainParts<E: EthSpec> {
    pub spec: Arc<ChainSpec>,
    pub config: ChainConfig,
    pub store: Arc<Store<E>>,
    /// The builder module, over the engine the chain imports through, with `view` as its chain.
    pub execution_layer: Arc<ExecutionLayer<E>>,
    /// The view the execution layer was built with.
    pub view: Arc<ChainView>,
    pub clock: Arc<dyn Clock>,
    /// The genesis state of a new chain; `None` to resume the one in the store (an error if there is
    /// none). Given for a store that has a chain, it must be that chain's.
    pub genesis_state: Option<BeaconState<E>>,
}

impl<E: EthSpec> BeaconChain<E> {
    /// Opens a new chain on the genesis state, or resumes the store's chain at its last committed
    /// head.
    pub fn start(parts: ChainParts<E>) -> Result<Arc<Self>, StartError> {
        let ChainParts {
            spec,
            config,
            store,
            execution_layer,
            view,
            clock,
            genesis_state,
        } = parts;
        let metadata = store.chain_metadata()?;
        let fc_config = ForkChoiceConfig::new::<E>(&spec);
        let (fork_choice, head_root, genesis_block_root, head_state_root, head_state) =
            match (metadata.head_block_root, genesis_state) {
                (Some(head_root), genesis) => {
                    let stored_genesis = metadata.genesis_state_root.ok_or_else(|| {
                        StartError::Other("the store has a head but no genesis".into())
                    })?;
                    if let Some(mut genesis) = genesis {
                        let expected = genesis
                            .update_tree_hash_cache()
                            .map_err(state_processing::StateError::from)?;
                        if expected != stored_genesis {
                            return Err(StartError::WrongChain {
                                stored: stored_genesis,
                                expected,
                            });
                        }
                    }
                    let bytes = metadata.fork_choice.ok_or_else(|| {
                        StartError::Other("the store has a head but no fork choice".into())
                    })?;
                    let votes = store.fork_choice_votes()?;
                    let fork_choice = ForkChoice::from_parts(
                        &bytes,
                        metadata.fork_choice_balances.as_deref(),
                        votes.iter().map(Vec::as_slice),
                    )?;
                    let head_block = store.get_blinded_block(&head_root)?.ok_or_else(|| {
                        StartError::Other(format!("the head block {head_root} is not in the store"))
                    })?;
                    let state_root = head_block.message_enum().state_root();
                    let head_state = store.get_state(&state_root)?.ok_or_else(|| {
                        StartError::Other(format!("the head state {state_root} is not in the store"))
                    })?;
                    let genesis_block_root = metadata.genesis_block_root.ok_or_else(|| {
                        StartError::Other("the store has no genesis block root".into())
                    })?;
                    tracing::info!(head = %head_root, slot = head_state.slot(), finalized_epoch = fork_choice.finalized_checkpoint().epoch, "resuming the chain from the store");
                    (fork_choice, head_root, genesis_block_root, state_root, head_state)
                }
                (None, Some(mut genesis)) => {
                    let state_root = genesis
                        .update_tree_hash_cache()
                        .map_err(state_processing::StateError::from)?;
                    let fork = genesis.fork_name();
                    let block = block_builder::genesis_block::<E>(fork, state_root)
                        .map_err(StartError::Other)?;
                    let block_root = block.tree_hash_root();
                    let anchor = BlockSummary {
                        root: block_root,
                        slot: genesis.slot(),
                        parent_root: Hash256::ZERO,
                        proposer_index: 0,
                        execution_block_hash: genesis.latest_execution_payload_header().block_hash(),
                    };
                    let mut fork_choice =
                        ForkChoice::from_anchor(&anchor, &genesis, ExecutionStatus::Valid, fc_config)?;
                    let checkpoint = Checkpoint {
                        epoch: 0,
                        root: block_root,
                    };
                    let mut ops = vec![
                        StoreOp::PutBlock {
                            block_root,
                            block: Box::new(block.into_signed(types::SignatureBytes::empty())),
                        },
                        StoreOp::PutState {
                            state_root,
                            state: Box::new(genesis.clone()),
                        },
                        StoreOp::SetGenesis {
                            state_root,
                            block_root,
                        },
                        StoreOp::SetJustified(checkpoint),
                        StoreOp::SetFinalized(checkpoint),
                        StoreOp::SetHead(block_root),
                    ];
                    ops.extend(head::fork_choice_ops(fork_choice.take_persisted_parts()));
                    store.do_atomically(ops)?;
                    tracing::info!(genesis_block_root = %block_root, %state_root, %fork, validators = genesis.validators().len(), genesis_time = genesis.genesis_time(), "new chain from genesis");
                    (fork_choice, block_root, block_root, state_root, genesis)
                }
                (None, None) => {
                    return Err(StartError::Genesis(
                        "the datadir holds no chain: give a genesis (--testnet-dir or --interop-validators)"
                            .into(),
                    ))
                }
            };
        let spec_for_pool = spec.clone();
        let genesis_time = head_state.genesis_time();
        let genesis_validators_root = head_state.genesis_validators_root();
        let slot_clock = SlotClock::new(clock, genesis_time, spec.slot_duration_ms);
        let head = CachedHead::new(
            head_root,
            head_state_root,
            Arc::new(head_state),
            &fork_choice,
        );
        let decompressed_pubkeys = DecompressedPubkeys::default();
        let mut head_caches = StateCaches::new();
        head_caches.decompressed_pubkeys = decompressed_pubkeys.clone();
        head_caches
            .prepare(&*head.state)
            .map_err(|e| StartError::Other(format!("the head state's caches: {e}")))?;
        let validator_keys = head_caches.pubkeys.keys().clone();
        let mut states = StateCache::new(config.state_cache_size);
        states.insert_with_caches(head_root, head.state.clone(), head_caches);
        // Every validator's key decompressed in the background, so that no import waits on it. The
        // keys are shared with every cache on the head's line, and adopted by caches built later.
        let warm = validator_keys.clone();
        std::thread::Builder::new()
            .name("pubkey-warm-up".into())
            .spawn(move || warm.warm(std::thread::available_parallelism().map_or(1, |n| n.get())))
            .map_err(|e| StartError::Other(format!("cannot start the pubkey warm-up: {e}")))?;
        let registrations = registrations::Registrations::load(&store, &view)?;
        let chain = Arc::new(Self {
            spec,
            config,
            store,
            execution_layer,
            view,
            slot_clock,
            fork_choice: RwLock::new(fork_choice),
            head: RwLock::new(head),
            states: Mutex::new(states),
            fork_choice_dirty: std::sync::atomic::AtomicBool::new(false),
            head_update_lock: Mutex::new(()),
            owed_full_state: Mutex::new(None),
            state_writer: Mutex::new(None),
            decompressed_pubkeys,
            validator_keys,
            events: EventBus::new(),
            genesis_validators_root,
            genesis_block_root,
            genesis_time,
            import_lock: tokio::sync::Mutex::new(()),
            observed_proposals: Mutex::new(HashMap::new()),
            preparations: RwLock::new(HashMap::new()),
            registrations: Mutex::new(registrations),
            op_pool: operation_pool::OperationPool::new(spec_for_pool),
            queued_votes: Mutex::new(Vec::new()),
        });
        chain.update_view();
        // The KZG trusted setup loads on first use (about a second): load it now, beside the start,
        // so the first block with blobs does not pay for it while its slot runs.
        std::thread::spawn(|| {
            let _ = kzg::settings();
        });
        Ok(chain)
    }

    /// The chain's specification.
    pub fn spec(&self) -> &Arc<ChainSpec> {
        &self.spec
    }

    /// The chain's settings.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store<E>> {
        &self.store
    }

    /// The builder module (and through it the engine).
    pub fn execution_layer(&self) -> &Arc<ExecutionLayer<E>> {
        &self.execution_layer
    }

    /// The slot clock.
    pub fn slot_clock(&self) -> &SlotClock {
        &self.slot_clock
    }

    /// The operation pools (attestations, slashings, exits, BLS changes, sync committee messages).
    pub fn op_pool(&self) -> &operation_pool::OperationPool<E> {
        &self.op_pool
    }

    /// The event channel.
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// The genesis block's root.
    pub fn genesis_block_root(&self) -> Hash256 {
        self.genesis_block_root
    }

    /// `genesis_validators_root`.
    pub fn genesis_validators_root(&self) -> Hash256 {
        self.genesis_validators_root
    }

    /// Unix seconds of genesis.
    pub fn genesis_time(&self) -> u64 {
        self.genesis_time
    }

    /// The head as last computed.
    pub fn head(&self) -> CachedHead<E> {
        self.head.read().clone()
    }

    /// Fork choice, read-only.
    pub fn with_fork_choice<R>(&self, f: impl FnOnce(&ForkChoice) -> R) -> R {
        f(&self.fork_choice.read())
    }

    /// The finalized checkpoint.
    pub fn finalized_checkpoint(&self) -> Checkpoint {
        self.fork_choice.read().finalized_checkpoint()
    }

    /// The justified checkpoint.
    pub fn justified_checkpoint(&self) -> Checkpoint {
        self.fork_choice.read().justified_checkpoint()
    }

    /// The current slot by the clock (genesis before genesis).
    pub fn current_slot(&self) -> Slot {
        self.slot_clock.now_or_genesis()
    }

    /// The state whose latest block is `block_root`, advanced to `slot` (at least the block's slot):
    /// from the cache, else from the store (replayed), advanced on the caller's thread. Blocking: async
    /// callers use `spawn_blocking`.
    pub fn state_at_slot(
        &self,
        block_root: Hash256,
        slot: Slot,
    ) -> Result<Arc<BeaconState<E>>, String> {
        self.cached_state_at_slot(block_root, slot, false)
            .map(|cached| cached.state)
    }

    /// How many validators' public keys are decompressed (the start's warm-up decodes the head's
    /// whole registry).
    pub fn decompressed_pubkeys(&self) -> usize {
        self.validator_keys.decompressed()
    }

    /// Empty caches on the chain's decompressed keys.
    fn fresh_caches(&self) -> StateCaches {
        let mut caches = StateCaches::new();
        caches.decompressed_pubkeys = self.decompressed_pubkeys.clone();
        caches.pubkeys.adopt_keys(self.validator_keys.clone());
        caches
    }

    /// [`Self::state_at_slot`] with the state's caches, prepared for its epoch: the cache's own
    /// (kept with the state through slot advances and blocks), or built once and kept.
    pub(crate) fn state_and_caches_at_slot(
        &self,
        block_root: Hash256,
        slot: Slot,
    ) -> Result<CachedState<E>, String> {
        self.cached_state_at_slot(block_root, slot, true)
    }

    /// The state and its caches, prepared when `prepare` (else only when they came warm from the
    /// cache: a state read from the store for a query does not pay for committees and pubkey map).
    pub(crate) fn cached_state_at_slot(
        &self,
        block_root: Hash256,
        slot: Slot,
        prepare: bool,
    ) -> Result<CachedState<E>, String> {
        let cached = self.states.lock().get_with_caches(block_root, slot);
        if let Some(mut cached) = cached {
            if prepare && !state_cache::caches_prepared(&cached.caches, &cached.state) {
                cached
                    .caches
                    .prepare(&*cached.state)
                    .map_err(|e| e.to_string())?;
                self.states.lock().insert_with_caches(
                    block_root,
                    cached.state.clone(),
                    cached.caches.clone(),
                );
            }
            return Ok(cached);
        }
        let base = self
            .states
            .lock()
            .get_at_or_before_with_caches(block_root, slot);
        let warm = base.is_some();
        let base = match base {
            Some(cached) => cached,
            None => {
                let block = self
                    .store
                    .get_blinded_block(&block_root)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("block {block_root} is not in the store"))?;
                let state_root = block.message_enum().state_root();
                let state = self
                    .store
                    .get_state(&state_root)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| {
                        format!("the state of block {block_root} is not in the store")
                    })?;
                CachedState {
                    state: Arc::new(state),
                    caches: self.fresh_caches(),
                }
            }
        };
        let CachedState {
            state: base,
            mut caches,
        } = base;
        if base.slot() > slot {
            return Err(format!(
                "the state of block {block_root} is at slot {}, after {slot}",
                base.slot()
            ));
        }
        let state = if base.slot() == slot {
            base
        } else {
            let mut state = (*base).clone();
            state_processing::process_slots_with_caches(&mut state, slot, &self.spec, &mut caches)
                .map_err(|e| e.to_string())?;
            // Hashed now: an epoch transition rewrites every balance, and a block built or imported
            // on this state shares these hashes. When the timer advances ahead of the slot, that
            // work (tens of ms at 2^20 validators) is off the proposal's and the import's path.
            state.update_tree_hash_cache().map_err(|e| e.to_string())?;
            Arc::new(state)
        };
        if prepare || warm {
            caches.prepare(&*state).map_err(|e| e.to_string())?;
        }
        self.states
            .lock()
            .insert_with_caches(block_root, state.clone(), caches.clone());
        Ok(CachedState { state, caches })
    }

    /// The fee recipient for `validator_index`'s local payloads: its `prepare_beacon_proposer`, else
    /// the node's `--suggested-fee-recipient`.
    pub fn fee_recipient(&self, validator_index: u64) -> Option<Address> {
        self.preparations
            .read()
            .get(&validator_index)
            .map(|(address, _)| *address)
            .or(self.config.suggested_fee_recipient)
    }
}
