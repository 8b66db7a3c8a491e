//! `process_justification_and_finalization` (altair form): FFG justification and finality from the
//! previous and current epochs' timely-target balances.

use crate::common::{
    get_block_root, get_current_epoch, get_previous_epoch, has_flag, is_active_validator, safe_add,
    TIMELY_TARGET_FLAG_INDEX,
};
use crate::{Result, StateError};
use types::{BeaconState, Checkpoint, EthSpec, Gwei, GENESIS_EPOCH};

/// `process_justification_and_finalization` (altair). Skipped in the first two epochs.
pub fn process_justification_and_finalization<E: EthSpec>(
    state: &mut BeaconState<E>,
) -> Result<()> {
    let current_epoch = get_current_epoch(state);
    if current_epoch <= GENESIS_EPOCH + 1 {
        return Ok(());
    }
    let previous_epoch = get_previous_epoch(state);
    // One pass for the three balances the spec computes from
    // `get_total_active_balance` and two `get_unslashed_participating_indices` sets.
    let (mut total_active, mut previous_target, mut current_target): (Gwei, Gwei, Gwei) = (0, 0, 0);
    let validators = state.validators();
    let previous_participation = state.previous_epoch_participation();
    let current_participation = state.current_epoch_participation();
    if previous_participation.len() != validators.len()
        || current_participation.len() != validators.len()
    {
        return Err(StateError::Other(
            "participation list length differs from the registry".into(),
        ));
    }
    for ((v, &previous_flags), &current_flags) in validators
        .iter()
        .zip(previous_participation.iter())
        .zip(current_participation.iter())
    {
        if is_active_validator(v, current_epoch) {
            total_active = safe_add(total_active, v.effective_balance)?;
            if !v.slashed && has_flag(current_flags, TIMELY_TARGET_FLAG_INDEX) {
                current_target = safe_add(current_target, v.effective_balance)?;
            }
        }
        if is_active_validator(v, previous_epoch)
            && !v.slashed
            && has_flag(previous_flags, TIMELY_TARGET_FLAG_INDEX)
        {
            previous_target = safe_add(previous_target, v.effective_balance)?;
        }
    }
    let floor = |balance: Gwei| balance.max(E::EFFECTIVE_BALANCE_INCREMENT);
    weigh_justification_and_finalization(
        state,
        floor(total_active),
        floor(previous_target),
        floor(current_target),
    )
}

/// `weigh_justification_and_finalization` (phase0): update the justification bits and checkpoints from
/// the target balances, then finalize by the four FFG rules.
pub fn weigh_justification_and_finalization<E: EthSpec>(
    state: &mut BeaconState<E>,
    total_active_balance: Gwei,
    previous_epoch_target_balance: Gwei,
    current_epoch_target_balance: Gwei,
) -> Result<()> {
    let outcome = weigh_checkpoints(
        state,
        total_active_balance,
        previous_epoch_target_balance,
        current_epoch_target_balance,
    )?;
    *state.previous_justified_checkpoint_mut() = outcome.previous_justified;
    *state.current_justified_checkpoint_mut() = outcome.current_justified;
    for (i, bit) in outcome.justification_bits.iter().enumerate() {
        state.justification_bits_mut().set(i, *bit)?;
    }
    *state.finalized_checkpoint_mut() = outcome.finalized;
    Ok(())
}

/// What `weigh_justification_and_finalization` leaves on a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JustificationOutcome {
    pub previous_justified: Checkpoint,
    pub current_justified: Checkpoint,
    pub justification_bits: [bool; 4],
    pub finalized: Checkpoint,
}

/// `weigh_justification_and_finalization` (phase0) without writing: the checkpoints and bits it would
/// set on `state` given the target balances (also fork choice's unrealized checkpoints).
pub fn weigh_checkpoints<E: EthSpec>(
    state: &BeaconState<E>,
    total_active_balance: Gwei,
    previous_epoch_target_balance: Gwei,
    current_epoch_target_balance: Gwei,
) -> Result<JustificationOutcome> {
    let previous_epoch = get_previous_epoch(state);
    let current_epoch = get_current_epoch(state);
    let old_previous_justified = state.previous_justified_checkpoint();
    let old_current_justified = state.current_justified_checkpoint();

    // Shift the bits: bits[1..] = old bits[..3], bits[0] = false.
    let mut bits = [false; 4];
    for (i, bit) in bits.iter_mut().enumerate().skip(1) {
        *bit = state.justification_bits().get(i - 1)?;
    }
    let mut current_justified = old_current_justified;
    let supermajority = |balance: Gwei| balance as u128 * 3 >= total_active_balance as u128 * 2;
    if supermajority(previous_epoch_target_balance) {
        current_justified = Checkpoint {
            epoch: previous_epoch,
            root: get_block_root(state, previous_epoch)?,
        };
        bits[1] = true;
    }
    if supermajority(current_epoch_target_balance) {
        current_justified = Checkpoint {
            epoch: current_epoch,
            root: get_block_root(state, current_epoch)?,
        };
        bits[0] = true;
    }

    let all = |range: std::ops::Range<usize>| bits[range].iter().all(|b| *b);
    let mut finalized = state.finalized_checkpoint();
    // The 2nd/3rd/4th most recent epochs are justified, the 2nd using the 4th as source.
    if all(1..4) && old_previous_justified.epoch.saturating_add(3) == current_epoch {
        finalized = old_previous_justified;
    }
    // The 2nd/3rd most recent epochs are justified, the 2nd using the 3rd as source.
    if all(1..3) && old_previous_justified.epoch.saturating_add(2) == current_epoch {
        finalized = old_previous_justified;
    }
    // The 1st/2nd/3rd most recent epochs are justified, the 1st using the 3rd as source.
    if all(0..3) && old_current_justified.epoch.saturating_add(2) == current_epoch {
        finalized = old_current_justified;
    }
    // The 1st/2nd most recent epochs are justified, the 1st using the 2nd as source.
    if all(0..2) && old_current_justified.epoch.saturating_add(1) == current_epoch {
        finalized = old_current_justified;
    }
    Ok(JustificationOutcome {
        previous_justified: old_current_justified,
        current_justified,
        justification_bits: bits,
        finalized,
    })
}
