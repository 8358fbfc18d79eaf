//! `recon tensor`: how many components does a tensor hold? CP fits over a range of ranks,
//! judged by three rulers.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use recon_core::data::{load_tensor, write_atomic, write_json, write_npy, write_npy_nd, OutDir};
use recon_core::report::{LinePlot, Marker, Series};
use recon_tensor::{Decomposition, Fitted, RankReport, RankSearch, SliceModel};

use crate::output::{bar, print, print_json};
use crate::UsageError;

/// Decomposition.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TensorMethod {
    /// CANDECOMP/PARAFAC by alternating least squares (masked for NaN entries, sparse for .tns).
    Cp,
    /// Non-negative CP by HALS, for counts and other non-negative data.
    Ncp,
    /// Tucker with multilinear rank (R, …, R): HOSVD then HOOI; the rank is the elbow
    /// (core consistency does not apply; split-half compares factor subspaces).
    Tucker,
}

/// Choose the rank of a tensor decomposition with evidence from three rulers.
///
/// Fits CP at every rank of --ranks (several starts each; start 0 from HOSVD for dense input)
/// and reports, per rank: the best relative error ||X − X̂||_F / ||X||_F on observed entries and
/// the spread over starts; core consistency (CORCONDIA, Bro & Kiers 2003: 100% for a perfect CP
/// structure, falling when the rank is too high); and split-half stability (factor match score
/// between fits on two random halves of the first mode). The recommended rank is the largest
/// with core consistency ≥ 80% and split-half FMS ≥ 0.8, else the elbow of the error curve
/// (Kneedle); the reason is written out.
///
/// Input: a dense .npy with at least 3 modes (NaN = missing, fitted by EM and left out of the
/// error) or a sparse FROSTT .tns file (1-based indices then the value; never densified).
///
/// Examples:
///   recon tensor COVID19_data.npy --ranks 1..6 --starts 3
///   recon tensor IL2_Response_Tensor.npy --ranks 1..5 --json
///   recon tensor clicks.tns --ranks 2..8 --seed 7 --out clicks-cp/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct TensorArgs {
    /// Input tensor (.npy dense or .tns sparse).
    pub input: PathBuf,
    /// Ranks to try: A..B (inclusive) or a comma list.
    #[arg(long, default_value = "1..10", value_name = "A..B")]
    pub ranks: String,
    /// Decomposition.
    #[arg(long, value_enum, default_value_t = TensorMethod::Cp)]
    pub method: TensorMethod,
    /// Starts per rank (the best counts; the spread is reported).
    #[arg(long, default_value_t = 3)]
    pub starts: usize,
    /// Seed of random starts and of the split-half partition.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Maximum ALS sweeps per fit.
    #[arg(long, default_value_t = 500)]
    pub max_iter: usize,
    /// Stop when the relative error changes by less than this.
    #[arg(long, default_value_t = 1e-8)]
    pub tol: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write factor matrices (factor_<mode>.npy, and weights.npy for CP or core.npy for Tucker)
    /// of the recommended rank, curve.svg
    /// and tensor.json into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Parses `A..B`, `A..=B` or `a,b,c`.
pub fn parse_ranks(s: &str) -> Result<Vec<usize>, UsageError> {
    let bad = || UsageError(format!("--ranks '{s}': expected A..B or a comma-separated list of positive integers"));
    let ranks: Vec<usize> = if let Some((a, b)) = s.split_once("..") {
        let b = b.trim_start_matches('=');
        let (a, b): (usize, usize) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
        (a..=b).collect()
    } else {
        s.split(',').map(|v| v.trim().parse().map_err(|_| bad())).collect::<Result<_, _>>()?
    };
    if ranks.is_empty() || ranks.contains(&0) || ranks.windows(2).any(|w| w[1] <= w[0]) {
        return Err(bad());
    }
    Ok(ranks)
}

