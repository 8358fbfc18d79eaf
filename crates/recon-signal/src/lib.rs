//! # recon-signal
//!
//! Reconstruction error as a measure of a *design*: a frame (N vectors spanning R^d, N ≥ d) sends
//! the N coefficients `⟨x, fᵢ⟩` and the receiver rebuilds `x` with a dual frame. When channels
//! are lost, the error of the rebuild says how robust the redundancy is ([`frame`]).
//!
//! ```
//! use recon_signal::Frame;
//! # fn main() -> recon_core::Result<()> {
//! // A unit-norm tight frame of 7 vectors in R³: one lost coefficient costs exactly d/N.
//! let f = Frame::harmonic(3, 7)?;
//! assert!(f.is_tight(1e-12)?);
//! let w = f.erasures(1, 100_000, 0)?;
//! assert!((w.worst_case_error - 3.0 / 7.0).abs() < 1e-12);
//! # Ok(())
//! # }
//! ```

pub mod bottleneck;
pub mod filterbank;
pub mod frame;
pub mod graph;

pub use bottleneck::{bottleneck, Bottleneck, Cycle, Down, Level, Up};
pub use filterbank::FilterBank;
pub use frame::{Erasures, Frame, FrameKind};
pub use graph::{graph_bottleneck, GraphBottleneck, GraphCycle, GraphDown, GraphLevel};

/// Applies `f` to every row of `x` (as a slice) after checking that `x` has `width_in` columns;
/// each call gives `width_out` values, the rows of the result. (What every reconstructor here
/// does with a matrix of signals, images or codes.)
pub(crate) fn map_rows(
    x: faer::MatRef<'_, f64>,
    what: &'static str,
    width_in: usize,
    width_out: usize,
    mut f: impl FnMut(&[f64]) -> recon_core::Result<Vec<f64>>,
) -> recon_core::Result<faer::Mat<f64>> {
    if x.ncols() != width_in {
        return Err(recon_core::Error::invalid(what, format!("{} columns where {width_in} are expected", x.ncols())));
    }
    let mut out = faer::Mat::zeros(x.nrows(), width_out);
    let mut row = vec![0.0; width_in];
    for i in 0..x.nrows() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = x[(i, j)];
        }
        for (j, v) in f(&row)?.into_iter().enumerate().take(width_out) {
            out[(i, j)] = v;
        }
    }
    Ok(out)
}
