//! The local payload: forkchoiceUpdated with the proposal's attributes, then getPayload. The node can
//! start the build a slot early ([`ExecutionLayer::prepare_payload`]); the proposal then fetches the
//! payload the engine has been filling since, instead of starting a near-empty one.

use crate::blobs::{BlobsBundle, BlobsBundleError};
use crate::chain::PayloadRequest;
use crate::ExecutionLayer;
use engine_api::{EngineError, ForkchoiceStateV1, PayloadAttributes, PayloadId, PayloadStatusKind};
use std::collections::VecDeque;
use tree_hash::TreeHash;
use types::{
    EthSpec, ExecutionBlockHash, ExecutionPayload, ExecutionRequests, ForkName, Hash256, Slot, U256,
};

/// A payload built by the local execution engine.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalPayload<E: EthSpec> {
    /// The payload the engine built.
    pub payload: ExecutionPayload<E>,
    /// Wei to the fee recipient.
    pub block_value: U256,
    /// From Deneb on.
    pub blobs_bundle: Option<BlobsBundle<E>>,
    /// From Electra on.
    pub execution_requests: Option<ExecutionRequests<E>>,
    /// The engine's hint that the builders' blocks may be censoring.
    pub should_override_builder: bool,
}

impl<E: EthSpec> LocalPayload<E> {
    /// `hash_tree_root` of the payload, equal to its header's: the key of the local payload cache, so
    /// that a local payload served blinded can be unblinded.
    pub fn header_root(&self) -> Hash256 {
        self.payload.tree_hash_root()
    }
}

/// Why the local engine gave no payload.
#[derive(Debug, thiserror::Error)]
pub enum LocalPayloadError {
    /// A failed engine call.
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("forkchoiceUpdated answered {status:?} without a payload id: {error}")]
    /// The engine did not start a build (syncing, or the head is invalid).
    NoPayloadId {
        /// The head's payload status.
        status: PayloadStatusKind,
        /// The engine's `latestValidHash`, for an INVALID head.
        latest_valid_hash: Option<ExecutionBlockHash>,
        /// The engine's validation error, if any.
        error: String,
    },
    /// The engine's blobs bundle does not fit the consensus types.
    #[error("the engine's blobs bundle: {0}")]
    Blobs(#[from] BlobsBundleError),
    /// The proposal's deadline for the local payload passed before the engine answered while a valid
    /// builder bid was at hand, so the local payload was given up for that bid.
    #[error("no local payload by the proposal's deadline; a valid builder bid stands in")]
    DeadlinePassed,
}

impl LocalPayloadError {
    /// The engine was unreachable, or too slow for the proposal: nothing says the parent is unsafe, so
    /// a valid builder bid may stand in. Every other failure (an engine that answers SYNCING or
    /// INVALID, or answers wrongly) keeps the builders out too.
    pub fn engine_unavailable(&self) -> bool {
        match self {
            Self::Engine(error) => error.is_unreachable(),
            Self::DeadlinePassed => true,
            Self::NoPayloadId { .. } | Self::Blobs(_) => false,
        }
    }

    /// The engine's verdict on the parent when it refused to build on it (SYNCING, ACCEPTED,
    /// INVALID): a builder's payload must not be used on that parent either.
    pub fn unsafe_parent(&self) -> Option<PayloadStatusKind> {
        match self {
            Self::NoPayloadId { status, .. } if *status != PayloadStatusKind::Valid => {
                Some(*status)
            }
            _ => None,
        }
    }
}

/// Builds started ahead of their proposal, by the attributes they were started with.
#[derive(Debug, Default)]
pub(crate) struct PreparedPayloads {
    entries: VecDeque<Prepared>,
}

#[derive(Debug)]
struct Prepared {
    slot: Slot,
    fork: ForkName,
    parent_hash: ExecutionBlockHash,
    attributes: PayloadAttributes,
    payload_id: PayloadId,
}

/// The prepared builds kept at most (a few per slot for re-orgs of the head).
const MAX_PREPARED: usize = 16;

impl PreparedPayloads {
    fn insert(&mut self, prepared: Prepared) {
        self.entries.retain(|p| {
            !(p.fork == prepared.fork
                && p.parent_hash == prepared.parent_hash
                && p.attributes == prepared.attributes)
        });
        self.entries.retain(|p| p.slot + 2 >= prepared.slot);
        self.entries.push_back(prepared);
        while self.entries.len() > MAX_PREPARED {
            self.entries.pop_front();
        }
    }

    fn take(
        &mut self,
        fork: ForkName,
        parent_hash: ExecutionBlockHash,
        attributes: &PayloadAttributes,
    ) -> Option<PayloadId> {
        let position = self.entries.iter().position(|p| {
            p.fork == fork && p.parent_hash == parent_hash && p.attributes == *attributes
        })?;
        self.entries.remove(position).map(|p| p.payload_id)
    }
}

fn attributes(request: &PayloadRequest) -> PayloadAttributes {
    PayloadAttributes::new(
        request.fork,
        request.timestamp,
        request.prev_randao,
        request.suggested_fee_recipient,
        &request.withdrawals,
        request.parent_beacon_block_root,
    )
}

