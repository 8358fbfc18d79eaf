//! The neural models share [`recon_core::Error`] (training divergence is
//! [`recon_core::Error::Diverged`], a failure of the job rather than of the input).

pub use recon_core::{Error, Result};

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::invalid(name, reason)
}
