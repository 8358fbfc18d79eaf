//! The tensor models share [`recon_core::Error`] (a failed solve inside ALS is
//! [`recon_core::Error::NoConvergence`], a failure of the job rather than of the input).

pub use recon_core::{Error, Result};

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::invalid(name, reason)
}
