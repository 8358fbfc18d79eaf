//! Diagnosis from the direction of the residual vector.
//!
//! A fault pushes the data off the normal manifold in its own direction: a load step lowers the
//! speed, a current-sensor bias raises the current reading. Each residual vector `r` (data minus
//! reconstruction, in the model's feature units) is standardised by the spread of residuals on
//! normal data, `u = r ⊘ s`, and normalised to a direction `d = u / ||u||`. A fault *signature* is
//! the mean direction of the alarmed residuals of a labelled fault episode (renormalised); a new
//! alarm is matched to the signature of highest cosine similarity `dᵀ sₖ`, and called "unknown"
//! when even the best similarity is below a floor. The variables with the largest `|uⱼ|` are
//! reported as the contributors.
//!
//! Libraries are JSON (see [`SignatureLibrary`]) so that a signature can also be written by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Format version of a signature file.
pub const SIGNATURES_VERSION: u32 = 1;

/// One fault signature: a unit direction in the standardised residual space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The fault's name.
    pub fault: String,
    /// Unit vector, one entry per feature.
    pub direction: Vec<f64>,
    /// How many alarmed rows it was learned from (0 when written by hand).
    #[serde(default)]
    pub n_rows: usize,
}

/// A signature library with the normal residual spread it standardises by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureLibrary {
    /// File format version.
    pub version: u32,
    /// Feature names, in the model's order.
    pub features: Vec<String>,
    /// Standard deviation of each feature's residual on normal data.
    pub spread: Vec<f64>,
    /// Similarity below which an alarm is called "unknown".
    pub floor: f64,
    /// Optional whitening matrix (d × d, row-major): when present, directions are taken of
    /// `W r` (the residual decorrelated by the inverse square root of the normal residual
    /// covariance) instead of `r ⊘ spread`, so that directions normal noise already moves along
    /// count for less.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whitening: Option<Vec<f64>>,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

/// The diagnosis of one alarmed row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// Best-matching fault, or `None` for "unknown".
    pub fault: Option<String>,
    /// Cosine similarity to the best signature.
    pub similarity: f64,
    /// Every signature's similarity, best first.
    pub candidates: Vec<(String, f64)>,
    /// Feature indices by decreasing `|standardised residual|`.
    pub contributors: Vec<usize>,
}

/// The standardised residual `r ⊘ spread` and its unit direction (`None` for a zero vector).
pub fn direction(residual: &[f64], spread: &[f64]) -> (Vec<f64>, Option<Vec<f64>>) {
    let u: Vec<f64> = residual.iter().zip(spread).map(|(r, s)| r / s).collect();
    let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
    let d = (norm > 0.0 && norm.is_finite()).then(|| u.iter().map(|v| v / norm).collect());
    (u, d)
}

