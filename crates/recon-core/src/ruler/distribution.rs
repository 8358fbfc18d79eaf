//! How far apart two samples are as distributions — the perception side of the
//! perception–distortion trade-off: real images against reconstructed or generated ones, in a
//! feature space (rows are samples, columns features).
//!
//! - [`frechet_distance`]: the Fréchet (2-Wasserstein) distance between the Gaussians fitted to
//!   the two samples, `‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{½} Σ₂ Σ₁^{½})^{½}` — the formula of
//!   FID (Heusel et al. 2017); covariances with `n − 1` as numpy's `cov`. The trace of the matrix
//!   square root is computed from the symmetric product `Σ₁^{½} Σ₂ Σ₁^{½}` (same eigenvalues as
//!   `Σ₁Σ₂`, so the same value as scipy's `sqrtm(Σ₁Σ₂)`, without its complex round-off).
//! - [`sliced_wasserstein`]: the sliced 2-Wasserstein distance (Rabin et al. 2011): the root
//!   mean, over random unit directions, of the squared 1-D Wasserstein-2 distance between the
//!   projected samples (1-D optimal transport: match quantiles; samples of different sizes are
//!   compared at `max(n₁, n₂)` evenly spaced quantile levels).
//!
//! # Example
//!
//! ```
//! use recon_core::ruler::{frechet_distance, sliced_wasserstein};
//! let a = faer::Mat::from_fn(200, 3, |i, j| ((i * 7 + j * 3) % 11) as f64);
//! let b = faer::Mat::from_fn(200, 3, |i, j| ((i * 7 + j * 3) % 11) as f64 + 2.0);
//! // A shift by 2 in each of 3 coordinates: ‖Δμ‖² = 12, covariances equal.
//! assert!((frechet_distance(a.as_ref(), b.as_ref()).unwrap() - 12.0).abs() < 1e-9);
//! assert!(sliced_wasserstein(a.as_ref(), a.as_ref(), 50, 0).unwrap() < 1e-12);
//! ```

use faer::{Mat, MatRef, Side};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::{Error, Result};

fn check(a: MatRef<'_, f64>, b: MatRef<'_, f64>, min_rows: usize) -> Result<()> {
    if a.ncols() != b.ncols() || a.ncols() == 0 {
        return Err(Error::invalid(
            "samples",
            format!("{} and {} features: the two samples need the same, at least one", a.ncols(), b.ncols()),
        ));
    }
    if a.nrows() < min_rows || b.nrows() < min_rows {
        return Err(Error::invalid(
            "samples",
            format!("{} and {} rows: each sample needs at least {min_rows}", a.nrows(), b.nrows()),
        ));
    }
    let finite = |m: MatRef<'_, f64>| (0..m.ncols()).all(|j| (0..m.nrows()).all(|i| m[(i, j)].is_finite()));
    if !finite(a) || !finite(b) {
        return Err(Error::invalid("samples", "non-finite values"));
    }
    Ok(())
}

fn mean_cov(x: MatRef<'_, f64>) -> (Vec<f64>, Mat<f64>) {
    let (n, d) = (x.nrows(), x.ncols());
    let mu: Vec<f64> = (0..d).map(|j| (0..n).map(|i| x[(i, j)]).sum::<f64>() / n as f64).collect();
    let c = Mat::from_fn(n, d, |i, j| x[(i, j)] - mu[j]);
    let cov = (c.transpose() * &c) / (n as f64 - 1.0);
    (mu, cov)
}

fn eig_sym(m: &Mat<f64>) -> Result<(Vec<f64>, Mat<f64>)> {
    let sym = Mat::from_fn(m.nrows(), m.ncols(), |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let evd = sym.self_adjoint_eigen(Side::Lower).map_err(|_| Error::NoConvergence { what: "eigendecomposition" })?;
    let s = evd.S();
    Ok(((0..m.nrows()).map(|i| s[i]).collect(), evd.U().to_owned()))
}

/// The Fréchet distance between Gaussians fitted to the rows of `a` and of `b` (at least two
/// rows each, the same columns).
pub fn frechet_distance(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<f64> {
    check(a, b, 2)?;
    let (m1, s1) = mean_cov(a);
    let (m2, s2) = mean_cov(b);
    let d = m1.len();
    let (lam, u) = eig_sym(&s1)?;
    let root: Vec<f64> = lam.iter().map(|l| l.max(0.0).sqrt()).collect();
    let half = Mat::from_fn(d, d, |i, j| (0..d).map(|k| u[(i, k)] * root[k] * u[(j, k)]).sum::<f64>());
    let inner = &half * &s2 * &half;
    let (mu_eig, _) = eig_sym(&inner)?;
    let tr_sqrt: f64 = mu_eig.iter().map(|l| l.max(0.0).sqrt()).sum();
    let dm: f64 = m1.iter().zip(&m2).map(|(x, y)| (x - y).powi(2)).sum();
    let tr = |s: &Mat<f64>| (0..d).map(|i| s[(i, i)]).sum::<f64>();
    Ok((dm + tr(&s1) + tr(&s2) - 2.0 * tr_sqrt).max(0.0))
}

/// `projections` seeded random unit directions (Gaussian, normalised) in the samples' space.
pub fn random_directions(dim: usize, projections: usize, seed: u64) -> Mat<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut dirs =
        Mat::from_fn(dim, projections, |_, _| <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng));
    for k in 0..projections {
        let norm = (0..dim).map(|i| dirs[(i, k)].powi(2)).sum::<f64>().sqrt().max(1e-300);
        for i in 0..dim {
            dirs[(i, k)] /= norm;
        }
    }
    dirs
}

