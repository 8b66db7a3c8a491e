//! `verify_blobs_bundle` on real blobs, commitments and proofs from the Ethereum trusted setup.

use kzg::{
    blob_from_seed, blob_to_kzg_commitment, compute_blob_kzg_proof, compute_cells_and_kzg_proofs,
    kzg_to_versioned_hash, verify_blobs_bundle, BlobsBundleRef, KzgError, CELLS_PER_EXT_BLOB,
};
use std::sync::OnceLock;
use types::ssz_types::{FixedVector, VariableList};
use types::{
    BlobsBundleDeneb, BlobsBundleFulu, ExecutionPayloadAndBlobsBundle,
    ExecutionPayloadAndBlobsBundleElectra, ForkName, KzgCommitment, KzgProof, MainnetEthSpec,
};

type E = MainnetEthSpec;

/// Few blobs: proofs (cell proofs above all) take a while to compute.
const BLOBS: usize = 3;
/// Mainnet Electra's `MAX_BLOBS_PER_BLOCK_ELECTRA`.
const MAX: u64 = 9;

struct Fixture {
    blobs: Vec<Vec<u8>>,
    commitments: Vec<KzgCommitment>,
    blob_proofs: Vec<KzgProof>,
    cell_proofs: Vec<KzgProof>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let blobs: Vec<Vec<u8>> = (0..BLOBS as u8).map(|i| blob_from_seed(&[i])).collect();
        let mut commitments = vec![];
        let mut blob_proofs = vec![];
        let mut cell_proofs = vec![];
        for blob in &blobs {
            let c = blob_to_kzg_commitment(blob).unwrap();
            commitments.push(KzgCommitment::from_slice(&c).unwrap());
            let p = compute_blob_kzg_proof(blob, &c).unwrap();
            blob_proofs.push(KzgProof::from_slice(&p).unwrap());
            for p in compute_cells_and_kzg_proofs(blob).unwrap() {
                cell_proofs.push(KzgProof::from_slice(&p).unwrap());
            }
        }
        Fixture {
            blobs,
            commitments,
            blob_proofs,
            cell_proofs,
        }
    })
}

fn blob_list(blobs: &[Vec<u8>]) -> types::Blobs<E> {
    VariableList::new(
        blobs
            .iter()
            .map(|b| FixedVector::new(b.clone()).unwrap())
            .collect(),
    )
    .unwrap()
}

fn deneb() -> BlobsBundleDeneb<E> {
    let f = fixture();
    BlobsBundleDeneb {
        commitments: VariableList::new(f.commitments.clone()).unwrap(),
        proofs: VariableList::new(f.blob_proofs.clone()).unwrap(),
        blobs: blob_list(&f.blobs),
    }
}

fn fulu() -> BlobsBundleFulu<E> {
    let f = fixture();
    BlobsBundleFulu {
        commitments: VariableList::new(f.commitments.clone()).unwrap(),
        proofs: VariableList::new(f.cell_proofs.clone()).unwrap(),
        blobs: blob_list(&f.blobs),
    }
}

fn check_deneb(
    fork: ForkName,
    block: &[KzgCommitment],
    b: &BlobsBundleDeneb<E>,
) -> Result<(), KzgError> {
    verify_blobs_bundle(fork, MAX, block, BlobsBundleRef::from(b))
}

fn check_fulu(block: &[KzgCommitment], b: &BlobsBundleFulu<E>) -> Result<(), KzgError> {
    verify_blobs_bundle(ForkName::Fulu, MAX, block, BlobsBundleRef::from(b))
}

/// Flips a bit in the second byte of a field element: the blob stays canonical, its polynomial changes.
fn tamper_blob(blob: &mut types::Blob<E>) {
    blob[32 * 100 + 1] ^= 0x01;
}

#[test]
fn valid_deneb_bundle_verifies_for_deneb_and_electra() {
    let f = fixture();
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments, &deneb()),
        Ok(())
    );
    assert_eq!(
        check_deneb(ForkName::Electra, &f.commitments, &deneb()),
        Ok(())
    );
}

