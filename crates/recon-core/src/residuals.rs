//! [`Residuals`]: `x − x̂` and its reductions (per row, per column, total squared error).

use faer::{Mat, MatRef};

/// The residual matrix of a reconstruction.
#[derive(Debug, Clone)]
pub struct Residuals {
    r: Mat<f64>,
}

impl Residuals {
    /// `x − x_hat`. Shapes must agree (a programmer error otherwise).
    #[track_caller]
    pub fn new(x: MatRef<'_, f64>, x_hat: MatRef<'_, f64>) -> Self {
        assert_eq!((x.nrows(), x.ncols()), (x_hat.nrows(), x_hat.ncols()), "shape mismatch");
        Residuals { r: Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - x_hat[(i, j)]) }
    }

    /// Residuals already computed (and possibly rescaled: standardised units), rows × features.
    pub fn from_matrix(r: Mat<f64>) -> Self {
        Residuals { r }
    }

    /// The residual matrix.
    pub fn matrix(&self) -> MatRef<'_, f64> {
        self.r.as_ref()
    }

    /// Sum of squared residuals of each row.
    pub fn row_squared_errors(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.r.nrows()];
        for j in 0..self.r.ncols() {
            for (o, v) in out.iter_mut().zip(self.r.col_as_slice(j)) {
                *o += v * v;
            }
        }
        out
    }

    /// Sum of squared residuals of each column.
    pub fn col_squared_errors(&self) -> Vec<f64> {
        (0..self.r.ncols()).map(|j| self.r.col_as_slice(j).iter().map(|v| v * v).sum()).collect()
    }

    /// The residual vector of row `i`.
    pub fn row(&self, i: usize) -> Vec<f64> {
        (0..self.r.ncols()).map(|j| self.r[(i, j)]).collect()
    }

    /// `||x − x̂||²_F`.
    pub fn total_squared_error(&self) -> f64 {
        self.col_squared_errors().iter().sum()
    }
}

/// `||x||²_F`.
pub fn squared_norm(x: MatRef<'_, f64>) -> f64 {
    let n = x.norm_l2();
    n * n
}

/// The range of magnitudes whose squares f64 holds with room to sum them (about 1e±150).
pub const MAGNITUDE_RANGE: (f64, f64) = (1e-150, 1e150);

/// Refuses data whose squared errors would underflow to zero or overflow to infinity: the
/// largest `|x − shift|` (per column `shift`, e.g. the mean; empty for none) must lie within
/// [`MAGNITUDE_RANGE`]. All-equal data are [`Error::ZeroVariance`].
pub fn check_magnitude(x: MatRef<'_, f64>, shift: &[f64]) -> crate::Result<()> {
    let mut m = 0.0f64;
    for j in 0..x.ncols() {
        let c = shift.get(j).copied().unwrap_or(0.0);
        for i in 0..x.nrows() {
            m = m.max((x[(i, j)] - c).abs());
        }
    }
    check_magnitude_value(m)
}

/// [`check_magnitude`] on the largest deviation `m`, already found.
pub fn check_magnitude_value(m: f64) -> crate::Result<()> {
    if m == 0.0 {
        return Err(crate::Error::ZeroVariance);
    }
    let (lo, hi) = MAGNITUDE_RANGE;
    if !(lo..=hi).contains(&m) {
        return Err(crate::Error::invalid_data(
            "data",
            format!(
                "the largest deviation is {m:e}: squared errors of numbers this {} cannot be represented in f64 (usable range about {lo:e} to {hi:e}); rescale the data",
                if m < lo { "small" } else { "large" }
            ),
        ));
    }
    Ok(())
}
