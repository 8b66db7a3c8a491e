//! The chain's events, in the beacon-API event-stream form (`GET /eth/v1/events`): each has its topic
//! and its JSON data. Subscribers get them through a broadcast channel; a slow subscriber loses the
//! oldest events rather than holding the chain back.

use serde::Serialize;
use tokio::sync::broadcast;
use types::{
    Checkpoint, Epoch, ExecutionBlockHash, Hash256, KzgCommitment, PayloadAttributesEnvelope, Slot,
};

/// Events kept for a subscriber that falls behind.
pub const EVENT_CHANNEL_CAPACITY: usize = 1024;

/// `head`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeadEvent {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub block: Hash256,
    pub state: Hash256,
    pub epoch_transition: bool,
    pub previous_duty_dependent_root: Hash256,
    pub current_duty_dependent_root: Hash256,
    pub execution_optimistic: bool,
}

/// `block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockEvent {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub block: Hash256,
    pub execution_optimistic: bool,
}

/// `finalized_checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FinalizedCheckpointEvent {
    pub block: Hash256,
    pub state: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub epoch: Epoch,
    pub execution_optimistic: bool,
}

/// `chain_reorg`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReorgEvent {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    pub depth: u64,
    pub old_head_block: Hash256,
    pub new_head_block: Hash256,
    pub old_head_state: Hash256,
    pub new_head_state: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub epoch: Epoch,
    pub execution_optimistic: bool,
}

/// `blob_sidecar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobSidecarEvent {
    pub block_root: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub kzg_commitment: KzgCommitment,
    pub versioned_hash: Hash256,
}

/// An event of the chain.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The head changed.
    Head(HeadEvent),
    /// A block was imported.
    Block(BlockEvent),
    /// The finalized checkpoint advanced.
    FinalizedCheckpoint(FinalizedCheckpointEvent),
    /// The new head is not a descendant of the old one.
    ChainReorg(ChainReorgEvent),
    /// The attributes of the next slot's payload, for relays and builders.
    PayloadAttributes(PayloadAttributesEnvelope),
    /// A blob sidecar of an imported block.
    BlobSidecar(BlobSidecarEvent),
    /// An operation accepted into a pool (`attestation`, `voluntary_exit`, `bls_to_execution_change`,
    /// ...), already in its beacon-API JSON form.
    Operation {
        /// The event topic.
        topic: &'static str,
        /// The operation's JSON.
        data: serde_json::Value,
    },
}

impl Event {
    /// The event-stream topic.
    pub fn topic(&self) -> &'static str {
        match self {
            Self::Head(_) => "head",
            Self::Block(_) => "block",
            Self::FinalizedCheckpoint(_) => "finalized_checkpoint",
            Self::ChainReorg(_) => "chain_reorg",
            Self::PayloadAttributes(_) => "payload_attributes",
            Self::BlobSidecar(_) => "blob_sidecar",
            Self::Operation { topic, .. } => topic,
        }
    }

    /// The event's `data` as the event stream carries it.
    pub fn data(&self) -> serde_json::Value {
        let value = match self {
            Self::Head(e) => serde_json::to_value(e),
            Self::Block(e) => serde_json::to_value(e),
            Self::FinalizedCheckpoint(e) => serde_json::to_value(e),
            Self::ChainReorg(e) => serde_json::to_value(e),
            Self::PayloadAttributes(e) => serde_json::to_value(e),
            Self::BlobSidecar(e) => serde_json::to_value(e),
            Self::Operation { data, .. } => Ok(data.clone()),
        };
        // These types serialise infallibly (no maps with non-string keys, no failing serialisers).
        value.unwrap_or(serde_json::Value::Null)
    }
}

/// The chain's event channel.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A channel of [`EVENT_CHANNEL_CAPACITY`].
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(EVENT_CHANNEL_CAPACITY);
        Self { sender }
    }

    /// A new subscription to every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Sends `event` to the subscribers, if any.
    pub fn send(&self, event: Event) {
        // No subscriber is no error.
        let _ = self.sender.send(event);
    }

    /// Whether anyone listens to events at all (to skip building them).
    pub fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0
    }
}

/// A checkpoint's pair for the `finalized_checkpoint` event.
pub fn finalized_event(
    checkpoint: Checkpoint,
    state_root: Hash256,
    optimistic: bool,
) -> FinalizedCheckpointEvent {
    FinalizedCheckpointEvent {
        block: checkpoint.root,
        state: state_root,
        epoch: checkpoint.epoch,
        execution_optimistic: optimistic,
    }
}

/// The versioned hash of a commitment, for the `blob_sidecar` event.
pub fn versioned_hash(commitment: &KzgCommitment) -> ExecutionBlockHash {
    kzg::kzg_to_versioned_hash(commitment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_as_the_event_stream_does() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        bus.send(Event::Block(BlockEvent {
            slot: 7,
            block: Hash256::repeat_byte(1),
            execution_optimistic: false,
        }));
        let event = rx.try_recv().unwrap();
        assert_eq!(event.topic(), "block");
        assert_eq!(event.data()["slot"], "7");
        assert_eq!(event.data()["execution_optimistic"], false);
    }
}