#[test]
fn valid_fulu_bundle_verifies() {
    assert_eq!(check_fulu(&fixture().commitments, &fulu()), Ok(()));
}

#[test]
fn empty_bundles_verify_for_a_block_without_blobs() {
    let empty_deneb = BlobsBundleDeneb::<E> {
        commitments: VariableList::empty(),
        proofs: VariableList::empty(),
        blobs: VariableList::empty(),
    };
    let empty_fulu = BlobsBundleFulu::<E> {
        commitments: VariableList::empty(),
        proofs: VariableList::empty(),
        blobs: VariableList::empty(),
    };
    assert_eq!(check_deneb(ForkName::Deneb, &[], &empty_deneb), Ok(()));
    assert_eq!(check_fulu(&[], &empty_fulu), Ok(()));
}

#[test]
fn tampered_blob_fails_verification() {
    let f = fixture();
    let mut d = deneb();
    tamper_blob(&mut d.blobs[1]);
    assert_eq!(
        check_deneb(ForkName::Electra, &f.commitments, &d),
        Err(KzgError::ProofVerificationFailed)
    );
    let mut u = fulu();
    tamper_blob(&mut u.blobs[2]);
    assert_eq!(
        check_fulu(&f.commitments, &u),
        Err(KzgError::ProofVerificationFailed)
    );
}

#[test]
fn tampered_proof_fails_verification() {
    let f = fixture();
    // Swapped proofs are valid points that prove the wrong blob.
    let mut d = deneb();
    d.proofs.swap(0, 1);
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments, &d),
        Err(KzgError::ProofVerificationFailed)
    );
    let mut u = fulu();
    u.proofs.swap(5, 6);
    assert_eq!(
        check_fulu(&f.commitments, &u),
        Err(KzgError::ProofVerificationFailed)
    );
    // A proof that is not a point at all is refused as malformed input, naming it.
    let mut d = deneb();
    d.proofs[2] = KzgProof::from_slice(&[0xff; 48]).unwrap();
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments, &d),
        Err(KzgError::InvalidProof { index: 2 })
    );
    let mut u = fulu();
    u.proofs[130] = KzgProof::from_slice(&[0x11; 48]).unwrap();
    assert_eq!(
        check_fulu(&f.commitments, &u),
        Err(KzgError::InvalidProof { index: 130 })
    );
}

#[test]
fn a_commitment_that_is_no_point_is_named() {
    let f = fixture();
    let mut block = f.commitments.clone();
    block[1] = KzgCommitment::from_slice(&[0x11; 48]).unwrap();
    let mut d = deneb();
    d.commitments[1] = block[1];
    assert_eq!(
        check_deneb(ForkName::Deneb, &block, &d),
        Err(KzgError::InvalidCommitment { index: 1 })
    );
    let mut u = fulu();
    u.commitments[1] = block[1];
    assert_eq!(
        check_fulu(&block, &u),
        Err(KzgError::InvalidCommitment { index: 1 })
    );
}

#[test]
fn commitment_differing_from_the_block_is_named_by_index() {
    let f = fixture();
    let mut block = f.commitments.clone();
    block.swap(1, 2);
    assert_eq!(
        check_deneb(ForkName::Deneb, &block, &deneb()),
        Err(KzgError::CommitmentMismatch { index: 1 })
    );
    assert_eq!(
        check_fulu(&block, &fulu()),
        Err(KzgError::CommitmentMismatch { index: 1 })
    );
    // A bundle that swaps commitments together with their blobs and proofs is self-consistent, but
    // not what the proposer signed.
    let mut d = deneb();
    d.commitments.swap(0, 1);
    d.blobs.swap(0, 1);
    d.proofs.swap(0, 1);
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments, &d),
        Err(KzgError::CommitmentMismatch { index: 0 })
    );
}

