//! Rulers read residuals and curves; they never know which model made them.

pub mod curve;
pub mod elbow;

pub use curve::{psnr, rank_for_energy, ErrorCurve};
pub use elbow::{kneedle, Knee, Knees};
