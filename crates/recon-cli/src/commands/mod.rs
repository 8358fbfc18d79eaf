//! One module per command.

pub mod audit;
pub mod bottleneck;
pub mod cluster;
pub mod compress;
pub mod curve;
pub mod diagnose;
pub mod discover;
pub mod fit;
pub mod frame;
pub mod generate;
pub mod score;
pub mod simulate;
pub mod sql;
pub mod stego;
pub mod tensor;
