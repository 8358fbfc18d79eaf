//! Multivariate statistical process control with PCA: a monitor trained on normal data raises an
//! alarm when a new sample's Hotelling T² (variation inside the model plane) or its squared
//! prediction error SPE/Q (distance from the plane) exceeds a control limit.
//!
//! With k retained components of the (standardised) training data, eigenvalues `λᵢ = σᵢ²/(n − 1)`
//! and scores `t = (x − μ) ⊘ s · V`:
//! - `T² = Σᵢ tᵢ²/λᵢ`, limit for a new observation (Tracy, Young & Mason 1992)
//!   `T²_α = k(n − 1)(n + 1) / (n(n − k)) · F_{1−α}(k, n − k)`;
//! - `SPE = ||(x − μ) ⊘ s − t Vᵀ||²`, limit by Jackson & Mudholkar (1979) from the residual
//!   eigenvalues `θ_p = Σ_{j>k} λ_jᵖ`, `h₀ = 1 − 2θ₁θ₃/(3θ₂²)`:
//!   `Q_α = θ₁ [z_{1−α} √(2θ₂h₀²)/θ₁ + 1 + θ₂h₀(h₀ − 1)/θ₁²]^{1/h₀}`; where `h₀ ≤ 0` (a
//!   widely spread residual spectrum, many variables for the rows) Box's `g·χ²_h(1 − α)` with
//!   `g = θ₂/θ₁`, `h = θ₁²/θ₂` instead.
//!
//! Dynamic or non-Gaussian data (lagged features, step changes) break the assumptions behind
//! both formulas; [`LimitMethod::Empirical`] sets each limit to the conformal `(1 − α)` quantile
//! of the statistic over the training rows instead. Those rows shaped the model, so their
//! statistics are optimistic; [`LimitMethod::Cv`] takes the quantiles of *out-of-fold*
//! statistics instead (contiguous blocks, so autocorrelated rows do not leak across folds) and
//! estimates the resulting false-alarm rate, with a 95% Clopper–Pearson interval, by setting each
//! fold's limits from the other folds only.
//!
//! The monitor's single score is the combined index of Yue & Qin (2001),
//! `φ = T²/T²_α + SPE/Q_α`, divided by its own limit `φ_α`, so that an alarm is exactly
//! `score > 1` and the target false-alarm rate is that of one test. (Alarming when *either*
//! statistic passes its own limit is two tests at `α` each: up to `2α` false alarms, and the
//! larger ratio throws away the other statistic's evidence.) Analytically `φ` is a quadratic form
//! in the standardised row, a weighted sum of independent `χ²₁` terms (weight `1/T²_α` for each
//! of the k in-plane directions, `λⱼ/Q_α` for each residual one), and its limit is that sum's
//! quantile by the same three-moment formula as SPE's ([`quadratic_form_quantile`]; Box's
//! two-moment match alone gave 1.4% false alarms for a 1% target on Gaussian rows); the
//! empirical and out-of-fold methods take the quantile of `φ` itself. Model folders written before `φ_α` was
//! stored keep the old `max(T²/T²_α, SPE/Q_α)`. (The probabilistic-PCA distance
//! `T² + SPE/σ²` was tried as well: it assumes the residual directions share one variance, and
//! when too few components leave structure in the residual it ranked planted outliers at an
//! average precision of 0.16 where `φ` reaches 1.0, `tests/contamination.rs`.)

use std::path::Path;

use faer::{Mat, MatRef};
use recon_core::{Dataset, ErrorMeasure, Fit, Named, Reconstruct, Residuals, RowScorer, ScoreBlock};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, Normal};

pub use recon_core::ruler::{clopper_pearson, CvEstimate, DEFAULT_FOLDS};
use recon_core::ruler::{Contamination, TrimSummary};

use crate::error::{invalid, Result};
use crate::{Pca, PcaParams};

/// How many components the monitor keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Components {
    /// Exactly k.
    Fixed(usize),
    /// The fewest capturing this fraction of the (standardised) variance.
    Energy(f64),
}

/// How the control limits are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitMethod {
    /// F distribution for T², Jackson–Mudholkar for SPE (Gaussian, independent rows).
    #[default]
    Analytical,
    /// The conformal `(1 − α)` quantile of each statistic over the training rows.
    Empirical,
    /// The conformal `(1 − α)` quantile of each statistic over out-of-fold rows (blocked k-fold).
    Cv,
}

