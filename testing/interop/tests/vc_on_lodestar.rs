//! Our `vc` drives a Lodestar 1.5.1 beacon node.
//!
//! Lodestar runs `dev` with its own mock engine (`--execution.engineMock`, which the install script
//! patches to build on the dev genesis hash 0x0b..0b). This test is about the beacon API between our
//! vc and Lodestar, and the engine would add nothing to it. Lodestar does run on our `mock-el`
//! (`--execution.urls` with `--genesisEth1Hash` naming mock-el's genesis block, with a harmless
//! warning), and the vc's `--blinded-payload-builder` through Lodestar against `mock-relay` works
//! too, given the relay is fed payload attributes (Lodestar 1.5.1 emits no `payload_attributes`
//! events) and the chain has filled recent slots (its builder stays off until then): both are done by
//! the side-by-side bench (`benches/side_by_side.rs`), not by this test.

use crate::chain::{describe, expect_justified_chain_by};
use crate::harness::{binary, free_port, poll, serial, unix_now, Proc, Rest, TestDir};
use crate::lodestar::{
    capella_config, lodestar, say_skipped, Lodestar, DEV_GENESIS_HASH, SLOT_SECONDS, VALIDATORS,
};
use std::process::Command;
use std::time::Duration;

const GRAFFITI: &str = "blindfold-vc";

#[test]
fn our_vc_proposes_and_attests_on_a_lodestar_beacon_node() {
    let _serial = serial();
    let lodestar = match lodestar() {
        Ok(l) => l,
        Err(reason) => return say_skipped("our vc on a Lodestar beacon node", &reason),
    };
    let started = std::time::Instant::now();
    let dir = TestDir::new("vc-on-lodestar");
    let config = capella_config();
    std::fs::write(dir.join("config.yaml"), &config).expect("write config");
    let rest_port = free_port();
    let base = format!("http://127.0.0.1:{rest_port}");
    // Lodestar's start takes seconds of module loading; genesis waits for it.
    let genesis_time = unix_now() + 30;

    let mut cmd = lodestar.command();
    // `dev` writes its genesis.ssz into the working directory.
    cmd.current_dir(dir.join(""));
    cmd.env("LS_MOCK_CAPELLA_TS", "0")
        .env("LS_MOCK_GENESIS_HASH", DEV_GENESIS_HASH)
        .arg("dev")
        .arg("--dataDir")
        .arg(dir.join("lodestar"))
        .args(["--genesisValidators", &VALIDATORS.to_string()])
        .args(["--genesisTime", &genesis_time.to_string()])
        .args(Lodestar::params(&config))
        .args(["--execution.engineMock", "--eth1", "false"])
        .args(["--listenAddress", "127.0.0.1", "--discv5", "false"])
        .args(["--port", &free_port().to_string()])
        .args(["--rest.address", "127.0.0.1"])
        .args(["--rest.port", &rest_port.to_string()]);
    // 1.5.1 may hang on SIGTERM: SIGKILL follows after the grace period.
    let mut node = Proc::spawn(
        "lodestar dev",
        cmd,
        dir.join("lodestar.log"),
        Duration::from_secs(5),
    );
    let rest = Rest::new();
    let genesis = poll(
        "Lodestar's beacon API",
        Duration::from_secs(120),
        Duration::from_millis(500),
        || {
            node.check_alive()?;
            Ok(rest
                .get(&format!("{base}/eth/v1/beacon/genesis"))
                .ok()
                .flatten())
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("Lodestar genesis: {genesis}");

    let mut vc = Command::new(binary("vc"));
    vc.args(["--preset", "minimal", "--config"])
        .arg(dir.join("config.yaml"))
        .arg("--datadir")
        .arg(dir.join("vc"))
        .args(["--beacon-nodes", &base])
        .args(["--interop-validators", &format!("0..{VALIDATORS}")])
        .args([
            "--suggested-fee-recipient",
            "0x00000000000000000000000000000000000000fe",
        ])
        .args(["--graffiti", GRAFFITI]);
    let mut vc = Proc::spawn("vc", vc, dir.join("vc.log"), Duration::from_secs(5));

    // Epoch 1 is justified when epoch 2 ends: 24 slots after genesis, with room for a slow start.
    let timeout = Duration::from_secs(genesis_time.saturating_sub(unix_now()) + 40 * SLOT_SECONDS);
    let result = expect_justified_chain_by(&rest, &base, GRAFFITI, timeout, || {
        node.check_alive()?;
        vc.check_alive()
    });
    match result {
        Ok(blocks) => eprintln!(
            "our vc on Lodestar: {} blocks, justified, in {:?}\n{}",
            blocks.len(),
            started.elapsed(),
            describe(&blocks)
        ),
        Err(e) => panic!(
            "{e}\n--- vc log (tail) ---\n{}\n--- Lodestar log (tail) ---\n{}",
            vc.tail(40),
            node.tail(40)
        ),
    }
}
