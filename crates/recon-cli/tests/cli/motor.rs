//! Detect and diagnose on the DC-motor simulator, end to end through the real binary: train an
//! autoencoder and a PCA monitor on normal runs (seeds 1–3), learn signatures from labelled runs
//! (seed 10), and judge on runs with seeds the training never saw (100, 101) — the checks of the
//! detect-and-diagnose issue: every fault type detected, false alarms ≤ 1%, diagnosis ≥ 95% across
//! load step, speed-sensor drift and current-sensor bias, "unknown" for a left-out fault type.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::util::{recon, run_json};

const SIZES: [(&str, &str); 6] = [
    ("load", "0.05"),
    ("speed-drift", "0.01"),
    ("current-bias", "0.5"),
    ("friction", "0.5"),
    ("speed-stuck", "0"),
    ("current-gain", "-0.1"),
];

fn simulate(dir: &Path, name: &str, seed: u64, fault: Option<(&str, &str)>, duration: &str) -> String {
    let path = dir.join(format!("{name}.csv")).display().to_string();
    let seed = seed.to_string();
    let mut args = vec!["simulate", "motor", "--seed", &seed, "--duration", duration, "--out", &path];
    let size;
    if let Some((f, s)) = fault {
        size = format!("--fault-size={s}");
        args.extend(["--fault", f, &size]);
    }
    run_json(&args);
    path
}

/// Concatenates CSV files that share a header.
fn concat(out: &Path, parts: &[String]) -> String {
    let mut f = std::fs::File::create(out).unwrap();
    for (k, p) in parts.iter().enumerate() {
        let text = std::fs::read_to_string(p).unwrap();
        let body = if k == 0 { text.as_str() } else { text.split_once('\n').unwrap().1 };
        f.write_all(body.as_bytes()).unwrap();
    }
    out.display().to_string()
}

/// Three normal runs (seeds 1–3, two minutes each) as one training file.
fn training_file(dir: &Path) -> String {
    let normal: Vec<String> = (1..=3).map(|s| simulate(dir, &format!("normal{s}"), s, None, "120")).collect();
    concat(&dir.join("train.csv"), &normal)
}

/// The moving-average filter bank of the motor monitors: 0.05, 0.2, 0.5 and 2 s at 100 Hz.
const EMA: &str = "5,20,50,200";
const PERSISTENCE: &str = "5/10";
const ONSET: usize = 3000; // 30 s at 100 Hz

fn alarm_rate_after_onset(s: &Value) -> f64 {
    let alarms: Vec<u64> = s["alarms"].as_array().unwrap().iter().map(|a| a.as_u64().unwrap()).collect();
    alarms[ONSET..].iter().sum::<u64>() as f64 / (alarms.len() - ONSET) as f64
}

/// Fits a `kind` monitor on the filter-bank features of the normal training runs; returns the
/// model folder and what `fit` printed.
fn fit_on_normal_runs(dir: &Path, kind: &str, extra: &[&str]) -> (String, Value) {
    let train = training_file(dir);
    let model = dir.join(kind).display().to_string();
    let mut args = vec!["fit", &train, "--model", kind, "--columns", "voltage,speed,current", "--ema", EMA];
    args.extend(extra);
    args.extend(["--out", &model]);
    let fit = run_json(&args);
    (model, fit)
}

#[test]
fn motor_faults_are_detected_by_an_autoencoder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (model, fit) = fit_on_normal_runs(dir, "ae", &["--hidden", "24,5", "--seed", "0"]);
    assert_eq!(fit["n_cols"], 15);
    for seed in [100u64, 101] {
        let path = simulate(dir, &format!("test-normal{seed}"), seed, None, "60");
        let s = run_json(&["score", &model, &path, "--json", "--persistence", PERSISTENCE]);
        let rate = s["alarm_rate"].as_f64().unwrap();
        assert!(rate <= 0.01, "seed {seed}: false-alarm rate {rate}");
        for &(fault, size) in &SIZES {
            let path = simulate(dir, &format!("test-{fault}{seed}"), seed, Some((fault, size)), "60");
            let s = run_json(&["score", &model, &path, "--json", "--persistence", PERSISTENCE]);
            let caught = alarm_rate_after_onset(&s);
            assert!(caught > 0.5, "seed {seed} {fault}: {caught:.3} of faulty rows alarmed");
        }
    }
}

