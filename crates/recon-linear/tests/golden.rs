//! Golden values: PCA of data/digits.csv and data/wine.csv against numpy / scikit-learn.
//! Expected values from `tools/make_fixtures.py` (scikit-learn `PCA(svd_solver="full")`,
//! `numpy.linalg.svd` and explicit reconstructions), stored in tests/fixtures/pca_golden.json.

use std::path::Path;

use recon_core::data::{load_table, LoadOptions};
use recon_core::{Dataset, Fit, Reconstruct};
use recon_linear::{PcaParams, RandomizedParams, StreamingPca};
use serde_json::Value;

fn fixture() -> Value {
    let s =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pca_golden.json")).unwrap();
    serde_json::from_str(&s).unwrap()
}

fn vec(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn load(set: &Value, label: &str) -> Dataset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(set["path"].as_str().unwrap());
    let opts = LoadOptions { label_col: Some(label.into()), ..Default::default() };
    load_table(&path, &opts).unwrap().dataset
}

/// `|a − b| ≤ rel·|b| + abs`.
#[track_caller]
fn close(a: &[f64], b: &[f64], rel: f64, abs: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= rel * y.abs() + abs, "{what}[{i}]: {x} vs {y}");
    }
}

fn check_set(name: &str, label: &str) {
    let fx = fixture();
    let g = &fx[name];
    let data = load(g, label);
    assert_eq!(data.n_rows(), g["n_rows"].as_u64().unwrap() as usize);
    assert_eq!(data.n_cols(), g["n_cols"].as_u64().unwrap() as usize);
    let pca = PcaParams::new().fit(&data).unwrap();
    let s_ref = vec(&g["singular_values"]);
    let floor = 1e-12 * s_ref[0];
    close(pca.singular_values(), &s_ref, 1e-9, floor, "singular values");
    close(&pca.explained_variance(), &vec(&g["explained_variance"]), 1e-9, floor * floor, "explained variance");
    close(
        &pca.explained_variance_ratio(),
        &vec(&g["explained_variance_ratio"]),
        1e-9,
        1e-15,
        "explained variance ratio",
    );
    close(pca.mean(), &vec(&g["mean"]), 1e-12, 1e-12, "mean");
    let k = data.n_cols().min(data.n_rows());
    close(
        &pca.error_curve(k).unwrap().relative_squared_error,
        &vec(&g["relative_squared_error"]),
        1e-9,
        1e-13,
        "error curve",
    );
    // Components up to sign, for components with a non-negligible, separated singular value.
    let comps = g["components"].as_array().unwrap();
    let mut checked = 0;
    for (r, row) in comps.iter().enumerate() {
        let gap = [r.checked_sub(1).map(|q| s_ref[q] - s_ref[r]), s_ref.get(r + 1).map(|n| s_ref[r] - n)]
            .into_iter()
            .flatten()
            .fold(f64::INFINITY, f64::min);
        if s_ref[r] < 1e-6 * s_ref[0] || gap < 1e-2 * s_ref[r] {
            continue;
        }
        let want = vec(row);
        let got: Vec<f64> = (0..want.len()).map(|j| pca.components()[(r, j)]).collect();
        let sign = if got.iter().zip(&want).map(|(a, b)| a * b).sum::<f64>() < 0.0 { -1.0 } else { 1.0 };
        let got: Vec<f64> = got.iter().map(|v| sign * v).collect();
        close(&got, &want, 0.0, 1e-7, &format!("component {r}"));
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} components were comparable");
    // Standardised PCA against StandardScaler + PCA.
    let sc = PcaParams::new().scale(true).fit(&data).unwrap();
    let ss = vec(&g["scaled_singular_values"]);
    close(sc.singular_values(), &ss, 1e-9, 1e-12 * ss[0], "scaled singular values");
    close(&sc.explained_variance_ratio(), &vec(&g["scaled_explained_variance_ratio"]), 1e-9, 1e-15, "scaled ratio");
    for (r, row) in g["scaled_components"].as_array().unwrap().iter().enumerate().take(3) {
        let want = vec(row);
        let dot: f64 = want.iter().enumerate().map(|(j, w)| w * sc.components()[(r, j)]).sum();
        assert!((dot.abs() - 1.0).abs() < 1e-9, "scaled component {r}: |cos| {}", dot.abs());
    }
    let mut acc = StreamingPca::new(data.n_cols(), true).with_scale(true);
    acc.update(data.x.as_ref()).unwrap();
    close(acc.finish(None).unwrap().singular_values(), &ss, 1e-7, 1e-6 * ss[0], "streaming scaled σ");
    // Uncentred truncated SVD.
    let svd = PcaParams::new().center(false).fit(&data).unwrap();
    close(svd.singular_values(), &vec(&g["uncentered_singular_values"]), 1e-9, floor, "uncentred singular values");
    close(
        &svd.error_curve(k).unwrap().relative_squared_error,
        &vec(&g["uncentered_relative_squared_error"]),
        1e-9,
        1e-13,
        "uncentred curve",
    );
    // Rank-3 residuals per row and per column, and the transform of the first rows (up to sign).
    let p3 = PcaParams::new().n_components(3).fit(&data).unwrap();
    let re = vec(&g["rank3_row_errors"]);
    let scale = re.iter().cloned().fold(0.0, f64::max);
    close(&p3.row_errors(data.x.as_ref()).unwrap(), &re, 1e-8, 1e-10 * scale, "row errors");
    close(&p3.col_errors(data.x.as_ref()).unwrap(), &vec(&g["rank3_col_errors"]), 1e-8, 1e-10 * scale, "col errors");
    let z = p3.encode(data.x.as_ref().subrows(0, 5)).unwrap();
    for (i, row) in g["rank3_transform_first_rows"].as_array().unwrap().iter().enumerate() {
        let want = vec(row);
        for (c, w) in want.iter().enumerate() {
            assert!((z[(i, c)].abs() - w.abs()).abs() <= 1e-8 * w.abs().max(1.0), "transform [{i},{c}]");
        }
    }
}

#[test]
fn digits_matches_scikit_learn() {
    check_set("digits", "label");
}

#[test]
fn wine_matches_scikit_learn() {
    check_set("wine", "cultivar");
}

#[test]
fn streaming_and_randomized_agree_with_scikit_learn_on_digits() {
    let fx = fixture();
    let g = &fx["digits"];
    let data = load(g, "label");
    let s_ref = vec(&g["singular_values"]);
    let mut acc = StreamingPca::new(data.n_cols(), true);
    for start in (0..data.n_rows()).step_by(100) {
        let rows = (data.n_rows() - start).min(100);
        acc.update(data.x.as_ref().subrows(start, rows)).unwrap();
    }
    let stream = acc.finish(Some(20)).unwrap();
    close(stream.singular_values(), &s_ref[..20], 1e-9, 0.0, "streaming σ");
    // Randomized: digits' spectrum decays slowly; with 7 power iterations the top 10 are within 1e-4.
    let rnd = PcaParams::new().n_components(10).randomized(RandomizedParams::new(7)).fit(&data).unwrap();
    close(rnd.singular_values(), &s_ref[..10], 1e-4, 0.0, "randomized σ");
}
