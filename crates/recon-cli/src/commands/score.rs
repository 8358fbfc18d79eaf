//! `recon score`: monitoring statistics and alarms for new data, from a file or a live stream.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use faer::Mat;
use recon_core::data::{write_atomic_try, write_atomic_with};
use recon_core::ruler::{Persistence, SignatureLibrary};

use crate::monitor::{LoadedMonitor, Monitor};
use crate::output::{print, print_json};
use crate::UsageError;

/// Score new data with a fitted monitor: per row the score, the threshold and the alarm.
///
/// For a PCA monitor the score is max(T²/T²-limit, SPE/SPE-limit), so the threshold is 1 and an
/// alarm means T² or SPE above its limit; t2 and spe are reported too. For an autoencoder the
/// score is the mean squared standardised residual and the threshold the calibrated one. The
/// model's own columns are taken from DATA by name (other columns, such as time or a fault
/// label, are ignored); a missing one is an error that names it. Rows must be in time order
/// when the model uses a window.
///
/// --persistence K/M raises an alarm only when at least K of the last M rows exceed the
/// threshold, so alarms do not flap on isolated noisy rows.
///
/// Output: a CSV table `row,score,threshold,alarm[,t2,spe]` on stdout (or in --out FILE) and a
/// summary on stderr; with --json one object with arrays `scores`, `alarms` (and `t2`, `spe`
/// for PCA) and `threshold`, `alarm_rate`.
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
    /// Model folder written by `recon fit`.
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

/// Parses `K/M`.
pub fn parse_persistence(s: &str) -> Result<(usize, usize), UsageError> {
    let bad = || UsageError(format!("--persistence '{s}': expected K/M with 1 ≤ K ≤ M, such as 3/5"));
    let (k, m) = s.split_once('/').ok_or_else(bad)?;
    let (k, m): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, m.trim().parse().map_err(|_| bad())?);
    if k == 0 || k > m {
        return Err(bad());
    }
    Ok((k, m))
}

/// Loads a signature library and checks it fits the model.
pub fn load_signatures(path: &Path, features: &[String]) -> anyhow::Result<SignatureLibrary> {
    let text = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => recon_core::Error::MissingFile { path: path.to_path_buf() },
        _ => recon_core::Error::Corrupt { path: path.to_path_buf(), reason: e.to_string() },
    })?;
    let lib: SignatureLibrary = serde_json::from_slice(&text).map_err(|e| recon_core::Error::Corrupt {
        path: path.to_path_buf(),
        reason: format!("not a signature file: {e}"),
    })?;
    let lib = lib.normalised();
    lib.validate()?;
    if lib.features != features {
        return Err(recon_core::Error::invalid(
            "signatures",
            format!("{} was learned for other features than this model's", path.display()),
        )
        .into());
    }
    Ok(lib)
}

pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    if recon_core::model::model_kind(&args.model)? == "vae" {
        return score_vae(&args);
    }
    if args.per_feature || args.id_col.is_some() || args.iw_samples > 0 {
        return Err(UsageError("--per-feature, --id-col and --iw-samples are for VAE models".into()).into());
    }
    let model = LoadedMonitor::load(&args.model)?;
    let (k, m) = parse_persistence(&args.persistence)?;
    if args.stream || args.data.as_os_str() == "-" {
        if !(args.stream && args.data.as_os_str() == "-") {
            return Err(UsageError("streaming reads stdin: use DATA = - together with --stream".into()).into());
        }
        return stream(&model, &args, k, m);
    }
    if args.signatures.is_some() {
        return Err(UsageError("--signatures is for --stream; use `recon diagnose` on a file".into()).into());
    }
    batch(&model, &args, k, m)
}

/// Rows per block of the batch scorer: the file is read, expanded into window features, scored
/// and written block by block, so memory stays flat however long the file is.
const BLOCK: usize = 1 << 16;

/// What the batch scorer keeps for the summary and `--json`.
#[derive(Default)]
struct BatchSummary {
    n: usize,
    alarms: usize,
    /// Kept only for `--json`.
    scores: Vec<f64>,
    alarm_flags: Vec<u8>,
    t2: Vec<f64>,
    spe: Vec<f64>,
}

