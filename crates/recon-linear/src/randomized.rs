//! Randomized SVD (Halko, Martinsson & Tropp 2011, Algorithm 4.4 with QR re-orthonormalisation):
//! sketch the range of `A` with `k + p` Gaussian test vectors, sharpen it with `q` power
//! iterations `(A Aᵀ)^q`, then take the exact SVD of the small matrix `Qᵀ A`.
//! Error bound: `E||A − QQᵀA|| ≤ [1 + …] σ_{k+1}^{1/(2q+1)}`-type decay, so the top singular
//! values match the exact ones closely when the spectrum decays.

use faer::{Mat, MatRef};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::error::{invalid, Error, Result};
use crate::pca::flip_signs;

/// Parameters of the randomized range finder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomizedParams {
    /// Extra test vectors beyond the rank (scikit-learn's default: 10).
    pub oversample: usize,
    /// Power iterations; `None` = scikit-learn's "auto" (7 when k < 0.1·min(n, d), else 4).
    pub n_iter: Option<usize>,
    /// Seed of the Gaussian test matrix.
    pub seed: u64,
}

impl RandomizedParams {
    /// Defaults as scikit-learn: oversample 10, auto power iterations.
    pub fn new(seed: u64) -> Self {
        RandomizedParams { oversample: 10, n_iter: None, seed }
    }
}

fn orthonormal(y: &Mat<f64>) -> Mat<f64> {
    y.qr().compute_thin_Q()
}

/// Rank-`k` randomized SVD of `a`: `(U (n × k), σ (k), Vᵀ (k × d))`, signs as scikit-learn's `svd_flip`.
pub fn randomized_svd(a: MatRef<'_, f64>, k: usize, p: &RandomizedParams) -> Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    let (n, d) = (a.nrows(), a.ncols());
    let m = n.min(d);
    if k == 0 || k > m {
        return Err(invalid("rank", format!("{k} components requested; a {n} × {d} matrix allows 1..={m}")));
    }
    let l = (k + p.oversample).min(m);
    let n_iter = p.n_iter.unwrap_or(if (k as f64) < 0.1 * m as f64 { 7 } else { 4 });
    let mut rng = StdRng::seed_from_u64(p.seed);
    let omega: Mat<f64> = Mat::from_fn(d, l, |_, _| StandardNormal.sample(&mut rng));
    let mut q = orthonormal(&(a * &omega));
    for _ in 0..n_iter {
        let z = orthonormal(&(a.transpose() * &q));
        q = orthonormal(&(a * &z));
    }
    let b = q.transpose() * a; // l × d
    let svd = b.thin_svd().map_err(|_| Error::NoConvergence { what: "SVD of the sketch" })?;
    let s: Vec<f64> = (0..k).map(|i| svd.S()[i]).collect();
    let ub = svd.U();
    let mut u = &q * ub.subcols(0, k);
    let v = svd.V();
    let mut vt = Mat::from_fn(k, d, |r, j| v[(j, r)]);
    flip_signs(&mut vt, Some(&mut u));
    Ok((u, s, vt))
}
