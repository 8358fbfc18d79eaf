//! [`Scaler`]: the one input standardisation of every model that standardises (standardised
//! PCA and its monitor, streaming PCA, the autoencoder, the Gaussian VAE).
//!
//! The rule: subtract the column mean and divide by the **population** standard deviation
//! (divisor n, scikit-learn's `StandardScaler`, so PCA's golden values compare directly). A
//! column whose spread is at most 1e-12 of its magnitude (`max(|mean|, 1)`) is constant: it is
//! centred but divided by 1, never by its (near-)zero spread.
//!
//! # Example
//!
//! ```
//! use recon_core::Scaler;
//! let s = Scaler::from_moments(vec![1.0, 5.0], &[4.0, 0.0]);
//! assert_eq!(s.scale, vec![2.0, 1.0]);
//! assert_eq!(s.constant, vec![1]);
//! assert_eq!(s.apply(3.0, 0), 1.0);
//! assert_eq!(s.invert(1.0, 0), 3.0);
//! ```

use faer::MatRef;

/// Column means and divisors, and which columns were constant.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    /// Column means (zeros when not centring).
    pub mean: Vec<f64>,
    /// Column divisors (ones when not scaling, and for constant columns).
    pub scale: Vec<f64>,
    /// Indices of the columns found constant.
    pub constant: Vec<usize>,
}

/// True when a column of this mean and population standard deviation counts as constant.
pub fn is_constant(mean: f64, sd: f64) -> bool {
    !(sd > 1e-12 * mean.abs().max(1.0))
}

impl Scaler {
    /// Means and population standard deviations of the columns of `x`.
    pub fn standardise(x: MatRef<'_, f64>) -> Scaler {
        let n = x.nrows().max(1) as f64;
        let mean: Vec<f64> = (0..x.ncols()).map(|j| x.col(j).iter().sum::<f64>() / n).collect();
        let var: Vec<f64> =
            (0..x.ncols()).map(|j| x.col(j).iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / n).collect();
        Scaler::from_moments(mean, &var)
    }

    /// From column means and population variances (a streaming accumulator's moments).
    pub fn from_moments(mean: Vec<f64>, var: &[f64]) -> Scaler {
        let sd: Vec<f64> = var.iter().map(|v| v.max(0.0).sqrt()).collect();
        let constant: Vec<usize> = (0..mean.len()).filter(|&j| is_constant(mean[j], sd[j])).collect();
        let scale = (0..mean.len()).map(|j| if constant.contains(&j) { 1.0 } else { sd[j] }).collect();
        Scaler { mean, scale, constant }
    }

    /// Neither centring nor scaling.
    pub fn identity(d: usize) -> Scaler {
        Scaler { mean: vec![0.0; d], scale: vec![1.0; d], constant: Vec::new() }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// True when there are no columns.
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// The arrays `mean` and `scale` of a model file.
    pub fn arrays(&self) -> Vec<(String, crate::model::Array)> {
        let d = self.len();
        vec![
            ("mean".to_string(), crate::model::Array { shape: vec![d], data: self.mean.clone() }),
            ("scale".to_string(), crate::model::Array { shape: vec![d], data: self.scale.clone() }),
        ]
    }

    /// Reads back the arrays written by [`Scaler::arrays`] for `d` columns (every divisor must
    /// be positive); `constant` comes from the header.
    pub fn take_from(file: &mut crate::model::ModelFile, d: usize, constant: Vec<usize>) -> crate::Result<Scaler> {
        let mean = file.take("mean", &[d])?;
        let scale = file.take("scale", &[d])?;
        if scale.iter().any(|s| !(*s > 0.0)) {
            return Err(file.bad("array 'scale' holds a non-positive divisor"));
        }
        Ok(Scaler { mean, scale, constant })
    }

    /// `(v − μⱼ) / sⱼ`.
    #[inline]
    pub fn apply(&self, v: f64, j: usize) -> f64 {
        (v - self.mean[j]) / self.scale[j]
    }

    /// `v·sⱼ + μⱼ`.
    #[inline]
    pub fn invert(&self, v: f64, j: usize) -> f64 {
        v * self.scale[j] + self.mean[j]
    }
}
