//! Fair PCA (Samadi et al., NeurIPS 2018, "The Price of Fair PCA: One Extra Dimension"): the
//! rank-d projection that minimises the largest group *loss*, a group's mean reconstruction error
//! under the projection minus the error of the group's own best rank-d projection.
//!
//! With the rows standardised by the pooled scaler, group `i` has `mᵢ` rows and second-moment
//! matrix `Cᵢ = AᵢᵀAᵢ/mᵢ`; under an orthogonal projection `P` of rank d its mean error is
//! `tr Cᵢ − tr(P Cᵢ)` and its loss `Lᵢ(P) = tr Cᵢ − tr(P Cᵢ) − bestᵢ` with `bestᵢ` the sum of all
//! but the top d eigenvalues of `Cᵢ`. Every `Lᵢ` is linear in `P`, so over the convex hull of
//! rank-d projections (`0 ⪯ P ⪯ I`, `tr P = d`: the SDP relaxation) the minimax problem has the
//! dual `max_{w ∈ simplex} min_P Σ wᵢ Lᵢ(P)`, whose inner minimum is the top-d eigenspace of
//! `Σ wᵢ Cᵢ` (Ky Fan). [`FairPcaParams`] maximises the concave dual — by bisection on the one
//! weight for two groups, by exponentiated-gradient ascent for more — and returns the best
//! rank-d eigenspace met (standard PCA, the pooled `Σ mᵢCᵢ`, is among the candidates, so the
//! largest loss is never above standard PCA's). For two groups the relaxation is exact
//! (Tantipongpipat et al., NeurIPS 2019) and a rank-d eigenspace at the optimal weight attains it
//! unless the d-th and (d+1)-th eigenvalues tie there; the top-(d+1) eigenspace at the optimal
//! weight contains the relaxation's optimum, so with one extra dimension the largest loss is at
//! most the optimum at d ([`FairPcaReport::max_loss_plus_one`]).
//!
//! # Example
//!
//! ```
//! use recon_core::{Dataset, Fit};
//! use recon_linear::FairPcaParams;
//! # fn main() -> recon_core::Result<()> {
//! // Group "b" varies along x1 only, group "a" (four times as many rows) along x0.
//! let x = faer::Mat::from_fn(100, 3, |i, j| {
//!     let t = ((i * 37) % 17) as f64 - 8.0;
//!     match (i % 5 == 0, j) { (false, 0) | (true, 1) => t, _ => 0.1 * (((i + j) % 3) as f64 - 1.0) }
//! });
//! let groups = (0..100).map(|i| if i % 5 == 0 { "b".to_string() } else { "a".to_string() }).collect();
//! let data = Dataset { groups: Some(groups), ..Dataset::from_mat(x) };
//! let fair = FairPcaParams::new(1).fit(&data)?;
//! let r = fair.report();
//! assert!(r.max_loss_fair <= r.max_loss_standard + 1e-12);
//! # Ok(())
//! # }
//! ```

use faer::{Mat, MatRef, Side};
use recon_core::{Dataset, Fit, GroupIndex, Scaler};
use serde::Serialize;

use crate::error::{invalid, Error, Result};
use crate::pca::{flip_signs, Method};
use crate::Pca;

/// Unfitted fair PCA.
#[derive(Debug, Clone)]
pub struct FairPcaParams {
    d: usize,
    scale: bool,
    iterations: usize,
}

/// One group's errors before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupLoss {
    /// Group name.
    pub group: String,
    /// Rows.
    pub n: usize,
    /// Mean error of the group's own best rank-d projection.
    pub own_best_error: f64,
    /// Mean error under standard PCA of rank d.
    pub error_standard: f64,
    /// Mean error under fair PCA of rank d.
    pub error_fair: f64,
    /// `error_standard − own_best_error`.
    pub loss_standard: f64,
    /// `error_fair − own_best_error`.
    pub loss_fair: f64,
}

/// What fair PCA gave and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairPcaReport {
    /// Rank.
    pub d: usize,
    /// How the dual was solved.
    pub method: &'static str,
    /// Per group.
    pub groups: Vec<GroupLoss>,
    /// Largest group loss under standard PCA.
    pub max_loss_standard: f64,
    /// Largest group loss under fair PCA (rank d).
    pub max_loss_fair: f64,
    /// Largest group loss with one extra dimension (the top-(d+1) eigenspace at the optimal
    /// weights): at most the relaxation's optimum at rank d.
    pub max_loss_plus_one: f64,
    /// The dual bound: no rank-d projection has a largest loss below it.
    pub lower_bound: f64,
    /// The price: mean error over all rows under fair PCA minus under standard PCA.
    pub price: f64,
    /// The group weights that define the fair subspace (top-d eigenspace of `Σ wᵢ Cᵢ`).
    pub weights: Vec<f64>,
}