/// Which rule raises the monitor's alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlarmStatistic {
    /// The combined index `φ = T²/T²_α + SPE/Q_α` above its own limit: one test at `α`.
    #[default]
    Combined,
    /// T² or SPE above its own limit (the classic pair of charts: two tests at `α` each).
    Either,
}

/// Unfitted monitor parameters.
#[derive(Debug, Clone)]
pub struct PcaMonitorParams {
    components: Components,
    statistic: AlarmStatistic,
    scale: bool,
    alpha: f64,
    method: LimitMethod,
    folds: usize,
    auto: bool,
    contamination: Option<Contamination>,
}

/// Control limits of a fitted monitor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Target false-alarm rate of each statistic.
    pub alpha: f64,
    /// Hotelling T² limit.
    pub t2: f64,
    /// SPE (Q) limit.
    pub spe: f64,
    /// How they were set (model files written before this field are analytical).
    #[serde(default)]
    pub method: LimitMethod,
    /// The cross-validated false-alarm estimate, for [`LimitMethod::Cv`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<CvEstimate>,
    /// With contaminated training data: how many rows the trimmed fit left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trimmed: Option<TrimSummary>,
    /// Limit of the combined index `φ = T²/t2 + SPE/spe` (Yue & Qin 2001); absent in model
    /// folders written before it, which alarm on `max(T²/t2, SPE/spe)` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined: Option<f64>,
}

impl Limits {
    /// The combined index `φ = T²/T²_α + SPE/Q_α` of one row (SPE left out when there is no
    /// residual space).
    pub fn phi(&self, t2: f64, spe: f64) -> f64 {
        t2 / self.t2 + if self.spe > 0.0 { spe / self.spe } else { 0.0 }
    }

    /// The monitor's score of one row: `φ/φ_α`, or `max(T²/T²_α, SPE/Q_α)` for limits without
    /// `φ_α`; an alarm is `score > 1`.
    pub fn score(&self, t2: f64, spe: f64) -> f64 {
        match self.combined {
            Some(c) => self.phi(t2, spe) / c,
            None => (t2 / self.t2).max(if self.spe > 0.0 { spe / self.spe } else { 0.0 }),
        }
    }
}

/// A PCA monitor: the PCA model and its control limits.
#[derive(Debug, Clone)]
pub struct PcaMonitor {
    pca: Pca,
    limits: Limits,
}

/// Per-row monitoring statistics.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorScores {
    /// `φ/φ_α` with `φ = T²/T²_α + SPE/Q_α` (see the module notes).
    pub score: Vec<f64>,
    /// Hotelling T².
    pub t2: Vec<f64>,
    /// Squared prediction error.
    pub spe: Vec<f64>,
}

impl PcaMonitorParams {
    /// Standardised PCA keeping `components`, limits at false-alarm rate 0.01 (99%).
    pub fn new(components: Components) -> Self {
        PcaMonitorParams {
            components,
            scale: true,
            alpha: 0.01,
            method: LimitMethod::Analytical,
            folds: DEFAULT_FOLDS,
            auto: false,
            contamination: None,
            statistic: AlarmStatistic::Combined,
        }
    }
    /// The training rows may hold outliers: fit on the rows that look normal, by iteratively
    /// trimmed refits on the monitor's score ([`recon_core::ruler::trim`]; analytical limits
    /// while trimming, the chosen limits on the kept rows at the end).
    pub fn contamination(mut self, c: Contamination) -> Self {
        self.contamination = Some(c);
        self
    }
    /// Let the training set choose the limits (what `recon fit` does when `--limits` is not
    /// given): cross-validated when there are fewer than [`recon_core::ruler::CV_BELOW_ROWS`] rows and enough rows
    /// for the folds, analytical otherwise.
    pub fn auto_limits(mut self) -> Self {
        self.auto = true;
        self
    }
    recon_core::setters! {
        /// Analytical (default), empirical or cross-validated control limits.
        limits.method: LimitMethod;
        /// Folds of cross-validated limits (contiguous blocks of rows), at least 2.
        folds: usize;
        /// Standardise each variable (default) or keep units.
        scale: bool;
        /// Target false-alarm rate of each limit, in (0, 0.5).
        alpha: f64;
        /// The combined index (default) or either statistic raises the alarm.
        statistic: AlarmStatistic;
    }
}

