//! EIP-3076 slashing protection: the record of every block and attestation this client signed, in redb,
//! and the refusal of anything that would be slashable against it.
//!
//! **The rule that makes it safe:** the check and the record are one redb write transaction, and it
//! commits (durably: redb's default `Durability::Immediate` syncs the file) before the caller is told
//! to sign. A process killed at any moment has either recorded the message, and will refuse a conflicting
//! one after the restart, or has not released a signature for it.
//!
//! **Strategy: minimal, with watermarks.** Imported history (an EIP-3076 interchange) is reduced to
//! three watermarks per validator (highest block slot, highest source and highest target epoch, folded
//! with what the database already holds); from then on the validator signs no block at or below the
//! block watermark, and no attestation with a source below, or a target at or below, the attestation
//! watermarks. Blocks and attestations signed here are kept in full, so that re-signing the same
//! message (same signing root) is allowed and a conflicting one is refused by the exact rules:
//! - block: no second block at a slot with another signing root;
//! - attestation: no double vote (same target, other signing root), no surround in either direction,
//!   and never a source after its target.
//!
//! The API is blocking (a commit syncs the file); async callers use `tokio::task::spawn_blocking`.

mod interchange;

pub use interchange::{
    ImportSummary, Interchange, InterchangeData, InterchangeError, InterchangeMetadata,
    SignedAttestation, SignedBlock, INTERCHANGE_FORMAT_VERSION,
};

use bls::PublicKeyBytes;
use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};
use std::path::{Path, PathBuf};
use types::{Epoch, Root, Slot};

/// The database's file name inside the validator client's datadir.
pub const SLASHING_PROTECTION_FILENAME: &str = "slashing_protection.redb";

/// Version of the table layout below; a database with another version is refused, not guessed at.
const SCHEMA_VERSION: u64 = 1;

/// `(pubkey, slot) -> signing_root` (32 bytes) of blocks signed here.
const BLOCKS: TableDefinition<(&[u8], u64), &[u8]> = TableDefinition::new("signed_blocks");
/// `(pubkey, target_epoch) -> source_epoch (8 bytes BE) ++ signing_root (32 bytes)` of attestations
/// signed here. One per target: a second one would be a double vote.
const ATTESTATIONS: TableDefinition<(&[u8], u64), &[u8]> =
    TableDefinition::new("signed_attestations");
/// `pubkey -> watermarks` from imported interchanges (see [`Watermarks::encode`]).
const WATERMARKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("watermarks");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const SCHEMA_VERSION_KEY: &str = "schema_version";

/// A message that may be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safe {
    /// New, and now recorded.
    Valid,
    /// Exactly this message (same signing root) was signed before; signing it again is harmless.
    SameData,
}

/// Why a message must not be signed (or could not be checked: then it must not be signed either).
#[derive(Debug, thiserror::Error)]
pub enum NotSafe {
    #[error("double block proposal: a block with another signing root ({existing_signing_root:?}) was already signed at slot {slot}")]
    DoubleBlockProposal {
        slot: Slot,
        existing_signing_root: Root,
    },
    #[error(
        "block slot {slot} is at or below the block watermark {watermark} from imported history"
    )]
    BlockSlotAtOrBelowWatermark { slot: Slot, watermark: Slot },
    #[error("attestation source epoch {source_epoch} is after its target epoch {target_epoch}")]
    SourceAfterTarget {
        source_epoch: Epoch,
        target_epoch: Epoch,
    },
    #[error("double vote: an attestation with another signing root ({existing_signing_root:?}) was already signed for target epoch {target_epoch}")]
    DoubleVote {
        target_epoch: Epoch,
        existing_signing_root: Root,
    },
    #[error("surround vote: the attestation is surrounded by a signed one (source {existing_source}, target {existing_target})")]
    SurroundedByExisting {
        existing_source: Epoch,
        existing_target: Epoch,
    },
    #[error("surround vote: the attestation surrounds a signed one (source {existing_source}, target {existing_target})")]
    SurroundsExisting {
        existing_source: Epoch,
        existing_target: Epoch,
    },
    #[error("attestation source epoch {source_epoch} is below the source watermark {watermark} from imported history")]
    SourceBelowWatermark {
        source_epoch: Epoch,
        watermark: Epoch,
    },
    #[error("attestation target epoch {target_epoch} is at or below the target watermark {watermark} from imported history")]
    TargetAtOrBelowWatermark {
        target_epoch: Epoch,
        watermark: Epoch,
    },
    #[error(transparent)]
    Database(#[from] DbError),
}

