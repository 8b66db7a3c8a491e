//! What a proposal ends in ([`Outcome`]) and why the harness itself can fail ([`HarnessError`]).

use engine_api::PayloadStatusKind;
use execution_layer::{BuilderReport, DisabledBuilder};
use state_processing::StateError;
use types::{ExecutionBlockHash, Hash256, Slot};

/// Why the harness could not play a slot. A missed slot or an INVALID payload is an [`Outcome`], not
/// an error: these are failures of the harness or of the pieces under test.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The state transition refused a block or a slot.
    #[error("state transition: {0}")]
    State(#[from] StateError),
    /// Hashing the state failed.
    #[error("state hashing: {0:?}")]
    Hashing(types::milhouse::Error),
    /// The execution layer produced no payload at all.
    #[error("get_payload: {0}")]
    Payload(#[from] execution_layer::PayloadError),
    /// The execution engine failed a call.
    #[error("engine: {0}")]
    Engine(#[from] engine_api::EngineError),
    /// The builder-block store failed.
    #[error("builder registry: {0}")]
    Registry(#[from] execution_layer::RegistryError),
    /// Starting the mocks or the layer failed.
    #[error("setup: {0}")]
    Setup(String),
    /// A builder refused the proposer's registration.
    #[error("registration with {builder}: {error}")]
    Registration {
        /// The builder's name.
        builder: String,
        /// Its answer.
        error: String,
    },
    /// The blinded and the full block led to different post-states.
    #[error("slot {slot}: blinded post-state root {blinded} differs from full {full}")]
    StateRootMismatch {
        /// The slot.
        slot: Slot,
        /// After the blinded block.
        blinded: Hash256,
        /// After the full block.
        full: Hash256,
    },
    /// Something the harness does not handle (another fork, a non-final engine verdict...).
    #[error("slot {slot}: {message}")]
    Unexpected {
        /// The slot.
        slot: Slot,
        /// What happened.
        message: String,
    },
}

impl From<types::milhouse::Error> for HarnessError {
    fn from(error: types::milhouse::Error) -> Self {
        Self::Hashing(error)
    }
}

/// Where a slot's payload came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The mock EE's own payload.
    Local,
    /// The bid of the builder of this name.
    Builder(String),
}

/// How the harness came by the full block it imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The local payload, put back into the signed blinded block.
    Local,
    /// The builder revealed the payload (submitBlindedBlock v1) and the harness assembled the block.
    Revealed,
    /// The builder took the signed block (submitBlindedBlockV2, 202) and published it, with its blobs,
    /// to the harness's beacon API.
    Published,
}

/// How a slot ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotResult {
    /// The block is the new head: its state transition passed both blinded and full, and the EE
    /// found its payload VALID.
    Imported {
        /// The block's root.
        block_root: Hash256,
        /// The post-state root computed on the blinded block, before the payload was known.
        blinded_state_root: Hash256,
        /// The post-state root of the full block, with every signature verified.
        full_state_root: Hash256,
        /// The payload's block hash, now the EE's head.
        execution_block_hash: ExecutionBlockHash,
        /// The EE's `newPayload` verdict.
        verdict: PayloadStatusKind,
        /// Blob commitments the block carries.
        blobs: usize,
        /// How the full block reached the harness.
        delivery: Delivery,
    },
    /// The EE found the payload INVALID: the block is not imported, and the builder that made it (if
    /// any) is disabled.
    InvalidPayload {
        /// The block's root.
        block_root: Hash256,
        /// The payload's block hash.
        execution_block_hash: ExecutionBlockHash,
        /// What `on_invalid_payload` disabled (every builder that offered the payload).
        disabled: Vec<DisabledBuilder>,
    },
    /// The proposer signed a builder's header but the payload never came (or a published block's
    /// blobs were not available): the slot has no block (no local fallback after signing).
    Missed {
        /// The unblinding error, or what was wrong with the publication.
        reason: String,
    },
}

/// One proposal, as the tests see it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The proposed slot.
    pub slot: Slot,
    /// Its proposer.
    pub proposer_index: u64,
    /// The chosen payload source.
    pub source: Source,
    /// Every builder's part (bid, timeout, disabled...).
    pub builders: Vec<BuilderReport>,
    /// How the slot ended.
    pub result: SlotResult,
}
