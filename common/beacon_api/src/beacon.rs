//! `/eth/v*/beacon/*` shapes: genesis, states, validators, headers, and the pools' fork-dependent
//! bodies.

use operation_pool::{Attestation, AttesterSlashing, SingleAttestation};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use types::{
    Checkpoint, ForkName, Gwei, Hash256, SignedBeaconBlockHeader, Validator, ValidatorIndex,
    Version, FAR_FUTURE_EPOCH,
};

/// `GET /eth/v1/beacon/genesis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub genesis_time: u64,
    pub genesis_validators_root: Hash256,
    #[serde(with = "serde_utils::bytes_4_hex")]
    pub genesis_fork_version: Version,
}

/// `{"root": ...}` (state and block roots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootData {
    pub root: Hash256,
}

/// `GET /eth/v1/beacon/states/{state_id}/finality_checkpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalityCheckpointsData {
    pub previous_justified: Checkpoint,
    pub current_justified: Checkpoint,
    pub finalized: Checkpoint,
}

/// A validator's status (the beacon-APIs validator status specification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidatorStatus {
    PendingInitialized,
    PendingQueued,
    ActiveOngoing,
    ActiveExiting,
    ActiveSlashed,
    ExitedUnslashed,
    ExitedSlashed,
    WithdrawalPossible,
    WithdrawalDone,
}

impl ValidatorStatus {
    /// The status of `validator` with `balance` at `epoch`.
    pub fn of(validator: &Validator, balance: Gwei, epoch: u64) -> Self {
        if validator.activation_epoch > epoch {
            if validator.activation_eligibility_epoch == FAR_FUTURE_EPOCH {
                Self::PendingInitialized
            } else {
                Self::PendingQueued
            }
        } else if epoch < validator.exit_epoch {
            if validator.exit_epoch == FAR_FUTURE_EPOCH {
                Self::ActiveOngoing
            } else if validator.slashed {
                Self::ActiveSlashed
            } else {
                Self::ActiveExiting
            }
        } else if epoch < validator.withdrawable_epoch {
            if validator.slashed {
                Self::ExitedSlashed
            } else {
                Self::ExitedUnslashed
            }
        } else if balance != 0 {
            Self::WithdrawalPossible
        } else {
            Self::WithdrawalDone
        }
    }

    /// The general status this one belongs to (`pending`, `active`, `exited`, `withdrawal`).
    pub fn general(self) -> &'static str {
        match self {
            Self::PendingInitialized | Self::PendingQueued => "pending",
            Self::ActiveOngoing | Self::ActiveExiting | Self::ActiveSlashed => "active",
            Self::ExitedUnslashed | Self::ExitedSlashed => "exited",
            Self::WithdrawalPossible | Self::WithdrawalDone => "withdrawal",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingInitialized => "pending_initialized",
            Self::PendingQueued => "pending_queued",
            Self::ActiveOngoing => "active_ongoing",
            Self::ActiveExiting => "active_exiting",
            Self::ActiveSlashed => "active_slashed",
            Self::ExitedUnslashed => "exited_unslashed",
            Self::ExitedSlashed => "exited_slashed",
            Self::WithdrawalPossible => "withdrawal_possible",
            Self::WithdrawalDone => "withdrawal_done",
        }
    }

    /// Whether the `status` filter of a validators query (a specific or a general status) admits it.
    pub fn matches(self, filter: &StatusFilter) -> bool {
        match filter {
            StatusFilter::Specific(status) => *status == self,
            StatusFilter::General(general) => general.as_str() == self.general(),
        }
    }
}

impl fmt::Display for ValidatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value of a validators query's `status` filter: a specific status or a general one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum StatusFilter {
    Specific(ValidatorStatus),
    /// `pending`, `active`, `exited` or `withdrawal`.
    General(GeneralStatus),
}

/// The four general statuses, each covering some specific ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneralStatus {
    Pending,
    Active,
    Exited,
    Withdrawal,
}

impl GeneralStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Active, Self::Exited, Self::Withdrawal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Exited => "exited",
            Self::Withdrawal => "withdrawal",
        }
    }
}

impl FromStr for StatusFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        for general in GeneralStatus::ALL {
            if s == general.as_str() {
                return Ok(Self::General(general));
            }
        }
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map(Self::Specific)
            .map_err(|_| format!("invalid validator status: {s}"))
    }
}

impl TryFrom<String> for StatusFilter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<StatusFilter> for String {
    fn from(filter: StatusFilter) -> String {
        match filter {
            StatusFilter::Specific(status) => status.as_str().to_string(),
            StatusFilter::General(general) => general.as_str().to_string(),
        }
    }
}

/// One entry of `GET /eth/v1/beacon/states/{state_id}/validators`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub balance: Gwei,
    pub status: ValidatorStatus,
    pub validator: Validator,
}

/// One entry of `GET /eth/v1/beacon/states/{state_id}/validator_balances`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorBalanceData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub balance: Gwei,
}

/// The body of `POST /eth/v1/beacon/states/{state_id}/validators`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorsRequestBody {
    /// Indices or `0x` public keys, as strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<StatusFilter>>,
}

