//! The MLP autoencoder monitor.
//!
//! The input is standardised by the training mean and standard deviation (constant columns are
//! only centred, never divided by zero, and listed so the caller can warn); an encoder
//! `d → h₁ → … → h_k` and its mirror decoder `h_k → … → h₁ → d` are trained with Adam on the mean
//! squared error, in minibatches, with a validation split and early stopping (the weights of the
//! best validation epoch are kept). A row's score is its mean squared standardised residual; the
//! alarm threshold is calibrated on the held-out validation rows for a target false-alarm rate
//! (the conformal quantile when the split can resolve the rate, peaks-over-threshold otherwise).
//! With [`AutoencoderParams::cv_folds`] the threshold comes from *out-of-fold* scores instead:
//! the rows are cut into contiguous blocks, each block is scored by an autoencoder (same
//! settings) fitted on the others, and the threshold is calibrated on all those scores, with the
//! false-alarm rate the procedure gives estimated fold by fold ([`recon_core::ruler::cv`]). The
//! random validation rows share their neighbours' autocorrelation with the training rows and
//! also chose the epoch; blocks of time do neither.

use std::path::Path;

use burn::tensor::{Tensor, TensorData};
use faer::{Mat, MatRef};
use rand::{rngs::StdRng, Rng, SeedableRng};
use recon_core::model::{save_model, ModelFile, ModelKind};
use recon_core::ruler::{pot_threshold, quantile_threshold, Contamination, Threshold};
use recon_core::Scaler;
use recon_core::{Dataset, ErrorMeasure, Fit, Named, Reconstruct, Residuals, RowScorer, ScoreBlock};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
pub use crate::mlp::Activation;
use crate::mlp::{Mlp, Net};
use crate::train::{train, Optimised, TrainConfig, Trainee, TrainingLog};

/// Unfitted autoencoder settings.
#[derive(Debug, Clone)]
pub struct AutoencoderParams {
    hidden: Vec<usize>,
    activation: Activation,
    dropout: f64,
    train: TrainConfig,
    target_far: f64,
    cv_folds: Option<usize>,
    auto: bool,
    contamination: Option<Contamination>,
    group_robust: Option<f64>,
}

/// The calibrated alarm threshold of a fitted autoencoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AeThreshold {
    /// Scores above this raise an alarm.
    pub value: f64,
    /// The false-alarm rate asked for.
    pub target_far: f64,
    /// The fraction of held-out normal scores above `value`.
    pub calibration_far: f64,
    /// `quantile` or `evt` (`max` when neither can resolve the rate); `cv-` in front for
    /// out-of-fold scores.
    pub method: String,
    /// With out-of-fold calibration: the folds and the estimated false-alarm rate with its 95% interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<recon_core::ruler::CvEstimate>,
    /// With contaminated training data: how many rows the trimmed fit left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trimmed: Option<recon_core::ruler::TrimSummary>,
}

/// A fitted autoencoder monitor.
#[derive(Debug, Clone)]
pub struct Autoencoder {
    mlp: Mlp,
    hidden: Vec<usize>,
    scaler: Scaler,
    threshold: AeThreshold,
    log: TrainingLog,
    seed: u64,
}

crate::train::trainable!(AutoencoderParams);

