//! The error-vs-rank curve. For a rank-k truncated SVD of a (centred) matrix X with singular
//! values σ₁ ≥ σ₂ ≥ …, Eckart–Young gives the best rank-k error in closed form:
//! `err(k) = ||X − X̂ₖ||²_F / ||X||²_F = Σ_{i>k} σᵢ² / Σ_i σᵢ²`.
//! The curve is built from the leading singular values and the total energy `||X||²_F`
//! (measured directly, so the curve is exact even when only k singular values were computed).

use serde::Serialize;

use crate::{Error, Result};

/// Relative squared reconstruction error at ranks 0..=K.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorCurve {
    /// 0, 1, ..., K.
    pub ranks: Vec<usize>,
    /// `err(k)` for each rank; `err(0) = 1`.
    pub relative_squared_error: Vec<f64>,
}

impl ErrorCurve {
    /// The curve for ranks `0..=max_rank` from the leading singular values and `||X||²_F`.
    pub fn from_spectrum(singular_values: &[f64], total_energy: f64, max_rank: usize) -> Result<Self> {
        if !(total_energy > 0.0) {
            return Err(Error::ZeroVariance);
        }
        if max_rank > singular_values.len() {
            return Err(Error::invalid(
                "rank",
                format!("{max_rank} exceeds the {} singular values computed", singular_values.len()),
            ));
        }
        let mut err = Vec::with_capacity(max_rank + 1);
        let mut tail = total_energy;
        err.push(1.0);
        for s in &singular_values[..max_rank] {
            tail -= s * s;
            err.push((tail / total_energy).clamp(0.0, 1.0));
        }
        Ok(ErrorCurve { ranks: (0..=max_rank).collect(), relative_squared_error: err })
    }

    /// The error at rank `k`.
    pub fn at(&self, k: usize) -> f64 {
        self.relative_squared_error[k]
    }
}

/// The smallest rank whose captured energy `1 − err(k)` reaches `energy` (in (0, 1]),
/// or `None` if the curve never gets there.
pub fn rank_for_energy(curve: &ErrorCurve, energy: f64) -> Result<Option<usize>> {
    if !(energy > 0.0 && energy <= 1.0) {
        return Err(Error::invalid("energy", format!("{energy} is not in (0, 1]")));
    }
    // A relative tolerance keeps exact full-rank fits (err = 1e-17) at energy 1.0.
    Ok(curve.relative_squared_error.iter().position(|e| 1.0 - e >= energy - 1e-12))
}

/// Peak signal-to-noise ratio in dB: `10·log10(peak² / mse)` (∞ for a perfect reconstruction).
pub fn psnr(mse: f64, peak: f64) -> f64 {
    if mse <= 0.0 {
        f64::INFINITY
    } else {
        10.0 * (peak * peak / mse).log10()
    }
}
