//! A Ballista cluster of separate processes on 127.0.0.1 — `recon scheduler` and two
//! `recon executor`s — fits and scores with the numbers of the single-machine paths (the fit
//! and the curve against the in-memory ones from the same rows as CSV); a
//! scheduler that is not there, and an executor port already taken, are clear errors.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{input_error, json, recon};

/// Child processes killed when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_listening(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "nothing listens on port {port} after 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// 12,000 rows of three correlated columns (a fixed linear congruential sequence).
fn write_rows(path: &Path) {
    let mut state = 12345u64;
    let mut u = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut text = String::from("a,b,c\n");
    for _ in 0..12_000 {
        let (f, e1, e2, e3) = (u(), u(), u(), u());
        text.push_str(&format!("{},{},{}\n", 3.0 * f + 0.2 * e1, 10.0 - 2.0 * f + 0.3 * e2, 0.5 * e3 + 0.1 * f));
    }
    std::fs::write(path, text).unwrap();
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn a_scheduler_and_two_executor_processes_fit_and_score_like_one_machine() {
    let d = tempfile::tempdir().unwrap();
    write_rows(&d.path().join("x.csv"));
    let sql = |args: &[&str]| {
        let out = recon().current_dir(d.path()).arg("sql").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    sql(&["SELECT * FROM t", "--table", "t=x.csv", "--out", "x.parquet"]);

    let mut procs = Processes(Vec::new());
    let mut scheduler = Command::new(assert_cmd::cargo::cargo_bin("recon"))
        .args(["scheduler", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = scheduler.stdout.take().unwrap();
    procs.0.push(scheduler);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url =
        line.trim().strip_prefix("scheduler listening on ").expect("the scheduler prints its address").to_string();
    let mut flight_ports = Vec::new();
    for _ in 0..2 {
        let (flight, grpc) = (free_port(), free_port());
        let child = Command::new(assert_cmd::cargo::cargo_bin("recon"))
            .args(["executor", "--scheduler", &url, "--bind", &format!("127.0.0.1:{flight}")])
            .args(["--grpc-port", &grpc.to_string(), "--tasks", "2"])
            .arg("--work-dir")
            .arg(d.path().join(format!("work-{flight}")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        procs.0.push(child);
        flight_ports.push(flight);
    }
    for p in &flight_ports {
        wait_listening(*p);
    }

    // The fit: statistics over the cluster vs the in-memory fit of the same rows read from CSV.
    let dir = d.path().display().to_string();
    let fit = |out: &str, cluster: bool| -> Value {
        let input = if cluster { "x.parquet" } else { "x.csv" };
        let mut args = vec!["fit".to_string(), format!("{dir}/{input}"), "--model".into(), "pca".into()];
        args.extend(["--out".into(), format!("{dir}/{out}")]);
        if cluster {
            args.extend(["--ballista".into(), url.clone()]);
        }
        let out = recon().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (local, remote) = (fit("m_local", false), fit("m_cluster", true));
    assert_eq!(local["components"], remote["components"]);
    for k in ["captured_variance", "t2_limit", "spe_limit", "combined_limit"] {
        let (a, b) = (local[k].as_f64().unwrap(), remote[k].as_f64().unwrap());
        assert!(close(a, b, 1e-9), "{k}: {a} locally, {b} on the cluster");
    }

    // The curve from the cluster's statistics vs the in-memory curve of the CSV rows.
    let (csv, x) = (format!("{dir}/x.csv"), format!("{dir}/x.parquet"));
    let (lc, rc) = (json(&["curve", &csv]), json(&["curve", &x, "--ballista", &url]));
    assert_eq!(lc["relative_squared_error"].as_array().unwrap().len(), 4);
    for (a, b) in
        lc["relative_squared_error"].as_array().unwrap().iter().zip(rc["relative_squared_error"].as_array().unwrap())
    {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() <= 1e-10 * a.abs() + 1e-14, "curve {a} vs {b}");
    }

    // Scoring in SQL on the executors vs this machine, with the cluster's own model.
    let q = format!(
        "SELECT count(*) AS n, sum(recon_score('{dir}/m_cluster', a, b, c)) AS s, \
         sum(CAST(recon_alarm('{dir}/m_cluster', a, b, c) AS INT)) AS alarms FROM t"
    );
    let rows = |cluster: bool| -> Value {
        let mut args = vec![q.as_str(), "--table", "t=x.parquet", "--json"];
        if cluster {
            args.extend(["--ballista", url.as_str()]);
        }
        serde_json::from_slice(&sql(&args)).unwrap()
    };
    let (l, r) = (rows(false), rows(true));
    assert_eq!((l[0]["n"].as_u64(), r[0]["n"].as_u64()), (Some(12_000), Some(12_000)));
    assert_eq!(l[0]["alarms"], r[0]["alarms"]);
    assert!(close(l[0]["s"].as_f64().unwrap(), r[0]["s"].as_f64().unwrap(), 1e-9), "{l} vs {r}");
    for c in &mut procs.0 {
        assert!(c.try_wait().unwrap().is_none(), "a cluster process exited during the test");
    }
}

#[test]
fn a_scheduler_that_is_not_there_is_refused_within_the_timeout() {
    let url = format!("df://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let err = input_error(&["sql", "SELECT 1", "--ballista", &url]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.contains("no Ballista scheduler answers") && err.contains("waited up to 5 s"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let err = input_error(&["sql", "SELECT 1", "--ballista", "http://h:1"]);
    assert!(err.contains("df://HOST:PORT"), "{err}");
    let err = input_error(&["executor", "--scheduler", &url, "--bind", "0.0.0.0:50051"]);
    assert!(err.contains("can reach"), "{err}");
    // An executor gives up after its --connect-timeout.
    let started = Instant::now();
    let bind = format!("127.0.0.1:{}", free_port());
    let err = input_error(&["executor", "--scheduler", &url, "--bind", &bind, "--connect-timeout", "1"]);
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert!(err.contains("no Ballista scheduler answers") && err.contains("waited 1 s"), "{err}");
    // A port already taken is named before anything is started.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let grpc = free_port().to_string();
    let err = input_error(&["executor", "--scheduler", &url, "--bind", &bind, "--grpc-port", &grpc]);
    assert!(err.contains(&format!("error: cannot listen on 127.0.0.1:{port}")), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error")).count(), 1, "{err}");
}
