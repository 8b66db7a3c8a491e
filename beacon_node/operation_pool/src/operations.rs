//! Proposer and attester slashings, voluntary exits and BLS-to-execution changes: checked on entry by
//! running the spec's `process_*` on a copy of the head state (so every check is the spec's own), kept
//! one per validator (slashings: one per proposer, or per distinct slashing), and packed by running
//! them again, in block order, on a copy of the block's pre-state.

use crate::containers::AttesterSlashing;
use crate::error::{InsertOutcome, OperationError};
use parking_lot::RwLock;
use state_processing::common::{get_current_epoch, is_slashable_validator, BLS_WITHDRAWAL_PREFIX};
use state_processing::per_block::{
    process_attester_slashing, process_bls_to_execution_change, process_proposer_slashing,
    process_voluntary_exit, SignatureVerifier, VerifySignatures,
};
use state_processing::{StateCaches, StateError};
use std::collections::HashMap;
use types::ssz_types::typenum::Unsigned;
use types::ssz_types::VariableList;
use types::{
    AttesterSlashingElectra, BeaconState, ChainSpec, EthSpec, IndexedAttestationElectra,
    ProposerSlashing, Root, SignedBlsToExecutionChange, SignedVoluntaryExit, ValidatorIndex,
    FAR_FUTURE_EPOCH,
};

/// The most attester slashings kept (each names up to a slot's attesters; real ones are rare).
pub const MAX_ATTESTER_SLASHINGS_KEPT: usize = 256;

/// A block's slashings, exits and changes, valid together at the block's slot in block order.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockOperations<E: EthSpec> {
    pub proposer_slashings: Vec<ProposerSlashing>,
    /// In the block's fork shape (pre-Electra ones are widened for Electra blocks).
    pub attester_slashings: Vec<AttesterSlashing<E>>,
    pub voluntary_exits: Vec<SignedVoluntaryExit>,
    pub bls_to_execution_changes: Vec<SignedBlsToExecutionChange>,
}

impl<E: EthSpec> Default for BlockOperations<E> {
    fn default() -> Self {
        Self {
            proposer_slashings: vec![],
            attester_slashings: vec![],
            voluntary_exits: vec![],
            bls_to_execution_changes: vec![],
        }
    }
}

/// Kept operations; exits and changes remember their arrival order (first come, first packed).
#[derive(Debug)]
pub(crate) struct OperationsPool<E: EthSpec> {
    proposer_slashings: HashMap<ValidatorIndex, ProposerSlashing>,
    attester_slashings: HashMap<Root, AttesterSlashing<E>>,
    voluntary_exits: HashMap<ValidatorIndex, (u64, SignedVoluntaryExit)>,
    bls_changes: HashMap<ValidatorIndex, (u64, SignedBlsToExecutionChange)>,
    arrivals: u64,
}

impl<E: EthSpec> Default for OperationsPool<E> {
    fn default() -> Self {
        Self {
            proposer_slashings: HashMap::new(),
            attester_slashings: HashMap::new(),
            voluntary_exits: HashMap::new(),
            bls_changes: HashMap::new(),
            arrivals: 0,
        }
    }
}

/// A spec step failed: the signature's fault if it is about decoding or verifying a signature.
fn refusal(error: StateError) -> OperationError {
    match &error {
        StateError::InvalidBlock(m) if m.ends_with("does not decode") => {
            OperationError::InvalidSignature(error)
        }
        _ => OperationError::Invalid(error),
    }
}

/// Run `step` on copies of `state` and `caches` with every signature checked (one batch).
fn check<E: EthSpec>(
    state: &BeaconState<E>,
    caches: &StateCaches,
    step: impl FnOnce(
        &mut BeaconState<E>,
        &mut SignatureVerifier,
        &mut StateCaches,
    ) -> Result<(), StateError>,
) -> Result<(), OperationError> {
    let mut scratch = state.clone();
    let mut caches = caches.clone();
    let mut verifier = SignatureVerifier::new(VerifySignatures::Batch)
        .with_decompressed_pubkeys(caches.decompressed_pubkeys.clone());
    step(&mut scratch, &mut verifier, &mut caches).map_err(refusal)?;
    verifier.finish().map_err(OperationError::InvalidSignature)
}

/// Apply `step` (signatures skipped: checked on entry) to `state` if it succeeds; leave it as it was if
/// not. Returns whether it applied.
fn try_apply<E: EthSpec>(
    state: &mut BeaconState<E>,
    caches: &mut StateCaches,
    step: impl FnOnce(
        &mut BeaconState<E>,
        &mut SignatureVerifier,
        &mut StateCaches,
    ) -> Result<(), StateError>,
) -> bool {
    let mut trial = state.clone();
    let mut trial_caches = caches.clone();
    let mut verifier = SignatureVerifier::new(VerifySignatures::Skip);
    if step(&mut trial, &mut verifier, &mut trial_caches).is_ok() {
        *state = trial;
        *caches = trial_caches;
        true
    } else {
        false
    }
}

