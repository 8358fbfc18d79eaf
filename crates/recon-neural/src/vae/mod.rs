//! Variational autoencoders whose reconstruction score is a proper likelihood.
//!
//! Encoder `d → h₁ → … → h_k → (m, log s²)` to a Gaussian latent of `latent` dimensions,
//! reparameterised sampling `z = m + s·ε` while training, a KL term `KL(q(z|x) ‖ N(0, I))` with a
//! linear warm-up, and a decoder `latent → h_k → … → h₁ → heads` whose output parametrises the
//! likelihood of each entry (see [`crate::likelihood`]):
//!
//! | likelihood | input to the encoder | decoder heads | per-feature parameter |
//! | --- | --- | --- | --- |
//! | Gaussian | standardised `x` | mean | log-variance |
//! | Bernoulli | `x` | logit | – |
//! | Poisson | `log1p(x)` | gene shares (softmax) × the sample's library size | – |
//! | NB | `log1p(x)` | gene shares × library size | log θ (inverse dispersion) |
//! | ZINB | `log1p(x)` | gene shares × library size, dropout logit | log θ |
//!
//! The count decoders follow scVI: the mean of gene `j` is `ℓᵢ · softmax(·)ⱼ` with `ℓᵢ` the
//! observed total count of sample `i`, so the latent code describes composition, not depth.
//!
//! Training (burn, `flex` backend, Adam, minibatches, a validation split, early stopping on the
//! validation loss) uses f32 tensors; `log Γ` for the NB terms is computed from differentiable
//! operations (six-step recurrence and Stirling's series, accurate to f32 rounding), so autodiff
//! gives the digamma gradients. Scoring uses the fitted weights in plain f32 forward passes and
//! exact f64 log-probabilities: per-sample reconstruction NLL (decoding the latent mean), the
//! ELBO, an importance-weighted estimate of `log p(x)` with `k` samples, the NLL of each entry,
//! and — for Poisson, NB and ZINB — two-sided count p-values per entry. A sample's NLL is turned into an
//! empirical p-value against held-out healthy samples that played no part in choosing the model
//! (half of the validation split; the other half decides early stopping).
//!
//! The code is split by concern: `net` (the burn module, the training losses and the trainee the
//! shared [`crate::TrainConfig`] loop drives), `score` (the exact f64 scoring: NLL, ELBO,
//! importance weighting, per-entry calls) and `file` (the model folder). The per-likelihood
//! arithmetic lives in [`crate::likelihood`].

mod file;
mod net;
mod score;

use faer::{Mat, MatRef};
use recon_core::{ErrorMeasure, Named, Reconstruct, RowScorer, ScoreBlock};

use crate::error::{invalid, Result};
use crate::likelihood::Likelihood;
use crate::mlp::{Activation, Mlp};
use crate::train::{TrainConfig, TrainingLog};

/// Unfitted VAE settings.
#[derive(Debug, Clone)]
pub struct VaeParams {
    likelihood: Likelihood,
    hidden: Vec<usize>,
    latent: usize,
    activation: Activation,
    train: TrainConfig,
    kl_warmup: usize,
}

crate::train::trainable!(VaeParams);

