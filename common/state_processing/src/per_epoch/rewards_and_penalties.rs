//! `process_rewards_and_penalties` (altair): apply the three flag deltas and the inactivity penalties.

use crate::common::{get_current_epoch, RewardsContext, PARTICIPATION_FLAG_WEIGHTS};
use crate::{Result, StateError};
use milhouse::List;
use types::{BeaconState, ChainSpec, EthSpec, GENESIS_EPOCH};

/// `process_rewards_and_penalties` (altair). Skipped at genesis. Each delta set is applied in the spec's
/// order (reward, then saturating penalty), validator by validator.
pub fn process_rewards_and_penalties<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<()> {
    if get_current_epoch(state) == GENESIS_EPOCH {
        return Ok(());
    }
    let ctx = RewardsContext::new(state)?;
    let mut deltas = Vec::with_capacity(PARTICIPATION_FLAG_WEIGHTS.len() + 1);
    for flag_index in 0..PARTICIPATION_FLAG_WEIGHTS.len() {
        deltas.push(ctx.flag_index_deltas::<E>(flag_index)?);
    }
    deltas.push(ctx.inactivity_penalty_deltas::<E>(spec)?);

    let mut balances: Vec<u64> = state.balances().iter().copied().collect();
    if balances.len() != state.validators().len() {
        return Err(StateError::Other(
            "balances and validators differ in length".into(),
        ));
    }
    for (rewards, penalties) in &deltas {
        for (index, balance) in balances.iter_mut().enumerate() {
            *balance = balance
                .checked_add(rewards[index])
                .ok_or(StateError::Overflow)?
                .saturating_sub(penalties[index]);
        }
    }
    *state.balances_mut() = List::new(balances)?;
    Ok(())
}
