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

    /// Indices of the columns that do not vary (by [`crate::Scaler`]'s rule: spread ≤ 1e-12 of
    /// their magnitude): a model must centre them but never divide by their zero spread.
    pub fn constant_column_indices(&self) -> Vec<usize> {
        crate::Scaler::standardise(self.x.as_ref()).constant
    }

    /// Names of the columns [`Dataset::constant_column_indices`] finds.
    pub fn constant_columns(&self) -> Vec<String> {
        self.constant_column_indices().into_iter().map(|j| self.columns[j].clone()).collect()
    }

    /// Indices of the columns that are zero in every row (genes never seen, in a count table).
    pub fn zero_column_indices(&self) -> Vec<usize> {
        (0..self.x.ncols()).filter(|&j| self.x.col(j).iter().all(|&v| v == 0.0)).collect()
    }

    /// The same rows with only the columns `keep`, in that order (labels and groups kept).
    pub fn select_columns(&self, keep: &[usize]) -> Dataset {
        Dataset {
            x: Mat::from_fn(self.x.nrows(), keep.len(), |i, c| self.x[(i, keep[c])]),
            columns: keep.iter().map(|&j| self.columns[j].clone()).collect(),
            labels: self.labels.clone(),
            groups: self.groups.clone(),
        }
    }

    /// The rows `keep`, in that order, with their labels and groups.
    pub fn select_rows(&self, keep: &[usize]) -> Dataset {
        let pick = |v: &Option<Vec<String>>| v.as_ref().map(|v| keep.iter().map(|&i| v[i].clone()).collect());
        Dataset {
            x: Mat::from_fn(keep.len(), self.x.ncols(), |r, j| self.x[(keep[r], j)]),
            columns: self.columns.clone(),
            labels: pick(&self.labels),
            groups: pick(&self.groups),
        }
    }
}

/// Rows grouped by a name per row: the distinct names in sorted order, each row's group and each
/// group's rows. The one place group columns are turned into indices (audits, fair PCA,
/// group-robust training).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupIndex {
    /// Distinct names, sorted.
    pub names: Vec<String>,
    /// The index in `names` of every row's group.
    pub of_row: Vec<usize>,
    /// The rows of each group, ascending.
    pub rows: Vec<Vec<usize>>,
}

impl GroupIndex {
    /// Indexes one group name per row.
    pub fn new(groups: &[String]) -> GroupIndex {
        let mut names: Vec<String> = groups.to_vec();
        names.sort_unstable();
        names.dedup();
        let of_row: Vec<usize> = groups.iter().map(|g| names.binary_search(g).expect("every name is listed")).collect();
        let mut rows = vec![Vec::new(); names.len()];
        for (i, &g) in of_row.iter().enumerate() {
            rows[g].push(i);
        }
        GroupIndex { names, of_row, rows }
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no groups (no rows).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The mean of `values` (one per row) within each group.
    pub fn means(&self, values: &[f64]) -> Vec<f64> {
        self.rows.iter().map(|r| r.iter().map(|&i| values[i]).sum::<f64>() / r.len() as f64).collect()
    }
}
