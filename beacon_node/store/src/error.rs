//! The store's errors. A damaged record is an error naming its table and key, never a panic: a node
//! with a corrupt database must say where, so an operator can resync or repair.

use types::{ForkName, Hash256};

/// Everything that can go wrong opening, reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Boxed: redb's error is large and every store call returns this type.
    #[error("database error: {0}")]
    Database(#[source] Box<redb::Error>),
    #[error("cannot create the data directory {path}: {reason}")]
    Io { path: String, reason: String },
    #[error(
        "the database has schema version {found}, newer than this build understands ({supported}): \
         run a newer Blindfold, or start from an empty data directory"
    )]
    SchemaTooNew { found: u64, supported: u64 },
    #[error(
        "the database has schema version {found}, older than this build's {supported}, and no \
         migration exists: start from an empty data directory"
    )]
    SchemaTooOld { found: u64, supported: u64 },
    #[error("corrupt record in table `{table}` at key {key}: {reason}")]
    CorruptRecord {
        table: &'static str,
        key: String,
        reason: String,
    },
    #[error("block {0} is not in the store")]
    MissingBlock(Hash256),
    #[error("block {0} is stored blinded and its execution payload is not (yet) stored")]
    MissingPayload(Hash256),
    #[error("the payload stored for block {block_root} does not unblind it: {reason}")]
    PayloadMismatch { block_root: Hash256, reason: String },
    #[error("state {state_root} needs base state {base_root}, which is not in the store")]
    MissingBaseState {
        state_root: Hash256,
        base_root: Hash256,
    },
    #[error("replaying blocks to state {state_root} failed: {reason}")]
    Replay { state_root: Hash256, reason: String },
    #[error("replay reached state root {got}, not the requested {state_root}")]
    ReplayMismatch { state_root: Hash256, got: Hash256 },
    #[error("a {fork} object cannot be stored as {what}")]
    WrongFork { fork: ForkName, what: &'static str },
    #[error("sidecar {index} belongs to block {sidecar_block}, not to {block_root}")]
    SidecarBlockMismatch {
        block_root: Hash256,
        sidecar_block: Hash256,
        index: u64,
    },
}

/// redb splits its errors by operation; all of them are database errors to the store's callers.
macro_rules! from_redb {
    ($($ty:ty),*) => {
        $(impl From<$ty> for StoreError {
            fn from(e: $ty) -> Self {
                StoreError::Database(Box::new(e.into()))
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

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
