//! Operations other than attestations (slashings, exits, BLS changes) and the sync committee's
//! messages and contributions: checked into the pools against the head state at the current slot, and
//! announced on the event stream; an attester slashing also marks its equivocators for fork choice.

use crate::events::Event;
use crate::BeaconChain;
use operation_pool::{
    AttesterSlashing, OperationError, SignedContributionAndProof, SyncCommitteeMessage, SyncError,
};
use state_processing::StateCaches;
use std::sync::Arc;
use types::{
    BeaconState, EthSpec, ProposerSlashing, SignedBlsToExecutionChange, SignedVoluntaryExit,
};

/// An operation for the pools.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolOperation<E: EthSpec> {
    /// `ProposerSlashing`.
    ProposerSlashing(ProposerSlashing),
    /// `AttesterSlashing` (either fork shape).
    AttesterSlashing(AttesterSlashing<E>),
    /// `SignedVoluntaryExit`.
    VoluntaryExit(SignedVoluntaryExit),
    /// `SignedBLSToExecutionChange`.
    BlsToExecutionChange(SignedBlsToExecutionChange),
}

impl<E: EthSpec> PoolOperation<E> {
    fn topic(&self) -> &'static str {
        match self {
            Self::ProposerSlashing(_) => "proposer_slashing",
            Self::AttesterSlashing(_) => "attester_slashing",
            Self::VoluntaryExit(_) => "voluntary_exit",
            Self::BlsToExecutionChange(_) => "bls_to_execution_change",
        }
    }

    fn json(&self) -> Option<serde_json::Value> {
        match self {
            Self::ProposerSlashing(op) => serde_json::to_value(op).ok(),
            Self::AttesterSlashing(op) => serde_json::to_value(op).ok(),
            Self::VoluntaryExit(op) => serde_json::to_value(op).ok(),
            Self::BlsToExecutionChange(op) => serde_json::to_value(op).ok(),
        }
    }
}

impl<E: EthSpec> BeaconChain<E> {
    /// The head state at the current slot and its prepared caches: what pool entries are checked
    /// against. Blocking.
    pub(crate) fn pool_state(&self) -> Result<(Arc<BeaconState<E>>, StateCaches), String> {
        let head = self.head();
        let slot = self.current_slot().max(head.slot);
        // The cached state keeps its prepared caches (committees, the shared decompressed keys):
        // building them per batch costs seconds at mainnet scale.
        let cached = self.state_and_caches_at_slot(head.block_root, slot)?;
        Ok((cached.state, cached.caches))
    }

    /// Checks operations into the pools; returns the refused ones by index.
    pub async fn insert_operations(
        self: &Arc<Self>,
        operations: Vec<PoolOperation<E>>,
    ) -> Vec<(usize, OperationError)> {
        let chain = self.clone();
        tokio::task::spawn_blocking(move || chain.insert_operations_blocking(operations))
            .await
            .unwrap_or_default()
    }

    fn insert_operations_blocking(
        &self,
        operations: Vec<PoolOperation<E>>,
    ) -> Vec<(usize, OperationError)> {
        let (state, caches) = match self.pool_state() {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "no state to check operations against");
                return Vec::new();
            }
        };
        let pool = &self.op_pool;
        let mut failures = Vec::new();
        for (index, operation) in operations.into_iter().enumerate() {
            let result = match &operation {
                PoolOperation::ProposerSlashing(op) => {
                    pool.insert_proposer_slashing(op.clone(), &state, &caches)
                }
                PoolOperation::AttesterSlashing(op) => {
                    let result = pool.insert_attester_slashing(op.clone(), &state, &caches);
                    if result.is_ok() {
                        let (first, second) = op.attestations();
                        let _ = self.fork_choice.write().on_attester_slashing(first, second);
                    }
                    result
                }
                PoolOperation::VoluntaryExit(op) => {
                    pool.insert_voluntary_exit(op.clone(), &state, &caches)
                }
                PoolOperation::BlsToExecutionChange(op) => {
                    pool.insert_bls_to_execution_change(op.clone(), &state, &caches)
                }
            };
            match result {
                Ok(_) => {
                    if let Some(data) = operation.json() {
                        self.events.send(Event::Operation {
                            topic: operation.topic(),
                            data,
                        });
                    }
                }
                Err(error) => failures.push((index, error)),
            }
        }
        failures
    }

    /// Checks sync committee messages into the pool; returns the refused ones by index.
    pub async fn insert_sync_committee_messages(
        self: &Arc<Self>,
        messages: Vec<SyncCommitteeMessage>,
    ) -> Vec<(usize, SyncError)> {
        let chain = self.clone();
        tokio::task::spawn_blocking(move || {
            let Ok((state, caches)) = chain.pool_state() else {
                return Vec::new();
            };
            messages
                .iter()
                .enumerate()
                .filter_map(|(index, message)| {
                    chain
                        .op_pool
                        .insert_sync_committee_message(message, &state, &caches)
                        .err()
                        .map(|e| (index, e))
                })
                .collect()
        })
        .await
        .unwrap_or_default()
    }

    /// Checks signed contributions (with their aggregators' selection proofs) into the pool; returns
    /// the refused ones by index.
    pub async fn insert_contributions(
        self: &Arc<Self>,
        contributions: Vec<SignedContributionAndProof<E>>,
    ) -> Vec<(usize, SyncError)> {
        let chain = self.clone();
        tokio::task::spawn_blocking(move || {
            let Ok((state, caches)) = chain.pool_state() else {
                return Vec::new();
            };
            let mut failures = Vec::new();
            for (index, signed) in contributions.iter().enumerate() {
                match chain
                    .op_pool
                    .insert_signed_contribution_and_proof(signed, &state, &caches)
                {
                    Ok(_) => {
                        if let Ok(data) = serde_json::to_value(signed) {
                            chain.events.send(Event::Operation {
                                topic: "contribution_and_proof",
                                data,
                            });
                        }
                    }
                    Err(error) => failures.push((index, error)),
                }
            }
            failures
        })
        .await
        .unwrap_or_default()
    }
}
