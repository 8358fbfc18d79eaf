//! Count tables: the baselines a count model is measured against.
//!
//! A computational biologist looking for aberrant genes without a count model first tries a
//! linear model on log-normalised counts: scale every sample to a common library size (the
//! median total, as scanpy's `normalize_total`), take `log1p`, fit a k-component PCA and rank
//! entries by their squared residual. [`log_normalise`] and [`pca_entry_scores`] are that
//! baseline; [`raw_entry_scores`] is the same PCA on the unnormalised counts (what squared error
//! does with counts when nobody thinks about them).
//!
//! # Example
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0, 3.0], [2.0, 6.0], [10.0, 30.0]];
//! let l = recon::counts::log_normalise(x.as_ref()).unwrap();
//! // Every row has the same composition, so after normalising to the median total (8) they agree.
//! assert!((l[(0, 0)] - l[(2, 0)]).abs() < 1e-12 && (l[(0, 0)] - 3f64.ln()).abs() < 1e-12);
//! ```

use faer::{Mat, MatRef};
use recon_core::{Dataset, Error, Fit, Result};
use recon_linear::PcaParams;

/// `log1p` of the counts scaled so every sample's total is the median total.
pub fn log_normalise(x: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let n = x.nrows();
    let totals: Vec<f64> = (0..n).map(|i| x.row(i).iter().sum()).collect();
    if let Some(i) = totals.iter().position(|&t| !(t > 0.0)) {
        return Err(Error::invalid_data("counts", format!("sample {} has no counts", i + 1)));
    }
    let median = recon_core::ruler::median(&totals);
    Ok(Mat::from_fn(n, x.ncols(), |i, j| (x[(i, j)] * median / totals[i]).ln_1p()))
}

/// Squared residual of every entry after a centred `k`-component PCA of `y` (optionally with
/// every column standardised first, so each gene's residual is in its own standard deviations).
pub fn pca_entry_scores(y: MatRef<'_, f64>, k: usize, standardise: bool) -> Result<Mat<f64>> {
    let pca = PcaParams::new().n_components(k).scale(standardise).fit(&Dataset::from_mat(y.to_owned()))?;
    let r = pca.scaled_row_errors(y, true)?.1.expect("residuals were asked for");
    Ok(Mat::from_fn(r.nrows(), r.ncols(), |i, j| r[(i, j)] * r[(i, j)]))
}

/// The baseline on log-normalised counts: [`pca_entry_scores`] of [`log_normalise`]`(x)`.
pub fn log_normalised_pca_scores(x: MatRef<'_, f64>, k: usize, standardise: bool) -> Result<Mat<f64>> {
    pca_entry_scores(log_normalise(x)?.as_ref(), k, standardise)
}

/// Squared error on raw counts: [`pca_entry_scores`] of `x` itself.
pub fn raw_entry_scores(x: MatRef<'_, f64>, k: usize, standardise: bool) -> Result<Mat<f64>> {
    pca_entry_scores(x, k, standardise)
}

/// The entries of `m` row by row (the order [`recon_core::ruler::precision_recall`] is given
/// scores and planted truth in).
pub fn entries(m: MatRef<'_, f64>) -> Vec<f64> {
    (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)])).collect()
}
