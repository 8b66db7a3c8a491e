//! Round trips of every table, blinded and full serving, replay, the canonical index, pruning, schema
//! refusal, corrupt records, batch atomicity and the shared file with the builder registry.

use crate::test_chain::{self, *};
use crate::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use types::sidecar::{
    verify_blob_sidecar_inclusion_proof, verify_data_column_sidecar_inclusion_proof,
};
use types::{BeaconState, ChainSpec, ForkName};

/// A directory removed on drop (no tempfile crate in the tree).
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "blindfold-store-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open(dir: &TempDir, fork: ForkName) -> Store<E> {
    Store::open(&dir.0, spec(fork)).expect("open store")
}

fn put_block(built: &Built) -> Vec<StoreOp<E>> {
    vec![
        StoreOp::PutBlock {
            block_root: built.root,
            block: Box::new(built.block.clone()),
        },
        StoreOp::PutState {
            state_root: built.state_root,
            state: Box::new(built.state.clone()),
        },
    ]
}

/// Genesis stored as a node would at first start.
fn init(store: &Store<E>, genesis: &Built) {
    let mut ops = put_block(genesis);
    ops.push(StoreOp::SetGenesis {
        state_root: genesis.state_root,
        block_root: genesis.root,
    });
    ops.push(StoreOp::SetHead(genesis.root));
    store.do_atomically(ops).expect("genesis");
}

/// Blocks at each of `slots` on top of `parent`, each imported (block, state, head) in one batch.
fn extend(
    store: &Store<E>,
    parent: &Built,
    slots: &[u64],
    blobs: usize,
    graffiti: u8,
) -> Vec<Built> {
    let spec = store.spec().clone();
    let mut chain: Vec<Built> = Vec::new();
    for &slot in slots {
        let tip = chain.last().unwrap_or(parent);
        let built = make_block(&spec, &tip.state, slot, blobs, graffiti);
        let mut ops = put_block(&built);
        ops.push(StoreOp::SetHead(built.root));
        store.do_atomically(ops).expect("import");
        chain.push(built);
    }
    chain
}

#[test]
fn blocks_are_served_blinded_and_full() {
    let dir = TempDir::new("blocks");
    let store = open(&dir, ForkName::Deneb);
    let spec = store.spec().clone();
    let genesis = genesis(&spec, ForkName::Deneb);
    init(&store, &genesis);
    let chain = extend(&store, &genesis, &[1, 2, 3], 2, 1);
    for built in chain.iter().chain([&genesis]) {
        let blinded = store
            .get_blinded_block(&built.root)
            .unwrap()
            .expect("stored");
        assert_eq!(blinded, built.block.to_blinded());
        assert_eq!(
            store.get_full_block(&built.root).unwrap().as_ref(),
            Some(&built.block)
        );
        assert_eq!(
            store.get_execution_payload(&built.root).unwrap(),
            Some(
                built
                    .block
                    .message_enum()
                    .body_enum()
                    .execution_payload_enum()
            )
        );
        let summary = store.get_block_summary(&built.root).unwrap().unwrap();
        assert_eq!(summary.slot, built.block.slot());
        assert_eq!(
            summary.parent_root,
            built.block.message_enum().parent_root()
        );
    }
    let unknown = Hash256::repeat_byte(0xee);
    assert_eq!(store.get_blinded_block(&unknown).unwrap(), None);
    assert_eq!(store.get_full_block(&unknown).unwrap(), None);
    assert!(!store.block_exists(&unknown).unwrap());

    // A blinded block first, its payload later.
    let late = make_block(&spec, &chain[2].state, 4, 0, 1);
    store
        .do_atomically(vec![StoreOp::PutBlindedBlock {
            block_root: late.root,
            block: Box::new(late.block.to_blinded()),
        }])
        .unwrap();
    assert!(matches!(
        store.get_full_block(&late.root),
        Err(StoreError::MissingPayload(root)) if root == late.root
    ));
    let payload = late
        .block
        .message_enum()
        .body_enum()
        .execution_payload_enum();
    store
        .do_atomically(vec![StoreOp::PutPayload {
            block_root: late.root,
            payload: Box::new(payload),
        }])
        .unwrap();
    assert_eq!(
        store.get_full_block(&late.root).unwrap(),
        Some(late.block.clone())
    );

    // A payload that is not the signed header's is refused when stored after its block...
    let wrong = chain[0]
        .block
        .message_enum()
        .body_enum()
        .execution_payload_enum();
    let put_wrong = |root| StoreOp::PutPayload {
        block_root: root,
        payload: Box::new(wrong.clone()),
    };
    assert!(matches!(
        store.do_atomically(vec![put_wrong(late.root)]),
        Err(StoreError::PayloadMismatch { .. })
    ));
    assert_eq!(
        store.get_full_block(&late.root).unwrap(),
        Some(late.block.clone())
    );
    // ...and when it came first, the block is refused at serving time rather than served wrong.
    let early = make_block(&spec, &late.state, 5, 0, 1);
    store
        .do_atomically(vec![
            put_wrong(early.root),
            StoreOp::PutBlindedBlock {
                block_root: early.root,
                block: Box::new(early.block.to_blinded()),
            },
        ])
        .unwrap();
    assert!(matches!(
        store.get_full_block(&early.root),
        Err(StoreError::PayloadMismatch { .. })
    ));
}

