//! A user × item × day clickstream with R planted behaviour patterns.
//!
//! Pattern r has a user affinity `u_r` (Gamma(0.5) draws: a few users carry most of it), an item
//! affinity `v_r` (Gamma(0.5)), and a daily activity profile `w_r` over T days: a weekly rhythm
//! `1 + a_r·cos(2π(t − φ_r)/7)` (weekday-heavy or weekend-heavy by the phase) times a slow trend.
//! Counts are Poisson with mean `λ_ijt = c · Σ_r u_r[i] v_r[j] w_r[t]`, and c is set so that the
//! expected number of events is `density · U · I · T` (for small λ, about the fraction of nonzero
//! cells).
//!
//! Sampling never visits all U·I·T cells: a sum of independent Poisson processes is a Poisson
//! number of events, each from pattern r with probability ∝ `(Σu_r)(Σv_r)(Σw_r)` and then a user,
//! an item and a day drawn independently from `u_r`, `v_r`, `w_r`. Events on the same cell add up.

use faer::Mat;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, Gamma, Poisson};

use crate::data::SparseTensor;
use crate::{Error, Result};

/// Simulation settings.
#[derive(Debug, Clone)]
pub struct ClickstreamParams {
    pub users: usize,
    pub items: usize,
    pub days: usize,
    pub patterns: usize,
    /// Expected events per cell (≈ fraction of nonzero cells when small), in (0, 1].
    pub density: f64,
    pub seed: u64,
}

/// The simulated tensor and the planted factors (`users × R`, `items × R`, `days × R`).
#[derive(Debug, Clone)]
pub struct Clickstream {
    pub tensor: SparseTensor,
    pub factors: [Mat<f64>; 3],
    /// Total events drawn.
    pub events: u64,
}

/// Draws from a discrete distribution by inverse CDF on cumulative weights.
struct Sampler {
    cum: Vec<f64>,
}

impl Sampler {
    fn new(w: impl Iterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        Sampler {
            cum: w
                .map(|v| {
                    acc += v;
                    acc
                })
                .collect(),
        }
    }
    fn total(&self) -> f64 {
        *self.cum.last().unwrap_or(&0.0)
    }
    fn draw(&self, rng: &mut StdRng) -> usize {
        let x = rng.random::<f64>() * self.total();
        self.cum.partition_point(|&c| c <= x).min(self.cum.len() - 1)
    }
}