/// Standard deviation of each feature's residual over the rows of `residuals` (normal data);
/// a zero spread (a feature reconstructed exactly) is replaced by the smallest positive one.
pub fn residual_spread(residuals: &[Vec<f64>]) -> Result<Vec<f64>> {
    if residuals.len() < 2 {
        return Err(Error::Empty {
            what: "normal rows".into(),
            reason: "at least two normal rows are needed to measure the residual spread".into(),
        });
    }
    let d = residuals[0].len();
    let n = residuals.len() as f64;
    let mut spread: Vec<f64> = (0..d)
        .map(|j| {
            let mean = residuals.iter().map(|r| r[j]).sum::<f64>() / n;
            (residuals.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        })
        .collect();
    let min_pos = spread.iter().copied().filter(|s| *s > 0.0).fold(f64::INFINITY, f64::min);
    if !min_pos.is_finite() {
        return Err(Error::ZeroVariance);
    }
    for s in &mut spread {
        if !(*s > 0.0) {
            *s = min_pos;
        }
    }
    Ok(spread)
}

impl SignatureLibrary {
    /// Learns one signature per fault label from the residuals of labelled rows: `spread` from
    /// the rows labelled `normal_label`, each fault's direction from its *alarmed* rows. The
    /// floor is set so that `floor_quantile` of the training rows of each fault would still be
    /// recognised (never above `max_floor`).
    pub fn learn(
        features: Vec<String>,
        residuals: &[Vec<f64>],
        labels: &[String],
        alarms: &[bool],
        normal_label: &str,
        floor: Option<f64>,
        whiten: bool,
    ) -> Result<SignatureLibrary> {
        if residuals.len() != labels.len() || residuals.len() != alarms.len() {
            return Err(Error::invalid("labels", "one label and one alarm per row are needed"));
        }
        let normal: Vec<Vec<f64>> =
            residuals.iter().zip(labels).filter(|(_, l)| l.as_str() == normal_label).map(|(r, _)| r.clone()).collect();
        let spread = residual_spread(&normal)?;
        let whitening = if whiten { Some(whitening_matrix(&normal, &spread)?) } else { None };
        let mut lib = SignatureLibrary {
            version: SIGNATURES_VERSION,
            features,
            spread,
            floor: 0.0,
            whitening,
            signatures: vec![],
        };
        let mut sums: BTreeMap<&str, (Vec<f64>, usize)> = BTreeMap::new();
        for ((r, l), &a) in residuals.iter().zip(labels).zip(alarms) {
            if l == normal_label || !a {
                continue;
            }
            if let (_, Some(d)) = lib.unit(r) {
                let e = sums.entry(l.as_str()).or_insert_with(|| (vec![0.0; d.len()], 0));
                e.0.iter_mut().zip(&d).for_each(|(s, v)| *s += v);
                e.1 += 1;
            }
        }
        if sums.is_empty() {
            return Err(Error::Empty {
                what: "fault episodes".into(),
                reason: format!("no alarmed row carries a fault label other than '{normal_label}'"),
            });
        }
        lib.signatures = sums
            .into_iter()
            .filter_map(|(name, (sum, n))| {
                let norm = sum.iter().map(|v| v * v).sum::<f64>().sqrt();
                (norm > 0.0).then(|| Signature {
                    fault: name.to_string(),
                    direction: sum.iter().map(|v| v / norm).collect(),
                    n_rows: n,
                })
            })
            .collect();
        lib.floor = match floor {
            Some(f) => f,
            None => lib.calibrated_floor(residuals, labels, alarms, normal_label),
        };
        lib.validate()?;
        Ok(lib)
    }

    /// The standardised residual `r ⊘ spread` (for contributors) and the unit direction that
    /// signatures are matched in (whitened when the library carries a whitening matrix).
    pub fn unit(&self, r: &[f64]) -> (Vec<f64>, Option<Vec<f64>>) {
        let (u, d) = direction(r, &self.spread);
        match &self.whitening {
            None => (u, d),
            Some(w) => {
                let n = r.len();
                let v: Vec<f64> = (0..n).map(|i| (0..n).map(|j| w[i * n + j] * r[j]).sum()).collect();
                let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                let d = (norm > 0.0 && norm.is_finite()).then(|| v.iter().map(|x| x / norm).collect());
                (u, d)
            }
        }
    }

    /// Cosine similarity of every pair of signatures, most similar first: pairs near 1 cannot be
    /// told apart by this model.
    pub fn confusable_pairs(&self) -> Vec<(String, String, f64)> {
        let mut out = Vec::new();
        for (a, sa) in self.signatures.iter().enumerate() {
            for sb in &self.signatures[a + 1..] {
                out.push((sa.fault.clone(), sb.fault.clone(), dot(&sa.direction, &sb.direction)));
            }
        }
        out.sort_by(|x, y| y.2.total_cmp(&x.2));
        out
    }

    /// How the library names the alarmed rows of each labelled fault (typically the rows it was
    /// learned from): `(fault, called, share)` for every name a fault's rows receive, "unknown"
    /// included, sorted by fault then by share (largest first). Two signatures can point in
    /// similar directions and still be told apart when the rows scatter tightly around each
    /// (whitened residuals often do); this measures the confusion itself.
    pub fn confusion(
        &self,
        residuals: &[Vec<f64>],
        labels: &[String],
        alarms: &[bool],
        normal: &str,
    ) -> Vec<(String, String, f64)> {
        let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
        let mut totals: std::collections::BTreeMap<String, usize> = Default::default();
        for ((r, l), &a) in residuals.iter().zip(labels).zip(alarms) {
            if l == normal || !a || !self.signatures.iter().any(|s| &s.fault == l) {
                continue;
            }
            let called = self.diagnose(r).fault.unwrap_or_else(|| "unknown".into());
            *counts.entry((l.clone(), called)).or_default() += 1;
            *totals.entry(l.clone()).or_default() += 1;
        }
        let mut out: Vec<(String, String, f64)> =
            counts.into_iter().map(|((f, c), n)| (f.clone(), c, n as f64 / totals[&f] as f64)).collect();
        out.sort_by(|x, y| x.0.cmp(&y.0).then(y.2.total_cmp(&x.2)));
        out
    }

    /// The default floor: the 5th percentile of the similarity of each training fault row to its
    /// own signature, taken over all faults, clamped to [0.5, 0.95].
    fn calibrated_floor(&self, residuals: &[Vec<f64>], labels: &[String], alarms: &[bool], normal: &str) -> f64 {
        let mut own: Vec<f64> = Vec::new();
        for ((r, l), &a) in residuals.iter().zip(labels).zip(alarms) {
            if l == normal || !a {
                continue;
            }
            if let (Some(sig), (_, Some(d))) = (self.signatures.iter().find(|s| &s.fault == l), self.unit(r)) {
                own.push(dot(&d, &sig.direction));
            }
        }
        own.sort_by(f64::total_cmp);
        let q = own.get(own.len() / 20).copied().unwrap_or(0.8);
        q.clamp(0.5, 0.95)
    }

    /// Checks a library (read from a file or built by hand).
    pub fn validate(&self) -> Result<()> {
        let d = self.features.len();
        if self.version != SIGNATURES_VERSION {
            return Err(Error::invalid(
                "signatures",
                format!("version {} (expected {SIGNATURES_VERSION})", self.version),
            ));
        }
        if d == 0 || self.spread.len() != d || self.spread.iter().any(|s| !(*s > 0.0 && s.is_finite())) {
            return Err(Error::invalid("signatures", "spread needs one positive value per feature"));
        }
        if !(-1.0..=1.0).contains(&self.floor) {
            return Err(Error::invalid("signatures", format!("floor {} is not in [-1, 1]", self.floor)));
        }
        if self.signatures.is_empty() {
            return Err(Error::invalid("signatures", "the library holds no signature"));
        }
        if let Some(w) = &self.whitening {
            if w.len() != d * d || w.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid("signatures", format!("whitening needs {d}×{d} finite values")));
            }
        }
        for s in &self.signatures {
            let norm = s.direction.iter().map(|v| v * v).sum::<f64>().sqrt();
            if s.direction.len() != d || !(norm > 0.0 && norm.is_finite()) {
                return Err(Error::invalid(
                    "signatures",
                    format!("signature '{}' needs {d} finite values, not all zero", s.fault),
                ));
            }
        }
        Ok(())
    }

    /// Normalises hand-written directions to unit length.
    pub fn normalised(mut self) -> Self {
        for s in &mut self.signatures {
            let norm = s.direction.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                s.direction.iter_mut().for_each(|v| *v /= norm);
            }
        }
        self
    }

    /// Diagnoses one residual vector.
    pub fn diagnose(&self, residual: &[f64]) -> Diagnosis {
        let (u, d) = self.unit(residual);
        let mut contributors: Vec<usize> = (0..u.len()).collect();
        contributors.sort_by(|&a, &b| u[b].abs().total_cmp(&u[a].abs()));
        let Some(d) = d else {
            return Diagnosis { fault: None, similarity: 0.0, candidates: Vec::new(), contributors };
        };
        let mut candidates: Vec<(String, f64)> =
            self.signatures.iter().map(|s| (s.fault.clone(), dot(&d, &s.direction))).collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (best, similarity) = candidates[0].clone();
        let fault = (similarity >= self.floor).then_some(best);
        Diagnosis { fault, similarity, candidates, contributors }
    }
}

