//! Turning scores into p-values and p-values into discoveries.
//!
//! - [`empirical_p_value`]: a score against a reference set of scores from healthy samples held
//!   out of training, `(1 + #{reference ≥ s}) / (n + 1)` — valid (never below its level) for an
//!   exchangeable reference, so "abnormal at 1%" means what it says.
//! - [`benjamini_hochberg`]: adjusted p-values controlling the false-discovery rate (step-up,
//!   monotone, capped at 1), as `scipy.stats.false_discovery_control(p, method="bh")`.

use crate::{Error, Result};

/// The empirical p-value of `score` against `reference` scores (larger = more abnormal).
pub fn empirical_p_value(sorted_reference: &[f64], score: f64) -> f64 {
    let n = sorted_reference.len();
    let below = sorted_reference.partition_point(|&r| r < score);
    (1 + n - below) as f64 / (n + 1) as f64
}

/// Sorts a reference set for [`empirical_p_value`]; refuses an empty or non-finite one.
pub fn reference_scores(scores: &[f64]) -> Result<Vec<f64>> {
    if scores.is_empty() {
        return Err(Error::Empty { what: "reference scores".into(), reason: "no held-out healthy samples".into() });
    }
    if let Some(i) = scores.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { row: i + 1, column: "score".into(), value: scores[i].to_string() });
    }
    let mut s = scores.to_vec();
    s.sort_by(f64::total_cmp);
    Ok(s)
}

/// Benjamini–Hochberg adjusted p-values, in the input order.
pub fn benjamini_hochberg(p: &[f64]) -> Result<Vec<f64>> {
    if let Some(i) = p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::invalid("p-values", format!("entry {} is {}, not in [0, 1]", i + 1, p[i])));
    }
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a])); // largest first
    let mut out = vec![0.0; m];
    let mut running = 1.0f64;
    for (r, &i) in order.iter().enumerate() {
        let rank = m - r; // rank of p[i] in ascending order, 1-based
        running = running.min(p[i] * m as f64 / rank as f64);
        out[i] = running;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_by_hand() {
        // p sorted: 0.01, 0.02, 0.03, 0.5 → 0.04, 0.04, 0.04, 0.5
        let adj = benjamini_hochberg(&[0.5, 0.01, 0.03, 0.02]).unwrap();
        let want = [0.5, 0.04, 0.04, 0.04];
        for (a, b) in adj.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{adj:?}");
        }
        assert!(benjamini_hochberg(&[0.2, 1.5]).is_err());
        assert!(benjamini_hochberg(&[]).unwrap().is_empty());
    }

    #[test]
    fn empirical_p_values_count_the_reference_at_or_above() {
        let r = reference_scores(&[3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(empirical_p_value(&r, 10.0), 1.0 / 5.0);
        assert_eq!(empirical_p_value(&r, 4.0), 2.0 / 5.0);
        assert_eq!(empirical_p_value(&r, 0.0), 1.0);
        assert!(reference_scores(&[]).is_err());
        assert!(reference_scores(&[1.0, f64::NAN]).is_err());
    }
}
