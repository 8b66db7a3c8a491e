//! Verdicts: the execution engine's judgement of imported payloads, fed to the faulty-builder registry
//! (seed 004). A builder whose payload is INVALID is disabled until restart and asked no more.
//!
//! Blame is fair: an INVALID answer names, through its `latestValidHash`, the last valid ancestor, so
//! the payload that is actually invalid is the first descendant of that hash. Its builders (every one
//! that offered it) are blamed; a builder whose block merely sits on top of someone else's invalid
//! payload is not.

use crate::registry::{DisabledBuilder, InvalidPayloadId};
use crate::ExecutionLayer;
use engine_api::PayloadStatusV1;
use types::{EthSpec, ExecutionBlockHash, Hash256};

impl<E: EthSpec> ExecutionLayer<E> {
    /// The engine found the payload `id` INVALID: every builder that offered it is logged at ERROR
    /// and disabled until restart; returns them (none when no builder produced it).
    pub fn on_invalid_payload(&self, id: InvalidPayloadId) -> Vec<DisabledBuilder> {
        let disabled = self.registry.on_invalid_payload(id);
        for entry in &disabled {
            if let Some(builder) = self.builders.iter().find(|b| b.name == entry.builder) {
                builder.record.lock().counters.invalid_payloads += 1;
            } else if let Some(builder) =
                self.full_builders.iter().find(|b| b.name == entry.builder)
            {
                builder.record.lock().counters.invalid_payloads += 1;
            }
            self.metrics
                .invalid_payloads
                .with_label_values(&[&entry.builder])
                .inc();
            self.note_disabled(entry);
        }
        disabled
    }

    /// The `newPayload` verdict on the payload of block `block_root` at import. `chain` is the
    /// block's execution block hash, then its ancestors' (newest first, at least the parent's). An
    /// INVALID (or INVALID_BLOCK_HASH) status blames the payload [`invalid_payload_culprit`] names:
    /// this block's, or an ancestor's when `latestValidHash` lies below the parent.
    pub fn on_new_payload_status(
        &self,
        block_root: Hash256,
        status: &PayloadStatusV1,
        chain: &[ExecutionBlockHash],
    ) -> Vec<DisabledBuilder> {
        let Some(culprit) = invalid_payload_culprit(status, chain) else {
            if status.is_invalid() {
                tracing::warn!(%block_root, latest_valid_hash = ?status.latest_valid_hash, "INVALID payload whose latest valid hash is not among its known ancestors: no builder blamed");
            }
            return Vec::new();
        };
        if chain.first() == Some(&culprit) {
            self.on_invalid_payload(InvalidPayloadId::BlockRoot(block_root))
        } else {
            self.on_invalid_payload(InvalidPayloadId::ExecutionBlockHash(culprit))
        }
    }

    /// A `forkchoiceUpdated` answer on the head. `chain_from_head` is the head's execution block
    /// hash, then its ancestors' (newest first). If INVALID, the payload that is actually invalid (see
    /// [`invalid_payload_culprit`]) blames its builders; the descendants it condemns (see
    /// [`invalidated_by`], for fork choice) blame no one.
    pub fn on_forkchoice_status(
        &self,
        status: &PayloadStatusV1,
        chain_from_head: &[ExecutionBlockHash],
    ) -> Vec<DisabledBuilder> {
        match invalid_payload_culprit(status, chain_from_head) {
            Some(culprit) => self.on_invalid_payload(InvalidPayloadId::ExecutionBlockHash(culprit)),
            None => {
                if status.is_invalid() {
                    tracing::warn!(latest_valid_hash = ?status.latest_valid_hash, "INVALID head whose latest valid hash is not among its known ancestors: no builder blamed");
                }
                Vec::new()
            }
        }
    }
}

/// The payloads an INVALID `status` condemns among `chain_from_head` (newest first), per the engine
/// API's payload validation: every descendant of `latestValidHash` (all of them when it is the zero
/// hash or not among them); only the head when `latestValidHash` is null (the valid ancestor is
/// unknown). Nothing when the status is not INVALID. This is what fork choice invalidates.
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

/// The payload an INVALID `status` proves invalid among `chain` (newest first): the first descendant
/// of `latestValidHash`; the newest payload when `latestValidHash` is null (the engine knows no valid
/// ancestor, and the payload it judged is the one in question). `None` when the status is not
/// INVALID, when `latestValidHash` is the newest payload itself (a contradiction), or when it is not
/// among `chain` (zero, or unknown): then the invalid payload cannot be told, and no builder is blamed
/// on a guess.
pub fn invalid_payload_culprit(
    status: &PayloadStatusV1,
    chain: &[ExecutionBlockHash],
) -> Option<ExecutionBlockHash> {
    if !status.is_invalid() {
        return None;
    }
    match status.latest_valid_hash {
        None => chain.first().copied(),
        Some(valid) => {
            let position = chain.iter().position(|hash| *hash == valid)?;
            position.checked_sub(1).map(|culprit| chain[culprit])
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

    /// Head 4, then 3, 2, 1.
    fn chain() -> Vec<ExecutionBlockHash> {
        (1..=4).rev().map(Hash256::repeat_byte).collect()
    }

    #[test]
    fn descendants_of_the_latest_valid_hash_are_invalidated() {
        let chain = chain();
        let invalid = |lvh| invalidated_by(&status(PayloadStatusKind::Invalid, lvh), &chain);
        // Block 2 is the last valid one.
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

    #[test]
    fn only_the_first_descendant_of_the_latest_valid_hash_is_the_culprit() {
        let chain = chain();
        let culprit =
            |lvh| invalid_payload_culprit(&status(PayloadStatusKind::Invalid, lvh), &chain);
        // Last valid 2: 3 is invalid, and 4 only inherits it.
        assert_eq!(culprit(Some(Hash256::repeat_byte(2))), Some(chain[1]));
        // Last valid 3 (the head's parent): the head itself.
        assert_eq!(culprit(Some(Hash256::repeat_byte(3))), Some(chain[0]));
        // Null: the payload judged.
        assert_eq!(culprit(None), Some(chain[0]));
        // The head named valid, zero or unknown: no culprit can be told.
        assert_eq!(culprit(Some(Hash256::repeat_byte(4))), None);
        assert_eq!(culprit(Some(Hash256::ZERO)), None);
        assert_eq!(culprit(Some(Hash256::repeat_byte(9))), None);
        // Not INVALID: none.
        assert_eq!(
            invalid_payload_culprit(&status(PayloadStatusKind::Syncing, None), &chain),
            None
        );
        assert_eq!(
            invalid_payload_culprit(&status(PayloadStatusKind::InvalidBlockHash, None), &chain),
            Some(chain[0])
        );
    }
}
