//! The faulty-builder registry (seed 004): remember which blocks a builder produced, and when the
//! execution engine finds one of their payloads INVALID, log an error naming the builder and disable
//! it until restart.
//!
//! The attribution (`block root -> builder`) is persistent ([`RedbBuilderBlockStore`]); the set of
//! disabled builders is deliberately in memory only, so a restart gives every builder a new chance
//! while the roots stay attributed.

use parking_lot::{Mutex, RwLock};
use redb::{Database, TableDefinition};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use types::{ExecutionBlockHash, Hash256, Slot};

/// Errors of a [`BuilderBlockStore`].
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The redb file could not be opened, read or written.
    #[error("builder block store: {0}")]
    Database(Box<redb::Error>),
    /// The record of this block root does not decode (the file was damaged or written by another
    /// program).
    #[error("corrupt builder block record for block root {0}")]
    CorruptRecord(Hash256),
    /// The index entry of this execution block hash is not a 32-byte block root.
    #[error("corrupt builder block index entry for execution block hash {0}")]
    CorruptIndex(ExecutionBlockHash),
}

macro_rules! from_redb {
    ($($ty:ty),*) => {
        $(impl From<$ty> for RegistryError {
            fn from(e: $ty) -> Self {
                Self::Database(Box::new(e.into()))
            }
        })*
    };
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A block whose payload came from a builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderBlock {
    /// The builder's identity as configured (its URL without credentials, or a name).
    pub builder: String,
    /// The block's slot.
    pub slot: Slot,
    /// The block's payload hash, for verdicts that name the payload rather than the block.
    pub execution_block_hash: ExecutionBlockHash,
}

/// Where builder-produced blocks are recorded.
pub trait BuilderBlockStore: Send + Sync {
    /// Records (or overwrites) the attribution of `block_root`, atomically with its hash index.
    fn record(&self, block_root: Hash256, block: &BuilderBlock) -> Result<(), RegistryError>;
    /// The record of `block_root`, if a builder produced it.
    fn by_block_root(&self, block_root: Hash256) -> Result<Option<BuilderBlock>, RegistryError>;
    /// The block root and record of the builder block with this execution block hash.
    fn by_execution_block_hash(
        &self,
        hash: ExecutionBlockHash,
    ) -> Result<Option<(Hash256, BuilderBlock)>, RegistryError>;
}

/// An in-memory store, for tests and for nodes without a data directory.
#[derive(Debug, Default)]
pub struct MemoryBuilderBlockStore {
    inner: RwLock<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    by_root: HashMap<Hash256, BuilderBlock>,
    by_hash: HashMap<ExecutionBlockHash, Hash256>,
}

impl BuilderBlockStore for MemoryBuilderBlockStore {
    fn record(&self, block_root: Hash256, block: &BuilderBlock) -> Result<(), RegistryError> {
        let mut inner = self.inner.write();
        inner.by_hash.insert(block.execution_block_hash, block_root);
        inner.by_root.insert(block_root, block.clone());
        Ok(())
    }

    fn by_block_root(&self, block_root: Hash256) -> Result<Option<BuilderBlock>, RegistryError> {
        Ok(self.inner.read().by_root.get(&block_root).cloned())
    }

    fn by_execution_block_hash(
        &self,
        hash: ExecutionBlockHash,
    ) -> Result<Option<(Hash256, BuilderBlock)>, RegistryError> {
        let inner = self.inner.read();
        Ok(inner
            .by_hash
            .get(&hash)
            .and_then(|root| inner.by_root.get(root).map(|block| (*root, block.clone()))))
    }
}

/// block root -> `slot (8, LE) ++ execution block hash (32) ++ builder (UTF-8)`.
const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("builder_blocks");
/// execution block hash -> block root.
const BY_EXECUTION_HASH: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("builder_blocks_by_execution_hash");

/// A persistent store in a redb file. Both tables are written in one transaction, committed with
/// redb's default durability (fsync before `commit` returns), so a crash leaves either the whole record
/// or none of it, and the file reopens.
pub struct RedbBuilderBlockStore {
    db: Database,
}

impl std::fmt::Debug for RedbBuilderBlockStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBuilderBlockStore")
            .finish_non_exhaustive()
    }
}

fn encode_record(block: &BuilderBlock) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + block.builder.len());
    out.extend_from_slice(&block.slot.to_le_bytes());
    out.extend_from_slice(block.execution_block_hash.as_slice());
    out.extend_from_slice(block.builder.as_bytes());
    out
}

