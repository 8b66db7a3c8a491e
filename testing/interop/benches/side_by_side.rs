//! Side by side with Lodestar 1.5.1 (Capella, minimal, 64 interop validators, 4 s slots): the same
//! proposals — our `vc` with `--blinded-payload-builder`, the same interop keys and slots — through
//! Lodestar's beacon node and through ours, each on `mock-el` with one `mock-relay` answering getHeader
//! at 0 ms and at 200 ms of added delay.
//!
//! Two timing proxies measure what each side sees: one between the vc and the beacon node (the block
//! production request), one between the node and the relay (getHeader). A node's production time beyond
//! the relay's latency is, per slot, the production request's duration minus the getHeader round trip
//! the node made for that slot. Lodestar runs with `--builder`, so the run also says whether it got and
//! published builder blocks from our relay.
//!
//! Lodestar 1.5.1 emits no `payload_attributes` events, which is how mock-relay learns what to build:
//! for Lodestar the bench feeds the relay each slot's attributes itself (proposer from the duties,
//! parent from the head block, prev_randao from the head state's mix, no withdrawals: interop keys have
//! BLS credentials).
//!
//! `cargo bench -p interop --bench side_by_side` (release binaries of bn, vc, mock-el and mock-relay
//! are built when missing). `SIDE_BY_SIDE_SLOTS=N` sets the measured slots per run (default 12,
//! after 12 slots without builders and one of warm-up);
//! `SIDE_BY_SIDE_NODE=ours|lodestar` runs one side only.

#[allow(dead_code)]
#[path = "../tests/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/lodestar.rs"]
mod lodestar;

use harness::{binary, free_port, unix_now, Proc, Rest, TestDir};
use lodestar::{capella_config, lodestar, Lodestar, SLOT_SECONDS, VALIDATORS};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Slots proposed without builders first (see `run`).
const WARMUP_SLOTS: u64 = 12;

/// One request through a timing proxy.
#[derive(Debug, Clone)]
struct Timed {
    path: String,
    status: u16,
    ms: f64,
}

type Log = Arc<Mutex<Vec<Timed>>>;

/// A reverse proxy on 127.0.0.1:`port` to `upstream` that records every request's path, status and
/// duration (the upstream round trip, as the caller sees it less loopback).
async fn timing_proxy(port: u16, upstream: String, log: Log) {
    use warp::Filter;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let route = warp::method()
        .and(warp::path::full())
        .and(
            warp::query::raw()
                .map(|q: String| format!("?{q}"))
                .or(warp::any().map(String::new))
                .unify(),
        )
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .then(
            move |method: warp::http::Method,
                  path: warp::path::FullPath,
                  query: String,
                  headers: warp::http::HeaderMap,
                  body: bytes_of_warp::Bytes| {
                let client = client.clone();
                let upstream = upstream.clone();
                let log = log.clone();
                async move {
                    let url = format!("{upstream}{}{query}", path.as_str());
                    let method = reqwest::Method::from_bytes(method.as_str().as_bytes())
                        .unwrap_or(reqwest::Method::GET);
                    let mut request = client.request(method, &url).body(body.to_vec());
                    for (name, value) in headers.iter() {
                        if name.as_str() == "host" || name.as_str() == "content-length" {
                            continue;
                        }
                        request = request.header(name.as_str(), value.as_bytes());
                    }
                    let started = Instant::now();
                    let (status, response_headers, bytes) = match request.send().await {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let headers: Vec<(String, Vec<u8>)> = r
                                .headers()
                                .iter()
                                .filter(|(n, _)| {
                                    !matches!(
                                        n.as_str(),
                                        "content-length" | "transfer-encoding" | "connection"
                                    )
                                })
                                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                                .collect();
                            (
                                status,
                                headers,
                                r.bytes().await.unwrap_or_default().to_vec(),
                            )
                        }
                        Err(e) => (502, Vec::new(), e.to_string().into_bytes()),
                    };
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    if let Ok(mut log) = log.lock() {
                        log.push(Timed {
                            path: path.as_str().to_string(),
                            status,
                            ms,
                        });
                    }
                    let mut response = warp::http::Response::new(warp::hyper::Body::from(bytes));
                    *response.status_mut() = warp::http::StatusCode::from_u16(status)
                        .unwrap_or(warp::http::StatusCode::BAD_GATEWAY);
                    for (name, value) in response_headers {
                        if let (Ok(n), Ok(v)) = (
                            warp::http::header::HeaderName::from_bytes(name.as_bytes()),
                            warp::http::HeaderValue::from_bytes(&value),
                        ) {
                            response.headers_mut().insert(n, v);
                        }
                    }
                    response
                }
            },
        );
    warp::serve(route).run(([127, 0, 0, 1], port)).await;
}