/// Scores a file block by block: the table (or nothing, for `--json`) goes to `w`.
fn score_blocks(
    model: &LoadedMonitor,
    args: &ScoreArgs,
    k: usize,
    m: usize,
    w: &mut dyn Write,
) -> anyhow::Result<(BatchSummary, usize)> {
    let opts = recon_core::data::LoadOptions {
        columns: Some(model.base.clone()),
        drop_nonfinite: args.drop_nonfinite,
        ..Default::default()
    };
    let mut reader = recon_core::data::TableReader::open(&args.data, &opts)?;
    let mut window = model.window.stream(model.base.len());
    let mut persistence = Persistence::new(k, m)?;
    let mut sum = BatchSummary::default();
    let pca = matches!(model.monitor, Monitor::Pca(_));
    if !args.json {
        writeln!(w, "row,score,threshold,alarm{}", if pca { ",t2,spe" } else { "" })?;
    }
    // Shortest round-trip decimal for every float (ryu: the same numbers as `Display`, written
    // about twice as fast; formatting dominated the table output).
    let mut fmt = ryu::Buffer::new();
    let threshold = model.threshold();
    let threshold_text = fmt.format(threshold).to_string();
    while let Some(raw) = reader.next_chunk(BLOCK)? {
        let x = window.push_block(raw.as_ref());
        let ev = model.scores(x.as_ref())?;
        for (i, &score) in ev.score.iter().enumerate() {
            let alarm = persistence.push(score > threshold);
            sum.alarms += usize::from(alarm);
            let r = sum.n + i;
            if args.json {
                sum.scores.push(score);
                sum.alarm_flags.push(u8::from(alarm));
                if let Some((t2, spe)) = &ev.t2_spe {
                    sum.t2.push(t2[i]);
                    sum.spe.push(spe[i]);
                }
            } else {
                write!(w, "{r},{},{threshold_text},{}", fmt.format(score), u8::from(alarm))?;
                match &ev.t2_spe {
                    Some((t2, spe)) => {
                        w.write_all(b",")?;
                        w.write_all(fmt.format(t2[i]).as_bytes())?;
                        w.write_all(b",")?;
                        w.write_all(fmt.format(spe[i]).as_bytes())?;
                        w.write_all(b"\n")?;
                    }
                    None => w.write_all(b"\n")?,
                }
            }
        }
        sum.n += raw.nrows();
    }
    if sum.n == 0 {
        let reason = if reader.dropped_rows() > 0 {
            format!("all {} rows held non-finite values and were dropped", reader.dropped_rows())
        } else {
            "no data rows".to_string()
        };
        return Err(recon_core::Error::Empty { what: args.data.display().to_string(), reason }.into());
    }
    Ok((sum, reader.dropped_rows()))
}

/// `recon score MODEL FILE` for the monitors: blocks in, table or JSON out.
fn batch(model: &LoadedMonitor, args: &ScoreArgs, k: usize, m: usize) -> anyhow::Result<()> {
    let (sum, dropped) = if args.json {
        score_blocks(model, args, k, m, &mut std::io::sink())?
    } else if let Some(path) = &args.out {
        // Atomic: a bad row met deep in the file leaves no table behind and is reported as itself.
        write_atomic_try(path, |w| score_blocks(model, args, k, m, w))?
    } else {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let r = score_blocks(model, args, k, m, &mut w)?;
        w.flush()?;
        r
    };
    crate::input::report_dropped(dropped);
    let rate = sum.alarms as f64 / sum.n as f64;
    eprintln!(
        "{} rows scored with the {} monitor: {} alarms ({:.2}%); threshold {:.4}",
        sum.n,
        model.kind(),
        sum.alarms,
        100.0 * rate,
        model.threshold()
    );
    if !args.json {
        return Ok(());
    }
    let mut obj = serde_json::json!({
        "model": model.kind(),
        "n_rows": sum.n,
        "scores": sum.scores,
        "alarms": sum.alarm_flags,
        "threshold": model.threshold(),
        "alarm_rate": rate,
        "persistence": [k, m],
        "dropped_rows": dropped,
    });
    if let Monitor::Pca(pm) = &model.monitor {
        obj["t2"] = serde_json::json!(sum.t2);
        obj["spe"] = serde_json::json!(sum.spe);
        obj["t2_limit"] = serde_json::json!(pm.limits().t2);
        obj["spe_limit"] = serde_json::json!(pm.limits().spe);
    }
    print_json(&obj)
}

