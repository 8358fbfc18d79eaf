//! `recon curve`: relative squared error against rank, with the Kneedle elbow.

use std::path::PathBuf;

use clap::Args;
use recon::curve::{curve_report, CurveOptions};
use recon::data::{write_atomic, write_json, OutDir};

use crate::commands::sql::engine;
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
/// A tall table (rows ≥ 10 × columns, at most 1000 columns) takes the scatter path: one
/// multithreaded product XᵀX, then a d × d eigendecomposition; every curve point is accurate to
/// about (√n + d)·1e-16 of the total, and when a point would be known to worse than 1e-4 of
/// itself the fit falls back to QR + SVD ("solver" in the JSON says which ran). A Parquet file
/// or folder is reduced to the same statistics on DataFusion over all cores.
///
/// Examples:
///   recon curve digits.csv --label-col label
///   recon curve data.npy --max-rank 20 --json
///   recon curve wine.csv --label-col cultivar --out wine-curve/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct CurveArgs {
    /// Input table (.csv with a header, a 2-D .npy, or a .parquet file or folder of them).
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
    /// Compute the statistics on the Ballista cluster whose scheduler is at this address
    /// (df://HOST:PORT); the input must be a .parquet file or folder, or a .csv file, at a
    /// path the executors can read.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub ballista: Option<recon_ballista::SchedulerUrl>,
    #[command(flatten)]
    pub table: TableArgs,
}

/// What `recon curve --json` prints.
pub fn run(args: CurveArgs) -> anyhow::Result<()> {
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let opts = CurveOptions {
        max_rank: args.max_rank,
        center: !args.no_center,
        scale: args.scale,
        sensitivity: args.sensitivity,
    };
    let report = if args.ballista.is_some() || recon_datafusion::prefers(&args.input)? {
        // Parquet: the scatter matrix on DataFusion over all cores (or on a Ballista cluster),
        // then one eigendecomposition.
        engine(args.ballista.as_ref(), None)?.curve(&args.input, &args.table.options(), &opts)?
    } else {
        let loaded = args.table.load(&args.input)?;
        curve_report(&loaded.dataset, &opts, loaded.dropped_rows)?
    };
    if let Some(out) = out {
        let name = args.input.file_name().map_or("input".into(), |n| n.to_string_lossy().into_owned());
        write_atomic(&out.join("curve.svg"), report.plot(&format!("Error vs rank — {name}"))?.as_bytes())?;
        write_json(&out.join("curve.json"), &report)?;
        out.commit()?;
    }
    if args.json {
        print_json(&report)
    } else {
        print(&report.table(&args.input.display().to_string()))
    }
}