impl<E: EthSpec> ExecutionLayer<E> {
    /// Starts the local build of a coming proposal (forkchoiceUpdated with its attributes), so that
    /// the engine fills the payload while the slot runs; [`ExecutionLayer::get_payload`] with the same
    /// request then fetches that payload instead of starting a new one. The node calls this when it
    /// knows the next slot's proposer (about a slot ahead). Returns the engine's payload id. Engine
    /// builders get the same forkchoiceUpdated (with the registered fee recipient), in the background.
    pub async fn prepare_payload(
        &self,
        request: &PayloadRequest,
    ) -> Result<PayloadId, LocalPayloadError> {
        self.prepare_engine_builders(request);
        let attributes = attributes(request);
        let payload_id = self.start_build(request, &attributes).await?;
        self.prepared.lock().insert(Prepared {
            slot: request.slot,
            fork: request.fork,
            parent_hash: request.parent_hash,
            attributes,
            payload_id,
        });
        tracing::debug!(slot = request.slot, payload_id = %payload_id, "local build started ahead of the proposal");
        Ok(payload_id)
    }

    /// forkchoiceUpdated with `attributes`: the payload id of the build it starts.
    async fn start_build(
        &self,
        request: &PayloadRequest,
        attributes: &PayloadAttributes,
    ) -> Result<PayloadId, LocalPayloadError> {
        let state = ForkchoiceStateV1 {
            head_block_hash: request.parent_hash,
            safe_block_hash: request.safe_block_hash,
            finalized_block_hash: request.finalized_block_hash,
        };
        let response = self
            .engine
            .forkchoice_updated(request.fork, state, Some(attributes))
            .await?;
        response
            .payload_id
            .ok_or_else(|| LocalPayloadError::NoPayloadId {
                status: response.payload_status.status,
                latest_valid_hash: response.payload_status.latest_valid_hash,
                error: response.payload_status.validation_error.unwrap_or_default(),
            })
    }

    /// The local payload of a proposal: from the build [`Self::prepare_payload`] started, when one
    /// matches; else forkchoiceUpdated with the attributes, then getPayload.
    pub(crate) async fn local_payload(
        &self,
        request: &PayloadRequest,
    ) -> Result<LocalPayload<E>, LocalPayloadError> {
        let fork = request.fork;
        let attributes = attributes(request);
        let prepared = self
            .prepared
            .lock()
            .take(fork, request.parent_hash, &attributes);
        if let Some(payload_id) = prepared {
            match self.fetch(fork, payload_id).await {
                Ok(local) => return Ok(local),
                // An engine that forgot the build (restarted, or pruned it) is asked to start again.
                Err(LocalPayloadError::Engine(error)) if !error.is_unreachable() => {
                    tracing::warn!(slot = request.slot, %error, "the prepared build is gone; starting a new one");
                }
                Err(error) => return Err(error),
            }
        }
        let payload_id = self.start_build(request, &attributes).await?;
        self.fetch(fork, payload_id).await
    }

    async fn fetch(
        &self,
        fork: ForkName,
        payload_id: PayloadId,
    ) -> Result<LocalPayload<E>, LocalPayloadError> {
        let built = self.engine.get_payload::<E>(fork, payload_id).await?;
        let blobs_bundle = built
            .blobs_bundle
            .as_ref()
            .map(|bundle| BlobsBundle::from_engine(fork, bundle))
            .transpose()?;
        Ok(LocalPayload {
            payload: built.payload,
            block_value: built.block_value,
            blobs_bundle,
            execution_requests: built.execution_requests,
            should_override_builder: built.should_override_builder,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(slot: Slot, parent: u8, timestamp: u64) -> Prepared {
        Prepared {
            slot,
            fork: ForkName::Electra,
            parent_hash: Hash256::repeat_byte(parent),
            attributes: PayloadAttributes::new(
                ForkName::Electra,
                timestamp,
                Hash256::ZERO,
                Default::default(),
                &[],
                Hash256::ZERO,
            ),
            payload_id: PayloadId::from(timestamp),
        }
    }

    #[test]
    fn a_prepared_build_is_taken_once_and_only_for_its_attributes() {
        let mut cache = PreparedPayloads::default();
        let entry = prepared(5, 1, 60);
        let attributes = entry.attributes.clone();
        cache.insert(entry);
        assert_eq!(
            cache.take(ForkName::Electra, Hash256::repeat_byte(2), &attributes),
            None,
            "another parent"
        );
        assert_eq!(
            cache.take(ForkName::Deneb, Hash256::repeat_byte(1), &attributes),
            None,
            "another fork"
        );
        let other = prepared(5, 1, 61).attributes;
        assert_eq!(
            cache.take(ForkName::Electra, Hash256::repeat_byte(1), &other),
            None
        );
        assert_eq!(
            cache.take(ForkName::Electra, Hash256::repeat_byte(1), &attributes),
            Some(PayloadId::from(60u64))
        );
        assert_eq!(
            cache.take(ForkName::Electra, Hash256::repeat_byte(1), &attributes),
            None
        );
    }

    #[test]
    fn old_and_surplus_builds_are_dropped() {
        let mut cache = PreparedPayloads::default();
        cache.insert(prepared(1, 1, 10));
        cache.insert(prepared(10, 1, 100));
        assert_eq!(cache.entries.len(), 1, "slot 1 is too old for slot 10");
        for i in 0..40u64 {
            cache.insert(prepared(10, 2, 1_000 + i));
        }
        assert_eq!(cache.entries.len(), MAX_PREPARED);
    }
}
