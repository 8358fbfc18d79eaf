//! Cross-validated control limits keep their promise on fresh normal data where limits taken
//! from the training rows do not: with few rows for the number of variables, the training rows'
//! own T² and SPE are optimistic (the model was fitted to them), so their quantiles are too low.
//!
//! Planted truth: rows from a k-factor model plus independent noise, either independent in time
//! (Gaussian) or with AR(1) factors (autocorrelated, as plant data are). Fresh rows come from the
//! same process; the false-alarm rate on them is compared with the target α.

use faer::Mat;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_core::{Dataset, Fit};
use recon_linear::{AlarmStatistic, Components, LimitMethod, PcaMonitorParams};

const D: usize = 40;
const K: usize = 4;

/// `n` rows of a K-factor model in D variables (loadings drawn from one fixed seed), factors AR(1)
/// with coefficient `phi` (0: independent rows), noise sd 0.5.
fn rows(n: usize, phi: f64, seed: u64) -> Mat<f64> {
    let d = D;
    let mut lr = StdRng::seed_from_u64(1000);
    let w: Vec<f64> = (0..K * d).map(|_| StandardNormal.sample(&mut lr)).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut f = [0.0f64; K];
    let innovation = (1.0 - phi * phi).sqrt();
    let mut x = Mat::zeros(n, d);
    for i in 0..n {
        for v in f.iter_mut() {
            let e: f64 = StandardNormal.sample(&mut rng);
            *v = phi * *v + innovation * e;
        }
        for j in 0..d {
            let noise: f64 = StandardNormal.sample(&mut rng);
            x[(i, j)] = (0..K).map(|c| f[c] * w[c * d + j]).sum::<f64>() + 0.5 * noise;
        }
    }
    x
}

fn fresh_rate(method: LimitMethod, stat: AlarmStatistic, train: &Mat<f64>, fresh: &Mat<f64>, alpha: f64) -> f64 {
    let m = PcaMonitorParams::new(Components::Fixed(K))
        .alpha(alpha)
        .limits(method)
        .statistic(stat)
        .fit(&Dataset::from_mat(train.clone()))
        .unwrap();
    let s = m.score(fresh.as_ref()).unwrap();
    s.score.iter().filter(|&&v| v > 1.0).count() as f64 / fresh.nrows() as f64
}

#[test]
fn cv_limits_hold_on_fresh_normal_data_where_training_row_limits_do_not() {
    let (n, alpha, seeds) = (200usize, 0.05f64, 16u64);
    // The combined index is one statistic with one limit at α. The classic rule (either
    // statistic above its own limit at α) promises about 1 − (1 − α)² (at most 2α).
    for (stat, target) in [(AlarmStatistic::Combined, alpha), (AlarmStatistic::Either, 1.0 - (1.0 - alpha).powi(2))] {
        for (name, phi) in [("gaussian", 0.0f64), ("autoregressive", 0.5)] {
            // Tolerance: three standard errors of the mean over the seeds of a conformal quantile
            // from n out-of-fold scores — a binomial proportion over the effective number of
            // rows, n(1 − φ)/(1 + φ) for AR(1) rows — plus 0.005 for the fresh measurement.
            let n_eff = n as f64 * (1.0 - phi) / (1.0 + phi);
            let tol = 3.0 * (target * (1.0 - target) / n_eff).sqrt() / (seeds as f64).sqrt() + 0.005;
            let (mut cv, mut empirical) = (0.0, 0.0);
            for seed in 0..seeds {
                let train = rows(n, phi, 20 + seed);
                let fresh = rows(20_000, phi, 200 + seed);
                cv += fresh_rate(LimitMethod::Cv, stat, &train, &fresh, alpha) / seeds as f64;
                empirical += fresh_rate(LimitMethod::Empirical, stat, &train, &fresh, alpha) / seeds as f64;
            }
            eprintln!("{stat:?} {name}: cv {cv:.4}, training rows {empirical:.4}, target {target:.4} ± {tol:.4}");
            assert!(
                (cv - target).abs() <= tol,
                "{stat:?} {name}: cv limits give {cv:.4} on average, target {target:.4} ± {tol:.4}"
            );
            assert!(
                empirical > target + tol,
                "{stat:?} {name}: training-row limits give {empirical:.4}, within {target:.4} ± {tol:.4}"
            );
        }
    }
}

