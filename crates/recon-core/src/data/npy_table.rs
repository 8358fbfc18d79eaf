//! NumPy `.npy` matrices: 2-D, float (f4, f8) or integer (i1..i8, u1..u8) dtypes, C or Fortran order.
//! C-order files are read element by element, so chunked reading never holds the whole file.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use faer::Mat;
use npyz::{NpyFile, Order, TypeChar};

use super::{open_file, LoadOptions, Row};
use crate::{Error, Result};

type Elements = Box<dyn Iterator<Item = std::io::Result<f64>>>;

enum Layout {
    /// Row-major little-endian f64 (NumPy's default): read as bytes, a row or the whole at a time.
    RawF64(BufReader<std::fs::File>, Vec<u8>),
    /// Row-major: elements arrive row after row.
    Streaming(Elements),
    /// Column-major: read whole, served row by row.
    Whole(Vec<f64>),
}

pub(crate) struct NpyRows {
    path: PathBuf,
    n_rows: usize,
    n_cols: usize,
    columns: Vec<String>,
    selected: Vec<usize>,
    layout: Layout,
    row: usize,
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

macro_rules! elements {
    ($npy:expr, $t:ty, $path:expr) => {{
        let reader = $npy.data::<$t>().map_err(|e| corrupt($path, format!("unsupported dtype: {e}")))?;
        Box::new(reader.map(|r| r.map(|v| v as f64))) as Elements
    }};
}

/// Every element of a `.npy` file as f64, whatever its float or integer dtype.
fn elements_of(npy: NpyFile<BufReader<std::fs::File>>, path: &Path) -> Result<Elements> {
    let npyz::DType::Plain(ts) = npy.dtype() else {
        return Err(corrupt(path, "structured dtypes are not supported"));
    };
    Ok(match (ts.type_char(), ts.size_field()) {
        (TypeChar::Float, 4) => elements!(npy, f32, path),
        (TypeChar::Float, 8) => elements!(npy, f64, path),
        (TypeChar::Int, 1) => elements!(npy, i8, path),
        (TypeChar::Int, 2) => elements!(npy, i16, path),
        (TypeChar::Int, 4) => elements!(npy, i32, path),
        (TypeChar::Int, 8) => elements!(npy, i64, path),
        (TypeChar::Uint, 1) => elements!(npy, u8, path),
        (TypeChar::Uint, 2) => elements!(npy, u16, path),
        (TypeChar::Uint, 4) => elements!(npy, u32, path),
        (TypeChar::Uint, 8) => elements!(npy, u64, path),
        _ => return Err(corrupt(path, format!("unsupported dtype '{ts}' (use a float or integer dtype)"))),
    })
}

/// Opens a `.npy` file and checks that its header's shape fits in the file before anything is
/// sized from it (a 200-byte file can claim 2^70 elements).
fn open_npy(path: &Path) -> Result<NpyFile<BufReader<std::fs::File>>> {
    let mut file = open_file(path)?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let data_len = precheck_shape(&mut file, path, file_len)?;
    let npy = NpyFile::new(BufReader::with_capacity(1 << 16, file))
        .map_err(|e| corrupt(path, format!("not a valid .npy file ({e})")))?;
    let item = match npy.dtype() {
        npyz::DType::Plain(ts) => ts.size_field(),
        _ => return Err(corrupt(path, "structured dtypes are not supported")),
    };
    let shape = npy.shape().to_vec();
    let bytes = shape.iter().try_fold(item.max(1), |acc, &s| acc.checked_mul(s));
    match bytes {
        Some(b) if b <= data_len && usize::try_from(b).is_ok() => Ok(npy),
        _ => Err(corrupt(
            path,
            format!(
                "the header's shape {shape:?} needs more data than the {data_len} bytes after its header (truncated or corrupt)"
            ),
        )),
    }
}

/// Reads the header's `shape` without the `.npy` parser (which multiplies the dimensions as
/// `usize` and overflows on a hostile header) and refuses one that cannot fit in the file.
/// Returns the number of bytes after the header.
fn precheck_shape(file: &mut std::fs::File, path: &Path, file_len: u64) -> Result<u64> {
    use std::io::{Read, Seek};
    let mut head = vec![0u8; 4096.min(file_len as usize)];
    file.read_exact(&mut head).map_err(|e| Error::io(path, e))?;
    file.rewind().map_err(|e| Error::io(path, e))?;
    if head.len() < 10 || &head[..6] != b"\x93NUMPY" {
        return Err(corrupt(path, "not a valid .npy file (no \\x93NUMPY magic)"));
    }
    let header_len = match head[6] {
        1 => 10 + u64::from(u16::from_le_bytes([head[8], head[9]])),
        _ if head.len() >= 12 => 12 + u64::from(u32::from_le_bytes([head[8], head[9], head[10], head[11]])),
        _ => return Err(corrupt(path, "not a valid .npy file (truncated header)")),
    };
    let data_len = file_len.saturating_sub(header_len);
    let text = String::from_utf8_lossy(&head);
    let Some(at) = text.find("'shape'").or_else(|| text.find("\"shape\"")) else { return Ok(data_len) }; // npyz reports it
    let rest = &text[at..];
    let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) else { return Ok(data_len) };
    if close < open {
        return Ok(data_len);
    }
    // The parser multiplies the dimensions in u64 (strides too, zeros or not): the product of
    // the non-zero dimensions must be no more than the bytes the file holds (or 2^32 for an
    // empty array). Whether the cells fit, item size included, is checked once it has parsed.
    let mut nonzero: Option<u128> = Some(1);
    for dim in rest[open + 1..close].split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let d: u128 = dim
            .trim_end_matches('L')
            .parse()
            .map_err(|_| corrupt(path, format!("shape entry '{dim}' is not a size")))?;
        nonzero = nonzero.and_then(|c| c.checked_mul(d.max(1)));
    }
    match nonzero {
        Some(z) if z <= u128::from(data_len.max(1 << 32)) => Ok(data_len),
        _ => Err(corrupt(
            path,
            format!(
                "the header's shape ({}) needs more data than the file's {data_len} bytes after its header (truncated or corrupt)",
                &rest[open + 1..close]
            ),
        )),
    }
}

