//! Fitting pipelines: the window features a monitor is trained on, the count table a VAE is
//! trained on, and the serde reports `recon fit` prints for each family.
//!
//! # Example
//!
//! ```
//! use recon::data::Window;
//! use recon::fit::window_features;
//! # fn main() -> recon::Result<()> {
//! let raw = recon::Dataset::from_mat(faer::Mat::from_fn(10, 2, |i, j| (i + j) as f64));
//! let data = window_features(&raw, &Window::new(vec![0, 1], vec![])?)?;
//! assert_eq!(data.columns, ["x0", "x0[t-1]", "x1", "x1[t-1]"]);
//! # Ok(())
//! # }
//! ```

use recon_core::data::Window;
use recon_core::{Dataset, Result};
use recon_linear::PcaMonitor;
use recon_neural::likelihood::Likelihood;
use recon_neural::{Autoencoder, Vae};
use serde::Serialize;

/// The rows of `raw` (in time order) as the window features of `window` (a monitor's input).
pub fn window_features(raw: &Dataset, window: &Window) -> Result<Dataset> {
    let (x, columns) = window.features(raw.x.as_ref(), &raw.columns)?;
    Ok(Dataset { x, columns, labels: None, groups: None })
}

/// A count table without its all-zero genes (they carry no information and break a count
/// likelihood's softmax), and the names of the genes dropped.
pub fn drop_zero_genes(data: &Dataset) -> (Dataset, Vec<String>) {
    let zero = data.zero_column_indices();
    if zero.is_empty() {
        return (data.clone(), Vec::new());
    }
    let keep: Vec<usize> = (0..data.n_cols()).filter(|j| !zero.contains(j)).collect();
    (data.select_columns(&keep), zero.iter().map(|&j| data.columns[j].clone()).collect())
}

/// What every fit report starts with: the family and the shape of the training data.
#[derive(Debug, Clone, Serialize)]
pub struct Fitted {
    pub model: &'static str,
    pub n_rows: usize,
    pub n_cols: usize,
}

impl Fitted {
    fn of(model: &'static str, data: &Dataset) -> Self {
        Fitted { model, n_rows: data.n_rows(), n_cols: data.n_cols() }
    }
}

/// How long a neural model trained.
#[derive(Debug, Clone, Serialize)]
pub struct Epochs {
    pub epochs_run: usize,
    pub best_epoch: usize,
    /// True when the held-out loss stopped improving (false: the epoch budget ended training).
    pub converged: bool,
    /// Epochs at which the learning rate was halved.
    pub lr_reductions: Vec<usize>,
}

impl Epochs {
    fn of(log: &recon_neural::TrainingLog) -> Self {
        Epochs {
            epochs_run: log.train_loss.len(),
            best_epoch: log.best_epoch,
            converged: log.converged,
            lr_reductions: log.lr_reductions.clone(),
        }
    }
}

/// What fitting a PCA monitor reports.
#[derive(Debug, Clone, Serialize)]
pub struct PcaFitReport {
    #[serde(flatten)]
    pub fitted: Fitted,
    pub features: Vec<String>,
    pub components: usize,
    pub captured_variance: f64,
    pub standardised: bool,
    pub target_far: f64,
    pub limits: recon_linear::LimitMethod,
    pub t2_limit: f64,
    pub spe_limit: f64,
    /// What raises the alarm: "combined" (T²/t2_limit + SPE/spe_limit above combined_limit) or
    /// "either" (T² or SPE above its limit).
    pub alarm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combined_limit: Option<f64>,
    /// With cross-validated limits: the folds and the estimated false-alarm rate with its 95% interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv: Option<recon_linear::CvEstimate>,
    /// With --contamination: the rows the trimmed fit left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trimmed: Option<recon_core::ruler::TrimSummary>,
    /// With --fair-group-col: each group's error and loss under standard and fair PCA, the price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fair: Option<recon_linear::FairPcaReport>,
}

