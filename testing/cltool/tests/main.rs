//! End-to-end tests of the `cltool` binary against the shared vectors: consensus-spec-tests roots,
//! builder-specs examples, SSZ/JSON round trips, real relay signatures, execution block hashes, and the
//! error contract (exit 2, one `cltool: error:` line, no panic).
//!
//! This file holds the harness; the tests are in `suite/`.

mod suite;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const FORKS: [&str; 4] = ["capella", "deneb", "electra", "fulu"];

/// `../shared/vectors` beside the repository.
pub fn vectors() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors"
    ));
    assert!(
        dir.is_dir(),
        "test vectors not found at {}: the project's `shared` folder must sit beside the repository",
        dir.display()
    );
    dir
}

/// `consensus-spec-tests/tests/<preset>`.
pub fn spec_tests(preset: &str) -> PathBuf {
    vectors().join("consensus-spec-tests/tests").join(preset)
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cltool-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A path as a command-line argument (the vectors' paths are UTF-8).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Decompress a `.gz` vector into `dir` (with `gzip`, to keep the crate free of a gzip dependency).
pub fn gunzip(src: &Path, dir: &Path) -> PathBuf {
    let name = src.file_name().and_then(|n| n.to_str()).unwrap();
    let dst = dir.join(name.strip_suffix(".gz").expect("a .gz file"));
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(src)
        .output()
        .expect("running gzip (needed to unpack .gz vectors)");
    assert!(out.status.success(), "gzip -dc {} failed", src.display());
    std::fs::write(&dst, out.stdout).unwrap();
    dst
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub command: String,
}

pub fn run(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cltool"))
        .args(args)
        .output()
        .expect("run cltool");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        command: format!("cltool {}", args.join(" ")),
    }
}

/// Run, expect success and a quiet stderr; return stdout without its final newline.
pub fn ok(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.code, Some(0), "{} failed: {}", r.command, r.stderr);
    assert!(r.stderr.is_empty(), "{}: stderr {:?}", r.command, r.stderr);
    r.stdout.trim_end().to_string()
}

/// Run, expect exit 2 with exactly one `cltool: error:` line, no panic and no output; return the line.
pub fn error(args: &[&str]) -> String {
    error_line(run(args), 2)
}

/// `r` exited with `code`, exactly one `cltool: error:` line, no panic and no output; the line.
pub fn error_line(r: Run, code: i32) -> String {
    assert_eq!(r.code, Some(code), "{}: {:?}", r.command, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}: {:?}", r.command, r.stderr);
    assert!(
        r.stderr.starts_with("cltool: error: "),
        "{}: {:?}",
        r.command,
        r.stderr
    );
    for bad in ["panicked", "internal error", "RUST_BACKTRACE"] {
        assert!(!r.stderr.contains(bad), "{}: {:?}", r.command, r.stderr);
    }
    assert!(r.stdout.is_empty(), "{}: stdout {:?}", r.command, r.stdout);
    r.stderr.trim_end().to_string()
}

/// A signature check: `valid` (exit 0) is true, `invalid` (exit 1, one reason line) is false.
pub fn verify(args: &[&str]) -> bool {
    let r = run(args);
    match r.code {
        Some(0) => {
            assert_eq!(r.stdout, "valid\n", "{}", r.command);
            assert!(r.stderr.is_empty(), "{}: {:?}", r.command, r.stderr);
            true
        }
        Some(1) => {
            assert_eq!(r.stdout, "invalid\n", "{}", r.command);
            assert_eq!(r.stderr.lines().count(), 1, "{}: {:?}", r.command, r.stderr);
            assert!(!r.stderr.contains("panicked"), "{}", r.command);
            false
        }
        _ => panic!("{}: exit {:?}: {}", r.command, r.code, r.stderr),
    }
}

/// `cltool ssz root`.
pub fn root(preset: &str, fork: &str, type_name: &str, file: &Path) -> String {
    ok(&[
        "ssz",
        "root",
        "--preset",
        preset,
        "--fork",
        fork,
        "--type",
        type_name,
        s(file),
    ])
}

/// `cltool ssz convert`.
pub fn convert(preset: &str, fork: &str, type_name: &str, to: &str, input: &Path, output: &Path) {
    ok(&[
        "ssz",
        "convert",
        "--preset",
        preset,
        "--fork",
        fork,
        "--type",
        type_name,
        "--to",
        to,
        s(input),
        s(output),
    ]);
}

pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string(value).unwrap()).unwrap();
}
