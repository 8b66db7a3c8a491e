//! The synthetic mainnet-size state the benchmarks share: a mainnet-preset Fulu state with 2^20
//! validators, built directly (no deposits, no signatures).
//!
//! It starts from a 64-validator interop genesis (whose real keys make up the sync committees), then
//! replaces the registry lists with 2^20 entries: the first 64 are the interop validators, the rest get
//! distinct synthetic public keys (never decoded: the chosen epoch is not a sync-committee period
//! boundary). The state sits at the last slot of epoch 10 with realistic contents:
//! - participation: ~95% of validators have all three timely flags in both epochs; the rest have a
//!   deterministic pseudo-random subset (often none);
//! - balances varied around 32 ETH (31.0 to 33.0 ETH), effective balances consistent with them;
//!   ~3% with `0x02` credentials and up to 64 ETH; ~60% with `0x01` credentials;
//! - 64 slashed validators (withdrawable half a slashings vector ahead, so `process_slashings` hits
//!   them), 256 exiting ones, a few thousand non-zero inactivity scores;
//! - distinct block roots, state roots and RANDAO mixes; justified epoch 9, finalized 8.
//!
//! The tree hash is computed once so the benchmarks measure incremental re-rooting.

#![allow(dead_code)]

use state_processing::genesis::interop_genesis_state_with_credentials;
use state_processing::genesis::InteropCredentials;
use state_processing::upgrade::initialize_proposer_lookahead;
use types::milhouse::{List, Vector};
use types::ssz_types::typenum::Unsigned;
use types::{
    BeaconState, ChainSpec, Checkpoint, EthSpec, ForkName, Hash256, MainnetEthSpec, Validator,
    FAR_FUTURE_EPOCH,
};

pub type E = MainnetEthSpec;

/// 2^20 validators.
pub const VALIDATORS: usize = 1 << 20;
/// The epoch the state is in (its last slot).
pub const EPOCH: u64 = 10;

/// SplitMix64: deterministic, dependency-free pseudo-randomness.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn hash_of(tag: u64, i: u64) -> Hash256 {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&tag.to_le_bytes());
    bytes[8..16].copy_from_slice(&i.to_le_bytes());
    bytes[31] = 1;
    Hash256::from(bytes)
}

pub fn spec() -> ChainSpec {
    ChainSpec::mainnet().with_forks_at_genesis_up_to(ForkName::Fulu)
}

/// Build the state described in the module docs, with its tree hash cached.
pub fn build_state(spec: &ChainSpec) -> BeaconState<E> {
    build_state_with::<E>(spec, VALIDATORS)
}