/// What a fair PCA fit says on stderr: one line per group and the price.
pub fn fair_lines(r: &recon_linear::FairPcaReport) -> Vec<String> {
    let mut out = vec![format!(
        "fair PCA of rank {} ({}): largest group loss {:.4} (standard PCA {:.4}; with one more dimension {:.4}); price {:+.4} mean error per row",
        r.d, r.method, r.max_loss_fair, r.max_loss_standard, r.max_loss_plus_one, r.price
    )];
    for g in &r.groups {
        out.push(format!(
            "  {} (n={}): error {:.4} → {:.4}, loss {:.4} → {:.4} (own best {:.4})",
            g.group, g.n, g.error_standard, g.error_fair, g.loss_standard, g.loss_fair, g.own_best_error
        ));
    }
    out
}

impl PcaFitReport {
    /// The report of `monitor` fitted on `data`.
    pub fn new(monitor: &PcaMonitor, data: &Dataset, standardised: bool) -> Self {
        Self::of_shape(monitor, &data.columns, data.n_rows(), standardised)
    }

    /// The report of `monitor` fitted on `n_rows` rows of the features `columns` (a fit from
    /// summary statistics, which never held the rows).
    pub fn of_shape(monitor: &PcaMonitor, columns: &[String], n_rows: usize, standardised: bool) -> Self {
        let pca = monitor.pca();
        let l = monitor.limits();
        PcaFitReport {
            fitted: Fitted { model: "pca", n_rows, n_cols: columns.len() },
            features: columns.to_vec(),
            components: pca.n_components(),
            captured_variance: pca.explained_variance_ratio().iter().sum(),
            standardised,
            target_far: l.alpha,
            alarm: if l.combined.is_some() { "combined" } else { "either" },
            combined_limit: l.combined,
            limits: l.method,
            t2_limit: l.t2,
            spe_limit: l.spe,
            cv: l.cv,
            trimmed: l.trimmed,
            fair: None,
        }
    }
}

/// What fitting an autoencoder reports.
#[derive(Debug, Clone, Serialize)]
pub struct AeFitReport {
    #[serde(flatten)]
    pub fitted: Fitted,
    pub features: Vec<String>,
    pub hidden: Vec<usize>,
    #[serde(flatten)]
    pub epochs: Epochs,
    pub validation_loss: f64,
    pub threshold: f64,
    pub threshold_method: String,
    pub target_far: f64,
    pub calibration_far: f64,
    /// With out-of-fold calibration: the folds and the estimated false-alarm rate with its 95% interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv: Option<recon_core::ruler::CvEstimate>,
    /// With --contamination: the rows the trimmed fit left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trimmed: Option<recon_core::ruler::TrimSummary>,
    pub seed: u64,
    /// With --fair-group-col: each group's error under standard and group-robust training.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_robust: Option<GroupRobustReport>,
}

impl AeFitReport {
    /// The report of `ae` fitted on `data` with `seed`.
    pub fn new(ae: &Autoencoder, data: &Dataset, seed: u64) -> Self {
        let (log, t) = (ae.log(), ae.threshold());
        AeFitReport {
            fitted: Fitted::of("ae", data),
            features: data.columns.clone(),
            hidden: ae.hidden().to_vec(),
            epochs: Epochs::of(log),
            validation_loss: log.best_val_loss(),
            threshold: t.value,
            threshold_method: t.method.clone(),
            target_far: t.target_far,
            calibration_far: t.calibration_far,
            cv: t.cv,
            trimmed: t.trimmed,
            group_robust: None,
            seed,
        }
    }
}

/// What fitting a VAE reports.
#[derive(Debug, Clone, Serialize)]
pub struct VaeFitReport {
    #[serde(flatten)]
    pub fitted: Fitted,
    pub likelihood: Likelihood,
    pub hidden: Vec<usize>,
    pub latent: usize,
    #[serde(flatten)]
    pub epochs: Epochs,
    pub validation_neg_elbo: f64,
    pub reference_samples: usize,
    pub seed: u64,
}

