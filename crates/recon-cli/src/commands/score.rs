//! `recon score`: monitoring statistics and alarms for new data.

use std::path::PathBuf;

use clap::Args;
use recon_core::data::{load_table, write_atomic_with, LoadOptions};
use recon_linear::PcaMonitor;

use crate::input::report_dropped;
use crate::output::{print, print_json};

/// Score new data with a fitted monitor: per row the score, the threshold and the alarm.
///
/// For a PCA monitor the score is max(T²/T²-limit, SPE/SPE-limit), so the threshold is 1 and an
/// alarm means T² or SPE above its limit; t2 and spe are reported too. The model's own columns
/// are taken from DATA by name (other columns, such as time or a fault label, are ignored); a
/// missing one is an error that names it.
///
/// Output: a CSV table `row,score,threshold,alarm,t2,spe` on stdout (or in --out FILE) and a
/// summary on stderr; with --json one object with arrays `scores`, `alarms`, `t2`, `spe` and
/// `threshold`, `alarm_rate`, `t2_limit`, `spe_limit`.
///
/// Example:
///   recon score te-pca/ d01_test.csv --json
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct ScoreArgs {
    /// Model folder written by `recon fit`.
    pub model: PathBuf,
    /// Data to score (.csv or .npy).
    pub data: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write the per-row table to this CSV file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Drop rows holding NaN, ±Inf or empty fields instead of failing.
    #[arg(long)]
    pub drop_nonfinite: bool,
}

pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    let (monitor, columns) = PcaMonitor::load(&args.model)?;
    let opts = LoadOptions { columns: Some(columns), drop_nonfinite: args.drop_nonfinite, ..Default::default() };
    let loaded = load_table(&args.data, &opts)?;
    report_dropped(loaded.dropped_rows);
    let s = monitor.score(loaded.dataset.x.as_ref())?;
    let threshold = 1.0;
    let alarms: Vec<u8> = s.score.iter().map(|&v| u8::from(v > threshold)).collect();
    let n = alarms.len();
    let rate = alarms.iter().map(|&a| f64::from(a)).sum::<f64>() / n as f64;
    let l = monitor.limits();
    let table = || {
        let mut t = String::from("row,score,threshold,alarm,t2,spe\n");
        for (i, a) in alarms.iter().enumerate() {
            t += &format!("{i},{},{threshold},{a},{},{}\n", s.score[i], s.t2[i], s.spe[i]);
        }
        t
    };
    if let Some(path) = &args.out {
        let text = table();
        write_atomic_with(path, |w| w.write_all(text.as_bytes()))?;
    }
    eprintln!(
        "{n} rows scored: {} alarms ({:.2}%); T² limit {:.3}, SPE limit {:.3} at target false-alarm rate {}",
        alarms.iter().filter(|&&a| a == 1).count(),
        100.0 * rate,
        l.t2,
        l.spe,
        l.alpha
    );
    if args.json {
        print_json(&serde_json::json!({
            "n_rows": n,
            "scores": s.score,
            "alarms": alarms,
            "t2": s.t2,
            "spe": s.spe,
            "threshold": threshold,
            "alarm_rate": rate,
            "t2_limit": l.t2,
            "spe_limit": l.spe,
            "dropped_rows": loaded.dropped_rows,
        }))
    } else if args.out.is_none() {
        print(&table())
    } else {
        Ok(())
    }
}
