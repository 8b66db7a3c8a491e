//! The slot's duties: at the start of each slot, fork choice's clock ticks (the proposer boost
//! resets, unrealized checkpoints are pulled up at epoch starts) and the head is recomputed; late in
//! each slot the head state is advanced to the next slot (so production never waits on an epoch
//! transition), the next slot's payload attributes are announced for relays (`payload_attributes`),
//! and when its proposer is known to the node the local build starts early (`prepare_payload`), so
//! the local payload is full rather than near-empty.

use crate::events::Event;
use crate::BeaconChain;
use std::sync::Arc;
use types::{
    EthSpec, EventPayloadAttributes, PayloadAttributesEnvelope, PayloadAttributesEvent, Slot,
};

/// How far into a slot (per mille) the next slot is prepared: after the attestation deadline, with
/// time left for an epoch transition before the next slot starts.
pub const PREPARE_NEXT_SLOT_AT_PER_MILLE: u64 = 750;

impl<E: EthSpec> BeaconChain<E> {
    /// The start of `slot`: tick fork choice and recompute the head.
    pub async fn on_slot_start(self: &Arc<Self>, slot: Slot) {
        self.apply_queued_votes();
        if let Err(error) = self.recompute_head().await {
            tracing::warn!(slot, %error, "head update at the slot start failed");
        }
        // An engine that was syncing owes a verdict on the optimistic head: ask again each slot.
        if self.head().optimistic {
            self.refresh_engine_head().await;
        }
    }

    /// Late in the slot before `next_slot`: the head state advanced to it, its payload attributes
    /// announced, and its proposer's local build started when the node knows where it pays.
    pub async fn prepare_slot(self: &Arc<Self>, next_slot: Slot) {
        let head = self.head();
        if next_slot <= head.slot {
            return;
        }
        let chain = self.clone();
        let head_root = head.block_root;
        // The advanced state, with its caches, so that a proposal in the coming slot starts from it.
        let advance = move || chain.state_and_caches_at_slot(head_root, next_slot);
        let (state, caches) = match tokio::task::spawn_blocking(advance).await {
            Ok(Ok(cached)) => (cached.state, cached.caches),
            Ok(Err(error)) => {
                tracing::warn!(slot = next_slot, %error, "cannot advance the head state");
                return;
            }
            Err(error) => {
                tracing::warn!(slot = next_slot, %error, "state advance task failed");
                return;
            }
        };
        let Ok(proposer_index) = caches.get_beacon_proposer_index(&state) else {
            return;
        };
        let request = match self.payload_request(&state, proposer_index, head_root) {
            Ok(request) => request,
            Err(error) => {
                tracing::warn!(slot = next_slot, %error, "cannot compute the next slot's payload attributes");
                return;
            }
        };
        self.events
            .send(Event::PayloadAttributes(PayloadAttributesEnvelope {
                version: request.fork,
                data: PayloadAttributesEvent {
                    proposer_index,
                    proposal_slot: next_slot,
                    parent_block_number: request.parent_block_number,
                    parent_block_root: head_root,
                    parent_block_hash: request.parent_hash,
                    payload_attributes: EventPayloadAttributes {
                        timestamp: request.timestamp,
                        prev_randao: request.prev_randao,
                        suggested_fee_recipient: request.suggested_fee_recipient,
                        withdrawals: request.withdrawals.clone(),
                        parent_beacon_block_root: request.fork.deneb_enabled().then_some(head_root),
                    },
                },
            }));
        if self.fee_recipient(proposer_index).is_some() {
            let layer = self.execution_layer.clone();
            tokio::spawn(async move {
                if let Err(error) = layer.prepare_payload(&request).await {
                    tracing::debug!(slot = request.slot, %error, "early local build not started");
                }
            });
        }
    }

    /// Runs the slot duties until the returned handle is aborted (the node does so at shutdown).
    pub fn spawn_timer(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let chain = self.clone();
        tokio::spawn(async move {
            loop {
                let clock = chain.slot_clock().clone();
                let next = clock.now().map_or(0, |slot| slot + 1);
                tokio::time::sleep(clock.duration_to_slot(next)).await;
                chain.on_slot_start(next).await;
                let prepare_at = clock.start_of_ms(next)
                    + clock.slot_duration().as_millis() as u64 * PREPARE_NEXT_SLOT_AT_PER_MILLE
                        / 1000;
                let wait = prepare_at.saturating_sub(clock.now_ms());
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                chain.prepare_slot(next + 1).await;
            }
        })
    }
}
