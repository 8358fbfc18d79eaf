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
