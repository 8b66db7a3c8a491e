//! Where builder-produced blocks are recorded: `block root -> (slot, payload hash, builders)`, with an
//! index by payload hash, in memory or in redb (its own file, or the node's store file).

use parking_lot::RwLock;
use redb::{Database, TableDefinition};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
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
    /// A blocking store task could not be joined (it panicked or the runtime is shutting down).
    #[error("builder block store task failed: {0}")]
    Task(String),
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
    /// Every builder that offered this payload (signed a bid for its block hash), by identity: its
    /// pinned key, or its URL without credentials. Relays that share one block builder all vouch for
    /// the same payload, so all of them answer for it.
    pub builders: Vec<String>,
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

/// block root -> `slot (8, LE) ++ execution block hash (32) ++ builders (UTF-8, '\n'-separated)`.
/// A record written before several builders were kept holds one builder and reads the same way.
const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("builder_blocks");
/// execution block hash -> block root.
const BY_EXECUTION_HASH: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("builder_blocks_by_execution_hash");

/// A persistent store in a redb file. Both tables are written in one transaction, committed with
/// redb's default durability (fsync before `commit` returns), so a crash leaves either the whole record
/// or none of it, and the file reopens. Commits block: async callers run them on a blocking thread.
pub struct RedbBuilderBlockStore {
    db: Arc<Database>,
}

impl std::fmt::Debug for RedbBuilderBlockStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBuilderBlockStore")
            .finish_non_exhaustive()
    }
}

fn encode_record(block: &BuilderBlock) -> Vec<u8> {
    let names = block.builders.join("\n");
    let mut out = Vec::with_capacity(40 + names.len());
    out.extend_from_slice(&block.slot.to_le_bytes());
    out.extend_from_slice(block.execution_block_hash.as_slice());
    out.extend_from_slice(names.as_bytes());
    out
}

fn decode_record(block_root: Hash256, bytes: &[u8]) -> Result<BuilderBlock, RegistryError> {
    let corrupt = || RegistryError::CorruptRecord(block_root);
    let slot_bytes: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(corrupt)?;
    let hash = bytes.get(8..40).ok_or_else(corrupt)?;
    let names = std::str::from_utf8(bytes.get(40..).ok_or_else(corrupt)?).map_err(|_| corrupt())?;
    if names.is_empty() {
        return Err(corrupt());
    }
    Ok(BuilderBlock {
        builders: names.split('\n').map(str::to_string).collect(),
        slot: u64::from_le_bytes(slot_bytes),
        execution_block_hash: Hash256::from_slice(hash),
    })
}

impl RedbBuilderBlockStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        Self::from_database(Arc::new(Database::create(path)?))
    }

    /// The store inside a database the node already has open (the beacon node's own store file), so
    /// attributions commit in the same file as the blocks they name. Its tables are prefixed
    /// `builder_`; they never clash with the caller's.
    pub fn from_database(db: Arc<Database>) -> Result<Self, RegistryError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn root(byte: u8) -> Hash256 {
        Hash256::repeat_byte(byte)
    }

    #[test]
    fn redb_store_round_trips_several_builders() {
        let dir = crate::registry::tests::TempDir::new("round_trip");
        let store = RedbBuilderBlockStore::open(dir.0.join("builders.redb")).unwrap();
        let block = BuilderBlock {
            builders: vec![
                "https://relay-é.example/".to_string(),
                types::PublicKeyBytes::empty().to_string(),
            ],
            slot: u64::MAX,
            execution_block_hash: root(0x85),
        };
        assert_eq!(store.by_block_root(root(5)).unwrap(), None);
        assert_eq!(store.by_execution_block_hash(root(0x85)).unwrap(), None);
        store.record(root(5), &block).unwrap();
        assert_eq!(store.by_block_root(root(5)).unwrap(), Some(block.clone()));
        assert_eq!(
            store.by_execution_block_hash(root(0x85)).unwrap(),
            Some((root(5), block))
        );
    }

    #[test]
    fn shares_a_database_with_other_tables() {
        let dir = crate::registry::tests::TempDir::new("shared");
        let db = Arc::new(Database::create(dir.0.join("beacon.redb")).unwrap());
        const OTHER: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
        let txn = db.begin_write().unwrap();
        txn.open_table(OTHER)
            .unwrap()
            .insert(&[1u8][..], &[2u8][..])
            .unwrap();
        txn.commit().unwrap();
        let store = RedbBuilderBlockStore::from_database(db.clone()).unwrap();
        let block = BuilderBlock {
            builders: vec!["http://127.0.0.1:1/".into()],
            slot: 3,
            execution_block_hash: root(9),
        };
        store.record(root(1), &block).unwrap();
        assert_eq!(store.by_block_root(root(1)).unwrap(), Some(block));
        let txn = db.begin_read().unwrap();
        let other = txn.open_table(OTHER).unwrap();
        assert_eq!(other.get(&[1u8][..]).unwrap().unwrap().value(), &[2u8][..]);
    }

    #[test]
    fn single_builder_records_of_the_old_layout_decode() {
        let mut bytes = 7u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(root(2).as_slice());
        bytes.extend_from_slice(b"127.0.0.1:18550");
        let block = decode_record(root(1), &bytes).unwrap();
        assert_eq!(block.builders, vec!["127.0.0.1:18550".to_string()]);
        assert_eq!(block.slot, 7);
        assert!(matches!(
            decode_record(root(1), &bytes[..40]),
            Err(RegistryError::CorruptRecord(_))
        ));
        assert!(matches!(
            decode_record(root(1), &bytes[..20]),
            Err(RegistryError::CorruptRecord(_))
        ));
    }

    #[test]
    fn an_uncommitted_write_leaves_nothing_behind_after_reopening() {
        let dir = crate::registry::tests::TempDir::new("uncommitted");
        let path = dir.0.join("builders.redb");
        let block = BuilderBlock {
            builders: vec!["http://127.0.0.1:1/".into()],
            slot: 3,
            execution_block_hash: root(0x83),
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
            store.by_execution_block_hash(root(0x83)).unwrap(),
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
