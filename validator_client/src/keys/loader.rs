//! Validator keys from disk: EIP-2335 keystores in `--validators-dir`, their passwords in `--secrets-dir`.
//!
//! Layout of `--validators-dir` (both forms may be mixed):
//! - `<name>.json`: one keystore per file, any name (as `staking-deposit-cli` writes them);
//! - `0x<pubkey>/voting-keystore.json`: one directory per validator (as Lighthouse and Lodestar keep
//!   them); the directory's name must be the keystore's public key.
//!
//! Hidden entries, other files and other directories are ignored. The password of a keystore is the file
//! `--secrets-dir/0x<pubkey>` (lower-case hex), with trailing newlines (`\n`, `\r\n`) trimmed.
//!
//! Every keystore is decrypted once, at start, on a small pool of threads (the KDF is deliberately
//! slow: scrypt at EIP-2335's defaults costs ~1 s and 256 MiB). A keystore that cannot be read, has no
//! password file, or does not decrypt stops the start with an error that names the file.

use super::{KeySource, ValidatorKey};
use bls::{Keystore, KeystoreError, PublicKeyBytes};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// The keystore file name inside a `0x<pubkey>` validator directory.
pub const VOTING_KEYSTORE_FILE: &str = "voting-keystore.json";

/// Default number of decrypted keys between two progress lines.
pub const DEFAULT_PROGRESS_EVERY: usize = 100;

/// Why the validator keys could not be loaded. Each variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("keystore {}: {source}", path.display())]
    InvalidKeystore {
        path: PathBuf,
        #[source]
        source: KeystoreError,
    },
    #[error("keystore {} names no public key, so its password file cannot be found", path.display())]
    MissingPubkey { path: PathBuf },
    #[error("keystore {} is in directory {dir_name}, but its public key is {pubkey}", path.display())]
    DirectoryMismatch {
        path: PathBuf,
        dir_name: String,
        pubkey: PublicKeyBytes,
    },
    #[error("no password for keystore {}: expected the file {}", keystore.display(), password_file.display())]
    MissingPassword {
        keystore: PathBuf,
        password_file: PathBuf,
    },
    #[error("password file {} is not UTF-8", path.display())]
    PasswordNotUtf8 { path: PathBuf },
    #[error("keystore {} does not decrypt with its password file {}: {source}", keystore.display(), password_file.display())]
    Decrypt {
        keystore: PathBuf,
        password_file: PathBuf,
        #[source]
        source: KeystoreError,
    },
    #[error("validator {pubkey} has two keys: {first} and {second}")]
    DuplicatePubkey {
        pubkey: PublicKeyBytes,
        first: KeySource,
        second: KeySource,
    },
    #[error("--validators-dir {} is given without --secrets-dir, so its keystores have no passwords", validators_dir.display())]
    MissingSecretsDir { validators_dir: PathBuf },
    #[error("keystore {} was not decrypted", path.display())]
    NotDecrypted { path: PathBuf },
    #[error(
        "invalid --interop-validators {value:?}: {reason} (expected START..END, END exclusive)"
    )]
    InvalidInteropRange { value: String, reason: String },
}

/// A keystore found on disk, not yet decrypted.
#[derive(Debug, Clone)]
pub struct KeystoreFile {
    pub path: PathBuf,
    pub pubkey: PublicKeyBytes,
    pub keystore: Keystore,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// Find and parse every keystore under `validators_dir` (sorted by path, so errors are reproducible).
pub fn discover_keystores(validators_dir: &Path) -> Result<Vec<KeystoreFile>, KeyError> {
    let mut candidates: Vec<(PathBuf, Option<String>)> = Vec::new();
    for entry in std::fs::read_dir(validators_dir).map_err(io_error(validators_dir))? {
        let entry = entry.map_err(io_error(validators_dir))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_hidden(&name) {
            continue;
        }
        let file_type = entry.file_type().map_err(io_error(&path))?;
        // Follow symlinks: operators link keystores in from elsewhere.
        let is_dir = file_type.is_dir() || (file_type.is_symlink() && path.is_dir());
        if is_dir {
            if name.starts_with("0x") {
                candidates.push((path.join(VOTING_KEYSTORE_FILE), Some(name)));
            }
        } else if name.ends_with(".json") {
            candidates.push((path, None));
        }
    }
    candidates.sort();

    let mut keystores = Vec::with_capacity(candidates.len());
    let mut seen: HashMap<PublicKeyBytes, PathBuf> = HashMap::new();
    for (path, dir_name) in candidates {
        let json = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let keystore =
            Keystore::from_json_str(&json).map_err(|source| KeyError::InvalidKeystore {
                path: path.clone(),
                source,
            })?;
        let pubkey = keystore_pubkey(&keystore, &path)?;
        if let Some(dir_name) = dir_name {
            if !dir_name.eq_ignore_ascii_case(&pubkey.to_hex()) {
                return Err(KeyError::DirectoryMismatch {
                    path,
                    dir_name,
                    pubkey,
                });
            }
        }
        if let Some(first) = seen.insert(pubkey, path.clone()) {
            return Err(KeyError::DuplicatePubkey {
                pubkey,
                first: first.into(),
                second: path.into(),
            });
        }
        keystores.push(KeystoreFile {
            path,
            pubkey,
            keystore,
        });
    }
    Ok(keystores)
}

/// The public key a keystore names (hex, with or without `0x`).
fn keystore_pubkey(keystore: &Keystore, path: &Path) -> Result<PublicKeyBytes, KeyError> {
    let hex_key = keystore.pubkey().trim_start_matches("0x");
    if hex_key.is_empty() {
        return Err(KeyError::MissingPubkey {
            path: path.to_path_buf(),
        });
    }
    format!("0x{hex_key}")
        .parse()
        .map_err(|e: bls::Error| KeyError::InvalidKeystore {
            path: path.to_path_buf(),
            source: KeystoreError::InvalidField {
                field: "pubkey",
                reason: e.to_string(),
            },
        })
}

/// The password file of `pubkey` in `secrets_dir`.
pub fn password_file(secrets_dir: &Path, pubkey: &PublicKeyBytes) -> PathBuf {
    secrets_dir.join(pubkey.to_hex())
}

/// Read a password file, trimming trailing newlines (and only those: other whitespace may be part of
/// the password).
pub fn read_password(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(io_error(path))?);
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::PasswordNotUtf8 {
        path: path.to_path_buf(),
    })?;
    Ok(Zeroizing::new(
        text.trim_end_matches(['\n', '\r']).to_string(),
    ))
}

