//! Recon's SQL functions: row scores of any model folder (scalar, or window functions for models
//! fitted on lags and moving averages, which need row order) and PCA's sufficient statistics as
//! an aggregate whose partial states merge pairwise.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Float64Array, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{exec_err, plan_err, DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{
    AccumulatorArgs, PartitionEvaluatorArgs, StateFieldsArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, PartitionEvaluator, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility, WindowUDF, WindowUDFImpl,
};
use faer::Mat;
use recon::Model;
use recon_linear::StreamingPca;

use crate::stats::PcaStats;

/// What a row function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Output {
    /// The model's score (`recon_score`): the alarm statistic of a monitor.
    Score,
    /// The reconstruction error (`recon_error`).
    Error,
    /// `score > threshold` (`recon_alarm`), for models calibrated with a threshold.
    Alarm,
}

impl Output {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Output::Score => "recon_score",
            Output::Error => "recon_error",
            Output::Alarm => "recon_alarm",
        }
    }

    /// The name of its window form. DataFusion's SQL planner resolves a scalar function before
    /// looking at an OVER clause, so the window forms have names of their own;
    /// [`crate::Engine::sql`] renames `recon_score(…) OVER (…)` to `recon_score_window(…) OVER (…)`.
    pub fn window_name(self) -> &'static str {
        match self {
            Output::Score => "recon_score_window",
            Output::Error => "recon_error_window",
            Output::Alarm => "recon_alarm_window",
        }
    }

    /// Every row function.
    pub const ALL: [Output; 3] = [Output::Score, Output::Error, Output::Alarm];

    fn data_type(self) -> DataType {
        match self {
            Output::Alarm => DataType::Boolean,
            _ => DataType::Float64,
        }
    }
}

/// Opened model folders, by path and modification time (a refit folder is opened again).
type ModelCache = HashMap<(PathBuf, Option<SystemTime>), Arc<Model>>;
static MODELS: LazyLock<Mutex<ModelCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The model folder at `dir`, opened once per process.
pub fn open_model(dir: &str) -> Result<Arc<Model>> {
    let path = PathBuf::from(dir);
    let stamp = std::fs::metadata(path.join("model.json")).and_then(|m| m.modified()).ok();
    let key = (path.clone(), stamp);
    if let Some(m) = MODELS.lock().map_err(|_| DataFusionError::Execution("model cache poisoned".into()))?.get(&key) {
        return Ok(m.clone());
    }
    let model = Arc::new(recon::load_model(&path).map_err(|e| DataFusionError::Execution(format!("{e}")))?);
    MODELS.lock().map_err(|_| DataFusionError::Execution("model cache poisoned".into()))?.insert(key, model.clone());
    Ok(model)
}

/// The model path of a call: its first argument, a text literal.
fn model_path<'a>(name: &str, first: &'a ColumnarValue) -> Result<&'a str> {
    match first {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(p)) | ScalarValue::LargeUtf8(Some(p)) | ScalarValue::Utf8View(Some(p)),
        ) => Ok(p),
        _ => plan_err!("{name}: the first argument is the model folder, a text literal such as '/models/te_pca'"),
    }
}

/// Checks that a call gives the model's input columns (by count) and returns them as f64 arrays.
fn feature_arrays(name: &str, model: &Model, args: &[ArrayRef]) -> Result<Vec<Float64Array>> {
    let inputs = &model.header.inputs;
    if args.len() != inputs.len() {
        return plan_err!(
            "{name}: the model at {} takes {} column(s) ({}), the call gives {}",
            model.dir.display(),
            inputs.len(),
            short_list(inputs),
            args.len()
        );
    }
    args.iter()
        .zip(inputs)
        .map(|(a, col)| {
            if !a.data_type().is_numeric() && !a.data_type().is_null() {
                return plan_err!("{name}: the argument for '{col}' is {}, not a number", a.data_type());
            }
            Ok(cast(a, &DataType::Float64)?.as_primitive::<Float64Type>().clone())
        })
        .collect()
}

fn short_list(v: &[String]) -> String {
    match v.len() {
        0..=6 => v.join(", "),
        n => format!("{}, … {}", v[..4].join(", "), v[n - 1]),
    }
}

