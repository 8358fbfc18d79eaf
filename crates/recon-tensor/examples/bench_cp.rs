//! Times CP-ALS sweeps, for `tools/bench_tensor.py`.
//!
//! `bench_cp dense N R SWEEPS` — an N × N × N tensor (planted rank R plus noise);
//! `bench_cp sparse USERS ITEMS DAYS NNZ R SWEEPS` — a simulated clickstream with about NNZ events.
//! Prints one JSON line: seconds per sweep (the data are built outside the timing).

use std::time::Instant;

use faer::Mat;
use rand::{rngs::StdRng, Rng, SeedableRng};
use recon_core::data::{DenseTensor, Tensor};
use recon_core::synth::clickstream::{simulate, ClickstreamParams};
use recon_tensor::{for_each_index, CpParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let arg =
        |i: usize| -> Result<usize, Box<dyn std::error::Error>> { Ok(a.get(i).ok_or("missing argument")?.parse()?) };
    let (t, rank, sweeps, nnz) = match a.get(1).map(String::as_str) {
        Some("dense") => {
            let (n, r) = (arg(2)?, arg(3)?);
            let mut rng = StdRng::seed_from_u64(0);
            let f: Vec<Mat<f64>> = (0..3).map(|_| Mat::from_fn(n, r, |_, _| rng.random::<f64>())).collect();
            let mut data = Vec::with_capacity(n * n * n);
            for_each_index(&[n, n, n], |i| {
                let v: f64 = (0..r).map(|c| f[0][(i[0], c)] * f[1][(i[1], c)] * f[2][(i[2], c)]).sum();
                data.push(v + 0.01 * rng.random::<f64>());
            });
            (Tensor::Dense(DenseTensor { shape: vec![n, n, n], data }), r, arg(4)?, n * n * n)
        }
        Some("sparse") => {
            let (u, i, d, nnz, r) = (arg(2)?, arg(3)?, arg(4)?, arg(5)?, arg(6)?);
            let density = nnz as f64 / (u as f64 * i as f64 * d as f64);
            let p = ClickstreamParams { users: u, items: i, days: d, patterns: r, density, seed: 0 };
            let sim = simulate(&p)?;
            let n = sim.tensor.nnz();
            (Tensor::Sparse(sim.tensor), r, arg(7)?, n)
        }
        _ => return Err("usage: bench_cp dense N R SWEEPS | sparse USERS ITEMS DAYS NNZ R SWEEPS".into()),
    };
    let start = Instant::now();
    let fit = CpParams::new(rank).max_iter(sweeps).tol(0.0).seed(1).fit(&t)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"nnz": nnz, "sweeps": fit.errors.len(), "seconds_per_sweep": secs / fit.errors.len() as f64, "error": fit.relative_error()})
    );
    Ok(())
}
