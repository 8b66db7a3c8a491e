//! Parallel sourcing: for a proposal, the local execution engine (forkchoiceUpdated with attributes,
//! then getPayload) and every enabled builder (getHeader) are asked at once; each bid is checked, the
//! circuit breaker applied, and the source chosen.

use crate::bid_checks::{verify_bid, withdrawals_root, BidContext, VerifiedBid};
use crate::builders::{BuilderOutcome, BuilderReport, CircuitBreakerStatus, LastBid};
use crate::chain::PayloadRequest;
use crate::choice::{
    best_bid, choose_payload_source, Choice, ChoiceReason, LocalCandidate, PayloadSource,
};
use crate::circuit_breaker::{circuit_breaker, CircuitBreakerVerdict};
use crate::local::{LocalPayload, LocalPayloadError};
use crate::{BidRejection, ExecutionLayer};
use builder_api::{BuilderClient, BuilderError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use types::{ChainSpec, EthSpec, PublicKeyBytes, Slot};

/// The builder bid that won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinningBid<E: EthSpec> {
    /// The builder's name (pass it to [`ExecutionLayer::record_builder_block`]).
    pub builder: String,
    /// The builder's position in the configuration.
    pub builder_index: usize,
    /// The checked bid.
    pub bid: VerifiedBid<E>,
}

/// The outcome of one proposal's sourcing.
#[derive(Debug, Clone)]
pub struct ProducedPayload<E: EthSpec> {
    /// The proposal's slot.
    pub slot: Slot,
    /// The chosen source and why; a builder source's `index` is the builder's configuration position.
    pub choice: Choice,
    /// The circuit breaker's verdict for this proposal.
    pub circuit_breaker: CircuitBreakerVerdict,
    /// The local payload, when the engine gave one (awaited even when a builder wins, unless the
    /// request's `local_payload_deadline` passed with a valid bid at hand).
    pub local: Option<Arc<LocalPayload<E>>>,
    /// Why the engine gave no payload.
    pub local_error: Option<String>,
    /// The winning bid when a builder was chosen.
    pub winner: Option<WinningBid<E>>,
    /// Every builder's part, in configuration order.
    pub builders: Vec<BuilderReport>,
}

impl<E: EthSpec> ProducedPayload<E> {
    /// The report of the builder named `builder`.
    pub fn report(&self, builder: &str) -> Option<&BuilderReport> {
        self.builders.iter().find(|r| r.builder == builder)
    }
}

/// Why no payload could be produced at all.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// More withdrawals than `MAX_WITHDRAWALS_PER_PAYLOAD`: the caller's request is wrong.
    #[error("{0} expected withdrawals exceed MAX_WITHDRAWALS_PER_PAYLOAD")]
    TooManyWithdrawals(usize),
    /// The engine failed and no builder could stand in.
    #[error("no local payload ({local}) and no usable builder bid")]
    NoPayload {
        /// Why the engine gave none.
        local: LocalPayloadError,
    },
}

/// What a builder task hands back.
struct BuilderAnswer<E: EthSpec> {
    index: usize,
    outcome: BuilderOutcome,
    bid: Option<VerifiedBid<E>>,
    elapsed: Duration,
}

/// Every builder task's answer, in the order they end.
async fn builder_answers<E: EthSpec>(
    tasks: &mut JoinSet<BuilderAnswer<E>>,
) -> Vec<BuilderAnswer<E>> {
    let mut answers = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        // A builder task only fails to join if it panicked; its report then stays "not asked".
        if let Ok(answer) = joined {
            answers.push(answer);
        }
    }
    answers
}

/// getHeader on one builder, bounded by its timeout, and the bid checks (builder-specs `process_bid`).
async fn ask_builder<E: EthSpec>(
    index: usize,
    client: BuilderClient,
    slot: Slot,
    pubkey: PublicKeyBytes,
    context: BidContext,
    spec: Arc<ChainSpec>,
) -> BuilderAnswer<E> {
    let start = Instant::now();
    let timeout = client.config().timeouts.get_header;
    let call = client.get_header::<E>(slot, context.parent_hash, &pubkey, context.fork);
    let (outcome, bid) = match tokio::time::timeout(timeout, call).await {
        Err(_) | Ok(Err(BuilderError::Timeout { .. })) => (BuilderOutcome::Timeout, None),
        // The client refuses an answer of another fork before decoding it: still a bid check.
        Ok(Err(BuilderError::WrongFork { expected, got, .. })) => (
            BuilderOutcome::Rejected(BidRejection::WrongFork { expected, got }),
            None,
        ),
        Ok(Err(BuilderError::UnexpectedBuilderKey { pinned, got })) => (
            BuilderOutcome::Rejected(BidRejection::UnexpectedBuilderPubkey {
                expected: pinned,
                got,
            }),
            None,
        ),
        Ok(Err(error)) => (BuilderOutcome::Error(error.to_string()), None),
        Ok(Ok(None)) => (BuilderOutcome::NoBid, None),
        Ok(Ok(Some(bid))) => match verify_bid(&bid, &context, &spec) {
            Ok(verified) => (
                BuilderOutcome::Bid {
                    value: verified.value(),
                    block_hash: verified.block_hash(),
                    fee_recipient_mismatch: verified.fee_recipient_mismatch(),
                },
                Some(verified),
            ),
            Err(rejection) => (BuilderOutcome::Rejected(rejection), None),
        },
    };
    BuilderAnswer {
        index,
        outcome,
        bid,
        elapsed: start.elapsed(),
    }
}

