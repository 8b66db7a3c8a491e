//! Crash safety: a child process (this test binary, re-run on one test) imports blocks as a node does,
//! one batch per block with sidecars, state, head, fork choice and sometimes finalization with pruning;
//! the parent `kill -9`s it at random points, reopens the store and checks that it resumes at a
//! consistent head at least as new as the last commit the child reported. The child then resumes from
//! that head (replaying its state from the store), so every round also exercises a restart.

use crate::test_chain::*;
use crate::tests::TempDir;
use crate::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use types::{ForkName, SignedBeaconBlock};

const CHILD_ENV: &str = "BLINDFOLD_STORE_KILL_CHILD_DIR";
const FORK: ForkName = ForkName::Fulu;
const ROUNDS: usize = 8;
/// Columns stored per block (of `NUMBER_OF_COLUMNS`): enough to check they commit with the block.
const COLUMNS: [u64; 2] = [3, 77];

/// The fork-choice bytes the child writes with each head: checkable against the head after a crash.
fn fork_choice_bytes(head: Hash256, slot: u64) -> Vec<u8> {
    let mut bytes = head.to_vec();
    bytes.extend_from_slice(&slot.to_le_bytes());
    bytes
}

/// The child's side. Does nothing unless the parent test started this process.
#[test]
fn kill_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let spec = spec(FORK);
    let store = Store::<E>::open(std::path::Path::new(&dir), spec.clone()).expect("open");
    let mut tip = match store.chain_metadata().expect("metadata").head_block_root {
        None => {
            let genesis = genesis(&spec, FORK);
            let checkpoint = Checkpoint {
                epoch: 0,
                root: genesis.root,
            };
            store
                .do_atomically(vec![
                    StoreOp::PutBlock {
                        block_root: genesis.root,
                        block: Box::new(genesis.block.clone()),
                    },
                    StoreOp::PutState {
                        state_root: genesis.state_root,
                        state: Box::new(genesis.state.clone()),
                    },
                    StoreOp::SetGenesis {
                        state_root: genesis.state_root,
                        block_root: genesis.root,
                    },
                    StoreOp::SetHead(genesis.root),
                    StoreOp::SetFinalized(checkpoint),
                    StoreOp::SetJustified(checkpoint),
                    StoreOp::SetForkChoice(fork_choice_bytes(genesis.root, 0)),
                    StoreOp::SetForkChoiceVotes(fork_choice_bytes(genesis.root, 0)),
                ])
                .expect("genesis");
            genesis
        }
        Some(head) => {
            let block = store
                .get_full_block(&head)
                .expect("head block")
                .expect("stored");
            let state_root = block.message_enum().state_root();
            let state = store
                .get_state(&state_root)
                .expect("head state")
                .expect("stored");
            Built {
                block,
                root: head,
                state,
                state_root,
            }
        }
    };
    let mut stdout = std::io::stdout();
    loop {
        let slot = tip.block.slot() + if tip.block.slot() % 5 == 4 { 2 } else { 1 };
        let built = make_block(&spec, &tip.state, slot, 1, 1);
        let mut ops = vec![
            StoreOp::PutBlock {
                block_root: built.root,
                block: Box::new(built.block.clone()),
            },
            StoreOp::PutDataColumnSidecars {
                block_root: built.root,
                sidecars: COLUMNS.iter().map(|&i| column_sidecar(&built, i)).collect(),
            },
            StoreOp::PutState {
                state_root: built.state_root,
                state: Box::new(built.state.clone()),
            },
        ];
        if slot % 3 == 0 {
            // A sibling that loses: pruning has a dead branch to delete.
            let sibling = make_block(&spec, &tip.state, slot, 0, 2);
            ops.push(StoreOp::PutBlock {
                block_root: sibling.root,
                block: Box::new(sibling.block),
            });
            ops.push(StoreOp::PutState {
                state_root: sibling.state_root,
                state: Box::new(sibling.state),
            });
        }
        ops.push(StoreOp::SetHead(built.root));
        ops.push(StoreOp::SetForkChoice(fork_choice_bytes(built.root, slot)));
        // Vote records as the chain writes them: a journal entry per block, a snapshot now and then.
        let votes = fork_choice_bytes(built.root, slot);
        let records = store.fork_choice_votes().expect("vote records").len();
        ops.push(if records >= 4 {
            StoreOp::SetForkChoiceVotes(votes)
        } else {
            StoreOp::AppendForkChoiceVotes(votes)
        });
        let epoch = slot / 8;
        if epoch >= 2 && tip.block.slot() / 8 < epoch {
            // "Finalize" the epoch before last at its first canonical block at or before the boundary.
            let finalized_epoch = epoch - 2;
            let boundary = finalized_epoch * 8;
            let root = (0..=boundary)
                .rev()
                .find_map(|s| store.canonical_block_root(s).expect("canonical"))
                .expect("a canonical block");
            let checkpoint = Checkpoint {
                epoch: finalized_epoch,
                root,
            };
            ops.push(StoreOp::SetFinalized(checkpoint));
            ops.push(StoreOp::PruneOnFinalization(checkpoint));
        }
        store.do_atomically(ops).expect("import");
        writeln!(stdout, "committed {slot} {}", built.root).expect("stdout");
        stdout.flush().expect("flush");
        tip = built;
    }
}

