//! Principal component analysis / truncated SVD.
//!
//! With `Xc = X − 1·μᵀ` (or `Xc = X` when not centring) and the thin SVD `Xc = U Σ Vᵀ`, the
//! components are the rows of `Vᵀ`, `transform(x) = (x − μ) V`, `inverse_transform(z) = z Vᵀ + μ`.
//! Explained variance is `σᵢ² / (n − 1)` (as scikit-learn), its ratio `σᵢ² / ||Xc||²_F`.
//! Signs follow scikit-learn's `svd_flip(u_based_decision=False)`: the largest-magnitude entry
//! of each component is positive.
//!
//! # Example
//! ```
//! use faer::mat;
//! use recon_core::{Dataset, Fit};
//! use recon_linear::PcaParams;
//! # fn main() -> recon_linear::Result<()> {
//! let x = mat![[1.0, 2.0], [2.0, 4.1], [3.0, 5.9], [4.0, 8.0]];
//! let pca = PcaParams::new().n_components(1).fit(&Dataset::from_mat(x))?;
//! assert!(pca.explained_variance_ratio()[0] > 0.99);
//! let curve = pca.error_curve(2)?; // err(0) = 1, err(2) = 0 (Eckart–Young)
//! assert!(curve.at(2) < 1e-12);
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use faer::{Mat, MatRef};
use recon_core::model::{save_model, Array, ModelFile, ModelKind};
use recon_core::ruler::{rank_for_energy, ErrorCurve};
use recon_core::{Dataset, ErrorMeasure, Fit, Named, Reconstruct, Residuals, RowScorer, Scaler, ScoreBlock};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Error, Result};
use crate::mspc::Limits;
use crate::randomized::{randomized_svd, randomized_svd_centered, RandomizedParams};

/// Which algorithm computes the decomposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Full thin SVD (every singular value).
    Exact,
    /// Randomized range finder + small SVD (Halko, Martinsson & Tropp 2011).
    Randomized,
    /// Out-of-core: chunked Gram accumulation + symmetric eigendecomposition.
    Streaming,
    /// Fair PCA: the subspace that minimises the largest group loss ([`crate::FairPcaParams`]).
    Fair,
    /// In memory, tall: one scatter matrix `XᵀX` and its symmetric eigendecomposition
    /// ([`PcaParams::fit_spectrum`]).
    Scatter,
}

/// Unfitted PCA parameters.
#[derive(Debug, Clone)]
pub struct PcaParams {
    n_components: Option<usize>,
    center: bool,
    scale: bool,
    randomized: Option<RandomizedParams>,
}

impl Default for PcaParams {
    fn default() -> Self {
        Self::new()
    }
}

impl PcaParams {
    /// Exact, centred PCA keeping every component.
    pub fn new() -> Self {
        PcaParams { n_components: None, center: true, scale: false, randomized: None }
    }
    /// Keep `k` components (`1 ≤ k ≤ min(n, d)`).
    pub fn n_components(mut self, k: usize) -> Self {
        self.n_components = Some(k);
        self
    }
    recon_core::setters! {
        /// Subtract the column means first (PCA) or not (truncated SVD).
        center: bool;
        /// Divide each column by its standard deviation after centring ([`recon_core::Scaler`]:
        /// denominator n as scikit-learn's `StandardScaler`, constant columns by 1), so that
        /// features in different units weigh the same (a correlation-matrix PCA).
        scale: bool;
    }
    /// Use the randomized solver (needs `n_components`).
    pub fn randomized(mut self, params: RandomizedParams) -> Self {
        self.randomized = Some(params);
        self
    }

