//! Starts the devnet's processes in order and owns them: mock-el, then `bn` (its interop genesis reads
//! the engine's genesis block; the relays' keys are pinned before the relays run), then the two relays
//! (they need the node's genesis state), then `vc`. Dropping a [`Devnet`] stops them all in reverse
//! order, also on error and on panic.

use crate::binaries::Binaries;
use crate::ethereumjs::{self, ExecutionEngine};
use crate::monitor::RelayIdentity;
use crate::process::{Process, STOP_BOUND};
use crate::scenario::{Target, RELAY_NAMES};
use crate::testnet::{self, ForkEpochs, RelayKey, Timing};
use crate::Error;
use beacon_api::BeaconNodeHttpClient;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use url::Url;

/// The fee recipient the validators register and the node uses for local payloads.
pub const FEE_RECIPIENT: &str = "0x00000000000000000000000000000000000fee00";
/// The address relay-b's payloads pay (it pays the proposer by a last transaction).
pub const RELAY_B_ADDRESS: &str = "0x00000000000000000000000000000000000000bb";
/// The `builder_getPayloadV1` address of the rpc-builder: mock-relay's default secp256k1 key
/// (`mock_relay::DEFAULT_SECP256K1_KEY`, 0x43 x 32), which signs its answers.
pub const RPC_BUILDER_ADDRESS: &str = "0x5975c152fE58cDcB7E25586A3c9b994A16dbB615";
/// The gas limit of mock-el's payloads (its genesis block's, kept by every block it builds).
const MOCK_EL_GAS_LIMIT: u64 = 30_000_000;
/// How long each program gets to come up.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// What a devnet is made of.
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    pub validators: u64,
    pub forks: ForkEpochs,
    pub slot_ms: u64,
    /// Seconds between now and genesis: time for everything to start.
    pub genesis_delay_s: u64,
    /// The directory to use; `None`: a new temporary one.
    pub dir: Option<PathBuf>,
    /// mock-el, or a real EthereumJS.
    pub engine: ExecutionEngine,
    /// More `bn` flags (a scenario's circuit breaker thresholds or bid policies).
    pub bn_args: Vec<String>,
    /// Also an RPC builder and an engine builder (two more mock relays, their full-payload faces),
    /// after the relays.
    pub full_payload_builders: bool,
}

/// What [`Devnet::boot`] starts the processes with.
struct BootFiles {
    config: PathBuf,
    el_genesis: PathBuf,
    jwt: PathBuf,
    testnet_dir: PathBuf,
    ports: (u16, u16, [u16; 2]),
    /// EthereumJS's JSON-RPC and devp2p ports (unused with mock-el).
    engine_ports: (u16, u16),
    keys: [RelayKey; 2],
}

/// A running devnet.
pub struct Devnet {
    pub dir: PathBuf,
    pub timing: Timing,
    pub forks: ForkEpochs,
    pub bn_url: Url,
    pub el_url: Url,
    pub relay_urls: Vec<Url>,
    pub relays: Vec<RelayIdentity>,
    /// The execution engine it runs.
    pub engine: ExecutionEngine,
    pub client: BeaconNodeHttpClient,
    /// Processes in start order: el, bn, relays, vc.
    processes: Vec<(Target, Process)>,
    /// Killed on purpose by a scenario: not an error when found down.
    down_on_purpose: Vec<Target>,
    /// Remove `dir` when dropped.
    pub remove_dir: bool,
}