impl VaeParams {
    /// A VAE with `likelihood`, encoder widths `hidden` and `latent` dimensions; ReLU, KL warm-up
    /// over 10 epochs, and [`VaeParams::default_training`] (up to 1000 epochs, batch 64, Adam
    /// 3e-3 halved on plateaus, 20% validation, patience 40, seed 0).
    pub fn new(likelihood: Likelihood, hidden: Vec<usize>, latent: usize) -> Self {
        VaeParams {
            likelihood,
            hidden,
            latent,
            activation: Activation::Relu,
            train: Self::default_training(),
            kl_warmup: 10,
        }
    }
    /// The default encoder widths before the latent layer: one layer of 128.
    pub fn default_hidden() -> Vec<usize> {
        vec![128]
    }
    /// The default latent dimensions for `d` features: min(10, d − 1), at least 1.
    pub fn default_latent(d: usize) -> usize {
        10.min(d.saturating_sub(1)).max(1)
    }
    /// The VAE's training defaults: stop when the held-out negative ELBO has not improved for 40
    /// epochs, halving the learning rate (from 3e-3) after every 20 without improvement; the
    /// budget of 1000 epochs is there so that convergence, not the budget, ends a typical fit
    /// (BENCHMARKS.md, "Training that converges by itself").
    pub fn default_training() -> TrainConfig {
        TrainConfig::new().with_epochs(1000).with_patience(40).with_learning_rate(3e-3)
    }
    recon_core::setters! {
        /// Hidden-layer nonlinearity.
        activation: Activation;
        /// Epochs over which the KL weight rises linearly from 0 to 1 (0: no warm-up).
        kl_warmup: usize;
    }
    fn check(&self, n: usize, d: usize) -> Result<()> {
        if n < 4 {
            return Err(recon_core::Error::invalid_data("data", format!("{n} samples; a VAE needs at least 4")));
        }
        if self.latent == 0 || self.latent >= d {
            return Err(invalid(
                "latent",
                format!(
                    "{} latent dimensions for {d} features: need between 1 and {}",
                    self.latent,
                    d.saturating_sub(1)
                ),
            ));
        }
        if self.hidden.contains(&0) {
            return Err(invalid("hidden", "layer widths must be positive"));
        }
        self.train.check()
    }
}

/// A fitted VAE.
#[derive(Debug, Clone)]
pub struct Vae {
    likelihood: Likelihood,
    hidden: Vec<usize>,
    latent: usize,
    encoder: Mlp,
    decoder: Mlp,
    /// log θ (NB, ZINB) or log σ² (Gaussian) per feature; zeros otherwise.
    extra: Vec<f32>,
    /// Gaussian input standardisation (identity otherwise).
    scaler: recon_core::Scaler,
    /// Sorted per-sample NLLs of the held-out validation samples.
    reference: Vec<f64>,
    log: TrainingLog,
    seed: u64,
}

/// Scores of a batch of samples.
#[derive(Debug, Clone)]
pub struct VaeOutput {
    /// Reconstruction negative log-likelihood per sample (decoding the latent mean), nats.
    pub nll: Vec<f64>,
    /// KL(q(z|x) ‖ p(z)) per sample.
    pub kl: Vec<f64>,
    /// Negative log-likelihood of each entry (samples × features).
    pub feature_nll: Mat<f64>,
    /// The decoded mean of each entry (counts: μ; Gaussian: the mean; Bernoulli: P(x = 1)).
    pub mean: Mat<f64>,
    /// ZINB only: the extra-zero logit of each entry.
    pub dropout_logit: Option<Mat<f64>>,
}

impl VaeOutput {
    /// `NLL + KL` per sample: the negative ELBO with the latent mean as the one sample.
    pub fn neg_elbo(&self) -> Vec<f64> {
        self.nll.iter().zip(&self.kl).map(|(a, b)| a + b).collect()
    }
}

/// Per-entry outlier calls for count likelihoods.
#[derive(Debug, Clone)]
pub struct FeatureCalls {
    /// Two-sided count p-value of each entry under the decoded distribution.
    pub p_value: Mat<f64>,
    /// Benjamini–Hochberg adjusted p-values within each sample.
    pub fdr: Mat<f64>,
    /// z-score of the log fold change `log2((x + 1)/(μ + 1))` within each feature.
    pub z: Mat<f64>,
}

impl FeatureCalls {
    /// The `k` entries `(sample, feature)` with the smallest p-values, most significant first.
    pub fn most_significant(&self, k: usize) -> Vec<(usize, usize)> {
        let (n, d) = (self.p_value.nrows(), self.p_value.ncols());
        let mut entries: Vec<(usize, usize)> = (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).collect();
        entries.sort_by(|a, b| self.p_value[*a].total_cmp(&self.p_value[*b]));
        entries.truncate(k);
        entries
    }

    /// How many entries pass the false-discovery rate `q`.
    pub fn n_below_fdr(&self, q: f64) -> usize {
        let (n, d) = (self.fdr.nrows(), self.fdr.ncols());
        (0..n).map(|i| (0..d).filter(|&j| self.fdr[(i, j)] < q).count()).sum()
    }
}

