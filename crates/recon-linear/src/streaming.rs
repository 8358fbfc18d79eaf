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
use crate::pca::{column_means, flip_signs, Method, Pca};

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
        crate::pca::check_finite(chunk, &[])?;
        if let Err(e @ recon_core::Error::InvalidData { .. }) = recon_core::check_magnitude(chunk, &[]) {
            return Err(e);
        }
        if !self.center {
            self.scatter += chunk.transpose() * chunk;
            self.n += nb;
            return Ok(());
        }
        let mb = column_means(chunk);
        let c = Mat::from_fn(nb, d, |i, j| chunk[(i, j)] - mb[j]);
        let sb = c.transpose() * &c;
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
