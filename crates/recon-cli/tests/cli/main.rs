//! The CLI integration tests: one test binary (ripgrep's `tests/` shape) whose modules share
//! the helpers in `util`.

mod atomic;
mod baseline;
mod cluster;
mod commands;
mod hostile;
mod motor;
mod registry;
mod util;
