//! The payload-builder module: local and builder payloads in parallel, bid checks, choice, circuit breaker, unblinding and the faulty-builder registry.
//!
//! This crate is adoptable by any consensus client: it depends on `types` and `bls` only (plus redb for
//! the builder-block store), never on Blindfold's chain crates. So far it holds the pure core:
//! - [`bid_checks`]: [`verify_bid`] checks a `SignedBuilderBid` against what the chain expects;
//! - [`choice`]: [`choose_payload_source`] picks local or the best builder bid (boost factor, ties,
//!   `shouldOverrideBuilder`, circuit breaker);
//! - [`circuit_breaker`]: [`circuit_breaker()`] decides from chain health whether builders may compete;
//! - [`registry`]: [`FaultyBuilderRegistry`] attributes blocks to builders and disables a builder whose
//!   payload the execution engine finds INVALID, until restart.

pub mod bid_checks;
pub mod choice;
pub mod circuit_breaker;
pub mod registry;

pub use bid_checks::{
    expected_gas_limit, verify_bid, withdrawals_root, BidContext, BidRejection, VerifiedBid,
};
pub use choice::{
    choose_payload_source, Choice, ChoiceReason, LocalCandidate, PayloadSource,
    DEFAULT_BUILDER_BOOST_FACTOR,
};
pub use circuit_breaker::{
    circuit_breaker, ChainHealth, CircuitBreakerConfig, CircuitBreakerReason, CircuitBreakerVerdict,
};
pub use registry::{
    BuilderBlock, BuilderBlockStore, BuilderState, DisabledBuilder, FaultyBuilderRegistry,
    InvalidPayloadId, MemoryBuilderBlockStore, RedbBuilderBlockStore, RegistryError,
};