impl<E: EthSpec> ExecutionLayer<E> {
    /// Produces the payload of a proposal: asks the engine and every enabled builder at once, checks
    /// every bid, applies the circuit breaker and the boost factor, and returns the choice with every
    /// builder's outcome. A bid arriving after its builder's getHeader timeout is ignored.
    ///
    /// The local payload is awaited until the proposal's deadline
    /// ([`PayloadRequest::local_payload_deadline`], else the configured local payload timeout); past
    /// it, a valid bid stands in for a hung engine. A bid also stands in for an unreachable engine,
    /// but never for one that answered SYNCING or INVALID on the parent: a builder's payload on a
    /// parent the engine has not verified could extend an invalid chain, and after signing there is no
    /// way back.
    pub async fn get_payload(
        &self,
        request: &PayloadRequest,
    ) -> Result<ProducedPayload<E>, PayloadError> {
        let slot = request.slot;
        let withdrawals_root = withdrawals_root::<E>(&request.withdrawals)
            .ok_or(PayloadError::TooManyWithdrawals(request.withdrawals.len()))?;
        self.refresh_penalties(slot);

        let breaker = circuit_breaker(self.chain.chain_health(slot), self.config.circuit_breaker);
        self.note_breaker(slot, &breaker);

        let registration = self.chain.proposer_registration(&request.proposer_pubkey);
        let skip = if self.builders.is_empty() {
            Some("no_builders")
        } else if breaker.is_tripped() {
            Some("circuit_breaker")
        } else if registration.is_none() {
            Some("not_registered")
        } else {
            None
        };

        let mut reports: Vec<BuilderReport> = self
            .builders
            .iter()
            .map(|b| BuilderReport {
                builder: b.name.clone(),
                outcome: BuilderOutcome::Skipped(skip.unwrap_or("not_asked")),
                elapsed: Duration::ZERO,
            })
            .collect();
        let mut tasks = JoinSet::new();
        if let (None, Some(registration)) = (skip, registration) {
            for (index, builder) in self.builders.iter().enumerate() {
                if self.registry.is_disabled(&builder.name) {
                    reports[index].outcome = BuilderOutcome::Disabled;
                    continue;
                }
                let context = BidContext {
                    fork: request.fork,
                    parent_hash: request.parent_hash,
                    prev_randao: request.prev_randao,
                    timestamp: request.timestamp,
                    parent_block_number: request.parent_block_number,
                    fee_recipient: registration.fee_recipient,
                    require_fee_recipient: self.config.require_fee_recipient,
                    gas_limit_target: registration.gas_limit,
                    parent_gas_limit: request.parent_gas_limit,
                    withdrawals_root,
                    max_blobs_per_block: request.max_blobs_per_block,
                    pinned_pubkey: builder.client.pinned_pubkey(),
                };
                tasks.spawn(ask_builder::<E>(
                    index,
                    builder.client.clone(),
                    slot,
                    request.proposer_pubkey,
                    context,
                    self.config.spec.clone(),
                ));
            }
        }
        // Why no builder is competing, when none is: the choice's reason says so rather than
        // "no valid bids".
        let not_asked = match skip {
            Some(reason) => Some(reason),
            None if tasks.is_empty() => Some("all_disabled"),
            None => None,
        };

        let (local, answers) = self.local_and_bids(request, &mut tasks).await;

        let mut bids: Vec<(usize, VerifiedBid<E>)> = Vec::new();
        for answer in answers {
            self.note_builder_answer(slot, &answer);
            reports[answer.index] = BuilderReport {
                builder: self.builders[answer.index].name.clone(),
                outcome: answer.outcome,
                elapsed: answer.elapsed,
            };
            if let Some(bid) = answer.bid {
                bids.push((answer.index, bid));
            }
        }
        bids.sort_by_key(|(index, _)| *index);
        // The valid bids in builder order, and the index of the builder of each.
        let (bid_builders, mut verified): (Vec<usize>, Vec<VerifiedBid<E>>) =
            bids.into_iter().unzip();
        {
            let mut caches = self.caches.lock();
            for (index, bid) in bid_builders.iter().zip(&verified) {
                caches.insert_bid(
                    slot,
                    bid.block_hash(),
                    *index,
                    self.config.payload_cache_slots,
                );
            }
        }

        let local = match local {
            Ok(local) => {
                let local = Arc::new(local);
                self.caches.lock().insert_local(
                    slot,
                    local.header_root(),
                    local.clone(),
                    self.config.payload_cache_slots,
                );
                Ok(local)
            }
            Err(error) => {
                self.metrics.local_payload_failures.inc();
                if matches!(error, LocalPayloadError::DeadlinePassed) {
                    // The designed path for a hung engine: the bid keeps the proposal on time.
                    tracing::warn!(slot, %error, "using a builder bid: the execution engine missed the proposal's deadline");
                } else if let Some(status) = error.unsafe_parent() {
                    tracing::error!(slot, ?status, %error, valid_bids = verified.len(), "the execution engine did not verify the parent: no local payload, and no builder payload on that parent");
                } else {
                    tracing::error!(slot, %error, "the execution engine gave no payload");
                }
                Err(error)
            }
        };
        let local_error = local.as_ref().err().map(ToString::to_string);

        let (mut choice, local) = match local {
            Ok(local) => (
                choose_payload_source(
                    LocalCandidate {
                        value: local.block_value,
                        should_override_builder: local.should_override_builder,
                    },
                    &verified,
                    request.builder_boost_factor,
                    &breaker,
                ),
                Some(local),
            ),
            // Builders were only asked if the breaker is closed, and nothing is signed yet: using a
            // bid here is no fallback after signing. Only an unreachable or late engine lets a bid
            // stand in; an engine that refused the parent keeps the builders out as well.
            Err(error) => match best_bid(&verified) {
                Some(index) if error.engine_unavailable() => (
                    Choice {
                        source: PayloadSource::Builder { index },
                        reason: ChoiceReason::LocalUnavailable,
                    },
                    None,
                ),
                _ => return Err(PayloadError::NoPayload { local: error }),
            },
        };
        if let (Some(reason), ChoiceReason::NoValidBids) = (not_asked, choice.reason) {
            choice.reason = ChoiceReason::BuildersNotAsked(reason);
        }
        let (choice, winner) = match choice.source {
            PayloadSource::Local => (choice, None),
            PayloadSource::Builder { index } => {
                let builder_index = bid_builders[index];
                let bid = verified.swap_remove(index);
                let builder = self.builders[builder_index].name.clone();
                self.builders[builder_index].record.lock().counters.chosen += 1;
                (
                    Choice {
                        source: PayloadSource::Builder {
                            index: builder_index,
                        },
                        reason: choice.reason,
                    },
                    Some(WinningBid {
                        builder,
                        builder_index,
                        bid,
                    }),
                )
            }
        };
        let source = if winner.is_some() { "builder" } else { "local" };
        self.metrics
            .payload_source
            .with_label_values(&[source, choice.reason.reason()])
            .inc();
        tracing::info!(
            slot,
            source,
            reason = choice.reason.reason(),
            builder = winner.as_ref().map(|w| w.builder.as_str()).unwrap_or("-"),
            local_value = %local.as_ref().map(|l| l.block_value).unwrap_or_default(),
            builder_value = %winner.as_ref().map(|w| w.bid.value()).unwrap_or_default(),
            valid_bids = bid_builders.len(),
            "payload source chosen"
        );
        Ok(ProducedPayload {
            slot,
            choice,
            circuit_breaker: breaker,
            local,
            local_error,
            winner,
            builders: reports,
        })
    }

