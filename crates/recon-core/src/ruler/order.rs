//! Order statistics shared by the rulers (and the count baselines): quantiles of sorted values
//! and the median.

/// The `q`-quantile of sorted values, interpolating linearly between order statistics (numpy's
/// default); NaN for no values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    if lo + 1 >= n {
        sorted[n - 1]
    } else {
        sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
    }
}

/// The median of sorted values: the middle one, or the mean of the two middle ones (numpy's
/// `median`); NaN for no values.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
    }
}

/// The median of `values` (sorted on a copy).
pub fn median(values: &[f64]) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    median_sorted(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_medians_of_small_samples() {
        let s = [1.0, 2.0, 4.0, 8.0];
        assert_eq!((median_sorted(&s), median(&[8.0, 1.0, 4.0])), (3.0, 4.0));
        // numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.9, 1]) = [1, 1.75, 6.8, 8]
        let q: Vec<f64> = [0.0, 0.25, 0.9, 1.0].iter().map(|&p| quantile_sorted(&s, p)).collect();
        assert!(q.iter().zip([1.0, 1.75, 6.8, 8.0]).all(|(a, b)| (a - b).abs() < 1e-12), "{q:?}");
        assert!(median(&[]).is_nan() && quantile_sorted(&[], 0.5).is_nan());
    }
}
