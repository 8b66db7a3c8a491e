//! The client's life: keys, slashing protection, beacon nodes, genesis, then one task per slot
//! (the proposal at its start, attestations and sync messages at one third, aggregates and
//! contributions at two thirds) and registrations each epoch, until shutdown.

use crate::beacon_nodes::BeaconNodes;
use crate::context::ChainContext;
use crate::duties::Duties;
use crate::keys::{ValidatorKey, ValidatorStore};
use crate::metrics::Metrics;
use crate::services::registration::SignedRegistrations;
use crate::services::Services;
use crate::settings::Settings;
use crate::slashing_protection::SlashingDatabase;
use beacon_api::BeaconNodeHttpClient;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use types::{ChainSpec, EthSpec, Slot};

/// Everything the client runs with (from the command line).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub spec: ChainSpec,
    pub datadir: PathBuf,
    pub beacon_nodes: Vec<url::Url>,
    pub settings: Settings,
    pub blinded_payload_builder: bool,
    pub prefer_builder_proposals: bool,
    pub doppelganger_protection: bool,
    pub metrics: Option<SocketAddr>,
}

/// Why the client stopped.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Keys(String),
    #[error("--datadir: slashing protection database: {0}")]
    SlashingProtection(String),
    #[error("--beacon-nodes: {0}")]
    BeaconNodes(String),
    #[error(
        "the beacon node's genesis fork version {node} is not the config's {ours}: another network"
    )]
    WrongNetwork { node: String, ours: String },
    #[error("doppelganger protection: validator {0} is live on the network; refusing to sign")]
    Doppelganger(u64),
    #[error("--metrics-port: {0}")]
    Metrics(String),
}

/// Whether a node's `genesis_fork_version` is this config's. Besides `GENESIS_FORK_VERSION` (the
/// spec's answer), the version of the fork active at epoch 0 is accepted: some nodes (Lodestar 1.5.1
/// on a chain with Capella at genesis) answer that one, and it names the same network.
fn same_network(spec: &ChainSpec, node_version: types::Version) -> bool {
    node_version == spec.genesis_fork_version || node_version == spec.fork_version_at_epoch(0)
}

