//! The error contract: bad input exits 2 with exactly one `cltool: error:` line and no panic; clap
//! handles command-line syntax; help works.

use super::signatures::GOERLI_GVR;
use crate::*;
use std::path::Path;

fn root_error(fork: &str, type_name: &str, file: &Path) -> String {
    error(&[
        "ssz",
        "root",
        "--preset",
        "minimal",
        "--fork",
        fork,
        "--type",
        type_name,
        s(file),
    ])
}

fn block_case() -> std::path::PathBuf {
    spec_tests("minimal")
        .join("electra/ssz_static/BeaconBlock/ssz_random/case_0/serialized.ssz_snappy")
}

#[test]
fn unknown_type_and_wrong_fork() {
    let snappy = block_case();
    let line = root_error("electra", "NoSuchType", &snappy);
    assert!(line.contains("unknown type"), "{line}");
    let line = root_error("electra", "beaconblock", &snappy);
    assert!(line.contains("did you mean BeaconBlock?"), "{line}");
    let line = root_error("capella", "ExecutionRequests", &snappy);
    assert!(line.contains("does not exist at fork capella"), "{line}");
    root_error("capella", "BlobsBundle", &snappy);
    root_error("capella", "ExecutionPayloadAndBlobsBundle", &snappy);
    root_error("deneb", "PendingDeposit", &snappy);
    // The type is checked before the file is read.
    let line = root_error(
        "capella",
        "ExecutionRequests",
        Path::new("/nonexistent.ssz"),
    );
    assert!(line.contains("does not exist"), "{line}");
}

#[test]
fn malformed_ssz() {
    let dir = scratch("errors-ssz");
    let ssz = dir.join("block.ssz");
    convert(
        "minimal",
        "electra",
        "BeaconBlock",
        "ssz",
        &block_case(),
        &ssz,
    );
    let bytes = std::fs::read(&ssz).unwrap();
    for (name, len) in [
        ("half.ssz", bytes.len() / 2),
        ("short.ssz", 10),
        ("empty.ssz", 0),
    ] {
        let truncated = dir.join(name);
        std::fs::write(&truncated, &bytes[..len]).unwrap();
        let line = root_error("electra", "BeaconBlock", &truncated);
        assert!(line.contains("not a valid electra BeaconBlock"), "{line}");
    }
    // An electra block is not a capella block.
    root_error("capella", "BeaconBlock", &ssz);
    // Wrong length for a fixed-size container.
    let checkpoint = dir.join("checkpoint.ssz");
    std::fs::write(&checkpoint, [0u8; 41]).unwrap();
    root_error("electra", "Checkpoint", &checkpoint);
    // Corrupt snappy, and a snappy header announcing 2 GiB.
    let corrupt = dir.join("corrupt.ssz_snappy");
    std::fs::write(&corrupt, b"\xff\xff\xff\xff\x0fnot snappy").unwrap();
    root_error("electra", "BeaconBlock", &corrupt);
    let huge = dir.join("huge.ssz_snappy");
    std::fs::write(&huge, b"\x80\x80\x80\x80\x08\x00").unwrap();
    let line = root_error("electra", "BeaconBlock", &huge);
    assert!(line.contains("limit"), "{line}");
}

