//! The error type of `recon-core`: every failure that depends on user data is a variant here,
//! so callers can tell bad input (exit code 2) from a failure of the job (exit code 1).

use std::path::PathBuf;

/// Errors from loading, validating, writing and reporting data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input file does not exist.
    #[error("{}: no such file", path.display())]
    MissingFile { path: PathBuf },
    /// The file extension names no format Recon reads.
    #[error("{}: unsupported file type (expected {expected})", path.display())]
    UnsupportedFormat { path: PathBuf, expected: &'static str },
    /// The input holds no data (no rows, no columns, or a zero-byte file).
    #[error("{what}: empty data ({reason})")]
    Empty { what: String, reason: String },
    /// A CSV row has a different number of fields than the header.
    #[error("{}: line {line} has {found} fields, the header has {expected}", path.display())]
    Ragged { path: PathBuf, line: u64, expected: usize, found: usize },
    /// A NaN, an infinity or an empty field where a number must be.
    #[error("non-finite value {value} at row {row}, column '{column}' (use --drop-nonfinite to drop such rows)")]
    NonFinite { row: usize, column: String, value: String },
    /// A column that is neither numeric nor named as the label or group column.
    #[error("column '{column}' is not numeric (value '{value}' at row {row}); name it with --label-col or --group-col, or leave it out with --columns")]
    NonNumericColumn { column: String, row: usize, value: String },
    /// A column named on the command line that the file does not have.
    #[error("no column named '{column}' (columns are: {available})")]
    UnknownColumn { column: String, available: String },
    /// Every feature is constant: there is nothing to reconstruct.
    #[error(
        "the data have zero variance (every value is the same, or zero), so no reconstruction error can be measured"
    )]
    ZeroVariance,
    /// A parameter that cannot be used with this data (a rank larger than the matrix, a budget outside (0, 1], ...).
    #[error("invalid {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// A file that exists but is not a valid file of its format.
    #[error("{}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// A model directory whose files do not describe a valid model.
    #[error("model {}: {reason}", path.display())]
    BadModel { path: PathBuf, reason: String },
    /// A model folder of a kind or format version this build does not read.
    #[error("model {}: {reason}", path.display())]
    UnknownModel { path: PathBuf, reason: String },
    /// Data that cannot be used this way (negative counts, a width that does not match the model, too few rows).
    #[error("invalid {what}: {reason}")]
    InvalidData { what: String, reason: String },
    /// A decomposition or solve did not converge (a failure of the job, not of the input).
    #[error("{what} did not converge")]
    NoConvergence { what: &'static str },
    /// Training diverged: the loss became NaN or infinite (a failure of the job).
    #[error("training diverged at epoch {epoch} (loss {loss}); try a smaller --learning-rate")]
    Diverged { epoch: usize, loss: f64 },
    /// A fit whose result would be useless (a control limit of zero, fewer rows than the model
    /// needs): refused rather than saved (a failure of the job).
    #[error("{what}: {reason}")]
    Degenerate { what: String, reason: String },
    /// An operating-system I/O failure.
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    /// A plot could not be drawn.
    #[error("plot failed: {reason}")]
    Plot { reason: String },
    /// JSON (de)serialisation of a result.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// True when the error is the user's input (bad file, bad parameter) rather than a failure of the job.
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            Error::Io { .. }
                | Error::Plot { .. }
                | Error::Json(_)
                | Error::NoConvergence { .. }
                | Error::Diverged { .. }
                | Error::Degenerate { .. }
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::MissingFile { path }
        } else {
            Error::Io { path, err: source }
        }
    }

    /// Data that cannot be used this way.
    pub fn invalid_data(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidData { what: what.into(), reason: reason.into() }
    }

    /// An invalid parameter, for callers in other crates.
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter { name, reason: reason.into() }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
