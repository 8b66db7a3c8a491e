//! Counters of what the relay did, as Prometheus metrics (`GET /metrics`) and as a snapshot for tests
//! and `GET /admin/stats`. Each relay has its own registry, so several can run in one process.

use prometheus::{Encoder, IntCounter, Registry, TextEncoder};
use serde::{Deserialize, Serialize};

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayStats {
    /// Validator registrations accepted (entries, not requests).
    pub registrations: u64,
    /// Bids served (getHeader answered 200 with a bid).
    pub headers_served: u64,
    /// getHeader answered 204.
    pub no_bids: u64,
    /// submitBlindedBlock requests received (v1 and v2).
    pub submissions: u64,
    /// Payloads revealed by submitBlindedBlock v1.
    pub payloads_revealed: u64,
    /// Full blocks published by submitBlindedBlock v2.
    pub blocks_published: u64,
    /// Requests refused with 400 (bad registrations, bad signatures, unknown payloads, bad input).
    pub rejections: u64,
    /// `payload_attributes` events taken in (SSE or in process).
    pub payload_attributes: u64,
}

/// The live counters behind [`RelayStats`].
pub(crate) struct Metrics {
    registry: Registry,
    pub registrations: IntCounter,
    pub headers_served: IntCounter,
    pub no_bids: IntCounter,
    pub submissions: IntCounter,
    pub payloads_revealed: IntCounter,
    pub blocks_published: IntCounter,
    pub rejections: IntCounter,
    pub payload_attributes: IntCounter,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let c = IntCounter::new(format!("blindfold_mock_relay_{name}_total"), help)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        Ok(Self {
            registrations: counter("registrations", "Validator registrations accepted")?,
            headers_served: counter("headers_served", "Bids served by getHeader")?,
            no_bids: counter("no_bids", "getHeader requests answered 204")?,
            submissions: counter("submissions", "submitBlindedBlock requests (v1 and v2)")?,
            payloads_revealed: counter("payloads_revealed", "Payloads revealed by v1 submissions")?,
            blocks_published: counter("blocks_published", "Blocks published by v2 submissions")?,
            rejections: counter("rejections", "Requests refused with 400")?,
            payload_attributes: counter(
                "payload_attributes",
                "payload_attributes events taken in",
            )?,
            registry,
        })
    }

    pub fn snapshot(&self) -> RelayStats {
        RelayStats {
            registrations: self.registrations.get(),
            headers_served: self.headers_served.get(),
            no_bids: self.no_bids.get(),
            submissions: self.submissions.get(),
            payloads_revealed: self.payloads_revealed.get(),
            blocks_published: self.blocks_published.get(),
            rejections: self.rejections.get(),
            payload_attributes: self.payload_attributes.get(),
        }
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = vec![];
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}
