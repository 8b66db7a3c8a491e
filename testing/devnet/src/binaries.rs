//! Where the devnet's programs are: next to the devnet's own executable (same target directory and
//! profile), built by cargo from the workspace when one is missing, so that `cargo run -p devnet` works
//! on a fresh clone.

use crate::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The programs a devnet runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub bn: PathBuf,
    /// `None` while the workspace builds no `vc`: the devnet then runs without validators.
    pub vc: Option<PathBuf>,
    pub mock_el: PathBuf,
    pub mock_relay: PathBuf,
}

/// The program names, as cargo names the files.
const BN: &str = "bn";
const VC: &str = "vc";
const MOCK_EL: &str = "mock-el";
const MOCK_RELAY: &str = "mock-relay";

/// The packages that hold them.
const PACKAGES: [&str; 4] = ["beacon_node", "validator_client", "mock_el", "mock_relay"];

impl Binaries {
    /// Finds the programs beside the running executable; builds them when one is missing, or always
    /// when `rebuild` (a test wants the current sources, not whatever an older build left).
    pub fn locate_or_build(rebuild: bool) -> Result<Self, Error> {
        let exe = std::env::current_exe()
            .map_err(|e| Error::Binaries(format!("cannot locate the devnet executable: {e}")))?;
        let dirs = search_dirs(&exe);
        let found = Self::find(&dirs);
        if !rebuild {
            if let Some(found) = &found {
                if found.vc.is_some() {
                    return Ok(found.clone());
                }
            }
        }
        let profile_dir = dirs
            .last()
            .cloned()
            .ok_or_else(|| Error::Binaries(format!("{} has no parent", exe.display())))?;
        build(&profile_dir)?;
        Self::find(&dirs).ok_or_else(|| {
            Error::Binaries(format!(
                "cargo built, yet {BN}, {MOCK_EL} or {MOCK_RELAY} is missing in {}",
                profile_dir.display()
            ))
        })
    }

    /// The programs in the first directory that holds each; `None` unless bn, mock-el and mock-relay
    /// are all there.
    pub fn find(dirs: &[PathBuf]) -> Option<Self> {
        let lookup = |name: &str| dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
        Some(Self {
            bn: lookup(BN)?,
            vc: lookup(VC),
            mock_el: lookup(MOCK_EL)?,
            mock_relay: lookup(MOCK_RELAY)?,
        })
    }
}

/// The executable's directory, and its parent when it is cargo's `deps` (a test binary).
fn search_dirs(exe: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = exe.parent() {
        dirs.push(dir.to_path_buf());
        if dir.file_name().is_some_and(|n| n == "deps") {
            if let Some(parent) = dir.parent() {
                dirs.push(parent.to_path_buf());
            }
        }
    }
    dirs
}

/// The workspace root: this crate sits at `testing/devnet`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `cargo build [--release | --profile P] -p ... --bins` into the target directory that holds
/// `profile_dir`, so the programs land beside the devnet.
fn build(profile_dir: &Path) -> Result<(), Error> {
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_string();
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root()).arg("build");
    match profile.as_str() {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    for package in PACKAGES {
        command.args(["-p", package]);
    }
    command.arg("--bins");
    if let Some(target_dir) = profile_dir.parent() {
        command.arg("--target-dir").arg(target_dir);
    }
    let shown = format!(
        "cargo build{} -p {} --bins",
        match profile.as_str() {
            "debug" => String::new(),
            "release" => " --release".into(),
            other => format!(" --profile {other}"),
        },
        PACKAGES.join(" -p ")
    );
    println!("devnet: building the programs it runs: {shown}");
    let status = command
        .status()
        .map_err(|e| Error::Binaries(format!("cannot run `{shown}`: {e}")))?;
    if !status.success() {
        return Err(Error::Binaries(format!("`{shown}` failed ({status})")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_binary_also_looks_in_the_profile_directory() {
        let dirs = search_dirs(Path::new("/t/target/debug/deps/main-123"));
        assert_eq!(
            dirs,
            vec![
                PathBuf::from("/t/target/debug/deps"),
                PathBuf::from("/t/target/debug")
            ]
        );
        let dirs = search_dirs(Path::new("/t/target/release/devnet"));
        assert_eq!(dirs, vec![PathBuf::from("/t/target/release")]);
    }
}