    /// Fits with the fewest components whose captured energy `1 − err(k)` reaches `energy`.
    /// The exact solver computes the whole spectrum once; the randomized one doubles k from 8
    /// until the (exactly known) total energy is reached.
    pub fn fit_to_energy(&self, data: &Dataset, energy: f64) -> Result<Pca> {
        if !(energy > 0.0 && energy <= 1.0) {
            return Err(invalid("energy", format!("{energy} is not in (0, 1]")));
        }
        let max_k = data.n_rows().min(data.n_cols());
        let mut k = if self.randomized.is_some() { max_k.min(8) } else { max_k };
        loop {
            let pca = self.clone().n_components(k).fit(data)?;
            let curve = pca.error_curve(k)?;
            if let Some(r) = rank_for_energy(&curve, energy)? {
                return pca.truncate(r.max(1));
            }
            if k == max_k {
                return Ok(pca);
            }
            k = (2 * k).min(max_k);
        }
    }
}

impl PcaParams {
    /// The PCA of `data` for its spectrum — the error-vs-rank curve up to rank `max_rank` — by
    /// the fastest route that keeps the curve accurate.
    ///
    /// A tall matrix (n ≥ 10·d and d ≤ 1000, scikit-learn's rule for its `covariance_eigh`
    /// solver) goes through its scatter matrix: one multithreaded product `XᵀX`, then a d × d
    /// symmetric eigendecomposition ([`Method::Scatter`]). Its eigenvalues are accurate in
    /// absolute terms, to about `(√n + d)·ε` of the total energy, and so is every point of the
    /// curve (a sum of eigenvalues over the total). The guard: when a point below the full rank,
    /// up to `max_rank`, is smaller than 10⁴ times that bound — it would be known to worse than
    /// 10⁻⁴ of itself — the fit falls back to Householder QR + SVD ([`Method::Exact`]), as
    /// [`Fit::fit`] does. Components from the scatter are accurate in the leading directions
    /// only; use [`Fit::fit`] when every component matters. Randomized, fixed-rank or wide
    /// fits are [`Fit::fit`].
    pub fn fit_spectrum(&self, data: &Dataset, max_rank: usize) -> Result<Pca> {
        let (n, d) = (data.n_rows(), data.n_cols());
        let tall = d > 0 && d <= 1000 && n >= 10 * d;
        if !tall || self.randomized.is_some() || self.n_components.is_some() || (self.scale && !self.center) {
            return self.fit(data);
        }
        let mut stream = crate::StreamingPca::new(d, self.center).with_scale(self.scale);
        // The accumulator checks the values itself; its message names the columns by number.
        if let Err(e) = stream.update(data.x.as_ref()) {
            check_finite(data.x.as_ref(), &data.columns)?;
            return Err(e);
        }
        let mut pca = stream.finish(None)?;
        pca.method = Method::Scatter;
        let bound = ((n as f64).sqrt() + d as f64) * f64::EPSILON;
        let mut tail = pca.total_energy;
        for s in pca.spectrum.iter().take(max_rank.min(d - 1)) {
            tail -= s * s;
            if tail / pca.total_energy < 1e4 * bound {
                return self.fit(data);
            }
        }
        Ok(pca)
    }
}

/// Column means of `x`.
pub(crate) fn column_means(x: MatRef<'_, f64>) -> Vec<f64> {
    let n = x.nrows() as f64;
    (0..x.ncols()).map(|j| x.col(j).iter().sum::<f64>() / n).collect()
}

/// Makes the largest-magnitude entry of each row of `vt` positive (flipping the matching column of `u`).
pub(crate) fn flip_signs(vt: &mut Mat<f64>, mut u: Option<&mut Mat<f64>>) {
    for r in 0..vt.nrows() {
        let mut best = 0.0f64;
        for j in 0..vt.ncols() {
            if vt[(r, j)].abs() > best.abs() {
                best = vt[(r, j)];
            }
        }
        if best < 0.0 {
            for j in 0..vt.ncols() {
                vt[(r, j)] = -vt[(r, j)];
            }
            if let Some(u) = u.as_deref_mut() {
                for i in 0..u.nrows() {
                    u[(i, r)] = -u[(i, r)];
                }
            }
        }
    }
}

