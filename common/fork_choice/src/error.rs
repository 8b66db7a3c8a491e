//! Why a fork-choice call refused its input.

use types::{Epoch, ExecutionBlockHash, Hash256, Slot};

/// A refused input or an inconsistent store. Every handler returns one instead of panicking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The block (or an attestation's block or target) is not in the fork choice.
    #[error("unknown block {0}")]
    UnknownBlock(Hash256),
    /// `on_block`: the parent is not in the fork choice.
    #[error("unknown parent {parent_root} of block at slot {slot}")]
    UnknownParent { parent_root: Hash256, slot: Slot },
    /// `on_block`: the block's slot is after the store's current slot.
    #[error("block slot {block_slot} is after the current slot {current_slot}")]
    FutureBlock {
        block_slot: Slot,
        current_slot: Slot,
    },
    /// `on_block`: the block is not after the finalized epoch's first slot.
    #[error("block slot {block_slot} is not after the finalized slot {finalized_slot}")]
    NotAfterFinalizedSlot {
        block_slot: Slot,
        finalized_slot: Slot,
    },
    /// `on_block`: the block does not descend from the finalized checkpoint.
    #[error("block does not descend from the finalized block {finalized_root}")]
    NotFinalizedDescendant { finalized_root: Hash256 },
    /// `on_block`: the caller reports the block's blobs or columns unavailable (`is_data_available`).
    #[error("the block's blob data is not available")]
    DataUnavailable,
    /// `on_block`: the block was reported with an invalid execution payload.
    #[error("the block's execution payload is invalid")]
    InvalidPayloadBlock,
    /// `on_block`: the post-state given is not at the block's slot.
    #[error("the post-state is at slot {state_slot}, the block at {block_slot}")]
    StateSlotMismatch { state_slot: Slot, block_slot: Slot },
    /// `on_attestation`: the target epoch is neither the current nor the previous one.
    #[error("attestation target epoch {target} is not the current ({current}) or previous epoch")]
    AttestationTargetEpochOutOfRange { target: Epoch, current: Epoch },
    /// `on_attestation`: the target epoch is not the epoch of the attestation's slot.
    #[error("attestation target epoch {target} is not its slot's epoch {slot_epoch}")]
    AttestationBadTargetEpoch { target: Epoch, slot_epoch: Epoch },
    /// `on_attestation`: the attested block is after the attestation's slot.
    #[error("attestation for a block at slot {block_slot} made at slot {slot}")]
    AttestationForFutureBlock { block_slot: Slot, slot: Slot },
    /// `on_attestation`: the target root is not the checkpoint block of the attested block's chain.
    #[error("attestation target {target} is not the checkpoint block {expected} of its head vote")]
    AttestationTargetMismatch { target: Hash256, expected: Hash256 },
    /// `on_attestation`: an attestation may count only from the slot after its own.
    #[error("attestation of slot {slot} arrived at the current slot {current_slot}")]
    AttestationFromCurrentSlot { slot: Slot, current_slot: Slot },
    /// `on_attestation`: an attesting index far beyond every validator known (a corrupt input).
    #[error("attesting index {0} is beyond the known validators")]
    ValidatorIndexOutOfRange(u64),
    /// `on_attester_slashing`: the two attestations are not slashable together.
    #[error("the attester slashing's attestations are not slashable")]
    NotSlashable,
    /// The execution payload hash is not known to the fork choice.
    #[error("unknown execution block hash {0}")]
    UnknownExecutionBlockHash(ExecutionBlockHash),
    /// An execution payload already marked invalid cannot become valid, nor a valid one invalid.
    #[error("block {root} cannot change execution status from {from} to {to}")]
    ExecutionStatusConflict {
        root: Hash256,
        from: &'static str,
        to: &'static str,
    },
    /// The justified checkpoint's balances could not be provided by the caller.
    #[error("no balances for the justified checkpoint (epoch {epoch}, root {root}): {reason}")]
    JustifiedBalances {
        epoch: Epoch,
        root: Hash256,
        reason: String,
    },
    /// `get_proposer_head` was asked while the head still carries the proposer boost.
    #[error("the head {0} still carries the proposer boost")]
    HeadHasProposerBoost(Hash256),
    /// A state read failed (committees, balances, unrealized checkpoints).
    #[error("state: {0}")]
    State(String),
    /// Arithmetic overflowed (balances near `u64::MAX` are a corrupted input).
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    /// The configuration cannot drive a clock (zero slot duration or epoch length).
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// `from_bytes`: the encoding is not one this version writes or reads.
    #[error("cannot decode persisted fork choice: {0}")]
    Decode(String),
    /// The proto-array's indices disagree with each other (a bug or a corrupted restore).
    #[error("inconsistent proto-array: {0}")]
    Inconsistent(String),
}

impl From<state_processing::StateError> for Error {
    fn from(e: state_processing::StateError) -> Self {
        Error::State(e.to_string())
    }
}
