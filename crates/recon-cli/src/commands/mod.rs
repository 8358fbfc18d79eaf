//! One module per command.

pub mod compress;
pub mod curve;
pub mod simulate;
pub mod tensor;