/// Scores rows (given as columns) with `model`, all rows in order through its window; rows with
/// a null give null.
fn score_rows(name: &str, out: Output, model: &Model, cols: &[Float64Array], n: usize) -> Result<ArrayRef> {
    let d = cols.len();
    let valid: Vec<bool> = (0..n).map(|i| cols.iter().all(|c| c.is_valid(i))).collect();
    let rows: Vec<usize> = (0..n).filter(|&i| valid[i]).collect();
    let raw = Mat::from_fn(rows.len(), d, |r, j| cols[j].value(rows[r]));
    if let Some((r, j)) = (0..rows.len()).find_map(|r| (0..d).find(|&j| !raw[(r, j)].is_finite()).map(|j| (r, j))) {
        return exec_err!("{name}: non-finite value {} in column '{}'", raw[(r, j)], model.header.inputs[j]);
    }
    let x = model.header.window.stream(d).push_block(raw.as_ref());
    let scorer = model.scorer.as_ref();
    let block = scorer.score(x.as_ref(), false).map_err(|e| DataFusionError::Execution(format!("{name}: {e}")))?;
    let mut k = 0;
    let mut pick = |v: &[f64]| -> Vec<Option<f64>> {
        k = 0;
        valid
            .iter()
            .map(|&ok| {
                ok.then(|| {
                    k += 1;
                    v[k - 1]
                })
            })
            .collect()
    };
    Ok(match out {
        Output::Score => Arc::new(Float64Array::from(pick(&block.scores))),
        Output::Error => Arc::new(Float64Array::from(pick(&block.errors))),
        Output::Alarm => {
            let Some(t) = scorer.threshold() else {
                return plan_err!(
                    "{name}: the {} model at {} has no alarm threshold (fit a monitor: recon fit --model pca|ae)",
                    scorer.name(),
                    model.dir.display()
                );
            };
            let s = pick(&block.scores);
            Arc::new(BooleanArray::from(s.into_iter().map(|v| v.map(|v| v > t)).collect::<Vec<_>>()))
        }
    })
}

/// `recon_score('MODEL_DIR', col, …)` and its siblings as scalar functions: row-wise models only.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RowFunction {
    out: Output,
    signature: Signature,
}

impl RowFunction {
    /// The scalar function for `out`.
    pub fn new(out: Output) -> Self {
        RowFunction { out, signature: Signature::variadic_any(Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for RowFunction {
    fn name(&self) -> &str {
        self.out.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.out.data_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let Some(first) = args.args.first() else {
            return plan_err!("{name}('MODEL_DIR', column, …): no arguments");
        };
        let model = open_model(model_path(name, first)?)?;
        if model.header.window.max_lag() > 0 || !model.header.window.emas.is_empty() {
            return plan_err!(
                "{name}: the model at {} was fitted on lags or moving averages and needs the rows in order: call it as a window function, {name}(…) OVER (ORDER BY time) or OVER (PARTITION BY unit ORDER BY time)",
                model.dir.display()
            );
        }
        let n = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args[1..])?;
        let cols = feature_arrays(name, &model, &arrays)?;
        let n = if arrays.is_empty() { n } else { arrays[0].len() };
        Ok(ColumnarValue::Array(score_rows(name, self.out, &model, &cols, n)?))
    }
}

/// The same functions over a window: each partition's rows in the window's order, through the
/// model's lags and moving averages (which restart with every partition).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct WindowFunction {
    out: Output,
    signature: Signature,
}

impl WindowFunction {
    /// The window function for `out`.
    pub fn new(out: Output) -> Self {
        WindowFunction { out, signature: Signature::variadic_any(Volatility::Immutable) }
    }
}

impl WindowUDFImpl for WindowFunction {
    fn name(&self) -> &str {
        self.out.window_name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(&self, _args: PartitionEvaluatorArgs) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(WindowEvaluator { out: self.out }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(field_args.name(), self.out.data_type(), true)))
    }
}

#[derive(Debug)]
struct WindowEvaluator {
    out: Output,
}

impl PartitionEvaluator for WindowEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let name = self.out.name();
        let Some(first) = values.first() else {
            return plan_err!("{name}('MODEL_DIR', column, …): no arguments");
        };
        let path = match first.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View if !first.is_empty() && first.is_valid(0) => {
                cast(first, &DataType::Utf8)?.as_string::<i32>().value(0).to_string()
            }
            _ => return plan_err!("{name}: the first argument is the model folder, a text literal"),
        };
        let model = open_model(&path)?;
        let cols = feature_arrays(name, &model, &values[1..])?;
        score_rows(name, self.out, &model, &cols, num_rows)
    }
}

/// `recon_pca_stats(col, …)`: the count, means and scatter matrix of the rows (rows holding a
/// null or a non-finite value are skipped and counted), merged pairwise across partitions; the
/// result is the JSON of [`PcaStats`].
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PcaStatsFunction {
    signature: Signature,
}

impl Default for PcaStatsFunction {
    fn default() -> Self {
        PcaStatsFunction { signature: Signature::variadic_any(Volatility::Immutable) }
    }
}

/// The SQL name of the statistics aggregate.
pub const PCA_STATS: &str = "recon_pca_stats";