fn table(r: &RankReport, input: &str) -> String {
    let mut s = format!("{input}: shape {:?}", r.shape);
    if let Some(n) = r.nnz {
        s += &format!(", {n} nonzeros");
    }
    if let Some(m) = r.missing {
        s += &format!(", {m} missing");
    }
    s += "\n rank  rel_error   spread    corcondia  split-half FMS\n";
    for i in 0..r.ranks.len() {
        let cc = format!("{:>9}", cc_text(r.corcondia[i]));
        let mark = if r.ranks[i] == r.recommended_rank { "  <- recommended" } else { "" };
        s += &format!(
            "{:>5}  {:>9.6}  {:>8.2e}  {cc}  {:>14.3}{mark}\n",
            r.ranks[i], r.relative_error[i], r.relative_error_spread[i], r.split_half_fms[i]
        );
    }
    s += &format!("elbow: rank {}\n{}\n", r.elbow, r.reason);
    s
}

/// Core consistency as text: `n/a`, or a percentage (scientific when it is huge).
pub fn cc_text(c: Option<f64>) -> String {
    match c {
        None => "n/a".to_string(),
        Some(c) if c.abs() >= 1e4 => format!("{c:.1e}%"),
        Some(c) => format!("{c:.1}%"),
    }
}

/// The error curve of a rank search with its elbow and recommended rank marked.
pub fn plot(r: &RankReport, title: &str) -> recon_core::Result<String> {
    let x: Vec<f64> = r.ranks.iter().map(|&k| k as f64).collect();
    LinePlot {
        title: title.to_string(),
        x_label: "rank".into(),
        y_label: "relative error ||X − X̂|| / ||X||".into(),
        series: vec![Series { name: "best of the starts".into(), x, y: r.relative_error.clone() }],
        markers: vec![
            Marker { x: r.elbow as f64, label: format!("elbow: {}", r.elbow) },
            Marker { x: r.recommended_rank as f64, label: format!("recommended: {}", r.recommended_rank) },
        ],
        log_y: false,
    }
    .to_svg(720, 420)
}

pub fn run(args: TensorArgs) -> anyhow::Result<()> {
    let ranks = parse_ranks(&args.ranks)?;
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let t = load_tensor(&args.input)?;
    let search = RankSearch {
        ranks,
        starts: args.starts,
        seed: args.seed,
        max_iter: args.max_iter,
        tol: args.tol,
        method: match args.method {
            TensorMethod::Cp => Decomposition::Cp,
            TensorMethod::Ncp => Decomposition::Ncp,
            TensorMethod::Tucker => Decomposition::Tucker,
        },
    };
    let pb = bar(Some(search.n_fits() as u64), "CP fits");
    let report = search.run(&t, &|| pb.inc(1))?;
    pb.finish_and_clear();
    if let Some(out) = out {
        let i = report.ranks.iter().position(|&r| r == report.recommended_rank).expect("searched rank");
        let model = &report.models[i];
        // The model folder every command writes (loads through the registry; `recon score`
        // scores mode-0 slices with it), plus the factors as .npy for other tools.
        SliceModel::save_fitted(model, out.path())?;
        for (m, f) in model.factors().iter().enumerate() {
            write_npy(&out.join(format!("factor_{m}.npy")), f.as_ref())?;
        }
        match model {
            Fitted::Cp(k) => {
                let w = faer::Mat::from_fn(1, k.rank(), |_, r| k.weights[r]);
                write_npy(&out.join("weights.npy"), w.as_ref())?;
            }
            Fitted::Tucker(t) => write_npy_nd(&out.join("core.npy"), &t.ranks(), &t.core)?,
        }
        let name = args.input.file_name().map_or("input".into(), |n| n.to_string_lossy().into_owned());
        write_atomic(&out.join("curve.svg"), plot(&report, &format!("Error vs rank — {name}"))?.as_bytes())?;
        write_json(&out.join("tensor.json"), &report)?;
        out.commit()?;
    }
    if args.json {
        print_json(&report)
    } else {
        print(&table(&report, &args.input.display().to_string()))
    }
}
