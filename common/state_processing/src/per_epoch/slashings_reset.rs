//! `process_slashings_reset` (phase0): zero the slashings slot the next epoch will write.

use crate::common::get_current_epoch;
use crate::{Result, StateError};
use types::{BeaconState, EthSpec};

/// `process_slashings_reset` (phase0).
pub fn process_slashings_reset<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let next_epoch = get_current_epoch(state) + 1;
    let index = (next_epoch % E::epochs_per_slashings_vector() as u64) as usize;
    *state
        .slashings_mut()
        .get_mut(index)
        .ok_or_else(|| StateError::Other("slashings vector too short".into()))? = 0;
    Ok(())
}
