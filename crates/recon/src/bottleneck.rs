//! `recon bottleneck`: how much a down/up-sampling path loses on an image or a graph signal,
//! level by level ([`recon_signal::bottleneck`], [`recon_signal::graph`]).
//!
//! The input's extension says what it is: an image (.png, .jpg, 2-D .npy) or a graph (an
//! edge-list .csv, with the node signal in a second CSV).
//!
//! # Example
//!
//! ```
//! use recon::bottleneck::grey;
//! use recon::data::Image;
//! use recon_signal::{bottleneck, Down, Up};
//! # fn main() -> recon::Result<()> {
//! let img = Image { channels: vec![faer::Mat::from_fn(32, 32, |i, j| ((i * 3 + j * 5) % 11) as f64)] };
//! let b = bottleneck(&grey(&img), Down::HaarDetails, Up::Nearest, 3)?;
//! assert!(b.levels.iter().all(|l| l.relative_error < 1e-20)); // the details make it lossless
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use faer::Mat;
use recon_core::data::{load_graph, load_image, load_node_signal, load_tensor, Format, Image, Tensor};
use recon_core::report::{LinePlot, Series};
use recon_core::{Error, Result};
use recon_signal::{bottleneck, graph_bottleneck, Bottleneck, Down, GraphBottleneck, GraphDown, Up};
use serde::Serialize;

/// ITU-R BT.601 luma of a colour image (the grey channel of a grey one).
pub fn grey(img: &Image) -> Mat<f64> {
    match img.channels.len() {
        3 => {
            let c = &img.channels;
            Mat::from_fn(img.height(), img.width(), |i, j| {
                0.299 * c[0][(i, j)] + 0.587 * c[1][(i, j)] + 0.114 * c[2][(i, j)]
            })
        }
        _ => img.channels[0].clone(),
    }
}

/// Reads a grey image: a PNG / JPEG (luma), or a 2-D `.npy` matrix.
pub fn read_grey(path: &Path) -> Result<Mat<f64>> {
    match Format::of(path)? {
        Format::Image => Ok(grey(&load_image(path)?)),
        Format::Npy => match load_tensor(path)? {
            Tensor::Dense(t) if t.shape.len() == 2 => {
                let (h, w) = (t.shape[0], t.shape[1]);
                if t.data.iter().any(|v| !v.is_finite()) {
                    return Err(Error::invalid_data(path.display().to_string(), "the image holds non-finite values"));
                }
                Ok(Mat::from_fn(h, w, |i, j| t.data[i * w + j]))
            }
            _ => Err(Error::invalid_data(path.display().to_string(), "a grey image is a 2-D .npy matrix")),
        },
        Format::Csv => Err(Error::invalid_data(
            path.display().to_string(),
            "give an image (.png, .jpg) or a 2-D .npy matrix (a .csv is read as a graph's edge list)",
        )),
    }
}

/// What `recon bottleneck --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct BottleneckReport {
    /// The cycle per level.
    #[serde(flatten)]
    pub result: Bottleneck,
    /// Levels 1..=L.
    #[serde(rename = "level_numbers")]
    pub level_numbers: Vec<usize>,
    /// `‖x − up(down(x))‖² / ‖x‖²` per level.
    pub relative_error: Vec<f64>,
}

/// Runs the cycle on the image at `path`.
pub fn bottleneck_file(path: &Path, op: Down, up: Up, levels: usize) -> Result<BottleneckReport> {
    let x = read_grey(path)?;
    let result = bottleneck(&x, op, up, levels)?;
    Ok(BottleneckReport {
        level_numbers: result.levels.iter().map(|l| l.level).collect(),
        relative_error: result.levels.iter().map(|l| l.relative_error).collect(),
        result,
    })
}