#[test]
fn malformed_json_and_yaml() {
    let dir = scratch("errors-json");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let zero_root = format!("0x{}", "00".repeat(32));
    // Sanity: the well-formed checkpoint is accepted.
    let good = write(
        "good.json",
        &format!(r#"{{"epoch": "1", "root": "{zero_root}"}}"#),
    );
    ok(&[
        "ssz",
        "root",
        "--fork",
        "deneb",
        "--type",
        "Checkpoint",
        s(&good),
    ]);
    for (name, text) in [
        (
            "bad-hex.json",
            format!(r#"{{"epoch": "1", "root": "0x{}"}}"#, "zz".repeat(32)),
        ),
        (
            "odd-hex.json",
            r#"{"epoch": "1", "root": "0x123"}"#.to_string(),
        ),
        (
            "short-hex.json",
            r#"{"epoch": "1", "root": "0x1234"}"#.to_string(),
        ),
        (
            "bad-int.json",
            format!(r#"{{"epoch": "one", "root": "{zero_root}"}}"#),
        ),
        ("missing-field.json", r#"{"epoch": "1"}"#.to_string()),
        ("truncated.json", r#"{"epoch": "#.to_string()),
        ("empty.json", String::new()),
        ("not-an-object.json", "[1, 2]".to_string()),
        ("bad.yaml", "epoch: [1,\n  2\nroot: {".to_string()),
    ] {
        let path = write(name, &text);
        root_error("deneb", "Checkpoint", &path);
    }
    // A versioned type: unknown fields are refused.
    let payload =
        vectors().join("el-block-hash/go-boost-utils-executionpayload/capella-case0.json");
    let mut value = read_json(&payload);
    value["extra"] = serde_json::json!(1);
    let extra = dir.join("extra.json");
    write_json(&extra, &value);
    root_error("capella", "ExecutionPayload", &extra);
}

#[test]
fn envelopes_of_another_fork() {
    let dir = scratch("errors-envelope");
    let enveloped = dir.join("enveloped.json");
    convert(
        "minimal",
        "electra",
        "BeaconBlock",
        "json",
        &block_case(),
        &enveloped,
    );
    let line = root_error("fulu", "BeaconBlock", &enveloped);
    assert!(
        line.contains("\"electra\"") && line.contains("fulu"),
        "{line}"
    );
    let bellatrix = dir.join("bellatrix.json");
    std::fs::write(&bellatrix, r#"{"version": "bellatrix", "data": {}}"#).unwrap();
    let line = root_error("electra", "BeaconBlock", &bellatrix);
    assert!(line.contains("bellatrix"), "{line}");
    // The relay's capella bid is not a deneb bid.
    let bid = vectors()
        .join("relay-captures/mev-boost-relay/testdata/getHeaderResponseCapella_Mainnet.json");
    error(&[
        "verify-signature",
        "--kind",
        "builder-bid",
        "--fork",
        "deneb",
        "--genesis-fork-version",
        "0x00001020",
        s(&bid),
    ]);
}

#[test]
fn missing_files_unknown_extensions_and_directories() {
    let dir = scratch("errors-files");
    let line = root_error("electra", "BeaconBlock", &dir.join("missing.ssz"));
    assert!(line.contains("missing.ssz"), "{line}");
    let txt = dir.join("block.txt");
    std::fs::copy(block_case(), &txt).unwrap();
    let line = root_error("electra", "BeaconBlock", &txt);
    assert!(line.contains("extension"), "{line}");
    root_error("electra", "BeaconBlock", &dir.join("no-extension"));
    let subdir = dir.join("a-dir.json");
    std::fs::create_dir_all(&subdir).unwrap();
    let line = root_error("electra", "BeaconBlock", &subdir);
    assert!(line.contains("directory"), "{line}");
    // Convert: a bad input leaves no output; an unwritable output is an error.
    let out = dir.join("out.json");
    error(&[
        "ssz",
        "convert",
        "--fork",
        "electra",
        "--type",
        "BeaconBlock",
        "--to",
        "json",
        s(&txt),
        s(&out),
    ]);
    assert!(!out.exists());
    let unwritable = dir.join("no-such-dir/out.json");
    let line = error(&[
        "ssz",
        "convert",
        "--preset",
        "minimal",
        "--fork",
        "electra",
        "--type",
        "BeaconBlock",
        "--to",
        "json",
        s(&block_case()),
        s(&unwritable),
    ]);
    assert!(line.contains("cannot write"), "{line}");
}

#[test]
fn signature_checks_that_cannot_be_made() {
    let bid =
        vectors().join("relay-captures/mev-rs/extracted/sepolia-capella-signed-builder-bid.json");
    let bid = s(&bid);
    let key = format!("0x{}", "11".repeat(48));
    let vb = ["verify-signature", "--kind", "builder-bid"];
    // Missing --genesis-fork-version, missing --fork.
    error(&[&vb[..], &["--fork", "capella", bid]].concat());
    error(&[&vb[..], &["--genesis-fork-version", "0x90000069", bid]].concat());
    // Block-only options for a bid.
    let line = error(
        &[
            &vb[..],
            &[
                "--fork",
                "capella",
                "--genesis-fork-version",
                "0x90000069",
                "--pubkey",
                &key,
                bid,
            ],
        ]
        .concat(),
    );
    assert!(line.contains("--pubkey"), "{line}");
    error(
        &[
            &vb[..],
            &[
                "--fork",
                "capella",
                "--genesis-fork-version",
                "0x90000069",
                "--genesis-validators-root",
                GOERLI_GVR,
                bid,
            ],
        ]
        .concat(),
    );
    // A block check without --pubkey, --fork-version or --genesis-validators-root.
    let block = [
        "verify-signature",
        "--kind",
        "blinded-block",
        "--fork",
        "capella",
    ];
    let line = error(
        &[
            &block[..],
            &[
                "--fork-version",
                "0x03001020",
                "--genesis-validators-root",
                GOERLI_GVR,
                bid,
            ],
        ]
        .concat(),
    );
    assert!(line.contains("--pubkey"), "{line}");
    let line = error(
        &[
            &block[..],
            &[
                "--genesis-validators-root",
                GOERLI_GVR,
                "--pubkey",
                &key,
                bid,
            ],
        ]
        .concat(),
    );
    assert!(line.contains("--fork-version"), "{line}");
    let line = error(
        &[
            &block[..],
            &["--fork-version", "0x03001020", "--pubkey", &key, bid],
        ]
        .concat(),
    );
    assert!(line.contains("--genesis-validators-root"), "{line}");
    // A bid is not a block.
    error(
        &[
            &block[..],
            &[
                "--fork-version",
                "0x03001020",
                "--genesis-validators-root",
                GOERLI_GVR,
                "--pubkey",
                &key,
                bid,
            ],
        ]
        .concat(),
    );
    // Registrations: a missing file, an empty list.
    let dir = scratch("errors-verify");
    let reg = [
        "verify-signature",
        "--kind",
        "validator-registration",
        "--genesis-fork-version",
        "0x00000000",
    ];
    error(&[&reg[..], &[s(&dir.join("missing.json"))]].concat());
    let empty = dir.join("empty.json");
    std::fs::write(&empty, "[]").unwrap();
    error(&[&reg[..], &[s(&empty)]].concat());
    let odd = dir.join("odd.ssz");
    std::fs::write(&odd, [0u8; 181]).unwrap();
    error(&[&reg[..], &[s(&odd)]].concat());
}

#[test]
fn cli_syntax_errors_are_clap_errors_and_help_works() {
    for args in [
        &[
            "ssz",
            "root",
            "--fork",
            "bellatrix",
            "--type",
            "BeaconBlock",
            "x.ssz",
        ][..],
        &["ssz", "root", "--fork", "capella", "x.ssz"],
        &[
            "ssz", "root", "--preset", "gnosis", "--fork", "capella", "--type", "Fork", "x.ssz",
        ],
        &[
            "ssz", "convert", "--fork", "capella", "--type", "Fork", "--to", "yaml", "x.ssz", "y",
        ],
        &["verify-signature", "--kind", "bid", "x.json"],
        &[
            "verify-signature",
            "--kind",
            "builder-bid",
            "--genesis-fork-version",
            "0x123",
            "x.json",
        ],
        &[
            "block-hash",
            "--fork",
            "deneb",
            "--parent-beacon-block-root",
            "0x00",
            "x.json",
        ],
        &["frobnicate"],
        &[],
    ] {
        let r = run(args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(!r.stderr.contains("panicked"), "{args:?}");
    }
    for args in [
        &["--help"][..],
        &["-h"],
        &["ssz", "--help"],
        &["ssz", "root", "--help"],
        &["ssz", "convert", "--help"],
        &["verify-signature", "--help"],
        &["block-hash", "--help"],
        &["help", "block-hash"],
    ] {
        let r = run(args);
        assert_eq!(r.code, Some(0), "{args:?}");
        assert!(r.stdout.contains("Usage:"), "{args:?}");
    }
    let help = run(&["ssz", "root", "--help"]).stdout;
    for name in [
        "SignedBuilderBid",
        "ExecutionRequests (electra+)",
        "BlobsBundle (deneb+)",
        "ValidatorRegistrationV1",
    ] {
        assert!(help.contains(name), "{name} is missing from the help");
    }
}
