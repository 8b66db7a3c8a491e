//! `process_inactivity_updates` (altair): inactivity scores rise for validators missing the target and
//! recover outside a leak.

use crate::common::{get_current_epoch, RewardsContext, TIMELY_TARGET_FLAG_INDEX};
use crate::{Result, StateError};
use types::{BeaconState, ChainSpec, EthSpec, GENESIS_EPOCH};

/// `process_inactivity_updates` (altair). Skipped at genesis.
pub fn process_inactivity_updates<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<()> {
    if get_current_epoch(state) == GENESIS_EPOCH {
        return Ok(());
    }
    let ctx = RewardsContext::new(state)?;
    let mut updates = vec![];
    for (index, &old) in ctx.inactivity_scores.iter().enumerate() {
        if !ctx.eligible[index] {
            continue;
        }
        let mut score = if ctx.is_participating(index, TIMELY_TARGET_FLAG_INDEX) {
            old.saturating_sub(1)
        } else {
            old.checked_add(spec.inactivity_score_bias)
                .ok_or(StateError::Overflow)?
        };
        if !ctx.in_inactivity_leak {
            score = score.saturating_sub(spec.inactivity_score_recovery_rate);
        }
        if score != old {
            updates.push((index, score));
        }
    }
    let scores = state.inactivity_scores_mut();
    for (index, score) in updates {
        *scores
            .get_mut(index)
            .ok_or(StateError::UnknownValidator(index as u64))? = score;
    }
    Ok(())
}
