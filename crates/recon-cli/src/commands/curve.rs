//! `recon curve`: relative squared error against rank, with the Kneedle elbow.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use recon_core::data::{ensure_dir, write_atomic, write_json};
use recon_core::report::{LinePlot, Marker, Series};
use recon_core::ruler::{kneedle, rank_for_energy, ErrorCurve};
use recon_core::Fit;
use recon_linear::{Pca, PcaParams};
use serde::Serialize;

use crate::input::TableArgs;
use crate::output::{print, print_json};

/// Error vs rank (Eckart–Young) and the elbow of the curve.
///
/// Fits an exact PCA (centred unless --no-center) and prints, for k = 0..K, the relative
/// squared error err(k) = ||Xc − X̂ₖ||²_F / ||Xc||²_F, which equals the energy of the singular
/// values left out. The elbow is found with Kneedle (Satopää et al. 2011): --sensitivity S
/// (default 1) asks for a clearer bend when larger; when several knees are found all are
/// listed and the most pronounced one (largest normalised distance below the chord) is chosen.
///
/// Examples:
///   recon curve digits.csv --label-col label
///   recon curve data.npy --max-rank 20 --json
///   recon curve wine.csv --label-col cultivar --out wine-curve/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct CurveArgs {
    /// Input table (.csv with a header, or a 2-D .npy).
    pub input: PathBuf,
    /// Largest rank K on the curve (default: min(rows, columns)).
    #[arg(long, value_name = "K")]
    pub max_rank: Option<usize>,
    /// Do not subtract column means (truncated SVD instead of PCA).
    #[arg(long)]
    pub no_center: bool,
    /// Standardise each column (divide by its standard deviation) before fitting, so that
    /// features in different units weigh the same; errors are then measured in standard units.
    #[arg(long, conflicts_with = "no_center")]
    pub scale: bool,
    /// Kneedle sensitivity S (> 0).
    #[arg(long, default_value_t = 1.0, value_name = "S")]
    pub sensitivity: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write curve.svg and curve.json into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub table: TableArgs,
}

/// What `recon curve --json` prints.
#[derive(Debug, Serialize)]
pub struct CurveReport {
    pub n_rows: usize,
    pub n_cols: usize,
    pub centered: bool,
    pub scaled: bool,
    pub ranks: Vec<usize>,
    pub relative_squared_error: Vec<f64>,
    pub explained_variance_ratio: Vec<f64>,
    pub elbow: usize,
    pub elbow_candidates: Vec<usize>,
    pub sensitivity: f64,
    pub rank_for_energy_90: Option<usize>,
    pub rank_for_energy_99: Option<usize>,
    pub dropped_rows: usize,
}

impl CurveReport {
    /// Builds the report from a fitted PCA.
    pub fn new(pca: &Pca, max_rank: usize, sensitivity: f64, dropped_rows: usize) -> anyhow::Result<Self> {
        let curve: ErrorCurve = pca.error_curve(max_rank)?;
        let x: Vec<f64> = curve.ranks.iter().map(|&r| r as f64).collect();
        let knees = kneedle(&x, &curve.relative_squared_error, sensitivity);
        Ok(CurveReport {
            n_rows: pca.n_samples(),
            n_cols: pca.n_features(),
            centered: pca.centered(),
            scaled: pca.scale().iter().any(|s| *s != 1.0),
            explained_variance_ratio: pca.explained_variance_ratio()[..max_rank].to_vec(),
            elbow: curve.ranks[knees.chosen],
            elbow_candidates: knees.all.iter().map(|k| curve.ranks[k.index]).collect(),
            sensitivity,
            rank_for_energy_90: rank_for_energy(&curve, 0.9)?,
            rank_for_energy_99: rank_for_energy(&curve, 0.99)?,
            ranks: curve.ranks,
            relative_squared_error: curve.relative_squared_error,
            dropped_rows,
        })
    }

    /// The curve as an SVG line plot with the elbow marked.
    pub fn plot(&self, title: &str) -> recon_core::Result<String> {
        LinePlot {
            title: title.to_string(),
            x_label: "rank k".into(),
            y_label: "relative squared error".into(),
            series: vec![Series {
                name: "err(k) = tail energy".into(),
                x: self.ranks.iter().map(|&r| r as f64).collect(),
                y: self.relative_squared_error.clone(),
            }],
            markers: vec![Marker { x: self.elbow as f64, label: format!("elbow: rank {}", self.elbow) }],
            log_y: false,
        }
        .to_svg(720, 420)
    }

    fn table(&self, name: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{name}: {} rows × {} columns, {}",
            self.n_rows,
            self.n_cols,
            match (self.centered, self.scaled) {
                (true, true) => "centred and standardised (correlation PCA)",
                (true, false) => "centred (PCA)",
                _ => "not centred (truncated SVD)",
            }
        );
        let _ = writeln!(s, "{:>5}  {:>14}  {:>14}  {:>10}", "rank", "rel_sq_error", "expl_var_ratio", "captured");
        for (i, (&k, &e)) in self.ranks.iter().zip(&self.relative_squared_error).enumerate() {
            let evr = if i == 0 { "-".to_string() } else { format!("{:.6}", self.explained_variance_ratio[i - 1]) };
            let mark = if k == self.elbow { "  <- elbow" } else { "" };
            let _ = writeln!(s, "{k:>5}  {e:>14.8}  {evr:>14}  {:>10.6}{mark}", 1.0 - e);
        }
        let cands: Vec<String> = self.elbow_candidates.iter().map(usize::to_string).collect();
        let _ = writeln!(
            s,
            "elbow (Kneedle, S = {}): rank {} (knees found: {})",
            self.sensitivity,
            self.elbow,
            if cands.is_empty() { "none; arg-max of the difference curve".into() } else { cands.join(", ") }
        );
        let show = |r: Option<usize>| r.map_or("not within the curve".to_string(), |r| r.to_string());
        let _ = writeln!(
            s,
            "rank for 90% energy: {}, for 99%: {}",
            show(self.rank_for_energy_90),
            show(self.rank_for_energy_99)
        );
        s
    }
}

pub fn run(args: CurveArgs) -> anyhow::Result<()> {
    if !(args.sensitivity > 0.0 && args.sensitivity.is_finite()) {
        return Err(recon_core::Error::invalid(
            "sensitivity",
            format!("{} is not a positive number", args.sensitivity),
        )
        .into());
    }
    let loaded = args.table.load(&args.input)?;
    let data = &loaded.dataset;
    let full = data.n_rows().min(data.n_cols());
    let k = args.max_rank.unwrap_or(full);
    if k == 0 || k > full {
        return Err(recon_core::Error::invalid(
            "max-rank",
            format!("{k} is not in 1..={full} for a {} × {} matrix", data.n_rows(), data.n_cols()),
        )
        .into());
    }
    let pca = PcaParams::new().center(!args.no_center).scale(args.scale).fit(data)?;
    let report = CurveReport::new(&pca, k, args.sensitivity, loaded.dropped_rows)?;
    if let Some(dir) = &args.out {
        ensure_dir(dir)?;
        let name = args.input.file_name().map_or("input".into(), |n| n.to_string_lossy().into_owned());
        write_atomic(&dir.join("curve.svg"), report.plot(&format!("Error vs rank — {name}"))?.as_bytes())?;
        write_json(&dir.join("curve.json"), &report)?;
    }
    if args.json {
        print_json(&report)
    } else {
        print(&report.table(&args.input.display().to_string()))
    }
}
