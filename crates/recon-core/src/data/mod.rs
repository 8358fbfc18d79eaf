//! Loaders and writers for the formats users have: CSV with a header, NPY (2-D, any float or
//! integer dtype, C or Fortran order), PNG/JPEG images. Every loader validates its input and
//! returns a typed [`Error`](crate::Error) that names the problem; nothing here panics on user data.
//!
//! Tables can be read whole ([`load_table`]) or in chunks of rows ([`TableReader`]) so that
//! streaming models run in memory that does not grow with the number of rows.
//!
//! # Example
//!
//! ```
//! use recon_core::data::{load_table, write_csv, LoadOptions};
//! # fn main() -> recon_core::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("t.csv");
//! let x = faer::Mat::from_fn(3, 2, |i, j| (i * 2 + j) as f64);
//! write_csv(&path, &["a".into(), "b".into()], x.as_ref())?; // atomically
//! let back = load_table(&path, &LoadOptions::default())?.dataset;
//! assert_eq!((back.n_rows(), back.columns.clone()), (3, vec!["a".to_string(), "b".to_string()]));
//! # Ok(())
//! # }
//! ```

mod csv_table;
mod graph_io;
mod image_io;
mod npy_table;
mod parquet_table;
mod tensor_io;
mod window;
mod write;

use std::path::{Path, PathBuf};

use faer::Mat;

pub use csv_table::{numeric_columns, parse_field, CsvRecord, CsvSource};
pub use graph_io::{load_graph, load_node_signal, write_graph, write_node_signals, Graph};
pub use image_io::{load_image, png_bytes, write_png, Image};
pub use parquet_table::{
    is_parquet, parquet_files, parquet_numeric_columns, parquet_schema, write_parquet_columns, Column, ParquetSink,
};
pub use tensor_io::{
    load_tensor, load_tns, write_tns, DenseTensor, SparseTensor, Tensor, MAX_MODE_SIZE, MODE_SIZE_PER_ENTRY,
};
pub use window::{ema_name, lag_name, Window, WindowStream};
pub(crate) use write::csv_io;
pub use write::{
    ensure_dir, remove_pending, write_atomic, write_atomic_send, write_atomic_try, write_atomic_with, write_csv,
    write_csv_records, write_json, write_npy, write_npy_nd, write_table_chunks, OutDir, OUTPUT_MARKER,
};

use crate::{Dataset, Error, Result};

/// The file formats Recon reads, told apart by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// NumPy `.npy`.
    Npy,
    /// PNG or JPEG image.
    Image,
    /// Apache Parquet: a `.parquet` file, or a folder of them read as one table.
    Parquet,
}

impl Format {
    /// The format of `path`, from its extension.
    pub fn of(path: &Path) -> Result<Format> {
        if path.is_dir() {
            return Ok(Format::Parquet);
        }
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("npy") => Ok(Format::Npy),
            Some("png" | "jpg" | "jpeg") => Ok(Format::Image),
            Some("parquet") => Ok(Format::Parquet),
            _ => Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
                expected: ".csv, .npy, .parquet (or a folder of them), .png, .jpg or .jpeg",
            }),
        }
    }
}

/// How to read a table.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A string column kept as the sample label (not a feature).
    pub label_col: Option<String>,
    /// String or integer columns kept as the sample group (not features); with several, a row's
    /// group is their values joined by " & " (the intersection). An empty value is an error.
    pub group_cols: Vec<String>,
    /// Only these columns are features (in this order); default: every other column.
    pub columns: Option<Vec<String>>,
    /// Drop rows holding NaN, ±Inf or an empty field instead of failing.
    pub drop_nonfinite: bool,
}

/// A loaded table and what loading it did.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The data.
    pub dataset: Dataset,
    /// Rows dropped because they held non-finite values (with `drop_nonfinite`).
    pub dropped_rows: usize,
}

/// One parsed row: feature values, label, group.
pub(crate) struct Row {
    pub values: Vec<f64>,
    pub label: Option<String>,
    pub group: Option<String>,
}

/// A table opened for reading row by row (CSV or NPY).
pub struct TableReader {
    inner: Inner,
    path: PathBuf,
    drop_nonfinite: bool,
    rows_read: usize,
    dropped: usize,
}

enum Inner {
    Csv(Box<csv_table::CsvRows>),
    Npy(npy_table::NpyRows),
    Parquet(Box<parquet_table::ParquetRows>),
}

impl TableReader {
    /// Opens a `.csv`, `.npy` or `.parquet` file (or a folder of Parquet files) and checks its header.
    pub fn open(path: &Path, opts: &LoadOptions) -> Result<Self> {
        let inner = match Format::of(path)? {
            Format::Csv => Inner::Csv(Box::new(csv_table::CsvRows::open(path, opts)?)),
            Format::Npy => Inner::Npy(npy_table::NpyRows::open(path, opts)?),
            Format::Parquet => Inner::Parquet(Box::new(parquet_table::ParquetRows::open(path, opts)?)),
            Format::Image => {
                return Err(Error::UnsupportedFormat {
                    path: path.to_path_buf(),
                    expected: ".csv, .npy or .parquet (a table)",
                })
            }
        };
        Ok(TableReader {
            inner,
            path: path.to_path_buf(),
            drop_nonfinite: opts.drop_nonfinite,
            rows_read: 0,
            dropped: 0,
        })
    }

