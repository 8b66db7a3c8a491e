//! Unit tests of the store and the proto-array on an interop genesis (minimal preset: 64 validators
//! of 32 ETH, 8 slots of 6 s per epoch, so a committee weighs 256 ETH and the boost 102.4 ETH).

use crate::*;
use state_processing::genesis::interop_genesis_state;
use types::{
    AttestationData, BeaconState, ChainSpec, Checkpoint, ForkName, Hash256, MinimalEthSpec,
};

type E = MinimalEthSpec;
const ETH: u64 = 1_000_000_000;

struct Harness {
    fc: ForkChoice,
    genesis: BeaconState<E>,
    genesis_root: Hash256,
}

fn root(n: u8) -> Hash256 {
    Hash256::repeat_byte(n)
}

fn hash(n: u8) -> Hash256 {
    let mut h = [0xee; 32];
    h[0] = n;
    Hash256::from(h)
}

impl Harness {
    fn new() -> Self {
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Capella);
        let genesis =
            interop_genesis_state::<E>(64, 0, ForkName::Capella, None, &spec).expect("genesis");
        let anchor = BlockSummary {
            root: root(0xaa),
            slot: 0,
            parent_root: Hash256::ZERO,
            proposer_index: 0,
            execution_block_hash: hash(0xaa),
        };
        let fc = ForkChoice::from_anchor(
            &anchor,
            &genesis,
            ExecutionStatus::Valid,
            ForkChoiceConfig::new::<E>(&spec),
        )
        .expect("anchor");
        Self {
            fc,
            genesis,
            genesis_root: anchor.root,
        }
    }

    /// Tick to `seconds` into `slot`.
    fn tick(&mut self, slot: u64, seconds: u64) {
        self.fc.on_tick(slot * 6 + seconds);
    }

    fn block(
        &mut self,
        n: u8,
        parent: Hash256,
        slot: u64,
        status: ExecutionStatus,
    ) -> Result<(), Error> {
        let summary = BlockSummary {
            root: root(n),
            slot,
            parent_root: parent,
            proposer_index: n as u64,
            execution_block_hash: hash(n),
        };
        let mut state = self.genesis.clone();
        *state.slot_mut() = slot;
        let mut balances = |_: &Checkpoint| {
            JustifiedBalances::from_state(&self.genesis).map_err(|e| e.to_string())
        };
        self.fc
            .on_block(&summary, &state, None, status, true, &mut balances)
    }

    fn vote(
        &mut self,
        block: Hash256,
        slot: u64,
        validators: std::ops::Range<u64>,
    ) -> Result<(), Error> {
        let data = AttestationData {
            slot,
            index: 0,
            beacon_block_root: block,
            source: Checkpoint::default(),
            target: Checkpoint {
                epoch: 0,
                root: self
                    .fc
                    .get_checkpoint_block(&block, 0)
                    .unwrap_or(self.genesis_root),
            },
        };
        let indices: Vec<u64> = validators.collect();
        self.fc.on_attestation(&data, &indices, false)
    }

    fn head(&mut self) -> Hash256 {
        let genesis = &self.genesis;
        let mut balances =
            |_: &Checkpoint| JustifiedBalances::from_state(genesis).map_err(|e| e.to_string());
        self.fc.get_head(&mut balances).expect("head")
    }

    fn weight(&self, n: Hash256) -> u64 {
        self.fc.block(&n).expect("known").weight
    }
}

