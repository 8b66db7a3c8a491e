//! Tests on real interop states (minimal preset, 64 validators, Electra and Fulu) with real signatures:
//! a harness that signs operations as validators would and builds blocks from what the pool packs.

mod attestations;
mod blocks;
mod operations;
mod sync;

use crate::{Attestation, AttesterSlashing, BlockOperations, OperationPool, SyncCommitteeMessage};
use state_processing::common::{
    compute_epoch_at_slot, get_block_root, get_block_root_at_slot, get_current_epoch, get_domain,
    get_expected_withdrawals, get_randao_mix,
};
use state_processing::genesis::interop_genesis_state;
use state_processing::per_block::execution_payload::compute_time_at_slot;
use state_processing::per_block::{process_block, VerifySignatures};
use state_processing::{process_slots, StateCaches, StateError};
use std::sync::Arc;
use tree_hash::TreeHash;
use types::ssz_types::{BitList, BitVector, VariableList};
use types::{
    Address, AttestationBase, AttestationData, AttestationElectra, AttesterSlashingBase,
    AttesterSlashingElectra, BeaconBlock, BeaconBlockHeader, BeaconState, BlsToExecutionChange,
    ChainSpec, Checkpoint, ForkName, Hash256, IndexedAttestationBase, IndexedAttestationElectra,
    MinimalEthSpec, ProposerSlashing, Root, SignatureBytes, SignedBeaconBlockHeader,
    SignedBlsToExecutionChange, SignedVoluntaryExit, Slot, SyncAggregate, ValidatorIndex,
    VoluntaryExit, DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER, DOMAIN_BLS_TO_EXECUTION_CHANGE,
    DOMAIN_RANDAO, DOMAIN_SYNC_COMMITTEE, DOMAIN_VOLUNTARY_EXIT,
};

pub(crate) type E = MinimalEthSpec;
pub(crate) const VALIDATORS: u64 = 64;

/// A state at some slot (empty slots since genesis), its caches, the validators' keys and a pool.
pub(crate) struct Harness {
    pub spec: Arc<ChainSpec>,
    pub state: BeaconState<E>,
    pub caches: StateCaches,
    pub keys: Vec<bls::SecretKey>,
    pub pool: OperationPool<E>,
}

pub(crate) fn aggregate(signatures: &[bls::Signature]) -> SignatureBytes {
    let refs: Vec<&bls::Signature> = signatures.iter().collect();
    crate::attestation::aggregate_signatures(&refs).to_bytes()
}

impl Harness {
    /// Genesis at `fork` (validators may exit at once: `SHARD_COMMITTEE_PERIOD` 0), advanced to `slot`.
    pub fn new(fork: ForkName, slot: Slot) -> Self {
        Self::with_spec(
            ChainSpec::minimal().with_forks_at_genesis_up_to(fork),
            fork,
            slot,
        )
    }

    /// Genesis at `fork` under `spec` (its later forks happen as slots pass), advanced to `slot`.
    pub fn with_spec(mut spec: ChainSpec, fork: ForkName, slot: Slot) -> Self {
        spec.shard_committee_period = 0;
        let mut state = interop_genesis_state::<E>(VALIDATORS, 0, fork, None, &spec).unwrap();
        if slot > 0 {
            process_slots(&mut state, slot, &spec).unwrap();
        }
        let caches = StateCaches::build(&state).unwrap();
        let spec = Arc::new(spec);
        Self {
            pool: OperationPool::new(spec.clone()),
            spec,
            state,
            caches,
            keys: bls::interop_secret_keys(VALIDATORS),
        }
    }

    /// Advance the state (and its caches) to `slot`, through any fork upgrade on the way.
    pub fn advance(&mut self, slot: Slot) {
        process_slots(&mut self.state, slot, &self.spec).unwrap();
        self.caches = StateCaches::build(&self.state).unwrap();
    }

    pub fn fork(&self) -> ForkName {
        self.state.fork_name()
    }

    /// Sign `root` by validator `index`.
    pub fn sign(&self, index: ValidatorIndex, root: Root) -> bls::Signature {
        self.keys[index as usize].sign(root.as_slice())
    }

