//! Choosing between the local payload and the builders' verified bids.
//!
//! This is the choice when the local payload is at hand; when the engine gave none, the caller decides
//! whether a bid may stand in (`sourcing`). Rules, in order: a tripped circuit breaker, the EE's
//! `shouldOverrideBuilder`, the absence of valid bids, a boost factor of 0 ("prefer local unless an
//! error makes it unviable", beacon-APIs) and a best bid worth zero all mean local. Otherwise the best
//! bid (highest value; on a tie the lower block hash, so the choice is deterministic) competes with the
//! local payload: a boost factor of `2^64 - 1` means builder always; otherwise, as beacon-APIs writes
//! it, the local payload wins when `local_value >= builder_boost_factor * (builder_value // 100)`
//! (saturating in U256), so a tie goes to the local payload. The factor defaults to 100 (pure profit).
//! `shouldOverrideBuilder` wins over `2^64 - 1`: the engine API says the consensus client should then
//! use the local payload, whose censorship signal outranks a preference. A zero-value bid is valid
//! (builder-specs does not refuse it) but never beats a local payload: it only matters when the engine
//! fails.

use crate::bid_checks::VerifiedBid;
use crate::circuit_breaker::{CircuitBreakerReason, CircuitBreakerVerdict};
use types::{EthSpec, ExecutionBlockHash, U256};

/// The boost factor that means "compare values as they are".
pub const DEFAULT_BUILDER_BOOST_FACTOR: u64 = 100;

/// What the local execution engine offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalCandidate {
    /// The block value reported by `engine_getPayload`.
    pub value: U256,
    /// `shouldOverrideBuilder` of `engine_getPayload`: the engine suspects censorship.
    pub should_override_builder: bool,
}

/// Where the payload comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadSource {
    /// The local execution engine's payload.
    Local,
    /// The bid at this index of the slice given to [`choose_payload_source`] (in a
    /// `ProducedPayload` of the execution layer: the builder's position in the configuration).
    Builder {
        /// See above.
        index: usize,
    },
}

/// Why that source was chosen, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceReason {
    /// The chain is unhealthy: local only.
    CircuitBreaker(CircuitBreakerReason),
    /// The engine's `shouldOverrideBuilder`.
    ShouldOverrideBuilder,
    /// `builder_boost_factor` 0: local unless the engine fails.
    LocalOnlyBoostFactor,
    /// No builder bid passed the checks.
    NoValidBids,
    /// No builder was asked, for the reason given (`no_builders`, `not_registered`, `all_disabled`).
    BuildersNotAsked(&'static str),
    /// The best bid is worth nothing: any local payload is at least as good.
    ZeroValueBid,
    /// `builder_boost_factor` 2^64 - 1: the builder whenever it has a valid bid.
    BuilderAlwaysBoostFactor,
    /// The best bid, scaled by the boost factor, pays more than the local payload.
    BuilderValueHigher {
        /// `boost_factor * (value // 100)`.
        boosted_builder_value: U256,
    },
    /// The local payload pays at least as much as the scaled best bid.
    LocalValueHigherOrEqual {
        /// `boost_factor * (value // 100)`.
        boosted_builder_value: U256,
    },
    /// The execution engine was unreachable or missed the proposal's deadline, so the best valid bid
    /// is used (before signing, so this is no fallback after signing).
    LocalUnavailable,
}

impl ChoiceReason {
    /// A short, stable label for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::CircuitBreaker(_) => "circuit_breaker",
            Self::ShouldOverrideBuilder => "should_override_builder",
            Self::LocalOnlyBoostFactor => "boost_factor_zero",
            Self::NoValidBids => "no_valid_bids",
            Self::BuildersNotAsked(reason) => reason,
            Self::ZeroValueBid => "zero_value_bid",
            Self::BuilderAlwaysBoostFactor => "boost_factor_max",
            Self::BuilderValueHigher { .. } => "builder_value_higher",
            Self::LocalValueHigherOrEqual { .. } => "local_value_higher_or_equal",
            Self::LocalUnavailable => "local_unavailable",
        }
    }
}

/// The decision: the source and the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// Where the payload comes from.
    pub source: PayloadSource,
    /// Why.
    pub reason: ChoiceReason,
}

impl Choice {
    fn local(reason: ChoiceReason) -> Self {
        Self {
            source: PayloadSource::Local,
            reason,
        }
    }

    fn builder(index: usize, reason: ChoiceReason) -> Self {
        Self {
            source: PayloadSource::Builder { index },
            reason,
        }
    }
}

/// `builder_boost_factor * (builder_payload_value // 100)` as beacon-APIs writes it, saturating at
/// `U256::MAX`.
pub fn boosted_value(builder_value: U256, boost_factor: u64) -> U256 {
    (builder_value / U256::from(100u64)).saturating_mul(U256::from(boost_factor))
}

/// What competes with the local payload: a relay's verified bid, or a full-payload builder's checked
/// payload. The choice only needs the value and the block hash (for ties).
pub trait Offer {
    /// Wei to the proposer.
    fn offer_value(&self) -> U256;
    /// The offered payload's block hash.
    fn offer_block_hash(&self) -> ExecutionBlockHash;
}

