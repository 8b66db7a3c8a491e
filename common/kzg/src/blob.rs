//! Byte-level KZG over blobs: commitments, blob proofs, cell proofs and their batch verification.
//!
//! Inputs are plain bytes (`&[u8]` blobs, 48-byte commitments and proofs) so that the engine-side code
//! (the mock execution engine, blob transactions) and the builder-side bundle check share one path.
//! Callers bound the number of blobs before calling: each blob costs 128 KiB here, and 256 KiB more
//! for its cells when cell proofs are verified.

use crate::KzgError;
use c_kzg::{
    Blob, Bytes48, Cell, BYTES_PER_BLOB, BYTES_PER_CELL, BYTES_PER_FIELD_ELEMENT,
    CELLS_PER_EXT_BLOB,
};
use sha2::{Digest, Sha256};

/// `BLS_MODULUS`, big-endian: a blob's field elements must be below it (`bytes_to_bls_field`).
const BLS_MODULUS: [u8; 32] = [
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

/// Checks a blob's length and that each field element is canonical (`blob_to_polynomial`'s
/// precondition), so that a malformed blob is reported as such rather than as an opaque c-kzg error.
pub fn validate_blob(index: usize, blob: &[u8]) -> Result<(), KzgError> {
    if blob.len() != BYTES_PER_BLOB {
        return Err(KzgError::BlobLength {
            index,
            len: blob.len(),
        });
    }
    // Big-endian byte arrays of equal length compare like the integers they encode.
    match blob
        .chunks_exact(BYTES_PER_FIELD_ELEMENT)
        .position(|element| element >= &BLS_MODULUS[..])
    {
        Some(element) => Err(KzgError::BadBlobEncoding { index, element }),
        None => Ok(()),
    }
}

/// Validated copies of `blobs` in c-kzg's layout, built in place on the heap (a `Blob` is 128 KiB).
fn c_blobs<B: AsRef<[u8]>>(blobs: &[B]) -> Result<Vec<Blob>, KzgError> {
    for (index, blob) in blobs.iter().enumerate() {
        validate_blob(index, blob.as_ref())?;
    }
    let mut out = vec![Blob::default(); blobs.len()];
    for (c_blob, blob) in out.iter_mut().zip(blobs) {
        c_blob.copy_from_slice(blob.as_ref());
    }
    Ok(out)
}

fn c_error(e: c_kzg::Error) -> KzgError {
    KzgError::InvalidInput(format!("{e:?}"))
}

/// The compressed G1 point at infinity: a valid commitment (to the zero blob) and proof.
const G1_INFINITY: [u8; 48] = {
    let mut bytes = [0u8; 48];
    bytes[0] = 0xc0;
    bytes
};

/// Whether c-kzg takes `bytes` as a commitment or proof: the point at infinity, or a compressed point of
/// the prime-order subgroup (what a BLS public key is, less the infinity that keys may not be).
fn is_g1_point(bytes: &[u8; 48]) -> bool {
    *bytes == G1_INFINITY || bls::PublicKey::from_bytes(bytes).is_ok()
}

/// A batch call's refusal, named: c-kzg only says "bad arguments" for a whole batch, so on that path
/// (and only then) the points are checked one by one to name the first bad commitment or proof.
fn batch_error(e: c_kzg::Error, commitments: &[[u8; 48]], proofs: &[[u8; 48]]) -> KzgError {
    if let Some(index) = commitments.iter().position(|c| !is_g1_point(c)) {
        return KzgError::InvalidCommitment { index };
    }
    if let Some(index) = proofs.iter().position(|p| !is_g1_point(p)) {
        return KzgError::InvalidProof { index };
    }
    c_error(e)
}

fn bytes48(items: &[[u8; 48]]) -> Vec<Bytes48> {
    items.iter().map(|b| Bytes48::new(*b)).collect()
}

/// A deterministic, canonical blob from `seed` (each field element's first byte is zero), for mocks,
/// tests and benches that need real-looking blobs without a transaction pool.
pub fn blob_from_seed(seed: &[u8]) -> Vec<u8> {
    let mut blob = vec![0u8; BYTES_PER_BLOB];
    for (counter, chunk) in blob.chunks_mut(BYTES_PER_FIELD_ELEMENT).enumerate() {
        let mut h = Sha256::new();
        h.update(seed);
        h.update((counter as u64).to_le_bytes());
        chunk.copy_from_slice(&h.finalize());
        chunk[0] = 0;
    }
    blob
}

/// `blob_to_kzg_commitment`.
pub fn blob_to_kzg_commitment(blob: &[u8]) -> Result<[u8; 48], KzgError> {
    let blob = &c_blobs(&[blob])?[0];
    Ok(*crate::settings()
        .blob_to_kzg_commitment(blob)
        .map_err(c_error)?
        .to_bytes())
}

/// `compute_blob_kzg_proof`: the Deneb-style proof of `blob` against `commitment`.
pub fn compute_blob_kzg_proof(blob: &[u8], commitment: &[u8; 48]) -> Result<[u8; 48], KzgError> {
    let blob = &c_blobs(&[blob])?[0];
    Ok(*crate::settings()
        .compute_blob_kzg_proof(blob, &Bytes48::new(*commitment))
        .map_err(c_error)?
        .to_bytes())
}

/// `compute_cells_and_kzg_proofs`, keeping the `CELLS_PER_EXT_BLOB` proofs (EIP-7594): the cells
/// themselves are cheap to recompute from the blob and are not carried by bundles.
pub fn compute_cells_and_kzg_proofs(blob: &[u8]) -> Result<Vec<[u8; 48]>, KzgError> {
    let blob = &c_blobs(&[blob])?[0];
    let (_, proofs) = crate::settings()
        .compute_cells_and_kzg_proofs(blob)
        .map_err(c_error)?;
    Ok(proofs.iter().map(|p| *p.to_bytes()).collect())
}

/// `compute_cells` (EIP-7594): the `CELLS_PER_EXT_BLOB` cells of the extended blob, each
/// `BYTES_PER_CELL` bytes. A node that stores a Fulu block's data columns computes them from the blobs.
pub fn compute_cells(blob: &[u8]) -> Result<Vec<Vec<u8>>, KzgError> {
    let blob = &c_blobs(&[blob])?[0];
    let cells = crate::settings().compute_cells(blob).map_err(c_error)?;
    Ok(cells.iter().map(|cell| cell.to_bytes().to_vec()).collect())
}

/// A blob from some of its extended blob's cells (EIP-7594): `recover_cells_and_kzg_proofs` (as
/// `recover_matrix` applies it) when any of the first `CELLS_PER_EXT_BLOB / 2` cells is missing, then
/// the blob as those first cells joined (the extension is systematic: they are the blob's own
/// evaluations). Needs at least half the cells; `cell_indices` and `cells` pair up.
pub fn blob_from_cells<C: AsRef<[u8]>>(
    cell_indices: &[u64],
    cells: &[C],
) -> Result<Vec<u8>, KzgError> {
    let half = CELLS_PER_EXT_BLOB / 2;
    if cell_indices.len() != cells.len() {
        return Err(KzgError::InvalidInput(format!(
            "{} cell indices for {} cells",
            cell_indices.len(),
            cells.len()
        )));
    }
    let mut first: Vec<Option<&[u8]>> = vec![None; half];
    for (&index, cell) in cell_indices.iter().zip(cells) {
        if cell.as_ref().len() != BYTES_PER_CELL {
            return Err(KzgError::InvalidInput(format!(
                "cell {index} has {} bytes, not {BYTES_PER_CELL}",
                cell.as_ref().len()
            )));
        }
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| first.get_mut(i)) {
            *slot = Some(cell.as_ref());
        }
    }
    if first.iter().all(Option::is_some) {
        return Ok(first.into_iter().flatten().flatten().copied().collect());
    }
    if cells.len() < half {
        return Err(KzgError::InvalidInput(format!(
            "{} cells of {CELLS_PER_EXT_BLOB}: at least {half} are needed to recover a blob",
            cells.len()
        )));
    }
    let c_cells = cells
        .iter()
        .map(|c| Cell::from_bytes(c.as_ref()).map_err(c_error))
        .collect::<Result<Vec<_>, _>>()?;
    let (recovered, _) = crate::settings()
        .recover_cells_and_kzg_proofs(cell_indices, &c_cells)
        .map_err(c_error)?;
    Ok(recovered[..half]
        .iter()
        .flat_map(|cell| cell.to_bytes())
        .collect())
}

