//! Likelihoods of a reconstruction: how probable is the observed entry `x` under the
//! distribution a decoder outputs for it. The negative log-likelihood is the reconstruction loss
//! that fits the data type — squared error is only the Gaussian case with a fixed variance, and
//! wrong for counts (a deviation of 5 reads means nothing at 10,000 and everything at 3).
//!
//! Parametrisations follow scVI and OUTRIDER:
//! - Gaussian `N(x; m, exp(log_var))` (a learned variance);
//! - Bernoulli with a logit `l`: `x log σ(l) + (1 − x) log(1 − σ(l))` for `x ∈ [0, 1]`;
//! - Poisson with mean `μ`;
//! - negative binomial with mean `μ` and inverse dispersion `θ` (variance `μ + μ²/θ`):
//!   `log Γ(k + θ) − log Γ(θ) − log Γ(k + 1) + θ log(θ/(θ + μ)) + k log(μ/(θ + μ))`;
//! - zero-inflated NB with a dropout logit `l` (`π = σ(l)`): `p(0) = π + (1 − π) NB(0)`,
//!   `p(k) = (1 − π) NB(k)` for `k > 0`.
//!
//! Checked against scipy.stats over a grid of parameters (`tools/make_likelihood_fixtures.py`).
//! Count p-values are two-sided, as in OUTRIDER: `min(1, 2 min(P(X ≤ k), P(X ≥ k)))`, the upper
//! tail taken from the survival function (no `1 − F` cancellation for far outliers).

use burn::tensor::activation::{softmax, softplus as softplus_t};
use burn::tensor::Tensor;
use faer::MatRef;
use recon_core::Scaler;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Discrete, DiscreteCDF, NegativeBinomial, Poisson};
use statrs::function::gamma::ln_gamma;

use crate::error::{invalid, Result};

/// The distribution a decoder outputs for each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    /// Real values, a mean and a learned log-variance per entry.
    Gaussian,
    /// Values in [0, 1] (binary, or intensities), a logit per entry.
    Bernoulli,
    /// Counts, a mean per entry.
    Poisson,
    /// Over-dispersed counts, a mean per entry and a dispersion per feature.
    Nb,
    /// Over-dispersed counts with extra zeros: NB plus a dropout logit per entry.
    Zinb,
}

impl Likelihood {
    /// True for the count likelihoods (the data must be non-negative integers).
    pub fn is_count(self) -> bool {
        matches!(self, Likelihood::Poisson | Likelihood::Nb | Likelihood::Zinb)
    }

    /// True when each feature has a learned dispersion θ (NB, ZINB).
    pub fn has_dispersion(self) -> bool {
        matches!(self, Likelihood::Nb | Likelihood::Zinb)
    }

    /// True when the decoder also gives a dropout logit per entry (ZINB).
    pub fn has_dropout(self) -> bool {
        self == Likelihood::Zinb
    }

    /// Decoder heads for `d` features: a mean (share) per feature, and a dropout logit for ZINB.
    pub fn heads(self, d: usize) -> usize {
        if self.has_dropout() {
            2 * d
        } else {
            d
        }
    }

    /// True when the model standardises its input (Gaussian).
    pub fn standardises(self) -> bool {
        self == Likelihood::Gaussian
    }

    /// What the encoder sees of entry `x` of column `j`: standardised (Gaussian), as it is
    /// (Bernoulli), `log1p` (counts, scVI).
    pub fn encoder_input(self, x: f64, scaler: &Scaler, j: usize) -> f32 {
        match self {
            Likelihood::Gaussian => scaler.apply(x, j) as f32,
            Likelihood::Bernoulli => x as f32,
            _ => x.ln_1p() as f32,
        }
    }

    /// What the training loss compares the decoder with: standardised (Gaussian), as it is otherwise.
    pub fn target(self, x: f64, scaler: &Scaler, j: usize) -> f32 {
        if self.standardises() {
            scaler.apply(x, j) as f32
        } else {
            x as f32
        }
    }

