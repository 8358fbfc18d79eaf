//! The one training loop of the neural families, and its settings.
//!
//! [`TrainConfig`] holds what every family trains with (epochs, batch size, learning rate,
//! validation share, patience, seed, backend), in burn's `#[derive(Config)]` style: `new()` gives
//! the defaults and `with_*` changes one. A family keeps its own defaults by starting from its own
//! config (the autoencoder stops after 20 epochs without improvement, the VAE after 40).
//!
//! [`train`] runs epochs of shuffled minibatches over a [`Trainee`], checks every loss for
//! divergence, validates after each epoch, keeps the best epoch's weights, halves the learning
//! rate on plateaus (back at the best weights) and stops when the held-out loss has stopped
//! improving — the epoch count is a budget, and the log says whether convergence or the budget
//! ended the fit. The
//! trainee owns its networks and optimisers and does one optimisation step per batch, so a model
//! made of two networks with two optimisers and alternating steps (a GAN: discriminator step on
//! detached fakes, then generator step, each `GradientsParams::from_grads` per module) is a
//! trainee like any other.
//!
//! # Example
//!
//! ```
//! use recon_neural::TrainConfig;
//! let cfg = TrainConfig::new().with_epochs(50).with_seed(7);
//! assert_eq!((cfg.epochs, cfg.batch_size, cfg.seed), (50, 64, 7));
//! assert!(cfg.check().is_ok());
//! assert!(TrainConfig::new().with_validation(1.0).check().is_err());
//! assert!(TrainConfig::new().with_min_delta(1.0).check().is_err());
//! assert!(TrainConfig::new().with_min_delta(0.01).check().is_ok());
//! ```

use burn::config::Config;
use burn::module::Module;
use burn::optim::module_optimizer::ModuleOptimizer;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{rngs::StdRng, seq::SliceRandom};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Error, Result};

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn's pure-Rust `flex` CPU backend (f32).
    #[default]
    Flex,
}

impl Backend {
    /// The autodiff device of this backend.
    pub fn autodiff_device(self) -> Device {
        match self {
            Backend::Flex => Device::flex().autodiff(),
        }
    }
}

/// Training settings shared by every neural family.
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// Maximum number of epochs.
    #[config(default = 100)]
    pub epochs: usize,
    /// Minibatch size.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Fraction of rows held out, in (0, 0.9].
    #[config(default = 0.2)]
    pub validation: f64,
    /// Epochs without validation improvement before stopping.
    #[config(default = 10)]
    pub patience: usize,
    /// Smallest relative improvement of the held-out loss that resets the patience (as Keras'
    /// `min_delta`, relative): 0 counts any improvement. The best weights are kept either way.
    #[config(default = 0.0)]
    pub min_delta: f64,
    /// Factor the learning rate is multiplied by after `patience / 2` epochs without
    /// improvement (reduce-on-plateau; 1 keeps it fixed). The best weights are restored first.
    #[config(default = 0.5)]
    pub lr_decay: f64,
    /// Seed of every random choice (split, initial weights, shuffling, dropout, noise).
    #[config(default = 0)]
    pub seed: u64,
    /// Where training runs.
    #[config(default = "Backend::Flex")]
    pub backend: Backend,
}

impl TrainConfig {
    /// Checks the settings (not the data).
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(invalid("epochs / batch size", "must be positive"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(invalid("learning rate", format!("{} must be positive", self.learning_rate)));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return Err(invalid("learning-rate decay", format!("{} is not in (0, 1]", self.lr_decay)));
        }
        if !(self.min_delta >= 0.0 && self.min_delta < 1.0) {
            return Err(invalid("min delta", format!("{} is not in [0, 1)", self.min_delta)));
        }
        if !(self.validation > 0.0 && self.validation <= 0.9) {
            return Err(invalid("validation", format!("{} is not in (0, 0.9]", self.validation)));
        }
        Ok(())
    }

    /// Shuffles the row indices `0..n` with `rng` and splits off the held-out share (at least
    /// `min_held` rows, and at least `min_held` left to train on): `(held_out, train)`.
    pub(crate) fn split(&self, n: usize, min_held: usize, rng: &mut StdRng) -> (Vec<usize>, Vec<usize>) {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let n_val = ((n as f64 * self.validation).round() as usize).clamp(min_held, n - min_held);
        let train = order.split_off(n_val);
        (order, train)
    }
}

