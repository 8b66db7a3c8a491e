//! `process_sync_committee_updates` (altair): at each sync committee period boundary, the next committee
//! becomes current and a new next committee is sampled.

use crate::common::{get_current_epoch, get_next_sync_committee, is_multiple};
use crate::Result;
use std::sync::Arc;
use types::{BeaconState, EthSpec};

/// `process_sync_committee_updates` (altair).
pub fn process_sync_committee_updates<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let next_epoch = get_current_epoch(state) + 1;
    if is_multiple(next_epoch, E::EPOCHS_PER_SYNC_COMMITTEE_PERIOD) {
        let next = state.next_sync_committee().clone();
        *state.current_sync_committee_mut() = next;
        *state.next_sync_committee_mut() = Arc::new(get_next_sync_committee(state)?);
    }
    Ok(())
}