impl Devnet {
    /// Starts everything and returns once the node and the relays answer (before genesis, unless
    /// starting took longer than the genesis delay).
    pub async fn start(options: &NetworkOptions, binaries: &Binaries) -> Result<Self, Error> {
        let (dir, remove_dir) = match &options.dir {
            Some(dir) => (dir.clone(), false),
            None => (temp_dir()?, true),
        };
        let testnet_dir = dir.join("testnet");
        std::fs::create_dir_all(&testnet_dir)
            .map_err(|e| Error::Io(format!("{}: {e}", testnet_dir.display())))?;
        let ports = testnet::free_ports(8)?;
        let (el_port, bn_port, relay_ports) = (ports[0], ports[1], [ports[2], ports[3]]);
        let engine_ports = (ports[4], ports[5]);
        let genesis_time = crate::monitor::now_ms() / 1000 + options.genesis_delay_s;
        let timing = Timing {
            genesis_time,
            slot_ms: options.slot_ms,
        };
        let keys = [RelayKey::fixed(0x11)?, RelayKey::fixed(0x22)?];
        let builder_pays = options.engine == ExecutionEngine::MockEl;
        let relays: Vec<RelayIdentity> = RELAY_NAMES
            .iter()
            .zip(&keys)
            .enumerate()
            .map(|(i, (name, key))| RelayIdentity {
                name: name.to_string(),
                pubkey: key.pubkey_hex.clone(),
                builder_address: (i == 1 && builder_pays).then(|| RELAY_B_ADDRESS.to_string()),
            })
            .collect();

        let write = |path: PathBuf, text: String| {
            std::fs::write(&path, text).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
        };
        let config = testnet_dir.join("config.yaml");
        write(
            config.clone(),
            testnet::config_yaml(&options.forks, options.slot_ms),
        )?;
        let el_genesis = dir.join("el-genesis.json");
        let el_genesis_json = match &options.engine {
            ExecutionEngine::MockEl => testnet::el_genesis_json(&options.forks, &timing),
            ExecutionEngine::EthereumJs(_) => {
                testnet::ethereumjs_genesis_json(&options.forks, &timing).map_err(Error::Setup)?
            }
        };
        write(el_genesis.clone(), el_genesis_json.to_string())?;
        let jwt = dir.join("jwt.hex");
        let url = |port: u16| -> Result<Url, Error> {
            Url::parse(&format!("http://127.0.0.1:{port}/"))
                .map_err(|e| Error::Setup(e.to_string()))
        };
        let el_url = url(el_port)?;
        let bn_url = url(bn_port)?;
        let mut relay_urls = vec![url(relay_ports[0])?, url(relay_ports[1])?];
        let mut relays = relays;
        if options.full_payload_builders {
            // Named in the node's status by address and by URL, after the relays.
            let (rpc, engine) = (url(ports[6])?, url(ports[7])?);
            for (name, identity) in [
                ("rpc-builder", RPC_BUILDER_ADDRESS.to_string()),
                ("engine-builder", engine.to_string()),
            ] {
                relays.push(RelayIdentity {
                    name: name.into(),
                    pubkey: identity,
                    builder_address: None,
                });
            }
            relay_urls.extend([rpc, engine]);
        }
        let client = BeaconNodeHttpClient::with_timeout(bn_url.clone(), Duration::from_secs(5))
            .map_err(|e| Error::Setup(e.to_string()))?;

        let mut devnet = Self {
            dir: dir.clone(),
            timing,
            forks: options.forks,
            bn_url: bn_url.clone(),
            el_url: el_url.clone(),
            relay_urls: relay_urls.clone(),
            relays,
            engine: options.engine.clone(),
            client,
            processes: Vec::new(),
            down_on_purpose: Vec::new(),
            remove_dir,
        };
        let files = BootFiles {
            config,
            el_genesis,
            jwt,
            testnet_dir,
            ports: (el_port, bn_port, relay_ports),
            engine_ports,
            keys,
        };
        if let Err(e) = devnet.boot(options, binaries, files).await {
            // Keep the logs of a devnet that did not come up.
            devnet.remove_dir = false;
            devnet.stop_all();
            return Err(e);
        }
        Ok(devnet)
    }

