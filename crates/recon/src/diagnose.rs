//! Diagnosis pipelines: learn fault signatures from labelled rows, and name each alarm of a
//! file by the direction of its residual vector, grouped into episodes. Any [`Model`] with a
//! threshold and per-feature residuals works; the rulers see only [`recon_core::Scorer`].

use std::collections::BTreeMap;
use std::path::Path;

use faer::Mat;
use recon_core::data::{load_table, LoadOptions};
use recon_core::model::ModelKind;
use recon_core::ruler::{episodes, persistent_alarms, SignatureLibrary};
use recon_core::{Error, Result};
use serde::Serialize;

use crate::registry::Model;

/// Rows of a file as the model's window features, with the labels of `label_col`.
fn features(model: &Model, path: &Path, label_col: Option<String>) -> Result<(Mat<f64>, Option<Vec<String>>, usize)> {
    let h = &model.header;
    let opts = LoadOptions { columns: Some(h.inputs.clone()), label_col, ..Default::default() };
    let loaded = load_table(path, &opts)?;
    let (x, _) = h.window.features(loaded.dataset.x.as_ref(), &loaded.dataset.columns)?;
    Ok((x, loaded.dataset.labels, loaded.dropped_rows))
}

/// Raw alarms and residual vectors of rows that are already features.
fn alarms_and_residuals(model: &Model, x: &Mat<f64>) -> Result<(Vec<bool>, Vec<Vec<f64>>)> {
    let threshold = model.scorer.threshold().ok_or_else(|| {
        Error::invalid(
            "model",
            format!(
                "a {} model has no alarm threshold to diagnose; diagnosis needs a PCA or autoencoder monitor",
                model.header.kind
            ),
        )
    })?;
    let block = model.scorer.score(x.as_ref(), true)?;
    let r = block.residuals.expect("residuals were asked for");
    let alarms = block.scores.iter().map(|&s| s > threshold).collect();
    Ok((alarms, (0..x.nrows()).map(|i| r.row(i)).collect()))
}

/// One pair of signatures and their cosine.
#[derive(Debug, Clone, Serialize)]
pub struct SignaturePair {
    pub a: String,
    pub b: String,
    pub cosine: f64,
}

/// Which share of a fault's training rows was called what.
#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    pub fault: String,
    pub called: String,
    pub share: f64,
}

/// A pair of faults the library confuses on its own training rows, and what would separate them.
#[derive(Debug, Clone, Serialize)]
pub struct Collision {
    /// The fault whose rows are misnamed.
    pub fault: String,
    /// What they are called instead.
    pub called: String,
    /// The share of the fault's alarmed training rows called that.
    pub share: f64,
    /// Cosine of the two signatures.
    pub cosine: f64,
    /// Changes to the model or the library that give the two faults different residual
    /// directions, most likely to help first.
    pub advice: Vec<String>,
}

/// Above this share of a fault's training rows named as another fault, the pair collides.
pub const COLLISION_SHARE: f64 = 0.05;

/// The changes that separate colliding faults, for a library learned on `model` (whitened or not):
/// a linear monitor (a fault's PCA residual is a fixed projection of it, so a fault keeps one
/// direction; a nonlinear autoencoder's residual direction moves with the operating point);
/// memory (moving averages or lags: a step and a slow drift leave the same instantaneous
/// residual but different filtered ones); whitening (decorrelated residuals scatter tightly
/// around each signature).
pub fn collision_advice(model: &Model, whitened: bool) -> Vec<String> {
    let mut advice = Vec::new();
    if model.header.kind != ModelKind::Pca {
        advice.push(
            "diagnose with a linear monitor: refit with --model pca (a fault's PCA residual is a fixed projection of it, so each fault keeps one direction)"
                .to_string(),
        );
    }
    let w = &model.header.window;
    if w.emas.is_empty() {
        advice.push(
            "give the model memory: refit with --ema 5,20,50,200 (a filter bank; or more --lags) so fast and slow responses leave different residuals"
                .to_string(),
        );
    } else if w.emas.len() < 3 {
        advice.push("add slower moving averages to --ema (e.g. 5,20,50,200)".to_string());
    }
    if !whitened {
        advice
            .push("learn the signatures with --whiten (residuals decorrelated by their normal covariance)".to_string());
    }
    if advice.is_empty() {
        advice.push(
            "label more fault rows, or accept that this model cannot tell them apart (their residual directions agree)"
                .to_string(),
        );
    }
    advice
}

/// What learning a signature library reports (`recon diagnose fit`).
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// The faults learned.
    pub faults: Vec<String>,
    /// Alarmed training rows behind each signature.
    pub rows_per_fault: Vec<usize>,
    /// The similarity floor below which an alarm is "unknown".
    pub floor: f64,
    /// Whether residuals are whitened.
    pub whitened: bool,
    /// Cosine of every pair of signatures.
    pub signature_similarity: Vec<SignaturePair>,
    /// Calls on the training rows themselves.
    pub training_confusion: Vec<Confusion>,
    /// Pairs confused on more than [`COLLISION_SHARE`] of a fault's training rows, with advice.
    pub collisions: Vec<Collision>,
}

/// How to learn signatures.
#[derive(Debug, Clone)]
pub struct SignatureOptions {
    /// The column holding each row's label.
    pub label_col: String,
    /// The label of normal rows.
    pub normal_label: String,
    /// Similarity floor (default: calibrated on the training rows).
    pub floor: Option<f64>,
    /// Decorrelate residuals by their normal covariance.
    pub whiten: bool,
}

