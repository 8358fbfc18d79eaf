//! Out-of-core PCA: rows arrive in chunks; only the column means and the d × d scatter matrix
//! are kept, so memory is O(d²) whatever the number of rows.
//!
//! Each chunk's own mean `m_b` and centred scatter `S_b` are merged with Chan, Golub & LeVeque's
//! pairwise update `S ← S + S_b + δδᵀ·n·n_b/(n + n_b)`, `δ = m_b − m`, which avoids the
//! cancellation of accumulating raw sums of squares. The components are the eigenvectors of `S`
//! and `σᵢ = sqrt(λᵢ)`, the same as the exact SVD of the centred data up to sign. (Forming the
//! scatter squares the condition number: singular values below ~`sqrt(ε)·σ₁` lose relative
//! accuracy, which does not affect the leading components.)

use faer::{Mat, MatRef, Side};

use crate::error::{invalid, Error, Result};
use crate::pca::{flip_signs, Method, Pca};

/// `XᵀX`, the lower triangle computed (half the flops of a full product) and mirrored.
fn gram(x: MatRef<'_, f64>) -> Mat<f64> {
    let mut g = Mat::<f64>::zeros(x.ncols(), x.ncols());
    add_lower_gram(&mut g, x);
    mirror_lower(&mut g);
    g
}

/// `(X − 1mᵀ)ᵀ(X − 1mᵀ)`, centred a block of rows at a time into one reused buffer (no centred
/// copy of the whole chunk), the lower triangle accumulated and mirrored.
fn centered_gram(x: MatRef<'_, f64>, mean: &[f64]) -> Mat<f64> {
    const ROWS: usize = 4096;
    let (n, d) = (x.nrows(), x.ncols());
    let mut g = Mat::<f64>::zeros(d, d);
    let mut buf = Mat::<f64>::zeros(ROWS.min(n), d);
    for lo in (0..n).step_by(ROWS) {
        let hi = (lo + ROWS).min(n);
        for (j, m) in mean.iter().enumerate() {
            for (dst, &v) in buf.col_as_slice_mut(j).iter_mut().zip(x.col(j).subrows(lo, hi - lo).iter()) {
                *dst = v - m;
            }
        }
        add_lower_gram(&mut g, buf.as_ref().subrows(0, hi - lo));
    }
    mirror_lower(&mut g);
    g
}

/// `g += cᵀc` on the lower triangle of `g` only.
fn add_lower_gram(g: &mut Mat<f64>, c: MatRef<'_, f64>) {
    use faer::linalg::matmul::triangular::{matmul, BlockStructure};
    matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        faer::Accum::Add,
        c.transpose(),
        BlockStructure::Rectangular,
        c,
        BlockStructure::Rectangular,
        1.0,
        faer::get_global_parallelism(),
    );
}

