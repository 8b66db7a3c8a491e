//! Serving states: a full state where one is stored, otherwise its base state with the blocks since
//! replayed (blinded: the payload header is all the transition needs), then empty slots to the state's
//! slot. Signatures are not checked again (they were at import); the result's root is checked instead,
//! so a replay that drifts is an error, never a wrong state.

use crate::error::{Result, StoreError};
use crate::tables::*;
use crate::{get_blinded_block, Store};
use redb::ReadTransaction;
use state_processing::per_block::{process_block_with_caches, VerifySignatures};
use state_processing::{process_slots_with_caches, StateCaches};
use types::{BeaconState, EthSpec, Hash256, SignedBlindedBeaconBlock};

impl<E: EthSpec> Store<E> {
    /// The state with root `state_root`, replayed if it is not stored in full; `None` if the store has
    /// no record of it.
    pub fn get_state(&self, state_root: &Hash256) -> Result<Option<BeaconState<E>>> {
        let txn = self.db.begin_read()?;
        let summaries = txn.open_table(STATE_SUMMARIES)?;
        let Some(summary) = read_state_summary(&summaries, state_root)? else {
            return Ok(None);
        };
        let base_root = summary.epoch_boundary_state_root;
        let Some(mut state) = get_full_state::<E>(&txn, &base_root)? else {
            return Err(StoreError::MissingBaseState {
                state_root: *state_root,
                base_root,
            });
        };
        if base_root == *state_root {
            return Ok(Some(state));
        }
        let blocks = blocks_to_replay::<E>(&txn, summary.latest_block_root, state.slot())?;
        drop(txn);
        self.replay(&mut state, &blocks, summary.slot)
            .map_err(|reason| StoreError::Replay {
                state_root: *state_root,
                reason,
            })?;
        let got = state
            .update_tree_hash_cache()
            .map_err(|e| StoreError::Replay {
                state_root: *state_root,
                reason: format!("{e:?}"),
            })?;
        if got != *state_root {
            return Err(StoreError::ReplayMismatch {
                state_root: *state_root,
                got,
            });
        }
        Ok(Some(state))
    }

    /// Only the states stored in full (epoch boundaries and fallbacks), without replay.
    pub fn get_full_state(&self, state_root: &Hash256) -> Result<Option<BeaconState<E>>> {
        get_full_state(&self.db.begin_read()?, state_root)
    }

    fn replay(
        &self,
        state: &mut BeaconState<E>,
        blocks: &[SignedBlindedBeaconBlock<E>],
        target_slot: u64,
    ) -> std::result::Result<(), String> {
        let spec = self.spec();
        let mut caches = StateCaches::new();
        for block in blocks {
            process_slots_with_caches(state, block.slot(), spec, &mut caches)
                .map_err(|e| format!("process_slots to {}: {e}", block.slot()))?;
            process_block_with_caches(
                state,
                &block.message_enum(),
                VerifySignatures::Skip,
                true,
                spec,
                &mut caches,
            )
            .map_err(|e| format!("block at slot {}: {e}", block.slot()))?;
        }
        if state.slot() < target_slot {
            process_slots_with_caches(state, target_slot, spec, &mut caches)
                .map_err(|e| format!("process_slots to {target_slot}: {e}"))?;
        }
        Ok(())
    }
}

fn get_full_state<E: EthSpec>(
    txn: &ReadTransaction,
    root: &Hash256,
) -> Result<Option<BeaconState<E>>> {
    let table = txn.open_table(STATES)?;
    let value = redb::ReadableTable::get(&table, root.as_slice())?;
    value
        .map(|v| decode_versioned("states", root.as_slice(), v.value()))
        .transpose()
}

/// The blocks after `base_slot` on the chain ending at `latest_block_root`, oldest first.
fn blocks_to_replay<E: EthSpec>(
    txn: &ReadTransaction,
    latest_block_root: Hash256,
    base_slot: u64,
) -> Result<Vec<SignedBlindedBeaconBlock<E>>> {
    let summaries = txn.open_table(BLOCK_SUMMARIES)?;
    let mut blocks = Vec::new();
    let mut root = latest_block_root;
    loop {
        let summary =
            read_block_summary(&summaries, &root)?.ok_or(StoreError::MissingBlock(root))?;
        if summary.slot <= base_slot {
            break;
        }
        let block = get_blinded_block::<E>(txn, &root)?.ok_or(StoreError::MissingBlock(root))?;
        blocks.push(block);
        root = summary.parent_root;
    }
    blocks.reverse();
    Ok(blocks)
}
