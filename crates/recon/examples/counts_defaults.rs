//! Planted single-gene outliers in simulated counts: average precision of the NB VAE (at the
//! training settings given) against PCA on log-normalised counts and on raw counts.
//!
//! `cargo run --release -p recon --example counts_defaults -- SAMPLES GENES SEED [EPOCHS PATIENCE LR BATCH]`
//! (training settings omitted: the VAE's defaults). Prints one line of tab-separated values.

use std::time::Instant;

use faer::Mat;
use recon::counts::{entries, log_normalised_pca_scores, raw_entry_scores};
use recon::likelihood::Likelihood;
use recon::ruler::precision_recall;
use recon::synth::counts::{simulate, CountParams};
use recon::{Dataset, Fit, Trainable, VaeParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    recon::fixed_parallelism();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let (n, g, seed): (usize, usize, u64) =
        (arg(0).unwrap_or("200").parse()?, arg(1).unwrap_or("500").parse()?, arg(2).unwrap_or("1").parse()?);
    let latent = 6;
    let p = CountParams { samples: n, genes: g, outlier_rate: 1e-3, outlier_z: 3.0, seed, ..Default::default() };
    let sim = simulate(&p, None)?;
    let mut truth = vec![false; n * g];
    for o in &sim.outliers {
        truth[o.sample * g + o.gene] = true;
    }
    let ap = |m: &Mat<f64>| precision_recall(&entries(m.as_ref()), &truth).average_precision;
    let pca_log = ap(&log_normalised_pca_scores(sim.x.as_ref(), latent, false)?);
    let pca_log_std = ap(&log_normalised_pca_scores(sim.x.as_ref(), latent, true)?);
    let raw = ap(&raw_entry_scores(sim.x.as_ref(), latent, true)?);

    let mut train = VaeParams::default_training().with_seed(seed + 100);
    if let Some(e) = arg(3) {
        train = train.with_epochs(e.parse()?);
    }
    if let Some(pat) = arg(4) {
        train = train.with_patience(pat.parse()?);
    }
    if let Some(lr) = arg(5) {
        train = train.with_learning_rate(lr.parse()?);
    }
    if let Some(b) = arg(6) {
        train = train.with_batch_size(b.parse()?);
    }
    let data = Dataset { x: sim.x.clone(), columns: sim.genes.clone(), labels: None, groups: None };
    let t = Instant::now();
    let vae = VaeParams::new(Likelihood::Nb, vec![128], latent).training(train).fit(&data)?;
    let secs = t.elapsed().as_secs_f64();
    let out = vae.evaluate(data.x.as_ref())?;
    let calls = vae.feature_calls(data.x.as_ref(), &out)?;
    let nb = Mat::from_fn(n, g, |i, j| -calls.p_value[(i, j)].max(1e-300).ln());
    let log = vae.log();
    println!(
        "n={n}\tg={g}\tseed={seed}\tvae_ap={:.3}\tpca_log={pca_log:.3}\tpca_log_std={pca_log_std:.3}\traw={raw:.3}\tepochs={}\tbest={}\tval={:.2}\t{}\tlr_cuts={:?}\t{secs:.1}s",
        ap(&nb),
        log.train_loss.len(),
        log.best_epoch,
        log.best_val_loss(),
        if log.converged { "converged" } else { "limit" },
        log.lr_reductions
    );
    Ok(())
}