impl AutoencoderParams {
    /// An autoencoder whose encoder has these hidden widths (the last is the bottleneck); the
    /// decoder mirrors it. Defaults: tanh, no dropout, [`AutoencoderParams::default_training`]
    /// (up to 1000 epochs, batch 64, learning rate 1e-2 halved on plateaus, 20% validation,
    /// patience 20, seed 0), target false-alarm rate 0.01.
    pub fn new(hidden: Vec<usize>) -> Self {
        AutoencoderParams {
            hidden,
            activation: Activation::Tanh,
            dropout: 0.0,
            train: Self::default_training(),
            target_far: 0.01,
            cv_folds: None,
            auto: false,
            contamination: None,
            group_robust: None,
        }
    }
    /// Group-robust training (group DRO, Sagawa et al. 2020, online form): the rows' groups
    /// (`Dataset::groups`) get weights `q`, each minibatch multiplies a group's weight by
    /// `exp(eta · its mean loss in the batch)` and the loss is the `q`-weighted mean of the group
    /// losses, so training pushes on the group rebuilt worst; early stopping and the kept epoch
    /// follow the worst group's held-out loss. `eta` is the step of the weights (0.01 is a
    /// usual start; larger reacts faster).
    pub fn group_robust(mut self, eta: f64) -> Self {
        self.group_robust = Some(eta);
        self
    }
    /// The default encoder widths for `d` features: 2·d capped to [4, 64], then a bottleneck of d/4.
    pub fn default_hidden(d: usize) -> Vec<usize> {
        vec![(2 * d).clamp(4, 64), (d / 4).max(1)]
    }
    /// The autoencoder's training defaults: stop when the held-out loss has not improved for 20
    /// epochs, halving the learning rate (from 1e-2) after every 10 without improvement; the
    /// budget of 1000 epochs is there so that convergence, not the budget, ends a typical fit
    /// (BENCHMARKS.md, "Training that converges by itself").
    pub fn default_training() -> TrainConfig {
        TrainConfig::new().with_epochs(1000).with_patience(20).with_learning_rate(1e-2)
    }
    recon_core::setters! {
        /// Nonlinearity of the hidden layers.
        activation: Activation;
        /// Dropout probability after each hidden layer during training, in [0, 1).
        dropout: f64;
        /// False-alarm rate the threshold is calibrated for, in (0, 0.5).
        target_far: f64;
    }

