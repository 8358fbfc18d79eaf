//! Recon on Apache DataFusion: the model contract as SQL functions, PCA's sufficient statistics
//! as an aggregate, and a blocking [`Engine`] that runs queries over Parquet and CSV tables with
//! them registered.
//!
//! - `recon_score('MODEL_DIR', col, …)`, `recon_error(…)`, `recon_alarm(…)`: any model folder's
//!   row score, reconstruction error and alarm, as scalar functions for row-wise models and as
//!   window functions (`… OVER (PARTITION BY unit ORDER BY time)`) for models fitted on lags or
//!   moving averages, whose features need the rows in order. The folder is opened once per
//!   process; the model is Recon's own `Scorer`, so every family works without code of its own.
//!   [`Engine::sql`] sends `recon_score(…) OVER (…)` to the window form; on a session of your
//!   own, call the window forms by name: `recon_score_window(…) OVER (…)`.
//! - `recon_pca_stats(col, …)`: count, means and scatter matrix, merged pairwise across
//!   partitions (Chan, Golub & LeVeque), returned as JSON ([`PcaStats`]);
//!   [`Engine::fit_pca`] finishes it into the monitor `recon fit --model pca` writes, and
//!   [`Engine::pca_stats`] gives the error-vs-rank curve from the same state.
//!
//! # Example
//!
//! ```
//! use recon_datafusion::Engine;
//! # fn main() -> Result<(), recon_datafusion::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let csv = dir.path().join("t.csv");
//! std::fs::write(&csv, "a,b\n1,2\n2,4.5\n3,5.5\n4,8\n").unwrap();
//! let engine = Engine::new(2)?;
//! engine.register("t", &csv)?;
//! let table = engine.sql("SELECT recon_pca_stats(a, b) AS s FROM t")?;
//! let stats = recon_datafusion::PcaStats::from_json(&table.text(0, 0)?)?;
//! assert_eq!((stats.n, stats.mean.clone()), (4, vec![2.5, 5.0]));
//! # Ok(())
//! # }
//! ```

mod functions;
mod stats;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use recon::curve::CurveReport;
use recon_core::data::{LoadOptions, TableReader};
use recon_linear::{PcaMonitor, PcaMonitorParams};

pub use functions::{all as functions, open_model, Output, PCA_STATS};
pub use stats::PcaStats;

/// What can go wrong on the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Recon's own error (bad data, a model folder that is not one).
    #[error(transparent)]
    Recon(#[from] recon_core::Error),
    /// A query the engine refused: SQL, an unknown table or column, a function called wrongly.
    #[error("{0}")]
    Query(String),
    /// The engine failed (I/O, resources, a cluster that does not answer).
    #[error("{0}")]
    Engine(String),
}

impl Error {
    /// Bad input (exit code 2) rather than a failed job.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Recon(e) => e.is_input_error(),
            Error::Query(_) => true,
            Error::Engine(_) => false,
        }
    }
}

/// Results on the engine.
pub type Result<T> = std::result::Result<T, Error>;

impl From<DataFusionError> for Error {
    fn from(e: DataFusionError) -> Self {
        let root = e.find_root();
        match root {
            DataFusionError::External(inner) => match inner.downcast_ref::<recon_core::Error>() {
                Some(r) if r.is_input_error() => Error::Query(r.to_string()),
                _ => Error::Engine(inner.to_string()),
            },
            DataFusionError::IoError(_)
            | DataFusionError::ObjectStore(_)
            | DataFusionError::ResourcesExhausted(_)
            | DataFusionError::Internal(_) => Error::Engine(strip(root)),
            other => Error::Query(strip(other)),
        }
    }
}

/// DataFusion's message without its error-kind prefix ("Error during planning: ") and without
/// the default catalog and schema in table names.
fn strip(e: &DataFusionError) -> String {
    use datafusion::sql::sqlparser::parser::ParserError;
    if let DataFusionError::SQL(p, _) = e {
        return match p.as_ref() {
            ParserError::ParserError(m) | ParserError::TokenizerError(m) => format!("SQL: {m}"),
            other => format!("SQL: {other}"),
        };
    }
    let s = e.to_string().replace("datafusion.public.", "");
    for p in [
        "Error during planning: ",
        "Execution error: ",
        "Schema error: ",
        "SQL error: ",
        "This feature is not implemented: ",
    ] {
        if let Some(rest) = s.strip_prefix(p) {
            return rest.lines().next().unwrap_or(rest).to_string();
        }
    }
    s.lines().next().unwrap_or(&s).to_string()
}

