//! Slashings, exits and BLS-to-execution changes.

use super::{Harness, E, FORKS};
use crate::{AttesterSlashing, InsertOutcome, OperationError};
use types::{AttesterSlashingBase, ForkName, IndexedAttestationBase};

#[test]
fn valid_operations_are_kept_once_and_listed() {
    for fork in FORKS {
        let h = Harness::new(fork, 20);
        let (s, c) = (&h.state, &h.caches);
        let p = &h.pool;
        assert_eq!(
            p.insert_proposer_slashing(h.proposer_slashing(5), s, c),
            Ok(InsertOutcome::New)
        );
        assert_eq!(
            p.insert_proposer_slashing(h.proposer_slashing(5), s, c),
            Ok(InsertOutcome::AlreadyKnown)
        );
        let slashing = h.attester_slashing(&[1, 2, 3]);
        assert_eq!(
            p.insert_attester_slashing(slashing.clone(), s, c),
            Ok(InsertOutcome::New)
        );
        assert_eq!(
            p.insert_attester_slashing(slashing, s, c),
            Ok(InsertOutcome::AlreadyKnown)
        );
        assert_eq!(
            p.insert_voluntary_exit(h.exit(10, 2), s, c),
            Ok(InsertOutcome::New)
        );
        assert_eq!(
            p.insert_voluntary_exit(h.exit(10, 1), s, c),
            Ok(InsertOutcome::AlreadyKnown)
        );
        assert_eq!(
            p.insert_bls_to_execution_change(h.bls_change(11), s, c),
            Ok(InsertOutcome::New)
        );
        assert_eq!(
            p.insert_bls_to_execution_change(h.bls_change(11), s, c),
            Ok(InsertOutcome::AlreadyKnown)
        );
        assert_eq!(p.proposer_slashings().len(), 1);
        assert_eq!(p.attester_slashings().len(), 1);
        assert_eq!(p.voluntary_exits(), vec![h.exit(10, 2)]);
        assert_eq!(p.bls_to_execution_changes(), vec![h.bls_change(11)]);
    }
}

#[test]
fn invalid_operations_are_refused_with_their_reason() {
    let mut h = Harness::new(ForkName::Electra, 20);
    let is_invalid = |r: Result<InsertOutcome, OperationError>, words: &str| match r {
        Err(OperationError::Invalid(e)) => assert!(e.to_string().contains(words), "{e}"),
        other => panic!("expected an invalid operation ({words}), got {other:?}"),
    };
    let (s, c, p) = (&h.state, &h.caches, &h.pool);

    let mut equal = h.proposer_slashing(5);
    equal.signed_header_2 = equal.signed_header_1.clone();
    is_invalid(p.insert_proposer_slashing(equal, s, c), "headers are equal");
    let mut forged = h.proposer_slashing(5);
    forged.signed_header_2.signature = h.proposer_slashing(6).signed_header_2.signature;
    assert!(matches!(
        p.insert_proposer_slashing(forged, s, c),
        Err(OperationError::InvalidSignature(_))
    ));

    let AttesterSlashing::Electra(mut same) = h.attester_slashing(&[1, 2]) else {
        unreachable!()
    };
    same.attestation_2 = same.attestation_1.clone();
    is_invalid(
        p.insert_attester_slashing(AttesterSlashing::Electra(same.clone()), s, c),
        "not slashable",
    );
    let widen = |a: &types::IndexedAttestationElectra<E>| IndexedAttestationBase {
        attesting_indices: types::ssz_types::VariableList::new(a.attesting_indices.to_vec())
            .unwrap(),
        data: a.data.clone(),
        signature: a.signature,
    };
    let base = AttesterSlashing::Base(AttesterSlashingBase {
        attestation_1: widen(&same.attestation_1),
        attestation_2: widen(&same.attestation_2),
    });
    assert!(matches!(
        p.insert_attester_slashing(base, s, c),
        Err(OperationError::WrongFork { .. })
    ));

    is_invalid(
        p.insert_voluntary_exit(h.exit(10, 3), s, c),
        "in the future",
    );
    let mut forged = h.exit(10, 2);
    forged.signature = h.exit(11, 2).signature;
    assert!(matches!(
        p.insert_voluntary_exit(forged, s, c),
        Err(OperationError::InvalidSignature(_))
    ));
    let mut unknown = h.exit(10, 2);
    unknown.message.validator_index = 999;
    is_invalid(p.insert_voluntary_exit(unknown, s, c), "999");

    let mut other_key = h.bls_change(11);
    other_key.message.from_bls_pubkey = h.keys[12].public_key().to_bytes();
    is_invalid(
        p.insert_bls_to_execution_change(other_key, s, c),
        "does not match the credentials",
    );

    // Already slashed validators: nothing left to slash.
    for i in [1, 2, 5] {
        h.state.validators_mut().get_mut(i).unwrap().slashed = true;
    }
    let (s, c, p) = (&h.state, &h.caches, &h.pool);
    assert_eq!(
        p.insert_proposer_slashing(h.proposer_slashing(5), s, c),
        Err(OperationError::NothingSlashable)
    );
    assert_eq!(
        p.insert_attester_slashing(h.attester_slashing(&[1, 2]), s, c),
        Err(OperationError::NothingSlashable)
    );
    assert!(p.proposer_slashings().is_empty() && p.attester_slashings().is_empty());
    assert!(p.voluntary_exits().is_empty() && p.bls_to_execution_changes().is_empty());
}

