//! EIP-2335 (version 4) keystores: a BLS secret key encrypted under a password, in the JSON format that
//! every consensus client, `staking-deposit-cli` and `ethdo` exchange.
//!
//! Decryption: `decryption_key = KDF(password)` (scrypt or PBKDF2-HMAC-SHA256), then the checksum
//! `sha256(decryption_key[16..32] ++ cipher.message)` must match (a mismatch means a wrong password), then
//! `secret = AES-128-CTR(decryption_key[0..16], iv, cipher.message)`.
//!
//! Keystore files may come from anywhere, so KDF parameters are bounded before the KDF runs: a hostile
//! file must not be able to make us allocate gigabytes or spin for hours.

use crate::{PublicKey, SecretKey};
use aes::cipher::{KeyIvInit, StreamCipher};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// The only keystore version this module reads and writes.
pub const VERSION: u32 = 4;
/// The only derived-key length EIP-2335 uses (16 bytes of AES key, 16 of checksum key).
const DKLEN: u64 = 32;
/// Largest scrypt `n` accepted: 2^20 (with `r = 8`, 1 GiB of memory).
pub const MAX_SCRYPT_N: u64 = 1 << 20;
/// Largest scrypt working memory accepted, `128 * r * n` bytes.
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
/// Largest scrypt `r` and `p` accepted.
const MAX_SCRYPT_R: u64 = 32;
const MAX_SCRYPT_P: u64 = 16;
/// Largest PBKDF2 iteration count accepted: 2^24 (many seconds already).
pub const MAX_PBKDF2_C: u64 = 1 << 24;
/// Largest salt accepted, in bytes.
const MAX_SALT_LEN: usize = 1024;

/// Why a keystore could not be read, decrypted or created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    #[error("invalid keystore JSON: {0}")]
    InvalidJson(String),
    #[error("unsupported keystore version {0} (only version 4 is supported)")]
    UnsupportedVersion(u32),
    #[error("unsupported KDF {0:?} (expected \"scrypt\" or \"pbkdf2\")")]
    UnsupportedKdf(String),
    #[error("unsupported PBKDF2 PRF {0:?} (expected \"hmac-sha256\")")]
    UnsupportedPrf(String),
    #[error("unsupported checksum function {0:?} (expected \"sha256\")")]
    UnsupportedChecksum(String),
    #[error("unsupported cipher {0:?} (expected \"aes-128-ctr\")")]
    UnsupportedCipher(String),
    #[error("invalid KDF parameters: {0}")]
    InvalidKdfParams(String),
    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("checksum mismatch: wrong password or corrupted keystore")]
    ChecksumMismatch,
    #[error("decrypted secret is not a valid BLS secret key")]
    InvalidSecretKey,
    #[error("decrypted key belongs to {actual}, but the keystore names {expected}")]
    PublicKeyMismatch { expected: String, actual: String },
}

/// Key-derivation function and cost parameters for a new keystore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// scrypt with cost `n` (a power of two), block size `r` and parallelism `p`.
    Scrypt { n: u64, r: u64, p: u64 },
    /// PBKDF2-HMAC-SHA256 with `c` iterations.
    Pbkdf2 { c: u64 },
}

impl Kdf {
    /// The EIP's recommended scrypt cost (`n = 2^18, r = 8, p = 1`), as `staking-deposit-cli` writes.
    pub const fn scrypt() -> Self {
        Kdf::Scrypt {
            n: 1 << 18,
            r: 8,
            p: 1,
        }
    }

    /// The EIP's PBKDF2 cost (`c = 2^18`): faster to unlock, weaker against guessing.
    pub const fn pbkdf2() -> Self {
        Kdf::Pbkdf2 { c: 1 << 18 }
    }

