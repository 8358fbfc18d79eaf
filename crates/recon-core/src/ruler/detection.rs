//! Detection rulers over scores and ground truth: the precision–recall curve and its average
//! precision, and the rate of raised flags.
//!
//! Average precision is scikit-learn's `average_precision_score` (the step-wise area
//! `Σₙ (Rₙ − Rₙ₋₁) Pₙ` over the score-sorted list) for scores without ties.
//!
//! # Example
//!
//! ```
//! use recon_core::ruler::{alarm_rate, precision_recall};
//! // Positives at ranks 1 and 3 of 4: AP = (1/1 + 2/3) / 2.
//! let pr = precision_recall(&[0.9, 0.8, 0.7, 0.1], &[true, false, true, false]);
//! assert!((pr.average_precision - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-15);
//! assert_eq!(pr.recall, vec![0.5, 1.0]);
//! assert_eq!(alarm_rate([true, false, false, true].into_iter()), 0.5);
//! ```

/// Precision and recall at every positive of the score-sorted list, and the average precision.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PrCurve {
    /// Recall after each true positive, highest scores first.
    pub recall: Vec<f64>,
    /// Precision at the same cuts.
    pub precision: Vec<f64>,
    /// Area under the step-wise curve (0 when there is no positive).
    pub average_precision: f64,
}

/// The precision–recall curve of `scores` (higher = more anomalous) against `truth`.
#[track_caller]
pub fn precision_recall(scores: &[f64], truth: &[bool]) -> PrCurve {
    assert_eq!(scores.len(), truth.len(), "one truth flag per score");
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = truth.iter().filter(|&&t| t).count();
    let (mut hits, mut ap) = (0.0, 0.0);
    let (mut recall, mut precision) = (Vec::new(), Vec::new());
    for (rank, &i) in idx.iter().enumerate() {
        if truth[i] {
            hits += 1.0;
            ap += hits / (rank + 1) as f64;
            recall.push(hits / positives as f64);
            precision.push(hits / (rank + 1) as f64);
        }
    }
    PrCurve { recall, precision, average_precision: if positives == 0 { 0.0 } else { ap / positives as f64 } }
}

/// The share of raised flags (0 for none).
pub fn alarm_rate(flags: impl Iterator<Item = bool>) -> f64 {
    let (mut n, mut k) = (0usize, 0usize);
    for f in flags {
        n += 1;
        k += usize::from(f);
    }
    k as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-learn 1.9.1: `average_precision_score([1,0,1,1,0,0,1,0], [.95,.9,.85,.6,.55,.4,.3,.1])`
    /// = 0.7470238095238095 = (1/1 + 2/3 + 3/4 + 4/7) / 4 (the positives sit at ranks 1, 3, 4, 7).
    #[test]
    fn average_precision_is_the_mean_precision_at_the_positives() {
        let scores = [0.95, 0.9, 0.85, 0.6, 0.55, 0.4, 0.3, 0.1];
        let truth = [true, false, true, true, false, false, true, false];
        let pr = precision_recall(&scores, &truth);
        assert!((pr.average_precision - 0.7470238095238095).abs() < 1e-15);
        assert_eq!(pr.recall, vec![0.25, 0.5, 0.75, 1.0]);
        // A perfect ranking has AP 1; order of the input does not matter.
        let perfect = precision_recall(&[0.1, 0.9, 0.8], &[false, true, true]);
        assert_eq!(perfect.average_precision, 1.0);
        assert_eq!(precision_recall(&[1.0], &[false]).average_precision, 0.0);
    }
}
