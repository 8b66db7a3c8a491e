//! Chooses the head of the chain: the consensus-specs fork choice (LMD-GHOST with Casper FFG, proposer
//! boost, equivocations, unrealized justification, proposer re-orgs) on a proto-array, with each block's
//! execution status for optimistic sync, persisted as bytes.
//!
//! The caller owns the states: it runs the state transition and gives [`ForkChoice::on_block`] the
//! post-state, verifies attestations and slashings against the states the spec names, reports data
//! availability and the execution engine's verdicts, and provides the justified checkpoint's balances
//! through a [`BalancesSource`].

mod error;
mod fork_choice;
mod inputs;
mod persist;
mod proposer;
mod proto_array;
mod votes;

#[cfg(test)]
mod tests;

pub use error::Error;
pub use fork_choice::{ForkChoice, InvalidPayloadTarget};
pub use inputs::{
    BalancesSource, BlockSummary, ForkChoiceConfig, JustifiedBalances, BASIS_POINTS, GENESIS_EPOCH,
};
pub use persist::{PersistedParts, VotesRecord};
pub use proto_array::{ExecutionStatus, ProtoArray, ProtoNode, Viability};
