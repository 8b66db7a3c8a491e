//! The mock's blobs: what it keeps per blob, over the project's KZG crate (c-kzg with the Ethereum
//! trusted setup) for commitments, proofs and their verification.

use alloy_primitives::B256;
use types::PublicKeyBytes;

pub use ::kzg::blob_from_seed;

/// `kzg_to_versioned_hash`.
pub fn versioned_hash(commitment: &[u8; 48]) -> B256 {
    ::kzg::kzg_to_versioned_hash(&PublicKeyBytes(*commitment))
}

/// A blob with its commitment and proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub blob: Vec<u8>,
    pub commitment: [u8; 48],
    /// The EIP-4844 blob proof, if known.
    pub proof: Option<[u8; 48]>,
    /// The 128 EIP-7594 cell proofs, if known.
    pub cell_proofs: Option<Vec<[u8; 48]>>,
}

/// The commitment of `blob`, and its blob proof (`with_blob_proof`) and/or cell proofs.
pub fn commit(
    blob: Vec<u8>,
    with_blob_proof: bool,
    with_cells: bool,
) -> Result<StoredBlob, String> {
    let commitment =
        ::kzg::blob_to_kzg_commitment(&blob).map_err(|e| format!("commitment: {e}"))?;
    let proof = if with_blob_proof {
        Some(blob_proof(&blob, &commitment)?)
    } else {
        None
    };
    let cell_proofs = if with_cells {
        Some(cell_proofs(&blob)?)
    } else {
        None
    };
    Ok(StoredBlob {
        blob,
        commitment,
        proof,
        cell_proofs,
    })
}

/// The 128 cell proofs of `blob`.
pub fn cell_proofs(blob: &[u8]) -> Result<Vec<[u8; 48]>, String> {
    ::kzg::compute_cells_and_kzg_proofs(blob).map_err(|e| format!("cell proofs: {e}"))
}

/// The blob proof of `blob` against `commitment`.
pub fn blob_proof(blob: &[u8], commitment: &[u8; 48]) -> Result<[u8; 48], String> {
    ::kzg::compute_blob_kzg_proof(blob, commitment).map_err(|e| format!("proof: {e}"))
}

/// A verification outcome as the mock reports it: `Ok(false)` when the proofs do not verify, `Err`
/// when the input is malformed.
fn verdict(result: Result<(), ::kzg::KzgError>) -> Result<bool, String> {
    match result {
        Ok(()) => Ok(true),
        Err(::kzg::KzgError::ProofVerificationFailed) => Ok(false),
        Err(e) => Err(format!("verify: {e}")),
    }
}

/// Checks each blob's proof (`verify_blob_kzg_proof_batch`).
pub fn verify_blob_proofs(
    blobs: &[Vec<u8>],
    commitments: &[[u8; 48]],
    proofs: &[[u8; 48]],
) -> Result<bool, String> {
    verdict(::kzg::verify_blob_kzg_proof_batch(
        blobs,
        commitments,
        proofs,
    ))
}

/// `verify_cell_kzg_proof_batch` over all cells of each blob.
pub fn verify_cell_proofs(
    blobs: &[Vec<u8>],
    commitments: &[[u8; 48]],
    proofs: &[[u8; 48]],
) -> Result<bool, String> {
    verdict(::kzg::verify_cell_kzg_proofs_of_blobs(
        blobs,
        commitments,
        proofs,
    ))
}
