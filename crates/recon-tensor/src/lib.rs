//! # recon-tensor
//!
//! Tensor reconstructors: CP by alternating least squares on dense, incomplete (NaN = missing,
//! fitted by EM) and sparse (COO, never densified) tensors ([`CpParams`] → [`CpFit`]), the
//! diagnostics that judge a rank ([`corcondia_dense`], [`factor_match_score`]) and a rank search
//! that weighs the error curve's elbow, core consistency and split-half stability ([`RankSearch`]).

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
