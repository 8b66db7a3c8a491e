//! The beacon node's operation pools: attestations, slashings, exits, BLS-to-execution changes and sync
//! committee messages, each checked against a head state before it is kept, and packed for blocks.
//!
//! Every insert verifies synchronously (signatures included): call it from a blocking thread. The pool
//! is `Send + Sync`; each kind sits behind its own lock, held only to read or update the kept set, never
//! while verifying signatures. Callers pass the state to check against (the head state, or for block
//! production the parent's state advanced to the block's slot) and its [`StateCaches`] (empty caches
//! work, at the cost of recomputing committees).

mod attestation;
pub mod containers;
pub mod error;
mod max_cover;
mod operations;
mod packing;
mod sync;

#[cfg(test)]
mod tests;

pub use attestation::{MAX_AGGREGATES_PER_COMMITTEE, MAX_ATTESTATION_DATA};
pub use containers::*;
pub use error::{AttestationError, InsertOutcome, OperationError, SyncError};
pub use operations::{BlockOperations, MAX_ATTESTER_SLASHINGS_KEPT};
pub use sync::{is_sync_committee_aggregator, MAX_SYNC_KEYS, SYNC_SLOTS_KEPT};

use parking_lot::RwLock;
use state_processing::common::compute_epoch_at_slot;
use state_processing::{StateCaches, StateError};
use std::sync::Arc;
use types::{
    BeaconState, ChainSpec, CommitteeIndex, EthSpec, ProposerSlashing, Root,
    SignedBlsToExecutionChange, SignedVoluntaryExit, Slot, SyncAggregate,
};

/// The pools of one beacon node.
pub struct OperationPool<E: EthSpec> {
    spec: Arc<ChainSpec>,
    attestations: RwLock<attestation::AttestationPool>,
    operations: RwLock<operations::OperationsPool<E>>,
    sync: RwLock<sync::SyncPool<E>>,
}

impl<E: EthSpec> OperationPool<E> {
    pub fn new(spec: Arc<ChainSpec>) -> Self {
        Self {
            spec,
            attestations: RwLock::default(),
            operations: RwLock::default(),
            sync: RwLock::default(),
        }
    }

    // Attestations.

