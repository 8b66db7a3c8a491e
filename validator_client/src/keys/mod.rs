//! The validator client's keys and the one place that signs with them.
//!
//! - [`loader`]: EIP-2335 keystores from `--validators-dir` with passwords from `--secrets-dir`;
//! - [`interop`]: deterministic keys for local networks (`--interop-validators START..END`);
//! - [`store`]: [`ValidatorStore`], which holds the secret keys and signs every message a validator
//!   signs; blocks and attestations only through slashing protection.
//!
//! A [`ValidatorKey`] does not give its secret key out: outside this module, the only way to sign is the
//! store's methods, so no caller can sign a block or attestation around slashing protection.

pub mod interop;
pub mod loader;
pub mod store;

pub use interop::{interop_keys, parse_interop_range};
pub use loader::{
    discover_keystores, load_keystores, password_file, read_password, KeyError, KeystoreFile,
    DEFAULT_PROGRESS_EVERY, VOTING_KEYSTORE_FILE,
};
pub use store::{ForkInfo, ProposalMessage, SignError, ValidatorStore};

use bls::{PublicKeyBytes, SecretKey};
use std::ops::Range;
use std::path::PathBuf;

/// Where the validator client takes its keys from (`--validators-dir`, `--secrets-dir`,
/// `--interop-validators`); both sources may be used together.
#[derive(Debug, Clone, Default)]
pub struct KeyConfig {
    pub validators_dir: Option<PathBuf>,
    pub secrets_dir: Option<PathBuf>,
    pub interop_validators: Option<Range<u64>>,
    /// Keys between two progress lines while decrypting (0: [`DEFAULT_PROGRESS_EVERY`]).
    pub progress_every: usize,
}

/// Load every key `config` names. Blocking and CPU-heavy (keystore KDFs): async callers use
/// `spawn_blocking`. A validator found twice is an error (see [`ValidatorStore::new`]).
pub fn load_keys(config: &KeyConfig) -> Result<Vec<ValidatorKey>, KeyError> {
    let mut keys = Vec::new();
    match (&config.validators_dir, &config.secrets_dir) {
        (Some(validators_dir), Some(secrets_dir)) => {
            let every = match config.progress_every {
                0 => DEFAULT_PROGRESS_EVERY,
                n => n,
            };
            keys.extend(load_keystores(validators_dir, secrets_dir, every)?);
        }
        (Some(validators_dir), None) => {
            return Err(KeyError::MissingSecretsDir {
                validators_dir: validators_dir.clone(),
            })
        }
        (None, _) => {}
    }
    if let Some(range) = &config.interop_validators {
        keys.extend(interop_keys(range.clone()));
    }
    Ok(keys)
}

/// Where a key came from, for logs and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Keystore(PathBuf),
    /// The interop key of this validator index.
    Interop(u64),
}

impl From<PathBuf> for KeySource {
    fn from(path: PathBuf) -> Self {
        KeySource::Keystore(path)
    }
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Keystore(path) => write!(f, "keystore {}", path.display()),
            KeySource::Interop(index) => write!(f, "interop key {index}"),
        }
    }
}

/// A validator's decrypted key. The secret key stays inside this crate's `keys` module.
pub struct ValidatorKey {
    pubkey: PublicKeyBytes,
    secret_key: SecretKey,
    source: KeySource,
}

impl ValidatorKey {
    pub fn new(secret_key: SecretKey, source: KeySource) -> Self {
        Self {
            pubkey: secret_key.public_key().to_bytes(),
            secret_key,
            source,
        }
    }

    pub fn pubkey(&self) -> &PublicKeyBytes {
        &self.pubkey
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }
}

impl std::fmt::Debug for ValidatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidatorKey")
            .field("pubkey", &self.pubkey)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}
