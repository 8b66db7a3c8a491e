//! `transition` against consensus-spec-tests: `sanity/blocks` and `sanity/slots` cases of every fork, a
//! `transition/core` case across a fork boundary under `--config`, invalid blocks (exit 1) and bad input
//! (exit 2).

use crate::*;
use std::path::{Path, PathBuf};

fn sanity_case(fork: &str, handler: &str, case: &str) -> PathBuf {
    spec_tests("minimal")
        .join(fork)
        .join("sanity")
        .join(handler)
        .join("pyspec_tests")
        .join(case)
}

/// `blocks_<i>.ssz_snappy` of a case, as `--block` arguments.
fn block_args(case: &Path, count: usize) -> Vec<String> {
    (0..count)
        .flat_map(|i| {
            [
                "--block".to_string(),
                s(&case.join(format!("blocks_{i}.ssz_snappy"))).to_string(),
            ]
        })
        .collect()
}

fn transition(extra: &[String]) -> Run {
    let mut args = vec!["transition"];
    args.extend(extra.iter().map(String::as_str));
    run(&args)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Expect exit 0 and `state_root=0x..` alone on stdout; return the root.
fn state_root(r: &Run) -> String {
    assert_eq!(r.code, Some(0), "{} failed: {}", r.command, r.stderr);
    assert!(r.stderr.is_empty(), "{}: stderr {:?}", r.command, r.stderr);
    let line = r.stdout.trim_end();
    assert_eq!(r.stdout.lines().count(), 1, "{}: {:?}", r.command, r.stdout);
    line.strip_prefix("state_root=")
        .unwrap_or_else(|| panic!("{}: stdout {:?}", r.command, r.stdout))
        .to_string()
}

#[test]
fn sanity_blocks_of_every_fork() {
    let dir = scratch("transition-sanity-blocks");
    for fork in FORKS {
        let case = sanity_case(fork, "blocks", "attestation");
        let expected = root(
            "minimal",
            fork,
            "BeaconState",
            &case.join("post.ssz_snappy"),
        );
        // Raw SSZ and snappy output both hold the post-state.
        for out in [
            dir.join(format!("{fork}.ssz")),
            dir.join(format!("{fork}.ssz_snappy")),
        ] {
            let mut args = strings(&["--preset", "minimal", "--out", s(&out)]);
            args.extend(strings(&["--pre", s(&case.join("pre.ssz_snappy"))]));
            args.extend(block_args(&case, 2));
            let r = transition(&args);
            assert_eq!(state_root(&r), expected, "{fork}");
            assert_eq!(
                root("minimal", fork, "BeaconState", &out),
                expected,
                "{fork}"
            );
        }
    }
}

#[test]
fn mainnet_sanity_blocks() {
    let dir = scratch("transition-mainnet");
    let case = spec_tests("mainnet").join("fulu/sanity/blocks/pyspec_tests/attestation");
    let mut args = strings(&[
        "--preset",
        "mainnet",
        "--pre",
        s(&case.join("pre.ssz_snappy")),
        "--out",
        s(&dir.join("post.ssz")),
    ]);
    args.extend(block_args(&case, 2));
    let expected = root(
        "mainnet",
        "fulu",
        "BeaconState",
        &case.join("post.ssz_snappy"),
    );
    assert_eq!(state_root(&transition(&args)), expected);
}

#[test]
fn raw_ssz_inputs() {
    let dir = scratch("transition-raw-ssz");
    let case = sanity_case("deneb", "blocks", "attestation");
    let pre = dir.join("pre.ssz");
    let block0 = dir.join("b0.ssz");
    let block1 = dir.join("b1.ssz");
    convert(
        "minimal",
        "deneb",
        "BeaconState",
        "ssz",
        &case.join("pre.ssz_snappy"),
        &pre,
    );
    for (i, out) in [&block0, &block1].into_iter().enumerate() {
        let block = case.join(format!("blocks_{i}.ssz_snappy"));
        convert("minimal", "deneb", "SignedBeaconBlock", "ssz", &block, out);
    }
    let out = dir.join("post.ssz");
    let r = transition(&strings(&[
        "--preset",
        "minimal",
        "--pre",
        s(&pre),
        "--block",
        s(&block0),
        "--block",
        s(&block1),
        "--out",
        s(&out),
    ]));
    let expected = root(
        "minimal",
        "deneb",
        "BeaconState",
        &case.join("post.ssz_snappy"),
    );
    assert_eq!(state_root(&r), expected);
}

/// `--slots`: the `sanity/slots` cases, and slots after blocks.
#[test]
fn slots() {
    let dir = scratch("transition-slots");
    for (fork, case) in [("capella", "slots_2"), ("fulu", "over_epoch_boundary")] {
        let case = sanity_case(fork, "slots", case);
        // `slots.yaml` is one number and the YAML end-of-document marker.
        let yaml = std::fs::read_to_string(case.join("slots.yaml")).unwrap();
        let slots = yaml.lines().next().unwrap_or_default();
        let out = dir.join(format!("{fork}.ssz"));
        let r = transition(&strings(&[
            "--preset",
            "minimal",
            "--pre",
            s(&case.join("pre.ssz_snappy")),
            "--slots",
            slots.trim(),
            "--out",
            s(&out),
        ]));
        let expected = root(
            "minimal",
            fork,
            "BeaconState",
            &case.join("post.ssz_snappy"),
        );
        assert_eq!(state_root(&r), expected, "{fork}");
    }

    // Blocks then slots equals blocks, then slots from their post-state.
    let case = sanity_case("electra", "blocks", "attestation");
    let mid = dir.join("mid.ssz");
    let mut args = strings(&[
        "--preset",
        "minimal",
        "--pre",
        s(&case.join("pre.ssz_snappy")),
    ]);
    args.extend(block_args(&case, 2));
    let mut first = args.clone();
    first.extend(strings(&["--out", s(&mid)]));
    state_root(&transition(&first));
    let two_steps = state_root(&transition(&strings(&[
        "--preset",
        "minimal",
        "--pre",
        s(&mid),
        "--slots",
        "9",
        "--out",
        s(&dir.join("two.ssz")),
    ])));
    let mut one = args;
    one.extend(strings(&["--slots", "9", "--out", s(&dir.join("one.ssz"))]));
    assert_eq!(state_root(&transition(&one)), two_steps);
}

/// A `transition/core` case: the fork epoch comes from `--config` (the bundled minimal config with the
/// earlier forks at genesis).
#[test]
fn across_a_fork_with_config() {
    let dir = scratch("transition-config");
    let case = spec_tests("minimal").join("fulu/transition/core/pyspec_tests/simple_transition");
    let meta = std::fs::read_to_string(case.join("meta.yaml")).unwrap();
    assert!(
        meta.contains("fork_epoch: 2") && meta.contains("blocks_count: 2"),
        "{meta}"
    );
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../common/types/configs/minimal.yaml"
    ))
    .unwrap();
    let config: String = base
        .lines()
        .map(|line| match line.split_once(':') {
            Some(("ALTAIR_FORK_EPOCH" | "BELLATRIX_FORK_EPOCH" | "CAPELLA_FORK_EPOCH", _))
            | Some(("DENEB_FORK_EPOCH" | "ELECTRA_FORK_EPOCH", _)) => {
                format!("{}: 0\n", line.split(':').next().unwrap())
            }
            Some(("FULU_FORK_EPOCH", _)) => "FULU_FORK_EPOCH: 2\n".to_string(),
            _ => format!("{line}\n"),
        })
        .collect();
    let config_path = dir.join("config.yaml");
    std::fs::write(&config_path, config).unwrap();

    let out = dir.join("post.ssz_snappy");
    let mut args = strings(&[
        "--preset",
        "minimal",
        "--config",
        s(&config_path),
        "--pre",
        s(&case.join("pre.ssz_snappy")),
        "--out",
        s(&out),
    ]);
    args.extend(block_args(&case, 2));
    let expected = root(
        "minimal",
        "fulu",
        "BeaconState",
        &case.join("post.ssz_snappy"),
    );
    assert_eq!(state_root(&transition(&args)), expected);
    assert_eq!(root("minimal", "fulu", "BeaconState", &out), expected);

    // The mainnet preset does not take a minimal config.
    let mut mainnet = vec!["transition".to_string()];
    mainnet.extend(args);
    mainnet[2] = "mainnet".into();
    let mainnet: Vec<&str> = mainnet.iter().map(String::as_str).collect();
    let line = error(&mainnet);
    assert!(line.contains("PRESET_BASE"), "{line}");
}

