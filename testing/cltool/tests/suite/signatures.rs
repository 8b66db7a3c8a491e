//! `verify-signature` on real relay captures: builder bids, validator registrations, (blinded) blocks.

use crate::*;
use serde_json::Value;
use std::path::Path;

fn verify_builder(kind: &str, fork: Option<&str>, genesis_fork_version: &str, file: &Path) -> bool {
    let mut args = vec!["verify-signature", "--kind", kind];
    if let Some(fork) = fork {
        args.extend(["--fork", fork]);
    }
    args.extend(["--genesis-fork-version", genesis_fork_version, s(file)]);
    verify(&args)
}

#[test]
fn real_builder_bids() {
    let bid =
        vectors().join("relay-captures/mev-rs/extracted/sepolia-capella-signed-builder-bid.json");
    assert!(verify_builder(
        "builder-bid",
        Some("capella"),
        "0x90000069",
        &bid
    ));
    assert!(!verify_builder(
        "builder-bid",
        Some("capella"),
        "0x00000000",
        &bid
    ));

    // getHeader responses ({version, data}) and their SSZ, signed under Goerli's builder domain.
    let relay = vectors().join("relay-captures/mev-boost-relay/testdata");
    for (fork, file) in [
        ("capella", "getHeaderResponseCapella_Mainnet"),
        ("deneb", "getHeaderResponseDeneb_Goerli"),
    ] {
        for ext in ["json", "ssz"] {
            let path = relay.join(format!("{file}.{ext}"));
            assert!(
                verify_builder("builder-bid", Some(fork), "0x00001020", &path),
                "{file}.{ext}"
            );
            assert!(
                !verify_builder("builder-bid", Some(fork), "0x00000000", &path),
                "{file}.{ext}"
            );
        }
    }

    // The builder-specs examples carry bytes that are not curve points: invalid, not a crash.
    for fork in FORKS {
        let path = vectors().join(format!(
            "builder-specs-examples/{fork}/signed_builder_bid.json"
        ));
        assert!(
            !verify_builder("builder-bid", Some(fork), "0x00000000", &path),
            "{fork}"
        );
    }
}

#[test]
fn real_registrations() {
    let dir = scratch("registrations");
    // The mev-boost vectors annotate each item with `_source`, which a strict decoder refuses: strip it.
    let file =
        vectors().join("relay-captures/mev-boost/extracted/registrations-from-go-tests.json");
    let mut items = read_json(&file).as_array().expect("a list").clone();
    assert_eq!(items.len(), 4);
    for item in &mut items {
        item.as_object_mut().unwrap().remove("_source");
    }
    for (i, item) in items.iter().enumerate() {
        let path = dir.join(format!("registration-{i}.json"));
        write_json(&path, item);
        // The first three verify under the mainnet builder domain; the fourth (an old API's) does not.
        assert_eq!(
            verify_builder("validator-registration", None, "0x00000000", &path),
            i < 3,
            "{i}"
        );
        if i < 3 {
            assert!(
                !verify_builder("validator-registration", None, "0x00001020", &path),
                "{i}"
            );
        }
    }
    // A list verifies when all of its items do.
    let good = dir.join("good.json");
    write_json(&good, &Value::Array(items[..3].to_vec()));
    assert!(verify_builder(
        "validator-registration",
        None,
        "0x00000000",
        &good
    ));
    let all = dir.join("all.json");
    write_json(&all, &Value::Array(items.clone()));
    assert!(!verify_builder(
        "validator-registration",
        None,
        "0x00000000",
        &all
    ));
    // Wrapped as {"value": [...]}, as builder-specs writes them.
    let wrapped = dir.join("wrapped.json");
    write_json(
        &wrapped,
        &serde_json::json!({ "value": items[..3].to_vec() }),
    );
    assert!(verify_builder(
        "validator-registration",
        None,
        "0x00000000",
        &wrapped
    ));

    // As SSZ, one registration or a concatenation of them.
    let ssz = dir.join("registration-0.ssz");
    let json = dir.join("registration-0.json");
    convert(
        "mainnet",
        "capella",
        "SignedValidatorRegistrationV1",
        "ssz",
        &json,
        &ssz,
    );
    assert!(verify_builder(
        "validator-registration",
        Some("capella"),
        "0x00000000",
        &ssz
    ));
    let mut concatenated = vec![];
    for i in 0..3 {
        let one = dir.join(format!("registration-{i}.ssz"));
        convert(
            "mainnet",
            "capella",
            "SignedValidatorRegistrationV1",
            "ssz",
            &dir.join(format!("registration-{i}.json")),
            &one,
        );
        concatenated.extend(std::fs::read(&one).unwrap());
    }
    let list = dir.join("list.ssz");
    std::fs::write(&list, &concatenated).unwrap();
    assert!(verify_builder(
        "validator-registration",
        None,
        "0x00000000",
        &list
    ));

    // 100 Kiln registrations from the relay's testdata, valid only under Kiln's builder domain.
    let valreg = vectors().join("relay-captures/mev-boost-relay/testdata/valreg1.json");
    assert!(verify_builder(
        "validator-registration",
        None,
        "0x70000069",
        &valreg
    ));
    assert!(!verify_builder(
        "validator-registration",
        None,
        "0x00000000",
        &valreg
    ));
}

