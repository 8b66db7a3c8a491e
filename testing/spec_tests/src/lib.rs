//! Shared plumbing for running the test vectors in `../shared/vectors`: locating them, reading their
//! file formats, and tallying passed and skipped cases per runner.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where the vectors live: `../shared/vectors` relative to the repository root. `BLINDFOLD_VECTORS`
/// overrides it.
///
/// # Panics
/// Panics with a clear message when the folder is missing: a test run without vectors must fail loudly,
/// never pass by testing nothing.
pub fn vectors_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("BLINDFOLD_VECTORS") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "BLINDFOLD_VECTORS={} is not a directory",
            dir.display()
        );
        return dir;
    }
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = repo_root.join("../shared/vectors");
    assert!(
        dir.is_dir(),
        "test vectors not found at {}: clone or copy the project's `shared` folder beside the repository \
         (or set BLINDFOLD_VECTORS)",
        dir.display()
    );
    dir.canonicalize().unwrap_or(dir)
}

/// Read a file, panicking with its path on failure (test helper).
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Read a file as UTF-8 text.
pub fn read_string(path: &Path) -> String {
    String::from_utf8(read(path)).unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", path.display()))
}

/// Decompress a consensus-spec-tests `.ssz_snappy` file (snappy *block* format).
pub fn read_ssz_snappy(path: &Path) -> Vec<u8> {
    let compressed = read(path);
    snap::raw::Decoder::new()
        .decompress_vec(&compressed)
        .unwrap_or_else(|e| panic!("snappy decoding {}: {e}", path.display()))
}

/// Parse a YAML file into any deserialisable type.
pub fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_yaml::from_str(&read_string(path))
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Parse a JSON file into any deserialisable type.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_slice(&read(path))
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Decode a `0x`-prefixed hex string.
pub fn hex_bytes(s: &str) -> Vec<u8> {
    hex::decode(s.trim_start_matches("0x")).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

/// Where two JSON values first differ (`path` names `expected`), for a readable failure.
pub fn first_json_difference(
    expected: &serde_json::Value,
    actual: &serde_json::Value,
    path: &str,
) -> String {
    use serde_json::Value;
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    None => return format!("{path}.{k} missing from our JSON"),
                    Some(w) if v != w => {
                        return first_json_difference(v, w, &format!("{path}.{k}"))
                    }
                    _ => {}
                }
            }
            match b.keys().find(|k| !a.contains_key(*k)) {
                Some(k) => format!("{path}.{k} is extra in our JSON"),
                None => format!("{path}: objects differ"),
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            match a.iter().zip(b).position(|(v, w)| v != w) {
                Some(i) => first_json_difference(&a[i], &b[i], &format!("{path}[{i}]")),
                None => format!("{path}: arrays differ"),
            }
        }
        _ => {
            let short = |v: &Value| v.to_string().chars().take(120).collect::<String>();
            format!(
                "{path}: expected {}, ours {}",
                short(expected),
                short(actual)
            )
        }
    }
}

/// Sorted subdirectories of `dir` (empty if `dir` does not exist).
pub fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Sorted files of `dir` (empty if `dir` does not exist).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Name of the last path component.
pub fn name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Tally of one runner's cases. Failures are collected (not panicked on the first) so that one run shows
/// every broken case; [`Summary::finish`] prints the totals and panics if anything failed or nothing ran.
#[derive(Debug)]
pub struct Summary {
    runner: String,
    passed: usize,
    skipped: Vec<(String, String)>,
    failed: Vec<(String, String)>,
}

impl Summary {
    pub fn new(runner: impl Into<String>) -> Self {
        Self {
            runner: runner.into(),
            passed: 0,
            skipped: vec![],
            failed: vec![],
        }
    }

    pub fn pass(&mut self) {
        self.passed += 1;
    }

    pub fn skip(&mut self, case: impl fmt::Display, reason: impl Into<String>) {
        self.skipped.push((case.to_string(), reason.into()));
    }

    pub fn fail(&mut self, case: impl fmt::Display, reason: impl fmt::Display) {
        self.failed.push((case.to_string(), reason.to_string()));
    }

    /// Record the outcome of one case.
    pub fn record(&mut self, case: impl fmt::Display, result: Result<(), String>) {
        match result {
            Ok(()) => self.pass(),
            Err(e) => self.fail(case, e),
        }
    }

    pub fn passed(&self) -> usize {
        self.passed
    }

    /// Print the tally (skips with their reasons) and fail the test on any failure or on an empty run.
    pub fn finish(self) {
        for (case, reason) in &self.skipped {
            println!("[{}] skipped {case}: {reason}", self.runner);
        }
        for (case, reason) in &self.failed {
            println!("[{}] FAILED {case}: {reason}", self.runner);
        }
        println!(
            "[{}] {} passed, {} failed, {} skipped",
            self.runner,
            self.passed,
            self.failed.len(),
            self.skipped.len()
        );
        assert!(
            self.failed.is_empty(),
            "[{}] {} case(s) failed",
            self.runner,
            self.failed.len()
        );
        assert!(
            self.passed > 0,
            "[{}] no case ran: are the vectors in place?",
            self.runner
        );
    }
}