/// A run of alarms diagnosed as one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Episode {
    /// First alarmed row.
    pub start: usize,
    /// Last alarmed row.
    pub end: usize,
    /// The most frequent diagnosis among its alarmed rows (`None` = "unknown").
    pub fault: Option<String>,
    /// The share of its alarmed rows carrying that diagnosis.
    pub share: f64,
    /// Alarmed rows in the episode.
    pub n_alarms: usize,
}

/// Groups alarmed rows into episodes (alarm runs separated by at most `gap` quiet rows) and
/// names each by majority vote of its rows' diagnoses (`faults[i]` is read only where
/// `alarms[i]`; `None` = "unknown"). Ties go to the diagnosis seen first.
pub fn episodes(alarms: &[bool], faults: &[Option<String>], gap: usize) -> Vec<Episode> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < alarms.len() {
        if !alarms[i] {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < alarms.len() && j <= end + gap + 1 {
            if alarms[j] {
                end = j;
            }
            j += 1;
        }
        let mut votes: Vec<(Option<String>, usize)> = Vec::new();
        for r in start..=end {
            if alarms[r] {
                match votes.iter_mut().find(|(f, _)| *f == faults[r]) {
                    Some(v) => v.1 += 1,
                    None => votes.push((faults[r].clone(), 1)),
                }
            }
        }
        let n_alarms: usize = votes.iter().map(|v| v.1).sum();
        let best = votes.iter().fold(&votes[0], |b, v| if v.1 > b.1 { v } else { b });
        out.push(Episode { start, end, fault: best.0.clone(), share: best.1 as f64 / n_alarms as f64, n_alarms });
        i = end + 1;
    }
    out
}

