//! Lodestar 1.5.1: installed once by `../shared/tools/install-lodestar.sh` into a reused cache, and the
//! chain parameters both sides must agree on.

use crate::harness::workspace_root;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Slot length of the test chains: shorter than minimal's 6 s so justification comes within two
/// minutes, long enough for two nodes sharing a loaded machine.
pub const SLOT_SECONDS: u64 = 4;
pub const VALIDATORS: u64 = 64;

/// What Lodestar's `dev` genesis uses as eth1 block hash (and payload block hash) unless
/// `--genesisEth1Hash` says otherwise; its mock engine must build on the same hash.
pub const DEV_GENESIS_HASH: &str =
    "0x0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";

#[derive(Debug, Clone)]
pub struct Lodestar {
    bin: PathBuf,
    node_options: String,
}

/// Lodestar, or why it is not available here (the tests then skip, saying so).
pub fn lodestar() -> Result<Lodestar, String> {
    static INSTALLED: OnceLock<Result<Lodestar, String>> = OnceLock::new();
    INSTALLED.get_or_init(install).clone()
}

/// The one line a skipped test prints, past the test harness's capture so it is always seen.
pub fn say_skipped(test: &str, reason: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "interop skipped ({test}): Lodestar 1.5.1 is not available: {reason}"
    );
}

fn install() -> Result<Lodestar, String> {
    let script = workspace_root().join("../shared/tools/install-lodestar.sh");
    if !script.exists() {
        return Err(format!("{} not found", script.display()));
    }
    let node = run_bounded(
        Command::new("node").arg("--version"),
        Duration::from_secs(30),
    )
    .map_err(|e| format!("node: {e}"))?;
    let home = std::env::var("HOME").map_err(|_| "HOME is not set".to_string())?;
    let dir = PathBuf::from(home).join(".cache/blindfold-peers/lodestar");
    // npm without a network retries for minutes: bound it.
    let out = run_bounded(
        Command::new("bash").arg(&script).arg(&dir),
        Duration::from_secs(900),
    )
    .map_err(|e| format!("install-lodestar.sh (node {}): {e}", node.trim()))?;
    let mut lines = out.lines().rev();
    let node_options = lines.next().unwrap_or_default().trim().to_string();
    let bin = PathBuf::from(lines.next().unwrap_or_default().trim());
    if !bin.exists() || !node_options.starts_with("--require") {
        return Err(format!("install-lodestar.sh printed no binary: {out:?}"));
    }
    let lodestar = Lodestar { bin, node_options };
    // An installed package that this node cannot run (too old, missing natives) counts as absent.
    let version = run_bounded(
        lodestar.command().arg("--version"),
        Duration::from_secs(120),
    )
    .map_err(|e| format!("lodestar --version (node {}): {e}", node.trim()))?;
    if !version.contains("1.5.1") {
        return Err(format!("expected Lodestar 1.5.1, got {:?}", version.trim()));
    }
    Ok(lodestar)
}

/// Runs to completion within `timeout`; stdout on success, else the stderr line that says why.
fn run_bounded(cmd: &mut Command, timeout: Duration) -> Result<String, String> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir();
    let tag = format!(
        "blindfold-interop-run-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    );
    let (out_path, err_path) = (
        dir.join(format!("{tag}.out")),
        dir.join(format!("{tag}.err")),
    );
    let remove = || {
        let _ = std::fs::remove_file(&out_path);
        let _ = std::fs::remove_file(&err_path);
    };
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(&err_path).map_err(|e| e.to_string())?;
    let mut child = match cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn() {
        Ok(child) => child,
        Err(e) => {
            remove();
            return Err(e.to_string());
        }
    };
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
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    remove();
    // The first error line says why (npm's last one only points at its log file).
    let last_err = stderr
        .lines()
        .find(|l| l.to_lowercase().contains("error"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .to_string();
    match status {
        Some(s) if s.success() => Ok(stdout),
        Some(s) => Err(format!("{s}: {last_err}")),
        None => Err(format!("no answer within {timeout:?}: {last_err}")),
    }
}

impl Lodestar {
    /// `lodestar` with the environment every command needs (minimal preset, the Node 20 polyfill).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env("LODESTAR_PRESET", "minimal")
            .env("NODE_OPTIONS", &self.node_options);
        cmd
    }

    /// Lodestar's `--params.*` for the chain of [`capella_config`].
    pub fn params(config: &str) -> Vec<String> {
        let churn = config_value(config, "MIN_PER_EPOCH_CHURN_LIMIT").expect("churn limit");
        [
            ("ALTAIR_FORK_EPOCH", "0".to_string()),
            ("BELLATRIX_FORK_EPOCH", "0".to_string()),
            ("CAPELLA_FORK_EPOCH", "0".to_string()),
            ("SECONDS_PER_SLOT", SLOT_SECONDS.to_string()),
            // Lodestar 1.5.1's minimal config predates the spec's change of this value (4 -> 2);
            // its validator client refuses a node whose `config/spec` differs.
            ("MIN_PER_EPOCH_CHURN_LIMIT", churn),
        ]
        .into_iter()
        .flat_map(|(k, v)| [format!("--params.{k}"), v])
        .collect()
    }
}

/// Our bundled minimal config with Altair, Bellatrix and Capella at genesis and every later fork at
/// the far-future epoch it already has (Lodestar 1.5.1 knows nothing past Capella).
pub fn capella_config() -> String {
    let bundled =
        std::fs::read_to_string(workspace_root().join("common/types/configs/minimal.yaml"))
            .expect("common/types/configs/minimal.yaml");
    bundled
        .lines()
        .map(|line| {
            let key = line.split(':').next().unwrap_or("");
            match key {
                "ALTAIR_FORK_EPOCH" | "BELLATRIX_FORK_EPOCH" | "CAPELLA_FORK_EPOCH" => {
                    format!("{key}: 0")
                }
                "SLOT_DURATION_MS" => format!("{key}: {}", SLOT_SECONDS * 1000),
                "SECONDS_PER_SLOT" => format!("{key}: {SLOT_SECONDS}"),
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn config_value(config: &str, key: &str) -> Option<String> {
    config.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().trim_matches('\'').to_string())
    })
}

#[test]
fn the_capella_config_schedules_capella_at_genesis_and_later_forks_never() {
    let config = capella_config();
    for fork in ["ALTAIR", "BELLATRIX", "CAPELLA"] {
        assert_eq!(
            config_value(&config, &format!("{fork}_FORK_EPOCH")).as_deref(),
            Some("0")
        );
    }
    for fork in ["DENEB", "ELECTRA", "FULU"] {
        assert_eq!(
            config_value(&config, &format!("{fork}_FORK_EPOCH")).as_deref(),
            Some("18446744073709551615")
        );
    }
    let params = Lodestar::params(&config);
    assert!(params
        .windows(2)
        .any(|w| w[0] == "--params.SECONDS_PER_SLOT" && w[1] == "4"));
}
