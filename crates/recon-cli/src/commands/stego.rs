//! `recon stego`: does a cycle model hide its input in its translations?

use std::path::PathBuf;

use clap::Args;
use recon::stego::stego;

use crate::output::{print, print_json};

/// Does a CycleGAN cheat by hiding x in G(x)? (Chu, Zhmoginov & Sandler 2017)
///
/// A cycle model can satisfy ‖F(G(x)) − x‖ by encoding x in G(x) as a faint signal that F
/// decodes, instead of translating. The probe needs X images and their true translations (--y,
/// aligned row by row, such as the test pair of `recon simulate domains`). The true y is all
/// the content a translation should carry, so an honest F rebuilds x about as well from y as
/// from G(x); a cheating F does much better from G(x). Verdict: hidden signal when
/// ‖F(y) − x‖² / ‖F(G(x)) − x‖² exceeds --threshold (default 2). Also reported, not used in the
/// verdict: the translation error, the rebuild from a blurred G(x), F's sensitivity to small
/// noise (σ 0.02) and to a 3 × 3 blur at G(x) and at y, and the high-frequency energy of G(x)
/// over y. MODEL is a `recon generate cycle` model folder.
///
/// Examples:
///   recon simulate domains data/digits.csv --label-col label --transform pixelate --out dom/
///   recon generate cycle --x dom/x.csv --y dom/y.csv --lambda-cyc 1000 --disc-lr-factor 0.01 --out cheat/
///   recon generate cycle --x dom/x.csv --y dom/y_paired.csv --paired --out honest/
///   recon stego cheat/model dom/x_test.csv --y dom/y_test.csv
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct StegoArgs {
    /// A CycleGAN model folder.
    pub model: PathBuf,
    /// Images of domain X.
    pub x: PathBuf,
    /// The true translations of the X rows (aligned row by row).
    #[arg(long, value_name = "Y.csv")]
    pub y: PathBuf,
    /// Image shape (default: square).
    #[arg(long, value_name = "HxW")]
    pub shape: Option<String>,
    /// Ratio ‖F(y) − x‖² / ‖F(G(x)) − x‖² above which the verdict fires (> 1).
    #[arg(long, default_value_t = 2.0)]
    pub threshold: f64,
    /// Seed of the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: StegoArgs) -> anyhow::Result<()> {
    let shape = a.shape.as_deref().map(recon::bottleneck::parse_shape).transpose()?;
    let report = stego(&a.model, &a.x, &a.y, shape, a.threshold, a.seed)?;
    if a.json {
        print_json(&report)
    } else {
        print(&report.text())
    }
}
