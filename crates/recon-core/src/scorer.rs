//! The model contract the rulers read: a [`Scorer`] turns a block of rows into per-row
//! reconstruction errors, per-row scores and (on request) per-feature [`Residuals`], whatever
//! family made it. Alarms, persistence, diagnosis, p-values and audits are written against this
//! trait alone.
//!
//! # Example
//!
//! ```
//! use faer::{mat, MatRef};
//! use recon_core::{ErrorMeasure, Residuals, ScoreBlock, Scorer};
//!
//! /// "Reconstructs" every row as the training mean.
//! struct MeanModel { mean: Vec<f64>, columns: Vec<String> }
//!
//! impl Scorer for MeanModel {
//!     fn name(&self) -> &'static str { "mean" }
//!     fn columns(&self) -> &[String] { &self.columns }
//!     fn measure(&self) -> ErrorMeasure { ErrorMeasure::SquaredError }
//!     fn score(&self, x: MatRef<'_, f64>, want_residuals: bool) -> recon_core::Result<ScoreBlock> {
//!         let r = Residuals::from_matrix(faer::Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - self.mean[j]));
//!         let errors = r.row_squared_errors();
//!         Ok(ScoreBlock::new(errors.clone(), errors).with_residuals(want_residuals.then_some(r)))
//!     }
//!     fn as_any(&self) -> &dyn std::any::Any { self }
//! }
//!
//! # fn main() -> recon_core::Result<()> {
//! let m = MeanModel { mean: vec![1.0, 2.0], columns: vec!["a".into(), "b".into()] };
//! let block = m.score(mat![[1.0, 2.0], [2.0, 4.0]].as_ref(), false)?;
//! assert_eq!(block.errors, vec![0.0, 5.0]);
//! assert!(m.threshold().is_none());
//! # Ok(())
//! # }
//! ```

use faer::MatRef;

use crate::{Residuals, Result};

/// What a model's per-row `errors` measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorMeasure {
    /// `‖x − x̂‖²` in the model's own coordinates (after its scaler: standardised units for a
    /// standardised model, the data's units otherwise).
    SquaredError,
    /// Negative log-likelihood of the row under the model's likelihood (nats).
    NegLogLikelihood,
}

impl std::fmt::Display for ErrorMeasure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorMeasure::SquaredError => "squared error",
            ErrorMeasure::NegLogLikelihood => "negative log-likelihood",
        })
    }
}

/// The scores of a block of rows.
#[derive(Debug, Clone)]
pub struct ScoreBlock {
    /// Per-row reconstruction error (see [`Scorer::measure`]).
    pub errors: Vec<f64>,
    /// Per-row score; an alarm is `score > threshold` when the model has a threshold.
    pub scores: Vec<f64>,
    /// Per-feature residuals (rows × features) in the model's own coordinates, when asked for.
    pub residuals: Option<Residuals>,
    /// Further per-row statistics by name (a PCA monitor's `t2` and `spe`), in a fixed order.
    pub stats: Vec<(&'static str, Vec<f64>)>,
}

impl ScoreBlock {
    /// Errors and scores, no residuals, no further statistics.
    pub fn new(errors: Vec<f64>, scores: Vec<f64>) -> Self {
        debug_assert_eq!(errors.len(), scores.len());
        ScoreBlock { errors, scores, residuals: None, stats: Vec::new() }
    }
    /// Adds the residuals.
    pub fn with_residuals(mut self, residuals: Option<Residuals>) -> Self {
        self.residuals = residuals;
        self
    }
    /// Adds a named per-row statistic.
    pub fn with_stat(mut self, name: &'static str, values: Vec<f64>) -> Self {
        self.stats.push((name, values));
        self
    }
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.scores.len()
    }
    /// True when the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}

/// A fitted model as the rulers see it. `Send + Sync`, so blocks can be scored on any thread.
pub trait Scorer: Send + Sync {
    /// Short family name used in reports (`pca`, `ae`, `vae`, `cp`).
    fn name(&self) -> &'static str;
    /// The feature columns a block must have, in order.
    fn columns(&self) -> &[String];
    /// What [`ScoreBlock::errors`] measures.
    fn measure(&self) -> ErrorMeasure;
    /// Scores the rows of `x` (rows × [`Scorer::columns`]); with `want_residuals` the block
    /// carries the per-feature residuals too.
    fn score(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock>;
    /// The alarm threshold of the score, when the model was calibrated for one.
    fn threshold(&self) -> Option<f64> {
        None
    }
    /// Model-level constants worth reporting beside the scores (a PCA monitor's limits).
    fn constants(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
    /// The concrete model, for family-specific extras (a VAE's per-entry calls).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// What a model family implements to become a [`Scorer`] once paired with its column names
/// ([`Named`]): the family's name and error measure, and how it scores a block.
pub trait RowScorer: Send + Sync + 'static {
    /// Short family name used in reports.
    const NAME: &'static str;
    /// What the per-row errors measure.
    const MEASURE: ErrorMeasure;
    /// Scores the rows of `x` (see [`Scorer::score`]).
    fn score_rows(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock>;
    /// The alarm threshold, when the model was calibrated for one.
    fn threshold(&self) -> Option<f64> {
        None
    }
    /// Model-level constants worth reporting beside the scores.
    fn constants(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
}

/// A fitted model with the feature columns it was fitted on: the [`Scorer`] of any
/// [`RowScorer`].
#[derive(Debug, Clone)]
pub struct Named<M> {
    /// The model.
    pub model: M,
    /// Its feature columns, in order.
    pub columns: Vec<String>,
}

impl<M: RowScorer> Scorer for Named<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn measure(&self) -> ErrorMeasure {
        M::MEASURE
    }
    fn score(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock> {
        check_width(self, x)?;
        self.model.score_rows(x, want_residuals)
    }
    fn threshold(&self) -> Option<f64> {
        self.model.threshold()
    }
    fn constants(&self) -> Vec<(&'static str, f64)> {
        self.model.constants()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Checks that a block has the scorer's width (a clear error instead of a shape panic).
pub fn check_width(scorer: &dyn Scorer, x: MatRef<'_, f64>) -> Result<()> {
    let d = scorer.columns().len();
    if x.ncols() != d {
        return Err(crate::Error::InvalidData {
            what: "data".into(),
            reason: format!("{} columns, the model has {d}", x.ncols()),
        });
    }
    Ok(())
}
