//! `/eth/v*/debug/*` shapes.

use serde::{Deserialize, Serialize};
use types::{Checkpoint, Epoch, ExecutionBlockHash, Hash256, Slot};

/// One entry of `GET /eth/v2/debug/beacon/heads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHeadData {
    pub root: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub execution_optimistic: bool,
}

/// One node of `GET /eth/v1/debug/fork_choice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkChoiceNode {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub block_root: Hash256,
    /// Absent for the anchor.
    pub parent_root: Option<Hash256>,
    #[serde(with = "serde_utils::quoted_u64")]
    pub justified_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub finalized_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub weight: u64,
    /// `valid`, `invalid` or `optimistic`.
    pub validity: String,
    pub execution_block_hash: ExecutionBlockHash,
}

/// `GET /eth/v1/debug/fork_choice` (no `data` envelope: the spec puts the fields at the top).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkChoiceData {
    pub justified_checkpoint: Checkpoint,
    pub finalized_checkpoint: Checkpoint,
    pub fork_choice_nodes: Vec<ForkChoiceNode>,
}
