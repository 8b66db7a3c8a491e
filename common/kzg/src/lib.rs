//! Checks that a builder's revealed blobs bundle matches a block's KZG commitments, with every proof verified.
//!
//! When the beacon node unblinds a builder's block, the builder answers with the payload and a
//! `BlobsBundle`. The block only commits to the blobs; nothing stops a builder from returning blobs that
//! do not open those commitments, which would get the block's blobs (and so the block) rejected by the
//! network after the proposer has signed. [`verify_blobs_bundle`] catches that before publishing.
//!
//! The byte-level helpers in [`blob`] (commitments, blob proofs, cell proofs, batch verification) serve
//! the mock execution engine and tests too, so that the project has one KZG code path.

pub mod blob;
mod bundle;

pub use blob::{
    blob_from_cells, blob_from_seed, blob_to_kzg_commitment, compute_blob_kzg_proof, compute_cells,
    compute_cells_and_kzg_proofs, verify_blob_kzg_proof_batch, verify_cell_kzg_proofs_of_blobs,
};
pub use bundle::{verify_blobs_bundle, BlobsBundleRef};
pub use c_kzg::{BYTES_PER_BLOB, CELLS_PER_EXT_BLOB};

use sha2::{Digest, Sha256};
use types::{ForkName, Hash256, KzgCommitment};

/// EIP-4844 `VERSIONED_HASH_VERSION_KZG`: the first byte of a blob's versioned hash.
pub const VERSIONED_HASH_VERSION_KZG: u8 = 0x01;

/// Why a blobs bundle (or a blob) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KzgError {
    /// The bundle's shape is not the one the block's fork uses (Deneb and Electra carry one proof per
    /// blob, Fulu one per cell; Capella carries no blobs at all).
    #[error("a {fork} block takes a {expected} blobs bundle, got a {got} one")]
    WrongBundleVariant {
        fork: ForkName,
        expected: &'static str,
        got: &'static str,
    },
    /// More commitments than the fork allows: refused before any KZG work is spent on them.
    #[error("{count} blob commitments exceed the limit of {max} per block")]
    TooManyBlobs { count: usize, max: u64 },
    /// The bundle commits to a different number of blobs than the signed block.
    #[error("the bundle has {bundle} commitments, the block {block}")]
    CommitmentCountMismatch { block: usize, bundle: usize },
    /// The bundle's commitment at `index` is not the block's.
    #[error("bundle commitment {index} differs from the block's")]
    CommitmentMismatch { index: usize },
    /// The bundle carries a different number of blobs than commitments.
    #[error("the bundle has {blobs} blobs for {commitments} commitments")]
    BlobCountMismatch { commitments: usize, blobs: usize },
    /// Wrong number of proofs: one per blob before Fulu, `CELLS_PER_EXT_BLOB` per blob from Fulu.
    #[error("expected {expected} KZG proofs ({per_blob} per blob), got {got}")]
    ProofCountMismatch {
        expected: usize,
        got: usize,
        per_blob: usize,
    },
    /// A blob is not `BYTES_PER_BLOB` long.
    #[error("blob {index} is {len} bytes, not {BYTES_PER_BLOB}")]
    BlobLength { index: usize, len: usize },
    /// A blob's field element is not canonical (not below the BLS modulus), so it is no polynomial.
    #[error("blob {index}: field element {element} is not below the BLS modulus")]
    BadBlobEncoding { index: usize, element: usize },
    /// The commitment at `index` is not a compressed G1 point of the prime-order subgroup (nor the
    /// point at infinity), so it commits to nothing.
    #[error("blob commitment {index} is not a valid G1 point")]
    InvalidCommitment { index: usize },
    /// The proof at `index` (a blob proof, or for Fulu `blob * CELLS_PER_EXT_BLOB + cell`) is not a
    /// valid compressed G1 point.
    #[error("KZG proof {index} is not a valid G1 point")]
    InvalidProof { index: usize },
    /// The inputs are well formed but the proofs do not open the commitments to the blobs.
    #[error("KZG proof verification failed")]
    ProofVerificationFailed,
    /// c-kzg refused an input for a reason not found above (the points were checked when it did).
    #[error("c-kzg refused the input: {0}")]
    InvalidInput(String),
}

/// The Ethereum trusted setup (mainnet ceremony), loaded on first use (about a second), shared after.
pub fn settings() -> &'static c_kzg::KzgSettings {
    c_kzg::ethereum_kzg_settings(0)
}

/// `kzg_to_versioned_hash`: how the execution layer names a blob (blob transactions carry these).
pub fn kzg_to_versioned_hash(commitment: &KzgCommitment) -> Hash256 {
    let mut hash: [u8; 32] = Sha256::digest(commitment.as_bytes()).into();
    hash[0] = VERSIONED_HASH_VERSION_KZG;
    Hash256::from(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_hash_sets_the_version_byte_and_keeps_the_digest() {
        let commitment = KzgCommitment::from_slice(&[7u8; 48]).unwrap();
        let hash = kzg_to_versioned_hash(&commitment);
        let digest: [u8; 32] = Sha256::digest([7u8; 48]).into();
        assert_eq!(hash[0], VERSIONED_HASH_VERSION_KZG);
        assert_eq!(hash[1..], digest[1..]);
    }
}