impl Fit for PcaMonitorParams {
    type Object = PcaMonitor;
    type Error = crate::Error;

    fn fit(&self, data: &Dataset) -> Result<PcaMonitor> {
        let Some(c) = self.contamination else { return self.fit_plain(data) };
        let plain = PcaMonitorParams { contamination: None, ..self.clone() };
        let quick = PcaMonitorParams { auto: false, method: LimitMethod::Analytical, ..plain.clone() };
        let t = recon_core::ruler::trimmed_rows(data.n_rows(), c, TRIM_ROUNDS, |kept| {
            Ok(quick.fit_plain(&data.select_rows(kept))?.score(data.x.as_ref())?.score)
        })?;
        let mut monitor = plain.fit_plain(&data.select_rows(&t.kept(data.n_rows())))?;
        let left_out = monitor.score(data.select_rows(&t.dropped).x.as_ref())?.score;
        // A monitor's score is over its own limit: an alarm is a score above 1.
        monitor.limits.trimmed = Some(t.summary().with_left_out_scores(&left_out, 1.0));
        Ok(monitor)
    }
}

/// Most rounds of trimmed refits of a monitor on contaminated rows.
pub const TRIM_ROUNDS: usize = 5;

impl PcaMonitorParams {
    fn fit_plain(&self, data: &Dataset) -> Result<PcaMonitor> {
        if !(self.alpha > 0.0 && self.alpha < 0.5) {
            return Err(invalid("target false-alarm rate", format!("{} is not in (0, 0.5)", self.alpha)));
        }
        let n = data.n_rows();
        let full = PcaParams::new().scale(self.scale).fit(data)?;
        let k = self.rank(&full, data)?;
        let method = match self.auto {
            true => match recon_core::ruler::cv::auto_folds(n, self.folds, self.alpha, k + 2) {
                Some(_) => LimitMethod::Cv,
                None => LimitMethod::Analytical,
            },
            false => self.method,
        };
        let mut monitor = self.on_model(full.truncate(k)?, full.spectrum(), data, method == LimitMethod::Empirical)?;
        if method == LimitMethod::Cv {
            monitor.limits = self.cv_limits(data, k)?;
        }
        Ok(monitor)
    }

