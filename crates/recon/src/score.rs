//! Scoring pipelines over any [`Model`]: a file in blocks (flat memory however long the file),
//! a live CSV stream row by row, and a VAE's per-sample and per-entry report. Each returns a
//! serde result type the CLI prints as it is.
//!
//! A block runs raw rows → the model's window features ([`recon_core::data::WindowStream`],
//! state carried across blocks) → [`recon_core::Scorer::score`] → [`Persistence`] (k of the last m raw
//! alarms) → the table or the report.
//!
//! # Example
//!
//! ```
//! use recon::{load_model, score, Dataset, Fit, PcaParams};
//! # fn main() -> recon::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let csv = dir.path().join("t.csv");
//! std::fs::write(&csv, "a,b,c\n1,2,3\n2,4,6.5\n3,6,9\n4,8.5,12\n").unwrap();
//! let data = recon::data::load_table(&csv, &Default::default())?.dataset;
//! PcaParams::new().n_components(1).fit(&data)?.save(&dir.path().join("m"), &data.columns)?;
//! let model = load_model(&dir.path().join("m"))?;
//! let report = score::score_file(&model, &csv, &score::ScoreOptions::default(), None)?;
//! assert_eq!(report.n_rows, 4);
//! assert_eq!(report.errors, report.scores); // no threshold: the score is the error
//! assert!(report.alarms.is_none());
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use faer::Mat;
use recon_core::data::{load_table, parse_field, Column, CsvRecord, CsvSource, LoadOptions, ParquetSink, TableReader};
use recon_core::ruler::{Persistence, SignatureLibrary};
use recon_core::{Error, ErrorMeasure, Result};
use recon_neural::{Vae, VaeScorer};
use serde::Serialize;

use crate::registry::Model;

/// Rows per block of the batch scorer.
pub const BLOCK: usize = 1 << 16;

/// How to score.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// Alarm only when `k` of the last `m` rows exceed the threshold.
    pub persistence: (usize, usize),
    /// Drop rows holding non-finite values instead of failing.
    pub drop_nonfinite: bool,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions { persistence: (1, 1), drop_nonfinite: false }
    }
}

/// Parses `K/M` (1 ≤ K ≤ M).
pub fn parse_persistence(s: &str) -> Result<(usize, usize)> {
    let bad = || Error::invalid("persistence", format!("'{s}': expected K/M with 1 ≤ K ≤ M, such as 3/5"));
    let (k, m) = s.split_once('/').ok_or_else(bad)?;
    let (k, m): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, m.trim().parse().map_err(|_| bad())?);
    if k == 0 || k > m {
        return Err(bad());
    }
    Ok((k, m))
}

