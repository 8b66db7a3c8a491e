//! Parallel sourcing: for a proposal, the local execution engine (forkchoiceUpdated with attributes,
//! then getPayload) and every enabled builder (getHeader) are asked at once; each bid is checked, the
//! circuit breaker applied, and the source chosen.

use crate::bid_checks::{verify_bid, withdrawals_root, BidContext, VerifiedBid};
use crate::builders::{BuilderOutcome, BuilderReport, CircuitBreakerStatus, LastBid};
use crate::chain::PayloadRequest;
use crate::choice::{
    best_bid, choose_payload_source, Choice, ChoiceReason, LocalCandidate, Offer, PayloadSource,
};
use crate::circuit_breaker::{circuit_breaker, CircuitBreakerVerdict};
use crate::full_payload::{ask_full_builder, FullAsk, FullPayload, WinningPayload};
use crate::local::{LocalPayload, LocalPayloadError};
use crate::registry::{DisableReason, DisabledBuilder};
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
    /// The winning bid when a relay was chosen: the node builds a blinded block.
    pub winner: Option<WinningBid<E>>,
    /// The winning full payload when a full-payload builder was chosen: the node builds a full block
    /// with it (and its blobs and requests), then records its root with
    /// [`ExecutionLayer::record_builder_block`]. At most one of `winner` and `full_winner` is set.
    pub full_winner: Option<WinningPayload<E>>,
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

/// What a builder task hands back (a relay's or a full-payload builder's).
pub(crate) struct BuilderAnswer<E: EthSpec> {
    /// The builder's position among all builders.
    pub index: usize,
    pub outcome: BuilderOutcome,
    /// A relay's verified bid.
    pub bid: Option<VerifiedBid<E>>,
    /// A full-payload builder's checked payload, found VALID by the local engine.
    pub full: Option<Arc<FullPayload<E>>>,
    pub elapsed: Duration,
    /// How long the local engine's `newPayload` took on a full payload.
    pub check_elapsed: Option<Duration>,
}

/// A valid offer in the choice: a relay's bid or a full payload, with its builder's position.
enum Candidate<E: EthSpec> {
    Relay(usize, Box<VerifiedBid<E>>),
    Full(usize, Arc<FullPayload<E>>),
}

impl<E: EthSpec> Candidate<E> {
    fn builder_index(&self) -> usize {
        match self {
            Self::Relay(index, _) | Self::Full(index, _) => *index,
        }
    }
}

impl<E: EthSpec> Offer for Candidate<E> {
    fn offer_value(&self) -> types::U256 {
        match self {
            Self::Relay(_, bid) => bid.value(),
            Self::Full(_, full) => full.value,
        }
    }
    fn offer_block_hash(&self) -> types::ExecutionBlockHash {
        match self {
            Self::Relay(_, bid) => bid.block_hash(),
            Self::Full(_, full) => full.block_hash(),
        }
    }
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
        full: None,
        elapsed: start.elapsed(),
        check_elapsed: None,
    }
}

impl<E: EthSpec> ExecutionLayer<E> {
    /// Produces the payload of a proposal: asks the engine and every enabled builder at once (relays'
    /// getHeader, full-payload builders' payloads, each then verified by the engine's `newPayload`),
    /// checks every offer, applies the circuit breaker and the boost factor, and returns the choice
    /// with every builder's outcome. An answer arriving after its builder's timeout is ignored.
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
        let skip = if self.builders.is_empty() && self.full_builders.is_empty() {
            Some("no_builders")
        } else if breaker.is_tripped() {
            Some("circuit_breaker")
        } else if registration.is_none() {
            Some("not_registered")
        } else {
            None
        };

