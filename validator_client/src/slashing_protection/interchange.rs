//! The EIP-3076 interchange format, version 5: moving slashing protection between clients.
//!
//! Import keeps the minimal strategy's promise: per validator, the highest imported block slot, source
//! and target epoch become watermarks (raised to cover what the database already holds, so that local
//! history older than the import cannot be used to slip under it). Duplicated validators and slashable
//! data inside a file are harmless under that reduction, so such files are accepted.
//!
//! Export writes every block and attestation signed here, and stands in for imported history with one
//! record per watermark that the signed records do not already imply (no signing root: a client
//! importing it learns the bound, not a message it could re-sign).

use super::{
    decode_attestation, decode_pubkey, decode_root, read_watermarks, write_watermarks, DbError,
    Watermarks, ATTESTATIONS, BLOCKS, WATERMARKS,
};
use bls::PublicKeyBytes;
use redb::{Database, ReadableTable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use types::{Epoch, Root, Slot};

/// The only interchange format version read and written.
pub const INTERCHANGE_FORMAT_VERSION: u64 = 5;

/// An interchange document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange {
    pub metadata: InterchangeMetadata,
    pub data: Vec<InterchangeData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeMetadata {
    #[serde(with = "serde_utils::quoted_u64")]
    pub interchange_format_version: u64,
    pub genesis_validators_root: Root,
}

/// One validator's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeData {
    pub pubkey: PublicKeyBytes,
    #[serde(default)]
    pub signed_blocks: Vec<SignedBlock>,
    #[serde(default)]
    pub signed_attestations: Vec<SignedAttestation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBlock {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_root: Option<Root>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAttestation {
    #[serde(with = "serde_utils::quoted_u64")]
    pub source_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub target_epoch: Epoch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_root: Option<Root>,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Distinct validators in the file.
    pub validators: usize,
    pub blocks: usize,
    pub attestations: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    #[error("invalid interchange JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("unsupported interchange format version {0} (only version {INTERCHANGE_FORMAT_VERSION} is supported)")]
    UnsupportedVersion(u64),
    #[error("the interchange is for another network: its genesis_validators_root is {found:?}, this network's is {expected:?}")]
    GenesisValidatorsRootMismatch { expected: Root, found: Root },
    #[error(transparent)]
    Database(#[from] DbError),
}

/// redb's per-operation errors are database errors here too.
macro_rules! from_redb {
    ($($ty:ty),*) => {
        $(impl From<$ty> for InterchangeError {
            fn from(e: $ty) -> Self {
                InterchangeError::Database(e.into())
            }
        })*
    };
}

from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The highest imported values of one validator (several entries for one pubkey are merged).
#[derive(Default)]
struct Maxima {
    block_slot: Option<Slot>,
    source_epoch: Option<Epoch>,
    target_epoch: Option<Epoch>,
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    a.max(b)
}

pub(super) fn import(
    db: &Database,
    interchange: &Interchange,
    genesis_validators_root: Root,
) -> Result<ImportSummary, InterchangeError> {
    let version = interchange.metadata.interchange_format_version;
    if version != INTERCHANGE_FORMAT_VERSION {
        return Err(InterchangeError::UnsupportedVersion(version));
    }
    let found = interchange.metadata.genesis_validators_root;
    if found != genesis_validators_root {
        return Err(InterchangeError::GenesisValidatorsRootMismatch {
            expected: genesis_validators_root,
            found,
        });
    }

    let mut summary = ImportSummary::default();
    let mut maxima: BTreeMap<PublicKeyBytes, Maxima> = BTreeMap::new();
    for entry in &interchange.data {
        let m = maxima.entry(entry.pubkey).or_default();
        for block in &entry.signed_blocks {
            m.block_slot = max_opt(m.block_slot, Some(block.slot));
        }
        for attestation in &entry.signed_attestations {
            m.source_epoch = max_opt(m.source_epoch, Some(attestation.source_epoch));
            m.target_epoch = max_opt(m.target_epoch, Some(attestation.target_epoch));
        }
        summary.blocks += entry.signed_blocks.len();
        summary.attestations += entry.signed_attestations.len();
    }
    summary.validators = maxima.len();

    let txn = db.begin_write()?;
    for (pubkey, imported) in &maxima {
        let pk = pubkey.as_bytes().as_slice();
        let mut watermarks = read_watermarks(&txn, pubkey)?;
        if imported.block_slot.is_some() {
            let blocks = txn.open_table(BLOCKS)?;
            let highest_signed = match blocks.range((pk, 0)..=(pk, u64::MAX))?.next_back() {
                Some(row) => Some(row?.0.value().1),
                None => None,
            };
            watermarks.block_slot = watermarks
                .block_slot
                .max(imported.block_slot)
                .max(highest_signed);
        }
        if imported.target_epoch.is_some() {
            let attestations = txn.open_table(ATTESTATIONS)?;
            let (mut highest_source, mut highest_target) = (None, None);
            for row in attestations.range((pk, 0)..=(pk, u64::MAX))? {
                let (key, value) = row?;
                let (source, _) = decode_attestation(value.value())?;
                highest_source = highest_source.max(Some(source));
                highest_target = highest_target.max(Some(key.value().1));
            }
            watermarks.source_epoch = watermarks
                .source_epoch
                .max(imported.source_epoch)
                .max(highest_source);
            watermarks.target_epoch = watermarks
                .target_epoch
                .max(imported.target_epoch)
                .max(highest_target);
        }
        write_watermarks(&txn, pubkey, &watermarks)?;
    }
    txn.commit()?;
    Ok(summary)
}

pub(super) fn export(
    db: &Database,
    genesis_validators_root: Root,
) -> Result<Interchange, InterchangeError> {
    let txn = db.begin_read()?;
    let mut data: BTreeMap<PublicKeyBytes, InterchangeData> = BTreeMap::new();

    for row in txn.open_table(BLOCKS)?.iter()? {
        let (key, value) = row?;
        let (pk, slot) = key.value();
        record(&mut data, decode_pubkey(pk)?)
            .signed_blocks
            .push(SignedBlock {
                slot,
                signing_root: Some(decode_root(value.value())?),
            });
    }
    for row in txn.open_table(ATTESTATIONS)?.iter()? {
        let (key, value) = row?;
        let (pk, target_epoch) = key.value();
        let (source_epoch, signing_root) = decode_attestation(value.value())?;
        record(&mut data, decode_pubkey(pk)?)
            .signed_attestations
            .push(SignedAttestation {
                source_epoch,
                target_epoch,
                signing_root: Some(signing_root),
            });
    }
    for row in txn.open_table(WATERMARKS)?.iter()? {
        let (key, value) = row?;
        let watermarks = Watermarks::decode(value.value())?;
        let validator = record(&mut data, decode_pubkey(key.value())?);
        add_watermark_records(validator, &watermarks);
    }

    Ok(Interchange {
        metadata: InterchangeMetadata {
            interchange_format_version: INTERCHANGE_FORMAT_VERSION,
            genesis_validators_root,
        },
        data: data.into_values().collect(),
    })
}

fn record(
    data: &mut BTreeMap<PublicKeyBytes, InterchangeData>,
    pubkey: PublicKeyBytes,
) -> &mut InterchangeData {
    data.entry(pubkey).or_insert_with(|| InterchangeData {
        pubkey,
        signed_blocks: Vec::new(),
        signed_attestations: Vec::new(),
    })
}

/// Records without signing roots for the watermarks the signed records do not already imply, so that a
/// client importing the file computes the same bounds.
fn add_watermark_records(validator: &mut InterchangeData, watermarks: &Watermarks) {
    if let Some(slot) = watermarks.block_slot {
        let highest = validator.signed_blocks.iter().map(|b| b.slot).max();
        if highest < Some(slot) {
            validator.signed_blocks.push(SignedBlock {
                slot,
                signing_root: None,
            });
            validator.signed_blocks.sort_by_key(|b| b.slot);
        }
    }
    if watermarks.source_epoch.is_some() || watermarks.target_epoch.is_some() {
        let source_epoch = watermarks.source_epoch.unwrap_or(0);
        let target_epoch = watermarks.target_epoch.unwrap_or(0);
        let atts = &validator.signed_attestations;
        let highest_source = atts.iter().map(|a| a.source_epoch).max();
        let highest_target = atts.iter().map(|a| a.target_epoch).max();
        if highest_source < Some(source_epoch) || highest_target < Some(target_epoch) {
            validator.signed_attestations.push(SignedAttestation {
                source_epoch,
                target_epoch,
                signing_root: None,
            });
            validator
                .signed_attestations
                .sort_by_key(|a| (a.target_epoch, a.source_epoch));
        }
    }
}
