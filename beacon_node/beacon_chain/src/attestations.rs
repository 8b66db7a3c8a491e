//! Attestations: the data a validator signs (`produce_attestation_data`), and attestations received
//! (aggregates or single ones) checked into the pool, counted as fork choice votes, and announced. A
//! vote for the current slot counts from the next slot on (fork choice takes votes of past slots
//! only), so such votes wait in a queue until the slot ends.

use crate::events::Event;
use crate::BeaconChain;
use operation_pool::{Attestation, AttestationError, SingleAttestation};
use state_processing::StateCaches;
use std::sync::Arc;
use types::{AttestationData, Checkpoint, CommitteeIndex, EthSpec, Hash256, Slot};

/// Why attestation data could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum AttestationDataError {
    /// The slot is after the current slot.
    #[error("slot {slot} is in the future (current slot {current_slot})")]
    FutureSlot {
        /// The requested slot.
        slot: Slot,
        /// The current slot.
        current_slot: Slot,
    },
    /// The slot is before the head's finalized epoch.
    #[error("slot {0} is before finality")]
    BeforeFinalization(Slot),
    /// The committee index is not one of the slot's committees.
    #[error("committee index {index} out of range ({count} committees per slot)")]
    CommitteeIndex {
        /// The index asked for.
        index: CommitteeIndex,
        /// The slot's committee count.
        count: u64,
    },
    /// The chain could not compute it.
    #[error("{0}")]
    Internal(String),
}

/// A vote waiting for its slot to end.
#[derive(Debug, Clone)]
pub(crate) struct QueuedVote {
    data: AttestationData,
    indices: Vec<u64>,
}

impl<E: EthSpec> BeaconChain<E> {
    /// `AttestationData` for `slot` and `committee_index` on the head (phase0 validator guide:
    /// the head block at the slot, the head state's current justified checkpoint as source, the
    /// epoch boundary block as target; `index` 0 from Electra).
    pub fn produce_attestation_data(
        &self,
        slot: Slot,
        committee_index: CommitteeIndex,
    ) -> Result<AttestationData, AttestationDataError> {
        let current_slot = self.current_slot();
        if slot > current_slot {
            return Err(AttestationDataError::FutureSlot { slot, current_slot });
        }
        let head = self.head();
        let finalized_slot = head.finalized.epoch * E::slots_per_epoch();
        if slot < finalized_slot {
            return Err(AttestationDataError::BeforeFinalization(slot));
        }
        let internal = |e: String| AttestationDataError::Internal(e);
        let (block_root, target_root) = {
            let fork_choice = self.fork_choice.read();
            let block_root = if slot >= head.slot {
                head.block_root
            } else {
                fork_choice
                    .get_ancestor(&head.block_root, slot)
                    .map_err(|e| internal(e.to_string()))?
            };
            let epoch_start = (slot / E::slots_per_epoch()) * E::slots_per_epoch();
            let target_root = fork_choice
                .get_ancestor(&block_root, epoch_start)
                .map_err(|e| internal(e.to_string()))?;
            (block_root, target_root)
        };
        // The cached state's committees (counting them from the registry walks a million
        // validators, and a validator client asks once per committee each slot).
        let crate::state_cache::CachedState { state, caches } = self
            .state_and_caches_at_slot(head.block_root, slot.max(head.slot))
            .map_err(internal)?;
        let epoch = slot / E::slots_per_epoch();
        let count = caches.get_committee_count_per_slot(&state, epoch);
        if committee_index >= count {
            return Err(AttestationDataError::CommitteeIndex {
                index: committee_index,
                count,
            });
        }
        Ok(AttestationData {
            slot,
            index: if state.fork_name().electra_enabled() {
                0
            } else {
                committee_index
            },
            beacon_block_root: block_root,
            source: state.current_justified_checkpoint(),
            target: Checkpoint {
                epoch,
                root: target_root,
            },
        })
    }

    /// Checks aggregates into the pool and counts them as votes; returns the refused ones by index.
    pub async fn insert_attestations(
        self: &Arc<Self>,
        attestations: Vec<Attestation<E>>,
    ) -> Vec<(usize, AttestationError)> {
        let chain = self.clone();
        tokio::task::spawn_blocking(move || {
            chain.insert_with(attestations, |pool, attestation, state, caches| {
                pool.insert_attestation(attestation, state, caches)
                    .map(|_| attestation.clone())
            })
        })
        .await
        .unwrap_or_default()
    }

