//! CP decomposition by alternating least squares (Kolda & Bader 2009, §3.4).
//!
//! Each sweep updates mode n by `A_n ← MTTKRP_n · (⊛_{m≠n} A_mᵀA_m)⁺` and moves the column norms
//! into λ. MTTKRP runs over the stored entries only, so a sparse tensor costs O(nnz·N·R) per mode
//! and is never densified. Missing entries of a dense tensor (NaN) are handled by EM: after each
//! sweep they take the model's current value, and the error is measured on observed entries only.
//! Iteration stops when the relative error changes by less than `tol` or after `max_iter` sweeps.

use faer::Mat;
use rand::{rngs::StdRng, Rng, SeedableRng};
use recon_core::data::{SparseTensor, Tensor};
use serde::Serialize;

use crate::error::{invalid, Error, Result};
use crate::kruskal::{for_each_index, Kruskal};

/// How the factors start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// Uniform [0, 1) entries from the seed.
    Random,
    /// Leading left singular vectors of each unfolding (dense tensors; sparse ones fall back to random).
    Hosvd,
}

/// Unfitted CP parameters.
#[derive(Debug, Clone)]
pub struct CpParams {
    rank: usize,
    nonneg: bool,
    init: Init,
    max_iter: usize,
    tol: f64,
    seed: u64,
}

/// A fitted CP model and how it got there.
#[derive(Debug, Clone)]
pub struct CpFit {
    /// The model.
    pub model: Kruskal,
    /// `||X − X̂|| / ||X||` on observed entries after each sweep.
    pub errors: Vec<f64>,
    /// Whether the error change fell below `tol`.
    pub converged: bool,
    /// The tensor with missing entries filled by the model (dense input only).
    pub(crate) filled: Option<Vec<f64>>,
}

impl CpFit {
    /// Final relative error.
    pub fn relative_error(&self) -> f64 {
        *self.errors.last().expect("at least one sweep")
    }
}

impl CpParams {
    /// Rank-`rank` CP, random initialisation with seed 0, at most 500 sweeps, tol 1e-8.
    pub fn new(rank: usize) -> Self {
        CpParams { rank, nonneg: false, init: Init::Random, max_iter: 500, tol: 1e-8, seed: 0 }
    }
    recon_core::setters! {
        /// Non-negative CP: every factor entry ≥ 0, fitted by HALS (Cichocki & Phan 2009): each
        /// column is updated in turn by `a_r ← max(0, a_r + (M_r − A V_r) / V_rr)`.
        nonnegative.nonneg: bool;
        /// Initialisation.
        init: Init;
        /// Maximum number of sweeps.
        max_iter: usize;
        /// Stop when the relative error changes by less than this.
        tol: f64;
        /// Seed of the random initialisation.
        seed: u64;
    }

    fn check(&self, t: &Tensor) -> Result<()> {
        if self.rank == 0 {
            return Err(invalid("rank", "must be at least 1"));
        }
        if self.max_iter == 0 || !(self.tol >= 0.0) {
            return Err(invalid("stopping rule", format!("max_iter {} and tol {}", self.max_iter, self.tol)));
        }
        let shape = t.shape();
        let max = shape.iter().product::<usize>();
        if self.rank > max {
            return Err(invalid("rank", format!("{} exceeds the number of entries ({max})", self.rank)));
        }
        Ok(())
    }

