//! Rulers read residuals and curves; they never know which model made them.

pub mod curve;
pub mod detection;
pub mod diagnose;
pub mod elbow;
pub mod pvalues;
pub mod threshold;

pub use curve::{psnr, rank_for_energy, ErrorCurve};
pub use detection::{alarm_rate, precision_recall, PrCurve};
pub use diagnose::{direction, episodes, residual_spread, Diagnosis, Episode, Signature, SignatureLibrary};
pub use elbow::{kneedle, Knee, Knees};
pub use pvalues::{benjamini_hochberg, empirical_p_value, reference_scores};
pub use threshold::{
    fit_pareto_tail, persistent_alarms, pot_threshold, quantile_threshold, ParetoTail, Persistence, Threshold,
};