/// Encoder widths `d → hidden → 2·latent` (means and log-variances) and decoder widths
/// `latent → hidden reversed → heads` (one per feature, two for ZINB: mean share and dropout).
fn layer_sizes(lik: Likelihood, d: usize, hidden: &[usize], latent: usize) -> (Vec<usize>, Vec<usize>) {
    let enc = [&[d][..], hidden, &[2 * latent]].concat();
    let heads = lik.heads(d);
    let dec: Vec<usize> = std::iter::once(latent).chain(hidden.iter().rev().copied()).chain([heads]).collect();
    (enc, dec)
}

impl recon_core::Fit for VaeParams {
    type Object = Vae;
    type Error = recon_core::Error;
    fn fit(&self, data: &recon_core::Dataset) -> Result<Vae> {
        self.fit_with(data, |_, _, _| {})
    }
}

impl Vae {
    /// The decoder likelihood.
    pub fn likelihood(&self) -> Likelihood {
        self.likelihood
    }
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.extra.len()
    }
    /// Encoder widths before the latent layer.
    pub fn hidden(&self) -> &[usize] {
        &self.hidden
    }
    /// Latent dimensions.
    pub fn latent(&self) -> usize {
        self.latent
    }
    /// The training history.
    pub fn log(&self) -> &TrainingLog {
        &self.log
    }
    /// Per-feature inverse dispersion θ (NB, ZINB).
    pub fn theta(&self) -> Option<Vec<f64>> {
        self.likelihood.has_dispersion().then(|| self.extra.iter().map(|&v| f64::from(v).exp()).collect())
    }
    /// The sorted held-out per-sample NLLs that sample p-values are computed against.
    pub fn reference(&self) -> &[f64] {
        &self.reference
    }
}

impl Reconstruct for Vae {
    type Error = recon_core::Error;
    /// The latent mean of each row.
    fn encode(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_input(x)?;
        Ok(self.latent_moments(x).0)
    }
    /// The decoded mean of each entry. For the count likelihoods the decoder gives gene shares
    /// and the mean needs the sample's library size, so decoding codes alone is refused; use
    /// [`Reconstruct::reconstruct`].
    fn decode(&self, z: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if self.likelihood.is_count() {
            return Err(invalid("decode", "count decoders need each sample's library size: reconstruct rows instead"));
        }
        if z.ncols() != self.latent {
            return Err(recon_core::Error::invalid_data(
                "codes",
                format!("{} columns, the latent space has {}", z.ncols(), self.latent),
            ));
        }
        let x = Mat::zeros(z.nrows(), self.n_features());
        Ok(self.decode_log_lik(x.as_ref(), z).1)
    }
    /// The decoded mean of each entry given the row's latent mean (counts: μ, scaled to the
    /// row's library size).
    fn reconstruct(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_input(x)?;
        let (m, _) = self.latent_moments(x);
        Ok(self.decode_log_lik(x, m.as_ref()).1)
    }
}

/// A VAE with the feature columns it was fitted on, as the rulers see it: the per-row error and
/// the score are the reconstruction negative log-likelihood (decoding the latent mean); the
/// per-feature residuals are the entries' NLLs; `elbo` and the empirical `p_value` against the
/// held-out reference come along as statistics. No threshold: a VAE reports p-values.
pub type VaeScorer = Named<Vae>;

impl RowScorer for Vae {
    const NAME: &'static str = "vae";
    const MEASURE: ErrorMeasure = ErrorMeasure::NegLogLikelihood;
    fn score_rows(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock> {
        let out = self.evaluate(x)?;
        let p = self.sample_p_values(&out.nll);
        let elbo: Vec<f64> = out.neg_elbo().iter().map(|v| -v).collect();
        Ok(ScoreBlock::new(out.nll.clone(), out.nll)
            .with_residuals(want_residuals.then(|| recon_core::Residuals::from_matrix(out.feature_nll)))
            .with_stat("elbo", elbo)
            .with_stat("p_value", p))
    }
}
