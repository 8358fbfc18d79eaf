//! # recon-tensor
//!
//! Tensor reconstructors: CP by alternating least squares on dense, incomplete (NaN = missing,
//! fitted by EM) and sparse (COO, never densified) tensors ([`CpParams`] → [`CpFit`]), the
//! diagnostics that judge a rank ([`corcondia_dense`], [`factor_match_score`]) and a rank search
//! that weighs the error curve's elbow, core consistency and split-half stability ([`RankSearch`]).
//!
//! ```
//! use recon_core::data::{DenseTensor, Tensor};
//! use recon_tensor::CpParams;
//! # fn main() -> recon_core::Result<()> {
//! // A rank-1 3 × 4 × 2 tensor a ∘ b ∘ c is fitted exactly at rank 1.
//! let data = (0..24).map(|t| (1 + t / 8) as f64 * (1 + (t / 2) % 4) as f64 * (1 + t % 2) as f64).collect();
//! let t = Tensor::Dense(DenseTensor { shape: vec![3, 4, 2], data });
//! let fit = CpParams::new(1).fit(&t)?;
//! assert!(fit.relative_error() < 1e-8);
//! # Ok(())
//! # }
//! ```

mod cp;
mod diagnostics;
mod error;
mod kruskal;
mod model;
mod select;
mod tucker;

pub use cp::{CpFit, CpParams, Init};
pub use diagnostics::{corcondia_dense, corcondia_sparse, factor_match_score};
pub use error::{Error, Result};
pub use kruskal::{for_each_index, Kruskal};
pub use model::SliceModel;
pub use select::{split_first_mode, Decomposition, Fitted, RankReport, RankSearch, CC_MIN, FMS_MIN};
pub use tucker::{subspace_similarity, TuckerFit, TuckerParams};
