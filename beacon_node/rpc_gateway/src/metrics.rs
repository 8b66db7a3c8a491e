//! The gateway's Prometheus metrics, registered on the node's registry (prefix
//! `blindfold_rpc_gateway_`): what was submitted, and per builder what was forwarded, retried,
//! failed and dropped.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

/// Counters of the gateway.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// `eth_sendRawTransaction` calls by outcome: `accepted` (by the engine), `invalid` (refused by
    /// the gateway's decoding), `refused` (by the engine), `engine_unreachable`.
    pub submissions: IntCounterVec,
    /// Transactions a builder accepted.
    pub forwarded: IntCounterVec,
    /// Transactions given up on after every attempt failed.
    pub failed: IntCounterVec,
    /// Attempts after the first.
    pub retried: IntCounterVec,
    /// Transactions dropped (the oldest) because the builder's queue was full.
    pub dropped: IntCounterVec,
    /// Transactions waiting or in flight per builder.
    pub queued: IntGaugeVec,
    /// Other calls proxied to the engine (a batch counts once).
    pub proxied: IntCounterVec,
}

impl Metrics {
    /// Registers the metrics in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str, label: &str| {
            let c = IntCounterVec::new(Opts::new(name, help), &[label])?;
            registry.register(Box::new(c.clone()))?;
            Ok::<_, prometheus::Error>(c)
        };
        let queued = IntGaugeVec::new(
            Opts::new(
                "blindfold_rpc_gateway_forward_queue_length",
                "Transactions waiting or in flight to a builder",
            ),
            &["builder"],
        )?;
        registry.register(Box::new(queued.clone()))?;
        Ok(Self {
            submissions: counter(
                "blindfold_rpc_gateway_submissions_total",
                "eth_sendRawTransaction calls by outcome",
                "outcome",
            )?,
            forwarded: counter(
                "blindfold_rpc_gateway_forwarded_total",
                "Transactions a builder accepted",
                "builder",
            )?,
            failed: counter(
                "blindfold_rpc_gateway_forward_failed_total",
                "Transactions given up on after every attempt to a builder failed",
                "builder",
            )?,
            retried: counter(
                "blindfold_rpc_gateway_forward_retries_total",
                "Forwarding attempts after the first",
                "builder",
            )?,
            dropped: counter(
                "blindfold_rpc_gateway_forward_dropped_total",
                "Transactions dropped from a full forwarding queue (oldest first)",
                "builder",
            )?,
            queued,
            proxied: counter(
                "blindfold_rpc_gateway_proxied_total",
                "Calls proxied to the execution engine, by kind (single or batch)",
                "kind",
            )?,
        })
    }
}
