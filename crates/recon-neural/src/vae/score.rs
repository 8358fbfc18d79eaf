//! Exact f64 scoring of a fitted VAE from its plain f32 weights: per-sample NLL and ELBO,
//! importance-weighted log p(x), per-entry NLL and count p-values.

use faer::{Mat, MatRef};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_core::ruler::empirical_p_value;

use super::{FeatureCalls, Vae, VaeOutput};
use crate::error::{invalid, Result};
use crate::likelihood::check_counts;

/// The most importance samples [`Vae::iw_log_likelihood`] takes (its error falls as 1/√K).
pub const MAX_IW_SAMPLES: usize = 10_000;

fn kl_row(m: &[f64], lv: &[f64]) -> f64 {
    -0.5 * m.iter().zip(lv).map(|(m, lv)| 1.0 + lv - m * m - lv.exp()).sum::<f64>()
}

impl Vae {
    pub(super) fn encoder_input(&self, x: MatRef<'_, f64>) -> Vec<f32> {
        let d = x.ncols();
        (0..x.nrows())
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| self.likelihood.encoder_input(x[(i, j)], &self.scaler, j))
            .collect()
    }

    pub(super) fn target(&self, x: MatRef<'_, f64>, i: usize, j: usize) -> f32 {
        self.likelihood.target(x[(i, j)], &self.scaler, j)
    }

    pub(super) fn check_input(&self, x: MatRef<'_, f64>) -> Result<()> {
        if x.ncols() != self.n_features() {
            return Err(invalid("data", format!("{} columns, the model has {}", x.ncols(), self.n_features())));
        }
        if self.likelihood.is_count() {
            check_counts(x, &(0..x.ncols()).map(|j| format!("x{j}")).collect::<Vec<_>>())?;
        }
        Ok(())
    }

    /// Encoder output for each row: latent means and log-variances.
    pub(super) fn latent_moments(&self, x: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
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
    pub(super) fn decode_log_lik(
        &self,
        x: MatRef<'_, f64>,
        z: MatRef<'_, f64>,
    ) -> (Mat<f64>, Mat<f64>, Option<Mat<f64>>) {
        let (n, d) = (x.nrows(), x.ncols());
        let out = self.decoder.forward(Mat::from_fn(n, z.ncols(), |i, c| z[(i, c)] as f32).as_ref());
        let lik = self.likelihood;
        let dropout = lik.has_dropout().then(|| Mat::from_fn(n, d, |i, j| f64::from(out[(i, d + j)])));
        let mut ll = Mat::zeros(n, d);
        let mut mean = Mat::zeros(n, d);
        for i in 0..n {
            let heads: Vec<f64> = (0..d).map(|j| f64::from(out[(i, j)])).collect();
            let p = lik.decoded(&heads, x.row(i).iter().sum());
            for j in 0..d {
                let drop = dropout.as_ref().map_or(0.0, |m| m[(i, j)]);
                let (l, m) = lik.entry(x[(i, j)], p[j], f64::from(self.extra[j]), drop, &self.scaler, j);
                ll[(i, j)] = l;
                mean[(i, j)] = m;
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
    pub(super) fn evaluate_checked(&self, x: MatRef<'_, f64>) -> VaeOutput {
        let (m, lv) = self.latent_moments(x);
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
        if k > MAX_IW_SAMPLES || (x.nrows() as u128) * (k as u128) > (1u128 << 28) {
            return Err(invalid(
                "importance samples",
                format!(
                    "{k} for {} rows is too many (at most {MAX_IW_SAMPLES}, and rows × samples ≤ 2^28); the estimate's error falls as 1/√K, so 100–1000 is plenty",
                    x.nrows()
                ),
            ));
        }
        let (m, lv) = self.latent_moments(x);
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
                let theta = theta.as_ref().map_or(0.0, |t| t[j]);
                let drop = out.dropout_logit.as_ref().map_or(0.0, |l| l[(i, j)]);
                p[(i, j)] = self.likelihood.count_p_value(k, mu, theta, drop)?;
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
}
