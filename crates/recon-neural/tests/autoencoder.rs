//! The autoencoder monitor on planted ground truth: rows on a 2-D plane in 6-D (with noise)
//! are reconstructed far better than their variance; rows pushed off the plane are alarmed;
//! seeds reproduce; model files round-trip and bad ones are refused with a clear error.

use faer::Mat;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;
use recon_core::{Dataset, Fit};
use recon_neural::{Autoencoder, AutoencoderParams, TrainConfig, Trainable};

/// n rows on one fixed random 2-D plane in 6-D plus noise of standard deviation `noise`.
fn plane(n: usize, noise: f64, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let mut plane_rng = StdRng::seed_from_u64(42);
    let basis = Mat::from_fn(2, 6, |_, _| plane_rng.sample::<f64, _>(StandardNormal));
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Mat::from_fn(n, 6, |_, _| 0.0);
    let mut x = x;
    for i in 0..n {
        let (a, b): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
        for j in 0..6 {
            x[(i, j)] = 3.0 + a * basis[(0, j)] + b * basis[(1, j)] + noise * rng.sample::<f64, _>(StandardNormal);
        }
    }
    (x, basis)
}

fn params() -> AutoencoderParams {
    AutoencoderParams::new(vec![16, 2])
        .training(TrainConfig::new().with_epochs(60).with_batch_size(32).with_learning_rate(3e-3).with_seed(11))
}

#[test]
fn learns_a_planted_plane_and_alarms_off_it() {
    let (x, _) = plane(1500, 0.05, 1);
    let ae = params().fit(&Dataset::from_mat(x)).unwrap();
    let log = ae.log();
    let best = log.val_loss[log.best_epoch - 1];
    // Standardised features have variance 1: a good model of the plane leaves a small fraction.
    assert!(best < 0.05, "validation loss {best}");
    assert!(log.train_loss.last().unwrap() < &log.train_loss[0]);
    // Fresh normal rows: the alarm rate is near the 1% target.
    let (fresh, _) = plane(4000, 0.05, 2);
    let t = ae.threshold().value;
    let far = ae.score(fresh.as_ref()).unwrap().iter().filter(|&&s| s > t).count() as f64 / 4000.0;
    assert!(far < 0.03, "false-alarm rate {far}");
    // Rows pushed off the plane along one axis are all alarmed.
    let mut off = fresh.clone();
    for i in 0..200 {
        off[(i, 3)] += 4.0;
    }
    let s = ae.score(off.as_ref()).unwrap();
    let caught = s[..200].iter().filter(|&&v| v > t).count();
    assert!(caught >= 195, "{caught} of 200 shifted rows alarmed");
    // The residual points at the shifted variable.
    let r = ae.evaluate(off.as_ref()).unwrap().residuals;
    let mean_abs = |j: usize| (0..200).map(|i| r[(i, j)].abs()).sum::<f64>();
    assert!((0..6).filter(|&j| j != 3).all(|j| mean_abs(3) > mean_abs(j)));
}

#[test]
fn same_seed_same_model_other_seed_other_model() {
    let (x, _) = plane(300, 0.1, 3);
    let data = Dataset::from_mat(x.clone());
    let p = params().epochs(5);
    let a = p.fit(&data).unwrap().score(x.as_ref()).unwrap();
    let b = p.fit(&data).unwrap().score(x.as_ref()).unwrap();
    assert_eq!(a, b);
    let c = p.clone().seed(12).fit(&data).unwrap().score(x.as_ref()).unwrap();
    assert_ne!(a, c);
}

#[test]
fn dropout_trains_and_is_reproducible() {
    let (x, _) = plane(300, 0.1, 4);
    let data = Dataset::from_mat(x.clone());
    let p = params().epochs(5).dropout(0.2);
    let a = p.fit(&data).unwrap().score(x.as_ref()).unwrap();
    let b = p.fit(&data).unwrap().score(x.as_ref()).unwrap();
    assert_eq!(a, b);
    assert!(a.iter().all(|v| v.is_finite()));
}

