//! The `devnet` binary: bad input is one line and exit 2 before anything starts; a stop signal stops
//! every process it started.

use crate::DEVNET;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn devnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_devnet"))
}

#[test]
fn a_bad_scenario_file_is_one_line_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("devnet_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "[[action]]\nslot = 3\ntarget = \"relay-c\"\nkill = true\n",
    )
    .unwrap();
    let out = devnet()
        .args(["run", "--scenario"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("action 1") && stderr.contains("relay-c"),
        "{stderr}"
    );

    let missing = devnet()
        .args(["run", "--scenario", "/nonexistent/x.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        &["run", "--slot-ms", "500"][..],
        &["run", "--fork-epochs", "3,2,1"],
        &["run", "--epochs", "x"],
        &["walk"],
    ] {
        let out = devnet().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
}

/// The devnet process, stopped (then killed) on drop, so a failing test leaves nothing behind (its
/// children get SIGTERM when it dies).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = Command::new("kill").arg(self.0.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Processes whose command line mentions `dir`.
fn processes_using(dir: &Path) -> Vec<String> {
    let needle = dir.display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(&needle) {
            found.push(text);
        }
    }
    found
}

/// Starts `devnet run --epochs 0` in `dir`; its stdout lines arrive on the channel.
fn start_devnet(dir: &Path) -> (Running, std::sync::mpsc::Receiver<String>) {
    let _ = std::fs::remove_dir_all(dir);
    let mut child = devnet()
        .args(["run", "--epochs", "0", "--genesis-delay", "3", "--dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), rx)
}

/// SIGTERM, then the exit status once it has exited; every process under `dir` must be gone.
async fn terminate(running: &mut Running, dir: &Path) -> std::process::ExitStatus {
    let started = processes_using(dir);
    let status = Command::new("kill")
        .arg(running.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let exit = loop {
        if let Some(exit) = running.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "devnet did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let left = processes_using(dir);
    assert!(
        left.is_empty(),
        "still running: {left:?} (started: {started:?})"
    );
    exit
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_every_process_it_started() {
    let _one = DEVNET.lock().await;
    // The programs must exist before the clock starts (a fresh clone builds them here).
    crate::binaries();
    let dir = std::env::temp_dir().join(format!("devnet_sigterm_{}", std::process::id()));

    // Once running: `--epochs 0` runs until stopped, so a stop is its normal end (exit 0).
    let (mut running, lines) = start_devnet(&dir);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match lines.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.starts_with("devnet: default in") => break,
            Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(e) => panic!("devnet ended before it was up: {e}"),
        }
        assert!(Instant::now() < deadline, "the devnet did not come up");
    }
    assert!(
        processes_using(&dir).len() >= 4,
        "mock-el, bn and two relays run"
    );
    let exit = terminate(&mut running, &dir).await;
    assert_eq!(exit.code(), Some(0), "{exit}");

    // While it starts (the node is up, the relays not yet): what started is stopped, exit 130.
    let (mut running, _lines) = start_devnet(&dir);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !dir.join("bn.log").is_file() {
        assert!(Instant::now() < deadline, "bn did not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let exit = terminate(&mut running, &dir).await;
    assert_eq!(exit.code(), Some(130), "{exit}");
    let _ = std::fs::remove_dir_all(&dir);
}
