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
    randomized_svd_centered(a, None, k, p)
}

/// As [`randomized_svd`] for `A − 1·μᵀ` without forming it: every product with the centred
/// matrix is a product with `A` plus a rank-one correction, so no n × d copy is made.
pub(crate) fn randomized_svd_centered(
    a: MatRef<'_, f64>,
    mean: Option<&[f64]>,
    k: usize,
    p: &RandomizedParams,
) -> Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    let (n, d) = (a.nrows(), a.ncols());
    let m = n.min(d);
    if k == 0 || k > m {
        return Err(invalid("rank", format!("{k} components requested; a {n} × {d} matrix allows 1..={m}")));
    }
    let l = (k + p.oversample).min(m);
    let n_iter = p.n_iter.unwrap_or(if (k as f64) < 0.1 * m as f64 { 7 } else { 4 });
    let mut rng = StdRng::seed_from_u64(p.seed);
    let omega: Mat<f64> = Mat::from_fn(d, l, |_, _| StandardNormal.sample(&mut rng));
    // (A − 1μᵀ) W = A W − 1 (μᵀ W)
    let times = |w: &Mat<f64>| -> Mat<f64> {
        let mut y = a * w;
        if let Some(mu) = mean {
            for c in 0..w.ncols() {
                let shift: f64 = (0..d).map(|j| mu[j] * w[(j, c)]).sum();
                y.col_as_slice_mut(c).iter_mut().for_each(|v| *v -= shift);
            }
        }
        y
    };
    // (A − 1μᵀ)ᵀ Q = Aᵀ Q − μ (1ᵀ Q)
    let times_t = |q: &Mat<f64>| -> Mat<f64> {
        let mut z = a.transpose() * q;
        if let Some(mu) = mean {
            for c in 0..q.ncols() {
                let colsum: f64 = q.col_as_slice(c).iter().sum();
                z.col_as_slice_mut(c).iter_mut().zip(mu).for_each(|(v, m)| *v -= m * colsum);
            }
        }
        z
    };
    let mut q = orthonormal(&times(&omega));
    for _ in 0..n_iter {
        let z = orthonormal(&times_t(&q));
        q = orthonormal(&times(&z));
    }
    let b = times_t(&q).transpose().to_owned(); // l × d = Qᵀ(A − 1μᵀ)
    let svd = b.thin_svd().map_err(|_| Error::NoConvergence { what: "SVD of the sketch" })?;
    let s: Vec<f64> = (0..k).map(|i| svd.S()[i]).collect();
    let ub = svd.U();
    let mut u = &q * ub.subcols(0, k);
    let v = svd.V();
    let mut vt = Mat::from_fn(k, d, |r, j| v[(j, r)]);
    flip_signs(&mut vt, Some(&mut u));
    Ok((u, s, vt))
}