    /// Verify a single-committee aggregate (or an unaggregated attestation) and keep it.
    pub fn insert_attestation(
        &self,
        attestation: &Attestation<E>,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, AttestationError> {
        match attestation::verify(&self.attestations, attestation, state, caches, &self.spec)? {
            Some(verified) => self.attestations.write().insert(verified),
            None => Ok(InsertOutcome::AlreadyKnown),
        }
    }

    /// Verify an Electra `SingleAttestation` and keep it as a one-attester aggregate.
    pub fn insert_single_attestation(
        &self,
        attestation: &SingleAttestation,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, AttestationError> {
        match attestation::verify_single(
            &self.attestations,
            attestation,
            state,
            caches,
            &self.spec,
        )? {
            Some(verified) => self.attestations.write().insert(verified),
            None => Ok(InsertOutcome::AlreadyKnown),
        }
    }

    /// The attestations for a block at `state.slot()` (`state`: the parent's state advanced to it).
    pub fn attestations_for_block(
        &self,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<Vec<Attestation<E>>, StateError> {
        packing::attestations_for_block(&self.attestations.read(), state, caches)
    }

    /// The best aggregate of `committee_index` for the data whose root is `data_root` (beacon API
    /// `GET /eth/v2/validator/aggregate_attestation`; before Electra the data root fixes the committee).
    pub fn aggregate_attestation(
        &self,
        slot: Slot,
        data_root: Root,
        committee_index: CommitteeIndex,
    ) -> Option<Attestation<E>> {
        self.attestations
            .read()
            .best_aggregate(slot, &data_root, committee_index)
    }

    /// Kept aggregates, each of one committee (beacon API `GET /eth/v2/beacon/pool/attestations`).
    pub fn attestations(
        &self,
        slot: Option<Slot>,
        committee_index: Option<CommitteeIndex>,
    ) -> Vec<Attestation<E>> {
        self.attestations.read().list(slot, committee_index)
    }

    // Slashings, exits, changes.

    pub fn insert_proposer_slashing(
        &self,
        slashing: ProposerSlashing,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, OperationError> {
        operations::OperationsPool::insert_proposer_slashing(
            &self.operations,
            slashing,
            state,
            caches,
            &self.spec,
        )
    }

    pub fn insert_attester_slashing(
        &self,
        slashing: AttesterSlashing<E>,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, OperationError> {
        operations::OperationsPool::insert_attester_slashing(
            &self.operations,
            slashing,
            state,
            caches,
            &self.spec,
        )
    }

    pub fn insert_voluntary_exit(
        &self,
        exit: SignedVoluntaryExit,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, OperationError> {
        operations::OperationsPool::insert_voluntary_exit(
            &self.operations,
            exit,
            state,
            caches,
            &self.spec,
        )
    }

    pub fn insert_bls_to_execution_change(
        &self,
        change: SignedBlsToExecutionChange,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, OperationError> {
        operations::OperationsPool::insert_bls_to_execution_change(
            &self.operations,
            change,
            state,
            caches,
            &self.spec,
        )
    }

    /// Slashings, exits and changes for a block at `state.slot()`, valid together.
    pub fn operations_for_block(
        &self,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> BlockOperations<E> {
        self.operations
            .read()
            .operations_for_block(state, caches, &self.spec)
    }

    pub fn proposer_slashings(&self) -> Vec<ProposerSlashing> {
        self.operations.read().proposer_slashings()
    }

    pub fn attester_slashings(&self) -> Vec<AttesterSlashing<E>> {
        self.operations.read().attester_slashings()
    }

    pub fn voluntary_exits(&self) -> Vec<SignedVoluntaryExit> {
        self.operations.read().voluntary_exits()
    }

    pub fn bls_to_execution_changes(&self) -> Vec<SignedBlsToExecutionChange> {
        self.operations.read().bls_to_execution_changes()
    }

    // Sync committee.

    pub fn insert_sync_committee_message(
        &self,
        message: &SyncCommitteeMessage,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, SyncError> {
        sync::SyncPool::insert_message(&self.sync, message, state, caches, &self.spec)
    }

    /// A contribution without its aggregator's proof (checked: membership and aggregate signature).
    pub fn insert_sync_contribution(
        &self,
        contribution: &SyncCommitteeContribution<E>,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, SyncError> {
        sync::SyncPool::insert_contribution(&self.sync, contribution, state, caches, &self.spec)
    }

    pub fn insert_signed_contribution_and_proof(
        &self,
        signed: &SignedContributionAndProof<E>,
        state: &BeaconState<E>,
        caches: &StateCaches,
    ) -> Result<InsertOutcome, SyncError> {
        sync::SyncPool::insert_signed_contribution(&self.sync, signed, state, caches, &self.spec)
    }

    /// The block's `SyncAggregate`: votes of `block_slot - 1` for `parent_root`.
    pub fn sync_aggregate_for_block(
        &self,
        state: &BeaconState<E>,
        caches: &StateCaches,
        block_slot: Slot,
        parent_root: Root,
    ) -> SyncAggregate<E> {
        self.sync.read().sync_aggregate_for_block(
            state,
            caches,
            block_slot,
            parent_root,
            &self.spec,
        )
    }

    /// The best contribution for the beacon API's `GET /eth/v1/validator/sync_committee_contribution`.
    pub fn sync_committee_contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> Option<SyncCommitteeContribution<E>> {
        self.sync
            .read()
            .contribution(slot, subcommittee_index, beacon_block_root)
    }

    /// Forget what `head` shows can no longer be included: attestations past their inclusion window,
    /// sync votes of old slots, and operations already applied or no longer valid.
    pub fn prune(&self, head: &BeaconState<E>) {
        let epoch = compute_epoch_at_slot::<E>(head.slot());
        self.attestations.write().prune(epoch);
        self.sync.write().prune(head.slot());
        self.operations.write().prune(head);
    }
}
