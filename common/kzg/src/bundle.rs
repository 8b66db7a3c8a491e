//! The unblinding check on a builder's `BlobsBundle`: same commitments as the signed block, blobs that
//! open them, proofs that verify.

use crate::blob::{verify_blob_kzg_proof_batch, verify_cell_kzg_proofs_of_blobs};
use crate::KzgError;
use types::{
    BlobsBundleDeneb, BlobsBundleFulu, EthSpec, ExecutionPayloadAndBlobsBundle, ForkName,
    KzgCommitment,
};

/// A borrowed builder-specs `BlobsBundle` of either shape, so callers need not clone 128 KiB blobs to
/// hand them over.
#[derive(Debug)]
pub enum BlobsBundleRef<'a, E: EthSpec> {
    /// Deneb and Electra: one blob proof per blob.
    Deneb(&'a BlobsBundleDeneb<E>),
    /// Fulu (EIP-7594): `CELLS_PER_EXT_BLOB` cell proofs per blob.
    Fulu(&'a BlobsBundleFulu<E>),
}

impl<E: EthSpec> Clone for BlobsBundleRef<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: EthSpec> Copy for BlobsBundleRef<'_, E> {}

impl<'a, E: EthSpec> From<&'a BlobsBundleDeneb<E>> for BlobsBundleRef<'a, E> {
    fn from(bundle: &'a BlobsBundleDeneb<E>) -> Self {
        Self::Deneb(bundle)
    }
}

impl<'a, E: EthSpec> From<&'a BlobsBundleFulu<E>> for BlobsBundleRef<'a, E> {
    fn from(bundle: &'a BlobsBundleFulu<E>) -> Self {
        Self::Fulu(bundle)
    }
}

impl<'a, E: EthSpec> From<&'a ExecutionPayloadAndBlobsBundle<E>> for BlobsBundleRef<'a, E> {
    fn from(revealed: &'a ExecutionPayloadAndBlobsBundle<E>) -> Self {
        match revealed {
            ExecutionPayloadAndBlobsBundle::Deneb(r) => Self::Deneb(&r.blobs_bundle),
            ExecutionPayloadAndBlobsBundle::Electra(r) => Self::Deneb(&r.blobs_bundle),
            ExecutionPayloadAndBlobsBundle::Fulu(r) => Self::Fulu(&r.blobs_bundle),
        }
    }
}

impl<E: EthSpec> BlobsBundleRef<'_, E> {
    /// The shape's name, for errors.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Self::Deneb(_) => "deneb",
            Self::Fulu(_) => "fulu",
        }
    }

    /// The bundle's own commitments.
    pub fn commitments(&self) -> &[KzgCommitment] {
        match self {
            Self::Deneb(b) => &b.commitments,
            Self::Fulu(b) => &b.commitments,
        }
    }
}

/// Verifies a builder's blobs bundle against the signed block's `blob_kzg_commitments`.
///
/// In order, each refused with its own [`KzgError`]: the bundle shape must be the fork's; the block's
/// commitment count must be within `max_blobs_per_block` (`get_max_blobs_per_block` at the block's
/// epoch) so that a hostile bundle cannot buy unbounded KZG work; the bundle's commitments must equal
/// the block's one for one; there must be one blob per commitment and one proof per blob (Deneb,
/// Electra) or per cell (Fulu); every blob must be canonical; and the proofs must verify
/// (`verify_blob_kzg_proof_batch`, or `verify_cell_kzg_proof_batch` over all cells of each blob).
pub fn verify_blobs_bundle<E: EthSpec>(
    fork: ForkName,
    max_blobs_per_block: u64,
    commitments: &[KzgCommitment],
    bundle: BlobsBundleRef<'_, E>,
) -> Result<(), KzgError> {
    let expected = match fork {
        ForkName::Capella => "none",
        ForkName::Deneb | ForkName::Electra => "deneb",
        ForkName::Fulu => "fulu",
    };
    if expected != bundle.variant_name() {
        return Err(KzgError::WrongBundleVariant {
            fork,
            expected,
            got: bundle.variant_name(),
        });
    }
    if commitments.len() as u64 > max_blobs_per_block {
        return Err(KzgError::TooManyBlobs {
            count: commitments.len(),
            max: max_blobs_per_block,
        });
    }
    let bundle_commitments = bundle.commitments();
    if bundle_commitments.len() != commitments.len() {
        return Err(KzgError::CommitmentCountMismatch {
            block: commitments.len(),
            bundle: bundle_commitments.len(),
        });
    }
    if let Some(index) = commitments
        .iter()
        .zip(bundle_commitments)
        .position(|(block, bundle)| block != bundle)
    {
        return Err(KzgError::CommitmentMismatch { index });
    }
    let commitment_bytes: Vec<[u8; 48]> = commitments.iter().map(|c| c.0).collect();
    match bundle {
        BlobsBundleRef::Deneb(b) => {
            let blobs: Vec<&[u8]> = b.blobs.iter().map(|blob| &blob[..]).collect();
            let proofs: Vec<[u8; 48]> = b.proofs.iter().map(|p| p.0).collect();
            verify_blob_kzg_proof_batch(&blobs, &commitment_bytes, &proofs)
        }
        BlobsBundleRef::Fulu(b) => {
            let blobs: Vec<&[u8]> = b.blobs.iter().map(|blob| &blob[..]).collect();
            let proofs: Vec<[u8; 48]> = b.proofs.iter().map(|p| p.0).collect();
            verify_cell_kzg_proofs_of_blobs(&blobs, &commitment_bytes, &proofs)
        }
    }
}