    /// Starts the processes in order, each once the one before answers.
    async fn boot(
        &mut self,
        options: &NetworkOptions,
        binaries: &Binaries,
        files: BootFiles,
    ) -> Result<(), Error> {
        let BootFiles {
            config,
            el_genesis,
            jwt,
            testnet_dir,
            ports: (el_port, bn_port, relay_ports),
            engine_ports,
            keys,
        } = files;
        let devnet = self;
        let dir = devnet.dir.clone();
        let el_url = devnet.el_url.clone();
        let bn_url = devnet.bn_url.clone();
        let relay_urls = devnet.relay_urls.clone();
        let genesis_time = devnet.timing.genesis_time;
        let log = |name: &str| dir.join(format!("{name}.log"));
        let args = |list: &[&dyn AsRef<std::ffi::OsStr>]| -> Vec<OsString> {
            list.iter().map(|a| a.as_ref().to_os_string()).collect()
        };

        let admin = reqwest::Client::new();
        match options.engine.clone() {
            // mock-el, with its fork times; it writes the JWT secret.
            ExecutionEngine::MockEl => {
                let el_args = args(&[
                    &"--port",
                    &el_port.to_string(),
                    &"--jwt-out",
                    &jwt,
                    &"--genesis",
                    &el_genesis,
                ]);
                devnet.spawn(Target::El, &binaries.mock_el, el_args, log("mock-el"))?;
                let el_status = el_url
                    .join("admin/status")
                    .map_err(|e| Error::Setup(e.to_string()))?;
                devnet
                    .wait_ready(Target::El, || {
                        let request = admin.get(el_status.clone()).send();
                        async move { request.await.is_ok_and(|r| r.status().is_success()) }
                    })
                    .await?;
            }
            // EthereumJS on the devnet's genesis, ready once its engine API answers with the secret.
            ExecutionEngine::EthereumJs(program) => {
                ethereumjs::write_jwt(&jwt)?;
                let ports = ethereumjs::Ports {
                    engine: el_port,
                    rpc: engine_ports.0,
                    p2p: engine_ports.1,
                };
                let el_args = ethereumjs::args(&el_genesis, &dir.join("ethereumjs"), &jwt, ports);
                devnet.spawn(Target::El, &program, el_args, log("ethereumjs"))?;
                let engine = ethereumjs::engine_client(&el_url, &jwt)?;
                devnet
                    .wait_ready(Target::El, || ethereumjs::engine_ready(&engine))
                    .await?;
            }
        }

        // bn, every builder's key pinned.
        let builders: Vec<String> = keys
            .iter()
            .zip(&relay_ports)
            .map(|(k, port)| format!("http://{}@127.0.0.1:{port}", k.pubkey_hex))
            .collect();
        let bn_args = args(&[
            &"--datadir",
            &dir.join("bn"),
            &"--preset",
            &"minimal",
            &"--config",
            &config,
            &"--interop-validators",
            &options.validators.to_string(),
            &"--genesis-time",
            &genesis_time.to_string(),
            &"--execution-endpoint",
            &el_url.as_str(),
            &"--execution-jwt",
            &jwt,
            &"--payload-builder",
            &builders.join(","),
            &"--http-port",
            &bn_port.to_string(),
            &"--suggested-fee-recipient",
            &FEE_RECIPIENT,
        ]);
        let mut bn_args = bn_args;
        if let [_, _, rpc, engine] = &relay_urls[..] {
            // The proposer's request key and the engine builder's own JWT secret (test values).
            let request_key = dir.join("request-key.hex");
            let builder_jwt = dir.join("builder-jwt.hex");
            write_bytes(&request_key, "31".repeat(32).as_bytes())?;
            write_bytes(&builder_jwt, "55".repeat(32).as_bytes())?;
            bn_args.extend(args(&[
                &"--payload-builder-rpc",
                &format!("{RPC_BUILDER_ADDRESS}@{rpc}"),
                &"--payload-builder-request-key",
                &request_key,
                &"--payload-builder-engine",
                &engine.as_str(),
                &"--payload-builder-engine-jwt",
                &builder_jwt,
            ]));
        }
        bn_args.extend(options.bn_args.iter().map(OsString::from));
        devnet.spawn(Target::Bn, &binaries.bn, bn_args, log("bn"))?;
        let client = devnet.client.clone();
        devnet
            .wait_ready(Target::Bn, || {
                let client = client.clone();
                async move { client.get_node_version().await.is_ok() }
            })
            .await?;

        // The relays need the genesis validators root and fork schedule: the node's genesis state.
        let genesis = devnet
            .client
            .get_with_accept(
                "eth/v2/debug/beacon/states/genesis",
                beacon_api::SSZ_CONTENT_TYPE,
            )
            .await
            .map_err(|e| Error::Setup(format!("the node's genesis state: {e}")))?
            .bytes()
            .await
            .map_err(|e| Error::Setup(format!("the node's genesis state: {e}")))?;
        write_bytes(&testnet_dir.join("genesis.ssz"), &genesis)?;

        for (i, key) in keys.iter().enumerate() {
            let mut relay_args = args(&[
                &"--listen",
                &format!("127.0.0.1:{}", relay_ports[i]),
                &"--testnet-dir",
                &testnet_dir,
                &"--secret-key",
                &key.secret_hex,
                &"--execution-endpoint",
                &el_url.as_str(),
                &"--execution-jwt",
                &jwt,
                &"--beacon-node",
                &bn_url.as_str(),
            ]);
            if i == 1 && options.engine == ExecutionEngine::MockEl {
                // Paid by transaction, as many mainnet builders: exercises the node's default of
                // accepting a bid whose fee recipient is not the registered one. Not with a real
                // engine: the relay appends the payment after the engine built the block, so the
                // block's state root no longer matches, and the paying key holds no ether.
                relay_args.extend(args(&[
                    &"--builder-pays",
                    &"--builder-address",
                    &RELAY_B_ADDRESS,
                ]));
            }
            let name = RELAY_NAMES[i];
            devnet.spawn(
                Target::Relay(i),
                &binaries.mock_relay,
                relay_args,
                log(name),
            )?;
        }
        // The full-payload builders: mock relays asked over builder_getPayloadV1 (default key, so
        // RPC_BUILDER_ADDRESS) and over their engine-API face.
        for (i, builder_url) in relay_urls.iter().enumerate().skip(keys.len()) {
            let port = builder_url.port().unwrap_or_default();
            let mut builder_args = args(&[
                &"--listen",
                &format!("127.0.0.1:{port}"),
                &"--testnet-dir",
                &testnet_dir,
                &"--execution-endpoint",
                &el_url.as_str(),
                &"--execution-jwt",
                &jwt,
                &"--beacon-node",
                &bn_url.as_str(),
            ]);
            if RELAY_NAMES[i] == "engine-builder" {
                builder_args.extend(args(&[&"--engine-face-jwt", &dir.join("builder-jwt.hex")]));
            }
            devnet.spawn(
                Target::Relay(i),
                &binaries.mock_relay,
                builder_args,
                log(RELAY_NAMES[i]),
            )?;
        }
        for (i, relay_url) in relay_urls.iter().enumerate() {
            let status = relay_url
                .join("eth/v1/builder/status")
                .map_err(|e| Error::Setup(e.to_string()))?;
            devnet
                .wait_ready(Target::Relay(i), || {
                    let request = admin.get(status.clone()).send();
                    async move { request.await.is_ok_and(|r| r.status().is_success()) }
                })
                .await?;
        }

        if let Some(vc) = &binaries.vc {
            let vc_args = args(&[
                &"--beacon-nodes",
                &bn_url.as_str(),
                &"--interop-validators",
                &format!("0..{}", options.validators),
                &"--blinded-payload-builder",
                &"--testnet-dir",
                &testnet_dir,
                &"--datadir",
                &dir.join("vc"),
                &"--suggested-fee-recipient",
                &FEE_RECIPIENT,
            ]);
            let mut vc_args = vc_args;
            if options.full_payload_builders {
                // An engine builder builds at its own engine's gas limit (a real client's
                // --miner.gaslimit; mock-el's is its genesis's), and its payload must pass the same
                // gas-limit check as a relay's bid: the validators register that limit.
                vc_args.extend(args(&[&"--gas-limit", &MOCK_EL_GAS_LIMIT.to_string()]));
            }
            devnet.spawn(Target::Vc, vc, vc_args, log("vc"))?;
        }
        Ok(())
    }

