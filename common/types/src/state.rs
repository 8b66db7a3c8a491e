//! `BeaconState` for Capella to Fulu.
//!
//! The big lists are milhouse persistent trees, and the participation lists are shared chunks with
//! their own hash caches ([`crate::participation`]): cloning a state shares them, and re-hashing after
//! a change touches only the changed paths. That is what makes a mainnet-size state (over a million
//! validators) cheap to copy and quick to re-root.

use crate::consensus::*;
use crate::execution::*;
use crate::participation::ParticipationList;
use crate::primitives::*;
use crate::update_map::RegistryList;
use crate::{EthSpec, ForkName};
use milhouse::{List, Vector};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::BitVector;
use superstruct::superstruct;
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

/// `JUSTIFICATION_BITS_LENGTH`
pub type JustificationBitsLength = ssz_types::typenum::U4;

/// `BeaconState` for each fork.
#[superstruct(
    variants(Capella, Deneb, Electra, Fulu),
    variant_attributes(
        derive(
            Debug,
            Clone,
            PartialEq,
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
#[derive(Debug, Clone, PartialEq, Serialize, Encode, TreeHash)]
#[serde(bound = "E: EthSpec", untagged)]
#[ssz(enum_behaviour = "transparent")]
#[tree_hash(enum_behaviour = "transparent")]
pub struct BeaconState<E: EthSpec> {
    // Versioning
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub genesis_time: u64,
    #[superstruct(getter(copy))]
    pub genesis_validators_root: Root,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[superstruct(getter(copy))]
    pub fork: Fork,
    // History
    pub latest_block_header: BeaconBlockHeader,
    pub block_roots: Vector<Root, E::SlotsPerHistoricalRoot>,
    pub state_roots: Vector<Root, E::SlotsPerHistoricalRoot>,
    /// Frozen in Capella (replaced by `historical_summaries`).
    pub historical_roots: List<Root, E::HistoricalRootsLimit>,
    // Eth1
    pub eth1_data: Eth1Data,
    pub eth1_data_votes: List<Eth1Data, E::SlotsPerEth1VotingPeriod>,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub eth1_deposit_index: u64,
    // Registry
    pub validators: RegistryList<Validator, E::ValidatorRegistryLimit>,
    #[serde(with = "crate::primitives::quoted_int_list")]
    pub balances: RegistryList<Gwei, E::ValidatorRegistryLimit>,
    // Randomness
    pub randao_mixes: Vector<Hash256, E::EpochsPerHistoricalVector>,
    // Slashings
    #[serde(with = "crate::primitives::quoted_int_list")]
    pub slashings: Vector<Gwei, E::EpochsPerSlashingsVector>,
    // Participation
    #[serde(with = "crate::primitives::quoted_int_list")]
    pub previous_epoch_participation: ParticipationList<E::ValidatorRegistryLimit>,
    #[serde(with = "crate::primitives::quoted_int_list")]
    pub current_epoch_participation: ParticipationList<E::ValidatorRegistryLimit>,
    // Finality
    pub justification_bits: BitVector<JustificationBitsLength>,
    #[superstruct(getter(copy))]
    pub previous_justified_checkpoint: Checkpoint,
    #[superstruct(getter(copy))]
    pub current_justified_checkpoint: Checkpoint,
    #[superstruct(getter(copy))]
    pub finalized_checkpoint: Checkpoint,
    // Inactivity
    #[serde(with = "crate::primitives::quoted_int_list")]
    pub inactivity_scores: RegistryList<u64, E::ValidatorRegistryLimit>,
    // Sync
    pub current_sync_committee: std::sync::Arc<SyncCommittee<E>>,
    pub next_sync_committee: std::sync::Arc<SyncCommittee<E>>,
    // Execution
    #[superstruct(
        only(Capella),
        partial_getter(rename = "latest_execution_payload_header_capella")
    )]
    pub latest_execution_payload_header: ExecutionPayloadHeaderCapella<E>,
    #[superstruct(
        only(Deneb),
        partial_getter(rename = "latest_execution_payload_header_deneb")
    )]
    pub latest_execution_payload_header: ExecutionPayloadHeaderDeneb<E>,
    #[superstruct(
        only(Electra),
        partial_getter(rename = "latest_execution_payload_header_electra")
    )]
    pub latest_execution_payload_header: ExecutionPayloadHeaderElectra<E>,
    #[superstruct(
        only(Fulu),
        partial_getter(rename = "latest_execution_payload_header_fulu")
    )]
    pub latest_execution_payload_header: ExecutionPayloadHeaderFulu<E>,
    // Withdrawals
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub next_withdrawal_index: WithdrawalIndex,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub next_withdrawal_validator_index: ValidatorIndex,
    // Deep history valid from Capella onwards
    pub historical_summaries: List<HistoricalSummary, E::HistoricalRootsLimit>,
    // Electra
    #[superstruct(only(Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub deposit_requests_start_index: u64,
    #[superstruct(only(Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub deposit_balance_to_consume: Gwei,
    #[superstruct(only(Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub exit_balance_to_consume: Gwei,
    #[superstruct(only(Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub earliest_exit_epoch: Epoch,
    #[superstruct(only(Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub consolidation_balance_to_consume: Gwei,
    #[superstruct(only(Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub earliest_consolidation_epoch: Epoch,
    #[superstruct(only(Electra, Fulu))]
    pub pending_deposits: List<PendingDeposit, E::PendingDepositsLimit>,
    #[superstruct(only(Electra, Fulu))]
    pub pending_partial_withdrawals:
        List<PendingPartialWithdrawal, E::PendingPartialWithdrawalsLimit>,
    #[superstruct(only(Electra, Fulu))]
    pub pending_consolidations: List<PendingConsolidation, E::PendingConsolidationsLimit>,
    // Fulu
    #[superstruct(only(Fulu))]
    #[serde(with = "crate::primitives::quoted_int_list")]
    pub proposer_lookahead: Vector<ValidatorIndex, E::ProposerLookaheadSize>,
}

