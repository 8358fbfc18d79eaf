//! `recon audit`: the per-group error of any model folder on a table with group columns.
//!
//! The errors are the ones `recon score` reports for the model (squared error in the model's
//! own units for PCA, truncated SVD, CP/Tucker and autoencoders; the negative log-likelihood for
//! a VAE), through the model's `Scorer` whatever its family, and the groups are the
//! named string or integer columns of the same rows; [`recon_core::ruler::audit`] does the rest
//! without knowing which model made the errors. For a linear model the error of each group at
//! every rank up to the model's is measured too ([`rank_curves`]).
//!
//! # Example
//!
//! ```
//! use recon::{audit::audit_file, load_model, ruler::AuditParams, Dataset, Fit, PcaParams};
//! # fn main() -> recon::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let csv = dir.path().join("t.csv");
//! let mut text = String::from("a,b,g\n");
//! for i in 0..60 {
//!     let t = i as f64 * 0.1;
//!     let off = if i % 3 == 0 { 0.5 * ((i * 7) % 5) as f64 } else { 0.0 };
//!     text += &format!("{},{},{}\n", t.sin(), 2.0 * t.sin() + off, if i % 3 == 0 { "x" } else { "y" });
//! }
//! std::fs::write(&csv, text).unwrap();
//! let data = recon::data::load_table(&csv, &recon::data::LoadOptions {
//!     group_cols: vec!["g".into()], ..Default::default() })?.dataset;
//! PcaParams::new().n_components(1).fit(&data)?.save(&dir.path().join("m"), &data.columns)?;
//! let model = load_model(&dir.path().join("m"))?;
//! let report = audit_file(&model, &csv, &["g".to_string()], &AuditParams::new().permutations(499))?;
//! assert_eq!(report.audit.groups.len(), 2);
//! assert_eq!(report.audit.groups[0].group, "x"); // the group the model serves worse
//! assert!(report.audit.groups[0].mean_error > report.audit.groups[1].mean_error);
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use faer::{Mat, MatRef};
use serde::Serialize;

use recon_core::data::{load_table, LoadOptions};
use recon_core::ruler::{audit, Audit, AuditParams};
use recon_core::{Dataset, Error, ErrorMeasure, GroupIndex, Result};
use recon_linear::{MonitorScorer, Pca, PcaScorer};

use crate::Model;

/// The audit of a model folder on a table.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// The model family.
    pub model: String,
    /// What the per-row errors measure.
    pub error_measure: ErrorMeasure,
    /// The group columns (a row's group is their values joined by " & ").
    pub group_columns: Vec<String>,
    /// Rows audited.
    pub n_rows: usize,
    /// Per-group statistics, tests and flags.
    #[serde(flatten)]
    pub audit: Audit,
    /// For a linear model: each group's mean error at ranks 0..=k.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_curves: Option<RankCurves>,
    /// The model refitted with every group at the smallest group's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equal_size: Option<EqualSize>,
}

/// The equal-size comparison: the same family and size refitted on subsamples with every tested
/// group at the smallest tested group's size, errors measured on every row as before, averaged
/// over the repeats.
#[derive(Debug, Clone, Serialize)]
pub struct EqualSize {
    /// Rows per group in each refit.
    pub rows_per_group: usize,
    /// Refits (different subsamples).
    pub repeats: usize,
    /// Group name → mean error under the equal-size refits.
    pub mean_error: BTreeMap<String, f64>,
    /// Largest over smallest group mean error, as fitted and at equal sizes.
    pub ratio_as_fitted: f64,
    /// The same ratio at equal sizes.
    pub ratio_equal_size: f64,
    /// Which explains the gap, by the rule stated in [`EqualSize::rule`].
    pub explanation: String,
    /// The rule.
    pub rule: String,
}

