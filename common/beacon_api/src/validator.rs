//! `/eth/v*/validator/*` shapes: duties, subscriptions, preparations, liveness and aggregates.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;
use types::{
    Address, AttestationBase, AttestationElectra, CommitteeIndex, Epoch, EthSpec, ForkName,
    PublicKeyBytes, SignatureBytes, Slot, ValidatorIndex,
};

/// One entry of `GET /eth/v1/validator/duties/proposer/{epoch}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposerData {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
}

/// One entry of `POST /eth/v1/validator/duties/attester/{epoch}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttesterData {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committee_index: CommitteeIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committee_length: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committees_at_slot: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_committee_index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
}

/// One entry of `POST /eth/v1/validator/duties/sync/{epoch}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDutyData {
    pub pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64_vec")]
    pub validator_sync_committee_indices: Vec<u64>,
}

/// The body of the attester and sync duties requests: validator indices as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ValidatorIndices(#[serde(with = "serde_utils::quoted_u64_vec")] pub Vec<u64>);

/// One entry of `POST /eth/v1/validator/beacon_committee_subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconCommitteeSubscription {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committee_index: CommitteeIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub committees_at_slot: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub is_aggregator: bool,
}

/// One entry of `POST /eth/v1/validator/sync_committee_subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCommitteeSubscription {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64_vec")]
    pub sync_committee_indices: Vec<u64>,
    #[serde(with = "serde_utils::quoted_u64")]
    pub until_epoch: Epoch,
}

/// One entry of `POST /eth/v1/validator/prepare_beacon_proposer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposerPreparationData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    pub fee_recipient: Address,
}

/// One entry of `POST /eth/v1/validator/liveness/{epoch}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivenessData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: ValidatorIndex,
    pub is_live: bool,
}

/// `AggregateAndProof` (phase0 shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct AggregateAndProofBase<E: EthSpec> {
    #[serde(with = "serde_utils::quoted_u64")]
    pub aggregator_index: ValidatorIndex,
    pub aggregate: AttestationBase<E>,
    pub selection_proof: SignatureBytes,
}

/// `AggregateAndProof` (Electra shape: the aggregate carries `committee_bits`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct AggregateAndProofElectra<E: EthSpec> {
    #[serde(with = "serde_utils::quoted_u64")]
    pub aggregator_index: ValidatorIndex,
    pub aggregate: AttestationElectra<E>,
    pub selection_proof: SignatureBytes,
}

/// `SignedAggregateAndProof` (phase0 shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct SignedAggregateAndProofBase<E: EthSpec> {
    pub message: AggregateAndProofBase<E>,
    pub signature: SignatureBytes,
}

/// `SignedAggregateAndProof` (Electra shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct SignedAggregateAndProofElectra<E: EthSpec> {
    pub message: AggregateAndProofElectra<E>,
    pub signature: SignatureBytes,
}

/// A `SignedAggregateAndProof` of either shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(bound = "E: EthSpec", untagged)]
pub enum SignedAggregateAndProof<E: EthSpec> {
    Base(SignedAggregateAndProofBase<E>),
    Electra(SignedAggregateAndProofElectra<E>),
}

impl<E: EthSpec> SignedAggregateAndProof<E> {
    /// Decodes one as `fork` has it.
    pub fn from_value(value: serde_json::Value, fork: ForkName) -> Result<Self, serde_json::Error> {
        if fork.electra_enabled() {
            serde_json::from_value(value).map(Self::Electra)
        } else {
            serde_json::from_value(value).map(Self::Base)
        }
    }

    pub fn aggregator_index(&self) -> ValidatorIndex {
        match self {
            Self::Base(s) => s.message.aggregator_index,
            Self::Electra(s) => s.message.aggregator_index,
        }
    }

    pub fn selection_proof(&self) -> &SignatureBytes {
        match self {
            Self::Base(s) => &s.message.selection_proof,
            Self::Electra(s) => &s.message.selection_proof,
        }
    }

    pub fn signature(&self) -> &SignatureBytes {
        match self {
            Self::Base(s) => &s.signature,
            Self::Electra(s) => &s.signature,
        }
    }

    /// The aggregate, in the pools' enum.
    pub fn aggregate(&self) -> operation_pool::Attestation<E> {
        match self {
            Self::Base(s) => operation_pool::Attestation::Base(s.message.aggregate.clone()),
            Self::Electra(s) => operation_pool::Attestation::Electra(s.message.aggregate.clone()),
        }
    }

    /// `hash_tree_root(message)`: what the aggregator signs.
    pub fn message_root(&self) -> types::Hash256 {
        use tree_hash::TreeHash;
        match self {
            Self::Base(s) => s.message.tree_hash_root(),
            Self::Electra(s) => s.message.tree_hash_root(),
        }
    }
}