    fn check(&self, n: usize, d: usize) -> Result<()> {
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(invalid("hidden", "give one or more positive layer widths, such as 32,8"));
        }
        if *self.hidden.last().expect("non-empty") >= d {
            return Err(invalid(
                "hidden",
                format!(
                    "the bottleneck ({}) must be narrower than the {d} features",
                    self.hidden.last().expect("non-empty")
                ),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(invalid("dropout", format!("{} is not in [0, 1)", self.dropout)));
        }
        self.train.check()?;
        if !(self.target_far > 0.0 && self.target_far < 0.5) {
            return Err(invalid("target false-alarm rate", format!("{} is not in (0, 0.5)", self.target_far)));
        }
        if n < 10 {
            return Err(recon_core::Error::Empty {
                what: "training data".into(),
                reason: format!("{n} rows; an autoencoder needs at least 10"),
            });
        }
        Ok(())
    }

    /// Calibrate the threshold on out-of-fold scores of `folds` contiguous blocks (≥ 2; the
    /// autoencoder is fitted `folds` more times) instead of the random validation rows.
    pub fn cv_folds(mut self, folds: usize) -> Self {
        self.cv_folds = Some(folds);
        self
    }

    /// The training rows may hold outliers: fit on the rows that look normal, by iteratively
    /// trimmed refits on the reconstruction score ([`recon_core::ruler::trim`]; at most
    /// [`TRIM_ROUNDS`] fits while trimming, then the final fit, threshold and all, on the kept rows).
    pub fn contamination(mut self, c: Contamination) -> Self {
        self.contamination = Some(c);
        self
    }

    /// Let the training set choose the threshold (what `recon fit` does without `--limits`):
    /// out-of-fold scores of [`recon_core::ruler::DEFAULT_FOLDS`] blocks below
    /// [`recon_core::ruler::CV_BELOW_ROWS`] rows (when every fold model has at least 10 rows to
    /// train on), the random validation rows above.
    pub fn auto_limits(mut self) -> Self {
        self.auto = true;
        self
    }

    /// Out-of-fold scores of every row (each block scored by an autoencoder with these settings
    /// fitted on the other blocks) and the threshold calibrated on them.
    fn cv_threshold(&self, data: &Dataset, folds: usize) -> Result<AeThreshold> {
        let (scores, blocks) = self.out_of_fold_scores(data, folds, &mut |_, _, _| {})?;
        let mut t = calibrate(&scores, self.target_far)?;
        t.method = format!("cv-{}", t.method);
        t.cv = Some(recon_core::ruler::out_of_fold_far(&[&scores], &blocks, self.target_far)?);
        Ok(t)
    }

    /// The score of every row of `data` by an autoencoder (these settings, one fit) fitted on the
    /// other `folds − 1` contiguous blocks, and the blocks.
    fn out_of_fold_scores(
        &self,
        data: &Dataset,
        folds: usize,
        on_epoch: &mut dyn FnMut(usize, f64, f64),
    ) -> Result<(Vec<f64>, Vec<std::ops::Range<usize>>)> {
        let n = data.n_rows();
        let blocks = recon_core::ruler::contiguous_folds(n, folds)?;
        let single = AutoencoderParams { cv_folds: None, auto: false, contamination: None, ..self.clone() };
        let mut scores = vec![0.0; n];
        for block in &blocks {
            let keep: Vec<usize> = (0..n).filter(|i| !block.contains(i)).collect();
            let ae = single.fit_plain(&data.select_rows(&keep), on_epoch)?;
            let s = ae.score(data.x.as_ref().subrows(block.start, block.len()))?;
            scores[block.clone()].copy_from_slice(&s);
        }
        Ok((scores, blocks))
    }

    /// Layer widths `d → hidden → mirrored hidden → d`.
    fn sizes(hidden: &[usize], d: usize) -> Vec<usize> {
        let mut sizes = vec![d];
        sizes.extend(hidden);
        sizes.extend(hidden.iter().rev().skip(1));
        sizes.push(d);
        sizes
    }

    /// Fits, calling `on_epoch(epoch, train_loss, val_loss)` after each epoch (for a progress bar;
    /// with contamination, of every fit in turn).
    pub fn fit_with(&self, data: &Dataset, mut on_epoch: impl FnMut(usize, f64, f64)) -> Result<Autoencoder> {
        let Some(c) = self.contamination else { return self.fit_plain(data, &mut on_epoch) };
        let plain = AutoencoderParams { contamination: None, ..self.clone() };
        let quick = AutoencoderParams { cv_folds: None, auto: false, ..plain.clone() };
        let n = data.n_rows();
        // The first round scores every row by a model that did not see it: an autoencoder fitted
        // on all rows can learn to rebuild the outliers among them, and they would look normal
        // to the rounds that follow.
        let t = recon_core::ruler::trimmed_rows(n, c, TRIM_ROUNDS, |kept| {
            if kept.len() == n && n >= 2 * recon_core::ruler::DEFAULT_FOLDS * 10 {
                return Ok(quick.out_of_fold_scores(data, recon_core::ruler::DEFAULT_FOLDS, &mut on_epoch)?.0);
            }
            quick.fit_plain(&data.select_rows(kept), &mut on_epoch)?.score(data.x.as_ref())
        })?;
        let mut ae = plain.fit_plain(&data.select_rows(&t.kept(n)), &mut on_epoch)?;
        let left_out = ae.score(data.select_rows(&t.dropped).x.as_ref())?;
        ae.threshold.trimmed = Some(t.summary().with_left_out_scores(&left_out, ae.threshold.value));
        Ok(ae)
    }

    fn fit_plain(&self, data: &Dataset, on_epoch: &mut dyn FnMut(usize, f64, f64)) -> Result<Autoencoder> {
        let x = data.x.as_ref();
        let (n, d) = (x.nrows(), x.ncols());
        self.check(n, d)?;
        let scaler = Scaler::standardise(x);
        if scaler.constant.len() == d {
            return Err(recon_core::Error::ZeroVariance);
        }
        let z: Vec<f32> =
            (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).map(|(i, j)| scaler.apply(x[(i, j)], j) as f32).collect();

        let mut rng = StdRng::seed_from_u64(self.train.seed);
        let (val_rows, train_rows) = self.train.split(n, 1, &mut rng);
        let n_val = val_rows.len();
        let val_x = Mat::from_fn(n_val, d, |i, j| z[val_rows[i] * d + j]);

        let dro = match self.group_robust {
            None => None,
            Some(eta) => {
                if !(eta > 0.0 && eta.is_finite()) {
                    return Err(invalid("group-robust step", format!("{eta} is not a positive number")));
                }
                let groups = data
                    .groups
                    .as_ref()
                    .ok_or_else(|| invalid("groups", "group-robust training needs a group column"))?;
                let index = recon_core::GroupIndex::new(groups);
                if index.len() < 2 {
                    return Err(invalid("groups", "group-robust training needs two or more groups"));
                }
                let of_row = index.of_row;
                let val_groups = val_rows.iter().map(|&r| of_row[r]).collect();
                Some(Dro { q: vec![1.0 / index.names.len() as f64; index.names.len()], eta, of_row, val_groups })
            }
        };
        let sizes = Self::sizes(&self.hidden, d);
        let init = Mlp::init(&sizes, self.activation, &mut rng);
        let device = self.train.backend.autodiff_device();
        let mut trainee = AeTrainee {
            dro,
            net: Optimised::adam(Net::from_mlp(&init, &device), self.train.learning_rate, device),
            z: &z,
            d,
            widths: sizes[1..sizes.len() - 1].to_vec(),
            activation: self.activation,
            keep: 1.0 - self.dropout,
            val_x: &val_x,
            current: init,
        };
        let (mlp, log) = train(&self.train, &mut trainee, train_rows, n_val, 0, &mut rng, on_epoch)?;
        // On standardised rows, rebuilding every row as the mean scores about 1: a best held-out
        // loss far above that is a fit that blew up, not a model.
        let best = log.best_val_loss();
        if !(best <= DIVERGED_LOSS) {
            return Err(recon_core::Error::Diverged { epoch: log.val_loss.len(), loss: best });
        }
        // Every fold model needs 20 training rows: 5 per fold of 5.
        let auto = self
            .auto
            .then(|| recon_core::ruler::cv::auto_folds(n, recon_core::ruler::DEFAULT_FOLDS, self.target_far, 5))
            .flatten();
        let threshold = match self.cv_folds.or(auto) {
            Some(folds) => self.cv_threshold(data, folds)?,
            None => calibrate(&row_scores(&mlp, &val_x), self.target_far)?,
        };
        Ok(Autoencoder { mlp, hidden: self.hidden.clone(), scaler, threshold, log, seed: self.train.seed })
    }
}

/// Fits while trimming outliers from contaminated training rows, before the final fit: the
/// first scores every row out of fold, the second is fitted on the lower-scoring half and scores
/// the rest without having seen them. More rounds refit on rows that still hold undetected
/// outliers, which an autoencoder learns to rebuild, and the estimate drifts down (on cardio:
/// 6.6% after three rounds, 3.1% after five, against 8.1% after two; 9.6% are labelled outliers).
pub const TRIM_ROUNDS: usize = 2;

/// Group DRO state: the group weights, the group of every row, of every validation row.
struct Dro {
    q: Vec<f64>,
    eta: f64,
    of_row: Vec<usize>,
    val_groups: Vec<usize>,
}

/// A best held-out loss (mean squared standardised residual) above this is a diverged fit:
/// ten times worse than rebuilding every row as the training mean.
pub const DIVERGED_LOSS: f64 = 10.0;

/// The autoencoder as the training loop sees it: one network, one Adam optimiser, the mean
/// squared error of a (dropout-masked) forward pass.
struct AeTrainee<'a> {
    /// Group-robust training: the group weights and each row's group.
    dro: Option<Dro>,
    net: Optimised<Net>,
    /// Standardised training rows, row-major.
    z: &'a [f32],
    d: usize,
    /// Widths of the hidden layers (one dropout mask each).
    widths: Vec<usize>,
    activation: Activation,
    keep: f64,
    val_x: &'a Mat<f32>,
    /// The weights after the last validation.
    current: Mlp,
}