/// What scoring a table reports (`recon score --json`).
#[derive(Debug, Clone, Serialize)]
pub struct ScoreReport {
    /// The family (`pca`, `ae`, `vae`, `cp`, `tucker`).
    pub model: String,
    /// Rows scored.
    pub n_rows: usize,
    /// What `errors` measures.
    pub error_measure: ErrorMeasure,
    /// Per-row reconstruction error.
    pub errors: Vec<f64>,
    /// Per-row score.
    pub scores: Vec<f64>,
    /// Per-row alarm (after persistence), when the model has a threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Vec<u8>>,
    /// The alarm threshold, when the model has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Number of alarms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_alarms: Option<usize>,
    /// Alarms over rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_rate: Option<f64>,
    /// The `[K, M]` of the persistence rule.
    pub persistence: [usize; 2],
    /// Mean per-row reconstruction error (kept also when the rows went to a table).
    pub mean_error: f64,
    /// Rows dropped for non-finite values.
    pub dropped_rows: usize,
    /// The model's further per-row statistics (a PCA monitor's `t2`, `spe`) and constants
    /// (`t2_limit`, `spe_limit`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Formats floats as their shortest round-trip decimal (the same digits as `Display`).
struct Floats(ryu::Buffer);

impl Floats {
    fn put(&mut self, w: &mut dyn Write, v: f64) -> std::io::Result<()> {
        w.write_all(self.0.format(v).as_bytes())
    }
}

/// Where [`score_file`] writes its per-row table.
pub enum ScoreTable<'a> {
    /// CSV text.
    Csv(&'a mut dyn Write),
    /// A Parquet file (`row` UInt64, `alarm` Boolean, the rest Float64).
    Parquet(Box<ParquetSink<&'a mut (dyn Write + Send)>>),
}

impl<'a> ScoreTable<'a> {
    /// A Parquet table when `path` ends in `.parquet`, CSV otherwise.
    pub fn for_path(path: &Path, w: &'a mut (dyn Write + Send)) -> Self {
        match recon_core::data::is_parquet(path) {
            true => ScoreTable::Parquet(Box::new(ParquetSink::new(w, path))),
            false => ScoreTable::Csv(w),
        }
    }
}

/// Scores `path` block by block with `model`. With `table`, the per-row table is written
/// there — `row,score,threshold,alarm[,stats…]` for a model with a threshold (a monitor, whose
/// error is SPE or score × features), `row,error,score[,stats…]` otherwise — and the report's arrays stay
/// empty (memory does not grow with the file); without, the report keeps every row.
pub fn score_file(
    model: &Model,
    path: &Path,
    opts: &ScoreOptions,
    mut table: Option<ScoreTable<'_>>,
) -> Result<ScoreReport> {
    let header = &model.header;
    let scorer = model.scorer.as_ref();
    let read =
        LoadOptions { columns: Some(header.inputs.clone()), drop_nonfinite: opts.drop_nonfinite, ..Default::default() };
    let mut reader = TableReader::open(path, &read)?;
    let mut window = header.window.stream(header.inputs.len());
    let (k, m) = opts.persistence;
    let mut persistence = Persistence::new(k, m)?;
    let threshold = scorer.threshold();
    let keep = table.is_none();
    let (mut errors, mut scores, mut alarms) = (Vec::new(), Vec::new(), Vec::new());
    let mut stats: Vec<(&'static str, Vec<f64>)> = Vec::new();
    let (mut n, mut n_alarms, mut error_sum) = (0usize, 0usize, 0.0f64);
    let mut fmt = Floats(ryu::Buffer::new());
    let threshold_text = threshold.map_or(String::new(), |t| format!(",{}", ryu::Buffer::new().format(t)));
    let io = |e: std::io::Error| Error::Io { path: "output".into(), err: e };
    while let Some(raw) = reader.next_chunk(BLOCK)? {
        let x = window.push_block(raw.as_ref());
        let block = scorer.score(x.as_ref(), false)?;
        error_sum += block.errors.iter().sum::<f64>();
        let block_alarms: Vec<Option<bool>> =
            block.scores.iter().map(|&s| threshold.map(|t| persistence.push(s > t))).collect();
        n_alarms += block_alarms.iter().filter(|a| **a == Some(true)).count();
        match table.as_mut() {
            Some(ScoreTable::Csv(w)) => {
                if n == 0 {
                    let mut head =
                        String::from(if threshold.is_some() { "row,score,threshold,alarm" } else { "row,error,score" });
                    for (name, _) in &block.stats {
                        head += ",";
                        head += name;
                    }
                    head += "\n";
                    w.write_all(head.as_bytes()).map_err(io)?;
                }
                for (i, alarm) in block_alarms.iter().enumerate() {
                    (|| -> std::io::Result<()> {
                        write!(w, "{},", n + i)?;
                        match alarm {
                            // Monitors: score, threshold, alarm (the error is SPE, or score × features).
                            Some(a) => {
                                fmt.put(*w, block.scores[i])?;
                                w.write_all(threshold_text.as_bytes())?;
                                w.write_all(if *a { b",1" } else { b",0" })?;
                            }
                            None => {
                                fmt.put(*w, block.errors[i])?;
                                w.write_all(b",")?;
                                fmt.put(*w, block.scores[i])?;
                            }
                        }
                        for (_, v) in &block.stats {
                            w.write_all(b",")?;
                            fmt.put(*w, v[i])?;
                        }
                        w.write_all(b"\n")
                    })()
                    .map_err(io)?;
                }
            }
            Some(ScoreTable::Parquet(sink)) => {
                let len = block.len();
                let mut cols = vec![("row".to_string(), Column::U64((n..n + len).map(|i| i as u64).collect()))];
                match threshold {
                    Some(t) => {
                        cols.push(("score".into(), Column::F64(block.scores.clone())));
                        cols.push(("threshold".into(), Column::F64(vec![t; len])));
                        cols.push((
                            "alarm".into(),
                            Column::Bool(block_alarms.iter().map(|a| *a == Some(true)).collect()),
                        ));
                    }
                    None => {
                        cols.push(("error".into(), Column::F64(block.errors.clone())));
                        cols.push(("score".into(), Column::F64(block.scores.clone())));
                    }
                }
                for (name, v) in &block.stats {
                    cols.push((name.to_string(), Column::F64(v.clone())));
                }
                sink.write(cols)?;
            }
            None => alarms.extend(block_alarms.iter().flatten().map(|&a| u8::from(a))),
        }
        if keep {
            errors.extend_from_slice(&block.errors);
            scores.extend_from_slice(&block.scores);
            if stats.is_empty() {
                stats = block.stats.iter().map(|(k, _)| (*k, Vec::new())).collect();
            }
            for ((_, all), (_, v)) in stats.iter_mut().zip(&block.stats) {
                all.extend_from_slice(v);
            }
        }
        n += raw.nrows();
    }
    if n == 0 {
        let reason = if reader.dropped_rows() > 0 {
            format!("all {} rows held non-finite values and were dropped", reader.dropped_rows())
        } else {
            "no data rows".to_string()
        };
        return Err(Error::Empty { what: path.display().to_string(), reason });
    }
    if let Some(ScoreTable::Parquet(sink)) = table {
        sink.finish()?;
    }
    let mut extra = BTreeMap::new();
    for (name, v) in stats {
        extra.insert(name.to_string(), serde_json::json!(v));
    }
    for (name, v) in scorer.constants() {
        extra.insert(name.to_string(), serde_json::json!(v));
    }
    Ok(ScoreReport {
        model: scorer.name().to_string(),
        n_rows: n,
        error_measure: scorer.measure(),
        errors,
        scores,
        alarms: threshold.map(|_| alarms),
        threshold,
        n_alarms: threshold.map(|_| n_alarms),
        alarm_rate: threshold.map(|_| n_alarms as f64 / n as f64),
        persistence: [k, m],
        mean_error: error_sum / n as f64,
        dropped_rows: reader.dropped_rows(),
        extra,
    })
}

/// What one streamed row gave.
#[derive(Debug, Clone, Serialize)]
pub struct StreamRow {
    /// Row number among the rows scored (0-based).
    pub row: usize,
    /// The score.
    pub score: f64,
    /// The per-row reconstruction error.
    pub error: f64,
    /// The alarm after persistence (false when the model has no threshold).
    pub alarm: bool,
    /// The diagnosis of an alarmed row, when a signature library was given: fault (or
    /// "unknown"), similarity and the three largest contributors.
    pub diagnosis: Option<(String, f64, Vec<String>)>,
}

/// What a stream did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamSummary {
    /// Rows scored.
    pub rows: usize,
    /// Malformed rows skipped.
    pub skipped: usize,
    /// Alarms raised.
    pub alarms: usize,
}

/// Scores CSV rows (header first) from `input` one at a time as they arrive, calling `on_row`
/// for each scored row and `on_skip(line, reason)` for a malformed one (which is skipped; the
/// stream goes on). Fields are read by the CSV rules (quotes, CR, LF or CRLF line ends).
pub fn score_stream(
    model: &Model,
    input: impl std::io::Read,
    persistence: (usize, usize),
    signatures: Option<&SignatureLibrary>,
    mut on_row: impl FnMut(&StreamRow) -> std::io::Result<()>,
    mut on_skip: impl FnMut(u64, &str),
) -> Result<StreamSummary> {
    let header = &model.header;
    let scorer = model.scorer.as_ref();
    let mut source = CsvSource::new(input, Path::new("stdin"))?;
    let names = source.header().to_vec();
    let idx: Vec<usize> = header
        .inputs
        .iter()
        .map(|c| {
            names
                .iter()
                .position(|n| n == c)
                .ok_or_else(|| Error::UnknownColumn { column: c.clone(), available: names.join(", ") })
        })
        .collect::<Result<_>>()?;
    let threshold = scorer.threshold();
    if signatures.is_some() && threshold.is_none() {
        return Err(Error::invalid("signatures", format!("a {} model raises no alarms to diagnose", scorer.name())));
    }
    let mut window = header.window.stream(header.inputs.len());
    let (k, m) = persistence;
    let mut persistence = Persistence::new(k, m)?;
    let mut sum = StreamSummary::default();
    while let Some(rec) = source.next_record()? {
        let line = match rec {
            CsvRecord::Row { line } => line,
            CsvRecord::Bad { line, error } => {
                on_skip(line, &CsvRecord::reason(&error));
                sum.skipped += 1;
                continue;
            }
        };
        let record = source.record();
        let parsed: std::result::Result<Vec<f64>, String> = idx
            .iter()
            .map(|&j| match parse_field(&record[j]) {
                Some(v) if v.is_finite() => Ok(v),
                _ => Err(format!("column '{}' holds '{}', not a finite number", names[j], record[j].trim())),
            })
            .collect();
        let row = match parsed {
            Ok(r) => r,
            Err(reason) => {
                on_skip(line, &reason);
                sum.skipped += 1;
                continue;
            }
        };
        let feats = window.push(&row);
        let x = Mat::from_fn(1, feats.len(), |_, j| feats[j]);
        let block = scorer.score(x.as_ref(), signatures.is_some())?;
        let alarm = threshold.is_some_and(|t| persistence.push(block.scores[0] > t));
        sum.alarms += usize::from(alarm);
        let diagnosis = match (signatures, &block.residuals) {
            (Some(lib), Some(r)) if alarm => {
                let d = lib.diagnose(&r.row(0));
                let top = d.contributors.iter().take(3).map(|&j| header.columns[j].clone()).collect();
                Some((d.fault.unwrap_or_else(|| "unknown".into()), d.similarity, top))
            }
            _ => None,
        };
        let out = StreamRow { row: sum.rows, score: block.scores[0], error: block.errors[0], alarm, diagnosis };
        on_row(&out).map_err(|e| Error::Io { path: "stdout".into(), err: e })?;
        sum.rows += 1;
    }
    Ok(sum)
}

/// Loads a signature library (from `recon diagnose fit`, or written by hand) and checks that it
/// was learned for `features`.
pub fn load_signatures(path: &Path, features: &[String]) -> Result<SignatureLibrary> {
    let text = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingFile { path: path.to_path_buf() },
        _ => Error::Corrupt { path: path.to_path_buf(), reason: e.to_string() },
    })?;
    let lib: SignatureLibrary = serde_json::from_slice(&text)
        .map_err(|e| Error::Corrupt { path: path.to_path_buf(), reason: format!("not a signature file: {e}") })?;
    let lib = lib.normalised();
    lib.validate()?;
    if lib.features != features {
        return Err(Error::invalid(
            "signatures",
            format!("{} was learned for other features than this model's", path.display()),
        ));
    }
    Ok(lib)
}