    fn spawn(
        &mut self,
        target: Target,
        program: &Path,
        args: Vec<OsString>,
        log: PathBuf,
    ) -> Result<(), Error> {
        let mut process = Process::new(&target.to_string(), program, args, log);
        process.start()?;
        self.processes.push((target, process));
        Ok(())
    }

    /// Polls `ready` until it holds; fails when the process exits first or after [`READY_TIMEOUT`].
    async fn wait_ready<F, Fut>(&mut self, target: Target, ready: F) -> Result<(), Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if ready().await {
                return Ok(());
            }
            if let Some(process) = self.process_mut(&target) {
                if let Some(status) = process.exit_status() {
                    return Err(Error::Exited(format!(
                        "{target} exited while starting ({status}); the end of {}:\n{}",
                        process.log().display(),
                        process.log_tail(15)
                    )));
                }
            }
            if Instant::now() > deadline {
                return Err(Error::Setup(format!(
                    "{target} did not come up within {READY_TIMEOUT:?}; see {}",
                    self.dir.join(format!("{target}.log")).display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn process_mut(&mut self, target: &Target) -> Option<&mut Process> {
        self.processes
            .iter_mut()
            .find(|(t, _)| t == target)
            .map(|(_, p)| p)
    }

    /// Whether the devnet runs a validator client.
    pub fn has_vc(&self) -> bool {
        self.processes.iter().any(|(t, _)| *t == Target::Vc)
    }

    /// `kill -9` of a process, on purpose.
    pub fn kill(&mut self, target: &Target) -> Result<(), Error> {
        let process = self
            .process_mut(target)
            .ok_or_else(|| Error::Setup(format!("{target} does not run in this devnet")))?;
        process.kill();
        if !self.down_on_purpose.contains(target) {
            self.down_on_purpose.push(target.clone());
        }
        Ok(())
    }

    /// Starts a process again, with its first command line.
    pub fn restart(&mut self, target: &Target) -> Result<(), Error> {
        let process = self
            .process_mut(target)
            .ok_or_else(|| Error::Setup(format!("{target} does not run in this devnet")))?;
        process.start()?;
        self.down_on_purpose.retain(|t| t != target);
        Ok(())
    }

    /// A process that exited without a scenario asking for it: the error names it and its log.
    pub fn check_alive(&mut self) -> Result<(), Error> {
        let on_purpose = self.down_on_purpose.clone();
        for (target, process) in &mut self.processes {
            if on_purpose.contains(target) {
                continue;
            }
            if let Some(status) = process.exit_status() {
                return Err(Error::Exited(format!(
                    "{target} exited ({status}); the end of {}:\n{}",
                    process.log().display(),
                    process.log_tail(15)
                )));
            }
        }
        Ok(())
    }

    /// Each process's name and log file.
    pub fn logs(&self) -> Vec<(String, PathBuf)> {
        self.processes
            .iter()
            .map(|(_, p)| (p.name().to_string(), p.log().to_path_buf()))
            .collect()
    }

    /// How often each process was started.
    pub fn starts(&self) -> Vec<(String, u32)> {
        self.processes
            .iter()
            .map(|(_, p)| (p.name().to_string(), p.starts()))
            .collect()
    }

    /// Stops every process, the last started first (SIGTERM, SIGKILL after a bound).
    pub fn stop_all(&mut self) {
        while let Some((_, mut process)) = self.processes.pop() {
            process.stop(STOP_BOUND);
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop_all();
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

/// A new directory under the system's temporary directory.
fn temp_dir() -> Result<PathBuf, Error> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "blindfold-devnet-{}-{nanos:09}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}
