//! `process_rewards_and_penalties` (altair): apply the three flag deltas and the inactivity penalties.

use crate::common::{get_current_epoch, RewardsContext};
use crate::Result;
use milhouse::List;
use types::{BeaconState, ChainSpec, EthSpec, GENESIS_EPOCH};

/// `process_rewards_and_penalties` (altair). Skipped at genesis. The delta sets are applied in the spec's
/// order (reward, then saturating penalty) in one pass over the balances ([`RewardsContext::apply_deltas`]),
/// which are written back as a whole list.
pub fn process_rewards_and_penalties<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
) -> Result<()> {
    if get_current_epoch(state) == GENESIS_EPOCH {
        return Ok(());
    }
    let ctx = RewardsContext::new(state)?;
    process_rewards_and_penalties_with_context(state, spec, &ctx)
}

/// [`process_rewards_and_penalties`] on `ctx`, which must describe `state` as `RewardsContext::new` would
/// (e.g. the context `process_inactivity_updates_with_context` updated). Skipped at genesis.
pub fn process_rewards_and_penalties_with_context<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    ctx: &RewardsContext,
) -> Result<()> {
    if get_current_epoch(state) == GENESIS_EPOCH {
        return Ok(());
    }
    let mut balances: Vec<u64> = state.balances().iter().copied().collect();
    ctx.apply_deltas::<E>(&mut balances, spec)?;
    *state.balances_mut() = List::new(balances)?;
    Ok(())
}
