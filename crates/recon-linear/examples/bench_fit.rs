//! Times one fit on a `.npy` matrix, for `tools/bench_linear.py` (load time excluded).
//!
//! `cargo run --release -p recon-linear --example bench_fit -- exact|randomized FILE.npy K REPS`
//! prints one JSON line: best seconds over REPS and the leading singular values.

use std::time::Instant;

use recon_core::data::{load_table, LoadOptions};
use recon_core::Fit;
use recon_linear::{PcaParams, RandomizedParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        return Err("usage: bench_fit exact|randomized FILE.npy K REPS".into());
    }
    let (method, path, k, reps) = (&args[1], &args[2], args[3].parse::<usize>()?, args[4].parse::<usize>()?);
    let data = load_table(path.as_ref(), &LoadOptions::default())?.dataset;
    let mut best = f64::INFINITY;
    let mut s = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let pca = match method.as_str() {
            "exact" => PcaParams::new().fit(&data)?,
            "randomized" => PcaParams::new()
                .n_components(k)
                .randomized(RandomizedParams { oversample: 10, n_iter: Some(4), seed: 0 })
                .fit(&data)?,
            m => return Err(format!("unknown method {m}").into()),
        };
        best = best.min(t.elapsed().as_secs_f64());
        s = pca.singular_values()[..k].to_vec();
    }
    println!("{}", serde_json::json!({ "method": method, "seconds": best, "singular_values": s }));
    Ok(())
}
