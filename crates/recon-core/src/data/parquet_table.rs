//! Apache Parquet tables: one `.parquet` file, or a folder of them read in name order as one
//! table (the layout engines write: `part-0.parquet`, `part-1.parquet`, …). Numeric columns
//! (integers, floats, decimals) are features; string columns can be the label or group columns,
//! as in a CSV file; a null is a missing value (non-finite, like an empty CSV field). Rows are
//! read one record batch at a time, so streaming models never hold the whole table.
//!
//! [`write_parquet_columns`] writes named f64 / u64 / bool columns, atomically.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};

use super::csv_table::select_columns;
use super::{open_file, LoadOptions, Row};
use crate::{Error, Result};

/// Rows per record batch read.
const BATCH: usize = 8192;

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

/// The `.parquet` files of `path`: itself, or a folder's `*.parquet` files in name order.
pub fn parquet_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    let mut files = Vec::new();
    for e in entries {
        let p = e.map_err(|e| Error::io(path, e))?.path();
        if p.is_file() && is_parquet(&p) {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::Empty {
            what: path.display().to_string(),
            reason: "a folder is read as a table of .parquet files, and this one has none".into(),
        });
    }
    Ok(files)
}

/// True when `path` ends in `.parquet` (any case).
pub fn is_parquet(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// What a column of a Parquet table can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Numeric,
    Text,
    Other,
}

fn kind(t: &DataType) -> Kind {
    match t {
        t if t.is_numeric() => Kind::Numeric,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Kind::Text,
        DataType::Dictionary(_, v) if matches!(kind(v), Kind::Text) => Kind::Text,
        _ => Kind::Other,
    }
}

/// The arrow schema of a Parquet file.
pub fn parquet_schema(path: &Path) -> Result<SchemaRef> {
    let file = open_file(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| corrupt(path, format!("not a readable Parquet file ({e})")))?;
    Ok(builder.schema().clone())
}

/// The numeric columns of a Parquet file or folder, minus `skip` (what `numeric_columns` is for CSV).
pub fn parquet_numeric_columns(path: &Path, skip: &[String]) -> Result<Vec<String>> {
    let first = parquet_files(path)?.remove(0);
    let schema = parquet_schema(&first)?;
    Ok(schema
        .fields()
        .iter()
        .filter(|f| kind(f.data_type()) == Kind::Numeric && !skip.contains(f.name()))
        .map(|f| f.name().clone())
        .collect())
}

pub(crate) struct ParquetRows {
    files: Vec<PathBuf>,
    next_file: usize,
    header: Vec<String>,
    schema: SchemaRef,
    /// Indices into `header` of the features, the label and the group columns.
    feature_idx: Vec<usize>,
    label_idx: Option<usize>,
    group_idx: Vec<usize>,
    columns: Vec<String>,
    n_rows: usize,
    reader: Option<(PathBuf, ParquetRecordBatchReader)>,
    /// The current batch: row-major features, labels, groups; `pos` is the next row.
    values: Vec<f64>,
    labels: Vec<String>,
    groups: Vec<String>,
    len: usize,
    pos: usize,
    row: usize,
}

