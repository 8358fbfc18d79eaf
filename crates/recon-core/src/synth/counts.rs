//! RNA-seq-like counts (samples × genes) from a negative-binomial model with planted outliers.
//!
//! Model (as DESeq2 / OUTRIDER assume): the mean of gene `j` in sample `i` is
//! `μᵢⱼ = sᵢ · bⱼ · exp(Σₖ uᵢₖ vₖⱼ)` — a size factor (library size) `sᵢ`, a baseline expression
//! `bⱼ`, and `programs` co-expression programs (sample activities `uᵢₖ ~ N(0, 1)`, gene loadings
//! `vₖⱼ ~ N(0, 0.3²)` on a random third of the genes). Counts are `NB(μᵢⱼ, θⱼ)` drawn as a
//! Gamma–Poisson mixture, `θⱼ` the inverse dispersion: variance `μ + μ²/θ`.
//!
//! Without `like`, `log bⱼ ~ N(3, 1.5²)`, `log sᵢ ~ N(0, 0.3²)`, and dispersion follows the usual
//! mean trend `1/θⱼ = 0.05 + 1/bⱼ` times log-normal scatter. With `like` (a real count table)
//! the baselines, dispersions and size factors are estimated from it (median-of-ratios size
//! factors; per-gene moments of the normalised counts; all-zero genes dropped), and genes are
//! those of the table.
//!
//! Outliers, with the truth written out:
//! - single-gene aberrant expression (OUTRIDER's benchmark): with probability `outlier_rate`
//!   per entry, the count is replaced by `round(sᵢ · 2^(m̄ⱼ ± z · sdⱼ))`, where `m̄ⱼ, sdⱼ` are
//!   the mean and standard deviation of the gene's `log2(normalised count + 1)`; up or down at
//!   random (down only where it lowers the count);
//! - whole-sample shifts: a fraction `shifted` of the samples turn on a "disease" program that
//!   multiplies the means of a random 5% of genes by `shift_fold` (up or down at random per gene).

use faer::Mat;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use rand_distr::{Distribution, Gamma, LogNormal, Normal, Poisson};

use crate::{Error, Result};

/// Simulation settings.
#[derive(Debug, Clone)]
pub struct CountParams {
    pub samples: usize,
    /// Genes (ignored when `like` is given: the real table's kept genes).
    pub genes: usize,
    pub programs: usize,
    /// Probability that an entry is a single-gene outlier.
    pub outlier_rate: f64,
    /// Outlier size in standard deviations of the gene's log2 expression.
    pub outlier_z: f64,
    /// Fraction of samples with the disease program switched on.
    pub shifted: f64,
    /// Fold change of the disease program's genes.
    pub shift_fold: f64,
    pub seed: u64,
}

impl Default for CountParams {
    fn default() -> Self {
        CountParams {
            samples: 200,
            genes: 500,
            programs: 3,
            outlier_rate: 1e-3,
            outlier_z: 3.0,
            shifted: 0.0,
            shift_fold: 4.0,
            seed: 0,
        }
    }
}

/// Per-gene and per-sample parameters estimated from a real table (or drawn).
#[derive(Debug, Clone)]
pub struct CountModel {
    pub genes: Vec<String>,
    /// Baseline mean per gene (at size factor 1).
    pub baseline: Vec<f64>,
    /// Inverse dispersion θ per gene.
    pub theta: Vec<f64>,
    /// Size factors to resample from.
    pub size_factors: Vec<f64>,
}

/// One planted single-gene outlier.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlier {
    pub sample: usize,
    pub gene: usize,
    /// +1 up, −1 down.
    pub direction: i8,
    /// The count before injection and after.
    pub before: f64,
    pub after: f64,
}

/// A simulated table and its truth.
#[derive(Debug, Clone)]
pub struct Counts {
    /// Samples × genes.
    pub x: Mat<f64>,
    pub genes: Vec<String>,
    /// The NB means used (before outliers), samples × genes.
    pub mu: Mat<f64>,
    pub theta: Vec<f64>,
    pub size_factors: Vec<f64>,
    pub outliers: Vec<Outlier>,
    /// True for samples with the disease program on.
    pub shifted: Vec<bool>,
}

