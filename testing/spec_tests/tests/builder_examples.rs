//! ethereum/builder-specs `examples/`: for every example of a supported fork, the JSON decodes to our
//! container, its SSZ equals the `.ssz` file byte for byte, the `.ssz` decodes back to the same object,
//! its hash tree root equals `EXPECTED.json`'s, and serialising it to JSON gives back the example's
//! `value` exactly (quoted integers, lower-case `0x` hex, field names). Mainnet preset.
//!
//! The examples' hashes and signatures are synthetic: no signature is checked here.

use serde::Serialize;
use serde_json::Value;
use spec_tests::{
    files, first_json_difference, name, read, read_json, subdirs, vectors_dir, Summary,
};
use ssz::{Decode, Encode};
use ssz_types::VariableList;
use std::collections::BTreeSet;
use std::fmt::Debug;
use tree_hash::TreeHash;
use types::*;

type E = MainnetEthSpec;

/// `List[SignedValidatorRegistrationV1, VALIDATOR_REGISTRY_LIMIT]`: the body of
/// `POST /eth/v1/builder/validators` (the limit the examples' root was computed with).
type Registrations =
    VariableList<SignedValidatorRegistrationV1, <E as EthSpec>::ValidatorRegistryLimit>;

/// The example's expected root, from `EXPECTED.json`'s `computed_here`.
fn expected_root(expected: &Value, key: &str) -> Result<Hash256, String> {
    let entry = &expected["computed_here"][key];
    if entry.is_null() {
        return Err(format!("EXPECTED.json has no entry {key}"));
    }
    if entry["ssz_of_json_equals_ssz_file"] != Value::Bool(true) {
        return Err(format!(
            "EXPECTED.json does not say the SSZ of {key} matches its file"
        ));
    }
    entry["hash_tree_root"]
        .as_str()
        .ok_or_else(|| format!("{key}: no hash_tree_root"))?
        .parse()
        .map_err(|e| format!("{key}: bad root: {e}"))
}

/// The SSZ, root and JSON checks shared by every container, once `value` has been decoded from `json`.
fn check_codecs<T>(
    value: &T,
    from_ssz: Result<T, ssz::DecodeError>,
    json: &Value,
    ssz_bytes: &[u8],
    root: Hash256,
) -> Result<(), String>
where
    T: Encode + TreeHash + Serialize + PartialEq + Debug,
{
    let encoded = value.as_ssz_bytes();
    if encoded != ssz_bytes {
        return Err(format!(
            "SSZ of the JSON object ({} bytes) differs from the .ssz file ({} bytes)",
            encoded.len(),
            ssz_bytes.len()
        ));
    }
    let from_ssz = from_ssz.map_err(|e| format!("decoding the .ssz file: {e:?}"))?;
    if &from_ssz != value {
        return Err("the .ssz file decodes to a different object than the JSON".into());
    }
    let actual_root = value.tree_hash_root();
    if actual_root != root {
        return Err(format!("hash_tree_root {actual_root} != expected {root}"));
    }
    let reserialised = serde_json::to_value(value).map_err(|e| format!("to JSON: {e}"))?;
    if &reserialised != json {
        return Err(format!(
            "re-serialised JSON differs from the example: {}",
            first_json_difference(json, &reserialised, "value")
        ));
    }
    Ok(())
}

/// A fork-dependent container. `json` is the example's `value`: either `{"version", "data"}` (checked
/// through [`ForkVersionedResponse`], whose version must be the folder's fork) or the bare object.
fn check_versioned<T>(
    fork: ForkName,
    json: &Value,
    ssz_bytes: &[u8],
    root: Hash256,
) -> Result<(), String>
where
    T: ForkVersioned + Encode + TreeHash + Serialize + PartialEq + Debug,
{
    let enveloped = json.get("version").is_some() && json.get("data").is_some();
    let data = if enveloped { &json["data"] } else { json };
    let value =
        T::from_value_by_fork(data.clone(), fork).map_err(|e| format!("decoding the JSON: {e}"))?;
    if value.fork_name_of() != fork {
        return Err(format!(
            "decoded as {} instead of {fork}",
            value.fork_name_of()
        ));
    }
    check_codecs(
        &value,
        T::from_ssz_bytes_by_fork(ssz_bytes, fork),
        data,
        ssz_bytes,
        root,
    )?;
    if enveloped {
        let parsed = ForkVersionedResponse::<T>::from_json_value(json.clone())
            .map_err(|e| format!("decoding the {{version, data}} envelope: {e}"))?;
        if parsed.version != fork || parsed.data != value {
            return Err(format!(
                "envelope decodes to version {} / a different object",
                parsed.version
            ));
        }
        let back = serde_json::to_value(ForkVersionedResponse::new(value))
            .map_err(|e| format!("to JSON: {e}"))?;
        if &back != json {
            return Err(format!(
                "re-serialised envelope differs: {}",
                first_json_difference(json, &back, "value")
            ));
        }
    }
    Ok(())
}

