//! Writers. Every output is written to a temporary file in the target folder and renamed into
//! place, so an interrupted or failed run never leaves a half-written file behind.

use std::io::{BufWriter, Write};
use std::path::Path;

use faer::MatRef;
use npyz::WriterBuilder;

use crate::{Error, Result};

/// Creates `dir` (and parents) if needed.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// Writes `path` atomically with a writer callback (temp file in the same folder, then rename).
pub fn write_atomic_with(path: &Path, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    write_atomic_try(path, |w| f(w).map_err(|e| Error::io(path, e)))
}

/// Writes `path` atomically with a callback that can fail for its own reasons (a bad row met
/// while streaming a result out): on any error nothing is left behind, and the callback's error
/// comes back as it is, not as a write error.
pub fn write_atomic_try<T, E: From<Error>>(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    // A device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming a
    // temporary file over it would replace the device with a regular file.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            let file = std::fs::OpenOptions::new().write(true).open(path).map_err(|e| Error::io(path, e))?;
            let mut w = BufWriter::new(file);
            let value = f(&mut w)?;
            w.flush().map_err(|e| Error::io(path, e))?;
            return Ok(value);
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".recon-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Ordinary output files: readable by others, as a plain `create` under the usual umask.
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let tmp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    let value = {
        let mut w = BufWriter::new(tmp.as_file());
        let value = f(&mut w)?;
        w.flush().map_err(|e| Error::io(path, e))?;
        value
    };
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(value)
}

/// Writes bytes atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Writes a serialisable value as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(value)?;
    write_atomic(path, s.as_bytes())
}

/// Writes a matrix as CSV with a header (shortest round-trip float formatting), atomically.
pub fn write_csv(path: &Path, columns: &[String], x: MatRef<'_, f64>) -> Result<()> {
    assert_eq!(columns.len(), x.ncols(), "one name per column");
    write_atomic_with(path, |w| {
        let mut wtr = csv::Writer::from_writer(w);
        wtr.write_record(columns)?;
        let mut rec = Vec::with_capacity(x.ncols());
        for i in 0..x.nrows() {
            rec.clear();
            rec.extend((0..x.ncols()).map(|j| x[(i, j)].to_string()));
            wtr.write_record(&rec)?;
        }
        wtr.flush()
    })
}

/// Writes a matrix as a C-order `<f8` `.npy` file, atomically.
pub fn write_npy(path: &Path, x: MatRef<'_, f64>) -> Result<()> {
    write_atomic_with(path, |w| {
        let mut npy = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(&[x.nrows() as u64, x.ncols() as u64])
            .writer(w)
            .begin_nd()?;
        for i in 0..x.nrows() {
            for j in 0..x.ncols() {
                npy.push(&x[(i, j)])?;
            }
        }
        npy.finish()
    })
}

/// Writes an N-dimensional array (C order) as a `<f8` `.npy` file, atomically.
#[track_caller]
pub fn write_npy_nd(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    assert_eq!(shape.iter().product::<usize>(), data.len(), "shape and data disagree");
    let shape: Vec<u64> = shape.iter().map(|&s| s as u64).collect();
    write_atomic_with(path, |w| {
        let mut npy = npyz::WriteOptions::<f64>::new().default_dtype().shape(&shape).writer(w).begin_nd()?;
        for v in data {
            npy.push(v)?;
        }
        npy.finish()
    })
}

/// Writes a table chunk by chunk, atomically: `.npy` (f64, `n_rows × columns`, the row count
/// known in advance) or CSV with a header (any other extension). `fill` is handed a sink and
/// calls it with each chunk of rows in order; an error from `fill` or a row count that does not
/// match `n_rows` leaves nothing behind.
pub fn write_table_chunks<E: From<Error>>(
    path: &Path,
    columns: &[String],
    n_rows: usize,
    fill: impl FnOnce(&mut dyn FnMut(MatRef<'_, f64>) -> Result<()>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let npy = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    let io = |e: std::io::Error| Error::io(path, e);
    write_atomic_try(path, |w| -> std::result::Result<(), E> {
        let mut written = 0usize;
        if npy {
            let mut out = npyz::WriteOptions::<f64>::new()
                .default_dtype()
                .shape(&[n_rows as u64, columns.len() as u64])
                .writer(w)
                .begin_nd()
                .map_err(io)?;
            fill(&mut |m| {
                for i in 0..m.nrows() {
                    for j in 0..m.ncols() {
                        out.push(&m[(i, j)]).map_err(io)?;
                    }
                }
                written += m.nrows();
                Ok(())
            })?;
            if written != n_rows {
                return Err(Error::invalid("table", format!("{written} rows written, {n_rows} announced")).into());
            }
            out.finish().map_err(io)?;
        } else {
            let mut out = csv::Writer::from_writer(w);
            let csv_err =
                |e: csv::Error| Error::Io { path: path.to_path_buf(), err: std::io::Error::other(e.to_string()) };
            out.write_record(columns).map_err(csv_err)?;
            fill(&mut |m| {
                for i in 0..m.nrows() {
                    out.write_record((0..m.ncols()).map(|j| m[(i, j)].to_string())).map_err(csv_err)?;
                }
                Ok(())
            })?;
            out.flush().map_err(io)?;
        }
        Ok(())
    })
}

/// Writes a CSV table of text records (header first), atomically.
pub fn write_csv_records<R, S>(path: &Path, header: &[&str], rows: impl IntoIterator<Item = R>) -> Result<()>
where
    R: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let csv_err = |e: csv::Error| Error::Io { path: path.to_path_buf(), err: std::io::Error::other(e.to_string()) };
    write_atomic_try(path, |w| -> Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(header).map_err(csv_err)?;
        for r in rows {
            out.write_record(r).map_err(csv_err)?;
        }
        out.flush().map_err(|e| Error::io(path, e))
    })
}
