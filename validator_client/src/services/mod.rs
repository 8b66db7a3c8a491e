//! One service per duty: block proposals, attestations and aggregates, the sync committee, and
//! builder registrations with proposer preparations. Each runs from the slot timer in `run`.

pub mod attestation;
pub mod block;
pub mod registration;
pub mod sync;

use crate::beacon_nodes::BeaconNodes;
use crate::context::ChainContext;
use crate::duties::Duties;
use crate::keys::ValidatorStore;
use crate::metrics::Metrics;
use crate::settings::Settings;
use std::sync::Arc;
use types::EthSpec;

/// What every service needs.
pub struct Services<E: EthSpec> {
    pub context: ChainContext<E>,
    pub nodes: Arc<BeaconNodes>,
    pub store: Arc<ValidatorStore<E>>,
    pub duties: Arc<Duties<E>>,
    pub settings: Settings,
    pub metrics: Metrics,
    /// `--blinded-payload-builder`: builder payloads allowed (blinded blocks signed and published).
    pub blinded_payload_builder: bool,
    /// `--prefer-builder-proposals`: `builder_boost_factor=2^64-1`.
    pub prefer_builder_proposals: bool,
}

impl<E: EthSpec> Services<E> {
    /// Runs signing work (BLS, and a slashing-protection commit for blocks and attestations) off the
    /// async workers, and times it for `blindfold_vc_signing_seconds`.
    pub(crate) async fn sign<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let start = std::time::Instant::now();
        let result = tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| format!("signing task failed: {e}"));
        self.metrics
            .signing_seconds
            .observe(start.elapsed().as_secs_f64());
        result
    }
}
