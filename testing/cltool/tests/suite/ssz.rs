//! `ssz root` against consensus-spec-tests and builder-specs examples; `ssz convert` round trips.

use crate::*;
use std::path::{Path, PathBuf};

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap()
}

/// One consensus-spec-tests case, checked through both of its input forms.
struct RootCase {
    preset: &'static str,
    fork: &'static str,
    type_name: String,
    case: PathBuf,
}

impl RootCase {
    fn check(&self) -> Result<(), String> {
        let text = std::fs::read_to_string(self.case.join("roots.yaml")).unwrap();
        let roots: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let expected = roots["root"].as_str().expect("roots.yaml has a root");
        for file in ["serialized.ssz_snappy", "value.yaml"] {
            let path = self.case.join(file);
            let r = run(&[
                "ssz",
                "root",
                "--preset",
                self.preset,
                "--fork",
                self.fork,
                "--type",
                &self.type_name,
                s(&path),
            ]);
            if r.code != Some(0) || r.stdout.trim_end() != expected || !r.stderr.is_empty() {
                return Err(format!(
                    "{}: expected {expected}, got exit {:?}, {:?}, {:?}",
                    path.display(),
                    r.code,
                    r.stdout.trim_end(),
                    r.stderr.trim_end()
                ));
            }
        }
        Ok(())
    }
}

