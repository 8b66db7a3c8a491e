//! One child process of the devnet: started with its output appended to a log file, stopped with
//! SIGTERM and then SIGKILL after a bound, killed with SIGKILL on purpose, and started again with the
//! same command line (a node resumes from its datadir).

use crate::Error;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a process gets to stop after SIGTERM before SIGKILL.
pub const STOP_BOUND: Duration = Duration::from_secs(10);

/// A program the devnet runs.
#[derive(Debug)]
pub struct Process {
    name: String,
    program: PathBuf,
    args: Vec<OsString>,
    log: PathBuf,
    child: Option<Child>,
    /// How often it was started (1 after the first start).
    starts: u32,
}

impl Process {
    /// A process not started yet.
    pub fn new(name: &str, program: &Path, args: Vec<OsString>, log: PathBuf) -> Self {
        Self {
            name: name.to_string(),
            program: program.to_path_buf(),
            args,
            log,
            child: None,
            starts: 0,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// The command line, for the log and error messages.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Starts it (again), its stdout and stderr appended to its log file.
    pub fn start(&mut self) -> Result<(), Error> {
        if self.is_running() {
            return Ok(());
        }
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| Error::Io(format!("{}: {e}", self.log.display())))?;
        let _ = writeln!(
            log,
            "=== devnet: starting {}: {}",
            self.name,
            self.command_line()
        );
        let stderr = log
            .try_clone()
            .map_err(|e| Error::Io(format!("{}: {e}", self.log.display())))?;
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            // Its own process group: a Ctrl-C in the terminal reaches the devnet only, which then stops
            // the processes in order (and can still read the node's final state).
            .process_group(0);
        // SAFETY: `prctl` is async-signal-safe and touches no memory of the parent.
        unsafe {
            // Linux: SIGTERM to the child if the devnet dies without stopping it (kill -9 of a test
            // run), so no node outlives its devnet. It fires when the *thread* that spawned the child
            // ends; the devnet spawns from its long-lived main task only.
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| Error::Io(format!("cannot start {}: {e}", self.command_line())))?;
        self.child = Some(child);
        self.starts += 1;
        Ok(())
    }

    /// Whether it runs (a process that exited is reaped here).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// How it exited, if it did.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// `kill -9`, waiting for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `bound`. Returns whether it stopped on its own.
    pub fn stop(&mut self, bound: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        if !matches!(child.try_wait(), Ok(None)) {
            return true;
        }
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: a plain kill(2) of our own child, which has not been reaped (try_wait said so).
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// The last `n` lines of its log, for error messages.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop(STOP_BOUND);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_log(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("devnet_process_{name}_{}.log", std::process::id()))
    }

    #[test]
    fn a_process_that_ignores_sigterm_is_killed_after_the_bound() {
        let log = temp_log("ignores");
        let mut p = Process::new(
            "stubborn",
            Path::new("/bin/sh"),
            vec!["-c".into(), "trap '' TERM; echo ready; sleep 30".into()],
            log.clone(),
        );
        p.start().unwrap();
        // Wait for the trap to be set (the shell prints after it).
        let deadline = Instant::now() + Duration::from_secs(10);
        while p.log_tail(1) != "ready" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let started = Instant::now();
        assert!(!p.stop(Duration::from_millis(300)), "SIGTERM was ignored");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!p.is_running());
        let _ = std::fs::remove_file(log);
    }

    #[test]
    fn stop_and_restart_append_to_one_log() {
        let log = temp_log("restart");
        let _ = std::fs::remove_file(&log);
        let mut p = Process::new(
            "sleeper",
            Path::new("/bin/sh"),
            vec!["-c".into(), "sleep 30".into()],
            log.clone(),
        );
        p.start().unwrap();
        assert!(p.is_running());
        assert!(p.stop(Duration::from_secs(5)), "sh stops on SIGTERM");
        p.start().unwrap();
        p.kill();
        assert!(!p.is_running());
        assert_eq!(p.starts(), 2);
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.matches("=== devnet: starting sleeper").count(), 2);
        let _ = std::fs::remove_file(log);
    }
}
