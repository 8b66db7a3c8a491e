//! Settings of the execution layer that are not per builder (those live in each builder's
//! `builder_api::BuilderConfig`).

use crate::circuit_breaker::CircuitBreakerConfig;
use crate::full_payload::FullPayloadBuildersConfig;
use std::sync::Arc;
use std::time::Duration;
use types::ChainSpec;

/// How long unblinding may keep retrying a builder by default (and never more than half the slot):
/// past about half a slot a block would hardly be attested to.
pub const DEFAULT_UNBLIND_BUDGET: Duration = Duration::from_secs(6);
/// Pause between unblinding attempts after a transient failure.
pub const DEFAULT_UNBLIND_RETRY_INTERVAL: Duration = Duration::from_millis(250);
/// Slots for which local payloads (to unblind locally) and builder bids (to know whom to submit to) are
/// kept: a block is signed within its slot, so a few slots cover late signers and re-orgs of the head.
pub const DEFAULT_PAYLOAD_CACHE_SLOTS: u64 = 8;
/// How long a proposal waits for the local payload when a valid builder bid is at hand. An engine
/// that builds in advance (`prepare_payload`) answers getPayload in milliseconds; one that takes
/// longer than this is hung or overloaded, and the bid keeps the proposal on time. Without a valid bid
/// the local payload is still awaited (up to the engine client's own timeouts).
pub const DEFAULT_LOCAL_PAYLOAD_TIMEOUT: Duration = Duration::from_secs(2);

/// The execution layer's settings.
#[derive(Debug, Clone)]
pub struct ExecutionLayerConfig {
    /// Fork schedule and domains (the builder domain signs bids).
    pub spec: Arc<ChainSpec>,
    /// When builders may not compete.
    pub circuit_breaker: CircuitBreakerConfig,
    /// See [`DEFAULT_PAYLOAD_CACHE_SLOTS`].
    pub payload_cache_slots: u64,
    /// See [`DEFAULT_UNBLIND_BUDGET`]; [`crate::ExecutionLayer::unblind_until`] takes an explicit deadline.
    pub unblind_budget: Duration,
    /// See [`DEFAULT_UNBLIND_RETRY_INTERVAL`].
    pub unblind_retry_interval: Duration,
    /// See [`DEFAULT_LOCAL_PAYLOAD_TIMEOUT`]; a request's own
    /// [`crate::PayloadRequest::local_payload_deadline`] takes precedence. `None`: always await the
    /// local payload.
    pub local_payload_timeout: Option<Duration>,
    /// Refuse bids whose header does not pay the registered fee recipient (`--builder-require-fee-recipient`).
    /// Off by default: many builders pay the proposer by a transaction at the end of the payload, which
    /// the proposer cannot see before the reveal, so the mismatch is recorded instead.
    pub require_fee_recipient: bool,
    /// How long a builder that withheld its payload after signing, or revealed a wrong one, stays
    /// disabled (`--builder-withhold-penalty-epochs`). `None` (the default): until restart, like a
    /// builder whose payload was INVALID.
    pub withhold_penalty_epochs: Option<u64>,
    /// The full-payload builders (`--payload-builder-rpc`, `--payload-builder-engine`), asked beside
    /// the relays; none by default.
    pub full_payload_builders: FullPayloadBuildersConfig,
}

impl ExecutionLayerConfig {
    /// Defaults for `spec`.
    pub fn new(spec: ChainSpec) -> Self {
        // Half a slot at most: past it a block would hardly be attested, and a builder that
        // withholds must be known (and disabled) before the next proposals ask it.
        let half_slot =
            Duration::from_millis(spec.slot_duration_ms / 2).max(Duration::from_millis(500));
        Self {
            spec: Arc::new(spec),
            circuit_breaker: CircuitBreakerConfig::default(),
            payload_cache_slots: DEFAULT_PAYLOAD_CACHE_SLOTS,
            unblind_budget: DEFAULT_UNBLIND_BUDGET.min(half_slot),
            unblind_retry_interval: DEFAULT_UNBLIND_RETRY_INTERVAL,
            local_payload_timeout: Some(DEFAULT_LOCAL_PAYLOAD_TIMEOUT),
            require_fee_recipient: false,
            withhold_penalty_epochs: None,
            full_payload_builders: FullPayloadBuildersConfig::default(),
        }
    }
}
