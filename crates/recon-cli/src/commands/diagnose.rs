//! `recon diagnose`: name the fault from the direction of the residual vector.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use recon_core::data::write_json;
use recon_core::ruler::{episodes, persistent_alarms, SignatureLibrary};

use crate::commands::score::{load_signatures, parse_persistence};
use crate::monitor::LoadedMonitor;
use crate::output::{print, print_json};
use crate::UsageError;

/// Name the fault behind each alarm from the direction of its residual vector.
///
/// Each residual vector is standardised by the spread of residuals on normal rows and turned
/// into a unit direction; a fault's signature is the mean direction of the alarmed rows of its
/// labelled episodes. An alarm is matched to the signature of highest cosine similarity, or
/// called "unknown" when the best similarity is below the library's floor (by default the 5th
/// percentile of the training rows' similarity to their own signature). The variables with the
/// largest standardised residuals are reported as contributors.
///
/// Learn a library from labelled runs (the normal rows give the spread):
///   recon diagnose fit MODEL_DIR LABELLED.csv --label-col fault --out signatures.json
/// Diagnose new data:
///   recon diagnose MODEL_DIR signatures.json DATA.csv [--json]
///
/// --json prints one object with `predictions`, one entry per input row:
/// {"row": i, "alarm": 0|1, "fault": name or "unknown" (null when no alarm), "similarity": x,
///  "contributors": [names]}. A signature file is JSON and may be written by hand: {"version": 1,
/// "features": [...], "spread": [...], "floor": 0.8, "signatures": [{"fault": "...",
/// "direction": [...]}]}.
#[derive(Args, Debug)]
#[command(verbatim_doc_comment, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DiagnoseArgs {
    #[command(subcommand)]
    pub fit: Option<DiagnoseCommand>,
    /// Model folder written by `recon fit`.
    #[arg(required = true)]
    pub model: Option<PathBuf>,
    /// Signature library written by `recon diagnose fit` (or by hand).
    #[arg(required = true)]
    pub signatures: Option<PathBuf>,
    /// Data to diagnose (.csv or .npy).
    #[arg(required = true)]
    pub data: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Alarm only when K of the last M rows exceed the threshold.
    #[arg(long, value_name = "K/M", default_value = "1/1")]
    pub persistence: String,
    /// Alarms separated by at most this many quiet rows belong to one episode.
    #[arg(long, default_value_t = 50, value_name = "ROWS")]
    pub gap: usize,
}

#[derive(Subcommand, Debug)]
pub enum DiagnoseCommand {
    /// Learn fault signatures from labelled data (normal rows and fault episodes).
    Fit(DiagnoseFitArgs),
}

/// Learn fault signatures from labelled data.
#[derive(Args, Debug)]
pub struct DiagnoseFitArgs {
    /// Model folder written by `recon fit`.
    pub model: PathBuf,
    /// Labelled data: normal rows and fault episodes, one label per row.
    pub data: PathBuf,
    /// The column holding each row's label.
    #[arg(long, value_name = "NAME")]
    pub label_col: String,
    /// The label of normal rows.
    #[arg(long, default_value = "normal")]
    pub normal_label: String,
    /// Similarity floor below which an alarm is "unknown" (default: calibrated on the training rows).
    #[arg(long, value_name = "F")]
    pub floor: Option<f64>,
    /// Match directions after decorrelating residuals by their normal covariance (whitening)
    /// instead of scaling each variable by its normal spread.
    #[arg(long)]
    pub whiten: bool,
    /// Signature file to write (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(args: DiagnoseArgs) -> anyhow::Result<()> {
    match args.fit {
        Some(DiagnoseCommand::Fit(f)) => fit(f),
        None => {
            let missing = || UsageError("usage: recon diagnose MODEL_DIR SIGNATURES.json DATA.csv".into());
            let model = args.model.clone().ok_or_else(missing)?;
            let sigs = args.signatures.clone().ok_or_else(missing)?;
            let data = args.data.clone().ok_or_else(missing)?;
            diagnose(&model, &sigs, &data, &args)
        }
    }
}

