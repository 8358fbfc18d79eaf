//! Line plots rendered to SVG strings (plotters' SVG backend: no fonts or C libraries needed).

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::{Error, Result};

/// One line of a plot.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// x values.
    pub x: Vec<f64>,
    /// y values (same length as x).
    pub y: Vec<f64>,
}

/// A vertical marker line at `x` with a label (e.g. the chosen rank).
#[derive(Debug, Clone)]
pub struct Marker {
    /// Where.
    pub x: f64,
    /// Legend text.
    pub label: String,
}

/// A line plot of one or more series.
#[derive(Debug, Clone, Default)]
pub struct LinePlot {
    /// Title above the plot.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Lines.
    pub series: Vec<Series>,
    /// Vertical marker lines.
    pub markers: Vec<Marker>,
    /// Logarithmic y axis (non-positive values are left out).
    pub log_y: bool,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn plot_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Plot { reason: format!("{e:?}") }
}

impl LinePlot {
    /// Renders the plot as an SVG document of `width × height` pixels.
    pub fn to_svg(&self, width: u32, height: u32) -> Result<String> {
        let pts = || self.series.iter().flat_map(|s| s.x.iter().zip(&s.y)).filter(|(_, y)| !self.log_y || **y > 0.0);
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for (x, y) in pts() {
            if x.is_finite() && y.is_finite() {
                (x0, x1, y0, y1) = (x0.min(*x), x1.max(*x), y0.min(*y), y1.max(*y));
            }
        }
        if !x0.is_finite() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.1, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + y0.abs().max(1.0) * 0.1;
        }
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            if self.log_y {
                self.draw(&root, x0..x1, (y0 * 0.8..y1 * 1.25).log_scale())?;
            } else {
                let pad = 0.05 * (y1 - y0);
                self.draw(&root, x0..x1, (y0 - pad)..(y1 + pad))?;
            }
            root.present().map_err(plot_err)?;
        }
        Ok(svg)
    }

    /// Whether the first series ends higher than it starts (the legend then goes lower right).
    fn rising(&self) -> bool {
        self.series.first().is_some_and(|s| s.y.len() > 1 && s.y[s.y.len() - 1] > s.y[0])
    }

    fn draw<YR>(
        &self,
        root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
        xr: std::ops::Range<f64>,
        yr: YR,
    ) -> Result<()>
    where
        YR: AsRangedCoord<Value = f64>,
        YR::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d::<std::ops::Range<f64>, YR>(xr, yr)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .x_label_formatter(&|v: &f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") })
            .y_desc(&self.y_label)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(plot_err)?;
        let keep = |y: f64| y.is_finite() && (!self.log_y || y > 0.0);
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let data: Vec<(f64, f64)> = s.x.iter().copied().zip(s.y.iter().copied()).filter(|p| keep(p.1)).collect();
            chart
                .draw_series(LineSeries::new(data.clone(), color.stroke_width(2)))
                .map_err(plot_err)?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
            if data.len() <= 80 {
                chart.draw_series(data.iter().map(|&p| Circle::new(p, 2, color.filled()))).map_err(plot_err)?;
            }
        }
        let yr = chart.y_range();
        let (ylo, yhi) = (yr.start, yr.end);
        for (i, m) in self.markers.iter().enumerate() {
            let color = PALETTE[(i + 3) % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(vec![(m.x, ylo), (m.x, yhi)], color.stroke_width(1)))
                .map_err(plot_err)?
                .label(&m.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(1)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(if self.rising() { SeriesLabelPosition::LowerRight } else { SeriesLabelPosition::UpperRight })
            .draw()
            .map_err(plot_err)?;
        Ok(())
    }
}

/// Point estimates with interval bars, one row per category (e.g. each group's mean error with
/// its bootstrap interval), and an optional reference line (e.g. the overall mean).
#[derive(Debug, Clone)]
pub struct IntervalPlot {
    /// Title above the plot.
    pub title: String,
    /// Axis label of the values.
    pub x_label: String,
    /// Category names, top to bottom.
    pub names: Vec<String>,
    /// Point estimate of each category.
    pub values: Vec<f64>,
    /// Interval of each category (`None`: no bar).
    pub intervals: Vec<Option<(f64, f64)>>,
    /// A vertical reference line with its label.
    pub reference: Option<Marker>,
}

