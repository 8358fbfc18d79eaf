//! Two groups drawn from different low-rank structures: the planted truth for auditing a
//! reconstructor by group.
//!
//! Each row is `x = W_g f + ε` with `f ~ N(0, I_r)` and `ε ~ N(0, σ² I_d)`. The majority's
//! loadings `W_a` and the minority's `W_b` are independent Gaussian draws (entries N(0, 1/r), so
//! both groups carry the same variance); in null mode the minority shares `W_a`. Each group on its
//! own is rebuilt by its best rank-r subspace to the same expected error, `(d − r) σ²` per row
//! (the noise outside a rank-r structure), so a gap under a model fitted on the pooled rows comes
//! from the minority being under-represented, not from being harder to rebuild — unless
//! `minority_noise` raises the minority's noise, which makes it harder at any size. The groups'
//! rows are shuffled together.
//!
//! # Example
//!
//! ```
//! use recon_core::synth::groups::{simulate, GroupParams};
//! # fn main() -> recon_core::Result<()> {
//! let s = simulate(&GroupParams { rows: 500, minority: 0.2, ..Default::default() })?;
//! assert_eq!(s.minority.iter().filter(|&&m| m).count(), 100);
//! # Ok(())
//! # }
//! ```

use faer::Mat;
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::{Error, Result};

/// How to draw the two groups.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupParams {
    /// Rows in all.
    pub rows: usize,
    /// Features.
    pub features: usize,
    /// Rank of each group's structure.
    pub rank: usize,
    /// Share of rows in the minority, in (0, 0.5].
    pub minority: f64,
    /// Noise standard deviation σ.
    pub noise: f64,
    /// Null mode: the minority has the majority's structure.
    pub null: bool,
    /// The minority's noise is this multiple of σ (1: as the majority's; above 1: a group that
    /// is harder to rebuild at any size).
    pub minority_noise: f64,
    /// Seed of every draw.
    pub seed: u64,
}

impl Default for GroupParams {
    fn default() -> Self {
        GroupParams {
            rows: 2000,
            features: 20,
            rank: 3,
            minority: 0.1,
            noise: 0.3,
            null: false,
            minority_noise: 1.0,
            seed: 0,
        }
    }
}

/// The drawn rows and which belong to the minority.
#[derive(Debug, Clone)]
pub struct GroupSample {
    /// Rows × features.
    pub x: Mat<f64>,
    /// `true` for minority rows.
    pub minority: Vec<bool>,
    /// The expected per-row error of each group's own best rank-r subspace, `(d − r) σ²`
    /// (majority, minority).
    pub own_rank_error: [f64; 2],
}

/// Draws the two groups.
pub fn simulate(p: &GroupParams) -> Result<GroupSample> {
    if !(p.minority > 0.0 && p.minority <= 0.5) {
        return Err(Error::invalid("minority", format!("{} is not a minority's share, in (0, 0.5]", p.minority)));
    }
    if p.rank == 0 || p.rank >= p.features {
        return Err(Error::invalid("rank", format!("{} is not in 1..{}", p.rank, p.features)));
    }
    if !(p.minority_noise > 0.0 && p.minority_noise.is_finite()) {
        return Err(Error::invalid("minority noise", format!("{} is not a positive multiple", p.minority_noise)));
    }
    if !(p.noise >= 0.0 && p.noise.is_finite()) {
        return Err(Error::invalid("noise", format!("{} is not a standard deviation", p.noise)));
    }
    let n_min = (p.minority * p.rows as f64).round() as usize;
    if n_min < 1 || n_min >= p.rows {
        return Err(Error::invalid("rows", format!("{} rows leave no room for both groups at {}", p.rows, p.minority)));
    }
    let mut rng = StdRng::seed_from_u64(p.seed);
    let (d, r) = (p.features, p.rank);
    let scale = 1.0 / (r as f64).sqrt();
    let draw = |rng: &mut StdRng| -> Vec<f64> {
        (0..d * r).map(|_| scale * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)).collect()
    };
    let wa = draw(&mut rng);
    let wb = if p.null { wa.clone() } else { draw(&mut rng) };
    let mut minority: Vec<bool> = (0..p.rows).map(|i| i < n_min).collect();
    minority.shuffle(&mut rng);
    let mut x = Mat::zeros(p.rows, d);
    for (i, &m) in minority.iter().enumerate() {
        let (w, sd) = if m { (&wb, p.noise * p.minority_noise) } else { (&wa, p.noise) };
        let f: Vec<f64> = (0..r).map(|_| StandardNormal.sample(&mut rng)).collect();
        for j in 0..d {
            let e: f64 = StandardNormal.sample(&mut rng);
            x[(i, j)] = (0..r).map(|c| w[j * r + c] * f[c]).sum::<f64>() + sd * e;
        }
    }
    let own = |sd: f64| (d - r) as f64 * sd * sd;
    Ok(GroupSample { x, minority, own_rank_error: [own(p.noise), own(p.noise * p.minority_noise)] })
}