impl Fit for PcaParams {
    type Object = Pca;
    type Error = Error;

    fn fit(&self, data: &Dataset) -> Result<Pca> {
        let x = data.x.as_ref();
        let (n, d) = (x.nrows(), x.ncols());
        if n == 0 || d == 0 {
            return Err(recon_core::Error::Empty { what: "data".into(), reason: format!("{n} × {d} matrix") });
        }
        check_finite(x, &data.columns)?;
        let max_k = n.min(d);
        let k = self.n_components.unwrap_or(max_k);
        if k == 0 || k > max_k {
            return Err(invalid("rank", format!("{k} components requested; a {n} × {d} matrix allows 1..={max_k}")));
        }
        if self.scale && !self.center {
            return Err(invalid("scale", "standardising needs centring"));
        }
        let mean = if self.center { column_means(x) } else { vec![0.0; d] };
        // The one input scaler of the workspace (population standard deviation, constant columns by 1).
        let scale = if self.scale { Scaler::standardise(x).scale } else { vec![1.0; d] };
        recon_core::check_magnitude(x, &mean)?;
        let standardized = self.scale;
        let xc = if self.randomized.is_some() && !standardized { None } else { Some(centered(x, &mean, &scale)) };
        let total_energy = match &xc {
            Some(xc) => recon_core::squared_norm(xc.as_ref()),
            None => centered_energy(x, &mean),
        };
        if !(total_energy > 0.0) {
            return Err(recon_core::Error::ZeroVariance);
        }
        let (spectrum, mut vt, method) = match &self.randomized {
            None => {
                let (s, v) = singular_values_and_vectors(xc.as_ref().expect("formed for the exact solver"))?;
                let vt = Mat::from_fn(k, d, |r, j| v[(j, r)]);
                (s, vt, Method::Exact)
            }
            Some(p) => {
                let (_, s, vt) = match &xc {
                    Some(xc) => randomized_svd(xc.as_ref(), k, p)?,
                    None => randomized_svd_centered(x, Some(&mean), k, p)?,
                };
                (s, vt, Method::Randomized)
            }
        };
        flip_signs(&mut vt, None);
        Ok(Pca {
            mean,
            scale,
            singular_values: spectrum[..k].to_vec(),
            spectrum,
            components: vt,
            total_energy,
            n_samples: n,
            centered: self.center,
            method,
        })
    }
}

/// `(x − 1μᵀ) ⊘ s`, column by column.
fn centered(x: MatRef<'_, f64>, mean: &[f64], scale: &[f64]) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    for j in 0..x.ncols() {
        let (m, s) = (mean[j], scale[j]);
        for (o, v) in out.col_as_slice_mut(j).iter_mut().zip(x.col(j).iter()) {
            *o = (v - m) / s;
        }
    }
    out
}

/// `||x − 1μᵀ||²_F` without forming the centred matrix.
fn centered_energy(x: MatRef<'_, f64>, mean: &[f64]) -> f64 {
    (0..x.ncols()).map(|j| x.col(j).iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>()).sum()
}

/// Singular values and right singular vectors (d × min(n, d)) of `x`, without forming U.
/// A tall matrix is first reduced by Householder QR (`x = QR`, R is d × d): R has the same
/// singular values and right singular vectors as x, and its SVD is cheap.
fn singular_values_and_vectors(x: &Mat<f64>) -> Result<(Vec<f64>, Mat<f64>)> {
    let (n, d) = (x.nrows(), x.ncols());
    let m = n.min(d);
    let no_conv = |_| Error::NoConvergence { what: "SVD" };
    if n >= 2 * d {
        let r = x.qr().thin_R().to_owned();
        let svd = r.thin_svd().map_err(no_conv)?;
        Ok(((0..m).map(|i| svd.S()[i]).collect(), svd.V().to_owned()))
    } else {
        let svd = x.thin_svd().map_err(no_conv)?;
        Ok(((0..m).map(|i| svd.S()[i]).collect(), svd.V().to_owned()))
    }
}

