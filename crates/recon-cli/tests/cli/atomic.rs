//! Output folders are written whole or not at all: a run killed while it writes, or two runs into
//! one folder, leave the folder absent or complete (its model and its reconstruction from the
//! same run), never mixed.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{files_in, floats, run_json};

fn recon_bin() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("recon"))
}

/// `n` rows of 12 correlated columns, and the first 40 rows as a separate file.
fn write_input(dir: &Path, n: usize) {
    let mut s = String::from("c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11\n");
    let mut head = s.clone();
    for i in 0..n {
        let (a, b) = ((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos());
        let row: Vec<String> = (0..12)
            .map(|j| {
                format!("{:.6}", a * (j as f64 + 1.0) + b * (12.0 - j as f64) + ((i * 31 + j * 7) % 13) as f64 * 0.01)
            })
            .collect();
        let line = row.join(",") + "\n";
        if i < 40 {
            head += &line;
        }
        s += &line;
    }
    std::fs::write(dir.join("x.csv"), s).unwrap();
    std::fs::write(dir.join("head.csv"), head).unwrap();
}

fn compress(dir: &Path, rank: usize) -> Child {
    recon_bin()
        .current_dir(dir)
        .args(["compress", "x.csv", "--rank", &rank.to_string(), "--out", "out"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The folder `out` is complete and its model and reconstruction come from one run: the model's
/// per-row errors on the first rows equal the squared differences to the stored reconstruction.
fn check_complete(dir: &Path) {
    let out = dir.join("out");
    let mut files = files_in(&out);
    files.sort();
    assert_eq!(files, [".recon-output", "model.json", "model.safetensors", "reconstruction.csv"], "{files:?}");
    let scored = run_json(&["score", out.to_str().unwrap(), dir.join("head.csv").to_str().unwrap(), "--json"]);
    let errors = floats(&scored["errors"]);
    let x = std::fs::read_to_string(dir.join("head.csv")).unwrap();
    let r = std::fs::read_to_string(out.join("reconstruction.csv")).unwrap();
    for (i, (xl, rl)) in x.lines().skip(1).zip(r.lines().skip(1)).enumerate() {
        let xs: Vec<f64> = xl.split(',').map(|v| v.parse().unwrap()).collect();
        let rs: Vec<f64> = rl.split(',').map(|v| v.parse().unwrap()).collect();
        let sq: f64 = xs.iter().zip(&rs).map(|(a, b)| (a - b) * (a - b)).sum();
        assert!(
            (sq - errors[i]).abs() <= 1e-9 * (1.0 + sq),
            "row {i}: model and reconstruction disagree ({sq} vs {})",
            errors[i]
        );
    }
}

/// Temporary entries left beside `out`.
fn leftovers(dir: &Path) -> Vec<String> {
    files_in(dir).into_iter().filter(|f| f.starts_with('.')).collect()
}

#[test]
fn a_killed_run_leaves_the_folder_absent_or_complete() {
    let d = tempfile::tempdir().unwrap();
    write_input(d.path(), 60_000);
    // How long one run takes here, to spread the kills over it.
    let t0 = Instant::now();
    assert!(compress(d.path(), 1).wait().unwrap().success());
    let full = t0.elapsed();
    check_complete(d.path());
    for signal in ["TERM", "KILL"] {
        for k in 1..=6 {
            let mut child = compress(d.path(), 1 + k % 3);
            std::thread::sleep(full.mul_f64(k as f64 / 7.0));
            let _ = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status();
            let status = child.wait().unwrap();
            eprintln!(
                "SIG{signal} at {k}/7 of {full:?}: {status:?}, folder present: {}",
                d.path().join("out").exists()
            );
            // Killed, or finished before the signal: either way the folder is whole (an older
            // run's or this one's) — or, if the signal fell between the two renames of the
            // swap, absent.
            // On Linux the swap is one atomic exchange, so the folder is never absent.
            if cfg!(target_os = "linux") {
                assert!(d.path().join("out").exists(), "SIG{signal} at {k}/7 left no folder");
            }
            if d.path().join("out").exists() || status.success() {
                check_complete(d.path());
            }
            if signal == "TERM" {
                assert!(leftovers(d.path()).is_empty(), "SIGTERM at {k}/7 ({status:?}) left {:?}", leftovers(d.path()));
            }
        }
    }
    // The next run clears what SIGKILL left (staging folders of processes that are gone).
    assert!(compress(d.path(), 1).wait().unwrap().success());
    check_complete(d.path());
    assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    // Without an older folder: a run killed early leaves nothing at all.
    std::fs::remove_dir_all(d.path().join("out")).unwrap();
    let mut child = compress(d.path(), 2);
    std::thread::sleep(full.mul_f64(0.3));
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    if status.success() {
        check_complete(d.path());
    } else {
        assert!(!d.path().join("out").exists());
        assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    }
}

#[test]
fn concurrent_runs_into_one_folder_leave_one_complete_result() {
    let d = tempfile::tempdir().unwrap();
    write_input(d.path(), 20_000);
    for round in 0..3 {
        let runs: Vec<Child> = (1..=3).map(|k| compress(d.path(), k + round % 2)).collect();
        for mut c in runs {
            let status = c.wait().unwrap();
            let mut err = String::new();
            std::io::Read::read_to_string(c.stderr.as_mut().unwrap(), &mut err).unwrap();
            assert!(status.success(), "round {round}: {err}");
        }
        check_complete(d.path());
        assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Same seed, same bits, whatever the number of threads: model files written with one rayon
/// thread and with three are byte for byte equal.
#[test]
fn outputs_do_not_depend_on_the_thread_count() {
    let d = tempfile::tempdir().unwrap();
    write_input(d.path(), 3_000);
    // Wide enough that faer splits the work across threads (a 3,000 × 80 table).
    let mut wide = (0..80).map(|j| format!("w{j}")).collect::<Vec<_>>().join(",") + "\n";
    for i in 0..3_000 {
        let (a, b) = ((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos());
        let row: Vec<String> = (0..80)
            .map(|j| format!("{:.6}", a * (j % 7) as f64 - b * (j % 5) as f64 + ((i * 31 + j * 7) % 13) as f64 * 0.01))
            .collect();
        wide += &(row.join(",") + "\n");
    }
    std::fs::write(d.path().join("x.csv"), wide).unwrap();
    let runs: [&[&str]; 4] = [
        &["compress", "x.csv", "--rank", "4", "--method", "exact"],
        &["compress", "x.csv", "--rank", "4", "--method", "randomized", "--seed", "5"],
        &["compress", "x.csv", "--rank", "4", "--method", "streaming", "--chunk-rows", "500"],
        &["fit", "head.csv", "--model", "ae", "--epochs", "3", "--seed", "2"],
    ];
    for args in runs {
        let mut files = Vec::new();
        for threads in ["1", "3"] {
            let out = format!("out-{threads}");
            let o = recon_bin()
                .current_dir(d.path())
                .args(args)
                .args(["--out", &out])
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap();
            assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
            files.push(std::fs::read(d.path().join(&out).join("model.safetensors")).unwrap());
        }
        assert!(files[0] == files[1], "{args:?}: 1 and 3 threads wrote different weights");
    }
}