    /// Fits from the configured initialisation.
    pub fn fit(&self, t: &Tensor) -> Result<CpFit> {
        self.check(t)?;
        let mut rng = StdRng::seed_from_u64(self.seed);
        let shape = t.shape().to_vec();
        let random = |rng: &mut StdRng, rows: usize| Mat::<f64>::from_fn(rows, self.rank, |_, _| rng.random::<f64>());
        let factors = match (self.init, t) {
            (Init::Hosvd, Tensor::Dense(d)) => {
                let filled = fill_missing_with_mean(&d.data);
                shape
                    .iter()
                    .enumerate()
                    .map(|(m, _)| {
                        let f = hosvd_factor(&filled, &shape, m, self.rank, &mut rng)?;
                        Ok(if self.nonneg { Mat::from_fn(f.nrows(), f.ncols(), |i, j| f[(i, j)].abs()) } else { f })
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            _ => shape.iter().map(|&rows| random(&mut rng, rows)).collect(),
        };
        self.fit_from(t, Kruskal { weights: vec![1.0; self.rank], factors })
    }

    /// Fits from given initial factors (for comparisons with other implementations).
    pub fn fit_from(&self, t: &Tensor, init: Kruskal) -> Result<CpFit> {
        self.check(t)?;
        if init.rank() != self.rank || init.shape() != t.shape() {
            return Err(invalid(
                "initial factors",
                format!("rank {} / shape {:?} do not match", init.rank(), init.shape()),
            ));
        }
        match t {
            Tensor::Dense(d) => als_dense(&d.shape, &d.data, init, self),
            Tensor::Sparse(s) => als_sparse(s, init, self),
        }
    }
}

pub(crate) fn fill_missing_with_mean(data: &[f64]) -> Vec<f64> {
    let obs: Vec<f64> = data.iter().copied().filter(|v| !v.is_nan()).collect();
    let mean = obs.iter().sum::<f64>() / obs.len().max(1) as f64;
    data.iter().map(|v| if v.is_nan() { mean } else { *v }).collect()
}

/// Mode-`m` unfolding `I_m × (∏ others)` of a C-order tensor (columns in C order of the other modes).
pub(crate) fn unfold(data: &[f64], shape: &[usize], m: usize) -> Mat<f64> {
    unfold_t(data, shape, m).transpose().to_owned()
}

/// The transpose of [`unfold`], `(∏ others) × I_m`, built by contiguous block copies: with
/// P = ∏_{k<m} I_k and Q = ∏_{k>m} I_k, entry (p, i, q) sits at `(p·I_m + i)·Q + q`.
pub(crate) fn unfold_t(data: &[f64], shape: &[usize], m: usize) -> Mat<f64> {
    let (p, n, q) = (shape[..m].iter().product::<usize>(), shape[m], shape[m + 1..].iter().product::<usize>());
    let mut out = Mat::<f64>::zeros(p * q, n);
    for i in 0..n {
        let col = out.col_as_slice_mut(i);
        for pp in 0..p {
            let src = (pp * n + i) * q;
            col[pp * q..(pp + 1) * q].copy_from_slice(&data[src..src + q]);
        }
    }
    out
}

fn hosvd_factor(data: &[f64], shape: &[usize], m: usize, rank: usize, rng: &mut StdRng) -> Result<Mat<f64>> {
    let xt = unfold_t(data, shape, m);
    let gram = xt.transpose() * &xt;
    let evd = gram
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|_| Error::NoConvergence { what: "HOSVD eigendecomposition" })?;
    let n = shape[m];
    let u = evd.U();
    Ok(Mat::from_fn(n, rank, |i, r| if r < n { u[(i, n - 1 - r)] } else { rng.random::<f64>() }))
}

/// `||X − X̂|| / ||X||` from `||X||² − 2⟨X, X̂⟩ + ||X̂||²`. The expansion cancels near an exact
/// fit (it cannot resolve below ~√ε), so below 1e-4 the error is measured by `direct` instead.
pub(crate) fn relative_error(norm_x: f64, inner: f64, model_norm_sq: f64, direct: impl FnOnce() -> f64) -> f64 {
    let fast = (norm_x * norm_x - 2.0 * inner + model_norm_sq).max(0.0).sqrt() / norm_x;
    if fast > 1e-4 {
        fast
    } else {
        direct()
    }
}

/// `⟨X, X̂⟩ = Σ_{i,r} M_N[i, r] A_N[i, r] λ_r` from the last mode's MTTKRP.
fn inner_from_mttkrp(model: &Kruskal, m_last: &Mat<f64>) -> f64 {
    let a = &model.factors[model.factors.len() - 1];
    (0..a.ncols()).map(|r| model.weights[r] * (0..a.nrows()).map(|i| m_last[(i, r)] * a[(i, r)]).sum::<f64>()).sum()
}

/// Solves `A V = M` for the new factor with V symmetric PSD (pseudo-inverse for rank deficiency).
fn solve_factor(m: &Mat<f64>, v: &Mat<f64>) -> Result<Mat<f64>> {
    let svd = v.thin_svd().map_err(|_| Error::NoConvergence { what: "normal equations of ALS" })?;
    Ok(m * svd.pseudoinverse())
}

fn update_mode(model: &mut Kruskal, n: usize, mttkrp: Mat<f64>, nonneg: bool) -> Result<()> {
    let v = model.hadamard_grams(Some(n));
    let mut a = if nonneg { hals(model, n, &mttkrp, &v) } else { solve_factor(&mttkrp, &v)? };
    for r in 0..a.ncols() {
        let norm = a.col(r).norm_l2();
        model.weights[r] = norm;
        if norm > 0.0 {
            a.col_as_slice_mut(r).iter_mut().for_each(|x| *x /= norm);
        }
    }
    model.factors[n] = a;
    Ok(())
}

/// One HALS pass over the columns of mode `n` (its weights folded in first).
fn hals(model: &Kruskal, n: usize, m: &Mat<f64>, v: &Mat<f64>) -> Mat<f64> {
    let f = &model.factors[n];
    let r = f.ncols();
    let mut a = Mat::from_fn(f.nrows(), r, |i, c| f[(i, c)] * model.weights[c]);
    for c in 0..r {
        let vcc = v[(c, c)].max(1e-12);
        for i in 0..a.nrows() {
            let av: f64 = (0..r).map(|k| a[(i, k)] * v[(k, c)]).sum();
            a[(i, c)] = (a[(i, c)] + (m[(i, c)] - av) / vcc).max(0.0);
        }
        // Keep a column from vanishing entirely (it would stay zero forever).
        if a.col(c).iter().all(|x| *x == 0.0) {
            a.col_as_slice_mut(c).iter_mut().for_each(|x| *x = 1e-12);
        }
    }
    a
}

/// Normalises the initial factors so every update sees unit-norm neighbours.
fn prepare(mut init: Kruskal) -> Kruskal {
    init.normalize();
    // λ is recomputed by the first update; fold the initial weights into the first factor.
    let r = init.rank();
    let w = std::mem::replace(&mut init.weights, vec![1.0; r]);
    for (r, wr) in w.iter().enumerate() {
        init.factors[0].col_as_slice_mut(r).iter_mut().for_each(|x| *x *= wr);
    }
    init
}

/// Khatri–Rao product of every factor but mode `n`, rows in C order of the other modes
/// (matching the columns of [`unfold`]).
fn khatri_rao_except(model: &Kruskal, n: usize) -> Mat<f64> {
    let r = model.rank();
    let others: Vec<usize> = (0..model.factors.len()).filter(|&m| m != n).collect();
    let shape: Vec<usize> = others.iter().map(|&m| model.factors[m].nrows()).collect();
    let rows: usize = shape.iter().product();
    let mut kr = Mat::<f64>::zeros(rows, r);
    let mut j = 0;
    for_each_index(&shape, |idx| {
        for c in 0..r {
            let mut p = 1.0;
            for (k, &m) in others.iter().enumerate() {
                p *= model.factors[m][(idx[k], c)];
            }
            kr[(j, c)] = p;
        }
        j += 1;
    });
    kr
}

fn als_dense(shape: &[usize], data: &[f64], init: Kruskal, p: &CpParams) -> Result<CpFit> {
    let missing: Vec<usize> = data.iter().enumerate().filter(|(_, v)| v.is_nan()).map(|(i, _)| i).collect();
    let mut filled = fill_missing_with_mean(data);
    let norm_obs: f64 = data.iter().filter(|v| !v.is_nan()).map(|v| v * v).sum::<f64>().sqrt();
    if !(norm_obs > 0.0) {
        return Err(recon_core::Error::ZeroVariance);
    }
    let mut model = prepare(init);
    let mut errors = Vec::new();
    let mut converged = false;
    let last = shape.len() - 1;
    // Unfoldings of the (filled) tensor: MTTKRP_n = X_(n) · KR(others), a matrix product.
    let mut unfoldings: Vec<Mat<f64>> = (0..shape.len()).map(|n| unfold_t(&filled, shape, n)).collect();
    for _ in 0..p.max_iter {
        let mut m_last = Mat::<f64>::zeros(0, 0);
        for (n, xn) in unfoldings.iter().enumerate() {
            let m = xn.transpose() * khatri_rao_except(&model, n);
            if n == last {
                m_last = m.clone();
            }
            update_mode(&mut model, n, m, p.nonneg)?;
        }
        let rel = if missing.is_empty() {
            relative_error(norm_obs, inner_from_mttkrp(&model, &m_last), model.norm_sq(), || {
                let full = model.full();
                data.iter().zip(&full).map(|(x, xh)| (x - xh) * (x - xh)).sum::<f64>().sqrt() / norm_obs
            })
        } else {
            let full = model.full();
            let mut err = 0.0;
            for (i, (x, xh)) in data.iter().zip(&full).enumerate() {
                if !x.is_nan() {
                    err += (x - xh) * (x - xh);
                } else {
                    filled[i] = *xh;
                }
            }
            unfoldings = (0..shape.len()).map(|n| unfold_t(&filled, shape, n)).collect();
            err.sqrt() / norm_obs
        };
        let done = errors.last().is_some_and(|prev: &f64| (prev - rel).abs() < p.tol);
        errors.push(rel);
        if done {
            converged = true;
            break;
        }
    }
    let filled = (!missing.is_empty()).then_some(filled);
    Ok(CpFit { model, errors, converged, filled })
}

/// Row-major copies of the factors (row i of mode m is `rows[m][i*R..(i+1)*R]`), so the
/// per-nonzero products read contiguous memory.
fn row_major(model: &Kruskal) -> Vec<Vec<f64>> {
    let r = model.rank();
    model
        .factors
        .iter()
        .map(|f| {
            let mut v = vec![0.0; f.nrows() * r];
            for c in 0..r {
                for (i, x) in f.col(c).iter().enumerate() {
                    v[i * r + c] = *x;
                }
            }
            v
        })
        .collect()
}

/// MTTKRP over the nonzeros only: `M[i_n, :] += x · ∏_{m≠n} A_m[i_m, :]`.
fn sparse_mttkrp(t: &SparseTensor, model: &Kruskal, n: usize) -> Mat<f64> {
    let r = model.rank();
    let rows = row_major(model);
    let mut out = vec![0.0; t.shape[n] * r];
    let mut prod = vec![0.0; r];
    for e in 0..t.nnz() {
        let idx = t.coords(e);
        prod.iter_mut().for_each(|p| *p = t.values[e]);
        for (m, f) in rows.iter().enumerate() {
            if m != n {
                let row = &f[idx[m] * r..(idx[m] + 1) * r];
                prod.iter_mut().zip(row).for_each(|(p, a)| *p *= a);
            }
        }
        out[idx[n] * r..(idx[n] + 1) * r].iter_mut().zip(&prod).for_each(|(o, p)| *o += p);
    }
    Mat::from_fn(t.shape[n], r, |i, c| out[i * r + c])
}

/// `||X − X̂||² = ||X||² − 2⟨X, X̂⟩ + ||X̂||²`, with ⟨X, X̂⟩ over the nonzeros.
pub(crate) fn sparse_residual_sq(t: &SparseTensor, model: &Kruskal) -> f64 {
    let norm_x: f64 = t.values.iter().map(|v| v * v).sum();
    let inner: f64 = (0..t.nnz()).map(|e| t.values[e] * model.value_at(t.coords(e))).sum();
    (norm_x - 2.0 * inner + model.norm_sq()).max(0.0)
}

fn als_sparse(t: &SparseTensor, init: Kruskal, p: &CpParams) -> Result<CpFit> {
    let norm_x: f64 = t.values.iter().map(|v| v * v).sum::<f64>().sqrt();
    if !(norm_x > 0.0) {
        return Err(recon_core::Error::ZeroVariance);
    }
    let mut model = prepare(init);
    let mut errors = Vec::new();
    let mut converged = false;
    let last = t.n_modes() - 1;
    for _ in 0..p.max_iter {
        let mut m_last = Mat::<f64>::zeros(0, 0);
        for n in 0..t.n_modes() {
            let m = sparse_mttkrp(t, &model, n);
            if n == last {
                m_last = m.clone();
            }
            update_mode(&mut model, n, m, p.nonneg)?;
        }
        let rel = relative_error(norm_x, inner_from_mttkrp(&model, &m_last), model.norm_sq(), || {
            sparse_residual_sq(t, &model).sqrt() / norm_x
        });
        let done = errors.last().is_some_and(|prev: &f64| (prev - rel).abs() < p.tol);
        errors.push(rel);
        if done {
            converged = true;
            break;
        }
    }
    Ok(CpFit { model, errors, converged, filled: None })
}