/// [`build_state`] for any preset `E` (with `spec` of that preset, all forks at genesis) and with
/// `validators_count` validators instead of 2^20 (the slashed and exiting
/// validators' positions wrap around a smaller registry). `benches/pyspec_compare.py` builds the same
/// shape of state for the Python spec.
pub fn build_state_with<E: EthSpec>(spec: &ChainSpec, validators_count: usize) -> BeaconState<E> {
    let mut state = interop_genesis_state_with_credentials::<E>(
        64,
        1_606_824_023,
        ForkName::Fulu,
        None,
        InteropCredentials::Eth1,
        spec,
    )
    .expect("interop genesis");
    let slots_per_epoch = E::slots_per_epoch();
    let slot = EPOCH * slots_per_epoch + slots_per_epoch - 1;
    let mut rng = Rng::new(0x00b1_1dfd);
    let eb_increment = E::EFFECTIVE_BALANCE_INCREMENT;

    let mut validators = Vec::with_capacity(validators_count);
    let mut balances = Vec::with_capacity(validators_count);
    let mut previous = Vec::with_capacity(validators_count);
    let mut current = Vec::with_capacity(validators_count);
    let mut scores = Vec::with_capacity(validators_count);
    for i in 0..validators_count as u64 {
        let mut v = match state.validators().get(i as usize) {
            Some(v) => v.clone(),
            None => {
                let mut pubkey = types::PublicKeyBytes::empty();
                pubkey.0[0] = 0xb0;
                pubkey.0[1..9].copy_from_slice(&i.to_le_bytes());
                Validator {
                    pubkey,
                    withdrawal_credentials: Hash256::ZERO,
                    effective_balance: 0,
                    slashed: false,
                    activation_eligibility_epoch: 0,
                    activation_epoch: 0,
                    exit_epoch: FAR_FUTURE_EPOCH,
                    withdrawable_epoch: FAR_FUTURE_EPOCH,
                }
            }
        };
        let kind = rng.below(100);
        let mut credentials = [0u8; 32];
        credentials[12..20].copy_from_slice(&i.to_le_bytes());
        credentials[0] = if kind < 3 {
            0x02
        } else if kind < 63 {
            0x01
        } else {
            0x00
        };
        if i >= 64 {
            v.withdrawal_credentials = Hash256::from(credentials);
        }
        let balance = if kind < 3 {
            32_000_000_000 + rng.below(32_000_000_000)
        } else {
            31_000_000_000 + rng.below(2_000_000_000)
        };
        let cap = if kind < 3 {
            E::MAX_EFFECTIVE_BALANCE_ELECTRA
        } else {
            E::MIN_ACTIVATION_BALANCE
        };
        v.effective_balance = (balance - balance % eb_increment).min(cap);
        v.activation_eligibility_epoch = 0;
        v.activation_epoch = 0;
        validators.push(v);
        balances.push(balance);
        let flags = |rng: &mut Rng| {
            if rng.below(100) < 95 {
                0b111
            } else {
                (rng.below(8) as u8) & (rng.below(8) as u8)
            }
        };
        previous.push(flags(&mut rng));
        current.push(flags(&mut rng));
        scores.push(if rng.below(256) == 0 {
            rng.below(64)
        } else {
            0
        });
    }
    // A few slashed validators, withdrawable half a slashings vector ahead (process_slashings' target).
    let half_vector = <E as EthSpec>::EpochsPerSlashingsVector::to_u64() / 2;
    for k in 0..64u64 {
        let v = &mut validators[(1000 + k * 15_013) as usize % validators_count];
        v.slashed = true;
        v.exit_epoch = EPOCH - 2;
        v.withdrawable_epoch = EPOCH + 1 + half_vector;
    }
    // A few exiting ones.
    for k in 0..256u64 {
        let v = &mut validators[(5000 + k * 4001) as usize % validators_count];
        if !v.slashed {
            v.exit_epoch = EPOCH + 1 + k % 8;
            v.withdrawable_epoch = v.exit_epoch + spec.min_validator_withdrawability_delay;
        }
    }

    *state.slot_mut() = slot;
    *state.validators_mut() = List::new(validators).expect("validators");
    *state.balances_mut() = List::new(balances).expect("balances");
    *state.previous_epoch_participation_mut() =
        types::ParticipationList::new(previous).expect("participation");
    *state.current_epoch_participation_mut() =
        types::ParticipationList::new(current).expect("participation");
    *state.inactivity_scores_mut() = List::new(scores).expect("scores");
    let roots = |tag| (0..E::slots_per_historical_root() as u64).map(move |i| hash_of(tag, i));
    *state.block_roots_mut() = Vector::new(roots(1).collect()).expect("block roots");
    *state.state_roots_mut() = Vector::new(roots(2).collect()).expect("state roots");
    *state.randao_mixes_mut() = Vector::new(
        (0..E::epochs_per_historical_vector() as u64)
            .map(|i| hash_of(3, i))
            .collect(),
    )
    .expect("randao mixes");
    let slashings: Vec<u64> = (0..<E as EthSpec>::EpochsPerSlashingsVector::to_u64())
        .map(|i| if i % 7 == 0 { 32_000_000_000 } else { 0 })
        .collect();
    *state.slashings_mut() = Vector::new(slashings).expect("slashings");
    *state.previous_justified_checkpoint_mut() = Checkpoint {
        epoch: EPOCH - 2,
        root: hash_of(1, (EPOCH - 2) * slots_per_epoch),
    };
    *state.current_justified_checkpoint_mut() = Checkpoint {
        epoch: EPOCH - 1,
        root: hash_of(1, (EPOCH - 1) * slots_per_epoch),
    };
    *state.finalized_checkpoint_mut() = Checkpoint {
        epoch: EPOCH - 2,
        root: hash_of(1, (EPOCH - 2) * slots_per_epoch),
    };
    state
        .justification_bits_mut()
        .set(0, true)
        .expect("justification bit");
    state
        .justification_bits_mut()
        .set(1, true)
        .expect("justification bit");
    state.latest_block_header_mut().slot = slot - 1;
    let lookahead = initialize_proposer_lookahead(&state).expect("proposer lookahead");
    *state.proposer_lookahead_mut().expect("fulu") = Vector::new(lookahead).expect("lookahead");
    state.update_tree_hash_cache().expect("tree hash");
    state
}

/// Modify `balances` balances and `validators` validators spread over the registry.
pub fn modify(state: &mut BeaconState<E>, seed: u64, balances: usize, validators: usize) {
    let mut rng = Rng::new(seed);
    let n = state.validators().len() as u64;
    for _ in 0..balances {
        let i = rng.below(n) as usize;
        if let Some(b) = state.balances_mut().get_mut(i) {
            *b += 1_000;
        }
    }
    for _ in 0..validators {
        let i = rng.below(n) as usize;
        if let Some(v) = state.validators_mut().get_mut(i) {
            v.effective_balance = v.effective_balance.saturating_sub(1_000_000_000);
        }
    }
}