#[test]
fn blob_and_column_sidecars_round_trip() {
    let dir = TempDir::new("sidecars");
    let store = open(&dir, ForkName::Deneb);
    let spec = store.spec().clone();
    let genesis = genesis(&spec, ForkName::Deneb);
    init(&store, &genesis);
    let chain = extend(&store, &genesis, &[1, 2], 3, 1);
    let sidecars: Vec<_> = (0..3).map(|i| blob_sidecar(&chain[0], i)).collect();
    assert!(sidecars.iter().all(verify_blob_sidecar_inclusion_proof));
    store
        .do_atomically(vec![StoreOp::PutBlobSidecars {
            block_root: chain[0].root,
            sidecars: sidecars.iter().rev().cloned().collect(),
        }])
        .unwrap();
    assert_eq!(
        store.get_blob_sidecars(&chain[0].root).unwrap(),
        sidecars,
        "in index order"
    );
    assert!(store.get_blob_sidecars(&chain[1].root).unwrap().is_empty());
    // A sidecar filed under another block is refused, and the batch with it.
    let wrong = StoreOp::PutBlobSidecars {
        block_root: chain[1].root,
        sidecars: vec![sidecars[0].clone()],
    };
    assert!(matches!(
        store.do_atomically(vec![wrong]),
        Err(StoreError::SidecarBlockMismatch { .. })
    ));
    drop(store);

    let dir = TempDir::new("columns");
    let store = open(&dir, ForkName::Fulu);
    let genesis = test_chain::genesis(store.spec(), ForkName::Fulu);
    init(&store, &genesis);
    let chain = extend(&store, &genesis, &[1], 2, 1);
    let columns: Vec<_> = [5, 0, 127]
        .iter()
        .map(|&i| column_sidecar(&chain[0], i))
        .collect();
    assert!(columns
        .iter()
        .all(verify_data_column_sidecar_inclusion_proof));
    store
        .do_atomically(vec![StoreOp::PutDataColumnSidecars {
            block_root: chain[0].root,
            sidecars: columns.clone(),
        }])
        .unwrap();
    let stored = store.get_data_column_sidecars(&chain[0].root).unwrap();
    assert_eq!(
        stored.iter().map(|c| c.index).collect::<Vec<_>>(),
        vec![0, 5, 127]
    );
    assert_eq!(
        store.get_data_column_sidecar(&chain[0].root, 5).unwrap(),
        Some(columns[0].clone())
    );
    assert_eq!(
        store.get_data_column_sidecar(&chain[0].root, 6).unwrap(),
        None
    );
}