    /// The feature column names.
    pub fn columns(&self) -> &[String] {
        match &self.inner {
            Inner::Csv(c) => c.columns(),
            Inner::Npy(n) => n.columns(),
            Inner::Parquet(p) => p.columns(),
        }
    }

    /// The number of rows if the format knows it before reading (NPY, Parquet).
    pub fn len_hint(&self) -> Option<usize> {
        match &self.inner {
            Inner::Csv(_) => None,
            Inner::Npy(n) => Some(n.n_rows()),
            Inner::Parquet(p) => Some(p.n_rows()),
        }
    }

    /// Rows dropped so far for holding non-finite values.
    pub fn dropped_rows(&self) -> usize {
        self.dropped
    }

    /// Data rows read so far (kept or dropped).
    pub fn rows_read(&self) -> usize {
        self.rows_read
    }

    fn next_row(&mut self) -> Result<Option<Row>> {
        loop {
            let row = match &mut self.inner {
                Inner::Csv(c) => c.next_row()?,
                Inner::Npy(n) => n.next_row()?,
                Inner::Parquet(p) => p.next_row()?,
            };
            let Some(row) = row else { return Ok(None) };
            self.rows_read += 1;
            if let Some(j) = row.values.iter().position(|v| !v.is_finite()) {
                if self.drop_nonfinite {
                    self.dropped += 1;
                    continue;
                }
                return Err(Error::NonFinite {
                    row: self.rows_read,
                    column: self.columns()[j].clone(),
                    value: if row.values[j].is_nan() { "NaN/empty".into() } else { row.values[j].to_string() },
                });
            }
            return Ok(Some(row));
        }
    }

    /// Reads up to `max_rows` rows into a matrix; `None` at the end of the file.
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<Option<Mat<f64>>> {
        let d = self.columns().len();
        let mut buf = Vec::with_capacity(max_rows.min(1 << 16) * d);
        let mut n = 0;
        while n < max_rows {
            match self.next_row()? {
                Some(r) => buf.extend_from_slice(&r.values),
                None => break,
            }
            n += 1;
        }
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(Mat::from_fn(n, d, |i, j| buf[i * d + j])))
    }

    fn no_rows(&self) -> Error {
        let reason = if self.dropped > 0 {
            format!("all {} rows held non-finite values and were dropped", self.dropped)
        } else {
            "no data rows".to_string()
        };
        Error::Empty { what: self.path.display().to_string(), reason }
    }

    /// The rows read at once (`bad`: those holding a non-finite value), checked as the row path
    /// checks them: refused, or dropped with `drop_nonfinite`.
    fn whole_matrix(mut self, x: Mat<f64>, bad: &[usize]) -> Result<Loaded> {
        self.rows_read = x.nrows();
        let x = match bad.first() {
            None => x,
            Some(&i) if !self.drop_nonfinite => {
                let j = (0..x.ncols()).find(|&j| !x[(i, j)].is_finite()).unwrap_or(0);
                let v = x[(i, j)];
                return Err(Error::NonFinite {
                    row: i + 1,
                    column: self.columns()[j].clone(),
                    value: if v.is_nan() { "NaN/empty".into() } else { v.to_string() },
                });
            }
            Some(_) => {
                self.dropped = bad.len();
                let mut keep = Vec::with_capacity(x.nrows() - bad.len());
                let mut b = bad.iter().peekable();
                for i in 0..x.nrows() {
                    if b.peek() == Some(&&i) {
                        b.next();
                    } else {
                        keep.push(i);
                    }
                }
                Mat::from_fn(keep.len(), x.ncols(), |r, j| x[(keep[r], j)])
            }
        };
        if x.nrows() == 0 {
            return Err(self.no_rows());
        }
        let dataset = Dataset { x, columns: self.columns().to_vec(), labels: None, groups: None };
        Ok(Loaded { dataset, dropped_rows: self.dropped })
    }

    /// Reads every remaining row into a [`Dataset`].
    pub fn read_all(mut self) -> Result<Loaded> {
        if let Inner::Npy(npy) = &mut self.inner {
            if let Some((x, bad)) = npy.read_matrix()? {
                return self.whole_matrix(x, &bad);
            }
        }
        let d = self.columns().len();
        let mut buf = Vec::new();
        let (mut labels, mut groups) = (Vec::new(), Vec::new());
        while let Some(r) = self.next_row()? {
            buf.extend_from_slice(&r.values);
            if let Some(l) = r.label {
                labels.push(l);
            }
            if let Some(g) = r.group {
                groups.push(g);
            }
        }
        let n = buf.len().checked_div(d).unwrap_or(0);
        if n == 0 {
            return Err(self.no_rows());
        }
        let x = Mat::from_fn(n, d, |i, j| buf[i * d + j]);
        let columns = self.columns().to_vec();
        let dataset = Dataset {
            x,
            columns,
            labels: (!labels.is_empty()).then_some(labels),
            groups: (!groups.is_empty()).then_some(groups),
        };
        Ok(Loaded { dataset, dropped_rows: self.dropped })
    }
}

/// Loads a whole `.csv`, `.npy` or Parquet table.
pub fn load_table(path: &Path, opts: &LoadOptions) -> Result<Loaded> {
    TableReader::open(path, opts)?.read_all()
}

pub(crate) fn open_file(path: &Path) -> Result<std::fs::File> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::Corrupt { path: path.to_path_buf(), reason: "is a directory, not a file".into() });
    }
    if meta.len() == 0 {
        return Err(Error::Empty { what: path.display().to_string(), reason: "the file is zero bytes".into() });
    }
    Ok(file)
}