impl Trainee for AeTrainee<'_> {
    type Snapshot = Mlp;

    fn step(&mut self, batch: &[usize], _epoch: usize, rng: &mut StdRng) -> Result<f64> {
        let (b, d) = (batch.len(), self.d);
        let input = self.net.rows(self.z, d, batch);
        let keep = self.keep;
        let masks: Option<Vec<Tensor<2>>> = (keep < 1.0).then(|| {
            self.widths
                .iter()
                .map(|&w| {
                    let m: Vec<f32> = (0..b * w)
                        .map(|_| if rng.random::<f64>() < keep { (1.0 / keep) as f32 } else { 0.0 })
                        .collect();
                    self.net.tensor(m, [b, w])
                })
                .collect()
        });
        let activation = self.activation;
        let Some(dro) = self.dro.as_mut() else {
            return Ok(self.net.descend(|net| {
                let out = net.forward(input.clone(), activation, masks.as_deref());
                (out - input).square().mean()
            }));
        };
        let groups: Vec<usize> = batch.iter().map(|&r| dro.of_row[r]).collect();
        let device = self.net.device.clone();
        Ok(self.net.descend(|net| {
            let out = net.forward(input.clone(), activation, masks.as_deref());
            let per_row = (out - input).square().mean_dim(1).reshape([b]);
            let values: Vec<f32> = per_row.clone().into_data().try_to_vec::<f32>().unwrap_or_default();
            let k = dro.q.len();
            let (mut sum, mut count) = (vec![0.0f64; k], vec![0usize; k]);
            for (&g, &v) in groups.iter().zip(&values) {
                sum[g] += f64::from(v);
                count[g] += 1;
            }
            for g in 0..k {
                if count[g] > 0 {
                    dro.q[g] *= (dro.eta * sum[g] / count[g] as f64).exp();
                }
            }
            let total: f64 = dro.q.iter().sum();
            dro.q.iter_mut().for_each(|v| *v /= total);
            // Weight of a row: its group's weight over the group's rows in the batch, renormalised
            // over the groups present (the q-weighted mean of the group means).
            let present: f64 = (0..k).filter(|&g| count[g] > 0).map(|g| dro.q[g]).sum();
            let w: Vec<f32> = groups.iter().map(|&g| (dro.q[g] / (present * count[g] as f64)) as f32).collect();
            let w = Tensor::<1>::from_data(TensorData::new(w, [b]), &device);
            (per_row * w).sum()
        }))
    }

    fn validate(&mut self) -> Result<f64> {
        self.current = self.net.module().to_mlp(self.activation);
        let Some(dro) = &self.dro else { return Ok(mean_squared(&self.current, self.val_x)) };
        // The worst group's held-out loss.
        let scores = row_scores(&self.current, self.val_x);
        let k = dro.q.len();
        let (mut sum, mut count) = (vec![0.0f64; k], vec![0usize; k]);
        for (&g, s) in dro.val_groups.iter().zip(&scores) {
            sum[g] += s;
            count[g] += 1;
        }
        Ok((0..k).filter(|&g| count[g] > 0).map(|g| sum[g] / count[g] as f64).fold(f64::NEG_INFINITY, f64::max))
    }

    fn snapshot(&mut self) -> Mlp {
        self.current.clone()
    }

    fn restart(&mut self, snapshot: &Mlp, factor: f64) {
        let net = Net::from_mlp(snapshot, &self.net.device);
        self.net.restart(net, factor);
    }
}

