//! The circuit breaker: when the chain looks unhealthy, proposers fall back to local payloads
//! (builder-specs `validator.md`, "Circuit breaker"), so that a misbehaving builder network cannot
//! keep the chain from recovering.
//!
//! Two checks are about safety rather than liveness, and no threshold or `disabled()` turns them off:
//! a head the execution engine has not verified (optimistic), and an engine that is syncing. A
//! builder's payload on such a parent might extend an invalid chain, and after signing there is no way
//! back; a local payload, if the engine can build one, is checked by the engine itself.

use types::{Epoch, Slot};

/// What the chain reports about its own health at the moment of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHealth {
    /// The slot being proposed.
    pub current_slot: Slot,
    /// The slot of the current head block.
    pub head_slot: Slot,
    /// Slots without a block among the 32 slots before `current_slot`.
    pub empty_slots_in_last_32: u64,
    /// The finalized checkpoint's epoch.
    pub finalized_epoch: Epoch,
    /// The epoch of `current_slot`.
    pub current_epoch: Epoch,
    /// The head block's payload is not yet verified by the execution engine (imported optimistically).
    pub head_is_optimistic: bool,
    /// The execution engine last said it is syncing (a `SYNCING` answer, or `eth_syncing`).
    pub ee_syncing: bool,
}

impl ChainHealth {
    /// A healthy chain at `current_slot`, the head one slot back and finality recent: the start for
    /// callers that fill in what they measure.
    pub fn healthy(current_slot: Slot, epoch: Epoch) -> Self {
        Self {
            current_slot,
            head_slot: current_slot.saturating_sub(1),
            empty_slots_in_last_32: 0,
            finalized_epoch: epoch.saturating_sub(1),
            current_epoch: epoch,
            head_is_optimistic: false,
            ee_syncing: false,
        }
    }

    /// Empty slots between the head and the slot being proposed.
    pub fn skipped_slots_at_head(&self) -> u64 {
        self.current_slot
            .saturating_sub(self.head_slot)
            .saturating_sub(1)
    }

    /// Epochs between the finalized checkpoint and now.
    pub fn epochs_since_finality(&self) -> u64 {
        self.current_epoch.saturating_sub(self.finalized_epoch)
    }
}

/// Thresholds of the circuit breaker; `None` disables a check. Each trips when the measure *exceeds*
/// its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitBreakerConfig {
    /// Most empty slots allowed between the head and the proposal.
    pub max_skipped_slots_at_head: Option<u64>,
    /// Most empty slots allowed among the 32 before the proposal.
    pub max_empty_slots_in_last_32: Option<u64>,
    /// Most epochs allowed since finality.
    pub max_epochs_since_finality: Option<u64>,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self {
            max_skipped_slots_at_head: Some(3),
            max_empty_slots_in_last_32: Some(8),
            max_epochs_since_finality: Some(3),
        }
    }
}

impl CircuitBreakerConfig {
    /// Every check disabled: builders are always allowed.
    pub fn disabled() -> Self {
        Self {
            max_skipped_slots_at_head: None,
            max_empty_slots_in_last_32: None,
            max_epochs_since_finality: None,
        }
    }
}

/// Why the breaker tripped: the measure and the threshold it exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CircuitBreakerReason {
    /// Too many empty slots between the head and the proposal.
    #[error("{skipped} skipped slots at the head exceed {max}")]
    SkippedSlotsAtHead {
        /// [`ChainHealth::skipped_slots_at_head`].
        skipped: u64,
        /// [`CircuitBreakerConfig::max_skipped_slots_at_head`].
        max: u64,
    },
    /// Too many empty slots among the last 32.
    #[error("{empty} empty slots in the last 32 exceed {max}")]
    EmptySlotsInLast32 {
        /// [`ChainHealth::empty_slots_in_last_32`].
        empty: u64,
        /// [`CircuitBreakerConfig::max_empty_slots_in_last_32`].
        max: u64,
    },
    /// Finality is too far behind.
    #[error("{epochs} epochs since finality exceed {max}")]
    EpochsSinceFinality {
        /// [`ChainHealth::epochs_since_finality`].
        epochs: u64,
        /// [`CircuitBreakerConfig::max_epochs_since_finality`].
        max: u64,
    },
    /// The head's payload is not verified by the execution engine.
    #[error("the head is optimistic (its payload is not verified by the execution engine)")]
    OptimisticHead,
    /// The execution engine is syncing.
    #[error("the execution engine is syncing")]
    ExecutionEngineSyncing,
}

