//! # recon-neural
//!
//! Neural reconstructors trained with [burn](https://burn.dev) on its pure-Rust `flex` CPU
//! backend (f32): the MLP [`Autoencoder`] used as an anomaly monitor and the [`Vae`] scored by a
//! proper likelihood, both trained by one loop ([`TrainConfig`]).
//!
//! Training runs in burn (autodiff, Adam); the fitted model keeps plain `f32` weights, so scoring
//! is a few dense matrix products on faer and does not depend on the training backend. Every
//! random choice (initial weights, shuffling, the validation split, dropout masks) comes from one
//! seeded generator: the same seed gives the same model.
//!
//! ```no_run
//! use recon_core::{Dataset, Fit};
//! use recon_neural::{AutoencoderParams, Trainable};
//! # fn main() -> Result<(), recon_neural::Error> {
//! let data = Dataset::from_mat(faer::Mat::from_fn(500, 4, |i, j| ((i * (j + 1)) % 17) as f64));
//! let ae = AutoencoderParams::new(vec![8, 2]).epochs(50).seed(7).fit(&data)?;
//! let scores = ae.score(data.x.as_ref())?;
//! assert_eq!(scores.len(), 500);
//! # Ok(())
//! # }
//! ```

mod autoencoder;
mod composition;
mod convnet;
mod cyclegan;
mod error;
mod features;
pub mod likelihood;
pub mod losses;
mod mlp;
mod sequence;
mod train;
mod vae;
mod vaegan;

pub use autoencoder::{Activation, AeOutput, AeScorer, AeThreshold, Autoencoder, AutoencoderParams};
pub use composition::{check_fractions, CompositionVae, CompositionVaeParams};
pub use convnet::{ConvNet, ConvNetParams};
pub use cyclegan::{CycleGan, CycleGanParams};
pub use error::{Error, Result};
pub use features::{ClassifierFeatures, RandomConvFeatures};
pub use sequence::{SequenceVae, SequenceVaeParams};
pub use train::{Backend, TrainConfig, Trainable, TrainingLog};
pub use vae::{FeatureCalls, Vae, VaeOutput, VaeParams, VaeScorer};
pub use vaegan::{VaeGan, VaeGanParams};
