//! Sync committee messages and contributions.

use super::{aggregate, Harness, E, FORKS};
use crate::{
    ContributionAndProof, InsertOutcome, SignedContributionAndProof, SyncAggregatorSelectionData,
    SyncCommitteeContribution, SyncError, SyncSubcommitteeBits,
};
use state_processing::common::{compute_epoch_at_slot, get_domain};
use types::{
    Root, SignatureBytes, Slot, SyncAggregate, ValidatorIndex, DOMAIN_CONTRIBUTION_AND_PROOF,
    DOMAIN_SYNC_COMMITTEE, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
};

impl Harness {
    /// A contribution of subcommittee `sub` by its seats at `positions`, signed by each seat.
    pub fn contribution(
        &self,
        slot: Slot,
        root: Root,
        sub: u64,
        positions: &[usize],
    ) -> SyncCommitteeContribution<E> {
        let seats = self.sync_seats();
        let size = crate::sync_subcommittee_size::<E>();
        let domain = get_domain(
            &self.state,
            DOMAIN_SYNC_COMMITTEE,
            Some(compute_epoch_at_slot::<E>(slot)),
        );
        let signing_root = types::compute_signing_root(&root, domain);
        let mut aggregation_bits = SyncSubcommitteeBits::default();
        let mut signatures = vec![];
        for &p in positions {
            aggregation_bits.set(p, true);
            signatures.push(self.sign(seats[sub as usize * size + p], signing_root));
        }
        SyncCommitteeContribution {
            slot,
            beacon_block_root: root,
            subcommittee_index: sub,
            aggregation_bits,
            signature: aggregate(&signatures),
        }
    }

    fn signed_contribution(
        &self,
        aggregator: ValidatorIndex,
        contribution: SyncCommitteeContribution<E>,
    ) -> SignedContributionAndProof<E> {
        let epoch = compute_epoch_at_slot::<E>(contribution.slot);
        let selection = SyncAggregatorSelectionData {
            slot: contribution.slot,
            subcommittee_index: contribution.subcommittee_index,
        };
        let domain = get_domain(
            &self.state,
            DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
            Some(epoch),
        );
        let selection_proof = self
            .sign(aggregator, types::compute_signing_root(&selection, domain))
            .to_bytes();
        let message = ContributionAndProof {
            aggregator_index: aggregator,
            contribution,
            selection_proof,
        };
        let domain = get_domain(&self.state, DOMAIN_CONTRIBUTION_AND_PROOF, Some(epoch));
        SignedContributionAndProof {
            signature: self
                .sign(aggregator, types::compute_signing_root(&message, domain))
                .to_bytes(),
            message,
        }
    }
}

#[test]
fn sync_messages_are_checked_and_kept_once() {
    for fork in FORKS {
        let h = Harness::new(fork, 20);
        let (s, c, p) = (&h.state, &h.caches, &h.pool);
        let seats = h.sync_seats();
        let root = h.parent_root();
        let message = h.sync_message(seats[0], 19, root);
        assert_eq!(
            p.insert_sync_committee_message(&message, s, c),
            Ok(InsertOutcome::New)
        );
        assert_eq!(
            p.insert_sync_committee_message(&message, s, c),
            Ok(InsertOutcome::AlreadyKnown)
        );
        let outsider = (0..64).find(|v| !seats.contains(v)).unwrap();
        assert_eq!(
            p.insert_sync_committee_message(&h.sync_message(outsider, 19, root), s, c),
            Err(SyncError::NotInSyncCommittee {
                validator_index: outsider
            })
        );
        let mut forged = h.sync_message(seats[1], 19, root);
        forged.signature = h.sync_message(seats[2], 19, root).signature;
        if seats[1] != seats[2] {
            assert_eq!(
                p.insert_sync_committee_message(&forged, s, c),
                Err(SyncError::InvalidSignature)
            );
        }
        // Two periods ahead (minimal: 8 epochs of 8 slots per period).
        assert_eq!(
            p.insert_sync_committee_message(&h.sync_message(seats[0], 200, root), s, c),
            Err(SyncError::SlotOutOfPeriod { slot: 200 })
        );
        let best = p.sync_committee_contribution(19, 0, root).unwrap();
        let expected = seats[..8].iter().filter(|&&v| v == seats[0]).count();
        assert_eq!(best.aggregation_bits.num_set_bits(), expected);
        assert!(p.sync_committee_contribution(19, 1, root).is_none());
    }
}

