//! The MLP autoencoder monitor.
//!
//! The input is standardised by the training mean and standard deviation (constant columns are
//! only centred, never divided by zero, and listed so the caller can warn); an encoder
//! `d → h₁ → … → h_k` and its mirror decoder `h_k → … → h₁ → d` are trained with Adam on the mean
//! squared error, in minibatches, with a validation split and early stopping (the weights of the
//! best validation epoch are kept). A row's score is its mean squared standardised residual; the
//! alarm threshold is calibrated on the held-out validation rows for a target false-alarm rate
//! (the conformal quantile when the split can resolve the rate, peaks-over-threshold otherwise).

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use faer::{Mat, MatRef};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use recon_core::model::{load_model, save_model, take_array, Array};
use recon_core::ruler::{pot_threshold, quantile_threshold, Threshold};
use recon_core::{Dataset, Fit};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Error, Result};
pub use crate::mlp::Activation;
use crate::mlp::{Mlp, Net};

const KIND: &str = "autoencoder";
const VERSION: u32 = 1;

/// Unfitted autoencoder settings.
#[derive(Debug, Clone)]
pub struct AutoencoderParams {
    hidden: Vec<usize>,
    activation: Activation,
    dropout: f64,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    validation: f64,
    patience: usize,
    target_far: f64,
    seed: u64,
}

/// What training did, epoch by epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingLog {
    /// Mean training loss of each epoch (standardised units).
    pub train_loss: Vec<f64>,
    /// Validation loss after each epoch.
    pub val_loss: Vec<f64>,
    /// The epoch (1-based) whose weights were kept.
    pub best_epoch: usize,
    /// True when early stopping ended training before the last epoch.
    pub stopped_early: bool,
    /// Rows used for training and for validation / calibration.
    pub n_train: usize,
    /// Rows held out.
    pub n_val: usize,
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
    /// `quantile` or `evt`.
    pub method: String,
}

/// A fitted autoencoder monitor.
#[derive(Debug, Clone)]
pub struct Autoencoder {
    mlp: Mlp,
    hidden: Vec<usize>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    constant: Vec<usize>,
    threshold: AeThreshold,
    log: TrainingLog,
    seed: u64,
}