fn decode_record(block_root: Hash256, bytes: &[u8]) -> Result<BuilderBlock, RegistryError> {
    let corrupt = || RegistryError::CorruptRecord(block_root);
    let slot_bytes: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(corrupt)?;
    let hash = bytes.get(8..40).ok_or_else(corrupt)?;
    let builder = std::str::from_utf8(bytes.get(40..).ok_or_else(corrupt)?)
        .map_err(|_| corrupt())?
        .to_string();
    Ok(BuilderBlock {
        builder,
        slot: u64::from_le_bytes(slot_bytes),
        execution_block_hash: Hash256::from_slice(hash),
    })
}

impl RedbBuilderBlockStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let db = Database::create(path)?;
        // Create the tables up front so that reads on a fresh file find them.
        let txn = db.begin_write()?;
        txn.open_table(BLOCKS)?;
        txn.open_table(BY_EXECUTION_HASH)?;
        txn.commit()?;
        Ok(Self { db })
    }
}

impl BuilderBlockStore for RedbBuilderBlockStore {
    fn record(&self, block_root: Hash256, block: &BuilderBlock) -> Result<(), RegistryError> {
        let txn = self.db.begin_write()?;
        {
            let mut blocks = txn.open_table(BLOCKS)?;
            blocks.insert(block_root.as_slice(), encode_record(block).as_slice())?;
            let mut by_hash = txn.open_table(BY_EXECUTION_HASH)?;
            by_hash.insert(block.execution_block_hash.as_slice(), block_root.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    fn by_block_root(&self, block_root: Hash256) -> Result<Option<BuilderBlock>, RegistryError> {
        let txn = self.db.begin_read()?;
        let blocks = txn.open_table(BLOCKS)?;
        let record = blocks.get(block_root.as_slice())?;
        record
            .map(|bytes| decode_record(block_root, bytes.value()))
            .transpose()
    }

    fn by_execution_block_hash(
        &self,
        hash: ExecutionBlockHash,
    ) -> Result<Option<(Hash256, BuilderBlock)>, RegistryError> {
        let txn = self.db.begin_read()?;
        let by_hash = txn.open_table(BY_EXECUTION_HASH)?;
        let Some(root_bytes) = by_hash.get(hash.as_slice())? else {
            return Ok(None);
        };
        let root_bytes = root_bytes.value();
        if root_bytes.len() != 32 {
            return Err(RegistryError::CorruptIndex(hash));
        }
        let block_root = Hash256::from_slice(root_bytes);
        let blocks = txn.open_table(BLOCKS)?;
        let record = blocks.get(block_root.as_slice())?;
        record
            .map(|bytes| decode_record(block_root, bytes.value()).map(|b| (block_root, b)))
            .transpose()
    }
}

/// How the execution engine identified an INVALID payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidPayloadId {
    /// The beacon block root of the block whose payload is invalid (from `newPayload` at import).
    BlockRoot(Hash256),
    /// The execution block hash (e.g. from a later `forkchoiceUpdated` with `latestValidHash`).
    ExecutionBlockHash(ExecutionBlockHash),
}

/// A builder that was disabled, and the block that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisabledBuilder {
    /// The builder's name.
    pub builder: String,
    /// The block whose payload was INVALID.
    pub block_root: Hash256,
    /// Its slot.
    pub slot: Slot,
    /// Its payload's block hash.
    pub execution_block_hash: ExecutionBlockHash,
}

/// A builder's state for visibility (API, logs, metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuilderState {
    /// Asked at every proposal.
    Enabled,
    /// Disabled until restart because of this block.
    Disabled(DisabledBuilder),
}

/// The store of builder blocks plus the in-memory set of builders disabled since start.
pub struct FaultyBuilderRegistry {
    store: Box<dyn BuilderBlockStore>,
    states: Mutex<BTreeMap<String, BuilderState>>,
}

impl std::fmt::Debug for FaultyBuilderRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyBuilderRegistry")
            .field("states", &*self.states.lock())
            .finish_non_exhaustive()
    }
}

impl FaultyBuilderRegistry {
    /// A registry over `store` with every builder of `builders` enabled.
    pub fn new(
        store: Box<dyn BuilderBlockStore>,
        builders: impl IntoIterator<Item = String>,
    ) -> Self {
        let states = builders
            .into_iter()
            .map(|builder| (builder, BuilderState::Enabled))
            .collect();
        Self {
            store,
            states: Mutex::new(states),
        }
    }

    /// Records that the block `block_root` carries a payload from `builder`.
    pub fn record_builder_block(
        &self,
        block_root: Hash256,
        builder: &str,
        slot: Slot,
        execution_block_hash: ExecutionBlockHash,
    ) -> Result<(), RegistryError> {
        self.store.record(
            block_root,
            &BuilderBlock {
                builder: builder.to_string(),
                slot,
                execution_block_hash,
            },
        )?;
        self.states
            .lock()
            .entry(builder.to_string())
            .or_insert(BuilderState::Enabled);
        Ok(())
    }

