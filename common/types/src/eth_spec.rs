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

    // Scalar preset values that differ between mainnet and minimal.
    const TARGET_COMMITTEE_SIZE: u64;
    const SHUFFLE_ROUND_COUNT: u8;
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64;
    const MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP: u64;
    const MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP: u64;

    // Scalar preset values common to both presets (as in force from Capella on).
    const HYSTERESIS_QUOTIENT: u64 = 4;
    const HYSTERESIS_DOWNWARD_MULTIPLIER: u64 = 1;
    const HYSTERESIS_UPWARD_MULTIPLIER: u64 = 5;
    const MIN_DEPOSIT_AMOUNT: u64 = 1_000_000_000;
    const MAX_EFFECTIVE_BALANCE: u64 = 32_000_000_000;
    const EFFECTIVE_BALANCE_INCREMENT: u64 = 1_000_000_000;
    const MIN_ATTESTATION_INCLUSION_DELAY: u64 = 1;
    const MIN_SEED_LOOKAHEAD: u64 = 1;
    const MAX_SEED_LOOKAHEAD: u64 = 4;
    const MIN_EPOCHS_TO_INACTIVITY_PENALTY: u64 = 4;
    const BASE_REWARD_FACTOR: u64 = 64;
    const WHISTLEBLOWER_REWARD_QUOTIENT: u64 = 512;
    const PROPOSER_REWARD_QUOTIENT: u64 = 8;
    const MIN_SYNC_COMMITTEE_PARTICIPANTS: u64 = 1;
    const INACTIVITY_PENALTY_QUOTIENT_BELLATRIX: u64 = 16_777_216;
    const MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX: u64 = 32;
    const PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX: u64 = 3;
    const MIN_ACTIVATION_BALANCE: u64 = 32_000_000_000;
    const MAX_EFFECTIVE_BALANCE_ELECTRA: u64 = 2_048_000_000_000;
    const MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA: u64 = 4096;
    const WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA: u64 = 4096;
    const MAX_PENDING_DEPOSITS_PER_EPOCH: u64 = 16;

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
    const TARGET_COMMITTEE_SIZE: u64 = 128;
    const SHUFFLE_ROUND_COUNT: u8 = 90;
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64 = 256;
    const MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP: u64 = 16384;
    const MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP: u64 = 8;
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
    const TARGET_COMMITTEE_SIZE: u64 = 4;
    const SHUFFLE_ROUND_COUNT: u8 = 10;
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64 = 8;
    const MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP: u64 = 16;
    const MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP: u64 = 2;
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

    /// Every constant here equals the consensus-specs preset files (the scalars and the list lengths).
    #[test]
    fn constants_match_the_spec_presets() {
        fn check<E: EthSpec>() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/specs/consensus-specs/presets")
                .join(E::NAME);
            let mut preset = std::collections::HashMap::new();
            for fork in [
                "phase0",
                "altair",
                "bellatrix",
                "capella",
                "deneb",
                "electra",
                "fulu",
            ] {
                let path = dir.join(format!("{fork}.yaml"));
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                for line in text.lines() {
                    if let Some((k, v)) = line.split_once(':') {
                        if let Ok(v) = v.split('#').next().unwrap().trim().parse::<u64>() {
                            preset.insert(k.trim().to_string(), v);
                        }
                    }
                }
            }
            let expect = |name: &str, ours: u64| {
                assert_eq!(preset.get(name).copied(), Some(ours), "{} {name}", E::NAME);
            };
            expect("TARGET_COMMITTEE_SIZE", E::TARGET_COMMITTEE_SIZE);
            expect("SHUFFLE_ROUND_COUNT", E::SHUFFLE_ROUND_COUNT as u64);
            expect(
                "EPOCHS_PER_SYNC_COMMITTEE_PERIOD",
                E::EPOCHS_PER_SYNC_COMMITTEE_PERIOD,
            );
            expect(
                "MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP",
                E::MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP,
            );
            expect(
                "MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP",
                E::MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP,
            );
            expect("HYSTERESIS_QUOTIENT", E::HYSTERESIS_QUOTIENT);
            expect(
                "HYSTERESIS_DOWNWARD_MULTIPLIER",
                E::HYSTERESIS_DOWNWARD_MULTIPLIER,
            );
            expect(
                "HYSTERESIS_UPWARD_MULTIPLIER",
                E::HYSTERESIS_UPWARD_MULTIPLIER,
            );
            expect("MIN_DEPOSIT_AMOUNT", E::MIN_DEPOSIT_AMOUNT);
            expect("MAX_EFFECTIVE_BALANCE", E::MAX_EFFECTIVE_BALANCE);
            expect(
                "EFFECTIVE_BALANCE_INCREMENT",
                E::EFFECTIVE_BALANCE_INCREMENT,
            );
            expect(
                "MIN_ATTESTATION_INCLUSION_DELAY",
                E::MIN_ATTESTATION_INCLUSION_DELAY,
            );
            expect("MIN_SEED_LOOKAHEAD", E::MIN_SEED_LOOKAHEAD);
            expect("MAX_SEED_LOOKAHEAD", E::MAX_SEED_LOOKAHEAD);
            expect(
                "MIN_EPOCHS_TO_INACTIVITY_PENALTY",
                E::MIN_EPOCHS_TO_INACTIVITY_PENALTY,
            );
            expect("BASE_REWARD_FACTOR", E::BASE_REWARD_FACTOR);
            expect(
                "WHISTLEBLOWER_REWARD_QUOTIENT",
                E::WHISTLEBLOWER_REWARD_QUOTIENT,
            );
            expect("PROPOSER_REWARD_QUOTIENT", E::PROPOSER_REWARD_QUOTIENT);
            expect(
                "MIN_SYNC_COMMITTEE_PARTICIPANTS",
                E::MIN_SYNC_COMMITTEE_PARTICIPANTS,
            );
            expect(
                "INACTIVITY_PENALTY_QUOTIENT_BELLATRIX",
                E::INACTIVITY_PENALTY_QUOTIENT_BELLATRIX,
            );
            expect(
                "MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX",
                E::MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX,
            );
            expect(
                "PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX",
                E::PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX,
            );
            expect("MIN_ACTIVATION_BALANCE", E::MIN_ACTIVATION_BALANCE);
            expect(
                "MAX_EFFECTIVE_BALANCE_ELECTRA",
                E::MAX_EFFECTIVE_BALANCE_ELECTRA,
            );
            expect(
                "MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA",
                E::MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA,
            );
            expect(
                "WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA",
                E::WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA,
            );
            expect(
                "MAX_PENDING_DEPOSITS_PER_EPOCH",
                E::MAX_PENDING_DEPOSITS_PER_EPOCH,
            );
            // List and vector lengths.
            expect("MAX_COMMITTEES_PER_SLOT", E::MaxCommitteesPerSlot::to_u64());
            expect(
                "MAX_VALIDATORS_PER_COMMITTEE",
                E::MaxValidatorsPerCommittee::to_u64(),
            );
            expect("SLOTS_PER_EPOCH", E::SlotsPerEpoch::to_u64());
            expect(
                "SLOTS_PER_HISTORICAL_ROOT",
                E::SlotsPerHistoricalRoot::to_u64(),
            );
            expect(
                "EPOCHS_PER_HISTORICAL_VECTOR",
                E::EpochsPerHistoricalVector::to_u64(),
            );
            expect(
                "EPOCHS_PER_SLASHINGS_VECTOR",
                E::EpochsPerSlashingsVector::to_u64(),
            );
            expect("HISTORICAL_ROOTS_LIMIT", E::HistoricalRootsLimit::to_u64());
            expect(
                "VALIDATOR_REGISTRY_LIMIT",
                E::ValidatorRegistryLimit::to_u64(),
            );
            expect("MAX_PROPOSER_SLASHINGS", E::MaxProposerSlashings::to_u64());
            expect("MAX_ATTESTER_SLASHINGS", E::MaxAttesterSlashings::to_u64());
            expect("MAX_ATTESTATIONS", E::MaxAttestations::to_u64());
            expect("MAX_DEPOSITS", E::MaxDeposits::to_u64());
            expect("MAX_VOLUNTARY_EXITS", E::MaxVoluntaryExits::to_u64());
            expect("SYNC_COMMITTEE_SIZE", E::SyncCommitteeSize::to_u64());
            expect(
                "MAX_BYTES_PER_TRANSACTION",
                E::MaxBytesPerTransaction::to_u64(),
            );
            expect(
                "MAX_TRANSACTIONS_PER_PAYLOAD",
                E::MaxTransactionsPerPayload::to_u64(),
            );
            expect("BYTES_PER_LOGS_BLOOM", E::BytesPerLogsBloom::to_u64());
            expect("MAX_EXTRA_DATA_BYTES", E::MaxExtraDataBytes::to_u64());
            expect(
                "MAX_BLS_TO_EXECUTION_CHANGES",
                E::MaxBlsToExecutionChanges::to_u64(),
            );
            expect(
                "MAX_WITHDRAWALS_PER_PAYLOAD",
                E::MaxWithdrawalsPerPayload::to_u64(),
            );
            expect(
                "MAX_BLOB_COMMITMENTS_PER_BLOCK",
                E::MaxBlobCommitmentsPerBlock::to_u64(),
            );
            expect("PENDING_DEPOSITS_LIMIT", E::PendingDepositsLimit::to_u64());
            expect(
                "PENDING_PARTIAL_WITHDRAWALS_LIMIT",
                E::PendingPartialWithdrawalsLimit::to_u64(),
            );
            expect(
                "PENDING_CONSOLIDATIONS_LIMIT",
                E::PendingConsolidationsLimit::to_u64(),
            );
            expect(
                "MAX_ATTESTER_SLASHINGS_ELECTRA",
                E::MaxAttesterSlashingsElectra::to_u64(),
            );
            expect(
                "MAX_ATTESTATIONS_ELECTRA",
                E::MaxAttestationsElectra::to_u64(),
            );
            expect(
                "MAX_DEPOSIT_REQUESTS_PER_PAYLOAD",
                E::MaxDepositRequestsPerPayload::to_u64(),
            );
            expect(
                "MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD",
                E::MaxWithdrawalRequestsPerPayload::to_u64(),
            );
            expect(
                "MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD",
                E::MaxConsolidationRequestsPerPayload::to_u64(),
            );
            let epochs_per_eth1 = preset["EPOCHS_PER_ETH1_VOTING_PERIOD"];
            assert_eq!(
                E::SlotsPerEth1VotingPeriod::to_u64(),
                epochs_per_eth1 * E::SlotsPerEpoch::to_u64()
            );
        }
        check::<MainnetEthSpec>();
        check::<MinimalEthSpec>();
    }
}
