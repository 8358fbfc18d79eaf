//! Hostile input, table-driven: every case runs the binary in a fresh folder on a file it
//! writes there and checks the exit code (2 bad input, 1 failed job, 0 a right answer), that a
//! failure says so in exactly one `error: …` line naming the problem, that it finishes (a
//! generous timeout catches runaway work, not speed), and that nothing is left behind: no
//! output, no temporary file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use super::util::{recon, repo};

/// One hostile run.
struct Case {
    name: &'static str,
    /// Files the case writes into its folder first.
    files: Vec<(&'static str, Vec<u8>)>,
    /// Arguments; `{model}` is a small PCA monitor, `{vae}` a small Poisson VAE (both fitted
    /// once, outside the case folder).
    args: &'static [&'static str],
    /// Expected exit code.
    code: i32,
    /// Text the error line must contain (case-sensitive).
    msg: &'static str,
    /// Text the error line must not contain (a misleading message seen before).
    not: &'static str,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &'static [&'static str],
    code: i32,
    msg: &'static str,
) -> Case {
    Case { name, files, args, code, msg, not: "\u{0}" }
}

fn csv(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

/// A `.npy` file with a hand-written header and `data` bytes after it.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Rows of a smooth 3-column signal with noise, as CSV (columns a, b, c).
fn signal(n: usize, seed: u64) -> String {
    let mut s = String::from("a,b,c\n");
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut noise = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    for i in 0..n {
        let t = i as f64 / 10.0;
        s += &format!("{},{},{}\n", t.sin() + 0.1 * noise(), 2.0 * t.sin() + 0.1 * noise(), t.cos() + 0.1 * noise());
    }
    s
}

/// Small Poisson counts over genes gene0001..gene0006.
fn counts(n: usize) -> String {
    let mut s = String::from("gene0001,gene0002,gene0003,gene0004,gene0005,gene0006\n");
    for i in 0..n {
        let row: Vec<String> = (0..6).map(|j| ((i * 7 + j * 3) % 11 + j).to_string()).collect();
        s += &row.join(",");
        s.push('\n');
    }
    s
}

struct Models {
    _dir: tempfile::TempDir,
    pca: PathBuf,
    vae: PathBuf,
}

/// A PCA monitor and a Poisson VAE, fitted once for every case that scores.
fn models() -> &'static Models {
    static M: OnceLock<Models> = OnceLock::new();
    M.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let train = dir.path().join("train.csv");
        std::fs::write(&train, signal(400, 1)).unwrap();
        let pca = dir.path().join("pca");
        let o = recon()
            .args(["fit"])
            .arg(&train)
            .args(["--model", "pca", "--components", "1", "--out"])
            .arg(&pca)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let c = dir.path().join("counts.csv");
        std::fs::write(&c, counts(60)).unwrap();
        let vae = dir.path().join("vae");
        let o = recon()
            .arg("fit")
            .arg(&c)
            .args(["--model", "vae", "--likelihood", "poisson", "--latent", "1", "--epochs", "2", "--out"])
            .arg(&vae)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        Models { _dir: dir, pca, vae }
    })
}