/// Discover, read the passwords of, and decrypt every keystore; log a progress line every
/// `progress_every` keys. Blocking and CPU-heavy: async callers run it with `spawn_blocking`.
pub fn load_keystores(
    validators_dir: &Path,
    secrets_dir: &Path,
    progress_every: usize,
) -> Result<Vec<ValidatorKey>, KeyError> {
    let keystores = discover_keystores(validators_dir)?;
    let mut jobs = Vec::with_capacity(keystores.len());
    for file in keystores {
        let password_path = password_file(secrets_dir, &file.pubkey);
        if !password_path.is_file() {
            return Err(KeyError::MissingPassword {
                keystore: file.path,
                password_file: password_path,
            });
        }
        let password = read_password(&password_path)?;
        jobs.push((file, password_path, password));
    }
    decrypt_all(jobs, progress_every)
}

type Job = (KeystoreFile, PathBuf, Zeroizing<String>);

/// Decrypt on `min(available cores, jobs)` threads. The first failure (in path order) is returned and
/// stops the remaining work.
fn decrypt_all(jobs: Vec<Job>, progress_every: usize) -> Result<Vec<ValidatorKey>, KeyError> {
    let total = jobs.len();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(total.max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<Mutex<Option<Result<ValidatorKey, KeyError>>>> =
        (0..total).map(|_| Mutex::new(None)).collect();
    let progress_every = progress_every.max(1);
    if total > 0 {
        tracing::info!(total, threads, "decrypting validator keystores");
    }

    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                if failed.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((file, password_path, password)) = jobs.get(i) else {
                    return;
                };
                let result = file
                    .keystore
                    .decrypt(password)
                    .map(|secret_key| ValidatorKey::new(secret_key, file.path.clone().into()))
                    .map_err(|source| KeyError::Decrypt {
                        keystore: file.path.clone(),
                        password_file: password_path.clone(),
                        source,
                    });
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(result);
                }
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if finished.is_multiple_of(progress_every) && finished < total {
                    tracing::info!(done = finished, total, "decrypted validator keystores");
                }
            });
        }
    });

    let mut slots: Vec<Option<Result<ValidatorKey, KeyError>>> = results
        .into_iter()
        .map(|slot| slot.into_inner().ok().flatten())
        .collect();
    // Jobs stop after a failure, so later slots may be empty: report the first failure in path order.
    if let Some(i) = slots.iter().position(|slot| matches!(slot, Some(Err(_)))) {
        if let Some(Some(Err(e))) = slots.get_mut(i).map(Option::take) {
            return Err(e);
        }
    }
    let mut keys = Vec::with_capacity(total);
    for (slot, (file, _, _)) in slots.into_iter().zip(&jobs) {
        match slot {
            Some(Ok(key)) => keys.push(key),
            // Only a worker that panicked (which `thread::scope` re-raises) leaves a slot empty
            // without a failure; never start with a key silently missing.
            _ => {
                return Err(KeyError::NotDecrypted {
                    path: file.path.clone(),
                })
            }
        }
    }
    if total > 0 {
        tracing::info!(total, "decrypted all validator keystores");
    }
    Ok(keys)
}