/// `warp`'s body type comes from the `bytes` crate it re-exports through hyper.
mod bytes_of_warp {
    pub use warp::hyper::body::Bytes;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Ours,
    Lodestar,
}

impl Node {
    /// Its name in `SIDE_BY_SIDE_NODE` (`ours` or `lodestar`: run only that side).
    fn key(self) -> &'static str {
        match self {
            Node::Ours => "ours",
            Node::Lodestar => "lodestar",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Node::Ours => "blindfold bn",
            Node::Lodestar => "Lodestar 1.5.1",
        }
    }
}

/// What one run measured.
struct RunResult {
    node: Node,
    delay_ms: u64,
    /// Per slot: the production request's duration, and the getHeader round trip when the node asked.
    slots: BTreeMap<u64, (f64, Option<f64>)>,
    /// Blocks the vc published blinded (builder) and in full (local).
    blinded: usize,
    full: usize,
    failed: usize,
    relay_stats: serde_json::Value,
}

/// The slot in a path that ends `/{slot}` (production) or has `/header/{slot}/` (getHeader).
fn slot_in(path: &str, after: &str) -> Option<u64> {
    let rest = &path[path.find(after)? + after.len()..];
    rest.split(['/', '?']).next()?.parse().ok()
}

/// The text of a log without its colour codes (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let index = ((values.len() as f64 - 1.0) * q).round() as usize;
    values[index]
}

