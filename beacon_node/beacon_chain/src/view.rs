//! What the builder module asks of the chain (`ExecutionLayerChain`): a proposer's registration, and
//! the chain's health for the circuit breaker. A separate value the chain keeps up to date, so that the
//! execution layer (which the chain owns) does not hold the chain itself.

use execution_layer::{ChainHealth, ExecutionLayerChain, ProposerRegistration};
use parking_lot::RwLock;
use std::collections::{BTreeSet, HashMap};
use types::{Epoch, PublicKeyBytes, Slot};

/// The chain's state at the head, as the circuit breaker reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadHealth {
    /// The head block's slot.
    pub head_slot: Slot,
    /// Slots with a block among the 32 up to and including the head's (from the head state's block
    /// roots).
    pub block_slots: BTreeSet<Slot>,
    /// The finalized checkpoint's epoch.
    pub finalized_epoch: Epoch,
    /// The head is imported optimistically (its payload is not verified by the engine).
    pub head_is_optimistic: bool,
}

/// The chain as the execution layer sees it.
#[derive(Debug)]
pub struct ChainView {
    slots_per_epoch: u64,
    registrations: RwLock<HashMap<PublicKeyBytes, ProposerRegistration>>,
    health: RwLock<HeadHealth>,
    ee_syncing: RwLock<bool>,
}

impl ChainView {
    /// An empty view for a chain of `slots_per_epoch`.
    pub fn new(slots_per_epoch: u64) -> Self {
        Self {
            slots_per_epoch,
            registrations: RwLock::new(HashMap::new()),
            health: RwLock::new(HeadHealth::default()),
            ee_syncing: RwLock::new(false),
        }
    }

    /// Records a proposer's registration (already checked by the chain).
    pub fn set_registration(&self, pubkey: PublicKeyBytes, registration: ProposerRegistration) {
        self.registrations.write().insert(pubkey, registration);
    }

    /// The number of registered proposers.
    pub fn registration_count(&self) -> usize {
        self.registrations.read().len()
    }

    /// Replaces the head's health facts.
    pub fn set_head_health(&self, health: HeadHealth) {
        *self.health.write() = health;
    }

    /// The head's health facts.
    pub fn head_health(&self) -> HeadHealth {
        self.health.read().clone()
    }

    /// Records whether the engine last said it is syncing.
    pub fn set_ee_syncing(&self, syncing: bool) {
        *self.ee_syncing.write() = syncing;
    }

    /// Whether the engine last said it is syncing.
    pub fn ee_syncing(&self) -> bool {
        *self.ee_syncing.read()
    }
}

impl ExecutionLayerChain for ChainView {
    fn proposer_registration(&self, pubkey: &PublicKeyBytes) -> Option<ProposerRegistration> {
        self.registrations.read().get(pubkey).copied()
    }

    fn chain_health(&self, slot: Slot) -> ChainHealth {
        let health = self.health.read();
        let window = slot.saturating_sub(32).max(1)..slot;
        let empty = window.filter(|s| !health.block_slots.contains(s)).count() as u64;
        ChainHealth {
            current_slot: slot,
            head_slot: health.head_slot,
            empty_slots_in_last_32: empty,
            finalized_epoch: health.finalized_epoch,
            current_epoch: slot / self.slots_per_epoch,
            head_is_optimistic: health.head_is_optimistic,
            ee_syncing: self.ee_syncing(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_slots_count_the_window_before_the_proposal() {
        let view = ChainView::new(8);
        view.set_head_health(HeadHealth {
            head_slot: 40,
            block_slots: (20..=40).filter(|s| s % 2 == 0).collect(),
            finalized_epoch: 3,
            head_is_optimistic: false,
        });
        let health = view.chain_health(41);
        // Window 9..41: 9..=19 empty (11), 21..=39 odd empty (10).
        assert_eq!(health.empty_slots_in_last_32, 21);
        assert_eq!(health.skipped_slots_at_head(), 0);
        assert_eq!(health.current_epoch, 5);
        view.set_ee_syncing(true);
        assert!(view.chain_health(41).ee_syncing);
    }
}