/// Every path under `dir`, relative.
/// Runs recon with `args` in `dir`: it must exit 2 with one line on stderr that contains `msg`.
fn refuses(dir: &Path, args: &[&str], msg: &str) {
    let out = recon().current_dir(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(msg), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
}

fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.insert(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

fn run(c: &Case) {
    let m = models();
    let d = tempfile::tempdir().unwrap();
    for (name, bytes) in &c.files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let before = tree(d.path());
    let args: Vec<String> = c
        .args
        .iter()
        .map(|a| a.replace("{model}", m.pca.to_str().unwrap()).replace("{vae}", m.vae.to_str().unwrap()))
        .collect();
    let o = recon().current_dir(d.path()).args(&args).timeout(Duration::from_secs(120)).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(c.code), "{}: {args:?}\n{err}", c.name);
    if c.code != 0 {
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(lines.len(), 1, "{}: one error line\n{err}", c.name);
        assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{}: a panic\n{err}", c.name);
        assert!(lines[0].contains(c.msg), "{}: '{}' not in\n{err}", c.name, c.msg);
        assert!(!lines[0].contains(c.not), "{}: misleading '{}' in\n{err}", c.name, c.not);
        assert_eq!(tree(d.path()), before, "{}: files left behind", c.name);
    }
    let hidden: Vec<String> = tree(d.path())
        .into_iter()
        .filter(|p| p.starts_with('.') || p.contains("/.recon-") || p.contains(".tmp"))
        .collect();
    assert!(hidden.is_empty(), "{}: temporary files left: {hidden:?}", c.name);
}

#[test]
fn hostile_tables_headers_and_options() {
    let ok = || ("ok.csv", csv(&signal(50, 3)));
    let cases = vec![
        case(
            "duplicate header",
            vec![("t.csv", csv("a,a,c\n1,2,3\n4,5,6\n7,8,8\n"))],
            &["curve", "t.csv"],
            2,
            "'a' appears twice",
        ),
        case(
            "duplicate header, fit",
            vec![("t.csv", csv("a,a,c\n1,2,3\n4,5,6\n7,8,8\n"))],
            &["fit", "t.csv", "--model", "pca", "--out", "m"],
            2,
            "appears twice",
        ),
        case(
            "blank first line",
            vec![("t.csv", csv("\n1,2,3\n4,5,6\n7,8,9\n"))],
            &["curve", "t.csv"],
            2,
            "line 1 is blank",
        ),
        case(
            "blank first line, CRLF",
            vec![("t.csv", csv("\r\n1,2,3\r\n4,5,6\r\n"))],
            &["curve", "t.csv"],
            2,
            "line 1 is blank",
        ),
        case(
            "empty column name",
            vec![("t.csv", csv("a,,c\n1,2,3\n4,5,6\n"))],
            &["curve", "t.csv"],
            2,
            "column 2 has an empty name",
        ),
        case(
            "label used as a feature",
            vec![("t.csv", csv("a,b,lab\n1,2,x\n3,5,y\n4,4,z\n"))],
            &["curve", "t.csv", "--label-col", "lab", "--columns", "a,lab"],
            2,
            "'lab' is the --label-col",
        ),
        case("column listed twice", vec![ok()], &["curve", "ok.csv", "--columns", "a,a"], 2, "listed twice"),
        case("ragged row", vec![("t.csv", csv("a,b\n1,2\n3\n4,5\n"))], &["curve", "t.csv"], 2, "line 3 has 1 fields"),
        case(
            "too many fields",
            vec![("t.csv", csv("a,b\n1,2\n3,4,5\n4,5\n"))],
            &["curve", "t.csv"],
            2,
            "line 3 has 3 fields",
        ),
        case(
            "text column",
            vec![("t.csv", csv("a,b\n1,x\n2,y\n"))],
            &["curve", "t.csv"],
            2,
            "column 'b' is not numeric",
        ),
        case(
            "binary junk",
            vec![("t.csv", b"a,b\n1,2\n\xff\xfe\x00\x01,\x80\n3,4\n".to_vec())],
            &["curve", "t.csv"],
            2,
            "not valid UTF-8",
        ),
        case("zero-byte file", vec![("t.csv", Vec::new())], &["curve", "t.csv"], 2, "zero bytes"),
        case("header only", vec![("t.csv", csv("a,b\n"))], &["curve", "t.csv"], 2, "no data rows"),
        case("missing file", vec![], &["curve", "nope.csv"], 2, "no such file"),
        case("NaN", vec![("t.csv", csv("a,b\n1,2\nNaN,3\n4,5\n"))], &["curve", "t.csv"], 2, "--drop-nonfinite"),
        case(
            "values near 1e-300",
            vec![("t.csv", csv("a,b\n1e-300,2e-300\n3e-300,1e-300\n2e-300,5e-300\n"))],
            &["curve", "t.csv"],
            2,
            "this small",
        ),
        case(
            "values near 1e300",
            vec![("t.csv", csv("a,b\n1e300,2e300\n3e300,1e300\n2e300,5e300\n"))],
            &["curve", "t.csv"],
            2,
            "this large",
        ),
        case("constant data", vec![("t.csv", csv("a,b\n1,2\n1,2\n1,2\n"))], &["curve", "t.csv"], 2, "zero variance"),
        case(
            "persistence window of 1e11 rows",
            vec![ok()],
            &["score", "{model}", "ok.csv", "--persistence", "1/100000000000", "--json"],
            0,
            "",
        ),
        case("persistence 0/5", vec![ok()], &["score", "{model}", "ok.csv", "--persistence", "0/5"], 2, "persistence"),
        case(
            "score --json --out",
            vec![ok()],
            &["score", "{model}", "ok.csv", "--json", "--out", "s.csv"],
            2,
            "use one",
        ),
        case("score --stream --out", vec![ok()], &["score", "{model}", "-", "--stream", "--out", "s.csv"], 2, "--out"),
        case("score --stream --json", vec![ok()], &["score", "{model}", "-", "--stream", "--json"], 2, "--json"),
        case(
            "score data without the model's columns",
            vec![("t.csv", csv("x,y\n1,2\n"))],
            &["score", "{model}", "t.csv"],
            2,
            "no column named 'a'",
        ),
        case(
            "score --out a folder",
            vec![ok(), ("dir/keep.txt", csv("mine"))],
            &["score", "{model}", "ok.csv", "--out", "dir"],
            2,
            "'dir' is a folder",
        ),
        case(
            "score into a missing folder",
            vec![ok()],
            &["score", "{model}", "ok.csv", "--out", "no/such/dir/s.csv"],
            1,
            "no/such/dir/s.csv",
        ),
        case(
            "iw samples 1e8",
            vec![("c.csv", csv(&counts(10)))],
            &["score", "{vae}", "c.csv", "--iw-samples", "100000000"],
            2,
            "importance samples",
        ),
        Case {
            name: "VAE count error names the CSV's column",
            files: vec![(
                "c.csv",
                csv("gene0001,gene0002,gene0003,gene0004,gene0005,gene0006\n1,2,3,4,5,6\n1,-2,3,4,5,6\n"),
            )],
            args: &["score", "{vae}", "c.csv"],
            code: 2,
            msg: "'gene0002'",
            not: "'x1'",
        },
    ];
    for c in &cases {
        run(c);
    }
}

#[test]
fn hostile_binary_files() {
    let f64s = |n: usize| vec![0u8; 8 * n];
    let cases = vec![
        case(
            "npy claiming 2^70 cells",
            vec![(
                "t.npy",
                npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824, 1099511627776), }", &f64s(4)),
            )],
            &["curve", "t.npy"],
            2,
            "needs more data than the file",
        ),
        case(
            "npy shape overflowing usize",
            vec![(
                "t.npy",
                npy(
                    "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551615, 18446744073709551615), }",
                    &f64s(4),
                ),
            )],
            &["curve", "t.npy"],
            2,
            "t.npy",
        ),
        case(
            "npy truncated",
            vec![("t.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (10, 3), }", &f64s(7)))],
            &["curve", "t.npy"],
            2,
            "needs more data",
        ),
        case(
            "npy Fortran truncated",
            vec![("t.npy", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (10, 3), }", &f64s(29)))],
            &["curve", "t.npy"],
            2,
            "needs more data",
        ),
        case(
            "npy wrong magic",
            vec![("t.npy", b"PK\x03\x04 not numpy at all, just some bytes to read".to_vec())],
            &["curve", "t.npy"],
            2,
            "not a valid .npy",
        ),
        case(
            "npy string dtype",
            vec![("t.npy", npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2, 2), }", &[0u8; 48]))],
            &["curve", "t.npy"],
            2,
            "t.npy",
        ),
        case(
            "npy complex dtype",
            vec![("t.npy", npy("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 2), }", &[0u8; 64]))],
            &["curve", "t.npy"],
            2,
            "dtype",
        ),
        case(
            "npy tensor claiming 2^70 cells",
            vec![(
                "t.npy",
                npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1048576, 1048576, 1048576), }", &f64s(8)),
            )],
            &["tensor", "t.npy", "--ranks", "1..2"],
            2,
            "needs more data",
        ),
        case(
            "tns index 4e11",
            vec![("t.tns", csv("1 1 1 1.0\n2 2 2 2.0\n400000000000 1 1 3.0\n"))],
            &["tensor", "t.tns", "--ranks", "1..2"],
            2,
            "above the limit",
        ),
        case(
            "tns index u64::MAX",
            vec![("t.tns", csv("1 1 1 1.0\n18446744073709551615 1 1 3.0\n"))],
            &["tensor", "t.tns", "--ranks", "1..2"],
            2,
            "above the limit",
        ),
        case(
            "tns index past u64",
            vec![("t.tns", csv("1 1 1 1.0\n18446744073709551616 1 1 3.0\n"))],
            &["tensor", "t.tns", "--ranks", "1..2"],
            2,
            "not a positive integer",
        ),
        Case {
            name: "tns NaN value",
            files: vec![("t.tns", csv("1 1 1 1.0\n2 2 2 NaN\n"))],
            args: &["tensor", "t.tns", "--ranks", "1..2"],
            code: 2,
            msg: "not finite",
            not: "--drop-nonfinite",
        },
        Case {
            name: "all-zero sparse tensor",
            files: vec![("t.tns", csv("1 1 1 0\n2 2 2 0\n3 1 2 0\n4 2 1 0\n5 1 1 0\n"))],
            args: &["tensor", "t.tns", "--ranks", "1..2"],
            code: 2,
            msg: "zero",
            not: "column",
        },
        case(
            "png of junk",
            vec![("t.png", b"\x89PNG\r\n\x1a\n this is not an image".to_vec())],
            &["compress", "t.png", "--rank", "1"],
            2,
            "t.png",
        ),
        case(
            "jpeg of junk",
            vec![("t.jpg", b"\xff\xd8\xff\xe0 broken".to_vec())],
            &["compress", "t.jpg", "--rank", "1"],
            2,
            "t.jpg",
        ),
        case(
            "corrupt signatures",
            vec![("ok.csv", csv(&signal(60, 5))), ("s.json", csv("{\"features\": [1, 2"))],
            &["diagnose", "{model}", "s.json", "ok.csv"],
            2,
            "s.json",
        ),
    ];
    for c in &cases {
        run(c);
    }
}

