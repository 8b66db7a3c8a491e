//! builder-specs containers: validator registrations, bids, and the payload-and-blobs reveal.

use crate::block::BlobKzgCommitments;
use crate::execution::*;
use crate::primitives::*;
use crate::{EthSpec, ForkName};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{FixedVector, VariableList};
use superstruct::superstruct;
use tree_hash_derive::TreeHash;

/// `ValidatorRegistrationV1`: a proposer's fee recipient and gas limit target, for builders.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct ValidatorRegistrationV1 {
    pub fee_recipient: Address,
    #[serde(with = "serde_utils::quoted_u64")]
    pub gas_limit: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub timestamp: u64,
    pub pubkey: PublicKeyBytes,
}

/// `SignedValidatorRegistrationV1`, signed under `DOMAIN_APPLICATION_BUILDER`.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct SignedValidatorRegistrationV1 {
    pub message: ValidatorRegistrationV1,
    pub signature: SignatureBytes,
}

/// `BuilderBid` for each fork: the header a builder offers, its value in wei, and the builder's key.
#[superstruct(
    variants(Capella, Deneb, Electra, Fulu),
    variant_attributes(
        derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Serialize,
            Deserialize,
            Encode,
            Decode,
            TreeHash
        ),
        serde(bound = "E: EthSpec", deny_unknown_fields),
    ),
    cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
    partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, tree_hash_derive::TreeHash)]
#[serde(bound = "E: EthSpec", untagged)]
#[ssz(enum_behaviour = "transparent")]
#[tree_hash(enum_behaviour = "transparent")]
pub struct BuilderBid<E: EthSpec> {
    #[superstruct(flatten)]
    pub header: ExecutionPayloadHeader<E>,
    #[superstruct(only(Deneb, Electra, Fulu))]
    pub blob_kzg_commitments: BlobKzgCommitments<E>,
    #[superstruct(only(Electra, Fulu))]
    pub execution_requests: ExecutionRequests<E>,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u256")]
    pub value: U256,
    #[superstruct(getter(copy))]
    pub pubkey: PublicKeyBytes,
}

/// `SignedBuilderBid` for each fork, signed by the builder under `DOMAIN_APPLICATION_BUILDER`.
#[superstruct(
    variants(Capella, Deneb, Electra, Fulu),
    variant_attributes(
        derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Serialize,
            Deserialize,
            Encode,
            Decode,
            TreeHash
        ),
        serde(bound = "E: EthSpec", deny_unknown_fields),
    ),
    cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
    partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, tree_hash_derive::TreeHash)]
#[serde(bound = "E: EthSpec", untagged)]
#[ssz(enum_behaviour = "transparent")]
#[tree_hash(enum_behaviour = "transparent")]
pub struct SignedBuilderBid<E: EthSpec> {
    #[superstruct(flatten)]
    pub message: BuilderBid<E>,
    #[superstruct(getter(copy))]
    pub signature: SignatureBytes,
}

impl<E: EthSpec> BuilderBid<E> {
    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Capella(_) => ForkName::Capella,
            Self::Deneb(_) => ForkName::Deneb,
            Self::Electra(_) => ForkName::Electra,
            Self::Fulu(_) => ForkName::Fulu,
        }
    }

    /// The offered header, as the fork's enum.
    pub fn header_enum(&self) -> ExecutionPayloadHeader<E> {
        match self {
            Self::Capella(b) => ExecutionPayloadHeader::Capella(b.header.clone()),
            Self::Deneb(b) => ExecutionPayloadHeader::Deneb(b.header.clone()),
            Self::Electra(b) => ExecutionPayloadHeader::Electra(b.header.clone()),
            Self::Fulu(b) => ExecutionPayloadHeader::Fulu(b.header.clone()),
        }
    }
}