/// Two forks from genesis, late so that no boost applies: votes decide, and move with the votes.
#[test]
fn votes_weigh_branches_and_move() {
    let mut h = Harness::new();
    h.tick(2, 5);
    let g = h.genesis_root;
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.block(2, g, 2, ExecutionStatus::Valid).unwrap();
    assert_eq!(
        h.fc.proposer_boost_root(),
        Hash256::ZERO,
        "late blocks get no boost"
    );
    // Equal (zero) weight: the higher root wins.
    assert_eq!(h.head(), root(2));
    h.tick(3, 0);
    h.vote(root(1), 1, 0..3).unwrap();
    h.vote(root(2), 2, 3..5).unwrap();
    assert_eq!(h.head(), root(1));
    assert_eq!(h.weight(root(1)), 3 * 32 * ETH);
    assert_eq!(h.weight(root(2)), 2 * 32 * ETH);
    assert_eq!(h.weight(g), 5 * 32 * ETH);
    // A vote of a later epoch moves; one of the same epoch does not.
    h.vote(root(2), 2, 0..2).unwrap();
    assert_eq!(h.head(), root(1));
    h.tick(9, 0);
    h.block(3, root(2), 8, ExecutionStatus::Valid).unwrap();
    let data = AttestationData {
        slot: 8,
        index: 0,
        beacon_block_root: root(3),
        source: Checkpoint::default(),
        target: Checkpoint {
            epoch: 1,
            root: root(3),
        },
    };
    h.fc.on_attestation(&data, &[0, 1], false).unwrap();
    assert_eq!(h.head(), root(3));
    assert_eq!(h.weight(root(1)), 32 * ETH);
    assert_eq!(h.weight(root(2)), 4 * 32 * ETH);
}

/// A timely block is boosted until the next slot; three votes (96 ETH) do not outweigh the boost, four do.
#[test]
fn proposer_boost_applies_in_its_slot_only() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(1, 5);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.tick(2, 0);
    h.vote(root(1), 1, 0..3).unwrap();
    h.block(2, g, 2, ExecutionStatus::Valid).unwrap();
    assert_eq!(h.fc.proposer_boost_root(), root(2));
    assert_eq!(h.head(), root(2));
    assert_eq!(h.weight(root(2)), 102_400_000_000);
    h.tick(3, 0);
    assert_eq!(h.fc.proposer_boost_root(), Hash256::ZERO);
    assert_eq!(h.head(), root(1));
    assert_eq!(h.weight(root(2)), 0);
    // Only the first timely block of a slot is boosted.
    h.block(3, g, 3, ExecutionStatus::Valid).unwrap();
    h.block(4, g, 3, ExecutionStatus::Valid).unwrap();
    assert_eq!(h.fc.proposer_boost_root(), root(3));
}

/// An attester slashing removes the equivocators' votes for good.
#[test]
fn equivocating_votes_are_discarded() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(3, 0);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.block(2, g, 2, ExecutionStatus::Valid).unwrap();
    h.vote(root(1), 2, 0..3).unwrap();
    h.vote(root(2), 2, 3..5).unwrap();
    assert_eq!(h.head(), root(1));
    let slashed = |slot| types::IndexedAttestationBase::<E> {
        attesting_indices: types::ssz_types::VariableList::new(vec![0, 1]).expect("short"),
        data: AttestationData {
            slot,
            target: Checkpoint { epoch: 1, root: g },
            ..AttestationData::default()
        },
        signature: Default::default(),
    };
    let (a, b) = (slashed(1), slashed(2));
    h.fc.on_attester_slashing::<E>((&a).into(), (&b).into())
        .unwrap();
    assert_eq!(h.head(), root(2));
    assert_eq!(h.weight(root(1)), 32 * ETH);
    // The same data twice is not slashable.
    let c = slashed(1);
    assert_eq!(
        h.fc.on_attester_slashing::<E>((&a).into(), (&c).into()),
        Err(Error::NotSlashable)
    );
}

