//! `recon bottleneck`: what a down/up-sampling path loses, level by level.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use recon::bottleneck::{parse_shape, run as measure, Op, Request};
use recon::data::{write_atomic, write_json, OutDir};
use recon::families::signal::{Down, GraphDown, Up};

use crate::output::{print, print_json};

/// A down-sampling operator.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OpArg {
    /// 2 × 2 average pooling.
    Avgpool,
    /// 2 × 2 max pooling, up-sampled by unpooling at the argmax (zeros elsewhere).
    Maxpool,
    /// Every second row and column.
    Stride,
    /// The Haar approximation band (details dropped: lossy).
    Haar,
    /// The Haar transform with its detail bands (what skip connections carry: lossless).
    HaarDetails,
    /// Graphs: top-k pooling by score |x| (Graph U-Nets), scatter un-pooling.
    Topk,
    /// Graphs: Kron reduction (keep one side of the top Laplacian eigenvector), harmonic extension back.
    Coarsen,
    /// Graphs: heavy-edge matching, mean down, copy up.
    HeavyEdge,
    /// Images: a small convolutional down/up network trained per level, with and without U-Net skips.
    Learned,
}

/// An up-sampling operator (for avgpool and stride).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum UpArg {
    /// Copy each value to its 2 × 2 block.
    Nearest,
    /// Bilinear interpolation (half-pixel centres, as align_corners=False).
    Bilinear,
}

/// How much of an image or a graph signal survives a U-Net-style bottleneck without its skip
/// connections?
///
/// Images (.png / .jpg luma, or a 2-D .npy matrix): applies --op L times (each halves both
/// sides; the image is cropped to a multiple of 2^levels, and the crop is reported) and the
/// matching up-sampling L times, for L = 1 … --levels, and prints per level the relative error
/// ‖x − up(down(x))‖² / ‖x‖² and the share of the image's spectral energy lost in each radial
/// frequency band (0–1/16, 1/16–1/8, 1/8–1/4, 1/4 and above, cycles per pixel). haar-details
/// keeps the detail bands and is lossless: the difference between haar and haar-details is what
/// the skip connections must carry. Default op: avgpool.
///
/// Graphs (an edge-list .csv: source,target[,weight]; undirected, no self-loops, each edge
/// once) with --signal NODES.csv (node,<values>; every node once, no unknown ids): pools with
/// topk, coarsen (Kron reduction) or heavy-edge, each level roughly halving the nodes, and
/// prints the same error per level with the energy lost per quarter of the graph spectrum
/// (Laplacian eigenvalues, low → high). Default op: coarsen. Up to 4000 nodes.
///
/// --op learned trains a small convolutional network per level L (strided convolutions down to a
/// one-channel bottleneck of the pooled size, transposed convolutions up), once without and once
/// with U-Net skip connections, on four fifths of the images and reports all three paths —
/// bottleneck alone, with skips, and average pooling + bilinear — on the held-out fifth. Its
/// input is a table of images (CSV or .npy rows; --shape HxW, square by default; --label-col for
/// a column that is not a pixel) or one image cut into 16 × 16 patches.
///
/// Examples:
///   recon bottleneck photo.jpg --op avgpool --up bilinear --levels 4
///   recon bottleneck photo.jpg --op maxpool --json
///   recon bottleneck photo.jpg --op haar --levels 4 --out bottleneck/
///   recon simulate graph --kind geometric --nodes 500 --out g.csv
///   recon bottleneck g.csv --signal g.nodes.csv --signal-col smooth --op coarsen --levels 3
///   recon bottleneck digits.csv --op learned --label-col label --levels 3
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct BottleneckArgs {
    /// Grey image (.png / .jpg luma, 2-D .npy) or a graph's edge list (.csv).
    pub input: PathBuf,
    /// Down-sampling operator (default: avgpool for images, coarsen for graphs).
    #[arg(long, value_enum)]
    pub op: Option<OpArg>,
    /// Node signal of a graph: CSV with a `node` column and value columns.
    #[arg(long, value_name = "NODES.csv")]
    pub signal: Option<PathBuf>,
    /// Value column of --signal (default: the first column after `node`).
    #[arg(long, value_name = "COLUMN")]
    pub signal_col: Option<String>,
    /// --op learned on a table: the image shape of each row (default: square).
    #[arg(long, value_name = "HxW")]
    pub shape: Option<String>,
    /// --op learned on a table: a column that is not a pixel (left out).
    #[arg(long, value_name = "COLUMN")]
    pub label_col: Option<String>,
    /// --op learned: epoch budget per network (default 300, early stopping on held-out images).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// --op learned: seed of the split and the networks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Up-sampling operator (avgpool and stride; maxpool and Haar have their own inverse).
    #[arg(long, value_enum, default_value_t = UpArg::Nearest)]
    pub up: UpArg,
    /// Levels of down-sampling (1 to 8).
    #[arg(long, default_value_t = 4, value_name = "L")]
    pub levels: usize,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write bottleneck.json and bottleneck.svg (energy lost per band and level) here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: BottleneckArgs) -> anyhow::Result<()> {
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let op = args.op.map(|op| match op {
        OpArg::Avgpool => Op::Image(Down::Avgpool),
        OpArg::Maxpool => Op::Image(Down::Maxpool),
        OpArg::Stride => Op::Image(Down::Stride),
        OpArg::Haar => Op::Image(Down::Haar),
        OpArg::HaarDetails => Op::Image(Down::HaarDetails),
        OpArg::Topk => Op::Graph(GraphDown::Topk),
        OpArg::Coarsen => Op::Graph(GraphDown::Kron),
        OpArg::HeavyEdge => Op::Graph(GraphDown::HeavyEdge),
        OpArg::Learned => Op::Learned,
    });
    let shape = args.shape.as_deref().map(parse_shape).transpose()?;
    let up = match args.up {
        UpArg::Nearest => Up::Nearest,
        UpArg::Bilinear => Up::Bilinear,
    };
    let report = measure(
        &Request {
            input: &args.input,
            signal: args.signal.as_deref(),
            signal_col: args.signal_col.as_deref(),
            op,
            up,
            levels: args.levels,
            shape,
            label_col: args.label_col.as_deref(),
            seed: args.seed,
            epochs: args.epochs,
        },
        &mut |msg| eprintln!("{msg}"),
    )?;
    if let Some(out) = out {
        let name = args.input.file_name().map_or("image".into(), |n| n.to_string_lossy().into_owned());
        write_atomic(&out.join("bottleneck.svg"), report.plot(&name)?.as_bytes())?;
        write_json(&out.join("bottleneck.json"), &report)?;
        out.commit()?;
    }
    if args.json {
        print_json(&report)
    } else {
        print(&report.text())
    }
}
