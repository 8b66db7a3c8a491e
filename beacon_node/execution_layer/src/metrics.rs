//! The execution layer's Prometheus metrics, all prefixed `blindfold_`, registered in a registry the
//! node passes in (or a fresh one), which it serves on `/metrics`.

use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

/// Every metric of the module.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Valid bids received, per builder.
    pub bids: IntCounterVec,
    /// Bids that failed a check, per builder and check.
    pub bid_rejections: IntCounterVec,
    /// getHeader calls that failed (`timeout`, `error`), per builder.
    pub get_header_failures: IntCounterVec,
    /// getHeader calls answered 204 ("no bid for this slot", not a failure), per builder.
    pub no_bids: IntCounterVec,
    /// Accepted bids whose header pays another address than the registered fee recipient (the
    /// builder pays the proposer by a transaction), per builder.
    pub fee_recipient_mismatches: IntCounterVec,
    /// Signed blocks whose builder payload was revealed (or published by the builder), per builder.
    pub wins: IntCounterVec,
    /// Builder-block records that could not be written (the unblind went on), in total.
    pub builder_block_store_errors: IntCounter,
    /// getHeader latency, per builder (bids and failures alike).
    pub get_header_seconds: HistogramVec,
    /// Proposals by chosen source (`local`, `builder`) and reason.
    pub payload_source: IntCounterVec,
    /// 1 while a builder is enabled, 0 once it is disabled.
    pub builder_enabled: IntGaugeVec,
    /// 1 when the circuit breaker tripped at the last proposal.
    pub circuit_breaker_tripped: IntGauge,
    /// Proposals at which the circuit breaker tripped, per reason.
    pub circuit_breaker_trips: IntCounterVec,
    /// Local payload requests (forkchoiceUpdated + getPayload) that failed.
    pub local_payload_failures: IntCounter,
    /// Unblinding results per builder (`local` for the cache): `success` (revealed, or accepted for
    /// publishing), `mismatch` (a payload or blobs that do not match the signed block), `withheld`.
    pub unblind: IntCounterVec,
    /// Payloads of a builder that the execution engine found INVALID.
    pub invalid_payloads: IntCounterVec,
    /// Builders disabled, per builder and reason (`invalid_payload`, `withheld`, `reveal_mismatch`).
    pub builder_disabled: IntCounterVec,
    /// Full-payload builders' latency (fetch and checks, the engine's verdict included), per builder.
    pub full_payload_seconds: HistogramVec,
    /// Full-payload builder calls that failed (`timeout`, `error`), per builder.
    pub full_payload_failures: IntCounterVec,
    /// The local engine's `newPayload` on a full-payload builder's payload, per builder.
    pub new_payload_check_seconds: HistogramVec,
    /// Head changes (forkchoiceUpdated without attributes) mirrored to an engine builder that failed
    /// (`timeout`, `error`), per builder.
    pub forkchoice_mirror_failures: IntCounterVec,
}

