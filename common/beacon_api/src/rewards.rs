//! The shapes of the rewards endpoints (`/eth/v1/beacon/rewards/*`), the validator identities
//! (`POST .../validator_identities`) and the blobs endpoint. Amounts are Gwei, quoted; rewards are
//! signed (a penalty is negative) where the spec types them `Int64`.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use types::{EthSpec, Gwei, PublicKeyBytes, ValidatorIndex};

/// `BlockRewards`: what a block paid its proposer, by source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRewardsData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub proposer_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub total: Gwei,
    #[serde(with = "serde_utils::quoted_u64")]
    pub attestations: Gwei,
    #[serde(with = "serde_utils::quoted_u64")]
    pub sync_aggregate: Gwei,
    #[serde(with = "serde_utils::quoted_u64")]
    pub proposer_slashings: Gwei,
    #[serde(with = "serde_utils::quoted_u64")]
    pub attester_slashings: Gwei,
}

/// One entry of `SyncCommitteeRewards`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCommitteeRewardData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_i64")]
    pub reward: i64,
}

/// `IdealAttestationRewards`: what a perfect attester with `effective_balance` earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdealAttestationRewardData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub effective_balance: Gwei,
    #[serde(with = "serde_utils::quoted_i64")]
    pub head: i64,
    #[serde(with = "serde_utils::quoted_i64")]
    pub target: i64,
    #[serde(with = "serde_utils::quoted_i64")]
    pub source: i64,
    #[serde(with = "serde_utils::quoted_i64")]
    pub inactivity: i64,
}

/// `AttestationRewards`: one validator's rewards for an epoch's attestations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRewardData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_i64")]
    pub head: i64,
    #[serde(with = "serde_utils::quoted_i64")]
    pub target: i64,
    #[serde(with = "serde_utils::quoted_i64")]
    pub source: i64,
    #[serde(with = "serde_utils::quoted_i64")]
    pub inactivity: i64,
}

/// `AttestationsRewards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationsRewardsData {
    pub ideal_rewards: Vec<IdealAttestationRewardData>,
    pub total_rewards: Vec<AttestationRewardData>,
}

/// `ValidatorIdentityResponse`; its SSZ form is the container of the same three fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
pub struct ValidatorIdentityData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: ValidatorIndex,
    pub pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub activation_epoch: u64,
}

/// The JSON `data` of `GET /eth/v1/beacon/blobs/{block_id}`: each blob as `0x` hex (SSZ: the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec", transparent)]
pub struct BlobsData<E: EthSpec>(
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")] pub types::Blobs<E>,
);