    pub fn committee(&self, slot: Slot, index: u64) -> Vec<ValidatorIndex> {
        self.caches
            .get_beacon_committee(&self.state, slot, index)
            .unwrap()
            .to_vec()
    }

    /// The data an honest attester of `slot` signs (Electra: `index` 0), seen from the harness state.
    pub fn data(&self, slot: Slot) -> AttestationData {
        let target = compute_epoch_at_slot::<E>(slot);
        let source = if target == get_current_epoch(&self.state) {
            self.state.current_justified_checkpoint()
        } else {
            self.state.previous_justified_checkpoint()
        };
        AttestationData {
            slot,
            index: 0,
            beacon_block_root: get_block_root_at_slot(&self.state, slot).unwrap(),
            source,
            target: Checkpoint {
                epoch: target,
                root: get_block_root(&self.state, target).unwrap(),
            },
        }
    }

    pub fn sign_data(&self, data: &AttestationData, signers: &[ValidatorIndex]) -> SignatureBytes {
        let domain = get_domain(&self.state, DOMAIN_BEACON_ATTESTER, Some(data.target.epoch));
        let root = types::compute_signing_root(data, domain);
        let signatures: Vec<_> = signers.iter().map(|&i| self.sign(i, root)).collect();
        aggregate(&signatures)
    }

    /// An aggregate of committee `committee_index` by the members at `positions`, in the fork's shape
    /// (before Electra `data.index` names the committee).
    pub fn attestation_with(
        &self,
        mut data: AttestationData,
        committee_index: u64,
        positions: &[usize],
    ) -> Attestation<E> {
        let committee = self.committee(data.slot, committee_index);
        let signers: Vec<_> = positions.iter().map(|&p| committee[p]).collect();
        if !self.fork().electra_enabled() {
            data.index = committee_index;
            let mut aggregation_bits = BitList::with_capacity(committee.len()).unwrap();
            for &p in positions {
                aggregation_bits.set(p, true).unwrap();
            }
            return Attestation::Base(AttestationBase {
                aggregation_bits,
                signature: self.sign_data(&data, &signers),
                data,
            });
        }
        let mut aggregation_bits = BitList::with_capacity(committee.len()).unwrap();
        for &p in positions {
            aggregation_bits.set(p, true).unwrap();
        }
        let mut committee_bits = BitVector::new();
        committee_bits.set(committee_index as usize, true).unwrap();
        Attestation::Electra(AttestationElectra {
            aggregation_bits,
            signature: self.sign_data(&data, &signers),
            data,
            committee_bits,
        })
    }

    pub fn attestation(
        &self,
        slot: Slot,
        committee_index: u64,
        positions: &[usize],
    ) -> Attestation<E> {
        self.attestation_with(self.data(slot), committee_index, positions)
    }

    pub fn insert(
        &self,
        attestation: &Attestation<E>,
    ) -> Result<crate::InsertOutcome, crate::AttestationError> {
        self.pool
            .insert_attestation(attestation, &self.state, &self.caches)
    }

    pub fn proposer_slashing(&self, index: ValidatorIndex) -> ProposerSlashing {
        let header = |body: u8| {
            let message = BeaconBlockHeader {
                slot: self.state.slot(),
                proposer_index: index,
                parent_root: Hash256::repeat_byte(1),
                state_root: Hash256::repeat_byte(2),
                body_root: Hash256::repeat_byte(body),
            };
            let domain = get_domain(
                &self.state,
                DOMAIN_BEACON_PROPOSER,
                Some(compute_epoch_at_slot::<E>(message.slot)),
            );
            let signature = self
                .sign(index, types::compute_signing_root(&message, domain))
                .to_bytes();
            SignedBeaconBlockHeader { message, signature }
        };
        ProposerSlashing {
            signed_header_1: header(3),
            signed_header_2: header(4),
        }
    }