    /// Reject parameters that are invalid or too costly to run, before running anything.
    fn check(&self) -> Result<(), KeystoreError> {
        let bad = |reason: String| Err(KeystoreError::InvalidKdfParams(reason));
        match *self {
            Kdf::Scrypt { n, r, p } => {
                if n < 2 || !n.is_power_of_two() {
                    return bad(format!("scrypt n = {n} is not a power of two above 1"));
                }
                if n > MAX_SCRYPT_N {
                    return bad(format!("scrypt n = {n} exceeds the limit {MAX_SCRYPT_N}"));
                }
                if r == 0 || r > MAX_SCRYPT_R {
                    return bad(format!("scrypt r = {r} is outside 1..={MAX_SCRYPT_R}"));
                }
                if p == 0 || p > MAX_SCRYPT_P {
                    return bad(format!("scrypt p = {p} is outside 1..={MAX_SCRYPT_P}"));
                }
                if 128 * r * n > MAX_SCRYPT_MEMORY {
                    return bad(format!(
                        "scrypt n = {n}, r = {r} needs more than {MAX_SCRYPT_MEMORY} bytes"
                    ));
                }
                Ok(())
            }
            Kdf::Pbkdf2 { c } => {
                if c == 0 || c > MAX_PBKDF2_C {
                    return bad(format!("pbkdf2 c = {c} is outside 1..={MAX_PBKDF2_C}"));
                }
                Ok(())
            }
        }
    }

    /// Derive the 32-byte decryption key. Parameters must have passed [`Kdf::check`].
    fn derive(&self, password: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
        self.check()?;
        let mut key = Zeroizing::new([0u8; 32]);
        match *self {
            Kdf::Scrypt { n, r, p } => {
                let log_n = n.trailing_zeros() as u8;
                // The bounds above keep r and p far inside u32 and satisfy scrypt's own constraints,
                // except `n < 2^(16 r)`, which the crate checks and we report.
                let params = scrypt::Params::new(log_n, r as u32, p as u32, key.len())
                    .map_err(|e| KeystoreError::InvalidKdfParams(format!("scrypt: {e}")))?;
                scrypt::scrypt(password, salt, &params, key.as_mut())
                    .map_err(|e| KeystoreError::InvalidKdfParams(format!("scrypt: {e}")))?;
            }
            Kdf::Pbkdf2 { c } => {
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, c as u32, key.as_mut());
            }
        }
        Ok(key)
    }

    /// The `kdf` module that names this function, its parameters and `salt`.
    fn module(self, salt: &[u8]) -> Module {
        let (function, params) = match self {
            Kdf::Scrypt { n, r, p } => (
                "scrypt",
                json!({ "dklen": DKLEN, "n": n, "r": r, "p": p, "salt": hex::encode(salt) }),
            ),
            Kdf::Pbkdf2 { c } => (
                "pbkdf2",
                json!({ "dklen": DKLEN, "c": c, "prf": "hmac-sha256", "salt": hex::encode(salt) }),
            ),
        };
        Module {
            function: function.into(),
            params,
            message: String::new(),
        }
    }
}

impl Default for Kdf {
    fn default() -> Self {
        Self::scrypt()
    }
}

/// One of the three `crypto` modules: a function name, its parameters and a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Module {
    function: String,
    #[serde(default)]
    params: Value,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Crypto {
    kdf: Module,
    checksum: Module,
    cipher: Module,
}

/// An EIP-2335 keystore as stored on disk. Reading one checks only its shape; the parameters are checked
/// by [`Keystore::decrypt`], which is where running them would cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keystore {
    crypto: Crypto,
    #[serde(default)]
    description: String,
    /// Hex of the compressed public key, without `0x`.
    #[serde(default)]
    pubkey: String,
    /// EIP-2334 derivation path, or empty.
    #[serde(default)]
    path: String,
    uuid: String,
    version: u32,
}

/// Decode hex with or without a `0x` prefix.
fn decode_hex(field: &'static str, s: &str) -> Result<Vec<u8>, KeystoreError> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| KeystoreError::InvalidField {
        field,
        reason: e.to_string(),
    })
}

