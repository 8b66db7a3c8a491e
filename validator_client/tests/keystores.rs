//! Loading keystores from `--validators-dir` and `--secrets-dir`: both layouts, and the errors that
//! must name the file at fault.

use crate::common::TempDir;
use bls::{Kdf, Keystore, SecretKey};
use std::path::{Path, PathBuf};
use validator_client::keys::{load_keystores, password_file, KeyError, VOTING_KEYSTORE_FILE};

/// A cheap KDF: these tests are about files, not cryptography.
const CHEAP: Kdf = Kdf::Pbkdf2 { c: 2 };

struct Dirs {
    _root: TempDir,
    validators: PathBuf,
    secrets: PathBuf,
}

fn dirs() -> Dirs {
    let root = TempDir::new("keys");
    let validators = root.path().join("validators");
    let secrets = root.path().join("secrets");
    std::fs::create_dir_all(&validators).unwrap();
    std::fs::create_dir_all(&secrets).unwrap();
    Dirs {
        _root: root,
        validators,
        secrets,
    }
}

/// Write a keystore for `key` at `path` and (unless `password` is `None`) its password file.
fn write_keystore(
    dirs: &Dirs,
    path: &Path,
    key: &SecretKey,
    password: &str,
    password_file_text: Option<&str>,
) {
    let keystore = Keystore::encrypt(key, password, CHEAP, "m/12381/3600/0/0/0").unwrap();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, keystore.to_json_string()).unwrap();
    if let Some(text) = password_file_text {
        let pubkey = key.public_key().to_bytes();
        std::fs::write(password_file(&dirs.secrets, &pubkey), text).unwrap();
    }
}

#[test]
fn both_layouts_load_and_passwords_lose_trailing_newlines() {
    let dirs = dirs();
    let a = bls::interop_secret_key(0);
    let b = bls::interop_secret_key(1);
    let c = bls::interop_secret_key(2);
    write_keystore(
        &dirs,
        &dirs.validators.join("keystore-a.json"),
        &a,
        "pw a",
        Some("pw a\n"),
    );
    let b_dir = dirs.validators.join(b.public_key().to_bytes().to_hex());
    write_keystore(
        &dirs,
        &b_dir.join(VOTING_KEYSTORE_FILE),
        &b,
        "pw b ",
        Some("pw b \r\n"),
    );
    write_keystore(
        &dirs,
        &dirs.validators.join("keystore-c.json"),
        &c,
        "pw c",
        Some("pw c"),
    );
    // Ignored: hidden files, other files, other directories.
    std::fs::write(dirs.validators.join(".hidden.json"), "not json").unwrap();
    std::fs::write(dirs.validators.join("README.txt"), "notes").unwrap();
    std::fs::create_dir_all(dirs.validators.join("backups")).unwrap();

    let keys = load_keystores(&dirs.validators, &dirs.secrets, 2).unwrap();
    let mut loaded: Vec<_> = keys.iter().map(|k| *k.pubkey()).collect();
    loaded.sort();
    let mut expected: Vec<_> = [&a, &b, &c]
        .iter()
        .map(|k| k.public_key().to_bytes())
        .collect();
    expected.sort();
    assert_eq!(loaded, expected);
}

#[test]
fn a_keystore_without_password_file_is_an_error_naming_it() {
    let dirs = dirs();
    let path = dirs.validators.join("lonely.json");
    write_keystore(&dirs, &path, &bls::interop_secret_key(3), "pw", None);
    let err = load_keystores(&dirs.validators, &dirs.secrets, 100).unwrap_err();
    assert!(
        matches!(err, KeyError::MissingPassword { ref keystore, .. } if *keystore == path),
        "{err}"
    );
    assert!(err.to_string().contains("lonely.json"), "{err}");
}

#[test]
fn a_keystore_that_does_not_decrypt_is_an_error_naming_it() {
    let dirs = dirs();
    let good = dirs.validators.join("good.json");
    let bad = dirs.validators.join("bad.json");
    write_keystore(
        &dirs,
        &good,
        &bls::interop_secret_key(4),
        "right",
        Some("right\n"),
    );
    write_keystore(
        &dirs,
        &bad,
        &bls::interop_secret_key(5),
        "right",
        Some("wrong\n"),
    );
    let err = load_keystores(&dirs.validators, &dirs.secrets, 100).unwrap_err();
    assert!(
        matches!(err, KeyError::Decrypt { ref keystore, .. } if *keystore == bad),
        "{err}"
    );
    assert!(err.to_string().contains("bad.json"), "{err}");
}

#[test]
fn malformed_misplaced_and_duplicate_keystores_are_errors_naming_them() {
    // Not a keystore.
    let d = dirs();
    std::fs::write(d.validators.join("garbage.json"), "{\"version\": 4}").unwrap();
    let err = load_keystores(&d.validators, &d.secrets, 100).unwrap_err();
    assert!(matches!(err, KeyError::InvalidKeystore { .. }), "{err}");
    assert!(err.to_string().contains("garbage.json"), "{err}");

    // A validator directory named after another key.
    let d = dirs();
    let key = bls::interop_secret_key(6);
    let wrong_dir = d
        .validators
        .join(bls::interop_secret_key(7).public_key().to_bytes().to_hex());
    write_keystore(
        &d,
        &wrong_dir.join(VOTING_KEYSTORE_FILE),
        &key,
        "pw",
        Some("pw"),
    );
    let err = load_keystores(&d.validators, &d.secrets, 100).unwrap_err();
    assert!(matches!(err, KeyError::DirectoryMismatch { .. }), "{err}");

    // A validator directory without its keystore.
    let d = dirs();
    std::fs::create_dir_all(d.validators.join(key.public_key().to_bytes().to_hex())).unwrap();
    let err = load_keystores(&d.validators, &d.secrets, 100).unwrap_err();
    assert!(err.to_string().contains(VOTING_KEYSTORE_FILE), "{err}");

    // The same validator twice.
    let d = dirs();
    write_keystore(&d, &d.validators.join("one.json"), &key, "pw", Some("pw"));
    write_keystore(&d, &d.validators.join("two.json"), &key, "pw", Some("pw"));
    let err = load_keystores(&d.validators, &d.secrets, 100).unwrap_err();
    assert!(matches!(err, KeyError::DuplicatePubkey { .. }), "{err}");
    assert!(err.to_string().contains("two.json"), "{err}");

    // No validators directory at all.
    let err = load_keystores(Path::new("/nonexistent/validators"), &d.secrets, 100).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/validators"), "{err}");
}

#[test]
fn an_empty_validators_dir_loads_no_keys() {
    let d = dirs();
    assert!(load_keystores(&d.validators, &d.secrets, 100)
        .unwrap()
        .is_empty());
}

#[test]
fn load_keys_combines_keystores_and_interop_keys() {
    use validator_client::keys::{load_keys, KeyConfig};
    let d = dirs();
    let key = bls::interop_secret_key(10);
    write_keystore(&d, &d.validators.join("k.json"), &key, "pw", Some("pw\n"));
    let config = KeyConfig {
        validators_dir: Some(d.validators.clone()),
        secrets_dir: Some(d.secrets.clone()),
        interop_validators: Some(0..3),
        progress_every: 0,
    };
    assert_eq!(load_keys(&config).unwrap().len(), 4);
    let no_secrets = KeyConfig {
        secrets_dir: None,
        ..config
    };
    let err = load_keys(&no_secrets).unwrap_err();
    assert!(matches!(err, KeyError::MissingSecretsDir { .. }), "{err}");
}
