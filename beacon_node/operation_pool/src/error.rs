//! Why the pools refuse an operation. A refusal is the sender's fault (or an operation the head state no
//! longer admits); `State` is the one that is the node's own (a state that cannot answer a question).

use state_processing::StateError;
use types::{CommitteeIndex, Epoch, ForkName, Slot, ValidatorIndex};

/// What an accepted operation did to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Kept (alone or merged into an aggregate).
    New,
    /// Nothing new: the pool already holds the same attesters, operation or validator's operation.
    AlreadyKnown,
}

/// Why an attestation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttestationError {
    #[error("a {got} attestation for a {expected} state")]
    WrongFork { expected: ForkName, got: ForkName },
    #[error("target epoch {target} is not the epoch of slot {slot}")]
    TargetEpochMismatch { target: Epoch, slot: Slot },
    #[error("target epoch {target} is outside the window around the head's epoch {current}")]
    TargetEpochOutOfWindow { target: Epoch, current: Epoch },
    #[error("committee index {index} out of range ({count} committees per slot)")]
    CommitteeIndexOutOfRange { index: CommitteeIndex, count: u64 },
    #[error("an Electra attestation must have data.index 0, not {0}")]
    NonZeroDataIndex(CommitteeIndex),
    #[error("an aggregate must name exactly one committee; it names {0}")]
    NotOneCommittee(usize),
    #[error("{got} aggregation bits for a committee of {expected}")]
    AggregationBitsLength { got: usize, expected: usize },
    #[error("no aggregation bit set")]
    NoAttesters,
    #[error("validator {attester_index} is not in committee {committee_index}")]
    AttesterNotInCommittee {
        attester_index: ValidatorIndex,
        committee_index: CommitteeIndex,
    },
    #[error("invalid aggregate signature")]
    InvalidSignature,
    #[error("the attestation pool is full")]
    PoolFull,
    #[error("state: {0}")]
    State(#[from] StateError),
}

/// Why a slashing, exit or BLS-to-execution change was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OperationError {
    #[error("a {got} operation for a {expected} state")]
    WrongFork { expected: ForkName, got: ForkName },
    /// The spec's `process_*` check that failed, as it words it.
    #[error("invalid: {0}")]
    Invalid(StateError),
    #[error("invalid signature: {0}")]
    InvalidSignature(StateError),
    #[error("every validator it names is already slashed or not slashable")]
    NothingSlashable,
    #[error("the pool is full")]
    PoolFull,
}

/// Why a sync committee message or contribution was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyncError {
    #[error("slot {slot} belongs to neither the head state's sync committee period nor the next")]
    SlotOutOfPeriod { slot: Slot },
    #[error("subcommittee index {0} out of range")]
    SubcommitteeIndexOutOfRange(u64),
    #[error("validator {0} is unknown")]
    UnknownValidator(ValidatorIndex),
    #[error("validator {validator_index} is not in the sync (sub)committee")]
    NotInSyncCommittee { validator_index: ValidatorIndex },
    #[error("no participant")]
    NoParticipants,
    #[error("the selection proof does not make validator {0} an aggregator")]
    NotAggregator(ValidatorIndex),
    #[error("invalid selection proof")]
    InvalidSelectionProof,
    #[error("invalid contribution-and-proof signature")]
    InvalidAggregatorSignature,
    #[error("invalid signature")]
    InvalidSignature,
    #[error("the sync pool is full")]
    PoolFull,
    #[error("state: {0}")]
    State(#[from] StateError),
}