/// Decode hex of an exact length.
fn decode_hex_array<const N: usize>(
    field: &'static str,
    s: &str,
) -> Result<[u8; N], KeystoreError> {
    let bytes = decode_hex(field, s)?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeystoreError::InvalidField {
            field,
            reason: format!("expected {N} bytes, got {}", bytes.len()),
        })
}

/// Read a non-negative integer parameter.
fn param_u64(params: &Value, name: &str) -> Result<u64, KeystoreError> {
    params
        .get(name)
        .and_then(Value::as_u64)
        .ok_or_else(|| KeystoreError::InvalidKdfParams(format!("missing or non-integer {name:?}")))
}

fn param_str<'a>(params: &'a Value, name: &str) -> Result<&'a str, KeystoreError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| KeystoreError::InvalidKdfParams(format!("missing or non-string {name:?}")))
}

/// The EIP's password processing: NFKD normalisation, then removal of the C0 (`0x00..=0x1f`), Delete
/// (`0x7f`) and C1 (`0x80..=0x9f`) control codes, then UTF-8. The same passphrase typed on different
/// systems then unlocks the same keystore.
pub fn process_password(password: &str) -> Zeroizing<Vec<u8>> {
    let normalized: Zeroizing<String> = Zeroizing::new(
        password
            .nfkd()
            .filter(|c| !matches!(*c as u32, 0x00..=0x1f | 0x7f..=0x9f))
            .collect(),
    );
    Zeroizing::new(normalized.as_bytes().to_vec())
}

/// `sha256(decryption_key[16..32] ++ cipher_message)`.
fn checksum(decryption_key: &[u8; 32], cipher_message: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(&decryption_key[16..]);
    hasher.update(cipher_message);
    hasher.finalize().into()
}

/// Compare without an early exit, so timing does not reveal how much of a checksum matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// AES-128-CTR in place (encryption and decryption are the same operation).
fn aes_128_ctr(decryption_key: &[u8; 32], iv: &[u8; 16], data: &mut [u8]) {
    let key: [u8; 16] = decryption_key[..16]
        .try_into()
        .expect("16-byte half of a 32-byte key");
    let mut cipher = Aes128Ctr::new(&key.into(), iv.into());
    cipher.apply_keystream(data);
}

