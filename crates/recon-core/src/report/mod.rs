//! Report types: SVG plots drawn with plotters and a self-contained HTML report.
//!
//! # Example
//!
//! ```
//! use recon_core::report::{LinePlot, Series};
//! # fn main() -> recon_core::Result<()> {
//! let svg = LinePlot {
//!     title: "error vs rank".into(),
//!     x_label: "rank".into(),
//!     y_label: "relative squared error".into(),
//!     series: vec![Series { name: "err".into(), x: vec![0.0, 1.0, 2.0], y: vec![1.0, 0.3, 0.0] }],
//!     markers: vec![],
//!     log_y: false,
//! }
//! .to_svg(320, 200)?;
//! assert!(svg.starts_with("<svg"));
//! # Ok(())
//! # }
//! ```

mod html;
mod plot;

pub use html::{Block, Report, Section};
pub use plot::{BarChart, IntervalPlot, LinePlot, Marker, ScatterPlot, Series};