/// Every stored state comes back equal to the one the transition produced, replayed or not.
#[test]
fn replayed_states_equal_processed_ones() {
    let dir = TempDir::new("states");
    let store = open(&dir, ForkName::Fulu);
    let spec = store.spec().clone();
    let genesis = genesis(&spec, ForkName::Fulu);
    init(&store, &genesis);
    // Slot 8 (an epoch boundary) is skipped: slot 9's state has no stored boundary and is kept in full.
    let mut chain = extend(&store, &genesis, &[1, 2, 5, 7, 9, 10, 13], 1, 1);
    // The skipped boundary at 16 stored as the node stores an advanced state; 17 replays from it.
    let (boundary, boundary_root) = advance(&chain.last().unwrap().state, 16, &spec);
    store
        .do_atomically(vec![StoreOp::PutState {
            state_root: boundary_root,
            state: Box::new(boundary.clone()),
        }])
        .unwrap();
    chain.extend(extend(
        &store,
        chain.last().unwrap(),
        &[17, 19, 23, 24, 26],
        0,
        1,
    ));

    let mut expected: Vec<(Hash256, BeaconState<E>)> = chain
        .iter()
        .map(|b| (b.state_root, b.state.clone()))
        .collect();
    expected.push((boundary_root, boundary));
    expected.push((genesis.state_root, genesis.state.clone()));
    for (root, state) in &expected {
        let got = store.get_state(root).unwrap().expect("stored state");
        assert_eq!(&got, state, "state at slot {}", state.slot());
    }
    let summary = |slot: u64| {
        let b = chain.iter().find(|b| b.block.slot() == slot).unwrap();
        store.get_state_summary(&b.state_root).unwrap().unwrap()
    };
    assert_eq!(summary(2).epoch_boundary_state_root, genesis.state_root);
    assert_eq!(
        summary(9).epoch_boundary_state_root,
        chain[5 - 1].state_root,
        "its own root"
    );
    assert_eq!(summary(19).epoch_boundary_state_root, boundary_root);
    assert_eq!(
        summary(26).epoch_boundary_state_root,
        chain
            .iter()
            .find(|b| b.block.slot() == 24)
            .unwrap()
            .state_root
    );
    assert_eq!(
        summary(13).epoch_boundary_state_root,
        chain[5 - 1].state_root,
        "9 stands in for 8"
    );
    // Full: genesis, 9 (standing in for the skipped 8), 16, 24.
    assert_eq!(store.counts().unwrap().full_states, 4);
    assert_eq!(store.get_state(&Hash256::repeat_byte(3)).unwrap(), None);
}

/// An import's post-state written as a summary only: an epoch's first state replays from the previous
/// epoch's full state until its own full write lands in a later transaction; states after it in the
/// epoch replay from the previous boundary meanwhile and from the new one after; finalization keeps
/// the bases of the states it keeps.
#[test]
fn an_epochs_full_state_can_land_after_its_import() {
    let dir = TempDir::new("deferred_state");
    let store = open(&dir, ForkName::Fulu);
    let spec = store.spec().clone();
    let genesis = genesis(&spec, ForkName::Fulu);
    init(&store, &genesis);
    let mut chain = extend(&store, &genesis, &[1, 3, 7], 0, 1);
    let summary_only = |store: &Store<E>, built: &Built| {
        store
            .do_atomically(vec![
                StoreOp::PutBlock {
                    block_root: built.root,
                    block: Box::new(built.block.clone()),
                },
                StoreOp::PutStateSummary {
                    state_root: built.state_root,
                    state: Box::new(built.state.clone()),
                },
                StoreOp::SetHead(built.root),
            ])
            .unwrap();
    };
    let full_before = store.counts().unwrap().full_states;
    let first = make_block(&spec, &chain.last().unwrap().state, 8, 0, 1);
    summary_only(&store, &first);
    let second = make_block(&spec, &first.state, 10, 0, 1);
    summary_only(&store, &second);
    assert_eq!(
        store.counts().unwrap().full_states,
        full_before,
        "no full write yet"
    );
    let base = |b: &Built| {
        store
            .get_state_summary(&b.state_root)
            .unwrap()
            .unwrap()
            .epoch_boundary_state_root
    };
    assert_eq!(
        base(&first),
        genesis.state_root,
        "the previous epoch's full state"
    );
    assert_eq!(base(&second), genesis.state_root);
    assert_eq!(
        store.get_state(&first.state_root).unwrap().unwrap(),
        first.state
    );
    assert_eq!(
        store.get_state(&second.state_root).unwrap().unwrap(),
        second.state
    );
    // The full write lands.
    store
        .do_atomically(vec![StoreOp::PutState {
            state_root: first.state_root,
            state: Box::new(first.state.clone()),
        }])
        .unwrap();
    assert_eq!(store.counts().unwrap().full_states, full_before + 1);
    assert_eq!(base(&first), first.state_root);
    let third = make_block(&spec, &second.state, 12, 0, 1);
    summary_only(&store, &third);
    assert_eq!(base(&third), first.state_root, "the landed boundary");
    assert_eq!(
        store.get_state(&third.state_root).unwrap().unwrap(),
        third.state
    );
    // Epoch 2's first state before its full write lands: its base is slot 8's. Finalizing epoch 2
    // drops the states before slot 16 but that base, which the kept state replays from.
    let fourth = make_block(&spec, &third.state, 16, 0, 1);
    summary_only(&store, &fourth);
    assert_eq!(base(&fourth), first.state_root);
    let first_root = first.state_root;
    chain.extend([first, second, third]);
    store
        .prune_on_finalization(Checkpoint {
            epoch: 2,
            root: fourth.root,
        })
        .unwrap();
    assert_eq!(
        store.get_state(&fourth.state_root).unwrap().unwrap(),
        fourth.state
    );
    assert!(
        store
            .get_state_summary(&chain[4].state_root)
            .unwrap()
            .is_none(),
        "slot 10 pruned"
    );
    assert!(
        store.get_full_state(&first_root).unwrap().is_some(),
        "a base kept"
    );
}