impl AutoencoderParams {
    /// An autoencoder whose encoder has these hidden widths (the last is the bottleneck); the
    /// decoder mirrors it. Defaults: tanh, no dropout, 100 epochs, batch 64, learning rate 1e-3,
    /// 20% validation, patience 10, target false-alarm rate 0.01, seed 0.
    pub fn new(hidden: Vec<usize>) -> Self {
        AutoencoderParams {
            hidden,
            activation: Activation::Tanh,
            dropout: 0.0,
            epochs: 100,
            batch_size: 64,
            learning_rate: 1e-3,
            validation: 0.2,
            patience: 10,
            target_far: 0.01,
            seed: 0,
        }
    }
    /// Nonlinearity of the hidden layers.
    pub fn activation(mut self, a: Activation) -> Self {
        self.activation = a;
        self
    }
    /// Dropout probability after each hidden layer during training, in [0, 1).
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }
    /// Maximum number of epochs.
    pub fn epochs(mut self, n: usize) -> Self {
        self.epochs = n;
        self
    }
    /// Minibatch size.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }
    /// Adam's learning rate.
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = lr;
        self
    }
    /// Fraction of rows held out for early stopping and threshold calibration, in (0, 0.9].
    pub fn validation(mut self, f: f64) -> Self {
        self.validation = f;
        self
    }
    /// Epochs without validation improvement before stopping.
    pub fn patience(mut self, n: usize) -> Self {
        self.patience = n;
        self
    }
    /// False-alarm rate the threshold is calibrated for, in (0, 0.5).
    pub fn target_far(mut self, q: f64) -> Self {
        self.target_far = q;
        self
    }
    /// Seed of every random choice.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
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
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(invalid("epochs", "epochs and batch size must be positive"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(invalid("learning rate", format!("{} must be positive", self.learning_rate)));
        }
        if !(self.validation > 0.0 && self.validation <= 0.9) {
            return Err(invalid("validation", format!("{} is not in (0, 0.9]", self.validation)));
        }
        if !(self.target_far > 0.0 && self.target_far < 0.5) {
            return Err(invalid("target false-alarm rate", format!("{} is not in (0, 0.5)", self.target_far)));
        }
        if n < 10 {
            return Err(recon_core::Error::Empty {
                what: "training data".into(),
                reason: format!("{n} rows; an autoencoder needs at least 10"),
            }
            .into());
        }
        Ok(())
    }

    /// Fits, calling `on_epoch(epoch, train_loss, val_loss)` after each epoch (for a progress bar).
    pub fn fit_with(&self, data: &Dataset, mut on_epoch: impl FnMut(usize, f64, f64)) -> Result<Autoencoder> {
        let x = data.x.as_ref();
        let (n, d) = (x.nrows(), x.ncols());
        self.check(n, d)?;
        let (mean, scale, constant) = standardisation(data)?;
        let z: Vec<f32> = (0..n)
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| ((x[(i, j)] - mean[j]) / scale[j]) as f32)
            .collect();

        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let n_val = ((n as f64 * self.validation).round() as usize).clamp(1, n - 1);
        let (val_rows, train_rows) = order.split_at(n_val);
        let (val_rows, mut train_rows) = (val_rows.to_vec(), train_rows.to_vec());
        let val_x = Mat::from_fn(n_val, d, |i, j| z[val_rows[i] * d + j]);

        let mut sizes = vec![d];
        sizes.extend(&self.hidden);
        sizes.extend(self.hidden.iter().rev().skip(1));
        sizes.push(d);
        let init = Mlp::init(&sizes, self.activation, &mut rng);
        let device = Device::flex().autodiff();
        let mut net = Net::from_mlp(&init, &device);
        let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
        let keep = 1.0 - self.dropout;

        let mut log = TrainingLog { n_train: train_rows.len(), n_val, ..Default::default() };
        let mut best = (f64::INFINITY, init.clone());
        let mut since_best = 0;
        for epoch in 1..=self.epochs {
            train_rows.shuffle(&mut rng);
            let (mut sum, mut count) = (0.0, 0usize);
            for batch in train_rows.chunks(self.batch_size) {
                let b = batch.len();
                let data: Vec<f32> = batch.iter().flat_map(|&i| z[i * d..(i + 1) * d].iter().copied()).collect();
                let input: Tensor<2> = Tensor::from_data(TensorData::new(data, [b, d]), &device);
                let masks: Option<Vec<Tensor<2>>> = (self.dropout > 0.0).then(|| {
                    sizes[1..sizes.len() - 1]
                        .iter()
                        .map(|&w| {
                            let m: Vec<f32> = (0..b * w)
                                .map(|_| if rng.random::<f64>() < keep { (1.0 / keep) as f32 } else { 0.0 })
                                .collect();
                            Tensor::from_data(TensorData::new(m, [b, w]), &device)
                        })
                        .collect()
                });
                let out = net.forward(input.clone(), self.activation, masks.as_deref());
                let loss = (out - input).square().mean();
                let value = f64::from(loss.clone().into_scalar::<f32>());
                if !value.is_finite() {
                    return Err(Error::Diverged { epoch, loss: value });
                }
                sum += value * b as f64;
                count += b;
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optim.step(self.learning_rate, net, grads);
            }
            let mlp = net.to_mlp(self.activation);
            let val = mean_squared(&mlp, &val_x);
            if !val.is_finite() {
                return Err(Error::Diverged { epoch, loss: val });
            }
            log.train_loss.push(sum / count as f64);
            log.val_loss.push(val);
            on_epoch(epoch, sum / count as f64, val);
            if val < best.0 {
                best = (val, mlp);
                log.best_epoch = epoch;
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= self.patience && epoch < self.epochs {
                    log.stopped_early = true;
                    break;
                }
            }
        }
        let mlp = best.1;
        let val_scores = row_scores(&mlp, &val_x);
        let threshold = calibrate(&val_scores, self.target_far)?;
        Ok(Autoencoder { mlp, hidden: self.hidden.clone(), mean, scale, constant, threshold, log, seed: self.seed })
    }
}

impl Fit for AutoencoderParams {
    type Object = Autoencoder;
    type Error = Error;
    fn fit(&self, data: &Dataset) -> Result<Autoencoder> {
        self.fit_with(data, |_, _, _| {})
    }
}

