//! The one trait through which the execution layer asks the chain what a proposal cannot carry, and
//! the per-proposal facts the caller computes from its head state.

use crate::circuit_breaker::ChainHealth;
use types::{Address, ExecutionBlockHash, ForkName, Hash256, PublicKeyBytes, Slot, Withdrawal};

/// What a proposer registered with the builders (`ValidatorRegistrationV1`): the fee recipient and gas
/// limit target every builder bid must honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposerRegistration {
    /// Where builder payloads must pay.
    pub fee_recipient: Address,
    /// The gas limit the builder must build towards.
    pub gas_limit: u64,
}

/// The chain, as the execution layer sees it. Implemented by the beacon node (or any other client
/// adopting this crate); this crate never depends on the chain's own crates.
pub trait ExecutionLayerChain: Send + Sync {
    /// The latest validator registration of the proposer with this key, if it sent one. Builders are
    /// asked only for registered proposers: they need the registration to build, and the bid checks
    /// need its fee recipient and gas limit.
    fn proposer_registration(&self, pubkey: &PublicKeyBytes) -> Option<ProposerRegistration>;

    /// The chain's health for a proposal at `slot`, for the circuit breaker.
    fn chain_health(&self, slot: Slot) -> ChainHealth;
}

/// Everything the caller computed from its head state for one proposal: the payload attributes and
/// the facts of the parent execution block. Builder bids are checked against these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadRequest {
    /// The slot being proposed.
    pub slot: Slot,
    /// The fork of `slot`.
    pub fork: ForkName,
    /// The proposer of `slot`.
    pub proposer_index: u64,
    /// The proposer's key: getHeader's `pubkey` and the registration's key.
    pub proposer_pubkey: PublicKeyBytes,
    /// The head's execution block hash: the payload's `parent_hash`.
    pub parent_hash: ExecutionBlockHash,
    /// The execution block hash of the safe checkpoint, for `forkchoiceUpdated`.
    pub safe_block_hash: ExecutionBlockHash,
    /// The execution block hash of the finalized checkpoint, for `forkchoiceUpdated`.
    pub finalized_block_hash: ExecutionBlockHash,
    /// The head's execution block number: the bid's must be one higher.
    pub parent_block_number: u64,
    /// The head's execution gas limit: the bid's must step from it towards the registered target.
    pub parent_gas_limit: u64,
    /// `compute_timestamp_at_slot(state, slot)`.
    pub timestamp: u64,
    /// `get_randao_mix(state, get_current_epoch(state))`.
    pub prev_randao: Hash256,
    /// The fee recipient for the local payload (`prepare_beacon_proposer`, or the node's default).
    pub suggested_fee_recipient: Address,
    /// `get_expected_withdrawals(state)`.
    pub withdrawals: Vec<Withdrawal>,
    /// The head block's root (Deneb on).
    pub parent_beacon_block_root: Hash256,
    /// The validator's `builder_boost_factor` (`None`: the default, 100). 0 means "prefer the local
    /// payload unless an error makes it unviable" (beacon-APIs): the builders are still asked, and a
    /// valid bid is used only if the engine is unreachable or misses the deadline.
    pub builder_boost_factor: Option<u64>,
    /// `get_max_blobs_per_block` at the slot's epoch.
    pub max_blobs_per_block: u64,
    /// The proposal's deadline for the local payload; `None` (the default): now plus the module's
    /// [`crate::ExecutionLayerConfig::local_payload_timeout`]. If the engine has not answered by then
    /// and a builder gave a valid bid, that bid is used (`local_unavailable`) rather than risking the
    /// slot on a hung engine. Without a valid bid the local payload is still awaited.
    pub local_payload_deadline: Option<tokio::time::Instant>,
}
