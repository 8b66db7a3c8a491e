//! `process_inactivity_updates` (altair): inactivity scores rise for validators missing the target and
//! recover outside a leak.

use crate::common::{get_current_epoch, has_flag, RewardsContext, TIMELY_TARGET_FLAG_INDEX};
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
    let mut ctx = RewardsContext::new(state)?;
    process_inactivity_updates_with_context(state, spec, &mut ctx)
}

/// [`process_inactivity_updates`] on `ctx`, gathered from `state` after justification and finalization;
/// `ctx.inactivity_scores` is kept equal to the state's updated scores, so that `ctx` can be reused by
/// `process_rewards_and_penalties_with_context`. Skipped at genesis.
pub fn process_inactivity_updates_with_context<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    ctx: &mut RewardsContext,
) -> Result<()> {
    if get_current_epoch(state) == GENESIS_EPOCH {
        return Ok(());
    }
    let mut updates = vec![];
    for (index, old) in ctx.inactivity_scores.iter_mut().enumerate() {
        if !ctx.eligible[index] {
            continue;
        }
        let participating = ctx
            .participation
            .get(index)
            .is_some_and(|&flags| has_flag(flags, TIMELY_TARGET_FLAG_INDEX));
        let mut score = if participating {
            old.saturating_sub(1)
        } else {
            old.checked_add(spec.inactivity_score_bias)
                .ok_or(StateError::Overflow)?
        };
        if !ctx.in_inactivity_leak {
            score = score.saturating_sub(spec.inactivity_score_recovery_rate);
        }
        if score != *old {
            updates.push((index, score));
            *old = score;
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
