//! Kruskal (CP) tensors: `X̂ = Σ_r λ_r a_r^(1) ∘ a_r^(2) ∘ … ∘ a_r^(N)`.

use faer::Mat;

/// Weights and one factor matrix per mode (`I_m × R`, unit-norm columns after normalisation).
#[derive(Debug, Clone)]
pub struct Kruskal {
    /// λ, one per component.
    pub weights: Vec<f64>,
    /// Factor matrices, `factors[m]` is `I_m × R`.
    pub factors: Vec<Mat<f64>>,
}

impl Kruskal {
    /// Number of components.
    pub fn rank(&self) -> usize {
        self.weights.len()
    }

    /// Size of each mode.
    pub fn shape(&self) -> Vec<usize> {
        self.factors.iter().map(|f| f.nrows()).collect()
    }

    /// The model value at one index.
    pub fn value_at(&self, idx: &[usize]) -> f64 {
        (0..self.rank())
            .map(|r| self.weights[r] * self.factors.iter().zip(idx).map(|(f, &i)| f[(i, r)]).product::<f64>())
            .sum()
    }

    /// `||X̂||²_F = λᵀ (⊛_m A_mᵀA_m) λ`.
    pub fn norm_sq(&self) -> f64 {
        let r = self.rank();
        let h = self.hadamard_grams(None);
        (0..r).map(|i| (0..r).map(|j| self.weights[i] * h[(i, j)] * self.weights[j]).sum::<f64>()).sum()
    }

    /// `⊛_{m≠skip} A_mᵀA_m` (all modes when `skip` is `None`).
    pub(crate) fn hadamard_grams(&self, skip: Option<usize>) -> Mat<f64> {
        let r = self.rank();
        let mut h = Mat::<f64>::from_fn(r, r, |_, _| 1.0);
        for (m, f) in self.factors.iter().enumerate() {
            if Some(m) != skip {
                let g = f.transpose() * f;
                h = Mat::from_fn(r, r, |i, j| h[(i, j)] * g[(i, j)]);
            }
        }
        h
    }

    /// Every entry, C order.
    pub fn full(&self) -> Vec<f64> {
        let shape = self.shape();
        let mut out = Vec::with_capacity(shape.iter().product());
        for_each_index(&shape, |idx| out.push(self.value_at(idx)));
        out
    }

    /// Scales every column to unit norm, moving the norms into λ.
    pub fn normalize(&mut self) {
        for f in &mut self.factors {
            for r in 0..f.ncols() {
                let n = f.col(r).norm_l2();
                if n > 0.0 {
                    f.col_as_slice_mut(r).iter_mut().for_each(|v| *v /= n);
                    self.weights[r] *= n;
                }
            }
        }
    }
}

/// Calls `f` with every multi-index of `shape` in C order.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    let total: usize = shape.iter().product();
    if total == 0 {
        return;
    }
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..total {
        f(&idx);
        for m in (0..shape.len()).rev() {
            idx[m] += 1;
            if idx[m] < shape[m] {
                break;
            }
            idx[m] = 0;
        }
    }
}
