//! Simulators with planted ground truth. Each documents the model it follows.
//!
//! # Example
//!
//! ```
//! use recon_core::synth::dc_motor::{simulate, MotorFault, MotorParams};
//! # fn main() -> recon_core::Result<()> {
//! let run = simulate(&MotorParams { duration: 1.0, fault: MotorFault::Load, fault_start: 0.5, ..Default::default() })?;
//! assert_eq!(run.len(), 101); // 100 Hz, both ends
//! # Ok(())
//! # }
//! ```

pub mod clickstream;
pub mod counts;
pub mod dc_motor;
pub mod graphs;
pub mod groups;
