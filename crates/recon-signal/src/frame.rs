//! Frames and erasures.
//!
//! A frame of N vectors `fᵢ` (the columns of a d × N matrix `F`) has frame operator `S = F Fᵀ`;
//! its optimal frame bounds are the extreme eigenvalues `A ≤ B` of `S` (a frame when `A > 0`),
//! and it is *tight* when `A = B`. The canonical dual `f̃ᵢ = S⁻¹ fᵢ` rebuilds every `x` from its
//! coefficients: `x = Σ ⟨x, fᵢ⟩ f̃ᵢ`.
//!
//! **Erasures.** When the coefficients of a set `E` are lost and the receiver still uses the
//! canonical dual of the full frame (it does not know which were lost, or cannot recompute), the
//! rebuild misses `Σ_{i∈E} ⟨x, fᵢ⟩ f̃ᵢ`: the error operator `R_E = Σ_{i∈E} f̃ᵢ fᵢᵀ`, whose
//! operator norm (largest singular value) is the worst relative error over all signals. A
//! receiver that knows `E` can use the dual of the remaining frame (least squares) and rebuild
//! exactly as long as the remaining vectors still span R^d; [`Erasures::not_a_frame`] counts the
//! erasure sets after which they do not. For a unit-norm tight frame and one erasure
//! `‖R_{i}‖ = d/N` exactly (Goyal, Kovačević & Kelner 2001; Casazza & Kovačević 2003), and tight
//! frames minimise the worst one-erasure error among equal-norm frames.
//!
//! The worst case over all erasure sets of size e is exhaustive while there are at most
//! `max_sets` of them, otherwise a seeded random sample of `max_sets` sets (then the reported
//! worst case is a lower bound on the true one, and [`Erasures::exhaustive`] says so).

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side};
use rand::{rngs::StdRng, seq::index::sample, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_core::{Error, Result};
use serde::Serialize;

/// How a frame was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// Real harmonic frame: rows of the N-point DFT (cosines and sines of d/2 frequencies).
    Harmonic,
    /// Equal-norm random frame: Gaussian vectors scaled to unit norm.
    Random,
    /// The union of k orthonormal bases (the identity and k − 1 random rotations).
    UnionOfBases,
    /// An oversampled DFT-modulated filter bank on periodic signals of length d.
    FilterBank,
    /// Given vectors.
    Given,
}

/// A frame: N vectors in R^d, the columns of a d × N matrix.
#[derive(Debug, Clone)]
pub struct Frame {
    vectors: Mat<f64>,
    kind: FrameKind,
}

/// The erasure errors of one erasure size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Erasures {
    /// Coefficients lost.
    #[serde(rename = "erasures")]
    pub erased: usize,
    /// Largest operator norm of the error operator over the erasure sets checked (the canonical
    /// dual of the full frame).
    pub worst_case_error: f64,
    /// Mean of that operator norm over the sets checked.
    pub mean_error: f64,
    /// One erasure set that attains the worst case.
    pub worst_set: Vec<usize>,
    /// Erasure sets checked.
    pub sets_checked: usize,
    /// Whether every erasure set of this size was checked (otherwise a seeded sample: the worst
    /// case is a lower bound).
    pub exhaustive: bool,
    /// Sets after which the remaining vectors no longer span R^d (no dual can rebuild every x).
    pub not_a_frame: usize,
}

fn binomial(n: usize, k: usize) -> Option<usize> {
    let k = k.min(n - k);
    let mut c: usize = 1;
    for i in 0..k {
        c = c.checked_mul(n - i)? / (i + 1);
    }
    Some(c)
}

