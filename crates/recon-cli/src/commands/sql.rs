//! `recon sql`: a query over Parquet and CSV tables on DataFusion, Recon's functions registered.

use std::path::PathBuf;

use clap::Args;
use recon_datafusion::{Engine, TableArg};

use crate::output::{print, print_json};
use crate::UsageError;

/// Run SQL over Parquet and CSV tables, with Recon's models as SQL functions.
///
/// Tables are named with --table NAME=PATH (a .parquet file, a folder of .parquet files read as
/// one table, or a .csv file) and queried on Apache DataFusion over all cores. Recon's
/// functions:
///
///   recon_score('MODEL_DIR', col, …)   the model's score of each row (Float64)
///   recon_error('MODEL_DIR', col, …)   its reconstruction error (Float64)
///   recon_alarm('MODEL_DIR', col, …)   score > threshold, for monitors (Boolean)
///   recon_pca_stats(col, …)            count, means and scatter matrix (JSON), merged across
///                                      partitions: what `recon fit --model pca` is fitted from
///
/// The columns are given in the model's order (`recon fit` prints its features). A model
/// fitted with --lags, --window or --ema needs its rows in order: call it as a window function,
/// recon_score(…) OVER (ORDER BY t) or OVER (PARTITION BY unit ORDER BY t).
///
/// Examples:
///   recon sql "SELECT count(*) FROM te" --table te=runs/
///   recon sql "SELECT row_number() OVER () AS row, recon_score('te_pca', a, b, c) AS score FROM t" \
///       --table t=d01.parquet --out scores.parquet
///   recon sql "SELECT unit, avg(CAST(recon_alarm('m', x, y) AS INT)) AS alarm_rate FROM t GROUP BY unit" \
///       --table t=plant.parquet --json
///   recon sql "SELECT sum(recon_score('m', a, b)) FROM t" --table t=runs/ --ballista df://127.0.0.1:50050
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct SqlArgs {
    /// The query.
    pub query: String,
    /// A table the query reads: NAME=PATH (repeat for more tables).
    #[arg(long = "table", value_name = "NAME=PATH")]
    pub tables: Vec<TableArg>,
    /// Write the result to this file (.parquet, or CSV for any other name) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the rows as one JSON array of objects.
    #[arg(long)]
    pub json: bool,
    /// Threads (target partitions) of the plan (default: all cores).
    #[arg(long, value_name = "N", conflicts_with = "ballista")]
    pub partitions: Option<usize>,
    /// Run the query on the Ballista cluster whose scheduler is at this address
    /// (df://HOST:PORT; see `recon scheduler`). Table paths must name the same files where the
    /// executors run.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub ballista: Option<recon_ballista::SchedulerUrl>,
}

/// The engine a command runs on: a Ballista cluster's when `ballista` names a scheduler, this
/// machine's DataFusion with `partitions` threads (default all cores) otherwise.
pub fn engine(ballista: Option<&recon_ballista::SchedulerUrl>, partitions: Option<usize>) -> anyhow::Result<Engine> {
    Ok(match ballista {
        Some(url) => recon_ballista::connect(url)?,
        None => Engine::new(partitions.unwrap_or_else(recon_datafusion::default_partitions))?,
    })
}

pub fn run(args: SqlArgs) -> anyhow::Result<()> {
    if args.json && args.out.is_some() {
        return Err(UsageError("--json prints the rows and --out writes them to a file: use one".into()).into());
    }
    if args.partitions == Some(0) {
        return Err(UsageError("--partitions must be at least 1".into()).into());
    }
    let engine = engine(args.ballista.as_ref(), args.partitions)?;
    for t in &args.tables {
        engine.register(&t.name, &t.path)?;
    }
    let table = engine.sql(&args.query)?;
    if let Some(path) = &args.out {
        table.write(path)?;
        eprintln!("{} row(s) written to {}", table.n_rows(), path.display());
        Ok(())
    } else if args.json {
        print_json(&table.to_json()?)
    } else {
        print(&format!("{}\n", table.pretty()?))
    }
}