/// Calls per fault name among the alarmed rows after the onset.
fn calls(d: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in &d["predictions"].as_array().unwrap()[ONSET..] {
        if p["alarm"] == 1 {
            *counts.entry(p["fault"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    counts
}

#[test]
fn motor_faults_are_named_by_the_direction_of_the_residual() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (model, fit) = fit_on_normal_runs(dir, "pca", &["--components", "5", "--limits", "empirical"]);
    assert_eq!(fit["limits"], "empirical");

    // Signatures from one labelled episode of each of three fault types (seed 10), whitened; and
    // for each of them a library that leaves it out.
    let known = &SIZES[..3];
    let library = |leave_out: Option<&str>| -> String {
        let name = leave_out.unwrap_or("all");
        let runs: Vec<String> = known
            .iter()
            .filter(|(f, _)| Some(*f) != leave_out)
            .map(|&(f, s)| simulate(dir, &format!("lab-{f}"), 10, Some((f, s)), "60"))
            .collect();
        let labelled = concat(&dir.join(format!("labelled-{name}.csv")), &runs);
        let sigs = dir.join(format!("signatures-{name}.json")).display().to_string();
        let lib = run_json(&["diagnose", "fit", &model, &labelled, "--label-col", "fault", "--whiten", "--out", &sigs]);
        assert_eq!(lib["faults"].as_array().unwrap().len(), runs.len());
        eprintln!("{name}: signature cosines {}", lib["signature_similarity"]);
        // On its own training rows each fault is named right almost always.
        for c in lib["training_confusion"].as_array().unwrap() {
            if c["fault"] == c["called"] {
                assert!(c["share"].as_f64().unwrap() > 0.9, "{name}: {c}");
            }
        }
        sigs
    };
    let sigs = library(None);

    for seed in [100u64, 101] {
        let path = simulate(dir, &format!("test-normal{seed}"), seed, None, "60");
        let s = run_json(&["score", &model, &path, "--json", "--persistence", PERSISTENCE]);
        let rate = s["alarm_rate"].as_f64().unwrap();
        assert!(rate <= 0.01, "seed {seed}: false-alarm rate {rate}");
        let (mut right, mut alarmed) = (0, 0);
        for &(fault, size) in &SIZES {
            let path = simulate(dir, &format!("test-{fault}{seed}"), seed, Some((fault, size)), "60");
            let d = run_json(&["diagnose", &model, &sigs, &path, "--json", "--persistence", PERSISTENCE]);
            let counts = calls(&d);
            eprintln!("seed {seed} {fault}: {counts:?}");
            let n: usize = counts.values().sum();
            assert!(n as f64 > 0.5 * (6000 - ONSET) as f64, "seed {seed} {fault}: only {n} faulty rows alarmed");
            if known.iter().any(|(f, _)| *f == fault) {
                right += counts.get(fault).copied().unwrap_or(0);
                alarmed += n;
                // The episode that covers the fault starts at the onset and carries its name.
                let eps = d["episodes"].as_array().unwrap();
                let main = eps.iter().max_by_key(|e| e["n_alarms"].as_u64().unwrap()).unwrap();
                assert!(main["start"].as_u64().unwrap() >= ONSET as u64 - 10, "seed {seed} {fault}: {main}");
                assert_eq!(main["fault"], fault, "seed {seed}: {main}");
            }
        }
        let accuracy = right as f64 / alarmed as f64;
        eprintln!("seed {seed}: diagnosis accuracy {accuracy:.4} over {alarmed} alarmed faulty rows");
        assert!(accuracy >= 0.95, "seed {seed}: diagnosis accuracy {accuracy:.4}");
    }

    // A fault type left out of the library is mostly called "unknown", not a known name.
    for &(fault, _) in known {
        let sigs = library(Some(fault));
        for seed in [100u64, 101] {
            let path = dir.join(format!("test-{fault}{seed}.csv")).display().to_string();
            let d = run_json(&["diagnose", &model, &sigs, &path, "--json", "--persistence", PERSISTENCE]);
            let counts = calls(&d);
            let n: usize = counts.values().sum();
            let unknown = counts.get("unknown").copied().unwrap_or(0) as f64 / n as f64;
            eprintln!("left out {fault}, seed {seed}: {counts:?}");
            assert!(unknown > 0.5, "left out {fault}, seed {seed}: {counts:?}");
        }
    }
}

#[test]
fn streaming_answers_each_row_and_skips_bad_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let train = simulate(dir, "normal", 1, None, "30");
    let model = dir.join("pca").display().to_string();
    run_json(&[
        "fit",
        &train,
        "--model",
        "pca",
        "--columns",
        "voltage,speed,current",
        "--lags",
        "0,1,3",
        "--ema",
        "4,16",
        "--components",
        "3",
        "--out",
        &model,
    ]);
    let file = std::fs::read_to_string(&train).unwrap();
    let mut lines: Vec<&str> = file.lines().take(201).collect();
    lines.insert(50, "0.49,abc,1.0,2.0,normal");
    lines.insert(60, "0.59,1.0");
    let input = lines.join("\n") + "\n";
    let out = recon().args(["score", &model, "-", "--stream"]).write_stdin(input).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stdout.lines().count(), 201, "header + one line per good row");
    assert!(stderr.contains("line 51 skipped") && stderr.contains("'voltage'"), "{stderr}");
    assert!(stderr.contains("line 61 skipped"), "{stderr}");
    assert!(stderr.contains("rows/s"), "{stderr}");
    // The streamed scores equal the batch scores of the same rows.
    let batch = run_json(&["score", &model, &train, "--json"]);
    let want: Vec<f64> = batch["scores"].as_array().unwrap()[..200].iter().map(|v| v.as_f64().unwrap()).collect();
    let got: Vec<f64> = stdout.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    for (i, (a, b)) in got.iter().zip(&want).enumerate() {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "row {i}: {a} vs {b}");
    }
    // A model folder that is not one, and signatures for another model, are refused.
    let out = recon().args(["score", dir.to_str().unwrap(), &train]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        dir.join("sig.json"),
        r#"{"version":1,"features":["a"],"spread":[1],"floor":0.5,"signatures":[{"fault":"x","direction":[1]}]}"#,
    )
    .unwrap();
    let out = recon()
        .args(["score", &model, "-", "--stream", "--signatures", dir.join("sig.json").to_str().unwrap()])
        .write_stdin("voltage,speed,current\n1,2,3\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("other features"));
}

/// An autoencoder on the raw columns (no memory, no whitening) cannot tell a load step from a
/// current-sensor bias; `diagnose fit` says so and names the changes that separate them, in
/// its message and in `--json`.
#[test]
fn colliding_faults_come_with_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let normal = simulate(dir, "normal", 1, None, "120");
    let model = dir.join("ae").display().to_string();
    run_json(&["fit", &normal, "--model", "ae", "--columns", "voltage,speed,current", "--out", &model]);
    let runs: Vec<String> = ["load", "current-bias"]
        .iter()
        .map(|f| {
            let path = dir.join(format!("lab-{f}.csv")).display().to_string();
            run_json(&["simulate", "motor", "--seed", "10", "--duration", "60", "--fault", f, "--out", &path]);
            path
        })
        .collect();
    let labelled = concat(&dir.join("labelled.csv"), &runs);
    let sigs = dir.join("signatures.json").display().to_string();
    let out = crate::util::recon()
        .args(["diagnose", "fit", &model, &labelled, "--label-col", "fault", "--out", &sigs])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lib: Value = serde_json::from_slice(&out.stdout).unwrap();
    let collisions = lib["collisions"].as_array().unwrap();
    eprintln!("collisions: {collisions:?}");
    assert!(!collisions.is_empty(), "{lib}");
    let advice: Vec<&str> = collisions[0]["advice"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    for needle in ["--model pca", "--ema", "--whiten"] {
        assert!(advice.iter().any(|a| a.contains(needle)), "{needle} not in {advice:?}");
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("To separate them") && err.contains("--model pca"), "{err}");
}