    /// Checks single attestations (Electra's `SingleAttestation`) into the pool and counts them as
    /// votes; returns the refused ones by index.
    pub async fn insert_single_attestations(
        self: &Arc<Self>,
        attestations: Vec<SingleAttestation>,
    ) -> Vec<(usize, AttestationError)> {
        let chain = self.clone();
        tokio::task::spawn_blocking(move || {
            chain.insert_with(attestations, |pool, single, state, caches| {
                pool.insert_single_attestation(single, state, caches)?;
                single_as_attestation::<E>(single, state, caches)
            })
        })
        .await
        .unwrap_or_default()
    }

    fn insert_with<T>(
        &self,
        items: Vec<T>,
        insert: impl Fn(
            &operation_pool::OperationPool<E>,
            &T,
            &types::BeaconState<E>,
            &StateCaches,
        ) -> Result<Attestation<E>, AttestationError>,
    ) -> Vec<(usize, AttestationError)> {
        let (state, caches) = match self.pool_state() {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "no state to check attestations against");
                return Vec::new();
            }
        };
        let mut failures = Vec::new();
        let mut votes = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match insert(&self.op_pool, item, &state, &caches) {
                Ok(attestation) => {
                    if let Ok(indices) = caches.get_attesting_indices(&state, attestation.as_ref())
                    {
                        votes.push(QueuedVote {
                            data: attestation.data().clone(),
                            indices: indices.into_iter().collect(),
                        });
                    }
                    if self.events.has_subscribers() {
                        if let Ok(data) = serde_json::to_value(&attestation) {
                            self.events.send(Event::Operation {
                                topic: "attestation",
                                data,
                            });
                        }
                    }
                }
                Err(error) => failures.push((index, error)),
            }
        }
        self.apply_votes(votes);
        failures
    }

    /// Votes of past slots go to fork choice now; those of the current slot wait in the queue.
    fn apply_votes(&self, votes: Vec<QueuedVote>) {
        let current_slot = self.current_slot();
        let mut queue = self.queued_votes.lock();
        queue.extend(votes);
        let ready: Vec<QueuedVote> = {
            let (ready, waiting): (Vec<_>, Vec<_>) =
                queue.drain(..).partition(|v| v.data.slot < current_slot);
            *queue = waiting;
            ready
        };
        drop(queue);
        if ready.is_empty() {
            return;
        }
        let mut fork_choice = self.fork_choice.write();
        for vote in ready {
            if let Err(error) = fork_choice.on_attestation(&vote.data, &vote.indices, false) {
                tracing::debug!(%error, slot = vote.data.slot, "vote not counted by fork choice");
            }
        }
    }

    /// Counts the queued votes of slots that have ended (at the start of each slot).
    pub(crate) fn apply_queued_votes(&self) {
        self.apply_votes(Vec::new());
    }

    /// The head block root at `slot` on the head's chain (for duties' dependent roots).
    pub fn block_root_at_slot(&self, slot: Slot) -> Option<Hash256> {
        let head = self.head();
        if slot >= head.slot {
            return Some(head.block_root);
        }
        self.fork_choice
            .read()
            .get_ancestor(&head.block_root, slot)
            .ok()
    }
}

/// A single attestation as a one-bit aggregate of its committee, in the state's fork shape.
fn single_as_attestation<E: EthSpec>(
    single: &SingleAttestation,
    state: &types::BeaconState<E>,
    caches: &StateCaches,
) -> Result<Attestation<E>, AttestationError> {
    let committee = caches
        .get_beacon_committee(state, single.data.slot, single.committee_index)
        .map_err(|_| AttestationError::CommitteeIndexOutOfRange {
            index: single.committee_index,
            count: 0,
        })?;
    let position = committee
        .iter()
        .position(|v| *v == single.attester_index)
        .ok_or(AttestationError::AttesterNotInCommittee {
            attester_index: single.attester_index,
            committee_index: single.committee_index,
        })?;
    let mut bits = types::ssz_types::BitList::with_capacity(committee.len())
        .map_err(|_| AttestationError::NoAttesters)?;
    bits.set(position, true)
        .map_err(|_| AttestationError::NoAttesters)?;
    let mut committee_bits = types::ssz_types::BitVector::new();
    committee_bits
        .set(single.committee_index as usize, true)
        .map_err(|_| AttestationError::NoAttesters)?;
    Ok(Attestation::Electra(types::AttestationElectra {
        aggregation_bits: bits,
        data: single.data.clone(),
        signature: single.signature,
        committee_bits,
    }))
}
