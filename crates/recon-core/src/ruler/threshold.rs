//! Alarm thresholds from held-out normal scores, and an alarm rule that does not flap.
//!
//! - [`quantile_threshold`]: the ⌈(1 − q)(n + 1)⌉-th smallest of n held-out normal scores. For
//!   exchangeable scores a new normal score exceeds it with probability at most q (the
//!   conformal-prediction argument), so the false-alarm rate it promises is honest for the q
//!   that n can resolve (q ≥ 1/(n + 1)).
//! - [`pot_threshold`]: peaks over threshold for rates too small for the sample (Siffer et al.
//!   2017): the excesses over a high quantile u are fitted with a generalized Pareto distribution
//!   (probability-weighted moments, Hosking & Wallis 1987) and the threshold is
//!   `u + σ/ξ·((q·n/N_u)^(−ξ) − 1)` (`u − σ·ln(q·n/N_u)` when ξ = 0).
//! - [`persistent_alarms`]: raise an alarm at t when at least k of the last m raw alarms are set.

use serde::Serialize;

use crate::{Error, Result};

/// A threshold and what it promises.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// Scores above this value raise an alarm.
    pub value: f64,
    /// The false-alarm rate the method targets.
    pub target_far: f64,
    /// The fraction of the calibration scores above `value`.
    pub calibration_far: f64,
}

fn check(scores: &[f64], q: f64) -> Result<Vec<f64>> {
    if scores.is_empty() {
        return Err(Error::Empty { what: "calibration scores".into(), reason: "no scores".into() });
    }
    if let Some(i) = scores.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { row: i + 1, column: "score".into(), value: scores[i].to_string() });
    }
    if !(q > 0.0 && q < 1.0) {
        return Err(Error::invalid("false-alarm rate", format!("{q} is not in (0, 1)")));
    }
    let mut s = scores.to_vec();
    s.sort_by(f64::total_cmp);
    Ok(s)
}

fn far(sorted: &[f64], t: f64) -> f64 {
    (sorted.len() - sorted.partition_point(|&v| v <= t)) as f64 / sorted.len() as f64
}

/// The conformal quantile threshold for false-alarm rate `q`.
pub fn quantile_threshold(scores: &[f64], q: f64) -> Result<Threshold> {
    let s = check(scores, q)?;
    let n = s.len();
    let rank = ((1.0 - q) * (n as f64 + 1.0)).ceil() as usize;
    if rank > n {
        return Err(Error::invalid(
            "false-alarm rate",
            format!(
                "{q} needs at least {} calibration scores (have {n}); use the peaks-over-threshold method",
                (1.0 / q).ceil() as usize - 1
            ),
        ));
    }
    let value = s[rank.max(1) - 1];
    Ok(Threshold { value, target_far: q, calibration_far: far(&s, value) })
}

/// A fitted generalized Pareto tail: shape ξ, scale σ, over the level u.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParetoTail {
    /// Level whose excesses were fitted.
    pub level: f64,
    /// Shape ξ (0: exponential tail; > 0: heavy tail).
    pub shape: f64,
    /// Scale σ.
    pub scale: f64,
    /// Fraction of the scores above the level.
    pub exceed_fraction: f64,
}

/// Fits a generalized Pareto tail to the excesses over the `level_quantile` quantile (e.g. 0.98).
pub fn fit_pareto_tail(scores: &[f64], level_quantile: f64) -> Result<ParetoTail> {
    let s = check(scores, 1.0 - level_quantile)?;
    let n = s.len();
    let level = s[((level_quantile * n as f64) as usize).min(n - 1)];
    let excess: Vec<f64> = s.iter().filter(|&&v| v > level).map(|v| v - level).collect();
    let m = excess.len();
    if m < 10 {
        return Err(Error::invalid(
            "calibration scores",
            format!("{m} scores above the {level_quantile} quantile; at least 10 are needed"),
        ));
    }
    // Probability-weighted moments a0 = E[Y], a1 = E[Y (1 − F(Y))] (excesses ascending).
    let a0 = excess.iter().sum::<f64>() / m as f64;
    let a1 = excess.iter().enumerate().map(|(i, y)| y * (m - 1 - i) as f64 / (m - 1) as f64).sum::<f64>() / m as f64;
    let k = a0 / (a0 - 2.0 * a1) - 2.0;
    let scale = 2.0 * a0 * a1 / (a0 - 2.0 * a1);
    Ok(ParetoTail { level, shape: -k, scale, exceed_fraction: m as f64 / n as f64 })
}

impl ParetoTail {
    /// The score exceeded with probability `q` under the fitted tail (q below the exceed fraction).
    pub fn quantile(&self, q: f64) -> f64 {
        let r = q / self.exceed_fraction;
        if self.shape.abs() < 1e-9 {
            self.level - self.scale * r.ln()
        } else {
            self.level + self.scale / self.shape * (r.powf(-self.shape) - 1.0)
        }
    }
}

/// The peaks-over-threshold threshold for false-alarm rate `q` (tail fitted above the 98% quantile).
pub fn pot_threshold(scores: &[f64], q: f64) -> Result<Threshold> {
    let tail = fit_pareto_tail(scores, 0.98)?;
    if q >= tail.exceed_fraction {
        return quantile_threshold(scores, q);
    }
    let s = check(scores, q)?;
    let value = tail.quantile(q);
    Ok(Threshold { value, target_far: q, calibration_far: far(&s, value) })
}