/// Reads CSV rows from stdin and answers each as it arrives.
fn stream(model: &LoadedMonitor, args: &ScoreArgs, k: usize, m: usize) -> anyhow::Result<()> {
    let lib = match &args.signatures {
        Some(p) => Some(load_signatures(p, &model.features)?),
        None => None,
    };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let header = match lines.next() {
        Some(h) => h.map_err(|e| anyhow::anyhow!("reading stdin: {e}"))?,
        None => {
            return Err(recon_core::Error::Empty { what: "stdin".into(), reason: "no header row".into() }.into());
        }
    };
    let names: Vec<String> = header.split(',').map(|s| s.trim().trim_matches('"').to_string()).collect();
    let idx: Vec<usize> = model
        .base
        .iter()
        .map(|c| {
            names
                .iter()
                .position(|n| n == c)
                .ok_or_else(|| recon_core::Error::UnknownColumn { column: c.clone(), available: names.join(", ") })
        })
        .collect::<Result<_, _>>()?;
    let out = std::io::stdout();
    let mut out = out.lock();
    let mut head = String::from("row,score,threshold,alarm");
    if lib.is_some() {
        head += ",fault,similarity,contributors";
    }
    writeln!(out, "{head}")?;
    out.flush()?;
    let mut window = model.window.stream(model.base.len());
    let mut persistence = Persistence::new(k, m)?;
    let (mut rows, mut skipped, mut alarms) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    for (line_no, line) in lines.enumerate() {
        let line = line.map_err(|e| anyhow::anyhow!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let parsed: Result<Vec<f64>, String> = idx
            .iter()
            .map(|&j| {
                let f =
                    fields.get(j).ok_or_else(|| format!("{} fields, the header has {}", fields.len(), names.len()))?;
                match f.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(format!("column '{}' holds '{}', not a finite number", names[j], f.trim())),
                }
            })
            .collect();
        let row = match parsed {
            Ok(r) => r,
            Err(reason) => {
                eprintln!("warning: line {} skipped: {reason}", line_no + 2);
                skipped += 1;
                continue;
            }
        };
        let feats = window.push(&row);
        let x = Mat::from_fn(1, feats.len(), |_, j| feats[j]);
        let ev = model.evaluate(x.as_ref())?;
        let alarm = persistence.push(ev.score[0] > model.threshold());
        alarms += usize::from(alarm);
        let mut text = format!("{rows},{},{},{}", ev.score[0], model.threshold(), u8::from(alarm));
        if let Some(lib) = &lib {
            if alarm {
                let d = lib.diagnose(&ev.residual_row(0));
                let top: Vec<&str> = d.contributors.iter().take(3).map(|&j| model.features[j].as_str()).collect();
                text += &format!(",{},{:.4},{}", d.fault.as_deref().unwrap_or("unknown"), d.similarity, top.join(";"));
            } else {
                text += ",,,";
            }
        }
        writeln!(out, "{text}")?;
        out.flush()?;
        rows += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{rows} rows scored ({skipped} skipped), {alarms} alarms; {:.0} rows/s, {:.1} µs per row",
        rows as f64 / secs.max(1e-9),
        1e6 * secs / rows.max(1) as f64
    );
    Ok(())
}

