//! Verdicts: the execution engine's judgement of imported payloads, fed to the faulty-builder registry
//! (seed 004). A builder whose payload is INVALID is disabled until restart and asked no more.

use crate::registry::{DisabledBuilder, InvalidPayloadId};
use crate::ExecutionLayer;
use engine_api::PayloadStatusV1;
use types::{EthSpec, ExecutionBlockHash, Hash256};

impl<E: EthSpec> ExecutionLayer<E> {
    /// The engine found a payload INVALID. If a builder produced it, logs an error naming the builder
    /// and the block and disables the builder until restart; returns it. Payloads no builder produced
    /// are ignored.
    pub fn on_invalid_payload(&self, id: InvalidPayloadId) -> Option<DisabledBuilder> {
        // The registry logs the error naming the builder and the block.
        let disabled = self.registry.on_invalid_payload(id)?;
        if let Some(builder) = self.builders.iter().find(|b| b.name == disabled.builder) {
            builder.record.lock().counters.invalid_payloads += 1;
        }
        self.metrics
            .invalid_payloads
            .with_label_values(&[&disabled.builder])
            .inc();
        self.metrics
            .builder_enabled
            .with_label_values(&[&disabled.builder])
            .set(0);
        Some(disabled)
    }

    /// The `newPayload` verdict on the payload of block `block_root` at import: an INVALID (or
    /// INVALID_BLOCK_HASH) status disables the builder that produced it, if any.
    pub fn on_new_payload_status(
        &self,
        block_root: Hash256,
        status: &PayloadStatusV1,
    ) -> Option<DisabledBuilder> {
        if status.is_invalid() {
            self.on_invalid_payload(InvalidPayloadId::BlockRoot(block_root))
        } else {
            None
        }
    }

    /// A `forkchoiceUpdated` answered INVALID with a `latestValidHash`: the caller passes the execution
    /// block hashes its fork choice invalidated (the descendants of `latestValidHash` on the head's
    /// chain). Each one a builder produced disables that builder.
    pub fn on_invalidated_block_hashes(
        &self,
        invalidated: &[ExecutionBlockHash],
    ) -> Vec<DisabledBuilder> {
        invalidated
            .iter()
            .filter_map(|hash| self.on_invalid_payload(InvalidPayloadId::ExecutionBlockHash(*hash)))
            .collect()
    }
}