/// A fair PCA model: a [`Pca`] whose components span the fair subspace (rotated so their scores
/// are uncorrelated on the pooled rows), and the report.
#[derive(Debug, Clone)]
pub struct FairPca {
    pca: Pca,
    report: FairPcaReport,
}

impl FairPca {
    /// The model (usable wherever a PCA model is).
    pub fn pca(&self) -> &Pca {
        &self.pca
    }
    /// The model, by value.
    pub fn into_pca(self) -> Pca {
        self.pca
    }
    /// Group losses before and after, and the price.
    pub fn report(&self) -> &FairPcaReport {
        &self.report
    }
}

impl FairPcaParams {
    /// Rank `d`, standardised (pooled scaler), 400 ascent steps for more than two groups.
    pub fn new(d: usize) -> Self {
        FairPcaParams { d, scale: true, iterations: 400 }
    }
    recon_core::setters! {
        /// Standardise with the pooled scaler (default) or keep units (centred only).
        scale: bool;
        /// Ascent steps of the dual for more than two groups.
        iterations: usize;
    }
}

/// `Σ wᵢ Cᵢ`.
fn weighted(c: &[Mat<f64>], w: &[f64]) -> Mat<f64> {
    let p = c[0].nrows();
    Mat::from_fn(p, p, |a, b| c.iter().zip(w).map(|(ci, wi)| wi * ci[(a, b)]).sum())
}

/// Eigenvalues (descending) and eigenvectors (columns, same order) of a symmetric matrix.
fn eig_desc(m: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>)> {
    let p = m.nrows();
    let evd = m.self_adjoint_eigen(Side::Lower).map_err(|_| Error::NoConvergence { what: "eigendecomposition" })?;
    let (u, s) = (evd.U(), evd.S());
    let vals = (0..p).map(|r| s[p - 1 - r]).collect();
    Ok((vals, Mat::from_fn(p, p, |i, r| u[(i, p - 1 - r)])))
}

/// `tr(V Cᵢ Vᵀ)` for the projection onto the rows of `v` (k × p, orthonormal rows).
fn captured(v: MatRef<'_, f64>, c: &Mat<f64>) -> f64 {
    let cv = c * v.transpose();
    (0..v.nrows()).map(|r| (0..v.ncols()).map(|j| v[(r, j)] * cv[(j, r)]).sum::<f64>()).sum()
}

impl Fit for FairPcaParams {
    type Object = FairPca;
    type Error = Error;

