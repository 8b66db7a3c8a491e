//! What the unblinding check costs: `verify_blobs_bundle` on a 6-blob Deneb bundle (blob proofs) and
//! a 6-blob Fulu bundle (cell proofs over all 128 cells of each blob).

use criterion::{criterion_group, criterion_main, Criterion};
use kzg::{
    blob_from_seed, blob_to_kzg_commitment, compute_blob_kzg_proof, compute_cells_and_kzg_proofs,
    verify_blobs_bundle, BlobsBundleRef,
};
use types::ssz_types::{FixedVector, VariableList};
use types::{BlobsBundleDeneb, BlobsBundleFulu, ForkName, KzgCommitment, KzgProof, MainnetEthSpec};

type E = MainnetEthSpec;
const BLOBS: u8 = 6;

fn bundles() -> (BlobsBundleDeneb<E>, BlobsBundleFulu<E>) {
    let blobs: Vec<Vec<u8>> = (0..BLOBS).map(|i| blob_from_seed(&[i])).collect();
    let mut commitments = vec![];
    let mut proofs = vec![];
    let mut cell_proofs = vec![];
    for blob in &blobs {
        let c = blob_to_kzg_commitment(blob).unwrap();
        commitments.push(KzgCommitment::from_slice(&c).unwrap());
        proofs.push(KzgProof::from_slice(&compute_blob_kzg_proof(blob, &c).unwrap()).unwrap());
        for p in compute_cells_and_kzg_proofs(blob).unwrap() {
            cell_proofs.push(KzgProof::from_slice(&p).unwrap());
        }
    }
    let blob_list = || {
        VariableList::new(
            blobs
                .iter()
                .map(|b| FixedVector::new(b.clone()).unwrap())
                .collect(),
        )
        .unwrap()
    };
    let deneb = BlobsBundleDeneb {
        commitments: VariableList::new(commitments.clone()).unwrap(),
        proofs: VariableList::new(proofs).unwrap(),
        blobs: blob_list(),
    };
    let fulu = BlobsBundleFulu {
        commitments: VariableList::new(commitments).unwrap(),
        proofs: VariableList::new(cell_proofs).unwrap(),
        blobs: blob_list(),
    };
    (deneb, fulu)
}

fn bench(c: &mut Criterion) {
    let (deneb, fulu) = bundles();
    let mut group = c.benchmark_group("verify_blobs_bundle");
    group.sample_size(20);
    group.bench_function("deneb_6_blobs", |b| {
        b.iter(|| {
            verify_blobs_bundle(
                ForkName::Electra,
                9,
                &deneb.commitments,
                BlobsBundleRef::from(&deneb),
            )
            .unwrap()
        })
    });
    group.bench_function("fulu_6_blobs", |b| {
        b.iter(|| {
            verify_blobs_bundle(
                ForkName::Fulu,
                9,
                &fulu.commitments,
                BlobsBundleRef::from(&fulu),
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