/// G - 1(valid) - 2 - 3 - 5 (optimistic), and 4 (optimistic) from 1. The engine says 3 is INVALID
/// with 1 as the latest valid: 2, 3 and 5 go, the head moves to 4.
#[test]
fn invalidation_reaches_back_to_latest_valid_hash() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(6, 0);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.block(2, root(1), 2, ExecutionStatus::Optimistic).unwrap();
    h.block(3, root(2), 3, ExecutionStatus::Optimistic).unwrap();
    h.block(4, root(1), 4, ExecutionStatus::Optimistic).unwrap();
    h.block(5, root(3), 5, ExecutionStatus::Optimistic).unwrap();
    h.vote(root(5), 5, 0..10).unwrap();
    h.vote(root(4), 5, 10..12).unwrap();
    assert_eq!(h.head(), root(5));
    let mut gone =
        h.fc.on_invalid_execution_payload(InvalidPayloadTarget::Block(root(3)), Some(hash(1)))
            .unwrap();
    gone.sort();
    assert_eq!(gone, vec![root(2), root(3), root(5)]);
    assert_eq!(h.head(), root(4));
    assert_eq!(
        h.fc.execution_status(&root(4)),
        Some(ExecutionStatus::Optimistic)
    );
    assert_eq!(h.fc.is_optimistic(&root(4)), Ok(true));
    assert_eq!(h.fc.is_optimistic(&root(1)), Ok(false));
    assert_eq!(
        h.fc.forkchoice_update_hashes(&root(4)),
        Ok((hash(4), hash(0xaa), hash(0xaa)))
    );
    // A block under an invalid one is invalid from the start.
    h.block(6, root(5), 6, ExecutionStatus::Optimistic).unwrap();
    assert_eq!(
        h.fc.execution_status(&root(6)),
        Some(ExecutionStatus::Invalid)
    );
    assert_eq!(h.head(), root(4));
    // Valid and invalid do not swap.
    assert!(h.fc.on_valid_execution_payload(&root(5)).is_err());
    h.fc.on_valid_execution_payload(&root(4)).unwrap();
    assert!(h
        .fc
        .on_invalid_execution_payload(InvalidPayloadTarget::Block(root(4)), None)
        .is_err());
}

/// An unknown latest valid hash invalidates only the block named; an unimported child's verdict
/// reaches back through its parent; a head hash names its block.
#[test]
fn invalidation_without_a_known_latest_valid_hash_stays_local() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(6, 0);
    h.block(1, g, 1, ExecutionStatus::Optimistic).unwrap();
    h.block(2, root(1), 2, ExecutionStatus::Optimistic).unwrap();
    h.block(3, root(2), 3, ExecutionStatus::Optimistic).unwrap();
    let gone =
        h.fc.on_invalid_execution_payload(InvalidPayloadTarget::Block(root(3)), Some(hash(0x77)))
            .unwrap();
    assert_eq!(gone, vec![root(3)]);
    assert_eq!(h.head(), root(2));
    let gone =
        h.fc.on_invalid_execution_payload(
            InvalidPayloadTarget::UnimportedChild {
                parent_root: root(2),
            },
            Some(hash(1)),
        )
        .unwrap();
    assert_eq!(gone, vec![root(2)]);
    assert_eq!(
        h.fc.execution_status(&root(1)),
        Some(ExecutionStatus::Valid)
    );
    assert_eq!(h.head(), root(1));
    let gone =
        h.fc.on_invalid_execution_payload(InvalidPayloadTarget::HeadHash(hash(1)), None);
    assert!(gone.is_err(), "a validated block cannot be invalidated");
    assert_eq!(
        h.fc.on_invalid_execution_payload(InvalidPayloadTarget::HeadHash(hash(0x55)), None),
        Err(Error::UnknownExecutionBlockHash(hash(0x55)))
    );
}

