//! EthereumJS as the devnet's execution engine (`--el ethereumjs`): installed by the shared tools'
//! `install-ethereumjs.sh` into a reused cache, started on the devnet's genesis with a JWT secret the
//! devnet writes, and judged ready when its engine API answers `eth_getBlockByNumber("0x0")` with
//! that secret (the same call `bn`'s interop genesis makes).

use crate::Error;
use engine_api::{EngineClient, JwtAuth, JwtSecret};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use url::Url;

/// The extra-data of EthereumJS's own payloads (it has no flag to set one): empty.
pub const LOCAL_EXTRA_DATA: &str = "";
/// How long an install (npm, which retries for minutes without a network) may take.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(900);

/// Which execution engine the devnet runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ExecutionEngine {
    /// The workspace's `mock-el`: every fork, fault switches.
    #[default]
    MockEl,
    /// The real EthereumJS client at this path (Capella to Electra, no fault switches).
    EthereumJs(PathBuf),
}

impl ExecutionEngine {
    /// The extra-data that marks the engine's own (local) payloads.
    pub fn local_extra_data(&self) -> &'static str {
        match self {
            Self::MockEl => "mock-el",
            Self::EthereumJs(_) => LOCAL_EXTRA_DATA,
        }
    }

    /// Its name in logs and the process list.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MockEl => "mock-el",
            Self::EthereumJs(_) => "ethereumjs",
        }
    }
}

/// The shared tools' install script (`../shared/tools` beside the workspace).
pub fn install_script() -> PathBuf {
    crate::binaries::workspace_root().join("../shared/tools/install-ethereumjs.sh")
}

/// Installs EthereumJS (or finds it in the cache) and returns its binary, or why it cannot run here:
/// no script, no `node`, an install that failed, or a binary that does not start.
pub fn install() -> Result<PathBuf, String> {
    let script = install_script();
    if !script.is_file() {
        return Err(format!("{} not found", script.display()));
    }
    run_bounded(
        Command::new("node").arg("--version"),
        Duration::from_secs(30),
    )
    .map_err(|e| format!("node: {e}"))?;
    let out = run_bounded(Command::new("bash").arg(&script), INSTALL_TIMEOUT)
        .map_err(|e| format!("install-ethereumjs.sh: {e}"))?;
    let bin = PathBuf::from(out.lines().last().unwrap_or_default().trim());
    if !bin.is_file() {
        return Err(format!("install-ethereumjs.sh printed no binary: {out:?}"));
    }
    run_bounded(Command::new(&bin).arg("--version"), Duration::from_secs(60))
        .map_err(|e| format!("{} --version: {e}", bin.display()))?;
    Ok(bin)
}

/// Runs `cmd` to completion within `timeout`: its stdout, or the first stderr line that says why not.
fn run_bounded(cmd: &mut Command, timeout: Duration) -> Result<String, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Drained on threads so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let why = stderr
        .lines()
        .find(|l| l.to_lowercase().contains("error"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string();
    match status {
        Some(s) if s.success() => Ok(stdout),
        Some(s) => Err(format!("{s}: {why}")),
        None => Err(format!("no answer within {timeout:?}: {why}")),
    }
}

/// Writes a fresh random JWT secret (hex) for the engine, the node and the relays.
pub fn write_jwt(path: &Path) -> Result<(), Error> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::Setup(format!("/dev/urandom: {e}")))?;
    std::fs::write(path, JwtSecret::new(bytes).to_hex())
        .map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

/// Its ports: the engine API (JWT), the plain JSON-RPC, and devp2p (unused: no peers).
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub engine: u16,
    pub rpc: u16,
    pub p2p: u16,
}

/// The command line: the devnet's genesis, its own datadir, every server on 127.0.0.1, no peers, no
/// discovery, logs to stdout (the devnet's log file). Its own rotating log file goes into its datadir:
/// `--logFile false` would be read as a file name and land in the working directory.
pub fn args(genesis: &Path, datadir: &Path, jwt: &Path, ports: Ports) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |flag: &str, value: OsString| {
        args.push(flag.into());
        args.push(value);
    };
    push("--gethGenesis", genesis.into());
    push("--dataDir", datadir.into());
    push("--rpcEngineAddr", "127.0.0.1".into());
    push("--rpcEnginePort", ports.engine.to_string().into());
    push("--jwtSecret", jwt.into());
    push("--rpcAddr", "127.0.0.1".into());
    push("--rpcPort", ports.rpc.to_string().into());
    push("--port", ports.p2p.to_string().into());
    push("--extIP", "127.0.0.1".into());
    push("--maxPeers", "0".into());
    push("--discDns", "false".into());
    push("--discV4", "false".into());
    push("--logFile", datadir.join("ethereumjs.log").into());
    args.extend(["--rpcEngine".into(), "--rpc".into()]);
    args
}

/// A client of the engine API at `url` with the secret in `jwt`.
pub fn engine_client(url: &Url, jwt: &Path) -> Result<EngineClient, Error> {
    let secret =
        JwtSecret::from_file(jwt).map_err(|e| Error::Setup(format!("{}: {e}", jwt.display())))?;
    EngineClient::new(url.clone(), JwtAuth::new(secret))
        .map_err(|e| Error::Setup(format!("engine client for {url}: {e}")))
}

/// Whether the engine API answers with its genesis block (authenticated).
pub async fn engine_ready(engine: &EngineClient) -> bool {
    matches!(engine.eth_get_block_by_number("0x0").await, Ok(Some(_)))
}