#[test]
fn wrong_counts_are_refused_before_verification() {
    let f = fixture();
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments[..2], &deneb()),
        Err(KzgError::CommitmentCountMismatch {
            block: 2,
            bundle: 3
        })
    );
    let mut d = deneb();
    d.blobs = blob_list(&f.blobs[..2]);
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments, &d),
        Err(KzgError::BlobCountMismatch {
            commitments: 3,
            blobs: 2
        })
    );
    let mut d = deneb();
    d.proofs = VariableList::new(f.blob_proofs[..1].to_vec()).unwrap();
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments, &d),
        Err(KzgError::ProofCountMismatch {
            expected: 3,
            got: 1,
            per_blob: 1
        })
    );
    // A Fulu bundle carrying Deneb-style proofs (one per blob).
    let mut u = fulu();
    u.proofs = VariableList::new(f.blob_proofs.clone()).unwrap();
    assert_eq!(
        check_fulu(&f.commitments, &u),
        Err(KzgError::ProofCountMismatch {
            expected: BLOBS * CELLS_PER_EXT_BLOB,
            got: BLOBS,
            per_blob: CELLS_PER_EXT_BLOB
        })
    );
}

#[test]
fn more_commitments_than_the_fork_allows_are_refused() {
    let f = fixture();
    assert_eq!(
        verify_blobs_bundle(
            ForkName::Deneb,
            2,
            &f.commitments,
            BlobsBundleRef::from(&deneb())
        ),
        Err(KzgError::TooManyBlobs { count: 3, max: 2 })
    );
}

#[test]
fn non_canonical_blob_is_a_bad_encoding() {
    let f = fixture();
    let mut d = deneb();
    d.blobs[2][32 * 7] = 0xff;
    assert_eq!(
        check_deneb(ForkName::Deneb, &f.commitments, &d),
        Err(KzgError::BadBlobEncoding {
            index: 2,
            element: 7
        })
    );
    let mut u = fulu();
    u.blobs[0][0] = 0x80;
    assert_eq!(
        check_fulu(&f.commitments, &u),
        Err(KzgError::BadBlobEncoding {
            index: 0,
            element: 0
        })
    );
}

#[test]
fn bundle_of_the_wrong_fork_is_refused() {
    let f = fixture();
    assert_eq!(
        check_deneb(ForkName::Fulu, &f.commitments, &deneb()),
        Err(KzgError::WrongBundleVariant {
            fork: ForkName::Fulu,
            expected: "fulu",
            got: "deneb"
        })
    );
    let u = fulu();
    assert_eq!(
        verify_blobs_bundle(
            ForkName::Electra,
            MAX,
            &f.commitments,
            BlobsBundleRef::from(&u)
        ),
        Err(KzgError::WrongBundleVariant {
            fork: ForkName::Electra,
            expected: "deneb",
            got: "fulu"
        })
    );
    assert!(matches!(
        check_deneb(ForkName::Capella, &[], &deneb()),
        Err(KzgError::WrongBundleVariant {
            fork: ForkName::Capella,
            ..
        })
    ));
}

#[test]
fn revealed_payload_hands_over_its_bundle() {
    let f = fixture();
    let revealed = ExecutionPayloadAndBlobsBundle::Electra(ExecutionPayloadAndBlobsBundleElectra {
        execution_payload: Default::default(),
        blobs_bundle: deneb(),
    });
    let bundle = BlobsBundleRef::from(&revealed);
    assert_eq!(bundle.commitments(), &f.commitments[..]);
    assert_eq!(
        verify_blobs_bundle(ForkName::Electra, MAX, &f.commitments, bundle),
        Ok(())
    );
}

#[test]
fn versioned_hashes_differ_per_commitment_and_carry_the_kzg_version() {
    let f = fixture();
    let a = kzg_to_versioned_hash(&f.commitments[0]);
    let b = kzg_to_versioned_hash(&f.commitments[1]);
    assert_ne!(a, b);
    assert_eq!(a[0], kzg::VERSIONED_HASH_VERSION_KZG);
}
