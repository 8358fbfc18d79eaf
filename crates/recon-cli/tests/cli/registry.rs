//! Every model folder scores through `recon score`: compress (checked against numpy), tensor,
//! fit; JSON always carries `errors` and `scores`; an unknown kind or version is exit 2.

use serde_json::Value;

use crate::util::{floats, input_error, json, recon, repo, run_json};

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0))
}

#[test]
fn score_on_a_compress_model_matches_an_explicit_numpy_reconstruction() {
    let d = tempfile::tempdir().unwrap();
    let wine = repo("data/wine.csv");
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("crates/recon-cli/tests/fixtures/compress_row_errors.json")).unwrap(),
    )
    .unwrap();
    for (scale, key) in [(false, "wine_rank3"), (true, "wine_scaled_rank3")] {
        let model = d.path().join(key);
        let mut args = vec!["compress", wine.to_str().unwrap(), "--label-col", "cultivar", "--rank", "3"];
        if scale {
            args.push("--scale");
        }
        args.extend(["--out", model.to_str().unwrap()]);
        json(&args);
        let s = json(&["score", model.to_str().unwrap(), wine.to_str().unwrap()]);
        assert_eq!(s["model"], "pca");
        assert_eq!(s["error_measure"], "squared_error");
        assert!(s.get("alarms").is_none() && s.get("threshold").is_none(), "a compression model has no alarms");
        let (got, want) = (floats(&s["errors"]), floats(&fixture[key]));
        assert!(close(&got, &want, 1e-9), "{key}: {:?} vs {:?}", &got[..3], &want[..3]);
        assert_eq!(floats(&s["scores"]), got);
        let mean = want.iter().sum::<f64>() / want.len() as f64;
        assert!((s["mean_error"].as_f64().unwrap() - mean).abs() <= 1e-9 * mean);
        // The table path keeps no rows in memory, yet reports the same mean on stderr.
        let out = recon().args(["score", model.to_str().unwrap(), wine.to_str().unwrap()]).output().unwrap();
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(table.starts_with("row,error,score\n") && table.lines().count() == 179, "{key}");
        let first: Vec<f64> = table.lines().nth(1).unwrap().split(',').map(|v| v.parse().unwrap()).collect();
        assert!((first[1] - want[0]).abs() <= 1e-9 * want[0].max(1.0));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{:.6e}", s["mean_error"].as_f64().unwrap())));
    }
}

#[test]
fn every_model_folder_scores_with_errors_and_scores() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).display().to_string();
    let (train, test) = (repo("data/tennessee_eastman/d00_train.csv"), repo("data/tennessee_eastman/d01_test.csv"));
    let (train, test) = (train.to_str().unwrap(), test.to_str().unwrap());
    run_json(&["fit", train, "--model", "pca", "--components", "9", "--out", &p("pca")]);
    run_json(&["fit", train, "--model", "ae", "--hidden", "16,4", "--epochs", "5", "--out", &p("ae")]);
    for (m, thresholded) in [("pca", true), ("ae", true)] {
        let s = json(&["score", &p(m), test]);
        assert_eq!(floats(&s["errors"]).len(), 960, "{m}");
        assert_eq!(floats(&s["scores"]).len(), 960, "{m}");
        assert_eq!(s.get("alarms").is_some(), thresholded, "{m}");
    }
    // PCA monitor: the per-row error is SPE.
    let s = json(&["score", &p("pca"), test]);
    assert_eq!(floats(&s["errors"]), floats(&s["spe"]));

    // A CP model from `recon tensor --out` scores mode-0 slices given as a 2-D .npy.
    let covid = repo("data/COVID19_data.npy");
    json(&["tensor", covid.to_str().unwrap(), "--ranks", "2", "--seed", "1", "--out", &p("cp")]);
    let header: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("cp/model.json")).unwrap()).unwrap();
    assert_eq!(header["kind"], "cp");
    let slices = d.path().join("slices.npy");
    let t = recon::data::load_tensor(&covid).unwrap();
    let recon::data::Tensor::Dense(t) = t else { panic!("dense") };
    let (i0, f) = (t.shape[0], t.shape[1..].iter().product::<usize>());
    // Rows with missing entries cannot be scored; keep the complete ones.
    let rows: Vec<usize> = (0..i0).filter(|&i| t.data[i * f..(i + 1) * f].iter().all(|v| v.is_finite())).collect();
    let m = faer::Mat::from_fn(rows.len(), f, |r, c| t.data[rows[r] * f + c]);
    recon::data::write_npy(&slices, m.as_ref()).unwrap();
    let s = json(&["score", &p("cp"), slices.to_str().unwrap()]);
    assert_eq!(s["model"], "cp");
    let e = floats(&s["errors"]);
    assert_eq!(e.len(), rows.len());
    assert!(e.iter().all(|v| v.is_finite() && *v >= 0.0));
}

#[test]
fn unknown_kind_or_version_exits_2_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let model = d.path().join("m");
    let wine = repo("data/wine.csv");
    json(&[
        "compress",
        wine.to_str().unwrap(),
        "--label-col",
        "cultivar",
        "--rank",
        "2",
        "--out",
        model.to_str().unwrap(),
    ]);
    let header_path = model.join("model.json");
    let original = std::fs::read_to_string(&header_path).unwrap();
    let mut h: Value = serde_json::from_str(&original).unwrap();
    h["kind"] = "wavelet".into();
    std::fs::write(&header_path, h.to_string()).unwrap();
    let err = input_error(&["score", model.to_str().unwrap(), wine.to_str().unwrap()]);
    assert!(err.contains("unknown model kind 'wavelet'") && err.lines().count() == 1, "{err}");
    let mut h: Value = serde_json::from_str(&original).unwrap();
    h["version"] = 7.into();
    std::fs::write(&header_path, h.to_string()).unwrap();
    let err = input_error(&["score", model.to_str().unwrap(), wine.to_str().unwrap()]);
    assert!(err.contains("version 7 is not supported") && err.contains("pca"), "{err}");
}
