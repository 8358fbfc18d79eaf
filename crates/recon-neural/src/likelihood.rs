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
