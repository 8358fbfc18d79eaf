//! Drives the real `recon` binary in temp folders: stdout, stderr and exit codes.

use std::path::Path;

use serde_json::Value;

use crate::util::{files_in, floats, json, recon, repo, run_json};

#[test]
fn help_teaches_each_command() {
    for (cmd, needle) in [
        ("curve", "Kneedle"),
        ("compress", "--psnr"),
        ("tour", "report.html"),
        ("fit", "--ema"),
        ("score", "--stream"),
        ("diagnose", "cosine similarity"),
    ] {
        let out = recon().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains(needle), "{cmd} --help lacks {needle}");
    }
}

#[test]
fn curve_json_contract_on_wine() {
    let wine = repo("data/wine.csv");
    let j = json(&["curve", wine.to_str().unwrap(), "--label-col", "cultivar"]);
    assert_eq!((j["n_rows"].as_u64(), j["n_cols"].as_u64()), (Some(178), Some(13)));
    let ranks: Vec<u64> = j["ranks"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(ranks, (0..=13).collect::<Vec<_>>());
    let e = floats(&j["relative_squared_error"]);
    assert_eq!(e.len(), 14);
    assert_eq!(e[0], 1.0);
    assert!(e.windows(2).all(|w| w[1] <= w[0]));
    let evr = floats(&j["explained_variance_ratio"]);
    assert_eq!(evr.len(), 13);
    // err(k) = 1 − Σ_{i≤k} ratio_i.
    let mut acc = 0.0;
    for k in 1..=13 {
        acc += evr[k - 1];
        assert!((e[k] - (1.0 - acc)).abs() < 1e-12);
    }
    assert!(j["elbow"].is_u64());
    let j5 = json(&["curve", wine.to_str().unwrap(), "--label-col", "cultivar", "--max-rank", "5"]);
    assert_eq!(j5["ranks"].as_array().unwrap().len(), 6);
}

#[test]
fn curve_out_writes_svg_and_json_and_table_is_readable() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    let a = recon()
        .args([
            "curve",
            repo("data/digits.csv").to_str().unwrap(),
            "--label-col",
            "label",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(a.status.success());
    let table = String::from_utf8(a.stdout).unwrap();
    assert!(table.contains("<- elbow") && table.contains("1797 rows × 64 columns"), "{table}");
    assert!(std::fs::read_to_string(out.join("curve.svg")).unwrap().contains("<svg"));
    let j: Value = serde_json::from_str(&std::fs::read_to_string(out.join("curve.json")).unwrap()).unwrap();
    assert_eq!(j["n_rows"], 1797);
}

#[test]
fn bad_inputs_exit_2_with_one_line_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![w("ragged.csv", "a,b\n1,2\n3\n")], "line 3"),
        (vec![w("nan.csv", "a,b\n1,2\nNaN,3\n")], "row 2, column 'a'"),
        (vec![w("empty.csv", "")], "empty"),
        (vec![w("header.csv", "a,b\n")], "no data rows"),
        (vec![w("text.csv", "a,b\n1,x\n2,y\n")], "column 'b' is not numeric"),
        (vec![d.path().join("missing.csv").to_str().unwrap().into()], "no such file"),
        (vec![w("const.csv", "a,b\n1,2\n1,2\n1,2\n")], "zero variance"),
        (vec![w("ok.csv", "a,b\n1,2\n3,5\n4,4\n"), "--max-rank".into(), "7".into()], "max-rank"),
        (vec![w("ok2.csv", "a,b\n1,2\n3,5\n"), "--label-col".into(), "nope".into()], "no column named 'nope'"),
        (vec![w("x.txt", "a\n1\n")], "unsupported file type"),
    ];
    for (args, needle) in cases {
        let out_dir = d.path().join("out");
        for cmd in [&["curve"][..], &["compress", "--rank", "1"][..]] {
            if cmd[0] == "compress" && needle == "max-rank" {
                continue; // a curve-only flag
            }
            let o = recon().args(cmd).args(&args).args(["--out", out_dir.to_str().unwrap()]).output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{cmd:?} {args:?}: {err}");
            assert!(err.starts_with("error: ") && err.trim_end().lines().count() == 1, "{err}");
            assert!(err.contains(needle), "{args:?}: '{err}' lacks '{needle}'");
            assert!(files_in(&out_dir).is_empty(), "{args:?} left {:?}", files_in(&out_dir));
        }
    }
    // Flags that cannot go together, and a missing target.
    let wine = repo("data/wine.csv");
    let o =
        recon().args(["compress", wine.to_str().unwrap(), "--label-col", "cultivar", "--psnr", "30"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = recon().args(["compress", wine.to_str().unwrap(), "--label-col", "cultivar"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "a target (--rank/--energy/--psnr) is required");
    let o = recon()
        .args(["compress", wine.to_str().unwrap(), "--label-col", "cultivar", "--energy", "1.5"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn drop_nonfinite_says_how_many() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("n.csv");
    std::fs::write(&p, "a,b\n1,2\nNaN,3\n4,1\n2,inf\n0,0\n").unwrap();
    let o = recon().args(["curve", p.to_str().unwrap(), "--drop-nonfinite", "--json"]).output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("dropped 2 row"));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["n_rows"], 3);
}

#[test]
fn three_methods_agree_and_write_model_and_reconstruction() {
    let d = tempfile::tempdir().unwrap();
    let wine = repo("data/wine.csv");
    let w = wine.to_str().unwrap();
    let mut errs = Vec::new();
    for method in ["exact", "randomized", "streaming"] {
        let out = d.path().join(method);
        let o = out.to_str().unwrap();
        let j = json(&[
            "compress",
            w,
            "--label-col",
            "cultivar",
            "--rank",
            "3",
            "--method",
            method,
            "--chunk-rows",
            "50",
            "--out",
            o,
        ]);
        assert_eq!(j["rank"], 3);
        let (n, dd, k) = (178.0, 13.0, 3.0);
        assert!((j["compression_ratio"].as_f64().unwrap() - n * dd / (k * (n + dd + 1.0) + dd)).abs() < 1e-12);
        errs.push(j["relative_squared_error"].as_f64().unwrap());
        assert!(out.join("model.safetensors").exists() && out.join("model.json").exists());
        let rec = std::fs::read_to_string(out.join("reconstruction.csv")).unwrap();
        assert_eq!(rec.lines().count(), 179);
        assert!(rec.starts_with("alcohol,malic_acid"));
    }
    assert!((errs[0] - errs[2]).abs() < 1e-9 * errs[0], "{errs:?}");
    assert!((errs[0] - errs[1]).abs() < 1e-6 * errs[0], "{errs:?}");
    assert!(errs[0] > 0.0 && errs[0] < 1e-3, "wine is dominated by proline: {errs:?}");
    // The energy target gives the same rank for every method.
    let ranks: Vec<u64> = ["exact", "randomized", "streaming"]
        .iter()
        .map(|m| {
            json(&["compress", w, "--label-col", "cultivar", "--energy", "0.9999999", "--method", m])["rank"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(ranks.iter().all(|r| *r == ranks[0]), "{ranks:?}");
}

#[test]
fn npy_in_npy_out() {
    let d = tempfile::tempdir().unwrap();
    let npy = repo("crates/recon-core/tests/fixtures/wine_f8_c.npy");
    for method in ["exact", "streaming"] {
        let out = d.path().join(method);
        let j = json(&[
            "compress",
            npy.to_str().unwrap(),
            "--rank",
            "5",
            "--method",
            method,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(j["relative_squared_error"].as_f64().unwrap() < 1e-12, "rank 5 of a 20 × 5 matrix is exact");
        let bytes = std::fs::read(out.join("reconstruction.npy")).unwrap();
        assert!(bytes.starts_with(b"\x93NUMPY"));
    }
}

#[test]
fn photo_compression_reaches_the_psnr_target() {
    let d = tempfile::tempdir().unwrap();
    let img = repo("data/images/flower.jpg");
    let i = img.to_str().unwrap();
    let out = d.path().join("img");
    let j = json(&["compress", i, "--psnr", "30", "--out", out.to_str().unwrap()]);
    let k = j["rank"].as_u64().unwrap();
    assert!(j["psnr_db"].as_f64().unwrap() >= 30.0);
    let kf = k as f64;
    assert!((j["compression_ratio"].as_f64().unwrap() - 427.0 * 640.0 / (kf * (427.0 + 640.0 + 1.0))).abs() < 1e-9);
    assert!(std::fs::read(out.join("reconstruction.png")).unwrap().starts_with(b"\x89PNG"));
    // One rank less does not reach the target: the rank is the smallest.
    let below = json(&["compress", i, "--rank", &(k - 1).to_string()]);
    assert!(below["psnr_db"].as_f64().unwrap() < 30.0);
    let rnd = json(&["compress", i, "--rank", "20", "--method", "randomized", "--seed", "3"]);
    let ex = json(&["compress", i, "--rank", "20"]);
    assert!((rnd["psnr_db"].as_f64().unwrap() - ex["psnr_db"].as_f64().unwrap()).abs() < 0.05);
}

#[test]
fn tour_writes_a_report() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("tour");
    let o = recon().args(["tour", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.contains("elbow at rank") && stdout.contains("30 dB needs rank"), "{stdout}");
    assert!(stdout.contains("planted patterns") && stdout.contains("COVID-19 serology"), "{stdout}");
    // Scale out: SQL alarms over Parquet parts equal the in-memory monitor's.
    let line = stdout.lines().find(|l| l.contains("SQL alarms on fault 1: ")).expect("the scale-out line");
    let sql = line.split("SQL alarms on fault 1: ").nth(1).unwrap().split(' ').next().unwrap();
    let mem = line.split("(in memory ").last().unwrap().trim_end_matches(')');
    assert_eq!(sql, mem, "{line}");
    assert!(sql.parse::<usize>().unwrap() > 0, "{line}");
    // And the same plans on an in-process Ballista cluster.
    let line = stdout.lines().find(|l| l.contains("Ballista alarms: ")).expect("the Ballista line");
    let on_cluster = line.split("Ballista alarms: ").nth(1).unwrap().split(' ').next().unwrap();
    assert_eq!(on_cluster, sql, "{line}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("data:image/png;base64"));
}

#[test]
fn standardising_changes_the_picture_and_methods_still_agree() {
    let wine = repo("data/wine.csv");
    let w = wine.to_str().unwrap();
    let raw = json(&["curve", w, "--label-col", "cultivar"]);
    let std = json(&["curve", w, "--label-col", "cultivar", "--scale"]);
    assert_eq!(std["scaled"], true);
    // Unscaled, proline (values ~1000) carries 99.8% of the variance; standardised, it does not.
    assert!(floats(&raw["explained_variance_ratio"])[0] > 0.99);
    assert!(floats(&std["explained_variance_ratio"])[0] < 0.5);
    let e: Vec<f64> = ["exact", "streaming"]
        .iter()
        .map(|m| {
            json(&["compress", w, "--label-col", "cultivar", "--scale", "--rank", "4", "--method", m])
                ["relative_squared_error"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let curve4 = floats(&std["relative_squared_error"])[4];
    assert!((e[0] - curve4).abs() < 1e-12 && (e[1] - curve4).abs() < 1e-9, "{e:?} vs {curve4}");
    let o = recon().args(["curve", w, "--label-col", "cultivar", "--scale", "--no-center"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn tensor_rank_search_on_the_il2_tensor_with_missing_entries() {
    let d = tempfile::tempdir().unwrap();
    let il2 = repo("data/IL2_Response_Tensor.npy");
    let out = d.path().join("il2");
    let j = json(&[
        "tensor",
        il2.to_str().unwrap(),
        "--ranks",
        "1..3",
        "--starts",
        "2",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(j["shape"], serde_json::json!([13, 4, 12, 8]));
    assert_eq!(j["missing"], 192);
    let e = floats(&j["relative_error"]);
    assert_eq!(e.len(), 3);
    assert!(e.windows(2).all(|w| w[1] <= w[0]) && e[0] < 1.0, "{e:?}");
    for k in ["relative_error_spread", "corcondia", "split_half_fms"] {
        assert_eq!(j[k].as_array().unwrap().len(), 3, "{k}");
    }
    let rec = j["recommended_rank"].as_u64().unwrap();
    assert!((1..=3).contains(&rec) && j["reason"].as_str().unwrap().starts_with(&format!("rank {rec}")));
    for m in 0..4 {
        assert!(out.join(format!("factor_{m}.npy")).exists());
    }
    assert!(out.join("curve.svg").exists() && out.join("tensor.json").exists());
    // Tucker on the same tensor: core consistency does not apply; the factors and the core are written.
    let tk = d.path().join("tk");
    let j2 = json(&[
        "tensor",
        il2.to_str().unwrap(),
        "--ranks",
        "1..3",
        "--method",
        "tucker",
        "--out",
        tk.to_str().unwrap(),
    ]);
    assert!(j2["corcondia"].as_array().unwrap().iter().all(|c| c.is_null()));
    assert!(floats(&j2["relative_error"]).windows(2).all(|w| w[1] <= w[0]));
    assert!(tk.join("core.npy").exists() && tk.join("factor_3.npy").exists());
    // Same seed, same answer.
    let again = json(&["tensor", il2.to_str().unwrap(), "--ranks", "1..3", "--starts", "2", "--seed", "1"]);
    assert_eq!(again["relative_error"], j["relative_error"]);
}

#[test]
fn tensor_bad_inputs_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.tns");
    std::fs::write(&bad, "1 1 1 2.0\n0 1 1 1.0\n").unwrap();
    let il2 = repo("data/IL2_Response_Tensor.npy");
    let wine = repo("crates/recon-core/tests/fixtures/wine_f8_c.npy");
    for args in [
        vec![bad.to_str().unwrap(), "--ranks", "1..2"],
        vec![il2.to_str().unwrap(), "--ranks", "3..1"],
        vec![il2.to_str().unwrap(), "--ranks", "0,1"],
        vec![wine.to_str().unwrap(), "--ranks", "1..2"],
        vec![il2.to_str().unwrap(), "--ranks", "1..2", "--starts", "0"],
        vec![il2.to_str().unwrap(), "--ranks", "1..2000"],
    ] {
        let o = recon().arg("tensor").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: ") && err.trim_end().lines().count() == 1, "{err}");
    }
}

#[test]
fn pca_monitor_fit_and_score_on_tennessee_eastman() {
    let d = tempfile::tempdir().unwrap();
    let te = repo("data/tennessee_eastman");
    let model = d.path().join("pca");
    let m = model.to_str().unwrap();
    let fit =
        run_json(&["fit", te.join("d00_train.csv").to_str().unwrap(), "--model", "pca", "--energy", "0.9", "--out", m]);
    assert!(fit["t2_limit"].as_f64().unwrap() > 0.0 && fit["components"].as_u64().unwrap() >= 1);
    let j = json(&["score", m, te.join("d01_test.csv").to_str().unwrap()]);
    for k in ["scores", "alarms", "t2", "spe"] {
        assert_eq!(j[k].as_array().unwrap().len(), 960, "{k}");
    }
    let alarms: Vec<u64> = j["alarms"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(alarms[160..].iter().sum::<u64>() > 780);
    assert_eq!(j["threshold"], 1.0);
    // Per-row CSV into a file.
    let out = d.path().join("scores.csv");
    let o = recon()
        .args(["score", m, te.join("d01_test.csv").to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("row,score,threshold,alarm,t2,spe") && csv.lines().count() == 961);
    // Data without the model's columns, and a truncated model: exit 2 with a message.
    let wrong = d.path().join("wrong.csv");
    std::fs::write(&wrong, "x\n1\n2\n").unwrap();
    let o = recon().args(["score", m, wrong.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no column named 'XMEAS(1)'"));
    let w = model.join("model.safetensors");
    let bytes = std::fs::read(&w).unwrap();
    std::fs::write(&w, &bytes[..100]).unwrap();
    let o = recon().args(["score", m, te.join("d01_test.csv").to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("corrupt or truncated"));
}

#[test]
fn simulators_write_data_with_their_truth() {
    let d = tempfile::tempdir().unwrap();
    let motor = d.path().join("motor.csv");
    let j = run_json(&[
        "simulate",
        "motor",
        "--duration",
        "10",
        "--fault",
        "current-bias",
        "--fault-size",
        "0.5",
        "--fault-start",
        "5",
        "--out",
        motor.to_str().unwrap(),
    ]);
    assert_eq!(j["rows"], 1001);
    let text = std::fs::read_to_string(&motor).unwrap();
    assert!(text.starts_with("time,voltage,speed,current,fault\n"));
    let labels: Vec<&str> = text.lines().skip(1).map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(labels.iter().filter(|l| **l == "normal").count(), 500);
    assert_eq!(labels.iter().filter(|l| **l == "current-bias").count(), 501);
    let clicks = d.path().join("c.tns");
    let j = run_json(&[
        "simulate",
        "clickstream",
        "--users",
        "50",
        "--items",
        "20",
        "--days",
        "14",
        "--patterns",
        "2",
        "--density",
        "0.2",
        "--out",
        clicks.to_str().unwrap(),
    ]);
    assert!(j["nnz"].as_u64().unwrap() > 100);
    for f in ["c.users.npy", "c.items.npy", "c.days.npy"] {
        assert!(d.path().join(f).exists(), "{f}");
    }
    let o = recon()
        .args(["simulate", "clickstream", "--density", "2", "--out", clicks.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// Reads a counts CSV written by `simulate counts` (or a real table): gene columns → matrix rows
/// per sample, skipping the named text columns.
fn read_counts(path: &Path, skip: &[&str]) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keep: Vec<usize> = (0..header.len()).filter(|&j| !skip.contains(&header[j])).collect();
    let rows = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&j| f[j].parse::<f64>().unwrap()).collect()
        })
        .collect();
    (keep.iter().map(|&j| header[j].to_string()).collect(), rows)
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    for (k, &i) in idx.iter().enumerate() {
        r[i] = k as f64;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn count_simulator_plants_outliers_and_follows_a_real_table() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("counts.csv");
    let j = run_json(&[
        "simulate",
        "counts",
        "--samples",
        "80",
        "--genes",
        "150",
        "--outlier-rate",
        "0.002",
        "--shifted",
        "0.1",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!((j["samples"].as_u64(), j["genes"].as_u64()), (Some(80), Some(150)));
    let text = std::fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(&header[150..], ["sample_id", "condition"]);
    let shifted = text.lines().skip(1).filter(|l| l.ends_with(",shifted")).count();
    assert_eq!(shifted as u64, j["shifted_samples"].as_u64().unwrap());
    // Every planted outlier is in the table where the truth file says.
    let (genes, x) = read_counts(&out, &["sample_id", "condition"]);
    let truth = std::fs::read_to_string(d.path().join("counts.outliers.csv")).unwrap();
    let mut n = 0;
    for l in truth.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let i: usize = f[0].trim_start_matches("sample").parse::<usize>().unwrap() - 1;
        let g = genes.iter().position(|name| name == f[1]).unwrap();
        assert_eq!(x[i][g], f[4].parse::<f64>().unwrap(), "{l}");
        n += 1;
    }
    assert_eq!(n, j["outliers"].as_u64().unwrap() as usize);
    assert!(n > 0);

    // Like a real table: genes kept are the non-zero ones, and per-gene mean expression follows
    // the real one (rank correlation of the gene means).
    let real = repo("data/rnaseq/outrider_gtex_skin_small_counts.csv");
    let like = d.path().join("like.csv");
    let j = run_json(&[
        "simulate",
        "counts",
        "--like",
        real.to_str().unwrap(),
        "--samples",
        "200",
        "--outlier-rate",
        "0",
        "--seed",
        "4",
        "--out",
        like.to_str().unwrap(),
    ]);
    let (rg, rx) = read_counts(&real, &["sample_id"]);
    let (sg, sx) = read_counts(&like, &["sample_id", "condition"]);
    assert_eq!(j["genes"].as_u64().unwrap() as usize, sg.len());
    let mean = |x: &[Vec<f64>], j: usize| x.iter().map(|r| r[j]).sum::<f64>() / x.len() as f64;
    let (a, b): (Vec<f64>, Vec<f64>) = sg
        .iter()
        .map(|g| {
            (mean(&rx, rg.iter().position(|r| r == g).unwrap()), mean(&sx, sg.iter().position(|s| s == g).unwrap()))
        })
        .unzip();
    let rho = pearson(&ranks(&a), &ranks(&b));
    assert!(rho > 0.9, "Spearman of gene means {rho}");
    // Bad input: a table with a negative count.
    let bad = d.path().join("bad.csv");
    std::fs::write(&bad, "g1,g2\n1,2\n3,-1\n").unwrap();
    let o = recon()
        .args(["simulate", "counts", "--like", bad.to_str().unwrap(), "--out", like.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("non-negative integers"));
}

#[test]
fn vae_fit_and_score_contract_on_counts() {
    let d = tempfile::tempdir().unwrap();
    let counts = d.path().join("counts.csv");
    run_json(&[
        "simulate",
        "counts",
        "--samples",
        "120",
        "--genes",
        "40",
        "--outlier-rate",
        "0.01",
        "--seed",
        "7",
        "--out",
        counts.to_str().unwrap(),
    ]);
    let model = d.path().join("vae");
    let c = counts.to_str().unwrap();
    let fit = run_json(&[
        "fit",
        c,
        "--model",
        "vae",
        "--likelihood",
        "nb",
        "--label-col",
        "sample_id",
        "--group-col",
        "condition",
        "--hidden",
        "32",
        "--latent",
        "3",
        "--epochs",
        "30",
        "--seed",
        "1",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_eq!(
        (fit["n_cols"].as_u64(), fit["latent"].as_u64(), fit["likelihood"].as_str()),
        (Some(40), Some(3), Some("nb"))
    );
    let m = model.to_str().unwrap();
    let j = json(&["score", m, c, "--id-col", "sample_id", "--per-feature", "--iw-samples", "5"]);
    assert_eq!(j["n_samples"], 120);
    let p = floats(&j["p_value"]);
    assert!(p.len() == 120 && p.iter().all(|v| (0.0..=1.0).contains(v) && *v > 0.0));
    let (nll, elbo, iw) = (floats(&j["nll"]), floats(&j["elbo"]), floats(&j["log_likelihood_iw"]));
    for i in 0..120 {
        assert!(elbo[i] <= -nll[i] + 1e-9, "ELBO = −NLL − KL ≤ −NLL");
        assert!(iw[i].is_finite());
    }
    for key in ["feature_p_value", "feature_fdr", "feature_z", "feature_nll"] {
        let rows = j[key].as_array().unwrap();
        assert_eq!(rows.len(), 120, "{key}");
        assert!(rows.iter().all(|r| r.as_array().unwrap().len() == 40), "{key}");
    }
    assert_eq!(j["samples"][0], "sample0001");
    // The long table: one line per (sample, gene) plus the header.
    let out = d.path().join("long.csv");
    recon().args(["score", m, c, "--per-feature", "--out", out.to_str().unwrap()]).assert().success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("sample,feature,nll,p_value,fdr,z\n"));
    assert_eq!(text.lines().count(), 1 + 120 * 40);

    // Bad input: no likelihood, non-integer data for a count likelihood, too many latent
    // dimensions, monitor-only flags.
    let wine = repo("data/wine.csv");
    let w = wine.to_str().unwrap();
    let o = d.path().join("x").display().to_string();
    for (args, needle) in [
        (vec!["fit", w, "--label-col", "cultivar", "--model", "vae", "--out", &o], "--likelihood"),
        (
            vec!["fit", w, "--label-col", "cultivar", "--model", "vae", "--likelihood", "poisson", "--out", &o],
            "non-negative integers",
        ),
        (
            vec![
                "fit",
                w,
                "--label-col",
                "cultivar",
                "--model",
                "vae",
                "--likelihood",
                "gaussian",
                "--latent",
                "13",
                "--out",
                &o,
            ],
            "latent",
        ),
        (vec!["score", m, c, "--stream"], "monitors"),
        (vec!["diagnose", "fit", m, c, "--label-col", "condition", "--out", &o], "needs a PCA or autoencoder monitor"),
    ] {
        let r = recon().args(&args).output().unwrap();
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(needle) && err.lines().count() == 1, "{args:?}: {err}");
    }
}

/// The real OUTRIDER table (119 fibroblast samples): the NB decoder's held-out −ELBO beats the
/// Poisson decoder's on the same split, all-zero genes are dropped with a message, and the most
/// significant outlier entries are listed.
#[test]
fn nb_vae_beats_poisson_on_real_counts() {
    let d = tempfile::tempdir().unwrap();
    let data = repo("data/rnaseq/outrider_kremer_small_counts.csv");
    let mut elbo = Vec::new();
    for lik in ["nb", "poisson"] {
        let model = d.path().join(lik);
        let out = recon()
            .args([
                "fit",
                data.to_str().unwrap(),
                "--model",
                "vae",
                "--likelihood",
                lik,
                "--label-col",
                "sample_id",
                "--hidden",
                "64",
                "--latent",
                "5",
                "--epochs",
                "40",
                "--seed",
                "0",
                "--out",
                model.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("216 all-zero feature(s) dropped"));
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["n_cols"], 783);
        elbo.push(j["validation_neg_elbo"].as_f64().unwrap());
    }
    eprintln!("held-out −ELBO per sample: NB {:.0}, Poisson {:.0}", elbo[0], elbo[1]);
    assert!(elbo[0] < elbo[1], "NB {} vs Poisson {}", elbo[0], elbo[1]);
    let out = recon()
        .args([
            "score",
            d.path().join("nb").to_str().unwrap(),
            data.to_str().unwrap(),
            "--id-col",
            "sample_id",
            "--per-feature",
            "--out",
        ])
        .arg(d.path().join("calls.csv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the most significant:") && err.contains("p = "), "{err}");
}

/// `recon score` reads, scores and writes block by block: across block boundaries the table
/// equals the row-at-a-time streaming path (scores and persistent alarms), and a bad row deep in
/// the file fails the run with exit 2 and leaves no half-written table.
#[test]
fn block_scoring_matches_the_stream_and_fails_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("m.csv");
    run_json(&["simulate", "motor", "--duration", "800", "--seed", "3", "--out", data.to_str().unwrap()]);
    let model = d.path().join("pca");
    run_json(&[
        "fit",
        data.to_str().unwrap(),
        "--model",
        "pca",
        "--columns",
        "voltage,speed,current",
        "--ema",
        "5,50",
        "--components",
        "3",
        "--out",
        model.to_str().unwrap(),
    ]);
    let (m, f) = (model.to_str().unwrap(), data.to_str().unwrap());
    let table = d.path().join("scores.csv");
    recon().args(["score", m, f, "--persistence", "3/5", "--out", table.to_str().unwrap()]).assert().success();
    // The independent reference: the row-at-a-time streaming path over the same rows (its own
    // window state, persistence and per-row evaluation; no blocks).
    let stream = recon()
        .args(["score", m, "-", "--stream", "--persistence", "3/5"])
        .write_stdin(std::fs::read(&data).unwrap())
        .output()
        .unwrap();
    assert!(stream.status.success());
    let parse = |text: &str| -> Vec<Vec<f64>> {
        text.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect()
    };
    let want = parse(&String::from_utf8(stream.stdout).unwrap());
    let rows = parse(&std::fs::read_to_string(&table).unwrap());
    assert_eq!(rows.len(), 80_001, "more rows than one block (65,536)");
    assert_eq!(rows.len(), want.len());
    for (i, (r, w)) in rows.iter().zip(&want).enumerate() {
        assert_eq!(r[0], i as f64);
        assert!((r[1] - w[1]).abs() <= 1e-9 * w[1].abs().max(1.0), "row {i}: {} vs {}", r[1], w[1]);
        assert_eq!(r[3], w[3], "row {i}: alarm");
    }
    let j = json(&["score", m, f, "--persistence", "3/5"]);
    assert_eq!(floats(&j["scores"]), rows.iter().map(|r| r[1]).collect::<Vec<_>>(), "JSON and table agree");
    // A non-finite value at data row 70,000 (second block).
    let bad = d.path().join("bad.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&data).unwrap().lines().map(String::from).collect();
    let mut fields: Vec<&str> = lines[70_000].split(',').collect();
    fields[2] = "NaN";
    lines[70_000] = fields.join(",");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let out = d.path().join("never.csv");
    let r = recon().args(["score", m, bad.to_str().unwrap(), "--out", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("70000") && err.contains("speed"), "{err}");
    assert!(!out.exists(), "no half-written table");
    assert!(files_in(d.path()).iter().all(|f| !f.starts_with(".recon-")), "temp file left: {:?}", files_in(d.path()));
}

/// `--folds` alone asks for cross-validated limits, for the PCA monitor as for the autoencoder,
/// and the fit reports the folds it used.
#[test]
fn folds_alone_ask_for_cross_validated_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let wine = repo("data/wine.csv").display().to_string();
    let out = tmp.path().join("m").display().to_string();
    let fit = run_json(&[
        "fit",
        &wine,
        "--label-col",
        "cultivar",
        "--model",
        "pca",
        "--components",
        "3",
        "--target-far",
        "0.05",
        "--folds",
        "4",
        "--out",
        &out,
    ]);
    assert_eq!(fit["limits"], "cv");
    assert_eq!(fit["cv"]["folds"], 4);
}

#[test]
fn a_parquet_fit_on_the_engine_names_constant_columns_like_the_csv_fit() {
    use recon_core::data::Column;
    // 12,000 rows: analytical limits, so the Parquet fit runs on DataFusion from statistics.
    let n = 12_000;
    let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos() + 0.5 * a[i]).collect();
    let e: Vec<f64> = (0..n).map(|i| (i as f64 * 1.7).sin() * (i as f64 * 0.013).cos()).collect();
    let d = tempfile::tempdir().unwrap();
    let (csv, pq) = (d.path().join("t.csv"), d.path().join("t.parquet"));
    let text: String = (0..n).map(|i| format!("{},{},0.1,{}\n", a[i], b[i], e[i])).collect();
    std::fs::write(&csv, format!("a,b,c,e\n{text}")).unwrap();
    let columns = vec![
        ("a".into(), Column::F64(a)),
        ("b".into(), Column::F64(b)),
        ("c".into(), Column::F64(vec![0.1; n])),
        ("e".into(), Column::F64(e)),
    ];
    recon_core::data::write_parquet_columns(&pq, columns).unwrap();
    let mut reports = Vec::new();
    for (input, out) in [(&csv, "m_csv"), (&pq, "m_pq")] {
        let out = d.path().join(out);
        let run = recon()
            .args([
                "fit",
                input.to_str().unwrap(),
                "--model",
                "pca",
                "--components",
                "2",
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{err}");
        assert!(err.contains("constant column(s) left out of the scaling (centred only): c"), "{input:?}: {err}");
        reports.push(serde_json::from_slice::<Value>(&run.stdout).unwrap());
    }
    assert_eq!((reports[0]["components"].as_u64(), reports[1]["components"].as_u64()), (Some(2), Some(2)));
    for key in ["captured_variance", "spe_limit", "t2_limit", "combined_limit"] {
        let (m, e) = (reports[0][key].as_f64().unwrap(), reports[1][key].as_f64().unwrap());
        assert!((m - e).abs() <= 1e-9 * m.abs(), "{key}: in memory {m}, on the engine {e}");
    }
}
