//! Fitting on contaminated rows: iteratively trimmed refits.
//!
//! A model fitted on every row lets the outliers among them shape it (a principal axis pulled
//! towards a cluster of anomalies, an autoencoder that learns to rebuild them), and then they
//! score as normal. [`trimmed_rows`] refits on the rows that look normal: fit on all rows, refit
//! on the half that scores lowest (a robust start, as the minimum covariance determinant's
//! h-subset: a cluster of outliers large enough to pull the first fit cannot hide from a model
//! that never saw it), then drop the highest-scoring fraction, refit on the rest, and repeat until
//! the kept rows stop changing (or the rounds run out). The fraction is given, or — [`Contamination::Auto`]
//! — estimated each round from the scores themselves: the share of rows whose cube-root score
//! lies more than 3 robust standard deviations (1.4826 × the median absolute deviation) above
//! the median. Reconstruction scores are sums of squares, and the cube root of a χ²-like
//! variable is close to normal (Wilson–Hilferty), so a normal row passes 3 robust deviations
//! about once in 700; the median and MAD stay put with up to half the rows being outliers. The family does the
//! fitting and scoring through a closure; this module only chooses rows.
//!
//! # Example
//!
//! ```
//! use recon_core::ruler::{trimmed_rows, Contamination};
//! // Scores of a "model" fitted on the kept rows: the distance from their mean.
//! let x: Vec<f64> = (0..100).map(|i| if i % 10 == 0 { 50.0 } else { (i % 7) as f64 }).collect();
//! let fit = |kept: &[usize]| {
//!     let m = kept.iter().map(|&i| x[i]).sum::<f64>() / kept.len() as f64;
//!     Ok(x.iter().map(|v| (v - m).abs() + 1e-3).collect::<Vec<f64>>())
//! };
//! let t = trimmed_rows(x.len(), Contamination::Auto, 5, fit).unwrap();
//! assert_eq!(t.dropped, (0..100).step_by(10).collect::<Vec<_>>());
//! assert!("auto".parse::<Contamination>().is_ok() && "0.7".parse::<Contamination>().is_err());
//! ```

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::cv::CvEstimate;
use super::order::median;
use crate::{Error, Result};

/// The fewest rows from which [`Contamination::Auto`] estimates the outlier share (a median and
/// a median absolute deviation of fewer rows say little).
pub const MIN_AUTO_ROWS: usize = 20;

/// How much of the training data may be outliers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contamination {
    /// Estimated from the scores each round.
    Auto,
    /// This fraction, in [0, 0.5).
    Fraction(f64),
}

impl Contamination {
    /// A fraction in [0, 0.5).
    pub fn fraction(f: f64) -> Result<Self> {
        if !(0.0..0.5).contains(&f) {
            return Err(Error::invalid("contamination", format!("{f} is not in [0, 0.5) (or 'auto')")));
        }
        Ok(Contamination::Fraction(f))
    }
}

impl FromStr for Contamination {
    type Err = Error;
    /// `auto` or a fraction in [0, 0.5).
    fn from_str(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Contamination::Auto);
        }
        let f: f64 = s
            .trim()
            .parse()
            .map_err(|_| Error::invalid("contamination", format!("'{s}' is not a number in [0, 0.5) or 'auto'")))?;
        Contamination::fraction(f)
    }
}

/// The rows a trimmed fit kept, and what it dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trimmed {
    /// What was asked for.
    pub contamination: Contamination,
    /// The fraction of rows dropped in the last round.
    pub fraction: f64,
    /// Rounds of fitting (1: no refit).
    pub rounds: usize,
    /// The rows dropped (0-based, ascending).
    pub dropped: Vec<usize>,
}

/// What a trimmed fit did, without the row list (stored with a model's limits).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrimSummary {
    /// What was asked for.
    pub contamination: Contamination,
    /// The fraction of training rows left out of the final fit.
    pub fraction: f64,
    /// Rows left out.
    pub rows_dropped: usize,
    /// Rounds of fitting before the final one.
    pub rounds: usize,
    /// The share of the rows left out that alarm under the final model's limits (absent when
    /// no row was left out, and in model files written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out_alarming: Option<f64>,
}

impl TrimSummary {
    /// The summary with [`TrimSummary::left_out_alarming`] from the final model's scores of
    /// the rows left out and its alarm threshold (alarm: score above it).
    pub fn with_left_out_scores(mut self, scores: &[f64], threshold: f64) -> Self {
        if !scores.is_empty() {
            let alarms = scores.iter().filter(|&&v| v > threshold).count();
            self.left_out_alarming = Some(alarms as f64 / scores.len() as f64);
        }
        self
    }

    /// The false-alarm rate to expect on fresh rows if the rows left out were normal rows
    /// after all (a heavy tail read as contamination): `(1 − f)·k + f·a`, with `f` the share
    /// left out, `a` [`TrimSummary::left_out_alarming`] and `k` the rate the limits hold on rows
    /// like the kept ones: their out-of-fold estimate `cv` when there is one, else `target`.
    pub fn far_if_left_out_normal(&self, cv: Option<&CvEstimate>, target: f64) -> Option<f64> {
        let kept = cv.map_or(target, |cv| cv.false_alarm_rate);
        self.left_out_alarming.map(|a| (1.0 - self.fraction) * kept + self.fraction * a)
    }
}

