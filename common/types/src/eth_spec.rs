//! Presets: the compile-time list and vector lengths that differ between `mainnet` and `minimal`.
//!
//! SSZ lengths are part of a container's type (they change its root), so they are typenum types here and a
//! preset is a type parameter, `E: EthSpec`. Runtime values that are not lengths live in [`crate::ChainSpec`].

use serde::{Deserialize, Serialize};
use ssz_types::typenum::{
    Unsigned, U1, U1048576, U1073741824, U1099511627776, U128, U131072, U134217728, U16, U16777216,
    U2, U2048, U256, U262144, U32, U33554432, U4, U4096, U512, U64, U65536, U8, U8192,
};
use std::fmt::Debug;

/// One preset. Every associated type is the spec constant of the same name.
pub trait EthSpec:
    'static + Default + Clone + Copy + Debug + PartialEq + Eq + Send + Sync + Unpin + std::hash::Hash
{
    // phase0
    type MaxCommitteesPerSlot: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxValidatorsPerCommittee: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type SlotsPerEpoch: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type SlotsPerHistoricalRoot: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type EpochsPerHistoricalVector: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type EpochsPerSlashingsVector: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type HistoricalRootsLimit: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type ValidatorRegistryLimit: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    /// `EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH`
    type SlotsPerEth1VotingPeriod: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxProposerSlashings: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxAttesterSlashings: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxAttestations: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxDeposits: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxVoluntaryExits: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    // altair
    type SyncCommitteeSize: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    // bellatrix
    type MaxBytesPerTransaction: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxTransactionsPerPayload: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type BytesPerLogsBloom: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxExtraDataBytes: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    // capella
    type MaxBlsToExecutionChanges: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxWithdrawalsPerPayload: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    // deneb
    type MaxBlobCommitmentsPerBlock: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    /// `BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_BLOB`: the size of one blob.
    type BytesPerBlob: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    // electra
    /// `MAX_VALIDATORS_PER_COMMITTEE * MAX_COMMITTEES_PER_SLOT`: Electra's attestation bit list limit.
    type MaxValidatorsPerSlot: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type PendingDepositsLimit: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type PendingPartialWithdrawalsLimit: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + Unpin;
    type PendingConsolidationsLimit: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxAttesterSlashingsElectra: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + Unpin;
    type MaxAttestationsElectra: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    type MaxDepositRequestsPerPayload: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + Unpin;
    type MaxWithdrawalRequestsPerPayload: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + Unpin;
    type MaxConsolidationRequestsPerPayload: Unsigned
        + Clone
        + Sync
        + Send
        + Debug
        + PartialEq
        + Eq
        + Unpin;
    // fulu
    /// `(MIN_SEED_LOOKAHEAD + 1) * SLOTS_PER_EPOCH`
    type ProposerLookaheadSize: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;
    /// `FIELD_ELEMENTS_PER_EXT_BLOB * MAX_BLOB_COMMITMENTS_PER_BLOCK`: Fulu's cell-proof list limit.
    type MaxCellProofsPerBlock: Unsigned + Clone + Sync + Send + Debug + PartialEq + Eq + Unpin;

    /// The preset's name, as the spec's `PRESET_BASE` spells it.
    const NAME: &'static str;

    fn slots_per_epoch() -> u64 {
        Self::SlotsPerEpoch::to_u64()
    }
    fn slots_per_historical_root() -> usize {
        Self::SlotsPerHistoricalRoot::to_usize()
    }
    fn epochs_per_historical_vector() -> usize {
        Self::EpochsPerHistoricalVector::to_usize()
    }
    fn epochs_per_slashings_vector() -> usize {
        Self::EpochsPerSlashingsVector::to_usize()
    }
    fn max_committees_per_slot() -> usize {
        Self::MaxCommitteesPerSlot::to_usize()
    }
    fn sync_committee_size() -> usize {
        Self::SyncCommitteeSize::to_usize()
    }
    fn max_withdrawals_per_payload() -> usize {
        Self::MaxWithdrawalsPerPayload::to_usize()
    }
    fn max_blob_commitments_per_block() -> usize {
        Self::MaxBlobCommitmentsPerBlock::to_usize()
    }
}

/// The `mainnet` preset.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MainnetEthSpec;

