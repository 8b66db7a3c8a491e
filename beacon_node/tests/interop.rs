//! An interop chain: genesis from the engine's genesis block, slots logged as the clock moves, metrics
//! served, a clean stop on SIGTERM, a resume on the same datadir, and a datadir of another chain
//! refused; and an engine that is not up yet is waited for.

use crate::harness::*;
use std::time::Duration;

fn interop_args(
    datadir: &std::path::Path,
    el: &str,
    jwt: &std::path::Path,
    validators: u64,
    genesis_time: u64,
) -> Vec<String> {
    let mut args = base_args(datadir, el, jwt);
    args.extend(
        [
            "--preset",
            "minimal",
            "--interop-validators",
            &validators.to_string(),
            "--genesis-time",
            &genesis_time.to_string(),
        ]
        .map(String::from),
    );
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interop_genesis_runs_stops_and_resumes() {
    let dir = TempDir::new("interop");
    let (el, jwt) = mock_el(&dir, 0).await;
    let datadir = dir.path("datadir");
    let genesis_time = now() - 3;
    let mut args = interop_args(&datadir, &el.url(), &jwt, 16, genesis_time);
    args.extend(["--metrics-port", "0"].map(String::from));

    let mut bn = Bn::start(&args);
    bn.wait_for_line("`started a new chain`", WAIT, |l| {
        l.contains("started a new chain")
    })
    .await;
    let first = bn
        .wait_for_line("a slot", WAIT, |l| slot_of(l).is_some())
        .await;
    let first = slot_of(&first).expect("a slot number");
    bn.wait_for_line("a later slot", WAIT, |l| {
        slot_of(l).is_some_and(|s| s > first)
    })
    .await;

    // The metrics server serves the node's and the builder module's metrics.
    let listening = bn
        .wait_for_line("the metrics address", WAIT, |l| {
            l.contains("metrics server listening")
        })
        .await;
    let address = field(&listening, "address").expect("an address");
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    let body = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("a body");
    assert!(body.contains("blindfold_current_slot"), "{body}");
    assert!(body.contains("blindfold_circuit_breaker_tripped"), "{body}");

    // The beacon API answers on the port it picked.
    let api = bn
        .wait_for_line("the API address", WAIT, |l| l.contains("HTTP API on"))
        .await;
    let api = field(&api, "address").expect("an address").to_string();
    assert!(api.starts_with("127.0.0.1:"), "{api}");
    let genesis: serde_json::Value = reqwest::get(format!("http://{api}/eth/v1/beacon/genesis"))
        .await
        .expect("the API answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        genesis["data"]["genesis_time"],
        serde_json::Value::String(genesis_time.to_string()),
        "{genesis}"
    );

    // A second node on the datadir in use is refused, naming --datadir.
    let mut second = Bn::start(&interop_args(&datadir, &el.url(), &jwt, 16, genesis_time));
    assert_eq!(
        second.wait_exit(WAIT).await.code(),
        Some(1),
        "{}",
        second.dump()
    );
    let stderr = second.stderr();
    assert_eq!(stderr.len(), 1, "{}", second.dump());
    assert!(
        stderr[0].starts_with("bn: error: --datadir: "),
        "{}",
        stderr[0]
    );

    bn.signal("TERM");
    let status = bn.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "exit {status:?}; output:\n{}", bn.dump());
    assert!(
        bn.lines()
            .iter()
            .any(|l| l.text.contains("database closed")),
        "{}",
        bn.dump()
    );
    drop(bn);

    // The same flags resume the chain; SIGINT stops it as cleanly.
    let args = interop_args(&datadir, &el.url(), &jwt, 16, genesis_time);
    let mut bn = Bn::start(&args);
    bn.wait_for_line("`resumed the chain`", WAIT, |l| {
        l.contains("resumed the chain from the datadir")
    })
    .await;
    bn.wait_for_line("a slot", WAIT, |l| slot_of(l).is_some())
        .await;
    bn.signal("INT");
    let status = bn.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "exit {status:?}; output:\n{}", bn.dump());
    drop(bn);

    // Another genesis on this datadir: refused, naming --datadir.
    let args = interop_args(&datadir, &el.url(), &jwt, 17, genesis_time);
    let mut bn = Bn::start(&args);
    let status = bn.wait_exit(WAIT).await;
    assert!(!status.success());
    let stderr = bn.stderr();
    assert_eq!(stderr.len(), 1, "{}", bn.dump());
    assert!(
        stderr[0].starts_with("bn: error: --datadir: "),
        "{}",
        stderr[0]
    );
    assert!(stderr[0].contains("holds another chain"), "{}", stderr[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_not_up_yet_is_waited_for() {
    let dir = TempDir::new("late_engine");
    let port = free_port();
    let jwt = dir.path("jwt.hex");
    std::fs::write(&jwt, crate::harness::jwt().to_hex()).expect("the JWT file");
    let url = format!("http://127.0.0.1:{port}/");
    let args = interop_args(&dir.path("datadir"), &url, &jwt, 8, now());
    let mut bn = Bn::start(&args);
    bn.wait_for_line("a retry warning", WAIT, |l| {
        l.contains("WARN") && l.contains("retrying")
    })
    .await;
    let (_el, _) = mock_el(&dir, port).await;
    bn.wait_for_line("`started a new chain`", WAIT, |l| {
        l.contains("started a new chain")
    })
    .await;
    bn.signal("TERM");
    let status = bn.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "exit {status:?}; output:\n{}", bn.dump());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_while_waiting_for_the_engine_stops_the_node() {
    let dir = TempDir::new("signal_early");
    let jwt = dir.path("jwt.hex");
    std::fs::write(&jwt, crate::harness::jwt().to_hex()).expect("the JWT file");
    let url = format!("http://127.0.0.1:{}/", free_port());
    let mut bn = Bn::start(&interop_args(&dir.path("datadir"), &url, &jwt, 8, now()));
    bn.wait_for_line("a retry warning", WAIT, |l| {
        l.contains("WARN") && l.contains("retrying")
    })
    .await;
    bn.signal("TERM");
    let status = bn.wait_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "exit {status:?}; output:\n{}", bn.dump());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_that_refuses_the_secret_names_the_jwt_flag() {
    let dir = TempDir::new("wrong_secret");
    let (el, _) = mock_el(&dir, 0).await;
    let other = dir.path("other.hex");
    std::fs::write(&other, engine_api::JwtSecret::new([0x43; 32]).to_hex()).expect("a JWT file");
    let mut bn = Bn::start(&interop_args(
        &dir.path("datadir"),
        &el.url(),
        &other,
        8,
        now(),
    ));
    assert_eq!(bn.wait_exit(WAIT).await.code(), Some(1), "{}", bn.dump());
    let stderr = bn.stderr();
    assert_eq!(stderr.len(), 1, "{}", bn.dump());
    assert!(
        stderr[0].starts_with("bn: error: --execution-jwt: "),
        "{}",
        stderr[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_names_its_flag() {
    let dir = TempDir::new("port_in_use");
    let (el, jwt) = mock_el(&dir, 0).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = taken.local_addr().expect("an address").port().to_string();
    for flag in ["--metrics-port", "--http-port"] {
        let datadir = dir.path(&format!("datadir{flag}"));
        let mut args = interop_args(&datadir, &el.url(), &jwt, 8, now());
        match args.iter().position(|a| a == flag) {
            Some(at) => args[at + 1] = port.clone(),
            None => args.extend([flag.to_string(), port.clone()]),
        }
        let mut bn = Bn::start(&args);
        assert_eq!(bn.wait_exit(WAIT).await.code(), Some(1), "{}", bn.dump());
        let stderr = bn.stderr();
        assert_eq!(stderr.len(), 1, "{}", bn.dump());
        let prefix = format!("bn: error: {flag}: ");
        assert!(stderr[0].starts_with(&prefix), "{}", stderr[0]);
    }
}
