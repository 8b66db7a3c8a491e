//! `process_participation_flag_updates` (altair): rotate current participation into previous.

use crate::Result;
use types::{BeaconState, EthSpec, ParticipationList};

/// `process_participation_flag_updates` (altair).
pub fn process_participation_flag_updates<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let current = state.current_epoch_participation().clone();
    *state.previous_epoch_participation_mut() = current;
    *state.current_epoch_participation_mut() =
        ParticipationList::repeat_zero(state.validators().len())?;
    Ok(())
}
