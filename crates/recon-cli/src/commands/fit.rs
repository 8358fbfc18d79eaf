//! `recon fit`: train a monitor on normal data.

use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};
use recon_core::Fit;
use recon_linear::{Components, PcaMonitorParams};

use crate::input::TableArgs;
use crate::output::print_json;

/// Model family.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// PCA monitor: Hotelling T² and SPE (Q) with analytical control limits.
    Pca,
}

/// Train a monitor on normal data; `recon score` then raises alarms on new data.
///
/// A PCA monitor standardises each variable (unless --no-scale), keeps --components K or the
/// fewest components reaching --energy F, and sets two control limits at the target false-alarm
/// rate: Hotelling T² inside the model plane (F distribution) and the squared prediction error
/// SPE/Q off it (Jackson–Mudholkar). The model folder holds model.safetensors + model.json
/// (columns, scaler, limits); scoring data with other columns is refused.
///
/// Example:
///   recon fit d00_train.csv --model pca --energy 0.9 --out te-pca/
///   recon score te-pca/ d01_test.csv --json
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
#[command(group(ArgGroup::new("size").args(["components", "energy"])))]
pub struct FitArgs {
    /// Training data (.csv or .npy) holding normal operation only.
    pub input: PathBuf,
    /// Model family.
    #[arg(long, value_enum)]
    pub model: ModelKind,
    /// Keep exactly K components.
    #[arg(long, value_name = "K")]
    pub components: Option<usize>,
    /// Keep the fewest components capturing this fraction of the variance (default 0.9).
    #[arg(long, value_name = "F")]
    pub energy: Option<f64>,
    /// Keep each variable's units instead of standardising.
    #[arg(long)]
    pub no_scale: bool,
    /// Target false-alarm rate of each control limit (0.01: 99% limits).
    #[arg(long, default_value_t = 0.01, value_name = "RATE")]
    pub target_far: f64,
    /// Model folder to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub table: TableArgs,
}

pub fn run(args: FitArgs) -> anyhow::Result<()> {
    let loaded = args.table.load(&args.input)?;
    let data = &loaded.dataset;
    let components = match (args.components, args.energy) {
        (Some(k), _) => Components::Fixed(k),
        (_, Some(f)) => Components::Energy(f),
        _ => Components::Energy(0.9),
    };
    let monitor = PcaMonitorParams::new(components).scale(!args.no_scale).alpha(args.target_far).fit(data)?;
    monitor.save(&args.out, &data.columns)?;
    let pca = monitor.pca();
    let captured: f64 = pca.explained_variance_ratio().iter().sum();
    let l = monitor.limits();
    print_json(&serde_json::json!({
        "model": "pca",
        "out": args.out.display().to_string(),
        "n_rows": data.n_rows(),
        "n_cols": data.n_cols(),
        "components": pca.n_components(),
        "captured_variance": captured,
        "standardised": !args.no_scale,
        "target_far": l.alpha,
        "t2_limit": l.t2,
        "spe_limit": l.spe,
    }))
}
