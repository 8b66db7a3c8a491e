//! The shipped scenario files that CI runs as they are: the builder fault matrix (every file of
//! `scenarios/faults/` in one devnet), the circuit breaker after an engine outage, and 20 `kill -9`
//! of `bn` and `vc` at random moments. Each run's summary is printed; the test fails when one of the
//! file's expectations fails or the run does not complete.

use crate::{binaries, options, DEVNET};
use devnet::{never_stop, Scenario, Summary};
use std::path::Path;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::from_file(&path).expect("the scenario parses")
}

/// Runs a shipped scenario for its own number of epochs and checks that every expectation held.
async fn run_shipped(name: &str) -> Summary {
    let _one = DEVNET.lock().await;
    let binaries = binaries();
    assert!(
        binaries.vc.is_some(),
        "the workspace builds a vc: these scenarios need validators"
    );
    let scenario = scenario(name);
    let epochs = scenario
        .epochs
        .expect("shipped scenarios name their epochs");
    let started = std::time::Instant::now();
    let summary = devnet::run(&options(epochs), &binaries, &scenario, never_stop())
        .await
        .expect("the devnet starts");
    println!("{}", summary.render());
    for record in &summary.slots {
        println!("{}", devnet::monitor::format_record(record));
    }
    println!("{name}: {:.0} s", started.elapsed().as_secs_f64());
    assert_eq!(summary.ended, "completed", "{name}");
    let failed: Vec<String> = summary
        .expectations
        .iter()
        .filter(|v| v.result != "passed")
        .map(|v| format!("{}: {} ({})", v.expectation, v.result, v.detail))
        .collect();
    assert!(failed.is_empty(), "{name}: {failed:#?}");
    assert!(summary.passed, "{name}");
    summary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_fault_matrix_falls_back_isolates_and_keeps_finalizing() {
    let summary = run_shipped("fault-matrix.toml").await;
    // Every fault file took part: each contributes at least one verdict on its own slots.
    let faults = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/faults"))
        .expect("the faults directory")
        .count();
    assert_eq!(faults, 16, "one file per fault of the matrix");
    assert!(summary.expectations.len() > 3 * faults);
    assert!(
        summary.missed_slots.len() <= 3,
        "{:?}",
        summary.missed_slots
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_outage_trips_the_circuit_breaker_until_the_chain_is_healthy() {
    let summary = run_shipped("circuit-breaker.toml").await;
    let explained = summary
        .slots
        .iter()
        .filter(|r| {
            r.reason
                .as_deref()
                .is_some_and(|r| r.contains("circuit breaker"))
        })
        .count();
    assert!(explained > 0, "the breaker's reason is in the records");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_bn_and_vc_20_times_keeps_finality_and_never_double_signs() {
    let summary = run_shipped("kill-9.toml").await;
    println!("kill -9 seed: {:?}", summary.seed);
    let kills = summary
        .actions
        .iter()
        .filter(|a| a.action.starts_with("kill -9") && a.result == "ok")
        .count();
    assert_eq!(kills, 20, "{:#?}", summary.actions);
    for target in ["bn", "vc"] {
        assert!(
            summary
                .actions
                .iter()
                .any(|a| a.action == format!("kill -9 {target}")),
            "{target} was killed at least once"
        );
    }
}
