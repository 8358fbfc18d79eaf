//! `recon simulate`: data with planted ground truth.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use recon_core::data::{write_npy, write_tns};
use recon_core::synth::clickstream::{simulate, ClickstreamParams};

use crate::output::print_json;

/// Simulate data whose true structure is known.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    #[command(subcommand)]
    pub what: Simulation,
}

#[derive(Subcommand, Debug)]
pub enum Simulation {
    Clickstream(ClickstreamArgs),
}

/// A sparse user × item × day count tensor from planted behaviour patterns.
///
/// Each pattern is a user affinity, an item affinity (Gamma(0.5) draws: a few users and items
/// carry most of it) and a daily profile with a weekly rhythm (weekday- or weekend-heavy) and a
/// slow trend. Counts are Poisson around the sum of the patterns, scaled so that the expected
/// number of events is density × users × items × days. Writes OUT (FROSTT .tns, 1-based) and the
/// true factors beside it: OUT-stem.users.npy, .items.npy, .days.npy (one column per pattern).
///
/// Example:
///   recon simulate clickstream --users 2000 --items 500 --days 56 --patterns 4 --density 0.01 --out clicks.tns
///   recon tensor clicks.tns --ranks 1..8 --method ncp
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct ClickstreamArgs {
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    #[arg(long, default_value_t = 300)]
    pub items: usize,
    #[arg(long, default_value_t = 56)]
    pub days: usize,
    /// Number of planted behaviour patterns (the true CP rank).
    #[arg(long, default_value_t = 3)]
    pub patterns: usize,
    /// Expected events per cell, in (0, 1].
    #[arg(long, default_value_t = 0.01)]
    pub density: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output .tns file.
    #[arg(long, value_name = "FILE.tns")]
    pub out: PathBuf,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    match args.what {
        Simulation::Clickstream(a) => {
            let p = ClickstreamParams {
                users: a.users,
                items: a.items,
                days: a.days,
                patterns: a.patterns,
                density: a.density,
                seed: a.seed,
            };
            let sim = simulate(&p)?;
            write_tns(&a.out, &sim.tensor)?;
            let stem = a.out.with_extension("");
            for (name, f) in ["users", "items", "days"].iter().zip(&sim.factors) {
                write_npy(&PathBuf::from(format!("{}.{name}.npy", stem.display())), f.as_ref())?;
            }
            print_json(&serde_json::json!({
                "out": a.out.display().to_string(),
                "shape": sim.tensor.shape,
                "nnz": sim.tensor.nnz(),
                "events": sim.events,
                "patterns": a.patterns,
                "seed": a.seed,
            }))
        }
    }
}
