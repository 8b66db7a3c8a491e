//! Attestation insertion, aggregation and packing.

use super::{Harness, E, FORKS};
use crate::{Attestation, AttestationError, InsertOutcome, OperationPool, SingleAttestation};
use state_processing::process_slots;
use tree_hash::TreeHash;
use types::ssz_types::{BitList, BitVector};
use types::{AttestationBase, AttestationElectra, ForkName};

fn electra(a: &Attestation<E>) -> AttestationElectra<E> {
    match a {
        Attestation::Electra(a) => a.clone(),
        Attestation::Base(_) => panic!("Electra attestation expected"),
    }
}

fn mutate(a: &Attestation<E>, f: impl FnOnce(&mut AttestationElectra<E>)) -> Attestation<E> {
    let mut a = electra(a);
    f(&mut a);
    Attestation::Electra(a)
}

fn bits(a: &Attestation<E>) -> Vec<bool> {
    match a {
        Attestation::Base(a) => a.aggregation_bits.iter().collect(),
        Attestation::Electra(a) => a.aggregation_bits.iter().collect(),
    }
}

#[test]
fn valid_attestations_are_kept_merged_and_served() {
    for fork in FORKS {
        let h = Harness::new(fork, 20);
        let slot = 19;
        let first = h.attestation(slot, 0, &[0]);
        assert_eq!(h.insert(&first), Ok(InsertOutcome::New));
        assert_eq!(h.insert(&first), Ok(InsertOutcome::AlreadyKnown));
        // Disjoint: merged into one aggregate.
        assert_eq!(
            h.insert(&h.attestation(slot, 0, &[1])),
            Ok(InsertOutcome::New)
        );
        let data_root = first.data().tree_hash_root();
        let best = h.pool.aggregate_attestation(slot, data_root, 0).unwrap();
        assert_eq!(bits(&best), [true, true, false, false]);
        // Overlapping: kept beside it; a subset of what is kept is nothing new.
        assert_eq!(
            h.insert(&h.attestation(slot, 0, &[1, 2])),
            Ok(InsertOutcome::New)
        );
        assert_eq!(h.pool.attestations(Some(slot), Some(0)).len(), 2);
        assert_eq!(
            h.insert(&h.attestation(slot, 0, &[2])),
            Ok(InsertOutcome::AlreadyKnown)
        );
        assert!(h.pool.attestations(Some(slot), Some(1)).is_empty());
        assert!(h.pool.attestations(Some(slot - 1), None).is_empty());
        // The merged signature is a valid aggregate: another pool accepts it.
        let other = OperationPool::<E>::new(h.spec.clone());
        assert_eq!(
            other.insert_attestation(&best, &h.state, &h.caches),
            Ok(InsertOutcome::New)
        );

        if !fork.electra_enabled() {
            continue;
        }
        // A `SingleAttestation` joins the same aggregates.
        let committee = h.committee(slot, 0);
        let data = h.data(slot);
        let single = SingleAttestation {
            committee_index: 0,
            attester_index: committee[3],
            signature: h.sign_data(&data, &[committee[3]]),
            data,
        };
        let insert_single =
            |s: &SingleAttestation| h.pool.insert_single_attestation(s, &h.state, &h.caches);
        assert_eq!(insert_single(&single), Ok(InsertOutcome::New));
        let best = h.pool.aggregate_attestation(slot, data_root, 0).unwrap();
        assert_eq!(best.num_attesters(), 3);
        let stranger = h.committee(slot, 1)[0];
        assert_eq!(
            insert_single(&SingleAttestation {
                attester_index: stranger,
                ..single.clone()
            }),
            Err(AttestationError::AttesterNotInCommittee {
                attester_index: stranger,
                committee_index: 0
            })
        );
    }
}

#[test]
fn invalid_attestations_are_refused_with_their_reason() {
    let h = Harness::new(ForkName::Electra, 20);
    let good = h.attestation(19, 0, &[0, 1]);
    let e = electra(&good);
    let refused = |a: &Attestation<E>| h.insert(a).unwrap_err();

    let mut base_bits = BitList::with_capacity(4).unwrap();
    base_bits.set(0, true).unwrap();
    let base = Attestation::Base(AttestationBase {
        aggregation_bits: base_bits,
        data: e.data.clone(),
        signature: e.signature,
    });
    assert!(matches!(refused(&base), AttestationError::WrongFork { .. }));
    assert!(matches!(
        refused(&mutate(&good, |a| a.data.target.epoch = 1)),
        AttestationError::TargetEpochMismatch { .. }
    ));
    assert!(matches!(
        refused(&h.attestation(3, 0, &[0])),
        AttestationError::TargetEpochOutOfWindow {
            target: 0,
            current: 2
        }
    ));
    assert_eq!(
        refused(&mutate(&good, |a| {
            a.committee_bits = BitVector::new();
            a.committee_bits.set(3, true).unwrap();
        })),
        AttestationError::CommitteeIndexOutOfRange { index: 3, count: 2 }
    );
    assert_eq!(
        refused(&mutate(&good, |a| a.data.index = 1)),
        AttestationError::NonZeroDataIndex(1)
    );
    assert_eq!(
        refused(&mutate(&good, |a| a.committee_bits.set(1, true).unwrap())),
        AttestationError::NotOneCommittee(2)
    );
    assert_eq!(
        refused(&mutate(&good, |a| {
            a.aggregation_bits = BitList::with_capacity(5).unwrap();
            a.aggregation_bits.set(0, true).unwrap();
        })),
        AttestationError::AggregationBitsLength {
            got: 5,
            expected: 4
        }
    );
    assert_eq!(
        refused(&mutate(&good, |a| a.aggregation_bits =
            BitList::with_capacity(4).unwrap())),
        AttestationError::NoAttesters
    );
    let wrong_signer = h.sign_data(&e.data, &[h.committee(19, 1)[0]]);
    assert_eq!(
        refused(&mutate(&good, |a| a.signature = wrong_signer)),
        AttestationError::InvalidSignature
    );
    assert!(h.pool.attestations(None, None).is_empty());
}