/// Replay across a fork upgrade: the base state is Electra, the replayed one Fulu, and each record
/// decodes by its own fork tag.
#[test]
fn replay_crosses_a_fork_upgrade() {
    let dir = TempDir::new("upgrade");
    let mut spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Electra);
    spec.fulu_fork_epoch = 1;
    let spec = std::sync::Arc::new(spec);
    let store = Store::<E>::open(&dir.0, spec.clone()).unwrap();
    let genesis = genesis(&spec, ForkName::Electra);
    init(&store, &genesis);
    // 3 and 7 replay Electra blocks from genesis; no block at 8, so 9 (the first Fulu block, whose
    // process_slots ran the upgrade) is kept in full, and 11 replays a Fulu block from it.
    let chain = extend(&store, &genesis, &[3, 7, 9, 11], 0, 1);
    assert_eq!(chain[1].state.fork_name(), ForkName::Electra);
    assert_eq!(chain[2].state.fork_name(), ForkName::Fulu);
    for built in &chain {
        assert_eq!(
            store.get_state(&built.state_root).unwrap().as_ref(),
            Some(&built.state)
        );
        assert_eq!(
            store.get_full_block(&built.root).unwrap().as_ref(),
            Some(&built.block)
        );
    }
    // The skipped boundary itself, advanced from Electra's 7 through the upgrade: full, and Fulu.
    let (boundary, root) = advance(&chain[1].state, 8, &spec);
    assert_eq!(boundary.fork_name(), ForkName::Fulu);
    store
        .do_atomically(vec![StoreOp::PutState {
            state_root: root,
            state: Box::new(boundary.clone()),
        }])
        .unwrap();
    assert_eq!(store.get_state(&root).unwrap(), Some(boundary));
}

#[test]
fn metadata_round_trips() {
    let dir = TempDir::new("meta");
    let store = open(&dir, ForkName::Deneb);
    let genesis = genesis(store.spec(), ForkName::Deneb);
    assert_eq!(store.chain_metadata().unwrap(), ChainMetadata::default());
    init(&store, &genesis);
    let finalized = Checkpoint {
        epoch: 0,
        root: genesis.root,
    };
    let justified = Checkpoint {
        epoch: 1,
        root: genesis.root,
    };
    let anchor = Anchor {
        slot: 0,
        block_root: genesis.root,
        state_root: genesis.state_root,
    };
    store
        .do_atomically(vec![
            StoreOp::SetFinalized(finalized),
            StoreOp::SetJustified(justified),
            StoreOp::SetForkChoice(vec![1, 2, 3]),
            StoreOp::SetAnchor(anchor),
            StoreOp::PutItem {
                key: "op_pool".into(),
                value: vec![9; 5],
            },
        ])
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    let store = Store::<E>::open_file(&path, spec(ForkName::Deneb)).unwrap();
    let expected = ChainMetadata {
        genesis_state_root: Some(genesis.state_root),
        genesis_block_root: Some(genesis.root),
        head_block_root: Some(genesis.root),
        finalized_checkpoint: Some(finalized),
        justified_checkpoint: Some(justified),
        fork_choice: Some(vec![1, 2, 3]),
        fork_choice_balances: None,
        anchor: Some(anchor),
    };
    assert_eq!(store.chain_metadata().unwrap(), expected);
    assert_eq!(store.get_item("op_pool").unwrap(), Some(vec![9; 5]));
    assert_eq!(store.get_item("other").unwrap(), None);
}

