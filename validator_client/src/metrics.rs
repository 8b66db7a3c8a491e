//! The validator client's Prometheus metrics (`blindfold_vc_*`), served on `--metrics-port`.

use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry};

/// Every metric of the client.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Proposals by outcome: `builder` (blinded), `local` (full), `failed`.
    pub proposals: IntCounterVec,
    /// Attestations by outcome: `published`, `refused` (slashing protection), `failed`.
    pub attestations: IntCounterVec,
    /// Aggregates by outcome.
    pub aggregates: IntCounterVec,
    /// Sync committee messages by outcome.
    pub sync_messages: IntCounterVec,
    /// Validators with a known index.
    pub validators: IntGauge,
    /// Time to sign one message, slashing-protection commit included.
    pub signing_seconds: Histogram,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| -> Result<IntCounterVec, prometheus::Error> {
            let metric = IntCounterVec::new(Opts::new(name, help), &["outcome"])?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let proposals = counter("blindfold_vc_proposals_total", "Block proposals by outcome")?;
        let attestations = counter("blindfold_vc_attestations_total", "Attestations by outcome")?;
        let aggregates = counter("blindfold_vc_aggregates_total", "Aggregates by outcome")?;
        let sync_messages = counter(
            "blindfold_vc_sync_committee_messages_total",
            "Sync committee messages by outcome",
        )?;
        let validators = IntGauge::new(
            "blindfold_vc_validators",
            "Validators of this client known to the chain",
        )?;
        registry.register(Box::new(validators.clone()))?;
        let signing_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "blindfold_vc_signing_seconds",
                "Time to sign one message, slashing-protection commit included",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            ]),
        )?;
        registry.register(Box::new(signing_seconds.clone()))?;
        Ok(Self {
            registry,
            proposals,
            attestations,
            aggregates,
            sync_messages,
            validators,
            signing_seconds,
        })
    }

    /// The metrics in the Prometheus text format.
    pub fn encode_text(&self) -> String {
        use prometheus::Encoder;
        let mut out = Vec::new();
        if prometheus::TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}