/// The reward counts only flags attesters do not have yet: an aggregate of attesters already included
/// adds nothing, and the smaller aggregate of new attesters wins.
#[test]
fn packing_covers_new_rewards_first() {
    let mut h = Harness::new(ForkName::Electra, 20);
    let slot = 19;
    let big = h.attestation(slot, 0, &[0, 1, 2]);
    let small = h.attestation(slot, 0, &[2, 3]);
    assert_eq!(h.insert(&big), Ok(InsertOutcome::New));
    assert_eq!(h.insert(&small), Ok(InsertOutcome::New));
    let packed = h.pool.attestations_for_block(&h.state, &h.caches).unwrap();
    assert_eq!(packed.len(), 2, "both add attesters");
    assert_eq!(bits(&packed[0]), [true, true, true, false]);

    // Flags change only with a block: a state with another latest block (the pool reads each
    // block's flags once).
    for &v in &h.committee(slot, 0)[..2] {
        *h.state
            .current_epoch_participation_mut()
            .get_mut(v as usize)
            .unwrap() = 0b111;
    }
    h.state.latest_block_header_mut().body_root = types::Hash256::repeat_byte(7);
    let packed = h.pool.attestations_for_block(&h.state, &h.caches).unwrap();
    assert_eq!(packed.len(), 1);
    assert_eq!(bits(&packed[0]), [false, false, true, true]);
    h.process(&h.block(packed, Default::default(), types::SyncAggregate::empty()))
        .unwrap();
}

/// From Electra the aggregates of every committee of one data become one on-chain attestation.
#[test]
fn electra_packs_committees_into_one_attestation_that_processes() {
    for fork in [ForkName::Electra, ForkName::Fulu] {
        let h = Harness::new(fork, 20);
        h.insert(&h.attestation(19, 0, &[0, 1])).unwrap();
        h.insert(&h.attestation(19, 1, &[0, 1, 2, 3])).unwrap();
        h.insert(&h.attestation(18, 1, &[3])).unwrap();
        let packed = h.pool.attestations_for_block(&h.state, &h.caches).unwrap();
        assert_eq!(packed.len(), 2);
        let first = electra(&packed[0]);
        assert_eq!(first.data.slot, 19);
        assert_eq!(
            first.committee_bits.iter().take(2).collect::<Vec<_>>(),
            [true, true]
        );
        assert_eq!(
            first.aggregation_bits.iter().collect::<Vec<_>>(),
            [true, true, false, false, true, true, true, true]
        );
        let post = h
            .process(&h.block(packed, Default::default(), types::SyncAggregate::empty()))
            .unwrap();
        for &v in h.committee(19, 1).iter() {
            assert_eq!(
                *post.current_epoch_participation().get(v as usize).unwrap(),
                0b111,
                "validator {v} got every timely flag"
            );
        }
    }
}

/// With more useful data than `MAX_ATTESTATIONS_ELECTRA` (8 at minimal), the 8 worth most are packed.
#[test]
fn packing_keeps_the_limit_and_takes_the_most_valuable() {
    let h = Harness::new(ForkName::Fulu, 20);
    for slot in 8..20 {
        let positions: &[usize] = if slot < 12 { &[0] } else { &[0, 1, 2] };
        assert_eq!(
            h.insert(&h.attestation(slot, 0, positions)),
            Ok(InsertOutcome::New)
        );
    }
    let packed = h.pool.attestations_for_block(&h.state, &h.caches).unwrap();
    assert_eq!(packed.len(), 8);
    assert!(packed.iter().all(|a| a.num_attesters() == 3));
    h.process(&h.block(packed, Default::default(), types::SyncAggregate::empty()))
        .unwrap();
}

#[test]
fn pruning_drops_attestations_past_inclusion() {
    let h = Harness::new(ForkName::Electra, 20);
    h.insert(&h.attestation(12, 0, &[0])).unwrap();
    h.insert(&h.attestation(19, 0, &[0])).unwrap();
    let mut later = h.state.clone();
    process_slots(&mut later, 24, &h.spec).unwrap();
    h.pool.prune(&later);
    let kept = h.pool.attestations(None, None);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].data().slot, 19);
}