/// `verify_blob_kzg_proof_batch`: one proof per blob (Deneb, Electra).
pub fn verify_blob_kzg_proof_batch<B: AsRef<[u8]>>(
    blobs: &[B],
    commitments: &[[u8; 48]],
    proofs: &[[u8; 48]],
) -> Result<(), KzgError> {
    check_counts(blobs.len(), commitments.len(), proofs.len(), 1)?;
    let c_blobs = c_blobs(blobs)?;
    let ok = crate::settings()
        .verify_blob_kzg_proof_batch(&c_blobs, &bytes48(commitments), &bytes48(proofs))
        .map_err(|e| batch_error(e, commitments, proofs))?;
    ok.then_some(()).ok_or(KzgError::ProofVerificationFailed)
}

/// `verify_cell_kzg_proof_batch` over every cell of every blob (EIP-7594): the cells come from
/// `compute_cells`, and `proofs[i * CELLS_PER_EXT_BLOB + j]` proves cell `j` of blob `i`.
pub fn verify_cell_kzg_proofs_of_blobs<B: AsRef<[u8]>>(
    blobs: &[B],
    commitments: &[[u8; 48]],
    proofs: &[[u8; 48]],
) -> Result<(), KzgError> {
    check_counts(
        blobs.len(),
        commitments.len(),
        proofs.len(),
        CELLS_PER_EXT_BLOB,
    )?;
    let s = crate::settings();
    let c_blobs = c_blobs(blobs)?;
    let total = blobs.len() * CELLS_PER_EXT_BLOB;
    let mut cells = Vec::with_capacity(total);
    let mut cell_commitments = Vec::with_capacity(total);
    let mut indices = Vec::with_capacity(total);
    for (blob, commitment) in c_blobs.iter().zip(commitments) {
        cells.extend_from_slice(&s.compute_cells(blob).map_err(c_error)?[..]);
        cell_commitments.extend(std::iter::repeat_n(
            Bytes48::new(*commitment),
            CELLS_PER_EXT_BLOB,
        ));
        indices.extend(0..CELLS_PER_EXT_BLOB as u64);
    }
    let ok = s
        .verify_cell_kzg_proof_batch(&cell_commitments, &indices, &cells, &bytes48(proofs))
        .map_err(|e| batch_error(e, commitments, proofs))?;
    ok.then_some(()).ok_or(KzgError::ProofVerificationFailed)
}

