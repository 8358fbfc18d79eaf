//! Report types: SVG plots drawn with plotters and a self-contained HTML report.

mod html;
mod plot;

pub use html::{Block, Report, Section};
pub use plot::{LinePlot, Marker, Series};
