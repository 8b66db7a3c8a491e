//! The Bellatrix `BeaconState`, kept outside the [`crate::BeaconState`] enum: it is only ever the input of
//! `upgrade_to_capella` (the `capella/fork` vectors and a chain's first Capella slot), never a state that
//! Blindfold processes blocks or epochs on, so adding it to the enum would cost every fork match in the
//! code base for nothing.

use crate::consensus::*;
use crate::execution::ExecutionPayloadHeaderCapella;
use crate::primitives::*;
use crate::state::JustificationBitsLength;
use crate::update_map::RegistryList;
use crate::EthSpec;
use milhouse::{List, Vector};
use ssz_derive::{Decode, Encode};
use ssz_types::{BitVector, FixedVector, VariableList};
use std::sync::Arc;
use tree_hash_derive::TreeHash;

/// `ExecutionPayloadHeader` (bellatrix): the Capella header without `withdrawals_root`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode, TreeHash)]
pub struct ExecutionPayloadHeaderBellatrix<E: EthSpec> {
    pub parent_hash: ExecutionBlockHash,
    pub fee_recipient: Address,
    pub state_root: Hash256,
    pub receipts_root: Hash256,
    pub logs_bloom: FixedVector<u8, E::BytesPerLogsBloom>,
    pub prev_randao: Hash256,
    pub block_number: u64,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub timestamp: u64,
    pub extra_data: VariableList<u8, E::MaxExtraDataBytes>,
    pub base_fee_per_gas: U256,
    pub block_hash: ExecutionBlockHash,
    pub transactions_root: Root,
}

impl<E: EthSpec> ExecutionPayloadHeaderBellatrix<E> {
    /// The Capella header `upgrade_to_capella` builds: every field kept, `withdrawals_root` zero.
    pub fn upgrade_to_capella(self) -> ExecutionPayloadHeaderCapella<E> {
        ExecutionPayloadHeaderCapella {
            parent_hash: self.parent_hash,
            fee_recipient: self.fee_recipient,
            state_root: self.state_root,
            receipts_root: self.receipts_root,
            logs_bloom: self.logs_bloom,
            prev_randao: self.prev_randao,
            block_number: self.block_number,
            gas_limit: self.gas_limit,
            gas_used: self.gas_used,
            timestamp: self.timestamp,
            extra_data: self.extra_data,
            base_fee_per_gas: self.base_fee_per_gas,
            block_hash: self.block_hash,
            transactions_root: self.transactions_root,
            withdrawals_root: Root::ZERO,
        }
    }
}

/// `BeaconState` (bellatrix). Decode it with `ssz::Decode::from_ssz_bytes`; the lists are milhouse trees
/// like [`crate::BeaconState`]'s, so the upgrade moves them into the Capella state without copying.
#[derive(Debug, Clone, PartialEq, Encode, Decode, TreeHash)]
pub struct BeaconStateBellatrix<E: EthSpec> {
    // Versioning
    pub genesis_time: u64,
    pub genesis_validators_root: Root,
    pub slot: Slot,
    pub fork: Fork,
    // History
    pub latest_block_header: BeaconBlockHeader,
    pub block_roots: Vector<Root, E::SlotsPerHistoricalRoot>,
    pub state_roots: Vector<Root, E::SlotsPerHistoricalRoot>,
    pub historical_roots: List<Root, E::HistoricalRootsLimit>,
    // Eth1
    pub eth1_data: Eth1Data,
    pub eth1_data_votes: List<Eth1Data, E::SlotsPerEth1VotingPeriod>,
    pub eth1_deposit_index: u64,
    // Registry
    pub validators: RegistryList<Validator, E::ValidatorRegistryLimit>,
    pub balances: RegistryList<Gwei, E::ValidatorRegistryLimit>,
    // Randomness
    pub randao_mixes: Vector<Hash256, E::EpochsPerHistoricalVector>,
    // Slashings
    pub slashings: Vector<Gwei, E::EpochsPerSlashingsVector>,
    // Participation
    pub previous_epoch_participation: crate::ParticipationList<E::ValidatorRegistryLimit>,
    pub current_epoch_participation: crate::ParticipationList<E::ValidatorRegistryLimit>,
    // Finality
    pub justification_bits: BitVector<JustificationBitsLength>,
    pub previous_justified_checkpoint: Checkpoint,
    pub current_justified_checkpoint: Checkpoint,
    pub finalized_checkpoint: Checkpoint,
    // Inactivity
    pub inactivity_scores: RegistryList<u64, E::ValidatorRegistryLimit>,
    // Sync
    pub current_sync_committee: Arc<SyncCommittee<E>>,
    pub next_sync_committee: Arc<SyncCommittee<E>>,
    // Execution
    pub latest_execution_payload_header: ExecutionPayloadHeaderBellatrix<E>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MinimalEthSpec;
    use ssz::{Decode, Encode};
    use tree_hash::TreeHash;

    fn header() -> ExecutionPayloadHeaderBellatrix<MinimalEthSpec> {
        let mut bloom = vec![0u8; 256];
        bloom[7] = 0xaa;
        ExecutionPayloadHeaderBellatrix {
            parent_hash: ExecutionBlockHash::repeat_byte(1),
            fee_recipient: Address::repeat_byte(2),
            state_root: Hash256::repeat_byte(3),
            receipts_root: Hash256::repeat_byte(4),
            logs_bloom: FixedVector::new(bloom).unwrap(),
            prev_randao: Hash256::repeat_byte(5),
            block_number: 6,
            gas_limit: 7,
            gas_used: 8,
            timestamp: 9,
            extra_data: VariableList::new(vec![10, 11, 12]).unwrap(),
            base_fee_per_gas: U256::from(13u64),
            block_hash: ExecutionBlockHash::repeat_byte(14),
            transactions_root: Hash256::repeat_byte(15),
        }
    }

    /// 14 and 15 fields both merkleize over 16 leaves, so a Bellatrix header and its Capella upgrade (a
    /// zero 15th leaf) share a root; a field of the wrong type or place would break that.
    #[test]
    fn upgraded_header_keeps_the_root() {
        let bellatrix = header();
        let capella = bellatrix.clone().upgrade_to_capella();
        assert_eq!(bellatrix.tree_hash_root(), capella.tree_hash_root());
        assert_ne!(
            bellatrix.tree_hash_root(),
            ExecutionPayloadHeaderBellatrix::<MinimalEthSpec>::default().tree_hash_root()
        );
    }

    /// The SSZ layout is the Capella one minus the trailing 32-byte `withdrawals_root`.
    #[test]
    fn header_ssz_round_trip() {
        let bellatrix = header();
        let bytes = bellatrix.as_ssz_bytes();
        let capella = bellatrix.clone().upgrade_to_capella().as_ssz_bytes();
        assert_eq!(bytes.len() + 32, capella.len());
        let decoded = ExecutionPayloadHeaderBellatrix::<MinimalEthSpec>::from_ssz_bytes(&bytes);
        assert_eq!(decoded.as_ref(), Ok(&bellatrix));
        assert!(
            ExecutionPayloadHeaderBellatrix::<MinimalEthSpec>::from_ssz_bytes(&bytes[..100])
                .is_err()
        );
    }
}