fn run(
    rt: &tokio::runtime::Runtime,
    lodestar: Option<&Lodestar>,
    node: Node,
    delay_ms: u64,
    measured: u64,
) -> Result<RunResult, String> {
    let dir = TestDir::new(&format!(
        "side-by-side-{}-{delay_ms}",
        if node == Node::Ours {
            "ours"
        } else {
            "lodestar"
        }
    ));
    let config = capella_config();
    std::fs::write(dir.join("config.yaml"), &config).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("testnet")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("testnet/config.yaml"), &config).map_err(|e| e.to_string())?;
    // Shanghai from genesis, nothing later: a Capella chain.
    std::fs::write(
        dir.join("el-genesis.json"),
        r#"{"config":{"chainId":1337,"shanghaiTime":0},"timestamp":"0x0","gasLimit":"0x1c9c380","baseFeePerGas":"0x3b9aca00","difficulty":"0x0","alloc":{}}"#,
    )
    .map_err(|e| e.to_string())?;
    let rest = Rest::new();
    let grace = Duration::from_secs(5);

    let el_port = free_port();
    let mut el_cmd = Command::new(binary("mock-el"));
    el_cmd
        .args(["--port", &el_port.to_string(), "--jwt-out"])
        .arg(dir.join("jwt.hex"))
        .arg("--genesis")
        .arg(dir.join("el-genesis.json"));
    let mut el = Proc::spawn("mock-el", el_cmd, dir.join("mock-el.log"), grace);
    let el_url = format!("http://127.0.0.1:{el_port}");
    let status = harness::poll(
        "mock-el",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || {
            el.check_alive()?;
            Ok(rest.get(&format!("{el_url}/admin/status")).ok().flatten())
        },
    )?;
    let genesis_hash = status["genesis_hash"]
        .as_str()
        .ok_or("mock-el names no genesis hash")?
        .to_string();

    let (relay_port, relay_proxy_port, node_port, node_proxy_port) =
        (free_port(), free_port(), free_port(), free_port());
    let relay_log: Log = Arc::default();
    let node_log: Log = Arc::default();
    rt.spawn(timing_proxy(
        relay_proxy_port,
        format!("http://127.0.0.1:{relay_port}"),
        relay_log.clone(),
    ));
    let node_url = format!("http://127.0.0.1:{node_port}");
    rt.spawn(timing_proxy(
        node_proxy_port,
        node_url.clone(),
        node_log.clone(),
    ));
    let relay_via_proxy = format!("http://127.0.0.1:{relay_proxy_port}");
    // Lodestar takes seconds to load: both sides get the same head start.
    let genesis_time = unix_now() + 30;

    let mut beacon = match node {
        Node::Ours => {
            let mut cmd = Command::new(binary("bn"));
            cmd.args(["--preset", "minimal", "--config"])
                .arg(dir.join("config.yaml"))
                .arg("--datadir")
                .arg(dir.join("bn"))
                .args(["--interop-validators", &VALIDATORS.to_string()])
                .args(["--genesis-time", &genesis_time.to_string()])
                .args(["--execution-endpoint", &el_url])
                .arg("--execution-jwt")
                .arg(dir.join("jwt.hex"))
                .args(["--payload-builder", &relay_via_proxy])
                .args(["--http-port", &node_port.to_string()])
                .args([
                    "--suggested-fee-recipient",
                    "0x00000000000000000000000000000000000000fe",
                ]);
            Proc::spawn("bn", cmd, dir.join("bn.log"), grace)
        }
        Node::Lodestar => {
            let lodestar = lodestar.ok_or("Lodestar is not installed")?;
            let mut cmd = lodestar.command();
            cmd.current_dir(dir.join(""))
                .arg("dev")
                .arg("--dataDir")
                .arg(dir.join("lodestar"))
                .args(["--genesisValidators", &VALIDATORS.to_string()])
                .args(["--genesisTime", &genesis_time.to_string()])
                .args(Lodestar::params(&config))
                .args(["--execution.urls", &el_url])
                .arg("--jwt-secret")
                .arg(dir.join("jwt.hex"))
                .args(["--genesisEth1Hash", &genesis_hash])
                .args(["--eth1", "false"])
                .args(["--builder", "--builder.urls", &relay_via_proxy])
                .args(["--listenAddress", "127.0.0.1", "--discv5", "false"])
                .args(["--port", &free_port().to_string()])
                .args(["--rest.address", "127.0.0.1"])
                // The debug namespace (genesis and head states) is off by default.
                .args(["--rest.namespace", "*"])
                .args(["--rest.port", &node_port.to_string()]);
            Proc::spawn("lodestar dev", cmd, dir.join("lodestar.log"), grace)
        }
    };
    harness::poll(
        "the beacon API",
        Duration::from_secs(120),
        Duration::from_millis(200),
        || {
            beacon.check_alive()?;
            Ok(rest
                .get(&format!("{node_url}/eth/v1/beacon/genesis"))
                .ok()
                .flatten())
        },
    )?;
    // The relay needs the genesis state (fork schedule, genesis validators root).
    let genesis_ssz = rt
        .block_on(async {
            reqwest::Client::new()
                .get(format!("{node_url}/eth/v2/debug/beacon/states/genesis"))
                .header("accept", "application/octet-stream")
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await
        })
        .map_err(|e| format!("the genesis state: {e}"))?;
    std::fs::write(dir.join("testnet/genesis.ssz"), &genesis_ssz).map_err(|e| e.to_string())?;

    let mut relay_cmd = Command::new(binary("mock-relay"));
    relay_cmd
        .args(["--listen", &format!("127.0.0.1:{relay_port}")])
        .arg("--testnet-dir")
        .arg(dir.join("testnet"))
        .args(["--secret-key", &format!("0x{}", "11".repeat(32))])
        .args(["--execution-endpoint", &el_url])
        .arg("--execution-jwt")
        .arg(dir.join("jwt.hex"))
        .args(["--fault-get-header-delay-ms", &delay_ms.to_string()]);
    if node == Node::Ours {
        relay_cmd.args(["--beacon-node", &node_url]);
    }
    let mut relay = Proc::spawn("mock-relay", relay_cmd, dir.join("relay.log"), grace);
    let relay_url = format!("http://127.0.0.1:{relay_port}");
    harness::poll(
        "mock-relay",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || {
            relay.check_alive()?;
            Ok(rest
                .get(&format!("{relay_url}/eth/v1/builder/status"))
                .ok()
                .flatten()
                .or(Some(serde_json::Value::Null)))
        },
    )?;

    // The same vc twice on one datadir (its slashing protection carries over): first without builders
    // for WARMUP_SLOTS, because Lodestar enables its builder only once most recent slots have blocks
    // and its blinded production has no local fallback; then with --blinded-payload-builder.
    let vc_command = |blinded: bool| {
        let mut cmd = Command::new(binary("vc"));
        cmd.args(["--preset", "minimal", "--config"])
            .arg(dir.join("config.yaml"))
            .arg("--datadir")
            .arg(dir.join("vc"))
            .args([
                "--beacon-nodes",
                &format!("http://127.0.0.1:{node_proxy_port}"),
            ])
            .args(["--interop-validators", &format!("0..{VALIDATORS}")])
            .args([
                "--suggested-fee-recipient",
                "0x00000000000000000000000000000000000000fe",
            ]);
        if blinded {
            cmd.arg("--blinded-payload-builder");
        }
        cmd
    };
    let mut vc = Some(Proc::spawn(
        "vc (local)",
        vc_command(false),
        dir.join("vc-local.log"),
        grace,
    ));
    let switch_at = genesis_time + (WARMUP_SLOTS + 1) * SLOT_SECONDS - 2;
    let mut blinded_vc: Option<Proc> = None;

    // The first blinded slot warms up; the `measured` after it are measured.
    let first = WARMUP_SLOTS + 2;
    let last = first + measured - 1;
    let end = genesis_time + (last + 1) * SLOT_SECONDS;
    let mut fed: Option<(u64, String)> = None;
    while unix_now() < end {
        beacon.check_alive()?;
        relay.check_alive()?;
        el.check_alive()?;
        if let Some(vc) = vc.as_mut() {
            vc.check_alive()?;
        }
        if let Some(vc) = blinded_vc.as_mut() {
            vc.check_alive()?;
        }
        if blinded_vc.is_none() && unix_now() >= switch_at {
            // Stopped (SIGTERM, waited for) before the blinded one starts on the same datadir.
            vc = None;
            blinded_vc = Some(Proc::spawn(
                "vc (blinded)",
                vc_command(true),
                dir.join("vc.log"),
                grace,
            ));
        }
        if node == Node::Lodestar && unix_now() + 1 >= genesis_time {
            if let Err(e) = feed_attributes(&rest, &node_url, &relay_url, genesis_time, &mut fed) {
                eprintln!("side_by_side: feeding attributes: {e}");
            }
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    drop(vc);
    let vc = blinded_vc.ok_or("the blinded vc never started")?;

    let production =
        |p: &str| p.contains("/validator/blocks/") || p.contains("/validator/blinded_blocks/");
    let mut slots: BTreeMap<u64, (f64, Option<f64>)> = BTreeMap::new();
    for t in node_log.lock().map_err(|e| e.to_string())?.iter() {
        if t.status != 200 || !production(&t.path) {
            continue;
        }
        let Some(slot) = slot_in(&t.path, "blocks/") else {
            continue;
        };
        if (first..=last).contains(&slot) {
            slots.insert(slot, (t.ms, None));
        }
    }
    for t in relay_log.lock().map_err(|e| e.to_string())?.iter() {
        let Some(slot) = slot_in(&t.path, "/header/") else {
            continue;
        };
        if let Some(entry) = slots.get_mut(&slot) {
            entry.1 = Some(t.ms);
        }
    }
    let vc_log = strip_ansi(&vc.log());
    let count = |needle: &str| vc_log.lines().filter(|l| l.contains(needle)).count();
    let relay_stats = rest
        .get(&format!("{relay_url}/admin/stats"))
        .ok()
        .flatten()
        .unwrap_or_default();
    Ok(RunResult {
        node,
        delay_ms,
        slots,
        blinded: count("blinded=true"),
        full: count("blinded=false"),
        failed: count("proposal failed"),
        relay_stats,
    })
}

/// Gives the relay the attributes of the slot after the head (what a `payload_attributes` event says),
/// once per (slot, head).
fn feed_attributes(
    rest: &Rest,
    node: &str,
    relay: &str,
    genesis_time: u64,
    fed: &mut Option<(u64, String)>,
) -> Result<(), String> {
    let current = unix_now().saturating_sub(genesis_time) / SLOT_SECONDS;
    let block = rest
        .get(&format!("{node}/eth/v2/beacon/blocks/head"))?
        .ok_or("no head block")?;
    let message = &block["data"]["message"];
    let head_slot: u64 = message["slot"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no head slot")?;
    let slot = (current + 1).max(head_slot + 1);
    let root = rest
        .get(&format!("{node}/eth/v1/beacon/blocks/head/root"))?
        .and_then(|r| r["data"]["root"].as_str().map(str::to_string))
        .ok_or("no head root")?;
    if fed.as_ref() == Some(&(slot, root.clone())) {
        return Ok(());
    }
    let payload = &message["body"]["execution_payload"];
    let epoch = slot / 8;
    let duties = rest
        .get(&format!("{node}/eth/v1/validator/duties/proposer/{epoch}"))?
        .ok_or("no proposer duties")?;
    let proposer = duties["data"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|x| x["slot"].as_str() == Some(&slot.to_string()))
        })
        .and_then(|x| x["validator_index"].as_str().map(str::to_string))
        .ok_or("no proposer for the slot")?;
    // get_randao_mix(state, epoch): the head state's latest mix (copied forward at epoch ends).
    let head_epoch = head_slot / 8;
    let randao = match rest.get(&format!("{node}/eth/v1/beacon/states/head/randao")) {
        Ok(Some(r)) => r["data"]["randao"].as_str().map(str::to_string),
        _ => None,
    };
    let randao = match randao {
        Some(r) => r,
        None => {
            let state = rest
                .get(&format!("{node}/eth/v2/debug/beacon/states/head"))?
                .ok_or("no head state")?;
            state["data"]["randao_mixes"][(head_epoch % 64) as usize]
                .as_str()
                .ok_or("no randao mix in the head state")?
                .to_string()
        }
    };
    let event = serde_json::json!({
        "version": "capella",
        "data": {
            "proposer_index": proposer,
            "proposal_slot": slot.to_string(),
            "parent_block_number": payload["block_number"],
            "parent_block_root": root,
            "parent_block_hash": payload["block_hash"],
            "payload_attributes": {
                "timestamp": (genesis_time + slot * SLOT_SECONDS).to_string(),
                "prev_randao": randao,
                "suggested_fee_recipient": "0x00000000000000000000000000000000000000fe",
                "withdrawals": [],
            }
        }
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{relay}/admin/payload_attributes"))
            .json(&event)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map(|_| ())
    })
    .map_err(|e| format!("POST /admin/payload_attributes: {e}"))?;
    *fed = Some((slot, root));
    Ok(())
}