impl<E: EthSpec> Offer for VerifiedBid<E> {
    fn offer_value(&self) -> U256 {
        self.value()
    }
    fn offer_block_hash(&self) -> ExecutionBlockHash {
        self.block_hash()
    }
}

/// The index of the best bid: highest value, ties broken by the lower block hash.
pub fn best_bid<O: Offer>(bids: &[O]) -> Option<usize> {
    bids.iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            b.offer_value()
                .cmp(&a.offer_value())
                .then_with(|| a.offer_block_hash().cmp(&b.offer_block_hash()))
        })
        .map(|(index, _)| index)
}

/// Chooses the payload source; see the module documentation for the rules.
pub fn choose_payload_source<O: Offer>(
    local: LocalCandidate,
    builder_bids: &[O],
    boost_factor: Option<u64>,
    breaker: &CircuitBreakerVerdict,
) -> Choice {
    if let CircuitBreakerVerdict::Tripped(reason) = breaker {
        return Choice::local(ChoiceReason::CircuitBreaker(*reason));
    }
    if local.should_override_builder {
        return Choice::local(ChoiceReason::ShouldOverrideBuilder);
    }
    let Some(index) = best_bid(builder_bids) else {
        return Choice::local(ChoiceReason::NoValidBids);
    };
    let factor = boost_factor.unwrap_or(DEFAULT_BUILDER_BOOST_FACTOR);
    if factor == 0 {
        return Choice::local(ChoiceReason::LocalOnlyBoostFactor);
    }
    if builder_bids[index].offer_value().is_zero() {
        return Choice::local(ChoiceReason::ZeroValueBid);
    }
    if factor == u64::MAX {
        return Choice::builder(index, ChoiceReason::BuilderAlwaysBoostFactor);
    }
    let boosted_builder_value = boosted_value(builder_bids[index].offer_value(), factor);
    if boosted_builder_value > local.value {
        Choice::builder(
            index,
            ChoiceReason::BuilderValueHigher {
                boosted_builder_value,
            },
        )
    } else {
        Choice::local(ChoiceReason::LocalValueHigherOrEqual {
            boosted_builder_value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bid_checks::tests::{builder_key, context, good_message};
    use types::{
        Hash256, MainnetEthSpec, SignatureBytes, SignedBuilderBid, SignedBuilderBidElectra,
    };

    type E = MainnetEthSpec;

    fn bid(value: u64, block_hash_byte: u8) -> VerifiedBid<E> {
        bid_u256(U256::from(value), block_hash_byte)
    }

    fn bid_u256(value: U256, block_hash_byte: u8) -> VerifiedBid<E> {
        let mut message = good_message(&context(), &builder_key());
        message.value = value;
        message.header.block_hash = Hash256::repeat_byte(block_hash_byte);
        VerifiedBid::new_unchecked(SignedBuilderBid::Electra(SignedBuilderBidElectra {
            message,
            signature: SignatureBytes::default(),
        }))
    }

    fn local(value: u64) -> LocalCandidate {
        LocalCandidate {
            value: U256::from(value),
            should_override_builder: false,
        }
    }

    const CLOSED: CircuitBreakerVerdict = CircuitBreakerVerdict::Closed;

    #[test]
    fn no_bids_is_local() {
        let choice = choose_payload_source::<VerifiedBid<E>>(local(10), &[], None, &CLOSED);
        assert_eq!(choice, Choice::local(ChoiceReason::NoValidBids));
        // Even when the validator wants builders always.
        let choice =
            choose_payload_source::<VerifiedBid<E>>(local(10), &[], Some(u64::MAX), &CLOSED);
        assert_eq!(choice.source, PayloadSource::Local);
    }

    #[test]
    fn highest_value_wins_among_bids() {
        let bids = [bid(100, 1), bid(300, 2), bid(200, 3)];
        let choice = choose_payload_source(local(10), &bids, None, &CLOSED);
        assert_eq!(choice.source, PayloadSource::Builder { index: 1 });
        assert_eq!(choice.reason.reason(), "builder_value_higher");
    }

    #[test]
    fn tie_between_bids_goes_to_lower_block_hash() {
        let bids = [bid(300, 9), bid(300, 2), bid(300, 5)];
        assert_eq!(best_bid(&bids), Some(1));
        let choice = choose_payload_source(local(10), &bids, None, &CLOSED);
        assert_eq!(choice.source, PayloadSource::Builder { index: 1 });
    }

    #[test]
    fn default_factor_is_pure_profit() {
        let bids = [bid(201, 1)];
        assert_eq!(
            choose_payload_source(local(100), &bids, None, &CLOSED),
            choose_payload_source(local(100), &bids, Some(100), &CLOSED)
        );
        // 100 * (201 // 100) = 200 > 199.
        assert_eq!(
            choose_payload_source(local(199), &bids, None, &CLOSED).source,
            PayloadSource::Builder { index: 0 }
        );
        assert_eq!(
            choose_payload_source(local(200), &bids, None, &CLOSED).source,
            PayloadSource::Local
        );
    }

    #[test]
    fn boost_divides_before_it_multiplies() {
        // beacon-APIs: `builder_boost_factor * (builder_payload_value // 100)`. Multiplying first
        // would give 150 * 199 / 100 = 298 > 297 and pick the builder; the spec gives 150 * 1 = 150.
        let choice = choose_payload_source(local(297), &[bid(199, 1)], Some(150), &CLOSED);
        assert_eq!(
            choice,
            Choice::local(ChoiceReason::LocalValueHigherOrEqual {
                boosted_builder_value: U256::from(150u64)
            })
        );
        assert_eq!(boosted_value(U256::from(99u64), 1_000), U256::ZERO);
    }

    #[test]
    fn zero_value_bid_loses_to_any_local_payload() {
        for factor in [None, Some(100), Some(u64::MAX)] {
            let choice = choose_payload_source(local(0), &[bid(0, 1)], factor, &CLOSED);
            assert_eq!(choice, Choice::local(ChoiceReason::ZeroValueBid));
        }
        // A paying bid beside it still competes.
        let choice = choose_payload_source(local(0), &[bid(0, 1), bid(500, 2)], None, &CLOSED);
        assert_eq!(choice.source, PayloadSource::Builder { index: 1 });
    }

    #[test]
    fn tie_between_builder_and_local_goes_to_local() {
        let choice = choose_payload_source(local(100), &[bid(100, 1)], None, &CLOSED);
        assert_eq!(
            choice,
            Choice::local(ChoiceReason::LocalValueHigherOrEqual {
                boosted_builder_value: U256::from(100u64)
            })
        );
    }

    #[test]
    fn boost_factor_scales_builder_value() {
        // 50 * (200 // 100) = 100 == local: local.
        let bids = [bid(200, 1)];
        assert_eq!(
            choose_payload_source(local(100), &bids, Some(50), &CLOSED).source,
            PayloadSource::Local
        );
        assert_eq!(
            choose_payload_source(local(99), &bids, Some(50), &CLOSED).source,
            PayloadSource::Builder { index: 0 }
        );
        // A boost above 100 favours builders: 120 * (9000 // 100) = 10800 > 10000.
        assert_eq!(
            choose_payload_source(local(10_000), &[bid(9_000, 1)], Some(120), &CLOSED).source,
            PayloadSource::Builder { index: 0 }
        );
    }

    #[test]
    fn boost_factor_zero_is_local_only() {
        let choice = choose_payload_source(local(0), &[bid(1_000_000, 1)], Some(0), &CLOSED);
        assert_eq!(choice, Choice::local(ChoiceReason::LocalOnlyBoostFactor));
        assert_eq!(choice.reason.reason(), "boost_factor_zero");
    }

    #[test]
    fn boost_factor_max_is_builder_always() {
        let choice = choose_payload_source(local(1_000_000), &[bid(1, 1)], Some(u64::MAX), &CLOSED);
        assert_eq!(
            choice,
            Choice::builder(0, ChoiceReason::BuilderAlwaysBoostFactor)
        );
    }

    #[test]
    fn boosted_value_saturates() {
        assert_eq!(boosted_value(U256::MAX, u64::MAX), U256::MAX);
        assert_eq!(
            boosted_value(U256::MAX, 100),
            U256::MAX / U256::from(100u64) * U256::from(100u64)
        );
        assert_eq!(
            boosted_value(U256::from(u64::MAX), u64::MAX - 1),
            U256::from(u64::MAX / 100) * U256::from(u64::MAX - 1)
        );
        // A huge bid with a huge (but not maximal) factor does not overflow and wins.
        let choice = choose_payload_source(
            LocalCandidate {
                value: U256::MAX / U256::from(200u64),
                should_override_builder: false,
            },
            &[bid_u256(U256::MAX, 1)],
            Some(u64::MAX - 1),
            &CLOSED,
        );
        assert_eq!(choice.source, PayloadSource::Builder { index: 0 });
    }

    #[test]
    fn should_override_builder_is_local() {
        let local = LocalCandidate {
            value: U256::ZERO,
            should_override_builder: true,
        };
        for factor in [None, Some(100), Some(u64::MAX)] {
            let choice = choose_payload_source(local, &[bid(1_000, 1)], factor, &CLOSED);
            assert_eq!(choice, Choice::local(ChoiceReason::ShouldOverrideBuilder));
        }
    }

    #[test]
    fn tripped_breaker_is_local() {
        let reason = CircuitBreakerReason::EpochsSinceFinality { epochs: 5, max: 3 };
        let breaker = CircuitBreakerVerdict::Tripped(reason);
        for factor in [None, Some(u64::MAX)] {
            let choice = choose_payload_source(local(0), &[bid(1_000, 1)], factor, &breaker);
            assert_eq!(choice, Choice::local(ChoiceReason::CircuitBreaker(reason)));
            assert_eq!(choice.reason.reason(), "circuit_breaker");
        }
    }
}