impl VaeFitReport {
    /// The report of `vae` (encoder widths `hidden`) fitted on `data` with `seed`.
    pub fn new(vae: &Vae, hidden: &[usize], data: &Dataset, seed: u64) -> Self {
        let log = vae.log();
        VaeFitReport {
            fitted: Fitted::of("vae", data),
            likelihood: vae.likelihood(),
            hidden: hidden.to_vec(),
            latent: vae.latent(),
            epochs: Epochs::of(log),
            validation_neg_elbo: log.best_val_loss(),
            reference_samples: vae.reference().len(),
            seed,
        }
    }
}

/// One group's mean error under standard and group-robust training.
#[derive(Debug, Clone, Serialize)]
pub struct GroupErrors {
    pub group: String,
    pub n: usize,
    /// Mean of the per-row score (mean squared standardised residual), standard training.
    pub error_standard: f64,
    /// The same under group-robust training.
    pub error_robust: f64,
}

/// What group-robust training changed.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRobustReport {
    pub method: &'static str,
    /// Step of the group weights.
    pub eta: f64,
    pub groups: Vec<GroupErrors>,
    /// Largest group mean error, standard training.
    pub worst_standard: f64,
    /// Largest group mean error, group-robust training.
    pub worst_robust: f64,
    /// Mean error over all rows, robust minus standard.
    pub price: f64,
}

/// The default step of the group weights of group-robust training.
pub const GROUP_ROBUST_ETA: f64 = 0.01;

/// Fits `params` (standard settings) twice on `data` (which carries the groups): as they are, and
/// with group-robust training (`AutoencoderParams::group_robust(eta)`), and reports each group's
/// mean error on `data` under both. Returns the group-robust model.
pub fn group_robust_autoencoder(
    params: &recon_neural::AutoencoderParams,
    data: &Dataset,
    eta: f64,
    mut on_epoch: impl FnMut(usize, f64, f64),
) -> Result<(Autoencoder, GroupRobustReport)> {
    let index = recon_core::GroupIndex::new(
        data.groups.as_deref().ok_or_else(|| recon_core::Error::invalid("groups", "no group column"))?,
    );
    // Standard training ignores the groups; group-robust training reads them from `data`.
    let standard = params.fit_with(data, &mut on_epoch)?;
    let robust = params.clone().group_robust(eta).fit_with(data, &mut on_epoch)?;
    let (a, b) = (standard.score(data.x.as_ref())?, robust.score(data.x.as_ref())?);
    let (ma, mb) = (index.means(&a), index.means(&b));
    let groups: Vec<GroupErrors> = (0..index.len())
        .map(|g| GroupErrors {
            group: index.names[g].clone(),
            n: index.rows[g].len(),
            error_standard: ma[g],
            error_robust: mb[g],
        })
        .collect();
    let worst = |f: fn(&GroupErrors) -> f64| groups.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let report = GroupRobustReport {
        method: "group DRO (Sagawa et al. 2020): exponentiated-gradient group weights, worst-group early stopping",
        eta,
        worst_standard: worst(|g| g.error_standard),
        worst_robust: worst(|g| g.error_robust),
        price: mean(&b) - mean(&a),
        groups,
    };
    Ok((robust, report))
}

/// What a group-robust fit says on stderr.
pub fn group_robust_lines(r: &GroupRobustReport) -> Vec<String> {
    let mut out = vec![format!(
        "group-robust training ({}): worst group mean error {:.4} → {:.4}; price {:+.4} mean error per row",
        r.method, r.worst_standard, r.worst_robust, r.price
    )];
    for g in &r.groups {
        out.push(format!("  {} (n={}): error {:.4} → {:.4}", g.group, g.n, g.error_standard, g.error_robust));
    }
    out
}
