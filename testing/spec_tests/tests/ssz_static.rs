//! consensus-spec-tests `ssz_static`: for every container of every fork and preset, decode
//! `serialized.ssz_snappy`, re-encode it byte for byte, check `hash_tree_root` against `roots.yaml`, and
//! check that `value.yaml` (the JSON-like form) decodes to the same object.

use serde::de::DeserializeOwned;
use spec_tests::{name, read_ssz_snappy, read_string, read_yaml, subdirs, vectors_dir, Summary};
use ssz::{Decode, Encode};
use std::fmt::Debug;
use std::path::Path;
use tree_hash::TreeHash;
use types::*;

#[derive(serde::Deserialize)]
struct Roots {
    root: String,
}

fn expected_root(case: &Path) -> Result<Hash256, String> {
    let roots: Roots = read_yaml(&case.join("roots.yaml"));
    roots
        .root
        .parse::<Hash256>()
        .map_err(|e| format!("bad root in roots.yaml: {e}"))
}

fn check_ssz<T: Encode + TreeHash>(case: &Path, bytes: &[u8], value: &T) -> Result<(), String> {
    if value.as_ssz_bytes() != bytes {
        return Err("re-encoding differs from serialized.ssz_snappy".into());
    }
    let root = value.tree_hash_root();
    let expected = expected_root(case)?;
    if root != expected {
        return Err(format!("root {root} != expected {expected}"));
    }
    Ok(())
}

/// A container with one shape at every fork.
fn check<T>(case: &Path) -> Result<(), String>
where
    T: Encode + Decode + TreeHash + DeserializeOwned + PartialEq + Debug,
{
    let bytes = read_ssz_snappy(&case.join("serialized.ssz_snappy"));
    let value = T::from_ssz_bytes(&bytes).map_err(|e| format!("decode: {e:?}"))?;
    check_ssz(case, &bytes, &value)?;
    let from_yaml: T = serde_yaml::from_str(&read_string(&case.join("value.yaml")))
        .map_err(|e| format!("value.yaml: {e}"))?;
    if from_yaml != value {
        return Err("value.yaml decodes to a different object".into());
    }
    Ok(())
}

/// A fork-dependent container, decoded as the variant of `fork`.
fn check_versioned<T>(fork: ForkName, case: &Path) -> Result<(), String>
where
    T: ForkVersioned + Encode + TreeHash + PartialEq + Debug + serde::Serialize,
{
    let bytes = read_ssz_snappy(&case.join("serialized.ssz_snappy"));
    let value = T::from_ssz_bytes_by_fork(&bytes, fork).map_err(|e| format!("decode: {e:?}"))?;
    check_ssz(case, &bytes, &value)?;
    let yaml: serde_json::Value = serde_yaml::from_str(&read_string(&case.join("value.yaml")))
        .map_err(|e| format!("value.yaml: {e}"))?;
    let from_yaml = T::from_value_by_fork(yaml, fork).map_err(|e| format!("value.yaml: {e}"))?;
    if from_yaml != value {
        return Err("value.yaml decodes to a different object".into());
    }
    // JSON round trip through the beacon-API envelope.
    let envelope = serde_json::to_value(ForkVersionedResponse::new(value))
        .map_err(|e| format!("to JSON: {e}"))?;
    if envelope["version"] != fork.as_str() {
        return Err(format!(
            "envelope version {} != {fork}",
            envelope["version"]
        ));
    }
    let back = ForkVersionedResponse::<T>::from_json_value(envelope)
        .map_err(|e| format!("from JSON: {e}"))?;
    if back.data != from_yaml {
        return Err("JSON round trip changed the object".into());
    }
    Ok(())
}

/// Blinding keeps the root; unblinding with the right payload restores the block, and refuses a payload
/// of another root or fork.
fn check_blinding<E: EthSpec>(fork: ForkName, case: &Path) -> Result<(), String> {
    let bytes = read_ssz_snappy(&case.join("serialized.ssz_snappy"));
    let block = SignedBeaconBlock::<E>::from_ssz_bytes_by_fork(&bytes, fork)
        .map_err(|e| format!("{e:?}"))?;
    let header = block.signed_block_header();
    if header.message.tree_hash_root() != block.message_root()
        || header.signature != block.signature()
    {
        return Err("signed_block_header differs from the block's root or signature".into());
    }
    let blinded = block.to_blinded();
    if blinded.message_root() != block.message_root() {
        return Err("blinded block root differs from the full block root".into());
    }
    if blinded.tree_hash_root() != block.tree_hash_root() {
        return Err("signed blinded block root differs".into());
    }
    let payload = block.message_enum().body_enum().execution_payload_enum();
    let restored = blinded
        .clone()
        .into_full_block(payload.clone())
        .map_err(|e| e.to_string())?;
    if restored != block {
        return Err("unblinding did not restore the block".into());
    }
    let mut tampered = payload.clone();
    *tampered.gas_used_mut() ^= 1;
    match blinded.clone().into_full_block(tampered) {
        Err(UnblindError::RootMismatch { .. }) => {}
        other => {
            return Err(format!(
                "tampered payload accepted or wrong error: {other:?}"
            ))
        }
    }
    let other_fork = if fork == ForkName::Capella {
        ForkName::Deneb
    } else {
        ForkName::Capella
    };
    match blinded.into_full_block(ExecutionPayload::<E>::empty(other_fork)) {
        Err(UnblindError::ForkMismatch { .. }) => Ok(()),
        other => Err(format!(
            "payload of another fork accepted or wrong error: {other:?}"
        )),
    }
}

