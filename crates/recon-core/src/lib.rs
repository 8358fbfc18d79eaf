//! # recon-core
//!
//! The shared ground of Recon: [`Dataset`], the [`Fit`] / [`Reconstruct`] traits, [`Residuals`],
//! loaders and writers ([`data`]), model files ([`model`]), rulers ([`ruler`]) and reports
//! ([`report`]). Every model crate builds on it; rulers never know which model made the residuals.
//!
//! ```
//! use recon_core::ruler::ErrorCurve;
//! # fn main() -> recon_core::Result<()> {
//! // Eckart–Young: the rank-k error is the energy of the singular values left out.
//! let curve = ErrorCurve::from_spectrum(&[3.0, 2.0, 1.0], 14.0, 3)?;
//! assert_eq!(curve.relative_squared_error, vec![1.0, 5.0 / 14.0, 1.0 / 14.0, 0.0]);
//! # Ok(())
//! # }
//! ```

pub mod data;
mod dataset;
mod error;
pub mod model;
pub mod report;
mod residuals;
pub mod ruler;
mod scaler;
mod scorer;
pub mod synth;
mod traits;

pub use dataset::{Dataset, GroupIndex};
pub use error::{Error, Result};
pub use residuals::{check_magnitude, check_magnitude_value, squared_norm, Residuals, MAGNITUDE_RANGE};
pub use scaler::{is_constant, Scaler};
pub use scorer::{check_width, ErrorMeasure, Named, RowScorer, ScoreBlock, Scorer};
pub use traits::{Fit, Reconstruct};