fn report(result: &RunResult) {
    let mut total: Vec<f64> = result.slots.values().map(|(t, _)| *t).collect();
    let mut relay: Vec<f64> = result.slots.values().filter_map(|(_, r)| *r).collect();
    let mut beyond: Vec<f64> = result
        .slots
        .values()
        .filter_map(|(t, r)| r.map(|r| t - r))
        .collect();
    println!(
        "{:<15} relay +{:>3} ms | production p50 {:>7.1} p90 {:>7.1} ms | getHeader p50 {:>7.1} p90 {:>7.1} ms | beyond the relay p50 {:>7.1} p90 {:>7.1} ms | {} slots ({} with getHeader) | vc: {} builder, {} local, {} failed | relay: {}",
        result.node.name(),
        result.delay_ms,
        quantile(&mut total, 0.5),
        quantile(&mut total, 0.9),
        quantile(&mut relay, 0.5),
        quantile(&mut relay, 0.9),
        quantile(&mut beyond, 0.5),
        quantile(&mut beyond, 0.9),
        total.len(),
        beyond.len(),
        result.blinded,
        result.full,
        result.failed,
        result.relay_stats,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a `cargo test --benches` run passes nothing to do here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let measured: u64 = std::env::var("SIDE_BY_SIDE_SLOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let lodestar = match lodestar() {
        Ok(l) => Some(l),
        Err(reason) => {
            println!("side_by_side: Lodestar 1.5.1 is not available ({reason}): our node only");
            None
        }
    };
    let only = std::env::var("SIDE_BY_SIDE_NODE").ok();
    let _serial = harness::serial();
    for node in [Node::Ours, Node::Lodestar] {
        if node == Node::Lodestar && lodestar.is_none() {
            continue;
        }
        if only.as_deref().is_some_and(|o| o != node.key()) {
            continue;
        }
        for delay in [0, 200] {
            match run(&rt, lodestar.as_ref(), node, delay, measured) {
                Ok(result) => report(&result),
                Err(e) => println!("{} relay +{delay} ms: failed: {e}", node.name()),
            }
        }
    }
}
