//! Fork choice across a restart: written with each head as a journal of the votes that changed, it
//! reads back with the same votes, and the weights recomputed from them are the ones before.

use crate::harness::*;
use beacon_chain::{BlockFormat, Published};
use types::{EthSpec, Hash256};

type Votes = Vec<(usize, Hash256, u64)>;

fn votes_and_weights(env: &Env) -> (Votes, Vec<(Hash256, u64)>) {
    env.chain().with_fork_choice(|fc| {
        (
            fc.latest_messages().collect(),
            fc.proto_array()
                .nodes()
                .iter()
                .map(|n| (n.root, n.weight))
                .collect(),
        )
    })
}

#[tokio::test]
async fn fork_choice_votes_read_back_after_a_restart_are_the_ones_before() {
    let mut env = Env::start("fc_votes_restart", Options::default()).await;
    // Past an epoch boundary, every committee attesting each slot.
    for slot in 1..=E::slots_per_epoch() + 3 {
        let (_, published) = env.propose(slot, BlockFormat::Either).await;
        assert!(
            matches!(published, Ok(Published::Imported(_))),
            "{published:?}"
        );
        assert!(env.attest(slot).await > 0);
    }
    // The last attestations reach the store with the next head.
    let slot = E::slots_per_epoch() + 4;
    let (_, published) = env.propose(slot, BlockFormat::Either).await;
    assert!(
        matches!(published, Ok(Published::Imported(_))),
        "{published:?}"
    );
    let records = env.chain().store().fork_choice_votes().expect("readable");
    assert!(
        records.len() > 1,
        "votes are written as a journal after the first snapshot ({} records)",
        records.len()
    );
    let head = env.chain().head().block_root;
    let (votes, weights) = votes_and_weights(&env);
    assert!(
        votes.len() > VALIDATORS as usize / 2,
        "most validators voted ({})",
        votes.len()
    );
    assert!(weights.iter().any(|(_, w)| *w > 0));

    env.restart().await;
    assert_eq!(env.chain().head().block_root, head);
    let (votes_after, weights_after) = votes_and_weights(&env);
    assert_eq!(
        votes_after, votes,
        "the votes are the ones before the restart"
    );
    assert_eq!(weights_after, weights, "the weights follow from them");
    // And the chain goes on from there.
    let (_, published) = env.propose(slot + 1, BlockFormat::Either).await;
    assert!(
        matches!(published, Ok(Published::Imported(_))),
        "{published:?}"
    );
}
