//! BLS12-381 signatures over blst, as Ethereum's consensus layer uses them, and EIP-2335 keystores.
//!
//! Two layers: [`PublicKeyBytes`] and [`SignatureBytes`] are the unchecked bytes that SSZ containers hold;
//! [`PublicKey`] and [`Signature`] are points that passed decoding and subgroup checks, which is the only
//! form the verification functions take. Decode once, verify many times.

mod batch;
mod bytes;
mod interop;
mod keys;
pub mod keystore;

pub use batch::{verify_signature_sets, SignatureSet};
pub use bytes::{PublicKeyBytes, SignatureBytes};
pub use interop::{interop_secret_key, interop_secret_keys};
pub use keys::{
    hash_to_g2, AggregatePublicKey, AggregateSignature, PublicKey, SecretKey, Signature,
};
pub use keystore::{Kdf, Keystore, KeystoreError};

/// Domain separation tag of Ethereum's ciphersuite: hash to G2 with SHA-256 and SSWU, proof of possession.
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// Errors from decoding keys and signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid length: expected {expected} bytes, got {got}")]
    InvalidLength { expected: usize, got: usize },
    #[error("hex string must start with 0x")]
    MissingHexPrefix,
    #[error("invalid hex: {0}")]
    InvalidHex(String),
    /// Not the compressed encoding of a curve point (bad flags, coordinate not below the modulus, or no
    /// point with that x).
    #[error("invalid point encoding")]
    InvalidPoint,
    /// A curve point outside the prime-order subgroup.
    #[error("point is not in the prime-order subgroup")]
    NotInSubgroup,
    /// The point at infinity as a public key, which `KeyValidate` rejects: it would verify any signature
    /// that is itself infinity.
    #[error("public key is the point at infinity")]
    InfinityPublicKey,
    /// Zero, or not below the curve order.
    #[error("invalid secret key")]
    InvalidSecretKey,
    /// Aggregation of an empty list, which the spec leaves undefined.
    #[error("cannot aggregate an empty list")]
    EmptyAggregation,
}