#[test]
fn hostile_fits_simulators_and_output_folders() {
    let ok = || ("ok.csv", csv(&signal(200, 7)));
    let cases = vec![
        case(
            "PCA monitor on 2 rows",
            vec![("t.csv", csv("a,b,c\n1,2,3\n2,3,5\n"))],
            &["fit", "t.csv", "--model", "pca", "--components", "1", "--out", "m"],
            1,
            "SPE limit 0",
        ),
        case(
            "autoencoder that diverges",
            vec![ok()],
            &["fit", "ok.csv", "--model", "ae", "--learning-rate", "1e10", "--epochs", "5", "--out", "m"],
            1,
            "diverged",
        ),
        case(
            "window as long as the data",
            vec![("t.csv", csv(&signal(6001, 2)))],
            &["fit", "t.csv", "--model", "pca", "--window", "6001", "--out", "m"],
            2,
            "lag 6000",
        ),
        case(
            "--limits cv with fewer rows than folds need",
            vec![("t.csv", csv(&signal(12, 4)))],
            &["fit", "t.csv", "--model", "pca", "--components", "1", "--limits", "cv", "--out", "m"],
            2,
            "folds",
        ),
        case(
            "--limits cv with one fold",
            vec![ok()],
            &["fit", "ok.csv", "--model", "pca", "--components", "1", "--limits", "cv", "--folds", "1", "--out", "m"],
            2,
            "folds",
        ),
        case(
            "--folds with analytical limits",
            vec![ok()],
            &["fit", "ok.csv", "--model", "pca", "--folds", "3", "--limits", "analytical", "--out", "m"],
            2,
            "--folds is for --limits cv",
        ),
        case(
            "--limits cv with too few rows for the target",
            vec![("few.csv", csv(&signal(60, 7)))],
            &["fit", "few.csv", "--model", "ae", "--limits", "cv", "--epochs", "2", "--out", "m"],
            2,
            "cannot set out-of-fold limits",
        ),
        case(
            "--limits empirical for the autoencoder",
            vec![ok()],
            &["fit", "ok.csv", "--model", "ae", "--limits", "empirical", "--out", "m"],
            2,
            "--limits cv",
        ),
        case(
            "--limits for a VAE",
            vec![ok()],
            &["fit", "ok.csv", "--model", "vae", "--likelihood", "gaussian", "--limits", "cv", "--out", "m"],
            2,
            "--limits, --folds and --contamination are for the monitors",
        ),
        case(
            "--contamination above one half",
            vec![ok()],
            &["fit", "ok.csv", "--model", "pca", "--contamination", "0.5", "--out", "m"],
            2,
            "not in [0, 0.5)",
        ),
        case(
            "--contamination negative",
            vec![ok()],
            &["fit", "ok.csv", "--model", "ae", "--contamination=-0.1", "--out", "m"],
            2,
            "not in [0, 0.5)",
        ),
        case(
            "--contamination not a number",
            vec![ok()],
            &["fit", "ok.csv", "--model", "pca", "--contamination", "lots", "--out", "m"],
            2,
            "'lots' is not a number",
        ),
        case(
            "--contamination auto on a dozen rows",
            vec![("dozen.csv", csv(&signal(12, 7)))],
            &["fit", "dozen.csv", "--model", "pca", "--components", "1", "--contamination", "auto", "--out", "m"],
            2,
            "too few to estimate the outlier share",
        ),
        case(
            "--contamination for a VAE",
            vec![ok()],
            &["fit", "ok.csv", "--model", "vae", "--likelihood", "gaussian", "--contamination", "auto", "--out", "m"],
            2,
            "--contamination are for the monitors",
        ),
        case(
            "--lr-decay above 1",
            vec![ok()],
            &["fit", "ok.csv", "--model", "ae", "--lr-decay", "1.5", "--out", "m"],
            2,
            "learning-rate decay",
        ),
        case(
            "motor with an unstable step",
            vec![],
            &["simulate", "motor", "--dt", "0.01", "--l", "0.0001", "--out", "m.csv"],
            2,
            "--dt",
        ),
        case("motor for 1e12 s", vec![], &["simulate", "motor", "--duration", "1e12", "--out", "m.csv"], 2, "duration"),
        case(
            "clickstream with 1e12 users",
            vec![],
            &["simulate", "clickstream", "--users", "1000000000000", "--density", "1e-12", "--out", "c.tns"],
            2,
            "2^28",
        ),
        case(
            "counts with outlier z 1e6",
            vec![],
            &["simulate", "counts", "--outlier-z", "1e6", "--out", "c.csv"],
            2,
            "outlier z",
        ),
        case(
            "--out an existing file",
            vec![ok(), ("m", csv("keep me"))],
            &["fit", "ok.csv", "--model", "pca", "--out", "m"],
            2,
            "not a folder",
        ),
        case(
            "--out /proc/version",
            vec![ok()],
            &["compress", "ok.csv", "--rank", "1", "--out", "/proc/version"],
            2,
            "/proc/version",
        ),
        case(
            "--out a folder Recon did not write",
            vec![ok(), ("keep/notes.txt", csv("mine"))],
            &["curve", "ok.csv", "--out", "keep"],
            2,
            "did not write",
        ),
    ];
    for c in &cases {
        run(c);
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    for args in [
        vec!["simulate", "motor", "--duration", "200", "--out", "/dev/stdout"],
        vec!["curve", "--max-rank", "60", "DIGITS"],
    ] {
        let digits = repo("data/digits.csv");
        let args: Vec<String> = args.iter().map(|a| a.replace("DIGITS", digits.to_str().unwrap())).collect();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("recon"))
            .args(&args)
            .args(if args[0] == "curve" { vec!["--label-col", "label"] } else { vec![] })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        // The reader is dropped here: the pipe closes while recon is still writing.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
        assert!(!first.is_empty());
    }
}