/// How to score with a VAE.
#[derive(Debug, Clone, Default)]
pub struct VaeScoreOptions {
    /// A text column naming the samples (default: the row number).
    pub id_col: Option<String>,
    /// Drop rows holding non-finite values.
    pub drop_nonfinite: bool,
    /// Also score each entry.
    pub per_feature: bool,
    /// Importance samples for the estimate of log p(x) (0 = skip).
    pub iw_samples: usize,
}

/// What scoring samples with a VAE reports.
#[derive(Debug, Clone, Serialize)]
pub struct VaeReport {
    /// `vae`.
    pub model: String,
    /// The decoder likelihood.
    pub likelihood: String,
    /// Samples scored.
    pub n_samples: usize,
    /// Sample names.
    pub samples: Vec<String>,
    /// What `errors` measures (the negative log-likelihood).
    pub error_measure: ErrorMeasure,
    /// Per-sample reconstruction NLL (the contract's per-row error).
    pub errors: Vec<f64>,
    /// Per-sample score (the NLL).
    pub scores: Vec<f64>,
    /// Per-sample reconstruction NLL, decoding the latent mean.
    pub nll: Vec<f64>,
    /// Per-sample ELBO.
    pub elbo: Vec<f64>,
    /// Empirical p-value of each sample against the held-out reference.
    pub p_value: Vec<f64>,
    /// Size of the reference.
    pub reference_samples: usize,
    /// Rows dropped for non-finite values.
    pub dropped_rows: usize,
    /// Importance-weighted log p(x), with `iw_samples`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_likelihood_iw: Option<Vec<f64>>,
    /// Importance samples used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iw_samples: Option<usize>,
    /// Per-entry results, with `per_feature`.
    #[serde(flatten)]
    pub entries: Option<VaeEntries>,
    /// The decoded means (samples × features), for the summary.
    #[serde(skip)]
    pub mean: Vec<Vec<f64>>,
    /// The input counts (samples × features), for the summary.
    #[serde(skip)]
    pub x: Vec<Vec<f64>>,
}