/// Runs until `shutdown` resolves.
pub async fn run<E: EthSpec>(
    config: ClientConfig,
    keys: Vec<ValidatorKey>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ClientError> {
    tokio::pin!(shutdown);
    let spec = Arc::new(config.spec.clone());
    let slashing = SlashingDatabase::open_in_datadir(&config.datadir)
        .map_err(|e| ClientError::SlashingProtection(e.to_string()))?;
    let pubkeys: Vec<_> = keys.iter().map(|k| *k.pubkey()).collect();
    let store = Arc::new(
        ValidatorStore::<E>::new(keys, slashing, spec.clone())
            .map_err(|e| ClientError::Keys(e.to_string()))?,
    );
    let clients = config
        .beacon_nodes
        .iter()
        .map(|url| {
            BeaconNodeHttpClient::with_timeout(url.clone(), Duration::from_secs(12))
                .map_err(|e| ClientError::BeaconNodes(format!("{url}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let nodes = Arc::new(BeaconNodes::new(clients));

    // Genesis from the first node that answers; a node on another network is refused.
    let genesis = loop {
        let attempt = nodes
            .first_success("genesis", |client| async move {
                client.get_beacon_genesis().await
            })
            .await;
        match attempt {
            Ok(genesis) => break genesis,
            Err(error) => {
                tracing::warn!(%error, "waiting for a beacon node");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = &mut shutdown => return Ok(()),
                }
            }
        }
    };
    if !same_network(&spec, genesis.genesis_fork_version) {
        return Err(ClientError::WrongNetwork {
            node: hex::encode(genesis.genesis_fork_version),
            ours: hex::encode(spec.genesis_fork_version),
        });
    }
    nodes.set_genesis_validators_root(genesis.genesis_validators_root);
    nodes.check_all().await;
    let context = ChainContext::<E>::new(
        spec.clone(),
        genesis.genesis_time,
        genesis.genesis_validators_root,
    );
    let metrics = Metrics::new().map_err(|e| ClientError::Metrics(e.to_string()))?;
    if let Some(addr) = config.metrics {
        serve_metrics(addr, metrics.clone()).await?;
    }
    let duties = Arc::new(Duties::<E>::new(pubkeys.clone()));
    let services = Arc::new(Services {
        context,
        nodes: nodes.clone(),
        store,
        duties: duties.clone(),
        settings: config.settings.clone(),
        metrics,
        blinded_payload_builder: config.blinded_payload_builder,
        prefer_builder_proposals: config.prefer_builder_proposals,
    });
    tracing::info!(
        validators = pubkeys.len(),
        beacon_nodes = nodes.len(),
        genesis_time = genesis.genesis_time,
        blinded_payload_builder = config.blinded_payload_builder,
        "validator client started"
    );

    if config.doppelganger_protection {
        tokio::select! {
            result = doppelganger(&services) => result?,
            _ = &mut shutdown => return Ok(()),
        }
    }

    let registrations = Arc::new(SignedRegistrations::default());
    let mut registered_epoch = None;
    loop {
        let slot = services.context.current_slot().map_or(0, |s| s + 1);
        let wait = services.context.until(slot, 0);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut shutdown => break,
        }
        let epoch = slot / E::slots_per_epoch();
        if let Err(error) = duties.update_indices(&nodes).await {
            tracing::warn!(slot, %error, "validator indices not refreshed");
        }
        services
            .metrics
            .validators
            .set(duties.indices().len() as i64);
        if let Err(error) = duties.update(&nodes, slot).await {
            tracing::warn!(slot, %error, "duties not refreshed");
        }
        if registered_epoch != Some(epoch) {
            registered_epoch = Some(epoch);
            let services = services.clone();
            let registrations = registrations.clone();
            tokio::spawn(async move { services.register(&registrations).await });
        }
        tokio::spawn(slot_duties(services.clone(), slot));
    }
    tracing::info!("validator client stopped");
    Ok(())
}

/// The duties of one slot, each at its time.
async fn slot_duties<E: EthSpec>(services: Arc<Services<E>>, slot: Slot) {
    // Slot 0 is the genesis block's: nobody proposes there (nodes list its proposer all the same).
    let proposers = if slot == 0 {
        vec![]
    } else {
        services.duties.proposers_at(slot)
    };
    for duty in proposers {
        let services = services.clone();
        tokio::spawn(async move { services.propose(slot, &duty).await });
    }
    tokio::time::sleep(services.context.until(slot, 333)).await;
    let (attested, root) = tokio::join!(services.attest(slot), services.sync_messages(slot));
    tokio::time::sleep(services.context.until(slot, 667)).await;
    let root_for_sync = root;
    tokio::join!(services.aggregate(slot, attested), async {
        if let Some(root) = root_for_sync {
            services.sync_contributions(slot, root).await;
        }
    });
}

/// Doppelganger protection: before signing anything, watch our validators' liveness for two epochs;
/// any sign of life means another client signs with our keys.
async fn doppelganger<E: EthSpec>(services: &Arc<Services<E>>) -> Result<(), ClientError> {
    let start = services.context.current_slot().unwrap_or(0) / E::slots_per_epoch();
    tracing::info!(
        epochs = 2,
        "doppelganger protection: watching before signing"
    );
    for epoch in start..start + 2 {
        // Wait until the epoch has ended, then ask about it.
        let end = (epoch + 1) * E::slots_per_epoch();
        tokio::time::sleep(services.context.until(end, 100)).await;
        let _ = services.duties.update_indices(&services.nodes).await;
        let indices: Vec<u64> = services.duties.indices().keys().copied().collect();
        if indices.is_empty() {
            continue;
        }
        let live = services
            .nodes
            .first_success("liveness", |client| {
                let indices = indices.clone();
                async move { client.post_validator_liveness(epoch, &indices).await }
            })
            .await
            .map_err(|e| ClientError::BeaconNodes(e.to_string()))?;
        if let Some(found) = live.iter().find(|l| l.is_live) {
            return Err(ClientError::Doppelganger(found.index));
        }
    }
    tracing::info!("doppelganger protection: no other signer seen; starting duties");
    Ok(())
}

async fn serve_metrics(addr: SocketAddr, metrics: Metrics) -> Result<(), ClientError> {
    use warp::Filter;
    let route = warp::path("metrics")
        .and(warp::get())
        .map(move || metrics.encode_text());
    let (bound, server) = warp::serve(route)
        .try_bind_ephemeral(addr)
        .map_err(|e| ClientError::Metrics(format!("{addr}: {e}")))?;
    tracing::info!(%bound, "metrics served");
    tokio::spawn(server);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_may_name_the_genesis_fork_or_the_fork_active_at_genesis() {
        let mut spec = ChainSpec::minimal();
        spec.altair_fork_epoch = 0;
        spec.bellatrix_fork_epoch = 0;
        spec.capella_fork_epoch = 0;
        assert!(same_network(&spec, spec.genesis_fork_version));
        assert!(same_network(&spec, spec.capella_fork_version));
        assert!(!same_network(&spec, spec.altair_fork_version));
        assert!(!same_network(&spec, [9, 9, 9, 9]));
    }
}
