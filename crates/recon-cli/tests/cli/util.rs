//! Helpers shared by the CLI tests: the binary, repository paths, JSON runs.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A path inside the repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

/// The `recon` binary under test.
pub fn recon() -> Command {
    Command::cargo_bin("recon").unwrap()
}

/// Runs `recon ARGS` (which must print one JSON object) and parses its stdout.
pub fn run_json(args: &[&str]) -> Value {
    let out = recon().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `recon ARGS --json`, checks it printed exactly one JSON object, and parses it.
pub fn json(args: &[&str]) -> Value {
    let out = recon().args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim().lines().count(), 1, "exactly one JSON object");
    serde_json::from_str(&text).unwrap()
}

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// The names of the files in `dir` (none when it does not exist).
pub fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).map_or(Vec::new(), |rd| rd.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
}

/// Runs `recon ARGS`, expects exit code 2, and returns stderr.
pub fn input_error(args: &[&str]) -> String {
    let out = recon().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    err
}
