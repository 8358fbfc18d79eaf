//! Writers. Every output is written to a temporary file in the target folder and renamed into
//! place, so an interrupted or failed run never leaves a half-written file behind. A folder of
//! outputs ([`OutDir`]) is built whole under a temporary name beside its target and renamed into
//! place last, so a failed, killed or concurrent run never leaves a mixed folder.
//!
//! Temporary files and folders are listed while they exist; a binary that catches SIGINT or
//! SIGTERM calls [`remove_pending`] before it exits, so an interrupted run leaves nothing behind.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use faer::MatRef;
use npyz::WriterBuilder;

use crate::{Error, Result};

/// Temporary paths that exist while a write is under way.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

fn register(path: &Path) {
    pending().push(path.to_path_buf());
}

fn unregister(path: &Path) {
    let mut p = pending();
    if let Some(i) = p.iter().rposition(|q| q == path) {
        p.swap_remove(i);
    }
}

/// Folders in which this process creates temporary entries, with the entries' name prefix
/// (which holds the process id). Recorded *before* an entry is created, so that an interrupt
/// between the creation and [`register`] still finds it.
static PATTERNS: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());

fn patterns() -> std::sync::MutexGuard<'static, Vec<(PathBuf, String)>> {
    PATTERNS.lock().unwrap_or_else(|e| e.into_inner())
}

fn register_pattern(dir: &Path, prefix: String) {
    let mut p = patterns();
    if !p.iter().any(|(d, q)| d == dir && *q == prefix) {
        p.push((dir.to_path_buf(), prefix));
    }
}

/// Removes a file or a folder, retrying a folder that another thread is still writing into.
fn remove_retrying(p: &Path) -> bool {
    for _ in 0..50 {
        let removed = match std::fs::symlink_metadata(p) {
            Err(_) => return false,
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
            Ok(_) => std::fs::remove_file(p),
        };
        if removed.is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    false
}

/// Removes every temporary file and folder of writes still under way, and any entry this
/// process created under a temporary name but had not listed yet — for a signal handler **that
/// exits the process right after**: the lists stay locked, so every writer that tries to start
/// or finish a write from then on waits (nothing new appears while the handler cleans up).
/// Returns how many entries were removed.
pub fn remove_pending() -> usize {
    let mut listed = pending();
    let pats = patterns();
    let mut n = 0;
    for p in std::mem::take(&mut *listed) {
        n += usize::from(remove_retrying(&p));
    }
    for (dir, prefix) in pats.iter() {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries.flatten() {
            if e.file_name().to_str().is_some_and(|f| f.starts_with(prefix.as_str()) && f.ends_with(".tmp")) {
                n += usize::from(remove_retrying(&e.path()));
            }
        }
    }
    std::mem::forget(listed);
    std::mem::forget(pats);
    n
}

/// Keeps a temporary path in the pending list while it lives.
struct Listed(PathBuf);

impl Listed {
    fn new(path: &Path) -> Listed {
        register(path);
        Listed(path.to_path_buf())
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        unregister(&self.0);
    }
}

/// Name of the marker file every committed [`OutDir`] holds: a folder that has it (or, written
/// before the marker existed, a `model.json`, `report.html`, `curve.json` or `tensor.json`) may
/// be replaced by a later run.
pub const OUTPUT_MARKER: &str = ".recon-output";

/// A folder of outputs written whole or not at all.
///
/// Files are written into a staging folder beside the target ([`OutDir::path`]);
/// [`OutDir::commit`] renames it into place, replacing an older Recon output folder only once the
/// new one is complete. Dropped without a commit (an error, a panic), the staging folder is
/// removed. An existing folder that does not look like a Recon output (no marker file, no
/// `model.json`), or an existing file at the target, is refused before anything is computed.
///
/// # Example
///
/// ```
/// use recon_core::data::{write_atomic, OutDir};
/// # fn main() -> recon_core::Result<()> {
/// let tmp = tempfile::tempdir().unwrap();
/// let target = tmp.path().join("run");
/// let out = OutDir::create(&target)?;
/// write_atomic(&out.join("a.txt"), b"one")?;
/// assert!(!target.exists()); // nothing is visible until the commit
/// out.commit()?;
/// assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"one");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct OutDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

fn check_replaceable(target: &Path) -> Result<()> {
    let refuse = |reason: String| Error::InvalidParameter { name: "output folder", reason };
    let meta = match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(target, e)),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return Err(refuse(format!("'{}' exists and is not a folder; name a new folder with --out", target.display())));
    }
    let mut entries = std::fs::read_dir(target).map_err(|e| Error::io(target, e))?;
    let empty = entries.next().is_none();
    // Folders written before the marker existed are known by the file each command wrote.
    let known = [OUTPUT_MARKER, crate::model::HEADER_FILE, "report.html", "curve.json", "tensor.json"];
    if empty || known.iter().any(|f| target.join(f).is_file()) {
        return Ok(());
    }
    Err(refuse(format!(
        "'{}' is a folder that Recon did not write; it would be replaced whole, so name a new or empty folder",
        target.display()
    )))
}