impl BottleneckReport {
    /// A line per level.
    pub fn text(&self) -> String {
        let r = &self.result;
        let mut s = format!(
            "{:?}{} on a {} × {} grey image ({} rows, {} columns cropped)\n",
            r.op,
            r.up.map_or(String::new(), |u| format!(" / {u:?}")),
            r.size[0],
            r.size[1],
            r.cropped[0],
            r.cropped[1]
        );
        s += "level  bottleneck   relative error   band loss (low → high frequency)\n";
        for l in &r.levels {
            s += &format!(
                "{:>5}  {:>4} × {:<4}  {:>14.6e}   {}\n",
                l.level,
                l.bottleneck[0],
                l.bottleneck[1],
                l.relative_error,
                l.band_loss.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(" ")
            );
        }
        s
    }

    /// The share of each band's energy lost, against the level.
    pub fn plot(&self, title: &str) -> Result<String> {
        let e = &self.result.band_edges;
        let x: Vec<f64> = self.result.levels.iter().map(|l| l.level as f64).collect();
        let mut series: Vec<Series> = (0..e.len() - 1)
            .map(|b| Series {
                name: format!("band {:.3}–{:.3} cycles/pixel", e[b], e[b + 1]),
                x: x.clone(),
                y: self.result.levels.iter().map(|l| l.band_loss[b]).collect(),
            })
            .collect();
        series.push(Series { name: "relative error (all)".into(), x: x.clone(), y: self.relative_error.clone() });
        LinePlot {
            title: format!("Energy lost per level — {title}"),
            x_label: "levels of down/up-sampling".into(),
            y_label: "share of energy lost".into(),
            series,
            markers: vec![],
            log_y: false,
        }
        .to_svg(720, 420)
    }
}

/// A pooling operator for either kind of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An image operator.
    Image(Down),
    /// A graph operator.
    Graph(GraphDown),
}

/// What to measure: an image or a graph and its node signal.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Image (.png, .jpg, .npy) or edge list (.csv).
    pub input: &'a Path,
    /// Node-signal CSV (graphs only).
    pub signal: Option<&'a Path>,
    /// Value column of the node-signal CSV (default: the first after `node`).
    pub signal_col: Option<&'a str>,
    /// Operator; `None`: average pooling for images, Kron coarsening for graphs.
    pub op: Option<Op>,
    /// Up-sampling for avgpool and stride.
    pub up: Up,
    /// Levels 1..=L.
    pub levels: usize,
}

/// What `recon bottleneck --json` prints for a graph.
#[derive(Debug, Clone, Serialize)]
pub struct GraphBottleneckReport {
    /// The edge list.
    pub graph: String,
    /// The node-signal column measured.
    pub signal: String,
    /// The cycle per level.
    #[serde(flatten)]
    pub result: GraphBottleneck,
    /// Levels 1..=L.
    pub level_numbers: Vec<usize>,
    /// `‖x − up(down(x))‖² / ‖x‖²` per level.
    pub relative_error: Vec<f64>,
}

/// The report for either input.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// An image.
    Image(BottleneckReport),
    /// A graph signal.
    Graph(GraphBottleneckReport),
}