/// Fork-choice parts: balances replaced, vote records appended in order, a snapshot replaces every
/// record before it; a failed batch leaves the records as they were; all of it survives a reopen.
#[test]
fn fork_choice_parts_append_and_compact() {
    let dir = TempDir::new("fc_parts");
    let store = open(&dir, ForkName::Deneb);
    assert!(store.fork_choice_votes().unwrap().is_empty());
    store
        .do_atomically(vec![
            StoreOp::SetForkChoice(vec![1]),
            StoreOp::SetForkChoiceBalances(vec![7; 3]),
            StoreOp::SetForkChoiceVotes(vec![10]),
        ])
        .unwrap();
    store
        .do_atomically(vec![StoreOp::AppendForkChoiceVotes(vec![11])])
        .unwrap();
    store
        .do_atomically(vec![StoreOp::AppendForkChoiceVotes(vec![12])])
        .unwrap();
    assert_eq!(
        store.fork_choice_votes().unwrap(),
        vec![vec![10], vec![11], vec![12]]
    );
    // A batch that fails part-way writes nothing.
    let failed = store.do_atomically(vec![
        StoreOp::AppendForkChoiceVotes(vec![13]),
        StoreOp::SetHead(Hash256::repeat_byte(0x99)),
    ]);
    assert!(failed.is_err());
    assert_eq!(store.fork_choice_votes().unwrap().len(), 3);
    store
        .do_atomically(vec![
            StoreOp::SetForkChoiceVotes(vec![20]),
            StoreOp::AppendForkChoiceVotes(vec![21]),
            StoreOp::SetForkChoiceBalances(vec![8]),
        ])
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    let store = Store::<E>::open_file(&path, spec(ForkName::Deneb)).unwrap();
    assert_eq!(store.fork_choice_votes().unwrap(), vec![vec![20], vec![21]]);
    let metadata = store.chain_metadata().unwrap();
    assert_eq!(metadata.fork_choice, Some(vec![1]));
    assert_eq!(metadata.fork_choice_balances, Some(vec![8]));
}

#[test]
fn canonical_index_follows_the_head_through_reorgs() {
    let dir = TempDir::new("canonical");
    let store = open(&dir, ForkName::Deneb);
    let genesis = genesis(store.spec(), ForkName::Deneb);
    init(&store, &genesis);
    let a = extend(&store, &genesis, &[1, 2, 3, 4, 5], 0, 1);
    let b = extend(&store, &a[2], &[4, 6], 0, 2);
    let index = |slot| store.canonical_block_root(slot).unwrap();
    // The last import made b[1] the head.
    assert_eq!(index(0), Some(genesis.root));
    assert_eq!(index(3), Some(a[2].root));
    assert_eq!(index(4), Some(b[0].root));
    assert_eq!(index(5), None, "skipped on the b branch");
    assert_eq!(index(6), Some(b[1].root));
    store
        .do_atomically(vec![StoreOp::SetHead(a[4].root)])
        .unwrap();
    assert_eq!(index(4), Some(a[3].root));
    assert_eq!(index(5), Some(a[4].root));
    assert_eq!(index(6), None, "past the head");
    assert_eq!(
        store.chain_metadata().unwrap().head_block_root,
        Some(a[4].root)
    );
}