    /// The monitor of the rows summarised by `stats` (their count, means and scatter, as a
    /// [`crate::StreamingPca`] or an engine's aggregate computed them), with `d` = the number of
    /// features: the same model [`Fit::fit`] gives on those rows with analytical limits, up to
    /// rounding (the eigenvectors of the scatter instead of the SVD of the rows). Empirical and
    /// out-of-fold limits need the rows themselves, as does a trimmed fit: those are refused.
    pub fn fit_stats(&self, stats: &crate::StreamingPca) -> Result<PcaMonitor> {
        if self.needs_rows(stats.n_samples()) {
            return Err(invalid(
                "limits",
                "a monitor fitted from summary statistics has analytical limits only (no trimming, no empirical or out-of-fold limits)",
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 0.5) {
            return Err(invalid("target false-alarm rate", format!("{} is not in (0, 0.5)", self.alpha)));
        }
        let full = stats.clone().with_scale(self.scale).finish(None)?;
        let (n, d) = (stats.n_samples(), stats.mean().len());
        let k = self.rank_of(&full, n, d)?;
        self.on_stats(full.truncate(k)?, full.spectrum(), n, d)
    }

    /// Whether fitting on `n` rows needs the rows themselves rather than their count, means
    /// and scatter ([`PcaMonitorParams::fit_stats`]): a trimmed fit, empirical or out-of-fold
    /// limits (chosen, or what [`PcaMonitorParams::auto_limits`] picks below
    /// [`recon_core::ruler::CV_BELOW_ROWS`] rows).
    pub fn needs_rows(&self, n: usize) -> bool {
        self.contamination.is_some()
            || match self.auto {
                true => n < recon_core::ruler::CV_BELOW_ROWS,
                false => self.method != LimitMethod::Analytical,
            }
    }

    /// The number of components for `data`, whose full PCA is `full`.
    fn rank(&self, full: &Pca, data: &Dataset) -> Result<usize> {
        self.rank_of(full, data.n_rows(), data.n_cols())
    }

    fn rank_of(&self, full: &Pca, n: usize, d: usize) -> Result<usize> {
        let k = match self.components {
            Components::Fixed(k) => k,
            Components::Energy(f) => {
                let curve = full.error_curve(full.spectrum().len())?;
                recon_core::ruler::rank_for_energy(&curve, f)?.unwrap_or(full.spectrum().len()).max(1)
            }
        };
        if k == 0 || k >= n || k > full.spectrum().len() {
            return Err(invalid("components", format!("{k} with {n} training rows and {d} features")));
        }
        Ok(k)
    }

    /// A monitor on fair PCA's subspace ([`crate::FairPcaParams`]) for the groups of `data`, with
    /// as many components as this monitor would keep (the rank rule applied to standard PCA),
    /// analytical or empirical limits ([`PcaMonitorParams::fit_model`]), and the fair fit's
    /// report. Fair PCA needs one extra dimension less than it might: the rank is kept; the
    /// report says what one more would give.
    pub fn fit_fair(&self, data: &Dataset) -> Result<(PcaMonitor, crate::FairPcaReport)> {
        if self.contamination.is_some() {
            return Err(invalid("contamination", "fair PCA and trimmed refits do not combine (yet)"));
        }
        let full = PcaParams::new().scale(self.scale).fit(data)?;
        let k = self.rank(&full, data)?;
        if k >= data.n_cols() {
            return Err(invalid(
                "components",
                format!("fair PCA needs fewer components ({k}) than features ({})", data.n_cols()),
            ));
        }
        let fair = crate::FairPcaParams::new(k).scale(self.scale).fit(data)?;
        let report = fair.report().clone();
        Ok((self.fit_model(fair.into_pca(), data)?, report))
    }

    /// A monitor on a model fitted elsewhere (fair PCA's subspace, [`crate::FairPcaParams`]) and
    /// the rows it was fitted on: analytical limits from the model's spectrum, or empirical ones
    /// with `.limits(LimitMethod::Empirical)`. Out-of-fold limits would refit the model on each
    /// fold, which this does not know how to do: asking for them is an error (the automatic
    /// choice falls back to analytical).
    pub fn fit_model(&self, pca: Pca, data: &Dataset) -> Result<PcaMonitor> {
        if !self.auto && self.method == LimitMethod::Cv {
            return Err(invalid(
                "limits",
                "out-of-fold limits refit the model on every fold; a monitor on a given model (fair PCA) takes analytical or empirical limits",
            ));
        }
        let spectrum = pca.spectrum().to_vec();
        self.on_model(pca, &spectrum, data, !self.auto && self.method == LimitMethod::Empirical)
    }

    /// The monitor of `pca` (k components) with analytical limits from the full `spectrum` of
    /// `n` training rows of `d` features.
    fn on_stats(&self, pca: Pca, spectrum: &[f64], n: usize, d: usize) -> Result<PcaMonitor> {
        let k = pca.n_components();
        let mut limits = control_limits(spectrum, k, n, self.alpha)?;
        if self.statistic == AlarmStatistic::Either {
            limits.combined = None;
        }
        // The residual space must have seen variation, or every new row off the training rows'
        // plane alarms (two rows fitted by one component leave an SPE limit of zero).
        let total: f64 = spectrum.iter().map(|s| s * s).sum();
        let left: f64 = spectrum[k.min(spectrum.len())..].iter().map(|s| s * s).sum();
        if k < d && !(left > 1e-12 * total) {
            return Err(recon_core::Error::Degenerate {
                what: "PCA monitor".into(),
                reason: format!(
                    "{k} component(s) rebuild the {n} training rows exactly (SPE limit 0), so every new row would alarm; train on more rows than components + 1 (or fewer components)"
                ),
            });
        }
        Ok(PcaMonitor { pca, limits })
    }

    /// The monitor of `pca` (k components) with analytical limits from the full `spectrum`, or
    /// with `empirical` the training rows' quantiles.
    fn on_model(&self, pca: Pca, spectrum: &[f64], data: &Dataset, empirical: bool) -> Result<PcaMonitor> {
        let mut monitor = self.on_stats(pca, spectrum, data.n_rows(), data.n_cols())?;
        let k = monitor.pca.n_components();
        if empirical {
            let s = monitor.score(data.x.as_ref())?;
            let q = |v: &[f64]| recon_core::ruler::quantile_threshold(v, self.alpha).map(|t| t.value);
            let mut limits = Limits {
                alpha: self.alpha,
                t2: q(&s.t2)?,
                spe: q(&s.spe)?,
                method: LimitMethod::Empirical,
                cv: None,
                trimmed: None,
                combined: None,
            };
            if !(limits.t2 > 0.0) || (k < data.n_cols() && !(limits.spe > 0.0)) {
                return Err(recon_core::Error::Degenerate {
                    what: "PCA monitor".into(),
                    reason: "an empirical limit is zero on the training rows, so every new row would alarm".into(),
                });
            }
            let phi: Vec<f64> = s.t2.iter().zip(&s.spe).map(|(&t, &e)| limits.phi(t, e)).collect();
            if self.statistic == AlarmStatistic::Combined {
                limits.combined = Some(q(&phi)?);
            }
            monitor.limits = limits;
        }
        Ok(monitor)
    }
}

impl PcaMonitorParams {
    /// Limits from out-of-fold T² and SPE (contiguous folds, each left out of its own model),
    /// and the false-alarm rate those limits are estimated to give.
    fn cv_limits(&self, data: &Dataset, k: usize) -> Result<Limits> {
        let (n, folds) = (data.n_rows(), self.folds);
        if folds < 2 || n < folds * (k + 2) {
            return Err(invalid(
                "folds",
                format!(
                    "{folds} folds of {n} rows with {k} components: need at least 2 folds and {} rows ({} per fold)",
                    folds.max(2) * (k + 2),
                    k + 2
                ),
            ));
        }
        let folds = recon_core::ruler::contiguous_folds(n, folds)?;
        let (mut t2, mut spe) = (vec![0.0; n], vec![0.0; n]);
        let unit = Limits {
            alpha: self.alpha,
            t2: 1.0,
            spe: 1.0,
            method: LimitMethod::Cv,
            cv: None,
            trimmed: None,
            combined: None,
        };
        for fold in &folds {
            let keep: Vec<usize> = (0..n).filter(|i| !fold.contains(i)).collect();
            let pca = PcaParams::new().scale(self.scale).n_components(k).fit(&data.select_rows(&keep))?;
            let s = PcaMonitor { pca, limits: unit }.score(data.x.as_ref().subrows(fold.start, fold.len()))?;
            t2[fold.clone()].copy_from_slice(&s.t2);
            spe[fold.clone()].copy_from_slice(&s.spe);
        }
        let q = |v: &[f64]| recon_core::ruler::quantile_threshold(v, self.alpha).map(|t| t.value);
        let (lt2, lspe) = (q(&t2)?, q(&spe)?);
        if !(lt2 > 0.0) || (k < data.n_cols() && !(lspe > 0.0)) {
            return Err(recon_core::Error::Degenerate {
                what: "PCA monitor".into(),
                reason: "an out-of-fold limit is zero, so every new row would alarm".into(),
            });
        }
        let mut limits = Limits {
            alpha: self.alpha,
            t2: lt2,
            spe: lspe,
            method: LimitMethod::Cv,
            cv: None,
            trimmed: None,
            combined: None,
        };
        // φ's normalisers come from all out-of-fold rows; its limit, and each fold's limit in
        // the false-alarm estimate, from the quantile of φ alone.
        let phi: Vec<f64> = t2.iter().zip(&spe).map(|(&t, &e)| limits.phi(t, e)).collect();
        limits.cv = Some(match self.statistic {
            AlarmStatistic::Combined => {
                limits.combined = Some(q(&phi)?);
                recon_core::ruler::out_of_fold_far(&[&phi], &folds, self.alpha)?
            }
            AlarmStatistic::Either => recon_core::ruler::out_of_fold_far(&[&t2, &spe], &folds, self.alpha)?,
        });
        Ok(limits)
    }
}

/// The `(1 − alpha)` quantile of `Σᵢ wᵢ zᵢ²` for independent standard normal `zᵢ` (0 when
/// every weight is 0): Jackson & Mudholkar's (1979) three-moment formula with
/// `θ_p = Σ wᵢᵖ`, `h₀ = 1 − 2θ₁θ₃/(3θ₂²)`; where it needs `h₀ > 0` and fails (widely spread
/// weights make the formula fall below the mean θ₁), Box's (1954) `g·χ²_h` with `g = θ₂/θ₁`,
/// `h = θ₁²/θ₂` (exact for equal weights).
pub fn quadratic_form_quantile(weights: &[f64], alpha: f64) -> f64 {
    let theta = |p: i32| weights.iter().map(|l| l.powi(p)).sum::<f64>();
    let (t1, t2, t3) = (theta(1), theta(2), theta(3));
    if !(t1 > 0.0) {
        return 0.0;
    }
    let h0 = 1.0 - 2.0 * t1 * t3 / (3.0 * t2 * t2);
    let z = Normal::new(0.0, 1.0).expect("standard normal").inverse_cdf(1.0 - alpha);
    let jm = t1 * (z * (2.0 * t2 * h0 * h0).sqrt() / t1 + 1.0 + t2 * h0 * (h0 - 1.0) / (t1 * t1)).powf(1.0 / h0);
    if h0 > 0.0 && jm.is_finite() && jm > t1 {
        jm
    } else {
        let (g, h) = (t2 / t1, t1 * t1 / t2);
        ChiSquared::new(h).map_or(f64::NAN, |c| g * c.inverse_cdf(1.0 - alpha))
    }
}

/// T² and SPE limits from the full spectrum of singular values, k kept, n training rows.
pub fn control_limits(spectrum: &[f64], k: usize, n: usize, alpha: f64) -> Result<Limits> {
    let (nf, kf) = (n as f64, k as f64);
    let f = FisherSnedecor::new(kf, nf - kf).map_err(|e| invalid("components", e.to_string()))?;
    let t2 = kf * (nf - 1.0) * (nf + 1.0) / (nf * (nf - kf)) * f.inverse_cdf(1.0 - alpha);
    let lam: Vec<f64> = spectrum[k..].iter().map(|s| s * s / (nf - 1.0)).collect();
    let spe = quadratic_form_quantile(&lam, alpha);
    // The combined index is itself a weighted sum of squared independent standard normals: k
    // in-plane directions weighted (n − 1)(n + 1)/(n(n − k)) / T²_α each (the spread of a new
    // row's T²), and the residual directions λⱼ/Q_α.
    let inflation = (nf - 1.0) * (nf + 1.0) / (nf * (nf - kf));
    let mut weights = vec![inflation / t2; k];
    if spe > 0.0 {
        weights.extend(lam.iter().map(|l| l / spe));
    }
    let combined = quadratic_form_quantile(&weights, alpha);
    if !(combined.is_finite() && combined > 0.0) {
        return Err(invalid("components", format!("{k} components leave no finite combined-index limit")));
    }
    Ok(Limits { alpha, t2, spe, method: LimitMethod::Analytical, cv: None, trimmed: None, combined: Some(combined) })
}

impl PcaMonitor {
    /// The PCA model (k components).
    pub fn pca(&self) -> &Pca {
        &self.pca
    }
    /// The control limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// T², SPE and the combined score of each row.
    pub fn score(&self, x: MatRef<'_, f64>) -> Result<MonitorScores> {
        Ok(self.score_with_residuals(x)?.0)
    }

    /// Standardised residuals `(x − x̂) ⊘ s` of each row (the vectors whose squared norm is SPE).
    pub fn residuals(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        Ok(self.score_with_residuals(x)?.1)
    }

    /// The scores and the standardised residuals from one projection of `x`.
    pub fn score_with_residuals(&self, x: MatRef<'_, f64>) -> Result<(MonitorScores, Mat<f64>)> {
        let z = self.pca.transform(x)?;
        let lam = self.pca.explained_variance();
        let xh = self.pca.inverse_transform(z.as_ref())?;
        let scale = self.pca.scale();
        let r = Mat::from_fn(x.nrows(), x.ncols(), |i, j| (x[(i, j)] - xh[(i, j)]) / scale[j]);
        let n = x.nrows();
        let (mut t2, mut spe, mut score) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            t2[i] = (0..z.ncols()).map(|c| z[(i, c)] * z[(i, c)] / lam[c]).sum();
            spe[i] = (0..x.ncols()).map(|j| r[(i, j)].powi(2)).sum();
            score[i] = self.limits.score(t2[i], spe[i]);
        }
        Ok((MonitorScores { score, t2, spe }, r))
    }

    /// Reconstruction-based contributions to SPE (Alcala & Qin 2009), rows × variables:
    /// `RBC_j = x̃_j² / (1 − Σ_c P_jc²)`, the amount by which SPE drops when variable j alone is
    /// reconstructed along its own direction (x̃ the standardised residual, P the loadings). A
    /// variable that lies inside the model plane (`Σ_c P_jc² = 1`) cannot be reconstructed and
    /// contributes 0.
    pub fn spe_contributions(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let r = self.residuals(x)?;
        let p = self.pca.components();
        let d = x.ncols();
        let denom: Vec<f64> =
            (0..d).map(|j| 1.0 - (0..p.nrows()).map(|c| p[(c, j)] * p[(c, j)]).sum::<f64>()).collect();
        Ok(Mat::from_fn(x.nrows(), d, |i, j| if denom[j] > 1e-12 { r[(i, j)] * r[(i, j)] / denom[j] } else { 0.0 }))
    }

    /// Saves as a PCA model folder whose header also carries the limits.
    pub fn save(&self, dir: &Path, columns: &[String]) -> Result<()> {
        self.pca.save_with_limits(dir, columns, Some(self.limits))
    }

    /// Loads a monitor saved by [`PcaMonitor::save`]; returns it with its column names.
    pub fn load(dir: &Path) -> Result<(PcaMonitor, Vec<String>)> {
        let (pca, columns, limits) = Pca::load_with_limits(dir)?;
        let limits = limits.ok_or_else(|| recon_core::Error::BadModel {
            path: dir.to_path_buf(),
            reason: "a PCA model without control limits (fit it with `recon fit --model pca`)".into(),
        })?;
        Ok((PcaMonitor::from_parts(pca, limits, dir)?, columns))
    }

    /// A monitor from a loaded PCA model and the limits its folder holds (validated).
    pub fn from_parts(pca: Pca, limits: Limits, dir: &Path) -> Result<PcaMonitor> {
        let combined_ok = limits.combined.is_none_or(|c| c.is_finite() && c > 0.0);
        if !(limits.t2 > 0.0 && limits.spe >= 0.0 && limits.alpha > 0.0 && limits.alpha < 0.5 && combined_ok) {
            return Err(recon_core::Error::BadModel {
                path: dir.to_path_buf(),
                reason: "invalid control limits".into(),
            });
        }
        Ok(PcaMonitor { pca, limits })
    }
}

impl Reconstruct for PcaMonitor {
    type Error = crate::Error;
    fn encode(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.pca.transform(x)
    }
    fn decode(&self, z: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.pca.inverse_transform(z)
    }
}

/// A PCA monitor with the feature columns it was fitted on, as the rulers see it: the score is
/// the combined index over its limit, `φ/φ_α`, with threshold 1, the per-row error is SPE (the squared residual in
/// standardised units), and `t2`, `spe` come along as statistics.
pub type MonitorScorer = Named<PcaMonitor>;

impl RowScorer for PcaMonitor {
    const NAME: &'static str = "pca";
    const MEASURE: ErrorMeasure = ErrorMeasure::SquaredError;
    fn score_rows(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock> {
        let (s, r) = self.score_with_residuals(x)?;
        Ok(ScoreBlock::new(s.spe.clone(), s.score)
            .with_residuals(want_residuals.then(|| Residuals::from_matrix(r)))
            .with_stat("t2", s.t2)
            .with_stat("spe", s.spe))
    }
    fn threshold(&self) -> Option<f64> {
        Some(1.0)
    }
    fn constants(&self) -> Vec<(&'static str, f64)> {
        let mut c = vec![("t2_limit", self.limits.t2), ("spe_limit", self.limits.spe)];
        c.extend(self.limits.combined.map(|l| ("combined_limit", l)));
        c
    }
}