/// The training settings of a neural family's parameters: the family holds one
/// [`TrainConfig`] and gets these setters from it.
pub trait Trainable: Sized {
    /// The training settings.
    fn train_config(&self) -> &TrainConfig;
    /// The training settings, to change.
    fn train_config_mut(&mut self) -> &mut TrainConfig;
    /// All training settings at once.
    fn training(mut self, train: TrainConfig) -> Self {
        *self.train_config_mut() = train;
        self
    }
    /// Maximum number of epochs.
    fn epochs(mut self, n: usize) -> Self {
        self.train_config_mut().epochs = n;
        self
    }
    /// Fraction of rows held out, in (0, 0.9].
    fn validation(mut self, f: f64) -> Self {
        self.train_config_mut().validation = f;
        self
    }
    /// Seed of every random choice.
    fn seed(mut self, s: u64) -> Self {
        self.train_config_mut().seed = s;
        self
    }
}

/// Implements [`Trainable`] for parameter types whose `train` field is their [`TrainConfig`].
macro_rules! trainable {
    ($($t:ty),*) => {$(
        impl $crate::train::Trainable for $t {
            fn train_config(&self) -> &$crate::train::TrainConfig {
                &self.train
            }
            fn train_config_mut(&mut self) -> &mut $crate::train::TrainConfig {
                &mut self.train
            }
        }
    )*};
}
pub(crate) use trainable;

/// What training did, epoch by epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingLog {
    /// Mean training loss of each epoch.
    pub train_loss: Vec<f64>,
    /// Validation loss after each epoch.
    pub val_loss: Vec<f64>,
    /// The epoch (1-based) whose weights were kept.
    pub best_epoch: usize,
    /// True when early stopping ended training before the last epoch.
    pub stopped_early: bool,
    /// True when training ended because the validation loss stopped improving (the epoch
    /// budget was not what stopped it).
    #[serde(default)]
    pub converged: bool,
    /// Epochs at which the learning rate was reduced.
    #[serde(default)]
    pub lr_reductions: Vec<usize>,
    /// Rows used for training.
    pub n_train: usize,
    /// Rows held out.
    pub n_val: usize,
}

impl TrainingLog {
    /// The validation loss of the kept epoch.
    pub fn best_val_loss(&self) -> f64 {
        self.val_loss.get(self.best_epoch.wrapping_sub(1)).copied().unwrap_or(f64::NAN)
    }

    /// When training ran out of epochs before it converged: what happened and the fix, one line.
    pub fn limit_warning(&self) -> Option<String> {
        let n = self.train_loss.len();
        (!self.converged && n > 0).then(|| {
            format!(
                "training ran to its limit of {n} epochs while the held-out loss was still improving (best at epoch {}), \
                 so the model may be under-fitted: raise --epochs (e.g. --epochs {})",
                self.best_epoch,
                2 * n
            )
        })
    }

    /// `trained N epochs (best B, converged | ran to the limit)`.
    pub fn summary(&self) -> String {
        format!(
            "trained {} epochs (best {}, {})",
            self.train_loss.len(),
            self.best_epoch,
            if self.converged { "converged" } else { "ran to the limit" }
        )
    }
}

/// A model being trained, as [`train`] sees it.
pub(crate) trait Trainee {
    /// What is kept of the best epoch (the fitted weights).
    type Snapshot;
    /// One optimisation step on the training rows `batch`; returns the batch's mean loss.
    fn step(&mut self, batch: &[usize], epoch: usize, rng: &mut StdRng) -> Result<f64>;
    /// The validation loss of the current weights (called once after every epoch).
    fn validate(&mut self) -> Result<f64>;
    /// The current weights, called after [`Trainee::validate`] when the epoch is the best so far.
    fn snapshot(&mut self) -> Self::Snapshot;
    /// Goes back to the weights of `snapshot` and multiplies every learning rate by `factor`
    /// (reduce-on-plateau).
    fn restart(&mut self, snapshot: &Self::Snapshot, factor: f64);
}

/// A module being trained with its own Adam optimiser on one device. A model of two modules
/// (a GAN's generator and discriminator) holds two and steps them in turn.
pub(crate) struct Optimised<M> {
    /// The module; taken out and put back by every step.
    module: Option<M>,
    optim: ModuleOptimizer,
    learning_rate: f64,
    /// The autodiff device the module lives on.
    pub device: Device,
}

impl<M: Module> Optimised<M> {
    /// `module` with a fresh Adam (ε = 1e-8) at `learning_rate`.
    pub fn adam(module: M, learning_rate: f64, device: Device) -> Self {
        Optimised { module: Some(module), optim: AdamConfig::new().with_epsilon(1e-8).init(), learning_rate, device }
    }

