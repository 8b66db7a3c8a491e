//! Blobs bundles in consensus types: the local payload's (converted from the engine API's JSON) and a
//! builder's (as revealed by submitBlindedBlock). The unblinding check against the signed block's
//! commitments is [`kzg::verify_blobs_bundle`], over [`BlobsBundle::as_ref`].

use kzg::BlobsBundleRef;
use types::ssz_types::VariableList;
use types::{
    Blob, BlobsBundleDeneb, BlobsBundleFulu, EthSpec, ExecutionPayloadAndBlobsBundle, ForkName,
    KzgCommitment, PublicKeyBytes,
};

/// A `BlobsBundle` of either shape: one proof per blob (Deneb, Electra) or one per cell (Fulu).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobsBundle<E: EthSpec> {
    /// Deneb and Electra.
    Deneb(BlobsBundleDeneb<E>),
    /// Fulu on.
    Fulu(BlobsBundleFulu<E>),
}

/// Why the engine's blobs bundle could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobsBundleError {
    /// Capella payloads carry no blobs.
    #[error("a {0} payload carries no blobs bundle")]
    NoBlobsAtFork(ForkName),
    /// A blob of the wrong size.
    #[error("blob {index} is {len} bytes")]
    BlobLength {
        /// The blob's position.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A list longer than its SSZ limit.
    #[error("{what} list of {len} exceeds its limit")]
    TooLong {
        /// Which list.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

impl<E: EthSpec> BlobsBundle<E> {
    /// Converts the engine API's `BlobsBundleV1`/`V2` of a `fork` payload, bounding every list.
    pub fn from_engine(
        fork: ForkName,
        bundle: &engine_api::BlobsBundle,
    ) -> Result<Self, BlobsBundleError> {
        let too_long = |what, len| BlobsBundleError::TooLong { what, len };
        let commitments: Vec<KzgCommitment> = bundle
            .commitments
            .iter()
            .map(|c| PublicKeyBytes(c.0))
            .collect();
        let commitments = VariableList::new(commitments)
            .map_err(|_| too_long("commitments", bundle.commitments.len()))?;
        if bundle.blobs.len() > E::max_blob_commitments_per_block() {
            return Err(too_long("blobs", bundle.blobs.len()));
        }
        let blobs = bundle
            .blobs
            .iter()
            .enumerate()
            .map(|(index, blob)| {
                Blob::<E>::new(blob.to_vec()).map_err(|_| BlobsBundleError::BlobLength {
                    index,
                    len: blob.len(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let blobs = VariableList::new(blobs).map_err(|_| too_long("blobs", bundle.blobs.len()))?;
        let proofs: Vec<PublicKeyBytes> =
            bundle.proofs.iter().map(|p| PublicKeyBytes(p.0)).collect();
        match fork {
            ForkName::Capella => Err(BlobsBundleError::NoBlobsAtFork(fork)),
            ForkName::Deneb | ForkName::Electra => Ok(Self::Deneb(BlobsBundleDeneb {
                commitments,
                proofs: VariableList::new(proofs)
                    .map_err(|_| too_long("proofs", bundle.proofs.len()))?,
                blobs,
            })),
            ForkName::Fulu => Ok(Self::Fulu(BlobsBundleFulu {
                commitments,
                proofs: VariableList::new(proofs)
                    .map_err(|_| too_long("proofs", bundle.proofs.len()))?,
                blobs,
            })),
        }
    }

    /// The bundle a builder revealed with its payload.
    pub fn from_revealed(revealed: &ExecutionPayloadAndBlobsBundle<E>) -> Self {
        match revealed {
            ExecutionPayloadAndBlobsBundle::Deneb(r) => Self::Deneb(r.blobs_bundle.clone()),
            ExecutionPayloadAndBlobsBundle::Electra(r) => Self::Deneb(r.blobs_bundle.clone()),
            ExecutionPayloadAndBlobsBundle::Fulu(r) => Self::Fulu(r.blobs_bundle.clone()),
        }
    }

    /// A borrowed view, for [`kzg::verify_blobs_bundle`].
    pub fn as_ref(&self) -> BlobsBundleRef<'_, E> {
        match self {
            Self::Deneb(b) => BlobsBundleRef::Deneb(b),
            Self::Fulu(b) => BlobsBundleRef::Fulu(b),
        }
    }

    /// The bundle's commitments.
    pub fn commitments(&self) -> &[KzgCommitment] {
        match self {
            Self::Deneb(b) => &b.commitments,
            Self::Fulu(b) => &b.commitments,
        }
    }

    /// The number of blobs.
    pub fn len(&self) -> usize {
        match self {
            Self::Deneb(b) => b.blobs.len(),
            Self::Fulu(b) => b.blobs.len(),
        }
    }

    /// Whether the bundle has no blobs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, FixedBytes};
    use kzg::KzgError;
    use types::MainnetEthSpec;

    type E = MainnetEthSpec;

    fn engine_bundle(blobs: usize, per_blob_proofs: usize) -> engine_api::BlobsBundle {
        let mut bundle = engine_api::BlobsBundle::default();
        for i in 0..blobs {
            let blob = kzg::blob_from_seed(&[i as u8]);
            let commitment = kzg::blob_to_kzg_commitment(&blob).unwrap();
            if per_blob_proofs == 1 {
                let proof = kzg::compute_blob_kzg_proof(&blob, &commitment).unwrap();
                bundle.proofs.push(FixedBytes(proof));
            } else {
                for proof in kzg::compute_cells_and_kzg_proofs(&blob).unwrap() {
                    bundle.proofs.push(FixedBytes(proof));
                }
            }
            bundle.commitments.push(FixedBytes(commitment));
            bundle.blobs.push(Bytes::from(blob));
        }
        bundle
    }

    #[test]
    fn engine_bundle_converts_and_verifies() {
        let engine = engine_bundle(2, 1);
        let bundle = BlobsBundle::<E>::from_engine(ForkName::Electra, &engine).unwrap();
        assert_eq!(bundle.len(), 2);
        let commitments = bundle.commitments().to_vec();
        kzg::verify_blobs_bundle(ForkName::Electra, 9, &commitments, bundle.as_ref()).unwrap();
        // Another block's commitments: refused.
        let mut other = commitments.clone();
        other.swap(0, 1);
        assert_eq!(
            kzg::verify_blobs_bundle(ForkName::Electra, 9, &other, bundle.as_ref()),
            Err(KzgError::CommitmentMismatch { index: 0 })
        );
    }

    #[test]
    fn fulu_cell_proofs_verify() {
        let engine = engine_bundle(1, kzg::CELLS_PER_EXT_BLOB);
        let bundle = BlobsBundle::<E>::from_engine(ForkName::Fulu, &engine).unwrap();
        assert!(matches!(bundle, BlobsBundle::Fulu(_)));
        let commitments = bundle.commitments().to_vec();
        kzg::verify_blobs_bundle(ForkName::Fulu, 9, &commitments, bundle.as_ref()).unwrap();
    }

    #[test]
    fn bad_engine_bundles_are_errors() {
        let mut engine = engine_bundle(1, 1);
        engine.blobs[0] = Bytes::from(vec![0u8; 10]);
        assert_eq!(
            BlobsBundle::<E>::from_engine(ForkName::Deneb, &engine),
            Err(BlobsBundleError::BlobLength { index: 0, len: 10 })
        );
        assert_eq!(
            BlobsBundle::<E>::from_engine(ForkName::Capella, &engine_api::BlobsBundle::default()),
            Err(BlobsBundleError::NoBlobsAtFork(ForkName::Capella))
        );
    }
}
