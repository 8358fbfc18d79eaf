//! The error-vs-rank report: the Eckart–Young curve of a PCA or truncated SVD with its rulers
//! (Kneedle elbow and candidates, ranks for 90% and 99% energy), as `recon curve` prints it.
//!
//! # Example
//!
//! ```
//! use recon::curve::{curve_report, CurveOptions};
//! # fn main() -> recon::Result<()> {
//! let x = faer::Mat::from_fn(40, 5, |i, j| ((i * 7 + j * 3) % 11) as f64 + if j == 0 { i as f64 } else { 0.0 });
//! let r = curve_report(&recon::Dataset::from_mat(x), &CurveOptions::default(), 0)?;
//! assert_eq!(r.ranks, vec![0, 1, 2, 3, 4, 5]);
//! assert!(r.relative_squared_error.windows(2).all(|w| w[1] <= w[0]));
//! # Ok(())
//! # }
//! ```

use std::fmt::Write as _;

use recon_core::report::{LinePlot, Marker, Series};
use recon_core::ruler::{kneedle, rank_for_energy, ErrorCurve};
use recon_core::{Dataset, Error, Result};
use recon_linear::{Pca, PcaParams};
use serde::Serialize;

/// How to build the curve.
#[derive(Debug, Clone)]
pub struct CurveOptions {
    /// Largest rank (default: min(rows, columns)).
    pub max_rank: Option<usize>,
    /// Subtract column means (PCA) or not (truncated SVD).
    pub center: bool,
    /// Standardise each column first.
    pub scale: bool,
    /// Kneedle sensitivity S (> 0).
    pub sensitivity: f64,
}

impl CurveOptions {
    /// The largest rank of the curve of an `n × d` matrix, after checking the options.
    pub fn checked_rank(&self, n: usize, d: usize) -> Result<usize> {
        if !(self.sensitivity > 0.0 && self.sensitivity.is_finite()) {
            return Err(Error::invalid("sensitivity", format!("{} is not a positive number", self.sensitivity)));
        }
        let full = n.min(d);
        let k = self.max_rank.unwrap_or(full);
        if k == 0 || k > full {
            return Err(Error::invalid("max-rank", format!("{k} is not in 1..={full} for a {n} × {d} matrix")));
        }
        Ok(k)
    }
}

impl Default for CurveOptions {
    fn default() -> Self {
        CurveOptions { max_rank: None, center: true, scale: false, sensitivity: 1.0 }
    }
}

/// Fits the full PCA of `data` and reads its curve.
pub fn curve_report(data: &Dataset, opts: &CurveOptions, dropped_rows: usize) -> Result<CurveReport> {
    let k = opts.checked_rank(data.n_rows(), data.n_cols())?;
    let pca = PcaParams::new().center(opts.center).scale(opts.scale).fit_spectrum(data, k)?;
    CurveReport::new(&pca, k, opts.sensitivity, dropped_rows)
}

/// The error-vs-rank curve of a PCA / truncated SVD with its rulers (`recon curve --json`).
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct CurveReport {
    pub n_rows: usize,
    pub n_cols: usize,
    pub centered: bool,
    pub scaled: bool,
    pub ranks: Vec<usize>,
    pub relative_squared_error: Vec<f64>,
    pub explained_variance_ratio: Vec<f64>,
    pub elbow: usize,
    pub elbow_candidates: Vec<usize>,
    pub sensitivity: f64,
    pub rank_for_energy_90: Option<usize>,
    pub rank_for_energy_99: Option<usize>,
    pub dropped_rows: usize,
    /// How the spectrum was computed: `exact` (QR + SVD), `scatter` (tall matrices: `XᵀX` and
    /// its eigendecomposition, accuracy-guarded) or `streaming` (chunked scatter).
    pub solver: recon_linear::Method,
}

impl CurveReport {
    /// Builds the report from a fitted PCA.
    pub fn new(pca: &Pca, max_rank: usize, sensitivity: f64, dropped_rows: usize) -> Result<Self> {
        let curve: ErrorCurve = pca.error_curve(max_rank)?;
        let x: Vec<f64> = curve.ranks.iter().map(|&r| r as f64).collect();
        let knees = kneedle(&x, &curve.relative_squared_error, sensitivity);
        Ok(CurveReport {
            n_rows: pca.n_samples(),
            n_cols: pca.n_features(),
            centered: pca.centered(),
            scaled: pca.scale().iter().any(|s| *s != 1.0),
            explained_variance_ratio: pca.explained_variance_ratio()[..max_rank].to_vec(),
            elbow: curve.ranks[knees.chosen],
            elbow_candidates: knees.all.iter().map(|k| curve.ranks[k.index]).collect(),
            sensitivity,
            rank_for_energy_90: rank_for_energy(&curve, 0.9)?,
            rank_for_energy_99: rank_for_energy(&curve, 0.99)?,
            ranks: curve.ranks,
            relative_squared_error: curve.relative_squared_error,
            dropped_rows,
            solver: pca.method(),
        })
    }

    /// The curve as an SVG line plot with the elbow marked.
    pub fn plot(&self, title: &str) -> Result<String> {
        LinePlot {
            title: title.to_string(),
            x_label: "rank k".into(),
            y_label: "relative squared error".into(),
            series: vec![Series {
                name: "err(k) = tail energy".into(),
                x: self.ranks.iter().map(|&r| r as f64).collect(),
                y: self.relative_squared_error.clone(),
            }],
            markers: vec![Marker { x: self.elbow as f64, label: format!("elbow: rank {}", self.elbow) }],
            log_y: false,
        }
        .to_svg(720, 420)
    }

    /// The table `recon curve` prints, headed by `name`.
    pub fn table(&self, name: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{name}: {} rows × {} columns, {}",
            self.n_rows,
            self.n_cols,
            match (self.centered, self.scaled) {
                (true, true) => "centred and standardised (correlation PCA)",
                (true, false) => "centred (PCA)",
                _ => "not centred (truncated SVD)",
            }
        );
        let _ = writeln!(s, "{:>5}  {:>14}  {:>14}  {:>10}", "rank", "rel_sq_error", "expl_var_ratio", "captured");
        for (i, (&k, &e)) in self.ranks.iter().zip(&self.relative_squared_error).enumerate() {
            let evr = if i == 0 { "-".to_string() } else { format!("{:.6}", self.explained_variance_ratio[i - 1]) };
            let mark = if k == self.elbow { "  <- elbow" } else { "" };
            let _ = writeln!(s, "{k:>5}  {e:>14.8}  {evr:>14}  {:>10.6}{mark}", 1.0 - e);
        }
        let cands: Vec<String> = self.elbow_candidates.iter().map(usize::to_string).collect();
        let _ = writeln!(
            s,
            "elbow (Kneedle, S = {}): rank {} (knees found: {})",
            self.sensitivity,
            self.elbow,
            if cands.is_empty() { "none; arg-max of the difference curve".into() } else { cands.join(", ") }
        );
        let show = |r: Option<usize>| r.map_or("not within the curve".to_string(), |r| r.to_string());
        let _ = writeln!(
            s,
            "rank for 90% energy: {}, for 99%: {}",
            show(self.rank_for_energy_90),
            show(self.rank_for_energy_99)
        );
        s
    }
}