fn check_counts(
    blobs: usize,
    commitments: usize,
    proofs: usize,
    per_blob: usize,
) -> Result<(), KzgError> {
    if blobs != commitments {
        return Err(KzgError::BlobCountMismatch { commitments, blobs });
    }
    let expected = blobs * per_blob;
    if proofs != expected {
        return Err(KzgError::ProofCountMismatch {
            expected,
            got: proofs,
            per_blob,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_comes_back_from_its_first_cells_or_any_half() {
        let blob = blob_from_seed(b"cells");
        let cells = compute_cells(&blob).unwrap();
        let all: Vec<u64> = (0..CELLS_PER_EXT_BLOB as u64).collect();
        assert_eq!(blob_from_cells(&all, &cells).unwrap(), blob);
        // The second half only: recovered.
        let half = CELLS_PER_EXT_BLOB / 2;
        let upper: Vec<u64> = (half as u64..CELLS_PER_EXT_BLOB as u64).collect();
        assert_eq!(blob_from_cells(&upper, &cells[half..]).unwrap(), blob);
        // Too few cells: an error, not a panic.
        assert!(blob_from_cells(&upper[1..], &cells[half + 1..]).is_err());
        assert!(blob_from_cells(&[0], &[vec![0u8; 5]]).is_err());
    }

    #[test]
    fn seeded_blobs_are_canonical_and_distinct() {
        let a = blob_from_seed(b"a");
        assert_eq!(validate_blob(0, &a), Ok(()));
        assert_ne!(a, blob_from_seed(b"b"));
        assert_eq!(a, blob_from_seed(b"a"));
    }

    #[test]
    fn the_modulus_itself_is_not_canonical_and_one_below_is() {
        let mut blob = vec![0u8; BYTES_PER_BLOB];
        blob[64..96].copy_from_slice(&BLS_MODULUS);
        assert_eq!(
            validate_blob(3, &blob),
            Err(KzgError::BadBlobEncoding {
                index: 3,
                element: 2
            })
        );
        blob[95] = 0;
        assert_eq!(validate_blob(3, &blob), Ok(()));
    }

    #[test]
    fn infinity_is_a_point_and_garbage_is_not() {
        assert!(is_g1_point(&G1_INFINITY));
        let commitment = blob_to_kzg_commitment(&blob_from_seed(b"p")).unwrap();
        assert!(is_g1_point(&commitment));
        assert!(!is_g1_point(&[0xff; 48]));
        assert!(!is_g1_point(&[0x11; 48]));
        // The zero blob commits to infinity.
        assert_eq!(
            blob_to_kzg_commitment(&vec![0u8; BYTES_PER_BLOB]),
            Ok(G1_INFINITY)
        );
    }

    #[test]
    fn short_blob_is_refused_by_length() {
        assert_eq!(
            validate_blob(1, &[0u8; 100]),
            Err(KzgError::BlobLength { index: 1, len: 100 })
        );
        assert_eq!(
            blob_to_kzg_commitment(&[0u8; 100]),
            Err(KzgError::BlobLength { index: 0, len: 100 })
        );
    }

    #[test]
    fn counts_are_checked_before_any_work() {
        let blob = vec![0u8; BYTES_PER_BLOB];
        assert_eq!(
            verify_blob_kzg_proof_batch(&[&blob], &[], &[]),
            Err(KzgError::BlobCountMismatch {
                commitments: 0,
                blobs: 1
            })
        );
        assert_eq!(
            verify_cell_kzg_proofs_of_blobs(&[&blob], &[[0; 48]], &[[0; 48]]),
            Err(KzgError::ProofCountMismatch {
                expected: CELLS_PER_EXT_BLOB,
                got: 1,
                per_blob: CELLS_PER_EXT_BLOB
            })
        );
    }
}