#[test]
fn pruning_drops_dead_branches_and_old_states() {
    let dir = TempDir::new("prune");
    let store = open(&dir, ForkName::Deneb);
    let spec = store.spec().clone();
    let genesis = genesis(&spec, ForkName::Deneb);
    init(&store, &genesis);
    let slots: Vec<u64> = (1..=20).collect();
    let main = extend(&store, &genesis, &slots, 1, 1);
    // A branch before finality (from 5) and one after it that does not descend from it (from 15).
    let early = extend(&store, &main[4], &[6, 7], 1, 2);
    let late = extend(&store, &main[14], &[17, 18], 1, 3);
    // And one that descends from the finalized block (from 17).
    let live = extend(&store, &main[16], &[19], 1, 4);
    for built in early.iter().chain(&late) {
        store
            .do_atomically(vec![StoreOp::PutBlobSidecars {
                block_root: built.root,
                sidecars: vec![blob_sidecar(built, 0)],
            }])
            .unwrap();
    }
    store
        .do_atomically(vec![StoreOp::SetHead(main[19].root)])
        .unwrap();

    // Finalize epoch 2: the checkpoint block is the one at slot 16.
    let finalized = Checkpoint {
        epoch: 2,
        root: main[15].root,
    };
    store.prune_on_finalization(finalized).unwrap();

    for dead in early.iter().chain(&late) {
        assert!(
            !store.block_exists(&dead.root).unwrap(),
            "slot {}",
            dead.block.slot()
        );
        assert_eq!(store.get_execution_payload(&dead.root).unwrap(), None);
        assert!(store.get_blob_sidecars(&dead.root).unwrap().is_empty());
        assert_eq!(store.get_state_summary(&dead.state_root).unwrap(), None);
    }
    for kept in main.iter().chain(&live).chain([&genesis]) {
        assert_eq!(
            store.get_full_block(&kept.root).unwrap().as_ref(),
            Some(&kept.block)
        );
    }
    for built in main.iter().chain(&live) {
        let state = store.get_state(&built.state_root).unwrap();
        if built.block.slot() >= 16 {
            assert_eq!(
                state.as_ref(),
                Some(&built.state),
                "slot {}",
                built.block.slot()
            );
        } else {
            assert_eq!(
                state,
                None,
                "slot {} is before finality",
                built.block.slot()
            );
        }
    }
    assert_eq!(
        store.get_state(&genesis.state_root).unwrap(),
        Some(genesis.state.clone())
    );
    assert_eq!(
        store.get_blinded_block(&main[0].root).unwrap(),
        Some(main[0].block.to_blinded())
    );
    // Hot now: the finalized block and its descendants (17..20 and the live branch's 19).
    assert_eq!(store.counts().unwrap().hot_blocks, 6);
    assert_eq!(
        store.chain_metadata().unwrap().finalized_checkpoint,
        Some(finalized)
    );
    assert_eq!(store.canonical_block_root(7).unwrap(), Some(main[6].root));
    // Pruning again at the same checkpoint changes nothing.
    let before = store.counts().unwrap();
    store.prune_on_finalization(finalized).unwrap();
    assert_eq!(store.counts().unwrap(), before);
}