impl Fit for AutoencoderParams {
    type Object = Autoencoder;
    type Error = recon_core::Error;
    fn fit(&self, data: &Dataset) -> Result<Autoencoder> {
        self.fit_with(data, |_, _, _| {})
    }
}

/// The threshold for false-alarm rate `q` from held-out normal scores: the conformal quantile when
/// there are at least 10/q scores, peaks-over-threshold below that when the tail holds enough
/// exceedances, else the conformal quantile if it exists, else the largest held-out score (which
/// promises only a rate of 1/(n + 1); `method` says so).
fn calibrate(scores: &[f64], q: f64) -> Result<AeThreshold> {
    let n = scores.len();
    let pick: Result<(Threshold, &str)> = if n as f64 * q >= 10.0 {
        quantile_threshold(scores, q).map(|t| (t, "quantile"))
    } else {
        match pot_threshold(scores, q) {
            Ok(t) => Ok((t, "evt")),
            Err(_) => match quantile_threshold(scores, q) {
                Ok(t) => Ok((t, "quantile")),
                Err(_) => {
                    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    if !max.is_finite() {
                        return Err(invalid("calibration scores", "non-finite held-out scores"));
                    }
                    Ok((Threshold { value: max, target_far: q, calibration_far: 0.0 }, "max"))
                }
            },
        }
    };
    let (t, method) = pick?;
    Ok(AeThreshold {
        value: t.value,
        target_far: q,
        calibration_far: t.calibration_far,
        method: method.into(),
        cv: None,
        trimmed: None,
    })
}

fn row_scores(mlp: &Mlp, z: &Mat<f32>) -> Vec<f64> {
    let out = mlp.forward(z.as_ref());
    let d = z.ncols() as f64;
    (0..z.nrows())
        .map(|i| (0..z.ncols()).map(|j| f64::from(out[(i, j)] - z[(i, j)]).powi(2)).sum::<f64>() / d)
        .collect()
}