impl EthSpec for MainnetEthSpec {
    type MaxCommitteesPerSlot = U64;
    type MaxValidatorsPerCommittee = U2048;
    type SlotsPerEpoch = U32;
    type SlotsPerHistoricalRoot = U8192;
    type EpochsPerHistoricalVector = U65536;
    type EpochsPerSlashingsVector = U8192;
    type HistoricalRootsLimit = U16777216;
    type ValidatorRegistryLimit = U1099511627776;
    type SlotsPerEth1VotingPeriod = U2048;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    type SyncCommitteeSize = U512;
    type MaxBytesPerTransaction = U1073741824;
    type MaxTransactionsPerPayload = U1048576;
    type BytesPerLogsBloom = U256;
    type MaxExtraDataBytes = U32;
    type MaxBlsToExecutionChanges = U16;
    type MaxWithdrawalsPerPayload = U16;
    type MaxBlobCommitmentsPerBlock = U4096;
    type BytesPerBlob = U131072;
    type MaxValidatorsPerSlot = U131072;
    type PendingDepositsLimit = U134217728;
    type PendingPartialWithdrawalsLimit = U134217728;
    type PendingConsolidationsLimit = U262144;
    type MaxAttesterSlashingsElectra = U1;
    type MaxAttestationsElectra = U8;
    type MaxDepositRequestsPerPayload = U8192;
    type MaxWithdrawalRequestsPerPayload = U16;
    type MaxConsolidationRequestsPerPayload = U2;
    type ProposerLookaheadSize = U64;
    type MaxCellProofsPerBlock = U33554432;
    const NAME: &'static str = "mainnet";
}

/// The `minimal` preset, for fast tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MinimalEthSpec;

impl EthSpec for MinimalEthSpec {
    type MaxCommitteesPerSlot = U4;
    type MaxValidatorsPerCommittee = U2048;
    type SlotsPerEpoch = U8;
    type SlotsPerHistoricalRoot = U64;
    type EpochsPerHistoricalVector = U64;
    type EpochsPerSlashingsVector = U64;
    type HistoricalRootsLimit = U16777216;
    type ValidatorRegistryLimit = U1099511627776;
    type SlotsPerEth1VotingPeriod = U32;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    type SyncCommitteeSize = U32;
    type MaxBytesPerTransaction = U1073741824;
    type MaxTransactionsPerPayload = U1048576;
    type BytesPerLogsBloom = U256;
    type MaxExtraDataBytes = U32;
    type MaxBlsToExecutionChanges = U16;
    type MaxWithdrawalsPerPayload = U4;
    type MaxBlobCommitmentsPerBlock = U4096;
    type BytesPerBlob = U131072;
    type MaxValidatorsPerSlot = U8192;
    type PendingDepositsLimit = U134217728;
    type PendingPartialWithdrawalsLimit = U64;
    type PendingConsolidationsLimit = U64;
    type MaxAttesterSlashingsElectra = U1;
    type MaxAttestationsElectra = U8;
    type MaxDepositRequestsPerPayload = U8192;
    type MaxWithdrawalRequestsPerPayload = U16;
    type MaxConsolidationRequestsPerPayload = U2;
    type ProposerLookaheadSize = U16;
    type MaxCellProofsPerBlock = U33554432;
    const NAME: &'static str = "minimal";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_lengths_match_their_formulas() {
        fn check<E: EthSpec>(epochs_per_eth1_voting_period: usize) {
            assert_eq!(
                E::SlotsPerEth1VotingPeriod::to_usize(),
                epochs_per_eth1_voting_period * E::SlotsPerEpoch::to_usize()
            );
            assert_eq!(
                E::MaxValidatorsPerSlot::to_usize(),
                E::MaxValidatorsPerCommittee::to_usize() * E::MaxCommitteesPerSlot::to_usize()
            );
            // MIN_SEED_LOOKAHEAD = 1 in both presets.
            assert_eq!(
                E::ProposerLookaheadSize::to_usize(),
                2 * E::SlotsPerEpoch::to_usize()
            );
            // FIELD_ELEMENTS_PER_EXT_BLOB = 8192 in both presets.
            assert_eq!(
                E::MaxCellProofsPerBlock::to_usize(),
                8192 * E::MaxBlobCommitmentsPerBlock::to_usize()
            );
            // BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_BLOB.
            assert_eq!(E::BytesPerBlob::to_usize(), 32 * 4096);
        }
        check::<MainnetEthSpec>(64);
        check::<MinimalEthSpec>(4);
    }
}
