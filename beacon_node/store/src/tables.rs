//! The database layout: table definitions, key encodings and record codecs.
//!
//! Every record is SSZ; fork-dependent ones carry a one-byte fork tag first, because SSZ does not name
//! the fork and a record must decode without knowing the chain's schedule. Slots in keys are big-endian
//! so that byte order is slot order.

use crate::error::{Result, StoreError};
use redb::{ReadableTable, TableDefinition};
use ssz::{Decode, Encode};
use types::{ForkName, ForkVersioned, Hash256, Slot};

/// Bump when a table's layout or a record's encoding changes.
pub const SCHEMA_VERSION: u64 = 1;

/// `&str` key -> value: schema version, genesis, head, checkpoints, fork choice, anchor.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// block root -> fork tag ++ SSZ `SignedBlindedBeaconBlock`.
pub const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
/// block root -> fork tag ++ SSZ `ExecutionPayload`.
pub const PAYLOADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("payloads");
/// block root -> slot (LE) ++ parent root: walks and pruning without decoding blocks.
pub const BLOCK_SUMMARIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("block_summaries");
/// slot (BE) ++ block root -> (): blocks not yet behind finality, the only ones pruning scans.
pub const HOT_BLOCKS: TableDefinition<&[u8], ()> = TableDefinition::new("hot_blocks");
/// slot -> block root of the canonical chain (absent for skipped slots).
pub const CANONICAL: TableDefinition<u64, &[u8]> = TableDefinition::new("canonical_block_roots");
/// block root ++ index (BE) -> SSZ `BlobSidecar`.
pub const BLOB_SIDECARS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blob_sidecars");
/// block root ++ column index (BE) -> SSZ `DataColumnSidecar`.
pub const DATA_COLUMN_SIDECARS: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("data_column_sidecars");
/// state root -> fork tag ++ SSZ `BeaconState` (epoch-boundary states, and the fallbacks of
/// [`crate::StateSummary`]).
pub const STATES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("states");
/// state root -> [`crate::StateSummary`] for every stored state, full or not.
pub const STATE_SUMMARIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state_summaries");

/// sequence number -> a fork-choice vote record (opaque here): the last snapshot at 0, then the
/// journal of changed votes in the order written.
pub const FORK_CHOICE_VOTES: TableDefinition<u64, &[u8]> =
    TableDefinition::new("fork_choice_votes");

/// validator pubkey -> SSZ `SignedValidatorRegistrationV1`: the latest builder registration kept.
pub const REGISTRATIONS: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("validator_registrations");

pub mod meta_keys {
    pub const SCHEMA_VERSION: &str = "schema_version";
    pub const GENESIS_STATE_ROOT: &str = "genesis_state_root";
    pub const GENESIS_BLOCK_ROOT: &str = "genesis_block_root";
    pub const HEAD_BLOCK_ROOT: &str = "head_block_root";
    pub const FINALIZED_CHECKPOINT: &str = "finalized_checkpoint";
    pub const JUSTIFIED_CHECKPOINT: &str = "justified_checkpoint";
    pub const FORK_CHOICE: &str = "fork_choice";
    /// The fork choice's justified balances, written only when they change.
    pub const FORK_CHOICE_BALANCES: &str = "fork_choice_balances";
    pub const ANCHOR: &str = "anchor";
    /// Sidecars of canonical blocks before this slot have been pruned (u64 LE).
    pub const SIDECARS_PRUNED_BEFORE: &str = "sidecars_pruned_before";
    /// Prefix of the caller's own items ([`crate::StoreOp::PutItem`]).
    pub const ITEM_PREFIX: &str = "item/";
}

pub fn fork_tag(fork: ForkName) -> u8 {
    match fork {
        ForkName::Capella => 0,
        ForkName::Deneb => 1,
        ForkName::Electra => 2,
        ForkName::Fulu => 3,
    }
}

fn fork_from_tag(tag: u8) -> Option<ForkName> {
    ForkName::ALL.into_iter().find(|f| fork_tag(*f) == tag)
}

/// Fork tag ++ SSZ.
pub fn encode_versioned<T: Encode>(fork: ForkName, value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + value.ssz_bytes_len());
    out.push(fork_tag(fork));
    value.ssz_append(&mut out);
    out
}