/// Blocks that do not descend from a new finalized block are pruned; the rest keeps working.
#[test]
fn pruning_drops_what_does_not_descend_from_finality() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(6, 0);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.block(2, g, 2, ExecutionStatus::Valid).unwrap();
    h.block(3, root(1), 3, ExecutionStatus::Valid).unwrap();
    h.block(4, root(3), 4, ExecutionStatus::Valid).unwrap();
    h.vote(root(4), 4, 0..4).unwrap();
    assert_eq!(h.head(), root(4));
    h.fc.finalized_checkpoint = Checkpoint {
        epoch: 0,
        root: root(1),
    };
    h.fc.justified_checkpoint = Checkpoint {
        epoch: 0,
        root: root(1),
    };
    assert_eq!(h.fc.prune().unwrap(), 2, "genesis and the other fork go");
    assert!(!h.fc.contains_block(&g) && !h.fc.contains_block(&root(2)));
    assert_eq!(h.fc.proto_array().len(), 3);
    assert_eq!(h.fc.get_ancestor(&root(4), 1).unwrap(), root(1));
    h.vote(root(3), 5, 4..10).unwrap();
    assert_eq!(h.head(), root(4));
    assert_eq!(h.weight(root(1)), 10 * 32 * ETH);
    h.block(5, root(3), 5, ExecutionStatus::Valid).unwrap();
    assert!(h.fc.block(&root(5)).unwrap().parent.is_some());
}

/// `to_bytes` then `from_bytes` gives the same store, which goes on to the same heads; bad bytes are
/// refused with an error.
#[test]
fn persistence_round_trips() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(3, 0);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.block(2, g, 2, ExecutionStatus::Optimistic).unwrap();
    h.block(3, root(2), 3, ExecutionStatus::Optimistic).unwrap();
    h.vote(root(1), 2, 0..3).unwrap();
    assert_eq!(
        h.head(),
        root(3),
        "the boost of a timely block outweighs three votes"
    );
    let bytes = h.fc.to_bytes();
    let restored = ForkChoice::from_bytes(&bytes).unwrap();
    assert_eq!(restored, h.fc);
    let mut other = Harness::new();
    other.fc = restored;
    other.tick(4, 0);
    h.tick(4, 0);
    assert_eq!(other.head(), h.head());
    assert_eq!(other.head(), root(1));
    assert!(matches!(
        ForkChoice::from_bytes(&bytes[..bytes.len() - 1]),
        Err(Error::Decode(_))
    ));
    let mut wrong = bytes.clone();
    wrong[4] = 9;
    assert!(matches!(
        ForkChoice::from_bytes(&wrong),
        Err(Error::Decode(_))
    ));
    let mut trailing = bytes;
    trailing.push(0);
    assert!(matches!(
        ForkChoice::from_bytes(&trailing),
        Err(Error::Decode(_))
    ));
}

/// The store in parts: a snapshot first, nothing when nothing changed, then a journal of the changed
/// votes only; the parts read back give the same store (weights recomputed from the votes), a failed
/// write makes the next one a snapshot, and bad records are refused.
#[test]
fn persistence_in_parts_round_trips() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(3, 0);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.block(2, g, 2, ExecutionStatus::Optimistic).unwrap();
    h.block(3, root(2), 3, ExecutionStatus::Optimistic).unwrap();
    h.vote(root(1), 2, 0..3).unwrap();
    h.head();
    let first = h.fc.take_persisted_parts();
    let balances = first
        .balances
        .clone()
        .expect("the first write has the balances");
    let VotesRecord::Snapshot(snapshot) = first.votes else {
        panic!("the first write is a snapshot: {:?}", first.votes);
    };
    let idle = h.fc.take_persisted_parts();
    assert_eq!((idle.balances, idle.votes), (None, VotesRecord::Unchanged));
    h.tick(4, 0);
    h.vote(root(3), 3, 3..10).unwrap();
    h.vote(root(1), 3, 0..3).unwrap(); // the same votes again: no change
    assert_eq!(h.head(), root(3));
    let later = h.fc.take_persisted_parts();
    assert_eq!(later.balances, None, "same justified checkpoint");
    let VotesRecord::Journal(journal) = later.votes else {
        panic!("a journal: {:?}", later.votes);
    };
    // Header, one root, seven entries of 20 bytes.
    assert_eq!(journal.len(), 5 + 8 + 32 + 8 + 7 * 20);
    let restored = ForkChoice::from_parts(
        &later.core,
        Some(&balances),
        [snapshot.as_slice(), journal.as_slice()],
    )
    .unwrap();
    assert_eq!(restored, h.fc, "votes, weights and boost rebuilt");
    let messages: Vec<_> = h.fc.latest_messages().collect();
    assert_eq!(messages.len(), 10);
    assert_eq!(restored.latest_messages().collect::<Vec<_>>(), messages);
    let without_journal =
        ForkChoice::from_parts(&later.core, Some(&balances), [snapshot.as_slice()]).unwrap();
    assert_eq!(without_journal.latest_messages().count(), 3);

    h.fc.persist_failed();
    let again = h.fc.take_persisted_parts();
    let VotesRecord::Snapshot(full) = &again.votes else {
        panic!("a snapshot after a failed write: {:?}", again.votes);
    };
    let restored =
        ForkChoice::from_parts(&again.core, again.balances.as_deref(), [full.as_slice()]).unwrap();
    assert_eq!(restored, h.fc);

    assert!(matches!(
        ForkChoice::from_bytes(&later.core),
        Err(Error::Decode(_))
    ));
    let truncated = &journal[..journal.len() - 1];
    assert!(matches!(
        ForkChoice::from_parts(
            &later.core,
            Some(&balances),
            [snapshot.as_slice(), truncated]
        ),
        Err(Error::Decode(_))
    ));
    let mut bad_root = journal.clone();
    let first_entry = 5 + 8 + 32 + 8;
    bad_root[first_entry + 8] = 1; // root number 1 of a one-root dictionary
    assert!(matches!(
        ForkChoice::from_parts(&later.core, Some(&balances), [bad_root.as_slice()]),
        Err(Error::Decode(_))
    ));
    let mut far = journal;
    far[first_entry..first_entry + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(matches!(
        ForkChoice::from_parts(&later.core, Some(&balances), [far.as_slice()]),
        Err(Error::Decode(_))
    ));
}

