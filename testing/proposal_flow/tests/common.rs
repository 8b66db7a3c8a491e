//! Assertions shared by the scenarios.

use proposal_flow::{Outcome, SlotResult, Source};

/// The slot was imported from `source`: the blinded and the full block reached the same post-state
/// root (the block's), and the EE found the payload VALID. Returns the block's payload hash.
pub fn assert_imported(outcome: &Outcome, source: &Source) -> types::ExecutionBlockHash {
    assert_eq!(
        &outcome.source, source,
        "slot {}: {outcome:?}",
        outcome.slot
    );
    match &outcome.result {
        SlotResult::Imported {
            blinded_state_root,
            full_state_root,
            verdict,
            execution_block_hash,
            ..
        } => {
            assert_eq!(blinded_state_root, full_state_root, "slot {}", outcome.slot);
            assert_eq!(*verdict, engine_api::PayloadStatusKind::Valid);
            *execution_block_hash
        }
        other => panic!("slot {}: expected an import, got {other:?}", outcome.slot),
    }
}
