//! `process_inactivity_updates` (altair): inactivity scores rise for validators missing the target and
//! recover outside a leak.

use crate::common::{
    get_current_epoch, has_flag, write_list_entries, RewardsContext, TIMELY_TARGET_FLAG_INDEX,
};
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
    ctx.check_lengths()?;
    let mut updates = vec![];
    for (index, old) in ctx.inactivity_scores.iter_mut().enumerate() {
        if !ctx.eligible[index] {
            continue;
        }
        let participating = ctx
            .participation
            .get(index)
            .is_some_and(|&flags| has_flag(flags, TIMELY_TARGET_FLAG_INDEX));
        let score = updated_inactivity_score(*old, participating, ctx.in_inactivity_leak, spec)?;
        if score != *old {
            updates.push((index, score));
            *old = score;
        }
    }
    write_list_entries(state.inactivity_scores_mut(), updates)
}

/// One eligible validator's step of `process_inactivity_updates`: down by one for a timely target vote,
/// up by `INACTIVITY_SCORE_BIAS` otherwise, then down by `INACTIVITY_SCORE_RECOVERY_RATE` outside a leak.
pub(crate) fn updated_inactivity_score(
    old: u64,
    participating_target: bool,
    in_inactivity_leak: bool,
    spec: &ChainSpec,
) -> Result<u64> {
    let mut score = if participating_target {
        old.saturating_sub(1)
    } else {
        old.checked_add(spec.inactivity_score_bias)
            .ok_or(StateError::Overflow)?
    };
    if !in_inactivity_leak {
        score = score.saturating_sub(spec.inactivity_score_recovery_rate);
    }
    Ok(score)
}