/// The k-of-m persistence rule applied one raw alarm at a time (for streams).
#[derive(Debug, Clone)]
pub struct Persistence {
    k: usize,
    m: u64,
    /// Row numbers of the raw alarms among the last `m` rows (at most `k` kept: only whether
    /// `k` of them fall in the window matters), so memory does not grow with `m`.
    recent: std::collections::VecDeque<u64>,
    t: u64,
}

impl Persistence {
    /// Alarm when at least `k` of the last `m` raw alarms are set (1 ≤ k ≤ m).
    pub fn new(k: usize, m: usize) -> Result<Persistence> {
        if k == 0 || m == 0 || k > m {
            return Err(Error::invalid("persistence", format!("{k} of {m} (need 1 ≤ k ≤ m)")));
        }
        Ok(Persistence { k, m: m as u64, recent: std::collections::VecDeque::with_capacity(k.min(1 << 16)), t: 0 })
    }

    /// Takes the next raw alarm and returns the persistent one.
    pub fn push(&mut self, raw: bool) -> bool {
        let t = self.t;
        self.t += 1;
        while self.recent.front().is_some_and(|&s| s + self.m <= t) {
            self.recent.pop_front();
        }
        if raw {
            if self.recent.len() == self.k {
                self.recent.pop_front();
            }
            self.recent.push_back(t);
        }
        self.recent.len() >= self.k
    }
}

/// Persistence rule: the alarm at t is set when at least `k` of the raw alarms t−m+1..=t are set.
pub fn persistent_alarms(raw: &[bool], k: usize, m: usize) -> Result<Vec<bool>> {
    let mut p = Persistence::new(k, m)?;
    Ok(raw.iter().map(|&r| p.push(r)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use rand_distr::{Distribution, Exp, Pareto};

    #[test]
    fn quantile_threshold_keeps_its_promise_on_fresh_data() {
        let mut rng = StdRng::seed_from_u64(1);
        let d = Exp::new(1.0).unwrap();
        let cal: Vec<f64> = (0..2000).map(|_| d.sample(&mut rng)).collect();
        let t = quantile_threshold(&cal, 0.01).unwrap();
        let fresh: Vec<f64> = (0..200_000).map(|_| d.sample(&mut rng)).collect();
        let rate = fresh.iter().filter(|&&v| v > t.value).count() as f64 / fresh.len() as f64;
        assert!(rate < 0.0135 && rate > 0.006, "fresh false-alarm rate {rate}");
        assert!(quantile_threshold(&cal, 1e-5).is_err(), "2000 scores cannot resolve 1e-5");
    }

    #[test]
    fn pot_matches_the_true_tail_quantile() {
        let mut rng = StdRng::seed_from_u64(2);
        // Exponential tail (ξ = 0): true 1e-5 quantile is ln(1e5).
        let e = Exp::new(1.0).unwrap();
        let xs: Vec<f64> = (0..100_000).map(|_| e.sample(&mut rng)).collect();
        let t = pot_threshold(&xs, 1e-5).unwrap();
        let truth = 1e5f64.ln();
        assert!((t.value - truth).abs() < 0.1 * truth, "{} vs {truth}", t.value);
        // Pareto tail with α = 3 (ξ = 1/3): P(X > x) = x^-3, so the 1e-5 quantile is 1e5^(1/3).
        let p = Pareto::new(1.0, 3.0).unwrap();
        let xs: Vec<f64> = (0..100_000).map(|_| p.sample(&mut rng)).collect();
        let tail = fit_pareto_tail(&xs, 0.98).unwrap();
        assert!((tail.shape - 1.0 / 3.0).abs() < 0.1, "shape {}", tail.shape);
        let truth = 1e5f64.powf(1.0 / 3.0);
        let t = pot_threshold(&xs, 1e-5).unwrap();
        assert!((t.value - truth).abs() < 0.25 * truth, "{} vs {truth}", t.value);
    }

    #[test]
    fn persistence_needs_k_of_the_last_m() {
        let raw = [true, false, true, true, false, false, false, true];
        let a = persistent_alarms(&raw, 2, 3).unwrap();
        assert_eq!(a, [false, false, true, true, true, false, false, false]);
        assert_eq!(persistent_alarms(&raw, 1, 1).unwrap(), raw);
        assert!(persistent_alarms(&raw, 4, 3).is_err());
        // Against the definition, counted afresh at every row, for many k, m and patterns.
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..300 {
            let m = rng.random_range(1..12usize);
            let k = rng.random_range(1..=m);
            let raw: Vec<bool> = (0..60).map(|_| rng.random_bool(0.4)).collect();
            let want: Vec<bool> =
                (0..raw.len()).map(|t| raw[t.saturating_sub(m - 1)..=t].iter().filter(|&&r| r).count() >= k).collect();
            assert_eq!(persistent_alarms(&raw, k, m).unwrap(), want, "k {k} m {m}");
        }
        // A window far longer than the data costs nothing.
        assert_eq!(persistent_alarms(&raw, 1, 100_000_000_000).unwrap(), persistent_alarms(&raw, 1, 1000).unwrap());
    }

    #[test]
    fn bad_scores_are_errors() {
        assert!(quantile_threshold(&[], 0.1).is_err());
        assert!(quantile_threshold(&[1.0, f64::NAN], 0.1).is_err());
        assert!(quantile_threshold(&[1.0, 2.0], 1.5).is_err());
    }
}
