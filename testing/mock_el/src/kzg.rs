//! Real KZG commitments and proofs (c-kzg with the Ethereum trusted setup) for the blobs the mock
//! puts into payloads or receives in blob transactions.

use alloy_primitives::B256;
use c_kzg::{Blob, Bytes48, KzgSettings, BYTES_PER_BLOB};
use sha2::{Digest, Sha256};

/// EIP-4844 `VERSIONED_HASH_VERSION_KZG`.
pub const VERSIONED_HASH_VERSION_KZG: u8 = 0x01;

/// The Ethereum trusted setup, loaded on first use (about a second).
pub fn settings() -> &'static KzgSettings {
    c_kzg::ethereum_kzg_settings(0)
}

/// `kzg_to_versioned_hash`.
pub fn versioned_hash(commitment: &[u8; 48]) -> B256 {
    let mut h: [u8; 32] = Sha256::digest(commitment).into();
    h[0] = VERSIONED_HASH_VERSION_KZG;
    B256::from(h)
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

/// A deterministic blob from `seed`: each field element's first byte is zero, so all are canonical.
pub fn blob_from_seed(seed: &[u8]) -> Vec<u8> {
    let mut blob = vec![0u8; BYTES_PER_BLOB];
    for (counter, chunk) in blob.chunks_mut(32).enumerate() {
        let mut h = Sha256::new();
        h.update(seed);
        h.update((counter as u64).to_le_bytes());
        chunk.copy_from_slice(&h.finalize());
        chunk[0] = 0;
    }
    blob
}

/// A blob for c-kzg, on the heap: a `Blob` is 128 KiB, and unoptimised builds copy it around.
fn c_blob(blob: &[u8]) -> Result<Box<Blob>, String> {
    Blob::from_bytes(blob)
        .map(Box::new)
        .map_err(|e| format!("blob: {e:?}"))
}

/// The commitment of `blob`, and its blob proof (`with_blob_proof`) and/or cell proofs.
pub fn commit(
    blob: Vec<u8>,
    with_blob_proof: bool,
    with_cells: bool,
) -> Result<StoredBlob, String> {
    let s = settings();
    let b = c_blob(&blob)?;
    let commitment = s
        .blob_to_kzg_commitment(&b)
        .map_err(|e| format!("commitment: {e:?}"))?
        .to_bytes();
    let proof = if with_blob_proof {
        Some(
            *s.compute_blob_kzg_proof(&b, &commitment)
                .map_err(|e| format!("proof: {e:?}"))?
                .to_bytes(),
        )
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
        commitment: *commitment,
        proof,
        cell_proofs,
    })
}

/// The 128 cell proofs of `blob`.
pub fn cell_proofs(blob: &[u8]) -> Result<Vec<[u8; 48]>, String> {
    let (_, proofs) = settings()
        .compute_cells_and_kzg_proofs(&*c_blob(blob)?)
        .map_err(|e| format!("cell proofs: {e:?}"))?;
    Ok(proofs.iter().map(|p| *p.to_bytes()).collect())
}

/// The blob proof of `blob` against `commitment`.
pub fn blob_proof(blob: &[u8], commitment: &[u8; 48]) -> Result<[u8; 48], String> {
    Ok(*settings()
        .compute_blob_kzg_proof(&*c_blob(blob)?, &Bytes48::new(*commitment))
        .map_err(|e| format!("proof: {e:?}"))?
        .to_bytes())
}

/// Checks each blob's proof (`verify_blob_kzg_proof`).
pub fn verify_blob_proofs(
    blobs: &[Vec<u8>],
    commitments: &[[u8; 48]],
    proofs: &[[u8; 48]],
) -> Result<bool, String> {
    if blobs.len() != commitments.len() || blobs.len() != proofs.len() {
        return Err("blob, commitment and proof counts differ".into());
    }
    for ((blob, c), p) in blobs.iter().zip(commitments).zip(proofs) {
        let ok = settings()
            .verify_blob_kzg_proof(&*c_blob(blob)?, &Bytes48::new(*c), &Bytes48::new(*p))
            .map_err(|e| format!("verify: {e:?}"))?;
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `verify_cell_kzg_proof_batch` over all cells of each blob.
pub fn verify_cell_proofs(
    blobs: &[Vec<u8>],
    commitments: &[[u8; 48]],
    proofs: &[[u8; 48]],
) -> Result<bool, String> {
    let s = settings();
    let n = c_kzg::CELLS_PER_EXT_BLOB;
    if blobs.len() != commitments.len() || proofs.len() != blobs.len() * n {
        return Err("blob, commitment and cell proof counts differ".into());
    }
    let mut all_cells = Vec::with_capacity(blobs.len() * n);
    let mut all_commitments = Vec::with_capacity(blobs.len() * n);
    let mut indices = Vec::with_capacity(blobs.len() * n);
    for (blob, commitment) in blobs.iter().zip(commitments) {
        let cells = s
            .compute_cells(&*c_blob(blob)?)
            .map_err(|e| format!("cells: {e:?}"))?;
        all_cells.extend(cells.iter().cloned());
        all_commitments.extend(std::iter::repeat_n(Bytes48::new(*commitment), n));
        indices.extend(0..n as u64);
    }
    let p: Vec<Bytes48> = proofs.iter().map(|p| Bytes48::new(*p)).collect();
    s.verify_cell_kzg_proof_batch(&all_commitments, &indices, &all_cells, &p)
        .map_err(|e| format!("verify cells: {e:?}"))
}
