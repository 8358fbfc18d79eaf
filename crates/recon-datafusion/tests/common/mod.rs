//! Rows, Parquet parts and options shared by the engine tests here and the Ballista tests
//! (`crates/recon-ballista/tests`), which include this file by path.
#![allow(dead_code)]

use std::path::Path;

use faer::Mat;
use rand::{Rng, SeedableRng};
use recon::Dataset;
use recon_core::data::{write_parquet_columns, Column, LoadOptions};
use recon_linear::PcaMonitor;

pub const COLS: [&str; 5] = ["a", "b", "c", "d", "e"];

/// Rows of a 2-factor model in 5 columns with an offset and unequal scales (seeded).
pub fn rows(n: usize, seed: u64) -> Mat<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut g = || -> f64 { (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0 };
    let mut x = Mat::zeros(n, 5);
    for i in 0..n {
        let (f1, f2) = (g(), g());
        let load = [[1.0, 0.2], [0.8, -0.5], [0.1, 1.2], [-0.6, 0.4], [0.3, 0.3]];
        for j in 0..5 {
            x[(i, j)] = 10.0 * (j as f64 + 1.0) + (j as f64 + 1.0) * (load[j][0] * f1 + load[j][1] * f2) + 0.3 * g();
        }
    }
    x
}

/// Writes `x` as `parts` Parquet files in `dir` (a `row` column first, then the features).
pub fn write_parts(dir: &Path, x: &Mat<f64>, parts: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let n = x.nrows();
    for p in 0..parts {
        let (lo, hi) = (p * n / parts, (p + 1) * n / parts);
        let mut cols = vec![("row".to_string(), Column::U64((lo as u64..hi as u64).collect()))];
        for (j, c) in COLS.iter().enumerate() {
            cols.push((c.to_string(), Column::F64((lo..hi).map(|i| x[(i, j)]).collect())));
        }
        write_parquet_columns(&dir.join(format!("part-{p:02}.parquet")), cols).unwrap();
    }
}

pub fn dataset(x: &Mat<f64>) -> Dataset {
    Dataset { x: x.clone(), columns: COLS.iter().map(|c| c.to_string()).collect(), labels: None, groups: None }
}

pub fn features() -> LoadOptions {
    LoadOptions { columns: Some(COLS.iter().map(|c| c.to_string()).collect()), ..Default::default() }
}

pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// The monitor fitted from statistics `m` is the in-memory fit `mem` to rounding: singular
/// values and curve to 1e-10 relative (the zero last point to 1e-14), components up to sign,
/// limits.
pub fn assert_same_monitor(m: &PcaMonitor, mem: &PcaMonitor) {
    let (a, b) = (m.pca(), mem.pca());
    assert_eq!(a.n_components(), b.n_components());
    for (s, t) in a.spectrum().iter().zip(b.spectrum()) {
        assert!(rel(*s, *t) < 1e-10, "singular value {s} vs {t}");
    }
    let d = a.components().ncols();
    let (ca, cb) = (a.error_curve(d).unwrap(), b.error_curve(d).unwrap());
    for (s, t) in ca.relative_squared_error.iter().zip(&cb.relative_squared_error) {
        assert!((s - t).abs() <= 1e-10 * t.abs() + 1e-14, "curve {s} vs {t}");
    }
    for r in 0..a.n_components() {
        let dot: f64 = (0..d).map(|j| a.components()[(r, j)] * b.components()[(r, j)]).sum();
        assert!((dot.abs() - 1.0).abs() < 1e-9, "component {r}: |cos| = {}", dot.abs());
    }
    let (la, lb) = (m.limits(), mem.limits());
    assert!(rel(la.t2, lb.t2) < 1e-12 && rel(la.spe, lb.spe) < 1e-9, "limits {la:?} vs {lb:?}");
    assert!(rel(la.combined.unwrap(), lb.combined.unwrap()) < 1e-9);
}