/// Learns a signature library from the labelled rows of `path`.
pub fn learn_signatures(
    model: &Model,
    path: &Path,
    opts: &SignatureOptions,
) -> Result<(SignatureLibrary, SignatureReport)> {
    let (x, labels, _) = features(model, path, Some(opts.label_col.clone()))?;
    let labels = labels.expect("label column requested");
    let (alarms, residuals) = alarms_and_residuals(model, &x)?;
    let lib = SignatureLibrary::learn(
        model.header.columns.clone(),
        &residuals,
        &labels,
        &alarms,
        &opts.normal_label,
        opts.floor,
        opts.whiten,
    )?;
    let pairs = lib.confusable_pairs();
    let confusion = lib.confusion(&residuals, &labels, &alarms, &opts.normal_label);
    let report = SignatureReport {
        faults: lib.signatures.iter().map(|s| s.fault.clone()).collect(),
        rows_per_fault: lib.signatures.iter().map(|s| s.n_rows).collect(),
        floor: lib.floor,
        whitened: lib.whitening.is_some(),
        signature_similarity: pairs.into_iter().map(|(a, b, cosine)| SignaturePair { a, b, cosine }).collect(),
        training_confusion: confusion
            .into_iter()
            .map(|(fault, called, share)| Confusion { fault, called, share })
            .collect(),
        collisions: Vec::new(),
    };
    let advice = collision_advice(model, opts.whiten);
    let collisions = report
        .training_confusion
        .iter()
        .filter(|c| c.called != c.fault && c.called != "unknown" && c.share > COLLISION_SHARE)
        .map(|c| Collision {
            fault: c.fault.clone(),
            called: c.called.clone(),
            share: c.share,
            cosine: report.cosine(&c.fault, &c.called).unwrap_or(f64::NAN),
            advice: advice.clone(),
        })
        .collect();
    Ok((lib, SignatureReport { collisions, ..report }))
}

impl SignatureReport {
    /// The cosine of the signatures of `a` and `b`.
    pub fn cosine(&self, a: &str, b: &str) -> Option<f64> {
        self.signature_similarity.iter().find(|p| (p.a == a && p.b == b) || (p.a == b && p.b == a)).map(|p| p.cosine)
    }
}

/// One fault candidate of a diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub fault: String,
    pub similarity: f64,
}

/// The diagnosis of one row.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub row: usize,
    pub alarm: u8,
    /// The fault named, "unknown", or `None` when the row raised no alarm.
    pub fault: Option<String>,
    pub similarity: Option<f64>,
    /// The three variables with the largest standardised residuals.
    pub contributors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<Candidate>>,
}

/// A run of alarms with the fault most of them were named.
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeReport {
    pub start: usize,
    pub end: usize,
    pub fault: String,
    pub share: f64,
    pub n_alarms: usize,
}

/// What diagnosing a file reports (`recon diagnose`).
#[derive(Debug, Clone, Serialize)]
pub struct DiagnoseReport {
    pub n_rows: usize,
    pub n_alarms: usize,
    /// Alarms per fault name.
    pub counts: BTreeMap<String, usize>,
    pub floor: f64,
    pub episodes: Vec<EpisodeReport>,
    pub predictions: Vec<Prediction>,
}

/// Names each alarm of `path` (after `k/m` persistence) by the library; alarms at most `gap`
/// quiet rows apart form one episode.
pub fn diagnose_file(
    model: &Model,
    lib: &SignatureLibrary,
    path: &Path,
    persistence: (usize, usize),
    gap: usize,
) -> Result<DiagnoseReport> {
    let (x, _, _) = features(model, path, None)?;
    let (raw, residuals) = alarms_and_residuals(model, &x)?;
    let alarms = persistent_alarms(&raw, persistence.0, persistence.1)?;
    let mut predictions = Vec::with_capacity(alarms.len());
    let mut row_faults: Vec<Option<String>> = vec![None; alarms.len()];
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (i, &alarm) in alarms.iter().enumerate() {
        if !alarm {
            predictions.push(Prediction {
                row: i,
                alarm: 0,
                fault: None,
                similarity: None,
                contributors: Vec::new(),
                candidates: None,
            });
            continue;
        }
        let d = lib.diagnose(&residuals[i]);
        row_faults[i] = d.fault.clone();
        let fault = d.fault.clone().unwrap_or_else(|| "unknown".into());
        *counts.entry(fault.clone()).or_default() += 1;
        predictions.push(Prediction {
            row: i,
            alarm: 1,
            fault: Some(fault),
            similarity: Some(d.similarity),
            contributors: d.contributors.iter().take(3).map(|&j| model.header.columns[j].clone()).collect(),
            candidates: Some(
                d.candidates.into_iter().map(|(fault, similarity)| Candidate { fault, similarity }).collect(),
            ),
        });
    }
    let eps = episodes(&alarms, &row_faults, gap)
        .into_iter()
        .map(|e| EpisodeReport {
            start: e.start,
            end: e.end,
            fault: e.fault.unwrap_or_else(|| "unknown".into()),
            share: e.share,
            n_alarms: e.n_alarms,
        })
        .collect();
    Ok(DiagnoseReport {
        n_rows: alarms.len(),
        n_alarms: counts.values().sum(),
        counts,
        floor: lib.floor,
        episodes: eps,
        predictions,
    })
}

impl DiagnoseReport {
    /// The CSV table `row,alarm,fault,similarity,contributors`.
    pub fn table(&self) -> String {
        let mut t = String::from("row,alarm,fault,similarity,contributors\n");
        for p in &self.predictions {
            match (&p.fault, p.similarity) {
                (Some(f), Some(s)) => t += &format!("{},1,{f},{s:.4},{}\n", p.row, p.contributors.join(";")),
                _ => t += &format!("{},0,,,\n", p.row),
            }
        }
        t
    }
}