/// `signed_validator_registrations`: a plain list, the same container at every fork.
fn check_registrations(json: &Value, ssz_bytes: &[u8], root: Hash256) -> Result<(), String> {
    let value: Registrations =
        serde_json::from_value(json.clone()).map_err(|e| format!("decoding the JSON: {e}"))?;
    if value.is_empty() {
        return Err("no registration in the example".into());
    }
    check_codecs(
        &value,
        Registrations::from_ssz_bytes(ssz_bytes),
        json,
        ssz_bytes,
        root,
    )
}

fn run_file(
    fork: ForkName,
    stem: &str,
    json: &Value,
    ssz_bytes: &[u8],
    root: Hash256,
) -> Result<(), String> {
    match stem {
        "signed_builder_bid" => check_versioned::<SignedBuilderBid<E>>(fork, json, ssz_bytes, root),
        "signed_blinded_beacon_block" => {
            check_versioned::<SignedBlindedBeaconBlock<E>>(fork, json, ssz_bytes, root)
        }
        "execution_payload" => check_versioned::<ExecutionPayload<E>>(fork, json, ssz_bytes, root),
        "execution_payload_and_blobs_bundle" => {
            check_versioned::<ExecutionPayloadAndBlobsBundle<E>>(fork, json, ssz_bytes, root)
        }
        "signed_validator_registrations" => check_registrations(json, ssz_bytes, root),
        other => Err(format!(
            "no Blindfold container for builder-specs example {other}"
        )),
    }
}

#[test]
fn builder_specs_examples() {
    let dir = vectors_dir().join("builder-specs-examples");
    let expected: Value = read_json(&dir.join("EXPECTED.json"));
    let mut summary = Summary::new("builder_examples");
    let mut covered = BTreeSet::new();
    for fork_dir in subdirs(&dir) {
        let fork_name = name(&fork_dir).to_string();
        for file in files(&fork_dir) {
            let Some(stem) = name(&file).strip_suffix(".json") else {
                continue; // the .ssz files are read beside their .json
            };
            let case = format!("{fork_name}/{stem}");
            let fork = match (fork_name.as_str(), stem) {
                // A registration is the same container at every fork (builder-specs defines it once, at
                // Bellatrix), so the Bellatrix folder's example is in scope.
                ("bellatrix", "signed_validator_registrations") => None,
                ("bellatrix", _) => {
                    summary.skip(
                        &case,
                        "Bellatrix container: Blindfold's types start at Capella (no Bellatrix payload/header shape)",
                    );
                    continue;
                }
                ("gloas", _) => {
                    summary.skip(
                        &case,
                        "Gloas (ePBS builder API: BuilderPreferences, SignedRequestAuth) is not implemented in types",
                    );
                    continue;
                }
                (f, _) => match f.parse::<ForkName>() {
                    Ok(fork) => Some(fork),
                    Err(e) => {
                        summary.fail(&case, format!("unknown fork folder: {e}"));
                        continue;
                    }
                },
            };
            covered.insert(case.clone());
            let result = (|| {
                let root = expected_root(&expected, &case)?;
                let doc: Value = read_json(&file);
                let json = doc.get("value").ok_or("the example has no \"value\"")?;
                let ssz_bytes = read(&file.with_extension("ssz"));
                match fork {
                    Some(fork) => run_file(fork, stem, json, &ssz_bytes, root),
                    None => check_registrations(json, &ssz_bytes, root),
                }
            })();
            summary.record(&case, result);
        }
    }
    // Every example EXPECTED.json lists must have been run or skipped above (none silently missed).
    if let Some(entries) = expected["computed_here"].as_object() {
        for key in entries.keys() {
            let bellatrix = key.starts_with("bellatrix/");
            if !covered.contains(key) && !bellatrix {
                summary.fail(key, "listed in EXPECTED.json but its example was not run");
            }
        }
    }
    summary.finish();
}
