//! The beacon node's database: blocks, sidecars, states and the chain's metadata in one redb file, written
//! in atomic batches so that a crash at any moment leaves a store that resumes at its last committed head.
//!
//! - **Blocks** are kept blinded, with the execution payload in a table beside them: a blinded block is
//!   what the builder flow signs and serves, the payload is only needed for the full form, and it may
//!   arrive after the block ([`StoreOp::PutBlindedBlock`], then [`StoreOp::PutPayload`]).
//! - **States** are stored in full at epoch boundaries; any other state is a summary replayed from its
//!   boundary state with the blocks since (signatures not re-verified: they were at import).
//! - **Metadata** (schema version, genesis, head, checkpoints, fork choice) sits in one table, written in
//!   the same transaction as the blocks it names.
//! - The execution layer's builder-block registry shares the file ([`Store::database`]).
//!
//! redb commits are blocking (an fsync each): every method here is synchronous, and async callers use
//! `tokio::task::spawn_blocking`. Reads see the last committed batch and never block writers.

mod error;
mod ops;
mod prune;
mod states;
mod tables;

#[cfg(test)]
mod kill_tests;
#[cfg(test)]
mod test_chain;
#[cfg(test)]
mod tests;

pub use error::{Result, StoreError};
pub use ops::{Anchor, StoreOp};
pub use tables::{BlockSummary, StateSummary, SCHEMA_VERSION};

use redb::{Database, ReadTransaction, ReadableTable, ReadableTableMetadata};
use ssz::Decode;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tables::*;
use types::{
    BlobSidecar, ChainSpec, Checkpoint, DataColumnSidecar, EthSpec, ExecutionPayload, Hash256,
    SignedBeaconBlock, SignedBlindedBeaconBlock, SignedValidatorRegistrationV1, Slot,
};

/// The database file's name inside the node's data directory.
pub const DATABASE_FILE: &str = "beacon.redb";

/// What a node reads back on restart to resume where it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainMetadata {
    pub genesis_state_root: Option<Hash256>,
    pub genesis_block_root: Option<Hash256>,
    pub head_block_root: Option<Hash256>,
    pub finalized_checkpoint: Option<Checkpoint>,
    pub justified_checkpoint: Option<Checkpoint>,
    pub fork_choice: Option<Vec<u8>>,
    /// The fork choice's justified balances, when it is written in parts.
    pub fork_choice_balances: Option<Vec<u8>>,
    pub anchor: Option<Anchor>,
}

/// The store. Cheap to share behind an `Arc`; redb serialises writers and lets readers run alongside.
pub struct Store<E: EthSpec> {
    db: Arc<Database>,
    path: PathBuf,
    spec: Arc<ChainSpec>,
    _preset: PhantomData<E>,
}