fn mean_squared(mlp: &Mlp, z: &Mat<f32>) -> f64 {
    let s = row_scores(mlp, z);
    s.iter().sum::<f64>() / s.len() as f64
}

/// Scores, residuals and reconstructions of a batch of rows.
#[derive(Debug, Clone)]
pub struct AeOutput {
    /// Mean squared standardised residual of each row.
    pub score: Vec<f64>,
    /// Standardised residuals `(x − x̂) ⊘ s`, rows × features.
    pub residuals: Mat<f64>,
}

impl Autoencoder {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.scaler.len()
    }
    /// Hidden-layer nonlinearity.
    pub fn activation(&self) -> Activation {
        self.mlp.activation
    }
    /// Encoder widths (the last is the bottleneck).
    pub fn hidden(&self) -> &[usize] {
        &self.hidden
    }
    /// The calibrated threshold.
    pub fn threshold(&self) -> &AeThreshold {
        &self.threshold
    }
    /// Indices of the columns that were constant in training (centred, not scaled).
    pub fn constant_columns(&self) -> &[usize] {
        &self.scaler.constant
    }
    /// The input scaler.
    pub fn scaler(&self) -> &Scaler {
        &self.scaler
    }
    /// The training history.
    pub fn log(&self) -> &TrainingLog {
        &self.log
    }

    fn standardise(&self, x: MatRef<'_, f64>) -> Result<Mat<f32>> {
        if x.ncols() != self.n_features() {
            return Err(recon_core::Error::invalid_data(
                "data",
                format!("{} columns, the model has {}", x.ncols(), self.n_features()),
            ));
        }
        Ok(Mat::from_fn(x.nrows(), x.ncols(), |i, j| self.scaler.apply(x[(i, j)], j) as f32))
    }

    /// Scores and standardised residuals of the rows of `x` (in the training units).
    pub fn evaluate(&self, x: MatRef<'_, f64>) -> Result<AeOutput> {
        let z = self.standardise(x)?;
        let out = self.mlp.forward(z.as_ref());
        let residuals = Mat::from_fn(z.nrows(), z.ncols(), |i, j| f64::from(z[(i, j)] - out[(i, j)]));
        let d = z.ncols() as f64;
        let score =
            (0..z.nrows()).map(|i| (0..z.ncols()).map(|j| residuals[(i, j)].powi(2)).sum::<f64>() / d).collect();
        Ok(AeOutput { score, residuals })
    }

    /// The score of each row (mean squared standardised residual): the same numbers as
    /// [`Autoencoder::evaluate`], without the residual matrix, in cache-sized blocks of rows.
    pub fn score(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        const BLOCK: usize = 2048;
        let (n, d) = (x.nrows(), x.ncols());
        let mut score = vec![0.0f64; n];
        for start in (0..n).step_by(BLOCK) {
            let rows = BLOCK.min(n - start);
            let z = self.standardise(x.subrows(start, rows))?;
            let out = self.mlp.forward(z.as_ref());
            let s = &mut score[start..start + rows];
            for j in 0..d {
                for ((acc, &a), &b) in s.iter_mut().zip(z.col_as_slice(j)).zip(out.col_as_slice(j)) {
                    let e = f64::from(a - b);
                    *acc += e * e;
                }
            }
        }
        for v in &mut score {
            *v /= d as f64;
        }
        Ok(score)
    }

    /// Writes `model.safetensors` + `model.json` into `dir`.
    pub fn save(&self, dir: &Path, columns: &[String]) -> Result<()> {
        if columns.len() != self.n_features() {
            return Err(invalid("columns", format!("{} names for {} features", columns.len(), self.n_features())));
        }
        let header = Header {
            kind: ModelKind::Autoencoder.as_str().into(),
            version: ModelKind::Autoencoder.version(),
            columns: columns.to_vec(),
            hidden: self.hidden.clone(),
            activation: self.mlp.activation,
            constant_columns: self.scaler.constant.iter().map(|&j| columns[j].clone()).collect(),
            threshold: self.threshold.clone(),
            seed: self.seed,
            training: self.log.clone(),
        };
        let mut arrays = self.scaler.arrays();
        self.mlp.push_arrays("layer", &mut arrays);
        save_model(dir, &header, &arrays)
    }

    /// Loads a model written by [`Autoencoder::save`]; returns it with its column names.
    pub fn load(dir: &Path) -> Result<(Autoencoder, Vec<String>)> {
        Self::from_file(&mut ModelFile::open(dir)?)
    }

    /// Builds the model from an opened model folder (the registry's entry point).
    pub fn from_file(file: &mut ModelFile) -> Result<(Autoencoder, Vec<String>)> {
        file.expect_kind(ModelKind::Autoencoder)?;
        let h: Header = file.fields()?;
        let d = h.columns.len();
        if d == 0 || h.hidden.is_empty() || h.hidden.contains(&0) || !(h.threshold.value >= 0.0) {
            return Err(file.bad("inconsistent header"));
        }
        let constant = h
            .constant_columns
            .iter()
            .map(|c| {
                h.columns.iter().position(|x| x == c).ok_or_else(|| file.bad(format!("unknown constant column '{c}'")))
            })
            .collect::<Result<Vec<_>>>()?;
        let scaler = Scaler::take_from(file, d, constant)?;
        let sizes = AutoencoderParams::sizes(&h.hidden, d);
        let mlp = Mlp::take_arrays(file, "layer", &sizes, h.activation)?;
        file.finish()?;
        let ae = Autoencoder { mlp, hidden: h.hidden, scaler, threshold: h.threshold, log: h.training, seed: h.seed };
        Ok((ae, h.columns))
    }
}