impl Trimmed {
    /// The summary stored with the model.
    pub fn summary(&self) -> TrimSummary {
        TrimSummary {
            contamination: self.contamination,
            fraction: self.fraction,
            rows_dropped: self.dropped.len(),
            rounds: self.rounds,
            left_out_alarming: None,
        }
    }

    /// The rows kept, ascending, of `n`.
    pub fn kept(&self, n: usize) -> Vec<usize> {
        let mut drop = self.dropped.iter().peekable();
        (0..n)
            .filter(|i| {
                if drop.peek() == Some(&i) {
                    drop.next();
                    false
                } else {
                    true
                }
            })
            .collect()
    }
}

/// The share of `scores` whose cube root lies more than 3 robust standard deviations above the
/// median cube root (negative scores count as 0).
pub fn robust_outlier_fraction(scores: &[f64]) -> f64 {
    let roots: Vec<f64> = scores.iter().map(|&v| v.max(0.0).cbrt()).collect();
    let med = median(&roots);
    let mad = 1.4826 * median(&roots.iter().map(|v| (v - med).abs()).collect::<Vec<_>>());
    if !(mad > 0.0) {
        return 0.0;
    }
    roots.iter().filter(|&&v| (v - med) / mad > 3.0).count() as f64 / roots.len() as f64
}

/// Iteratively trimmed fitting over `n` rows: `fit_score(kept)` fits a model on the rows `kept`
/// and returns the score of every one of the `n` rows (larger = more abnormal). At most `rounds`
/// fits (at least 2: all rows, then the robust half); stops early when the dropped rows repeat.
/// Never drops half the rows or more. The caller fits its final model on [`Trimmed::kept`].
pub fn trimmed_rows<F>(n: usize, contamination: Contamination, rounds: usize, mut fit_score: F) -> Result<Trimmed>
where
    F: FnMut(&[usize]) -> Result<Vec<f64>>,
{
    if let Contamination::Fraction(f) = contamination {
        Contamination::fraction(f)?;
    }
    if n < 4 {
        return Err(Error::invalid("contamination", format!("{n} rows are too few to trim (need at least 4)")));
    }
    if contamination == Contamination::Auto && n < MIN_AUTO_ROWS {
        return Err(Error::invalid(
            "contamination",
            format!(
                "{n} rows are too few to estimate the outlier share (need at least {MIN_AUTO_ROWS}); give a fraction"
            ),
        ));
    }
    let rounds = rounds.max(2);
    let top = |scores: &[f64], k: usize| -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let mut out = order[..k].to_vec();
        out.sort_unstable();
        out
    };
    let check = |scores: Vec<f64>| -> Result<Vec<f64>> {
        if scores.len() != n {
            return Err(Error::invalid("scores", format!("{} scores for {n} rows", scores.len())));
        }
        if let Some(i) = scores.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite { row: i + 1, column: "score".into(), value: scores[i].to_string() });
        }
        Ok(scores)
    };
    let kept_of =
        |dropped: &[usize]| Trimmed { contamination, fraction: 0.0, rounds: 0, dropped: dropped.to_vec() }.kept(n);
    // Round 1 on every row, round 2 on the lower-scoring half.
    let all: Vec<usize> = (0..n).collect();
    let first = check(fit_score(&all)?)?;
    let mut dropped = top(&first, n - (n / 2 + 1));
    let mut scores = check(fit_score(&kept_of(&dropped))?)?;
    let mut round = 2;
    loop {
        let fraction = match contamination {
            Contamination::Fraction(f) => f,
            Contamination::Auto => robust_outlier_fraction(&scores),
        };
        let k = ((fraction * n as f64).round() as usize).min((n - 1) / 2);
        let next = top(&scores, k);
        if next == dropped || round >= rounds {
            return Ok(Trimmed { contamination, fraction: k as f64 / n as f64, rounds: round, dropped: next });
        }
        dropped = next;
        scores = check(fit_score(&kept_of(&dropped))?)?;
        round += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_out_alarms_count_scores_above_the_threshold() {
        let t = Trimmed { contamination: Contamination::Auto, fraction: 0.1, rounds: 3, dropped: vec![1, 4, 7, 9] };
        assert_eq!(t.summary().left_out_alarming, None);
        // A score equal to the threshold does not alarm.
        let s = t.summary().with_left_out_scores(&[0.5, 2.0, 3.0, 1.0], 1.0);
        assert_eq!(s.left_out_alarming, Some(0.5));
        // 90% of fresh rows like the kept ones at 2%, 10% like the left-out ones at 50%.
        assert!((s.far_if_left_out_normal(None, 0.02).unwrap() - (0.9 * 0.02 + 0.1 * 0.5)).abs() < 1e-15);
        // The out-of-fold estimate, when there is one, stands for the kept rows' rate.
        let cv = CvEstimate { folds: 5, false_alarm_rate: 0.03, interval: [0.02, 0.04] };
        assert!((s.far_if_left_out_normal(Some(&cv), 0.02).unwrap() - (0.9 * 0.03 + 0.1 * 0.5)).abs() < 1e-15);
        assert_eq!(t.summary().with_left_out_scores(&[], 1.0).left_out_alarming, None);
        // Model files written before the field existed still read.
        let old = r#"{"contamination":"auto","fraction":0.1,"rows_dropped":4,"rounds":3}"#;
        assert_eq!(serde_json::from_str::<TrimSummary>(old).unwrap(), t.summary());
    }
}
