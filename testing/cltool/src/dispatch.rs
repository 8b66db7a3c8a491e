//! From a spec container name and a fork to the concrete Rust type, and decoding into it.
//!
//! [`Codec`] hides the two decoding styles of the `types` crate (plain containers decode on their own;
//! fork-dependent enums need the fork), and [`loader`] maps a name to a function that decodes an
//! [`Input`] into a type-erased [`AnyContainer`].

use crate::error::{Error, Result};
use crate::input::{check_version, Input};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::marker::PhantomData;
use std::path::Path;
use types::ssz::{self, Decode, Encode};
use types::tree_hash::TreeHash;
use types::*;

/// How one container type is decoded.
pub trait Codec {
    type Value: Encode + TreeHash + Serialize + 'static;
    /// A fork-dependent container (a [`ForkVersioned`] enum): its JSON form goes in the beacon-API
    /// `{"version", "data"}` envelope.
    const VERSIONED: bool;
    fn from_ssz(bytes: &[u8], fork: ForkName) -> Result<Self::Value, ssz::DecodeError>;
    fn from_json(value: Value, fork: ForkName) -> Result<Self::Value, serde_json::Error>;
}

/// A container with the same Rust type at every fork it exists in.
pub struct Plain<T>(PhantomData<T>);

impl<T> Codec for Plain<T>
where
    T: Encode + Decode + TreeHash + Serialize + DeserializeOwned + 'static,
{
    type Value = T;
    const VERSIONED: bool = false;
    fn from_ssz(bytes: &[u8], _: ForkName) -> Result<T, ssz::DecodeError> {
        T::from_ssz_bytes(bytes)
    }
    fn from_json(value: Value, _: ForkName) -> Result<T, serde_json::Error> {
        serde_json::from_value(value)
    }
}

/// A fork-dependent enum, decoded as the variant of the fork.
pub struct Versioned<T>(PhantomData<T>);

impl<T> Codec for Versioned<T>
where
    T: ForkVersioned + Encode + TreeHash + Serialize + 'static,
{
    type Value = T;
    const VERSIONED: bool = true;
    fn from_ssz(bytes: &[u8], fork: ForkName) -> Result<T, ssz::DecodeError> {
        T::from_ssz_bytes_by_fork(bytes, fork)
    }
    fn from_json(value: Value, fork: ForkName) -> Result<T, serde_json::Error> {
        T::from_value_by_fork(value, fork)
    }
}

/// Decode `input` (read from `path`) as `C` at `fork`; `what` names the type in errors.
pub fn decode<C: Codec>(path: &Path, input: Input, fork: ForkName, what: &str) -> Result<C::Value> {
    match input {
        Input::Ssz(bytes) => C::from_ssz(&bytes, fork).map_err(|e| {
            Error::in_file(
                path,
                format!(
                    "not a valid {fork} {what} in SSZ ({} bytes): {e:?}",
                    bytes.len()
                ),
            )
        }),
        Input::Value { value, version } => {
            check_version(path, version, fork)?;
            C::from_json(value, fork)
                .map_err(|e| Error::in_file(path, format!("not a valid {fork} {what}: {e}")))
        }
    }
}

/// A decoded container of any type.
pub trait AnyContainer {
    fn hash_tree_root(&self) -> Hash256;
    fn ssz_bytes(&self) -> Vec<u8>;
    /// The beacon-API JSON form, pretty-printed, fields in SSZ order: in a `{"version", "data"}`
    /// envelope for fork-dependent types.
    fn to_json_pretty(&self) -> Result<String, serde_json::Error>;
}

struct Decoded<C: Codec> {
    value: C::Value,
    fork: ForkName,
}

impl<C: Codec> AnyContainer for Decoded<C> {
    fn hash_tree_root(&self) -> Hash256 {
        self.value.tree_hash_root()
    }
    fn ssz_bytes(&self) -> Vec<u8> {
        self.value.as_ssz_bytes()
    }
    fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        // Serialised directly, not through `serde_json::Value`, which would sort the fields.
        if C::VERSIONED {
            serde_json::to_string_pretty(&ForkVersionedResponse {
                version: self.fork,
                data: &self.value,
            })
        } else {
            serde_json::to_string_pretty(&self.value)
        }
    }
}

/// Decodes an input of one type at one fork.
pub type Loader = fn(&Path, Input, ForkName, &str) -> Result<Box<dyn AnyContainer>>;

fn load<C: Codec + 'static>(
    path: &Path,
    input: Input,
    fork: ForkName,
    what: &str,
) -> Result<Box<dyn AnyContainer>> {
    let value = decode::<C>(path, input, fork, what)?;
    Ok(Box::new(Decoded::<C> { value, fork }))
}

/// A container name that cltool knows.
#[derive(Debug, Clone, Copy)]
pub struct TypeInfo {
    /// The spec's name (consensus-specs or builder-specs).
    pub name: &'static str,
    /// The first fork at which it exists (of those Blindfold supports).
    pub since: ForkName,
    /// Defined by builder-specs rather than consensus-specs.
    pub builder: bool,
}