/// Per-entry VAE results (samples × features).
#[derive(Debug, Clone, Serialize)]
pub struct VaeEntries {
    /// The feature names.
    pub features: Vec<String>,
    /// NLL of each entry.
    pub feature_nll: Vec<Vec<f64>>,
    /// Count likelihoods: two-sided p-value of each entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_p_value: Option<Vec<Vec<f64>>>,
    /// Benjamini–Hochberg adjusted p-values within each sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_fdr: Option<Vec<Vec<f64>>>,
    /// z-score of the log fold change within each feature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_z: Option<Vec<Vec<f64>>>,
}

fn nested(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows()).map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect()).collect()
}

/// Scores the samples of `path` with a VAE model.
pub fn score_vae(model: &Model, path: &Path, opts: &VaeScoreOptions) -> Result<VaeReport> {
    let vs: &VaeScorer =
        model.downcast().ok_or_else(|| Error::invalid("model", format!("{} is not a VAE", model.dir.display())))?;
    let vae: &Vae = &vs.model;
    let columns = &vs.columns;
    let read = LoadOptions {
        columns: Some(columns.clone()),
        label_col: opts.id_col.clone(),
        drop_nonfinite: opts.drop_nonfinite,
        ..Default::default()
    };
    let loaded = load_table(path, &read)?;
    let data = loaded.dataset;
    let x = data.x.as_ref();
    let n = x.nrows();
    let ids: Vec<String> = match &data.labels {
        Some(l) => l.clone(),
        None => (0..n).map(|i| i.to_string()).collect(),
    };
    if vae.likelihood().is_count() {
        // Checked here too, so that the message names the file's own column.
        recon_neural::likelihood::check_counts(x, columns)?;
    }
    let out = vae.evaluate(x)?;
    let p = vae.sample_p_values(&out.nll);
    let elbo: Vec<f64> = out.neg_elbo().iter().map(|v| -v).collect();
    let iw = if opts.iw_samples > 0 { Some(vae.iw_log_likelihood(x, opts.iw_samples, 0)?) } else { None };
    let entries = if opts.per_feature {
        let calls = if vae.likelihood().is_count() { Some(vae.feature_calls(x, &out)?) } else { None };
        Some(VaeEntries {
            features: columns.clone(),
            feature_nll: nested(&out.feature_nll),
            feature_p_value: calls.as_ref().map(|c| nested(&c.p_value)),
            feature_fdr: calls.as_ref().map(|c| nested(&c.fdr)),
            feature_z: calls.as_ref().map(|c| nested(&c.z)),
        })
    } else {
        None
    };
    Ok(VaeReport {
        model: "vae".into(),
        likelihood: vae.likelihood().name().into(),
        n_samples: n,
        samples: ids,
        error_measure: ErrorMeasure::NegLogLikelihood,
        errors: out.nll.clone(),
        scores: out.nll.clone(),
        nll: out.nll,
        elbo,
        p_value: p,
        reference_samples: vae.reference().len(),
        dropped_rows: loaded.dropped_rows,
        iw_samples: iw.as_ref().map(|_| opts.iw_samples),
        log_likelihood_iw: iw,
        entries,
        mean: nested(&out.mean),
        x: nested(&data.x),
    })
}

