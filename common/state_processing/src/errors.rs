//! Errors of the state transition.

/// Why a state transition step failed. A block that fails any check is invalid; the message says which.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    #[error("persistent tree error: {0:?}")]
    Tree(milhouse::Error),
    #[error("field or variant not present at this fork")]
    IncorrectFork,
    #[error("validator index {0} out of range")]
    UnknownValidator(u64),
    #[error("arithmetic overflow")]
    Overflow,
    #[error("invalid block: {0}")]
    InvalidBlock(String),
    /// A slot outside the range a state's history vectors cover (`get_block_root_at_slot`).
    #[error("slot {slot} is out of range for a state at slot {state_slot}")]
    SlotOutOfRange { slot: u64, state_slot: u64 },
    /// `process_slots` asked to go to a slot that is not after the state's.
    #[error("cannot process slots to {slot}: the state is already at slot {state_slot}")]
    SlotNotLater { state_slot: u64, slot: u64 },
    /// An epoch a committee or seed cannot be computed for from this state.
    #[error("epoch {epoch} is out of range for a state at epoch {current_epoch}")]
    EpochOutOfRange { epoch: u64, current_epoch: u64 },
    /// A committee index at or above the epoch's committee count.
    #[error("committee index {index} out of range ({count} committees per slot)")]
    CommitteeIndexOutOfRange { index: u64, count: u64 },
    /// Sampling a proposer or sync committee from an empty active set.
    #[error("no active validators")]
    NoActiveValidators,
    /// A public key that does not decode, or an aggregation that fails.
    #[error("bls: {0}")]
    Bls(String),
    /// A bitfield access out of range.
    #[error("bitfield: {0}")]
    Bitfield(String),
    #[error("{0}")]
    Other(String),
}

impl From<milhouse::Error> for StateError {
    fn from(e: milhouse::Error) -> Self {
        Self::Tree(e)
    }
}

impl From<types::Error> for StateError {
    fn from(_: types::Error) -> Self {
        Self::IncorrectFork
    }
}

impl From<ssz::BitfieldError> for StateError {
    fn from(e: ssz::BitfieldError) -> Self {
        Self::Bitfield(format!("{e:?}"))
    }
}

impl From<bls::Error> for StateError {
    fn from(e: bls::Error) -> Self {
        Self::Bls(e.to_string())
    }
}

impl From<ssz_types::Error> for StateError {
    fn from(e: ssz_types::Error) -> Self {
        Self::Other(format!("ssz list: {e:?}"))
    }
}

/// Shorthand for a failed block check: `ensure!(cond, "reason {}", x)`.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err($crate::StateError::InvalidBlock(format!($($arg)*)));
        }
    };
}

pub type Result<T, E = StateError> = std::result::Result<T, E>;
