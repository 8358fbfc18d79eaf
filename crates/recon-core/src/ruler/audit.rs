//! Auditing a reconstructor group by group: does a low average error hide a group the model
//! serves badly?
//!
//! [`audit`] reads one error per row (whatever the model measures: squared error in its own
//! units, or a VAE's negative log-likelihood) and one group name per row, and reports for every
//! group its size, mean, median and 90th-percentile error, the gap to the best-served group (the
//! lowest mean among groups that can be tested), a confidence interval of the mean and a p-value.
//!
//! - **Interval**: the percentile bootstrap of the group's mean (resampling the group's own rows
//!   with replacement, `bootstrap` times), at `confidence` (default 95%).
//! - **Test**: "this group's mean error is higher than the rest's", one-sided, by permutation:
//!   the group's rows are drawn at random from all rows `permutations` times and
//!   `p = (1 + #{drawn mean ≥ observed mean}) / (1 + permutations)` (Phipson & Smyth 2010: never
//!   0, exact under exchangeability, so in a null where every group has the same error
//!   distribution the p-values are uniform).
//! - **Flag**: a group is flagged when its Holm-adjusted p-value (Holm 1979, across the tested
//!   groups) is below `alpha` (default 0.01), which keeps the chance of flagging any group in
//!   such a null at most `alpha`.
//! - Groups with a single row are reported (their error is known) but are neither tested, given
//!   an interval, nor eligible as the best-served group; [`Audit::untested`] names them.
//!
//! The median is numpy's `median`; the 90th percentile and the bootstrap interval interpolate
//! linearly between order statistics, as numpy's `quantile` does ([`super::order`]).
//!
//! # Example
//!
//! ```
//! use recon_core::ruler::{audit, AuditParams};
//! // Group "b" is rebuilt worse than group "a".
//! let errors: Vec<f64> = (0..200).map(|i| if i % 4 == 0 { 3.0 + (i % 7) as f64 } else { 1.0 + (i % 5) as f64 * 0.1 }).collect();
//! let groups: Vec<String> = (0..200).map(|i| if i % 4 == 0 { "b".to_string() } else { "a".to_string() }).collect();
//! let a = audit(&errors, &groups, &AuditParams::new().permutations(999).bootstrap(200)).unwrap();
//! let b = a.groups.iter().find(|g| g.group == "b").unwrap();
//! assert!(b.flagged && b.ratio_to_best > 2.0);
//! ```

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Serialize;

use super::order::{median_sorted, quantile_sorted};
use crate::{Error, GroupIndex, Result};

/// How the audit tests and bounds each group.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditParams {
    /// Bootstrap resamples of each group's mean (0: no interval).
    pub bootstrap: usize,
    /// Random relabellings in each group's permutation test (0: no test).
    pub permutations: usize,
    /// Familywise level of the Holm-corrected flags.
    pub alpha: f64,
    /// Coverage of the bootstrap interval.
    pub confidence: f64,
    /// Seed of the resampling and the relabelling.
    pub seed: u64,
}

impl Default for AuditParams {
    fn default() -> Self {
        AuditParams { bootstrap: 1000, permutations: 10_000, alpha: 0.01, confidence: 0.95, seed: 0 }
    }
}

impl AuditParams {
    /// 1,000 bootstrap resamples, 10,000 permutations, α = 0.01, 95% intervals, seed 0.
    pub fn new() -> Self {
        Self::default()
    }
    crate::setters! {
        /// Bootstrap resamples of each group's mean.
        bootstrap: usize;
        /// Permutations of each group's test.
        permutations: usize;
        /// Familywise level of the flags, in (0, 1).
        alpha: f64;
        /// Coverage of the bootstrap interval, in (0, 1).
        confidence: f64;
        /// Seed.
        seed: u64;
    }
}

/// One group's line of the audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupAudit {
    /// The group's name (with several group columns, their values joined by " & ").
    pub group: String,
    /// Rows in the group.
    pub n: usize,
    /// Mean error.
    pub mean_error: f64,
    /// Median error.
    pub median_error: f64,
    /// 90th-percentile error.
    pub p90_error: f64,
    /// Lower end of the bootstrap interval of the mean (absent for one row or no resamples).
    pub ci_low: Option<f64>,
    /// Upper end of the bootstrap interval of the mean.
    pub ci_high: Option<f64>,
    /// Mean error over the best-served group's mean error.
    pub ratio_to_best: f64,
    /// Mean error minus the best-served group's mean error.
    pub difference_to_best: f64,
    /// One-sided permutation p-value of "higher mean error than the rest" (absent when untested).
    pub p_value: Option<f64>,
    /// The p-value after Holm's correction across the tested groups.
    pub p_holm: Option<f64>,
    /// Holm-adjusted p-value below alpha.
    pub flagged: bool,
}

/// The audit of one set of per-row errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    /// Mean error over every row.
    pub overall_mean_error: f64,
    /// The group with the lowest mean error among the tested groups.
    pub best_group: String,
    /// Every group, by name.
    pub groups: Vec<GroupAudit>,
    /// Groups with one row: reported, not tested.
    pub untested: Vec<String>,
    /// The flagging rule, in words.
    pub rule: String,
    /// The parameters used.
    pub bootstrap: usize,
    /// Permutations per group.
    pub permutations: usize,
    /// Familywise level.
    pub alpha: f64,
    /// Bootstrap interval coverage.
    pub confidence: f64,
    /// Seed.
    pub seed: u64,
}