/// Bad inputs are typed errors.
#[test]
fn bad_inputs_are_errors() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(2, 0);
    assert!(matches!(
        h.block(1, root(0x42), 1, ExecutionStatus::Valid),
        Err(Error::UnknownParent { .. })
    ));
    assert!(matches!(
        h.block(1, g, 3, ExecutionStatus::Valid),
        Err(Error::FutureBlock { .. })
    ));
    assert_eq!(
        h.block(1, g, 1, ExecutionStatus::Invalid),
        Err(Error::InvalidPayloadBlock)
    );
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    assert_eq!(
        h.vote(root(0x42), 1, 0..1),
        Err(Error::UnknownBlock(root(0x42)))
    );
    assert!(matches!(
        h.vote(root(1), 2, 0..1),
        Err(Error::AttestationFromCurrentSlot { .. })
    ));
    assert!(matches!(
        h.vote(root(1), 0, 0..1),
        Err(Error::AttestationForFutureBlock { .. })
    ));
    h.tick(3, 0);
    assert_eq!(
        h.vote(root(1), 1, u64::MAX - 1..u64::MAX),
        Err(Error::ValidatorIndexOutOfRange(u64::MAX - 1))
    );
    h.vote(root(1), 1, 0..64).unwrap();
    let mut balances = |_: &Checkpoint| Err::<JustifiedBalances, _>("no state".to_string());
    assert!(matches!(
        h.fc.get_head(&mut balances),
        Err(Error::JustifiedBalances { .. })
    ));
    // Blocks at or before the finalized slot, or off the finalized chain, are refused.
    h.fc.finalized_checkpoint = Checkpoint {
        epoch: 0,
        root: root(1),
    };
    assert!(matches!(
        h.block(2, g, 2, ExecutionStatus::Valid),
        Err(Error::NotFinalizedDescendant { .. })
    ));
}

