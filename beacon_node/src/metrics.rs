//! Prometheus metrics on `GET /metrics`: the node's own gauges (clock, head, finality, engine) beside
//! the builder module's, all in one registry and all prefixed `blindfold_`.

use prometheus::{Encoder, IntGauge, Registry};
use std::future::Future;
use std::net::SocketAddr;
use warp::Filter;

/// The node's gauges, set by the per-slot notifier.
#[derive(Debug, Clone)]
pub struct NodeMetrics {
    /// The slot by the clock.
    pub current_slot: IntGauge,
    /// The head block's slot.
    pub head_slot: IntGauge,
    /// The finalized checkpoint's epoch.
    pub finalized_epoch: IntGauge,
    /// The justified checkpoint's epoch.
    pub justified_epoch: IntGauge,
    /// 1 while the execution engine answers and is not syncing.
    pub engine_online: IntGauge,
}

impl NodeMetrics {
    /// Registers the gauges in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let gauge = |name: &str, help: &str| -> Result<IntGauge, prometheus::Error> {
            let gauge = IntGauge::new(name, help)?;
            registry.register(Box::new(gauge.clone()))?;
            Ok(gauge)
        };
        Ok(Self {
            current_slot: gauge("blindfold_current_slot", "The slot by the node's clock")?,
            head_slot: gauge("blindfold_head_slot", "The head block's slot")?,
            finalized_epoch: gauge(
                "blindfold_finalized_epoch",
                "The finalized checkpoint's epoch",
            )?,
            justified_epoch: gauge(
                "blindfold_justified_epoch",
                "The justified checkpoint's epoch",
            )?,
            engine_online: gauge(
                "blindfold_execution_engine_online",
                "1 while the execution engine answers and is not syncing",
            )?,
        })
    }
}

/// The registry in the Prometheus text format.
pub fn encode(registry: &Registry) -> String {
    let mut out = Vec::new();
    // Encoding into a Vec fails only for malformed metric families, which registered ones are not.
    if prometheus::TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .is_err()
    {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Binds `addr` and serves `/metrics` until `shutdown` resolves. Returns the bound address (the port
/// may have been 0) and the server's future, which the caller spawns.
pub fn serve(
    registry: Registry,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, impl Future<Output = ()> + Send + 'static), warp::Error> {
    let route = warp::path("metrics")
        .and(warp::path::end())
        .and(warp::get())
        .map(move || {
            warp::reply::with_header(encode(&registry), "content-type", prometheus::TEXT_FORMAT)
        });
    warp::serve(route).try_bind_with_graceful_shutdown(addr, shutdown)
}
