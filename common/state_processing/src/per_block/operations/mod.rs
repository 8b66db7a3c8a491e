//! `process_operations` and each operation.

mod attestation;
mod bls_to_execution_change;
mod deposit;
mod execution_requests;
mod slashings;
mod voluntary_exit;

pub use attestation::process_attestation;
pub use bls_to_execution_change::process_bls_to_execution_change;
pub use deposit::{apply_deposit, process_deposit};
pub use execution_requests::{
    process_consolidation_request, process_deposit_request, process_withdrawal_request,
};
pub use slashings::{process_attester_slashing, process_proposer_slashing};
pub use voluntary_exit::process_voluntary_exit;

use super::body::{Attestations, AttesterSlashings, BlockBody};
use super::signatures::SignatureVerifier;
use crate::caches::StateCaches;
use crate::common::attestation::AttestationRef;
use crate::common::IndexedAttestationRef;
use crate::{ensure, Result};
use types::{BeaconState, ChainSpec, EthSpec};

/// `process_operations`: the deposit count check (Electra: up to `deposit_requests_start_index`; Fulu:
/// no eth1-bridge deposits at all), then every operation in the spec's order.
pub fn process_operations<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    body: &B,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    let fork = state.fork_name();
    let deposits = body.deposits().len() as u64;
    if fork.fulu_enabled() {
        ensure!(deposits == 0, "Fulu blocks carry no eth1-bridge deposits");
    } else {
        let mut limit = state.eth1_data().deposit_count;
        if fork.electra_enabled() {
            limit = limit.min(state.deposit_requests_start_index()?);
        }
        let expected =
            E::MaxDeposits::to_u64().min(limit.saturating_sub(state.eth1_deposit_index()));
        ensure!(
            deposits == expected,
            "{deposits} deposits, expected {expected}"
        );
    }

    process_proposer_slashings(state, body, verifier, caches, spec)?;
    process_attester_slashings(state, body, verifier, caches, spec)?;
    process_attestations(state, body, verifier, caches)?;
    for op in body.deposits() {
        process_deposit(state, op, caches, spec)?;
    }
    for op in body.voluntary_exits() {
        process_voluntary_exit(state, op, verifier, spec)?;
    }
    for op in body.bls_to_execution_changes() {
        process_bls_to_execution_change(state, op, verifier, spec)?;
    }
    if let Some(requests) = body.execution_requests() {
        for op in requests.deposits.iter() {
            process_deposit_request(state, op)?;
        }
        for op in requests.withdrawals.iter() {
            process_withdrawal_request(state, op, caches, spec)?;
        }
        for op in requests.consolidations.iter() {
            process_consolidation_request(state, op, caches, spec)?;
        }
    }
    Ok(())
}

use types::ssz_types::typenum::Unsigned;

/// `process_operations`' proposer slashings, in order.
pub fn process_proposer_slashings<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    body: &B,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    for op in body.proposer_slashings() {
        process_proposer_slashing(state, op, verifier, caches, spec)?;
    }
    Ok(())
}

/// `process_operations`' attester slashings, in order.
pub fn process_attester_slashings<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    body: &B,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    match body.attester_slashings() {
        AttesterSlashings::Base(ops) => {
            for op in ops {
                process_attester_slashing(
                    state,
                    IndexedAttestationRef::Base(&op.attestation_1),
                    IndexedAttestationRef::Base(&op.attestation_2),
                    verifier,
                    caches,
                    spec,
                )?;
            }
        }
        AttesterSlashings::Electra(ops) => {
            for op in ops {
                process_attester_slashing(
                    state,
                    IndexedAttestationRef::Electra(&op.attestation_1),
                    IndexedAttestationRef::Electra(&op.attestation_2),
                    verifier,
                    caches,
                    spec,
                )?;
            }
        }
    }
    Ok(())
}

/// `process_operations`' attestations, in order.
pub fn process_attestations<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    body: &B,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
) -> Result<()> {
    match body.attestations() {
        Attestations::Base(ops) => {
            for op in ops {
                process_attestation(state, AttestationRef::Base(op), verifier, caches)?;
            }
        }
        Attestations::Electra(ops) => {
            for op in ops {
                process_attestation(state, AttestationRef::Electra(op), verifier, caches)?;
            }
        }
    }
    Ok(())
}
