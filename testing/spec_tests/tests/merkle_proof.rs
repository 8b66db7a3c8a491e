//! consensus-spec-tests `merkle_proof/single_merkle_proof` (minimal; deneb, electra, fulu): the proof of
//! one node of a `BeaconBlockBody`, which is what a blob sidecar's `kzg_commitment_inclusion_proof` (deneb,
//! electra) and a column sidecar's `kzg_commitments_inclusion_proof` (fulu) carry. Also the
//! `DataColumnSidecar`s of the fulu fork-choice vectors (no ssz_static vectors exist for it here): decode,
//! re-encode, root equals the file's name, and the inclusion proof verifies against its header.

use serde::Deserialize;
use spec_tests::{files, name, read_ssz_snappy, read_yaml, subdirs, vectors_dir, Summary};
use ssz::Encode;
use std::path::Path;
use tree_hash::TreeHash;
use types::sidecar::{
    compute_merkle_proof, get_subtree_index, is_valid_merkle_branch,
    kzg_commitment_inclusion_proof, kzg_commitments_inclusion_proof,
    verify_blob_sidecar_inclusion_proof, verify_data_column_sidecar_inclusion_proof,
    BLOB_KZG_COMMITMENTS_GINDEX,
};
use types::*;

type E = MinimalEthSpec;

#[derive(Deserialize)]
struct Proof {
    leaf: Hash256,
    leaf_index: u64,
    branch: Vec<Hash256>,
}

fn check_case(fork: ForkName, case: &Path) -> Result<(), String> {
    let bytes = read_ssz_snappy(&case.join("object.ssz_snappy"));
    let body = BeaconBlockBody::<E>::from_ssz_bytes_by_fork(&bytes, fork)
        .map_err(|e| format!("decode: {e:?}"))?;
    let body_root = body.tree_hash_root();
    let expected: Proof = read_yaml(&case.join("proof.yaml"));
    let body = body.to_ref();

    let (leaf, branch) =
        compute_merkle_proof(&body, expected.leaf_index).map_err(|e| e.to_string())?;
    if leaf != expected.leaf {
        return Err(format!("leaf {leaf} != expected {}", expected.leaf));
    }
    if branch != expected.branch {
        let at = branch
            .iter()
            .zip(&expected.branch)
            .position(|(a, b)| a != b);
        return Err(format!(
            "branch differs (ours {} nodes, expected {}; first difference at {at:?})",
            branch.len(),
            expected.branch.len()
        ));
    }
    let depth = 63 - expected.leaf_index.leading_zeros() as u64;
    if !is_valid_merkle_branch(
        leaf,
        &branch,
        depth,
        get_subtree_index(expected.leaf_index),
        body_root,
    ) {
        return Err("is_valid_merkle_branch rejects the proof".into());
    }

    // The same proof as the sidecars carry it, checked the way a peer checks a sidecar.
    let header = SignedBeaconBlockHeader {
        message: BeaconBlockHeader {
            body_root,
            ..Default::default()
        },
        signature: Default::default(),
    };
    if expected.leaf_index == BLOB_KZG_COMMITMENTS_GINDEX {
        let proof = kzg_commitments_inclusion_proof(&body).map_err(|e| e.to_string())?;
        if proof.to_vec() != expected.branch {
            return Err("kzg_commitments_inclusion_proof differs from the branch".into());
        }
        let sidecar = DataColumnSidecar::<E> {
            index: 0,
            column: Default::default(),
            kzg_commitments: body
                .blob_kzg_commitments()
                .map_err(|e| e.to_string())?
                .clone(),
            kzg_proofs: Default::default(),
            signed_block_header: header,
            kzg_commitments_inclusion_proof: proof,
        };
        if !verify_data_column_sidecar_inclusion_proof(&sidecar) {
            return Err("verify_data_column_sidecar_inclusion_proof rejects the proof".into());
        }
    } else {
        let commitments = body.blob_kzg_commitments().map_err(|e| e.to_string())?;
        let index =
            get_subtree_index(expected.leaf_index) % E::max_blob_commitments_per_block() as u64;
        let proof = kzg_commitment_inclusion_proof(&body, index).map_err(|e| e.to_string())?;
        if proof.to_vec() != expected.branch {
            return Err(format!(
                "kzg_commitment_inclusion_proof({index}) differs from the branch"
            ));
        }
        let mut sidecar = BlobSidecar::<E> {
            index,
            blob: Default::default(),
            kzg_commitment: commitments[index as usize],
            kzg_proof: Default::default(),
            signed_block_header: header,
            kzg_commitment_inclusion_proof: proof,
        };
        if !verify_blob_sidecar_inclusion_proof(&sidecar) {
            return Err("verify_blob_sidecar_inclusion_proof rejects the proof".into());
        }
        sidecar.index += 1;
        if verify_blob_sidecar_inclusion_proof(&sidecar) {
            return Err("the proof also verifies at the wrong index".into());
        }
    }
    Ok(())
}

fn run_fork(fork: ForkName) {
    let dir = vectors_dir()
        .join("consensus-spec-tests/tests/minimal")
        .join(fork.as_str())
        .join("merkle_proof/single_merkle_proof");
    let mut summary = Summary::new(format!("merkle_proof/{fork}"));
    for suite in subdirs(&dir) {
        if name(&suite) != "BeaconBlockBody" {
            summary.fail(name(&suite), "no runner for this suite's container");
            continue;
        }
        for case in subdirs(&suite) {
            summary.record(name(&case), check_case(fork, &case));
        }
    }
    summary.finish();
}

#[test]
fn merkle_proof_deneb() {
    run_fork(ForkName::Deneb);
}

#[test]
fn merkle_proof_electra() {
    run_fork(ForkName::Electra);
}

#[test]
fn merkle_proof_fulu() {
    run_fork(ForkName::Fulu);
}

fn check_column(path: &Path, expect_valid_proof: bool) -> Result<(), String> {
    use ssz::Decode;
    let bytes = read_ssz_snappy(path);
    let sidecar =
        DataColumnSidecar::<E>::from_ssz_bytes(&bytes).map_err(|e| format!("decode: {e:?}"))?;
    if sidecar.as_ssz_bytes() != bytes {
        return Err("re-encoding differs".into());
    }
    let expected: Hash256 = name(path)
        .trim_start_matches("column_")
        .trim_end_matches(".ssz_snappy")
        .parse()
        .map_err(|e| format!("file name: {e}"))?;
    let root = sidecar.tree_hash_root();
    if root != expected {
        return Err(format!("root {root} != {expected} (the file's name)"));
    }
    if expect_valid_proof && !verify_data_column_sidecar_inclusion_proof(&sidecar) {
        return Err("inclusion proof does not verify".into());
    }
    Ok(())
}

/// The column sidecars of the fulu fork-choice vectors, as SSZ objects (their `invalid_*` cases break the
/// cells or lengths, so there only the encoding and root are checked).
#[test]
fn merkle_proof_fulu_data_column_sidecars() {
    let dir = vectors_dir().join("consensus-spec-tests/tests/minimal/fulu/fork_choice");
    let mut summary = Summary::new("merkle_proof/fulu DataColumnSidecar (fork_choice files)");
    for handler in subdirs(&dir) {
        for suite in subdirs(&handler) {
            for case in subdirs(&suite) {
                let valid = !name(&case).contains("invalid");
                for file in files(&case) {
                    if name(&file).starts_with("column_") {
                        let id = format!("{}/{}/{}", name(&case), name(&file), valid);
                        summary.record(id, check_column(&file, valid));
                    }
                }
            }
        }
    }
    summary.finish();
}
