//! `recon score`: monitoring statistics and alarms for new data, from a file or a live stream.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use recon::data::{write_atomic_send, write_atomic_with};
use recon::score::{
    load_signatures, parse_persistence, score_file, score_stream, score_vae as score_vae_file, ScoreOptions,
    ScoreTable, VaeScoreOptions,
};
use recon::{load_model, Model, VaeScorer};

use crate::output::{print, print_json};
use crate::UsageError;

/// Score new data with any fitted model: per row the reconstruction error, the score and, for
/// a monitor, the threshold and the alarm.
///
/// Every model folder scores: `recon fit` monitors (pca, ae) and VAEs, `recon compress` PCA
/// models and `recon tensor` CP / Tucker models (rows are mode-0 slices flattened in C order,
/// columns x0, x1, … as in a 2-D .npy). The per-row error is the squared reconstruction error in
/// the model's own units (standardised when the model standardises), or the negative
/// log-likelihood for a VAE. Models without a threshold report errors and scores only.
///
/// For a PCA monitor the score is the combined index φ = T²/T²-limit + SPE/SPE-limit (Yue & Qin)
/// over its own limit, so the threshold is 1 and one test at --target-far raises the alarm; t2
/// and spe are reported too (folders fitted before the combined index alarm on the larger of
/// the two ratios). For an autoencoder the
/// score is the mean squared standardised residual and the threshold the calibrated one. The
/// model's own columns are taken from DATA by name (other columns, such as time or a fault
/// label, are ignored); a missing one is an error that names it. Rows must be in time order
/// when the model uses a window.
///
/// --persistence K/M raises an alarm only when at least K of the last M rows exceed the
/// threshold, so alarms do not flap on isolated noisy rows.
///
/// Output: a CSV table on stdout (or in --out FILE) — `row,score,threshold,alarm[,t2,spe]` for
/// a monitor, `row,error,score` for a model without a threshold — and a summary on stderr; with --json one object with arrays `errors`, `scores`, and for
/// monitors `alarms` (and `t2`, `spe` for PCA), `threshold`, `alarm_rate`.
///
/// Streaming: with DATA = `-` and --stream, CSV rows (header first) are read from stdin and one
/// line per row is written and flushed as it arrives; --signatures adds the diagnosis of each
/// alarmed row. A malformed row is reported on stderr and skipped; the stream goes on. The
/// rate in rows/s is reported at the end.
///
/// Examples:
///   recon score te-pca/ d01_test.csv --json
///   tail -f motor.csv | recon score motor-ae/ - --stream --signatures faults.json
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct ScoreArgs {
    /// Model folder written by `recon fit`, `recon compress` or `recon tensor`.
    pub model: PathBuf,
    /// Data to score (.csv or .npy), or `-` for CSV on stdin with --stream.
    pub data: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write the per-row table to this CSV file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Alarm only when K of the last M rows exceed the threshold (e.g. 3/5).
    #[arg(long, value_name = "K/M", default_value = "1/1")]
    pub persistence: String,
    /// Read CSV rows from stdin (DATA = -) and answer each row as it arrives.
    #[arg(long)]
    pub stream: bool,
    /// Signature library (from `recon diagnose fit`) to diagnose alarmed rows while streaming.
    #[arg(long, value_name = "FILE")]
    pub signatures: Option<PathBuf>,
    /// Drop rows holding NaN, ±Inf or empty fields instead of failing.
    #[arg(long)]
    pub drop_nonfinite: bool,
    /// VAE: also score each entry (NLL; for count likelihoods p-value, BH FDR within the
    /// sample, z-score of the log fold change).
    #[arg(long)]
    pub per_feature: bool,
    /// VAE: a text column naming the samples (default: the row number).
    #[arg(long, value_name = "COL")]
    pub id_col: Option<String>,
    /// VAE: importance samples for the estimate of log p(x) (0 = skip).
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub iw_samples: usize,
}

pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    if model.downcast::<VaeScorer>().is_some() {
        return score_vae(&model, &args);
    }
    if args.per_feature || args.id_col.is_some() || args.iw_samples > 0 {
        return Err(UsageError("--per-feature, --id-col and --iw-samples are for VAE models".into()).into());
    }
    let persistence = parse_persistence(&args.persistence)?;
    if args.stream || args.data.as_os_str() == "-" {
        if !(args.stream && args.data.as_os_str() == "-") {
            return Err(UsageError("streaming reads stdin: use DATA = - together with --stream".into()).into());
        }
        return stream(&model, &args, persistence);
    }
    if args.signatures.is_some() {
        return Err(UsageError("--signatures is for --stream; use `recon diagnose` on a file".into()).into());
    }
    batch(&model, &args, persistence)
}