#[test]
fn model_files_round_trip_and_bad_ones_are_refused() {
    let (x, _) = plane(300, 0.1, 5);
    let ae = params().epochs(5).fit(&Dataset::from_mat(x.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cols: Vec<String> = (0..6).map(|j| format!("c{j}")).collect();
    ae.save(dir.path(), &cols).unwrap();
    let (back, names) = Autoencoder::load(dir.path()).unwrap();
    assert_eq!(names, cols);
    assert_eq!(back.score(x.as_ref()).unwrap(), ae.score(x.as_ref()).unwrap());
    assert_eq!(back.threshold(), ae.threshold());

    let header = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    let weights = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    let expect_err = |json: &str, w: &[u8], needle: &str| {
        let bad = tempfile::tempdir().unwrap();
        std::fs::write(bad.path().join("model.json"), json).unwrap();
        std::fs::write(bad.path().join("model.safetensors"), w).unwrap();
        let _ = recon_core::model::reseal(bad.path()); // edits on purpose: the fields are what is tested
        let e = Autoencoder::load(bad.path()).unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
        assert!(recon_neural::Autoencoder::load(bad.path()).unwrap_err().is_input_error());
    };
    expect_err(&header, &weights[..weights.len() / 2], "corrupt or truncated");
    expect_err(&header.replace("\"version\": 1", "\"version\": 7"), &weights, "version 7");
    expect_err(&header.replace("\"kind\": \"autoencoder\"", "\"kind\": \"pca\""), &weights, "kind");
    expect_err(
        &header.replace("\"hidden\": [\n    16,\n    2\n  ]", "\"hidden\": [\n    16,\n    3\n  ]"),
        &weights,
        "shape",
    );
    expect_err("{ not json", &weights, "model.json");
    // An edit that is not resealed: the checksum catches it.
    let edited = tempfile::tempdir().unwrap();
    let reindented = header.replace("\n  ", "\n    ") + "\n";
    assert_ne!(reindented, header, "the edit changes the bytes");
    std::fs::write(edited.path().join("model.json"), reindented).unwrap();
    std::fs::write(edited.path().join("model.safetensors"), &weights).unwrap();
    assert!(Autoencoder::load(edited.path()).is_ok(), "whitespace is not an edit");
    let mut flipped = weights.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x10;
    std::fs::write(edited.path().join("model.safetensors"), &flipped).unwrap();
    let e = Autoencoder::load(edited.path()).unwrap_err().to_string();
    assert!(e.contains("checksum"), "{e}");
    // Data with the wrong number of columns.
    let e = ae.score(x.as_ref().subcols(0, 5)).unwrap_err().to_string();
    assert!(e.contains("5 columns"), "{e}");
}

#[test]
fn constant_columns_are_centred_not_divided_by_zero() {
    let (x, _) = plane(300, 0.1, 6);
    let x = Mat::from_fn(300, 7, |i, j| if j < 6 { x[(i, j)] } else { 4.2 });
    let ae = AutoencoderParams::new(vec![8, 2]).epochs(3).fit(&Dataset::from_mat(x.clone())).unwrap();
    assert_eq!(ae.constant_columns(), &[6]);
    assert!(ae.score(x.as_ref()).unwrap().iter().all(|v| v.is_finite()));
}

#[test]
fn impossible_settings_are_refused() {
    let (x, _) = plane(300, 0.1, 7);
    let data = Dataset::from_mat(x);
    for (p, needle) in [
        (AutoencoderParams::new(vec![8, 6]), "bottleneck"),
        (AutoencoderParams::new(vec![]), "hidden"),
        (AutoencoderParams::new(vec![4, 2]).dropout(1.0), "dropout"),
        (AutoencoderParams::new(vec![4, 2]).training(TrainConfig::new().with_learning_rate(-1.0)), "learning rate"),
        (AutoencoderParams::new(vec![4, 2]).target_far(0.7), "false-alarm"),
    ] {
        let e = p.fit(&data).unwrap_err();
        assert!(e.is_input_error() && e.to_string().contains(needle), "{e}");
    }
    let tiny = Dataset::from_mat(Mat::from_fn(5, 6, |i, j| (i * j) as f64));
    assert!(AutoencoderParams::new(vec![4, 2]).fit(&tiny).is_err());
}

/// The blocked scoring path gives exactly the scores of the full evaluation (residuals and all),
/// across block boundaries (5,000 rows = 2 full blocks and a partial one).
#[test]
fn blocked_scores_equal_the_full_evaluation() {
    let (x, _) = plane(300, 0.1, 7);
    let ae = params().epochs(3).fit(&Dataset::from_mat(x)).unwrap();
    let (y, _) = plane(5000, 0.3, 8);
    let fast = ae.score(y.as_ref()).unwrap();
    let full = ae.evaluate(y.as_ref()).unwrap();
    assert_eq!(fast, full.score);
    let i = 4321;
    let by_hand = (0..6).map(|j| full.residuals[(i, j)].powi(2)).sum::<f64>() / 6.0;
    assert_eq!(fast[i], by_hand);
}

/// `n` rows of a 2-factor model in 6 variables whose factors are AR(1) with coefficient 0.5
/// (time-ordered, autocorrelated rows, as plant data are), noise sd 0.3.
fn autoregressive(n: usize, seed: u64) -> Mat<f64> {
    let mut lr = StdRng::seed_from_u64(500);
    let w = Mat::from_fn(2, 6, |_, _| lr.sample::<f64, _>(StandardNormal));
    let mut rng = StdRng::seed_from_u64(seed);
    let (phi, mut f) = (0.5f64, [0.0f64; 2]);
    let mut x = Mat::zeros(n, 6);
    for i in 0..n {
        for v in f.iter_mut() {
            *v = phi * *v + (1.0 - phi * phi).sqrt() * rng.sample::<f64, _>(StandardNormal);
        }
        for j in 0..6 {
            x[(i, j)] = f[0] * w[(0, j)] + f[1] * w[(1, j)] + 0.3 * rng.sample::<f64, _>(StandardNormal);
        }
    }
    x
}

/// Out-of-fold thresholds (contiguous folds) keep the promised false-alarm rate on fresh rows
/// of the same process, within a binomial tolerance, averaged over seeds; the estimate the
/// fit records brackets the target. Seeds and sizes not used to choose anything.
#[test]
fn out_of_fold_thresholds_hold_on_fresh_rows() {
    let (n, alpha) = (600, 0.05);
    let fresh = autoregressive(20_000, 999);
    let (mut rates, mut holdout) = (Vec::new(), Vec::new());
    for seed in 0..4u64 {
        let x = autoregressive(n, 100 + seed);
        let params = AutoencoderParams::new(vec![8, 2]).target_far(alpha).seed(seed);
        let one = params.clone().fit(&Dataset::from_mat(x.clone())).unwrap();
        let s = one.score(fresh.as_ref()).unwrap();
        holdout.push(s.iter().filter(|&&v| v > one.threshold().value).count() as f64 / s.len() as f64);
        let ae = params.cv_folds(5).fit(&Dataset::from_mat(x)).unwrap();
        let t = ae.threshold();
        let cv = t.cv.expect("out-of-fold thresholds record their estimate");
        assert!(t.method.starts_with("cv-") && cv.folds == 5);
        assert!(cv.interval[0] <= alpha && alpha <= cv.interval[1], "{cv:?}");
        let s = ae.score(fresh.as_ref()).unwrap();
        rates.push(s.iter().filter(|&&v| v > t.value).count() as f64 / s.len() as f64);
    }
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    // A conformal quantile of n autocorrelated scores: effective size about n(1 − φ)/(1 + φ);
    // three standard errors of the mean of four seeds.
    let n_eff = n as f64 * 0.5 / 1.5;
    let tol = 3.0 * (alpha * (1.0 - alpha) / n_eff / rates.len() as f64).sqrt();
    let mean_holdout = holdout.iter().sum::<f64>() / holdout.len() as f64;
    eprintln!(
        "out-of-fold thresholds: fresh false-alarm rates {rates:?}, mean {mean:.4}, target {alpha} ± {tol:.4}; \
         random held-out rows: {holdout:?}, mean {mean_holdout:.4}"
    );
    assert!((mean - alpha).abs() <= tol, "mean {mean} vs {alpha} ± {tol}");
    // The random validation rows (which also chose the epoch, and have neighbours in the
    // training rows) promise less well.
    assert!((mean_holdout - alpha).abs() > (mean - alpha).abs(), "held-out rows {mean_holdout} vs {mean}");
}

/// Contaminated training rows (planted truth): 8% of the rows of the plane moved off it as one
/// cluster. An autoencoder fitted on all rows learns to rebuild the cluster; with
/// `contamination(Auto)` the first round scores every row out of fold and the refit leaves the
/// cluster out, so the planted rows rank higher and the estimate finds their share.
#[test]
fn trimmed_fits_find_a_planted_cluster_of_outliers() {
    let (mut x, _) = plane(600, 0.05, 21);
    let mut rng = StdRng::seed_from_u64(22);
    let dir: Vec<f64> = (0..6).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
    let truth: Vec<bool> = (0..600).map(|i| i % 12 == 5).collect();
    for i in (0..600).filter(|&i| truth[i]) {
        for j in 0..6 {
            x[(i, j)] += 0.6 * dir[j];
        }
    }
    let data = Dataset::from_mat(x.clone());
    // A bottleneck of 3 for a plane of 2: room to learn the cluster when it is trained on.
    let params = AutoencoderParams::new(vec![16, 3]).seed(5);
    let ap = |ae: &Autoencoder| {
        recon_core::ruler::precision_recall(&ae.score(x.as_ref()).unwrap(), &truth).average_precision
    };
    let plain = params.clone().fit(&data).unwrap();
    let robust = params.contamination(recon_core::ruler::Contamination::Auto).fit(&data).unwrap();
    let t = robust.threshold().trimmed.expect("a trimmed fit says so");
    eprintln!(
        "planted 50 of 600: left out {} ({:.3}); AP {:.3} trimmed vs {:.3} on all rows",
        t.rows_dropped,
        t.fraction,
        ap(&robust),
        ap(&plain)
    );
    assert!(ap(&robust) > ap(&plain), "{} vs {}", ap(&robust), ap(&plain));
    assert!(t.fraction > 0.5 * 50.0 / 600.0 && t.fraction < 2.0 * 50.0 / 600.0, "{t:?}");
    let alarming = t.left_out_alarming.expect("rows were left out");
    eprintln!("share of the left-out rows alarming under the final threshold: {alarming:.3}");
    assert!(alarming > 0.0 && alarming <= 1.0, "{t:?}");
    let far = t.far_if_left_out_normal(None, 0.01).unwrap();
    assert!((far - ((1.0 - t.fraction) * 0.01 + t.fraction * alarming)).abs() < 1e-12);
}
