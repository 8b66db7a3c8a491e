//! Lodestar 1.5.1's validator client drives our `bn` (on `mock-el`).
//!
//! Genesis: Lodestar's validator client computes none; it reads genesis time and validators root
//! from the node (`/eth/v1/beacon/genesis`) and checks the node's `config/spec`. What must agree is
//! the key derivation: Lodestar's `--interopIndexes` and our `--interop-validators` use the same
//! interop keys and BLS withdrawal credentials, so the validators (and the genesis validators
//! root) are the same as in Lodestar's own `dev` genesis. The genesis *states* differ and cannot be
//! made equal: Lodestar's dev genesis takes eth1 block hash 0x0b..0b with a payload header of
//! timestamp 2^40 and zero roots, and signed deposits in the deposit root, where ours takes
//! mock-el's genesis block as the payload header and unsigned deposit data.

use crate::chain::{describe, expect_justified_chain_by};
use crate::harness::Rest;
use crate::harness::{binary, serial, unix_now, url_in, Proc, TestDir};
use crate::lodestar::{capella_config, lodestar, say_skipped, Lodestar, SLOT_SECONDS, VALIDATORS};
use std::process::Command;
use std::time::Duration;

const GRAFFITI: &str = "lodestar-vc";

#[test]
fn lodestar_validator_client_proposes_and_attests_through_our_bn() {
    let _serial = serial();
    let lodestar = match lodestar() {
        Ok(l) => l,
        Err(reason) => return say_skipped("Lodestar's validator client on our bn", &reason),
    };
    let started = std::time::Instant::now();
    let dir = TestDir::new("lodestar-on-bn");
    let config = capella_config();
    std::fs::write(dir.join("config.yaml"), &config).expect("write config");

    // Shanghai (Capella's payloads) from genesis and no later fork: without a genesis file mock-el
    // runs every fork from timestamp 0 and refuses Capella's engine methods.
    std::fs::write(
        dir.join("genesis.json"),
        r#"{"config":{"chainId":1337,"shanghaiTime":0},"timestamp":"0x0","gasLimit":"0x1c9c380","difficulty":"0x0","alloc":{}}"#,
    )
    .expect("write genesis.json");
    let mut el = Command::new(binary("mock-el"));
    el.args(["--port", "0", "--jwt-out"])
        .arg(dir.join("jwt.hex"))
        .arg("--genesis")
        .arg(dir.join("genesis.json"));
    let mut el = Proc::spawn(
        "mock-el",
        el,
        dir.join("mock-el.log"),
        Duration::from_secs(5),
    );
    let el_url = el
        .wait_for_line("listening on", Duration::from_secs(30))
        .map(|l| url_in(&l).expect("mock-el's URL"))
        .unwrap_or_else(|e| panic!("{e}"));

    let genesis_time = unix_now() + 20;
    let mut bn = Command::new(binary("bn"));
    bn.arg("--datadir")
        .arg(dir.join("bn"))
        .args(["--preset", "minimal", "--config"])
        .arg(dir.join("config.yaml"))
        .args(["--interop-validators", &VALIDATORS.to_string()])
        .args(["--genesis-time", &genesis_time.to_string()])
        .args(["--execution-endpoint", &el_url, "--execution-jwt"])
        .arg(dir.join("jwt.hex"))
        .args(["--http-port", "0"]);
    let mut bn = Proc::spawn("bn", bn, dir.join("bn.log"), Duration::from_secs(10));
    let base = bn
        .wait_for_line("HTTP API on", Duration::from_secs(60))
        .map(|l| url_in(&l).expect("the bn's URL"))
        .unwrap_or_else(|e| panic!("{e}"));

    let mut vc = lodestar.command();
    vc.current_dir(dir.join(""));
    vc.arg("validator")
        .args(["--network", "dev", "--dataDir"])
        .arg(dir.join("lodestar-vc"))
        .args(Lodestar::params(&config))
        .args(["--beaconNodes", &base])
        .args(["--interopIndexes", &format!("0..{}", VALIDATORS - 1)])
        .args(["--graffiti", GRAFFITI]);
    let mut vc = Proc::spawn(
        "lodestar validator",
        vc,
        dir.join("lodestar-vc.log"),
        Duration::from_secs(5),
    );

    let rest = Rest::new();
    let timeout = Duration::from_secs(genesis_time.saturating_sub(unix_now()) + 40 * SLOT_SECONDS);
    let result = expect_justified_chain_by(&rest, &base, GRAFFITI, timeout, || {
        el.check_alive()?;
        bn.check_alive()?;
        vc.check_alive()
    });
    match result {
        Ok(blocks) => eprintln!(
            "Lodestar's vc on our bn: {} blocks, justified, in {:?}\n{}",
            blocks.len(),
            started.elapsed(),
            describe(&blocks)
        ),
        Err(e) => panic!(
            "{e}\n--- Lodestar vc log (tail) ---\n{}\n--- bn log (tail) ---\n{}",
            vc.tail(60),
            bn.tail(30)
        ),
    }
}
