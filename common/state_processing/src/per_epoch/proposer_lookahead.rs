//! `process_proposer_lookahead` (fulu, EIP-7917): shift the proposer lookahead by one epoch and sample
//! the proposers of the newly covered epoch.

use crate::common::{get_beacon_proposer_indices, get_current_epoch};
use crate::{Result, StateError};
use milhouse::Vector;
use types::{BeaconState, EthSpec};

/// `process_proposer_lookahead` (fulu).
pub fn process_proposer_lookahead<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let slots_per_epoch = E::slots_per_epoch() as usize;
    let epoch = get_current_epoch(state)
        .checked_add(E::MIN_SEED_LOOKAHEAD + 1)
        .ok_or(StateError::Overflow)?;
    let last_epoch_proposers = get_beacon_proposer_indices(state, epoch)?;
    let lookahead = state.proposer_lookahead()?;
    let mut updated: Vec<u64> = lookahead.iter().skip(slots_per_epoch).copied().collect();
    updated.extend(last_epoch_proposers);
    *state.proposer_lookahead_mut()? = Vector::new(updated)?;
    Ok(())
}
