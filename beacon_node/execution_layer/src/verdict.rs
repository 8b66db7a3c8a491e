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

    /// A `forkchoiceUpdated` answer on the head: if INVALID, the payloads of `chain_from_head` (the
    /// head's execution block hash, then its ancestors', newest first) that it invalidates (see
    /// [`invalidated_by`]) disable the builders that produced them.
    pub fn on_forkchoice_status(
        &self,
        status: &PayloadStatusV1,
        chain_from_head: &[ExecutionBlockHash],
    ) -> Vec<DisabledBuilder> {
        self.on_invalidated_block_hashes(invalidated_by(status, chain_from_head))
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

/// The payloads an INVALID `status` condemns among `chain_from_head` (newest first), per the engine
/// API's payload validation: every descendant of `latestValidHash` (all of them when it is the zero
/// hash or not among them); only the head when `latestValidHash` is null (the valid ancestor is
/// unknown). Nothing when the status is not INVALID.
pub fn invalidated_by<'a>(
    status: &PayloadStatusV1,
    chain_from_head: &'a [ExecutionBlockHash],
) -> &'a [ExecutionBlockHash] {
    if !status.is_invalid() {
        return &[];
    }
    match status.latest_valid_hash {
        None => chain_from_head.get(..1).unwrap_or_default(),
        Some(valid) => {
            let end = chain_from_head
                .iter()
                .position(|hash| *hash == valid)
                .unwrap_or(chain_from_head.len());
            chain_from_head.get(..end).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_api::PayloadStatusKind;

    fn status(
        kind: PayloadStatusKind,
        latest_valid_hash: Option<ExecutionBlockHash>,
    ) -> PayloadStatusV1 {
        PayloadStatusV1 {
            status: kind,
            latest_valid_hash,
            validation_error: None,
        }
    }

    #[test]
    fn descendants_of_the_latest_valid_hash_are_invalidated() {
        let chain: Vec<ExecutionBlockHash> = (1..=4).rev().map(Hash256::repeat_byte).collect();
        let invalid = |lvh| invalidated_by(&status(PayloadStatusKind::Invalid, lvh), &chain);
        // Head 4, 3, 2, 1: block 2 is the last valid one.
        assert_eq!(invalid(Some(Hash256::repeat_byte(2))), &chain[..2]);
        // The head itself is the last valid one: nothing.
        assert!(invalid(Some(Hash256::repeat_byte(4))).is_empty());
        // Zero or unknown: the whole chain given.
        assert_eq!(invalid(Some(Hash256::ZERO)), &chain[..]);
        // Null: only the head is known to be invalid.
        assert_eq!(invalid(None), &chain[..1]);
        assert!(invalidated_by(&status(PayloadStatusKind::Invalid, None), &[]).is_empty());
        // INVALID_BLOCK_HASH counts; VALID and SYNCING do not.
        assert_eq!(
            invalidated_by(&status(PayloadStatusKind::InvalidBlockHash, None), &chain),
            &chain[..1]
        );
        for kind in [PayloadStatusKind::Valid, PayloadStatusKind::Syncing] {
            assert!(invalidated_by(&status(kind, None), &chain).is_empty());
        }
    }
}