impl<E: EthSpec> std::fmt::Debug for Store<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<E: EthSpec> Store<E> {
    /// Open (or create) `<datadir>/beacon.redb`, creating `datadir` if needed.
    pub fn open(datadir: &Path, spec: Arc<ChainSpec>) -> Result<Self> {
        std::fs::create_dir_all(datadir).map_err(|e| StoreError::Io {
            path: datadir.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::open_file(&datadir.join(DATABASE_FILE), spec)
    }

    /// Open (or create) the database at `path`. Refuses a file written by a newer schema. After an
    /// unclean shutdown redb repairs the file here, which can take a while on a large database.
    pub fn open_file(path: &Path, spec: Arc<ChainSpec>) -> Result<Self> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        {
            let mut tables = ops::WriteTables::open(&txn)?;
            let stored = tables
                .meta
                .get(meta_keys::SCHEMA_VERSION)?
                .map(|v| v.value().to_vec());
            match stored {
                Some(v) => {
                    let bytes: [u8; 8] = v.as_slice().try_into().map_err(|_| {
                        corrupt("meta", meta_keys::SCHEMA_VERSION.as_bytes(), "not a u64")
                    })?;
                    let found = u64::from_le_bytes(bytes);
                    if found > SCHEMA_VERSION {
                        return Err(StoreError::SchemaTooNew {
                            found,
                            supported: SCHEMA_VERSION,
                        });
                    }
                    if found < SCHEMA_VERSION {
                        return Err(StoreError::SchemaTooOld {
                            found,
                            supported: SCHEMA_VERSION,
                        });
                    }
                }
                None => {
                    tables.meta.insert(
                        meta_keys::SCHEMA_VERSION,
                        SCHEMA_VERSION.to_le_bytes().as_slice(),
                    )?;
                }
            }
        }
        txn.commit()?;
        Ok(Self {
            db: Arc::new(db),
            path: path.to_path_buf(),
            spec,
            _preset: PhantomData,
        })
    }

    /// The open database, for other components that keep their tables in the node's file (the execution
    /// layer's `RedbBuilderBlockStore::from_database`). Their table names must not collide with the
    /// store's (the builder registry's are prefixed `builder_`).
    pub fn database(&self) -> Arc<Database> {
        self.db.clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// Apply `ops` in one transaction: all of them are committed (durably, before this returns) or, on
    /// any error or crash, none.
    pub fn do_atomically(&self, ops: Vec<StoreOp<E>>) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut tables = ops::WriteTables::open(&txn)?;
            for op in ops {
                tables.apply(op)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Prune on finalization in its own transaction; see [`StoreOp::PruneOnFinalization`].
    pub fn prune_on_finalization(&self, finalized: Checkpoint) -> Result<()> {
        self.do_atomically(vec![
            StoreOp::SetFinalized(finalized),
            StoreOp::PruneOnFinalization(finalized),
        ])
    }

    fn read(&self) -> Result<ReadTransaction> {
        Ok(self.db.begin_read()?)
    }

    /// The block as stored: blinded.
    pub fn get_blinded_block(&self, root: &Hash256) -> Result<Option<SignedBlindedBeaconBlock<E>>> {
        get_blinded_block(&self.read()?, root)
    }

    /// The full block, reassembled from the blinded block and its payload. `Ok(None)` if the block is
    /// unknown; [`StoreError::MissingPayload`] if only its blinded form is stored.
    pub fn get_full_block(&self, root: &Hash256) -> Result<Option<SignedBeaconBlock<E>>> {
        let txn = self.read()?;
        let Some(blinded) = get_blinded_block::<E>(&txn, root)? else {
            return Ok(None);
        };
        let payload = get_payload::<E>(&txn, root)?.ok_or(StoreError::MissingPayload(*root))?;
        blinded
            .into_full_block(payload)
            .map(Some)
            .map_err(|e| StoreError::PayloadMismatch {
                block_root: *root,
                reason: e.to_string(),
            })
    }

    pub fn get_execution_payload(&self, root: &Hash256) -> Result<Option<ExecutionPayload<E>>> {
        get_payload(&self.read()?, root)
    }

    pub fn block_exists(&self, root: &Hash256) -> Result<bool> {
        Ok(self
            .read()?
            .open_table(BLOCKS)?
            .get(root.as_slice())?
            .is_some())
    }

    /// Slot and parent of a stored block, without decoding it.
    pub fn get_block_summary(&self, root: &Hash256) -> Result<Option<BlockSummary>> {
        read_block_summary(&self.read()?.open_table(BLOCK_SUMMARIES)?, root)
    }

    /// The canonical block at `slot` (as of the last [`StoreOp::SetHead`]); `None` for a skipped slot.
    pub fn canonical_block_root(&self, slot: Slot) -> Result<Option<Hash256>> {
        let txn = self.read()?;
        let table = txn.open_table(CANONICAL)?;
        let value = table.get(slot)?;
        value
            .map(|v| decode_root("canonical_block_roots", &slot.to_be_bytes(), v.value()))
            .transpose()
    }

    /// The blob sidecars stored for a block, in index order.
    pub fn get_blob_sidecars(&self, root: &Hash256) -> Result<Vec<BlobSidecar<E>>> {
        self.sidecars(BLOB_SIDECARS, "blob_sidecars", root)
    }

    /// The data column sidecars stored for a block, in column order.
    pub fn get_data_column_sidecars(&self, root: &Hash256) -> Result<Vec<DataColumnSidecar<E>>> {
        self.sidecars(DATA_COLUMN_SIDECARS, "data_column_sidecars", root)
    }

    pub fn get_data_column_sidecar(
        &self,
        root: &Hash256,
        index: u64,
    ) -> Result<Option<DataColumnSidecar<E>>> {
        let txn = self.read()?;
        let table = txn.open_table(DATA_COLUMN_SIDECARS)?;
        let key = sidecar_key(root, index);
        let value = table.get(key.as_slice())?;
        value
            .map(|v| decode_ssz("data_column_sidecars", &key, v.value()))
            .transpose()
    }

    fn sidecars<T: Decode>(
        &self,
        definition: redb::TableDefinition<&[u8], &[u8]>,
        name: &'static str,
        root: &Hash256,
    ) -> Result<Vec<T>> {
        let txn = self.read()?;
        let table = txn.open_table(definition)?;
        let (lo, hi) = sidecar_range(root);
        let mut out = Vec::new();
        for entry in table.range(lo.as_slice()..=hi.as_slice())? {
            let (key, value) = entry?;
            out.push(decode_ssz(name, key.value(), value.value())?);
        }
        Ok(out)
    }

    pub fn get_state_summary(&self, state_root: &Hash256) -> Result<Option<StateSummary>> {
        read_state_summary(&self.read()?.open_table(STATE_SUMMARIES)?, state_root)
    }

    /// Everything the node resumes from, read in one snapshot.
    pub fn chain_metadata(&self) -> Result<ChainMetadata> {
        let txn = self.read()?;
        let meta = txn.open_table(META)?;
        let get = |key: &str| -> Result<Option<Vec<u8>>> {
            Ok(meta.get(key)?.map(|v| v.value().to_vec()))
        };
        let root = |key: &'static str| -> Result<Option<Hash256>> {
            get(key)?
                .map(|v| decode_root("meta", key.as_bytes(), &v))
                .transpose()
        };
        let checkpoint = |key: &'static str| -> Result<Option<Checkpoint>> {
            get(key)?
                .map(|v| decode_ssz("meta", key.as_bytes(), &v))
                .transpose()
        };
        let anchor = get(meta_keys::ANCHOR)?
            .map(|v| {
                if v.len() != 72 {
                    return Err(corrupt(
                        "meta",
                        meta_keys::ANCHOR.as_bytes(),
                        "not 72 bytes",
                    ));
                }
                let mut slot = [0u8; 8];
                slot.copy_from_slice(&v[..8]);
                Ok(Anchor {
                    slot: u64::from_le_bytes(slot),
                    block_root: Hash256::from_slice(&v[8..40]),
                    state_root: Hash256::from_slice(&v[40..]),
                })
            })
            .transpose()?;
        Ok(ChainMetadata {
            genesis_state_root: root(meta_keys::GENESIS_STATE_ROOT)?,
            genesis_block_root: root(meta_keys::GENESIS_BLOCK_ROOT)?,
            head_block_root: root(meta_keys::HEAD_BLOCK_ROOT)?,
            finalized_checkpoint: checkpoint(meta_keys::FINALIZED_CHECKPOINT)?,
            justified_checkpoint: checkpoint(meta_keys::JUSTIFIED_CHECKPOINT)?,
            fork_choice: get(meta_keys::FORK_CHOICE)?,
            fork_choice_balances: get(meta_keys::FORK_CHOICE_BALANCES)?,
            anchor,
        })
    }

    /// The fork-choice vote records in the order to apply them: the last
    /// [`StoreOp::SetForkChoiceVotes`], then every [`StoreOp::AppendForkChoiceVotes`] since.
    pub fn fork_choice_votes(&self) -> Result<Vec<Vec<u8>>> {
        let txn = self.read()?;
        let table = txn.open_table(FORK_CHOICE_VOTES)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            out.push(entry?.1.value().to_vec());
        }
        Ok(out)
    }

