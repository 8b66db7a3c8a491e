//! The small consensus containers: checkpoints, validators, attestations and the block operations.
//!
//! Field order is the SSZ order of the spec; changing it changes every root.

use crate::primitives::*;
use crate::EthSpec;
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitList, BitVector, FixedVector, VariableList};
use tree_hash_derive::TreeHash;

/// `Fork` (phase0).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct Fork {
    #[serde(with = "serde_utils::bytes_4_hex")]
    pub previous_version: Version,
    #[serde(with = "serde_utils::bytes_4_hex")]
    pub current_version: Version,
    #[serde(with = "serde_utils::quoted_u64")]
    pub epoch: Epoch,
}

/// `ForkData` (phase0): hashed into the fork digest and domains.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct ForkData {
    #[serde(with = "serde_utils::bytes_4_hex")]
    pub current_version: Version,
    pub genesis_validators_root: Root,
}

/// `SigningData` (phase0): what is actually signed, `hash_tree_root(object)` bound to a domain.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct SigningData {
    pub object_root: Root,
    pub domain: Domain,
}

/// `Checkpoint` (phase0).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    Encode,
    Decode,
    TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    #[serde(with = "serde_utils::quoted_u64")]
    pub epoch: Epoch,
    pub root: Root,
}

/// `Validator` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub effective_balance: Gwei,
    pub slashed: bool,
    #[serde(with = "serde_utils::quoted_u64")]
    pub activation_eligibility_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub activation_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub exit_epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub withdrawable_epoch: Epoch,
}

/// `AttestationData` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct AttestationData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: CommitteeIndex,
    pub beacon_block_root: Root,
    pub source: Checkpoint,
    pub target: Checkpoint,
}

/// `Eth1Data` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct Eth1Data {
    pub deposit_root: Root,
    #[serde(with = "serde_utils::quoted_u64")]
    pub deposit_count: u64,
    pub block_hash: Hash256,
}

/// `BeaconBlockHeader` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct BeaconBlockHeader {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    pub proposer_index: ValidatorIndex,
    pub parent_root: Root,
    pub state_root: Root,
    pub body_root: Root,
}

/// `SignedBeaconBlockHeader` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct SignedBeaconBlockHeader {
    pub message: BeaconBlockHeader,
    pub signature: SignatureBytes,
}

/// `ProposerSlashing` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct ProposerSlashing {
    pub signed_header_1: SignedBeaconBlockHeader,
    pub signed_header_2: SignedBeaconBlockHeader,
}

/// `IndexedAttestation` before Electra: at most one committee's worth of indices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct IndexedAttestationBase<E: EthSpec> {
    #[serde(with = "ssz_types::serde_utils::quoted_u64_var_list")]
    pub attesting_indices: VariableList<ValidatorIndex, E::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `IndexedAttestation` from Electra (EIP-7549): indices from every committee of the slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct IndexedAttestationElectra<E: EthSpec> {
    #[serde(with = "ssz_types::serde_utils::quoted_u64_var_list")]
    pub attesting_indices: VariableList<ValidatorIndex, E::MaxValidatorsPerSlot>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `AttesterSlashing` before Electra.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct AttesterSlashingBase<E: EthSpec> {
    pub attestation_1: IndexedAttestationBase<E>,
    pub attestation_2: IndexedAttestationBase<E>,
}

/// `AttesterSlashing` from Electra.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct AttesterSlashingElectra<E: EthSpec> {
    pub attestation_1: IndexedAttestationElectra<E>,
    pub attestation_2: IndexedAttestationElectra<E>,
}

/// `Attestation` before Electra: one committee, named by `data.index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct AttestationBase<E: EthSpec> {
    pub aggregation_bits: BitList<E::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// `Attestation` from Electra (EIP-7549): several committees, named by `committee_bits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct AttestationElectra<E: EthSpec> {
    pub aggregation_bits: BitList<E::MaxValidatorsPerSlot>,
    pub data: AttestationData,
    pub signature: SignatureBytes,
    pub committee_bits: BitVector<E::MaxCommitteesPerSlot>,
}

/// `DepositMessage` (phase0): what a deposit's signature covers.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct DepositMessage {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub amount: Gwei,
}

/// `DepositData` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct DepositData {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub amount: Gwei,
    pub signature: SignatureBytes,
}

/// `DEPOSIT_CONTRACT_TREE_DEPTH + 1`: a deposit's Merkle branch length.
pub type DepositProofLength = ssz_types::typenum::U33;

/// `Deposit` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct Deposit {
    pub proof: FixedVector<Hash256, DepositProofLength>,
    pub data: DepositData,
}

/// `VoluntaryExit` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct VoluntaryExit {
    #[serde(with = "serde_utils::quoted_u64")]
    pub epoch: Epoch,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
}

/// `SignedVoluntaryExit` (phase0).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct SignedVoluntaryExit {
    pub message: VoluntaryExit,
    pub signature: SignatureBytes,
}

/// `SyncAggregate` (altair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct SyncAggregate<E: EthSpec> {
    pub sync_committee_bits: BitVector<E::SyncCommitteeSize>,
    pub sync_committee_signature: SignatureBytes,
}

impl<E: EthSpec> SyncAggregate<E> {
    /// No participants and the infinity signature, as a block with no sync contributions carries.
    pub fn empty() -> Self {
        Self {
            sync_committee_bits: BitVector::new(),
            sync_committee_signature: SignatureBytes::infinity(),
        }
    }
}

/// `SyncCommittee` (altair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct SyncCommittee<E: EthSpec> {
    pub pubkeys: FixedVector<PublicKeyBytes, E::SyncCommitteeSize>,
    pub aggregate_pubkey: PublicKeyBytes,
}

/// `BLSToExecutionChange` (capella).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct BlsToExecutionChange {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    pub from_bls_pubkey: PublicKeyBytes,
    pub to_execution_address: Address,
}

/// `SignedBLSToExecutionChange` (capella).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct SignedBlsToExecutionChange {
    pub message: BlsToExecutionChange,
    pub signature: SignatureBytes,
}

/// `HistoricalSummary` (capella).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct HistoricalSummary {
    pub block_summary_root: Root,
    pub state_summary_root: Root,
}

/// `PendingDeposit` (electra).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct PendingDeposit {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub amount: Gwei,
    pub signature: SignatureBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
}

/// `PendingPartialWithdrawal` (electra).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct PendingPartialWithdrawal {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub amount: Gwei,
    #[serde(with = "serde_utils::quoted_u64")]
    pub withdrawable_epoch: Epoch,
}

/// `PendingConsolidation` (electra).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct PendingConsolidation {
    #[serde(with = "serde_utils::quoted_u64")]
    pub source_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub target_index: ValidatorIndex,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_beacon_api_form_and_strict() {
        let checkpoint = Checkpoint {
            epoch: 7,
            root: Hash256::repeat_byte(1),
        };
        let json = serde_json::to_value(checkpoint).unwrap();
        assert_eq!(json["epoch"], "7", "integers are quoted");
        assert_eq!(
            serde_json::from_value::<Checkpoint>(json.clone()).unwrap(),
            checkpoint
        );
        let mut extra = json;
        extra["bogus"] = 3.into();
        assert!(
            serde_json::from_value::<Checkpoint>(extra).is_err(),
            "unknown fields are rejected"
        );
        // Bare integers (the spec tests' YAML form) are accepted too.
        let bare = serde_json::json!({"epoch": 7, "root": checkpoint.root});
        assert_eq!(
            serde_json::from_value::<Checkpoint>(bare).unwrap(),
            checkpoint
        );
    }
}