impl IntervalPlot {
    /// Renders the plot as an SVG document of `width` pixels (the height grows with the rows).
    pub fn to_svg(&self, width: u32) -> Result<String> {
        let n = self.names.len();
        let height = (90 + 28 * n as u32).max(160);
        let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
        let ends = self.intervals.iter().flatten().flat_map(|&(a, b)| [a, b]);
        for v in self.values.iter().copied().chain(ends).chain(self.reference.iter().map(|m| m.x)) {
            if v.is_finite() {
                (x0, x1) = (x0.min(v), x1.max(v));
            }
        }
        if !x0.is_finite() {
            (x0, x1) = (0.0, 1.0);
        }
        let pad = 0.08 * (x1 - x0).max(x1.abs() * 1e-3).max(1e-12);
        let longest = self.names.iter().map(|s| s.chars().count()).max().unwrap_or(4) as u32;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size((7 * longest + 16).min(width / 2))
                .build_cartesian_2d((x0 - pad)..(x1 + pad), -0.5f64..(n as f64 - 0.5))
                .map_err(plot_err)?;
            let names = &self.names;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_labels(n.max(1))
                .y_label_formatter(&|v: &f64| {
                    let i = v.round();
                    match (i - v).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                        true => names[n - 1 - i as usize].clone(),
                        false => String::new(),
                    }
                })
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(plot_err)?;
            let color = PALETTE[0];
            for (k, (&v, iv)) in self.values.iter().zip(&self.intervals).enumerate() {
                let y = (n - 1 - k) as f64;
                if let Some((a, b)) = iv {
                    chart
                        .draw_series(LineSeries::new(vec![(*a, y), (*b, y)], color.stroke_width(2)))
                        .map_err(plot_err)?;
                    for e in [*a, *b] {
                        chart
                            .draw_series(LineSeries::new(vec![(e, y - 0.15), (e, y + 0.15)], color.stroke_width(2)))
                            .map_err(plot_err)?;
                    }
                }
                chart.draw_series(std::iter::once(Circle::new((v, y), 4, color.filled()))).map_err(plot_err)?;
            }
            if let Some(m) = &self.reference {
                let c = PALETTE[3 % PALETTE.len()];
                chart
                    .draw_series(LineSeries::new(vec![(m.x, -0.5), (m.x, n as f64 - 0.5)], c.stroke_width(1)))
                    .map_err(plot_err)?
                    .label(&m.label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(1)));
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()
                    .map_err(plot_err)?;
            }
            root.present().map_err(plot_err)?;
        }
        Ok(svg)
    }
}

/// Grouped bars: one group per category (e.g. per level), one bar per series within it.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    /// Title above the chart.
    pub title: String,
    /// Label of the categories' axis.
    pub x_label: String,
    /// Label of the values' axis.
    pub y_label: String,
    /// Category names, left to right.
    pub categories: Vec<String>,
    /// `(legend name, one value per category)`; non-finite values draw no bar.
    pub series: Vec<(String, Vec<f64>)>,
}

impl BarChart {
    /// Renders the chart as an SVG document of `width × height` pixels (values from 0 up).
    pub fn to_svg(&self, width: u32, height: u32) -> Result<String> {
        let n = self.categories.len();
        let k = self.series.len().max(1);
        let top = self.series.iter().flat_map(|s| s.1.iter().copied()).filter(|v| v.is_finite()).fold(0.0f64, f64::max);
        let top = if top > 0.0 { top * 1.1 } else { 1.0 };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0..top)
                .map_err(plot_err)?;
            let cats = &self.categories;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .x_labels(n.max(1))
                .x_label_formatter(&|v: &f64| {
                    let i = v.round();
                    match (i - v).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                        true => cats[i as usize].clone(),
                        false => String::new(),
                    }
                })
                .disable_x_mesh()
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(plot_err)?;
            let width_each = 0.8 / k as f64;
            for (s, (name, values)) in self.series.iter().enumerate() {
                let color = PALETTE[s % PALETTE.len()];
                let bars = values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(c, &v)| {
                    let x0 = c as f64 - 0.4 + s as f64 * width_each;
                    Rectangle::new([(x0, 0.0), (x0 + width_each * 0.9, v)], color.filled())
                });
                chart
                    .draw_series(bars)
                    .map_err(plot_err)?
                    .label(name)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(plot_err)?;
            root.present().map_err(plot_err)?;
        }
        Ok(svg)
    }
}

/// Points coloured by a value (blue low → red high), with the colour range in the caption: e.g.
/// a latent space coloured by a property.
#[derive(Debug, Clone, Default)]
pub struct ScatterPlot {
    /// Title above the plot.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Points.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// One value per point (non-finite values are drawn grey).
    pub value: Vec<f64>,
    /// What the colour shows.
    pub value_label: String,
}

impl ScatterPlot {
    /// Renders the plot as an SVG document of `width × height` pixels.
    pub fn to_svg(&self, width: u32, height: u32) -> Result<String> {
        if self.x.len() != self.y.len() || self.x.len() != self.value.len() {
            return Err(Error::invalid("scatter plot", "x, y and the values must have the same length"));
        }
        let fin = |v: &[f64]| {
            v.iter()
                .filter(|x| x.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)))
        };
        let pad = |(a, b): (f64, f64)| {
            if !a.is_finite() {
                (0.0, 1.0)
            } else if b > a {
                (a - 0.05 * (b - a), b + 0.05 * (b - a))
            } else {
                (a - 1.0, a + 1.0)
            }
        };
        let ((x0, x1), (y0, y1)) = (pad(fin(&self.x)), pad(fin(&self.y)));
        let (v0, v1) = fin(&self.value);
        let colour = |v: f64| -> RGBColor {
            if !v.is_finite() || !v0.is_finite() {
                return RGBColor(160, 160, 160);
            }
            let t = if v1 > v0 { (v - v0) / (v1 - v0) } else { 0.5 };
            RGBColor((40.0 + 200.0 * t) as u8, 60, (240.0 - 200.0 * t) as u8)
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            let caption = format!("{} (colour: {} from {:.3} blue to {:.3} red)", self.title, self.value_label, v0, v1);
            let mut chart = ChartBuilder::on(&root)
                .caption(caption, ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(plot_err)?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(plot_err)?;
            chart
                .draw_series(
                    (0..self.x.len())
                        .filter(|&i| self.x[i].is_finite() && self.y[i].is_finite())
                        .map(|i| Circle::new((self.x[i], self.y[i]), 2, colour(self.value[i]).filled())),
                )
                .map_err(plot_err)?;
            root.present().map_err(plot_err)?;
        }
        Ok(svg)
    }
}