    /// Every builder registration stored with [`StoreOp::PutRegistrations`].
    pub fn registrations(&self) -> Result<Vec<SignedValidatorRegistrationV1>> {
        let txn = self.read()?;
        let table = txn.open_table(REGISTRATIONS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            out.push(decode_ssz(
                "validator_registrations",
                key.value(),
                value.value(),
            )?);
        }
        Ok(out)
    }

    /// An item stored with [`StoreOp::PutItem`].
    pub fn get_item(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let txn = self.read()?;
        let meta = txn.open_table(META)?;
        let key = format!("{}{key}", meta_keys::ITEM_PREFIX);
        let value = meta.get(key.as_str())?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    /// How many blocks and states the store holds (for logs and tests).
    pub fn counts(&self) -> Result<StoreCounts> {
        let txn = self.read()?;
        Ok(StoreCounts {
            blocks: txn.open_table(BLOCKS)?.len()?,
            payloads: txn.open_table(PAYLOADS)?.len()?,
            hot_blocks: txn.open_table(HOT_BLOCKS)?.len()?,
            blob_sidecars: txn.open_table(BLOB_SIDECARS)?.len()?,
            data_column_sidecars: txn.open_table(DATA_COLUMN_SIDECARS)?.len()?,
            full_states: txn.open_table(STATES)?.len()?,
            state_summaries: txn.open_table(STATE_SUMMARIES)?.len()?,
        })
    }
}

/// Table sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCounts {
    pub blocks: u64,
    pub payloads: u64,
    pub hot_blocks: u64,
    pub blob_sidecars: u64,
    pub data_column_sidecars: u64,
    pub full_states: u64,
    pub state_summaries: u64,
}

pub(crate) fn get_blinded_block<E: EthSpec>(
    txn: &ReadTransaction,
    root: &Hash256,
) -> Result<Option<SignedBlindedBeaconBlock<E>>> {
    let table = txn.open_table(BLOCKS)?;
    let value = table.get(root.as_slice())?;
    value
        .map(|v| decode_versioned("blocks", root.as_slice(), v.value()))
        .transpose()
}

fn get_payload<E: EthSpec>(
    txn: &ReadTransaction,
    root: &Hash256,
) -> Result<Option<ExecutionPayload<E>>> {
    let table = txn.open_table(PAYLOADS)?;
    let value = table.get(root.as_slice())?;
    value
        .map(|v| decode_versioned("payloads", root.as_slice(), v.value()))
        .transpose()
}