/// Runs one case of the named type, or says why it cannot (an unknown type is a failure: every
/// container in the vectors must be covered).
fn run_case<E: EthSpec>(fork: ForkName, type_name: &str, case: &Path) -> Result<(), String> {
    let electra = fork.electra_enabled();
    match type_name {
        "Attestation" if electra => check::<AttestationElectra<E>>(case),
        "Attestation" => check::<AttestationBase<E>>(case),
        "AttestationData" => check::<AttestationData>(case),
        "AttesterSlashing" if electra => check::<AttesterSlashingElectra<E>>(case),
        "AttesterSlashing" => check::<AttesterSlashingBase<E>>(case),
        "BeaconBlock" => check_versioned::<BeaconBlock<E>>(fork, case),
        "BeaconBlockBody" => check_versioned::<BeaconBlockBody<E>>(fork, case),
        "BeaconBlockHeader" => check::<BeaconBlockHeader>(case),
        "BeaconState" => check_versioned::<BeaconState<E>>(fork, case),
        "Checkpoint" => check::<Checkpoint>(case),
        "ConsolidationRequest" => check::<ConsolidationRequest>(case),
        "Deposit" => check::<Deposit>(case),
        "DepositData" => check::<DepositData>(case),
        "DepositMessage" => check::<DepositMessage>(case),
        "DepositRequest" => check::<DepositRequest>(case),
        "Eth1Data" => check::<Eth1Data>(case),
        "ExecutionPayload" => check_versioned::<ExecutionPayload<E>>(fork, case),
        "ExecutionPayloadHeader" => check_versioned::<ExecutionPayloadHeader<E>>(fork, case),
        "ExecutionRequests" => check::<ExecutionRequests<E>>(case),
        "Fork" => check::<Fork>(case),
        "ForkData" => check::<ForkData>(case),
        "HistoricalSummary" => check::<HistoricalSummary>(case),
        "IndexedAttestation" if electra => check::<IndexedAttestationElectra<E>>(case),
        "IndexedAttestation" => check::<IndexedAttestationBase<E>>(case),
        "PendingConsolidation" => check::<PendingConsolidation>(case),
        "PendingDeposit" => check::<PendingDeposit>(case),
        "PendingPartialWithdrawal" => check::<PendingPartialWithdrawal>(case),
        "ProposerSlashing" => check::<ProposerSlashing>(case),
        "SignedBLSToExecutionChange" => check::<SignedBlsToExecutionChange>(case),
        "BLSToExecutionChange" => check::<BlsToExecutionChange>(case),
        "SignedBeaconBlock" => check_versioned::<SignedBeaconBlock<E>>(fork, case)
            .and_then(|()| check_blinding::<E>(fork, case)),
        "SignedBeaconBlockHeader" => check::<SignedBeaconBlockHeader>(case),
        "SignedVoluntaryExit" => check::<SignedVoluntaryExit>(case),
        "SigningData" => check::<SigningData>(case),
        "SyncAggregate" => check::<SyncAggregate<E>>(case),
        "SyncCommittee" => check::<SyncCommittee<E>>(case),
        "Validator" => check::<Validator>(case),
        "VoluntaryExit" => check::<VoluntaryExit>(case),
        "Withdrawal" => check::<Withdrawal>(case),
        "WithdrawalRequest" => check::<WithdrawalRequest>(case),
        other => Err(format!(
            "no Blindfold type for ssz_static container {other}"
        )),
    }
}

fn run_preset<E: EthSpec>(preset: &str) {
    let root = vectors_dir()
        .join("consensus-spec-tests/tests")
        .join(preset);
    let mut summary = Summary::new(format!("ssz_static/{preset}"));
    for fork in ForkName::ALL {
        let dir = root.join(fork.as_str()).join("ssz_static");
        for type_dir in subdirs(&dir) {
            let type_name = name(&type_dir).to_string();
            for suite in subdirs(&type_dir) {
                for case in subdirs(&suite) {
                    let id = format!("{fork}/{type_name}/{}/{}", name(&suite), name(&case));
                    summary.record(id, run_case::<E>(fork, &type_name, &case));
                }
            }
        }
    }
    summary.finish();
}

#[test]
fn ssz_static_minimal() {
    run_preset::<MinimalEthSpec>("minimal");
}

#[test]
fn ssz_static_mainnet() {
    run_preset::<MainnetEthSpec>("mainnet");
}