/// Packing re-checks every operation on top of the ones before it: an exit of a validator a packed
/// slashing exits is left out, and the slashing covering more validators goes first.
#[test]
fn packing_leaves_out_what_no_longer_applies() {
    let h = Harness::new(ForkName::Fulu, 20);
    let (s, c, p) = (&h.state, &h.caches, &h.pool);
    p.insert_voluntary_exit(h.exit(5, 2), s, c).unwrap();
    p.insert_voluntary_exit(h.exit(6, 2), s, c).unwrap();
    p.insert_proposer_slashing(h.proposer_slashing(5), s, c)
        .unwrap();
    p.insert_attester_slashing(h.attester_slashing(&[1, 2]), s, c)
        .unwrap();
    p.insert_attester_slashing(h.attester_slashing(&[1, 2, 3, 4]), s, c)
        .unwrap();
    let ops = p.operations_for_block(s, c);
    assert_eq!(ops.proposer_slashings, vec![h.proposer_slashing(5)]);
    assert_eq!(
        ops.attester_slashings,
        vec![h.attester_slashing(&[1, 2, 3, 4])]
    );
    assert_eq!(ops.voluntary_exits, vec![h.exit(6, 2)]);
    assert!(ops.bls_to_execution_changes.is_empty());
}

/// Across the Electra upgrade: a slashing kept in Deneb's shape is packed in Electra's (the index lists
/// only widen), and Deneb's attestations, which Electra blocks cannot carry, are left out.
#[test]
fn operations_kept_before_electra_pack_into_an_electra_block() {
    let mut spec = types::ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Deneb);
    spec.electra_fork_epoch = 1;
    let mut h = Harness::with_spec(spec, ForkName::Deneb, 7);
    let slashing = h.attester_slashing(&[1, 2]);
    assert!(matches!(slashing, AttesterSlashing::Base(_)));
    let (s, c, p) = (&h.state, &h.caches, &h.pool);
    p.insert_attester_slashing(slashing, s, c).unwrap();
    h.insert(&h.attestation(6, 0, &[0, 1])).unwrap();
    h.advance(10);
    assert_eq!(h.fork(), ForkName::Electra);
    h.insert(&h.attestation(9, 1, &[2])).unwrap();

    let (s, c, p) = (&h.state, &h.caches, &h.pool);
    let operations = p.operations_for_block(s, c);
    assert!(matches!(
        operations.attester_slashings[..],
        [AttesterSlashing::Electra(_)]
    ));
    let attestations = p.attestations_for_block(s, c).unwrap();
    assert_eq!(attestations.len(), 1);
    assert_eq!(attestations[0].data().slot, 9);
    let post = h
        .process(&h.block(attestations, operations, types::SyncAggregate::empty()))
        .unwrap();
    assert!(post.validators().get(2).unwrap().slashed);
}