/// Refits `model`'s family and size on `train` and returns the per-row errors of `x` as the model
/// would report them (`None` for CP / Tucker slice models, which are not refitted).
pub fn refit_errors(model: &Model, train: &Dataset, x: MatRef<'_, f64>, seed: u64) -> Result<Option<Vec<f64>>> {
    use recon_core::{Fit, RowScorer};
    use recon_neural::Trainable;
    if let Some(m) = model.downcast::<MonitorScorer>() {
        let pca = m.model.pca();
        let standardised = pca.scale().iter().any(|s| *s != 1.0);
        let refit = recon_linear::PcaMonitorParams::new(recon_linear::Components::Fixed(pca.n_components()))
            .scale(standardised)
            .limits(recon_linear::LimitMethod::Analytical)
            .fit(train)?;
        return Ok(Some(refit.score(x)?.spe));
    }
    if let Some(p) = model.downcast::<PcaScorer>() {
        let standardised = p.model.scale().iter().any(|s| *s != 1.0);
        let refit = recon_linear::PcaParams::new()
            .n_components(p.model.n_components())
            .center(p.model.centered())
            .scale(standardised)
            .fit(train)?;
        return Ok(Some(refit.row_errors(x)?));
    }
    if let Some(a) = model.downcast::<recon_neural::AeScorer>() {
        let refit = recon_neural::AutoencoderParams::new(a.model.hidden().to_vec())
            .activation(a.model.activation())
            .seed(seed)
            .fit(train)?;
        return Ok(Some(refit.score_rows(x, false)?.errors));
    }
    if let Some(v) = model.downcast::<recon_neural::VaeScorer>() {
        let refit = recon_neural::VaeParams::new(v.model.likelihood(), v.model.hidden().to_vec(), v.model.latent())
            .training(recon_neural::VaeParams::default_training().with_seed(seed))
            .fit(train)?;
        return Ok(Some(refit.score_rows(x, false)?.errors));
    }
    Ok(None)
}

/// The equal-size comparison of `audit` (see [`EqualSize`]); `None` when the family is not
/// refitted or every tested group already has the smallest size.
pub fn equal_size(
    model: &Model,
    data: &Dataset,
    groups: &[String],
    audit: &Audit,
    repeats: usize,
    seed: u64,
) -> Result<Option<EqualSize>> {
    use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
    let tested: Vec<&recon_core::ruler::GroupAudit> = audit.groups.iter().filter(|g| g.n >= 2).collect();
    let m = tested.iter().map(|g| g.n).min().unwrap_or(0);
    if repeats == 0 || tested.len() < 2 || tested.iter().all(|g| g.n == m) {
        return Ok(None);
    }
    let index = GroupIndex::new(groups);
    let rows: BTreeMap<&str, &Vec<usize>> =
        index.names.iter().zip(&index.rows).filter(|(_, r)| r.len() >= 2).map(|(name, r)| (name.as_str(), r)).collect();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for r in 0..repeats {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(r as u64));
        let mut keep: Vec<usize> = Vec::with_capacity(m * rows.len());
        for idx in rows.values() {
            let mut idx = idx.to_vec();
            idx.shuffle(&mut rng);
            keep.extend_from_slice(&idx[..m]);
        }
        keep.sort_unstable();
        let Some(errors) = refit_errors(model, &data.select_rows(&keep), data.x.as_ref(), seed.wrapping_add(r as u64))?
        else {
            return Ok(None);
        };
        for (name, idx) in &rows {
            let mean = idx.iter().map(|&i| errors[i]).sum::<f64>() / idx.len() as f64;
            *sums.entry(name.to_string()).or_default() += mean / repeats as f64;
        }
    }
    let ratio = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
        hi / lo
    };
    let as_fitted = ratio(&mut tested.iter().map(|g| g.mean_error));
    let equal = ratio(&mut sums.values().copied());
    let explanation = if (equal - 1.0) <= 0.5 * (as_fitted - 1.0) {
        format!(
            "under-representation: at equal sizes the largest-to-smallest ratio of group mean errors falls from {as_fitted:.3} to {equal:.3}"
        )
    } else {
        format!(
            "a group harder to reconstruct: the ratio stays at {equal:.3} at equal sizes (as fitted {as_fitted:.3})"
        )
    };
    Ok(Some(EqualSize {
        rows_per_group: m,
        repeats,
        mean_error: sums,
        ratio_as_fitted: as_fitted,
        ratio_equal_size: equal,
        explanation,
        rule: "under-representation when the gap (ratio − 1) at equal sizes is at most half the gap as fitted; \
               errors measured on every row, the smallest group's rows in every refit"
            .into(),
    }))
}

/// Mean error of each group at every rank of a linear model.
#[derive(Debug, Clone, Serialize)]
pub struct RankCurves {
    /// Ranks 0..=k.
    pub ranks: Vec<usize>,
    /// Group name → mean error at each rank (the model's own units).
    pub groups: BTreeMap<String, Vec<f64>>,
}

/// Audits `model` on the table at `path`, grouping rows by `group_cols`.
pub fn audit_file(model: &Model, path: &Path, group_cols: &[String], params: &AuditParams) -> Result<AuditReport> {
    audit_file_with(model, path, group_cols, params, 0)
}