#[test]
fn contributions_are_checked_with_their_aggregator() {
    let h = Harness::new(types::ForkName::Electra, 20);
    let (s, c, p) = (&h.state, &h.caches, &h.pool);
    let seats = h.sync_seats();
    let root = h.parent_root();
    let aggregator = seats[8];
    let good = h.signed_contribution(aggregator, h.contribution(19, root, 1, &[0, 1, 2]));
    let insert = |signed: &SignedContributionAndProof<E>| {
        p.insert_signed_contribution_and_proof(signed, s, c)
    };

    let mut bad_proof = good.clone();
    bad_proof.message.selection_proof = h.sync_message(aggregator, 19, root).signature;
    // Minimal's sync subcommittees make every member an aggregator: only the proof's validity counts.
    assert_eq!(insert(&bad_proof), Err(SyncError::InvalidSelectionProof));
    let mut bad_outer = good.clone();
    bad_outer.signature = SignatureBytes::infinity();
    assert_eq!(
        insert(&bad_outer),
        Err(SyncError::InvalidAggregatorSignature)
    );
    let outsider = (0..64).find(|v| !seats[8..16].contains(v)).unwrap();
    let foreign = h.signed_contribution(outsider, h.contribution(19, root, 1, &[0]));
    assert_eq!(
        insert(&foreign),
        Err(SyncError::NotInSyncCommittee {
            validator_index: outsider
        })
    );
    let mut out_of_range = good.clone();
    out_of_range.message.contribution.subcommittee_index = 4;
    assert_eq!(
        insert(&out_of_range),
        Err(SyncError::SubcommitteeIndexOutOfRange(4))
    );
    let empty = h.signed_contribution(aggregator, h.contribution(19, root, 1, &[]));
    assert_eq!(insert(&empty), Err(SyncError::NoParticipants));
    let mut wrong_signers = h.contribution(19, root, 1, &[0, 1]);
    wrong_signers.signature = h.contribution(19, root, 1, &[0, 2]).signature;
    assert_eq!(
        p.insert_sync_contribution(&wrong_signers, s, c),
        Err(SyncError::InvalidSignature)
    );
    assert!(p.sync_committee_contribution(19, 1, root).is_none());

    assert_eq!(insert(&good), Ok(InsertOutcome::New));
    assert_eq!(insert(&good), Ok(InsertOutcome::AlreadyKnown));
    // A disjoint contribution merges into the served one.
    let more = h.contribution(19, root, 1, &[5, 6]);
    assert_eq!(
        p.insert_sync_contribution(&more, s, c),
        Ok(InsertOutcome::New)
    );
    let best = p.sync_committee_contribution(19, 1, root).unwrap();
    assert_eq!(
        best.aggregation_bits.set_positions().collect::<Vec<_>>(),
        [0, 1, 2, 5, 6]
    );

    // Nothing for another root: the empty aggregate.
    assert_eq!(
        p.sync_aggregate_for_block(s, c, 20, Root::repeat_byte(9)),
        SyncAggregate::empty()
    );
}

#[test]
fn subcommittee_bits_encode_as_the_spec_bitvector() {
    use ssz::{Decode, Encode};
    use tree_hash::TreeHash;
    let mut bits = SyncSubcommitteeBits::<E>::default();
    bits.set(0, true);
    bits.set(7, true);
    assert_eq!(bits.as_ssz_bytes(), vec![0b1000_0001]);
    assert_eq!(
        SyncSubcommitteeBits::<E>::from_ssz_bytes(&[0b1000_0001]).unwrap(),
        bits
    );
    assert!(SyncSubcommitteeBits::<E>::from_ssz_bytes(&[0, 0]).is_err());
    let mut expected = types::ssz_types::BitVector::<types::ssz_types::typenum::U8>::new();
    expected.set(0, true).unwrap();
    expected.set(7, true).unwrap();
    assert_eq!(bits.tree_hash_root(), expected.tree_hash_root());
    let json = serde_json::to_string(&bits).unwrap();
    assert_eq!(json, "\"0x81\"");
    assert_eq!(
        serde_json::from_str::<SyncSubcommitteeBits<E>>(&json).unwrap(),
        bits
    );
}