impl<E: EthSpec> SignedBuilderBid<E> {
    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Capella(_) => ForkName::Capella,
            Self::Deneb(_) => ForkName::Deneb,
            Self::Electra(_) => ForkName::Electra,
            Self::Fulu(_) => ForkName::Fulu,
        }
    }

    /// The signed bid, as the fork's enum.
    pub fn message_enum(&self) -> BuilderBid<E> {
        match self {
            Self::Capella(s) => BuilderBid::Capella(s.message.clone()),
            Self::Deneb(s) => BuilderBid::Deneb(s.message.clone()),
            Self::Electra(s) => BuilderBid::Electra(s.message.clone()),
            Self::Fulu(s) => BuilderBid::Fulu(s.message.clone()),
        }
    }
}

/// A blob: `FIELD_ELEMENTS_PER_BLOB` field elements of 32 bytes.
pub type Blob<E> = FixedVector<u8, <E as EthSpec>::BytesPerBlob>;
pub type Blobs<E> = VariableList<Blob<E>, <E as EthSpec>::MaxBlobCommitmentsPerBlock>;

/// `BlobsBundle` for Deneb and Electra: one KZG proof per blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct BlobsBundleDeneb<E: EthSpec> {
    pub commitments: BlobKzgCommitments<E>,
    pub proofs: VariableList<KzgProof, E::MaxBlobCommitmentsPerBlock>,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub blobs: Blobs<E>,
}

/// `BlobsBundle` for Fulu (EIP-7594): `CELLS_PER_EXT_BLOB` cell proofs per blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct BlobsBundleFulu<E: EthSpec> {
    pub commitments: BlobKzgCommitments<E>,
    pub proofs: VariableList<KzgProof, E::MaxCellProofsPerBlock>,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub blobs: Blobs<E>,
}

/// `ExecutionPayloadAndBlobsBundle` for each blob-carrying fork: what a builder reveals for a signed
/// blinded block from Deneb on.
#[superstruct(
    variants(Deneb, Electra, Fulu),
    variant_attributes(
        derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Serialize,
            Deserialize,
            Encode,
            Decode,
            TreeHash
        ),
        serde(bound = "E: EthSpec", deny_unknown_fields),
    ),
    cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
    partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, tree_hash_derive::TreeHash)]
#[serde(bound = "E: EthSpec", untagged)]
#[ssz(enum_behaviour = "transparent")]
#[tree_hash(enum_behaviour = "transparent")]
pub struct ExecutionPayloadAndBlobsBundle<E: EthSpec> {
    #[superstruct(only(Deneb), partial_getter(rename = "execution_payload_deneb"))]
    pub execution_payload: ExecutionPayloadDeneb<E>,
    #[superstruct(only(Electra), partial_getter(rename = "execution_payload_electra"))]
    pub execution_payload: ExecutionPayloadElectra<E>,
    #[superstruct(only(Fulu), partial_getter(rename = "execution_payload_fulu"))]
    pub execution_payload: ExecutionPayloadFulu<E>,
    #[superstruct(only(Deneb, Electra), partial_getter(rename = "blobs_bundle_deneb"))]
    pub blobs_bundle: BlobsBundleDeneb<E>,
    #[superstruct(only(Fulu), partial_getter(rename = "blobs_bundle_fulu"))]
    pub blobs_bundle: BlobsBundleFulu<E>,
}

impl<E: EthSpec> ExecutionPayloadAndBlobsBundle<E> {
    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Deneb(_) => ForkName::Deneb,
            Self::Electra(_) => ForkName::Electra,
            Self::Fulu(_) => ForkName::Fulu,
        }
    }

    /// The revealed payload, as the fork's enum.
    pub fn execution_payload_enum(&self) -> ExecutionPayload<E> {
        match self {
            Self::Deneb(b) => ExecutionPayload::Deneb(b.execution_payload.clone()),
            Self::Electra(b) => ExecutionPayload::Electra(b.execution_payload.clone()),
            Self::Fulu(b) => ExecutionPayload::Fulu(b.execution_payload.clone()),
        }
    }

    /// The blob commitments the builder revealed.
    pub fn commitments(&self) -> &BlobKzgCommitments<E> {
        match self {
            Self::Deneb(b) => &b.blobs_bundle.commitments,
            Self::Electra(b) => &b.blobs_bundle.commitments,
            Self::Fulu(b) => &b.blobs_bundle.commitments,
        }
    }
}