/// A full Fulu block for `state`'s slot, valid with signatures skipped (`VerifySignatures::Skip`,
/// `payload_valid = true`): the expected proposer, the latest header as parent, the current RANDAO mix
/// and slot time in a payload carrying exactly `get_expected_withdrawals`, a full sync aggregate, and
/// `MAX_ATTESTATIONS_ELECTRA` Electra aggregates of the previous slot that together cover every one of
/// its committees (each aggregate names `committees_per_slot / 8` committees in `committee_bits`; all
/// members attest but one in 64). `state` must be past its latest block header's slot, with that
/// header's state root filled (as after `process_slots`); the attestations vote for the state's justified
/// checkpoint and for the actual block roots, so they earn all three timely flags.
pub fn build_full_block(state: &BeaconState<E>, spec: &ChainSpec) -> types::BeaconBlock<E> {
    use state_processing::common::{
        get_block_root, get_block_root_at_slot, get_current_epoch, get_expected_withdrawals,
        get_randao_mix,
    };
    use state_processing::per_block::execution_payload::compute_time_at_slot;
    use state_processing::StateCaches;
    use tree_hash::TreeHash;
    use types::ssz_types::{BitList, BitVector, VariableList};
    use types::{
        AttestationData, AttestationElectra, BeaconBlockBodyFulu, BeaconBlockFulu,
        ExecutionPayloadFulu, SignatureBytes, SyncAggregate,
    };

    let caches = StateCaches::build(state).expect("caches");
    let slot = state.slot();
    let epoch = get_current_epoch(state);
    let attestation_slot = slot - 1;
    let target_epoch = attestation_slot / E::slots_per_epoch();
    let source = if target_epoch == epoch {
        state.current_justified_checkpoint()
    } else {
        state.previous_justified_checkpoint()
    };
    let data = AttestationData {
        slot: attestation_slot,
        index: 0,
        beacon_block_root: get_block_root_at_slot(state, attestation_slot).expect("head root"),
        source,
        target: Checkpoint {
            epoch: target_epoch,
            root: get_block_root(state, target_epoch).expect("target root"),
        },
    };
    let committees = caches.get_committee_count_per_slot(state, target_epoch);
    let max_attestations = <E as EthSpec>::MaxAttestationsElectra::to_u64();
    let per_attestation = committees.div_ceil(max_attestations);
    let mut attestations = Vec::new();
    for first in (0..committees).step_by(per_attestation as usize) {
        let mut committee_bits = BitVector::new();
        let mut members = 0;
        for index in first..(first + per_attestation).min(committees) {
            committee_bits
                .set(index as usize, true)
                .expect("committee bit");
            members += caches
                .get_beacon_committee(state, attestation_slot, index)
                .expect("committee")
                .len();
        }
        let mut aggregation_bits = BitList::with_capacity(members).expect("aggregation bits");
        for i in (0..members).filter(|i| i % 64 != 63) {
            aggregation_bits.set(i, true).expect("aggregation bit");
        }
        attestations.push(AttestationElectra {
            aggregation_bits,
            data: data.clone(),
            signature: SignatureBytes::empty(),
            committee_bits,
        });
    }

    let mut sync_committee_bits = BitVector::new();
    for i in 0..E::sync_committee_size() {
        sync_committee_bits.set(i, true).expect("sync bit");
    }

    let withdrawals = get_expected_withdrawals(state)
        .expect("expected withdrawals")
        .withdrawals;
    let latest = state.latest_execution_payload_header();
    let execution_payload = ExecutionPayloadFulu {
        parent_hash: latest.block_hash(),
        prev_randao: get_randao_mix(state, epoch).expect("randao mix"),
        block_number: latest.block_number() + 1,
        gas_limit: 36_000_000,
        timestamp: compute_time_at_slot(state, slot, spec).expect("timestamp"),
        block_hash: Hash256::repeat_byte(0x42),
        withdrawals: VariableList::new(withdrawals).expect("withdrawals"),
        ..Default::default()
    };
    let mut randao_reveal = SignatureBytes::empty();
    randao_reveal.0[0] = 0xc0;
    let body = BeaconBlockBodyFulu {
        randao_reveal,
        eth1_data: state.eth1_data().clone(),
        graffiti: Hash256::ZERO,
        proposer_slashings: VariableList::empty(),
        attester_slashings: VariableList::empty(),
        attestations: VariableList::new(attestations).expect("attestations"),
        deposits: VariableList::empty(),
        voluntary_exits: VariableList::empty(),
        sync_aggregate: SyncAggregate {
            sync_committee_bits,
            sync_committee_signature: SignatureBytes::empty(),
        },
        execution_payload,
        bls_to_execution_changes: VariableList::empty(),
        blob_kzg_commitments: VariableList::empty(),
        execution_requests: Default::default(),
    };
    types::BeaconBlock::Fulu(BeaconBlockFulu {
        slot,
        proposer_index: caches.get_beacon_proposer_index(state).expect("proposer"),
        parent_root: state.latest_block_header().tree_hash_root(),
        state_root: Hash256::ZERO,
        body,
    })
}
