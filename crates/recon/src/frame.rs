//! `recon frame`: build a frame, measure its bounds and its error under erasures, and how the
//! worst case falls with redundancy ([`recon_signal::frame`]).
//!
//! # Example
//!
//! ```
//! use recon::frame::{frame_report, FrameOptions};
//! use recon_signal::FrameKind;
//! # fn main() -> recon::Result<()> {
//! let r = frame_report(&FrameOptions { kind: FrameKind::Harmonic, dim: 4, vectors: 10, erase: 1, ..Default::default() })?;
//! assert!(r.tight && (r.result.worst_case_error - 0.4).abs() < 1e-12);
//! # Ok(())
//! # }
//! ```

use recon_core::report::{LinePlot, Series};
use recon_core::{Error, Result};
use recon_signal::{Erasures, FilterBank, Frame, FrameKind};
use serde::Serialize;

/// What to build and measure.
#[derive(Debug, Clone)]
pub struct FrameOptions {
    /// The construction.
    pub kind: FrameKind,
    /// Dimension d.
    pub dim: usize,
    /// Vectors N.
    pub vectors: usize,
    /// Coefficients lost.
    pub erase: usize,
    /// Erasure sets checked at most (exhaustive below, sampled above).
    pub max_sets: usize,
    /// Seed (random frames, rotations, sampled erasure sets).
    pub seed: u64,
    /// Also measure frames of the same kind with N from d + 1 to this many vectors.
    pub sweep_to: Option<usize>,
    /// Filter bank: channels M, decimation D, prototype taps (default M).
    pub filter_bank: Option<(usize, usize, Option<usize>)>,
}

impl Default for FrameOptions {
    fn default() -> Self {
        FrameOptions {
            kind: FrameKind::Harmonic,
            dim: 4,
            vectors: 8,
            erase: 1,
            max_sets: 100_000,
            seed: 0,
            sweep_to: None,
            filter_bank: None,
        }
    }
}

/// One point of the redundancy sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    pub vectors: usize,
    pub redundancy: f64,
    pub worst_case_error: f64,
    pub mean_error: f64,
    pub exhaustive: bool,
}

/// What `recon frame --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct FrameReport {
    pub kind: FrameKind,
    pub dim: usize,
    pub vectors: usize,
    pub redundancy: f64,
    /// The optimal frame bounds [A, B]: the extreme eigenvalues of the frame operator.
    pub frame_bounds: [f64; 2],
    pub tight: bool,
    /// The erasure errors (`erasures`, `worst_case_error`, `mean_error`, …, flattened).
    #[serde(flatten)]
    pub result: Erasures,
    /// For unit-norm tight frames and one erasure, theory's d/N.
    pub tight_one_erasure_bound: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweep: Vec<SweepPoint>,
    /// Filter banks: the largest |x − x̂| when a seeded uniform(−1, 1) signal goes through polyphase
    /// analysis and canonical-dual synthesis (perfect reconstruction: at rounding level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconstruction_error: Option<f64>,
    #[serde(skip)]
    pub frame: Option<Frame>,
}

/// Builds the frame `kind` of `n` vectors in R^d.
pub fn build(kind: FrameKind, d: usize, n: usize, seed: u64) -> Result<Frame> {
    match kind {
        FrameKind::Harmonic => Frame::harmonic(d, n),
        FrameKind::Random => Frame::random(d, n, seed),
        FrameKind::UnionOfBases => {
            if d == 0 || !n.is_multiple_of(d) {
                return Err(Error::invalid(
                    "vectors",
                    format!("a union of bases has a multiple of d = {d} vectors, not {n}"),
                ));
            }
            Frame::union_of_bases(d, n / d, seed)
        }
        FrameKind::Given | FrameKind::FilterBank => {
            Err(Error::invalid("kind", "given frames are read and filter banks take channels and a decimation"))
        }
    }
}

