//! The bench: a temporary directory, an in-process mock-el with its JWT file, and the real `bn`
//! process behind a guard that kills it on drop (also when a test fails), its output collected line by
//! line so that tests wait on a log line rather than on time.

use engine_api::JwtSecret;
use mock_el::{MockEl, MockElConfig};
use parking_lot::Mutex;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a test waits for anything the node should do within a few slots.
pub const WAIT: Duration = Duration::from_secs(40);

/// The engine's JWT secret in every test.
pub fn jwt() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("bn_test_{name}_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A mock-el on a free port (or `port`), with its JWT secret written to `dir/jwt.hex`.
pub async fn mock_el(dir: &TempDir, port: u16) -> (MockEl, PathBuf) {
    let mut config = MockElConfig::new(jwt());
    config.port = port;
    let el = MockEl::start(config).await.expect("mock-el starts");
    let jwt_path = dir.path("jwt.hex");
    std::fs::write(&jwt_path, jwt().to_hex()).expect("the JWT file");
    (el, jwt_path)
}

/// A port nothing listens on (bound and released: another process could take it, which tests accept).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One output line of the node.
#[derive(Debug, Clone)]
pub struct Line {
    pub stderr: bool,
    pub text: String,
}

/// A running `bn`, killed on drop.
pub struct Bn {
    child: Child,
    lines: Arc<Mutex<Vec<Line>>>,
}

impl Bn {
    /// Starts `bn` with `args` (127.0.0.1 only: the defaults bind nothing else).
    pub fn start<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bn"))
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bn starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        collect(stdout, false, lines.clone());
        collect(stderr, true, lines.clone());
        Self { child, lines }
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<Line> {
        self.lines.lock().clone()
    }

    /// The stderr lines so far.
    pub fn stderr(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.stderr)
            .map(|l| l.text)
            .collect()
    }

    /// Waits for a line that `matches`, failing with the output so far after `timeout` or once the
    /// process has exited without printing it.
    pub async fn wait_for_line(
        &mut self,
        what: &str,
        timeout: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        let mut exited_at: Option<Instant> = None;
        loop {
            if let Some(line) = self.lines.lock().iter().find(|l| matches(&l.text)) {
                return line.text.clone();
            }
            if exited_at.is_none() && self.child.try_wait().ok().flatten().is_some() {
                // Give the readers a moment to drain the pipes.
                exited_at = Some(Instant::now());
            }
            let drained = exited_at.is_some_and(|at| at.elapsed() > Duration::from_millis(500));
            if drained || Instant::now() > deadline {
                panic!(
                    "no line {what} within {timeout:?}; output:\n{}",
                    self.dump()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM (or SIGINT).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, failing after `timeout`; the pipes are drained before returning.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // The readers end at EOF, which follows the exit closely.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return status;
            }
            if Instant::now() > deadline {
                panic!(
                    "bn did not exit within {timeout:?}; output:\n{}",
                    self.dump()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The output so far, for failure messages.
    pub fn dump(&self) -> String {
        self.lines()
            .iter()
            .map(|l| format!("{}{}", if l.stderr { "[stderr] " } else { "" }, l.text))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Bn {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn collect(pipe: impl std::io::Read + Send + 'static, stderr: bool, lines: Arc<Mutex<Vec<Line>>>) {
    std::thread::spawn(move || {
        for text in BufReader::new(pipe).lines() {
            let Ok(text) = text else { break };
            lines.lock().push(Line { stderr, text });
        }
    });
}

/// The value of `key=` in a log line (up to the next space).
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {key}="))? + key.len() + 2;
    line[start..].split_whitespace().next()
}

/// The common flags of a node on `el` with its database in `datadir`.
pub fn base_args(datadir: &Path, el_url: &str, jwt: &Path) -> Vec<String> {
    vec![
        "--datadir".into(),
        datadir.display().to_string(),
        "--execution-endpoint".into(),
        el_url.into(),
        "--execution-jwt".into(),
        jwt.display().to_string(),
        // Tests run side by side: never the default port.
        "--http-port".into(),
        "0".into(),
    ]
}

/// The per-slot log line of the notifier (`bn::notifier: slot slot=N ...`).
pub fn slot_of(line: &str) -> Option<u64> {
    if !line.contains("bn::notifier") {
        return None;
    }
    field(line, "slot")?.parse().ok()
}