/// Scores samples with a VAE: per-sample NLL, ELBO and p-value, and per entry with --per-feature.
fn score_vae(args: &ScoreArgs) -> anyhow::Result<()> {
    if args.stream || args.signatures.is_some() || args.persistence != "1/1" {
        return Err(UsageError("--stream, --signatures and --persistence are for the monitors (pca, ae)".into()).into());
    }
    let (vae, columns) = recon_neural::Vae::load(&args.model)?;
    let opts = recon_core::data::LoadOptions {
        columns: Some(columns.clone()),
        label_col: args.id_col.clone(),
        drop_nonfinite: args.drop_nonfinite,
        ..Default::default()
    };
    let loaded = recon_core::data::load_table(&args.data, &opts)?;
    crate::input::report_dropped(loaded.dropped_rows);
    let data = loaded.dataset;
    let x = data.x.as_ref();
    let (n, d) = (x.nrows(), x.ncols());
    let ids: Vec<String> = match &data.labels {
        Some(l) => l.clone(),
        None => (0..n).map(|i| i.to_string()).collect(),
    };
    let out = vae.evaluate(x)?;
    let p = vae.sample_p_values(&out.nll);
    let elbo: Vec<f64> = out.neg_elbo().iter().map(|v| -v).collect();
    let iw = if args.iw_samples > 0 { Some(vae.iw_log_likelihood(x, args.iw_samples, 0)?) } else { None };
    let calls = if args.per_feature && vae.likelihood().is_count() { Some(vae.feature_calls(x, &out)?) } else { None };
    let lik = vae.likelihood().name();
    let flagged = p.iter().filter(|&&v| v < 0.01).count();
    eprintln!(
        "{n} samples scored with the VAE ({lik} likelihood): {flagged} with p < 0.01 against its {} reference samples",
        vae.reference().len()
    );
    if let Some(c) = &calls {
        eprintln!("{} entries with FDR < 0.05; the most significant:", c.n_below_fdr(0.05));
        for (i, j) in c.most_significant(5) {
            eprintln!(
                "  sample {} gene {}: count {} vs expected {:.1}, p = {:.2e}, FDR = {:.2e}, z = {:.2}",
                ids[i],
                columns[j],
                x[(i, j)],
                out.mean[(i, j)],
                c.p_value[(i, j)],
                c.fdr[(i, j)],
                c.z[(i, j)]
            );
        }
    }
    if args.json {
        let nested = |m: &Mat<f64>| -> Vec<Vec<f64>> { (0..n).map(|i| (0..d).map(|j| m[(i, j)]).collect()).collect() };
        let mut obj = serde_json::json!({
            "model": "vae",
            "likelihood": lik,
            "n_samples": n,
            "samples": ids,
            "nll": out.nll,
            "elbo": elbo,
            "p_value": p,
            "reference_samples": vae.reference().len(),
            "dropped_rows": loaded.dropped_rows,
        });
        if let Some(iw) = &iw {
            obj["log_likelihood_iw"] = serde_json::json!(iw);
            obj["iw_samples"] = serde_json::json!(args.iw_samples);
        }
        if args.per_feature {
            obj["features"] = serde_json::json!(columns);
            obj["feature_nll"] = serde_json::json!(nested(&out.feature_nll));
            if let Some(c) = &calls {
                obj["feature_p_value"] = serde_json::json!(nested(&c.p_value));
                obj["feature_fdr"] = serde_json::json!(nested(&c.fdr));
                obj["feature_z"] = serde_json::json!(nested(&c.z));
            }
        }
        return print_json(&obj);
    }
    let mut t = String::new();
    if args.per_feature {
        t += "sample,feature,nll,p_value,fdr,z\n";
        for (i, id) in ids.iter().enumerate() {
            for (j, gene) in columns.iter().enumerate() {
                let nll = out.feature_nll[(i, j)];
                t += &match &calls {
                    Some(c) => format!("{id},{gene},{nll},{},{},{}\n", c.p_value[(i, j)], c.fdr[(i, j)], c.z[(i, j)]),
                    None => format!("{id},{gene},{nll},,,\n"),
                };
            }
        }
    } else {
        t += if iw.is_some() { "sample,nll,elbo,p_value,log_likelihood_iw\n" } else { "sample,nll,elbo,p_value\n" };
        for i in 0..n {
            t += &format!("{},{},{},{}", ids[i], out.nll[i], elbo[i], p[i]);
            t += &iw.as_ref().map_or("\n".to_string(), |v| format!(",{}\n", v[i]));
        }
    }
    match &args.out {
        Some(path) => Ok(write_atomic_with(path, |w| w.write_all(t.as_bytes()))?),
        None => print(&t),
    }
}