/// The result of a query: record batches with one schema.
#[derive(Debug, Clone)]
pub struct Table {
    /// The columns.
    pub schema: SchemaRef,
    /// The rows, in batches.
    pub batches: Vec<RecordBatch>,
}

impl Table {
    /// Rows in all batches.
    pub fn n_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The value at `row`, `col` as text (as the engine displays it; null is empty).
    pub fn text(&self, row: usize, col: usize) -> Result<String> {
        let mut r = row;
        for b in &self.batches {
            if r < b.num_rows() {
                let a = b.column(col);
                if a.is_null(r) {
                    return Ok(String::new());
                }
                if let DataType::Utf8 = a.data_type() {
                    return Ok(a.as_string::<i32>().value(r).to_string());
                }
                let f = ArrayFormatter::try_new(a.as_ref(), &FormatOptions::default())
                    .map_err(|e| Error::Engine(e.to_string()))?;
                return Ok(f.value(r).to_string());
            }
            r -= b.num_rows();
        }
        Err(Error::Query(format!("row {row} of a result of {} rows", self.n_rows())))
    }

    /// The rows as a text table.
    pub fn pretty(&self) -> Result<String> {
        let t = datafusion::arrow::util::pretty::pretty_format_batches(&self.batches)
            .map_err(|e| Error::Engine(e.to_string()))?;
        Ok(t.to_string())
    }

    /// Every row as a JSON object (numbers as numbers, null as null).
    pub fn to_json(&self) -> Result<serde_json::Value> {
        let mut buf = Vec::new();
        {
            let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
            for b in &self.batches {
                w.write(b).map_err(|e| Error::Engine(e.to_string()))?;
            }
            w.finish().map_err(|e| Error::Engine(e.to_string()))?;
        }
        if buf.is_empty() {
            return Ok(serde_json::Value::Array(Vec::new()));
        }
        serde_json::from_slice(&buf).map_err(|e| Error::Engine(e.to_string()))
    }

    /// Writes the rows as Parquet (`.parquet`) or CSV (any other name), atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let parquet = recon_core::data::is_parquet(path);
        recon_core::data::write_atomic_send(path, |w| -> Result<()> {
            if parquet {
                let mut out = datafusion::parquet::arrow::ArrowWriter::try_new(w, self.schema.clone(), None)
                    .map_err(|e| Error::Engine(e.to_string()))?;
                for b in &self.batches {
                    out.write(b).map_err(|e| Error::Engine(e.to_string()))?;
                }
                out.close().map_err(|e| Error::Engine(e.to_string()))?;
            } else {
                let mut out = datafusion::arrow::csv::Writer::new(w);
                for b in &self.batches {
                    out.write(b).map_err(|e| Error::Engine(e.to_string()))?;
                }
            }
            Ok(())
        })
    }
}

/// A DataFusion session with Recon's functions, driven from blocking code.
pub struct Engine {
    runtime: tokio::runtime::Runtime,
    ctx: SessionContext,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// Registers Recon's functions on a session (what an executor does too).
pub fn register(ctx: &SessionContext) {
    let (scalar, aggregate, window) = functions();
    for f in scalar {
        ctx.register_udf(f);
    }
    for f in aggregate {
        ctx.register_udaf(f);
    }
    for f in window {
        ctx.register_udwf(f);
    }
}

impl Engine {
    /// A local engine with `partitions` target partitions (the number of threads a plan uses).
    pub fn new(partitions: usize) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(partitions.max(1))
            .enable_all()
            .build()
            .map_err(|e| Error::Engine(format!("cannot start the engine's threads ({e})")))?;
        let config = SessionConfig::new().with_target_partitions(partitions.max(1));
        let ctx = SessionContext::new_with_config(config);
        register(&ctx);
        Ok(Engine { runtime, ctx })
    }