/// Median-of-ratios size factors (DESeq2) of a samples × genes count table, over the genes
/// with no zero count; falls back to total counts / their median when every gene has a zero.
pub fn size_factors(x: &Mat<f64>) -> Result<Vec<f64>> {
    let (n, g) = (x.nrows(), x.ncols());
    if n == 0 || g == 0 {
        return Err(Error::Empty { what: "count table".into(), reason: "no samples or no genes".into() });
    }
    let full: Vec<usize> = (0..g).filter(|&j| (0..n).all(|i| x[(i, j)] > 0.0)).collect();
    let median = |v: Vec<f64>| crate::ruler::median(&v);
    if full.len() >= 10 {
        let geo: Vec<f64> = full.iter().map(|&j| (0..n).map(|i| x[(i, j)].ln()).sum::<f64>() / n as f64).collect();
        Ok((0..n).map(|i| median(full.iter().zip(&geo).map(|(&j, g)| x[(i, j)].ln() - g).collect()).exp()).collect())
    } else {
        let totals: Vec<f64> = (0..n).map(|i| (0..g).map(|j| x[(i, j)]).sum()).collect();
        let m = median(totals.clone());
        if !(m > 0.0) {
            return Err(Error::invalid("count table", "most samples have no counts at all"));
        }
        Ok(totals.iter().map(|t| (t / m).max(1e-3)).collect())
    }
}

impl CountModel {
    /// Estimates baselines, dispersions and size factors from a real table (samples × genes);
    /// all-zero genes are dropped (their names are returned second).
    pub fn like(x: &Mat<f64>, genes: &[String]) -> Result<(CountModel, Vec<String>)> {
        let s = size_factors(x)?;
        let n = x.nrows() as f64;
        let (mut kept, mut dropped, mut baseline, mut theta) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (j, name) in genes.iter().enumerate() {
            let y: Vec<f64> = (0..x.nrows()).map(|i| x[(i, j)] / s[i]).collect();
            let mean = y.iter().sum::<f64>() / n;
            if mean <= 0.0 {
                dropped.push(name.clone());
                continue;
            }
            let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            // Method of moments, Poisson part removed with the mean size factor's scaling.
            let phi = ((var - mean / (s.iter().sum::<f64>() / n)) / (mean * mean)).clamp(1e-3, 1e2);
            kept.push(name.clone());
            baseline.push(mean);
            theta.push(1.0 / phi);
        }
        if kept.is_empty() {
            return Err(Error::invalid("count table", "every gene is all zero"));
        }
        Ok((CountModel { genes: kept, baseline, theta, size_factors: s }, dropped))
    }

    /// Draws a model: log-normal baselines, the mean–dispersion trend, log-normal size factors.
    pub fn draw(genes: usize, samples: usize, rng: &mut StdRng) -> CountModel {
        let base = LogNormal::new(3.0, 1.5).expect("valid");
        let scatter = LogNormal::new(0.0, 0.5).expect("valid");
        let sf = LogNormal::new(0.0, 0.3).expect("valid");
        let baseline: Vec<f64> = (0..genes).map(|_| base.sample(rng)).collect();
        let theta = baseline.iter().map(|b| 1.0 / ((0.05 + 1.0 / b) * scatter.sample(rng))).collect();
        CountModel {
            genes: (0..genes).map(|j| format!("gene{:04}", j + 1)).collect(),
            baseline,
            theta,
            size_factors: (0..samples).map(|_| sf.sample(rng)).collect(),
        }
    }
}

/// A negative-binomial draw with mean `mu` and inverse dispersion `theta` (Gamma–Poisson).
pub fn nb_sample(mu: f64, theta: f64, rng: &mut StdRng) -> f64 {
    if mu <= 0.0 {
        return 0.0;
    }
    let lambda = Gamma::new(theta, mu / theta).expect("θ, μ > 0").sample(rng);
    if lambda <= 0.0 {
        return 0.0;
    }
    Poisson::new(lambda).map(|p| p.sample(rng)).unwrap_or(lambda.round())
}

/// The most counts one simulated table may hold.
pub const MAX_CELLS: usize = 1 << 28;
/// The largest count written (2^53: every integer up to it is exact in f64).
const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