    /// The builder that produced `block_root`, if any.
    pub fn builder_of(&self, block_root: Hash256) -> Result<Option<BuilderBlock>, RegistryError> {
        self.store.by_block_root(block_root)
    }

    /// The execution engine found a payload INVALID. If a builder produced it, logs an error naming the
    /// builder and the block, disables the builder until restart and returns it; a block that no
    /// builder produced (a local payload or an unknown root) is ignored. A store that cannot be read is
    /// logged and treated as unknown.
    pub fn on_invalid_payload(&self, id: InvalidPayloadId) -> Option<DisabledBuilder> {
        let found = match id {
            InvalidPayloadId::BlockRoot(root) => self
                .store
                .by_block_root(root)
                .map(|found| found.map(|block| (root, block))),
            InvalidPayloadId::ExecutionBlockHash(hash) => self.store.by_execution_block_hash(hash),
        };
        let (block_root, block) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(error) => {
                tracing::error!(?id, %error, "cannot look up the builder of an invalid payload");
                return None;
            }
        };
        let disabled = DisabledBuilder {
            builder: block.builder,
            block_root,
            slot: block.slot,
            execution_block_hash: block.execution_block_hash,
        };
        tracing::error!(
            builder = %disabled.builder,
            block_root = %disabled.block_root,
            slot = disabled.slot,
            execution_block_hash = %disabled.execution_block_hash,
            "builder produced an INVALID payload; builder disabled until restart"
        );
        let mut states = self.states.lock();
        let state = states
            .entry(disabled.builder.clone())
            .or_insert(BuilderState::Enabled);
        // Keep the first offending block as the reason.
        if *state == BuilderState::Enabled {
            *state = BuilderState::Disabled(disabled.clone());
        }
        Some(disabled)
    }

    /// Whether `builder` is disabled until restart (an unknown builder is not).
    pub fn is_disabled(&self, builder: &str) -> bool {
        matches!(
            self.states.lock().get(builder),
            Some(BuilderState::Disabled(_))
        )
    }

    /// Every known builder and its state, ordered by builder.
    pub fn builder_states(&self) -> Vec<(String, BuilderState)> {
        self.states
            .lock()
            .iter()
            .map(|(builder, state)| (builder.clone(), state.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const A: &str = "https://relay-a.example";
    const B: &str = "https://relay-b.example";

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "execution_layer_{name}_{}_{:?}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn root(byte: u8) -> Hash256 {
        Hash256::repeat_byte(byte)
    }

    fn hash(byte: u8) -> ExecutionBlockHash {
        Hash256::repeat_byte(byte ^ 0x80)
    }

    fn registry(store: Box<dyn BuilderBlockStore>) -> FaultyBuilderRegistry {
        FaultyBuilderRegistry::new(store, [A.to_string(), B.to_string()])
    }

    fn invalid_disables_only_that_builder(reg: &FaultyBuilderRegistry, id: InvalidPayloadId) {
        reg.record_builder_block(root(1), A, 10, hash(1)).unwrap();
        reg.record_builder_block(root(2), B, 11, hash(2)).unwrap();
        let disabled = reg.on_invalid_payload(id).expect("builder A's block");
        assert_eq!(
            disabled,
            DisabledBuilder {
                builder: A.to_string(),
                block_root: root(1),
                slot: 10,
                execution_block_hash: hash(1)
            }
        );
        assert!(reg.is_disabled(A));
        assert!(!reg.is_disabled(B));
        assert_eq!(
            reg.builder_states(),
            vec![
                (A.to_string(), BuilderState::Disabled(disabled)),
                (B.to_string(), BuilderState::Enabled)
            ]
        );
    }

    #[test]
    fn invalid_by_root_disables_only_that_builder() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        invalid_disables_only_that_builder(&reg, InvalidPayloadId::BlockRoot(root(1)));
    }

    #[test]
    fn invalid_by_execution_hash_disables_only_that_builder() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        invalid_disables_only_that_builder(&reg, InvalidPayloadId::ExecutionBlockHash(hash(1)));
    }

    #[test]
    fn unknown_roots_are_ignored() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        reg.record_builder_block(root(1), A, 10, hash(1)).unwrap();
        assert_eq!(
            reg.on_invalid_payload(InvalidPayloadId::BlockRoot(root(9))),
            None
        );
        assert_eq!(
            reg.on_invalid_payload(InvalidPayloadId::ExecutionBlockHash(hash(9))),
            None
        );
        assert!(!reg.is_disabled(A));
        assert!(!reg.is_disabled(B));
    }

    #[test]
    fn first_offending_block_stays_the_reason() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        reg.record_builder_block(root(1), A, 10, hash(1)).unwrap();
        reg.record_builder_block(root(3), A, 12, hash(3)).unwrap();
        reg.on_invalid_payload(InvalidPayloadId::BlockRoot(root(1)));
        let second = reg.on_invalid_payload(InvalidPayloadId::BlockRoot(root(3)));
        assert_eq!(second.map(|d| d.block_root), Some(root(3)));
        let states = reg.builder_states();
        assert!(matches!(
            &states[0].1,
            BuilderState::Disabled(d) if d.block_root == root(1)
        ));
    }

    #[test]
    fn unconfigured_builder_appears_once_recorded() {
        let reg = FaultyBuilderRegistry::new(Box::new(MemoryBuilderBlockStore::default()), []);
        assert!(reg.builder_states().is_empty());
        reg.record_builder_block(root(1), A, 10, hash(1)).unwrap();
        assert_eq!(
            reg.builder_states(),
            vec![(A.to_string(), BuilderState::Enabled)]
        );
    }

    #[test]
    fn redb_store_round_trips() {
        let dir = TempDir::new("round_trip");
        let store = RedbBuilderBlockStore::open(dir.0.join("builders.redb")).unwrap();
        let block = BuilderBlock {
            builder: "https://relay-é.example".to_string(),
            slot: u64::MAX,
            execution_block_hash: hash(5),
        };
        assert_eq!(store.by_block_root(root(5)).unwrap(), None);
        assert_eq!(store.by_execution_block_hash(hash(5)).unwrap(), None);
        store.record(root(5), &block).unwrap();
        assert_eq!(store.by_block_root(root(5)).unwrap(), Some(block.clone()));
        assert_eq!(
            store.by_execution_block_hash(hash(5)).unwrap(),
            Some((root(5), block))
        );
    }

    #[test]
    fn restart_keeps_roots_but_not_disablement() {
        let dir = TempDir::new("restart");
        let path = dir.0.join("builders.redb");
        {
            let reg = registry(Box::new(RedbBuilderBlockStore::open(&path).unwrap()));
            invalid_disables_only_that_builder(&reg, InvalidPayloadId::BlockRoot(root(1)));
        }
        // Restart: a new registry over the reopened file.
        let reg = registry(Box::new(RedbBuilderBlockStore::open(&path).unwrap()));
        assert!(!reg.is_disabled(A));
        assert!(!reg.is_disabled(B));
        assert_eq!(
            reg.builder_of(root(1)).unwrap(),
            Some(BuilderBlock {
                builder: A.to_string(),
                slot: 10,
                execution_block_hash: hash(1)
            })
        );
        assert_eq!(
            reg.builder_of(root(2)).unwrap().map(|b| b.builder),
            Some(B.to_string())
        );
        // A later INVALID verdict on an old root still disables the builder.
        let disabled = reg.on_invalid_payload(InvalidPayloadId::ExecutionBlockHash(hash(2)));
        assert_eq!(disabled.map(|d| d.builder), Some(B.to_string()));
        assert!(reg.is_disabled(B));
        assert!(!reg.is_disabled(A));
    }

    #[test]
    fn an_uncommitted_write_leaves_nothing_behind_after_reopening() {
        let dir = TempDir::new("uncommitted");
        let path = dir.0.join("builders.redb");
        let block = BuilderBlock {
            builder: A.to_string(),
            slot: 3,
            execution_block_hash: hash(3),
        };
        {
            let store = RedbBuilderBlockStore::open(&path).unwrap();
            store.record(root(3), &block).unwrap();
            // A write interrupted before its commit: one table written, the transaction dropped.
            let txn = store.db.begin_write().unwrap();
            {
                let mut blocks = txn.open_table(BLOCKS).unwrap();
                blocks
                    .insert(root(4).as_slice(), encode_record(&block).as_slice())
                    .unwrap();
            }
            drop(txn);
        }
        let store = RedbBuilderBlockStore::open(&path).unwrap();
        assert_eq!(store.by_block_root(root(3)).unwrap(), Some(block.clone()));
        assert_eq!(store.by_block_root(root(4)).unwrap(), None);
        assert_eq!(
            store.by_execution_block_hash(hash(3)).unwrap(),
            Some((root(3), block))
        );
    }

    #[test]
    fn corrupt_records_are_errors_not_panics() {
        assert!(matches!(
            decode_record(root(1), &[1, 2, 3]),
            Err(RegistryError::CorruptRecord(_))
        ));
        let mut bytes = vec![0u8; 40];
        bytes.push(0xff);
        assert!(decode_record(root(1), &bytes).is_err());
    }
}