/// Check cases on all cores; fail listing every mismatch. Returns the number checked.
fn check_all(cases: &[RootCase]) -> usize {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = cases.len().div_ceil(threads).max(1);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|c| c.check().err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

/// The case to check of a type: `ssz_random/case_0` when present.
fn first_case(type_dir: &Path) -> PathBuf {
    let random = type_dir.join("ssz_random/case_0");
    if random.is_dir() {
        return random;
    }
    let suite = sorted_dirs(type_dir).into_iter().next().expect("a suite");
    sorted_dirs(&suite).into_iter().next().expect("a case")
}

#[test]
fn root_agrees_with_spec_tests_for_every_type_fork_and_preset() {
    let mut cases = vec![];
    for preset in ["minimal", "mainnet"] {
        let mut forks = 0;
        for fork in FORKS {
            let dir = spec_tests(preset).join(fork).join("ssz_static");
            if !dir.is_dir() {
                continue; // The shared vectors hold no mainnet capella (checked below).
            }
            forks += 1;
            for type_dir in sorted_dirs(&dir) {
                cases.push(RootCase {
                    preset,
                    fork,
                    type_name: name(&type_dir).to_string(),
                    case: first_case(&type_dir),
                });
            }
        }
        let expected = if preset == "minimal" { 4 } else { 3 };
        assert!(
            forks >= expected,
            "{preset}: ssz_static found for only {forks} forks"
        );
    }
    let checked = check_all(&cases);
    assert!(checked > 150, "only {checked} types checked");
}

#[test]
fn root_agrees_with_spec_tests_for_every_block_and_state_case() {
    let mut cases = vec![];
    for fork in FORKS {
        for type_name in ["BeaconBlock", "SignedBeaconBlock", "BeaconState"] {
            let dir = spec_tests("minimal")
                .join(fork)
                .join("ssz_static")
                .join(type_name);
            for suite in sorted_dirs(&dir) {
                for case in sorted_dirs(&suite) {
                    cases.push(RootCase {
                        preset: "minimal",
                        fork,
                        type_name: type_name.to_string(),
                        case,
                    });
                }
            }
        }
    }
    assert!(check_all(&cases) >= 120);
}

#[test]
fn root_of_builder_specs_examples() {
    let dir = vectors().join("builder-specs-examples");
    let expected = read_json(&dir.join("EXPECTED.json"));
    let mut checked = 0;
    for fork in FORKS {
        for (file, type_name) in [
            ("signed_builder_bid", "SignedBuilderBid"),
            ("signed_blinded_beacon_block", "SignedBlindedBeaconBlock"),
            ("execution_payload", "ExecutionPayload"),
            (
                "execution_payload_and_blobs_bundle",
                "ExecutionPayloadAndBlobsBundle",
            ),
        ] {
            let json = dir.join(fork).join(format!("{file}.json"));
            if !json.exists() {
                continue;
            }
            let root_expected = expected["computed_here"][format!("{fork}/{file}")]
                ["hash_tree_root"]
                .as_str()
                .unwrap_or_else(|| panic!("no expected root for {fork}/{file}"));
            // The JSON is wrapped as {"value": ...} or {"value": {"version", "data"}}.
            for path in [json.clone(), json.with_extension("ssz")] {
                assert_eq!(
                    root("mainnet", fork, type_name, &path),
                    root_expected,
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 24);
}

/// SSZ → JSON → SSZ must give the same bytes, and the JSON the same root; returns the JSON.
fn round_trip(
    dir: &Path,
    preset: &str,
    fork: &str,
    type_name: &str,
    source: &Path,
) -> serde_json::Value {
    let tag = format!("{preset}-{fork}-{type_name}");
    let ssz = dir.join(format!("{tag}.ssz"));
    let json = dir.join(format!("{tag}.json"));
    let again = dir.join(format!("{tag}-again.ssz"));
    convert(preset, fork, type_name, "ssz", source, &ssz);
    convert(preset, fork, type_name, "json", &ssz, &json);
    convert(preset, fork, type_name, "ssz", &json, &again);
    let bytes = std::fs::read(&ssz).unwrap();
    assert!(!bytes.is_empty());
    assert!(
        bytes == std::fs::read(&again).unwrap(),
        "{tag}: SSZ -> JSON -> SSZ changed the bytes"
    );
    assert_eq!(
        root(preset, fork, type_name, &json),
        root(preset, fork, type_name, &ssz),
        "{tag}"
    );
    read_json(&json)
}

#[test]
fn convert_round_trips_blocks_and_states() {
    let dir = scratch("convert-blocks");
    for fork in FORKS {
        for type_name in ["SignedBeaconBlock", "BeaconState"] {
            let case = spec_tests("minimal")
                .join(fork)
                .join("ssz_static")
                .join(type_name)
                .join("ssz_random/case_0/serialized.ssz_snappy");
            let json = round_trip(&dir, "minimal", fork, type_name, &case);
            // Fork-dependent containers go in the beacon-API envelope, fields in SSZ order.
            assert_eq!(json["version"], fork);
            assert!(json["data"].is_object());
            let text =
                std::fs::read_to_string(dir.join(format!("minimal-{fork}-{type_name}.json")))
                    .unwrap();
            let head = format!("{{\n  \"version\": \"{fork}\",\n  \"data\": {{\n");
            assert!(text.starts_with(&head), "{fork} {type_name}");
        }
    }
    let state = std::fs::read_to_string(dir.join("minimal-deneb-BeaconState.json")).unwrap();
    assert!(state.find("\"genesis_time\"").unwrap() < state.find("\"balances\"").unwrap());
}

#[test]
fn convert_round_trips_builder_bids() {
    let dir = scratch("convert-bids");
    // Real relay bids (the SSZ of getHeader responses), and builder-specs examples for later forks.
    let relay = vectors().join("relay-captures/mev-boost-relay/testdata");
    let examples = vectors().join("builder-specs-examples");
    for (fork, file) in [
        (
            "capella",
            relay.join("getHeaderResponseCapella_Mainnet.ssz"),
        ),
        ("deneb", relay.join("getHeaderResponseDeneb_Goerli.ssz")),
        ("electra", examples.join("electra/signed_builder_bid.ssz")),
        ("fulu", examples.join("fulu/signed_builder_bid.ssz")),
    ] {
        let json = round_trip(&dir, "mainnet", fork, "SignedBuilderBid", &file);
        assert_eq!(json["version"], fork);
        let written =
            std::fs::read(dir.join(format!("mainnet-{fork}-SignedBuilderBid.ssz"))).unwrap();
        assert!(
            written == std::fs::read(&file).unwrap(),
            "{fork}: the SSZ written is not the SSZ read"
        );
    }
    // The relay's JSON of the same bid converts to its SSZ.
    let from_json = dir.join("from-json.ssz");
    convert(
        "mainnet",
        "deneb",
        "SignedBuilderBid",
        "ssz",
        &relay.join("getHeaderResponseDeneb_Goerli.json"),
        &from_json,
    );
    assert!(
        std::fs::read(&from_json).unwrap()
            == std::fs::read(relay.join("getHeaderResponseDeneb_Goerli.ssz")).unwrap()
    );
}

#[test]
fn convert_writes_plain_containers_bare_snappy_and_stdout() {
    let dir = scratch("convert-plain");
    let case = spec_tests("minimal").join("electra/ssz_static/Attestation/ssz_random/case_0");
    let json = round_trip(
        &dir,
        "minimal",
        "electra",
        "Attestation",
        &case.join("serialized.ssz_snappy"),
    );
    assert!(json.get("version").is_none() && json.get("committee_bits").is_some());

    // `.ssz_snappy` output is snappy-compressed (block format) and identical to the vector's.
    let snappy = dir.join("attestation.ssz_snappy");
    convert(
        "minimal",
        "electra",
        "Attestation",
        "ssz",
        &case.join("value.yaml"),
        &snappy,
    );
    assert!(
        std::fs::read(&snappy).unwrap()
            == std::fs::read(case.join("serialized.ssz_snappy")).unwrap()
    );

    // `-` writes to stdout.
    let fork_yaml =
        spec_tests("mainnet").join("deneb/ssz_static/Fork/ssz_random/case_0/value.yaml");
    let out = ok(&[
        "ssz",
        "convert",
        "--fork",
        "deneb",
        "--type",
        "Fork",
        "--to",
        "json",
        s(&fork_yaml),
        "-",
    ]);
    assert!(out.starts_with("{\n  \"previous_version\""), "{out}");
}
