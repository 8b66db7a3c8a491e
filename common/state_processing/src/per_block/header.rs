//! `process_block_header`.

use crate::caches::StateCaches;
use crate::{ensure, Result, StateError};
use tree_hash::TreeHash;
use types::{BeaconBlockHeader, BeaconState, EthSpec, Hash256, Root, Slot, ValidatorIndex};

/// `process_block_header`: the block is for the state's slot, newer than the latest header, by the
/// expected proposer, on the latest header; cache its header (state root zeroed, filled at the next
/// slot); the proposer must not be slashed. `caches` may be empty (`StateCaches::default()`).
pub fn process_block_header<E: EthSpec>(
    state: &mut BeaconState<E>,
    slot: Slot,
    proposer_index: ValidatorIndex,
    parent_root: Root,
    body_root: Root,
    caches: &StateCaches,
) -> Result<()> {
    ensure!(
        slot == state.slot(),
        "block slot {slot} != state slot {}",
        state.slot()
    );
    ensure!(
        slot > state.latest_block_header().slot,
        "block slot {slot} is not after the latest block header's {}",
        state.latest_block_header().slot
    );
    let expected_proposer = caches.get_beacon_proposer_index(state)?;
    ensure!(
        proposer_index == expected_proposer,
        "proposer index {proposer_index} != expected {expected_proposer}"
    );
    let expected_parent = state.latest_block_header().tree_hash_root();
    ensure!(
        parent_root == expected_parent,
        "parent root {parent_root} != latest block header root {expected_parent}"
    );
    *state.latest_block_header_mut() = BeaconBlockHeader {
        slot,
        proposer_index,
        parent_root,
        state_root: Hash256::ZERO,
        body_root,
    };
    let proposer = state
        .validators()
        .get(proposer_index as usize)
        .ok_or(StateError::UnknownValidator(proposer_index))?;
    ensure!(!proposer.slashed, "proposer {proposer_index} is slashed");
    Ok(())
}
