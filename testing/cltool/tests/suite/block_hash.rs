//! `block-hash` against go-boost-utils' and the relay's payloads.

use crate::*;
use serde_json::json;

const DENEB_PARENT_BEACON_BLOCK_ROOT: &str =
    "0xa119064ee9c03e2c7ad5821b6077606c64f36542eda12ed61a1edc5f898a17fc";

#[test]
fn go_boost_utils_and_relay_payloads() {
    let dir = vectors().join("el-block-hash/go-boost-utils-executionpayload");
    let expected = read_json(&vectors().join("relay-captures/go-boost-utils/EXPECTED.json"));
    let asserts = &expected["files"]
        ["testdata/executionpayload/{bellatrix,capella,deneb}-case0.json"]["go_test_asserts"]
        ["utils/utils_test.go TestComputeHash (EL block hash = keccak(rlp(header)))"];
    let capella = asserts["capella-case0.json"].as_str().unwrap();
    let deneb_key =
        format!("deneb-case0.json (parent_beacon_block_root={DENEB_PARENT_BEACON_BLOCK_ROOT})");
    let deneb = asserts[deneb_key.as_str()].as_str().unwrap();

    let capella_payload = dir.join("capella-case0.json");
    let deneb_payload = dir.join("deneb-case0.json");
    assert_eq!(
        ok(&["block-hash", "--fork", "capella", s(&capella_payload)]),
        capella
    );
    let deneb_args = [
        "block-hash",
        "--fork",
        "deneb",
        "--parent-beacon-block-root",
        DENEB_PARENT_BEACON_BLOCK_ROOT,
        s(&deneb_payload),
    ];
    assert_eq!(ok(&deneb_args), deneb);
    // Envelopes: {"version","data"} and {"value": ...}.
    let scratch = scratch("block-hash");
    let enveloped = scratch.join("enveloped.json");
    write_json(
        &enveloped,
        &json!({"version": "capella", "data": read_json(&capella_payload)}),
    );
    assert_eq!(
        ok(&["block-hash", "--fork", "capella", s(&enveloped)]),
        capella
    );
    let wrapped = scratch.join("wrapped.json");
    write_json(&wrapped, &json!({"value": read_json(&capella_payload)}));
    assert_eq!(
        ok(&["block-hash", "--fork", "capella", s(&wrapped)]),
        capella
    );

    // A real Goerli payload from the relay's capture.
    let relay = vectors()
        .join("relay-captures/mev-boost-relay/testdata/executionPayloadCapella_Goerli.json.gz");
    let relay_payload = gunzip(&relay, &scratch);
    assert_eq!(
        ok(&["block-hash", "--fork", "capella", s(&relay_payload)]),
        "0x1bafdc454116b605005364976b134d761dd736cb4788d25c835783b46daeb121"
    );
}

#[test]
fn electra_needs_and_uses_the_execution_requests() {
    let dir = scratch("block-hash-electra");
    let payload = vectors().join("el-block-hash/go-boost-utils-executionpayload/deneb-case0.json");
    let none = dir.join("none.json");
    write_json(
        &none,
        &json!({"deposits": [], "withdrawals": [], "consolidations": []}),
    );
    let one = dir.join("one.json");
    write_json(
        &one,
        &json!({"deposits": [], "withdrawals": [{
            "source_address": "0x1111111111111111111111111111111111111111",
            "validator_pubkey": format!("0x{}", "22".repeat(48)),
            "amount": "7"
        }], "consolidations": []}),
    );
    // Deneb's payload shape is Electra's; the requests hash is the difference.
    let electra = |requests: &std::path::Path| {
        ok(&[
            "block-hash",
            "--fork",
            "electra",
            "--parent-beacon-block-root",
            DENEB_PARENT_BEACON_BLOCK_ROOT,
            "--execution-requests",
            s(requests),
            s(&payload),
        ])
    };
    let (with_none, with_one) = (electra(&none), electra(&one));
    assert_eq!(with_none.len(), 66);
    assert!(with_none.starts_with("0x"));
    assert_ne!(with_none, with_one);
    let deneb = ok(&[
        "block-hash",
        "--fork",
        "deneb",
        "--parent-beacon-block-root",
        DENEB_PARENT_BEACON_BLOCK_ROOT,
        s(&payload),
    ]);
    assert_ne!(with_none, deneb);
}

#[test]
fn context_must_match_the_fork() {
    let dir = vectors().join("el-block-hash/go-boost-utils-executionpayload");
    let capella = dir.join("capella-case0.json");
    let deneb = dir.join("deneb-case0.json");
    let requests = scratch("block-hash-context").join("none.json");
    write_json(
        &requests,
        &json!({"deposits": [], "withdrawals": [], "consolidations": []}),
    );
    let pbbr = DENEB_PARENT_BEACON_BLOCK_ROOT;
    let line = error(&["block-hash", "--fork", "deneb", s(&deneb)]);
    assert!(line.contains("--parent-beacon-block-root"), "{line}");
    error(&[
        "block-hash",
        "--fork",
        "capella",
        "--parent-beacon-block-root",
        pbbr,
        s(&capella),
    ]);
    let line = error(&[
        "block-hash",
        "--fork",
        "electra",
        "--parent-beacon-block-root",
        pbbr,
        s(&deneb),
    ]);
    assert!(line.contains("--execution-requests"), "{line}");
    error(&[
        "block-hash",
        "--fork",
        "fulu",
        "--parent-beacon-block-root",
        pbbr,
        s(&deneb),
    ]);
    let with_requests = [
        "--parent-beacon-block-root",
        pbbr,
        "--execution-requests",
        s(&requests),
    ];
    error(
        &[
            &["block-hash", "--fork", "deneb"],
            &with_requests[..],
            &[s(&deneb)],
        ]
        .concat(),
    );
    // A capella payload is not a deneb one; a missing requests file is an error.
    error(&[
        "block-hash",
        "--fork",
        "deneb",
        "--parent-beacon-block-root",
        pbbr,
        s(&capella),
    ]);
    let missing = [
        "--parent-beacon-block-root",
        pbbr,
        "--execution-requests",
        "/nonexistent/requests.json",
    ];
    error(
        &[
            &["block-hash", "--fork", "electra"],
            &missing[..],
            &[s(&deneb)],
        ]
        .concat(),
    );
}