    fn fit(&self, data: &Dataset) -> Result<FairPca> {
        let x = data.x.as_ref();
        let (n, p) = (x.nrows(), x.ncols());
        let groups = data.groups.as_ref().ok_or_else(|| invalid("groups", "fair PCA needs a group column"))?;
        if self.d == 0 || self.d >= p {
            return Err(invalid("rank", format!("{} is not in 1..{p} (one below the {p} features)", self.d)));
        }
        let GroupIndex { names, rows: idx, .. } = GroupIndex::new(groups);
        if names.len() < 2 {
            return Err(invalid("groups", format!("fair PCA needs two or more groups; the data has {}", names.len())));
        }
        if let Some((g, _)) = names.iter().zip(&idx).find(|(_, r)| r.len() < 2) {
            return Err(invalid("groups", format!("group '{g}' has fewer than two rows")));
        }
        let scaler = match self.scale {
            true => Scaler::standardise(x),
            false => Scaler { scale: vec![1.0; p], ..Scaler::standardise(x) },
        };
        let z = Mat::from_fn(n, p, |i, j| (x[(i, j)] - scaler.mean[j]) / scaler.scale[j]);
        let c: Vec<Mat<f64>> = idx
            .iter()
            .map(|rows| {
                let a = Mat::from_fn(rows.len(), p, |r, j| z[(rows[r], j)]);
                let mut g = a.transpose() * &a;
                g *= faer::Scale(1.0 / rows.len() as f64);
                g
            })
            .collect();
        let d = self.d;
        let trace = |m: &Mat<f64>| (0..p).map(|j| m[(j, j)]).sum::<f64>();
        let mut best = Vec::with_capacity(c.len());
        for ci in &c {
            let (vals, _) = eig_desc(ci.as_ref())?;
            best.push(vals[d..].iter().map(|v| v.max(0.0)).sum::<f64>());
        }
        let tr: Vec<f64> = c.iter().map(trace).collect();
        // The losses of the top-k eigenspace of Σ wᵢCᵢ, that eigenspace, and the dual value.
        let top = |w: &[f64], k: usize| -> Result<(Vec<f64>, Mat<f64>, f64)> {
            let (vals, vecs) = eig_desc(weighted(&c, w).as_ref())?;
            let v = Mat::from_fn(k, p, |r, j| vecs[(j, r)]);
            let losses: Vec<f64> = (0..c.len()).map(|i| tr[i] - captured(v.as_ref(), &c[i]) - best[i]).collect();
            let dual = (0..c.len()).map(|i| w[i] * (tr[i] - best[i])).sum::<f64>() - vals[..k].iter().sum::<f64>();
            Ok((losses, v, dual))
        };
        let max = |l: &[f64]| l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sizes: Vec<f64> = idx.iter().map(|r| r.len() as f64 / n as f64).collect();
        let (standard_losses, _, _) = top(&sizes, d)?;
        let mut candidate = (max(&standard_losses), sizes.clone());
        let mut lower_bound = f64::NEG_INFINITY;
        let mut consider = |w: Vec<f64>, losses: &[f64], dual: f64, candidate: &mut (f64, Vec<f64>)| {
            lower_bound = lower_bound.max(dual);
            if max(losses) < candidate.0 {
                *candidate = (max(losses), w);
            }
        };
        let method = if c.len() == 2 {
            // The dual's derivative in λ (weight of group 0) is L₀ − L₁ at the top-d eigenspace:
            // bisect on its sign, keeping the best rank-d eigenspace on either side.
            let (mut lo, mut hi) = (0.0f64, 1.0f64);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                let w = vec![mid, 1.0 - mid];
                let (l, _, dual) = top(&w, d)?;
                consider(w, &l, dual, &mut candidate);
                if l[0] > l[1] {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            "two groups: bisection on the weight of one group"
        } else {
            // Exponentiated-gradient ascent of the dual (the losses are its gradient), with a
            // step shrinking as 1/√t, from the group shares.
            let mut w = sizes.clone();
            let scale = max(&tr).max(1e-12);
            for t in 0..self.iterations {
                let (l, _, dual) = top(&w, d)?;
                consider(w.clone(), &l, dual, &mut candidate);
                let eta = 2.0 / (scale * ((t + 1) as f64).sqrt());
                let mut next: Vec<f64> = w.iter().zip(&l).map(|(wi, li)| wi * (eta * li).exp()).collect();
                let s: f64 = next.iter().sum();
                next.iter_mut().for_each(|v| *v /= s);
                w = next;
            }
            "multiplicative weights (exponentiated-gradient ascent of the dual)"
        };
        let weights = candidate.1.clone();
        let (fair_losses, v, _) = top(&weights, d)?;
        let (plus_losses, _, _) = top(&weights, d + 1)?;
        // The pooled model: rotate the fair subspace so its scores are uncorrelated on all rows.
        let scatter = z.transpose() * &z;
        let s = &v * &scatter * v.transpose();
        let (svals, svecs) = eig_desc(s.as_ref())?;
        let mut comps = svecs.transpose() * &v;
        flip_signs(&mut comps, None);
        let proj = comps.transpose() * &comps;
        let resid = Mat::from_fn(p, p, |a, b| f64::from(u8::from(a == b)) - proj[(a, b)]);
        let (rvals, _) = eig_desc((&resid * &scatter * &resid).as_ref())?;
        let kept: Vec<f64> = svals.iter().map(|v| v.max(0.0).sqrt()).collect();
        let mut spectrum = kept.clone();
        spectrum.extend(rvals[..(p - d).min(n.saturating_sub(d))].iter().map(|v| v.max(0.0).sqrt()));
        let pca = Pca {
            mean: scaler.mean.clone(),
            scale: scaler.scale.clone(),
            components: comps,
            singular_values: kept,
            spectrum,
            total_energy: trace(&scatter),
            n_samples: n,
            centered: true,
            method: Method::Fair,
        };
        let error = |losses: &[f64], i: usize| losses[i] + best[i];
        let groups: Vec<GroupLoss> = names
            .iter()
            .enumerate()
            .map(|(i, g)| GroupLoss {
                group: g.clone(),
                n: idx[i].len(),
                own_best_error: best[i],
                error_standard: error(&standard_losses, i),
                error_fair: error(&fair_losses, i),
                loss_standard: standard_losses[i],
                loss_fair: fair_losses[i],
            })
            .collect();
        let mean_error = |losses: &[f64]| (0..c.len()).map(|i| sizes[i] * error(losses, i)).sum::<f64>();
        let report = FairPcaReport {
            d,
            method,
            max_loss_standard: max(&standard_losses),
            max_loss_fair: max(&fair_losses),
            max_loss_plus_one: max(&plus_losses),
            lower_bound,
            price: mean_error(&fair_losses) - mean_error(&standard_losses),
            weights,
            groups,
        };
        Ok(FairPca { pca, report })
    }
}
