//! The pieces of a block the harness assembles: the `payload_attributes` event and the blinded block.

use crate::E;
use execution_layer::PayloadRequest;
use types::{
    BeaconState, BlindedBeaconBlock, BlindedBeaconBlockBodyElectra, BlindedBeaconBlockBodyFulu,
    BlindedBeaconBlockElectra, BlindedBeaconBlockFulu, EventPayloadAttributes,
    ExecutionPayloadHeader, ExecutionRequests, ForkName, Hash256, KzgCommitment,
    PayloadAttributesEvent, SyncAggregate,
};

/// The `payload_attributes` event the beacon node would emit for `request` (what relays follow).
pub fn payload_attributes_event(request: &PayloadRequest) -> PayloadAttributesEvent {
    PayloadAttributesEvent {
        proposer_index: request.proposer_index,
        proposal_slot: request.slot,
        parent_block_number: request.parent_block_number,
        parent_block_root: request.parent_beacon_block_root,
        parent_block_hash: request.parent_hash,
        payload_attributes: EventPayloadAttributes {
            timestamp: request.timestamp,
            prev_randao: request.prev_randao,
            suggested_fee_recipient: request.suggested_fee_recipient,
            withdrawals: request.withdrawals.clone(),
            parent_beacon_block_root: Some(request.parent_beacon_block_root),
        },
    }
}

/// The unsigned blinded block at the state's slot on `header`, with the state's eth1 data, no
/// operations and an empty sync aggregate (no participants, the infinity signature); its state root is
/// zero until the caller computes it.
pub(crate) fn blinded_block(
    state: &BeaconState<E>,
    proposer_index: u64,
    parent_root: Hash256,
    randao_reveal: types::SignatureBytes,
    header: ExecutionPayloadHeader<E>,
    commitments: &[KzgCommitment],
    execution_requests: ExecutionRequests<E>,
) -> Result<BlindedBeaconBlock<E>, String> {
    let blob_kzg_commitments = types::ssz_types::VariableList::new(commitments.to_vec())
        .map_err(|_| format!("{} blob commitments are too many", commitments.len()))?;
    macro_rules! body {
        ($Body:ident, $header:expr) => {
            $Body {
                randao_reveal,
                eth1_data: state.eth1_data().clone(),
                graffiti: Hash256::ZERO,
                proposer_slashings: Default::default(),
                attester_slashings: Default::default(),
                attestations: Default::default(),
                deposits: Default::default(),
                voluntary_exits: Default::default(),
                sync_aggregate: SyncAggregate::empty(),
                execution_payload_header: $header,
                bls_to_execution_changes: Default::default(),
                blob_kzg_commitments,
                execution_requests,
            }
        };
    }
    let slot = state.slot();
    match (state.fork_name(), header) {
        (ForkName::Electra, ExecutionPayloadHeader::Electra(h)) => {
            Ok(BlindedBeaconBlock::Electra(BlindedBeaconBlockElectra {
                slot,
                proposer_index,
                parent_root,
                state_root: Hash256::ZERO,
                body: body!(BlindedBeaconBlockBodyElectra, h),
            }))
        }
        (ForkName::Fulu, ExecutionPayloadHeader::Fulu(h)) => {
            Ok(BlindedBeaconBlock::Fulu(BlindedBeaconBlockFulu {
                slot,
                proposer_index,
                parent_root,
                state_root: Hash256::ZERO,
                body: body!(BlindedBeaconBlockBodyFulu, h),
            }))
        }
        (fork, header) => Err(format!(
            "a {} header on a {fork} state: the harness builds Electra and Fulu blocks",
            header.fork_name()
        )),
    }
}

pub(crate) fn set_state_root(block: &mut BlindedBeaconBlock<E>, root: Hash256) {
    match block {
        BlindedBeaconBlock::Capella(b) => b.state_root = root,
        BlindedBeaconBlock::Deneb(b) => b.state_root = root,
        BlindedBeaconBlock::Electra(b) => b.state_root = root,
        BlindedBeaconBlock::Fulu(b) => b.state_root = root,
    }
}
