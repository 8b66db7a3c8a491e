//! consensus-spec-tests `shuffling` (minimal, phase0; unchanged since): `compute_shuffled_index` for every
//! position, and the whole-list `shuffle_list` that committee caches use.

use serde::Deserialize;
use spec_tests::{name, read_yaml, subdirs, vectors_dir, Summary};
use state_processing::caches::shuffle_list;
use state_processing::common::compute_shuffled_index;
use types::{EthSpec, Hash256, MinimalEthSpec};

#[derive(Deserialize)]
struct Mapping {
    seed: String,
    count: u64,
    mapping: Vec<u64>,
}

fn check(case: Mapping) -> Result<(), String> {
    let seed: Hash256 = case.seed.parse().map_err(|e| format!("seed: {e}"))?;
    if case.mapping.len() as u64 != case.count {
        return Err("mapping length differs from count".into());
    }
    for (i, &expected) in case.mapping.iter().enumerate() {
        let got = compute_shuffled_index::<MinimalEthSpec>(i as u64, case.count, &seed)
            .map_err(|e| format!("compute_shuffled_index({i}): {e}"))?;
        if got != expected {
            return Err(format!(
                "compute_shuffled_index({i}) = {got}, expected {expected}"
            ));
        }
    }
    let mut list: Vec<u64> = (0..case.count).collect();
    shuffle_list(&mut list, &seed, MinimalEthSpec::SHUFFLE_ROUND_COUNT);
    if list != case.mapping {
        return Err("shuffle_list differs from the mapping".into());
    }
    Ok(())
}

#[test]
fn shuffle() {
    let dir =
        vectors_dir().join("consensus-spec-tests/tests/minimal/phase0/shuffling/core/shuffle");
    let mut summary = Summary::new("shuffling/core/shuffle");
    for case in subdirs(&dir) {
        let mapping: Mapping = read_yaml(&case.join("mapping.yaml"));
        summary.record(name(&case), check(mapping));
    }
    summary.finish();
}