impl ParquetRows {
    pub(crate) fn open(path: &Path, opts: &LoadOptions) -> Result<Self> {
        let files = parquet_files(path)?;
        let schema = parquet_schema(&files[0])?;
        let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        if opts.columns.is_none() {
            // Numeric columns are the features unless named; strings must be label or group.
            let named: Vec<&String> = opts.label_col.iter().chain(&opts.group_cols).collect();
            for f in schema.fields() {
                if !named.contains(&f.name()) && kind(f.data_type()) != Kind::Numeric {
                    return Err(Error::invalid_data(
                        format!("column '{}'", f.name()),
                        format!(
                            "is {} in {}, not a number; name it with --label-col or --group-col, or choose the features with --columns",
                            f.data_type(),
                            files[0].display()
                        ),
                    ));
                }
            }
        }
        let (feature_idx, label_idx, group_idx) = select_columns(&header, opts)?;
        if feature_idx.is_empty() {
            return Err(Error::Empty { what: path.display().to_string(), reason: "no feature columns".into() });
        }
        for &j in &feature_idx {
            let t = schema.field(j).data_type();
            if kind(t) != Kind::Numeric {
                return Err(Error::invalid_data(
                    format!("column '{}'", header[j]),
                    format!("is {t} in {}, not a number, and cannot be a feature", files[0].display()),
                ));
            }
        }
        for &j in label_idx.iter().chain(&group_idx) {
            let t = schema.field(j).data_type();
            if kind(t) == Kind::Other {
                return Err(Error::invalid_data(
                    format!("column '{}'", header[j]),
                    format!("is {t} in {}; a label or group column must be text or a number", files[0].display()),
                ));
            }
        }
        let mut n_rows = 0usize;
        for f in &files {
            let file = open_file(f)?;
            let b = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| corrupt(f, format!("not a readable Parquet file ({e})")))?;
            n_rows += usize::try_from(b.metadata().file_metadata().num_rows()).unwrap_or(0);
            if f != &files[0] {
                for &j in feature_idx.iter().chain(label_idx.iter()).chain(&group_idx) {
                    let want = schema.field(j);
                    match b.schema().field_with_name(want.name()) {
                        Ok(got) if kind(got.data_type()) == kind(want.data_type()) => {}
                        Ok(got) => {
                            return Err(corrupt(
                                f,
                                format!(
                                    "column '{}' is {} here but {} in {}",
                                    want.name(),
                                    got.data_type(),
                                    want.data_type(),
                                    files[0].display()
                                ),
                            ))
                        }
                        Err(_) => {
                            return Err(corrupt(
                                f,
                                format!(
                                    "has no column '{}' (the first file, {}, has)",
                                    want.name(),
                                    files[0].display()
                                ),
                            ))
                        }
                    }
                }
            }
        }
        let columns = feature_idx.iter().map(|&j| header[j].clone()).collect();
        Ok(ParquetRows {
            files,
            next_file: 0,
            header,
            schema,
            feature_idx,
            label_idx,
            group_idx,
            columns,
            n_rows,
            reader: None,
            values: Vec::new(),
            labels: Vec::new(),
            groups: Vec::new(),
            len: 0,
            pos: 0,
            row: 0,
        })
    }

    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Rows in all files, from their footers.
    pub(crate) fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Opens the next file with the columns this table reads.
    fn open_next(&mut self) -> Result<bool> {
        let Some(path) = self.files.get(self.next_file).cloned() else { return Ok(false) };
        self.next_file += 1;
        let file = open_file(&path)?;
        let b = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| corrupt(&path, format!("not a readable Parquet file ({e})")))?;
        let wanted: Vec<&String> = self
            .feature_idx
            .iter()
            .chain(self.label_idx.iter())
            .chain(&self.group_idx)
            .map(|&j| &self.header[j])
            .collect();
        let roots: Vec<usize> = b
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| wanted.contains(&f.name()))
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(b.parquet_schema(), roots);
        let reader = b
            .with_projection(mask)
            .with_batch_size(BATCH)
            .build()
            .map_err(|e| corrupt(&path, format!("cannot read ({e})")))?;
        self.reader = Some((path, reader));
        Ok(true)
    }

    /// Loads the next record batch; false at the end of the last file.
    fn next_batch(&mut self) -> Result<bool> {
        loop {
            if self.reader.is_none() && !self.open_next()? {
                return Ok(false);
            }
            let (path, reader) = self.reader.as_mut().expect("opened above");
            match reader.next() {
                None => self.reader = None,
                Some(Err(e)) => return Err(corrupt(path, format!("cannot read a record batch ({e})"))),
                Some(Ok(batch)) if batch.num_rows() == 0 => {}
                Some(Ok(batch)) => {
                    let path = path.clone();
                    self.load(&batch, &path)?;
                    return Ok(true);
                }
            }
        }
    }

    fn column<'a>(&self, batch: &'a RecordBatch, j: usize, path: &Path) -> Result<&'a ArrayRef> {
        batch
            .column_by_name(&self.header[j])
            .ok_or_else(|| corrupt(path, format!("has no column '{}'", self.header[j])))
    }

    fn load(&mut self, batch: &RecordBatch, path: &Path) -> Result<()> {
        let n = batch.num_rows();
        let d = self.feature_idx.len();
        self.values.clear();
        self.values.resize(n * d, f64::NAN);
        for (k, &j) in self.feature_idx.iter().enumerate() {
            let col = as_f64(self.column(batch, j, path)?, path, &self.header[j])?;
            for (i, v) in col.iter().enumerate() {
                self.values[i * d + k] = v.unwrap_or(f64::NAN);
            }
        }
        self.labels.clear();
        if let Some(j) = self.label_idx {
            let col = as_text(self.column(batch, j, path)?, path, &self.header[j])?;
            self.labels.extend(col.into_iter().map(Option::unwrap_or_default));
        }
        self.groups.clear();
        if !self.group_idx.is_empty() {
            let cols = self
                .group_idx
                .iter()
                .map(|&j| as_text(self.column(batch, j, path)?, path, &self.header[j]))
                .collect::<Result<Vec<_>>>()?;
            for i in 0..n {
                let mut parts = Vec::with_capacity(cols.len());
                for (c, &j) in cols.iter().zip(&self.group_idx) {
                    match c[i].as_deref().map(str::trim) {
                        Some(v) if !v.is_empty() => parts.push(v.to_string()),
                        _ => {
                            return Err(Error::invalid_data(
                                format!("group column '{}'", self.header[j]),
                                format!("row {} has an empty value", self.row + i + 1),
                            ))
                        }
                    }
                }
                self.groups.push(parts.join(" & "));
            }
        }
        self.len = n;
        self.pos = 0;
        Ok(())
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<Row>> {
        if self.pos == self.len && !self.next_batch()? {
            return Ok(None);
        }
        let (i, d) = (self.pos, self.feature_idx.len());
        self.pos += 1;
        self.row += 1;
        Ok(Some(Row {
            values: self.values[i * d..(i + 1) * d].to_vec(),
            label: self.label_idx.map(|_| self.labels[i].clone()),
            group: (!self.group_idx.is_empty()).then(|| self.groups[i].clone()),
        }))
    }

    /// The arrow schema of the first file.
    #[allow(dead_code)]
    pub(crate) fn schema(&self) -> &SchemaRef {
        &self.schema
    }
}