#[test]
fn sidecars_are_pruned_outside_the_retention_window() {
    let dir = TempDir::new("retention");
    let store = open(&dir, ForkName::Deneb);
    let genesis = genesis(store.spec(), ForkName::Deneb);
    init(&store, &genesis);
    let chain = extend(&store, &genesis, &[1, 2, 3, 4, 6], 1, 1);
    for built in &chain {
        store
            .do_atomically(vec![StoreOp::PutBlobSidecars {
                block_root: built.root,
                sidecars: vec![blob_sidecar(built, 0)],
            }])
            .unwrap();
    }
    let has_sidecars = |b: &Built| !store.get_blob_sidecars(&b.root).unwrap().is_empty();
    store
        .do_atomically(vec![StoreOp::PruneSidecarsBefore(3)])
        .unwrap();
    assert_eq!(
        chain.iter().map(has_sidecars).collect::<Vec<_>>(),
        [false, false, true, true, true]
    );
    // A lower cutoff later changes nothing; a higher one continues from the last.
    store
        .do_atomically(vec![StoreOp::PruneSidecarsBefore(1)])
        .unwrap();
    store
        .do_atomically(vec![StoreOp::PruneSidecarsBefore(6)])
        .unwrap();
    assert_eq!(
        chain.iter().map(has_sidecars).collect::<Vec<_>>(),
        [false, false, false, false, true]
    );
    assert!(chain.iter().all(|b| store.block_exists(&b.root).unwrap()));
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = TempDir::new("schema");
    let store = open(&dir, ForkName::Deneb);
    let db = store.database();
    drop(store);
    {
        let txn = db.begin_write().unwrap();
        txn.open_table(tables::META)
            .unwrap()
            .insert(
                tables::meta_keys::SCHEMA_VERSION,
                (SCHEMA_VERSION + 1).to_le_bytes().as_slice(),
            )
            .unwrap();
        txn.commit().unwrap();
    }
    drop(db);
    let error = Store::<E>::open(&dir.0, spec(ForkName::Deneb)).unwrap_err();
    assert!(
        matches!(error, StoreError::SchemaTooNew { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{error}"
    );
    assert!(error.to_string().contains("newer"), "{error}");
}

#[test]
fn corrupt_records_are_errors_naming_the_key() {
    let dir = TempDir::new("corrupt");
    let store = open(&dir, ForkName::Deneb);
    let genesis = genesis(store.spec(), ForkName::Deneb);
    init(&store, &genesis);
    let chain = extend(&store, &genesis, &[1, 2], 0, 1);
    let db = store.database();
    let txn = db.begin_write().unwrap();
    txn.open_table(tables::BLOCKS)
        .unwrap()
        .insert(chain[0].root.as_slice(), [1u8, 7, 7, 7].as_slice())
        .unwrap();
    txn.open_table(tables::STATE_SUMMARIES)
        .unwrap()
        .insert(chain[1].state_root.as_slice(), [0u8; 3].as_slice())
        .unwrap();
    txn.open_table(tables::PAYLOADS)
        .unwrap()
        .insert(chain[1].root.as_slice(), [9u8, 1].as_slice())
        .unwrap();
    txn.commit().unwrap();

    let hex = |root: Hash256| format!("{root:x}");
    match store.get_blinded_block(&chain[0].root) {
        Err(StoreError::CorruptRecord {
            table: "blocks",
            key,
            ..
        }) => {
            assert!(
                key.contains(hex(chain[0].root).trim_start_matches("0x")),
                "{key}"
            )
        }
        other => panic!("expected a corrupt block record, got {other:?}"),
    }
    assert!(matches!(
        store.get_state(&chain[1].state_root),
        Err(StoreError::CorruptRecord {
            table: "state_summaries",
            ..
        })
    ));
    let error = store.get_full_block(&chain[1].root).unwrap_err();
    assert!(error.to_string().contains("unknown fork tag 9"), "{error}");
    // The rest of the store still serves.
    assert_eq!(
        store.get_full_block(&genesis.root).unwrap(),
        Some(genesis.block.clone())
    );
}

#[test]
fn a_failed_batch_writes_nothing() {
    let dir = TempDir::new("atomic");
    let store = open(&dir, ForkName::Deneb);
    let genesis = genesis(store.spec(), ForkName::Deneb);
    init(&store, &genesis);
    let block = make_block(store.spec(), &genesis.state, 1, 0, 1);
    let mut ops = put_block(&block);
    ops.push(StoreOp::SetForkChoice(vec![4]));
    ops.push(StoreOp::SetHead(Hash256::repeat_byte(0x42)));
    assert!(matches!(
        store.do_atomically(ops),
        Err(StoreError::MissingBlock(_))
    ));
    assert!(!store.block_exists(&block.root).unwrap());
    assert_eq!(store.get_state_summary(&block.state_root).unwrap(), None);
    let meta = store.chain_metadata().unwrap();
    assert_eq!(
        (meta.head_block_root, meta.fork_choice),
        (Some(genesis.root), None)
    );
}

/// The execution layer's builder-block registry lives in the node's file beside the store's tables,
/// and both survive a reopen.
#[test]
fn builder_registry_shares_the_database_file() {
    use execution_layer::{BuilderBlock, BuilderBlockStore, RedbBuilderBlockStore};
    use redb::TableHandle;
    let dir = TempDir::new("builder");
    let store = open(&dir, ForkName::Deneb);
    let genesis = genesis(store.spec(), ForkName::Deneb);
    init(&store, &genesis);
    let registry = RedbBuilderBlockStore::from_database(store.database()).unwrap();
    let chain = extend(&store, &genesis, &[1], 0, 1);
    let record = BuilderBlock {
        builders: vec!["relay-a".into()],
        slot: 1,
        execution_block_hash: chain[0]
            .block
            .message_enum()
            .body_enum()
            .execution_payload_enum()
            .block_hash(),
    };
    registry.record(chain[0].root, &record).unwrap();
    drop((store, registry));

    let store = open(&dir, ForkName::Deneb);
    let registry = RedbBuilderBlockStore::from_database(store.database()).unwrap();
    assert_eq!(registry.by_block_root(chain[0].root).unwrap(), Some(record));
    assert_eq!(
        store.get_full_block(&chain[0].root).unwrap(),
        Some(chain[0].block.clone())
    );
    let txn = store.database().begin_read().unwrap();
    let names: Vec<String> = txn
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "blocks"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("builder_")), "{names:?}");
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        1,
        "one database file"
    );
}