    /// Replaces the module, starts a fresh Adam and multiplies the learning rate by `factor`.
    pub fn restart(&mut self, module: M, factor: f64) {
        self.module = Some(module);
        self.optim = AdamConfig::new().with_epsilon(1e-8).init();
        self.learning_rate *= factor;
    }

    /// The module.
    pub fn module(&self) -> &M {
        self.module.as_ref().expect("the module is put back after every step")
    }

    /// A row-major f32 block as a tensor on the module's device.
    pub fn tensor(&self, data: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(data, shape), &self.device)
    }

    /// The rows `batch` of `table` (row-major, rows of width `width`) as a `batch × width` tensor.
    pub fn rows(&self, table: &[f32], width: usize, batch: &[usize]) -> Tensor<2> {
        let data = batch.iter().flat_map(|&i| table[i * width..(i + 1) * width].iter().copied()).collect();
        self.tensor(data, [batch.len(), width])
    }

    /// One optimisation step on the scalar loss `loss_of` builds from the module: returns the
    /// loss, and leaves the module unchanged when the loss is not finite (the loop then reports
    /// divergence).
    pub fn descend(&mut self, loss_of: impl FnOnce(&M) -> Tensor<1>) -> f64 {
        let net = self.module.take().expect("the module is put back after every step");
        let loss = loss_of(&net);
        let value = f64::from(loss.clone().into_scalar::<f32>());
        if !value.is_finite() {
            self.module = Some(net);
            return value;
        }
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        self.module = Some(self.optim.step(self.learning_rate, net, grads));
        value
    }
}

/// Runs the epochs: shuffled minibatches of `train_rows`, a divergence check on every loss,
/// validation after every epoch. After `cfg.patience / 2` epochs without improvement the best
/// weights come back and the learning rate is multiplied by `cfg.lr_decay`; after `cfg.patience`
/// epochs without improvement training stops (converged). During the first `warmup` epochs every
/// epoch counts as the best (their losses are not comparable, e.g. while a KL weight rises).
/// Returns the best epoch's snapshot and the log.
pub(crate) fn train<T: Trainee>(
    cfg: &TrainConfig,
    trainee: &mut T,
    mut train_rows: Vec<usize>,
    n_val: usize,
    warmup: usize,
    rng: &mut StdRng,
    on_epoch: &mut dyn FnMut(usize, f64, f64),
) -> Result<(T::Snapshot, TrainingLog)> {
    let mut log = TrainingLog { n_train: train_rows.len(), n_val, ..Default::default() };
    let mut best: Option<(f64, T::Snapshot)> = None;
    // The held-out loss at the last improvement of at least `min_delta` (relative).
    let mut anchor = f64::INFINITY;
    let mut since_best = 0;
    let plateau = (cfg.patience / 2).max(1);
    for epoch in 1..=cfg.epochs {
        train_rows.shuffle(rng);
        let (mut sum, mut count) = (0.0, 0usize);
        for batch in train_rows.chunks(cfg.batch_size) {
            let value = trainee.step(batch, epoch, rng)?;
            if !value.is_finite() {
                return Err(Error::Diverged { epoch, loss: value });
            }
            sum += value * batch.len() as f64;
            count += batch.len();
        }
        let val = trainee.validate()?;
        if !val.is_finite() {
            return Err(Error::Diverged { epoch, loss: val });
        }
        log.train_loss.push(sum / count as f64);
        log.val_loss.push(val);
        on_epoch(epoch, sum / count as f64, val);
        let improved = best.as_ref().is_none_or(|b| val < b.0) || epoch <= warmup;
        if improved {
            best = Some((val, trainee.snapshot()));
            log.best_epoch = epoch;
        }
        let significant = if cfg.min_delta == 0.0 {
            improved
        } else {
            !anchor.is_finite() || val < anchor - cfg.min_delta * anchor.abs()
        };
        if epoch <= warmup || significant {
            anchor = val;
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                log.converged = true;
                log.stopped_early = epoch < cfg.epochs;
                break;
            }
            if cfg.lr_decay < 1.0 && since_best % plateau == 0 {
                let (_, snapshot) = best.as_ref().expect("a best epoch before any plateau");
                trainee.restart(snapshot, cfg.lr_decay);
                log.lr_reductions.push(epoch);
            }
        }
    }
    let (_, snapshot) = best.expect("at least one epoch");
    Ok((snapshot, log))
}
