//! Kneedle (Satopää, Albrecht, Irwin & Raghavan, 2011) for a decreasing convex curve such as
//! error vs rank.
//!
//! Both axes are scaled to [0, 1]; the difference curve `D = (1 − ŷ) − x̂` measures how far the
//! curve bends below the chord. Each local maximum of `D` is a candidate; it becomes a knee when
//! `D` later falls below `D_max − S · mean(Δx̂)` before the next local maximum. The sensitivity
//! `S` (default 1) trades detection speed for robustness: larger `S` asks for a clearer bend and
//! finds fewer knees. When several knees are found all are reported, and the one with the largest
//! `D` (the most pronounced bend) is chosen; when none qualifies, the arg-max of `D` is used.

use serde::Serialize;

/// One knee candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Knee {
    /// Index into the input (for an error curve, the rank).
    pub index: usize,
    /// Value of the normalised difference curve at the knee.
    pub difference: f64,
}

/// Every knee found and the chosen one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knees {
    /// Knees in order of x.
    pub all: Vec<Knee>,
    /// The chosen index (largest difference; arg-max of `D` if no knee passed the threshold).
    pub chosen: usize,
    /// The sensitivity used.
    pub sensitivity: f64,
}

/// Kneedle on a decreasing convex curve `y(x)` (x increasing). Needs at least 3 points;
/// with fewer the first point is returned.
#[track_caller]
pub fn kneedle(x: &[f64], y: &[f64], sensitivity: f64) -> Knees {
    assert_eq!(x.len(), y.len(), "x and y differ in length");
    let n = x.len();
    if n < 3 {
        return Knees { all: Vec::new(), chosen: 0, sensitivity };
    }
    let (x0, x1) = (x[0], x[n - 1]);
    let (ymin, ymax) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let yr = if ymax > ymin { ymax - ymin } else { 1.0 };
    let xr = if x1 > x0 { x1 - x0 } else { 1.0 };
    let xn: Vec<f64> = x.iter().map(|v| (v - x0) / xr).collect();
    let d: Vec<f64> = x.iter().zip(y).map(|(xv, yv)| (1.0 - (yv - ymin) / yr) - (xv - x0) / xr).collect();
    let mean_dx = (xn[n - 1] - xn[0]) / (n - 1) as f64;

    let is_max = |i: usize| d[i] > d[i - 1] && d[i] >= d[i + 1];
    let maxima: Vec<usize> = (1..n - 1).filter(|&i| is_max(i)).collect();
    let mut all = Vec::new();
    for (m, &i) in maxima.iter().enumerate() {
        let threshold = d[i] - sensitivity * mean_dx;
        let stop = maxima.get(m + 1).copied().unwrap_or(n);
        if (i + 1..stop).any(|j| d[j] < threshold) {
            all.push(Knee { index: i, difference: d[i] });
        }
    }
    let argmax = |items: &mut dyn Iterator<Item = (usize, f64)>| {
        items.fold((0, f64::NEG_INFINITY), |best, (i, v)| if v > best.1 { (i, v) } else { best }).0
    };
    let chosen = if all.is_empty() {
        argmax(&mut d.iter().copied().enumerate())
    } else {
        argmax(&mut all.iter().map(|k| (k.index, k.difference)))
    };
    Knees { all, chosen, sensitivity }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_bend_of_a_hockey_stick() {
        // Steep drop to x = 4, then nearly flat: the knee is at 4.
        let x: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|&v| if v <= 4.0 { 1.0 - 0.22 * v } else { 0.12 - 0.005 * (v - 4.0) }).collect();
        let k = kneedle(&x, &y, 1.0);
        assert_eq!(k.chosen, 4);
        assert!(k.all.iter().any(|kn| kn.index == 4));
    }

    #[test]
    fn reports_two_knees_and_picks_the_stronger() {
        // Two drops: a big one bending at 2 and a smaller one bending at 11.
        let y = [
            1.0, 0.6, 0.35, 0.3, 0.29, 0.28, 0.27, 0.26, 0.25, 0.24, 0.16, 0.08, 0.03, 0.025, 0.02, 0.015, 0.01, 0.005,
            0.0, 0.0,
        ];
        let x: Vec<f64> = (0..y.len()).map(|v| v as f64).collect();
        let k = kneedle(&x, &y, 1.0);
        let idx: Vec<usize> = k.all.iter().map(|kn| kn.index).collect();
        assert_eq!(idx, [2, 11]);
        assert_eq!(k.chosen, 2);
        // A much larger sensitivity needs D to fall further after a maximum: the first bend's
        // difference curve recovers (second drop) before falling 6/19 below its peak.
        let strict = kneedle(&x, &y, 6.0);
        assert_eq!(strict.all.iter().map(|kn| kn.index).collect::<Vec<_>>(), [11]);
    }

    #[test]
    fn matches_the_curvature_maximum_of_an_exponential_decay() {
        // y = exp(-x/τ) on [0, 10τ]: after normalisation the bend sits near x ≈ τ·ln(10τ/ … ); check
        // it against a brute-force maximum of the difference curve.
        let x: Vec<f64> = (0..=50).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| (-v / 5.0).exp()).collect();
        let k = kneedle(&x, &y, 1.0);
        let (ymin, ymax) = (y[50], y[0]);
        let brute = (0..=50)
            .max_by(|&a, &b| {
                let f = |i: usize| (1.0 - (y[i] - ymin) / (ymax - ymin)) - i as f64 / 50.0;
                f(a).partial_cmp(&f(b)).unwrap()
            })
            .unwrap();
        assert_eq!(k.chosen, brute);
    }
}
