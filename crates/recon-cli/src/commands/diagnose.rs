//! `recon diagnose`: name the fault from the direction of the residual vector.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use recon::data::write_json;
use recon::diagnose::{diagnose_file, learn_signatures, SignatureOptions};
use recon::load_model;
use recon::score::{load_signatures, parse_persistence};

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
    let model = load_model(&args.model)?;
    let opts = SignatureOptions {
        label_col: args.label_col.clone(),
        normal_label: args.normal_label.clone(),
        floor: args.floor,
        whiten: args.whiten,
    };
    let (lib, report) = learn_signatures(&model, &args.data, &opts)?;
    write_json(&args.out, &lib)?;
    for s in &lib.signatures {
        eprintln!("signature '{}' from {} alarmed rows", s.fault, s.n_rows);
    }
    for c in &report.collisions {
        eprintln!(
            "warning: {:.1}% of the '{}' training rows are named '{}' (signature cosine {:.3}); this model cannot tell them apart reliably. To separate them: {}",
            100.0 * c.share,
            c.fault,
            c.called,
            c.cosine,
            c.advice.join("; or ")
        );
    }
    #[derive(serde::Serialize)]
    struct Out<'a> {
        out: String,
        #[serde(flatten)]
        report: &'a recon::diagnose::SignatureReport,
    }
    print_json(&Out { out: args.out.display().to_string(), report: &report })
}

fn diagnose(model_dir: &Path, sigs: &Path, data_path: &Path, args: &DiagnoseArgs) -> anyhow::Result<()> {
    let model = load_model(model_dir)?;
    let lib = load_signatures(sigs, &model.header.columns)?;
    let persistence = parse_persistence(&args.persistence)?;
    let report = diagnose_file(&model, &lib, data_path, persistence, args.gap)?;
    eprintln!(
        "{} rows, {} alarms: {}",
        report.n_rows,
        report.n_alarms,
        report.counts.iter().map(|(f, c)| format!("{f} {c}")).collect::<Vec<_>>().join(", ")
    );
    for e in &report.episodes {
        eprintln!(
            "episode rows {}–{}: {} ({:.0}% of its {} alarms)",
            e.start,
            e.end,
            e.fault,
            100.0 * e.share,
            e.n_alarms
        );
    }
    if args.json {
        print_json(&report)
    } else {
        print(&report.table())
    }
}
