//! What the validator client knows of its chain without a state: the spec, genesis, the slot clock
//! and the fork of each epoch (for signing domains).

use crate::keys::ForkInfo;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use types::{ChainSpec, Epoch, EthSpec, ForkName, Hash256, Slot};

/// The chain the client validates on.
#[derive(Debug, Clone)]
pub struct ChainContext<E: EthSpec> {
    pub spec: Arc<ChainSpec>,
    pub genesis_time: u64,
    pub genesis_validators_root: Hash256,
    _spec: std::marker::PhantomData<fn() -> E>,
}

impl<E: EthSpec> ChainContext<E> {
    pub fn new(spec: Arc<ChainSpec>, genesis_time: u64, genesis_validators_root: Hash256) -> Self {
        Self {
            spec,
            genesis_time,
            genesis_validators_root,
            _spec: std::marker::PhantomData,
        }
    }

    /// The signing fork of `epoch`: the fork the spec schedules then (what a state at that epoch
    /// holds in `state.fork`).
    pub fn fork_info(&self, epoch: Epoch) -> ForkInfo {
        ForkInfo {
            fork: self.spec.fork_for(self.spec.fork_name_at_epoch(epoch)),
            genesis_validators_root: self.genesis_validators_root,
        }
    }

    /// The fork at `slot`.
    pub fn fork_at_slot(&self, slot: Slot) -> ForkName {
        self.spec.fork_name_at_slot::<E>(slot)
    }

    fn slot_duration_ms(&self) -> u64 {
        self.spec.slot_duration_ms.max(1)
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default()
    }

    /// The current slot; `None` before genesis.
    pub fn current_slot(&self) -> Option<Slot> {
        let genesis_ms = self.genesis_time * 1000;
        let now = self.now_ms();
        (now >= genesis_ms).then(|| (now - genesis_ms) / self.slot_duration_ms())
    }

    /// Unix milliseconds at which `slot` starts.
    pub fn slot_start_ms(&self, slot: Slot) -> u64 {
        self.genesis_time * 1000 + slot * self.slot_duration_ms()
    }

    /// How long until `fraction` (per mille) of `slot` has passed (zero if it has).
    pub fn until(&self, slot: Slot, per_mille: u64) -> Duration {
        let at = self.slot_start_ms(slot) + self.slot_duration_ms() * per_mille / 1000;
        Duration::from_millis(at.saturating_sub(self.now_ms()))
    }

    /// The slot's epoch.
    pub fn epoch(slot: Slot) -> Epoch {
        slot / E::slots_per_epoch()
    }
}