pub const GOERLI_GVR: &str = "0x043db0d9a83813551ee2f33450d23797757d430911a9320530ad8a0eabc43efb";

fn verify_block(kind: &str, fork: &str, fork_version: &str, pubkey: &str, file: &Path) -> bool {
    verify(&[
        "verify-signature",
        "--kind",
        kind,
        "--fork",
        fork,
        "--genesis-fork-version",
        "0x00001020",
        "--fork-version",
        fork_version,
        "--genesis-validators-root",
        GOERLI_GVR,
        "--pubkey",
        pubkey,
        s(file),
    ])
}

#[test]
fn real_blocks() {
    let dir = scratch("blocks");
    let relay = vectors().join("relay-captures/mev-boost-relay/testdata");
    let expected = read_json(&vectors().join("relay-captures/mev-boost-relay/EXPECTED.json"));
    let capella_key = "0xa8afcb5313602f936864b30600f568e04069e596ceed9b55e2a1c872c959ddcb90589636469c15d97e7565344d9ed4ad";
    let deneb_key = "0x8322b8af5c6d97e855cc75ad19d59b381a880630cded89268c14acb058cf3c5720ebcde5fa6087dcbb64dbd826936148";
    let not_a_point = format!("0x{}", "11".repeat(48));
    for (kind, fork, file, key) in [
        (
            "blinded-block",
            "capella",
            "signedBlindedBeaconBlockCapella_Goerli",
            capella_key,
        ),
        (
            "blinded-block",
            "deneb",
            "signedBlindedBeaconBlockDeneb_Goerli",
            deneb_key,
        ),
        (
            "block",
            "capella",
            "signedBeaconBlockCapella_Goerli",
            capella_key,
        ),
    ] {
        // Fork version and genesis validators root as the collection found them to verify.
        let info = &expected["files"][format!("{file}.json.gz")]["computed_here"];
        let with = &info["proposer_signature_verifies_with"][0];
        let fork_version = with["fork_version"].as_str().unwrap();
        assert_eq!(with["genesis_validators_root"], GOERLI_GVR);
        let path = gunzip(&relay.join(format!("{file}.json.gz")), &dir);
        assert!(verify_block(kind, fork, fork_version, key, &path), "{file}");
        // Another fork version, another key, a key that is no curve point: invalid.
        assert!(
            !verify_block(kind, fork, "0x02001020", key, &path),
            "{file}"
        );
        let other_key = if key == capella_key {
            deneb_key
        } else {
            capella_key
        };
        assert!(
            !verify_block(kind, fork, fork_version, other_key, &path),
            "{file}"
        );
        assert!(
            !verify_block(kind, fork, fork_version, &not_a_point, &path),
            "{file}"
        );
        // Through SSZ: the same answer; and the roots agree with the collection's.
        let type_name = if kind == "block" {
            "SignedBeaconBlock"
        } else {
            "SignedBlindedBeaconBlock"
        };
        let ssz = dir.join(format!("{file}.ssz"));
        convert("mainnet", fork, type_name, "ssz", &path, &ssz);
        assert!(
            verify_block(kind, fork, fork_version, key, &ssz),
            "{file}.ssz"
        );
        if let Some(expected_root) = info["signed_block_hash_tree_root"].as_str() {
            assert_eq!(
                root("mainnet", fork, type_name, &path),
                expected_root,
                "{file}"
            );
        }
        let block_root = info["block_root"].as_str().unwrap();
        let block_type = if kind == "block" {
            "BeaconBlock"
        } else {
            "BlindedBeaconBlock"
        };
        let message = dir.join(format!("{file}-message.json"));
        write_json(&message, &read_json(&path)["message"]);
        assert_eq!(
            root("mainnet", fork, block_type, &message),
            block_root,
            "{file}"
        );
    }
}
