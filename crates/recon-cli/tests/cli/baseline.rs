//! The refactoring guard: every command of `fixtures/baseline/baseline_commands.txt` is run with
//! this build and its `--json` output compared with what the binary printed before the model
//! contract was introduced (recorded by `tools/record_baseline.sh`). Every key the old output had
//! must still be there with the same value: numbers within 1e-12 (relative to their magnitude,
//! absolute below 1), strings and shapes exactly; entries marked `~` (a computation changed on
//! purpose, said why in the command file) within 1%. New keys are allowed. Paths of scratch files
//! (`out`) differ between runs and are not compared.

use serde_json::Value;

use crate::util::{recon, repo};

fn compare(path: &str, old: &Value, new: &Value, tol: f64, diffs: &mut Vec<String>) {
    match (old, new) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            if (a - b).abs() > tol * a.abs().max(b.abs()).max(1.0) {
                diffs.push(format!("{path}: {a} then, {b} now"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                diffs.push(format!("{path}: {} entries then, {} now", a.len(), b.len()));
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, tol, diffs);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in a {
                if k == "out" {
                    continue;
                }
                match b.get(k) {
                    Some(y) => compare(&format!("{path}.{k}"), x, y, tol, diffs),
                    None => diffs.push(format!("{path}.{k}: missing now")),
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => diffs.push(format!("{path}: {a} then, {b} now")),
    }
}

#[test]
fn outputs_match_the_recorded_baseline() {
    let fixtures = repo("crates/recon-cli/tests/fixtures/baseline");
    let commands = std::fs::read_to_string(fixtures.join("baseline_commands.txt")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_path = tmp.path().to_str().unwrap();
    let mut checked = 0;
    let mut diffs = Vec::new();
    for line in commands.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (name, args) = line.split_once('\t').unwrap();
        let args = args.replace("$TMP", tmp_path);
        let argv: Vec<&str> = args.split_whitespace().collect();
        let out = recon().current_dir(repo("")).args(&argv).output().unwrap();
        assert!(out.status.success(), "{name}: recon {args}: {}", String::from_utf8_lossy(&out.stderr));
        if name.starts_with('_') {
            continue;
        }
        // `~NAME`: a computation changed on purpose (see the command file), compared at 1%.
        let (name, tol) = match name.strip_prefix('~') {
            Some(n) => (n, 1e-2),
            None => (name, 1e-12),
        };
        let old: Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures.join(format!("{name}.json"))).unwrap()).unwrap();
        let new: Value = serde_json::from_slice(&out.stdout).unwrap();
        let before = diffs.len();
        compare(name, &old, &new, tol, &mut diffs);
        diffs.truncate(before + 5);
        checked += 1;
    }
    assert_eq!(checked, 16, "every recorded output was compared");
    assert!(diffs.is_empty(), "outputs changed:\n{}", diffs.join("\n"));
}