/// A late head with few votes over a strong parent is re-orged by the next proposer, and the
/// `forkchoiceUpdated` to it withheld if that proposer is ours; a timely head is kept.
#[test]
fn late_weak_heads_are_reorged() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(1, 0);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.tick(2, 3);
    // 14 votes (448 ETH) make the parent strong: above 160% of a committee (409.6 ETH).
    h.vote(root(1), 1, 0..14).unwrap();
    h.block(2, root(1), 2, ExecutionStatus::Valid).unwrap();
    assert!(h.fc.is_head_late(&root(2)).unwrap());
    assert_eq!(h.head(), root(2));
    let genesis = h.genesis.clone();
    let mut balances =
        |_: &Checkpoint| JustifiedBalances::from_state(&genesis).map_err(|e| e.to_string());
    assert!(h
        .fc
        .should_override_forkchoice_update(&root(2), &genesis, true, &mut balances)
        .unwrap());
    assert!(!h
        .fc
        .should_override_forkchoice_update(&root(2), &genesis, false, &mut balances)
        .unwrap());
    h.tick(3, 0);
    assert!(h.fc.is_proposing_on_time());
    assert_eq!(
        h.fc.get_proposer_head(&root(2), 3, &genesis, &mut balances),
        Ok(root(1))
    );
    // Too late into the slot to re-org; and a block with votes is not weak.
    h.tick(3, 2);
    assert_eq!(
        h.fc.get_proposer_head(&root(2), 3, &genesis, &mut balances),
        Ok(root(2))
    );
    // Two votes (64 ETH, above 20% of a committee) make the head strong enough to keep.
    h.vote(root(2), 2, 14..16).unwrap();
    h.head();
    assert!(!h.fc.is_head_weak(&root(2), &genesis).unwrap());
    // A timely head is never late, and keeps its boost during its slot.
    h.tick(4, 0);
    h.block(3, root(2), 4, ExecutionStatus::Valid).unwrap();
    assert!(!h.fc.is_head_late(&root(3)).unwrap());
    assert_eq!(
        h.fc.get_proposer_head(&root(3), 5, &genesis, &mut balances),
        Err(Error::HeadHasProposerBoost(root(3)))
    );
}

/// The walk back stops at validated blocks; a latest valid hash below one still condemns the
/// optimistic blocks above it; the zero hash condemns every optimistic ancestor; a block named with
/// its own hash as the latest valid one goes alone.
#[test]
fn invalidation_stops_at_validated_blocks() {
    let mut h = Harness::new();
    let g = h.genesis_root;
    h.tick(6, 0);
    h.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    h.block(2, root(1), 2, ExecutionStatus::Optimistic).unwrap();
    h.block(3, root(2), 3, ExecutionStatus::Optimistic).unwrap();
    h.block(4, root(3), 4, ExecutionStatus::Optimistic).unwrap();
    h.block(5, root(1), 5, ExecutionStatus::Optimistic).unwrap();
    let gone =
        h.fc.on_invalid_execution_payload(InvalidPayloadTarget::Block(root(4)), Some(hash(4)))
            .unwrap();
    assert_eq!(gone, vec![root(4)]);
    // Genesis's hash lies below block 1, which was validated: blocks 2 and 3 go, 1 stays.
    let mut gone =
        h.fc.on_invalid_execution_payload(InvalidPayloadTarget::Block(root(3)), Some(hash(0xaa)))
            .unwrap();
    gone.sort();
    assert_eq!(gone, vec![root(2), root(3)]);
    assert_eq!(
        h.fc.execution_status(&root(1)),
        Some(ExecutionStatus::Valid)
    );
    assert_eq!(h.head(), root(5));
    let gone = h
        .fc
        .on_invalid_execution_payload(InvalidPayloadTarget::Block(root(5)), Some(Hash256::ZERO))
        .unwrap();
    assert_eq!(gone, vec![root(5)]);
    assert_eq!(h.head(), root(1));
}

