//! Everything the pool packs, in one block that passes `process_block` with every signature checked.

use super::{Harness, FORKS};
use types::SyncAggregate;

#[test]
fn a_block_of_everything_the_pool_packs_processes_and_prunes_it() {
    for fork in FORKS {
        let h = Harness::new(fork, 20);
        let (s, c, p) = (&h.state, &h.caches, &h.pool);
        for slot in [17, 18, 19] {
            for committee in 0..2 {
                for position in 0..4 {
                    h.insert(&h.attestation(slot, committee, &[position]))
                        .unwrap();
                }
            }
        }
        p.insert_proposer_slashing(h.proposer_slashing(20), s, c)
            .unwrap();
        p.insert_attester_slashing(h.attester_slashing(&[30, 31]), s, c)
            .unwrap();
        p.insert_voluntary_exit(h.exit(40, 2), s, c).unwrap();
        p.insert_bls_to_execution_change(h.bls_change(41), s, c)
            .unwrap();
        let root = h.parent_root();
        let seats = h.sync_seats();
        for &v in &seats {
            p.insert_sync_committee_message(&h.sync_message(v, 19, root), s, c)
                .unwrap();
        }

        let attestations = p.attestations_for_block(s, c).unwrap();
        if fork.electra_enabled() {
            assert_eq!(
                attestations.len(),
                3,
                "one per slot, both committees in each"
            );
            assert!(attestations.iter().all(|a| a.num_attesters() == 8));
        } else {
            assert_eq!(attestations.len(), 6, "one per slot and committee");
            assert!(attestations.iter().all(|a| a.num_attesters() == 4));
        }
        let operations = p.operations_for_block(s, c);
        let sync_aggregate = p.sync_aggregate_for_block(s, c, 20, root);
        assert_eq!(
            sync_aggregate.sync_committee_bits.num_set_bits(),
            seats.len()
        );
        assert_ne!(sync_aggregate, SyncAggregate::empty());

        let post = h
            .process(&h.block(attestations, operations, sync_aggregate))
            .unwrap();
        assert!(post.validators().get(20).unwrap().slashed);
        assert!(post.validators().get(31).unwrap().slashed);
        p.prune(&post);
        assert!(p.proposer_slashings().is_empty());
        assert!(p.attester_slashings().is_empty());
        assert!(p.voluntary_exits().is_empty());
        assert!(p.bls_to_execution_changes().is_empty());
    }
}

#[test]
fn an_empty_pool_makes_an_empty_block_that_processes() {
    for fork in FORKS {
        let h = Harness::new(fork, 9);
        let (s, c, p) = (&h.state, &h.caches, &h.pool);
        let sync_aggregate = p.sync_aggregate_for_block(s, c, 9, h.parent_root());
        assert_eq!(sync_aggregate, SyncAggregate::empty());
        let block = h.block(
            p.attestations_for_block(s, c).unwrap(),
            p.operations_for_block(s, c),
            sync_aggregate,
        );
        h.process(&block).unwrap();
    }
}