        let mut reports: Vec<BuilderReport> = self
            .builder_names()
            .into_iter()
            .map(|builder| BuilderReport {
                builder,
                outcome: BuilderOutcome::Skipped(skip.unwrap_or("not_asked")),
                elapsed: Duration::ZERO,
            })
            .collect();
        let mut tasks = JoinSet::new();
        if let (None, Some(registration)) = (skip, registration) {
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
                pinned_pubkey: None,
            };
            for (index, builder) in self.builders.iter().enumerate() {
                if self.registry.is_disabled(&builder.name) {
                    reports[index].outcome = BuilderOutcome::Disabled;
                    continue;
                }
                let context = BidContext {
                    pinned_pubkey: builder.client.pinned_pubkey(),
                    ..context.clone()
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
            let full_config = &self.config.full_payload_builders;
            let ask = Arc::new(FullAsk {
                request: request.clone(),
                context: context.clone(),
                gas_limit: builder_api::expected_gas_limit(
                    request.parent_gas_limit,
                    registration.gas_limit,
                ),
                request_key: full_config.request_key.clone(),
                engine: self.engine.clone(),
                new_payload_timeout: full_config.new_payload_timeout,
                response_limit: builder_api::payload_response_limit::<E>(
                    request.fork,
                    request.max_blobs_per_block as usize,
                ),
            });
            for (offset, builder) in self.full_builders.iter().enumerate() {
                let index = self.builders.len() + offset;
                if self.registry.is_disabled(&builder.name) {
                    reports[index].outcome = BuilderOutcome::Disabled;
                    continue;
                }
                tasks.spawn(ask_full_builder::<E>(index, builder.clone(), ask.clone()));
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

        let mut candidates: Vec<Candidate<E>> = Vec::new();
        for answer in answers {
            self.note_builder_answer(slot, &answer);
            reports[answer.index] = BuilderReport {
                builder: reports[answer.index].builder.clone(),
                outcome: answer.outcome,
                elapsed: answer.elapsed,
            };
            if let Some(bid) = answer.bid {
                candidates.push(Candidate::Relay(answer.index, Box::new(bid)));
            } else if let Some(full) = answer.full {
                candidates.push(Candidate::Full(answer.index, full));
            }
        }
        candidates.sort_by_key(Candidate::builder_index);
        {
            let mut caches = self.caches.lock();
            for candidate in &candidates {
                if let Candidate::Relay(index, bid) = candidate {
                    caches.insert_bid(
                        slot,
                        bid.block_hash(),
                        *index,
                        self.config.payload_cache_slots,
                    );
                }
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
                    tracing::error!(slot, ?status, %error, valid_bids = candidates.len(), "the execution engine did not verify the parent: no local payload, and no builder payload on that parent");
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
                    &candidates,
                    request.builder_boost_factor,
                    &breaker,
                ),
                Some(local),
            ),
            // Builders were only asked if the breaker is closed, and nothing is signed yet: using a
            // bid here is no fallback after signing. Only an unreachable or late engine lets a bid
            // stand in; an engine that refused the parent keeps the builders out as well.
            Err(error) => match best_bid(&candidates) {
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
        let valid_offers = candidates.len();
        let (choice, winner, full_winner) = match choice.source {
            PayloadSource::Local => (choice, None, None),
            PayloadSource::Builder { index } => {
                let candidate = candidates.swap_remove(index);
                let builder_index = candidate.builder_index();
                let builder = reports[builder_index].builder.clone();
                if let Some((_, record)) = self.builder_entry(builder_index) {
                    record.lock().counters.chosen += 1;
                }
                let choice = Choice {
                    source: PayloadSource::Builder {
                        index: builder_index,
                    },
                    reason: choice.reason,
                };
                match candidate {
                    Candidate::Relay(_, bid) => (
                        choice,
                        Some(WinningBid {
                            builder,
                            builder_index,
                            bid: *bid,
                        }),
                        None,
                    ),
                    Candidate::Full(_, payload) => (
                        choice,
                        None,
                        Some(WinningPayload {
                            builder,
                            builder_index,
                            payload,
                        }),
                    ),
                }
            }
        };
        let source = match (&winner, &full_winner) {
            (Some(_), _) => "builder",
            (_, Some(_)) => "full_payload_builder",
            _ => "local",
        };
        self.metrics
            .payload_source
            .with_label_values(&[source, choice.reason.reason()])
            .inc();
        let builder_value = winner
            .as_ref()
            .map(|w| w.bid.value())
            .or_else(|| full_winner.as_ref().map(|w| w.payload.value))
            .unwrap_or_default();
        tracing::info!(
            slot,
            source,
            reason = choice.reason.reason(),
            builder = winner
                .as_ref()
                .map(|w| w.builder.as_str())
                .or_else(|| full_winner.as_ref().map(|w| w.builder.as_str()))
                .unwrap_or("-"),
            local_value = %local.as_ref().map(|l| l.block_value).unwrap_or_default(),
            %builder_value,
            valid_offers,
            "payload source chosen"
        );
        Ok(ProducedPayload {
            slot,
            choice,
            circuit_breaker: breaker,
            local,
            local_error,
            winner,
            full_winner,
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
            Err(_)
                if answers
                    .iter()
                    .any(|answer| answer.bid.is_some() || answer.full.is_some()) =>
            {
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
        let Some((name, record)) = self.builder_entry(answer.index) else {
            return;
        };
        let full = answer.index >= self.builders.len();
        let (seconds, failures) = if full {
            (
                &self.metrics.full_payload_seconds,
                &self.metrics.full_payload_failures,
            )
        } else {
            (
                &self.metrics.get_header_seconds,
                &self.metrics.get_header_failures,
            )
        };
        seconds
            .with_label_values(&[name])
            .observe(answer.elapsed.as_secs_f64());
        if let Some(check) = answer.check_elapsed {
            self.metrics
                .new_payload_check_seconds
                .with_label_values(&[name])
                .observe(check.as_secs_f64());
        }
        if let BuilderOutcome::Rejected(BidRejection::EngineInvalid { block_hash, error }) =
            &answer.outcome
        {
            self.isolate_full_builder(name, record, slot, *block_hash, error);
        }
        let mut record = record.lock();
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
                failures.with_label_values(&[name, "timeout"]).inc();
                tracing::warn!(
                    slot,
                    builder = name,
                    elapsed_ms = answer.elapsed.as_millis() as u64,
                    "builder timed out; a later answer is ignored"
                );
            }
            BuilderOutcome::Error(error) => {
                record.counters.errors += 1;
                failures.with_label_values(&[name, "error"]).inc();
                tracing::warn!(slot, builder = name, %error, "builder call failed");
            }
            BuilderOutcome::Disabled | BuilderOutcome::Skipped(_) => {}
        }
    }
}

impl<E: EthSpec> ExecutionLayer<E> {
    /// The local engine found a full-payload builder's payload INVALID before anything was signed:
    /// the builder is disabled until restart, as a relay whose payload is INVALID at import. No block
    /// carries the payload, so the disabled state names no block root (zero).
    fn isolate_full_builder(
        &self,
        name: &str,
        record: &parking_lot::Mutex<crate::builders::BuilderRecord>,
        slot: Slot,
        block_hash: types::ExecutionBlockHash,
        error: &str,
    ) {
        let disabled = DisabledBuilder {
            builder: name.to_string(),
            reason: DisableReason::InvalidPayload,
            block_root: types::Hash256::ZERO,
            slot,
            execution_block_hash: block_hash,
            until_epoch: None,
        };
        tracing::error!(slot, builder = name, %block_hash, error, "the execution engine found the builder's payload INVALID; builder disabled until restart");
        record.lock().counters.invalid_payloads += 1;
        self.metrics
            .invalid_payloads
            .with_label_values(&[name])
            .inc();
        if self.registry.disable(disabled.clone()) {
            self.note_disabled(&disabled);
        }
    }
}
