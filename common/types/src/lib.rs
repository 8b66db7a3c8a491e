//! Consensus and builder-specs containers for Capella to Fulu, presets, ChainSpec, domains and signing roots.
//!
//! Every container is SSZ-encodable, hash-tree-rootable and serialisable in the beacon-API JSON form.
//! Fork-dependent containers are enums over per-fork structs (generated with superstruct) and are decoded
//! through [`ForkVersioned`], because neither SSZ nor JSON names the fork.

pub mod bellatrix;
pub mod block;
pub mod builder;
pub mod chain_spec;
pub mod consensus;
mod eth_spec;
pub mod events;
pub mod execution;
pub mod participation;
pub mod primitives;
pub mod sidecar;
pub mod signing;
pub mod state;
pub mod update_map;
pub mod versioned;

pub use bellatrix::{BeaconStateBellatrix, ExecutionPayloadHeaderBellatrix};
pub use block::*;
pub use builder::*;
pub use chain_spec::*;
pub use consensus::*;
pub use eth_spec::{EthSpec, MainnetEthSpec, MinimalEthSpec};
pub use events::*;
pub use execution::*;
pub use participation::ParticipationList;
pub use primitives::*;
pub use sidecar::{BlobIndex, BlobSidecar, ColumnIndex, DataColumnSidecar, MerkleProofError};
pub use signing::*;
pub use state::*;
pub use update_map::{RegistryList, RegistryUpdates};
pub use versioned::*;

pub use milhouse;
pub use ssz;
pub use ssz_types;
pub use tree_hash;

/// Errors from fork-dependent accessors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A field or cast that does not exist at this object's fork.
    #[error("the object is of another fork")]
    IncorrectFork,
}
