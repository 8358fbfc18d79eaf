//! Rows, Parquet parts and options shared by the engine tests here and the Ballista tests
//! (`crates/recon-ballista/tests`), which include this file by path.
#![allow(dead_code)]

use std::path::Path;

use faer::Mat;
use rand::{Rng, SeedableRng};
use recon::Dataset;
use recon_core::data::{write_parquet_columns, Column, LoadOptions};

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
