//! The beacon API (beacon-APIs v4.0.0): request and response types, and [`BeaconNodeHttpClient`], a typed
//! async client that speaks JSON and SSZ.
//!
//! Containers come from `types` (already in the beacon-API JSON form: quoted integers, `0x` hex) and
//! from `operation_pool::containers` (gossip containers the pools take). This crate adds what only the
//! API has: envelopes (`data`, `version`, `execution_optimistic`, `finalized`, `dependent_root`), the
//! error body, state and block ids, and each endpoint's own shapes. Server and client share them, so the
//! two cannot disagree on a field.

pub mod beacon;
pub mod block_contents;
pub mod client;
pub mod debug;
pub mod envelopes;
pub mod ids;
pub mod node;
pub mod rewards;
pub mod validator;

pub use beacon::*;
pub use block_contents::*;
pub use client::{BeaconNodeHttpClient, Error, EventStream, ProduceQuery, SseEvent};
pub use debug::*;
pub use envelopes::*;
pub use ids::{BlockId, IdError, StateId, ValidatorId};
pub use node::*;
pub use rewards::*;
pub use validator::*;

/// `Eth-Consensus-Version`: the fork of a versioned body or response.
pub const CONSENSUS_VERSION_HEADER: &str = "Eth-Consensus-Version";
/// `Eth-Execution-Payload-Blinded`: whether a produced block is blinded.
pub const EXECUTION_PAYLOAD_BLINDED_HEADER: &str = "Eth-Execution-Payload-Blinded";
/// `Eth-Execution-Payload-Value`: wei paid to the proposer by the payload.
pub const EXECUTION_PAYLOAD_VALUE_HEADER: &str = "Eth-Execution-Payload-Value";
/// `Eth-Consensus-Block-Value`: the proposer's consensus reward for the block, in wei.
pub const CONSENSUS_BLOCK_VALUE_HEADER: &str = "Eth-Consensus-Block-Value";
/// The media type of SSZ bodies.
pub const SSZ_CONTENT_TYPE: &str = "application/octet-stream";
/// The media type of JSON bodies.
pub const JSON_CONTENT_TYPE: &str = "application/json";