    /// A double vote by `indices` (ascending) for the previous slot, in the fork's shape.
    pub fn attester_slashing(&self, indices: &[ValidatorIndex]) -> AttesterSlashing<E> {
        let base = self.data(self.state.slot() - 1);
        let signed = |root: u8| {
            let data = AttestationData {
                beacon_block_root: Hash256::repeat_byte(root),
                ..base.clone()
            };
            (self.sign_data(&data, indices), data)
        };
        let ((signature_1, data_1), (signature_2, data_2)) = (signed(0xaa), signed(0xbb));
        if !self.fork().electra_enabled() {
            let indexed = |signature, data| IndexedAttestationBase {
                attesting_indices: VariableList::new(indices.to_vec()).unwrap(),
                data,
                signature,
            };
            return AttesterSlashing::Base(AttesterSlashingBase {
                attestation_1: indexed(signature_1, data_1),
                attestation_2: indexed(signature_2, data_2),
            });
        }
        let indexed = |signature, data| IndexedAttestationElectra {
            attesting_indices: VariableList::new(indices.to_vec()).unwrap(),
            data,
            signature,
        };
        AttesterSlashing::Electra(AttesterSlashingElectra {
            attestation_1: indexed(signature_1, data_1),
            attestation_2: indexed(signature_2, data_2),
        })
    }

    pub fn exit(&self, index: ValidatorIndex, epoch: u64) -> SignedVoluntaryExit {
        let message = VoluntaryExit {
            epoch,
            validator_index: index,
        };
        let domain = types::compute_domain(
            DOMAIN_VOLUNTARY_EXIT,
            self.spec.capella_fork_version,
            self.state.genesis_validators_root(),
        );
        SignedVoluntaryExit {
            signature: self
                .sign(index, types::compute_signing_root(&message, domain))
                .to_bytes(),
            message,
        }
    }

    pub fn bls_change(&self, index: ValidatorIndex) -> SignedBlsToExecutionChange {
        let message = BlsToExecutionChange {
            validator_index: index,
            from_bls_pubkey: self.keys[index as usize].public_key().to_bytes(),
            to_execution_address: Address::repeat_byte(index as u8),
        };
        let domain = types::compute_domain(
            DOMAIN_BLS_TO_EXECUTION_CHANGE,
            self.spec.genesis_fork_version,
            self.state.genesis_validators_root(),
        );
        SignedBlsToExecutionChange {
            signature: self
                .sign(index, types::compute_signing_root(&message, domain))
                .to_bytes(),
            message,
        }
    }

    /// The validator index of each sync committee seat of the state's current committee.
    pub fn sync_seats(&self) -> Vec<ValidatorIndex> {
        self.state
            .current_sync_committee()
            .pubkeys
            .iter()
            .map(|pk| {
                self.keys
                    .iter()
                    .position(|k| k.public_key().to_bytes() == *pk)
                    .unwrap() as ValidatorIndex
            })
            .collect()
    }

    pub fn sync_message(
        &self,
        index: ValidatorIndex,
        slot: Slot,
        root: Root,
    ) -> SyncCommitteeMessage {
        let domain = get_domain(
            &self.state,
            DOMAIN_SYNC_COMMITTEE,
            Some(compute_epoch_at_slot::<E>(slot)),
        );
        SyncCommitteeMessage {
            slot,
            beacon_block_root: root,
            validator_index: index,
            signature: self
                .sign(index, types::compute_signing_root(&root, domain))
                .to_bytes(),
        }
    }

    /// The parent root of a block at the state's slot.
    pub fn parent_root(&self) -> Root {
        self.state.latest_block_header().tree_hash_root()
    }

