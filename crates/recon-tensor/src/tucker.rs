//! Tucker decomposition `X ≈ G ×₁ U₁ ×₂ U₂ … ×_N U_N` with orthonormal factors: HOSVD (each U_n
//! from the leading left singular vectors of the mode-n unfolding) and HOOI (De Lathauwer, De Moor
//! & Vandewalle 2000): each sweep sets U_n to the leading left singular vectors of
//! `X ×_{m≠n} U_mᵀ`, then `G = X ×₁ U₁ᵀ … ×_N U_Nᵀ`. With orthonormal factors
//! `||X − X̂||² = ||X||² − ||G||²`. Projections run over the stored entries, so sparse tensors are
//! never densified; missing entries of a dense tensor are filled by EM as in CP.

use faer::Mat;
use rand::{rngs::StdRng, Rng, SeedableRng};
use recon_core::data::Tensor;

use crate::cp::{fill_missing_with_mean, relative_error, unfold};
use crate::error::{invalid, Error, Result};
use crate::kruskal::for_each_index;

/// Unfitted Tucker parameters.
#[derive(Debug, Clone)]
pub struct TuckerParams {
    ranks: Vec<usize>,
    max_iter: usize,
    tol: f64,
    seed: u64,
}

/// A fitted Tucker model.
#[derive(Debug, Clone)]
pub struct TuckerFit {
    /// Core tensor, C order, shape = the multilinear rank.
    pub core: Vec<f64>,
    /// Orthonormal factors, `I_m × R_m`.
    pub factors: Vec<Mat<f64>>,
    /// Relative error on observed entries after HOSVD (first) and after each HOOI sweep.
    pub errors: Vec<f64>,
}

impl TuckerFit {
    /// Final relative error.
    pub fn relative_error(&self) -> f64 {
        *self.errors.last().expect("at least one error")
    }
    /// The multilinear rank.
    pub fn ranks(&self) -> Vec<usize> {
        self.factors.iter().map(|f| f.ncols()).collect()
    }
    /// Every entry of the model, C order.
    pub fn full(&self) -> Vec<f64> {
        let shape: Vec<usize> = self.factors.iter().map(|f| f.nrows()).collect();
        let ranks = self.ranks();
        let mut out = Vec::with_capacity(shape.iter().product());
        for_each_index(&shape, |idx| {
            let k = kron_rows(&self.factors, idx, usize::MAX);
            out.push(k.iter().zip(&self.core).map(|(a, b)| a * b).sum());
        });
        debug_assert_eq!(self.core.len(), ranks.iter().product::<usize>());
        out
    }
}

/// `⊗_{m≠skip} U_m[i_m, :]` in C order of the core's modes.
fn kron_rows(factors: &[Mat<f64>], idx: &[usize], skip: usize) -> Vec<f64> {
    let mut k = vec![1.0];
    for (m, f) in factors.iter().enumerate() {
        if m == skip {
            continue;
        }
        let r = f.ncols();
        let mut next = Vec::with_capacity(k.len() * r);
        for a in &k {
            for c in 0..r {
                next.push(a * f[(idx[m], c)]);
            }
        }
        k = next;
    }
    k
}

/// Entries of a tensor as (index, value) visits: every cell of a dense tensor, the nonzeros of a sparse one.
fn for_each_entry(t: &Tensor, dense_values: Option<&[f64]>, mut f: impl FnMut(&[usize], f64)) {
    match t {
        Tensor::Dense(d) => {
            let values = dense_values.unwrap_or(&d.data);
            let mut flat = 0;
            for_each_index(&d.shape, |idx| {
                let x = values[flat];
                flat += 1;
                if x != 0.0 {
                    f(idx, x);
                }
            });
        }
        Tensor::Sparse(s) => (0..s.nnz()).for_each(|e| f(s.coords(e), s.values[e])),
    }
}

/// `(X ×_{m≠n} U_mᵀ)_(n)`: `I_n × ∏_{m≠n} R_m`.
fn project_except(t: &Tensor, values: Option<&[f64]>, factors: &[Mat<f64>], n: usize) -> Mat<f64> {
    let cols: usize = factors.iter().enumerate().filter(|(m, _)| *m != n).map(|(_, f)| f.ncols()).product();
    let mut y = Mat::<f64>::zeros(t.shape()[n], cols);
    for_each_entry(t, values, |idx, x| {
        for (c, k) in kron_rows(factors, idx, n).iter().enumerate() {
            y[(idx[n], c)] += x * k;
        }
    });
    y
}

fn core(t: &Tensor, values: Option<&[f64]>, factors: &[Mat<f64>]) -> Vec<f64> {
    let size: usize = factors.iter().map(|f| f.ncols()).product();
    let mut g = vec![0.0; size];
    for_each_entry(t, values, |idx, x| {
        for (gv, k) in g.iter_mut().zip(kron_rows(factors, idx, usize::MAX)) {
            *gv += x * k;
        }
    });
    g
}

fn leading_left(y: &Mat<f64>, r: usize) -> Result<Mat<f64>> {
    let svd = y.thin_svd().map_err(|_| Error::NoConvergence { what: "SVD in HOOI" })?;
    Ok(svd.U().subcols(0, r).to_owned())
}

