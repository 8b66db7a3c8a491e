//! Processes, ports, directories and REST polling for the interop tests.
//!
//! Every process runs in its own process group and is stopped by its guard's `Drop` (SIGTERM, then
//! SIGKILL after a grace period), so a failing assertion never leaves a node running.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The workspace root (this package is `testing/interop`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The tests share 127.0.0.1 ports and a few cores with whatever else runs: one at a time.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A port that was free on 127.0.0.1 a moment ago (for programs that cannot pick their own).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// `target/<profile>/`: the test binary runs from `target/<profile>/deps/`.
fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps dir");
    deps.parent().expect("profile dir").to_path_buf()
}

/// Our binaries (`bn`, `vc`, `mock-el`, `mock-relay`) next to the test binary, built once if any is
/// missing (`cargo test -p interop` does not build other packages' binaries).
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let dir = target_profile_dir();
    let path = dir.join(name);
    if path.exists() {
        return path;
    }
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace_root()).args([
            "build",
            "-p",
            "beacon_node",
            "-p",
            "validator_client",
            "-p",
            "mock_el",
            "-p",
            "mock_relay",
            "--bins",
        ]);
        if dir.file_name().and_then(|n| n.to_str()) == Some("release") {
            cmd.arg("--release");
        }
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("cargo build of the binaries failed: {s}")),
            Err(e) => Err(format!("cargo build: {e}")),
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    assert!(path.exists(), "{} missing after the build", path.display());
    path
}

/// A scratch directory removed on drop (kept when `INTEROP_KEEP=1`, to read the logs).
pub struct TestDir(PathBuf);

impl TestDir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "blindfold-interop-{name}-{}-{}",
            std::process::id(),
            unix_now()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test dir");
        TestDir(path)
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::env::var("INTEROP_KEEP").as_deref() == Ok("1") {
            eprintln!("interop: kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A child process with its output in a log file; stopped on drop.
pub struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
    grace: Duration,
}

impl Proc {
    /// Starts `cmd` in a new process group, stdout and stderr into `log`. `grace` is how long a
    /// SIGTERM may take before SIGKILL.
    pub fn spawn(name: &str, mut cmd: Command, log: PathBuf, grace: Duration) -> Self {
        let file = File::create(&log).expect("create log file");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().expect("clone log file")))
            .stderr(Stdio::from(file))
            .process_group(0);
        // If the test process itself is killed (no `Drop` runs), the kernel stops the child.
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {name} ({:?}): {e}", cmd.get_program()));
        Proc {
            name: name.to_string(),
            child,
            log,
            grace,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `n` lines of the log, for failure messages.
    pub fn tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// An error naming the process and its last lines if it has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited ({status}); its last lines:\n{}",
                self.name,
                self.tail(30)
            )),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// Waits for a log line containing `needle` and returns it.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(needle)) {
                return Ok(line.to_string());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(format!(
                    "{}: no line with {needle:?} within {timeout:?}; last lines:\n{}",
                    self.name,
                    self.tail(30)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn signal(&self, signal: libc::c_int) {
        // The group holds only what this process started (it is the group's leader).
        // SAFETY: kill(2) with a pid we spawned; no memory is shared.
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), signal);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// The first `http://127.0.0.1:PORT` in a log line (where a process says it listens).
pub fn url_in(line: &str) -> Option<String> {
    let start = line.find("http://127.0.0.1:")?;
    let rest = &line[start..];
    let end = rest
        .char_indices()
        .skip("http://127.0.0.1:".len())
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(rest.len(), |(i, _)| i);
    Some(rest[..end].to_string())
}

/// A blocking JSON client over reqwest, for polling the beacon APIs from a plain `#[test]`.
pub struct Rest {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Rest {
    pub fn new() -> Self {
        Rest {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client"),
        }
    }

    /// `GET url` as JSON: `Ok(None)` for a 404, an error for other failures.
    pub fn get(&self, url: &str) -> Result<Option<serde_json::Value>, String> {
        self.rt.block_on(async {
            let response = self
                .client
                .get(url)
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| format!("GET {url}: {e}"))?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            let text = response
                .text()
                .await
                .map_err(|e| format!("GET {url}: {e}"))?;
            if !status.is_success() {
                return Err(format!("GET {url}: {status}: {text}"));
            }
            serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("GET {url}: {e}: {text}"))
        })
    }
}

/// Polls `check` every `every` until it yields a value, `timeout` passes (an error saying what was
/// awaited), or `check` fails.
pub fn poll<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check()? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(every);
    }
}

#[test]
fn urls_are_found_in_log_lines() {
    assert_eq!(
        url_in("mock-el listening on http://127.0.0.1:44753 (genesis 0x05)").as_deref(),
        Some("http://127.0.0.1:44753")
    );
    assert_eq!(
        url_in("INFO bn::run: HTTP API on http://127.0.0.1:32993 address=127.0.0.1:32993")
            .as_deref(),
        Some("http://127.0.0.1:32993")
    );
    assert_eq!(url_in("nothing here"), None);
}
