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
        Format::Csv | Format::Parquet => Err(Error::invalid_data(
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
    /// The learned down/up network ([`recon_neural::ConvNet`]), with and without skips.
    Learned,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Image(Down::Avgpool) => "avgpool",
            Op::Image(Down::Maxpool) => "maxpool",
            Op::Image(Down::Stride) => "stride",
            Op::Image(Down::Haar) => "haar",
            Op::Image(Down::HaarDetails) => "haar-details",
            Op::Graph(GraphDown::Topk) => "topk",
            Op::Graph(GraphDown::Kron) => "coarsen",
            Op::Graph(GraphDown::HeavyEdge) => "heavy-edge",
            Op::Learned => "learned",
        })
    }
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
    /// Learned: the image shape of a table's rows (default: square).
    pub shape: Option<[usize; 2]>,
    /// Learned: a table column that is not a pixel (a label).
    pub label_col: Option<&'a str>,
    /// Learned: seed of the split and the networks.
    pub seed: u64,
    /// Learned: epoch budget per network (default: the network's own, 300, with early stopping).
    pub epochs: Option<usize>,
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
    /// The learned network on a set of images.
    Learned(LearnedReport),
}

/// Reads the input, checks that the operator fits it, and runs the cycle; `progress` hears
/// about long steps (the learned networks' training).
pub fn run(req: &Request, progress: &mut dyn FnMut(&str)) -> Result<Report> {
    if req.op == Some(Op::Learned) {
        if req.signal.is_some() || req.signal_col.is_some() {
            return Err(Error::invalid("signal", "--op learned works on images, not on a graph's node signal"));
        }
        let set = read_images(req.input, req.shape, req.label_col, req.levels)?;
        return Ok(Report::Learned(learned(&set, req.levels, req.seed, req.epochs, progress)?));
    }
    if req.shape.is_some() || req.label_col.is_some() {
        return Err(Error::invalid("shape", "--shape and --label-col describe a table of images for --op learned"));
    }
    let is_graph = Format::of(req.input)? == Format::Csv;
    if is_graph {
        let op = match req.op {
            None => GraphDown::Kron,
            Some(Op::Graph(op)) => op,
            Some(op) => {
                return Err(Error::invalid(
                    "op",
                    format!(
                        "{op} is an image operator and {} is a graph: use topk, coarsen or heavy-edge",
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
            Some(op) => return Err(Error::invalid(
                "op",
                format!(
                    "{op} is a graph operator and {} is an image: use avgpool, maxpool, stride, haar, haar-details or learned",
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
            Report::Learned(r) => r.text(),
        }
    }

    /// The energy-lost plot.
    pub fn plot(&self, title: &str) -> Result<String> {
        match self {
            Report::Image(r) => r.plot(title),
            Report::Graph(r) => r.plot(title),
            Report::Learned(r) => r.plot(title),
        }
    }
}

/// A set of same-size grey images, pixels scaled by the largest magnitude (relative errors do
/// not depend on the scale; the networks train better near 1).
#[derive(Debug, Clone)]
pub struct ImageSet {
    /// Where they came from.
    pub name: String,
    /// Height and width.
    pub shape: [usize; 2],
    /// Row-major pixels, image after image.
    pub pixels: Vec<f32>,
    /// How they were made (rows of a table, or patches of one image).
    pub source: String,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len() / (self.shape[0] * self.shape[1])
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }
}

/// `"HxW"` (or `"H×W"`) as `[H, W]`.
pub fn parse_shape(s: &str) -> Result<[usize; 2]> {
    let bad = || Error::invalid("shape", format!("'{s}' is not HxW (e.g. 8x8)"));
    let (h, w) = s.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let (h, w) = (h.trim().parse::<usize>().map_err(|_| bad())?, w.trim().parse::<usize>().map_err(|_| bad())?);
    if h == 0 || w == 0 {
        return Err(bad());
    }
    Ok([h, w])
}

/// The image shape of a table's rows: `shape` checked against the `d` pixel columns, or the
/// square one when absent.
pub fn table_shape(d: usize, shape: Option<[usize; 2]>, name: &str) -> Result<[usize; 2]> {
    let shape = match shape {
        Some(s) => s,
        None => {
            let s = (d as f64).sqrt().round() as usize;
            if s * s != d {
                return Err(Error::invalid_data(
                    name,
                    format!("{d} pixel columns are not a square image: give --shape HxW (or --label-col for a column that is not a pixel)"),
                ));
            }
            [s, s]
        }
    };
    if shape[0] * shape[1] != d {
        return Err(Error::invalid_data(
            name,
            format!("--shape {}x{} needs {} pixel columns; the table has {d}", shape[0], shape[1], shape[0] * shape[1]),
        ));
    }
    Ok(shape)
}

/// Images for the learned bottleneck: the rows of a table (CSV or 2-D .npy; `shape`, or square
/// when absent; `label_col` left out), or the non-overlapping P × P patches of one image
/// (P = max(16, 2^levels); the image's luma).
pub fn read_images(path: &Path, shape: Option<[usize; 2]>, label_col: Option<&str>, levels: usize) -> Result<ImageSet> {
    let name = path.display().to_string();
    let (shape, mut pixels, source) = match Format::of(path)? {
        Format::Image => {
            if shape.is_some() || label_col.is_some() {
                return Err(Error::invalid(
                    "shape",
                    "--shape and --label-col are for a table of images, not one image",
                ));
            }
            let g = grey(&load_image(path)?);
            let p = 16usize.max(1 << levels.min(10));
            let (ni, nj) = (g.nrows() / p, g.ncols() / p);
            if ni * nj == 0 {
                return Err(Error::invalid_data(
                    &name,
                    format!("a {} × {} image has no {p} × {p} patch", g.nrows(), g.ncols()),
                ));
            }
            let mut px = Vec::with_capacity(ni * nj * p * p);
            for bi in 0..ni {
                for bj in 0..nj {
                    for i in 0..p {
                        for j in 0..p {
                            px.push(g[(bi * p + i, bj * p + j)] as f32);
                        }
                    }
                }
            }
            ([p, p], px, format!("{} non-overlapping {p} × {p} patches of the grey image", ni * nj))
        }
        Format::Csv | Format::Npy | Format::Parquet => {
            let opts = recon_core::data::LoadOptions { label_col: label_col.map(str::to_string), ..Default::default() };
            let table = recon_core::data::load_table(path, &opts)?.dataset;
            let d = table.n_cols();
            let shape = table_shape(d, shape, &name)?;
            let px = (0..table.n_rows())
                .flat_map(|i| (0..d).map(move |j| (i, j)))
                .map(|(i, j)| table.x[(i, j)] as f32)
                .collect();
            (shape, px, format!("{} rows of the table as {} × {} images", table.n_rows(), shape[0], shape[1]))
        }
    };
    let scale = pixels.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if !(scale > 0.0) {
        return Err(Error::invalid_data(&name, "all pixels are zero"));
    }
    pixels.iter_mut().for_each(|v| *v /= scale);
    Ok(ImageSet { name, shape, pixels, source })
}

/// One level of the learned comparison, on the held-out images.
#[derive(Debug, Clone, Serialize)]
pub struct LearnedLevel {
    /// Levels of down-sampling.
    pub level: usize,
    /// Bottleneck side lengths (one channel).
    pub bottleneck: [usize; 2],
    /// The network without skips (the bottleneck alone).
    pub relative_error: f64,
    /// The network with U-Net skips.
    pub relative_error_skips: f64,
    /// Average pooling and bilinear up-sampling on the same images (the fixed path of the same size).
    pub relative_error_avgpool: f64,
    /// Epochs trained (without, with skips).
    pub epochs: [usize; 2],
    /// Whether each stopped by convergence.
    pub converged: [bool; 2],
}

/// What `recon bottleneck --op learned` reports.
#[derive(Debug, Clone, Serialize)]
pub struct LearnedReport {
    /// The input.
    pub input: String,
    /// How the images were made.
    pub source: String,
    /// Image shape.
    pub shape: [usize; 2],
    /// Images trained on (a fifth of them held out for early stopping).
    pub train_images: usize,
    /// Images measured on (never seen in training).
    pub test_images: usize,
    /// Seed of the split and the networks.
    pub seed: u64,
    /// Per level.
    pub levels: Vec<LearnedLevel>,
    /// Levels 1..=L.
    pub level_numbers: Vec<usize>,
    /// Without skips, per level.
    pub relative_error: Vec<f64>,
    /// With skips, per level.
    pub relative_error_skips: Vec<f64>,
}

/// Trains the down/up network with and without skips for levels 1..=`levels` on four fifths of
/// `set` (shuffled by `seed`) and measures all three paths on the remaining fifth.
pub fn learned(
    set: &ImageSet,
    levels: usize,
    seed: u64,
    epochs: Option<usize>,
    progress: &mut dyn FnMut(&str),
) -> Result<LearnedReport> {
    use rand::{seq::SliceRandom, SeedableRng};
    use recon_neural::{ConvNetParams, Trainable};
    let [h, w] = set.shape;
    let n = set.len();
    if n < 20 {
        return Err(Error::invalid_data(
            &set.name,
            format!("{n} images are too few to train and test on (at least 20)"),
        ));
    }
    if levels == 0 || levels > 6 || h % (1 << levels) != 0 || w % (1 << levels) != 0 {
        return Err(Error::invalid(
            "levels",
            format!(
                "{levels} levels need 1..=6 and {h} × {w} images divisible by {} on both sides",
                1usize << levels.min(6)
            ),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let n_test = (n / 5).max(4);
    let pick = |rows: &[usize]| -> Vec<f32> {
        rows.iter().flat_map(|&i| set.pixels[i * h * w..(i + 1) * h * w].iter().copied()).collect()
    };
    let (test, train) = (pick(&order[..n_test]), pick(&order[n_test..]));
    let mut out = Vec::with_capacity(levels);
    for l in 1..=levels {
        let mut nets = Vec::with_capacity(2);
        for skips in [false, true] {
            progress(&format!(
                "level {l}: training the down/up network {} skips",
                if skips { "with" } else { "without" }
            ));
            let mut p = ConvNetParams::new(l, skips).seed(seed);
            if let Some(e) = epochs {
                p = p.epochs(e);
            }
            nets.push(
                p.fit(&train, set.shape, &mut |_, _, _| {})
                    .map_err(|e| Error::invalid_data(&set.name, e.to_string()))?,
            );
        }
        let rel = |net: &recon_neural::ConvNet| {
            net.relative_error(&test).map_err(|e| Error::invalid_data(&set.name, e.to_string()))
        };
        let (mut e_avg, mut energy) = (0.0, 0.0);
        for img in test.chunks(h * w) {
            let x = Mat::from_fn(h, w, |i, j| f64::from(img[i * w + j]));
            let back = recon_signal::bottleneck::cycle(&x, Down::Avgpool, Up::Bilinear, l);
            e_avg += recon_core::squared_norm((&x - &back).as_ref());
            energy += recon_core::squared_norm(x.as_ref());
        }
        out.push(LearnedLevel {
            level: l,
            bottleneck: [h >> l, w >> l],
            relative_error: rel(&nets[0])?,
            relative_error_skips: rel(&nets[1])?,
            relative_error_avgpool: e_avg / energy,
            epochs: [nets[0].log.train_loss.len(), nets[1].log.train_loss.len()],
            converged: [nets[0].log.converged, nets[1].log.converged],
        });
    }
    Ok(LearnedReport {
        input: set.name.clone(),
        source: set.source.clone(),
        shape: set.shape,
        train_images: n - n_test,
        test_images: n_test,
        seed,
        level_numbers: out.iter().map(|l| l.level).collect(),
        relative_error: out.iter().map(|l| l.relative_error).collect(),
        relative_error_skips: out.iter().map(|l| l.relative_error_skips).collect(),
        levels: out,
    })
}

impl LearnedReport {
    /// A line per level.
    pub fn text(&self) -> String {
        let mut s = format!(
            "learned down/up network on {} ({}; {} trained, {} held out)\n",
            self.input, self.source, self.train_images, self.test_images
        );
        s += "level  bottleneck   without skips   with skips   avgpool+bilinear   epochs (converged)\n";
        for l in &self.levels {
            s += &format!(
                "{:>5}  {:>4} × {:<4}  {:>13.4e}  {:>11.4e}  {:>17.4e}   {} / {} ({} / {})\n",
                l.level,
                l.bottleneck[0],
                l.bottleneck[1],
                l.relative_error,
                l.relative_error_skips,
                l.relative_error_avgpool,
                l.epochs[0],
                l.epochs[1],
                if l.converged[0] { "yes" } else { "no" },
                if l.converged[1] { "yes" } else { "no" }
            );
        }
        s += "(relative error ‖x − x̂‖² / ‖x‖² on the held-out images; the bottleneck is one channel, as many numbers as the pooled image)\n";
        s
    }

    /// Relative error per level for the three paths.
    pub fn plot(&self, title: &str) -> Result<String> {
        let x: Vec<f64> = self.level_numbers.iter().map(|&l| l as f64).collect();
        let series = vec![
            Series { name: "learned, bottleneck alone".into(), x: x.clone(), y: self.relative_error.clone() },
            Series { name: "learned, with skips".into(), x: x.clone(), y: self.relative_error_skips.clone() },
            Series {
                name: "average pooling + bilinear".into(),
                x: x.clone(),
                y: self.levels.iter().map(|l| l.relative_error_avgpool).collect(),
            },
        ];
        LinePlot {
            title: format!("Held-out relative error per level — {title}"),
            x_label: "levels of down-sampling".into(),
            y_label: "relative error".into(),
            series,
            markers: vec![],
            log_y: true,
        }
        .to_svg(720, 420)
    }
}
