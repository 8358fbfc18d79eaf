//! The linear models share [`recon_core::Error`]: one error type across the workspace, so a
//! caller tells bad input from a failed job with one `is_input_error`, whichever family failed.

pub use recon_core::{Error, Result};

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::invalid(name, reason)
}
