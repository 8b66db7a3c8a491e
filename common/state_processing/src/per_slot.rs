//! Slot processing: `process_slot` caches the previous state and block roots; `process_slots` advances a
//! state to a later slot, running epoch processing at each epoch's last slot and the fork upgrades at
//! the first slot of each fork epoch.

use crate::caches::StateCaches;
use crate::common::is_multiple;
use crate::per_epoch::process_epoch_with_caches;
use crate::upgrade::upgrade_state;
use crate::{Result, StateError};
use tree_hash::TreeHash;
use types::{BeaconState, ChainSpec, EthSpec, ForkName, Hash256, Slot};

/// `process_slot` (phase0): record the state root of the current slot in `state_roots`, fill
/// `latest_block_header.state_root` if the block of this slot left it empty, and record the block root in
/// `block_roots`.
pub fn process_slot<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let previous_state_root = state.update_tree_hash_cache()?;
    let index = (state.slot() % E::slots_per_historical_root() as u64) as usize;
    *state
        .state_roots_mut()
        .get_mut(index)
        .ok_or_else(|| StateError::Other("state_roots too short".into()))? = previous_state_root;
    if state.latest_block_header().state_root == Hash256::ZERO {
        state.latest_block_header_mut().state_root = previous_state_root;
    }
    let previous_block_root = state.latest_block_header().tree_hash_root();
    *state
        .block_roots_mut()
        .get_mut(index)
        .ok_or_else(|| StateError::Other("block_roots too short".into()))? = previous_block_root;
    Ok(())
}

/// `process_slots` (phase0, with the fork upgrades of `spec`'s schedule): advance `state` to `slot`,
/// which must be later than the state's slot.
pub fn process_slots<E: EthSpec>(
    state: &mut BeaconState<E>,
    slot: Slot,
    spec: &ChainSpec,
) -> Result<()> {
    process_slots_with_caches(state, slot, spec, &mut StateCaches::new())
}

/// [`process_slots`] using (and keeping consistent) `caches` for epoch processing. The caches are not
/// re-prepared for the new epoch: call [`StateCaches::prepare`] afterwards if block processing follows.
/// On error, discard `state` and keep the copy from before the call; the caches stay usable with that
/// copy (the epoch's balance caches are installed only once epoch processing succeeds, and a pubkey map
/// that indexed validators the copy lacks is dropped, to be rebuilt by the next `prepare`).
pub fn process_slots_with_caches<E: EthSpec>(
    state: &mut BeaconState<E>,
    slot: Slot,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<()> {
    let registry_len = state.validators().len();
    let result = advance_slots(state, slot, spec, caches);
    if result.is_err() {
        caches.pubkeys.forget_past(registry_len);
    }
    result
}

/// The loop of [`process_slots_with_caches`].
fn advance_slots<E: EthSpec>(
    state: &mut BeaconState<E>,
    slot: Slot,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<()> {
    if state.slot() >= slot {
        return Err(StateError::SlotNotLater {
            state_slot: state.slot(),
            slot,
        });
    }
    while state.slot() < slot {
        process_slot(state)?;
        if is_multiple(state.slot() + 1, E::slots_per_epoch()) {
            process_epoch_with_caches(state, spec, caches)?;
        }
        *state.slot_mut() += 1;
        if is_multiple(state.slot(), E::slots_per_epoch()) {
            let fork = state.fork_name();
            upgrade_at_epoch_start(state, spec)?;
            if state.fork_name() != fork {
                // An upgrade may change effective balances (Electra's) and the participation lists.
                caches.invalidate_balances();
            }
        }
    }
    Ok(())
}

/// At the first slot of an epoch, run every upgrade that `spec` schedules at that epoch, oldest first
/// (several forks may share an epoch).
fn upgrade_at_epoch_start<E: EthSpec>(state: &mut BeaconState<E>, spec: &ChainSpec) -> Result<()> {
    let epoch = state.slot() / E::slots_per_epoch();
    for fork in [ForkName::Deneb, ForkName::Electra, ForkName::Fulu] {
        if spec.fork_epoch(fork) == epoch && state.fork_name().next() == Some(fork) {
            upgrade_state(state, fork, spec)?;
        }
    }
    Ok(())
}
