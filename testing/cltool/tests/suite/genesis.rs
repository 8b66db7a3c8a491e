//! `genesis`: interop genesis states, checked for consistency with `ssz root` and `transition`.

use crate::*;

fn genesis(preset: &str, fork: &str, validators: &str, out: &std::path::Path) -> (String, String) {
    let stdout = ok(&[
        "genesis",
        "--preset",
        preset,
        "--fork",
        fork,
        "--validators",
        validators,
        "--genesis-time",
        "1700000000",
        "--out",
        s(out),
    ]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let gvr = lines[0]
        .strip_prefix("genesis_validators_root=")
        .expect("gvr line");
    let root = lines[1].strip_prefix("state_root=").expect("root line");
    (gvr.to_string(), root.to_string())
}

#[test]
fn interop_genesis_of_every_fork() {
    let dir = scratch("genesis");
    let mut gvrs = vec![];
    for fork in FORKS {
        let out = dir.join(format!("{fork}.ssz_snappy"));
        let (gvr, root) = genesis("minimal", fork, "64", &out);
        assert_eq!(
            crate::root("minimal", fork, "BeaconState", &out),
            root,
            "{fork}"
        );
        // Deterministic.
        let again = genesis(
            "minimal",
            fork,
            "64",
            &dir.join(format!("{fork}-again.ssz")),
        );
        assert_eq!(again, (gvr.clone(), root), "{fork}");
        gvrs.push(gvr);
    }
    // The validator set, hence its root, is the same at every fork.
    assert!(gvrs.windows(2).all(|w| w[0] == w[1]), "{gvrs:?}");

    // The genesis state is a valid pre-state: advance it past an epoch boundary.
    let line = ok(&[
        "transition",
        "--preset",
        "minimal",
        "--pre",
        s(&dir.join("fulu.ssz_snappy")),
        "--slots",
        "9",
        "--out",
        s(&dir.join("later.ssz")),
    ]);
    assert!(line.starts_with("state_root=0x"), "{line}");
}

#[test]
fn execution_payload_header_and_bad_input() {
    let dir = scratch("genesis-header");
    let header = spec_tests("minimal")
        .join("deneb/ssz_static/ExecutionPayloadHeader/ssz_random/case_0/value.yaml");
    let (_, plain) = genesis("minimal", "deneb", "16", &dir.join("plain.ssz"));
    let out = dir.join("with-header.ssz");
    let stdout = ok(&[
        "genesis",
        "--preset",
        "minimal",
        "--fork",
        "deneb",
        "--validators",
        "16",
        "--genesis-time",
        "1700000000",
        "--execution-payload-header",
        s(&header),
        "--out",
        s(&out),
    ]);
    let root = stdout
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("state_root="));
    assert_eq!(
        root,
        Some(crate::root("minimal", "deneb", "BeaconState", &out).as_str())
    );
    assert_ne!(root, Some(plain.as_str()));

    let base = [
        "genesis",
        "--preset",
        "minimal",
        "--fork",
        "electra",
        "--genesis-time",
        "0",
        "--out",
    ];
    let out = dir.join("bad.ssz");
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.push(s(&out));
        args.extend_from_slice(extra);
        error(&args)
    };
    assert!(with(&["--validators", "0"]).contains("no active validators"));
    assert!(with(&["--validators", "99999999999"]).contains("limit"));
    // A capella header (no blob gas fields) is not an electra one.
    let capella = spec_tests("minimal")
        .join("capella/ssz_static/ExecutionPayloadHeader/ssz_random/case_0/serialized.ssz_snappy");
    with(&[
        "--validators",
        "8",
        "--execution-payload-header",
        s(&capella),
    ]);
    assert!(!out.exists());
}
