//! The client against a real execution engine: EthereumJS, installed from npm by
//! `shared/tools/install-ethereumjs.sh`, with Capella, Deneb and Electra genesis configs.
//!
//! Round trip: forkchoiceUpdated with attributes → getPayload → newPayload VALID → forkchoiceUpdated
//! moves the head. A tampered payload gets INVALID, a request without JWT gets 401. The genesis hash
//! and the payload are also checked against mock-el and the consensus-side block-hash code.
//!
//! If npm's registry cannot be reached (and EthereumJS is not installed yet) the test prints that it
//! was skipped and why; any other failure fails it.

use crate::{client_for, secret};
use alloy_primitives::{Address, B256};
use engine_api::*;
use execution_block_hash::compute_execution_block_hash;
use mock_el::{Genesis, MockEl, MockElConfig};
use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use types::{ExecutionPayload, ForkName, MainnetEthSpec};

type E = MainnetEthSpec;

fn install_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/install-ethereumjs.sh")
}

/// Installs EthereumJS (cached after the first time) and returns its binary, or `Err(reason)` when
/// npm cannot be reached. Panics on any other failure.
fn install() -> Result<PathBuf, String> {
    let script = install_script();
    assert!(
        script.exists(),
        "{} is missing (is ../shared in place?)",
        script.display()
    );
    let out = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        let bin = stdout.lines().last().unwrap_or_default().trim().to_string();
        assert!(
            Path::new(&bin).exists(),
            "installer printed {bin:?}, which does not exist"
        );
        return Ok(PathBuf::from(bin));
    }
    // Failed: skip only if the registry is unreachable.
    let ping = Command::new("npm")
        .args(["ping", "--fetch-timeout=10000", "--fetch-retries=0"])
        .stdin(Stdio::null())
        .output();
    match ping {
        Ok(p) if p.status.success() => panic!(
            "npm is reachable but installing EthereumJS failed ({}):\n{stderr}",
            out.status
        ),
        Ok(p) => Err(format!(
            "npm registry unreachable (`npm ping` failed: {}); installer said: {}",
            String::from_utf8_lossy(&p.stderr).trim(),
            stderr.trim()
        )),
        Err(e) => Err(format!(
            "npm cannot be run ({e}); installer said: {}",
            stderr.trim()
        )),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A geth-style genesis with every fork up to `fork` active from genesis.
fn genesis_json(fork: ForkName, timestamp: u64) -> Value {
    let mut config = json!({
        "chainId": 1337,
        "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
        "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0, "istanbulBlock": 0,
        "muirGlacierBlock": 0, "berlinBlock": 0, "londonBlock": 0, "arrowGlacierBlock": 0,
        "grayGlacierBlock": 0, "mergeNetsplitBlock": 0,
        "terminalTotalDifficulty": 0, "terminalTotalDifficultyPassed": true,
        "shanghaiTime": 0,
    });
    if fork.deneb_enabled() {
        config["cancunTime"] = json!(0);
    }
    if fork.electra_enabled() {
        config["pragueTime"] = json!(0);
    }
    json!({
        "config": config,
        "nonce": "0x0",
        "timestamp": format!("{timestamp:#x}"),
        "extraData": "0x",
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "mixHash": "0x0000000000000000000000000000000000000000000000000000000000000000",
        "coinbase": "0x0000000000000000000000000000000000000000",
        "alloc": {
            "0x8a04d14125d0fdcdc742f4a05c051de07232edd1": {"balance": "0x3635c9adc5dea00000"},
            "0x0000000000000000000000000000000000001234": {
                "balance": "0x1", "nonce": "0x1", "code": "0x6000",
                "storage": {"0x0000000000000000000000000000000000000000000000000000000000000001": "0x0000000000000000000000000000000000000000000000000000000000000007"}
            }
        },
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x0000000000000000000000000000000000000000000000000000000000000000",
        "baseFeePerGas": "0x3b9aca00"
    })
}

/// A running EthereumJS in its own temporary directory; killed and cleaned up on drop.
struct EthereumJs {
    child: Child,
    dir: PathBuf,
    engine_url: String,
}

impl EthereumJs {
    fn start(bin: &Path, genesis: &Value, fork: ForkName) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "blindfold-ejs-{}-{}-{}",
            fork,
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let genesis_path = dir.join("genesis.json");
        std::fs::write(&genesis_path, genesis.to_string()).expect("genesis written");
        let jwt_path = dir.join("jwt.hex");
        std::fs::write(&jwt_path, secret().to_hex()).expect("jwt written");
        let log = std::fs::File::create(dir.join("ethereumjs.log")).expect("log file");
        let (engine_port, rpc_port, p2p_port) = (free_port(), free_port(), free_port());
        let child = Command::new(bin)
            // EthereumJS writes stray log files into its working directory: keep them in the temp dir.
            .current_dir(&dir)
            .arg("--gethGenesis")
            .arg(&genesis_path)
            .arg("--dataDir")
            .arg(dir.join("data"))
            .args([
                "--rpcEngine",
                "--rpcEngineAddr",
                "127.0.0.1",
                "--rpcEnginePort",
            ])
            .arg(engine_port.to_string())
            .arg("--jwtSecret")
            .arg(&jwt_path)
            .args(["--rpc", "--rpcAddr", "127.0.0.1", "--rpcPort"])
            .arg(rpc_port.to_string())
            .arg("--port")
            .arg(p2p_port.to_string())
            .args([
                "--extIP",
                "127.0.0.1",
                "--maxPeers",
                "0",
                "--discDns",
                "false",
            ])
            .args(["--discV4", "false", "--logFile", "false"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        Self {
            child,
            dir,
            engine_url: format!("http://127.0.0.1:{engine_port}/"),
        }
    }

    /// The last lines of its log, for failure messages.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.join("ethereumjs.log")) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    async fn wait_ready(&mut self, client: &EngineClient) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if client
                .exchange_capabilities(SUPPORTED_METHODS)
                .await
                .is_ok()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("EthereumJS exited ({status}):\n{}", self.log_tail());
            }
            if Instant::now() > deadline {
                panic!("EthereumJS not ready after 90 s:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for EthereumJs {
    fn drop(&mut self) {
        // It may ignore SIGTERM; SIGKILL it.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fc(head: B256) -> ForkchoiceStateV1 {
    ForkchoiceStateV1 {
        head_block_hash: head,
        safe_block_hash: head,
        finalized_block_hash: B256::ZERO,
    }
}

async fn run_fork(bin: &Path, fork: ForkName) {
    let genesis_timestamp = unix_now() - 120;
    let genesis = genesis_json(fork, genesis_timestamp);
    let mut ejs = EthereumJs::start(bin, &genesis, fork);
    let client = client_for(&ejs.engine_url, secret());
    ejs.wait_ready(&client).await;
    let context =
        |what: &str| format!("{fork}: {what}\n--- EthereumJS log ---\n{}", ejs.log_tail());

    // Capabilities and identity.
    let caps = client
        .exchange_capabilities(SUPPORTED_METHODS)
        .await
        .unwrap();
    let m = methods_for(fork);
    for method in [m.forkchoice_updated, m.new_payload, m.get_payload] {
        assert!(
            caps.iter().any(|c| c == method),
            "{}",
            context(&format!("{method} in {caps:?}"))
        );
    }
    if let Ok(versions) = client
        .get_client_version_v1(&ClientVersionV1::blindfold())
        .await
    {
        println!("{fork}: execution engine {:?}", versions.first());
    }

    // The genesis hash: EthereumJS and mock-el agree on the same genesis.json.
    let block0 = client
        .eth_get_block_by_number("0x0")
        .await
        .unwrap_or_else(|e| panic!("{}", context(&e.to_string())))
        .expect("genesis block");
    let genesis_hash: B256 = serde_json::from_value(block0["hash"].clone()).unwrap();
    let mock_genesis = Genesis::from_json_str(&genesis.to_string()).unwrap();
    let mut mock_config = MockElConfig::new(secret());
    mock_config.genesis = mock_genesis;
    let mock = MockEl::start(mock_config).await.unwrap();
    assert_eq!(
        mock.genesis_hash(),
        genesis_hash,
        "{}",
        context("genesis hashes differ")
    );

    // A missing JWT is refused with 401.
    let anonymous = EngineClient::new_unauthenticated(ejs.engine_url.parse().unwrap()).unwrap();
    let err = anonymous.exchange_capabilities(&[]).await.unwrap_err();
    assert!(
        matches!(err, EngineError::Auth { status: 401 }),
        "{}",
        context(&err.to_string())
    );

    // forkchoiceUpdated with attributes → getPayload.
    let parent_root = B256::repeat_byte(0x21);
    let withdrawals = vec![types::Withdrawal {
        index: 0,
        validator_index: 5,
        address: Address::repeat_byte(0x77),
        amount: 1_000_000_000,
    }];
    let attrs = PayloadAttributes::new(
        fork,
        genesis_timestamp + 12,
        B256::repeat_byte(0x33),
        Address::repeat_byte(0x44),
        &withdrawals,
        parent_root,
    );
    let fcu = client
        .forkchoice_updated(fork, fc(genesis_hash), Some(&attrs))
        .await
        .unwrap_or_else(|e| panic!("{}", context(&e.to_string())));
    assert!(
        fcu.payload_status.is_valid(),
        "{}",
        context(&format!("{fcu:?}"))
    );
    let id = fcu.payload_id.expect("a payload id");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let built = client
        .get_payload::<E>(fork, id)
        .await
        .unwrap_or_else(|e| panic!("{}", context(&e.to_string())));
    let payload = built.payload.clone();
    assert_eq!(payload.fork_name(), fork);
    assert_eq!(payload.parent_hash(), genesis_hash);
    assert_eq!(payload.block_number(), 1);
    assert_eq!(&payload.withdrawals()[..], &withdrawals[..]);
    // Our block-hash code agrees with a real client's.
    let requests = built.execution_requests.clone();
    let hash = compute_execution_block_hash(
        &payload,
        fork.deneb_enabled().then_some(parent_root),
        requests.as_ref(),
    )
    .unwrap();
    assert_eq!(
        hash,
        payload.block_hash(),
        "{}",
        context("block hash differs")
    );

    fn new_request<'a>(
        p: &'a ExecutionPayload<E>,
        root: Option<B256>,
        requests: Option<&'a types::ExecutionRequests<E>>,
    ) -> NewPayloadRequest<'a, E> {
        NewPayloadRequest {
            payload: p,
            versioned_hashes: vec![],
            parent_beacon_block_root: root,
            execution_requests: requests,
        }
    }
    let root = fork.deneb_enabled().then_some(parent_root);
    let request = |p| new_request(p, root, requests.as_ref());

    // A tampered payload is INVALID.
    let mut tampered = payload.clone();
    *tampered.timestamp_mut() += 1;
    let status = client
        .new_payload(&request(&tampered))
        .await
        .unwrap_or_else(|e| panic!("{}", context(&e.to_string())));
    assert!(
        status.is_invalid(),
        "{}",
        context(&format!("tampered: {status:?}"))
    );

    // newPayload VALID.
    let status = client
        .new_payload(&request(&payload))
        .await
        .unwrap_or_else(|e| panic!("{}", context(&e.to_string())));
    assert_eq!(
        status.status,
        PayloadStatusKind::Valid,
        "{}",
        context(&format!("{status:?}"))
    );

    // forkchoiceUpdated moves its head.
    let fcu = client
        .forkchoice_updated(fork, fc(payload.block_hash()), None)
        .await
        .unwrap_or_else(|e| panic!("{}", context(&e.to_string())));
    assert!(
        fcu.payload_status.is_valid(),
        "{}",
        context(&format!("{fcu:?}"))
    );
    let latest = client
        .eth_get_block_by_number("latest")
        .await
        .unwrap()
        .expect("latest");
    assert_eq!(
        latest["hash"],
        json!(payload.block_hash()),
        "{}",
        context("head did not move")
    );
    assert_eq!(client.eth_block_number().await.unwrap(), 1);
    assert_eq!(client.state(), EngineState::Online);

    // mock-el accepts the real client's payload on the shared genesis.
    let mock_client = client_for(&mock.url(), secret());
    let status = mock_client.new_payload(&request(&payload)).await.unwrap();
    assert!(
        status.is_valid(),
        "mock-el on EthereumJS's payload: {status:?}"
    );
    println!(
        "{fork}: EthereumJS round trip ok (block 1 = {})",
        payload.block_hash()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethereumjs_round_trip_capella_deneb_electra() {
    let bin = match install() {
        Ok(bin) => bin,
        Err(reason) => {
            // Written to the real stderr, past the test harness's output capture, so the skip
            // shows in every run.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED ethereumjs_round_trip_capella_deneb_electra: {reason}"
            );
            return;
        }
    };
    for fork in [ForkName::Capella, ForkName::Deneb, ForkName::Electra] {
        run_fork(&bin, fork).await;
    }
}
