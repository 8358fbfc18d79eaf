//! Limits from rows a model did not fit: contiguous k-fold out-of-fold scores.
//!
//! Scores of the rows a model was fitted on are optimistic (the model has seen them), and a
//! random hold-out of time-ordered rows leaks autocorrelation. A monitor's limits are therefore
//! set from *out-of-fold* scores: the rows are cut into `k` contiguous blocks, each block is
//! scored by a model fitted on the other blocks, and the limit is the conformal quantile of all
//! out-of-fold scores. [`out_of_fold_far`] estimates the false-alarm rate that procedure gives
//! by setting each block's limit from the other blocks' scores only, with a 95% Clopper–Pearson
//! interval. The model family does the fitting; this module only cuts folds and counts.
//!
//! # Example
//!
//! ```
//! use recon_core::ruler::{contiguous_folds, out_of_fold_far};
//! let folds = contiguous_folds(10, 3).unwrap();
//! assert_eq!(folds, [0..3, 3..6, 6..10]);
//! assert_eq!(recon_core::ruler::cv::cv_rows_needed(5, 0.01), 124); // 99 rows for each fold's limit
//! let scores: Vec<f64> = (0..200).map(|i| ((i * 37) % 200) as f64).collect();
//! let est = out_of_fold_far(&[&scores], &contiguous_folds(200, 5).unwrap(), 0.05).unwrap();
//! assert!(est.interval[0] <= est.false_alarm_rate && est.false_alarm_rate <= est.interval[1]);
//! ```

use std::ops::Range;

use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF};

use super::quantile_threshold;
use crate::{Error, Result};

/// The default number of folds.
pub const DEFAULT_FOLDS: usize = 5;

/// Below this many training rows a monitor left to choose (`recon fit` without `--limits`)
/// sets its limits from out-of-fold scores: with fewer rows, limits from the rows a model was
/// fitted or stopped on are optimistic (on the Tennessee Eastman benchmark's 500 training rows,
/// 17.7% false alarms for a 1% target with a PCA monitor's analytical limits against 6.4% with
/// out-of-fold ones; BENCHMARKS.md). Above it the optimism is small and the extra fits cost.
pub const CV_BELOW_ROWS: usize = 10_000;

/// What out-of-fold limits estimated (stored with the limits in `model.json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CvEstimate {
    /// Number of contiguous folds.
    pub folds: usize,
    /// Out-of-fold false-alarm rate of the procedure: each fold's rows against limits set from
    /// the other folds' out-of-fold scores.
    pub false_alarm_rate: f64,
    /// 95% Clopper–Pearson interval of that rate.
    pub interval: [f64; 2],
}

/// `folds` contiguous blocks covering `0..n` (sizes differ by at most one).
pub fn contiguous_folds(n: usize, folds: usize) -> Result<Vec<Range<usize>>> {
    if folds < 2 || n < 2 * folds {
        return Err(Error::invalid(
            "folds",
            format!("{folds} folds of {n} rows: need at least 2 folds and 2 rows per fold"),
        ));
    }
    Ok((0..folds).map(|f| f * n / folds..(f + 1) * n / folds).collect())
}

/// The fewest rows with which `folds` folds can estimate the false-alarm rate `alpha`: each
/// fold's limit is the conformal quantile of the other folds' scores, which needs at least
/// `1/alpha − 1` of them.
pub fn cv_rows_needed(folds: usize, alpha: f64) -> usize {
    let per_limit = ((1.0 / alpha).ceil() as usize).saturating_sub(1).max(2);
    // m rows leave at least m − ⌈m/folds⌉ for every fold's limit.
    (per_limit..).find(|&m| m - m.div_ceil(folds) >= per_limit).unwrap_or(usize::MAX).max(2 * folds)
}

/// Whether `folds` contiguous folds of `n` rows can set out-of-fold limits at `alpha` with at
/// least `min_rows_per_fold` rows in every fold.
pub fn cv_feasible(n: usize, folds: usize, alpha: f64, min_rows_per_fold: usize) -> bool {
    folds >= 2 && n >= folds * min_rows_per_fold && n >= cv_rows_needed(folds, alpha)
}

/// What a monitor left to choose its own limits uses: `Some(folds)` (out-of-fold limits) below
/// [`CV_BELOW_ROWS`] rows when [`cv_feasible`], `None` (its one-fit limits) otherwise.
pub fn auto_folds(n: usize, folds: usize, alpha: f64, min_rows_per_fold: usize) -> Option<usize> {
    (n < CV_BELOW_ROWS && cv_feasible(n, folds, alpha, min_rows_per_fold)).then_some(folds)
}

/// The estimated false-alarm rate of limits set at the conformal `(1 − alpha)` quantile of
/// out-of-fold scores: each statistic in `stats` (one score per row each; a row alarms when any
/// statistic is above its limit) is limited, for the rows of each fold, by the quantile of the
/// other folds' scores.
pub fn out_of_fold_far(stats: &[&[f64]], folds: &[Range<usize>], alpha: f64) -> Result<CvEstimate> {
    let n = folds.last().map_or(0, |f| f.end);
    let need = cv_rows_needed(folds.len(), alpha);
    if n < need {
        return Err(Error::invalid(
            "folds",
            format!(
                "{n} rows in {} folds cannot set out-of-fold limits for a false-alarm rate of {alpha}: need at least {need} rows (or fewer folds, or a larger --target-far)",
                folds.len()
            ),
        ));
    }
    let mut alarms = 0usize;
    for fold in folds {
        let mut limits = Vec::with_capacity(stats.len());
        for s in stats {
            let other: Vec<f64> = s[..fold.start].iter().chain(&s[fold.end..]).copied().collect();
            limits.push(quantile_threshold(&other, alpha)?.value);
        }
        alarms += fold.clone().filter(|&i| stats.iter().zip(&limits).any(|(s, l)| s[i] > *l)).count();
    }
    Ok(CvEstimate {
        folds: folds.len(),
        false_alarm_rate: alarms as f64 / n as f64,
        interval: clopper_pearson(alarms, n, 0.05),
    })
}

/// The `1 − level` Clopper–Pearson interval of a binomial proportion `x / n`.
pub fn clopper_pearson(x: usize, n: usize, level: f64) -> [f64; 2] {
    let (xf, nf) = (x as f64, n as f64);
    let lo = if x == 0 { 0.0 } else { Beta::new(xf, nf - xf + 1.0).map_or(0.0, |b| b.inverse_cdf(level / 2.0)) };
    let hi = if x == n { 1.0 } else { Beta::new(xf + 1.0, nf - xf).map_or(1.0, |b| b.inverse_cdf(1.0 - level / 2.0)) };
    [lo, hi]
}