/// The quantile function of a sorted sample at level `q` in [0, 1] (linear interpolation
/// between order statistics at levels (i + ½)/n, clamped at the ends).
fn quantile_mid(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let pos = (q * n as f64 - 0.5).clamp(0.0, (n - 1) as f64);
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The sliced Wasserstein-2 distance along the given unit `directions` (one per column).
pub fn sliced_wasserstein_along(a: MatRef<'_, f64>, b: MatRef<'_, f64>, directions: MatRef<'_, f64>) -> Result<f64> {
    check(a, b, 1)?;
    if directions.nrows() != a.ncols() || directions.ncols() == 0 {
        return Err(Error::invalid("directions", "one column per direction, one row per feature"));
    }
    let (pa, pb) = (a * directions, b * directions);
    let m = a.nrows().max(b.nrows());
    let mut total = 0.0;
    for k in 0..directions.ncols() {
        let mut xa: Vec<f64> = (0..a.nrows()).map(|i| pa[(i, k)]).collect();
        let mut xb: Vec<f64> = (0..b.nrows()).map(|i| pb[(i, k)]).collect();
        xa.sort_by(f64::total_cmp);
        xb.sort_by(f64::total_cmp);
        let w2 = if xa.len() == xb.len() {
            xa.iter().zip(&xb).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / m as f64
        } else {
            (0..m)
                .map(|i| {
                    let q = (i as f64 + 0.5) / m as f64;
                    (quantile_mid(&xa, q) - quantile_mid(&xb, q)).powi(2)
                })
                .sum::<f64>()
                / m as f64
        };
        total += w2;
    }
    Ok((total / directions.ncols() as f64).sqrt())
}

/// The sliced Wasserstein-2 distance over `projections` seeded random directions.
pub fn sliced_wasserstein(a: MatRef<'_, f64>, b: MatRef<'_, f64>, projections: usize, seed: u64) -> Result<f64> {
    if projections == 0 {
        return Err(Error::invalid("projections", "at least one"));
    }
    sliced_wasserstein_along(a, b, random_directions(a.ncols().max(1), projections, seed).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussians_in_closed_form() {
        // Two samples with exactly known moments: FD = ‖Δμ‖² + Σ (σ₁ − σ₂)² for diagonal covariances.
        let n = 400;
        let s1 = |i: usize| if i.is_multiple_of(2) { 1.0 } else { -1.0 };
        let s2 = |i: usize| if (i / 2).is_multiple_of(2) { 1.0 } else { -1.0 };
        // a: (s1, 2 s2); b: (3 + 3 s2, −1 + 2 s1). Over every four rows s1 and s2 are uncorrelated,
        // so both covariances are diagonal: a (c, 4c), b (9c, 4c) with c = n/(n − 1).
        let a = Mat::from_fn(n, 2, |i, j| if j == 0 { s1(i) } else { 2.0 * s2(i) });
        let b = Mat::from_fn(n, 2, |i, j| if j == 0 { 3.0 + 3.0 * s2(i) } else { -1.0 + 2.0 * s1(i) });
        let c = n as f64 / (n as f64 - 1.0);
        let want = 9.0 + 1.0 + (c.sqrt() - (9.0 * c).sqrt()).powi(2);
        assert!((frechet_distance(a.as_ref(), b.as_ref()).unwrap() - want).abs() < 1e-9);
        // Sliced Wasserstein of a sample against itself shifted along a direction it measures.
        let dir = Mat::from_fn(2, 1, |i, _| if i == 0 { 1.0 } else { 0.0 });
        let shifted = Mat::from_fn(n, 2, |i, j| a[(i, j)] + if j == 0 { 0.5 } else { 0.0 });
        assert!((sliced_wasserstein_along(a.as_ref(), shifted.as_ref(), dir.as_ref()).unwrap() - 0.5).abs() < 1e-12);
        assert!(frechet_distance(a.as_ref(), Mat::<f64>::zeros(3, 3).as_ref()).is_err());
        assert!(sliced_wasserstein(a.as_ref(), b.as_ref(), 0, 0).is_err());
    }
}
