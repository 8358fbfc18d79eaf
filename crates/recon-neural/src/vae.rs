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

use std::path::Path;

use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::{softmax, softplus};
use burn::tensor::{Device, Tensor, TensorData};
use faer::{Mat, MatRef};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_core::model::{load_model, save_model, take_array, Array};
use recon_core::ruler::{empirical_p_value, reference_scores};
use recon_core::Dataset;
use serde::{Deserialize, Serialize};

use crate::autoencoder::{standardisation, TrainingLog};
use crate::error::{invalid, Error, Result};
use crate::likelihood::{
    bernoulli_log_prob, check_counts, gaussian_log_prob, nb_log_prob, nb_p_value, poisson_log_prob, poisson_p_value,
    zinb_log_prob, zinb_p_value, Likelihood,
};
use crate::mlp::{Activation, Mlp, Net};

const KIND: &str = "vae";
const VERSION: u32 = 1;

/// Unfitted VAE settings.
#[derive(Debug, Clone)]
pub struct VaeParams {
    likelihood: Likelihood,
    hidden: Vec<usize>,
    latent: usize,
    activation: Activation,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    validation: f64,
    patience: usize,
    kl_warmup: usize,
    seed: u64,
}

impl VaeParams {
    /// A VAE with `likelihood`, encoder widths `hidden` and `latent` dimensions; ReLU, 200 epochs
    /// max, batch 64, Adam 1e-3, 20% validation, patience 20, KL warm-up over 10 epochs, seed 0.
    pub fn new(likelihood: Likelihood, hidden: Vec<usize>, latent: usize) -> Self {
        VaeParams {
            likelihood,
            hidden,
            latent,
            activation: Activation::Relu,
            epochs: 200,
            batch_size: 64,
            learning_rate: 1e-3,
            validation: 0.2,
            patience: 20,
            kl_warmup: 10,
            seed: 0,
        }
    }
    pub fn activation(mut self, a: Activation) -> Self {
        self.activation = a;
        self
    }
    pub fn epochs(mut self, n: usize) -> Self {
        self.epochs = n;
        self
    }
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = lr;
        self
    }
    /// Fraction of samples held out: half for early stopping, half as the healthy reference of
    /// the sample p-values.
    pub fn validation(mut self, f: f64) -> Self {
        self.validation = f;
        self
    }
    pub fn patience(mut self, n: usize) -> Self {
        self.patience = n;
        self
    }
    /// Epochs over which the KL weight rises linearly from 0 to 1 (0: no warm-up).
    pub fn kl_warmup(mut self, n: usize) -> Self {
        self.kl_warmup = n;
        self
    }
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    fn check(&self, n: usize, d: usize) -> Result<()> {
        if n < 4 {
            return Err(invalid("data", format!("{n} samples; a VAE needs at least 4")));
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
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(invalid("epochs / batch size", "must be positive"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(invalid("learning rate", format!("{} must be positive", self.learning_rate)));
        }
        if !(self.validation > 0.0 && self.validation < 1.0) {
            return Err(invalid("validation", format!("{} is not in (0, 1)", self.validation)));
        }
        Ok(())
    }
}

/// The burn module trained: encoder, decoder and the per-feature parameter.
#[derive(Module, Debug)]
struct VaeNet {
    enc: Net,
    dec: Net,
    extra: Param<Tensor<1>>,
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
    /// Gaussian input standardisation (mean 0, scale 1 otherwise).
    mean: Vec<f64>,
    scale: Vec<f64>,
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

/// Differentiable `log Γ(x)` for `x > 0`: `log Γ(x) = log Γ(x + 6) − Σₖ₌₀⁵ log(x + k)`, then
/// Stirling's series to `z⁻⁵` at `z = x + 6` (error below 1e-10, far under f32 rounding).
fn lgamma_t(x: Tensor<2>) -> Tensor<2> {
    let mut shift = x.clone().log();
    for k in 1..6 {
        shift = shift + x.clone().add_scalar(k as f32).log();
    }
    let z = x.add_scalar(6.0);
    let r = z.clone().recip();
    let r2 = r.clone() * r.clone();
    let inner = r2.clone() * r2.mul_scalar(1.0 / 1260.0).sub_scalar(1.0 / 360.0);
    let series = r * inner.add_scalar(1.0 / 12.0);
    let stirling = z.clone().sub_scalar(0.5) * z.clone().log() - z
        + series.add_scalar((2.0 * std::f64::consts::PI).ln() as f32 * 0.5);
    stirling - shift
}

/// Per-entry log-likelihood tensors (up to terms constant in the parameters), rows × features.
fn log_lik_t(lik: Likelihood, x: Tensor<2>, out: Tensor<2>, extra: Tensor<1>, lib: Tensor<2>, d: usize) -> Tensor<2> {
    if lik == Likelihood::Zinb {
        return zinb_log_lik_t(x, out, extra, lib, d);
    }
    let extra = extra.unsqueeze::<2>(); // [1, d]
    match lik {
        Likelihood::Gaussian => {
            let diff = x - out;
            (diff.square() * extra.clone().neg().exp() + extra).mul_scalar(-0.5)
        }
        Likelihood::Bernoulli => x * out.clone() - softplus(out, 1.0),
        _ => {
            let mu = (softmax(out, 1) * lib).add_scalar(1e-8);
            if lik == Likelihood::Poisson {
                return x * mu.clone().log() - mu;
            }
            let theta = extra.exp();
            let log_theta_mu = (theta.clone() + mu.clone()).log();
            theta.clone() * (theta.clone().log() - log_theta_mu.clone())
                + x.clone() * (mu.log() - log_theta_mu)
                + lgamma_t(x + theta.clone())
                - lgamma_t(theta)
        }
    }
}

/// ZINB per-entry log-likelihood tensor, scVI's form.
fn zinb_log_lik_t(x: Tensor<2>, out: Tensor<2>, extra: Tensor<1>, lib: Tensor<2>, d: usize) -> Tensor<2> {
    let theta = extra.unsqueeze::<2>().exp();
    let logits = out.clone().narrow(1, 0, d);
    let pi = out.narrow(1, d, d);
    let mu = (softmax(logits, 1) * lib).add_scalar(1e-8);
    let log_theta_mu = (theta.clone() + mu.clone()).log();
    let pi_theta_log = theta.clone() * (theta.clone().log() - log_theta_mu.clone());
    let softplus_neg_pi = softplus(pi.clone().neg(), 1.0);
    // k = 0: log(π + (1 − π)(θ/(θ+μ))^θ) = softplus(−l + θ log(θ/(θ+μ))) − softplus(−l)
    let case_zero = softplus(pi_theta_log.clone() - pi.clone(), 1.0) - softplus_neg_pi.clone();
    // k > 0: log(1 − π) + log NB(k)
    let case_nonzero = pi.neg() - softplus_neg_pi
        + pi_theta_log
        + x.clone() * (mu.log() - log_theta_mu)
        + lgamma_t(x.clone() + theta.clone())
        - lgamma_t(theta);
    let zero = x.equal_elem(0.0);
    case_nonzero.mask_where(zero, case_zero)
}

/// Encoder widths `d → hidden → 2·latent` (means and log-variances) and decoder widths
/// `latent → hidden reversed → heads` (one per feature, two for ZINB: mean share and dropout).
fn layer_sizes(lik: Likelihood, d: usize, hidden: &[usize], latent: usize) -> (Vec<usize>, Vec<usize>) {
    let enc = [&[d][..], hidden, &[2 * latent]].concat();
    let heads = if lik == Likelihood::Zinb { 2 * d } else { d };
    let dec: Vec<usize> = std::iter::once(latent).chain(hidden.iter().rev().copied()).chain([heads]).collect();
    (enc, dec)
}

/// Gaussian KL of each row: `−½ Σ (1 + log s² − m² − s²)`, rows × 1.
fn kl_t(m: Tensor<2>, lv: Tensor<2>) -> Tensor<2> {
    (lv.clone().add_scalar(1.0) - m.square() - lv.exp()).sum_dim(1).mul_scalar(-0.5)
}

fn kl_row(m: &[f64], lv: &[f64]) -> f64 {
    -0.5 * m.iter().zip(lv).map(|(m, lv)| 1.0 + lv - m * m - lv.exp()).sum::<f64>()
}

impl VaeParams {
    /// Trains on `data` (samples × features); `on_epoch(epoch, train_loss, val_loss)` after each
    /// epoch (negative ELBO per sample, constants of the count likelihoods left out while
    /// training; the validation loss is exact).
    pub fn fit_with(&self, data: &Dataset, mut on_epoch: impl FnMut(usize, f64, f64)) -> Result<Vae> {
        let x = data.x.as_ref();
        let (n, d) = (x.nrows(), x.ncols());
        self.check(n, d)?;
        let lik = self.likelihood;
        if lik.is_count() {
            check_counts(x, &data.columns)?;
            if let Some(&j) = data.zero_column_indices().first() {
                return Err(invalid(
                    "counts",
                    format!("gene '{}' is zero in every sample; drop all-zero genes first", data.columns[j]),
                ));
            }
            if let Some(i) = (0..n).find(|&i| x.row(i).iter().all(|&v| v == 0.0)) {
                return Err(invalid("counts", format!("sample {} has no counts at all", i + 1)));
            }
        }
        if lik == Likelihood::Bernoulli {
            if let Some((i, j)) =
                (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).find(|&(i, j)| !(0.0..=1.0).contains(&x[(i, j)]))
            {
                return Err(invalid(
                    "data",
                    format!(
                        "row {}, column '{}' holds {}: a Bernoulli likelihood needs values in [0, 1]",
                        i + 1,
                        data.columns[j],
                        x[(i, j)]
                    ),
                ));
            }
        }
        let (mean, scale) = if lik == Likelihood::Gaussian {
            let (mean, scale, _) = standardisation(data)?;
            (mean, scale)
        } else {
            (vec![0.0; d], vec![1.0; d])
        };
        let mut vae = Vae {
            likelihood: lik,
            hidden: self.hidden.clone(),
            latent: self.latent,
            encoder: Mlp { layers: Vec::new(), activation: self.activation },
            decoder: Mlp { layers: Vec::new(), activation: self.activation },
            extra: vec![0.0; d],
            mean,
            scale,
            reference: Vec::new(),
            log: TrainingLog::default(),
            seed: self.seed,
        };
        // Encoder input (f32, row-major), decoder targets and library sizes.
        let input = vae.encoder_input(x);
        let target: Vec<f32> =
            (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).map(|(i, j)| vae.target(x, i, j)).collect();
        let lib: Vec<f32> = (0..n).map(|i| x.row(i).iter().sum::<f64>() as f32).collect();

        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        // Held-out rows: half decide early stopping, the other half — never used to choose the
        // model — are the reference the sample p-values are computed against (a calibration
        // set used for selection would make fresh samples look abnormal too often).
        let n_val = ((n as f64 * self.validation).round() as usize).clamp(2, n - 2);
        let (val_rows, train_rows) = order.split_at(n_val);
        let (val_rows, mut train_rows) = (val_rows.to_vec(), train_rows.to_vec());
        let n_stop = n_val / 2;
        let val_x = Mat::from_fn(n_stop, d, |i, j| x[(val_rows[i], j)]);
        let ref_x = Mat::from_fn(n_val - n_stop, d, |i, j| x[(val_rows[n_stop + i], j)]);

        let (enc_sizes, dec_sizes) = layer_sizes(lik, d, &self.hidden, self.latent);
        vae.encoder = Mlp::init(&enc_sizes, self.activation, &mut rng);
        vae.decoder = Mlp::init(&dec_sizes, self.activation, &mut rng);
        let device = Device::flex().autodiff();
        let mut net = VaeNet {
            enc: Net::from_mlp(&vae.encoder, &device),
            dec: Net::from_mlp(&vae.decoder, &device),
            extra: Param::from_tensor(Tensor::from_data(TensorData::new(vae.extra.clone(), [d]), &device)),
        };
        let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
        let k = self.latent;
        let mut log = TrainingLog { n_train: train_rows.len(), n_val, ..Default::default() };
        let mut best: Option<(f64, Vae)> = None;
        let mut since_best = 0;
        for epoch in 1..=self.epochs {
            let beta = if self.kl_warmup == 0 { 1.0 } else { (epoch as f32 / self.kl_warmup as f32).min(1.0) };
            train_rows.shuffle(&mut rng);
            let (mut sum, mut count) = (0.0, 0usize);
            for batch in train_rows.chunks(self.batch_size) {
                let b = batch.len();
                let rows = |v: &[f32], w: usize| -> Vec<f32> {
                    batch.iter().flat_map(|&i| v[i * w..(i + 1) * w].iter().copied()).collect()
                };
                let xin: Tensor<2> = Tensor::from_data(TensorData::new(rows(&input, d), [b, d]), &device);
                let xt: Tensor<2> = Tensor::from_data(TensorData::new(rows(&target, d), [b, d]), &device);
                let lt: Tensor<2> = Tensor::from_data(TensorData::new(rows(&lib, 1), [b, 1]), &device);
                let eps: Vec<f32> = (0..b * k).map(|_| StandardNormal.sample(&mut rng)).collect();
                let eps: Tensor<2> = Tensor::from_data(TensorData::new(eps, [b, k]), &device);
                let h = net.enc.forward(xin, self.activation, None);
                let (m, lv) = (h.clone().narrow(1, 0, k), h.narrow(1, k, k).clamp(-15.0, 15.0));
                let z = m.clone() + (lv.clone().mul_scalar(0.5)).exp() * eps;
                let out = net.dec.forward(z, self.activation, None);
                let ll = log_lik_t(lik, xt, out, net.extra.val(), lt, d);
                let loss = (ll.sum_dim(1).neg() + kl_t(m, lv).mul_scalar(beta)).mean();
                let value = f64::from(loss.clone().into_scalar::<f32>());
                if !value.is_finite() {
                    return Err(Error::Diverged { epoch, loss: value });
                }
                sum += value * b as f64;
                count += b;
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optim.step(self.learning_rate, net, grads);
            }
            vae.encoder = net.enc.to_mlp(self.activation);
            vae.decoder = net.dec.to_mlp(self.activation);
            vae.extra = net.extra.val().into_data().try_into_vec::<f32>().expect("f32 parameters");
            let ev = vae.evaluate_checked(val_x.as_ref());
            let val = ev.neg_elbo().iter().sum::<f64>() / n_stop as f64;
            if !val.is_finite() {
                return Err(Error::Diverged { epoch, loss: val });
            }
            log.train_loss.push(sum / count as f64);
            log.val_loss.push(val);
            on_epoch(epoch, sum / count as f64, val);
            // Early stopping only once the KL weight has reached 1 (earlier losses are not comparable).
            if best.as_ref().is_none_or(|b| val < b.0) || (epoch as f32) <= self.kl_warmup as f32 {
                best = Some((val, vae.clone()));
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
        let mut vae = best.expect("at least one epoch").1;
        vae.reference = reference_scores(&vae.evaluate_checked(ref_x.as_ref()).nll)?;
        vae.log = log;
        Ok(vae)
    }
}

impl recon_core::Fit for VaeParams {
    type Object = Vae;
    type Error = Error;
    fn fit(&self, data: &Dataset) -> Result<Vae> {
        self.fit_with(data, |_, _, _| {})
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    kind: String,
    version: u32,
    columns: Vec<String>,
    likelihood: Likelihood,
    hidden: Vec<usize>,
    latent: usize,
    activation: Activation,
    seed: u64,
    training: TrainingLog,
}

impl Vae {
    pub fn likelihood(&self) -> Likelihood {
        self.likelihood
    }
    pub fn n_features(&self) -> usize {
        self.extra.len()
    }
    pub fn latent(&self) -> usize {
        self.latent
    }
    pub fn log(&self) -> &TrainingLog {
        &self.log
    }
    /// Per-feature inverse dispersion θ (NB, ZINB).
    pub fn theta(&self) -> Option<Vec<f64>> {
        matches!(self.likelihood, Likelihood::Nb | Likelihood::Zinb)
            .then(|| self.extra.iter().map(|&v| f64::from(v).exp()).collect())
    }
    /// The sorted held-out per-sample NLLs that sample p-values are computed against.
    pub fn reference(&self) -> &[f64] {
        &self.reference
    }

    fn encoder_input(&self, x: MatRef<'_, f64>) -> Vec<f32> {
        let d = x.ncols();
        (0..x.nrows())
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| match self.likelihood {
                Likelihood::Gaussian => ((x[(i, j)] - self.mean[j]) / self.scale[j]) as f32,
                Likelihood::Bernoulli => x[(i, j)] as f32,
                _ => x[(i, j)].ln_1p() as f32,
            })
            .collect()
    }

    fn target(&self, x: MatRef<'_, f64>, i: usize, j: usize) -> f32 {
        if self.likelihood == Likelihood::Gaussian {
            ((x[(i, j)] - self.mean[j]) / self.scale[j]) as f32
        } else {
            x[(i, j)] as f32
        }
    }

    fn check_input(&self, x: MatRef<'_, f64>) -> Result<()> {
        if x.ncols() != self.n_features() {
            return Err(invalid("data", format!("{} columns, the model has {}", x.ncols(), self.n_features())));
        }
        if self.likelihood.is_count() {
            check_counts(x, &(0..x.ncols()).map(|j| format!("x{j}")).collect::<Vec<_>>())?;
        }
        Ok(())
    }

    /// Encoder output for each row: latent means and log-variances.
    fn encode(&self, x: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
        let (n, d, k) = (x.nrows(), x.ncols(), self.latent);
        let input = self.encoder_input(x);
        let h = self.encoder.forward(Mat::from_fn(n, d, |i, j| input[i * d + j]).as_ref());
        (
            Mat::from_fn(n, k, |i, c| f64::from(h[(i, c)])),
            Mat::from_fn(n, k, |i, c| f64::from(h[(i, k + c)]).clamp(-15.0, 15.0)),
        )
    }

    /// Per-entry log-likelihoods of `x` given latent codes `z` (rows × features), the decoded
    /// means, and for ZINB the extra-zero logits.
    fn decode_log_lik(&self, x: MatRef<'_, f64>, z: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>, Option<Mat<f64>>) {
        let (n, d) = (x.nrows(), x.ncols());
        let out = self.decoder.forward(Mat::from_fn(n, z.ncols(), |i, c| z[(i, c)] as f32).as_ref());
        let dropout =
            (self.likelihood == Likelihood::Zinb).then(|| Mat::from_fn(n, d, |i, j| f64::from(out[(i, d + j)])));
        let mut ll = Mat::zeros(n, d);
        let mut mean = Mat::zeros(n, d);
        for i in 0..n {
            match self.likelihood {
                Likelihood::Gaussian => {
                    for j in 0..d {
                        let lv = f64::from(self.extra[j]);
                        let t = (x[(i, j)] - self.mean[j]) / self.scale[j];
                        // Density of x in its own units: divide by the scale.
                        ll[(i, j)] = gaussian_log_prob(t, f64::from(out[(i, j)]), lv) - self.scale[j].ln();
                        mean[(i, j)] = f64::from(out[(i, j)]) * self.scale[j] + self.mean[j];
                    }
                }
                Likelihood::Bernoulli => {
                    for j in 0..d {
                        let l = f64::from(out[(i, j)]);
                        ll[(i, j)] = bernoulli_log_prob(x[(i, j)], l);
                        mean[(i, j)] = 1.0 / (1.0 + (-l).exp());
                    }
                }
                lik => {
                    let lib: f64 = x.row(i).iter().sum();
                    let logits: Vec<f64> = (0..d).map(|j| f64::from(out[(i, j)])).collect();
                    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let norm: f64 = logits.iter().map(|l| (l - top).exp()).sum();
                    for j in 0..d {
                        let mu = (lib * (logits[j] - top).exp() / norm).max(1e-8);
                        let k = x[(i, j)];
                        let theta = f64::from(self.extra[j]).exp();
                        ll[(i, j)] = match lik {
                            Likelihood::Poisson => poisson_log_prob(k, mu),
                            Likelihood::Nb => nb_log_prob(k, mu, theta),
                            _ => zinb_log_prob(k, mu, theta, f64::from(out[(i, d + j)])),
                        };
                        mean[(i, j)] = mu;
                    }
                }
            }
        }
        (ll, mean, dropout)
    }

    /// Scores samples (rows of `x`, the model's features in order).
    pub fn evaluate(&self, x: MatRef<'_, f64>) -> Result<VaeOutput> {
        self.check_input(x)?;
        Ok(self.evaluate_checked(x))
    }

    /// [`Vae::evaluate`] on rows already checked (the training loop's validation rows).
    fn evaluate_checked(&self, x: MatRef<'_, f64>) -> VaeOutput {
        let (m, lv) = self.encode(x);
        let (ll, mean, dropout_logit) = self.decode_log_lik(x, m.as_ref());
        let (n, d, k) = (x.nrows(), x.ncols(), self.latent);
        let nll = (0..n).map(|i| -(0..d).map(|j| ll[(i, j)]).sum::<f64>()).collect();
        let kl = (0..n)
            .map(|i| {
                let mi: Vec<f64> = (0..k).map(|c| m[(i, c)]).collect();
                let li: Vec<f64> = (0..k).map(|c| lv[(i, c)]).collect();
                kl_row(&mi, &li)
            })
            .collect();
        VaeOutput { nll, kl, feature_nll: Mat::from_fn(n, d, |i, j| -ll[(i, j)]), mean, dropout_logit }
    }

    /// Importance-weighted estimate of `log p(x)` per sample with `k` samples from `q(z|x)`
    /// (Burda et al. 2016): `log (1/k) Σ p(x|zₛ) p(zₛ) / q(zₛ|x)`; a lower bound that tightens
    /// as `k` grows (`k = 1` is a one-sample ELBO).
    pub fn iw_log_likelihood(&self, x: MatRef<'_, f64>, k: usize, seed: u64) -> Result<Vec<f64>> {
        self.check_input(x)?;
        if k == 0 {
            return Err(invalid("importance samples", "must be at least 1"));
        }
        let (m, lv) = self.encode(x);
        let (n, d, l) = (x.nrows(), x.ncols(), self.latent);
        let mut rng = StdRng::seed_from_u64(seed);
        let ln2pi = std::f64::consts::TAU.ln();
        let mut terms = vec![Vec::with_capacity(k); n];
        for _ in 0..k {
            let eps: Mat<f64> = Mat::from_fn(n, l, |_, _| StandardNormal.sample(&mut rng));
            let z = Mat::from_fn(n, l, |i, c| m[(i, c)] + (0.5 * lv[(i, c)]).exp() * eps[(i, c)]);
            let (ll, _, _) = self.decode_log_lik(x, z.as_ref());
            for (i, t) in terms.iter_mut().enumerate() {
                let log_px_z: f64 = (0..d).map(|j| ll[(i, j)]).sum();
                let log_pz: f64 = (0..l).map(|c| -0.5 * (ln2pi + z[(i, c)].powi(2))).sum();
                let log_qz: f64 = (0..l).map(|c| -0.5 * (ln2pi + lv[(i, c)] + eps[(i, c)].powi(2))).sum();
                t.push(log_px_z + log_pz - log_qz);
            }
        }
        Ok(terms
            .iter()
            .map(|t| {
                let top = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                top + (t.iter().map(|v| (v - top).exp()).sum::<f64>() / k as f64).ln()
            })
            .collect())
    }

    /// Empirical p-value of each sample's NLL against the held-out healthy reference.
    pub fn sample_p_values(&self, nll: &[f64]) -> Vec<f64> {
        nll.iter().map(|&s| empirical_p_value(&self.reference, s)).collect()
    }

    /// Per-entry count outlier calls under the decoded Poisson, NB or zero-inflated NB.
    pub fn feature_calls(&self, x: MatRef<'_, f64>, out: &VaeOutput) -> Result<FeatureCalls> {
        if !self.likelihood.is_count() {
            return Err(invalid("per-feature p-values", "need a count likelihood (poisson, nb or zinb)"));
        }
        let (n, d) = (x.nrows(), x.ncols());
        if (out.mean.nrows(), out.mean.ncols()) != (n, d) {
            return Err(invalid("per-feature p-values", "the scores were computed on other rows than these"));
        }
        let theta = self.theta();
        let mut p = Mat::zeros(n, d);
        for i in 0..n {
            for j in 0..d {
                let (k, mu) = (x[(i, j)] as u64, out.mean[(i, j)]);
                p[(i, j)] = match (&theta, &out.dropout_logit) {
                    (Some(t), Some(l)) => zinb_p_value(k, mu, t[j], l[(i, j)])?,
                    (Some(t), None) => nb_p_value(k, mu, t[j])?,
                    _ => poisson_p_value(k, mu)?,
                };
            }
        }
        let mut fdr = Mat::zeros(n, d);
        for i in 0..n {
            let row: Vec<f64> = (0..d).map(|j| p[(i, j)]).collect();
            for (j, v) in recon_core::ruler::benjamini_hochberg(&row)?.into_iter().enumerate() {
                fdr[(i, j)] = v;
            }
        }
        let lfc = Mat::from_fn(n, d, |i, j| ((x[(i, j)] + 1.0) / (out.mean[(i, j)] + 1.0)).log2());
        let mut z = Mat::zeros(n, d);
        for j in 0..d {
            let col: Vec<f64> = (0..n).map(|i| lfc[(i, j)]).collect();
            let m = col.iter().sum::<f64>() / n as f64;
            let sd = (col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n as f64 - 1.0).max(1.0)).sqrt();
            for i in 0..n {
                z[(i, j)] = if sd > 0.0 { (lfc[(i, j)] - m) / sd } else { 0.0 };
            }
        }
        Ok(FeatureCalls { p_value: p, fdr, z })
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
            likelihood: self.likelihood,
            hidden: self.hidden.clone(),
            latent: self.latent,
            activation: self.encoder.activation,
            seed: self.seed,
            training: self.log.clone(),
        };
        let d = self.n_features();
        let f = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        let mut arrays = vec![
            ("mean".to_string(), Array { shape: vec![d], data: self.mean.clone() }),
            ("scale".to_string(), Array { shape: vec![d], data: self.scale.clone() }),
            ("extra".to_string(), Array { shape: vec![d], data: f(&self.extra) }),
            ("reference".to_string(), Array { shape: vec![self.reference.len()], data: self.reference.clone() }),
        ];
        self.encoder.push_arrays("encoder", &mut arrays);
        self.decoder.push_arrays("decoder", &mut arrays);
        let named: Vec<(&str, Array)> = arrays.iter().map(|(n, a)| (n.as_str(), a.clone())).collect();
        Ok(save_model(dir, &header, &named)?)
    }

    /// Loads a model written by [`Vae::save`]; returns it with its column names.
    pub fn load(dir: &Path) -> Result<(Vae, Vec<String>)> {
        let (h, mut arrays): (Header, _) = load_model(dir)?;
        let bad = |reason: String| Error::Core(recon_core::Error::BadModel { path: dir.to_path_buf(), reason });
        if h.kind != KIND {
            return Err(bad(format!("kind '{}' is not '{KIND}'", h.kind)));
        }
        if h.version != VERSION {
            return Err(bad(format!("version {} is not supported (expected {VERSION})", h.version)));
        }
        let d = h.columns.len();
        if d < 2 || h.latent == 0 || h.latent >= d || h.hidden.contains(&0) {
            return Err(bad("inconsistent header".into()));
        }
        let mean = take_array(dir, &mut arrays, "mean", &[d])?;
        let scale = take_array(dir, &mut arrays, "scale", &[d])?;
        if scale.iter().any(|s| !(*s > 0.0)) {
            return Err(bad("array 'scale' holds a non-positive divisor".into()));
        }
        let extra: Vec<f32> = take_array(dir, &mut arrays, "extra", &[d])?.iter().map(|&v| v as f32).collect();
        let n_ref = arrays.get("reference").map(|a| a.shape.first().copied().unwrap_or(0)).unwrap_or(0);
        let reference = take_array(dir, &mut arrays, "reference", &[n_ref])?;
        if reference.is_empty() || reference.windows(2).any(|w| !(w[0] <= w[1])) {
            return Err(bad("array 'reference' must hold sorted held-out scores".into()));
        }
        let (enc_sizes, dec_sizes) = layer_sizes(h.likelihood, d, &h.hidden, h.latent);
        let encoder = Mlp::take_arrays(dir, &mut arrays, "encoder", &enc_sizes, h.activation)?;
        let decoder = Mlp::take_arrays(dir, &mut arrays, "decoder", &dec_sizes, h.activation)?;
        if let Some(extra) = arrays.keys().next() {
            return Err(bad(format!("unexpected array '{extra}'")));
        }
        let vae = Vae {
            likelihood: h.likelihood,
            hidden: h.hidden,
            latent: h.latent,
            encoder,
            decoder,
            extra,
            mean,
            scale,
            reference,
            log: h.training,
            seed: h.seed,
        };
        Ok((vae, h.columns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The f64 log-likelihood of a whole table from raw decoder outputs (what the tensor loss
    /// computes, constants included), for finite differences.
    fn scalar_log_lik(lik: Likelihood, x: &[f64], out: &[f64], extra: &[f64], rows: usize, d: usize) -> f64 {
        let mut total = 0.0;
        let w = out.len() / rows;
        for i in 0..rows {
            let o = &out[i * w..(i + 1) * w];
            let lib: f64 = x[i * d..(i + 1) * d].iter().sum();
            let top = o[..d].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let norm: f64 = o[..d].iter().map(|l| (l - top).exp()).sum();
            for j in 0..d {
                let k = x[i * d + j];
                let mu = lib * (o[j] - top).exp() / norm + 1e-8;
                total += match lik {
                    Likelihood::Gaussian => gaussian_log_prob(k, o[j], extra[j]),
                    Likelihood::Bernoulli => bernoulli_log_prob(k, o[j]),
                    Likelihood::Poisson => poisson_log_prob(k, mu),
                    Likelihood::Nb => nb_log_prob(k, mu, extra[j].exp()),
                    Likelihood::Zinb => zinb_log_prob(k, mu, extra[j].exp(), o[d + j]),
                };
            }
        }
        total
    }

    /// Autodiff gradients of the training loss equal central finite differences of the exact
    /// f64 log-likelihood (constants dropped in training do not move gradients), for every
    /// likelihood, with respect to the decoder outputs and the per-feature parameter.
    #[test]
    fn likelihood_gradients_match_finite_differences() {
        let (rows, d) = (3, 4);
        let device = Device::flex().autodiff();
        let counts = [0.0, 3.0, 12.0, 1.0, 5.0, 0.0, 0.0, 40.0, 2.0, 2.0, 7.0, 0.0];
        let unit = [0.0, 1.0, 1.0, 0.0, 0.3, 0.0, 1.0, 0.9, 1.0, 0.2, 0.0, 1.0];
        let real = [0.3, -1.2, 2.0, 0.1, -0.4, 0.8, 1.5, -2.2, 0.0, 0.6, -0.9, 1.1];
        for lik in [Likelihood::Gaussian, Likelihood::Bernoulli, Likelihood::Poisson, Likelihood::Nb, Likelihood::Zinb]
        {
            let x: &[f64] = match lik {
                Likelihood::Gaussian => &real,
                Likelihood::Bernoulli => &unit,
                _ => &counts,
            };
            let w = if lik == Likelihood::Zinb { 2 * d } else { d };
            let out: Vec<f64> = (0..rows * w).map(|t| ((t * 7 % 11) as f64 - 5.0) / 4.0).collect();
            let extra: Vec<f64> = (0..d).map(|j| 0.5 * j as f64 - 0.7).collect();
            let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
            let xt: Tensor<2> = Tensor::from_data(TensorData::new(f32s(x), [rows, d]), &device);
            let ot: Tensor<2> = Tensor::from_data(TensorData::new(f32s(&out), [rows, w]), &device).require_grad();
            let et: Tensor<1> = Tensor::from_data(TensorData::new(f32s(&extra), [d]), &device).require_grad();
            let lib: Vec<f32> = (0..rows).map(|i| x[i * d..(i + 1) * d].iter().sum::<f64>() as f32).collect();
            let lt: Tensor<2> = Tensor::from_data(TensorData::new(lib, [rows, 1]), &device);
            let total = log_lik_t(lik, xt, ot.clone(), et.clone(), lt, d).sum();
            let grads = total.backward();
            let go = ot.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
            let h = 1e-5;
            for t in 0..out.len() {
                let (mut up, mut down) = (out.clone(), out.clone());
                up[t] += h;
                down[t] -= h;
                let fd = (scalar_log_lik(lik, x, &up, &extra, rows, d)
                    - scalar_log_lik(lik, x, &down, &extra, rows, d))
                    / (2.0 * h);
                assert!(
                    (f64::from(go[t]) - fd).abs() <= 2e-3 * fd.abs().max(1.0),
                    "{lik:?} d/d out[{t}]: {} vs {fd}",
                    go[t]
                );
            }
            if matches!(lik, Likelihood::Gaussian | Likelihood::Nb | Likelihood::Zinb) {
                let ge = et.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
                for j in 0..d {
                    let (mut up, mut down) = (extra.clone(), extra.clone());
                    up[j] += h;
                    down[j] -= h;
                    let fd = (scalar_log_lik(lik, x, &out, &up, rows, d)
                        - scalar_log_lik(lik, x, &out, &down, rows, d))
                        / (2.0 * h);
                    assert!(
                        (f64::from(ge[j]) - fd).abs() <= 2e-3 * fd.abs().max(1.0),
                        "{lik:?} d/d extra[{j}]: {} vs {fd}",
                        ge[j]
                    );
                }
            }
        }
    }

    #[test]
    fn tensor_lgamma_matches_statrs() {
        let device = Device::flex();
        let xs: Vec<f32> = vec![0.05, 0.5, 1.0, 2.5, 7.0, 33.3, 1000.0, 25000.0];
        let t: Tensor<2> = Tensor::from_data(TensorData::new(xs.clone(), [1, xs.len()]), &device);
        let got = lgamma_t(t).into_data().try_into_vec::<f32>().unwrap();
        for (x, g) in xs.iter().zip(got) {
            let want = statrs::function::gamma::ln_gamma(f64::from(*x));
            assert!((f64::from(g) - want).abs() <= 2e-5 * want.abs().max(1.0), "lgamma({x}) = {g} vs {want}");
        }
    }
}
