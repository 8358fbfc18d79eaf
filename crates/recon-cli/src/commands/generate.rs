//! `recon generate`: generative models measured by reconstruction, perception and distortion.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use recon::bottleneck::parse_shape;
use recon::data::OutDir;
use recon::families::neural::losses::Adversarial;
use recon::generate::{cycle, vaegan, CycleRequest, VaeGanRequest};

use crate::output::{bar, print, print_json};

/// Train generative models and measure them.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: Generation,
}

#[derive(Subcommand, Debug)]
pub enum Generation {
    Vaegan(VaeGanArgs),
    Cycle(CycleArgs),
}

/// A CycleGAN between two unpaired image domains, measured on an aligned test pair.
///
/// Generators G: X → Y and F: Y → X and two discriminators (MLPs), the least-squares adversarial
/// loss, the cycle loss ‖F(G(x)) − x‖₁ + ‖G(F(y)) − y‖₁ weighted by --lambda-cyc, and an
/// optional identity loss (--lambda-id). --x and --y are tables of images (one per row, the same
/// columns), unpaired; --x-test and --y-test, when given, are aligned row by row (y-test row i is
/// the true translation of x-test row i) and used only to measure: translation_error =
/// ‖G(x_test) − y_test‖²/‖y_test‖² against identity_error = ‖x_test − y_test‖²/‖y_test‖² (what
/// doing nothing scores), and cycle_error on x_test. `recon simulate domains` makes such data
/// from real images. --out writes the model folder and cycle.json.
///
/// Examples:
///   recon simulate domains data/digits.csv --label-col label --transform thicken --out dom/
///   recon generate cycle --x dom/x.csv --y dom/y.csv --x-test dom/x_test.csv --y-test dom/y_test.csv
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct CycleArgs {
    /// Domain X: a table of images.
    #[arg(long, value_name = "X.csv")]
    pub x: PathBuf,
    /// Domain Y: a table of images with the same columns.
    #[arg(long, value_name = "Y.csv")]
    pub y: PathBuf,
    /// Aligned test images of X (with --y-test).
    #[arg(long, value_name = "XT.csv", requires = "y_test")]
    pub x_test: Option<PathBuf>,
    /// Their true translations (with --x-test).
    #[arg(long, value_name = "YT.csv", requires = "x_test")]
    pub y_test: Option<PathBuf>,
    /// Weight of the cycle loss.
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub lambda_cyc: f64,
    /// Discriminator learning rate as a multiple of the generators' (below 1: a weaker
    /// discriminator; with a large --lambda-cyc this invites the cycle to cheat).
    #[arg(long, default_value_t = 1.0)]
    pub disc_lr_factor: f64,
    /// Supervised control, not a CycleGAN: --x and --y are aligned row by row and G, F are
    /// fitted by L1 regression (G(x) → y, F(y) → x) with no cycle or adversarial loss. Such a
    /// model has no reason to hide x in G(x): the honest reference for `recon stego`.
    #[arg(long)]
    pub paired: bool,
    /// Weight of the identity loss (0: none).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub lambda_id: f64,
    /// Epochs (a fixed budget).
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write the model folder and cycle.json here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The perception–distortion curve of a VAE-GAN, one model per adversarial weight λ.
///
/// A VAE-GAN (Larsen et al. 2016) trains reconstruction + β·KL + λ·adversarial: at λ = 0 a plain
/// VAE (faithful on average, blurry), with larger λ a discriminator pushes the reconstructions
/// towards images it cannot tell from real ones. Blau & Michaeli (2018) proved that distortion
/// and perception cannot both be minimised; this command measures where each λ lands.
///
/// DATA is a table of images, one per row (CSV or .npy; --shape HxW, square by default;
/// --label-col for a column that is not a pixel), min–max scaled to [0, 1]; four fifths train,
/// one fifth is held out. Per λ, on the held-out images: distortion (mean squared error per
/// pixel), perception (Fréchet distance between real and reconstructed images in the features of
/// a fixed seeded random convolutional network — a label-free proxy), the sliced Wasserstein
/// distance in pixel space, and the high-frequency energy ratio (the reconstructions' share of
/// energy above 1/4 cycle per pixel over the real images'; below 1 is blurrier). The networks are
/// MLPs (hidden 128, latent 8); --adversarial ls (least squares, default) or ns picks the loss. --out
/// writes perception_distortion.svg, grid_lambda_<λ>.png (held-out images over their
/// reconstructions), model_lambda_<λ>/ and vaegan.json.
///
/// Examples:
///   recon generate vaegan data/digits.csv --label-col label --lambdas 0,0.01,0.1,1 --out pd/
///   recon generate vaegan digits.csv --label-col label --lambdas 0,1 --epochs 30 --json
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct VaeGanArgs {
    /// Table of images, one per row.
    pub data: PathBuf,
    /// Image shape of each row (default: square).
    #[arg(long, value_name = "HxW")]
    pub shape: Option<String>,
    /// A column that is not a pixel (left out).
    #[arg(long, value_name = "COLUMN")]
    pub label_col: Option<String>,
    /// Adversarial weights, comma-separated (each ≥ 0).
    #[arg(long, value_delimiter = ',', default_value = "0,0.01,0.1,1", allow_hyphen_values = true)]
    pub lambdas: Vec<f64>,
    /// Epochs per model (a fixed budget: GAN losses do not settle).
    #[arg(long, default_value_t = 150)]
    pub epochs: usize,
    /// Weight of the KL term.
    #[arg(long, default_value_t = 0.1)]
    pub beta: f64,
    /// Adversarial loss: ls (least squares, LSGAN; the default: stable at large λ in our runs, where
    /// the cross-entropy loss sometimes doubled the distortion) or ns (cross-entropy with the
    /// non-saturating generator loss).
    #[arg(long, value_enum, default_value_t = AdvArg::Ls)]
    pub adversarial: AdvArg,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object (with `points`).
    #[arg(long)]
    pub json: bool,
    /// Write the plot, the image grids, the models and vaegan.json here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Adversarial loss.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AdvArg {
    /// Cross-entropy from logits, non-saturating generator loss.
    Ns,
    /// Least squares (LSGAN).
    Ls,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    match args.what {
        Generation::Vaegan(a) => run_vaegan(a),
        Generation::Cycle(a) => run_cycle(a),
    }
}

fn run_cycle(a: CycleArgs) -> anyhow::Result<()> {
    let out = a.out.as_deref().map(OutDir::create).transpose()?;
    let pb = bar(Some(a.epochs as u64), "training");
    let report = cycle(
        &CycleRequest {
            x: &a.x,
            y: &a.y,
            test: a.x_test.as_deref().zip(a.y_test.as_deref()),
            lambda_cyc: a.lambda_cyc,
            lambda_id: a.lambda_id,
            disc_lr_factor: a.disc_lr_factor,
            paired: a.paired,
            epochs: a.epochs,
            seed: a.seed,
        },
        &mut |_| pb.inc(1),
    )?;
    pb.finish_and_clear();
    if let Some(out) = out {
        report.write(out.path())?;
        out.commit()?;
    }
    if a.json {
        print_json(&report)
    } else {
        print(&report.text())
    }
}

fn run_vaegan(a: VaeGanArgs) -> anyhow::Result<()> {
    let shape = a.shape.as_deref().map(parse_shape).transpose()?;
    let out = a.out.as_deref().map(OutDir::create).transpose()?;
    let pb = bar(Some((a.epochs * a.lambdas.len()) as u64), "training");
    let report = vaegan(
        &VaeGanRequest {
            input: &a.data,
            shape,
            label_col: a.label_col.as_deref(),
            lambdas: a.lambdas.clone(),
            epochs: a.epochs,
            beta: a.beta,
            adversarial: match a.adversarial {
                AdvArg::Ns => Adversarial::NonSaturating,
                AdvArg::Ls => Adversarial::LeastSquares,
            },
            seed: a.seed,
        },
        &mut |msg| {
            pb.inc(1);
            pb.set_message(msg.split(':').next().unwrap_or("").to_string());
        },
    )?;
    pb.finish_and_clear();
    if let Some(out) = out {
        report.write(out.path())?;
        out.commit()?;
    }
    if a.json {
        print_json(&report)
    } else {
        print(&report.text())
    }
}