/// Keep `value` unless another insert got there while this one was verified.
fn keep<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) -> InsertOutcome {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(_) => InsertOutcome::AlreadyKnown,
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(value);
            InsertOutcome::New
        }
    }
}

fn expect_fork<E: EthSpec>(state: &BeaconState<E>, electra: bool) -> Result<(), OperationError> {
    let expected = state.fork_name();
    if expected.electra_enabled() != electra {
        let got = if electra {
            types::ForkName::Electra
        } else {
            types::ForkName::Deneb
        };
        return Err(OperationError::WrongFork { expected, got });
    }
    Ok(())
}

/// How many of `indices` `state` could still slash.
fn slashable_count<E: EthSpec>(state: &BeaconState<E>, indices: &[ValidatorIndex]) -> usize {
    let epoch = get_current_epoch(state);
    indices
        .iter()
        .filter(|&&i| {
            state
                .validators()
                .get(i as usize)
                .is_some_and(|v| is_slashable_validator(v, epoch))
        })
        .count()
}

/// Electra's shape of a slashing (pre-Electra index lists fit Electra's wider ones).
fn to_electra<E: EthSpec>(slashing: &AttesterSlashing<E>) -> Option<AttesterSlashingElectra<E>> {
    match slashing {
        AttesterSlashing::Electra(s) => Some(s.clone()),
        AttesterSlashing::Base(s) => {
            let widen = |a: &types::IndexedAttestationBase<E>| {
                Some(IndexedAttestationElectra {
                    attesting_indices: VariableList::new(a.attesting_indices.to_vec()).ok()?,
                    data: a.data.clone(),
                    signature: a.signature,
                })
            };
            Some(AttesterSlashingElectra {
                attestation_1: widen(&s.attestation_1)?,
                attestation_2: widen(&s.attestation_2)?,
            })
        }
    }
}

