#![doc = include_str!("../../../README.md")]
//!
//! # The crate
//!
//! `recon` is the crate a user of the library depends on: it re-exports every family and the
//! shared ground ([`recon_core`]), opens any model folder through one registry
//! ([`load_model`]), and holds the pipelines the command-line tool runs ([`score`],
//! [`diagnose`], [`curve`]), each returning a serde result type.

pub mod curve;
pub mod diagnose;
pub mod fit;
mod registry;
pub mod score;
pub mod simulate;

pub use recon_core::model::{ModelFile, ModelHeader, ModelKind};
pub use recon_core::{
    data, model, report, ruler, synth, Dataset, Error, ErrorMeasure, Fit, Reconstruct, Residuals, Result, Scaler,
    ScoreBlock, Scorer,
};
pub use recon_linear::{
    Components, ImageSvd, LimitMethod, MonitorScorer, Pca, PcaMonitor, PcaMonitorParams, PcaParams, PcaScorer,
    RandomizedParams, StreamingPca,
};
pub use recon_neural::{
    likelihood, Activation, AeScorer, Autoencoder, AutoencoderParams, TrainConfig, Trainable, Vae, VaeParams, VaeScorer,
};
pub use recon_tensor::{CpParams, Kruskal, RankSearch, SliceModel, TuckerParams};
pub use registry::{load_model, load_scorer, Model};

/// The family crates, for what the re-exports above leave out.
pub mod families {
    pub use recon_linear as linear;
    pub use recon_neural as neural;
    pub use recon_tensor as tensor;
}
