//! Tensor models as model folders and as row reconstructors.
//!
//! A CP or Tucker model of an `I₀ × I₁ × … × I_{N−1}` tensor factors its mode-0 unfolding as
//! `X₍₀₎ ≈ A · W`: `A` holds the mode-0 factor (`I₀ × R`) and each row of `W` (`R × I₁⋯I_{N−1}`)
//! is one component's pattern over the other modes (CP: `λ_r a_r⁽¹⁾ ∘ … ∘ a_r⁽ᴺ⁻¹⁾`; Tucker: a
//! mode-0 slice of the core multiplied out by the other factors). So a new mode-0 slice —
//! flattened in C order into a row of `I₁⋯I_{N−1}` numbers, columns `x0, x1, …` as a 2-D `.npy`
//! names them — is encoded by least squares onto the rows of `W` and decoded as `a · W`: a
//! [`Reconstruct`] like PCA, and a [`Scorer`] whose per-row error is the squared residual.
//!
//! # Example
//!
//! ```
//! use faer::Mat;
//! use recon_core::{Reconstruct, Scorer};
//! use recon_tensor::{Kruskal, SliceModel};
//! // A rank-1 2 × 2 × 3 tensor: slice i is a_i · (b ∘ c).
//! let k = Kruskal {
//!     weights: vec![2.0],
//!     factors: vec![Mat::from_fn(2, 1, |i, _| [1.0, 3.0][i]), Mat::from_fn(2, 1, |i, _| [1.0, 0.0][i]), Mat::from_fn(3, 1, |_, _| 1.0)],
//! };
//! let m = SliceModel::from_kruskal(&k).unwrap();
//! let row = Mat::from_fn(1, 6, |_, f| if f < 3 { 5.0 } else { 0.0 });
//! assert!((m.encode(row.as_ref()).unwrap()[(0, 0)] - 2.5).abs() < 1e-12);
//! assert!(m.score(row.as_ref(), false).unwrap().errors[0] < 1e-20);
//! ```

use std::path::Path;

use faer::{Mat, MatRef};
use recon_core::model::{save_model, Array, ModelFile, ModelKind};
use recon_core::{ErrorMeasure, Reconstruct, Residuals, ScoreBlock, Scorer};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Error, Result};
use crate::kruskal::{for_each_index, Kruskal};
use crate::select::Fitted;
use crate::tucker::TuckerFit;

/// A tensor model seen along its first mode (see the module documentation).
#[derive(Debug, Clone)]
pub struct SliceModel {
    kind: ModelKind,
    shape: Vec<usize>,
    /// `R × F` component patterns over the modes after the first.
    basis: Mat<f64>,
    /// `F × R` pseudo-inverse of `basis` (least-squares encoder).
    pinv: Mat<f64>,
    columns: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    kind: String,
    version: u32,
    columns: Vec<String>,
    shape: Vec<usize>,
    /// CP: `[R]`; Tucker: the multilinear rank.
    ranks: Vec<usize>,
}

fn factor_name(m: usize) -> String {
    format!("factor_{m}")
}

impl SliceModel {
    /// From a CP model.
    pub fn from_kruskal(k: &Kruskal) -> Result<SliceModel> {
        let shape = k.shape();
        let rest = &shape[1..];
        let f: usize = rest.iter().product();
        let mut basis = Mat::zeros(k.rank(), f);
        let mut col = 0;
        for_each_index(rest, |idx| {
            for r in 0..k.rank() {
                basis[(r, col)] =
                    k.weights[r] * k.factors[1..].iter().zip(idx).map(|(a, &i)| a[(i, r)]).product::<f64>();
            }
            col += 1;
        });
        Self::new(ModelKind::Cp, shape, basis)
    }

    /// From a Tucker model.
    pub fn from_tucker(t: &TuckerFit) -> Result<SliceModel> {
        let shape: Vec<usize> = t.factors.iter().map(|a| a.nrows()).collect();
        let ranks = t.ranks();
        let rest = &shape[1..];
        let f: usize = rest.iter().product();
        let mut basis = Mat::zeros(ranks[0], f);
        let mut pos = 0;
        for_each_index(&ranks, |r| {
            let g = t.core[pos];
            pos += 1;
            if g == 0.0 {
                return;
            }
            let mut col = 0;
            for_each_index(rest, |idx| {
                basis[(r[0], col)] +=
                    g * t.factors[1..].iter().zip(idx).zip(&r[1..]).map(|((a, &i), &q)| a[(i, q)]).product::<f64>();
                col += 1;
            });
        });
        Self::new(ModelKind::Tucker, shape, basis)
    }

    /// From the model a rank search kept.
    pub fn from_fitted(m: &Fitted) -> Result<SliceModel> {
        match m {
            Fitted::Cp(k) => Self::from_kruskal(k),
            Fitted::Tucker(t) => Self::from_tucker(t),
        }
    }

    fn new(kind: ModelKind, shape: Vec<usize>, basis: Mat<f64>) -> Result<SliceModel> {
        if shape.len() < 2 {
            return Err(invalid("tensor", "a slice model needs at least two modes"));
        }
        let pinv = pseudo_inverse(basis.as_ref())?;
        let columns = (0..basis.ncols()).map(|j| format!("x{j}")).collect();
        Ok(SliceModel { kind, shape, basis, pinv, columns })
    }

    /// The tensor's shape (the first mode is the one rows come from).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of components (CP rank, or the Tucker rank of the first mode).
    pub fn rank(&self) -> usize {
        self.basis.nrows()
    }

