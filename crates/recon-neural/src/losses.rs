//! Losses of the generative models, on burn tensors (so they train): the adversarial losses of a
//! discriminator that outputs one logit per sample, the L1 cycle loss, and the Gaussian KL term.
//!
//! - [`Adversarial::NonSaturating`]: the original GAN's cross-entropy (Goodfellow et al. 2014)
//!   with the non-saturating generator loss: discriminator `BCE(D(x), 1) + BCE(D(G(z)), 0)`,
//!   generator `BCE(D(G(z)), 1)`, each a mean over the batch, computed from logits through
//!   `log σ` (stable for large logits; PyTorch's `BCEWithLogitsLoss`).
//! - [`Adversarial::LeastSquares`]: LSGAN (Mao et al. 2017, a = 0, b = c = 1): discriminator
//!   `½ mean (D(x) − 1)² + ½ mean D(G(z))²`, generator `½ mean (D(G(z)) − 1)²`, on the raw outputs.
//!
//! Checked against PyTorch on fixed inputs (`tools/make_generative_fixture.py`).

use burn::tensor::{activation::log_sigmoid, Tensor};
use serde::{Deserialize, Serialize};

/// Which adversarial loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Adversarial {
    /// Cross-entropy with the non-saturating generator loss.
    #[default]
    NonSaturating,
    /// Least squares (LSGAN).
    LeastSquares,
}

impl Adversarial {
    /// The discriminator's loss on its outputs for real and for generated samples (batch × 1).
    pub fn discriminator(self, real: Tensor<2>, fake: Tensor<2>) -> Tensor<1> {
        match self {
            Adversarial::NonSaturating => (-log_sigmoid(real)).mean() + (-log_sigmoid(-fake)).mean(),
            Adversarial::LeastSquares => (real.sub_scalar(1.0).square().mean() + fake.square().mean()).mul_scalar(0.5),
        }
    }

    /// The generator's loss on the discriminator's outputs for generated samples (batch × 1).
    pub fn generator(self, fake: Tensor<2>) -> Tensor<1> {
        match self {
            Adversarial::NonSaturating => (-log_sigmoid(fake)).mean(),
            Adversarial::LeastSquares => fake.sub_scalar(1.0).square().mean().mul_scalar(0.5),
        }
    }
}

/// `mean |x − x̂|` over every entry (PyTorch's `L1Loss`).
pub fn l1(x: Tensor<2>, x_hat: Tensor<2>) -> Tensor<1> {
    (x - x_hat).abs().mean()
}

/// Gaussian KL of each row against N(0, I): `−½ Σ (1 + log s² − m² − s²)`, rows × 1.
pub fn kl_rows(m: Tensor<2>, log_var: Tensor<2>) -> Tensor<2> {
    (log_var.clone().add_scalar(1.0) - m.square() - log_var.exp()).sum_dim(1).mul_scalar(-0.5)
}
