#![doc = include_str!("../../../README.md")]
//!
//! # The crate
//!
//! `recon` is the crate a user of the library depends on: it re-exports every family and the
//! shared ground ([`recon_core`]), opens any model folder through one registry
//! ([`load_model`]), and holds the pipelines the command-line tool runs ([`score`],
//! [`diagnose`], [`curve`]), each returning a serde result type.

pub mod audit;
pub mod bottleneck;
pub mod counts;
pub mod curve;
pub mod diagnose;
pub mod discover;
pub mod fit;
pub mod frame;
pub mod generate;
mod registry;
pub mod score;
pub mod simulate;
pub mod stego;

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

/// The number of parallel tasks the linear algebra splits its work into, whatever the machine.
pub const PARALLEL_DEGREE: usize = 4;

/// Makes results independent of the machine's thread count: faer splits every parallel
/// operation into [`PARALLEL_DEGREE`] tasks (run on however many threads rayon has), so the
/// order of floating-point reductions, and so every output bit, is the same on 1 core or 64.
/// The `recon` binary calls it first thing; a library user who wants the same promise calls it
/// too (it sets a process-wide faer setting).
pub fn fixed_parallelism() {
    faer::set_global_parallelism(faer::Par::rayon(PARALLEL_DEGREE));
}

/// The family crates, for what the re-exports above leave out.
pub mod families {
    pub use recon_linear as linear;
    pub use recon_neural as neural;
    pub use recon_signal as signal;
    pub use recon_tensor as tensor;
}