#[test]
fn the_analytical_combined_limit_holds_on_gaussian_rows() {
    // With many training rows the sampling error of the model is small and the Box
    // approximation of the combined index's distribution is what is tested: Gaussian rows of the
    // factor model, 3 seeds, 20,000 fresh rows each, α = 0.01 and 0.05; tolerance 25% of α
    // (the approximation matches two moments, not the tail).
    for alpha in [0.01f64, 0.05] {
        let mut rate = 0.0;
        for seed in 0..3 {
            let train = rows(5000, 0.0, 40 + seed);
            let fresh = rows(20_000, 0.0, 400 + seed);
            rate += fresh_rate(LimitMethod::Analytical, AlarmStatistic::Combined, &train, &fresh, alpha) / 3.0;
        }
        eprintln!("analytical combined limit at {alpha}: {rate:.4} on fresh rows");
        assert!((rate - alpha).abs() <= 0.25 * alpha, "α {alpha}: {rate:.4}");
    }
}

#[test]
fn the_cv_estimate_and_its_interval_are_recorded_and_too_few_rows_are_refused() {
    let train = rows(200, 0.0, 5);
    let m = PcaMonitorParams::new(Components::Fixed(K))
        .alpha(0.05)
        .limits(LimitMethod::Cv)
        .fit(&Dataset::from_mat(train.clone()))
        .unwrap();
    let l = m.limits();
    assert_eq!(l.method, LimitMethod::Cv);
    let cv = l.cv.expect("a cv estimate");
    assert_eq!(cv.folds, 5);
    assert!(cv.interval[0] <= cv.false_alarm_rate && cv.false_alarm_rate <= cv.interval[1]);
    // The interval is Clopper–Pearson: at its ends the binomial tails, summed term by term
    // (independently of the Beta quantiles that compute them), are 2.5% each.
    let (x, n) = (7usize, 200usize);
    let [lo, hi] = recon_linear::clopper_pearson(x, n, 0.05);
    let ln_choose = |k: usize| -> f64 { (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum() };
    let pmf = |k: usize, p: f64| (ln_choose(k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp();
    let upper_tail: f64 = (x..=n).map(|k| pmf(k, lo)).sum();
    let lower_tail: f64 = (0..=x).map(|k| pmf(k, hi)).sum();
    assert!((upper_tail - 0.025).abs() < 1e-9 && (lower_tail - 0.025).abs() < 1e-9, "{upper_tail} {lower_tail}");
    // The folds and the estimate survive the model file.
    let dir = tempfile::tempdir().unwrap();
    let cols: Vec<String> = (0..D).map(|j| format!("v{j}")).collect();
    m.save(dir.path(), &cols).unwrap();
    assert_eq!(recon_linear::PcaMonitor::load(dir.path()).unwrap().0.limits(), l);
    // Fewer rows than folds × (components + 2), and fewer than 2 folds: refused as bad input.
    let few = rows(20, 0.0, 6);
    let e =
        PcaMonitorParams::new(Components::Fixed(K)).limits(LimitMethod::Cv).fit(&Dataset::from_mat(few)).unwrap_err();
    assert!(e.is_input_error() && e.to_string().contains("folds"), "{e}");
    let e = PcaMonitorParams::new(Components::Fixed(K))
        .limits(LimitMethod::Cv)
        .folds(1)
        .fit(&Dataset::from_mat(train))
        .unwrap_err();
    assert!(e.is_input_error(), "{e}");
}

#[test]
fn spe_limits_stay_above_the_mean_when_the_residual_spectrum_spreads() {
    // Equal residual eigenvalues λ (m of them): SPE is exactly λ·χ²_m, and both approximations
    // give its quantile.
    let (lam, m, k, n, alpha) = (0.7f64, 30usize, 3usize, 1000usize, 0.05);
    let sv = |l: f64| (l * (n as f64 - 1.0)).sqrt();
    let mut spectrum = vec![sv(10.0), sv(8.0), sv(6.0)];
    spectrum.extend(std::iter::repeat_n(sv(lam), m));
    let l = recon_linear::control_limits(&spectrum, k, n, alpha).unwrap();
    let exact = lam
        * statrs::distribution::ContinuousCDF::inverse_cdf(
            &statrs::distribution::ChiSquared::new(m as f64).unwrap(),
            1.0 - alpha,
        );
    assert!((l.spe - exact).abs() < 0.02 * exact, "{} vs {exact}", l.spe);
    // A spread spectrum where h₀ ≤ 0: the limit is still above the mean SPE θ₁.
    // Spread spectra (the sample eigenvalues of many variables): the limit stays above the mean
    // SPE θ₁, where Jackson–Mudholkar alone can fall below it.
    for decay in [0.97f64, 0.93, 0.85, 0.7] {
        let spread: Vec<f64> = (0..80).map(|i| sv(if i < 3 { 10.0 } else { 3.0 * decay.powi(i - 3) })).collect();
        let theta1: f64 = spread[3..].iter().map(|s| s * s / (n as f64 - 1.0)).sum();
        let l = recon_linear::control_limits(&spread, 3, n, alpha).unwrap();
        assert!(l.spe > theta1, "decay {decay}: SPE limit {} below the mean {theta1}", l.spe);
    }
}
