//! The devnet on the real EthereumJS execution engine (Capella to Electra, both relays building on it):
//! builder blocks that EthereumJS accepts as VALID, and finality. Where EthereumJS does not install
//! (no node, no network for npm), the test says so in one line and passes.

use crate::{binaries, options, DEVNET};
use devnet::scenario::{Expectation, SourceMatch};
use devnet::testnet::ForkEpochs;
use devnet::{never_stop, ExecutionEngine, Scenario};
use std::io::Write;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethereumjs_as_the_engine_builder_blocks_and_finality_from_capella_to_electra() {
    let _one = DEVNET.lock().await;
    let bin = match tokio::task::spawn_blocking(devnet::ethereumjs::install).await {
        Ok(Ok(bin)) => bin,
        Ok(Err(reason)) => {
            // Past the harness's capture: the skip is always seen.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: EthereumJS did not install ({reason})"
            );
            return;
        }
        Err(e) => panic!("the install task failed: {e}"),
    };
    let binaries = binaries();
    assert!(binaries.vc.is_some(), "the workspace builds a vc");
    // Five epochs: the first finalization (epoch 2) lands at the start of epoch 4.
    let mut options = options(5);
    options.network.forks = "1,2,never".parse::<ForkEpochs>().expect("fork epochs");
    options.network.engine = ExecutionEngine::EthereumJs(bin);
    // Our own directory (kept by the devnet), to read EthereumJS's log after the run.
    let dir = std::env::temp_dir().join(format!(
        "blindfold-devnet-ethereumjs-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    options.network.dir = Some(dir.clone());
    let mut scenario = Scenario::default_for(5);
    scenario.name = "ethereumjs (test)".into();
    scenario.expectations = vec![
        Expectation::TotalSource {
            source: SourceMatch::Builder,
            at_least: 20,
        },
        Expectation::TotalSource {
            source: SourceMatch::Relay("relay-a".into()),
            at_least: 1,
        },
        Expectation::TotalSource {
            source: SourceMatch::Relay("relay-b".into()),
            at_least: 1,
        },
        Expectation::MissedSlotsAtMost(3),
        Expectation::FinalizedEpochAtLeast(2),
    ];
    let summary = devnet::run(&options, &binaries, &scenario, never_stop())
        .await
        .expect("the devnet starts on EthereumJS");
    println!("{}", summary.render());
    for record in &summary.slots {
        println!("{}", devnet::monitor::format_record(record));
    }
    assert_eq!(summary.ended, "completed");
    assert!(summary.passed, "an expectation failed");
    assert_eq!(
        summary.forks_with_blocks,
        ["capella", "deneb", "electra"],
        "blocks in every fork EthereumJS has"
    );
    // EthereumJS validated the chain the node built: a forkchoice update is VALID only on a head it
    // executed, builder blocks included (their extra-data, so their hashes, are the relays' own).
    let log = std::fs::read_to_string(dir.join("ethereumjs.log")).expect("EthereumJS's log");
    let valid_head = log
        .lines()
        .filter(|l| l.contains("New chain head set") && l.contains("response=VALID"))
        .filter_map(|l| {
            l.split("number=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    let head = summary
        .slots
        .iter()
        .filter_map(|r| r.head_slot)
        .max()
        .unwrap_or(0);
    assert!(
        valid_head + 3 >= head,
        "EthereumJS's last VALID head is block {valid_head}, the node's head slot {head}"
    );
    for builder in &summary.builders {
        assert_eq!(builder.state, "enabled", "{builder:?}");
        assert_eq!(
            builder
                .counters
                .get("invalid_payloads")
                .copied()
                .unwrap_or(0),
            0,
            "EthereumJS judged a builder payload INVALID: {builder:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_fulu_epoch_with_ethereumjs_is_one_line_and_exit_2() {
    for args in [
        &["run", "--el", "ethereumjs", "--fork-epochs", "1,2,3"][..],
        &["run", "--el", "geth"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_devnet"))
            .args(args)
            .output()
            .expect("the devnet binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args(["run", "--el", "ethereumjs", "--fork-epochs", "1,2,3"])
        .output()
        .expect("the devnet binary runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Osaka"));
}