pub fn corrupt(table: &'static str, key: &[u8], reason: impl Into<String>) -> StoreError {
    StoreError::CorruptRecord {
        table,
        key: format!("0x{}", hex_string(key)),
        reason: reason.into(),
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decode a fork-tagged record.
pub fn decode_versioned<T: ForkVersioned>(
    table: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T> {
    let (&tag, body) = bytes
        .split_first()
        .ok_or_else(|| corrupt(table, key, "empty record"))?;
    let fork =
        fork_from_tag(tag).ok_or_else(|| corrupt(table, key, format!("unknown fork tag {tag}")))?;
    T::from_ssz_bytes_by_fork(body, fork).map_err(|e| corrupt(table, key, format!("{e:?}")))
}

/// Decode a plain SSZ record.
pub fn decode_ssz<T: Decode>(table: &'static str, key: &[u8], bytes: &[u8]) -> Result<T> {
    T::from_ssz_bytes(bytes).map_err(|e| corrupt(table, key, format!("{e:?}")))
}

/// A 32-byte root stored as a value.
pub fn decode_root(table: &'static str, key: &[u8], bytes: &[u8]) -> Result<Hash256> {
    if bytes.len() != 32 {
        return Err(corrupt(
            table,
            key,
            format!("{} bytes, not a 32-byte root", bytes.len()),
        ));
    }
    Ok(Hash256::from_slice(bytes))
}

/// `root ++ index (BE)`: a sidecar's key, so one root's sidecars are one key range in index order.
pub fn sidecar_key(root: &Hash256, index: u64) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(root.as_slice());
    key[32..].copy_from_slice(&index.to_be_bytes());
    key
}

/// The key range of every sidecar of `root`.
pub fn sidecar_range(root: &Hash256) -> ([u8; 40], [u8; 40]) {
    (sidecar_key(root, 0), sidecar_key(root, u64::MAX))
}

/// `slot (BE) ++ root`.
pub fn hot_key(slot: Slot, root: &Hash256) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..8].copy_from_slice(&slot.to_be_bytes());
    key[8..].copy_from_slice(root.as_slice());
    key
}

pub fn split_hot_key(key: &[u8]) -> Result<(Slot, Hash256)> {
    if key.len() != 40 {
        return Err(corrupt("hot_blocks", key, "key is not slot ++ root"));
    }
    let mut slot = [0u8; 8];
    slot.copy_from_slice(&key[..8]);
    Ok((u64::from_be_bytes(slot), Hash256::from_slice(&key[8..])))
}

/// Where a block sits in the tree: enough to walk ancestry and prune without decoding the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSummary {
    pub slot: Slot,
    pub parent_root: Hash256,
}

impl BlockSummary {
    pub fn to_bytes(self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..8].copy_from_slice(&self.slot.to_le_bytes());
        out[8..].copy_from_slice(self.parent_root.as_slice());
        out
    }

    pub fn from_bytes(key: &[u8], bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 40 {
            return Err(corrupt(
                "block_summaries",
                key,
                format!("{} bytes, expected 40", bytes.len()),
            ));
        }
        let mut slot = [0u8; 8];
        slot.copy_from_slice(&bytes[..8]);
        Ok(Self {
            slot: u64::from_le_bytes(slot),
            parent_root: Hash256::from_slice(&bytes[8..]),
        })
    }
}

/// A stored state: the full state lives at `epoch_boundary_state_root`, and this one is that state
/// with the blocks up to `latest_block_root` applied, then empty slots to `slot`.
///
/// The base is the epoch-boundary state of the state's own chain when the store has it; when the node
/// never stored that boundary (its slot was skipped), the latest state of the same epoch on the chain
/// that is stored in full, and failing that the state itself, stored in full. A missing boundary costs
/// space (one full state per such epoch), never correctness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSummary {
    pub slot: Slot,
    pub latest_block_root: Hash256,
    pub epoch_boundary_state_root: Hash256,
}

impl StateSummary {
    pub fn to_bytes(self) -> [u8; 72] {
        let mut out = [0u8; 72];
        out[..8].copy_from_slice(&self.slot.to_le_bytes());
        out[8..40].copy_from_slice(self.latest_block_root.as_slice());
        out[40..].copy_from_slice(self.epoch_boundary_state_root.as_slice());
        out
    }

    pub fn from_bytes(key: &[u8], bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 72 {
            return Err(corrupt(
                "state_summaries",
                key,
                format!("{} bytes, expected 72", bytes.len()),
            ));
        }
        let mut slot = [0u8; 8];
        slot.copy_from_slice(&bytes[..8]);
        Ok(Self {
            slot: u64::from_le_bytes(slot),
            latest_block_root: Hash256::from_slice(&bytes[8..40]),
            epoch_boundary_state_root: Hash256::from_slice(&bytes[40..]),
        })
    }
}

/// Read a block summary through any readable table handle.
pub fn read_block_summary(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    root: &Hash256,
) -> Result<Option<BlockSummary>> {
    table
        .get(root.as_slice())?
        .map(|v| BlockSummary::from_bytes(root.as_slice(), v.value()))
        .transpose()
}

/// Read a state summary through any readable table handle.
pub fn read_state_summary(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    root: &Hash256,
) -> Result<Option<StateSummary>> {
    table
        .get(root.as_slice())?
        .map(|v| StateSummary::from_bytes(root.as_slice(), v.value()))
        .transpose()
}
