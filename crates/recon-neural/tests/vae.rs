//! The VAE on planted truth: simulated NB counts with injected single-gene outliers (seeds the
//! tests choose), and the model-file contract.

use faer::Mat;
use recon_core::synth::counts::{simulate, CountParams};
use recon_core::{Dataset, Fit};
use recon_neural::likelihood::Likelihood;
use recon_neural::{AutoencoderParams, TrainConfig, Trainable, Vae, VaeParams};

/// The VAE defaults with `epochs`, batch 32, learning rate 3e-3 and `seed`.
fn training(epochs: usize, seed: u64) -> TrainConfig {
    VaeParams::default_training().with_epochs(epochs).with_batch_size(32).with_learning_rate(3e-3).with_seed(seed)
}

/// Area under the precision–recall curve (average precision) of `scores` for `truth`.
fn average_precision(scores: &[f64], truth: &[bool]) -> f64 {
    recon_core::ruler::precision_recall(scores, truth).average_precision
}

fn counts(samples: usize, genes: usize, rate: f64, seed: u64) -> (Dataset, Vec<bool>) {
    let p = CountParams { samples, genes, programs: 3, outlier_rate: rate, outlier_z: 3.0, seed, ..Default::default() };
    let sim = simulate(&p, None).unwrap();
    let mut truth = vec![false; samples * genes];
    for o in &sim.outliers {
        truth[o.sample * genes + o.gene] = true;
    }
    let data = Dataset { x: sim.x, columns: sim.genes, labels: None, groups: None };
    (data, truth)
}

fn nb_vae() -> VaeParams {
    VaeParams::new(Likelihood::Nb, vec![64], 4).training(training(60, 1))
}

#[test]
fn nb_gene_calls_beat_squared_error_on_log_counts() {
    let (data, truth) = counts(300, 150, 4e-3, 11);
    let vae = nb_vae().fit(&data).unwrap();
    let out = vae.evaluate(data.x.as_ref()).unwrap();
    let calls = vae.feature_calls(data.x.as_ref(), &out).unwrap();
    let (n, d) = (data.n_rows(), data.n_cols());
    let nb_scores: Vec<f64> = (0..n * d).map(|t| -calls.p_value[(t / d, t % d)].max(1e-300).ln()).collect();

    // The squared-error ruler: an autoencoder of the same width on log1p counts.
    let logx = Mat::from_fn(n, d, |i, j| data.x[(i, j)].ln_1p());
    let ae = AutoencoderParams::new(vec![64, 4])
        .training(TrainConfig::new().with_epochs(60).with_batch_size(32).with_learning_rate(3e-3).with_seed(1));
    let ae = ae.fit(&Dataset::from_mat(logx.clone())).unwrap();
    let res = ae.evaluate(logx.as_ref()).unwrap().residuals;
    let mse_scores: Vec<f64> = (0..n * d).map(|t| res[(t / d, t % d)].powi(2)).collect();

    let (ap_nb, ap_mse) = (average_precision(&nb_scores, &truth), average_precision(&mse_scores, &truth));
    eprintln!(
        "{} planted outliers; AUPRC NB p-values {ap_nb:.3}, squared error on log counts {ap_mse:.3}",
        truth.iter().filter(|&&t| t).count()
    );
    assert!(ap_nb > ap_mse, "NB {ap_nb} vs MSE {ap_mse}");
    assert!(ap_nb > 0.3, "NB {ap_nb}");
    // FDR within a sample never below the p-value, z-scores finite.
    for i in 0..n {
        for j in 0..d {
            assert!(calls.fdr[(i, j)] >= calls.p_value[(i, j)] - 1e-15);
            assert!(calls.z[(i, j)].is_finite());
        }
    }
}