impl AggregateUDFImpl for PcaStatsFunction {
    fn name(&self) -> &str {
        PCA_STATS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.is_empty() {
            return plan_err!("{PCA_STATS}(col, …): give the feature columns");
        }
        if let Some(t) = arg_types.iter().find(|t| !t.is_numeric() && !t.is_null()) {
            return plan_err!("{PCA_STATS}: every argument is a numeric column; got {t}");
        }
        Ok(DataType::Utf8)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(StatsAccumulator::new(acc_args.exprs.len())))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(format!("{}[n]", args.name), DataType::UInt64, true)),
            Arc::new(Field::new(format!("{}[skipped]", args.name), DataType::UInt64, true)),
            Arc::new(Field::new(format!("{}[mean]", args.name), DataType::Binary, true)),
            Arc::new(Field::new(format!("{}[scatter]", args.name), DataType::Binary, true)),
        ])
    }
}

/// Rows per block handed to the scatter update.
const BLOCK: usize = 4096;

#[derive(Debug)]
struct StatsAccumulator {
    stats: StreamingPca,
    skipped: u64,
}

impl StatsAccumulator {
    fn new(d: usize) -> Self {
        StatsAccumulator { stats: StreamingPca::new(d, true), skipped: 0 }
    }
}

fn bytes_of(v: impl IntoIterator<Item = f64>) -> Vec<u8> {
    v.into_iter().flat_map(f64::to_le_bytes).collect()
}

fn floats_of(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
}

fn recon_err(e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("{PCA_STATS}: {e}"))
}

impl Accumulator for StatsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let d = values.len();
        let cols = values
            .iter()
            .map(|a| Ok(cast(a, &DataType::Float64)?.as_primitive::<Float64Type>().clone()))
            .collect::<Result<Vec<Float64Array>>>()?;
        let n = cols.first().map_or(0, |c| c.len());
        let mut buf = Vec::with_capacity(BLOCK.min(n) * d);
        let mut rows = 0;
        for i in 0..n {
            let ok = cols.iter().all(|c| c.is_valid(i) && c.value(i).is_finite());
            if !ok {
                self.skipped += 1;
                continue;
            }
            buf.extend(cols.iter().map(|c| c.value(i)));
            rows += 1;
            if rows == BLOCK || i + 1 == n {
                let m = Mat::from_fn(rows, d, |r, j| buf[r * d + j]);
                self.stats.update(m.as_ref()).map_err(recon_err)?;
                buf.clear();
                rows = 0;
            }
        }
        if rows > 0 {
            let m = Mat::from_fn(rows, d, |r, j| buf[r * d + j]);
            self.stats.update(m.as_ref()).map_err(recon_err)?;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let s = PcaStats::of(&self.stats, self.skipped);
        Ok(ScalarValue::Utf8(Some(serde_json::to_string(&s).map_err(recon_err)?)))
    }

    fn size(&self) -> usize {
        let d = self.stats.mean().len();
        std::mem::size_of_val(self) + 8 * (d * d + d)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let d = self.stats.mean().len();
        let sc = self.stats.scatter();
        Ok(vec![
            ScalarValue::UInt64(Some(self.stats.n_samples() as u64)),
            ScalarValue::UInt64(Some(self.skipped)),
            ScalarValue::Binary(Some(bytes_of(self.stats.mean().iter().copied()))),
            ScalarValue::Binary(Some(bytes_of((0..d * d).map(|k| sc[(k / d, k % d)])))),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [n, skipped, mean, scatter] = states else {
            return exec_err!("{PCA_STATS}: a partial state of {} fields", states.len());
        };
        let n = n.as_primitive::<UInt64Type>();
        let skipped: &UInt64Array = skipped.as_primitive::<UInt64Type>();
        let mean: &BinaryArray = mean.as_binary::<i32>();
        let scatter: &BinaryArray = scatter.as_binary::<i32>();
        for i in 0..n.len() {
            if !n.is_valid(i) {
                continue;
            }
            self.skipped += skipped.value(i);
            let part = StreamingPca::from_parts(
                n.value(i) as usize,
                floats_of(mean.value(i)),
                &floats_of(scatter.value(i)),
                true,
            )
            .map_err(recon_err)?;
            self.stats.merge(&part).map_err(recon_err)?;
        }
        Ok(())
    }
}

/// Every Recon function, to register on a session or an executor.
pub fn all() -> (Vec<ScalarUDF>, Vec<AggregateUDF>, Vec<WindowUDF>) {
    let outs = Output::ALL;
    (
        outs.iter().map(|&o| ScalarUDF::from(RowFunction::new(o))).collect(),
        vec![AggregateUDF::from(PcaStatsFunction::default())],
        outs.iter().map(|&o| WindowUDF::from(WindowFunction::new(o))).collect(),
    )
}
