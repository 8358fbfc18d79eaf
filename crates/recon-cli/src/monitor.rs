//! One face for the two monitor families `recon fit` writes (PCA, autoencoder): load a model
//! folder by its kind, expand raw rows into the model's window features, and evaluate. Every
//! number is computed by the model crates; this only dispatches.

use std::path::Path;

use faer::{Mat, MatRef};
use recon_core::data::{load_table, LoadOptions, Loaded, Window};
use recon_core::model::model_kind;
use recon_linear::PcaMonitor;
use recon_neural::Autoencoder;

/// A fitted monitor.
pub enum Monitor {
    Pca(PcaMonitor),
    Ae(Autoencoder),
}

/// A loaded model folder: the monitor, its feature names and the raw columns they come from.
pub struct LoadedMonitor {
    pub monitor: Monitor,
    /// Feature names of the model (window features included).
    pub features: Vec<String>,
    /// Raw input columns, in order.
    pub base: Vec<String>,
    /// The past values (lags, moving averages) of the raw columns that the features hold.
    pub window: Window,
}

/// Scores of a batch of rows.
pub struct Evaluation {
    /// One score per row; an alarm is `score > LoadedMonitor::threshold()`.
    pub score: Vec<f64>,
    /// Standardised residual vectors (rows × features), for diagnosis.
    pub residuals: Mat<f64>,
}

/// Scores of a batch of rows without their residual vectors (what `recon score` needs).
pub struct Scores {
    pub score: Vec<f64>,
    /// PCA only: Hotelling T² and SPE.
    pub t2_spe: Option<(Vec<f64>, Vec<f64>)>,
}

impl Evaluation {
    /// The residual vector of row `i`.
    pub fn residual_row(&self, i: usize) -> Vec<f64> {
        (0..self.residuals.ncols()).map(|j| self.residuals[(i, j)]).collect()
    }
}

impl LoadedMonitor {
    pub fn load(dir: &Path) -> anyhow::Result<LoadedMonitor> {
        let (monitor, features) = match model_kind(dir)?.as_str() {
            "autoencoder" => {
                let (ae, cols) = Autoencoder::load(dir)?;
                (Monitor::Ae(ae), cols)
            }
            "vae" => {
                return Err(recon_core::Error::BadModel {
                    path: dir.to_path_buf(),
                    reason: "a VAE scores samples with `recon score`; this command needs a PCA or autoencoder monitor"
                        .into(),
                }
                .into())
            }
            _ => {
                let (m, cols) = PcaMonitor::load(dir)?;
                (Monitor::Pca(m), cols)
            }
        };
        let (base, window) = Window::parse(&features)
            .map_err(|e| recon_core::Error::BadModel { path: dir.to_path_buf(), reason: e.to_string() })?;
        Ok(LoadedMonitor { monitor, features, base, window })
    }

    /// The alarm threshold of the score: 1 for PCA (T² or SPE over its limit), the calibrated
    /// one for the autoencoder.
    pub fn threshold(&self) -> f64 {
        match &self.monitor {
            Monitor::Pca(_) => 1.0,
            Monitor::Ae(ae) => ae.threshold().value,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self.monitor {
            Monitor::Pca(_) => "pca",
            Monitor::Ae(_) => "ae",
        }
    }

    /// Reads the model's raw columns from `path` (by name; other columns ignored, `label_col`
    /// kept as labels) and builds its window features.
    pub fn load_features(
        &self,
        path: &Path,
        label_col: Option<String>,
        drop_nonfinite: bool,
    ) -> anyhow::Result<(Loaded, Mat<f64>)> {
        let opts = LoadOptions { columns: Some(self.base.clone()), label_col, drop_nonfinite, ..Default::default() };
        let loaded = load_table(path, &opts)?;
        crate::input::report_dropped(loaded.dropped_rows);
        let (x, _) = self.window.features(loaded.dataset.x.as_ref(), &loaded.dataset.columns)?;
        Ok((loaded, x))
    }

    /// Scores rows that are already window features, without keeping residual vectors (the
    /// autoencoder then scores in cache-sized blocks).
    pub fn scores(&self, x: MatRef<'_, f64>) -> anyhow::Result<Scores> {
        Ok(match &self.monitor {
            Monitor::Pca(m) => {
                let s = m.score(x)?;
                Scores { score: s.score, t2_spe: Some((s.t2, s.spe)) }
            }
            Monitor::Ae(ae) => Scores { score: ae.score(x)?, t2_spe: None },
        })
    }

    /// Evaluates rows that are already window features.
    pub fn evaluate(&self, x: MatRef<'_, f64>) -> anyhow::Result<Evaluation> {
        Ok(match &self.monitor {
            Monitor::Pca(m) => {
                let (s, residuals) = m.score_with_residuals(x)?;
                Evaluation { score: s.score, residuals }
            }
            Monitor::Ae(ae) => {
                let out = ae.evaluate(x)?;
                Evaluation { score: out.score, residuals: out.residuals }
            }
        })
    }
}
