//! Devnets of the real processes: the happy path (builder blocks, four forks, finality) and a relay
//! that withholds its payload after the proposer signed.

use crate::{binaries, options, DEVNET};
use devnet::monitor::now_ms;
use devnet::scenario::{Expectation, SourceMatch};
use devnet::{never_stop, Devnet, Scenario, Summary};
use std::time::Duration;

fn show(summary: &Summary) {
    println!("{}", summary.render());
    for record in &summary.slots {
        println!("{}", devnet::monitor::format_record(record));
    }
}

fn expectation_passed(summary: &Summary, text: &str) -> bool {
    summary
        .expectations
        .iter()
        .any(|v| v.expectation == text && v.result == "passed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_builder_blocks_win_and_the_chain_finalizes_through_four_forks() {
    let _one = DEVNET.lock().await;
    let binaries = binaries();
    if binaries.vc.is_none() {
        return without_vc_processes_come_up_and_follow_the_clock(binaries).await;
    }
    // Five epochs: the first finalization (epoch 2) lands at the start of epoch 4.
    let mut scenario = Scenario::default_for(5);
    scenario.name = "happy (test)".into();
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
    let summary = devnet::run(&options(5), &binaries, &scenario, never_stop())
        .await
        .expect("the devnet starts");
    show(&summary);
    assert_eq!(summary.ended, "completed");
    assert!(summary.passed, "an expectation failed");
    assert_eq!(
        summary.forks_with_blocks,
        ["capella", "deneb", "electra", "fulu"],
        "blocks in every fork"
    );
    for builder in &summary.builders {
        assert_eq!(builder.state, "enabled", "{builder:?}");
        assert!(
            builder.counters.get("wins").copied().unwrap_or(0) > 0,
            "{builder:?}"
        );
    }
}

/// PENDING the `vc` binary: without validators nothing is proposed, so this checks what it can: every
/// process comes up, the node follows its slot clock, the relays follow its `payload_attributes`
/// events, and no validator registered with them.
async fn without_vc_processes_come_up_and_follow_the_clock(binaries: devnet::Binaries) {
    println!("PENDING: no vc binary yet; checking the devnet without validators");
    let mut devnet = Devnet::start(&options(1).network, &binaries)
        .await
        .expect("the devnet starts");
    let timing = devnet.timing;
    let deadline = timing.slot_start_ms(4);
    let http = reqwest::Client::new();
    loop {
        devnet.check_alive().expect("every process runs");
        let syncing = devnet.client.get_node_syncing().await.expect("bn answers");
        let now = now_ms();
        let clock_slot = now.saturating_sub(timing.genesis_time * 1000) / timing.slot_ms;
        if now > deadline {
            assert_eq!(syncing.head_slot, 0, "nothing is proposed");
            let node_slot = syncing.head_slot + syncing.sync_distance;
            assert!(
                node_slot.abs_diff(clock_slot) <= 1,
                "bn at slot {node_slot}, clock at {clock_slot}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for url in &devnet.relay_urls {
        let stats: serde_json::Value = http
            .get(url.join("admin/stats").unwrap())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("relay stats")
            .json()
            .await
            .expect("stats JSON");
        assert_eq!(stats["registrations"], 0, "{url}: {stats}");
        assert!(
            stats["payload_attributes"].as_u64().unwrap_or(0) > 0,
            "{url}: {stats}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_withholds_after_signing_costs_the_slot_and_is_disabled() {
    let _one = DEVNET.lock().await;
    let binaries = binaries();
    if binaries.vc.is_none() {
        println!("PENDING: no vc binary yet; nothing is proposed, so nothing can be withheld");
        return;
    }
    let scenario = Scenario::from_toml(
        r#"
        name = "withheld (test)"
        [[action]]
        slot = 12
        target = "relay-b"
        set_faults = { no_bid = true }
        [[action]]
        slot = 12
        target = "relay-a"
        set_faults = { withhold_payload = true }
        [[action]]
        slot = 16
        target = "relay-b"
        set_faults = { no_bid = false }
        [[expect]]
        slot = 12
        source = "missed"
        [[expect]]
        after_epoch = 1
        builder = "relay-a"
        state = "disabled"
        reason = "withheld"
        [[expect]]
        from_slot = 17
        to_slot = 23
        source = "relay-b"
        at_least = 3
        "#,
        "withheld",
    )
    .expect("the scenario parses");
    let summary = devnet::run(&options(3), &binaries, &scenario, never_stop())
        .await
        .expect("the devnet starts");
    show(&summary);
    assert_eq!(summary.ended, "completed");
    assert!(expectation_passed(&summary, "slot 12 from missed"));
    assert!(expectation_passed(
        &summary,
        "relay-a disabled after epoch 1 (withheld)"
    ));
    assert!(expectation_passed(
        &summary,
        "at least 3 of slots 17..=23 from relay-b"
    ));
    let relay_a = summary
        .builders
        .iter()
        .find(|b| b.name == "relay-a")
        .expect("relay-a in the node's status");
    assert!(
        relay_a
            .counters
            .get("unblind_withheld")
            .copied()
            .unwrap_or(0)
            >= 1
    );
    // The issue allows one lost slot; the node keeps choosing the relay until its unblinding budget
    // (longer than a 2-second slot) runs out, so more can go. Reported, not asserted here.
    println!(
        "slots lost to the withholding relay: {:?}",
        summary.missed_slots
    );
}

/// `scenarios/full-payload-builders.toml` (issue 14): relays, an RPC builder and an engine builder,
/// each kind alone for an epoch and then all together; every expectation of the file holds, and each
/// kind made blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_builder_of_each_kind_makes_blocks_and_the_chain_finalizes() {
    let _one = DEVNET.lock().await;
    let binaries = binaries();
    if binaries.vc.is_none() {
        return without_vc_processes_come_up_and_follow_the_clock(binaries).await;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join("full-payload-builders.toml");
    let scenario = Scenario::from_file(&path).expect("the scenario parses");
    assert!(scenario.full_payload_builders);
    let epochs = scenario.epochs.expect("the scenario names its epochs");
    let summary = devnet::run(&options(epochs), &binaries, &scenario, never_stop())
        .await
        .expect("the devnet starts");
    show(&summary);
    assert_eq!(summary.ended, "completed");
    assert!(summary.passed, "an expectation failed");
    for kind in ["relay-a", "rpc-builder", "engine-builder"] {
        assert!(
            summary.slots.iter().any(|s| s.source == kind),
            "no block from {kind}"
        );
    }
}
