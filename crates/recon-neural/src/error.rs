//! Errors of the neural models.

/// Errors from fitting, scoring or loading a neural model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad data, parameters or files (see [`recon_core::Error`]).
    #[error(transparent)]
    Core(#[from] recon_core::Error),
    /// Training diverged (the loss became NaN or infinite).
    #[error("training diverged at epoch {epoch} (loss {loss}); try a smaller --learning-rate")]
    Diverged {
        /// The epoch (1-based).
        epoch: usize,
        /// The loss seen.
        loss: f64,
    },
}

impl Error {
    /// True when the error is the user's input rather than a failure of the job.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Core(e) => e.is_input_error(),
            Error::Diverged { .. } => false,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::Core(recon_core::Error::invalid(name, reason))
}