impl VaeReport {
    /// Samples with p < `alpha`.
    pub fn n_flagged(&self, alpha: f64) -> usize {
        self.p_value.iter().filter(|&&v| v < alpha).count()
    }

    /// The `k` entries with the smallest p-values `(sample, feature)`, most significant first.
    pub fn most_significant(&self, k: usize) -> Vec<(usize, usize)> {
        let Some(p) = self.entries.as_ref().and_then(|e| e.feature_p_value.as_ref()) else { return Vec::new() };
        let mut all: Vec<(usize, usize)> = (0..p.len()).flat_map(|i| (0..p[i].len()).map(move |j| (i, j))).collect();
        all.sort_by(|a, b| p[a.0][a.1].total_cmp(&p[b.0][b.1]));
        all.truncate(k);
        all
    }

    /// Entries whose FDR is below `q`.
    pub fn n_below_fdr(&self, q: f64) -> usize {
        self.entries
            .as_ref()
            .and_then(|e| e.feature_fdr.as_ref())
            .map_or(0, |f| f.iter().map(|r| r.iter().filter(|&&v| v < q).count()).sum())
    }

    /// The CSV table: per entry `sample,feature,nll,p_value,fdr,z` with per-entry results, else
    /// per sample `sample,nll,elbo,p_value[,log_likelihood_iw]`.
    pub fn write_table(&self, w: &mut dyn Write) -> std::io::Result<()> {
        if let Some(e) = &self.entries {
            writeln!(w, "sample,feature,nll,p_value,fdr,z")?;
            for (i, id) in self.samples.iter().enumerate() {
                for (j, gene) in e.features.iter().enumerate() {
                    let nll = e.feature_nll[i][j];
                    match (&e.feature_p_value, &e.feature_fdr, &e.feature_z) {
                        (Some(p), Some(f), Some(z)) => {
                            writeln!(w, "{id},{gene},{nll},{},{},{}", p[i][j], f[i][j], z[i][j])?
                        }
                        _ => writeln!(w, "{id},{gene},{nll},,,")?,
                    }
                }
            }
            return Ok(());
        }
        match &self.log_likelihood_iw {
            Some(_) => writeln!(w, "sample,nll,elbo,p_value,log_likelihood_iw")?,
            None => writeln!(w, "sample,nll,elbo,p_value")?,
        }
        for i in 0..self.n_samples {
            write!(w, "{},{},{},{}", self.samples[i], self.nll[i], self.elbo[i], self.p_value[i])?;
            match &self.log_likelihood_iw {
                Some(v) => writeln!(w, ",{}", v[i])?,
                None => writeln!(w)?,
            }
        }
        Ok(())
    }
}
