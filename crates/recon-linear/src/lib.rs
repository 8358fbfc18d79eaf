//! # recon-linear
//!
//! Linear reconstructors on [faer](https://docs.rs/faer): exact PCA / truncated SVD
//! ([`PcaParams`] → [`Pca`]), randomized SVD ([`randomized_svd`]) and out-of-core PCA
//! ([`StreamingPca`]). Every fitted model reports its Eckart–Young error curve.

mod error;
mod image;
mod mspc;
mod pca;
mod randomized;
mod streaming;

pub use error::{Error, Result};
pub use image::{Compressed, ImageSvd};
pub use mspc::{
    control_limits, Components, LimitMethod, Limits, MonitorScorer, MonitorScores, PcaMonitor, PcaMonitorParams,
};
pub use pca::{Method, Pca, PcaParams, PcaScorer};
pub use randomized::{randomized_svd, RandomizedParams};
pub use streaming::StreamingPca;