/// The rows of a `recon score` table or stream: (row, score) as printed.
fn rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect()
}

#[test]
fn stream_and_batch_read_every_csv_alike() {
    let m = models();
    let good = signal(30, 11);
    let body: Vec<&str> = good.lines().collect();
    let with = |sep: &str| body.join(sep) + sep;
    let quoted = body
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                l.split(',').map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(",")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let bom = format!("\u{feff}{good}");
    let blank_between = body[..10].join("\n") + "\n\n\n" + &body[10..].join("\n") + "\n";
    let extra_cols = body
        .iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { format!("time,{l},label") } else { format!("{i},{l},x") })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    // Well-formed files: the stream answers exactly the batch's rows.
    for (name, text) in [
        ("LF", good.clone()),
        ("CRLF", with("\r\n")),
        ("CR only", with("\r")),
        ("quoted numbers", quoted),
        ("BOM", bom),
        ("blank lines", blank_between),
        ("other columns", extra_cols),
        ("no final newline", good.trim_end().to_string()),
    ] {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("t.csv");
        std::fs::write(&f, &text).unwrap();
        let batch = recon().arg("score").arg(&m.pca).arg(&f).output().unwrap();
        assert!(batch.status.success(), "{name}: {}", String::from_utf8_lossy(&batch.stderr));
        let stream =
            recon().arg("score").arg(&m.pca).args(["-", "--stream"]).write_stdin(text.clone()).output().unwrap();
        assert!(stream.status.success(), "{name}: {}", String::from_utf8_lossy(&stream.stderr));
        let (b, s) = (rows(&String::from_utf8_lossy(&batch.stdout)), rows(&String::from_utf8_lossy(&stream.stdout)));
        assert_eq!(b.len(), 30, "{name}: batch rows");
        assert_eq!(b, s, "{name}: stream and batch differ");
    }
    // A bad line: the batch refuses the file naming the line; the stream skips that line (and
    // says so) and answers the rows the batch gives once the line is gone.
    for (name, bad) in
        [("ragged", "1,2"), ("too many fields", "1,2,3,4"), ("junk", "\u{1}\u{2}garbage"), ("text", "x,y,z")]
    {
        let mut lines: Vec<String> = body.iter().map(|s| s.to_string()).collect();
        lines.insert(6, bad.to_string());
        let text = lines.join("\n") + "\n";
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("t.csv");
        std::fs::write(&f, &text).unwrap();
        let batch = recon().arg("score").arg(&m.pca).arg(&f).output().unwrap();
        assert_eq!(batch.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&batch.stderr);
        assert!(err.contains("line 7") || err.contains("row 6"), "{name}: {err}");
        let stream = recon().arg("score").arg(&m.pca).args(["-", "--stream"]).write_stdin(text).output().unwrap();
        assert!(stream.status.success(), "{name}");
        assert!(String::from_utf8_lossy(&stream.stderr).contains("line 7 skipped"), "{name}");
        let clean = body.join("\n") + "\n";
        std::fs::write(&f, &clean).unwrap();
        let batch = recon().arg("score").arg(&m.pca).arg(&f).output().unwrap();
        let (b, s) = (rows(&String::from_utf8_lossy(&batch.stdout)), rows(&String::from_utf8_lossy(&stream.stdout)));
        assert_eq!(b, s, "{name}: stream rows after skipping the bad line");
    }
}

/// `signal(n, seed)` with a group column `g` cycling through `groups` (an empty name is written
/// as an empty field).
fn grouped(n: usize, groups: &[&str]) -> Vec<u8> {
    let s = signal(n, 11);
    let mut out = String::new();
    for (i, line) in s.lines().enumerate() {
        let g = if i == 0 { "g" } else { groups[(i - 1) % groups.len()] };
        out += &format!("{line},{g}\n");
    }
    out.into_bytes()
}