/// Removes staging folders `.NAME.recon-PID-…` beside a target whose process is gone (a run
/// killed with SIGKILL cannot clean up after itself). Only where `/proc` tells which processes
/// live; elsewhere nothing is removed.
fn remove_stale(parent: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.recon-");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl OutDir {
    /// Prepares to write the folder `target`: checks that it can be replaced and creates an empty
    /// staging folder beside it.
    pub fn create(target: &Path) -> Result<OutDir> {
        check_replaceable(target)?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| {
            Error::InvalidParameter { name: "output folder", reason: format!("'{}' names no folder", target.display()) }
        })?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        ensure_dir(&parent)?;
        remove_stale(&parent, &name);
        let prefix = format!(".{name}.recon-{}-", std::process::id());
        register_pattern(&parent, prefix.clone());
        let staging = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?
            .keep();
        register(&staging);
        Ok(OutDir { target: target.to_path_buf(), staging, committed: false })
    }

    /// The staging folder to write into.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// A file in the staging folder.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.staging.join(name)
    }

    /// The folder the outputs end up in.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the finished folder into place (replacing an older output folder there). On Linux
    /// an older folder is swapped out in one atomic exchange, so the target is complete at every
    /// instant; elsewhere it is moved aside first (a crash between the two renames leaves the
    /// target absent, never mixed).
    pub fn commit(mut self) -> Result<()> {
        write_atomic(&self.staging.join(OUTPUT_MARKER), b"written by recon; this folder may be replaced whole\n")?;
        let io = |e| Error::io(&self.target, e);
        for _ in 0..16 {
            match std::fs::rename(&self.staging, &self.target) {
                Ok(()) => {
                    unregister(&self.staging);
                    self.committed = true;
                    return Ok(());
                }
                Err(_) if self.target.is_dir() => {
                    // An older output (or a concurrent run's) is in the way; whoever renames last
                    // wins, and each result is whole.
                    check_replaceable(&self.target)?;
                    if exchange(&self.staging, &self.target) {
                        // The staging path now holds the older folder: drop it (still listed,
                        // so an interrupt removes it too).
                        self.committed = true;
                        let _ = std::fs::remove_dir_all(&self.staging);
                        unregister(&self.staging);
                        return Ok(());
                    }
                    let old = tempfile::Builder::new()
                        .prefix(&format!(
                            ".{}.recon-{}-old-",
                            self.target.file_name().unwrap_or_default().to_string_lossy(),
                            std::process::id()
                        ))
                        .suffix(".tmp")
                        .tempdir_in(self.staging.parent().unwrap_or(Path::new(".")))
                        .map_err(io)?
                        .keep();
                    register(&old);
                    match std::fs::rename(&self.target, &old) {
                        Ok(()) => {}
                        Err(_) if !self.target.exists() => {} // another run moved it first
                        Err(e) => {
                            let _ = std::fs::remove_dir_all(&old);
                            unregister(&old);
                            return Err(io(e));
                        }
                    }
                    let rest = std::fs::rename(&self.staging, &self.target);
                    let _ = std::fs::remove_dir_all(&old);
                    unregister(&old);
                    if rest.is_ok() {
                        unregister(&self.staging);
                        self.committed = true;
                        return Ok(());
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(Error::io(&self.target, std::io::Error::other("other runs kept replacing the folder; try again")))
    }
}

/// Swaps two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`); false where that is not
/// available (another system, a file system without it).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
            unregister(&self.staging);
        }
    }
}

/// A CSV writer's error as the I/O error it is (a closed pipe stays `BrokenPipe`, which the
/// binary treats as a normal end), or as `Other` for anything else.
pub(crate) fn csv_io(e: csv::Error) -> std::io::Error {
    if let csv::ErrorKind::Io(_) = e.kind() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return io;
        }
        unreachable!("checked above");
    }
    std::io::Error::other(e.to_string())
}

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
    write_atomic_send(path, |w| f(w))
}

/// [`write_atomic_try`] for writers that must be `Send` (Parquet's).
pub fn write_atomic_send<T, E: From<Error>>(
    path: &Path,
    f: impl FnOnce(&mut (dyn Write + Send)) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    // A device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming a
    // temporary file over it would replace the device with a regular file.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(Error::InvalidParameter {
                name: "output file",
                reason: format!("'{}' is a folder; name a file", path.display()),
            }
            .into());
        }
        if !meta.is_file() {
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
    let prefix = format!(".recon-{}-", std::process::id());
    register_pattern(dir, prefix.clone());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Ordinary output files: readable by others, as a plain `create` under the usual umask.
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let tmp = builder.tempfile_in(dir).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        err: std::io::Error::new(e.kind(), format!("cannot write a file here ({e})")),
    })?;
    let _listed = Listed::new(tmp.path());
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
        wtr.write_record(columns).map_err(csv_io)?;
        let mut rec = Vec::with_capacity(x.ncols());
        for i in 0..x.nrows() {
            rec.clear();
            rec.extend((0..x.ncols()).map(|j| x[(i, j)].to_string()));
            wtr.write_record(&rec).map_err(csv_io)?;
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
            let csv_err = |e: csv::Error| Error::Io { path: path.to_path_buf(), err: csv_io(e) };
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
    let csv_err = |e: csv::Error| Error::Io { path: path.to_path_buf(), err: csv_io(e) };
    write_atomic_try(path, |w| -> Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(header).map_err(csv_err)?;
        for r in rows {
            out.write_record(r).map_err(csv_err)?;
        }
        out.flush().map_err(|e| Error::io(path, e))
    })
}
