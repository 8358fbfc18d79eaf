//! [`Dataset`]: a samples × features matrix with its column names and optional label / group columns.

use faer::Mat;

/// A samples × features matrix (rows are samples) with names.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The feature matrix, one row per sample.
    pub x: Mat<f64>,
    /// One name per column of `x`.
    pub columns: Vec<String>,
    /// The `--label-col` column, kept as strings.
    pub labels: Option<Vec<String>>,
    /// The `--group-col` column, kept as strings.
    pub groups: Option<Vec<String>>,
}

impl Dataset {
    /// A dataset with generated column names `x0, x1, ...`.
    pub fn from_mat(x: Mat<f64>) -> Self {
        let columns = (0..x.ncols()).map(|j| format!("x{j}")).collect();
        Dataset { x, columns, labels: None, groups: None }
    }

    /// Number of samples (rows).
    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    /// Number of features (columns).
    pub fn n_cols(&self) -> usize {
        self.x.ncols()
    }
}