/// A random version-4 UUID in its usual hyphenated form.
fn random_uuid() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl Keystore {
    /// Parse keystore JSON. Only the version and shape are checked here.
    pub fn from_json_str(json: &str) -> Result<Self, KeystoreError> {
        let keystore: Self =
            serde_json::from_str(json).map_err(|e| KeystoreError::InvalidJson(e.to_string()))?;
        if keystore.version != VERSION {
            return Err(KeystoreError::UnsupportedVersion(keystore.version));
        }
        Ok(keystore)
    }

    /// Pretty-printed JSON, as written to disk.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).expect("a keystore always serialises")
    }

    /// Encrypt `secret_key` under `password`, with a fresh random salt, IV and UUID.
    pub fn encrypt(
        secret_key: &SecretKey,
        password: &str,
        kdf: Kdf,
        path: &str,
    ) -> Result<Self, KeystoreError> {
        let mut salt = [0u8; 32];
        let mut iv = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        rand::rngs::OsRng.fill_bytes(&mut iv);

        let password = process_password(password);
        let decryption_key = kdf.derive(&password, &salt)?;
        let mut cipher_message = secret_key.serialize();
        aes_128_ctr(&decryption_key, &iv, cipher_message.as_mut());
        let checksum = checksum(&decryption_key, cipher_message.as_ref());

        Ok(Self {
            crypto: Crypto {
                kdf: kdf.module(&salt),
                checksum: Module {
                    function: "sha256".into(),
                    params: json!({}),
                    message: hex::encode(checksum),
                },
                cipher: Module {
                    function: "aes-128-ctr".into(),
                    params: json!({ "iv": hex::encode(iv) }),
                    message: hex::encode(cipher_message.as_ref()),
                },
            },
            description: String::new(),
            pubkey: hex::encode(secret_key.public_key().serialize()),
            path: path.to_string(),
            uuid: random_uuid(),
            version: VERSION,
        })
    }

    /// The KDF and salt this keystore names, after checking them against our bounds.
    fn kdf(&self) -> Result<(Kdf, Vec<u8>), KeystoreError> {
        let module = &self.crypto.kdf;
        let params = &module.params;
        let dklen = param_u64(params, "dklen")?;
        if dklen != DKLEN {
            return Err(KeystoreError::InvalidKdfParams(format!(
                "dklen = {dklen}, expected {DKLEN}"
            )));
        }
        let kdf = match module.function.as_str() {
            "scrypt" => Kdf::Scrypt {
                n: param_u64(params, "n")?,
                r: param_u64(params, "r")?,
                p: param_u64(params, "p")?,
            },
            "pbkdf2" => {
                let prf = param_str(params, "prf")?;
                if prf != "hmac-sha256" {
                    return Err(KeystoreError::UnsupportedPrf(prf.to_string()));
                }
                Kdf::Pbkdf2 {
                    c: param_u64(params, "c")?,
                }
            }
            other => return Err(KeystoreError::UnsupportedKdf(other.to_string())),
        };
        kdf.check()?;
        let salt = decode_hex("salt", param_str(params, "salt")?)?;
        if salt.len() > MAX_SALT_LEN {
            return Err(KeystoreError::InvalidKdfParams(format!(
                "salt of {} bytes is too long",
                salt.len()
            )));
        }
        Ok((kdf, salt))
    }

    /// Decrypt with `password`. A wrong password yields [`KeystoreError::ChecksumMismatch`]. Every parameter
    /// is checked before the KDF runs.
    pub fn decrypt(&self, password: &str) -> Result<SecretKey, KeystoreError> {
        // A keystore built through serde rather than `from_json_str` has not had its version checked.
        if self.version != VERSION {
            return Err(KeystoreError::UnsupportedVersion(self.version));
        }
        let (kdf, salt) = self.kdf()?;

        let checksum_module = &self.crypto.checksum;
        if checksum_module.function != "sha256" {
            return Err(KeystoreError::UnsupportedChecksum(
                checksum_module.function.clone(),
            ));
        }
        let expected_checksum: [u8; 32] =
            decode_hex_array("checksum message", &checksum_module.message)?;

        let cipher = &self.crypto.cipher;
        if cipher.function != "aes-128-ctr" {
            return Err(KeystoreError::UnsupportedCipher(cipher.function.clone()));
        }
        let iv_hex = cipher
            .params
            .get("iv")
            .and_then(Value::as_str)
            .ok_or_else(|| KeystoreError::InvalidField {
                field: "cipher iv",
                reason: "missing".into(),
            })?;
        let iv: [u8; 16] = decode_hex_array("cipher iv", iv_hex)?;
        let cipher_message: [u8; 32] = decode_hex_array("cipher message", &cipher.message)?;

        let password = process_password(password);
        let decryption_key = kdf.derive(&password, &salt)?;
        if !constant_time_eq(
            &checksum(&decryption_key, &cipher_message),
            &expected_checksum,
        ) {
            return Err(KeystoreError::ChecksumMismatch);
        }

        let mut secret = Zeroizing::new(cipher_message);
        aes_128_ctr(&decryption_key, &iv, secret.as_mut());
        let secret_key =
            SecretKey::from_bytes(secret.as_ref()).map_err(|_| KeystoreError::InvalidSecretKey)?;

        if !self.pubkey.is_empty() {
            let actual = secret_key.public_key();
            let expected = self.pubkey.strip_prefix("0x").unwrap_or(&self.pubkey);
            if !expected.eq_ignore_ascii_case(&hex::encode(actual.serialize())) {
                return Err(KeystoreError::PublicKeyMismatch {
                    expected: self.pubkey.clone(),
                    actual: actual.to_hex(),
                });
            }
        }
        Ok(secret_key)
    }

    /// The public key the keystore names, checked. Lets a client index keystores without unlocking them.
    pub fn public_key(&self) -> Result<PublicKey, KeystoreError> {
        let bytes: [u8; 48] = decode_hex_array("pubkey", &self.pubkey)?;
        PublicKey::from_bytes(&bytes).map_err(|e| KeystoreError::InvalidField {
            field: "pubkey",
            reason: e.to_string(),
        })
    }

    /// The `pubkey` field as written (hex, normally without `0x`).
    pub fn pubkey(&self) -> &str {
        &self.pubkey
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn set_description(&mut self, description: impl Into<String>) {
        self.description = description.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The EIP-2335 test vectors' password and secret.
    const PASSWORD: &str = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑";
    const SECRET: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    const PUBKEY: &str = "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07";

    const SCRYPT_VECTOR: &str = r#"{
        "crypto": {
            "kdf": {
                "function": "scrypt",
                "params": {
                    "dklen": 32,
                    "n": 262144,
                    "p": 1,
                    "r": 8,
                    "salt": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"
                },
                "message": ""
            },
            "checksum": {
                "function": "sha256",
                "params": {},
                "message": "d2217fe5f3e9a1e34581ef8a78f7c9928e436d36dacc5e846690a5581e8ea484"
            },
            "cipher": {
                "function": "aes-128-ctr",
                "params": {
                    "iv": "264daa3f303d7259501c93d997d84fe6"
                },
                "message": "06ae90d55fe0a6e9c5c3bc5b170827b2e5cce3929ed3f116c2811e6366dfe20f"
            }
        },
        "description": "This is a test keystore that uses scrypt to secure the secret.",
        "pubkey": "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07",
        "path": "m/12381/60/3141592653/589793238",
        "uuid": "1d85ae20-35c5-4611-98e8-aa14a633906f",
        "version": 4
    }"#;

    const PBKDF2_VECTOR: &str = r#"{
        "crypto": {
            "kdf": {
                "function": "pbkdf2",
                "params": {
                    "dklen": 32,
                    "c": 262144,
                    "prf": "hmac-sha256",
                    "salt": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"
                },
                "message": ""
            },
            "checksum": {
                "function": "sha256",
                "params": {},
                "message": "8a9f5d9912ed7e75ea794bc5a89bca5f193721d30868ade6f73043c6ea6febf1"
            },
            "cipher": {
                "function": "aes-128-ctr",
                "params": {
                    "iv": "264daa3f303d7259501c93d997d84fe6"
                },
                "message": "cee03fde2af33149775b7223e7845e4fb2c8ae1792e5f99fe9ecf474cc8c16ad"
            }
        },
        "description": "This is a test keystore that uses PBKDF2 to secure the secret.",
        "pubkey": "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07",
        "path": "m/12381/60/0/0",
        "uuid": "64625def-3331-4eea-ab6f-782f3ed16a83",
        "version": 4
    }"#;

    /// Cheap parameters so that round trips run fast.
    const FAST_SCRYPT: Kdf = Kdf::Scrypt {
        n: 1 << 10,
        r: 8,
        p: 1,
    };
    const FAST_PBKDF2: Kdf = Kdf::Pbkdf2 { c: 1 << 10 };

    /// A copy of `json` with one JSON-pointer location replaced.
    fn with(json: &str, pointer: &str, value: Value) -> Keystore {
        let mut doc: Value = serde_json::from_str(json).unwrap();
        *doc.pointer_mut(pointer).unwrap() = value;
        Keystore::from_json_str(&doc.to_string()).unwrap()
    }

    #[test]
    fn password_processing_matches_the_eip() {
        // The EIP gives the processed test password as 0x7465737470617373776f7264f09f9491.
        assert_eq!(
            hex::encode(process_password(PASSWORD).as_slice()),
            "7465737470617373776f7264f09f9491"
        );
        assert_eq!(
            process_password("\u{7}pass\u{7f}word\u{85}\n").as_slice(),
            b"password"
        );
    }

    #[test]
    fn eip2335_scrypt_vector() {
        let keystore = Keystore::from_json_str(SCRYPT_VECTOR).unwrap();
        assert_eq!(keystore.path(), "m/12381/60/3141592653/589793238");
        assert_eq!(keystore.uuid(), "1d85ae20-35c5-4611-98e8-aa14a633906f");
        assert_eq!(
            hex::encode(keystore.public_key().unwrap().serialize()),
            PUBKEY
        );
        let sk = keystore.decrypt(PASSWORD).unwrap();
        assert_eq!(hex::encode(sk.serialize().as_ref()), SECRET);
    }

    #[test]
    fn eip2335_pbkdf2_vector() {
        let keystore = Keystore::from_json_str(PBKDF2_VECTOR).unwrap();
        let sk = keystore.decrypt(PASSWORD).unwrap();
        assert_eq!(hex::encode(sk.serialize().as_ref()), SECRET);
        assert_eq!(
            keystore.decrypt("testpassword").unwrap_err(),
            KeystoreError::ChecksumMismatch
        );
    }

    #[test]
    fn round_trip_both_kdfs() {
        let sk = SecretKey::random();
        for kdf in [FAST_SCRYPT, FAST_PBKDF2] {
            let keystore =
                Keystore::encrypt(&sk, "correct horse", kdf, "m/12381/3600/0/0/0").unwrap();
            let json = keystore.to_json_string();
            let parsed = Keystore::from_json_str(&json).unwrap();
            assert_eq!(parsed, keystore);
            assert_eq!(parsed.path(), "m/12381/3600/0/0/0");
            assert_eq!(parsed.public_key().unwrap(), sk.public_key());
            let uuid = parsed.uuid();
            assert_eq!(uuid.len(), 36);
            assert_eq!(&uuid[14..15], "4");
            let decrypted = parsed.decrypt("correct horse").unwrap();
            assert_eq!(decrypted.public_key(), sk.public_key());
        }
    }

    #[test]
    fn fresh_salt_iv_and_uuid_each_time() {
        let sk = SecretKey::random();
        let a = Keystore::encrypt(&sk, "pw", FAST_PBKDF2, "").unwrap();
        let b = Keystore::encrypt(&sk, "pw", FAST_PBKDF2, "").unwrap();
        assert_ne!(a.uuid(), b.uuid());
        assert_ne!(a.crypto.cipher.message, b.crypto.cipher.message);
    }

    #[test]
    fn wrong_password_is_a_checksum_mismatch() {
        let sk = SecretKey::random();
        let keystore = Keystore::encrypt(&sk, "right", FAST_SCRYPT, "").unwrap();
        assert_eq!(
            keystore.decrypt("wrong").unwrap_err(),
            KeystoreError::ChecksumMismatch
        );
    }

    #[test]
    fn hostile_or_unsupported_parameters_are_refused_before_running() {
        let sk = SecretKey::random();
        let scrypt = Keystore::encrypt(&sk, "pw", FAST_SCRYPT, "")
            .unwrap()
            .to_json_string();
        let pbkdf2 = Keystore::encrypt(&sk, "pw", FAST_PBKDF2, "")
            .unwrap()
            .to_json_string();
        let refused = |keystore: Keystore| keystore.decrypt("pw").unwrap_err();

        for n in [1u64 << 30, 3000, 0, 1] {
            let err = refused(with(&scrypt, "/crypto/kdf/params/n", json!(n)));
            assert!(
                matches!(err, KeystoreError::InvalidKdfParams(_)),
                "n = {n}: {err}"
            );
        }
        let err = refused(with(&scrypt, "/crypto/kdf/params/r", json!(1u64 << 20)));
        assert!(matches!(err, KeystoreError::InvalidKdfParams(_)), "{err}");
        let err = refused(with(&scrypt, "/crypto/kdf/params/p", json!(0)));
        assert!(matches!(err, KeystoreError::InvalidKdfParams(_)), "{err}");
        let err = refused(with(&scrypt, "/crypto/kdf/params/dklen", json!(64)));
        assert!(matches!(err, KeystoreError::InvalidKdfParams(_)), "{err}");
        let err = refused(with(&scrypt, "/crypto/kdf/params/n", json!("big")));
        assert!(matches!(err, KeystoreError::InvalidKdfParams(_)), "{err}");
        let err = refused(with(&pbkdf2, "/crypto/kdf/params/c", json!(1u64 << 40)));
        assert!(matches!(err, KeystoreError::InvalidKdfParams(_)), "{err}");
        let err = refused(with(
            &pbkdf2,
            "/crypto/kdf/params/prf",
            json!("hmac-sha512"),
        ));
        assert_eq!(err, KeystoreError::UnsupportedPrf("hmac-sha512".into()));
        let err = refused(with(&pbkdf2, "/crypto/kdf/function", json!("argon2id")));
        assert_eq!(err, KeystoreError::UnsupportedKdf("argon2id".into()));
        let err = refused(with(
            &pbkdf2,
            "/crypto/cipher/function",
            json!("aes-256-gcm"),
        ));
        assert_eq!(err, KeystoreError::UnsupportedCipher("aes-256-gcm".into()));
        let err = refused(with(&pbkdf2, "/crypto/checksum/function", json!("sha512")));
        assert_eq!(err, KeystoreError::UnsupportedChecksum("sha512".into()));
        let err = refused(with(&pbkdf2, "/crypto/cipher/params/iv", json!("00")));
        assert!(
            matches!(
                err,
                KeystoreError::InvalidField {
                    field: "cipher iv",
                    ..
                }
            ),
            "{err}"
        );
        let err = refused(with(&pbkdf2, "/crypto/cipher/message", json!("zz")));
        assert!(
            matches!(
                err,
                KeystoreError::InvalidField {
                    field: "cipher message",
                    ..
                }
            ),
            "{err}"
        );

        assert!(Keystore::encrypt(
            &sk,
            "pw",
            Kdf::Scrypt {
                n: 1 << 21,
                r: 8,
                p: 1
            },
            ""
        )
        .is_err());
        assert!(Keystore::encrypt(&sk, "pw", Kdf::Pbkdf2 { c: 0 }, "").is_err());
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(matches!(
            Keystore::from_json_str("{"),
            Err(KeystoreError::InvalidJson(_))
        ));
        assert!(matches!(
            Keystore::from_json_str("{}"),
            Err(KeystoreError::InvalidJson(_))
        ));
        let mut doc: Value = serde_json::from_str(PBKDF2_VECTOR).unwrap();
        doc["version"] = json!(3);
        assert_eq!(
            Keystore::from_json_str(&doc.to_string()).unwrap_err(),
            KeystoreError::UnsupportedVersion(3)
        );
    }

    #[test]
    fn pubkey_mismatch_is_detected() {
        let sk = SecretKey::random();
        let other = hex::encode(SecretKey::random().public_key().serialize());
        let json = Keystore::encrypt(&sk, "pw", FAST_PBKDF2, "")
            .unwrap()
            .to_json_string();
        let err = with(&json, "/pubkey", json!(other))
            .decrypt("pw")
            .unwrap_err();
        assert!(
            matches!(err, KeystoreError::PublicKeyMismatch { .. }),
            "{err}"
        );
    }
}