    /// Checks that the data fit the likelihood: non-negative integer counts with no all-zero
    /// gene or sample, values in [0, 1] for Bernoulli.
    pub fn check_data(self, x: MatRef<'_, f64>, columns: &[String]) -> Result<()> {
        let (n, d) = (x.nrows(), x.ncols());
        if self.is_count() {
            check_counts(x, columns)?;
            if let Some(j) = (0..d).find(|&j| x.col(j).iter().all(|&v| v == 0.0)) {
                return Err(recon_core::Error::invalid_data(
                    "counts",
                    format!("gene '{}' is zero in every sample; drop all-zero genes first", columns[j]),
                ));
            }
            if let Some(i) = (0..n).find(|&i| x.row(i).iter().all(|&v| v == 0.0)) {
                return Err(recon_core::Error::invalid_data(
                    "counts",
                    format!("sample {} has no counts at all", i + 1),
                ));
            }
        }
        if self == Likelihood::Bernoulli {
            if let Some((i, j)) =
                (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).find(|&(i, j)| !(0.0..=1.0).contains(&x[(i, j)]))
            {
                return Err(recon_core::Error::invalid_data(
                    "data",
                    format!(
                        "row {}, column '{}' holds {}: a Bernoulli likelihood needs values in [0, 1]",
                        i + 1,
                        columns[j],
                        x[(i, j)]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The decoded parameter of each entry of one row from the decoder's heads `out` (at least
    /// `d` of them): for counts the mean `μⱼ = ℓ·softmax(out)ⱼ` (ℓ the row's library size, scVI's
    /// offset, floored at 1e-8), otherwise the head itself (a standardised mean, a logit).
    pub fn decoded(self, out: &[f64], library: f64) -> Vec<f64> {
        let d = out.len();
        if !self.is_count() {
            return out.to_vec();
        }
        let top = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let norm: f64 = out.iter().map(|l| (l - top).exp()).sum();
        (0..d).map(|j| (library * (out[j] - top).exp() / norm).max(1e-8)).collect()
    }

    /// The exact log-likelihood of entry `x` (column `j`) and its decoded mean, given the decoded
    /// parameter `p` (see [`Likelihood::decoded`]), the per-feature parameter `extra` (log σ² or
    /// log θ) and the dropout logit (ZINB). A Gaussian density is of `x` in its own units.
    pub fn entry(self, x: f64, p: f64, extra: f64, dropout: f64, scaler: &Scaler, j: usize) -> (f64, f64) {
        match self {
            Likelihood::Gaussian => {
                let t = scaler.apply(x, j);
                (gaussian_log_prob(t, p, extra) - scaler.scale[j].ln(), scaler.invert(p, j))
            }
            Likelihood::Bernoulli => (bernoulli_log_prob(x, p), 1.0 / (1.0 + (-p).exp())),
            Likelihood::Poisson => (poisson_log_prob(x, p), p),
            Likelihood::Nb => (nb_log_prob(x, p, extra.exp()), p),
            Likelihood::Zinb => (zinb_log_prob(x, p, extra.exp(), dropout), p),
        }
    }

    /// Two-sided p-value of count `k` under the decoded mean `mu`, dispersion `theta` (NB, ZINB)
    /// and dropout logit (ZINB).
    pub fn count_p_value(self, k: u64, mu: f64, theta: f64, dropout: f64) -> Result<f64> {
        match self {
            Likelihood::Poisson => poisson_p_value(k, mu),
            Likelihood::Nb => nb_p_value(k, mu, theta),
            Likelihood::Zinb => zinb_p_value(k, mu, theta, dropout),
            _ => Err(invalid("per-feature p-values", "need a count likelihood (poisson, nb or zinb)")),
        }
    }

    /// The name used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Likelihood::Gaussian => "gaussian",
            Likelihood::Bernoulli => "bernoulli",
            Likelihood::Poisson => "poisson",
            Likelihood::Nb => "nb",
            Likelihood::Zinb => "zinb",
        }
    }
}

/// `log(1 + e^x)` without overflow.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Gaussian log-density of `x` with mean `mean` and variance `exp(log_var)`.
pub fn gaussian_log_prob(x: f64, mean: f64, log_var: f64) -> f64 {
    let d = x - mean;
    -0.5 * (std::f64::consts::TAU.ln() + log_var + d * d * (-log_var).exp())
}

/// Bernoulli log-probability of `x ∈ [0, 1]` given the logit of `P(x = 1)`.
pub fn bernoulli_log_prob(x: f64, logit: f64) -> f64 {
    // x log σ(l) + (1 − x) log σ(−l) = x l − softplus(l)
    x * logit - softplus(logit)
}

/// Poisson log-probability of count `k` with mean `mu ≥ 0`.
pub fn poisson_log_prob(k: f64, mu: f64) -> f64 {
    if mu == 0.0 {
        return if k == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    }
    k * mu.ln() - mu - ln_gamma(k + 1.0)
}

/// Negative-binomial log-probability of count `k` with mean `mu` and inverse dispersion `theta`.
pub fn nb_log_prob(k: f64, mu: f64, theta: f64) -> f64 {
    let log_theta_mu = (theta + mu).ln();
    let kterm = if k == 0.0 { 0.0 } else { k * (mu.ln() - log_theta_mu) };
    theta * (theta.ln() - log_theta_mu) + kterm + ln_gamma(k + theta) - ln_gamma(theta) - ln_gamma(k + 1.0)
}

/// Zero-inflated NB log-probability; `dropout_logit` is the logit of the extra-zero probability.
pub fn zinb_log_prob(k: f64, mu: f64, theta: f64, dropout_logit: f64) -> f64 {
    // log(1 − π) = −softplus(l); log π = l − softplus(l).
    let nb = nb_log_prob(k, mu, theta);
    if k == 0.0 {
        let (a, b) = (dropout_logit, nb);
        // log(π + (1 − π) NB(0)) = logaddexp(l, nb) − softplus(l)
        let m = a.max(b);
        m + ((a - m).exp() + (b - m).exp()).ln() - softplus(dropout_logit)
    } else {
        nb - softplus(dropout_logit)
    }
}

/// `min(1, 2 min(P(X ≤ k), P(X ≥ k)))`, the upper tail from the survival function so that tiny
/// tails are not lost to `1 − F` cancellation.
fn two_sided(d: &impl DiscreteCDF<u64, f64>, k: u64) -> f64 {
    let upper = if k == 0 { 1.0 } else { d.sf(k - 1) };
    (2.0 * d.cdf(k).min(upper)).clamp(0.0, 1.0)
}

/// NB with mean `mu` and inverse dispersion `theta` in statrs' (r, p) form.
fn nb_dist(mu: f64, theta: f64) -> Result<NegativeBinomial> {
    NegativeBinomial::new(theta, theta / (theta + mu))
        .map_err(|e| invalid("negative binomial", format!("μ = {mu}, θ = {theta}: {e}")))
}

/// Two-sided p-value of count `k` under NB(`mu`, `theta`): is it unusually low or high?
pub fn nb_p_value(k: u64, mu: f64, theta: f64) -> Result<f64> {
    let d = nb_dist(mu, theta)?;
    Ok(two_sided(&d, k))
}

/// Two-sided p-value of count `k` under the zero-inflated NB(`mu`, `theta`) with extra-zero
/// logit `dropout_logit`: `P(X ≤ k) = π + (1 − π) F(k)`, `P(X ≥ k) = (1 − π) S(k − 1)` for
/// `k > 0` (a zero is never unusually low, and unusually high only if π is small).
pub fn zinb_p_value(k: u64, mu: f64, theta: f64, dropout_logit: f64) -> Result<f64> {
    let d = nb_dist(mu, theta)?;
    let pi = 1.0 / (1.0 + (-dropout_logit).exp());
    let lower = pi + (1.0 - pi) * d.cdf(k);
    let upper = if k == 0 { 1.0 } else { (1.0 - pi) * d.sf(k - 1) };
    Ok((2.0 * lower.min(upper)).clamp(0.0, 1.0))
}

/// Two-sided p-value of count `k` under Poisson(`mu`).
pub fn poisson_p_value(k: u64, mu: f64) -> Result<f64> {
    if mu == 0.0 {
        return Ok(if k == 0 { 1.0 } else { 0.0 });
    }
    let d = Poisson::new(mu).map_err(|e| invalid("Poisson", format!("μ = {mu}: {e}")))?;
    Ok(two_sided(&d, k))
}

/// The NB probability of exactly `k` (for tests and small tables).
pub fn nb_pmf(k: u64, mu: f64, theta: f64) -> Result<f64> {
    let d = nb_dist(mu, theta)?;
    Ok(d.pmf(k))
}

/// Checks that every value is a non-negative integer (what a count likelihood can score); the
/// error names the first offending entry (1-based row, column name).
pub fn check_counts(x: faer::MatRef<'_, f64>, columns: &[String]) -> Result<()> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if !(v >= 0.0 && v.fract() == 0.0 && v.is_finite()) {
                let name = columns.get(j).cloned().unwrap_or_else(|| format!("x{j}"));
                return Err(invalid(
                    "counts",
                    format!("row {}, column '{name}' holds {v}: a count likelihood needs non-negative integers", i + 1),
                ));
            }
        }
    }
    Ok(())
}

// ---- Training losses (burn tensors): the same likelihoods, differentiable. ----

/// Differentiable `log Γ(x)` for `x > 0`: `log Γ(x) = log Γ(x + 6) − Σₖ₌₀⁵ log(x + k)`, then
/// Stirling's series to `z⁻⁵` at `z = x + 6` (error below 1e-10, far under f32 rounding).
pub(crate) fn lgamma_t(x: Tensor<2>) -> Tensor<2> {
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

/// Per-entry log-likelihood tensors for training (up to terms constant in the parameters), rows
/// × features, from the decoder's heads `out`, the per-feature parameter `extra` and the
/// samples' library sizes `lib` (rows × 1).
pub(crate) fn log_lik_t(
    lik: Likelihood,
    x: Tensor<2>,
    out: Tensor<2>,
    extra: Tensor<1>,
    lib: Tensor<2>,
    d: usize,
) -> Tensor<2> {
    if lik == Likelihood::Zinb {
        return zinb_log_lik_t(x, out, extra, lib, d);
    }
    let extra = extra.unsqueeze::<2>(); // [1, d]
    match lik {
        Likelihood::Gaussian => {
            let diff = x - out;
            (diff.square() * extra.clone().neg().exp() + extra).mul_scalar(-0.5)
        }
        Likelihood::Bernoulli => x * out.clone() - softplus_t(out, 1.0),
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
    let softplus_neg_pi = softplus_t(pi.clone().neg(), 1.0);
    // k = 0: log(π + (1 − π)(θ/(θ+μ))^θ) = softplus_t(−l + θ log(θ/(θ+μ))) − softplus_t(−l)
    let case_zero = softplus_t(pi_theta_log.clone() - pi.clone(), 1.0) - softplus_neg_pi.clone();
    // k > 0: log(1 − π) + log NB(k)
    let case_nonzero = pi.neg() - softplus_neg_pi
        + pi_theta_log
        + x.clone() * (mu.log() - log_theta_mu)
        + lgamma_t(x.clone() + theta.clone())
        - lgamma_t(theta);
    let zero = x.equal_elem(0.0);
    case_nonzero.mask_where(zero, case_zero)
}