    /// A block at the state's slot carrying `attestations`, `operations` and `sync_aggregate`, with a
    /// valid payload and a real RANDAO reveal.
    pub fn block(
        &self,
        attestations: Vec<Attestation<E>>,
        operations: BlockOperations<E>,
        sync_aggregate: SyncAggregate<E>,
    ) -> BeaconBlock<E> {
        let state = &self.state;
        let slot = state.slot();
        let epoch = get_current_epoch(state);
        let proposer_index = self.caches.get_beacon_proposer_index(state).unwrap();
        let randao_domain = get_domain(state, DOMAIN_RANDAO, Some(epoch));
        let randao_reveal = self
            .sign(
                proposer_index,
                types::compute_signing_root(&epoch, randao_domain),
            )
            .to_bytes();
        let (mut base_attestations, mut electra_attestations) = (vec![], vec![]);
        for a in attestations {
            match a {
                Attestation::Base(a) => base_attestations.push(a),
                Attestation::Electra(a) => electra_attestations.push(a),
            }
        }
        let (mut base_slashings, mut electra_slashings) = (vec![], vec![]);
        for s in operations.attester_slashings {
            match s {
                AttesterSlashing::Base(s) => base_slashings.push(s),
                AttesterSlashing::Electra(s) => electra_slashings.push(s),
            }
        }
        let withdrawals = get_expected_withdrawals(state).unwrap().withdrawals;
        let latest = state.latest_execution_payload_header();
        macro_rules! body {
            ($Body:ident, $Payload:ident, $attestations:expr, $slashings:expr $(, $requests:ident)?) => {
                types::$Body {
                    randao_reveal,
                    eth1_data: state.eth1_data().clone(),
                    graffiti: Hash256::ZERO,
                    proposer_slashings: VariableList::new(operations.proposer_slashings).unwrap(),
                    attester_slashings: VariableList::new($slashings).unwrap(),
                    attestations: VariableList::new($attestations).unwrap(),
                    deposits: VariableList::empty(),
                    voluntary_exits: VariableList::new(operations.voluntary_exits).unwrap(),
                    sync_aggregate,
                    execution_payload: types::$Payload {
                        parent_hash: latest.block_hash(),
                        prev_randao: get_randao_mix(state, epoch).unwrap(),
                        block_number: latest.block_number() + 1,
                        gas_limit: 36_000_000,
                        timestamp: compute_time_at_slot(state, slot, &self.spec).unwrap(),
                        block_hash: Hash256::repeat_byte(0x42),
                        withdrawals: VariableList::new(withdrawals).unwrap(),
                        ..Default::default()
                    },
                    bls_to_execution_changes: VariableList::new(
                        operations.bls_to_execution_changes,
                    )
                    .unwrap(),
                    blob_kzg_commitments: VariableList::empty(),
                    $($requests: Default::default(),)?
                }
            };
        }
        let parent_root = self.parent_root();
        match self.fork() {
            ForkName::Deneb => BeaconBlock::Deneb(types::BeaconBlockDeneb {
                slot,
                proposer_index,
                parent_root,
                state_root: Hash256::ZERO,
                body: body!(
                    BeaconBlockBodyDeneb,
                    ExecutionPayloadDeneb,
                    base_attestations,
                    base_slashings
                ),
            }),
            ForkName::Electra => BeaconBlock::Electra(types::BeaconBlockElectra {
                slot,
                proposer_index,
                parent_root,
                state_root: Hash256::ZERO,
                body: body!(
                    BeaconBlockBodyElectra,
                    ExecutionPayloadElectra,
                    electra_attestations,
                    electra_slashings,
                    execution_requests
                ),
            }),
            ForkName::Fulu => BeaconBlock::Fulu(types::BeaconBlockFulu {
                slot,
                proposer_index,
                parent_root,
                state_root: Hash256::ZERO,
                body: body!(
                    BeaconBlockBodyFulu,
                    ExecutionPayloadFulu,
                    electra_attestations,
                    electra_slashings,
                    execution_requests
                ),
            }),
            fork => panic!("tests build Deneb, Electra and Fulu blocks, not {fork}"),
        }
    }

    /// Run `process_block` on a copy of the state, every signature verified.
    pub fn process(&self, block: &BeaconBlock<E>) -> Result<BeaconState<E>, StateError> {
        let mut post = self.state.clone();
        process_block(
            &mut post,
            block,
            VerifySignatures::Individually,
            true,
            &self.spec,
        )?;
        Ok(post)
    }
}

/// The forks the tests run at: Electra and Fulu, and Deneb for the pre-Electra shapes.
pub(crate) const FORKS: [ForkName; 3] = [ForkName::Deneb, ForkName::Electra, ForkName::Fulu];

#[test]
fn the_pool_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<OperationPool<E>>();
}