/// Exit 1 (an invalid block) with one `cltool: error:` line; the line.
fn invalid(args: &[String]) -> String {
    error_line(transition(args), 1)
}

#[test]
fn invalid_blocks_exit_1() {
    let dir = scratch("transition-invalid");
    for (case, reason) in [
        ("invalid_incorrect_state_root", "state root mismatch"),
        ("invalid_incorrect_block_sig", "signature"),
        (
            "invalid_prev_slot_block_transition",
            "is not after the state's slot",
        ),
    ] {
        let case = sanity_case("fulu", "blocks", case);
        let out = dir.join("post.ssz");
        let mut args = strings(&[
            "--preset",
            "minimal",
            "--pre",
            s(&case.join("pre.ssz_snappy")),
            "--out",
            s(&out),
        ]);
        args.extend(block_args(&case, 1));
        let line = invalid(&args);
        assert!(line.contains(reason), "{line}");
        assert!(!out.exists(), "nothing is written for an invalid block");
    }

    // Without the signature check a bad proposer signature goes unnoticed (the block says state root 0,
    // so it still fails, at the root).
    let case = sanity_case("fulu", "blocks", "invalid_incorrect_block_sig");
    let mut args = strings(&[
        "--preset",
        "minimal",
        "--no-signature-check",
        "--pre",
        s(&case.join("pre.ssz_snappy")),
        "--out",
        s(&dir.join("post.ssz")),
    ]);
    args.extend(block_args(&case, 1));
    assert!(invalid(&args).contains("state root mismatch"));
}