/// [`audit_file`] with the equal-size comparison over `repeats` refits (0: none).
pub fn audit_file_with(
    model: &Model,
    path: &Path,
    group_cols: &[String],
    params: &AuditParams,
    repeats: usize,
) -> Result<AuditReport> {
    if group_cols.is_empty() {
        return Err(Error::invalid("group columns", "name at least one (--group-col G or G1,G2)"));
    }
    if let Some(c) = group_cols.iter().find(|c| model.header.inputs.contains(c)) {
        return Err(Error::invalid("group columns", format!("'{c}' is one of the model's own columns")));
    }
    let read = LoadOptions {
        columns: Some(model.header.inputs.clone()),
        group_cols: group_cols.to_vec(),
        ..Default::default()
    };
    // One read: the model's raw columns and the groups; the features (lags, moving averages) are
    // built from the raw rows as `recon score` builds them.
    let table = load_table(path, &read)?.dataset;
    let groups = table.groups.clone().ok_or_else(|| Error::invalid("group columns", "no group values read"))?;
    let (features, _) = model.header.window.features(table.x.as_ref(), &model.header.inputs)?;
    let errors = model.scorer.score(features.as_ref(), false)?.errors;
    let result = audit(&errors, &groups, params)?;
    // A model of the table's own columns (no lags or moving averages): it can be refitted on rows.
    let plain = model.header.columns == model.header.inputs;
    let rank_curves = match plain {
        true => rank_curves(model, table.x.as_ref(), &groups)?,
        false => None,
    };
    let equal_size = match plain {
        true => equal_size(model, &table, &groups, &result, repeats, params.seed)?,
        false => None,
    };
    Ok(AuditReport {
        model: model.scorer.name().to_string(),
        error_measure: model.scorer.measure(),
        group_columns: group_cols.to_vec(),
        n_rows: groups.len(),
        audit: result,
        rank_curves,
        equal_size,
    })
}

/// For a PCA model (compression or monitor): each group's mean squared error at ranks 0..=k, in
/// the units the model reports (a monitor's standardised SPE, a compression model's data
/// units). `None` for other families.
pub fn rank_curves(model: &Model, x: MatRef<'_, f64>, groups: &[String]) -> Result<Option<RankCurves>> {
    let (pca, standardised): (&Pca, bool) = match (model.downcast::<MonitorScorer>(), model.downcast::<PcaScorer>()) {
        (Some(m), _) => (m.model.pca(), true),
        (None, Some(p)) => (&p.model, false),
        _ => return Ok(None),
    };
    let (n, d, k) = (x.nrows(), x.ncols(), pca.n_components());
    let w: Vec<f64> = match standardised {
        true => pca.scale().to_vec(),
        false => vec![1.0; d],
    };
    let index = GroupIndex::new(groups);
    // The residual at rank r is the residual at r − 1 less component r's share: one projection,
    // then one rank-1 update per rank (the same reconstruction `Pca::truncate(r)` gives).
    let (z, v, s, mean) = (pca.transform(x)?, pca.components(), pca.scale(), pca.mean());
    let mut r = Mat::from_fn(n, d, |i, j| x[(i, j)] - mean[j]);
    let row_errors =
        |r: &Mat<f64>| -> Vec<f64> { (0..n).map(|i| (0..d).map(|j| (r[(i, j)] / w[j]).powi(2)).sum()).collect() };
    let mut per_rank = vec![index.means(&row_errors(&r))];
    for c in 0..k {
        for i in 0..n {
            for j in 0..d {
                r[(i, j)] -= z[(i, c)] * v[(c, j)] * s[j];
            }
        }
        per_rank.push(index.means(&row_errors(&r)));
    }
    let groups = index
        .names
        .iter()
        .enumerate()
        .map(|(g, name)| (name.clone(), per_rank.iter().map(|v| v[g]).collect()))
        .collect();
    Ok(Some(RankCurves { ranks: (0..=k).collect(), groups }))
}