impl<E: EthSpec> OperationsPool<E> {
    /// `process_proposer_slashing`'s checks, then keep (one per proposer).
    pub fn insert_proposer_slashing(
        pool: &RwLock<Self>,
        slashing: ProposerSlashing,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> Result<InsertOutcome, OperationError> {
        let proposer = slashing.signed_header_1.message.proposer_index;
        if pool.read().proposer_slashings.contains_key(&proposer) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        if slashable_count(state, &[proposer]) == 0
            && (proposer as usize) < state.validators().len()
        {
            return Err(OperationError::NothingSlashable);
        }
        check(state, caches, |s, v, c| {
            process_proposer_slashing(s, &slashing, v, c, spec)
        })?;
        Ok(keep(
            &mut pool.write().proposer_slashings,
            proposer,
            slashing,
        ))
    }

    /// `process_attester_slashing`'s checks, then keep (refused if nobody in it is still slashable).
    pub fn insert_attester_slashing(
        pool: &RwLock<Self>,
        slashing: AttesterSlashing<E>,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> Result<InsertOutcome, OperationError> {
        expect_fork(state, matches!(slashing, AttesterSlashing::Electra(_)))?;
        let root = slashing.tree_hash_root();
        if pool.read().attester_slashings.contains_key(&root) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        if slashable_count(state, &slashing.intersecting_indices()) == 0 {
            return Err(OperationError::NothingSlashable);
        }
        if pool.read().attester_slashings.len() >= MAX_ATTESTER_SLASHINGS_KEPT {
            return Err(OperationError::PoolFull);
        }
        let (a, b) = slashing.attestations();
        check(state, caches, |s, v, c| {
            process_attester_slashing(s, a, b, v, c, spec)
        })?;
        Ok(keep(&mut pool.write().attester_slashings, root, slashing))
    }

    /// `process_voluntary_exit`'s checks, then keep (one per validator).
    pub fn insert_voluntary_exit(
        pool: &RwLock<Self>,
        exit: SignedVoluntaryExit,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> Result<InsertOutcome, OperationError> {
        let index = exit.message.validator_index;
        if pool.read().voluntary_exits.contains_key(&index) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        check(state, caches, |s, v, _| {
            process_voluntary_exit(s, &exit, v, spec)
        })?;
        let mut pool = pool.write();
        pool.arrivals += 1;
        let arrival = pool.arrivals;
        Ok(keep(&mut pool.voluntary_exits, index, (arrival, exit)))
    }

    /// `process_bls_to_execution_change`'s checks, then keep (one per validator).
    pub fn insert_bls_to_execution_change(
        pool: &RwLock<Self>,
        change: SignedBlsToExecutionChange,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> Result<InsertOutcome, OperationError> {
        let index = change.message.validator_index;
        if pool.read().bls_changes.contains_key(&index) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        check(state, caches, |s, v, _| {
            process_bls_to_execution_change(s, &change, v, spec)
        })?;
        let mut pool = pool.write();
        pool.arrivals += 1;
        let arrival = pool.arrivals;
        Ok(keep(&mut pool.bls_changes, index, (arrival, change)))
    }

    /// The operations for a block at `state.slot()`: each kept one that still applies, in block order,
    /// on top of the ones chosen before it, up to the fork's `MAX_*`. Attester slashings go greedily by
    /// how many validators each still slashes.
    pub fn operations_for_block(
        &self,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> BlockOperations<E> {
        let mut scratch = state.clone();
        let mut caches = caches.clone();
        let mut out = BlockOperations::default();
        let electra = state.fork_name().electra_enabled();

        let mut proposer: Vec<_> = self.proposer_slashings.iter().collect();
        proposer.sort_by_key(|(i, _)| **i);
        for (_, slashing) in proposer {
            if out.proposer_slashings.len() >= E::MaxProposerSlashings::to_usize() {
                break;
            }
            if try_apply(&mut scratch, &mut caches, |s, v, c| {
                process_proposer_slashing(s, slashing, v, c, spec)
            }) {
                out.proposer_slashings.push(slashing.clone());
            }
        }

        let limit = if electra {
            E::MaxAttesterSlashingsElectra::to_usize()
        } else {
            E::MaxAttesterSlashings::to_usize()
        };
        let mut remaining: Vec<AttesterSlashing<E>> = self
            .attester_slashings
            .values()
            .filter_map(|s| match (electra, s) {
                (true, _) => to_electra(s).map(AttesterSlashing::Electra),
                (false, AttesterSlashing::Base(_)) => Some(s.clone()),
                (false, AttesterSlashing::Electra(_)) => None,
            })
            .collect();
        remaining.sort_by_key(|s| s.tree_hash_root());
        while out.attester_slashings.len() < limit {
            let best = remaining
                .iter()
                .enumerate()
                .map(|(i, s)| (i, slashable_count(&scratch, &s.intersecting_indices())))
                .filter(|(_, n)| *n > 0)
                .max_by_key(|(i, n)| (*n, std::cmp::Reverse(*i)));
            let Some((i, _)) = best else { break };
            let slashing = remaining.swap_remove(i);
            let (a, b) = slashing.attestations();
            if try_apply(&mut scratch, &mut caches, |s, v, c| {
                process_attester_slashing(s, a, b, v, c, spec)
            }) {
                out.attester_slashings.push(slashing);
            }
        }

        let mut exits: Vec<_> = self.voluntary_exits.values().collect();
        exits.sort_by_key(|(arrival, _)| *arrival);
        for (_, exit) in exits {
            if out.voluntary_exits.len() >= E::MaxVoluntaryExits::to_usize() {
                break;
            }
            if try_apply(&mut scratch, &mut caches, |s, v, _| {
                process_voluntary_exit(s, exit, v, spec)
            }) {
                out.voluntary_exits.push(exit.clone());
            }
        }

        let mut changes: Vec<_> = self.bls_changes.values().collect();
        changes.sort_by_key(|(arrival, _)| *arrival);
        for (_, change) in changes {
            if out.bls_to_execution_changes.len() >= E::MaxBlsToExecutionChanges::to_usize() {
                break;
            }
            if try_apply(&mut scratch, &mut caches, |s, v, _| {
                process_bls_to_execution_change(s, change, v, spec)
            }) {
                out.bls_to_execution_changes.push(change.clone());
            }
        }
        out
    }

    /// Forget what `state` (the head, or the finalized state) shows is done or can no longer apply:
    /// slashings of validators no longer slashable, exits of validators already exiting, changes of
    /// validators whose credentials are no longer BLS ones.
    pub fn prune(&mut self, state: &BeaconState<E>) {
        let validators = state.validators();
        self.proposer_slashings
            .retain(|&i, _| slashable_count(state, &[i]) > 0);
        self.attester_slashings
            .retain(|_, s| slashable_count(state, &s.intersecting_indices()) > 0);
        self.voluntary_exits.retain(|&i, _| {
            validators
                .get(i as usize)
                .is_none_or(|v| v.exit_epoch == FAR_FUTURE_EPOCH)
        });
        self.bls_changes.retain(|&i, _| {
            validators
                .get(i as usize)
                .is_none_or(|v| v.withdrawal_credentials[0] == BLS_WITHDRAWAL_PREFIX)
        });
    }

    pub fn proposer_slashings(&self) -> Vec<ProposerSlashing> {
        let mut out: Vec<_> = self.proposer_slashings.iter().collect();
        out.sort_by_key(|(i, _)| **i);
        out.into_iter().map(|(_, s)| s.clone()).collect()
    }

    pub fn attester_slashings(&self) -> Vec<AttesterSlashing<E>> {
        self.attester_slashings.values().cloned().collect()
    }

    pub fn voluntary_exits(&self) -> Vec<SignedVoluntaryExit> {
        let mut out: Vec<_> = self.voluntary_exits.values().collect();
        out.sort_by_key(|(arrival, _)| *arrival);
        out.into_iter().map(|(_, e)| e.clone()).collect()
    }

    pub fn bls_to_execution_changes(&self) -> Vec<SignedBlsToExecutionChange> {
        let mut out: Vec<_> = self.bls_changes.values().collect();
        out.sort_by_key(|(arrival, _)| *arrival);
        out.into_iter().map(|(_, c)| c.clone()).collect()
    }
}
