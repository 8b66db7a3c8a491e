//! Decoding by fork: SSZ and JSON do not say which fork an object belongs to, so the caller says it (from
//! the slot, an `Eth-Consensus-Version` header, or a `{"version","data"}` envelope).

use crate::block::*;
use crate::builder::*;
use crate::execution::*;
use crate::state::*;
use crate::{EthSpec, ForkName};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A fork-dependent container that can be decoded once its fork is known.
pub trait ForkVersioned: Sized {
    /// SSZ-decode as the variant of `fork`.
    fn from_ssz_bytes_by_fork(bytes: &[u8], fork: ForkName) -> Result<Self, ssz::DecodeError>;
    /// Deserialise (JSON, YAML, ...) as the variant of `fork`.
    fn from_value_by_fork(
        value: serde_json::Value,
        fork: ForkName,
    ) -> Result<Self, serde_json::Error>;
    /// The fork this object belongs to.
    fn fork_name_of(&self) -> ForkName;
}

fn unsupported(fork: ForkName, what: &str) -> ssz::DecodeError {
    ssz::DecodeError::BytesInvalid(format!("{what} does not exist at fork {fork}"))
}

fn unsupported_json(fork: ForkName, what: &str) -> serde_json::Error {
    <serde_json::Error as serde::de::Error>::custom(format!("{what} does not exist at fork {fork}"))
}

fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(value)
}

macro_rules! impl_fork_versioned {
    ($Enum:ident, [$($Fork:ident => $Variant:ident),*]) => {
        impl<E: EthSpec> ForkVersioned for $Enum<E> {
            fn from_ssz_bytes_by_fork(bytes: &[u8], fork: ForkName) -> Result<Self, ssz::DecodeError> {
                #[allow(unreachable_patterns)]
                match fork {
                    $(ForkName::$Fork => <$Variant<E> as ssz::Decode>::from_ssz_bytes(bytes).map(Self::$Fork),)*
                    _ => Err(unsupported(fork, stringify!($Enum))),
                }
            }
            fn from_value_by_fork(value: serde_json::Value, fork: ForkName) -> Result<Self, serde_json::Error> {
                #[allow(unreachable_patterns)]
                match fork {
                    $(ForkName::$Fork => from_value::<$Variant<E>>(value).map(Self::$Fork),)*
                    _ => Err(unsupported_json(fork, stringify!($Enum))),
                }
            }
            fn fork_name_of(&self) -> ForkName {
                self.fork_name()
            }
        }
    };
}

macro_rules! impl_all_forks {
    ($($Enum:ident: $Capella:ident, $Deneb:ident, $Electra:ident, $Fulu:ident;)*) => {
        $(impl_fork_versioned!($Enum, [Capella => $Capella, Deneb => $Deneb, Electra => $Electra, Fulu => $Fulu]);)*
    };
}

impl_all_forks! {
    ExecutionPayload: ExecutionPayloadCapella, ExecutionPayloadDeneb, ExecutionPayloadElectra, ExecutionPayloadFulu;
    ExecutionPayloadHeader: ExecutionPayloadHeaderCapella, ExecutionPayloadHeaderDeneb,
        ExecutionPayloadHeaderElectra, ExecutionPayloadHeaderFulu;
    BeaconBlockBody: BeaconBlockBodyCapella, BeaconBlockBodyDeneb, BeaconBlockBodyElectra, BeaconBlockBodyFulu;
    BeaconBlock: BeaconBlockCapella, BeaconBlockDeneb, BeaconBlockElectra, BeaconBlockFulu;
    SignedBeaconBlock: SignedBeaconBlockCapella, SignedBeaconBlockDeneb, SignedBeaconBlockElectra,
        SignedBeaconBlockFulu;
    BlindedBeaconBlockBody: BlindedBeaconBlockBodyCapella, BlindedBeaconBlockBodyDeneb,
        BlindedBeaconBlockBodyElectra, BlindedBeaconBlockBodyFulu;
    BlindedBeaconBlock: BlindedBeaconBlockCapella, BlindedBeaconBlockDeneb, BlindedBeaconBlockElectra,
        BlindedBeaconBlockFulu;
    SignedBlindedBeaconBlock: SignedBlindedBeaconBlockCapella, SignedBlindedBeaconBlockDeneb,
        SignedBlindedBeaconBlockElectra, SignedBlindedBeaconBlockFulu;
    BuilderBid: BuilderBidCapella, BuilderBidDeneb, BuilderBidElectra, BuilderBidFulu;
    SignedBuilderBid: SignedBuilderBidCapella, SignedBuilderBidDeneb, SignedBuilderBidElectra,
        SignedBuilderBidFulu;
    BeaconState: BeaconStateCapella, BeaconStateDeneb, BeaconStateElectra, BeaconStateFulu;
}