/// One entry of `GET /eth/v1/beacon/headers` and the data of `.../headers/{block_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeaderData {
    pub root: Hash256,
    pub canonical: bool,
    pub header: SignedBeaconBlockHeader,
}

/// An `Attestation` JSON of the shape `fork` uses.
pub fn attestation_from_value<E: types::EthSpec>(
    value: serde_json::Value,
    fork: ForkName,
) -> Result<Attestation<E>, serde_json::Error> {
    if fork.electra_enabled() {
        serde_json::from_value(value).map(Attestation::Electra)
    } else {
        serde_json::from_value(value).map(Attestation::Base)
    }
}

/// An `AttesterSlashing` JSON of the shape `fork` uses.
pub fn attester_slashing_from_value<E: types::EthSpec>(
    value: serde_json::Value,
    fork: ForkName,
) -> Result<AttesterSlashing<E>, serde_json::Error> {
    if fork.electra_enabled() {
        serde_json::from_value(value).map(AttesterSlashing::Electra)
    } else {
        serde_json::from_value(value).map(AttesterSlashing::Base)
    }
}

/// A list of JSON values decoded one by one with `decode` at `fork`.
pub fn list_from_value<T>(
    value: serde_json::Value,
    fork: ForkName,
    decode: impl Fn(serde_json::Value, ForkName) -> Result<T, serde_json::Error>,
) -> Result<Vec<T>, serde_json::Error> {
    let items: Vec<serde_json::Value> = serde_json::from_value(value)?;
    items.into_iter().map(|item| decode(item, fork)).collect()
}

/// The body of `POST /eth/v2/beacon/pool/attestations`: phase0 attestations before Electra,
/// `SingleAttestation`s from Electra on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(bound = "E: types::EthSpec", untagged)]
pub enum PoolAttestations<E: types::EthSpec> {
    Base(Vec<types::AttestationBase<E>>),
    Single(Vec<SingleAttestation>),
}

impl<E: types::EthSpec> PoolAttestations<E> {
    /// Decodes the body as `fork` (from `Eth-Consensus-Version`) has it.
    pub fn from_value(value: serde_json::Value, fork: ForkName) -> Result<Self, serde_json::Error> {
        if fork.electra_enabled() {
            serde_json::from_value(value).map(Self::Single)
        } else {
            serde_json::from_value(value).map(Self::Base)
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Base(list) => list.len(),
            Self::Single(list) => list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_spec_table() {
        let mut v = Validator {
            activation_eligibility_epoch: FAR_FUTURE_EPOCH,
            activation_epoch: FAR_FUTURE_EPOCH,
            exit_epoch: FAR_FUTURE_EPOCH,
            withdrawable_epoch: FAR_FUTURE_EPOCH,
            ..Validator::default()
        };
        assert_eq!(
            ValidatorStatus::of(&v, 1, 5),
            ValidatorStatus::PendingInitialized
        );
        v.activation_eligibility_epoch = 3;
        assert_eq!(
            ValidatorStatus::of(&v, 1, 5),
            ValidatorStatus::PendingQueued
        );
        v.activation_epoch = 4;
        assert_eq!(
            ValidatorStatus::of(&v, 1, 5),
            ValidatorStatus::ActiveOngoing
        );
        v.exit_epoch = 9;
        v.withdrawable_epoch = 12;
        assert_eq!(
            ValidatorStatus::of(&v, 1, 5),
            ValidatorStatus::ActiveExiting
        );
        v.slashed = true;
        assert_eq!(
            ValidatorStatus::of(&v, 1, 5),
            ValidatorStatus::ActiveSlashed
        );
        assert_eq!(
            ValidatorStatus::of(&v, 1, 10),
            ValidatorStatus::ExitedSlashed
        );
        assert_eq!(
            ValidatorStatus::of(&v, 1, 12),
            ValidatorStatus::WithdrawalPossible
        );
        assert_eq!(
            ValidatorStatus::of(&v, 0, 12),
            ValidatorStatus::WithdrawalDone
        );
        let active: StatusFilter = "active".parse().unwrap();
        assert!(ValidatorStatus::ActiveSlashed.matches(&active));
        assert!(!ValidatorStatus::ExitedSlashed.matches(&active));
        assert!("active_ongoing".parse::<StatusFilter>().is_ok());
        assert!("asleep".parse::<StatusFilter>().is_err());
    }
}

/// One entry of `GET /eth/v1/beacon/states/{state_id}/committees`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: types::Slot,
    #[serde(with = "serde_utils::quoted_u64_vec")]
    pub validators: Vec<ValidatorIndex>,
}

/// `GET /eth/v1/beacon/states/{state_id}/sync_committees`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCommitteeData {
    #[serde(with = "serde_utils::quoted_u64_vec")]
    pub validators: Vec<ValidatorIndex>,
    /// The committee in its subcommittees (`SYNC_COMMITTEE_SUBNET_COUNT` of them).
    pub validator_aggregates: Vec<QuotedIndices>,
}

/// A list of validator indices as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuotedIndices(#[serde(with = "serde_utils::quoted_u64_vec")] pub Vec<ValidatorIndex>);

/// `GET /eth/v1/beacon/states/{state_id}/randao`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandaoData {
    pub randao: Hash256,
}