pub(crate) fn check_finite(x: MatRef<'_, f64>, columns: &[String]) -> Result<()> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            if !x[(i, j)].is_finite() {
                return Err(recon_core::Error::NonFinite {
                    row: i + 1,
                    column: columns.get(j).cloned().unwrap_or_else(|| format!("x{j}")),
                    value: x[(i, j)].to_string(),
                });
            }
        }
    }
    Ok(())
}

/// A fitted PCA / truncated SVD.
#[derive(Debug, Clone)]
pub struct Pca {
    pub(crate) mean: Vec<f64>,
    /// Column divisors (ones when not scaled).
    pub(crate) scale: Vec<f64>,
    /// k × d, rows are components.
    pub(crate) components: Mat<f64>,
    pub(crate) singular_values: Vec<f64>,
    /// Every singular value the solver computed (exact: min(n, d); others: k).
    pub(crate) spectrum: Vec<f64>,
    pub(crate) total_energy: f64,
    pub(crate) n_samples: usize,
    pub(crate) centered: bool,
    pub(crate) method: Method,
}

impl Pca {
    /// Components, one per row (k × d).
    pub fn components(&self) -> MatRef<'_, f64> {
        self.components.as_ref()
    }
    /// Number of components kept.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }
    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.components.ncols()
    }
    /// Number of samples fitted.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }
    /// Column means subtracted before projection (zeros when not centred).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Column divisors applied after centring (ones when not scaled).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }
    /// Whether the data were centred.
    pub fn centered(&self) -> bool {
        self.centered
    }
    /// The solver that produced the fit.
    pub fn method(&self) -> Method {
        self.method
    }
    /// Singular values of the kept components.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }
    /// Every singular value computed (the full spectrum for the exact solver).
    pub fn spectrum(&self) -> &[f64] {
        &self.spectrum
    }
    /// `||Xc||²_F` of the fitted data.
    pub fn total_energy(&self) -> f64 {
        self.total_energy
    }
    /// `σᵢ² / (n − 1)` for each kept component (scikit-learn's convention; `σᵢ²` when n = 1).
    pub fn explained_variance(&self) -> Vec<f64> {
        let dof = (self.n_samples.max(2) - 1) as f64;
        self.singular_values.iter().map(|s| s * s / dof).collect()
    }
    /// `σᵢ² / ||Xc||²_F` for each kept component.
    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        self.singular_values.iter().map(|s| s * s / self.total_energy).collect()
    }
    /// The relative squared error curve for ranks `0..=max_rank` (Eckart–Young).
    pub fn error_curve(&self, max_rank: usize) -> Result<ErrorCurve> {
        ErrorCurve::from_spectrum(&self.spectrum, self.total_energy, max_rank)
    }
    /// Numbers stored by the model and codes (`k·(n + d + 1)`, plus `d` for the mean) against `n·d`.
    pub fn compression_ratio(&self) -> f64 {
        let (n, d, k) = (self.n_samples, self.n_features(), self.n_components());
        let stored = k * (n + d + 1) + if self.centered { d } else { 0 };
        (n * d) as f64 / stored as f64
    }
    /// The same fit keeping only the first `k` components.
    pub fn truncate(&self, k: usize) -> Result<Pca> {
        if k == 0 || k > self.n_components() {
            return Err(invalid("rank", format!("{k} is not in 1..={}", self.n_components())));
        }
        let d = self.n_features();
        Ok(Pca {
            components: Mat::from_fn(k, d, |r, j| self.components[(r, j)]),
            singular_values: self.singular_values[..k].to_vec(),
            ..self.clone()
        })
    }

    #[track_caller]
    fn check_width(&self, x: MatRef<'_, f64>) -> Result<()> {
        if x.ncols() != self.n_features() {
            return Err(invalid("data", format!("{} columns, the model has {}", x.ncols(), self.n_features())));
        }
        Ok(())
    }

    /// `(x − μ) V` (n × k).
    pub fn transform(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_width(x)?;
        let xc = Mat::from_fn(x.nrows(), x.ncols(), |i, j| (x[(i, j)] - self.mean[j]) / self.scale[j]);
        Ok(&xc * self.components.transpose())
    }
    /// `z Vᵀ + μ` (n × d).
    pub fn inverse_transform(&self, z: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if z.ncols() != self.n_components() {
            return Err(invalid(
                "codes",
                format!("{} columns, the model has {} components", z.ncols(), self.n_components()),
            ));
        }
        let mut x = z * &self.components;
        for j in 0..x.ncols() {
            for v in x.col_as_slice_mut(j) {
                *v = *v * self.scale[j] + self.mean[j];
            }
        }
        Ok(x)
    }
    /// Residuals `x − x̂` of `x` under this model.
    pub fn residuals(&self, x: MatRef<'_, f64>) -> Result<Residuals> {
        let xh = self.reconstruct(x)?;
        Ok(Residuals::new(x, xh.as_ref()))
    }
    /// `(||(x − x̂) ⊘ s||²_F, ||(x − μ) ⊘ s||²_F)` for `x̂ = reconstruct(x)`: the squared error and the energy of `x` in the
    /// model's own (centred, scaled) coordinates, whose ratio is the relative squared error. Sums
    /// over chunks add up, so a file can be measured in pieces.
    #[track_caller]
    pub fn squared_error_and_energy(&self, x: MatRef<'_, f64>, xh: MatRef<'_, f64>) -> (f64, f64) {
        assert_eq!((x.nrows(), x.ncols()), (xh.nrows(), xh.ncols()), "x and its reconstruction differ in shape");
        assert_eq!(x.ncols(), self.n_features(), "x has the model's columns");
        let (mut err, mut energy) = (0.0, 0.0);
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                err += ((x[(i, j)] - xh[(i, j)]) / self.scale[j]).powi(2);
                energy += ((x[(i, j)] - self.mean[j]) / self.scale[j]).powi(2);
            }
        }
        (err, energy)
    }
    /// Squared reconstruction error of each row.
    pub fn row_errors(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        Ok(self.residuals(x)?.row_squared_errors())
    }
    /// Squared reconstruction error of each column.
    pub fn col_errors(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        Ok(self.residuals(x)?.col_squared_errors())
    }

    /// Saves the model as `model.safetensors` + `model.json` in `dir`.
    pub fn save(&self, dir: &Path, columns: &[String]) -> Result<()> {
        self.save_with_limits(dir, columns, None)
    }

    pub(crate) fn save_with_limits(&self, dir: &Path, columns: &[String], limits: Option<Limits>) -> Result<()> {
        let (k, d) = (self.n_components(), self.n_features());
        assert_eq!(columns.len(), d, "one name per feature");
        let header = PcaHeader {
            kind: KIND.into(),
            version: ModelKind::Pca.version(),
            method: self.method,
            columns: columns.to_vec(),
            n_components: k,
            n_samples: self.n_samples,
            centered: self.centered,
            total_energy: self.total_energy,
            spectrum_len: self.spectrum.len(),
            limits,
        };
        let comps: Vec<f64> =
            (0..k).flat_map(|r| (0..d).map(move |j| (r, j))).map(|(r, j)| self.components[(r, j)]).collect();
        let arrays = [
            ("components", Array { shape: vec![k, d], data: comps }),
            ("singular_values", Array { shape: vec![k], data: self.singular_values.clone() }),
            ("spectrum", Array { shape: vec![self.spectrum.len()], data: self.spectrum.clone() }),
            ("mean", Array { shape: vec![d], data: self.mean.clone() }),
            ("scale", Array { shape: vec![d], data: self.scale.clone() }),
        ];
        save_model(dir, &header, &arrays)
    }

    /// Loads a model saved by [`Pca::save`]; returns it with its column names.
    pub fn load(dir: &Path) -> Result<(Pca, Vec<String>)> {
        let (pca, columns, _) = Self::load_with_limits(dir)?;
        Ok((pca, columns))
    }

    pub(crate) fn load_with_limits(dir: &Path) -> Result<(Pca, Vec<String>, Option<Limits>)> {
        Self::from_file(&mut ModelFile::open(dir)?)
    }

    /// Builds the model from an opened model folder (the registry's entry point): the model,
    /// its column names and the control limits when the folder holds a PCA monitor.
    pub fn from_file(file: &mut ModelFile) -> Result<(Pca, Vec<String>, Option<Limits>)> {
        file.expect_kind(ModelKind::Pca)?;
        let h: PcaHeader = file.fields()?;
        let (k, d) = (h.n_components, h.columns.len());
        if k == 0 || d == 0 || k > d || h.spectrum_len < k || !(h.total_energy > 0.0) {
            return Err(file.bad("inconsistent header"));
        }
        let comps = file.take("components", &[k, d])?;
        let singular_values = file.take("singular_values", &[k])?;
        let spectrum = file.take("spectrum", &[h.spectrum_len])?;
        let mean = file.take("mean", &[d])?;
        let scale = file.take("scale", &[d])?;
        file.finish()?;
        if scale.iter().any(|s| *s <= 0.0) {
            return Err(file.bad("array 'scale' holds a non-positive divisor"));
        }
        let pca = Pca {
            mean,
            scale,
            components: Mat::from_fn(k, d, |r, j| comps[r * d + j]),
            singular_values,
            spectrum,
            total_energy: h.total_energy,
            n_samples: h.n_samples,
            centered: h.centered,
            method: h.method,
        };
        Ok((pca, h.columns, h.limits))
    }

    /// `‖(x − x̂) ⊘ s‖²` of each row: the squared error in the model's own (scaled) coordinates,
    /// and the residuals `(x − x̂) ⊘ s` when asked for.
    pub fn scaled_row_errors(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<(Vec<f64>, Option<Mat<f64>>)> {
        let xh = self.reconstruct(x)?;
        let r = Mat::from_fn(x.nrows(), x.ncols(), |i, j| (x[(i, j)] - xh[(i, j)]) / self.scale[j]);
        let mut errors = vec![0.0; x.nrows()];
        for j in 0..r.ncols() {
            for (e, v) in errors.iter_mut().zip(r.col_as_slice(j)) {
                *e += v * v;
            }
        }
        Ok((errors, want_residuals.then_some(r)))
    }
}

/// A PCA model with the column names it was fitted on: what a `recon compress` folder loads as,
/// scored by the squared reconstruction error of each row (no threshold).
pub type PcaScorer = Named<Pca>;

impl RowScorer for Pca {
    const NAME: &'static str = "pca";
    const MEASURE: ErrorMeasure = ErrorMeasure::SquaredError;
    fn score_rows(&self, x: MatRef<'_, f64>, want_residuals: bool) -> Result<ScoreBlock> {
        let (errors, r) = self.scaled_row_errors(x, want_residuals)?;
        Ok(ScoreBlock::new(errors.clone(), errors).with_residuals(r.map(Residuals::from_matrix)))
    }
}

const KIND: &str = "pca";

#[derive(Serialize, Deserialize)]
struct PcaHeader {
    kind: String,
    version: u32,
    method: Method,
    columns: Vec<String>,
    n_components: usize,
    n_samples: usize,
    centered: bool,
    total_energy: f64,
    spectrum_len: usize,
    /// Control limits, for a PCA monitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limits: Option<Limits>,
}

impl Reconstruct for Pca {
    type Error = Error;
    fn encode(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.transform(x)
    }
    fn decode(&self, z: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.inverse_transform(z)
    }
}
