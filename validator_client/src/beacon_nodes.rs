//! The beacon nodes, in order of preference (`--beacon-nodes`). Each call goes to the first node that
//! is usable — online, synced, on our genesis — and fails over to the next; a node found unusable is
//! skipped with a log line and checked again later.

use beacon_api::BeaconNodeHttpClient;
use parking_lot::Mutex;
use std::future::Future;
use std::time::{Duration, Instant};
use types::Hash256;

/// How long a node found unusable is skipped before it is checked again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(12);

/// Why no node could serve a call.
#[derive(Debug, thiserror::Error)]
#[error("no beacon node could serve the request: {}", .0.join("; "))]
pub struct AllFailed(pub Vec<String>);

#[derive(Debug)]
struct Node {
    client: BeaconNodeHttpClient,
    /// Skipped until then (unusable).
    skip_until: Option<Instant>,
}

/// The client's beacon nodes.
#[derive(Debug)]
pub struct BeaconNodes {
    nodes: Vec<Mutex<Node>>,
    genesis_validators_root: Mutex<Option<Hash256>>,
}

impl BeaconNodes {
    /// The nodes, first preferred.
    pub fn new(clients: Vec<BeaconNodeHttpClient>) -> Self {
        Self {
            nodes: clients
                .into_iter()
                .map(|client| {
                    Mutex::new(Node {
                        client,
                        skip_until: None,
                    })
                })
                .collect(),
            genesis_validators_root: Mutex::new(None),
        }
    }

    /// The genesis every node must be on (learnt from the first node that answers).
    pub fn set_genesis_validators_root(&self, root: Hash256) {
        *self.genesis_validators_root.lock() = Some(root);
    }

    /// How many nodes are configured.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Checks a node: online, not syncing far behind, on our genesis.
    async fn usable(&self, client: &BeaconNodeHttpClient) -> Result<(), String> {
        let syncing = client
            .get_node_syncing()
            .await
            .map_err(|e| format!("offline: {e}"))?;
        if syncing.is_syncing && syncing.sync_distance > 2 {
            return Err(format!("syncing ({} slots behind)", syncing.sync_distance));
        }
        let expected = *self.genesis_validators_root.lock();
        if let Some(expected) = expected {
            let genesis = client
                .get_beacon_genesis()
                .await
                .map_err(|e| format!("no genesis: {e}"))?;
            if genesis.genesis_validators_root != expected {
                return Err(format!(
                    "on another chain (genesis validators root {})",
                    genesis.genesis_validators_root
                ));
            }
        }
        Ok(())
    }

    /// Runs `call` on the first usable node, failing over to the next on an error.
    pub async fn first_success<T, F, Fut>(&self, what: &str, call: F) -> Result<T, AllFailed>
    where
        F: Fn(BeaconNodeHttpClient) -> Fut,
        Fut: Future<Output = Result<T, beacon_api::Error>>,
    {
        let mut errors = Vec::new();
        // When every node is in its time out, they are tried anyway: a node back after a restart
        // must not wait out the time out while no duty can be done.
        let all_skipped = self.nodes.iter().all(|node| {
            node.lock()
                .skip_until
                .is_some_and(|until| Instant::now() < until)
        });
        for (position, node) in self.nodes.iter().enumerate() {
            let (client, skip_until) = {
                let node = node.lock();
                (node.client.clone(), node.skip_until)
            };
            let server = client.server().to_string();
            if !all_skipped && skip_until.is_some_and(|until| Instant::now() < until) {
                errors.push(format!("{server}: skipped"));
                continue;
            }
            if skip_until.is_some() {
                // Its time out is over: check it before trusting it again.
                if let Err(why) = self.usable(&client).await {
                    self.mark_unusable(position, &server, &why);
                    errors.push(format!("{server}: {why}"));
                    continue;
                }
                node.lock().skip_until = None;
                tracing::info!(beacon_node = %server, "beacon node usable again");
            }
            match call(client).await {
                Ok(value) => return Ok(value),
                Err(error) => {
                    // A node that is down is skipped for a while; one that refuses this call is not.
                    if error.status().is_none() {
                        self.mark_unusable(position, &server, &error.to_string());
                    } else {
                        tracing::warn!(beacon_node = %server, %error, what, "beacon node refused the call");
                    }
                    errors.push(format!("{server}: {error}"));
                }
            }
        }
        Err(AllFailed(errors))
    }

    fn mark_unusable(&self, position: usize, server: &str, why: &str) {
        if let Some(node) = self.nodes.get(position) {
            node.lock().skip_until = Some(Instant::now() + RECHECK_AFTER);
        }
        tracing::warn!(beacon_node = %server, reason = why, "beacon node unusable; trying the next");
    }

    /// Checks every node now (at start).
    pub async fn check_all(&self) {
        for (position, node) in self.nodes.iter().enumerate() {
            let client = node.lock().client.clone();
            let server = client.server().to_string();
            match self.usable(&client).await {
                Ok(()) => tracing::info!(beacon_node = %server, "beacon node usable"),
                Err(why) => self.mark_unusable(position, &server, &why),
            }
        }
    }
}
