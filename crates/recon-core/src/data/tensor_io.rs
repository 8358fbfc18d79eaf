//! N-way tensors: dense `.npy` (any float / integer dtype, C or Fortran order; NaN marks a
//! missing entry) and sparse FROSTT `.tns` text (one nonzero per line: 1-based indices then the
//! value; `#` starts a comment), held as coordinates and never densified.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::open_file;
use crate::{Error, Result};

/// A dense tensor in C order (last index fastest); NaN entries are missing.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseTensor {
    /// Size of each mode.
    pub shape: Vec<usize>,
    /// Values, C order.
    pub data: Vec<f64>,
}

/// A sparse tensor in coordinate form; absent entries are zero.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseTensor {
    /// Size of each mode (the largest index seen, unless given).
    pub shape: Vec<usize>,
    /// `nnz × N` 0-based indices, row-major, sorted and without duplicates.
    pub indices: Vec<usize>,
    /// One value per nonzero.
    pub values: Vec<f64>,
}

impl SparseTensor {
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }
    /// Number of modes.
    pub fn n_modes(&self) -> usize {
        self.shape.len()
    }
    /// The 0-based indices of entry `e`.
    pub fn coords(&self, e: usize) -> &[usize] {
        let n = self.shape.len();
        &self.indices[e * n..(e + 1) * n]
    }
}

/// A loaded tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum Tensor {
    /// From `.npy`.
    Dense(DenseTensor),
    /// From `.tns`.
    Sparse(SparseTensor),
}

impl Tensor {
    /// Size of each mode.
    pub fn shape(&self) -> &[usize] {
        match self {
            Tensor::Dense(d) => &d.shape,
            Tensor::Sparse(s) => &s.shape,
        }
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

/// Loads a `.npy` (dense) or `.tns` (sparse) tensor with at least 3 modes.
pub fn load_tensor(path: &Path) -> Result<Tensor> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let t = match ext.as_deref() {
        Some("npy") => {
            let (shape, data) = super::npy_table::read_npy_nd(path)?;
            if data.iter().all(|v| v.is_nan()) {
                return Err(Error::Empty {
                    what: path.display().to_string(),
                    reason: "every entry is missing (NaN)".into(),
                });
            }
            if let Some(i) = data.iter().position(|v| v.is_infinite()) {
                return Err(corrupt(path, format!("infinite value at flat index {i}")));
            }
            Tensor::Dense(DenseTensor { shape, data })
        }
        Some("tns") => Tensor::Sparse(load_tns(path)?),
        _ => return Err(Error::UnsupportedFormat { path: path.to_path_buf(), expected: ".npy or .tns (a tensor)" }),
    };
    let shape = t.shape();
    if shape.len() < 3 {
        return Err(corrupt(path, format!("a tensor needs at least 3 modes, this one has shape {shape:?}")));
    }
    if shape.contains(&0) {
        return Err(Error::Empty { what: path.display().to_string(), reason: format!("shape {shape:?}") });
    }
    Ok(t)
}

/// The largest mode size a `.tns` file may declare whatever its entry count.
pub const MAX_MODE_SIZE: usize = 10_000_000;
/// Beyond [`MAX_MODE_SIZE`], a mode may have up to this many indices per entry of the file.
pub const MODE_SIZE_PER_ENTRY: usize = 10;

/// Reads a FROSTT `.tns` file. Duplicate coordinates are added together. Indices are checked
/// against [`MAX_MODE_SIZE`] (or [`MODE_SIZE_PER_ENTRY`] × entries, if larger) before any
/// factor is sized from them.
pub fn load_tns(path: &Path) -> Result<SparseTensor> {
    let file = open_file(path)?;
    let mut n_modes = 0usize;
    let mut entries: Vec<(Vec<usize>, f64)> = Vec::new();
    for (lineno, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| corrupt(path, format!("line {}: {e}", lineno + 1)))?;
        let text = line.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let at = lineno + 1;
        let tokens: Vec<&str> = text.split_whitespace().collect();
        if n_modes == 0 {
            n_modes = tokens.len().saturating_sub(1);
            if n_modes < 3 {
                return Err(corrupt(
                    path,
                    format!("line {at}: {} field(s); a tensor needs at least 3 indices and a value", tokens.len()),
                ));
            }
        }
        if tokens.len() != n_modes + 1 {
            return Err(corrupt(
                path,
                format!("line {at}: {} fields, expected {} indices and a value", tokens.len(), n_modes),
            ));
        }
        let mut idx = Vec::with_capacity(n_modes);
        for (m, tok) in tokens[..n_modes].iter().enumerate() {
            let i: usize = tok.parse().map_err(|_| {
                corrupt(path, format!("line {at}: index '{tok}' in mode {} is not a positive integer", m + 1))
            })?;
            if i == 0 {
                return Err(corrupt(
                    path,
                    format!("line {at}: index 0 in mode {} (FROSTT indices are 1-based)", m + 1),
                ));
            }
            idx.push(i - 1);
        }
        let v: f64 = tokens[n_modes]
            .parse()
            .map_err(|_| corrupt(path, format!("line {at}: value '{}' is not a number", tokens[n_modes])))?;
        if !v.is_finite() {
            return Err(corrupt(path, format!("line {at}: value '{}' is not finite", tokens[n_modes])));
        }
        entries.push((idx, v));
    }
    if entries.is_empty() {
        return Err(Error::Empty { what: path.display().to_string(), reason: "no entries".into() });
    }
    // The factor matrices have one row per index: refuse a size no entry count can justify
    // before anything is allocated from it (a 3-line file can name index 400000000000).
    let limit = MAX_MODE_SIZE.max(MODE_SIZE_PER_ENTRY.saturating_mul(entries.len()));
    for m in 0..n_modes {
        let size = entries.iter().map(|(idx, _)| idx[m] as u128 + 1).max().unwrap_or(0);
        if size > limit as u128 {
            return Err(corrupt(
                path,
                format!(
                    "mode {} has index {size}, above the limit of {limit} for {} entries (max({MAX_MODE_SIZE}, {MODE_SIZE_PER_ENTRY} × entries)): is the file corrupt?",
                    m + 1,
                    entries.len()
                ),
            ));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut shape = vec![0usize; n_modes];
    let mut indices = Vec::with_capacity(entries.len() * n_modes);
    let mut values: Vec<f64> = Vec::with_capacity(entries.len());
    let mut last: Option<&[usize]> = None;
    for (idx, v) in &entries {
        if last == Some(idx.as_slice()) {
            *values.last_mut().expect("an entry before") += v;
            continue;
        }
        for (s, i) in shape.iter_mut().zip(idx) {
            *s = (*s).max(i + 1);
        }
        indices.extend_from_slice(idx);
        values.push(*v);
        last = Some(idx);
    }
    Ok(SparseTensor { shape, indices, values })
}

/// Writes a sparse tensor as FROSTT `.tns` (1-based indices), atomically.
pub fn write_tns(path: &Path, t: &SparseTensor) -> Result<()> {
    super::write_atomic_with(path, |w| {
        for e in 0..t.nnz() {
            for i in t.coords(e) {
                write!(w, "{} ", i + 1)?;
            }
            writeln!(w, "{}", t.values[e])?;
        }
        Ok(())
    })
}
