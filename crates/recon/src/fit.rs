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
        let pca = monitor.pca();
        let l = monitor.limits();
        PcaFitReport {
            fitted: Fitted::of("pca", data),
            features: data.columns.clone(),
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
