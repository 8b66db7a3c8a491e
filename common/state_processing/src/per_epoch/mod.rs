//! Epoch processing (`process_epoch`), Capella to Fulu: one sub-step per file, run in the spec's order.

mod effective_balance_updates;
mod eth1_data_reset;
mod historical_summaries_update;
mod inactivity_updates;
mod justification_and_finalization;
mod participation_flag_updates;
mod pending_consolidations;
mod pending_deposits;
mod proposer_lookahead;
mod randao_mixes_reset;
mod registry_updates;
mod rewards_and_penalties;
mod single_pass;
mod slashings;
mod slashings_reset;
mod sync_committee_updates;

pub use effective_balance_updates::process_effective_balance_updates;
pub use eth1_data_reset::process_eth1_data_reset;
pub use historical_summaries_update::process_historical_summaries_update;
pub use inactivity_updates::{process_inactivity_updates, process_inactivity_updates_with_context};
pub use justification_and_finalization::{
    process_justification_and_finalization, weigh_checkpoints,
    weigh_justification_and_finalization, JustificationOutcome,
};
pub use participation_flag_updates::process_participation_flag_updates;
pub use pending_consolidations::process_pending_consolidations;
pub use pending_deposits::{apply_pending_deposit, process_pending_deposits};
pub use proposer_lookahead::process_proposer_lookahead;
pub use randao_mixes_reset::process_randao_mixes_reset;
pub use registry_updates::process_registry_updates;
pub use rewards_and_penalties::{
    process_rewards_and_penalties, process_rewards_and_penalties_with_context,
};
pub use single_pass::{process_epoch_single_pass, process_epoch_single_pass_split};
pub use slashings::process_slashings;
pub use slashings_reset::process_slashings_reset;
pub use sync_committee_updates::process_sync_committee_updates;

use crate::caches::StateCaches;
use crate::common::{get_current_epoch, RewardsContext};
use crate::Result;
use types::{BeaconState, ChainSpec, EthSpec, GENESIS_EPOCH};

/// `process_epoch` for the state's fork (Electra adds the pending deposit and consolidation queues, Fulu
/// the proposer lookahead). Runs at the last slot of an epoch, before the slot advances.
pub fn process_epoch<E: EthSpec>(state: &mut BeaconState<E>, spec: &ChainSpec) -> Result<()> {
    process_epoch_with_caches(state, spec, &mut StateCaches::new())
}

/// [`process_epoch`] using `caches` (its pubkey map for pending deposits) and keeping them consistent: the
/// per-validator steps run fused ([`process_epoch_single_pass`]), which also leaves in `caches` the new
/// epoch's total active balance, effective balances and progressive balances. On error, discard `state`
/// (keep the copy from before); the caches stay usable with that copy (a pubkey map that indexed the
/// failed run's new validators is dropped).
pub fn process_epoch_with_caches<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<()> {
    let registry_len = state.validators().len();
    let result = process_epoch_single_pass(state, spec, caches);
    if result.is_err() {
        caches.pubkeys.forget_past(registry_len);
    }
    result
}

/// `process_epoch` as the spec writes it, one sub-step after the other (each with its own pass over the
/// registry): the reference the fused path is tested against.
pub fn process_epoch_per_step<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<()> {
    let fork = state.fork_name();
    process_justification_and_finalization(state)?;
    if get_current_epoch(state) != GENESIS_EPOCH {
        // One gathering pass shared by the two steps (the inactivity step keeps its scores current).
        let mut ctx = RewardsContext::new(state)?;
        process_inactivity_updates_with_context(state, spec, &mut ctx)?;
        process_rewards_and_penalties_with_context(state, spec, &ctx)?;
    }
    process_registry_updates(state, spec)?;
    process_slashings(state)?;
    process_eth1_data_reset(state)?;
    if fork.electra_enabled() {
        process_pending_deposits(state, spec, &mut caches.pubkeys)?;
        process_pending_consolidations(state)?;
    }
    process_effective_balance_updates(state)?;
    caches.invalidate_balances();
    process_slashings_reset(state)?;
    process_randao_mixes_reset(state)?;
    process_historical_summaries_update(state)?;
    process_participation_flag_updates(state)?;
    process_sync_committee_updates(state)?;
    if fork.fulu_enabled() {
        process_proposer_lookahead(state)?;
    }
    Ok(())
}