/// Holm's step-down adjustment of `p` (same order out as in).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// Audits `errors` (one per row) by `groups` (one name per row).
pub fn audit(errors: &[f64], groups: &[String], params: &AuditParams) -> Result<Audit> {
    if errors.len() != groups.len() {
        return Err(Error::invalid("groups", format!("{} errors for {} group names", errors.len(), groups.len())));
    }
    if errors.is_empty() {
        return Err(Error::invalid("errors", "no rows to audit"));
    }
    if let Some(i) = errors.iter().position(|e| !e.is_finite()) {
        return Err(Error::invalid("errors", format!("row {i} has a non-finite error ({})", errors[i])));
    }
    if let Some(i) = groups.iter().position(|g| g.trim().is_empty()) {
        return Err(Error::invalid("groups", format!("row {i} has an empty group value")));
    }
    if !(params.alpha > 0.0 && params.alpha < 1.0) {
        return Err(Error::invalid("alpha", format!("{} is not in (0, 1)", params.alpha)));
    }
    if !(params.confidence > 0.0 && params.confidence < 1.0) {
        return Err(Error::invalid("confidence", format!("{} is not in (0, 1)", params.confidence)));
    }
    let index = GroupIndex::new(groups);
    let means = index.means(errors);
    let tested = |g: usize| index.rows[g].len() >= 2;
    let Some(best) = (0..index.len()).filter(|&g| tested(g)).min_by(|&a, &b| means[a].total_cmp(&means[b])) else {
        return Err(Error::invalid("groups", "no group has two or more rows, so none can be compared"));
    };
    let (n, best_mean) = (errors.len(), means[best]);
    let total: f64 = errors.iter().sum();

    let mut out = Vec::with_capacity(index.len());
    let mut raw_p = Vec::new();
    for (gi, (name, rows)) in index.names.iter().zip(&index.rows).enumerate() {
        let (m, g_mean) = (rows.len(), means[gi]);
        let mut e: Vec<f64> = rows.iter().map(|&i| errors[i]).collect();
        e.sort_by(f64::total_cmp);
        let (median, p90) = (median_sorted(&e), quantile_sorted(&e, 0.9));
        let mut rng = StdRng::seed_from_u64(params.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(gi as u64 + 1)));
        let (ci_low, ci_high) = if m >= 2 && params.bootstrap > 0 {
            let mut boot: Vec<f64> = (0..params.bootstrap)
                .map(|_| (0..m).map(|_| e[rng.random_range(0..m)]).sum::<f64>() / m as f64)
                .collect();
            boot.sort_by(f64::total_cmp);
            let tail = (1.0 - params.confidence) / 2.0;
            (Some(quantile_sorted(&boot, tail)), Some(quantile_sorted(&boot, 1.0 - tail)))
        } else {
            (None, None)
        };
        let p_value = (m >= 2 && m < n && params.permutations > 0)
            .then(|| permutation_p(errors, total, g_mean * m as f64, m, params.permutations, &mut rng));
        if let Some(p) = p_value {
            raw_p.push((out.len(), p));
        }
        out.push(GroupAudit {
            group: name.clone(),
            n: m,
            mean_error: g_mean,
            median_error: median,
            p90_error: p90,
            ci_low,
            ci_high,
            ratio_to_best: if best_mean > 0.0 { g_mean / best_mean } else { f64::NAN },
            difference_to_best: g_mean - best_mean,
            p_value,
            p_holm: None,
            flagged: false,
        });
    }
    let adjusted = holm(&raw_p.iter().map(|(_, p)| *p).collect::<Vec<_>>());
    for ((k, _), a) in raw_p.iter().zip(adjusted) {
        out[*k].p_holm = Some(a);
        out[*k].flagged = a < params.alpha;
    }
    Ok(Audit {
        overall_mean_error: total / n as f64,
        best_group: index.names[best].clone(),
        untested: (0..index.len()).filter(|&g| !tested(g)).map(|g| index.names[g].clone()).collect(),
        groups: out,
        rule: format!(
            "flagged: one-sided permutation test of a higher mean error than the other rows ({} relabellings), \
             Holm-adjusted across the {} tested groups, below alpha = {}; groups with one row are not tested",
            params.permutations,
            raw_p.len(),
            params.alpha
        ),
        bootstrap: params.bootstrap,
        permutations: params.permutations,
        alpha: params.alpha,
        confidence: params.confidence,
        seed: params.seed,
    })
}

/// One-sided permutation p-value of a group of `m` rows whose errors sum to `observed`: how
/// often `m` rows drawn at random from all of them sum to at least as much (the rest's mean is
/// `(total − sum)/(n − m)`, so the difference of means is monotone in the sum). Draws the
/// smaller of the group and its complement by a partial Fisher–Yates shuffle.
fn permutation_p(errors: &[f64], total: f64, observed: f64, m: usize, permutations: usize, rng: &mut StdRng) -> f64 {
    let n = errors.len();
    let (k, complement) = if m <= n - m { (m, false) } else { (n - m, true) };
    let mut idx: Vec<usize> = (0..n).collect();
    // Ties in floating point: count draws within a relative hair of the observed sum as "as large".
    let eps = 1e-12 * total.abs().max(observed.abs()).max(1e-300);
    let mut hits = 0usize;
    for _ in 0..permutations {
        let mut s = 0.0;
        for j in 0..k {
            let r = rng.random_range(j..n);
            idx.swap(j, r);
            s += errors[idx[j]];
        }
        let group_sum = if complement { total - s } else { s };
        if group_sum >= observed - eps {
            hits += 1;
        }
    }
    (1 + hits) as f64 / (1 + permutations) as f64
}