#[test]
fn hostile_audits() {
    let cases = vec![
        case(
            "audit: missing group column",
            vec![("t.csv", grouped(50, &["u", "v"]))],
            &["audit", "{model}", "t.csv", "--group-col", "sex"],
            2,
            "no column named 'sex'",
        ),
        case(
            "audit: empty group value",
            vec![("t.csv", grouped(50, &["u", "", "v"]))],
            &["audit", "{model}", "t.csv", "--group-col", "g"],
            2,
            "empty value",
        ),
        case(
            "audit: the model's columns missing",
            vec![("t.csv", csv("x,y,g\n1,2,u\n3,4,v\n"))],
            &["audit", "{model}", "t.csv", "--group-col", "g"],
            2,
            "no column named 'a'",
        ),
        case(
            "audit: alpha out of range",
            vec![("t.csv", grouped(50, &["u", "v"]))],
            &["audit", "{model}", "t.csv", "--group-col", "g", "--alpha", "1.5"],
            2,
            "alpha",
        ),
        case(
            "audit: a group column that is a model column",
            vec![("t.csv", grouped(50, &["u", "v"]))],
            &["audit", "{model}", "t.csv", "--group-col", "a"],
            2,
            "model's own columns",
        ),
        case(
            "audit: one group column twice",
            vec![("t.csv", grouped(50, &["u", "v"]))],
            &["audit", "{model}", "t.csv", "--group-col", "g,g"],
            2,
            "twice",
        ),
        case(
            "audit: a group of one row is reported, not tested",
            vec![(
                "t.csv",
                grouped(
                    41,
                    &[
                        "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u",
                        "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v", "u", "v",
                        "u", "v", "w",
                    ],
                ),
            )],
            &["audit", "{model}", "t.csv", "--group-col", "g"],
            0,
            "",
        ),
        case(
            "--statistic for the autoencoder",
            vec![("t.csv", csv(&signal(100, 3)))],
            &["fit", "t.csv", "--model", "ae", "--statistic", "either", "--out", "m"],
            2,
            "--statistic",
        ),
    ];
    for c in &cases {
        run(c);
    }
    // The one-row group: in the JSON with n = 1, no p-value, listed as untested.
    let d = tempfile::tempdir().unwrap();
    let mut groups = ["u", "v"].repeat(20);
    groups.push("w");
    std::fs::write(d.path().join("t.csv"), grouped(41, &groups)).unwrap();
    let out = recon()
        .current_dir(d.path())
        .args(["audit", models().pca.to_str().unwrap(), "t.csv", "--group-col", "g", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["untested"], serde_json::json!(["w"]));
    let w = v["groups"].as_array().unwrap().iter().find(|g| g["group"] == "w").unwrap();
    assert_eq!((w["n"].as_u64(), w["p_value"].is_null(), w["flagged"].as_bool()), (Some(1), true, Some(false)));
}

#[test]
fn hostile_frames() {
    let cases = vec![
        case("frame: fewer vectors than dimensions", vec![], &["frame", "--dim", "5", "--vectors", "4"], 2, "N > d"),
        case(
            "frame: random, fewer vectors than dimensions",
            vec![],
            &["frame", "--kind", "random", "--dim", "5", "--vectors", "3"],
            2,
            "cannot span",
        ),
        case(
            "frame: a union of bases with a stray vector",
            vec![],
            &["frame", "--kind", "union", "--dim", "3", "--vectors", "7"],
            2,
            "multiple of d",
        ),
        case(
            "frame: more erasures than vectors",
            vec![],
            &["frame", "--dim", "3", "--vectors", "5", "--erase", "9"],
            2,
            "erasures",
        ),
        case(
            "frame: a decimation above the channels",
            vec![],
            &["frame", "--kind", "filterbank", "--dim", "48", "--channels", "8", "--decimation", "12"],
            2,
            "no reconstruction",
        ),
        case(
            "frame: a decimation the window cannot cover",
            vec![],
            &["frame", "--kind", "filterbank", "--dim", "48", "--channels", "8", "--decimation", "8", "--taps", "4"],
            2,
            "without gaps",
        ),
        case(
            "frame: a decimation that does not divide the length",
            vec![],
            &["frame", "--kind", "filterbank", "--dim", "50", "--channels", "8", "--decimation", "4"],
            2,
            "must divide",
        ),
        case(
            "frame: a sweep that ends below d",
            vec![],
            &["frame", "--dim", "3", "--vectors", "5", "--sweep-redundancy", "2"],
            2,
            "sweep",
        ),
    ];
    for c in &cases {
        run(c);
    }
    // The JSON the issue names, and d/N for one erasure of a harmonic frame.
    let out =
        recon().args(["frame", "--kind", "harmonic", "--dim", "4", "--vectors", "10", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in ["dim", "vectors", "redundancy", "frame_bounds", "tight", "erasures", "worst_case_error", "mean_error"] {
        assert!(v.get(k).is_some(), "{k} missing");
    }
    assert_eq!(v["tight"], serde_json::json!(true));
    assert!((v["worst_case_error"].as_f64().unwrap() - 0.4).abs() < 1e-12);
}

#[test]
fn hostile_graphs() {
    let sig = || csv("node,x\na,1\nb,2\nc,3\n");
    let cases = vec![
        case(
            "graph: a self-loop",
            vec![("g.csv", csv("source,target\na,b\nb,b\nb,c\n")), ("s.csv", sig())],
            &["bottleneck", "g.csv", "--signal", "s.csv"],
            2,
            "line 3: self-loop at node 'b'",
        ),
        case(
            "graph: an edge given twice",
            vec![("g.csv", csv("source,target\na,b\nb,a\n")), ("s.csv", sig())],
            &["bottleneck", "g.csv", "--signal", "s.csv"],
            2,
            "already given on line 2",
        ),
        case(
            "graph: a signal naming an unknown node",
            vec![("g.csv", csv("source,target\na,b\nb,c\n")), ("s.csv", csv("node,x\na,1\nb,2\nc,3\nq,4\n"))],
            &["bottleneck", "g.csv", "--signal", "s.csv", "--op", "topk", "--levels", "1"],
            2,
            "node 'q' is not in the edge list",
        ),
        case(
            "graph: a node without a value",
            vec![("g.csv", csv("source,target\na,b\nb,c\n")), ("s.csv", csv("node,x\na,1\nb,2\n"))],
            &["bottleneck", "g.csv", "--signal", "s.csv"],
            2,
            "have no value",
        ),
        case(
            "graph: no --signal",
            vec![("g.csv", csv("source,target\na,b\nb,c\n"))],
            &["bottleneck", "g.csv"],
            2,
            "--signal",
        ),
        case(
            "graph: an image operator",
            vec![("g.csv", csv("source,target\na,b\nb,c\n")), ("s.csv", sig())],
            &["bottleneck", "g.csv", "--signal", "s.csv", "--op", "maxpool"],
            2,
            "image operator",
        ),
        case(
            "graph: a negative weight",
            vec![("g.csv", csv("source,target,weight\na,b,1\nb,c,-2\n")), ("s.csv", sig())],
            &["bottleneck", "g.csv", "--signal", "s.csv"],
            2,
            "line 3: weight '-2'",
        ),
        case(
            "graph: Kron on two components",
            vec![("g.csv", csv("source,target\na,b\nc,d\n")), ("s.csv", csv("node,x\na,1\nb,2\nc,3\nd,1\n"))],
            &["bottleneck", "g.csv", "--signal", "s.csv", "--op", "coarsen"],
            2,
            "not connected",
        ),
        case(
            "graph: more levels than nodes allow",
            vec![("g.csv", csv("source,target\na,b\nb,c\n")), ("s.csv", sig())],
            &["bottleneck", "g.csv", "--signal", "s.csv", "--op", "heavy-edge", "--levels", "4"],
            2,
            "use fewer levels",
        ),
        case(
            "simulate graph: too few nodes",
            vec![],
            &["simulate", "graph", "--nodes", "2", "--out", "g.csv"],
            2,
            "nodes",
        ),
    ];
    for c in &cases {
        run(c);
    }
    // Simulated, then measured: the keys the issue names, and the smooth signal keeps more.
    let d = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let out = recon().current_dir(d.path()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let sim = ok(&["simulate", "graph", "--kind", "geometric", "--nodes", "300", "--seed", "4", "--out", "g.csv"]);
    assert_eq!(sim["nodes"], 300);
    let err = |col: &str| {
        let v = ok(&["bottleneck", "g.csv", "--signal", "g.nodes.csv", "--signal-col", col, "--levels", "3", "--json"]);
        assert_eq!(v["levels"].as_array().unwrap().len(), 3);
        v["relative_error"].as_array().unwrap().iter().map(|e| e.as_f64().unwrap()).collect::<Vec<_>>()
    };
    let (smooth, rough) = (err("smooth"), err("rough"));
    assert!(smooth.iter().zip(&rough).all(|(s, r)| s < r), "{smooth:?} {rough:?}");
}

#[test]
fn learned_bottleneck_reads_image_tables_and_refuses_bad_shapes() {
    let digits = repo("data/digits.csv");
    let digits = digits.to_str().unwrap();
    let out = recon()
        .args([
            "bottleneck",
            digits,
            "--op",
            "learned",
            "--label-col",
            "label",
            "--levels",
            "2",
            "--epochs",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["levels"].as_array().unwrap().len(), 2);
    assert_eq!(v["relative_error"].as_array().unwrap().len(), 2);
    assert_eq!((v["test_images"].as_u64(), v["train_images"].as_u64()), (Some(359), Some(1438)));
    assert_eq!(v["levels"][1]["bottleneck"], serde_json::json!([2, 2]));
    let fails = |args: &[&str], msg: &str| refuses(Path::new("."), args, msg);
    fails(&["bottleneck", digits, "--op", "learned"], "not a square image");
    fails(
        &["bottleneck", digits, "--op", "learned", "--label-col", "label", "--shape", "8x8", "--levels", "4"],
        "divisible",
    );
    fails(
        &["bottleneck", digits, "--op", "learned", "--label-col", "label", "--shape", "7x7"],
        "needs 49 pixel columns",
    );
    fails(&["bottleneck", digits, "--op", "learned", "--shape", "8by8"], "is not HxW");
    let photo = repo("data/images/flower.jpg");
    fails(&["bottleneck", photo.to_str().unwrap(), "--op", "learned", "--shape", "8x8"], "table of images");
    fails(&["bottleneck", photo.to_str().unwrap(), "--shape", "8x8"], "--op learned");
}

#[test]
fn generate_vaegan_reports_the_curve_and_refuses_bad_input() {
    let digits = repo("data/digits.csv");
    let digits = digits.to_str().unwrap();
    let d = tempfile::tempdir().unwrap();
    let out = recon()
        .current_dir(d.path())
        .args([
            "generate",
            "vaegan",
            digits,
            "--label-col",
            "label",
            "--lambdas",
            "0,1",
            "--epochs",
            "2",
            "--json",
            "--out",
            "pd",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for p in points {
        for k in ["lambda", "distortion", "perception", "sliced_wasserstein", "hf_energy_ratio"] {
            assert!(p[k].as_f64().is_some_and(f64::is_finite), "{k}: {p}");
        }
    }
    for f in ["perception_distortion.svg", "grid_lambda_0.png", "grid_lambda_1.png", "vaegan.json"] {
        assert!(d.path().join("pd").join(f).is_file(), "{f}");
    }
    // The saved model is a model folder like any other: recon score reads it.
    let model = d.path().join("pd/model_lambda_1");
    let scored = recon().args(["score", model.to_str().unwrap(), digits, "--json"]).output().unwrap();
    assert!(scored.status.success(), "{}", String::from_utf8_lossy(&scored.stderr));
    let fails = |args: &[&str], msg: &str| refuses(Path::new("."), args, msg);
    fails(&["generate", "vaegan", digits], "not a square image");
    fails(&["generate", "vaegan", digits, "--label-col", "label", "--lambdas", "0,-1"], "not a weight");
    fails(&["generate", "vaegan", digits, "--label-col", "label", "--shape", "4x4"], "needs 16 pixel columns");
}

#[test]
fn generate_cycle_translates_unpaired_domains_and_refuses_bad_input() {
    let digits = repo("data/digits.csv");
    let d = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| recon().current_dir(d.path()).args(args).output().unwrap();
    let out = run(&[
        "simulate",
        "domains",
        digits.to_str().unwrap(),
        "--label-col",
        "label",
        "--transform",
        "invert",
        "--out",
        "dom",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["train_x"].as_u64(), v["test_pairs"].as_u64()), (Some(719), Some(359)));
    let out = run(&[
        "generate",
        "cycle",
        "--x",
        "dom/x.csv",
        "--y",
        "dom/y.csv",
        "--x-test",
        "dom/x_test.csv",
        "--y-test",
        "dom/y_test.csv",
        "--epochs",
        "30",
        "--json",
        "--out",
        "cyc",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (t, i) = (v["translation_error"].as_f64().unwrap(), v["identity_error"].as_f64().unwrap());
    assert!(t < 0.5 * i, "translation {t} vs identity {i}");
    assert!(v["cycle_error"].as_f64().is_some() && v["final_adversarial"].as_array().unwrap().len() == 2);
    assert!(d.path().join("cyc/model/model.json").is_file());
    // The steganography probe reads a model folder; the supervised control (fitted on aligned
    // pairs, no cycle loss) has nothing to hide and is not flagged.
    let out = run(&[
        "generate",
        "cycle",
        "--x",
        "dom/x.csv",
        "--y",
        "dom/y_paired.csv",
        "--paired",
        "--epochs",
        "30",
        "--out",
        "paired",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["stego", "paired/model", "dom/x_test.csv", "--y", "dom/y_test.csv", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in
        ["rebuild", "rebuild_true", "rebuild_lowpass", "translation_error", "hf_ratio", "hidden_ratio", "threshold"]
    {
        assert!(s[k].as_f64().is_some(), "{k}");
    }
    assert_eq!(s["hidden_signal"], serde_json::json!(false), "{s}");
    let out = run(&["stego", "cyc/model", "dom/x_test.csv", "--y", "dom/y_test.csv"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("verdict:"));
    std::fs::write(d.path().join("narrow.csv"), "a,b\n0.1,0.2\n0.3,0.4\n").unwrap();
    let fails = |args: &[&str], msg: &str| refuses(d.path(), args, msg);
    fails(&["generate", "cycle", "--x", "dom/x.csv", "--y", "narrow.csv"], "they must match");
    fails(
        &["generate", "cycle", "--x", digits.to_str().unwrap(), "--y", digits.to_str().unwrap()],
        "must lie in [0, 1]",
    );
    fails(&["stego", "cyc/model", "dom/x_test.csv", "--y", "dom/y_test.csv", "--threshold", "0.5"], "ratio above 1");
    fails(&["stego", "cyc", "dom/x_test.csv", "--y", "dom/y_test.csv"], "model");
    fails(&["stego", "cyc/model", "dom/x_test.csv", "--y", "narrow.csv"], "p0_0");
    fails(&["stego", "cyc/model", "dom/x_test.csv", "--y", "dom/y.csv"], "aligned row by row");
    fails(
        &[
            "simulate",
            "domains",
            digits.to_str().unwrap(),
            "--label-col",
            "label",
            "--transform",
            "pixelate",
            "--block",
            "1",
            "--out",
            "p",
        ],
        "not a block side",
    );
    fails(&["generate", "cycle", "--x", "dom/x.csv", "--y", "dom/y.csv", "--lambda-cyc", "-1"], "not a weight");
    // A missing companion option is clap's usage error (exit 2, the usage lines follow).
    let out = run(&["generate", "cycle", "--x", "dom/x.csv", "--y", "dom/y.csv", "--x-test", "dom/x_test.csv"]);
    assert!(out.status.code() == Some(2) && String::from_utf8_lossy(&out.stderr).contains("y-test"));
    fails(
        &[
            "generate",
            "cycle",
            "--x",
            "dom/x.csv",
            "--y",
            "dom/y.csv",
            "--x-test",
            "dom/x_test.csv",
            "--y-test",
            "dom/y.csv",
        ],
        "aligned pair",
    );
}

#[test]
fn discover_smiles_fits_samples_and_refuses_bad_strings() {
    let d = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| recon().current_dir(d.path()).args(args).output().unwrap();
    let qm9 = std::fs::read_to_string(repo("data/molecules/qm9_smiles_20k.csv")).unwrap();
    let head: Vec<&str> = qm9.lines().take(301).collect();
    let write = |name: &str, text: &str| std::fs::write(d.path().join(name), text).unwrap();
    write("small.csv", &(head.join("\n") + "\n"));
    let out = run(&[
        "discover",
        "fit",
        "small.csv",
        "--kind",
        "smiles",
        "--hidden",
        "32",
        "--latent",
        "8",
        "--epochs",
        "3",
        "--json",
        "--out",
        "m",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["molecules"].as_u64(), v["test_molecules"].as_u64()),
        (Some("smiles"), Some(300), Some(30))
    );
    assert!(v["reconstruction_accuracy"].as_f64().is_some() && v["held_out_cross_entropy"].as_f64().is_some());
    let out = run(&["discover", "sample", "m", "--n", "40", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n"], 40);
    for k in ["validity", "uniqueness", "novelty"] {
        assert!(v[k].as_f64().is_some_and(|r| (0.0..=1.0).contains(&r)), "{k}");
    }
    let c = &v["candidates"][0];
    assert!(c["smiles"].is_string() && c["valid"].is_boolean() && c["novel"].is_boolean());
    let out = run(&["discover", "sample", "m", "--n", "5", "--near", "CC(=O)NC"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("around CC(=O)NC"));

    let rows = |extra: &str| format!("{}\n{extra}\n", head.join("\n"));
    write("alien.csv", &rows("300,CC&O"));
    write("invalid.csv", &rows("301,C1CC"));
    let fails = |args: &[&str], msg: &str| refuses(d.path(), args, msg);
    fails(
        &["discover", "fit", "alien.csv", "--kind", "smiles", "--out", "x"],
        "line 302: 'CC&O': '&' at position 3 is not SMILES",
    );
    fails(
        &["discover", "fit", "invalid.csv", "--kind", "smiles", "--out", "x"],
        "line 302: 'C1CC' is not a valid molecule",
    );
    fails(
        &["discover", "fit", "small.csv", "--kind", "smiles", "--smiles-col", "smi", "--out", "x"],
        "no SMILES column 'smi'",
    );
    fails(
        &["discover", "fit", "small.csv", "--kind", "smiles", "--property-col", "qm9_row", "--out", "x"],
        "no property head",
    );
    fails(&["discover", "sample", "m", "--near", "CBr"], "token 'Br' is not in the model's vocabulary");
    fails(&["discover", "sample", "m", "--target", "1.4"], "no property head");
    assert!(!d.path().join("x").exists());
}

#[test]
fn discover_fits_samples_and_refuses_bad_compounds() {
    let d = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| recon().current_dir(d.path()).args(args).output().unwrap();
    let data = repo("data/materials/expt_gap.csv");
    let out = run(&[
        "discover",
        "fit",
        data.to_str().unwrap(),
        "--property-col",
        "band_gap_eV",
        "--epochs",
        "40",
        "--json",
        "--out",
        "m",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["reconstruction_accuracy"].as_f64().is_some() && v["property_rmse"].as_f64().is_some());
    for f in ["model.json", "known.csv", "discover.json"] {
        assert!(d.path().join("m").join(f).is_file(), "{f}");
    }
    let out = run(&["discover", "sample", "m", "--n", "50", "--target", "1.4", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n"], 50);
    for k in ["validity", "uniqueness", "novelty", "in_window", "prior_in_window"] {
        assert!(v[k].as_f64().is_some(), "{k}");
    }
    let c = &v["candidates"][0];
    assert!(c["formula"].is_string() && c["valid"].is_boolean() && c["novel"].is_boolean());
    assert!(c["predicted_property"].as_f64().is_some());
    let out = run(&["discover", "sample", "m", "--n", "5"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("validity"));

    let write = |name: &str, text: &str| std::fs::write(d.path().join(name), text).unwrap();
    let rows = |f: &dyn Fn(usize) -> String| (0..30).map(f).collect::<Vec<_>>().join("\n");
    write("unknown.csv", &format!("composition,gap\n{}\nXxO2,1\n", rows(&|i| format!("NaCl,{i}"))));
    write("frac_bad.csv", &format!("frac_Na,frac_Qq\n{}\n", rows(&|_| "0.5,0.5".into())));
    write("sum.csv", &format!("frac_Na,frac_Cl\n{}\n0.5,0.4\n", rows(&|_| "0.5,0.5".into())));
    write("prop.csv", &format!("composition,gap\n{}\nNaCl,high\n", rows(&|i| format!("NaCl,{i}"))));
    let fails = |args: &[&str], msg: &str| refuses(d.path(), args, msg);
    fails(&["discover", "fit", "unknown.csv", "--out", "x"], "unknown element symbol 'Xx'");
    fails(&["discover", "fit", "frac_bad.csv", "--out", "x"], "column 'frac_Qq': unknown element symbol 'Qq'");
    fails(&["discover", "fit", "sum.csv", "--out", "x"], "sum to 0.9");
    fails(&["discover", "fit", "prop.csv", "--property-col", "gap", "--out", "x"], "'high' is not a number");
    fails(&["discover", "fit", "prop.csv", "--property-col", "nope", "--out", "x"], "no property column 'nope'");
    fails(&["discover", "fit", data.to_str().unwrap(), "--hidden", "8", "--out", "x"], "--hidden is for --kind smiles");
    fails(&["discover", "sample", "m", "--n", "10", "--window", "0"], "positive half-width");
    fails(&["discover", "sample", "nowhere", "--n", "10"], "nowhere");
    assert!(!d.path().join("x").exists());
}

/// A Parquet file of `columns`, as bytes.
fn parquet(columns: Vec<(&str, recon_core::data::Column)>) -> Vec<u8> {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.parquet");
    recon_core::data::write_parquet_columns(&p, columns.into_iter().map(|(n, c)| (n.to_string(), c)).collect())
        .unwrap();
    std::fs::read(p).unwrap()
}

#[test]
fn hostile_parquet_and_sql() {
    use recon_core::data::Column;
    let ok = || ("ok.csv", csv(&signal(50, 3)));
    let col = |f: fn(f64) -> f64| Column::F64((0..30).map(|i| f(i as f64 / 10.0)).collect());
    let cases = vec![
        case(
            "parquet missing a model column",
            vec![("p.parquet", parquet(vec![("a", col(f64::sin)), ("b", col(f64::cos))]))],
            &["score", "{model}", "p.parquet"],
            2,
            "no column named 'c' (columns are: a, b)",
        ),
        case(
            "parquet column of the wrong type",
            vec![(
                "p.parquet",
                parquet(vec![("a", col(f64::sin)), ("b", col(f64::cos)), ("c", Column::Bool(vec![true; 30]))]),
            )],
            &["score", "{model}", "p.parquet"],
            2,
            "column 'c': is Boolean in p.parquet, not a number",
        ),
        case(
            "a .parquet file that is not one",
            vec![("p.parquet", csv("a,b,c\n1,2,3\n"))],
            &["fit", "p.parquet", "--model", "pca", "--out", "m"],
            2,
            "p.parquet: not a readable Parquet file",
        ),
        case(
            "a folder with no Parquet files",
            vec![("runs/readme.txt", csv("nothing here\n"))],
            &["curve", "runs"],
            2,
            "this one has none",
        ),
        case(
            "sql: a model that is not there",
            vec![ok()],
            &["sql", "SELECT recon_score('nope', a, b, c) FROM t", "--table", "t=ok.csv"],
            2,
            "model nope: not a model folder",
        ),
        case(
            "sql: a folder that is not a model",
            vec![ok(), ("stuff/x.txt", csv("x\n"))],
            &["sql", "SELECT recon_error('stuff', a, b, c) FROM t", "--table", "t=ok.csv"],
            2,
            "model stuff: not a model folder",
        ),
        case(
            "sql: too few columns for the model",
            vec![ok()],
            &["sql", "SELECT recon_score('{model}', a, b) FROM t", "--table", "t=ok.csv"],
            2,
            "takes 3 column(s) (a, b, c), the call gives 2",
        ),
        case(
            "sql: model path not a literal",
            vec![ok()],
            &["sql", "SELECT recon_score(a, b, c) FROM t", "--table", "t=ok.csv"],
            2,
            "the first argument is the model folder, a text literal",
        ),
        case(
            "sql: unknown table",
            vec![ok()],
            &["sql", "SELECT count(*) FROM u", "--table", "t=ok.csv"],
            2,
            "table 'u' not found",
        ),
        case(
            "sql: a text column for a model input",
            vec![ok()],
            &["sql", "SELECT recon_score('{model}', a, b, 'x') FROM t", "--table", "t=ok.csv"],
            2,
            "the argument for 'c' is Utf8, not a number",
        ),
        case(
            "sql: syntax",
            vec![ok()],
            &["sql", "SELEC 1", "--table", "t=ok.csv"],
            2,
            "SQL: Expected: an SQL statement, found: SELEC",
        ),
        case(
            "sql: a table that is not there",
            vec![],
            &["sql", "SELECT 1", "--table", "t=missing.parquet"],
            2,
            "missing.parquet: no such file",
        ),
        case("sql: bad table name", vec![ok()], &["sql", "SELECT 1", "--table", "9t=ok.csv"], 2, "table name"),
        case("sql: no =", vec![ok()], &["sql", "SELECT 1", "--table", "ok.csv"], 2, "NAME=PATH"),
        case("sql: --json and --out", vec![ok()], &["sql", "SELECT 1", "--json", "--out", "x.parquet"], 2, "use one"),
    ];
    for c in &cases {
        run(c);
    }
}

#[test]
fn sql_answers_and_writes_parquet() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("t.csv"), signal(50, 3)).unwrap();
    let m = models();
    let q =
        format!("SELECT count(*) AS n, sum(CAST(recon_alarm('{}', a, b, c) AS INT)) AS alarms FROM t", m.pca.display());
    let out = recon().current_dir(d.path()).args(["sql", &q, "--table", "t=t.csv", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["n"], 50);
    assert!(v[0]["alarms"].as_u64().is_some_and(|a| a <= 50));
    let q = format!("SELECT recon_score('{}', a, b, c) AS s FROM t", m.pca.display());
    let out =
        recon().current_dir(d.path()).args(["sql", &q, "--table", "t=t.csv", "--out", "s.parquet"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = recon()
        .current_dir(d.path())
        .args(["sql", "SELECT count(*) AS n, min(s) >= 0 AS ok FROM s", "--table", "s=s.parquet", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v[0]["n"].as_u64(), v[0]["ok"].as_bool()), (Some(50), Some(true)));
}