/// The database could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("slashing protection database {} is in use by another process (is another validator client running on this datadir?)", path.display())]
    InUse { path: PathBuf },
    #[error("slashing protection database: {0}")]
    Redb(#[source] Box<redb::Error>),
    #[error("corrupt slashing protection database: {0}")]
    Corrupt(String),
    #[error("slashing protection database has schema version {found}; this client reads version {SCHEMA_VERSION}")]
    SchemaVersion { found: u64 },
}

/// redb splits its errors by operation; to callers they are all database errors.
macro_rules! from_redb {
    ($($ty:ty),*) => {
        $(impl From<$ty> for DbError {
            fn from(e: $ty) -> Self {
                DbError::Redb(Box::new(e.into()))
            }
        }
        impl From<$ty> for NotSafe {
            fn from(e: $ty) -> Self {
                NotSafe::Database(e.into())
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

/// Per-validator lower bounds from imported interchanges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Watermarks {
    /// No block at or below this slot.
    pub block_slot: Option<Slot>,
    /// No attestation with a source below this epoch.
    pub source_epoch: Option<Epoch>,
    /// No attestation with a target at or below this epoch.
    pub target_epoch: Option<Epoch>,
}

impl Watermarks {
    const LEN: usize = 27;

    /// Three `(present: u8, value: u64 BE)` fields.
    fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        for (i, field) in [self.block_slot, self.source_epoch, self.target_epoch]
            .into_iter()
            .enumerate()
        {
            if let Some(value) = field {
                out[i * 9] = 1;
                out[i * 9 + 1..i * 9 + 9].copy_from_slice(&value.to_be_bytes());
            }
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, DbError> {
        if bytes.len() != Self::LEN {
            return Err(DbError::Corrupt(format!(
                "watermark row of {} bytes, expected {}",
                bytes.len(),
                Self::LEN
            )));
        }
        let field = |i: usize| -> Result<Option<u64>, DbError> {
            let value = u64::from_be_bytes(read_array(&bytes[i * 9 + 1..i * 9 + 9])?);
            match bytes[i * 9] {
                0 => Ok(None),
                1 => Ok(Some(value)),
                tag => Err(DbError::Corrupt(format!("watermark presence tag {tag}"))),
            }
        };
        Ok(Self {
            block_slot: field(0)?,
            source_epoch: field(1)?,
            target_epoch: field(2)?,
        })
    }
}

fn read_array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], DbError> {
    bytes
        .try_into()
        .map_err(|_| DbError::Corrupt(format!("field of {} bytes, expected {N}", bytes.len())))
}

fn decode_root(bytes: &[u8]) -> Result<Root, DbError> {
    Ok(Root::from(read_array::<32>(bytes)?))
}

/// An attestation row's value: `(source_epoch, signing_root)`.
fn decode_attestation(bytes: &[u8]) -> Result<(Epoch, Root), DbError> {
    if bytes.len() != 40 {
        return Err(DbError::Corrupt(format!(
            "attestation row of {} bytes, expected 40",
            bytes.len()
        )));
    }
    Ok((
        u64::from_be_bytes(read_array(&bytes[..8])?),
        decode_root(&bytes[8..])?,
    ))
}

fn encode_attestation(source_epoch: Epoch, signing_root: Root) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&source_epoch.to_be_bytes());
    out[8..].copy_from_slice(signing_root.as_slice());
    out
}

fn decode_pubkey(bytes: &[u8]) -> Result<PublicKeyBytes, DbError> {
    PublicKeyBytes::from_slice(bytes)
        .map_err(|e| DbError::Corrupt(format!("public key in a key: {e}")))
}

/// Whether a new signing root repeats a recorded one. A zero root means "unknown" in EIP-3076, so it
/// never counts as the same message.
fn same_root(existing: Root, new: Root) -> bool {
    !new.is_zero() && existing == new
}

pub(crate) fn read_watermarks(
    txn: &WriteTransaction,
    pubkey: &PublicKeyBytes,
) -> Result<Watermarks, DbError> {
    let table = txn.open_table(WATERMARKS)?;
    let row = table.get(pubkey.as_bytes().as_slice())?;
    match row {
        Some(row) => Watermarks::decode(row.value()),
        None => Ok(Watermarks::default()),
    }
}

pub(crate) fn write_watermarks(
    txn: &WriteTransaction,
    pubkey: &PublicKeyBytes,
    watermarks: &Watermarks,
) -> Result<(), DbError> {
    let mut table = txn.open_table(WATERMARKS)?;
    table.insert(pubkey.as_bytes().as_slice(), watermarks.encode().as_slice())?;
    Ok(())
}

/// What a check decided when it did not refuse.
enum Decision {
    Record,
    Repeat,
}

/// The slashing protection database of one validator client (all its validators, one network).
pub struct SlashingDatabase {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for SlashingDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlashingDatabase")
            .field("path", &self.path)
            .finish()
    }
}

impl SlashingDatabase {
    /// Open `<datadir>/slashing_protection.redb`, creating it if absent.
    pub fn open_in_datadir(datadir: &Path) -> Result<Self, DbError> {
        Self::open(&datadir.join(SLASHING_PROTECTION_FILENAME))
    }

    /// Open (or create) the database at `path`. redb repairs a file left by a killed process here.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => DbError::InUse {
                path: path.to_path_buf(),
            },
            other => other.into(),
        })?;
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let found = meta.get(SCHEMA_VERSION_KEY)?.map(|v| v.value());
            match found {
                Some(SCHEMA_VERSION) => {}
                Some(found) => return Err(DbError::SchemaVersion { found }),
                None => {
                    meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
                }
            }
            txn.open_table(BLOCKS)?;
            txn.open_table(ATTESTATIONS)?;
            txn.open_table(WATERMARKS)?;
        }
        txn.commit()?;
        Ok(Self {
            db,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Check a block proposal by `pubkey` at `slot` with `signing_root` and, if it is safe, record it in
    /// the same transaction, committed before this returns. Sign only on `Ok`.
    pub fn check_and_record_block(
        &self,
        pubkey: &PublicKeyBytes,
        slot: Slot,
        signing_root: Root,
    ) -> Result<Safe, NotSafe> {
        let txn = self.db.begin_write()?;
        match check_block(&txn, pubkey, slot, signing_root)? {
            Decision::Repeat => {
                txn.abort()?;
                Ok(Safe::SameData)
            }
            Decision::Record => {
                txn.open_table(BLOCKS)?.insert(
                    (pubkey.as_bytes().as_slice(), slot),
                    signing_root.as_slice(),
                )?;
                txn.commit()?;
                Ok(Safe::Valid)
            }
        }
    }

    /// Check an attestation by `pubkey` (its `source.epoch`, `target.epoch` and signing root) and, if it
    /// is safe, record it in the same transaction, committed before this returns. Sign only on `Ok`.
    pub fn check_and_record_attestation(
        &self,
        pubkey: &PublicKeyBytes,
        source_epoch: Epoch,
        target_epoch: Epoch,
        signing_root: Root,
    ) -> Result<Safe, NotSafe> {
        let txn = self.db.begin_write()?;
        match check_attestation(&txn, pubkey, source_epoch, target_epoch, signing_root)? {
            Decision::Repeat => {
                txn.abort()?;
                Ok(Safe::SameData)
            }
            Decision::Record => {
                txn.open_table(ATTESTATIONS)?.insert(
                    (pubkey.as_bytes().as_slice(), target_epoch),
                    encode_attestation(source_epoch, signing_root).as_slice(),
                )?;
                txn.commit()?;
                Ok(Safe::Valid)
            }
        }
    }

    /// Import an EIP-3076 interchange (format v5) for the network `genesis_validators_root`, as one
    /// transaction: all of it or nothing.
    pub fn import(
        &self,
        reader: impl std::io::Read,
        genesis_validators_root: Root,
    ) -> Result<ImportSummary, InterchangeError> {
        let interchange: Interchange =
            serde_json::from_reader(reader).map_err(InterchangeError::Json)?;
        self.import_interchange(&interchange, genesis_validators_root)
    }

    /// Import an already-parsed interchange; see [`SlashingDatabase::import`].
    pub fn import_interchange(
        &self,
        interchange: &Interchange,
        genesis_validators_root: Root,
    ) -> Result<ImportSummary, InterchangeError> {
        interchange::import(&self.db, interchange, genesis_validators_root)
    }

    /// Write everything this database knows as an EIP-3076 interchange (format v5).
    pub fn export(
        &self,
        writer: impl std::io::Write,
        genesis_validators_root: Root,
    ) -> Result<(), InterchangeError> {
        let interchange = self.export_interchange(genesis_validators_root)?;
        serde_json::to_writer_pretty(writer, &interchange).map_err(InterchangeError::Json)
    }

    /// The interchange [`SlashingDatabase::export`] writes.
    pub fn export_interchange(
        &self,
        genesis_validators_root: Root,
    ) -> Result<Interchange, InterchangeError> {
        interchange::export(&self.db, genesis_validators_root)
    }
}

/// The block rules (see the module docs). Reads only.
fn check_block(
    txn: &WriteTransaction,
    pubkey: &PublicKeyBytes,
    slot: Slot,
    signing_root: Root,
) -> Result<Decision, NotSafe> {
    let blocks = txn.open_table(BLOCKS)?;
    if let Some(existing) = blocks.get((pubkey.as_bytes().as_slice(), slot))? {
        let existing_signing_root = decode_root(existing.value())?;
        return if same_root(existing_signing_root, signing_root) {
            Ok(Decision::Repeat)
        } else {
            Err(NotSafe::DoubleBlockProposal {
                slot,
                existing_signing_root,
            })
        };
    }
    if let Some(watermark) = read_watermarks(txn, pubkey)?.block_slot {
        if slot <= watermark {
            return Err(NotSafe::BlockSlotAtOrBelowWatermark { slot, watermark });
        }
    }
    Ok(Decision::Record)
}

/// The attestation rules (see the module docs). Reads only.
fn check_attestation(
    txn: &WriteTransaction,
    pubkey: &PublicKeyBytes,
    source_epoch: Epoch,
    target_epoch: Epoch,
    signing_root: Root,
) -> Result<Decision, NotSafe> {
    if source_epoch > target_epoch {
        return Err(NotSafe::SourceAfterTarget {
            source_epoch,
            target_epoch,
        });
    }
    let pk = pubkey.as_bytes().as_slice();
    let attestations = txn.open_table(ATTESTATIONS)?;

    if let Some(existing) = attestations.get((pk, target_epoch))? {
        let (_, existing_signing_root) = decode_attestation(existing.value())?;
        return if same_root(existing_signing_root, signing_root) {
            Ok(Decision::Repeat)
        } else {
            Err(NotSafe::DoubleVote {
                target_epoch,
                existing_signing_root,
            })
        };
    }

    // Surrounded by a recorded one: `prev.source < source && target < prev.target`. Only records with a
    // later target can, and normally there are none.
    if let Some(after) = target_epoch.checked_add(1) {
        for row in attestations.range((pk, after)..=(pk, u64::MAX))? {
            let (key, value) = row?;
            let (existing_source, _) = decode_attestation(value.value())?;
            if existing_source < source_epoch {
                return Err(NotSafe::SurroundedByExisting {
                    existing_source,
                    existing_target: key.value().1,
                });
            }
        }
    }

    // Surrounding a recorded one: `source < prev.source && prev.target < target`. Since a recorded
    // attestation has `prev.source <= prev.target`, only targets in `(source, target)` can.
    if let Some(after_source) = source_epoch.checked_add(1) {
        if after_source < target_epoch {
            for row in attestations.range((pk, after_source)..(pk, target_epoch))? {
                let (key, value) = row?;
                let (existing_source, _) = decode_attestation(value.value())?;
                if existing_source > source_epoch {
                    return Err(NotSafe::SurroundsExisting {
                        existing_source,
                        existing_target: key.value().1,
                    });
                }
            }
        }
    }

    let watermarks = read_watermarks(txn, pubkey)?;
    if let Some(watermark) = watermarks.source_epoch {
        if source_epoch < watermark {
            return Err(NotSafe::SourceBelowWatermark {
                source_epoch,
                watermark,
            });
        }
    }
    if let Some(watermark) = watermarks.target_epoch {
        if target_epoch <= watermark {
            return Err(NotSafe::TargetAtOrBelowWatermark {
                target_epoch,
                watermark,
            });
        }
    }
    Ok(Decision::Record)
}

#[cfg(test)]
mod tests;