/// A small xorshift: kill points vary run to run without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn kill_9_at_random_points_leaves_a_store_that_resumes() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = TempDir::new("kill");
    let logs = TempDir::new("kill-logs");
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    println!("kill test seed {seed}");
    let mut last: Option<(u64, Hash256)> = None;
    let mut final_finalized = 0;
    for round in 0..ROUNDS {
        let stderr_path = logs.0.join(format!("child-{round}.stderr"));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "kill_tests::kill_child_writer",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, &dir.0)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .expect("spawn the child");
        // At least 4 a round, so 8 rounds pass two finalizations with pruning.
        let commits = 4 + rng.next() % 8;
        let mut seen = 0;
        // Kept open until the kill: a closed pipe would end the child at its next report instead.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while seen < commits {
            line.clear();
            if stdout.read_line(&mut line).expect("child stdout") == 0 {
                break;
            }
            let Some(rest) = line.trim_end().strip_prefix("committed ") else {
                continue;
            };
            let (slot, root) = rest.split_once(' ').expect("slot and root");
            last = Some((slot.parse().unwrap(), root.parse().unwrap()));
            seen += 1;
        }
        if seen < commits {
            let _ = child.wait();
            panic!(
                "the child stopped after {seen} commits: {}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        // Land anywhere in the next import: building the block, writing, or committing.
        std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        drop(stdout);
        let (head_slot, finalized_epoch) = check_resumable(&dir, last.expect("a commit"));
        println!("round {round}: killed after {seen} commits; resumed at slot {head_slot}, finalized epoch {finalized_epoch}");
        final_finalized = finalized_epoch;
    }
    assert!(
        final_finalized >= 2,
        "the run reached finalization and pruning"
    );
}

/// The store opens; its head is at least the last reported commit; everything committed with the head
/// (block, payload, columns, state, fork choice, canonical index) is there.
fn check_resumable(dir: &TempDir, (last_slot, last_root): (u64, Hash256)) -> (u64, u64) {
    let store = Store::<E>::open(&dir.0, spec(FORK)).expect("reopen after kill -9");
    let meta = store.chain_metadata().unwrap();
    let head = meta.head_block_root.expect("a head");
    let block: SignedBeaconBlock<E> = store.get_full_block(&head).unwrap().expect("head block");
    let slot = block.slot();
    assert!(
        slot >= last_slot,
        "head at {slot} is older than the reported commit at {last_slot}"
    );
    if slot == last_slot {
        assert_eq!(head, last_root);
    }
    assert_eq!(
        meta.fork_choice,
        Some(fork_choice_bytes(head, slot)),
        "fork choice is the head's"
    );
    let votes = store.fork_choice_votes().unwrap();
    assert_eq!(
        votes.last(),
        Some(&fork_choice_bytes(head, slot)),
        "the last vote record is the head's"
    );
    assert!(
        votes.len() <= 4,
        "a snapshot replaced the records before it"
    );
    let state_root = block.message_enum().state_root();
    let state = store.get_state(&state_root).unwrap().expect("head state");
    assert_eq!(state.slot(), slot);
    assert!(meta.genesis_block_root.is_some() && meta.genesis_state_root.is_some());
    let finalized = meta.finalized_checkpoint.expect("finalized");

    // Walk the canonical chain down to the finalized block.
    let mut root = head;
    loop {
        let summary = store
            .get_block_summary(&root)
            .unwrap()
            .expect("canonical block");
        assert_eq!(
            store.canonical_block_root(summary.slot).unwrap(),
            Some(root)
        );
        assert!(store.get_execution_payload(&root).unwrap().is_some());
        if summary.slot > 0 {
            let columns = store.get_data_column_sidecars(&root).unwrap();
            assert_eq!(
                columns.iter().map(|c| c.index).collect::<Vec<_>>(),
                COLUMNS.to_vec()
            );
        }
        if root == finalized.root {
            break;
        }
        assert!(
            summary.slot > 0,
            "the finalized block is not an ancestor of the head"
        );
        root = summary.parent_root;
    }
    (slot, finalized.epoch)
}
