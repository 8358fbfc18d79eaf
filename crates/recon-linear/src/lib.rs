//! # recon-linear
//!
//! Linear reconstructors on [faer](https://docs.rs/faer): exact PCA / truncated SVD
//! ([`PcaParams`] → [`Pca`]), randomized SVD ([`randomized_svd`]) and out-of-core PCA
//! ([`StreamingPca`]). Every fitted model reports its Eckart–Young error curve.
//!
//! ```
//! use recon_core::{Dataset, Fit, Reconstruct};
//! use recon_linear::PcaParams;
//! # fn main() -> recon_core::Result<()> {
//! // Rank-1 data: one component rebuilds it exactly.
//! let x = faer::Mat::from_fn(20, 3, |i, j| (i as f64 - 9.5) * (j as f64 + 1.0));
//! let pca = PcaParams::new().n_components(1).fit(&Dataset::from_mat(x.clone()))?;
//! let xh = pca.reconstruct(x.as_ref())?;
//! assert!((0..20).all(|i| (0..3).all(|j| (x[(i, j)] - xh[(i, j)]).abs() < 1e-9)));
//! assert!(pca.error_curve(1)?.relative_squared_error[1] < 1e-12);
//! # Ok(())
//! # }
//! ```

mod error;
mod fair_pca;
mod image;
mod mspc;
mod pca;
mod randomized;
mod streaming;

pub use error::{Error, Result};
pub use fair_pca::{FairPca, FairPcaParams, FairPcaReport, GroupLoss};
pub use image::{Compressed, ImageSvd};
pub use mspc::{
    clopper_pearson, control_limits, quadratic_form_quantile, AlarmStatistic, Components, CvEstimate, LimitMethod,
    Limits, MonitorScorer, MonitorScores, PcaMonitor, PcaMonitorParams, DEFAULT_FOLDS,
};
pub use pca::{Method, Pca, PcaParams, PcaScorer};
pub use randomized::{randomized_svd, RandomizedParams};
pub use streaming::StreamingPca;
