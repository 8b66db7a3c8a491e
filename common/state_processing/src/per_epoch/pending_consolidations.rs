//! `process_pending_consolidations` (electra): move the effective balance of each withdrawable source
//! validator to its target, in queue order.

use crate::common::{decrease_balance, get_current_epoch, increase_balance};
use crate::{Result, StateError};
use types::{BeaconState, EthSpec};

/// `process_pending_consolidations` (electra). Slashed sources are dropped; the walk stops at the first
/// source not yet withdrawable.
pub fn process_pending_consolidations<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let next_epoch = get_current_epoch(state)
        .checked_add(1)
        .ok_or(StateError::Overflow)?;
    let queue_len = state.pending_consolidations()?.len();
    let mut next_pending_consolidation = 0;
    for position in 0..queue_len {
        let pending = state
            .pending_consolidations()?
            .get(position)
            .cloned()
            .ok_or_else(|| StateError::Other("pending consolidation vanished".into()))?;
        let source = state
            .validators()
            .get(pending.source_index as usize)
            .ok_or(StateError::UnknownValidator(pending.source_index))?;
        if source.slashed {
            next_pending_consolidation += 1;
            continue;
        }
        if source.withdrawable_epoch > next_epoch {
            break;
        }
        let source_balance = *state
            .balances()
            .get(pending.source_index as usize)
            .ok_or(StateError::UnknownValidator(pending.source_index))?;
        let source_effective_balance = source_balance.min(source.effective_balance);
        decrease_balance(state, pending.source_index, source_effective_balance)?;
        increase_balance(state, pending.target_index, source_effective_balance)?;
        next_pending_consolidation += 1;
    }
    state
        .pending_consolidations_mut()?
        .pop_front(next_pending_consolidation)?;
    Ok(())
}
