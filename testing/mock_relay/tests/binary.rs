//! The `mock-relay` binary: bad flags are one line and exit 1; good ones start a relay that prints its
//! key and address.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mock-relay");

fn fails_with_one_line(args: &[&str], needle: &str) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("mock-relay: "), "{stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
}

#[test]
fn bad_flags_exit_1_with_one_line() {
    let dir = std::env::temp_dir().join(format!("mock-relay-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwt_path = dir.join("jwt.hex");
    std::fs::write(&jwt_path, jwt().to_hex()).unwrap();
    let jwt_file = jwt_path.to_str().unwrap();
    let ee = [
        "--execution-endpoint",
        "http://127.0.0.1:1",
        "--execution-jwt",
        jwt_file,
    ];
    fails_with_one_line(&["--no-such-flag"], "--no-such-flag");
    fails_with_one_line(&["--listen", "1"], "--execution-endpoint");
    fails_with_one_line(
        &[&ee[..], &["--fault-invalid-payload", "sometimes"]].concat(),
        "sometimes",
    );
    fails_with_one_line(
        &[&ee[..], &["--listen", "0.0.0.0:1"]].concat(),
        "127.0.0.1 only",
    );
    fails_with_one_line(
        &[&ee[..], &["--secret-key", "0xzz"]].concat(),
        "--secret-key",
    );
    fails_with_one_line(
        &[&ee[..], &["--testnet-dir", dir.to_str().unwrap()]].concat(),
        "--testnet-dir",
    );
    fails_with_one_line(
        &[
            "--execution-endpoint",
            "http://127.0.0.1:1",
            "--execution-jwt",
            "/nonexistent/jwt",
        ],
        "--execution-jwt",
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Start the binary with `args` (plus an engine and JWT), return the first line it prints, stop it.
fn first_line_of(args: &[&str]) -> String {
    // One directory per call: tests run in parallel, and a shared one is removed under another.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mock-relay-start-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwt_path = dir.join("jwt.hex");
    std::fs::write(&jwt_path, jwt().to_hex()).unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--execution-endpoint",
            "http://127.0.0.1:1",
            "--execution-jwt",
            jwt_path.to_str().unwrap(),
            "--log",
            "error",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().ok();
    child.wait().ok();
    std::fs::remove_dir_all(&dir).ok();
    line
}

#[test]
fn starts_and_prints_its_key_and_address() {
    let key = bls::interop_secret_key(7);
    let hex_key = format!("0x{}", hex::encode(&key.serialize()[..]));
    let line = first_line_of(&["--secret-key", &hex_key, "--fault-no-bid"]);
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    assert!(
        line.contains(&key.public_key().to_bytes().to_string()),
        "{line}"
    );
    assert!(line.contains("preset mainnet"), "{line}");
    let builder = mock_relay::default_builder_address().to_string();
    assert!(line.contains(&builder), "{line}");
    let other = first_line_of(&[
        "--builder-address",
        &format!("{:?}", types::Address::repeat_byte(0xb1)),
    ]);
    // Printed checksummed (EIP-55).
    assert!(
        other.contains(&types::Address::repeat_byte(0xb1).to_string()),
        "{other}"
    );
}

/// `--testnet-dir` takes the preset from config.yaml and the genesis validators root from genesis.ssz.
#[test]
fn testnet_dir_sets_preset_and_genesis_root() {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors/consensus-spec-tests/tests/minimal/capella/fork/fork")
        .join("pyspec_tests/fork_base_state/post.ssz_snappy");
    let compressed =
        std::fs::read(&vectors).unwrap_or_else(|e| panic!("{}: {e}", vectors.display()));
    let state_bytes = snap::raw::Decoder::new()
        .decompress_vec(&compressed)
        .unwrap();
    let spec = types::ChainSpec::minimal();
    let state =
        types::BeaconState::<types::MinimalEthSpec>::from_ssz_bytes_with_spec(&state_bytes, &spec)
            .unwrap();
    // A zero root would not tell the state's root from the default.
    assert_ne!(state.genesis_validators_root(), types::Hash256::ZERO);
    let dir = std::env::temp_dir().join(format!("mock-relay-testnet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.yaml"),
        include_str!("../../../common/types/configs/minimal.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("genesis.ssz"), &state_bytes).unwrap();
    let line = first_line_of(&["--testnet-dir", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(line.contains("preset minimal"), "{line}");
    assert!(
        line.contains(&format!(
            "genesis validators root {}",
            state.genesis_validators_root()
        )),
        "{line}"
    );
}

/// `--help` documents every switch and mode, so the flags and admin fields can be found without the
/// source.
#[test]
fn help_lists_the_blob_faults_and_builder_pays() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--fault-blobs-missing",
        "--fault-blobs-mismatched",
        "--fault-blobs-bad-proof",
        "--builder-pays",
        "--builder-address",
        "blobs_missing",
        "blobs_mismatched",
        "blobs_bad_proof",
        "builder_pays",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}