#[test]
fn bad_input_exits_2() {
    let dir = scratch("transition-bad-input");
    let case = sanity_case("fulu", "blocks", "attestation");
    let pre = case.join("pre.ssz_snappy");
    let out = dir.join("post.ssz");
    // The wrong preset: the state's fork version is not one of mainnet's.
    let line = error(&[
        "transition",
        "--preset",
        "mainnet",
        "--pre",
        s(&pre),
        "--out",
        s(&out),
    ]);
    assert!(line.contains("fork version"), "{line}");
    // A Bellatrix state (Blindfold's states start at Capella).
    let bellatrix = vectors()
        .join("consensus-spec-tests/tests/minimal/capella/fork/fork/pyspec_tests/fork_base_state");
    let line = error(&[
        "transition",
        "--preset",
        "minimal",
        "--pre",
        s(&bellatrix.join("pre.ssz_snappy")),
        "--out",
        s(&out),
    ]);
    assert!(line.contains("a bellatrix BeaconState"), "{line}");
    // A missing file, a JSON state, a block that is not a block.
    let missing = dir.join("missing.ssz");
    error(&[
        "transition",
        "--preset",
        "minimal",
        "--pre",
        s(&missing),
        "--out",
        s(&out),
    ]);
    let json = dir.join("state.json");
    std::fs::write(&json, "{}").unwrap();
    error(&[
        "transition",
        "--preset",
        "minimal",
        "--pre",
        s(&json),
        "--out",
        s(&out),
    ]);
    let junk = dir.join("junk.ssz");
    std::fs::write(&junk, [7u8; 50]).unwrap();
    error(&[
        "transition",
        "--preset",
        "minimal",
        "--pre",
        s(&pre),
        "--block",
        s(&junk),
        "--out",
        s(&out),
    ]);
    error(&[
        "transition",
        "--preset",
        "minimal",
        "--pre",
        s(&junk),
        "--out",
        s(&out),
    ]);
    assert!(!out.exists());
}
