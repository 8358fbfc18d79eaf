//! Rulers read residuals and curves; they never know which model made them.
//!
//! # Example
//!
//! ```
//! use recon_core::ruler::{kneedle, persistent_alarms};
//! // The elbow of a decreasing convex curve, and alarms that need 2 of the last 3 raw alarms.
//! let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
//! let y = [1.0, 0.3, 0.12, 0.08, 0.05, 0.03];
//! assert_eq!(x[kneedle(&x, &y, 1.0).chosen], 1.0);
//! assert_eq!(persistent_alarms(&[true, false, true, true], 2, 3).unwrap(), [false, false, true, true]);
//! ```

pub mod audit;
pub mod curve;
pub mod cv;
pub mod detection;
pub mod diagnose;
pub mod distribution;
pub mod elbow;
pub mod order;
pub mod pvalues;
pub mod stego;
pub mod threshold;
pub mod trim;

pub use audit::{audit, holm, Audit, AuditParams, GroupAudit};
pub use curve::{psnr, rank_for_energy, ErrorCurve};
pub use cv::{clopper_pearson, contiguous_folds, out_of_fold_far, CvEstimate, CV_BELOW_ROWS, DEFAULT_FOLDS};
pub use detection::{alarm_rate, precision_recall, PrCurve};
pub use diagnose::{direction, episodes, residual_spread, Diagnosis, Episode, Signature, SignatureLibrary};
pub use distribution::{frechet_distance, random_directions, sliced_wasserstein, sliced_wasserstein_along};
pub use elbow::{kneedle, Knee, Knees};
pub use order::{median, median_sorted, quantile_sorted};
pub use pvalues::{benjamini_hochberg, empirical_p_value, reference_scores};
pub use stego::{stego_verdict, StegoVerdict};
pub use threshold::{
    fit_pareto_tail, persistent_alarms, pot_threshold, quantile_threshold, ParetoTail, Persistence, Threshold,
};
pub use trim::{robust_outlier_fraction, trimmed_rows, Contamination, TrimSummary, Trimmed};