/// The input scaler of the neural models: column means, sample standard deviations (n − 1),
/// and the constant columns (by [`Dataset::constant_column_indices`]), which are centred but
/// scaled by 1. All columns constant is an error.
pub(crate) fn standardisation(data: &Dataset) -> Result<(Vec<f64>, Vec<f64>, Vec<usize>)> {
    let x = data.x.as_ref();
    let (n, d) = (x.nrows(), x.ncols());
    let constant = data.constant_column_indices();
    if constant.len() == d {
        return Err(recon_core::Error::ZeroVariance.into());
    }
    let mean: Vec<f64> = (0..d).map(|j| x.col(j).iter().sum::<f64>() / n as f64).collect();
    let scale = (0..d)
        .map(|j| {
            if constant.contains(&j) {
                1.0
            } else {
                (x.col(j).iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
            }
        })
        .collect();
    Ok((mean, scale, constant))
}

/// The threshold for false-alarm rate `q` from held-out normal scores: the conformal quantile when
/// there are at least 10/q scores, peaks-over-threshold below that when the tail holds enough
/// exceedances, else the conformal quantile if it exists, else the largest held-out score (which
/// promises only a rate of 1/(n + 1); `method` says so).
fn calibrate(scores: &[f64], q: f64) -> Result<AeThreshold> {
    let n = scores.len();
    let pick: Result<(Threshold, &str)> = if n as f64 * q >= 10.0 {
        quantile_threshold(scores, q).map(|t| (t, "quantile")).map_err(Into::into)
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
    Ok(AeThreshold { value: t.value, target_far: q, calibration_far: t.calibration_far, method: method.into() })
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
        self.mean.len()
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
        &self.constant
    }
    /// The training history.
    pub fn log(&self) -> &TrainingLog {
        &self.log
    }

    fn standardise(&self, x: MatRef<'_, f64>) -> Result<Mat<f32>> {
        if x.ncols() != self.n_features() {
            return Err(invalid("data", format!("{} columns, the model has {}", x.ncols(), self.n_features())));
        }
        Ok(Mat::from_fn(x.nrows(), x.ncols(), |i, j| ((x[(i, j)] - self.mean[j]) / self.scale[j]) as f32))
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

    /// The reconstruction of `x` in its own units.
    pub fn reconstruct(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let z = self.standardise(x)?;
        let out = self.mlp.forward(z.as_ref());
        Ok(Mat::from_fn(x.nrows(), x.ncols(), |i, j| f64::from(out[(i, j)]) * self.scale[j] + self.mean[j]))
    }

    /// Writes `model.safetensors` + `model.json` into `dir`.
    pub fn save(&self, dir: &Path, columns: &[String]) -> Result<()> {
        if columns.len() != self.n_features() {
            return Err(invalid("columns", format!("{} names for {} features", columns.len(), self.n_features())));
        }
        let header = Header {
            kind: KIND.into(),
            version: VERSION,
            columns: columns.to_vec(),
            hidden: self.hidden.clone(),
            activation: self.mlp.activation,
            constant_columns: self.constant.iter().map(|&j| columns[j].clone()).collect(),
            threshold: self.threshold.clone(),
            seed: self.seed,
            training: self.log.clone(),
        };
        let d = self.n_features();
        let mut arrays = vec![
            ("mean".to_string(), Array { shape: vec![d], data: self.mean.clone() }),
            ("scale".to_string(), Array { shape: vec![d], data: self.scale.clone() }),
        ];
        self.mlp.push_arrays("layer", &mut arrays);
        let named: Vec<(&str, Array)> = arrays.iter().map(|(n, a)| (n.as_str(), a.clone())).collect();
        Ok(save_model(dir, &header, &named)?)
    }

    /// Loads a model written by [`Autoencoder::save`]; returns it with its column names.
    pub fn load(dir: &Path) -> Result<(Autoencoder, Vec<String>)> {
        let (h, mut arrays): (Header, _) = load_model(dir)?;
        let bad = |reason: String| Error::Core(recon_core::Error::BadModel { path: dir.to_path_buf(), reason });
        if h.kind != KIND {
            return Err(bad(format!("kind '{}' is not '{KIND}'", h.kind)));
        }
        if h.version != VERSION {
            return Err(bad(format!("version {} is not supported (expected {VERSION})", h.version)));
        }
        let d = h.columns.len();
        if d == 0 || h.hidden.is_empty() || h.hidden.contains(&0) || !(h.threshold.value >= 0.0) {
            return Err(bad("inconsistent header".into()));
        }
        let mean = take_array(dir, &mut arrays, "mean", &[d])?;
        let scale = take_array(dir, &mut arrays, "scale", &[d])?;
        if scale.iter().any(|s| !(*s > 0.0)) {
            return Err(bad("array 'scale' holds a non-positive divisor".into()));
        }
        let mut sizes = vec![d];
        sizes.extend(&h.hidden);
        sizes.extend(h.hidden.iter().rev().skip(1));
        sizes.push(d);
        let mlp = Mlp::take_arrays(dir, &mut arrays, "layer", &sizes, h.activation)?;
        if let Some(extra) = arrays.keys().next() {
            return Err(bad(format!("unexpected array '{extra}' (the header describes {} layers)", mlp.layers.len())));
        }
        let constant = h
            .constant_columns
            .iter()
            .map(|c| h.columns.iter().position(|x| x == c).ok_or_else(|| bad(format!("unknown constant column '{c}'"))))
            .collect::<Result<Vec<_>>>()?;
        let ae = Autoencoder {
            mlp,
            hidden: h.hidden,
            mean,
            scale,
            constant,
            threshold: h.threshold,
            log: h.training,
            seed: h.seed,
        };
        Ok((ae, h.columns))
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
