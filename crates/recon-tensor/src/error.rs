//! Errors of the tensor models.

/// Errors from fitting tensor decompositions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad data, parameters or files (see [`recon_core::Error`]).
    #[error(transparent)]
    Core(#[from] recon_core::Error),
    /// A linear solve inside ALS failed (a failure of the job, not of the input).
    #[error("{what} failed")]
    Numerical {
        /// Which step.
        what: &'static str,
    },
}

impl Error {
    /// True when the error is the user's input rather than a failure of the job.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Core(e) => e.is_input_error(),
            Error::Numerical { .. } => false,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::Core(recon_core::Error::invalid(name, reason))
}