impl TuckerParams {
    /// Multilinear rank `ranks` (one per mode), at most 100 HOOI sweeps, tol 1e-8, seed 0.
    pub fn new(ranks: Vec<usize>) -> Self {
        TuckerParams { ranks, max_iter: 100, tol: 1e-8, seed: 0 }
    }
    recon_core::setters! {
        /// Maximum HOOI sweeps (0: HOSVD only).
        max_iter: usize;
        /// Stop when the relative error changes by less than this.
        tol: f64;
        /// Seed of the random orthonormal start used for sparse tensors.
        seed: u64;
    }

    /// Fits: HOSVD (dense) or a random orthonormal start (sparse), then HOOI.
    pub fn fit(&self, t: &Tensor) -> Result<TuckerFit> {
        let shape = t.shape().to_vec();
        if self.ranks.len() != shape.len() {
            return Err(invalid("ranks", format!("{} ranks for a {}-way tensor", self.ranks.len(), shape.len())));
        }
        for (m, (&r, &n)) in self.ranks.iter().zip(&shape).enumerate() {
            let others: usize = self.ranks.iter().enumerate().filter(|(k, _)| *k != m).map(|(_, r)| *r).product();
            if r == 0 || r > n || r > others {
                return Err(invalid(
                    "ranks",
                    format!("rank {r} for mode {m} (size {n}, product of the other ranks {others})"),
                ));
            }
        }
        let (missing, mut filled, norm_obs) = match t {
            Tensor::Dense(d) => {
                let missing: Vec<usize> =
                    d.data.iter().enumerate().filter(|(_, v)| v.is_nan()).map(|(i, _)| i).collect();
                let norm = d.data.iter().filter(|v| !v.is_nan()).map(|v| v * v).sum::<f64>().sqrt();
                (missing, Some(fill_missing_with_mean(&d.data)), norm)
            }
            Tensor::Sparse(s) => (Vec::new(), None, s.values.iter().map(|v| v * v).sum::<f64>().sqrt()),
        };
        if !(norm_obs > 0.0) {
            return Err(recon_core::Error::ZeroVariance);
        }
        let mut factors: Vec<Mat<f64>> = match (&filled, t) {
            (Some(f), Tensor::Dense(d)) => {
                (0..shape.len()).map(|m| leading_left(&unfold(f, &d.shape, m), self.ranks[m])).collect::<Result<_>>()?
            }
            _ => {
                let mut rng = StdRng::seed_from_u64(self.seed);
                shape
                    .iter()
                    .zip(&self.ranks)
                    .map(|(&n, &r)| Mat::<f64>::from_fn(n, r, |_, _| rng.random::<f64>() - 0.5).qr().compute_thin_Q())
                    .collect()
            }
        };
        let mut errors = Vec::new();
        let mut g;
        let mut sweep = 0;
        loop {
            g = core(t, filled.as_deref(), &factors);
            let rel = if missing.is_empty() {
                // With orthonormal factors ⟨X, X̂⟩ = ||X̂||² = ||G||².
                let gn: f64 = g.iter().map(|v| v * v).sum();
                let expansion = (norm_obs * norm_obs - gn).max(0.0).sqrt() / norm_obs;
                relative_error(norm_obs, gn, gn, || match t {
                    Tensor::Dense(d) => {
                        let fit = TuckerFit { core: g.clone(), factors: factors.clone(), errors: Vec::new() };
                        let full = fit.full();
                        d.data.iter().zip(&full).map(|(x, xh)| (x - xh) * (x - xh)).sum::<f64>().sqrt() / norm_obs
                    }
                    Tensor::Sparse(_) => expansion,
                })
            } else {
                let fit = TuckerFit { core: g.clone(), factors: factors.clone(), errors: Vec::new() };
                let full = fit.full();
                let (Tensor::Dense(d), Some(f)) = (t, filled.as_mut()) else {
                    unreachable!("missing entries only in dense tensors")
                };
                let mut err = 0.0;
                for (i, (x, xh)) in d.data.iter().zip(&full).enumerate() {
                    if x.is_nan() {
                        f[i] = *xh;
                    } else {
                        err += (x - xh) * (x - xh);
                    }
                }
                err.sqrt() / norm_obs
            };
            let done = errors.last().is_some_and(|prev: &f64| (prev - rel).abs() < self.tol);
            errors.push(rel);
            if done || sweep == self.max_iter {
                break;
            }
            sweep += 1;
            for n in 0..shape.len() {
                let y = project_except(t, filled.as_deref(), &factors, n);
                factors[n] = leading_left(&y, self.ranks[n])?;
            }
        }
        Ok(TuckerFit { core: g, factors, errors })
    }
}

/// Similarity of two factor subspaces: the product over the modes given of `||U_aᵀ U_b||²_F / R`
/// (the mean squared cosine of the principal angles; 1 for identical subspaces).
pub fn subspace_similarity(a: &[Mat<f64>], b: &[Mat<f64>], modes: &[usize]) -> f64 {
    let s: f64 = modes
        .iter()
        .map(|&m| {
            let p = a[m].transpose() * &b[m];
            let f = p.norm_l2();
            f * f / a[m].ncols().min(b[m].ncols()).max(1) as f64
        })
        .product();
    s
}
