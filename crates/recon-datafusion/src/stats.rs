//! PCA's sufficient statistics as a value: what `recon_pca_stats` returns (JSON) and what a
//! monitor or an error-vs-rank curve is finished from.

use recon_linear::StreamingPca;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The count, column means and centred scatter matrix of a set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaStats {
    /// Rows summarised.
    pub n: usize,
    /// Rows skipped for holding a null or a non-finite value.
    pub skipped: u64,
    /// Column means.
    pub mean: Vec<f64>,
    /// `Σ (x − mean)(x − mean)ᵀ`, d × d, row-major.
    pub scatter: Vec<f64>,
}

impl PcaStats {
    /// The statistics an accumulator holds.
    pub fn of(s: &StreamingPca, skipped: u64) -> Self {
        let d = s.mean().len();
        let sc = s.scatter();
        PcaStats {
            n: s.n_samples(),
            skipped,
            mean: s.mean().to_vec(),
            scatter: (0..d * d).map(|k| sc[(k / d, k % d)]).collect(),
        }
    }

    /// Parses what `recon_pca_stats` returned.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Engine(format!("not the output of recon_pca_stats ({e})")))
    }

    /// The columns (indices) with no spread, by the rule the in-memory scaler uses
    /// ([`recon_core::Scaler::from_moments`]): a standardising fit centres them but leaves
    /// them unscaled.
    pub fn constant_columns(&self) -> Vec<usize> {
        let d = self.mean.len();
        let n = self.n.max(1) as f64;
        let var: Vec<f64> = (0..d).map(|j| self.scatter[j * d + j] / n).collect();
        recon_core::Scaler::from_moments(self.mean.clone(), &var).constant
    }

    /// The accumulator holding these statistics (centred).
    pub fn to_stream(&self) -> Result<StreamingPca> {
        self.to_stream_centered(true)
    }

    /// The accumulator for a centred PCA, or (`center` false) for the truncated SVD of the raw
    /// rows, whose scatter is `S + n·m·mᵀ`.
    pub fn to_stream_centered(&self, center: bool) -> Result<StreamingPca> {
        if center {
            return Ok(StreamingPca::from_parts(self.n, self.mean.clone(), &self.scatter, true)?);
        }
        let d = self.mean.len();
        let n = self.n as f64;
        let raw: Vec<f64> = (0..d * d).map(|k| self.scatter[k] + n * self.mean[k / d] * self.mean[k % d]).collect();
        Ok(StreamingPca::from_parts(self.n, vec![0.0; d], &raw, false)?)
    }
}

#[cfg(test)]
mod tests {
    use faer::Mat;
    use recon_linear::StreamingPca;

    use super::PcaStats;

    /// Statistics merged from parts, as the aggregate merges partitions: a column that holds
    /// one value everywhere (0.1, not exact in binary) is constant by the in-memory rule, the
    /// others are not, whatever rounding the merges leave in its scatter (here about 3e-28, not 0).
    #[test]
    fn constant_columns_follow_the_in_memory_rule_after_merges() {
        let rows = |start: usize, n: usize| {
            Mat::from_fn(n, 3, |i, j| match j {
                0 => ((start + i) as f64 * 0.37).sin(),
                1 => 0.1,
                _ => 1e-6 * ((start + i) as f64 * 1.3).cos(),
            })
        };
        let mut total = StreamingPca::new(3, true);
        for (start, n) in [(0, 700), (700, 333), (1033, 1)] {
            let mut part = StreamingPca::new(3, true);
            part.update(rows(start, n).as_ref()).unwrap();
            total.merge(&part).unwrap();
        }
        let stats = PcaStats::of(&total, 0);
        let data = recon_core::Dataset::from_mat(rows(0, 1034));
        assert_eq!(stats.constant_columns(), data.constant_column_indices());
        assert_eq!(stats.constant_columns(), vec![1]);
    }
}