impl AuditReport {
    /// The audit as a text table, one line per group (worst mean error first), with the rule.
    pub fn table(&self) -> String {
        let mut rows: Vec<&recon_core::ruler::GroupAudit> = self.audit.groups.iter().collect();
        rows.sort_by(|a, b| b.mean_error.total_cmp(&a.mean_error));
        let width = rows.iter().map(|g| g.group.chars().count()).max().unwrap_or(5).max(5);
        let mut s = format!(
            "{} model, {} rows; error = {}; overall mean {:.6}; best-served group: {}\n",
            self.model, self.n_rows, self.error_measure, self.audit.overall_mean_error, self.audit.best_group
        );
        s += &format!(
            "{:<width$} {:>7} {:>12} {:>12} {:>12} {:>27} {:>8} {:>10} {:>10}  flagged\n",
            "group",
            "n",
            "mean",
            "median",
            "p90",
            format!("{:.0}% interval of mean", 100.0 * self.audit.confidence),
            "ratio",
            "p",
            "p (Holm)"
        );
        let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        for g in rows {
            let ci = match (g.ci_low, g.ci_high) {
                (Some(a), Some(b)) => format!("[{a:.6}, {b:.6}]"),
                _ => "-".into(),
            };
            s += &format!(
                "{:<width$} {:>7} {:>12.6} {:>12.6} {:>12.6} {:>27} {:>8.3} {:>10} {:>10}  {}\n",
                g.group,
                g.n,
                g.mean_error,
                g.median_error,
                g.p90_error,
                ci,
                g.ratio_to_best,
                opt(g.p_value, 5),
                opt(g.p_holm, 5),
                if g.flagged { "yes" } else { "no" }
            );
        }
        s += &format!("{}\n", self.audit.rule);
        if let Some(e) = &self.equal_size {
            s += &format!(
                "equal sizes ({} rows per group, {} refits): {}\n",
                e.rows_per_group,
                e.repeats,
                e.mean_error.iter().map(|(g, v)| format!("{g} {v:.6}")).collect::<Vec<_>>().join(", ")
            );
            s += &format!("  → {}\n", e.explanation);
        }
        if !self.audit.untested.is_empty() {
            s += &format!(
                "not tested (one row each, reported above without interval or p-value): {}\n",
                self.audit.untested.join(", ")
            );
        }
        s
    }

    /// The per-group lines as table cells (worst mean error first): header and rows.
    pub fn cells(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut rows: Vec<&recon_core::ruler::GroupAudit> = self.audit.groups.iter().collect();
        rows.sort_by(|a, b| b.mean_error.total_cmp(&a.mean_error));
        let header =
            ["group", "n", "mean", "median", "p90", "interval of mean", "ratio to best", "p (Holm)", "flagged"]
                .iter()
                .map(|h| h.to_string())
                .collect();
        let cells = rows
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    g.n.to_string(),
                    format!("{:.4}", g.mean_error),
                    format!("{:.4}", g.median_error),
                    format!("{:.4}", g.p90_error),
                    match (g.ci_low, g.ci_high) {
                        (Some(a), Some(b)) => format!("[{a:.4}, {b:.4}]"),
                        _ => "-".into(),
                    },
                    format!("{:.3}", g.ratio_to_best),
                    g.p_holm.map_or("-".into(), |p| format!("{p:.4}")),
                    if g.flagged { "yes".into() } else { "no".into() },
                ]
            })
            .collect();
        (header, cells)
    }

    /// The plots `recon audit --out` writes: `(file name, SVG)` — the per-group means with their
    /// intervals, and for linear models the error against rank per group.
    pub fn plots(&self, title: &str) -> Result<Vec<(String, String)>> {
        use recon_core::report::{IntervalPlot, LinePlot, Marker, Series};
        let mut rows: Vec<&recon_core::ruler::GroupAudit> = self.audit.groups.iter().collect();
        rows.sort_by(|a, b| b.mean_error.total_cmp(&a.mean_error));
        let means = IntervalPlot {
            title: format!("Mean error by group — {title}"),
            x_label: format!("mean {} ({:.0}% bootstrap interval)", self.error_measure, 100.0 * self.audit.confidence),
            names: rows
                .iter()
                .map(|g| format!("{}{} (n={})", g.group, if g.flagged { " *" } else { "" }, g.n))
                .collect(),
            values: rows.iter().map(|g| g.mean_error).collect(),
            intervals: rows.iter().map(|g| g.ci_low.zip(g.ci_high)).collect(),
            reference: Some(Marker { x: self.audit.overall_mean_error, label: "overall mean".into() }),
        };
        let mut out = vec![("group_means.svg".to_string(), means.to_svg(760)?)];
        if let Some(c) = &self.rank_curves {
            let plot = LinePlot {
                title: format!("Error against rank by group — {title}"),
                x_label: "rank".into(),
                y_label: format!("mean {}", self.error_measure),
                series: c
                    .groups
                    .iter()
                    .map(|(g, y)| Series {
                        name: g.clone(),
                        x: c.ranks.iter().map(|&r| r as f64).collect(),
                        y: y.clone(),
                    })
                    .collect(),
                markers: vec![],
                log_y: true,
            };
            out.push(("error_by_rank.svg".to_string(), plot.to_svg(760, 420)?));
        }
        Ok(out)
    }
}