impl Reconstruct for Autoencoder {
    type Error = recon_core::Error;
    /// The bottleneck activations of each row.
    fn encode(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let z = self.standardise(x)?;
        let k = self.hidden.len();
        let h = self.mlp.forward_layers(z.as_ref(), 0..k, true);
        Ok(Mat::from_fn(h.nrows(), h.ncols(), |i, j| f64::from(h[(i, j)])))
    }
    /// Bottleneck codes back to rows in the input's units.
    fn decode(&self, codes: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let k = self.hidden.len();
        let width = *self.hidden.last().expect("an autoencoder has a bottleneck");
        if codes.ncols() != width {
            return Err(recon_core::Error::invalid_data(
                "codes",
                format!("{} columns, the bottleneck has {width}", codes.ncols()),
            ));
        }
        let c = Mat::from_fn(codes.nrows(), codes.ncols(), |i, j| codes[(i, j)] as f32);
        let out = self.mlp.forward_layers(c.as_ref(), k..self.mlp.layers.len(), false);
        Ok(Mat::from_fn(out.nrows(), out.ncols(), |i, j| self.scaler.invert(f64::from(out[(i, j)]), j)))
    }
    /// The reconstruction of `x` in its own units (one pass through the whole network).
    fn reconstruct(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let z = self.standardise(x)?;
        let out = self.mlp.forward(z.as_ref());
        Ok(Mat::from_fn(x.nrows(), x.ncols(), |i, j| self.scaler.invert(f64::from(out[(i, j)]), j)))
    }
}

/// An autoencoder with the feature columns it was fitted on, as the rulers see it: the score is
/// the mean squared standardised residual against the calibrated threshold, the per-row error
/// the sum of squared standardised residuals.
pub type AeScorer = Named<Autoencoder>;

impl RowScorer for Autoencoder {
    const NAME: &'static str = "ae";
    const MEASURE: ErrorMeasure = ErrorMeasure::SquaredError;
    fn score_rows(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock> {
        let d = x.ncols() as f64;
        if want_residuals {
            let out = self.evaluate(x)?;
            let errors = out.score.iter().map(|s| s * d).collect();
            return Ok(ScoreBlock::new(errors, out.score).with_residuals(Some(Residuals::from_matrix(out.residuals))));
        }
        let scores = self.score(x)?;
        Ok(ScoreBlock::new(scores.iter().map(|s| s * d).collect(), scores))
    }
    fn threshold(&self) -> Option<f64> {
        Some(self.threshold.value)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    kind: String,
    version: u32,
    columns: Vec<String>,
    hidden: Vec<usize>,
    activation: Activation,
    constant_columns: Vec<String>,
    threshold: AeThreshold,
    seed: u64,
    training: TrainingLog,
}