/// Next k-subset of 0..n in lexicographic order; false after the last.
fn next_combination(c: &mut [usize], n: usize) -> bool {
    let k = c.len();
    let mut i = k;
    while i > 0 {
        i -= 1;
        if c[i] < n - k + i {
            c[i] += 1;
            for j in i + 1..k {
                c[j] = c[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

impl Frame {
    /// A frame of the given vectors (columns of `vectors`, d × N).
    pub fn from_vectors(vectors: Mat<f64>) -> Result<Frame> {
        let (d, n) = (vectors.nrows(), vectors.ncols());
        if d == 0 || n < d {
            return Err(Error::invalid("frame", format!("{n} vectors cannot span R^{d}: a frame needs N ≥ d ≥ 1")));
        }
        if (0..d).any(|i| (0..n).any(|j| !vectors[(i, j)].is_finite())) {
            return Err(Error::invalid("frame", "a frame vector holds a non-finite value"));
        }
        Ok(Frame { vectors, kind: FrameKind::Given })
    }

    /// The real harmonic frame of N unit vectors in R^d (N > d): with `m = ⌊d/2⌋` frequencies,
    /// `fₖ = √(2/d) (cos 2πk·1/N, sin 2πk·1/N, …, cos 2πk·m/N, sin 2πk·m/N)`, plus the constant
    /// `1/√d` first when d is odd. Unit-norm and tight with bound N/d.
    pub fn harmonic(d: usize, n: usize) -> Result<Frame> {
        if d == 0 || n <= d {
            return Err(Error::invalid(
                "frame",
                format!("a harmonic frame of {n} vectors in R^{d} needs N > d ≥ 1 (N = d is an orthonormal basis)"),
            ));
        }
        let odd = d % 2 == 1;
        let s = (2.0 / d as f64).sqrt();
        let v = Mat::from_fn(d, n, |i, k| {
            if odd && i == 0 {
                return 1.0 / (d as f64).sqrt();
            }
            let r = if odd { i - 1 } else { i };
            let j = (r / 2 + 1) as f64;
            let a = 2.0 * std::f64::consts::PI * k as f64 * j / n as f64;
            s * if r % 2 == 0 { a.cos() } else { a.sin() }
        });
        Ok(Frame { vectors: v, kind: FrameKind::Harmonic })
    }

    /// N Gaussian vectors in R^d scaled to unit norm (seeded).
    pub fn random(d: usize, n: usize, seed: u64) -> Result<Frame> {
        if d == 0 || n < d {
            return Err(Error::invalid("frame", format!("{n} vectors cannot span R^{d}: a frame needs N ≥ d ≥ 1")));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut v: Mat<f64> = Mat::from_fn(d, n, |_, _| StandardNormal.sample(&mut rng));
        for j in 0..n {
            let norm = (0..d).map(|i| v[(i, j)] * v[(i, j)]).sum::<f64>().sqrt();
            for i in 0..d {
                v[(i, j)] /= norm;
            }
        }
        Ok(Frame { vectors: v, kind: FrameKind::Random })
    }

    /// The union of `k` orthonormal bases of R^d: the identity and `k − 1` random rotations (the
    /// Q factor of Gaussian matrices, seeded). Unit-norm and tight with bound k.
    pub fn union_of_bases(d: usize, k: usize, seed: u64) -> Result<Frame> {
        if d == 0 || k == 0 {
            return Err(Error::invalid("frame", "a union of bases needs d ≥ 1 and at least one basis"));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut v = Mat::zeros(d, d * k);
        for b in 0..k {
            let q = if b == 0 {
                Mat::<f64>::identity(d, d)
            } else {
                let g: Mat<f64> = Mat::from_fn(d, d, |_, _| StandardNormal.sample(&mut rng));
                g.qr().compute_thin_Q()
            };
            for i in 0..d {
                for j in 0..d {
                    v[(i, b * d + j)] = q[(i, j)];
                }
            }
        }
        Ok(Frame { vectors: v, kind: FrameKind::UnionOfBases })
    }

    /// An oversampled, DFT-modulated filter bank as a frame of periodic signals of length `len`:
    /// `channels` M (the real cosine and sine halves of the M DFT channels: channel 0, the pairs
    /// m = 1 … ⌈M/2⌉ − 1, and channel M/2 when M is even), decimation D (each channel keeps every
    /// D-th output, `len/D` of them), and a sine-window prototype of `taps` samples
    /// `p[k] = sin(π(k + ½)/taps)`. The vector of channel m at output n is the modulated
    /// prototype shifted by nD (circularly), so analysis is `Fᵀx` (filter, then decimate) and
    /// synthesis with the canonical dual rebuilds x exactly when the frame is one; redundancy
    /// M/D. This is the explicit matrix (for erasures and bounds); [`crate::FilterBank`] computes
    /// the same analysis and synthesis the polyphase way, with FFTs. A decimation that leaves gaps the window does not cover (D > taps), or
    /// more than M, breaks reconstruction and is refused.
    pub fn filter_bank(len: usize, channels: usize, decimation: usize, taps: usize) -> Result<Frame> {
        Ok(crate::FilterBank::new(len, channels, decimation, taps)?.frame())
    }

    /// A frame from its vectors (columns) and what made it.
    pub(crate) fn from_parts(vectors: Mat<f64>, kind: FrameKind) -> Frame {
        Frame { vectors, kind }
    }

    /// Analysis and synthesis of `x` (length d) with the canonical dual: the rebuilt signal.
    pub fn reconstruct(&self, x: &[f64]) -> Result<Vec<f64>> {
        if x.len() != self.dim() {
            return Err(Error::invalid("signal", format!("{} samples for a frame of R^{}", x.len(), self.dim())));
        }
        let dual = self.canonical_dual()?;
        let coef: Vec<f64> =
            (0..self.len()).map(|j| (0..self.dim()).map(|i| self.vectors[(i, j)] * x[i]).sum()).collect();
        Ok((0..self.dim()).map(|i| (0..self.len()).map(|j| dual[(i, j)] * coef[j]).sum()).collect())
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.vectors.nrows()
    }
    /// Number of vectors N.
    pub fn len(&self) -> usize {
        self.vectors.ncols()
    }
    /// Whether the frame has no vectors (never: a frame spans R^d).
    pub fn is_empty(&self) -> bool {
        self.vectors.ncols() == 0
    }
    /// How it was made.
    pub fn kind(&self) -> FrameKind {
        self.kind
    }
    /// The vectors, one per column (d × N).
    pub fn vectors(&self) -> MatRef<'_, f64> {
        self.vectors.as_ref()
    }
    /// Redundancy N/d.
    pub fn redundancy(&self) -> f64 {
        self.len() as f64 / self.dim() as f64
    }
    /// The frame operator `S = F Fᵀ` (d × d).
    pub fn operator(&self) -> Mat<f64> {
        &self.vectors * self.vectors.transpose()
    }
    /// The optimal frame bounds `[A, B]`: the extreme eigenvalues of S.
    pub fn bounds(&self) -> Result<[f64; 2]> {
        let evd = self
            .operator()
            .self_adjoint_eigen(Side::Lower)
            .map_err(|_| Error::NoConvergence { what: "eigendecomposition of the frame operator" })?;
        let s = evd.S();
        Ok([s[0], s[self.dim() - 1]])
    }
    /// Whether `B − A ≤ tol·B`.
    pub fn is_tight(&self, tol: f64) -> Result<bool> {
        let [a, b] = self.bounds()?;
        Ok(b - a <= tol * b)
    }
    /// The canonical dual `S⁻¹ F` (d × N); an error when the vectors do not span R^d.
    pub fn canonical_dual(&self) -> Result<Mat<f64>> {
        let [a, b] = self.bounds()?;
        if !(a > 1e-12 * b) {
            return Err(Error::invalid(
                "frame",
                format!("the vectors do not span R^{} (lower frame bound {a:.3e}): not a frame", self.dim()),
            ));
        }
        Ok(self
            .operator()
            .llt(Side::Lower)
            .map_err(|_| Error::NoConvergence { what: "frame operator" })?
            .solve(&self.vectors))
    }

    /// Whether the vectors outside `erased` still span R^d.
    pub fn spans_without(&self, erased: &[usize]) -> Result<bool> {
        let keep: Vec<usize> = (0..self.len()).filter(|j| !erased.contains(j)).collect();
        if keep.len() < self.dim() {
            return Ok(false);
        }
        let rest =
            Frame { vectors: Mat::from_fn(self.dim(), keep.len(), |i, j| self.vectors[(i, keep[j])]), kind: self.kind };
        let [a, b] = rest.bounds()?;
        Ok(a > 1e-10 * b)
    }

    /// The error operator `Σ_{i∈erased} f̃ᵢ fᵢᵀ` of the canonical dual `dual` and its operator norm.
    fn erasure_norm(&self, dual: &Mat<f64>, erased: &[usize]) -> f64 {
        let d = self.dim();
        let r = Mat::from_fn(d, d, |a, b| erased.iter().map(|&i| dual[(a, i)] * self.vectors[(b, i)]).sum::<f64>());
        r.singular_values().map(|s| s.first().copied().unwrap_or(0.0)).unwrap_or(f64::NAN)
    }

    /// The error operator norm for one erasure set, with the canonical dual of the full frame.
    pub fn erasure_error(&self, erased: &[usize]) -> Result<f64> {
        if let Some(&i) = erased.iter().find(|&&i| i >= self.len()) {
            return Err(Error::invalid("erasures", format!("index {i} is not one of the {} vectors", self.len())));
        }
        Ok(self.erasure_norm(&self.canonical_dual()?, erased))
    }

    /// Worst-case and mean error over the erasure sets of size `e` (exhaustive up to `max_sets`
    /// sets, a seeded sample of `max_sets` beyond).
    pub fn erasures(&self, e: usize, max_sets: usize, seed: u64) -> Result<Erasures> {
        let n = self.len();
        if e == 0 || e > n {
            return Err(Error::invalid("erasures", format!("{e} is not in 1..={n}")));
        }
        if max_sets == 0 {
            return Err(Error::invalid("erasure sets", "check at least one"));
        }
        let dual = self.canonical_dual()?;
        let total = binomial(n, e);
        let exhaustive = total.is_some_and(|t| t <= max_sets);
        let mut out = Erasures {
            erased: e,
            worst_case_error: f64::NEG_INFINITY,
            mean_error: 0.0,
            worst_set: Vec::new(),
            sets_checked: 0,
            exhaustive,
            not_a_frame: 0,
        };
        let mut visit = |set: &[usize]| -> Result<()> {
            let v = self.erasure_norm(&dual, set);
            if v > out.worst_case_error {
                out.worst_case_error = v;
                out.worst_set = set.to_vec();
            }
            out.mean_error += v;
            out.sets_checked += 1;
            if !self.spans_without(set)? {
                out.not_a_frame += 1;
            }
            Ok(())
        };
        if exhaustive {
            let mut c: Vec<usize> = (0..e).collect();
            loop {
                visit(&c)?;
                if !next_combination(&mut c, n) {
                    break;
                }
            }
        } else {
            let mut rng = StdRng::seed_from_u64(seed);
            for _ in 0..max_sets {
                let mut set = sample(&mut rng, n, e).into_vec();
                set.sort_unstable();
                visit(&set)?;
            }
        }
        out.mean_error /= out.sets_checked as f64;
        Ok(out)
    }
}

/// A frame as a reconstructor of its signals: each row of `x` is a signal in R^d, its code the N
/// analysis coefficients `⟨x, fᵢ⟩`, decoded by synthesis with the canonical dual.
impl recon_core::Reconstruct for Frame {
    type Error = Error;

    fn encode(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if x.ncols() != self.dim() {
            return Err(Error::invalid("signals", format!("{} columns for a frame of R^{}", x.ncols(), self.dim())));
        }
        Ok(x * &self.vectors)
    }

    fn decode(&self, z: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if z.ncols() != self.len() {
            return Err(Error::invalid(
                "codes",
                format!("{} columns for a frame of {} vectors", z.ncols(), self.len()),
            ));
        }
        Ok(z * self.canonical_dual()?.transpose())
    }
}
