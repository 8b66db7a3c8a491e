//! A chain killed with `kill -9` at random moments resumes from its store: the test binary runs itself
//! as a child that builds a chain on the parent's mock-el and proposes block after block; the parent
//! kills it after a random number of imports (so at random points of the import's writes), restarts
//! it on the same datadir several times, and finally resumes the chain itself and extends it.

use crate::harness::*;
use beacon_chain::{BlockFormat, ManualClock, Published};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use types::Slot;

const CHILD_ENV: &str = "BLINDFOLD_CRASH_CHILD_DATADIR";
const EL_ENV: &str = "BLINDFOLD_CRASH_CHILD_EL";

/// Kills the child when dropped, also when the test fails.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The child's side: resume (or start) the chain in the datadir and propose until killed, printing
/// `imported <slot>` after each import.
#[tokio::test]
async fn crash_child() {
    let (Ok(datadir), Ok(el_url)) = (std::env::var(CHILD_ENV), std::env::var(EL_ENV)) else {
        return; // Not a child: nothing to do.
    };
    let spec = Arc::new(spec());
    let engine = engine_at(&el_url);
    let genesis =
        beacon_chain::genesis::interop_genesis::<E>(VALIDATORS, GENESIS_TIME, &spec, &engine, 3)
            .await
            .expect("genesis");
    let clock = Arc::new(ManualClock::new(GENESIS_TIME * 1000));
    let chain = build_chain_at(
        &spec,
        &el_url,
        std::path::Path::new(&datadir),
        &clock,
        Some(genesis),
    )
    .expect("the chain starts");
    // The clock resumes where the chain's fork choice stopped (a node's clock is the wall clock), and
    // the first head update settles on fork choice's head.
    let resumed = chain.with_fork_choice(|fc| fc.current_slot());
    clock.set_ms((GENESIS_TIME + resumed * spec.slot_duration_ms / 1000) * 1000);
    chain.recompute_head().await.expect("a head");
    let mut slot = chain.head().slot.max(resumed);
    loop {
        slot += 1;
        clock.set_ms((GENESIS_TIME + slot * spec.slot_duration_ms / 1000) * 1000);
        chain.on_slot_start(slot).await;
        let (_, published) = propose_block(&chain, slot, BlockFormat::Full, || {}).await;
        match published {
            Ok(Published::Imported(_)) => println!("imported {slot}"),
            other => panic!("slot {slot}: {other:?}"),
        }
    }
}

// Multi-threaded: the child's output is read with blocking reads while mock-el serves the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_killed_at_random_moments_resumes_from_its_store() {
    let el = mock_el::MockEl::start(mock_el_config())
        .await
        .expect("mock-el");
    let datadir = TempDir::new("crash");
    let mut last_imported: Slot = 0;
    let mut seed = std::process::id() as u64;
    for round in 0..5 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let imports_before_kill = 1 + (seed >> 33) % 4;
        let mut child = ChildGuard(
            Command::new(std::env::current_exe().expect("the test binary"))
                .args([
                    "--exact",
                    "crash::crash_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, &datadir.0)
                .env(EL_ENV, el.url())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("the child starts"),
        );
        let stdout = child.0.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0;
        while seen < imports_before_kill {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("round {round}: the child ended early"))
                .expect("a line");
            if let Some(slot) = line.strip_prefix("imported ") {
                let slot: Slot = slot.trim().parse().expect("a slot");
                assert!(
                    slot > last_imported,
                    "round {round}: slot {slot} after {last_imported}"
                );
                last_imported = slot;
                seen += 1;
            }
        }
        // A little more work in flight, then kill -9 wherever it is.
        std::thread::sleep(std::time::Duration::from_millis((seed >> 40) % 40));
        child.0.kill().expect("kill -9");
        let _ = child.0.wait();
    }

    // The parent resumes the chain: at least the last import the child reported, and it extends.
    let spec = Arc::new(spec());
    let clock = Arc::new(ManualClock::new(GENESIS_TIME * 1000));
    let chain =
        build_chain_at(&spec, &el.url(), &datadir.0, &clock, None).expect("the chain resumes");
    // A kill between an import's commit and the head update leaves that block in the store but not
    // in the saved fork choice (it is written with the head): the chain resumes at the saved head,
    // consistent, and the block can be imported again. The clock resumes where fork choice stopped.
    let resumed = chain.with_fork_choice(|fc| fc.current_slot());
    clock.set_ms((GENESIS_TIME + resumed * spec.slot_duration_ms / 1000) * 1000);
    chain.recompute_head().await.expect("a head");
    let head = chain.head();
    assert!(
        head.slot >= last_imported,
        "head {} before the reported {last_imported}",
        head.slot
    );
    assert!(chain
        .store()
        .get_full_block(&head.block_root)
        .unwrap()
        .is_some());
    let slot = head.slot.max(resumed) + 1;
    clock.set_ms((GENESIS_TIME + slot * spec.slot_duration_ms / 1000) * 1000);
    chain.on_slot_start(slot).await;
    let (_, published) = propose_block(&chain, slot, BlockFormat::Full, || {}).await;
    assert!(
        matches!(published, Ok(Published::Imported(_))),
        "{published:?}"
    );
    assert_eq!(chain.head().slot, slot);
}
