//! Shared by the state-transition suites: loading `BeaconState`s of a fork from the vectors and comparing
//! a computed post-state with the expected one, naming the top-level fields that differ.

use spec_tests::{read_ssz_snappy, subdirs, vectors_dir};
use std::path::{Path, PathBuf};
use types::{BeaconState, ChainSpec, EthSpec, ForkName, ForkVersioned, MinimalEthSpec};

pub type State = BeaconState<MinimalEthSpec>;

/// The forks whose state-transition vectors we run, with their directory names.
pub const FORKS: [ForkName; 4] = [
    ForkName::Capella,
    ForkName::Deneb,
    ForkName::Electra,
    ForkName::Fulu,
];

/// The minimal config with every fork up to `fork` at genesis (the spec tests' convention).
pub fn minimal_spec(fork: ForkName) -> ChainSpec {
    ChainSpec::minimal().with_forks_at_genesis_up_to(fork)
}

/// The cases of `<preset>/<fork>/<runner>/<handler>`, across its suites (`pyspec_tests`, ...).
pub fn cases(preset: &str, fork: ForkName, runner: &str, handler: &str) -> Vec<PathBuf> {
    let dir = vectors_dir()
        .join("consensus-spec-tests/tests")
        .join(preset)
        .join(fork.as_str())
        .join(runner)
        .join(handler);
    subdirs(&dir)
        .into_iter()
        .flat_map(|suite| subdirs(&suite))
        .collect()
}

/// Decode `<file>.ssz_snappy` as a state of `fork`, or `None` if the file is absent.
pub fn load_state(path: &Path, fork: ForkName) -> Result<Option<State>, String> {
    load_state_of::<MinimalEthSpec>(path, fork)
}

/// [`load_state`] for any preset.
pub fn load_state_of<E: EthSpec>(
    path: &Path,
    fork: ForkName,
) -> Result<Option<BeaconState<E>>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let bytes = read_ssz_snappy(path);
    BeaconState::<E>::from_ssz_bytes_by_fork(&bytes, fork)
        .map(Some)
        .map_err(|e| format!("decoding {}: {e:?}", path.display()))
}

/// `Ok` if `actual` and `expected` have the same root; otherwise an error naming every top-level field
/// that differs (with the first differing element for lists) so that a failure points at its cause.
pub fn compare_states<E: EthSpec>(
    actual: &mut BeaconState<E>,
    expected: &mut BeaconState<E>,
) -> Result<(), String> {
    let actual_root = actual
        .update_tree_hash_cache()
        .map_err(|e| format!("hashing the computed state: {e:?}"))?;
    let expected_root = expected
        .update_tree_hash_cache()
        .map_err(|e| format!("hashing the expected state: {e:?}"))?;
    if actual_root == expected_root {
        return Ok(());
    }
    if actual.fork_name() != expected.fork_name() {
        return Err(format!(
            "fork {} != expected {}",
            actual.fork_name(),
            expected.fork_name()
        ));
    }
    let a = serde_json::to_value(&*actual).map_err(|e| e.to_string())?;
    let b = serde_json::to_value(&*expected).map_err(|e| e.to_string())?;
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Err("state root differs".into());
    };
    let mut diffs = vec![];
    for (field, expected_value) in b {
        let actual_value = a.get(field).unwrap_or(&serde_json::Value::Null);
        if actual_value != expected_value {
            diffs.push(describe(field, actual_value, expected_value));
        }
    }
    if diffs.is_empty() {
        diffs.push("no field differs in JSON: check hashing".into());
    }
    Err(format!(
        "root {actual_root} != expected {expected_root}; differing fields: {}",
        diffs.join("; ")
    ))
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!("{}...", &s[..300])
    } else {
        s
    }
}

fn describe(field: &str, actual: &serde_json::Value, expected: &serde_json::Value) -> String {
    if let (Some(a), Some(b)) = (actual.as_array(), expected.as_array()) {
        let first = a.iter().zip(b).position(|(x, y)| x != y);
        return match first {
            Some(i) => format!(
                "{field}[{i}] = {} (expected {}) [lengths {} / {}]",
                short(&a[i]),
                short(&b[i]),
                a.len(),
                b.len()
            ),
            None => format!("{field}: length {} (expected {})", a.len(), b.len()),
        };
    }
    format!("{field} = {} (expected {})", short(actual), short(expected))
}