/// Simulates a clickstream.
pub fn simulate(p: &ClickstreamParams) -> Result<Clickstream> {
    if p.users == 0 || p.items == 0 || p.days == 0 || p.patterns == 0 {
        return Err(Error::invalid("size", "users, items, days and patterns must all be at least 1"));
    }
    if !(p.density > 0.0 && p.density <= 1.0) {
        return Err(Error::invalid("density", format!("{} is not in (0, 1]", p.density)));
    }
    let cells = p.users as f64 * p.items as f64 * p.days as f64;
    if cells * p.density > 2e8 {
        return Err(Error::invalid(
            "density",
            format!("{:.2e} expected events is more than this simulator draws (2e8)", cells * p.density),
        ));
    }
    let factor_rows = (p.users as u128 + p.items as u128 + p.days as u128) * p.patterns as u128;
    if p.users.max(p.items).max(p.days) > u32::MAX as usize || factor_rows > 1 << 28 {
        return Err(Error::invalid(
            "size",
            format!(
                "{} users, {} items, {} days × {} patterns: factor matrices of more than 2^28 numbers",
                p.users, p.items, p.days, p.patterns
            ),
        ));
    }
    let mut rng = StdRng::seed_from_u64(p.seed);
    let gamma = Gamma::new(0.5, 1.0).expect("valid shape");
    let r = p.patterns;
    let users = Mat::from_fn(p.users, r, |_, _| gamma.sample(&mut rng));
    let items = Mat::from_fn(p.items, r, |_, _| gamma.sample(&mut rng));
    let phases: Vec<f64> = (0..r).map(|k| 7.0 * k as f64 / r as f64 + rng.random::<f64>()).collect();
    let amps: Vec<f64> = (0..r).map(|_| 0.4 + 0.5 * rng.random::<f64>()).collect();
    let trends: Vec<f64> = (0..r).map(|_| rng.random::<f64>() - 0.5).collect();
    let days = Mat::from_fn(p.days, r, |t, k| {
        let week = 1.0 + amps[k] * (2.0 * std::f64::consts::PI * (t as f64 - phases[k]) / 7.0).cos();
        let trend = 1.0 + trends[k] * t as f64 / p.days.max(1) as f64;
        week * trend
    });
    let col = |m: &Mat<f64>, k: usize| Sampler::new((0..m.nrows()).map(move |i| m[(i, k)]));
    let samplers: Vec<[Sampler; 3]> = (0..r).map(|k| [col(&users, k), col(&items, k), col(&days, k)]).collect();
    let mass: Vec<f64> = samplers.iter().map(|s| s[0].total() * s[1].total() * s[2].total()).collect();
    let pattern = Sampler::new(mass.iter().copied());
    let expected = p.density * cells;
    let n_events =
        Poisson::new(expected).map_err(|e| Error::invalid("density", e.to_string()))?.sample(&mut rng) as u64;
    let mut coords: Vec<[u32; 3]> = Vec::with_capacity(n_events as usize);
    for _ in 0..n_events {
        let s = &samplers[pattern.draw(&mut rng)];
        coords.push([s[0].draw(&mut rng) as u32, s[1].draw(&mut rng) as u32, s[2].draw(&mut rng) as u32]);
    }
    coords.sort_unstable();
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    let mut last: Option<[u32; 3]> = None;
    for c in coords {
        if last == Some(c) {
            *values.last_mut().expect("an entry before") += 1.0;
        } else {
            indices.extend(c.iter().map(|&v| v as usize));
            values.push(1.0);
            last = Some(c);
        }
    }
    // The planted factors, scaled so that Σ_r of their outer products is the Poisson mean.
    let c = expected / mass.iter().sum::<f64>();
    let users = Mat::from_fn(p.users, r, |i, k| users[(i, k)] * c);
    Ok(Clickstream {
        tensor: SparseTensor { shape: vec![p.users, p.items, p.days], indices, values },
        factors: [users, items, days],
        events: n_events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_planted_mean() {
        let p = ClickstreamParams { users: 60, items: 40, days: 28, patterns: 3, density: 0.2, seed: 3 };
        let sim = simulate(&p).unwrap();
        let total: f64 = sim.tensor.values.iter().sum();
        assert_eq!(total as u64, sim.events);
        // Poisson total: within 5 standard deviations of its mean.
        let mean = 0.2 * 60.0 * 40.0 * 28.0;
        assert!((total - mean).abs() < 5.0 * mean.sqrt(), "{total} vs {mean}");
        // Per-day totals follow Σ_r (Σu_r)(Σv_r) w_r[t] (summing out users and items).
        let [u, v, w] = &sim.factors;
        let su: Vec<f64> = (0..3).map(|k| (0..60).map(|i| u[(i, k)]).sum()).collect();
        let sv: Vec<f64> = (0..3).map(|k| (0..40).map(|j| v[(j, k)]).sum()).collect();
        let mut by_day = vec![0.0; 28];
        for e in 0..sim.tensor.nnz() {
            by_day[sim.tensor.coords(e)[2]] += sim.tensor.values[e];
        }
        for (t, got) in by_day.iter().enumerate() {
            let want: f64 = (0..3).map(|k| su[k] * sv[k] * w[(t, k)]).sum();
            assert!((got - want).abs() < 5.0 * want.sqrt() + 1.0, "day {t}: {got} vs {want}");
        }
        // Same seed, same tensor.
        assert_eq!(simulate(&p).unwrap().tensor, sim.tensor);
    }
}