const fn consensus(name: &'static str, since: ForkName) -> TypeInfo {
    TypeInfo {
        name,
        since,
        builder: false,
    }
}

const fn builder(name: &'static str, since: ForkName) -> TypeInfo {
    TypeInfo {
        name,
        since,
        builder: true,
    }
}

use ForkName::{Capella, Deneb, Electra};

/// Every container name `--type` accepts. [`loader`] has one arm for each.
pub const TYPES: &[TypeInfo] = &[
    consensus("Attestation", Capella),
    consensus("AttestationData", Capella),
    consensus("AttesterSlashing", Capella),
    consensus("BLSToExecutionChange", Capella),
    consensus("BeaconBlock", Capella),
    consensus("BeaconBlockBody", Capella),
    consensus("BeaconBlockHeader", Capella),
    consensus("BeaconState", Capella),
    consensus("Checkpoint", Capella),
    consensus("ConsolidationRequest", Electra),
    consensus("Deposit", Capella),
    consensus("DepositData", Capella),
    consensus("DepositMessage", Capella),
    consensus("DepositRequest", Electra),
    consensus("Eth1Data", Capella),
    consensus("ExecutionPayload", Capella),
    consensus("ExecutionPayloadHeader", Capella),
    consensus("ExecutionRequests", Electra),
    consensus("Fork", Capella),
    consensus("ForkData", Capella),
    consensus("HistoricalSummary", Capella),
    consensus("IndexedAttestation", Capella),
    consensus("PendingConsolidation", Electra),
    consensus("PendingDeposit", Electra),
    consensus("PendingPartialWithdrawal", Electra),
    consensus("ProposerSlashing", Capella),
    consensus("SignedBLSToExecutionChange", Capella),
    consensus("SignedBeaconBlock", Capella),
    consensus("SignedBeaconBlockHeader", Capella),
    consensus("SignedVoluntaryExit", Capella),
    consensus("SigningData", Capella),
    consensus("SyncAggregate", Capella),
    consensus("SyncCommittee", Capella),
    consensus("Validator", Capella),
    consensus("VoluntaryExit", Capella),
    consensus("Withdrawal", Capella),
    consensus("WithdrawalRequest", Electra),
    builder("BlindedBeaconBlock", Capella),
    builder("BlindedBeaconBlockBody", Capella),
    builder("BlobsBundle", Deneb),
    builder("BuilderBid", Capella),
    builder("ExecutionPayloadAndBlobsBundle", Deneb),
    builder("SignedBlindedBeaconBlock", Capella),
    builder("SignedBuilderBid", Capella),
    builder("SignedValidatorRegistrationV1", Capella),
    builder("ValidatorRegistrationV1", Capella),
];

/// Look a name up, checking that the type exists at `fork`.
pub fn type_info(name: &str, fork: ForkName) -> Result<&'static TypeInfo> {
    let Some(info) = TYPES.iter().find(|t| t.name == name) else {
        let hint = TYPES
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| format!(" (did you mean {}?)", t.name))
            .unwrap_or_default();
        return Err(Error::input(format!(
            "unknown type {name:?}{hint}; `cltool ssz root --help` lists the known types"
        )));
    };
    if fork < info.since {
        return Err(Error::input(format!(
            "type {} does not exist at fork {fork} (it starts at {})",
            info.name, info.since
        )));
    }
    Ok(info)
}