impl<E: EthSpec> BeaconState<E> {
    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Capella(_) => ForkName::Capella,
            Self::Deneb(_) => ForkName::Deneb,
            Self::Electra(_) => ForkName::Electra,
            Self::Fulu(_) => ForkName::Fulu,
        }
    }

    /// `hash_tree_root(state)`. milhouse caches subtree hashes, so a re-root after a small change is cheap.
    /// Call [`Self::apply_pending_mutations`] first if any list was changed through `get_mut`.
    pub fn canonical_root(&self) -> Root {
        self.tree_hash_root()
    }

    /// Apply the staged writes of every milhouse list and vector (milhouse stages `get_mut` writes and
    /// refuses to hash a list with pending updates), then return the state root.
    pub fn update_tree_hash_cache(&mut self) -> Result<Root, milhouse::Error> {
        self.apply_pending_mutations()?;
        Ok(self.tree_hash_root())
    }

    /// Apply the staged writes of every milhouse list and vector.
    pub fn apply_pending_mutations(&mut self) -> Result<(), milhouse::Error> {
        self.block_roots_mut().apply_updates()?;
        self.state_roots_mut().apply_updates()?;
        self.historical_roots_mut().apply_updates()?;
        self.eth1_data_votes_mut().apply_updates()?;
        self.validators_mut().apply_updates()?;
        self.balances_mut().apply_updates()?;
        self.randao_mixes_mut().apply_updates()?;
        self.slashings_mut().apply_updates()?;
        self.inactivity_scores_mut().apply_updates()?;
        self.historical_summaries_mut().apply_updates()?;
        if let Ok(list) = self.pending_deposits_mut() {
            list.apply_updates()?;
        }
        if let Ok(list) = self.pending_partial_withdrawals_mut() {
            list.apply_updates()?;
        }
        if let Ok(list) = self.pending_consolidations_mut() {
            list.apply_updates()?;
        }
        if let Ok(vector) = self.proposer_lookahead_mut() {
            vector.apply_updates()?;
        }
        Ok(())
    }

    /// The latest execution payload header, as the fork's enum.
    pub fn latest_execution_payload_header(&self) -> ExecutionPayloadHeader<E> {
        match self {
            Self::Capella(s) => {
                ExecutionPayloadHeader::Capella(s.latest_execution_payload_header.clone())
            }
            Self::Deneb(s) => {
                ExecutionPayloadHeader::Deneb(s.latest_execution_payload_header.clone())
            }
            Self::Electra(s) => {
                ExecutionPayloadHeader::Electra(s.latest_execution_payload_header.clone())
            }
            Self::Fulu(s) => {
                ExecutionPayloadHeader::Fulu(s.latest_execution_payload_header.clone())
            }
        }
    }
}