    /// The local payload and every builder's answer, asked at once. Each builder task ends by its
    /// getHeader timeout (a late bid is dropped with its request). The local payload is given up at
    /// the proposal's deadline only if a builder gave a valid bid by then, since waiting on a hung
    /// engine would cost the slot; without a valid bid it is awaited.
    async fn local_and_bids(
        &self,
        request: &PayloadRequest,
        tasks: &mut JoinSet<BuilderAnswer<E>>,
    ) -> (
        Result<LocalPayload<E>, LocalPayloadError>,
        Vec<BuilderAnswer<E>>,
    ) {
        let local = self.local_payload(request);
        tokio::pin!(local);
        let deadline = request.local_payload_deadline.or_else(|| {
            self.config
                .local_payload_timeout
                .map(|timeout| tokio::time::Instant::now() + timeout)
        });
        let Some(deadline) = deadline else {
            return tokio::join!(local, builder_answers(tasks));
        };
        let (by_deadline, answers) = tokio::join!(
            tokio::time::timeout_at(deadline, &mut local),
            builder_answers(tasks)
        );
        match by_deadline {
            Ok(local) => (local, answers),
            Err(_) if answers.iter().any(|answer| answer.bid.is_some()) => {
                (Err(LocalPayloadError::DeadlinePassed), answers)
            }
            // No valid bid to stand in: keep waiting for the engine.
            Err(_) => (local.await, answers),
        }
    }