impl_fork_versioned!(ExecutionPayloadAndBlobsBundle, [
    Deneb => ExecutionPayloadAndBlobsBundleDeneb,
    Electra => ExecutionPayloadAndBlobsBundleElectra,
    Fulu => ExecutionPayloadAndBlobsBundleFulu
]);

/// The beacon-API envelope `{"version": "<fork>", "data": ...}` (extra fields such as
/// `execution_optimistic` are kept aside and ignored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForkVersionedResponse<T> {
    pub version: ForkName,
    pub data: T,
}

#[derive(Deserialize)]
struct RawEnvelope {
    version: ForkName,
    data: serde_json::Value,
}

impl<T: ForkVersioned + Serialize> ForkVersionedResponse<T> {
    pub fn new(data: T) -> Self {
        Self {
            version: data.fork_name_of(),
            data,
        }
    }

    /// Parse an envelope, decoding `data` as the variant its `version` names.
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        let raw: RawEnvelope = serde_json::from_value(value)?;
        let data = T::from_value_by_fork(raw.data, raw.version)?;
        Ok(Self {
            version: raw.version,
            data,
        })
    }
}

/// Read the little-endian `u64` slot at `offset` of an SSZ encoding, to learn the object's fork.
fn slot_at(bytes: &[u8], offset: usize) -> Result<crate::Slot, ssz::DecodeError> {
    let slot_bytes: [u8; 8] = bytes
        .get(offset..offset + 8)
        .and_then(|b| b.try_into().ok())
        .ok_or(ssz::DecodeError::InvalidByteLength {
            len: bytes.len(),
            expected: offset + 8,
        })?;
    Ok(u64::from_le_bytes(slot_bytes))
}

/// `SignedBeaconBlock` and `SignedBlindedBeaconBlock` SSZ: a 4-byte offset to the message and a 96-byte
/// signature, then the message, whose first field is the slot.
const SIGNED_BLOCK_SLOT_OFFSET: usize = 4 + 96;
/// `BeaconState` SSZ: `genesis_time` (8) and `genesis_validators_root` (32), then the slot.
const STATE_SLOT_OFFSET: usize = 8 + 32;

/// `from_ssz_bytes_with_spec` for each type, whose slot is at the given offset of its SSZ encoding.
macro_rules! impl_from_ssz_bytes_with_spec {
    ($($ty:ident at $offset:expr),* $(,)?) => {
        $(
            impl<E: EthSpec> $ty<E> {
                /// Decode as the fork that `spec` schedules at the object's slot.
                pub fn from_ssz_bytes_with_spec(
                    bytes: &[u8],
                    spec: &crate::ChainSpec,
                ) -> Result<Self, ssz::DecodeError> {
                    let fork = spec.fork_name_at_slot::<E>(slot_at(bytes, $offset)?);
                    Self::from_ssz_bytes_by_fork(bytes, fork)
                }
            }
        )*
    };
}

impl_from_ssz_bytes_with_spec!(
    SignedBeaconBlock at SIGNED_BLOCK_SLOT_OFFSET,
    SignedBlindedBeaconBlock at SIGNED_BLOCK_SLOT_OFFSET,
    BeaconState at STATE_SLOT_OFFSET,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChainSpec, MinimalEthSpec};
    use ssz::Encode;

    #[test]
    fn block_fork_follows_the_schedule_at_its_slot() {
        let mut spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Capella);
        spec.deneb_fork_epoch = 2;
        let mut block = SignedBeaconBlockDeneb::<MinimalEthSpec> {
            message: BeaconBlockDeneb {
                slot: 16,
                proposer_index: 0,
                parent_root: Default::default(),
                state_root: Default::default(),
                body: BeaconBlockBodyDeneb {
                    randao_reveal: Default::default(),
                    eth1_data: Default::default(),
                    graffiti: Default::default(),
                    proposer_slashings: Default::default(),
                    attester_slashings: Default::default(),
                    attestations: Default::default(),
                    deposits: Default::default(),
                    voluntary_exits: Default::default(),
                    sync_aggregate: crate::SyncAggregate::empty(),
                    execution_payload: Default::default(),
                    bls_to_execution_changes: Default::default(),
                    blob_kzg_commitments: Default::default(),
                },
            },
            signature: Default::default(),
        };
        let bytes = block.as_ssz_bytes();
        let decoded =
            SignedBeaconBlock::<MinimalEthSpec>::from_ssz_bytes_with_spec(&bytes, &spec).unwrap();
        assert_eq!(decoded.fork_name(), ForkName::Deneb);
        // One epoch earlier the schedule says Capella, and Deneb bytes do not decode as Capella.
        block.message.slot = 15;
        let bytes = block.as_ssz_bytes();
        assert!(
            SignedBeaconBlock::<MinimalEthSpec>::from_ssz_bytes_with_spec(&bytes, &spec).is_err()
        );
        assert!(
            SignedBeaconBlock::<MinimalEthSpec>::from_ssz_bytes_with_spec(&bytes[..50], &spec)
                .is_err()
        );
    }
}
