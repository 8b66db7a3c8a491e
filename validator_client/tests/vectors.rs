//! Every case in `slashing-protection-interchange` (EIP-3076's test suite), against a fresh database
//! each, judged by the minimal strategy's `should_succeed`.

use crate::common::{vectors_dir, TempDir};
use bls::PublicKeyBytes;
use serde::Deserialize;
use types::Root;
use validator_client::slashing_protection::SlashingDatabase;

#[derive(Deserialize)]
struct TestCase {
    name: String,
    genesis_validators_root: Root,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    should_succeed: bool,
    contains_slashable_data: bool,
    interchange: serde_json::Value,
    #[serde(default)]
    blocks: Vec<BlockCheck>,
    #[serde(default)]
    attestations: Vec<AttestationCheck>,
}

#[derive(Deserialize)]
struct BlockCheck {
    pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    slot: u64,
    signing_root: Option<Root>,
    should_succeed: bool,
}

#[derive(Deserialize)]
struct AttestationCheck {
    pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    source_epoch: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    target_epoch: u64,
    signing_root: Option<Root>,
    should_succeed: bool,
}

/// Run one case; `Err` lists what went wrong.
fn run_case(case: &TestCase) -> Result<(), Vec<String>> {
    let dir = TempDir::new("vectors");
    let db = SlashingDatabase::open_in_datadir(dir.path()).map_err(|e| vec![e.to_string()])?;
    let mut failures = Vec::new();
    for (i, step) in case.steps.iter().enumerate() {
        let bytes = serde_json::to_vec(&step.interchange).expect("re-serialise");
        let imported = db.import(bytes.as_slice(), case.genesis_validators_root);
        match (&imported, step.should_succeed) {
            (Ok(_), true) | (Err(_), false) => {}
            (Ok(_), false) => {
                failures.push(format!("step {i}: import succeeded, expected failure"))
            }
            (Err(e), true) if step.contains_slashable_data => {
                // Allowed by the suite, but this client minifies, so it should never need to.
                failures.push(format!("step {i}: import of slashable data refused: {e}"));
            }
            (Err(e), true) => failures.push(format!("step {i}: import failed: {e}")),
        }
        for block in &step.blocks {
            let result = db.check_and_record_block(
                &block.pubkey,
                block.slot,
                block.signing_root.unwrap_or(Root::ZERO),
            );
            if result.is_ok() != block.should_succeed {
                failures.push(format!(
                    "step {i}: block {} slot {} root {:?}: expected {}, got {result:?}",
                    block.pubkey, block.slot, block.signing_root, block.should_succeed
                ));
            }
        }
        for att in &step.attestations {
            let result = db.check_and_record_attestation(
                &att.pubkey,
                att.source_epoch,
                att.target_epoch,
                att.signing_root.unwrap_or(Root::ZERO),
            );
            if result.is_ok() != att.should_succeed {
                failures.push(format!(
                    "step {i}: attestation {} {}->{} root {:?}: expected {}, got {result:?}",
                    att.pubkey,
                    att.source_epoch,
                    att.target_epoch,
                    att.signing_root,
                    att.should_succeed
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

#[test]
fn slashing_protection_interchange_vectors() {
    let dir = vectors_dir().join("slashing-protection-interchange/tests/generated");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();

    let (mut passed, mut failed, skipped) = (0, 0, 0);
    for path in &paths {
        let text = std::fs::read_to_string(path).expect("read vector");
        let case: TestCase = match serde_json::from_str(&text) {
            Ok(case) => case,
            Err(e) => {
                failed += 1;
                println!("FAIL {}: unreadable test case: {e}", path.display());
                continue;
            }
        };
        match run_case(&case) {
            Ok(()) => passed += 1,
            Err(failures) => {
                failed += 1;
                println!("FAIL {}:", case.name);
                for failure in failures {
                    println!("    {failure}");
                }
            }
        }
    }
    println!(
        "[slashing-protection-interchange] {passed} passed, {failed} failed, {skipped} skipped"
    );
    assert!(!paths.is_empty(), "no vectors in {}", dir.display());
    assert_eq!(failed, 0, "{failed} slashing protection vectors failed");
}
