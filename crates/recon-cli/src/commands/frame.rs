//! `recon frame`: a frame's bounds and its reconstruction error under erasures.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use recon::data::{write_atomic, write_json, write_npy, OutDir};
use recon::families::signal::FrameKind;
use recon::frame::{frame_report, FrameOptions};

use crate::output::{print, print_json};

/// How the frame is built.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Real harmonic frame (cosines and sines of the N-point DFT): unit-norm and tight.
    Harmonic,
    /// Gaussian vectors scaled to unit norm (seeded).
    Random,
    /// The identity and N/d − 1 random orthonormal bases (N a multiple of d).
    Union,
    /// An oversampled DFT-modulated filter bank on periodic signals of length --dim:
    /// --channels M, --decimation D (redundancy M/D), sine-window prototype of --taps samples.
    Filterbank,
}

/// How robust is a redundant representation when coefficients are lost?
///
/// Builds a frame of --vectors N vectors in R^--dim (N ≥ d; redundancy N/d), reports its optimal
/// frame bounds [A, B] (the extreme eigenvalues of the frame operator S = F Fᵀ; tight when
/// A = B), and the reconstruction error when --erase e coefficients are lost: the operator norm
/// of the error operator Σ_{i∈E} f̃ᵢ fᵢᵀ when the receiver keeps the canonical dual of the full
/// frame (the worst relative error over all signals), worst case and mean over every erasure set
/// of that size (a seeded sample of --max-sets sets when there are more: the worst case is then a
/// lower bound, and the output says so), and how many sets leave vectors that no longer span
/// R^d (a receiver that knows the losses rebuilds every other case exactly with the rest's own
/// dual). For a unit-norm tight frame one erasure costs exactly d/N.
///
/// --sweep-redundancy M repeats the measurement for N = d + 1 … M and, with --out, plots the
/// worst case against N/d with the d/N line.
///
/// Examples:
///   recon frame --kind harmonic --dim 4 --vectors 9 --erase 1
///   recon frame --kind random --dim 4 --vectors 9 --erase 2 --seed 3 --json
///   recon frame --kind harmonic --dim 6 --vectors 12 --erase 2 --sweep-redundancy 30 --out frames/
///   recon frame --kind filterbank --dim 48 --channels 8 --decimation 4 --erase 1
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct FrameArgs {
    /// Construction.
    #[arg(long, value_enum, default_value_t = KindArg::Harmonic)]
    pub kind: KindArg,
    /// Dimension d of the signals.
    #[arg(long, value_name = "D")]
    pub dim: usize,
    /// Number N of frame vectors (coefficients sent); a filter bank has (d/D)·M.
    #[arg(long, value_name = "N", required_unless_present = "channels")]
    pub vectors: Option<usize>,
    /// Filter bank: channels M.
    #[arg(long, value_name = "M", requires = "decimation")]
    pub channels: Option<usize>,
    /// Filter bank: keep every D-th output of each channel (D ≤ M; D must divide --dim).
    #[arg(long, value_name = "D", requires = "channels")]
    pub decimation: Option<usize>,
    /// Filter bank: prototype window length (default M).
    #[arg(long, value_name = "T", requires = "channels")]
    pub taps: Option<usize>,
    /// Coefficients lost.
    #[arg(long, default_value_t = 1, value_name = "E")]
    pub erase: usize,
    /// Erasure sets checked at most: every set below, a seeded sample above.
    #[arg(long, default_value_t = 100_000, value_name = "K")]
    pub max_sets: usize,
    /// Also measure N = d + 1 … M vectors (the worst case against redundancy).
    #[arg(long, value_name = "M")]
    pub sweep_redundancy: Option<usize>,
    /// Seed of random frames, rotations and sampled erasure sets.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write frame.npy (d × N, one vector per column), frame.json and, with a sweep, sweep.svg.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: FrameArgs) -> anyhow::Result<()> {
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let opts = FrameOptions {
        kind: match args.kind {
            KindArg::Harmonic => FrameKind::Harmonic,
            KindArg::Random => FrameKind::Random,
            KindArg::Union => FrameKind::UnionOfBases,
            KindArg::Filterbank => FrameKind::FilterBank,
        },
        dim: args.dim,
        vectors: args.vectors.unwrap_or(0),
        erase: args.erase,
        max_sets: args.max_sets,
        seed: args.seed,
        sweep_to: args.sweep_redundancy,
        filter_bank: args.channels.zip(args.decimation).map(|(m, d)| (m, d, args.taps)),
    };
    if (opts.kind == FrameKind::FilterBank) != opts.filter_bank.is_some() {
        return Err(crate::UsageError(
            "--channels and --decimation go with --kind filterbank (and only with it)".into(),
        )
        .into());
    }
    let report = frame_report(&opts)?;
    if let Some(out) = out {
        if let Some(f) = &report.frame {
            write_npy(&out.join("frame.npy"), f.vectors())?;
        }
        if let Some(svg) = report.sweep_plot()? {
            write_atomic(&out.join("sweep.svg"), svg.as_bytes())?;
        }
        write_json(&out.join("frame.json"), &report)?;
        out.commit()?;
    }
    if args.json {
        print_json(&report)
    } else {
        print(&report.text())
    }
}