/// `recon score MODEL FILE`: blocks in, table or JSON out.
fn batch(model: &Model, args: &ScoreArgs, persistence: (usize, usize)) -> anyhow::Result<()> {
    let opts = ScoreOptions { persistence, drop_nonfinite: args.drop_nonfinite };
    if args.json && args.out.is_some() {
        return Err(
            UsageError("--json prints the report on stdout and --out writes the CSV table: use one".into()).into()
        );
    }
    let report = if args.json {
        score_file(model, &args.data, &opts, None)?
    } else if let Some(path) = &args.out {
        // Atomic: a bad row met deep in the file leaves no table behind and is reported as itself.
        write_atomic_send(path, |w| score_file(model, &args.data, &opts, Some(ScoreTable::for_path(path, w))))?
    } else {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let r = score_file(model, &args.data, &opts, Some(ScoreTable::Csv(&mut w)))?;
        w.flush()?;
        r
    };
    crate::input::report_dropped(report.dropped_rows);
    match (report.n_alarms, report.threshold) {
        (Some(a), Some(t)) => eprintln!(
            "{} rows scored with the {} monitor: {a} alarms ({:.2}%); threshold {t:.4}",
            report.n_rows,
            report.model,
            100.0 * report.alarm_rate.unwrap_or(0.0),
        ),
        _ => eprintln!(
            "{} rows scored with the {} model: mean reconstruction error {:.6e} (no alarm threshold)",
            report.n_rows, report.model, report.mean_error
        ),
    }
    if args.json {
        print_json(&report)?;
    }
    Ok(())
}

/// Reads CSV rows from stdin and answers each as it arrives.
fn stream(model: &Model, args: &ScoreArgs, persistence: (usize, usize)) -> anyhow::Result<()> {
    if args.json || args.out.is_some() {
        return Err(UsageError("--stream answers row by row on stdout; --json and --out are for files".into()).into());
    }
    let lib = match &args.signatures {
        Some(p) => Some(load_signatures(p, &model.header.columns)?),
        None => None,
    };
    let out = std::io::stdout();
    let mut out = out.lock();
    let threshold = model.scorer.threshold();
    // Monitors answer score, threshold, alarm (and the diagnosis); other models error and score.
    let mut head = String::from(if threshold.is_some() { "row,score,threshold,alarm" } else { "row,error,score" });
    if lib.is_some() {
        head += ",fault,similarity,contributors";
    }
    writeln!(out, "{head}")?;
    out.flush()?;
    let start = Instant::now();
    let sum = score_stream(
        model,
        std::io::stdin().lock(),
        persistence,
        lib.as_ref(),
        |r| {
            let mut text = match threshold {
                Some(t) => format!("{},{},{t},{}", r.row, r.score, u8::from(r.alarm)),
                None => format!("{},{},{}", r.row, r.error, r.score),
            };
            if lib.is_some() {
                text += &match &r.diagnosis {
                    Some((fault, sim, top)) => format!(",{fault},{sim:.4},{}", top.join(";")),
                    None => ",,,".into(),
                };
            }
            writeln!(out, "{text}")?;
            out.flush()
        },
        |line, reason| eprintln!("warning: line {line} skipped: {reason}"),
    )?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{} rows scored ({} skipped), {} alarms; {:.0} rows/s, {:.1} µs per row",
        sum.rows,
        sum.skipped,
        sum.alarms,
        sum.rows as f64 / secs.max(1e-9),
        1e6 * secs / sum.rows.max(1) as f64
    );
    Ok(())
}

/// Scores samples with a VAE: per-sample NLL, ELBO and p-value, and per entry with --per-feature.
fn score_vae(model: &Model, args: &ScoreArgs) -> anyhow::Result<()> {
    if args.stream || args.signatures.is_some() || args.persistence != "1/1" {
        return Err(UsageError("--stream, --signatures and --persistence are for the monitors (pca, ae)".into()).into());
    }
    let opts = VaeScoreOptions {
        id_col: args.id_col.clone(),
        drop_nonfinite: args.drop_nonfinite,
        per_feature: args.per_feature,
        iw_samples: args.iw_samples,
    };
    let r = score_vae_file(model, &args.data, &opts)?;
    crate::input::report_dropped(r.dropped_rows);
    eprintln!(
        "{} samples scored with the VAE ({} likelihood): {} with p < 0.01 against its {} reference samples",
        r.n_samples,
        r.likelihood,
        r.n_flagged(0.01),
        r.reference_samples
    );
    if r.entries.as_ref().is_some_and(|e| e.feature_p_value.is_some()) {
        let e = r.entries.as_ref().expect("checked");
        eprintln!("{} entries with FDR < 0.05; the most significant:", r.n_below_fdr(0.05));
        let (p, f, z) = (
            e.feature_p_value.as_ref().expect("count"),
            e.feature_fdr.as_ref().expect("count"),
            e.feature_z.as_ref().expect("count"),
        );
        for (i, j) in r.most_significant(5) {
            eprintln!(
                "  sample {} gene {}: count {} vs expected {:.1}, p = {:.2e}, FDR = {:.2e}, z = {:.2}",
                r.samples[i], e.features[j], r.x[i][j], r.mean[i][j], p[i][j], f[i][j], z[i][j]
            );
        }
    }
    if args.json {
        return print_json(&r);
    }
    match &args.out {
        Some(path) => Ok(write_atomic_with(path, |w| r.write_table(w))?),
        None => {
            let mut t = Vec::new();
            r.write_table(&mut t)?;
            print(&String::from_utf8(t)?)
        }
    }
}