impl Metrics {
    /// Registers every metric in `registry`.
    pub fn new(registry: Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| -> Result<_, prometheus::Error> {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let bids = counter(
            "blindfold_builder_bids_total",
            "Valid builder bids received",
            &["builder"],
        )?;
        let bid_rejections = counter(
            "blindfold_builder_bid_rejections_total",
            "Builder bids rejected, by failed check",
            &["builder", "reason"],
        )?;
        let get_header_failures = counter(
            "blindfold_builder_get_header_failures_total",
            "getHeader calls that failed (timeout, error)",
            &["builder", "kind"],
        )?;
        let no_bids = counter(
            "blindfold_builder_no_bids_total",
            "getHeader calls answered 204: no bid for the slot",
            &["builder"],
        )?;
        let fee_recipient_mismatches = counter(
            "blindfold_builder_fee_recipient_mismatches_total",
            "Accepted bids whose header pays another address than the registered fee recipient",
            &["builder"],
        )?;
        let wins = counter(
            "blindfold_builder_wins_total",
            "Signed blocks whose builder payload was revealed or published by the builder",
            &["builder"],
        )?;
        let builder_disabled = counter(
            "blindfold_builder_disabled_total",
            "Builders disabled, by reason",
            &["builder", "reason"],
        )?;
        let payload_source = counter(
            "blindfold_payload_source_total",
            "Proposals by chosen payload source and reason",
            &["source", "reason"],
        )?;
        let circuit_breaker_trips = counter(
            "blindfold_circuit_breaker_trips_total",
            "Proposals at which the circuit breaker tripped, by reason",
            &["reason"],
        )?;
        let unblind = counter(
            "blindfold_builder_unblind_total",
            "Unblinding results by builder (local for the local cache) and result",
            &["builder", "result"],
        )?;
        let invalid_payloads = counter(
            "blindfold_builder_invalid_payloads_total",
            "Builder payloads the execution engine found INVALID",
            &["builder"],
        )?;
        let get_header_seconds = HistogramVec::new(
            HistogramOpts::new(
                "blindfold_builder_get_header_seconds",
                "getHeader latency per builder",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0,
            ]),
            &["builder"],
        )?;
        registry.register(Box::new(get_header_seconds.clone()))?;
        let full_payload_failures = counter(
            "blindfold_builder_full_payload_failures_total",
            "Full-payload builder calls that failed (timeout, error)",
            &["builder", "kind"],
        )?;
        let forkchoice_mirror_failures = counter(
            "blindfold_builder_forkchoice_mirror_failures_total",
            "Head changes mirrored to an engine builder that failed (timeout, error)",
            &["builder", "kind"],
        )?;
        let histogram = |name: &str, help: &str| -> Result<HistogramVec, prometheus::Error> {
            let metric = HistogramVec::new(
                HistogramOpts::new(name, help).buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0,
                ]),
                &["builder"],
            )?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let full_payload_seconds = histogram(
            "blindfold_builder_full_payload_seconds",
            "Full-payload builder latency per builder, checks and the engine's verdict included",
        )?;
        let new_payload_check_seconds = histogram(
            "blindfold_builder_new_payload_check_seconds",
            "The local engine's newPayload on a full-payload builder's payload",
        )?;
        let builder_enabled = IntGaugeVec::new(
            Opts::new(
                "blindfold_builder_enabled",
                "1 while a builder is enabled, 0 once disabled until restart",
            ),
            &["builder"],
        )?;
        registry.register(Box::new(builder_enabled.clone()))?;
        let circuit_breaker_tripped = IntGauge::new(
            "blindfold_circuit_breaker_tripped",
            "1 when the circuit breaker tripped at the last proposal",
        )?;
        registry.register(Box::new(circuit_breaker_tripped.clone()))?;
        let local_payload_failures = IntCounter::new(
            "blindfold_local_payload_failures_total",
            "Local payload requests (forkchoiceUpdated and getPayload) that failed",
        )?;
        registry.register(Box::new(local_payload_failures.clone()))?;
        let builder_block_store_errors = IntCounter::new(
            "blindfold_builder_block_store_errors_total",
            "Builder-block records that could not be written",
        )?;
        registry.register(Box::new(builder_block_store_errors.clone()))?;
        Ok(Self {
            registry,
            bids,
            bid_rejections,
            get_header_failures,
            no_bids,
            fee_recipient_mismatches,
            wins,
            builder_block_store_errors,
            builder_disabled,
            get_header_seconds,
            payload_source,
            builder_enabled,
            circuit_breaker_tripped,
            circuit_breaker_trips,
            local_payload_failures,
            unblind,
            invalid_payloads,
            full_payload_seconds,
            full_payload_failures,
            new_payload_check_seconds,
            forkchoice_mirror_failures,
        })
    }

    /// The registry the metrics are in.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry's metrics in the Prometheus text format.
    pub fn encode_text(&self) -> String {
        use prometheus::Encoder;
        let mut out = Vec::new();
        // Encoding into a Vec only fails on metric families that cannot be encoded, which these are not.
        if prometheus::TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}