    /// An engine on an existing session and the runtime whose tasks serve it (a Ballista
    /// client's, or an in-process cluster's), with Recon's functions registered.
    pub fn on_runtime(runtime: tokio::runtime::Runtime, ctx: SessionContext) -> Result<Self> {
        register(&ctx);
        Ok(Engine { runtime, ctx })
    }

    /// The session.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs a future on the engine's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Registers `path` as table `name`: a `.parquet` file or a folder of them, or a `.csv` file.
    pub fn register(&self, name: &str, path: &Path) -> Result<()> {
        if !path.exists() {
            return Err(recon_core::Error::MissingFile { path: path.to_path_buf() }.into());
        }
        // Absolute: on a cluster the executors open the path, from folders of their own.
        let absolute = std::path::absolute(path).map_err(|e| Error::Engine(format!("{}: {e}", path.display())))?;
        let url =
            absolute.to_str().ok_or_else(|| Error::Query(format!("{}: the path is not UTF-8", path.display())))?;
        if path.is_dir() {
            recon_core::data::parquet_files(path)?;
        }
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        self.block_on(async {
            match (path.is_dir(), ext.as_deref()) {
                (true, _) | (false, Some("parquet")) => {
                    self.ctx.register_parquet(name, url, ParquetReadOptions::default()).await
                }
                (false, Some("csv")) => self.ctx.register_csv(name, url, CsvReadOptions::new()).await,
                _ => Err(DataFusionError::Plan(format!(
                    "{}: a table is a .parquet file, a folder of them, or a .csv file",
                    path.display()
                ))),
            }
        })?;
        Ok(())
    }

    /// Runs a query and collects its rows. `recon_score(…) OVER (…)` (and `recon_error`,
    /// `recon_alarm`) call the window forms of the functions.
    pub fn sql(&self, query: &str) -> Result<Table> {
        self.block_on(async {
            let state = self.ctx.state();
            let dialect = state.config().options().sql_parser.dialect;
            let mut statement = state.sql_to_statement(query, &dialect)?;
            window_calls(&mut statement);
            let plan = state.statement_to_plan(statement).await?;
            let df = self.ctx.execute_logical_plan(plan).await?;
            let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
            let batches = df.collect().await?;
            Ok(Table { schema, batches })
        })
    }

    /// The statistics of the feature columns `opts` selects from `path` (a Parquet file or
    /// folder, or a CSV file), computed by `recon_pca_stats` over every partition, with the
    /// feature names. Rows holding a null or non-finite value are refused unless
    /// `opts.drop_nonfinite`.
    pub fn pca_stats(&self, path: &Path, opts: &LoadOptions) -> Result<(PcaStats, Vec<String>)> {
        let columns = TableReader::open(path, opts)?.columns().to_vec();
        let stats = self.stats_of(path, &columns, opts)?;
        Ok((stats, columns))
    }

    /// `recon_pca_stats` over `columns` of `path`, refusing skipped rows unless
    /// `opts.drop_nonfinite`.
    fn stats_of(&self, path: &Path, columns: &[String], opts: &LoadOptions) -> Result<PcaStats> {
        let table = format!("recon_input_{}", std::process::id());
        self.register(&table, path)?;
        let args: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let result = self.sql(&format!("SELECT {PCA_STATS}({}) FROM {table}", args.join(", ")));
        let _ = self.ctx.deregister_table(table.as_str());
        let stats = PcaStats::from_json(&result?.text(0, 0)?)?;
        if stats.skipped > 0 && !opts.drop_nonfinite {
            return Err(recon_core::Error::invalid_data(
                path.display().to_string(),
                format!(
                    "{} row(s) hold a null or non-finite value (use --drop-nonfinite to drop such rows)",
                    stats.skipped
                ),
            )
            .into());
        }
        if stats.n == 0 {
            return Err(
                recon_core::Error::Empty { what: path.display().to_string(), reason: "no data rows".into() }.into()
            );
        }
        Ok(stats)
    }