fn mirror_lower(g: &mut Mat<f64>) {
    for j in 0..g.ncols() {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
}

/// An accumulator of chunks of rows.
#[derive(Debug, Clone)]
pub struct StreamingPca {
    center: bool,
    scale: bool,
    n: usize,
    mean: Vec<f64>,
    scatter: Mat<f64>,
}

impl StreamingPca {
    /// A new accumulator for `d` features.
    pub fn new(d: usize, center: bool) -> Self {
        StreamingPca { center, scale: false, n: 0, mean: vec![0.0; d], scatter: Mat::zeros(d, d) }
    }

    /// Standardise each column by its standard deviation (needs centring): the eigenvectors of
    /// the correlation matrix `D⁻¹ S D⁻¹`, as [`PcaParams::scale`](crate::PcaParams::scale).
    pub fn with_scale(mut self, scale: bool) -> Self {
        self.scale = scale;
        self
    }

    /// Rows seen so far.
    pub fn n_samples(&self) -> usize {
        self.n
    }

    /// Adds a chunk of rows.
    pub fn update(&mut self, chunk: MatRef<'_, f64>) -> Result<()> {
        let d = self.mean.len();
        if chunk.ncols() != d {
            return Err(invalid("chunk", format!("{} columns, expected {d}", chunk.ncols())));
        }
        let nb = chunk.nrows();
        if nb == 0 {
            return Ok(());
        }
        // One pass per column: finite, largest magnitude, sum.
        let mut sums = vec![0.0; d];
        let mut largest = 0.0f64;
        for (j, sum) in sums.iter_mut().enumerate() {
            let col = chunk.col(j);
            for (i, &v) in col.iter().enumerate() {
                if !v.is_finite() {
                    return Err(recon_core::Error::NonFinite {
                        row: i + 1,
                        column: format!("x{j}"),
                        value: v.to_string(),
                    });
                }
                *sum += v;
                largest = largest.max(v.abs());
            }
        }
        if largest > 0.0 {
            if let Err(e @ recon_core::Error::InvalidData { .. }) = recon_core::check_magnitude_value(largest) {
                return Err(e);
            }
        }
        if !self.center {
            self.scatter += gram(chunk);
            self.n += nb;
            return Ok(());
        }
        let mb: Vec<f64> = sums.iter().map(|s| s / nb as f64).collect();
        let sb = centered_gram(chunk, &mb);
        if self.n == 0 {
            self.scatter = sb;
            self.mean = mb;
        } else {
            let (na, nbf) = (self.n as f64, nb as f64);
            let tot = na + nbf;
            let delta: Vec<f64> = mb.iter().zip(&self.mean).map(|(b, a)| b - a).collect();
            let w = na * nbf / tot;
            self.scatter += sb;
            self.scatter += Mat::from_fn(d, d, |i, j| w * delta[i] * delta[j]);
            for (m, dl) in self.mean.iter_mut().zip(&delta) {
                *m += dl * nbf / tot;
            }
        }
        self.n += nb;
        Ok(())
    }

    /// The column means of the rows seen.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The centred scatter matrix `Σ (x − m)(x − m)ᵀ` of the rows seen (uncentred without centring).
    pub fn scatter(&self) -> MatRef<'_, f64> {
        self.scatter.as_ref()
    }

    /// Whether the rows are centred.
    pub fn centered(&self) -> bool {
        self.center
    }

    /// An accumulator holding these sufficient statistics (`n` rows, their `mean`, their
    /// `scatter`, d × d row-major), as another machine or partition computed them.
    pub fn from_parts(n: usize, mean: Vec<f64>, scatter: &[f64], center: bool) -> Result<Self> {
        let d = mean.len();
        if scatter.len() != d * d {
            return Err(invalid("statistics", format!("a scatter of {} values for {d} means", scatter.len())));
        }
        if mean.iter().chain(scatter).any(|v| !v.is_finite()) {
            return Err(invalid("statistics", "non-finite mean or scatter"));
        }
        let scatter = Mat::from_fn(d, d, |i, j| scatter[i * d + j]);
        Ok(StreamingPca { center, scale: false, n, mean: if n == 0 { vec![0.0; d] } else { mean }, scatter })
    }

    /// Adds another accumulator's rows (Chan, Golub & LeVeque's pairwise merge; the order of
    /// merges changes the result only by rounding).
    pub fn merge(&mut self, other: &StreamingPca) -> Result<()> {
        let d = self.mean.len();
        if other.mean.len() != d || other.center != self.center {
            return Err(invalid("statistics", format!("merging {} features into {d}", other.mean.len())));
        }
        if other.n == 0 {
            return Ok(());
        }
        if self.n == 0 {
            self.mean.clone_from(&other.mean);
            self.scatter.clone_from(&other.scatter);
            self.n = other.n;
            return Ok(());
        }
        self.scatter += &other.scatter;
        if self.center {
            let (na, nb) = (self.n as f64, other.n as f64);
            let tot = na + nb;
            let delta: Vec<f64> = other.mean.iter().zip(&self.mean).map(|(b, a)| b - a).collect();
            let w = na * nb / tot;
            self.scatter += Mat::from_fn(d, d, |i, j| w * delta[i] * delta[j]);
            for (m, dl) in self.mean.iter_mut().zip(&delta) {
                *m += dl * nb / tot;
            }
        }
        self.n += other.n;
        Ok(())
    }

    /// Eigendecomposes the scatter and returns a PCA with `k` components (`None`: all).
    pub fn finish(&self, k: Option<usize>) -> Result<Pca> {
        let d = self.mean.len();
        if self.n == 0 {
            return Err(recon_core::Error::Empty { what: "stream".into(), reason: "no rows".into() });
        }
        let max_k = self.n.min(d);
        let k = k.unwrap_or(max_k);
        if k == 0 || k > max_k {
            return Err(invalid(
                "rank",
                format!("{k} components requested; {} rows × {d} columns allow 1..={max_k}", self.n),
            ));
        }
        if self.scale && !self.center {
            return Err(invalid("scale", "standardising needs centring"));
        }
        let dof = self.n as f64;
        let scale: Vec<f64> = if self.scale {
            let var: Vec<f64> = (0..d).map(|j| self.scatter[(j, j)] / dof).collect();
            recon_core::Scaler::from_moments(self.mean.clone(), &var).scale
        } else {
            vec![1.0; d]
        };
        let scatter = Mat::from_fn(d, d, |i, j| self.scatter[(i, j)] / (scale[i] * scale[j]));
        let total_energy: f64 = (0..d).map(|i| scatter[(i, i)]).sum();
        if !(total_energy > 0.0) {
            return Err(recon_core::Error::ZeroVariance);
        }
        let evd =
            scatter.self_adjoint_eigen(Side::Lower).map_err(|_| Error::NoConvergence { what: "eigendecomposition" })?;
        let (u, s) = (evd.U(), evd.S());
        // Eigenvalues ascend; components descend.
        let spectrum: Vec<f64> = (0..max_k).map(|r| s[d - 1 - r].max(0.0).sqrt()).collect();
        let mut vt = Mat::from_fn(k, d, |r, j| u[(j, d - 1 - r)]);
        flip_signs(&mut vt, None);
        Ok(Pca {
            mean: if self.center { self.mean.clone() } else { vec![0.0; d] },
            scale,
            components: vt,
            singular_values: spectrum[..k].to_vec(),
            spectrum,
            total_energy,
            n_samples: self.n,
            centered: self.center,
            method: Method::Streaming,
        })
    }
}