/// Reads an N-dimensional `.npy` whole: its shape and its values in C order.
pub(crate) fn read_npy_nd(path: &Path) -> Result<(Vec<usize>, Vec<f64>)> {
    let npy = open_npy(path)?;
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let order = npy.order();
    let total: usize = shape.iter().product();
    let data: Vec<f64> = elements_of(npy, path)?.collect::<std::io::Result<_>>().map_err(|e| truncated(path, e))?;
    if data.len() != total {
        return Err(corrupt(path, "data shorter than the header's shape"));
    }
    if order == Order::C || shape.len() < 2 {
        return Ok((shape, data));
    }
    // Fortran order: the first index is fastest. Re-lay out in C order.
    let mut out = vec![0.0; total];
    let mut idx = vec![0usize; shape.len()];
    for v in out.iter_mut() {
        let mut f = 0;
        for m in (0..shape.len()).rev() {
            f = f * shape[m] + idx[m];
        }
        *v = data[f];
        for m in (0..shape.len()).rev() {
            idx[m] += 1;
            if idx[m] < shape[m] {
                break;
            }
            idx[m] = 0;
        }
    }
    Ok((shape, out))
}

impl NpyRows {
    pub(crate) fn open(path: &Path, opts: &LoadOptions) -> Result<Self> {
        let npy = open_npy(path)?;
        let shape = npy.shape().to_vec();
        if shape.len() != 2 {
            return Err(corrupt(path, format!("expected a 2-D array, got shape {shape:?}")));
        }
        let (n_rows, n_cols) = (shape[0] as usize, shape[1] as usize);
        if n_rows == 0 || n_cols == 0 {
            return Err(Error::Empty { what: path.display().to_string(), reason: format!("shape {shape:?}") });
        }
        if opts.label_col.is_some() || !opts.group_cols.is_empty() {
            return Err(Error::invalid("option", ".npy files have no label or group columns"));
        }
        let all: Vec<String> = (0..n_cols).map(|j| format!("x{j}")).collect();
        let selected: Vec<usize> = match &opts.columns {
            Some(cols) => cols
                .iter()
                .map(|c| {
                    all.iter().position(|a| a == c).ok_or_else(|| Error::UnknownColumn {
                        column: c.clone(),
                        available: format!("x0..x{}", n_cols - 1),
                    })
                })
                .collect::<Result<_>>()?,
            None => (0..n_cols).collect(),
        };
        let columns = selected.iter().map(|&j| all[j].clone()).collect();
        let order = npy.order();
        let raw_f64 = matches!(npy.dtype(), npyz::DType::Plain(ts)
            if ts.type_char() == TypeChar::Float && ts.size_field() == 8 && ts.endianness() == npyz::Endianness::Little);
        if order == Order::C && raw_f64 {
            drop(npy);
            // Reopen and skip the header: NpyFile does not hand its reader back.
            let mut reader = BufReader::with_capacity(1 << 16, open_file(path)?);
            npyz::NpyHeader::from_reader(&mut reader)
                .map_err(|e| corrupt(path, format!("not a valid .npy file ({e})")))?;
            let layout = Layout::RawF64(reader, vec![0u8; n_cols * 8]);
            return Ok(NpyRows { path: path.to_path_buf(), n_rows, n_cols, columns, selected, layout, row: 0 });
        }
        let elements = elements_of(npy, path)?;
        let layout = match order {
            Order::C => Layout::Streaming(elements),
            Order::Fortran => {
                let v: Vec<f64> = elements.collect::<std::io::Result<_>>().map_err(|e| truncated(path, e))?;
                Layout::Whole(v)
            }
        };
        Ok(NpyRows { path: path.to_path_buf(), n_rows, n_cols, columns, selected, layout, row: 0 })
    }

    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    pub(crate) fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<Row>> {
        if self.row == self.n_rows {
            return Ok(None);
        }
        let (i, d) = (self.row, self.n_cols);
        let full: Vec<f64> = match &mut self.layout {
            Layout::RawF64(reader, buf) => {
                std::io::Read::read_exact(reader, buf).map_err(|e| truncated(&self.path, e))?;
                buf.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).collect()
            }
            Layout::Streaming(it) => {
                let mut v = Vec::with_capacity(d);
                for _ in 0..d {
                    match it.next() {
                        Some(Ok(x)) => v.push(x),
                        Some(Err(e)) => return Err(truncated(&self.path, e)),
                        None => return Err(corrupt(&self.path, format!("data end early, in row {}", i + 1))),
                    }
                }
                v
            }
            Layout::Whole(all) => {
                if all.len() != self.n_rows * d {
                    return Err(corrupt(&self.path, "data shorter than the header's shape"));
                }
                (0..d).map(|j| all[j * self.n_rows + i]).collect()
            }
        };
        self.row += 1;
        let values = self.selected.iter().map(|&j| full[j]).collect();
        Ok(Some(Row { values, label: None, group: None }))
    }

    /// Every remaining row at once when the file is row-major little-endian f64 and no row has
    /// been read: one read and a blocked transpose into the column-major matrix, instead of
    /// decoding element by element. Also returns the rows holding a non-finite value (in
    /// order). `None` for other files, which are read row by row.
    pub(crate) fn read_matrix(&mut self) -> Result<Option<(Mat<f64>, Vec<usize>)>> {
        let Layout::RawF64(reader, _) = &mut self.layout else { return Ok(None) };
        if self.row != 0 {
            return Ok(None);
        }
        let (n, d) = (self.n_rows, self.n_cols);
        self.row = n;
        let sel = &self.selected;
        let mut x = Mat::<f64>::zeros(n, sel.len());
        let mut bad = Vec::new();
        // Blocks of rows small enough that their bytes stay in L1 while every column is written;
        // the block's bytes are read into one reused buffer.
        const BLOCK: usize = 64;
        let mut bytes = vec![0u8; BLOCK * d * 8];
        let mut row_bad = [false; BLOCK];
        for lo in (0..n).step_by(BLOCK) {
            let hi = (lo + BLOCK).min(n);
            let bytes = &mut bytes[..(hi - lo) * d * 8];
            std::io::Read::read_exact(reader, bytes).map_err(|e| truncated(&self.path, e))?;
            for (k, &j) in sel.iter().enumerate() {
                let col = &mut x.col_as_slice_mut(k)[lo..hi];
                for (i, v) in col.iter_mut().enumerate() {
                    let at = (i * d + j) * 8;
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&bytes[at..at + 8]);
                    *v = f64::from_le_bytes(b);
                    row_bad[i] |= !v.is_finite();
                }
            }
            for (i, flag) in row_bad.iter_mut().enumerate().take(hi - lo) {
                if std::mem::take(flag) {
                    bad.push(lo + i);
                }
            }
        }
        Ok(Some((x, bad)))
    }
}

fn truncated(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        corrupt(path, "data shorter than the header's shape (truncated file?)")
    } else {
        Error::io(path, e)
    }
}