    /// The PCA monitor of `path`'s rows fitted on the engine (statistics over every partition,
    /// then one d × d eigendecomposition), when `params` can be fitted from statistics
    /// ([`PcaMonitorParams::needs_rows`] false); `None` when the rows themselves are needed.
    pub fn fit_pca(&self, path: &Path, opts: &LoadOptions, params: &PcaMonitorParams) -> Result<Option<StatsFit>> {
        let reader = TableReader::open(path, opts)?;
        if params.needs_rows(reader.len_hint().unwrap_or(0)) {
            return Ok(None);
        }
        let columns = reader.columns().to_vec();
        let stats = self.stats_of(path, &columns, opts)?;
        let monitor = params.fit_stats(&stats.to_stream()?)?;
        let constant_columns = stats.constant_columns().into_iter().map(|j| columns[j].clone()).collect();
        Ok(Some(StatsFit { monitor, columns, n_rows: stats.n, constant_columns }))
    }
}

/// A PCA monitor fitted on the engine ([`Engine::fit_pca`]) and what the caller reports of it.
#[derive(Debug, Clone)]
pub struct StatsFit {
    /// The monitor.
    pub monitor: PcaMonitor,
    /// Its feature columns, in order.
    pub columns: Vec<String>,
    /// Rows it was fitted on.
    pub n_rows: usize,
    /// Columns with no spread: centred, not scaled (the in-memory fit's warning names them too).
    pub constant_columns: Vec<String>,
}

impl Engine {
    /// The error-vs-rank curve of `path`'s rows from their statistics on the engine (the same
    /// curve [`recon::curve::curve_report`] gives from the rows, to rounding: the eigenvalues of
    /// the scatter are the squared singular values of the centred rows).
    pub fn curve(&self, path: &Path, opts: &LoadOptions, curve: &recon::curve::CurveOptions) -> Result<CurveReport> {
        let (stats, _) = self.pca_stats(path, opts)?;
        let k = curve.checked_rank(stats.n, stats.mean.len())?;
        let pca = stats.to_stream_centered(curve.center)?.with_scale(curve.scale).finish(None)?;
        let dropped = usize::try_from(stats.skipped).unwrap_or(usize::MAX);
        Ok(CurveReport::new(&pca, k, curve.sensitivity, dropped)?)
    }
}

/// Renames every call of a row function with an OVER clause to its window form
/// ([`Output::window_name`]): DataFusion's planner would otherwise plan the scalar function and
/// drop the window.
fn window_calls(statement: &mut datafusion::sql::parser::Statement) {
    use datafusion::sql::parser::Statement;
    use datafusion::sql::sqlparser::ast::{visit_expressions_mut, Expr, Ident, ObjectName};
    match statement {
        Statement::Statement(s) => {
            let _ = visit_expressions_mut(s.as_mut(), |e| {
                if let Expr::Function(f) = e {
                    let name = f.name.to_string().to_ascii_lowercase();
                    if let Some(o) = Output::ALL.into_iter().find(|o| f.over.is_some() && o.name() == name) {
                        f.name = ObjectName::from(vec![Ident::new(o.window_name())]);
                    }
                }
                std::ops::ControlFlow::<()>::Continue(())
            });
        }
        Statement::Explain(e) => window_calls(e.statement.as_mut()),
        _ => {}
    }
}

/// Whether the table at `path` is better read on the engine than into memory: Parquet (columnar,
/// its row groups read in parallel, never all held) is; CSV and `.npy` are read faster row by
/// row in memory for the fits that can take either path.
pub fn prefers(path: &Path) -> Result<bool> {
    Ok(recon::data::Format::of(path)? == recon::data::Format::Parquet)
}

/// The cores of this machine: the default number of partitions.
pub fn default_partitions() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A column name as a quoted SQL identifier.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Where a table comes from, `NAME=PATH`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableArg {
    /// The name queries use.
    pub name: String,
    /// The file or folder.
    pub path: PathBuf,
}

impl std::str::FromStr for TableArg {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (name, path) = s.split_once('=').ok_or_else(|| format!("'{s}': expected NAME=PATH"))?;
        let ok = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(format!("'{name}': a table name is letters, digits and _, not starting with a digit"));
        }
        if path.is_empty() {
            return Err(format!("'{s}': no path after ="));
        }
        Ok(TableArg { name: name.to_string(), path: PathBuf::from(path) })
    }
}