    /// Saves a fitted CP or Tucker model as a model folder (`model.json`, `model.safetensors`).
    pub fn save_fitted(m: &Fitted, dir: &Path) -> Result<()> {
        let factors = m.factors();
        let shape: Vec<usize> = factors.iter().map(|a| a.nrows()).collect();
        let f: usize = shape[1..].iter().product();
        let (kind, ranks, mut arrays) = match m {
            Fitted::Cp(k) => (
                ModelKind::Cp,
                vec![k.rank()],
                vec![("weights".to_string(), Array { shape: vec![k.rank()], data: k.weights.clone() })],
            ),
            Fitted::Tucker(t) => (
                ModelKind::Tucker,
                t.ranks(),
                vec![("core".to_string(), Array { shape: t.ranks(), data: t.core.clone() })],
            ),
        };
        for (i, a) in factors.iter().enumerate() {
            let data = (0..a.nrows()).flat_map(|r| (0..a.ncols()).map(move |c| a[(r, c)])).collect();
            arrays.push((factor_name(i), Array { shape: vec![a.nrows(), a.ncols()], data }));
        }
        let header = Header {
            kind: kind.as_str().into(),
            version: kind.version(),
            columns: (0..f).map(|j| format!("x{j}")).collect(),
            shape,
            ranks,
        };
        save_model(dir, &header, &arrays)
    }

    /// Loads a model folder written by [`SliceModel::save_fitted`] (the registry's entry point).
    pub fn from_file(file: &mut ModelFile) -> Result<SliceModel> {
        let kind = file.header.kind;
        if !matches!(kind, ModelKind::Cp | ModelKind::Tucker) {
            return Err(file.bad(format!("kind '{kind}' is not a tensor model")));
        }
        let h: Header = file.fields()?;
        let n = h.shape.len();
        let f: usize = h.shape.iter().skip(1).product();
        let ranks_ok = match kind {
            ModelKind::Cp => h.ranks.len() == 1 && h.ranks[0] > 0,
            _ => h.ranks.len() == n && h.ranks.iter().all(|&r| r > 0),
        };
        if n < 2 || h.shape.contains(&0) || !ranks_ok || h.columns.len() != f {
            return Err(file.bad("inconsistent header"));
        }
        let mut factors = Vec::with_capacity(n);
        for (m, &size) in h.shape.iter().enumerate() {
            let r = if kind == ModelKind::Cp { h.ranks[0] } else { h.ranks[m] };
            let v = file.take(&factor_name(m), &[size, r])?;
            factors.push(Mat::from_fn(size, r, |i, c| v[i * r + c]));
        }
        let model = if kind == ModelKind::Cp {
            let weights = file.take("weights", &[h.ranks[0]])?;
            file.finish()?;
            Self::from_kruskal(&Kruskal { weights, factors })?
        } else {
            let core = file.take("core", &h.ranks)?;
            file.finish()?;
            Self::from_tucker(&TuckerFit { core, factors, errors: vec![f64::NAN] })?
        };
        Ok(model)
    }

    fn check(&self, x: MatRef<'_, f64>) -> Result<()> {
        if x.ncols() != self.basis.ncols() {
            return Err(Error::invalid_data(
                "data",
                format!(
                    "{} columns; a slice of the {:?} tensor flattens to {}",
                    x.ncols(),
                    self.shape,
                    self.basis.ncols()
                ),
            ));
        }
        Ok(())
    }
}

/// Moore–Penrose pseudo-inverse of a wide `R × F` matrix (singular values below `ε·σ₁·F` are
/// dropped), `F × R`.
fn pseudo_inverse(w: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let svd =
        w.transpose().to_owned().thin_svd().map_err(|_| Error::NoConvergence { what: "SVD of the slice basis" })?;
    let (u, s, v) = (svd.U(), svd.S(), svd.V());
    let k = s.dim();
    let top = (0..k).map(|i| s[i]).fold(0.0f64, f64::max);
    let cut = top * f64::EPSILON * w.ncols().max(w.nrows()) as f64;
    // wᵀ = U S Vᵀ  ⇒  pinv(w) = (pinv(wᵀ))ᵀ = U S⁻¹ Vᵀ.
    Ok(Mat::from_fn(u.nrows(), v.nrows(), |f, r| {
        (0..k).filter(|&i| s[i] > cut).map(|i| u[(f, i)] * v[(r, i)] / s[i]).sum()
    }))
}

impl Reconstruct for SliceModel {
    type Error = Error;
    /// Least-squares mode-0 loadings of each row.
    fn encode(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check(x)?;
        Ok(x * &self.pinv)
    }
    /// Loadings back to flattened slices.
    fn decode(&self, z: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if z.ncols() != self.rank() {
            return Err(Error::invalid_data(
                "codes",
                format!("{} columns, the model has {} components", z.ncols(), self.rank()),
            ));
        }
        Ok(z * &self.basis)
    }
}

impl Scorer for SliceModel {
    fn name(&self) -> &'static str {
        self.kind.as_str()
    }
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn measure(&self) -> ErrorMeasure {
        ErrorMeasure::SquaredError
    }
    fn score(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock> {
        let xh = self.reconstruct(x)?;
        let r = Residuals::new(x, xh.as_ref());
        let errors = r.row_squared_errors();
        Ok(ScoreBlock::new(errors.clone(), errors).with_residuals(want_residuals.then_some(r)))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