impl CircuitBreakerReason {
    /// A short, stable label for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::SkippedSlotsAtHead { .. } => "skipped_slots_at_head",
            Self::EmptySlotsInLast32 { .. } => "empty_slots_in_last_32",
            Self::EpochsSinceFinality { .. } => "epochs_since_finality",
            Self::OptimisticHead => "optimistic_head",
            Self::ExecutionEngineSyncing => "execution_engine_syncing",
        }
    }
}

/// The breaker's decision for one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitBreakerVerdict {
    /// Builders may compete.
    Closed,
    /// Use the local payload only.
    Tripped(CircuitBreakerReason),
}

impl CircuitBreakerVerdict {
    /// Whether builders are kept out.
    pub fn is_tripped(&self) -> bool {
        matches!(self, Self::Tripped(_))
    }
}

/// Applies the safety checks (optimistic head, syncing engine), then the thresholds of `config` to
/// `inputs`; the first failed one (in the order optimistic head, syncing engine, head skips, empty
/// slots, finality) is the reason.
pub fn circuit_breaker(inputs: ChainHealth, config: CircuitBreakerConfig) -> CircuitBreakerVerdict {
    if inputs.head_is_optimistic {
        return CircuitBreakerVerdict::Tripped(CircuitBreakerReason::OptimisticHead);
    }
    if inputs.ee_syncing {
        return CircuitBreakerVerdict::Tripped(CircuitBreakerReason::ExecutionEngineSyncing);
    }
    let skipped = inputs.skipped_slots_at_head();
    if let Some(max) = config.max_skipped_slots_at_head {
        if skipped > max {
            return CircuitBreakerVerdict::Tripped(CircuitBreakerReason::SkippedSlotsAtHead {
                skipped,
                max,
            });
        }
    }
    let empty = inputs.empty_slots_in_last_32;
    if let Some(max) = config.max_empty_slots_in_last_32 {
        if empty > max {
            return CircuitBreakerVerdict::Tripped(CircuitBreakerReason::EmptySlotsInLast32 {
                empty,
                max,
            });
        }
    }
    let epochs = inputs.epochs_since_finality();
    if let Some(max) = config.max_epochs_since_finality {
        if epochs > max {
            return CircuitBreakerVerdict::Tripped(CircuitBreakerReason::EpochsSinceFinality {
                epochs,
                max,
            });
        }
    }
    CircuitBreakerVerdict::Closed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> ChainHealth {
        ChainHealth {
            finalized_epoch: 29,
            ..ChainHealth::healthy(1000, 31)
        }
    }

    #[test]
    fn unsafe_heads_trip_even_with_the_thresholds_disabled() {
        for config in [
            CircuitBreakerConfig::default(),
            CircuitBreakerConfig::disabled(),
        ] {
            let optimistic = ChainHealth {
                head_is_optimistic: true,
                ..healthy()
            };
            assert_eq!(
                circuit_breaker(optimistic, config),
                CircuitBreakerVerdict::Tripped(CircuitBreakerReason::OptimisticHead)
            );
            let syncing = ChainHealth {
                ee_syncing: true,
                ..healthy()
            };
            let verdict = circuit_breaker(syncing, config);
            assert_eq!(
                verdict,
                CircuitBreakerVerdict::Tripped(CircuitBreakerReason::ExecutionEngineSyncing)
            );
        }
        assert_eq!(
            CircuitBreakerReason::OptimisticHead.reason(),
            "optimistic_head"
        );
    }

    fn verdict(inputs: ChainHealth) -> CircuitBreakerVerdict {
        circuit_breaker(inputs, CircuitBreakerConfig::default())
    }

    #[test]
    fn healthy_chain_is_closed() {
        assert_eq!(verdict(healthy()), CircuitBreakerVerdict::Closed);
        assert!(!verdict(healthy()).is_tripped());
    }

    #[test]
    fn skipped_slots_at_head_boundary() {
        // Head 3 slots back plus the proposal slot: 3 skipped, allowed.
        let at = ChainHealth {
            head_slot: 996,
            ..healthy()
        };
        assert_eq!(at.skipped_slots_at_head(), 3);
        assert_eq!(verdict(at), CircuitBreakerVerdict::Closed);
        let over = ChainHealth {
            head_slot: 995,
            ..healthy()
        };
        let v = verdict(over);
        assert_eq!(
            v,
            CircuitBreakerVerdict::Tripped(CircuitBreakerReason::SkippedSlotsAtHead {
                skipped: 4,
                max: 3
            })
        );
        let CircuitBreakerVerdict::Tripped(reason) = v else {
            unreachable!()
        };
        assert_eq!(reason.reason(), "skipped_slots_at_head");
    }

    #[test]
    fn empty_slots_boundary() {
        let at = ChainHealth {
            empty_slots_in_last_32: 8,
            ..healthy()
        };
        assert_eq!(verdict(at), CircuitBreakerVerdict::Closed);
        let over = ChainHealth {
            empty_slots_in_last_32: 9,
            ..healthy()
        };
        assert_eq!(
            verdict(over),
            CircuitBreakerVerdict::Tripped(CircuitBreakerReason::EmptySlotsInLast32 {
                empty: 9,
                max: 8
            })
        );
    }

    #[test]
    fn finality_boundary() {
        let at = ChainHealth {
            finalized_epoch: 28,
            ..healthy()
        };
        assert_eq!(verdict(at), CircuitBreakerVerdict::Closed);
        let over = ChainHealth {
            finalized_epoch: 27,
            ..healthy()
        };
        assert_eq!(
            verdict(over),
            CircuitBreakerVerdict::Tripped(CircuitBreakerReason::EpochsSinceFinality {
                epochs: 4,
                max: 3
            })
        );
    }

    #[test]
    fn each_check_can_be_disabled() {
        let sick = ChainHealth {
            head_slot: 900,
            empty_slots_in_last_32: 32,
            finalized_epoch: 0,
            ..ChainHealth::healthy(1000, 31)
        };
        let mut config = CircuitBreakerConfig {
            max_skipped_slots_at_head: None,
            ..CircuitBreakerConfig::default()
        };
        assert!(matches!(
            circuit_breaker(sick, config),
            CircuitBreakerVerdict::Tripped(CircuitBreakerReason::EmptySlotsInLast32 { .. })
        ));
        config.max_empty_slots_in_last_32 = None;
        assert!(matches!(
            circuit_breaker(sick, config),
            CircuitBreakerVerdict::Tripped(CircuitBreakerReason::EpochsSinceFinality { .. })
        ));
        config.max_epochs_since_finality = None;
        assert_eq!(circuit_breaker(sick, config), CircuitBreakerVerdict::Closed);
        assert_eq!(
            circuit_breaker(sick, CircuitBreakerConfig::disabled()),
            CircuitBreakerVerdict::Closed
        );
    }

    #[test]
    fn inconsistent_inputs_do_not_underflow() {
        let odd = ChainHealth {
            head_slot: 10,
            finalized_epoch: 9,
            ..ChainHealth::healthy(5, 1)
        };
        assert_eq!(verdict(odd), CircuitBreakerVerdict::Closed);
    }
}
