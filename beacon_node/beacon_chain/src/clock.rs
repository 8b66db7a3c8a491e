//! The slot clock: which slot it is, from the genesis time and the slot duration. A trait so that
//! tests drive time by hand and a node reads the system clock.

use parking_lot::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use types::Slot;

/// Unix time in milliseconds, from wherever the node gets it.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default()
    }
}

/// A clock that moves only when told: tests run a chain through many slots in no time.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: Mutex<u64>,
}

impl ManualClock {
    /// A clock at `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        Self {
            now_ms: Mutex::new(now_ms),
        }
    }

    /// Sets the time.
    pub fn set_ms(&self, now_ms: u64) {
        *self.now_ms.lock() = now_ms;
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        *self.now_ms.lock()
    }
}

/// Slots over a clock: `genesis_time` (seconds) and the slot duration.
#[derive(Clone)]
pub struct SlotClock {
    clock: std::sync::Arc<dyn Clock>,
    genesis_time_ms: u64,
    slot_duration_ms: u64,
}

impl std::fmt::Debug for SlotClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotClock")
            .field("genesis_time_ms", &self.genesis_time_ms)
            .field("slot_duration_ms", &self.slot_duration_ms)
            .finish()
    }
}

impl SlotClock {
    /// A slot clock for a chain that started at `genesis_time` (seconds).
    pub fn new(clock: std::sync::Arc<dyn Clock>, genesis_time: u64, slot_duration_ms: u64) -> Self {
        Self {
            clock,
            genesis_time_ms: genesis_time.saturating_mul(1000),
            slot_duration_ms: slot_duration_ms.max(1),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Seconds since the Unix epoch (fork choice's `time`).
    pub fn now_seconds(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// The current slot; `None` before genesis.
    pub fn now(&self) -> Option<Slot> {
        let now = self.now_ms();
        (now >= self.genesis_time_ms).then(|| (now - self.genesis_time_ms) / self.slot_duration_ms)
    }

    /// The current slot, or genesis before genesis.
    pub fn now_or_genesis(&self) -> Slot {
        self.now().unwrap_or(0)
    }

    /// The start of `slot`, in Unix milliseconds.
    pub fn start_of_ms(&self, slot: Slot) -> u64 {
        self.genesis_time_ms
            .saturating_add(slot.saturating_mul(self.slot_duration_ms))
    }

    /// How long until the start of `slot` (zero if it started).
    pub fn duration_to_slot(&self, slot: Slot) -> Duration {
        Duration::from_millis(self.start_of_ms(slot).saturating_sub(self.now_ms()))
    }

    /// How far into the current slot we are.
    pub fn ms_into_slot(&self) -> u64 {
        let now = self.now_ms();
        now.saturating_sub(self.genesis_time_ms) % self.slot_duration_ms
    }

    /// The slot duration.
    pub fn slot_duration(&self) -> Duration {
        Duration::from_millis(self.slot_duration_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn slots_follow_the_clock() {
        let clock = Arc::new(ManualClock::new(999_000));
        let slots = SlotClock::new(clock.clone(), 1000, 6000);
        assert_eq!(slots.now(), None);
        assert_eq!(slots.now_or_genesis(), 0);
        clock.set_ms(1_000_000);
        assert_eq!(slots.now(), Some(0));
        clock.set_ms(1_011_999);
        assert_eq!(slots.now(), Some(1));
        assert_eq!(slots.ms_into_slot(), 5999);
        assert_eq!(slots.duration_to_slot(2), Duration::from_millis(1));
        assert_eq!(slots.start_of_ms(3), 1_018_000);
    }
}