/// `W = V diag(1/√max(λ, 10⁻³λ_max)) Vᵀ diag(1/spread)` from the eigendecomposition `V Λ Vᵀ` of
/// the covariance of the spread-standardised normal residuals (the floor keeps directions that
/// normal data never moves along from being amplified without bound).
fn whitening_matrix(normal: &[Vec<f64>], spread: &[f64]) -> Result<Vec<f64>> {
    let (n, d) = (normal.len(), spread.len());
    let z: Vec<Vec<f64>> = normal.iter().map(|r| r.iter().zip(spread).map(|(a, s)| a / s).collect()).collect();
    let mean: Vec<f64> = (0..d).map(|j| z.iter().map(|r| r[j]).sum::<f64>() / n as f64).collect();
    let cov = faer::Mat::from_fn(d, d, |i, j| {
        z.iter().map(|r| (r[i] - mean[i]) * (r[j] - mean[j])).sum::<f64>() / (n as f64 - 1.0)
    });
    let evd = cov
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|_| Error::invalid("normal residuals", "their covariance has no eigendecomposition"))?;
    let (v, lam) = (evd.U(), evd.S());
    let lmax = (0..d).map(|k| lam[k]).fold(0.0f64, f64::max);
    if !(lmax > 0.0) {
        return Err(Error::ZeroVariance);
    }
    let inv: Vec<f64> = (0..d).map(|k| 1.0 / lam[k].max(1e-3 * lmax).sqrt()).collect();
    let mut w = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            w[i * d + j] = (0..d).map(|k| v[(i, k)] * inv[k] * v[(j, k)]).sum::<f64>() / spread[j];
        }
    }
    Ok(w)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use rand_distr::StandardNormal;

    /// Planted directions: rows are noise plus a large push along a known axis.
    #[test]
    fn learns_planted_directions_and_calls_a_new_one_unknown() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut noise = |s: f64| -> Vec<f64> { (0..4).map(|_| s * rng.sample::<f64, _>(StandardNormal)).collect() };
        let (mut res, mut labels, mut alarms) = (Vec::new(), Vec::new(), Vec::new());
        let push = |v: &mut Vec<f64>, j: usize, a: f64| v[j] += a;
        for _ in 0..200 {
            res.push(noise(1.0));
            labels.push("normal".to_string());
            alarms.push(false);
        }
        for (name, j, a) in [("a", 0, 10.0), ("b", 2, -10.0)] {
            for _ in 0..100 {
                let mut r = noise(1.0);
                push(&mut r, j, a);
                res.push(r);
                labels.push(name.to_string());
                alarms.push(true);
            }
        }
        let feats: Vec<String> = (0..4).map(|j| format!("x{j}")).collect();
        let lib = SignatureLibrary::learn(feats.clone(), &res, &labels, &alarms, "normal", None, false).unwrap();
        let white = SignatureLibrary::learn(feats, &res, &labels, &alarms, "normal", None, true).unwrap();
        assert_eq!(white.signatures.len(), 2);
        assert_eq!(lib.signatures.len(), 2);
        assert!(lib.signatures[0].direction[0] > 0.98);
        assert!(lib.signatures[1].direction[2] < -0.98);
        let mut r = noise(1.0);
        r[2] -= 12.0;
        let d = lib.diagnose(&r);
        assert_eq!(d.fault.as_deref(), Some("b"));
        assert_eq!(d.contributors[0], 2);
        // A push along an axis no signature knows.
        let mut r = noise(1.0);
        r[3] += 12.0;
        assert_eq!(lib.diagnose(&r).fault, None);
        // The opposite of a known fault is not that fault.
        let mut r = noise(1.0);
        r[0] -= 12.0;
        assert_eq!(lib.diagnose(&r).fault, None);
        // JSON round trip and validation.
        let text = serde_json::to_string(&lib).unwrap();
        let back: SignatureLibrary = serde_json::from_str(&text).unwrap();
        assert_eq!(back, lib);
        let mut bad = lib.clone();
        bad.signatures[0].direction.pop();
        assert!(bad.validate().is_err());
    }

    /// Two faults whose mean directions are close (cosine ≈ 0.96) but whose rows scatter tightly
    /// around them: the confusion on their rows is small, and it is what it is, counted by hand.
    #[test]
    fn confusion_counts_how_labelled_rows_are_named() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut noise = |s: f64| -> Vec<f64> { (0..3).map(|_| s * rng.sample::<f64, _>(StandardNormal)).collect() };
        let (mut res, mut labels, mut alarms) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..300 {
            res.push(noise(1.0));
            labels.push("normal".to_string());
            alarms.push(false);
        }
        for (name, dir) in [("a", [10.0, 3.0, 0.0]), ("b", [10.0, 0.0, 3.0])] {
            for _ in 0..100 {
                let r: Vec<f64> = noise(0.3).iter().zip(dir).map(|(n, d)| n + d).collect();
                res.push(r);
                labels.push(name.to_string());
                alarms.push(true);
            }
        }
        let feats: Vec<String> = (0..3).map(|j| format!("x{j}")).collect();
        let lib = SignatureLibrary::learn(feats, &res, &labels, &alarms, "normal", Some(0.5), false).unwrap();
        assert!(lib.confusable_pairs()[0].2 > 0.9);
        let conf = lib.confusion(&res, &labels, &alarms, "normal");
        for fault in ["a", "b"] {
            let rows: Vec<usize> = (0..res.len()).filter(|&i| labels[i] == fault).collect();
            let own = rows.iter().filter(|&&i| lib.diagnose(&res[i]).fault.as_deref() == Some(fault)).count();
            let got = conf.iter().find(|c| c.0 == fault && c.1 == fault).unwrap().2;
            assert_eq!(got, own as f64 / rows.len() as f64);
            assert!(got > 0.95, "{fault}: {got}");
            let total: f64 = conf.iter().filter(|c| c.0 == fault).map(|c| c.2).sum();
            assert!((total - 1.0).abs() < 1e-12);
        }
        assert!(conf.iter().all(|c| c.0 != "normal"));
    }

    #[test]
    fn episodes_merge_close_alarms_and_vote() {
        let a = [false, true, true, false, true, false, false, false, true, true];
        let s = |x: &str| Some(x.to_string());
        let f = [None, s("x"), s("y"), None, s("x"), None, None, None, None, None];
        let e = episodes(&a, &f, 1);
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].start, e[0].end, e[0].fault.as_deref(), e[0].n_alarms), (1, 4, Some("x"), 3));
        assert!((e[0].share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((e[1].start, e[1].end, e[1].fault.clone(), e[1].share), (8, 9, None, 1.0));
        assert!(episodes(&[false; 4], &[None, None, None, None], 3).is_empty());
    }

    #[test]
    fn learning_needs_normal_rows_and_fault_rows() {
        let res = vec![vec![1.0, 2.0]; 3];
        let feats = vec!["a".to_string(), "b".to_string()];
        let labels = vec!["f".to_string(); 3];
        assert!(SignatureLibrary::learn(feats.clone(), &res, &labels, &[true; 3], "normal", None, false).is_err());
        let labels = vec!["normal".to_string(); 3];
        assert!(SignatureLibrary::learn(feats, &res, &labels, &[true; 3], "normal", None, false).is_err());
    }
}