/// Sample p-values of fresh healthy samples are uniform. They are computed against the model's
/// reference set (m held-out samples), so the Kolmogorov–Smirnov distance of n fresh p-values from
/// the uniform is a two-sample distance: its 1% critical value is 1.63·√(1/n + 1/m).
#[test]
fn sample_p_values_are_uniform_on_healthy_samples() {
    // One table of 1,200 healthy samples: the model trains on the first 800 (holding out half:
    // 200 decide early stopping, 200 are the reference), the last 400 are fresh draws.
    let (all, _) = counts(1200, 60, 0.0, 21);
    let train = Dataset {
        x: all.x.as_ref().subrows(0, 800).to_owned(),
        columns: all.columns.clone(),
        labels: None,
        groups: None,
    };
    let vae = VaeParams::new(Likelihood::Nb, vec![32], 3).training(training(30, 2));
    let vae = vae.validation(0.5).fit(&train).unwrap();
    let fresh = all.x.as_ref().subrows(800, 400);
    let p = vae.sample_p_values(&vae.evaluate(fresh).unwrap().nll);
    let mut s = p.clone();
    s.sort_by(f64::total_cmp);
    let (n, m) = (s.len() as f64, vae.reference().len() as f64);
    let ks = s
        .iter()
        .enumerate()
        .map(|(k, &v)| (v - k as f64 / n).abs().max((v - (k + 1) as f64 / n).abs()))
        .fold(0.0, f64::max);
    let critical = 1.63 * (1.0 / n + 1.0 / m).sqrt();
    eprintln!(
        "KS distance of {n} healthy sample p-values against {m} reference samples: {ks:.3} (1% critical {critical:.3})"
    );
    assert!(ks < critical, "KS {ks}");
    // And the model's own training samples are not what it is calibrated on: the reference is
    // disjoint from them, so their p-values skew large (a sanity check of the direction).
    let seen = vae.sample_p_values(&vae.evaluate(all.x.as_ref().subrows(0, 400)).unwrap().nll);
    assert!(seen.iter().sum::<f64>() / 400.0 > 0.4);
}

#[test]
fn model_files_round_trip_and_bad_input_is_refused() {
    let (data, _) = counts(80, 30, 0.0, 3);
    let vae = VaeParams::new(Likelihood::Zinb, vec![16], 2).epochs(3).seed(4).fit(&data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    vae.save(dir.path(), &data.columns).unwrap();
    let (back, cols) = Vae::load(dir.path()).unwrap();
    assert_eq!(cols, data.columns);
    let (a, b) = (vae.evaluate(data.x.as_ref()).unwrap(), back.evaluate(data.x.as_ref()).unwrap());
    assert_eq!(a.nll, b.nll);
    assert_eq!(back.reference(), vae.reference());
    // Truncated weights, a corrupt header.
    let st = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&st).unwrap();
    std::fs::write(&st, &bytes[..bytes.len() / 2]).unwrap();
    assert!(Vae::load(dir.path()).is_err());
    std::fs::write(dir.path().join("model.json"), "{not json").unwrap();
    assert!(Vae::load(dir.path()).is_err());

    // Same seed, same model.
    let again = VaeParams::new(Likelihood::Zinb, vec![16], 2).epochs(3).seed(4).fit(&data).unwrap();
    assert_eq!(again.evaluate(data.x.as_ref()).unwrap().nll, a.nll);

    // Bad input: non-integer or negative counts, all-zero genes, too many latent dimensions.
    let frac = Dataset::from_mat(Mat::from_fn(10, 5, |i, j| (i + j) as f64 + 0.5));
    let e = VaeParams::new(Likelihood::Poisson, vec![4], 2).fit(&frac).unwrap_err().to_string();
    assert!(e.contains("non-negative integers"), "{e}");
    let zero_gene = Dataset::from_mat(Mat::from_fn(10, 5, |i, j| if j == 2 { 0.0 } else { (i + j) as f64 }));
    let e = VaeParams::new(Likelihood::Nb, vec![4], 2).fit(&zero_gene).unwrap_err().to_string();
    assert!(e.contains("zero in every sample"), "{e}");
    let e = VaeParams::new(Likelihood::Nb, vec![4], 5).fit(&data).err();
    assert!(e.is_none(), "5 latent dimensions for 30 genes is fine");
    let small = Dataset::from_mat(Mat::from_fn(10, 3, |i, j| (i * j + 1) as f64));
    let e = VaeParams::new(Likelihood::Nb, vec![4], 3).fit(&small).unwrap_err().to_string();
    assert!(e.contains("latent"), "{e}");
    let bern = Dataset::from_mat(Mat::from_fn(10, 3, |i, j| (i + j) as f64));
    assert!(VaeParams::new(Likelihood::Bernoulli, vec![4], 1).fit(&bern).is_err());
}