    /// Ends the timed penalties due by `slot`'s epoch.
    fn refresh_penalties(&self, slot: Slot) {
        for builder in self.registry.refresh(slot / E::slots_per_epoch()) {
            self.metrics
                .builder_enabled
                .with_label_values(&[&builder])
                .set(1);
            tracing::info!(%builder, slot, "builder penalty over; asked again");
        }
    }

    fn note_breaker(&self, slot: Slot, breaker: &CircuitBreakerVerdict) {
        match breaker {
            CircuitBreakerVerdict::Closed => self.metrics.circuit_breaker_tripped.set(0),
            CircuitBreakerVerdict::Tripped(reason) => {
                self.metrics.circuit_breaker_tripped.set(1);
                self.metrics
                    .circuit_breaker_trips
                    .with_label_values(&[reason.reason()])
                    .inc();
                tracing::warn!(slot, %reason, "circuit breaker tripped: local payload only");
            }
        }
        *self.last_breaker.lock() = Some(CircuitBreakerStatus::new(slot, breaker));
    }

    /// Counters, metrics and logs of one builder's answer.
    fn note_builder_answer(&self, slot: Slot, answer: &BuilderAnswer<E>) {
        let builder = &self.builders[answer.index];
        let name = builder.name.as_str();
        self.metrics
            .get_header_seconds
            .with_label_values(&[name])
            .observe(answer.elapsed.as_secs_f64());
        let mut record = builder.record.lock();
        match &answer.outcome {
            BuilderOutcome::Bid {
                value,
                block_hash,
                fee_recipient_mismatch,
            } => {
                record.counters.bids += 1;
                record.last_bid = Some(LastBid {
                    slot,
                    value: value.to_string(),
                    block_hash: *block_hash,
                    fee_recipient_mismatch: *fee_recipient_mismatch,
                });
                self.metrics.bids.with_label_values(&[name]).inc();
                if let Some(fee_recipient) = fee_recipient_mismatch {
                    record.counters.fee_recipient_mismatches += 1;
                    self.metrics
                        .fee_recipient_mismatches
                        .with_label_values(&[name])
                        .inc();
                    tracing::info!(slot, builder = name, %value, %block_hash, %fee_recipient, "bid pays its own fee recipient; accepted (the builder pays the proposer by transaction)");
                } else {
                    tracing::debug!(slot, builder = name, %value, %block_hash, "valid builder bid");
                }
            }
            BuilderOutcome::Rejected(rejection) => {
                *record
                    .counters
                    .rejections
                    .entry(rejection.reason().to_string())
                    .or_default() += 1;
                self.metrics
                    .bid_rejections
                    .with_label_values(&[name, rejection.reason()])
                    .inc();
                tracing::warn!(slot, builder = name, reason = rejection.reason(), %rejection, "builder bid rejected");
            }
            BuilderOutcome::NoBid => {
                record.counters.no_bids += 1;
                self.metrics.no_bids.with_label_values(&[name]).inc();
                tracing::debug!(slot, builder = name, "builder has no bid for this slot");
            }
            BuilderOutcome::Timeout => {
                record.counters.timeouts += 1;
                self.metrics
                    .get_header_failures
                    .with_label_values(&[name, "timeout"])
                    .inc();
                tracing::warn!(
                    slot,
                    builder = name,
                    elapsed_ms = answer.elapsed.as_millis() as u64,
                    "builder getHeader timed out; a later bid is ignored"
                );
            }
            BuilderOutcome::Error(error) => {
                record.counters.errors += 1;
                self.metrics
                    .get_header_failures
                    .with_label_values(&[name, "error"])
                    .inc();
                tracing::warn!(slot, builder = name, %error, "builder getHeader failed");
            }
            BuilderOutcome::Disabled | BuilderOutcome::Skipped(_) => {}
        }
    }
}
