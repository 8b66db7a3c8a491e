//! Recent states in memory: the post-state of each recently imported block, and states advanced to a
//! coming slot (by the timer, late in the previous slot), so that importing a child or producing a
//! block does not wait on a store read or an epoch transition. Milhouse states share structure, so a
//! handful of them cost little more than one.

use std::collections::VecDeque;
use std::sync::Arc;
use types::{BeaconState, EthSpec, Hash256, Slot};

/// A few states by (latest block root, slot).
#[derive(Debug)]
pub struct StateCache<E: EthSpec> {
    capacity: usize,
    entries: VecDeque<(Hash256, Slot, Arc<BeaconState<E>>)>,
}

impl<E: EthSpec> StateCache<E> {
    /// A cache of `capacity` states (at least 2).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            entries: VecDeque::new(),
        }
    }

    /// Keeps `state`, whose latest block is `block_root`, at its slot.
    pub fn insert(&mut self, block_root: Hash256, state: Arc<BeaconState<E>>) {
        let slot = state.slot();
        self.entries
            .retain(|(root, s, _)| !(*root == block_root && *s == slot));
        self.entries.push_back((block_root, slot, state));
        while self.entries.len() > self.capacity {
            self.entries.pop_front();
        }
    }

    /// The state of `block_root` at `slot` exactly.
    pub fn get(&self, block_root: Hash256, slot: Slot) -> Option<Arc<BeaconState<E>>> {
        self.entries
            .iter()
            .rev()
            .find(|(root, s, _)| *root == block_root && *s == slot)
            .map(|(_, _, state)| state.clone())
    }

    /// The latest state of `block_root` at or before `slot`: the one to advance from.
    pub fn get_at_or_before(&self, block_root: Hash256, slot: Slot) -> Option<Arc<BeaconState<E>>> {
        self.entries
            .iter()
            .filter(|(root, s, _)| *root == block_root && *s <= slot)
            .max_by_key(|(_, s, _)| *s)
            .map(|(_, _, state)| state.clone())
    }

    /// Forgets every state of a slot before `slot` (after finalization).
    pub fn prune_before(&mut self, slot: Slot) {
        self.entries.retain(|(_, s, _)| *s >= slot);
    }
}
