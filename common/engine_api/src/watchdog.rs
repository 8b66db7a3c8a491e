//! The execution engine's state (online, offline, syncing, auth failed), kept from every call's
//! outcome and from a periodic probe, logged when it changes.

use crate::client::{EngineClient, SUPPORTED_METHODS};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the consensus client knows of its execution engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineState {
    /// Answering, and not syncing as far as we know.
    Online,
    /// Not reached (refused, reset or timed out). Also the state before the first call.
    Offline,
    /// Answering, but syncing: its payload verdicts are SYNCING, not VALID.
    Syncing,
    /// Reached, but it refuses our JWT (HTTP 401/403): a wrong secret or clock skew.
    AuthFailed,
}

impl std::fmt::Display for EngineState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::Syncing => "syncing",
            Self::AuthFailed => "auth failed",
        })
    }
}

/// Holds the state and logs each change.
pub(crate) struct StateTracker {
    tx: watch::Sender<EngineState>,
    endpoint: String,
}

impl StateTracker {
    pub(crate) fn new(endpoint: String) -> Self {
        Self {
            tx: watch::Sender::new(EngineState::Offline),
            endpoint,
        }
    }

    pub(crate) fn get(&self) -> EngineState {
        *self.tx.borrow()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<EngineState> {
        self.tx.subscribe()
    }

    pub(crate) fn set(&self, new: EngineState) {
        let mut old = None;
        self.tx.send_if_modified(|state| {
            if *state == new {
                return false;
            }
            old = Some(*state);
            *state = new;
            true
        });
        if let Some(old) = old {
            let endpoint = &self.endpoint;
            match new {
                EngineState::Online => {
                    tracing::info!(%endpoint, from = %old, "execution engine online")
                }
                EngineState::Syncing => {
                    tracing::warn!(%endpoint, from = %old, "execution engine syncing")
                }
                EngineState::Offline => {
                    tracing::warn!(%endpoint, from = %old, "execution engine offline")
                }
                EngineState::AuthFailed => tracing::error!(
                    %endpoint, from = %old,
                    "execution engine refuses our JWT: check the shared secret and the clocks"
                ),
            }
        }
    }
}

/// Probes the EE once: `engine_exchangeCapabilities`, then `eth_syncing`. The client's state is
/// updated by the calls themselves; the final state is returned.
pub async fn probe(client: &EngineClient) -> crate::EngineState {
    if client
        .exchange_capabilities(SUPPORTED_METHODS)
        .await
        .is_ok()
    {
        if let Ok(syncing) = client.eth_syncing().await {
            client.set_state(if syncing {
                EngineState::Syncing
            } else {
                EngineState::Online
            });
        }
    }
    client.state()
}

/// A running watchdog task; it stops when this is dropped.
pub struct Watchdog {
    handle: JoinHandle<()>,
}

impl Watchdog {
    /// Probes `client` now and every `interval` on the current Tokio runtime.
    pub fn spawn(client: EngineClient, interval: Duration) -> Self {
        let handle = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                probe(&client).await;
            }
        });
        Self { handle }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_notifies_only_on_change() {
        let t = StateTracker::new("http://127.0.0.1:1".into());
        let mut rx = t.subscribe();
        assert_eq!(t.get(), EngineState::Offline);
        t.set(EngineState::Offline);
        assert!(!rx.has_changed().unwrap());
        t.set(EngineState::Online);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), EngineState::Online);
        assert_eq!(EngineState::AuthFailed.to_string(), "auth failed");
    }
}
