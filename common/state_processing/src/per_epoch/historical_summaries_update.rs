//! `process_historical_summaries_update` (capella): append the roots of `block_roots` and `state_roots`
//! each time they have been filled once more.

use crate::common::{get_current_epoch, is_multiple};
use crate::Result;
use tree_hash::TreeHash;
use types::{BeaconState, EthSpec, HistoricalSummary};

/// `process_historical_summaries_update` (capella).
pub fn process_historical_summaries_update<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let next_epoch = get_current_epoch(state) + 1;
    let epochs_per_summary = E::slots_per_historical_root() as u64 / E::slots_per_epoch();
    if is_multiple(next_epoch, epochs_per_summary) {
        state.block_roots_mut().apply_updates()?;
        state.state_roots_mut().apply_updates()?;
        let summary = HistoricalSummary {
            block_summary_root: state.block_roots().tree_hash_root(),
            state_summary_root: state.state_roots().tree_hash_root(),
        };
        state.historical_summaries_mut().push(summary)?;
    }
    Ok(())
}
