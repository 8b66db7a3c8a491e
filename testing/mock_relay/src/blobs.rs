//! The blob faults of the reveal: a bundle that does not fit the signed block's `blob_kzg_commitments`
//! in each of the ways a client's unblinding check (`kzg::verify_blobs_bundle`) must tell apart.
//! The faults are only visible on bids that carry blobs (mock-el's `blobs_per_payload`).

use crate::faults::RelayFaults;
use engine_api::{BlobsBundle, Bytes48};

/// Seed of the blob the `blobs_mismatched` fault puts in place of the first one.
const SWAPPED_BLOB_SEED: &[u8] = b"mock-relay blobs_mismatched";

/// The engine's bundle with the blob faults in force applied; unchanged without blobs or faults.
pub(crate) fn apply_blob_faults(
    bundle: &BlobsBundle,
    faults: &RelayFaults,
) -> Result<BlobsBundle, String> {
    let mut bundle = bundle.clone();
    let blobs = bundle.blobs.len();
    if blobs == 0 || bundle.commitments.len() != blobs || !bundle.proofs.len().is_multiple_of(blobs)
    {
        return Ok(bundle);
    }
    // One blob proof per blob before Fulu, one proof per cell from Fulu.
    let per_blob = bundle.proofs.len() / blobs;
    if faults.blobs_mismatched {
        // A blob whose commitment and proofs are its own: the bundle verifies by itself, so only the
        // comparison with the block's commitments can catch it.
        let blob = kzg::blob_from_seed(SWAPPED_BLOB_SEED);
        let commitment = kzg::blob_to_kzg_commitment(&blob).map_err(|e| e.to_string())?;
        let proofs = if per_blob == 1 {
            vec![kzg::compute_blob_kzg_proof(&blob, &commitment).map_err(|e| e.to_string())?]
        } else {
            kzg::compute_cells_and_kzg_proofs(&blob).map_err(|e| e.to_string())?
        };
        if proofs.len() != per_blob {
            return Err(format!(
                "{} proofs for the swapped blob, {per_blob} expected",
                proofs.len()
            ));
        }
        bundle.blobs[0] = blob.into();
        bundle.commitments[0] = Bytes48::from(commitment);
        for (slot, proof) in bundle.proofs[..per_blob].iter_mut().zip(proofs) {
            *slot = Bytes48::from(proof);
        }
    }
    if faults.blobs_bad_proof {
        // The blob's own commitment as its (first) proof: a valid G1 point, so the proof is well formed
        // and only verification fails.
        bundle.proofs[0] = bundle.commitments[0];
    }
    if faults.blobs_missing {
        bundle.blobs.pop();
        bundle.commitments.pop();
        let keep = bundle.proofs.len() - per_blob;
        bundle.proofs.truncate(keep);
    }
    Ok(bundle)
}