fn fit(args: DiagnoseFitArgs) -> anyhow::Result<()> {
    let model = LoadedMonitor::load(&args.model)?;
    let (loaded, x) = model.load_features(&args.data, Some(args.label_col.clone()), false)?;
    let labels = loaded.dataset.labels.clone().expect("label column requested");
    let ev = model.evaluate(x.as_ref())?;
    let alarms: Vec<bool> = ev.score.iter().map(|&s| s > model.threshold()).collect();
    let residuals: Vec<Vec<f64>> = (0..x.nrows()).map(|i| ev.residual_row(i)).collect();
    let lib = SignatureLibrary::learn(
        model.features.clone(),
        &residuals,
        &labels,
        &alarms,
        &args.normal_label,
        args.floor,
        args.whiten,
    )?;
    write_json(&args.out, &lib)?;
    for s in &lib.signatures {
        eprintln!("signature '{}' from {} alarmed rows", s.fault, s.n_rows);
    }
    let pairs = lib.confusable_pairs();
    let confusion = lib.confusion(&residuals, &labels, &alarms, &args.normal_label);
    for (fault, called, share) in &confusion {
        if called != fault && called != "unknown" && *share > 0.05 {
            let cos = pairs.iter().find(|p| (&p.0 == fault && &p.1 == called) || (&p.1 == fault && &p.0 == called));
            eprintln!(
                "warning: {:.1}% of the '{fault}' training rows are named '{called}' (signature cosine {:.3}); this model cannot tell them apart reliably",
                100.0 * share,
                cos.map_or(f64::NAN, |p| p.2)
            );
        }
    }
    print_json(&serde_json::json!({
        "out": args.out.display().to_string(),
        "faults": lib.signatures.iter().map(|s| &s.fault).collect::<Vec<_>>(),
        "rows_per_fault": lib.signatures.iter().map(|s| s.n_rows).collect::<Vec<_>>(),
        "floor": lib.floor,
        "whitened": lib.whitening.is_some(),
        "signature_similarity": pairs.iter().map(|(a, b, c)| serde_json::json!({"a": a, "b": b, "cosine": c})).collect::<Vec<_>>(),
        "training_confusion": confusion.iter().map(|(f, c, s)| serde_json::json!({"fault": f, "called": c, "share": s})).collect::<Vec<_>>(),
    }))
}

fn diagnose(model_dir: &Path, sigs: &Path, data_path: &Path, args: &DiagnoseArgs) -> anyhow::Result<()> {
    let model = LoadedMonitor::load(model_dir)?;
    let lib = load_signatures(sigs, &model.features)?;
    let (k, m) = parse_persistence(&args.persistence)?;
    let (_, x) = model.load_features(data_path, None, false)?;
    let ev = model.evaluate(x.as_ref())?;
    let raw: Vec<bool> = ev.score.iter().map(|&s| s > model.threshold()).collect();
    let alarms = persistent_alarms(&raw, k, m)?;
    let mut preds = Vec::with_capacity(alarms.len());
    let mut row_faults: Vec<Option<String>> = vec![None; alarms.len()];
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut table = String::from("row,alarm,fault,similarity,contributors\n");
    for (i, &alarm) in alarms.iter().enumerate() {
        if !alarm {
            preds
                .push(serde_json::json!({"row": i, "alarm": 0, "fault": null, "similarity": null, "contributors": []}));
            table += &format!("{i},0,,,\n");
            continue;
        }
        let d = lib.diagnose(&ev.residual_row(i));
        row_faults[i] = d.fault.clone();
        let fault = d.fault.clone().unwrap_or_else(|| "unknown".into());
        *counts.entry(fault.clone()).or_default() += 1;
        let top: Vec<&str> = d.contributors.iter().take(3).map(|&j| model.features[j].as_str()).collect();
        table += &format!("{i},1,{fault},{:.4},{}\n", d.similarity, top.join(";"));
        preds.push(serde_json::json!({
            "row": i,
            "alarm": 1,
            "fault": fault,
            "similarity": d.similarity,
            "contributors": top,
            "candidates": d.candidates.iter().map(|(f, s)| serde_json::json!({"fault": f, "similarity": s})).collect::<Vec<_>>(),
        }));
    }
    let n_alarms: usize = counts.values().sum();
    eprintln!(
        "{} rows, {n_alarms} alarms: {}",
        alarms.len(),
        counts.iter().map(|(f, c)| format!("{f} {c}")).collect::<Vec<_>>().join(", ")
    );
    let eps = episodes(&alarms, &row_faults, args.gap);
    for e in &eps {
        eprintln!(
            "episode rows {}–{}: {} ({:.0}% of its {} alarms)",
            e.start,
            e.end,
            e.fault.as_deref().unwrap_or("unknown"),
            100.0 * e.share,
            e.n_alarms
        );
    }
    let eps_json: Vec<serde_json::Value> = eps
        .iter()
        .map(|e| {
            serde_json::json!({"start": e.start, "end": e.end, "fault": e.fault.as_deref().unwrap_or("unknown"),
                "share": e.share, "n_alarms": e.n_alarms})
        })
        .collect();
    if args.json {
        print_json(&serde_json::json!({
            "n_rows": alarms.len(),
            "n_alarms": n_alarms,
            "counts": counts,
            "floor": lib.floor,
            "episodes": eps_json,
            "predictions": preds,
        }))
    } else {
        print(&table)
    }
}
