//! `process_execution_payload` (Capella; Deneb's blob limit; Electra/Fulu's per-fork blob limit).

use super::body::BlockBody;
use crate::common::{compute_epoch_at_slot, get_current_epoch, get_randao_mix, safe_add, safe_mul};
use crate::{ensure, Result, StateError};
use types::{BeaconState, ChainSpec, EthSpec, ExecutionPayloadHeader, Slot, GENESIS_SLOT};

/// `compute_time_at_slot`: `genesis_time + (slot - GENESIS_SLOT) * SLOT_DURATION_MS // 1000`.
pub fn compute_time_at_slot<E: EthSpec>(
    state: &BeaconState<E>,
    slot: Slot,
    spec: &ChainSpec,
) -> Result<u64> {
    let slots_since_genesis = slot.checked_sub(GENESIS_SLOT).ok_or(StateError::Overflow)?;
    safe_add(
        state.genesis_time(),
        safe_mul(slots_since_genesis, spec.slot_duration_ms)? / 1000,
    )
}

/// `process_execution_payload`: the payload builds on the latest header, carries the current RANDAO mix
/// and the slot's timestamp, the body has at most the fork's blob limit of commitments, and the engine
/// found it valid (`payload_valid`, the verdict of `verify_and_notify_new_payload`); then cache its
/// header. Works from the header alone, so a blinded body is processed the same way.
pub fn process_execution_payload<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    body: &B,
    payload_valid: bool,
    spec: &ChainSpec,
) -> Result<()> {
    let header = body.execution_payload_header();
    let latest_block_hash = state.latest_execution_payload_header().block_hash();
    ensure!(
        header.parent_hash() == latest_block_hash,
        "payload parent hash {} != latest block hash {latest_block_hash}",
        header.parent_hash()
    );
    let randao_mix = get_randao_mix(state, get_current_epoch(state))?;
    ensure!(
        header.prev_randao() == randao_mix,
        "payload prev_randao {} != randao mix {randao_mix}",
        header.prev_randao()
    );
    let time = compute_time_at_slot(state, state.slot(), spec)?;
    ensure!(
        header.timestamp() == time,
        "payload timestamp {} != slot time {time}",
        header.timestamp()
    );
    if let Some(commitments) = body.blob_kzg_commitments() {
        let max = spec.max_blobs_per_block(compute_epoch_at_slot::<E>(state.slot()));
        ensure!(
            commitments.len() as u64 <= max,
            "{} blob commitments exceed the limit of {max}",
            commitments.len()
        );
    }
    ensure!(payload_valid, "the execution engine rejected the payload");
    match (state, header) {
        (BeaconState::Capella(s), ExecutionPayloadHeader::Capella(h)) => {
            s.latest_execution_payload_header = h
        }
        (BeaconState::Deneb(s), ExecutionPayloadHeader::Deneb(h)) => {
            s.latest_execution_payload_header = h
        }
        (BeaconState::Electra(s), ExecutionPayloadHeader::Electra(h)) => {
            s.latest_execution_payload_header = h
        }
        (BeaconState::Fulu(s), ExecutionPayloadHeader::Fulu(h)) => {
            s.latest_execution_payload_header = h
        }
        _ => return Err(StateError::IncorrectFork),
    }
    Ok(())
}
