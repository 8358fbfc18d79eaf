//! `recon audit`: per-group reconstruction error of any model folder.

use std::path::PathBuf;

use clap::Args;
use recon::audit::audit_file_with;
use recon::data::{write_atomic, write_json, OutDir};
use recon::load_model;
use recon::ruler::AuditParams;

use crate::output::{print, print_json};

/// Does a low average error hide a group the model serves badly? Per-group reconstruction error
/// of any model folder, with intervals and tests.
///
/// Scores DATA with the model (the error `recon score` reports: squared error in the model's own
/// units, or a VAE's negative log-likelihood), groups the rows by --group-col (one column, or
/// the intersection of several: "Female & Black"), and reports per group: n, mean, median and
/// 90th-percentile error; ratio and difference to the best-served group (lowest mean); a
/// percentile bootstrap interval of the mean (--bootstrap resamples of the group's rows); and a
/// one-sided permutation p-value for "this group's mean error is higher than the other rows'"
/// (--permutations random relabellings). A group is flagged when its Holm-adjusted p-value is
/// below --alpha, which keeps the chance of flagging any group, when all groups share one error
/// distribution, at most --alpha. A group with one row is reported but not tested.
///
/// Equal sizes (--equal-size R refits, default 3): the model's family and size are refitted on
/// subsamples with every group at the smallest group's size, and the errors measured again on
/// every row. If the gap between groups shrinks by at least half, under-representation explains
/// it; if it stays, the group is harder to reconstruct. (Models with lags or moving averages,
/// and CP / Tucker models, are not refitted.)
///
/// The model's own columns are taken from DATA by name; other columns are ignored. Group columns
/// may be strings or integers; an empty group value is an error. With --out DIR: audit.json,
/// group_means.svg (means with interval bars) and, for PCA models, error_by_rank.svg (each
/// group's error at every rank up to the model's).
///
/// Examples:
///   recon fit adult.csv --model pca --columns age,education-num,hours-per-week --out adult-pca/
///   recon audit adult-pca/ adult.csv --group-col sex
///   recon audit adult-pca/ adult.csv --group-col sex,race --json --out adult-audit/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct AuditArgs {
    /// Model folder written by `recon fit`, `recon compress` or `recon tensor`.
    pub model: PathBuf,
    /// Table (.csv) with the model's columns and the group columns.
    pub data: PathBuf,
    /// Group column(s); several, comma-separated, audit their intersection.
    #[arg(long, value_name = "G[,G2]", value_delimiter = ',', required = true)]
    pub group_col: Vec<String>,
    /// Bootstrap resamples of each group's mean (0: no intervals).
    #[arg(long, default_value_t = 1000, value_name = "B")]
    pub bootstrap: usize,
    /// Random relabellings of each group's permutation test (0: no tests).
    #[arg(long, default_value_t = 10_000, value_name = "P")]
    pub permutations: usize,
    /// Familywise level of the flags (Holm-corrected across groups).
    #[arg(long, default_value_t = 0.01, value_name = "A")]
    pub alpha: f64,
    /// Coverage of the bootstrap intervals.
    #[arg(long, default_value_t = 0.95, value_name = "C")]
    pub confidence: f64,
    /// Refits of the equal-size comparison: the model's family and size refitted on subsamples
    /// with every group at the smallest group's size (0: skip). Says whether the gap is
    /// under-representation (it shrinks at equal sizes) or a group harder to reconstruct.
    #[arg(long, default_value_t = 3, value_name = "R")]
    pub equal_size: usize,
    /// Seed of the resampling and the relabelling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write audit.json and the plots into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let model = load_model(&args.model)?;
    let params = AuditParams::new()
        .bootstrap(args.bootstrap)
        .permutations(args.permutations)
        .alpha(args.alpha)
        .confidence(args.confidence)
        .seed(args.seed);
    let report = audit_file_with(&model, &args.data, &args.group_col, &params, args.equal_size)?;
    if let Some(out) = out {
        let name = args.data.file_name().map_or("data".into(), |n| n.to_string_lossy().into_owned());
        for (file, svg) in report.plots(&name)? {
            write_atomic(&out.join(file), svg.as_bytes())?;
        }
        write_json(&out.join("audit.json"), &report)?;
        out.commit()?;
    }
    if args.json {
        print_json(&report)
    } else {
        print(&report.table())
    }
}
