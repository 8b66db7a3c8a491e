//! Recent states in memory: the post-state of each recently imported block, and states advanced to a
//! coming slot (by the timer, late in the previous slot), so that importing a child or producing a
//! block does not wait on a store read or an epoch transition. Milhouse states share structure, so a
//! handful of them cost little more than one.
//!
//! Each state is kept with its [`StateCaches`], prepared for its epoch (committees, pubkey map,
//! effective and progressive balances): at 2^20 validators building them costs seconds (three
//! whole-registry shuffles, a million-entry pubkey map, a registry pass), so they follow the state
//! through slot advances and blocks instead of being rebuilt for each import or production. Clones
//! are cheap: the committees, the balance vectors and the bulk of the pubkey map are shared, and the
//! decompressed public keys are one memory for the whole chain ([`DecompressedPubkeys`], keyed by
//! the compressed key, so it is valid across forks). A state's caches are only ever used with that
//! state and its descendants (the pubkey map indexes a registry prefix, which forks may not share).

use state_processing::common::get_current_epoch;
use state_processing::StateCaches;
use std::collections::VecDeque;
use std::sync::Arc;
use types::{BeaconState, EthSpec, Hash256, Slot};

/// A cached state and its caches.
#[derive(Debug, Clone)]
pub struct CachedState<E: EthSpec> {
    /// The state.
    pub state: Arc<BeaconState<E>>,
    /// Caches for `state` (prepared for its epoch, or empty).
    pub caches: StateCaches,
}

/// A few states by (latest block root, slot).
#[derive(Debug)]
pub struct StateCache<E: EthSpec> {
    capacity: usize,
    entries: VecDeque<(Hash256, Slot, CachedState<E>)>,
}

impl<E: EthSpec> StateCache<E> {
    /// A cache of `capacity` states (at least 2).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            entries: VecDeque::new(),
        }
    }

    /// Keeps `state`, whose latest block is `block_root`, at its slot (without caches).
    pub fn insert(&mut self, block_root: Hash256, state: Arc<BeaconState<E>>) {
        self.insert_with_caches(block_root, state, StateCaches::new());
    }

    /// Keeps `state`, whose latest block is `block_root`, at its slot, with caches for it.
    pub fn insert_with_caches(
        &mut self,
        block_root: Hash256,
        state: Arc<BeaconState<E>>,
        caches: StateCaches,
    ) {
        let slot = state.slot();
        self.entries
            .retain(|(root, s, _)| !(*root == block_root && *s == slot));
        self.entries
            .push_back((block_root, slot, CachedState { state, caches }));
        while self.entries.len() > self.capacity {
            self.entries.pop_front();
        }
    }

    /// The state of `block_root` at `slot` exactly.
    pub fn get(&self, block_root: Hash256, slot: Slot) -> Option<Arc<BeaconState<E>>> {
        self.get_with_caches(block_root, slot).map(|c| c.state)
    }

    /// The state of `block_root` at `slot` exactly, with its caches.
    pub fn get_with_caches(&self, block_root: Hash256, slot: Slot) -> Option<CachedState<E>> {
        self.entries
            .iter()
            .rev()
            .find(|(root, s, _)| *root == block_root && *s == slot)
            .map(|(_, _, cached)| cached.clone())
    }

    /// The latest state of `block_root` at or before `slot`: the one to advance from.
    pub fn get_at_or_before(&self, block_root: Hash256, slot: Slot) -> Option<Arc<BeaconState<E>>> {
        self.get_at_or_before_with_caches(block_root, slot)
            .map(|c| c.state)
    }

    /// [`Self::get_at_or_before`], with the state's caches.
    pub fn get_at_or_before_with_caches(
        &self,
        block_root: Hash256,
        slot: Slot,
    ) -> Option<CachedState<E>> {
        self.entries
            .iter()
            .filter(|(root, s, _)| *root == block_root && *s <= slot)
            .max_by_key(|(_, s, _)| *s)
            .map(|(_, _, cached)| cached.clone())
    }

    /// Forgets every state of a slot before `slot` (after finalization).
    pub fn prune_before(&mut self, slot: Slot) {
        self.entries.retain(|(_, s, _)| *s >= slot);
    }
}

/// Whether `caches` are prepared for `state`'s epoch (so [`StateCaches::prepare`] would only check).
pub fn caches_prepared<E: EthSpec>(caches: &StateCaches, state: &BeaconState<E>) -> bool {
    let epoch = get_current_epoch(state);
    caches.committee_cache(epoch).is_some()
        && caches.committee_cache(epoch + 1).is_some()
        && caches
            .progressive_balances()
            .is_some_and(|p| p.epoch() == epoch)
        && caches.pubkeys.len() == state.validators().len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{ChainSpec, ForkName, MinimalEthSpec};

    #[test]
    fn warm_up_decodes_every_key_and_caches_know_when_they_are_prepared() {
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Fulu);
        let state = state_processing::genesis::interop_genesis_state::<MinimalEthSpec>(
            16,
            0,
            ForkName::Fulu,
            None,
            &spec,
        )
        .expect("a genesis state");
        let caches = StateCaches::build(&state).expect("caches");
        caches.pubkeys.keys().warm(2);
        assert_eq!(caches.pubkeys.keys().decompressed(), 16);
        assert!(caches_prepared(&caches, &state));
        assert!(!caches_prepared(&StateCaches::new(), &state));
    }
}