/// Reads the input, checks that the operator fits it, and runs the cycle.
pub fn run(req: &Request) -> Result<Report> {
    let is_graph = Format::of(req.input)? == Format::Csv;
    if is_graph {
        let op = match req.op {
            None => GraphDown::Kron,
            Some(Op::Graph(op)) => op,
            Some(Op::Image(op)) => {
                return Err(Error::invalid(
                    "op",
                    format!(
                        "{op:?} is an image operator and {} is a graph: use topk, coarsen or heavy-edge",
                        req.input.display()
                    ),
                ))
            }
        };
        let Some(signal) = req.signal else {
            return Err(Error::invalid(
                "signal",
                format!(
                    "{} is read as a graph's edge list: give its node signal with --signal NODES.csv",
                    req.input.display()
                ),
            ));
        };
        let graph = load_graph(req.input)?;
        let (column, x) = load_node_signal(signal, &graph, req.signal_col)?;
        let result = graph_bottleneck(&graph, &x, op, req.levels)?;
        return Ok(Report::Graph(GraphBottleneckReport {
            graph: req.input.display().to_string(),
            signal: format!("{}:{column}", signal.display()),
            level_numbers: result.levels.iter().map(|l| l.level).collect(),
            relative_error: result.levels.iter().map(|l| l.relative_error).collect(),
            result,
        }));
    }
    if req.signal.is_some() || req.signal_col.is_some() {
        return Err(Error::invalid("signal", "a node signal goes with a graph (an edge-list .csv), not an image"));
    }
    let op =
        match req.op {
            None => Down::Avgpool,
            Some(Op::Image(op)) => op,
            Some(Op::Graph(op)) => return Err(Error::invalid(
                "op",
                format!(
                    "{op:?} is a graph operator and {} is an image: use avgpool, maxpool, stride, haar or haar-details",
                    req.input.display()
                ),
            )),
        };
    Ok(Report::Image(bottleneck_file(req.input, op, req.up, req.levels)?))
}

impl GraphBottleneckReport {
    /// A line per level.
    pub fn text(&self) -> String {
        let r = &self.result;
        let mut s = format!(
            "{:?} on {} ({} nodes, {} edges), signal {} (smoothness xᵀLx/xᵀx = {:.4}, λ_max = {:.4})\n",
            r.op,
            self.graph,
            r.nodes,
            r.edges,
            self.signal,
            r.smoothness,
            r.band_edges.last().copied().unwrap_or(0.0)
        );
        s += &format!(
            "energy by quarter of the spectrum (low → high): {}\n",
            r.band_energy.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(" ")
        );
        s += "level  nodes   edges   relative error   band loss (low → high quarter)   error by quarter\n";
        for l in &r.levels {
            s += &format!(
                "{:>5}  {:>5}  {:>6}  {:>14.6e}   {}   {}\n",
                l.level,
                l.nodes,
                l.edges,
                l.relative_error,
                l.band_loss
                    .iter()
                    .map(|v| v.map_or("    —".into(), |v| format!("{v:.3}")))
                    .collect::<Vec<_>>()
                    .join(" "),
                l.band_error.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(" ")
            );
        }
        s += "(band loss: the share of the signal's energy in that quarter that the residual holds, — where the signal has none;\n error by quarter: the residual's energy there over the signal's total, summing to the relative error)\n";
        s
    }

    /// The share of each quarter's energy lost, against the level.
    pub fn plot(&self, title: &str) -> Result<String> {
        let r = &self.result;
        let x: Vec<f64> = r.levels.iter().map(|l| l.level as f64).collect();
        let mut series: Vec<Series> = (0..4)
            .filter(|&b| r.levels.iter().all(|l| l.band_loss[b].is_some()))
            .map(|b| Series {
                name: format!("graph frequencies {:.2}–{:.2}", r.band_edges[b], r.band_edges[b + 1]),
                x: x.clone(),
                y: r.levels.iter().filter_map(|l| l.band_loss[b]).collect(),
            })
            .collect();
        series.push(Series { name: "relative error (all)".into(), x: x.clone(), y: self.relative_error.clone() });
        LinePlot {
            title: format!("Energy lost per level — {title}"),
            x_label: "levels of pooling".into(),
            y_label: "share of energy lost".into(),
            series,
            markers: vec![],
            log_y: false,
        }
        .to_svg(720, 420)
    }
}

impl Report {
    /// A line per level.
    pub fn text(&self) -> String {
        match self {
            Report::Image(r) => r.text(),
            Report::Graph(r) => r.text(),
        }
    }

    /// The energy-lost plot.
    pub fn plot(&self, title: &str) -> Result<String> {
        match self {
            Report::Image(r) => r.plot(title),
            Report::Graph(r) => r.plot(title),
        }
    }
}
