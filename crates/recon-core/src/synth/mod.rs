//! Simulators with planted ground truth. Each documents the model it follows.

pub mod clickstream;
pub mod counts;
pub mod dc_motor;