/// A numeric arrow column as f64 values (nulls as `None`).
fn as_f64(col: &ArrayRef, path: &Path, name: &str) -> Result<Float64Array> {
    let cast = arrow_cast::cast(col, &DataType::Float64).map_err(|e| {
        corrupt(path, format!("column '{name}' ({}) does not convert to numbers: {e}", col.data_type()))
    })?;
    Ok(cast.as_primitive::<arrow_array::types::Float64Type>().clone())
}

/// A text or numeric arrow column as strings (nulls as `None`).
fn as_text(col: &ArrayRef, path: &Path, name: &str) -> Result<Vec<Option<String>>> {
    let cast = arrow_cast::cast(col, &DataType::Utf8)
        .map_err(|e| corrupt(path, format!("column '{name}' ({}) does not convert to text: {e}", col.data_type())))?;
    let s = cast.as_string::<i32>();
    Ok((0..s.len()).map(|i| s.is_valid(i).then(|| s.value(i).to_string())).collect())
}

/// One column of a table written by [`ParquetSink`].
#[derive(Debug, Clone)]
pub enum Column {
    /// 64-bit floats.
    F64(Vec<f64>),
    /// Unsigned integers (row numbers).
    U64(Vec<u64>),
    /// Booleans (alarms).
    Bool(Vec<bool>),
}

impl Column {
    fn data_type(&self) -> DataType {
        match self {
            Column::F64(_) => DataType::Float64,
            Column::U64(_) => DataType::UInt64,
            Column::Bool(_) => DataType::Boolean,
        }
    }

    fn into_array(self) -> ArrayRef {
        match self {
            Column::F64(v) => Arc::new(Float64Array::from(v)),
            Column::U64(v) => Arc::new(UInt64Array::from(v)),
            Column::Bool(v) => Arc::new(BooleanArray::from(v)),
        }
    }
}

/// Writes record batches of named columns into one Parquet file (zstd-compressed).
pub struct ParquetSink<W: std::io::Write + Send> {
    writer: Option<(ArrowWriter<W>, SchemaRef)>,
    out: Option<W>,
    names: Vec<String>,
    path: PathBuf,
}

impl<W: std::io::Write + Send> ParquetSink<W> {
    /// A sink writing into `out`; `path` names it in errors. The schema comes with the first block.
    pub fn new(out: W, path: &Path) -> Self {
        ParquetSink { writer: None, out: Some(out), names: Vec::new(), path: path.to_path_buf() }
    }

    /// Writes one block of rows: `(name, column)` pairs, the same names and types every block.
    pub fn write(&mut self, block: Vec<(String, Column)>) -> Result<()> {
        if self.writer.is_none() {
            let fields: Vec<Field> = block.iter().map(|(n, c)| Field::new(n, c.data_type(), false)).collect();
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
                .build();
            let out = self.out.take().expect("the writer is made once");
            let schema: SchemaRef = Arc::new(Schema::new(fields));
            let w = ArrowWriter::try_new(out, schema.clone(), Some(props))
                .map_err(|e| corrupt(&self.path, format!("cannot start the Parquet file ({e})")))?;
            self.names = block.iter().map(|(n, _)| n.clone()).collect();
            self.writer = Some((w, schema));
        }
        let (w, schema) = self.writer.as_mut().expect("made above");
        if block.iter().map(|(n, _)| n).ne(self.names.iter()) {
            return Err(corrupt(&self.path, "a block with other columns than the first"));
        }
        let arrays: Vec<ArrayRef> = block.into_iter().map(|(_, c)| c.into_array()).collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|e| corrupt(&self.path, format!("inconsistent block ({e})")))?;
        w.write(&batch).map_err(|e| corrupt(&self.path, format!("cannot write ({e})")))
    }

    /// Finishes the file (writes the footer). A table with no block gets no file body.
    pub fn finish(self) -> Result<()> {
        if let Some((w, _)) = self.writer {
            w.close().map_err(|e| corrupt(&self.path, format!("cannot finish the Parquet file ({e})")))?;
        }
        Ok(())
    }
}

/// Writes named columns as one Parquet file, atomically.
pub fn write_parquet_columns(path: &Path, columns: Vec<(String, Column)>) -> Result<()> {
    super::write::write_atomic_send(path, |w| {
        let mut sink = ParquetSink::new(w, path);
        sink.write(columns)?;
        sink.finish()
    })
}
