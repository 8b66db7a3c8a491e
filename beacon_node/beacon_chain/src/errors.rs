//! Why a block was refused, a block could not be produced, or the chain could not start.

use engine_api::PayloadStatusKind;
use types::{ExecutionBlockHash, Hash256, Slot};

/// Why a block was not imported. Each variant says what failed; [`BlockError::is_gossip_failure`]
/// tells the checks a gossiping node runs before any state transition from the rest.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// The block's slot has not started yet (allowing for clock disparity).
    #[error("block slot {slot} is in the future (current slot {current_slot})")]
    FutureSlot {
        /// The block's slot.
        slot: Slot,
        /// The node's current slot.
        current_slot: Slot,
    },
    /// The block is not later than the finalized checkpoint.
    #[error("block slot {slot} is not after the finalized slot {finalized_slot}")]
    BeforeFinalization {
        /// The block's slot.
        slot: Slot,
        /// The finalized checkpoint's start slot.
        finalized_slot: Slot,
    },
    /// The block's parent is not known to fork choice.
    #[error("unknown parent block {0}")]
    UnknownParent(Hash256),
    /// The block is already known.
    #[error("block {0} is already known")]
    AlreadyKnown(Hash256),
    /// The block is not later than its parent.
    #[error("block slot {slot} is not after its parent's slot {parent_slot}")]
    NotLaterThanParent {
        /// The block's slot.
        slot: Slot,
        /// The parent's slot.
        parent_slot: Slot,
    },
    /// The block names another proposer than the state's for its slot.
    #[error("proposer index {got}, expected {expected}")]
    IncorrectProposer {
        /// The state's proposer for the slot.
        expected: u64,
        /// The block's `proposer_index`.
        got: u64,
    },
    /// The proposer's signature does not verify.
    #[error("invalid proposer signature")]
    InvalidSignature,
    /// The proposer already proposed another block at this slot.
    #[error("proposer {proposer} already proposed block {other} at slot {slot}")]
    Equivocation {
        /// The proposer.
        proposer: u64,
        /// The slot.
        slot: Slot,
        /// The block seen first.
        other: Hash256,
    },
    /// The state transition failed (a bad operation, signature, RANDAO, payload header, ...).
    #[error("state transition: {0}")]
    StateTransition(#[from] state_processing::StateError),
    /// The block's `state_root` is not the post-state's root.
    #[error("state root {block} in the block, {computed} computed")]
    StateRootMismatch {
        /// The block's `state_root`.
        block: Hash256,
        /// The post-state's root.
        computed: Hash256,
    },
    /// The execution engine found the payload invalid.
    #[error("execution payload {block_hash} is {status:?} (latest valid hash {latest_valid_hash:?}): {error}")]
    InvalidPayload {
        /// The payload's block hash.
        block_hash: ExecutionBlockHash,
        /// INVALID or INVALID_BLOCK_HASH.
        status: PayloadStatusKind,
        /// The engine's `latestValidHash`.
        latest_valid_hash: Option<ExecutionBlockHash>,
        /// The engine's validation error.
        error: String,
    },
    /// The execution engine could not be asked (offline, timed out, failing): the block may be valid,
    /// try again later.
    #[error("execution engine unavailable: {0}")]
    ExecutionEngineUnavailable(String),
    /// The blobs (or columns) the block commits to are missing or do not verify.
    #[error("blob data unavailable or invalid: {0}")]
    DataUnavailable(String),
    /// Fork choice refused the block.
    #[error("fork choice: {0}")]
    ForkChoice(#[from] fork_choice::Error),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// Something the node should never meet (a task that failed to run, a missing parent state).
    #[error("internal: {0}")]
    Internal(String),
}

impl BlockError {
    /// Whether the block failed a check that a gossiping node runs before the state transition (slot,
    /// finality, parent, repeat, proposer, signature, equivocation). `broadcast_validation=gossip`
    /// refuses only these.
    pub fn is_gossip_failure(&self) -> bool {
        matches!(
            self,
            Self::FutureSlot { .. }
                | Self::BeforeFinalization { .. }
                | Self::UnknownParent(_)
                | Self::AlreadyKnown(_)
                | Self::NotLaterThanParent { .. }
                | Self::IncorrectProposer { .. }
                | Self::InvalidSignature
                | Self::Equivocation { .. }
        )
    }

    /// Whether the fault lies with the node or its engine rather than the block.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::ExecutionEngineUnavailable(_) | Self::Store(_) | Self::Internal(_)
        )
    }
}

/// Why a block could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// The slot is not after the head's.
    #[error("slot {slot} is not after the head's slot {head_slot}")]
    SlotNotAfterHead {
        /// The requested slot.
        slot: Slot,
        /// The head's slot.
        head_slot: Slot,
    },
    /// The slot is too far ahead of the clock.
    #[error("slot {slot} is more than one slot ahead of the current slot {current_slot}")]
    TooFarAhead {
        /// The requested slot.
        slot: Slot,
        /// The current slot.
        current_slot: Slot,
    },
    /// The RANDAO reveal is not the proposer's signature of the epoch.
    #[error("invalid randao reveal for proposer {proposer}")]
    InvalidRandaoReveal {
        /// The slot's proposer.
        proposer: u64,
    },
    /// Neither the engine nor a builder gave a payload.
    #[error("no payload: {0}")]
    Payload(#[from] execution_layer::PayloadError),
    /// A full block was asked for, but only a builder's (blinded) payload could be had.
    #[error("a full block was asked for, but the execution engine gave no payload ({0})")]
    NoLocalPayload(String),
    /// The state transition of the produced block failed.
    #[error("state transition: {0}")]
    StateTransition(#[from] state_processing::StateError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// Anything else.
    #[error("internal: {0}")]
    Internal(String),
}

/// Why the chain could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The testnet directory or its files are missing or unreadable.
    #[error("{0}")]
    Genesis(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// The state transition failed on the anchor.
    #[error("state: {0}")]
    State(#[from] state_processing::StateError),
    /// Fork choice could not be built or restored.
    #[error("fork choice: {0}")]
    ForkChoice(#[from] fork_choice::Error),
    /// The store belongs to another chain.
    #[error("the datadir holds another chain (genesis state root {stored}, expected {expected})")]
    WrongChain {
        /// In the store.
        stored: Hash256,
        /// From the genesis given.
        expected: Hash256,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}
