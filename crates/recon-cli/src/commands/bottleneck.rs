//! `recon bottleneck`: what a down/up-sampling path loses, level by level.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use recon::bottleneck::bottleneck_file;
use recon::data::{write_atomic, write_json, OutDir};
use recon::families::signal::{Down, Up};

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
}

/// An up-sampling operator (for avgpool and stride).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum UpArg {
    /// Copy each value to its 2 × 2 block.
    Nearest,
    /// Bilinear interpolation (half-pixel centres, as align_corners=False).
    Bilinear,
}

/// How much of an image survives a U-Net-style bottleneck without its skip connections?
///
/// Applies --op L times (each halves both sides) and the matching up-sampling L times, for
/// L = 1 … --levels, on the grey image (luma of a colour PNG/JPEG, or a 2-D .npy matrix; cropped
/// to a multiple of 2^levels, and the crop is reported), and prints per level the relative error
/// ‖x − up(down(x))‖² / ‖x‖² and the share of the image's spectral energy lost in each radial
/// frequency band (0–1/16, 1/16–1/8, 1/8–1/4, 1/4 and above, cycles per pixel).
/// haar-details keeps the detail bands and is lossless: the difference between haar and
/// haar-details is what the skip connections must carry. (Graph inputs are not built yet.)
///
/// Examples:
///   recon bottleneck photo.jpg --op avgpool --up bilinear --levels 4
///   recon bottleneck photo.jpg --op maxpool --json
///   recon bottleneck photo.jpg --op haar --levels 4 --out bottleneck/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct BottleneckArgs {
    /// Grey image: .png / .jpg (luma) or a 2-D .npy matrix.
    pub input: PathBuf,
    /// Down-sampling operator.
    #[arg(long, value_enum, default_value_t = OpArg::Avgpool)]
    pub op: OpArg,
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
    let op = match args.op {
        OpArg::Avgpool => Down::Avgpool,
        OpArg::Maxpool => Down::Maxpool,
        OpArg::Stride => Down::Stride,
        OpArg::Haar => Down::Haar,
        OpArg::HaarDetails => Down::HaarDetails,
    };
    let up = match args.up {
        UpArg::Nearest => Up::Nearest,
        UpArg::Bilinear => Up::Bilinear,
    };
    let report = bottleneck_file(&args.input, op, up, args.levels)?;
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