/// Simulates a table from `model` (drawn when `None`). Refuses a table too large to hold and
/// outliers too large to be exact integers.
pub fn simulate(p: &CountParams, model: Option<&CountModel>) -> Result<Counts> {
    if p.samples < 2 {
        return Err(Error::invalid("samples", format!("{} (need at least 2)", p.samples)));
    }
    if model.is_none() && p.genes == 0 {
        return Err(Error::invalid("genes", "must be at least 1"));
    }
    if !(0.0..1.0).contains(&p.outlier_rate) || !(0.0..=1.0).contains(&p.shifted) {
        return Err(Error::invalid("outlier rate / shifted fraction", "must be in [0, 1)"));
    }
    if !(p.outlier_z > 0.0 && p.shift_fold > 0.0) {
        return Err(Error::invalid("outlier z / shift fold", "must be positive"));
    }
    let genes = model.map_or(p.genes, |m| m.genes.len());
    if (p.samples as u128) * (genes as u128) > MAX_CELLS as u128 || p.programs > 1000 {
        return Err(Error::invalid(
            "size",
            format!(
                "{} samples × {genes} genes (limit {MAX_CELLS} counts) with {} programs (limit 1000)",
                p.samples, p.programs
            ),
        ));
    }
    let mut rng = StdRng::seed_from_u64(p.seed);
    let drawn;
    let m = match model {
        Some(m) => m,
        None => {
            drawn = CountModel::draw(p.genes, p.samples, &mut rng);
            &drawn
        }
    };
    let g = m.genes.len();
    let n = p.samples;
    let s: Vec<f64> = (0..n)
        .map(|i| {
            if model.is_some() {
                m.size_factors[rng.random_range(0..m.size_factors.len())]
            } else {
                m.size_factors[i]
            }
        })
        .collect();
    let normal = Normal::new(0.0, 1.0).expect("valid");
    let u = Mat::from_fn(n, p.programs, |_, _| normal.sample(&mut rng));
    let v = Mat::from_fn(
        p.programs,
        g,
        |_, _| if rng.random_bool(1.0 / 3.0) { 0.3 * normal.sample(&mut rng) } else { 0.0 },
    );
    let mut shifted = vec![false; n];
    for flag in shifted.iter_mut() {
        *flag = rng.random_bool(p.shifted);
    }
    let mut disease: Vec<usize> = (0..g).collect();
    disease.shuffle(&mut rng);
    disease.truncate((g / 20).max(1));
    let mut fold = vec![1.0; g];
    for &j in &disease {
        fold[j] = if rng.random_bool(0.5) { p.shift_fold } else { 1.0 / p.shift_fold };
    }
    let mu = Mat::from_fn(n, g, |i, j| {
        let prog: f64 = (0..p.programs).map(|k| u[(i, k)] * v[(k, j)]).sum();
        s[i] * m.baseline[j] * prog.exp() * if shifted[i] { fold[j] } else { 1.0 }
    });
    if let Some(bad) = (0..g).flat_map(|j| (0..n).map(move |i| (i, j))).find(|&(i, j)| !(mu[(i, j)] <= MAX_COUNT)) {
        return Err(Error::invalid(
            "count model",
            format!(
                "the mean count of sample {}, gene {} is {:e}: use a smaller --shift-fold",
                bad.0 + 1,
                bad.1 + 1,
                mu[bad]
            ),
        ));
    }
    let mut x = Mat::from_fn(n, g, |_, _| 0.0);
    for j in 0..g {
        for i in 0..n {
            x[(i, j)] = nb_sample(mu[(i, j)], m.theta[j], &mut rng);
        }
    }
    // Single-gene outliers, sized by each gene's spread of log2 normalised counts.
    let mut outliers = Vec::new();
    for j in 0..g {
        let l: Vec<f64> = (0..n).map(|i| (x[(i, j)] / s[i] + 1.0).log2()).collect();
        let mean = l.iter().sum::<f64>() / n as f64;
        let sd = (l.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt().max(0.25);
        for i in 0..n {
            if !rng.random_bool(p.outlier_rate) {
                continue;
            }
            let mut dir: i8 = if rng.random_bool(0.5) { 1 } else { -1 };
            let target = |d: i8| (s[i] * 2f64.powf(mean + f64::from(d) * p.outlier_z * sd) - 1.0).max(0.0).round();
            let mut after = target(dir);
            if dir < 0 && after >= x[(i, j)] {
                dir = 1;
                after = target(1);
            }
            if !(after <= MAX_COUNT) {
                return Err(Error::invalid(
                    "outlier z",
                    format!(
                        "{} makes an outlier count of {after:e} (gene {}), beyond exact integers; use a smaller --outlier-z",
                        p.outlier_z,
                        j + 1
                    ),
                ));
            }
            outliers.push(Outlier { sample: i, gene: j, direction: dir, before: x[(i, j)], after });
            x[(i, j)] = after;
        }
    }
    Ok(Counts { x, genes: m.genes.clone(), mu, theta: m.theta.clone(), size_factors: s, outliers, shifted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nb_draws_have_the_nb_mean_and_variance() {
        let mut rng = StdRng::seed_from_u64(1);
        for (mu, theta) in [(5.0, 2.0), (200.0, 10.0), (0.5, 0.3)] {
            let n = 40_000;
            let d: Vec<f64> = (0..n).map(|_| nb_sample(mu, theta, &mut rng)).collect();
            let mean = d.iter().sum::<f64>() / n as f64;
            let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let want = mu + mu * mu / theta;
            assert!((mean - mu).abs() < 4.0 * (want / n as f64).sqrt(), "μ={mu}: mean {mean}");
            assert!((var / want - 1.0).abs() < 0.08, "μ={mu} θ={theta}: var {var} vs {want}");
        }
    }

    #[test]
    fn planted_outliers_are_where_the_truth_says_and_seeds_repeat() {
        let p =
            CountParams { samples: 100, genes: 300, outlier_rate: 2e-3, shifted: 0.1, seed: 5, ..Default::default() };
        let a = simulate(&p, None).unwrap();
        assert_eq!((a.x.nrows(), a.x.ncols()), (100, 300));
        assert!(!a.outliers.is_empty());
        for o in &a.outliers {
            assert_eq!(a.x[(o.sample, o.gene)], o.after);
            assert_eq!(o.direction > 0, o.after > o.before, "{o:?}");
        }
        assert!((0..100).any(|i| a.shifted[i]));
        assert!((0..100).all(|i| (0..300).all(|j| a.x[(i, j)] >= 0.0 && a.x[(i, j)].fract() == 0.0)));
        let b = simulate(&p, None).unwrap();
        assert_eq!(a.x, b.x);
        assert_eq!(a.outliers, b.outliers);
        assert!(simulate(&CountParams { samples: 1, ..p.clone() }, None).is_err());
        assert!(simulate(&CountParams { outlier_rate: 1.5, ..p }, None).is_err());
    }

    #[test]
    fn a_model_estimated_from_a_table_reproduces_its_moments() {
        // Planted NB table with known parameters and size factors 1: estimation recovers them.
        let mut rng = StdRng::seed_from_u64(9);
        let (n, g) = (400, 30);
        let base: Vec<f64> = (0..g).map(|j| 5.0 * (1.0 + j as f64)).collect();
        let x = Mat::from_fn(n, g, |_, j| nb_sample(base[j], 5.0, &mut rng));
        let with_zero = Mat::from_fn(n, g + 1, |i, j| if j < g { x[(i, j)] } else { 0.0 });
        let names: Vec<String> = (0..=g).map(|j| format!("g{j}")).collect();
        let (m, dropped) = CountModel::like(&with_zero, &names).unwrap();
        assert_eq!(dropped, vec![format!("g{g}")]);
        assert_eq!(m.genes.len(), g);
        for (j, (got, want)) in m.baseline.iter().zip(&base).enumerate() {
            assert!((got / want - 1.0).abs() < 0.1, "gene {j}: {got} vs {want}");
        }
        let mean_theta = m.theta.iter().sum::<f64>() / g as f64;
        assert!((mean_theta / 5.0 - 1.0).abs() < 0.35, "θ {mean_theta}");
    }
}