/// A slot that does not start on a whole second does not stall the clock.
#[test]
fn ticks_with_fractional_slots_terminate() {
    let mut h = Harness::new();
    h.fc.config.slot_duration_ms = 2500;
    h.fc.on_tick(100);
    assert_eq!(h.fc.time(), 100);
    assert_eq!(h.fc.current_slot(), 40);
    h.fc.on_tick(90);
    assert_eq!(h.fc.time(), 100, "the clock does not step back");
    let mut config = h.fc.config().clone();
    config.slot_duration_ms = 0;
    let anchor = BlockSummary {
        root: root(1),
        slot: 0,
        parent_root: Hash256::ZERO,
        proposer_index: 0,
        execution_block_hash: hash(1),
    };
    assert!(matches!(
        ForkChoice::from_anchor(&anchor, &h.genesis, ExecutionStatus::Valid, config),
        Err(Error::InvalidConfig(_))
    ));
}

/// A head update that visits only the votes that moved gives the weights a visit of every vote gives,
/// through votes for both branches and repeated votes (the fork choice vectors move votes across
/// epochs and equivocators through it too).
#[test]
fn visiting_moved_votes_only_weighs_as_visiting_all() {
    let mut fast = Harness::new();
    fast.tick(3, 5);
    let g = fast.genesis_root;
    fast.block(1, g, 1, ExecutionStatus::Valid).unwrap();
    fast.block(2, g, 2, ExecutionStatus::Valid).unwrap();
    fast.block(3, root(1), 3, ExecutionStatus::Valid).unwrap();
    fast.tick(4, 0);
    fast.head();
    let mut full = Harness::new();
    full.fc = fast.fc.clone();
    let steps: [(Hash256, u64, std::ops::Range<u64>); 4] = [
        (root(1), 1, 0..4),
        (root(2), 2, 2..6),
        (root(3), 3, 5..9),
        (root(3), 3, 5..9),
    ];
    for (block, slot, validators) in steps {
        for h in [&mut fast, &mut full] {
            h.vote(block, slot, validators.clone()).unwrap();
        }
        full.fc.moved_votes.0 = None;
        assert_eq!(fast.head(), full.head());
        for n in [g, root(1), root(2), root(3)] {
            assert_eq!(fast.weight(n), full.weight(n), "{n}");
        }
        assert!(
            fast.fc.moved_votes.0.is_some(),
            "the next update visits moved votes only"
        );
    }
    assert!(fast.weight(root(3)) > 0);
}

/// The justified balances read from a state's caches equal those read from its registry: slashed,
/// exited, not yet active and unequal balances included.
#[test]
fn justified_balances_from_caches_match_the_registry() {
    let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Capella);
    let mut state =
        interop_genesis_state::<E>(64, 0, ForkName::Capella, None, &spec).expect("genesis");
    *state.slot_mut() = 3 * 8;
    {
        let validators = state.validators_mut();
        validators.get_mut(1).unwrap().slashed = true;
        validators.get_mut(2).unwrap().exit_epoch = 2;
        validators.get_mut(3).unwrap().activation_epoch = 7;
        validators.get_mut(4).unwrap().effective_balance = 17 * ETH;
    }
    state.apply_pending_mutations().unwrap();
    let caches = state_processing::StateCaches::build(&state).expect("caches");
    let from_registry = JustifiedBalances::from_state(&state).unwrap();
    let from_caches = JustifiedBalances::from_state_with_caches(&state, &caches).unwrap();
    assert_eq!(from_caches, from_registry);
    assert_eq!(from_caches.weights[1..5], [0, 0, 0, 17 * ETH]);
    // The caches are what was read: a registry change they do not know of is not seen.
    let mut changed = state.clone();
    changed
        .validators_mut()
        .get_mut(5)
        .unwrap()
        .effective_balance = 9 * ETH;
    changed.apply_pending_mutations().unwrap();
    assert_eq!(
        JustifiedBalances::from_state_with_caches(&changed, &caches).unwrap(),
        from_registry
    );
    // Caches of another epoch are not used.
    let mut later = changed.clone();
    *later.slot_mut() = 4 * 8;
    let from_later = JustifiedBalances::from_state_with_caches(&later, &caches).unwrap();
    assert_eq!(from_later, JustifiedBalances::from_state(&later).unwrap());
    assert_eq!(from_later.weights[5], 9 * ETH);
}
