//! `process_randao_mixes_reset` (phase0): carry the current mix into the next epoch's slot.

use crate::common::{get_current_epoch, get_randao_mix};
use crate::{Result, StateError};
use types::{BeaconState, EthSpec};

/// `process_randao_mixes_reset` (phase0).
pub fn process_randao_mixes_reset<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let current_epoch = get_current_epoch(state);
    let next_epoch = current_epoch + 1;
    let mix = get_randao_mix(state, current_epoch)?;
    let index = (next_epoch % E::epochs_per_historical_vector() as u64) as usize;
    *state
        .randao_mixes_mut()
        .get_mut(index)
        .ok_or_else(|| StateError::Other("randao mixes too short".into()))? = mix;
    Ok(())
}
