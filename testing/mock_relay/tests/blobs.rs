//! The blob faults of the reveal, each judged by the project's unblinding check
//! (`kzg::verify_blobs_bundle`) against the signed block's commitments.

use crate::common::*;
use builder_api::UnblindedPayload;
use kzg::{verify_blobs_bundle, BlobsBundleRef, KzgError};
use mock_relay::RelayFaults;
use serde_json::json;
use types::*;

/// A rig whose bids carry `blobs` blobs (mock-el's `blobs_per_payload`), the bid's commitments, and
/// the signed block.
async fn blob_bid(
    fork: ForkName,
    blobs: u64,
) -> (Rig, Vec<KzgCommitment>, SignedBlindedBeaconBlock<E>) {
    let mut options = RigOptions::new(fork);
    options.blobs_per_payload = blobs;
    let rig = Rig::with(options).await;
    let (bid, block) = rig.bid_and_block(5).await;
    let commitments = bid
        .message_enum()
        .blob_kzg_commitments()
        .expect("a deneb+ bid")
        .to_vec();
    assert_eq!(commitments.len() as u64, blobs);
    (rig, commitments, block)
}

/// Reveal `block` under `faults`: the bundle, and the unblinding check's verdict on it.
async fn reveal_under(
    rig: &Rig,
    block: &SignedBlindedBeaconBlock<E>,
    block_commitments: &[KzgCommitment],
    faults: RelayFaults,
) -> (ExecutionPayloadAndBlobsBundle<E>, Result<(), KzgError>) {
    rig.relay.set_faults(faults);
    let revealed = rig.client.submit_blinded_block_v1(block).await.unwrap();
    let UnblindedPayload::PayloadAndBlobs(contents) = revealed else {
        panic!("a deneb+ reveal carries blobs");
    };
    // The payload itself is honest under every blob fault.
    block
        .clone()
        .into_full_block(contents.execution_payload_enum())
        .expect("the payload matches the header");
    let max = rig
        .spec
        .max_blobs_per_block(block.slot() / E::slots_per_epoch());
    let verdict = verify_blobs_bundle(
        block.fork_name(),
        max,
        block_commitments,
        BlobsBundleRef::from(&contents),
    );
    (contents, verdict)
}

#[tokio::test]
async fn each_blob_fault_breaks_the_bundle_its_own_way_deneb() {
    let (rig, commitments, block) = blob_bid(ForkName::Deneb, 2).await;
    let (_, honest) = reveal_under(&rig, &block, &commitments, RelayFaults::default()).await;
    assert_eq!(honest, Ok(()));

    let (missing, verdict) = reveal_under(
        &rig,
        &block,
        &commitments,
        RelayFaults {
            blobs_missing: true,
            ..Default::default()
        },
    )
    .await;
    let bundle = BlobsBundleRef::from(&missing);
    assert_eq!(bundle.commitments(), &commitments[..1]);
    let BlobsBundleRef::Deneb(b) = bundle else {
        panic!("a deneb bundle")
    };
    assert_eq!((b.blobs.len(), b.proofs.len()), (1, 1));
    assert_eq!(
        verdict,
        Err(KzgError::CommitmentCountMismatch {
            block: 2,
            bundle: 1
        })
    );

    let (swapped, verdict) = reveal_under(
        &rig,
        &block,
        &commitments,
        RelayFaults {
            blobs_mismatched: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(verdict, Err(KzgError::CommitmentMismatch { index: 0 }));
    let bundle = BlobsBundleRef::from(&swapped);
    assert_eq!(bundle.commitments()[1], commitments[1]);
    // The swapped blob is consistent with its own commitment and proof.
    let own = bundle.commitments().to_vec();
    assert_eq!(
        verify_blobs_bundle(ForkName::Deneb, 6, &own, bundle),
        Ok(())
    );

    let (bad, verdict) = reveal_under(
        &rig,
        &block,
        &commitments,
        RelayFaults {
            blobs_bad_proof: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(BlobsBundleRef::from(&bad).commitments(), &commitments[..]);
    assert_eq!(verdict, Err(KzgError::ProofVerificationFailed));
}

/// Fulu bundles carry cell proofs: the same three faults, with one blob (so `blobs_missing` leaves
/// the bundle empty).
#[tokio::test]
async fn each_blob_fault_breaks_the_bundle_its_own_way_fulu() {
    let (rig, commitments, block) = blob_bid(ForkName::Fulu, 1).await;
    let (_, honest) = reveal_under(&rig, &block, &commitments, RelayFaults::default()).await;
    assert_eq!(honest, Ok(()));
    let cases = [
        (
            RelayFaults {
                blobs_missing: true,
                ..Default::default()
            },
            KzgError::CommitmentCountMismatch {
                block: 1,
                bundle: 0,
            },
        ),
        (
            RelayFaults {
                blobs_mismatched: true,
                ..Default::default()
            },
            KzgError::CommitmentMismatch { index: 0 },
        ),
        (
            RelayFaults {
                blobs_bad_proof: true,
                ..Default::default()
            },
            KzgError::ProofVerificationFailed,
        ),
    ];
    for (faults, expected) in cases {
        let (contents, verdict) = reveal_under(&rig, &block, &commitments, faults.clone()).await;
        assert_eq!(verdict, Err(expected), "{faults:?}");
        let BlobsBundleRef::Fulu(b) = BlobsBundleRef::from(&contents) else {
            panic!("a fulu bundle");
        };
        assert_eq!(
            b.proofs.len(),
            b.blobs.len() * kzg::CELLS_PER_EXT_BLOB,
            "{faults:?}"
        );
    }
}

/// The switches are admin JSON fields, and a bid without blobs has nothing for them to spoil.
#[tokio::test]
async fn blob_faults_are_admin_fields() {
    let rig = Rig::new(ForkName::Deneb).await;
    let (status, body) = rig
        .post_raw(
            "admin/faults",
            &[("content-type", "application/json")],
            json!({"blobs_missing": true, "blobs_mismatched": true, "blobs_bad_proof": true})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let faults = rig.relay.faults();
    assert!(faults.blobs_missing && faults.blobs_mismatched && faults.blobs_bad_proof);
    let (bid, block) = rig.bid_and_block(5).await;
    assert!(bid
        .message_enum()
        .blob_kzg_commitments()
        .unwrap()
        .is_empty());
    let (_, verdict) = reveal_under(&rig, &block, &[], rig.relay.faults()).await;
    assert_eq!(verdict, Ok(()));
}