/// The decoder of type `name` at `fork`, for preset `E`.
pub fn loader<E: EthSpec>(name: &str, fork: ForkName) -> Result<(&'static TypeInfo, Loader)> {
    let info = type_info(name, fork)?;
    let electra = fork.electra_enabled();
    let fulu = fork.fulu_enabled();
    let load: Loader = match info.name {
        "Attestation" if electra => load::<Plain<AttestationElectra<E>>>,
        "Attestation" => load::<Plain<AttestationBase<E>>>,
        "AttestationData" => load::<Plain<AttestationData>>,
        "AttesterSlashing" if electra => load::<Plain<AttesterSlashingElectra<E>>>,
        "AttesterSlashing" => load::<Plain<AttesterSlashingBase<E>>>,
        "BLSToExecutionChange" => load::<Plain<BlsToExecutionChange>>,
        "BeaconBlock" => load::<Versioned<BeaconBlock<E>>>,
        "BeaconBlockBody" => load::<Versioned<BeaconBlockBody<E>>>,
        "BeaconBlockHeader" => load::<Plain<BeaconBlockHeader>>,
        "BeaconState" => load::<Versioned<BeaconState<E>>>,
        "Checkpoint" => load::<Plain<Checkpoint>>,
        "ConsolidationRequest" => load::<Plain<ConsolidationRequest>>,
        "Deposit" => load::<Plain<Deposit>>,
        "DepositData" => load::<Plain<DepositData>>,
        "DepositMessage" => load::<Plain<DepositMessage>>,
        "DepositRequest" => load::<Plain<DepositRequest>>,
        "Eth1Data" => load::<Plain<Eth1Data>>,
        "ExecutionPayload" => load::<Versioned<ExecutionPayload<E>>>,
        "ExecutionPayloadHeader" => load::<Versioned<ExecutionPayloadHeader<E>>>,
        "ExecutionRequests" => load::<Plain<ExecutionRequests<E>>>,
        "Fork" => load::<Plain<Fork>>,
        "ForkData" => load::<Plain<ForkData>>,
        "HistoricalSummary" => load::<Plain<HistoricalSummary>>,
        "IndexedAttestation" if electra => load::<Plain<IndexedAttestationElectra<E>>>,
        "IndexedAttestation" => load::<Plain<IndexedAttestationBase<E>>>,
        "PendingConsolidation" => load::<Plain<PendingConsolidation>>,
        "PendingDeposit" => load::<Plain<PendingDeposit>>,
        "PendingPartialWithdrawal" => load::<Plain<PendingPartialWithdrawal>>,
        "ProposerSlashing" => load::<Plain<ProposerSlashing>>,
        "SignedBLSToExecutionChange" => load::<Plain<SignedBlsToExecutionChange>>,
        "SignedBeaconBlock" => load::<Versioned<SignedBeaconBlock<E>>>,
        "SignedBeaconBlockHeader" => load::<Plain<SignedBeaconBlockHeader>>,
        "SignedVoluntaryExit" => load::<Plain<SignedVoluntaryExit>>,
        "SigningData" => load::<Plain<SigningData>>,
        "SyncAggregate" => load::<Plain<SyncAggregate<E>>>,
        "SyncCommittee" => load::<Plain<SyncCommittee<E>>>,
        "Validator" => load::<Plain<Validator>>,
        "VoluntaryExit" => load::<Plain<VoluntaryExit>>,
        "Withdrawal" => load::<Plain<Withdrawal>>,
        "WithdrawalRequest" => load::<Plain<WithdrawalRequest>>,
        "BlindedBeaconBlock" => load::<Versioned<BlindedBeaconBlock<E>>>,
        "BlindedBeaconBlockBody" => load::<Versioned<BlindedBeaconBlockBody<E>>>,
        "BlobsBundle" if fulu => load::<Plain<BlobsBundleFulu<E>>>,
        "BlobsBundle" => load::<Plain<BlobsBundleDeneb<E>>>,
        "BuilderBid" => load::<Versioned<BuilderBid<E>>>,
        "ExecutionPayloadAndBlobsBundle" => load::<Versioned<ExecutionPayloadAndBlobsBundle<E>>>,
        "SignedBlindedBeaconBlock" => load::<Versioned<SignedBlindedBeaconBlock<E>>>,
        "SignedBuilderBid" => load::<Versioned<SignedBuilderBid<E>>>,
        "SignedValidatorRegistrationV1" => load::<Plain<SignedValidatorRegistrationV1>>,
        "ValidatorRegistrationV1" => load::<Plain<ValidatorRegistrationV1>>,
        other => {
            return Err(Error::input(format!(
                "type {other} is listed but has no decoder (a cltool bug)"
            )))
        }
    };
    Ok((info, load))
}

/// The `--type` help: every name, grouped by where it is defined and from which fork it exists.
pub fn types_help() -> String {
    let list = |builder: bool| {
        let mut out = String::new();
        for info in TYPES.iter().filter(|t| t.builder == builder) {
            out.push_str("  ");
            out.push_str(info.name);
            if info.since != Capella {
                out.push_str(&format!(" ({}+)", info.since));
            }
            out.push('\n');
        }
        out
    };
    format!(
        "The container's name as the specs spell it. Attestation, IndexedAttestation and \
         AttesterSlashing take their Electra form from electra on; BlobsBundle takes its Fulu form at \
         fulu.\n\nconsensus-specs:\n{}\nbuilder-specs:\n{}",
        list(false),
        list(true).trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_has_a_decoder_at_every_fork_it_exists() {
        for info in TYPES {
            for fork in ForkName::ALL {
                let mainnet = loader::<MainnetEthSpec>(info.name, fork);
                let minimal = loader::<MinimalEthSpec>(info.name, fork);
                assert_eq!(
                    mainnet.is_ok(),
                    fork >= info.since,
                    "{} at {fork}",
                    info.name
                );
                assert_eq!(
                    minimal.is_ok(),
                    fork >= info.since,
                    "{} at {fork}",
                    info.name
                );
            }
        }
    }

    #[test]
    fn names_are_unique_and_unknown_names_are_errors() {
        for (i, a) in TYPES.iter().enumerate() {
            assert!(
                TYPES[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
        let err = type_info("beaconblock", Capella).unwrap_err().to_string();
        assert!(err.contains("did you mean BeaconBlock?"), "{err}");
        assert!(type_info("Nope", Capella).is_err());
    }
}