/// Builds and measures the frame of `opts`.
pub fn frame_report(opts: &FrameOptions) -> Result<FrameReport> {
    let mut reconstruction_error = None;
    let f = match (opts.kind, opts.filter_bank) {
        (FrameKind::FilterBank, Some((m, d, taps))) => {
            if opts.sweep_to.is_some() {
                return Err(Error::invalid("sweep", "the redundancy sweep is for harmonic, random and union frames"));
            }
            let fb = FilterBank::new(opts.dim, m, d, taps.unwrap_or(m))?;
            use rand::{Rng, SeedableRng};
            let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
            let x: Vec<f64> = (0..opts.dim).map(|_| rng.random_range(-1.0..1.0)).collect();
            let back = fb.reconstruct(&x)?;
            reconstruction_error = Some(x.iter().zip(&back).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max));
            fb.frame()
        }
        (FrameKind::FilterBank, None) => {
            return Err(Error::invalid("filter bank", "give the channels and the decimation"));
        }
        (kind, _) => build(kind, opts.dim, opts.vectors, opts.seed)?,
    };
    let [a, b] = f.bounds()?;
    let e = f.erasures(opts.erase, opts.max_sets, opts.seed)?;
    let mut sweep = Vec::new();
    if let Some(to) = opts.sweep_to {
        if to <= opts.dim {
            return Err(Error::invalid("sweep", format!("sweep up to more than d = {} vectors", opts.dim)));
        }
        let step = if opts.kind == FrameKind::UnionOfBases { opts.dim } else { 1 };
        let start = if opts.kind == FrameKind::UnionOfBases { opts.dim } else { opts.dim + 1 };
        for n in (start..=to).step_by(step) {
            if opts.erase > n {
                continue;
            }
            let g = build(opts.kind, opts.dim, n, opts.seed)?;
            let r = g.erasures(opts.erase, opts.max_sets, opts.seed)?;
            sweep.push(SweepPoint {
                vectors: n,
                redundancy: n as f64 / opts.dim as f64,
                worst_case_error: r.worst_case_error,
                mean_error: r.mean_error,
                exhaustive: r.exhaustive,
            });
        }
    }
    Ok(FrameReport {
        kind: opts.kind,
        dim: opts.dim,
        vectors: f.len(),
        redundancy: f.redundancy(),
        frame_bounds: [a, b],
        tight: f.is_tight(1e-10)?,
        result: e,
        tight_one_erasure_bound: opts.dim as f64 / f.len() as f64,
        sweep,
        reconstruction_error,
        frame: Some(f),
    })
}

impl FrameReport {
    /// A few lines of text.
    pub fn text(&self) -> String {
        let mut s = format!(
            "{:?} frame of {} vectors in R^{} (redundancy {:.3}): bounds [{:.6}, {:.6}]{}\n",
            self.kind,
            self.vectors,
            self.dim,
            self.redundancy,
            self.frame_bounds[0],
            self.frame_bounds[1],
            if self.tight { ", tight" } else { "" }
        );
        s += &format!(
            "{} erasure(s), canonical dual of the full frame: worst-case error {:.6} (set {:?}), mean {:.6} over {} sets{}\n",
            self.result.erased,
            self.result.worst_case_error,
            self.result.worst_set,
            self.result.mean_error,
            self.result.sets_checked,
            if self.result.exhaustive { " (all of them)" } else { " (a seeded sample: the worst case is a lower bound)" }
        );
        s += &format!(
            "sets after which the rest is no longer a frame: {} (with the rest's own dual every other set rebuilds exactly)\n",
            self.result.not_a_frame
        );
        if self.tight && self.result.erased == 1 {
            s +=
                &format!("theory for unit-norm tight frames, one erasure: d/N = {:.6}\n", self.tight_one_erasure_bound);
        }
        for p in &self.sweep {
            s += &format!(
                "N = {:>4} (N/d {:.2}): worst {:.6}, mean {:.6}\n",
                p.vectors, p.redundancy, p.worst_case_error, p.mean_error
            );
        }
        if let Some(e) = self.reconstruction_error {
            s += &format!("polyphase analysis and synthesis (FFT) with no erasure: largest |x − x̂| = {e:.2e}\n");
        }
        s
    }

    /// The sweep plot: worst-case and mean error against redundancy, with d/N.
    pub fn sweep_plot(&self) -> Result<Option<String>> {
        if self.sweep.is_empty() {
            return Ok(None);
        }
        let x: Vec<f64> = self.sweep.iter().map(|p| p.redundancy).collect();
        let plot = LinePlot {
            title: format!(
                "Erasure error against redundancy — {:?} frames in R^{}, {} erased",
                self.kind, self.dim, self.result.erased
            ),
            x_label: "redundancy N/d".into(),
            y_label: "operator norm of the error".into(),
            series: vec![
                Series {
                    name: "worst case".into(),
                    x: x.clone(),
                    y: self.sweep.iter().map(|p| p.worst_case_error).collect(),
                },
                Series { name: "mean".into(), x: x.clone(), y: self.sweep.iter().map(|p| p.mean_error).collect() },
                Series { name: "d/N".into(), x: x.clone(), y: x.iter().map(|r| 1.0 / r).collect() },
            ],
            markers: vec![],
            log_y: true,
        };
        Ok(Some(plot.to_svg(720, 420)?))
    }
}
