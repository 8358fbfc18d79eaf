//! `recon simulate`: data with planted ground truth.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use recon_core::synth::clickstream::ClickstreamParams;
use recon_core::synth::dc_motor::MotorFault;

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
    Motor(MotorArgs),
    Counts(CountsArgs),
    Groups(GroupsArgs),
    Graph(GraphArgs),
    Domains(DomainsArgs),
}

/// A transformation between image domains.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TransformArg {
    /// 1 − x.
    Invert,
    /// Grey-level dilation over 3 × 3 (thicker strokes).
    Thicken,
    /// A quarter turn counter-clockwise (square images).
    Rotate,
    /// Block means over --block × --block (many-to-one: a cycle that rebuilds the detail must
    /// hide it in its translations).
    Pixelate,
}

/// Two unpaired image domains from real images, and an aligned test pair (for
/// `recon generate cycle`).
///
/// DATA is a table of images (one per row; --shape HxW, square by default; --label-col for a
/// column that is not a pixel), min–max scaled to [0, 1] and shuffled by --seed. A fifth becomes
/// the aligned test pair (x_test.csv and its transform y_test.csv); the rest is split in half:
/// the first half is domain X (x.csv), the second half, transformed, domain Y (y.csv) — no image
/// is in both training domains.
///
/// Example:
///   recon simulate domains data/digits.csv --label-col label --transform thicken --out dom/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct DomainsArgs {
    /// Table of images.
    pub data: PathBuf,
    /// The transformation that makes domain Y.
    #[arg(long, value_enum)]
    pub transform: TransformArg,
    /// Block side for --transform pixelate.
    #[arg(long, default_value_t = 4)]
    pub block: usize,
    /// Image shape of each row (default: square).
    #[arg(long, value_name = "HxW")]
    pub shape: Option<String>,
    /// A column that is not a pixel (left out).
    #[arg(long, value_name = "COLUMN")]
    pub label_col: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for x.csv, y.csv, y_paired.csv, x_test.csv, y_test.csv.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// A graph shape for `simulate graph`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphKindArg {
    /// √n × √n four-neighbour grid (n rounded down to a square).
    Grid,
    /// A cycle.
    Ring,
    /// Random points in the unit square joined within a radius, Gaussian weights.
    Geometric,
    /// Stochastic block model: ~8 neighbours inside a community, ~1 outside.
    Community,
}

/// A graph with a smooth and a rough signal on its nodes (the planted truth for
/// `recon bottleneck` on graphs).
///
/// Writes the edge list OUT (source,target,weight) and OUT-stem.nodes.csv (node,smooth,rough).
/// `smooth` lives in the lowest graph frequencies (Laplacian eigenvectors 1..max(2, n/20)),
/// `rough` in the top half of the spectrum; both have unit root-mean-square. Random kinds that
/// come out disconnected get one edge per extra component (reported as `joined`). Up to 4000
/// nodes (the signals come from a dense eigendecomposition).
///
/// Examples:
///   recon simulate graph --kind grid --nodes 256 --out grid.csv
///   recon bottleneck grid.csv --signal grid.nodes.csv --signal-col rough --op coarsen
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct GraphArgs {
    /// Shape of the graph.
    #[arg(long, value_enum, default_value_t = GraphKindArg::Grid)]
    pub kind: GraphKindArg,
    /// Nodes (4 to 4000).
    #[arg(long, default_value_t = 256)]
    pub nodes: usize,
    /// Communities (for --kind community).
    #[arg(long, default_value_t = 4)]
    pub communities: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output edge list (.csv); the node signals go beside it.
    #[arg(long, value_name = "EDGES.csv")]
    pub out: PathBuf,
}

/// A majority and a minority drawn from different low-rank structures (the planted truth for
/// `recon audit`).
///
/// Each row is x = W_g f + noise, f ~ N(0, I_rank), noise ~ N(0, --noise² I); the two groups'
/// loadings W_g are independent draws of the same scale, so each group alone is rebuilt by its
/// own best rank-r subspace to the same error, (features − rank)·noise² per row. A model fitted
/// on the pooled rows serves the minority worse only because it is under-represented. --null
/// gives the minority the majority's structure (no gap to find); --minority-noise 2 doubles the
/// minority's noise (a group intrinsically harder to rebuild). OUT gets x0…, then `group`
/// (majority / minority); OUT-stem.truth.json the sizes and the own-subspace error.
///
/// Examples:
///   recon simulate groups --rows 2000 --minority 0.1 --seed 1 --out groups.csv
///   recon simulate groups --rows 2000 --minority 0.1 --null --seed 1 --out null.csv
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct GroupsArgs {
    /// Rows in all.
    #[arg(long, default_value_t = 2000)]
    pub rows: usize,
    /// Features.
    #[arg(long, default_value_t = 20)]
    pub features: usize,
    /// Rank of each group's structure.
    #[arg(long, default_value_t = 3)]
    pub rank: usize,
    /// Share of rows in the minority, in (0, 0.5].
    #[arg(long, default_value_t = 0.1, value_name = "F")]
    pub minority: f64,
    /// Noise standard deviation.
    #[arg(long, default_value_t = 0.3)]
    pub noise: f64,
    /// Both groups share one structure (the null: no group is served worse).
    #[arg(long)]
    pub null: bool,
    /// The minority's noise as a multiple of --noise (above 1: a group harder to rebuild at any
    /// size).
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    pub minority_noise: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output CSV file.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
}

/// RNA-seq-like counts (samples × genes) from a negative-binomial model, with planted outliers.
///
/// Mean of gene j in sample i: μ = s_i · b_j · exp(Σ_k u_ik v_kj) — library size factor, baseline
/// expression and --programs co-expression programs; counts ~ NB(μ, θ_j) (variance μ + μ²/θ).
/// Baselines, dispersions and size factors are drawn (log-normal, with the usual mean–dispersion
/// trend) or, with --like FILE, estimated from a real count table (samples × genes; text columns
/// such as sample ids are skipped, and --like-skip names numeric ones that are not genes; all-zero
/// genes are dropped).
///
/// Planted truth: single-gene outliers (probability --outlier-rate per entry) moved ±z standard
/// deviations of the gene's log2 expression (OUTRIDER's benchmark), and a fraction --shifted of
/// samples with a disease program on (5% of genes × or ÷ --shift-fold). OUT gets the genes,
/// then `sample_id` and `condition` (normal / shifted); OUT-stem.outliers.csv lists every
/// planted outlier (sample_id, gene, direction, before, after).
///
/// Examples:
///   recon simulate counts --samples 200 --genes 500 --outlier-rate 0.001 --outlier-z 3 --seed 1 --out counts.csv
///   recon simulate counts --like ../shared/data/rnaseq/outrider_kremer_small_counts.csv --samples 119 --out kremer-like.csv
///   recon simulate counts --like pbmc68k_reduced_counts.csv --like-skip louvain --samples 700 --out pbmc-like.csv
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct CountsArgs {
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Genes (without --like).
    #[arg(long, default_value_t = 500)]
    pub genes: usize,
    /// Co-expression programs.
    #[arg(long, default_value_t = 3)]
    pub programs: usize,
    /// Probability that an entry is a single-gene outlier.
    #[arg(long, default_value_t = 1e-3, value_name = "P")]
    pub outlier_rate: f64,
    /// Outlier size, in standard deviations of the gene's log2 expression.
    #[arg(long, default_value_t = 3.0, value_name = "Z")]
    pub outlier_z: f64,
    /// Fraction of samples with the disease program switched on.
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub shifted: f64,
    /// Fold change of the disease program's genes.
    #[arg(long, default_value_t = 4.0)]
    pub shift_fold: f64,
    /// Estimate baselines, dispersions and size factors from this count table.
    #[arg(long, value_name = "FILE.csv")]
    pub like: Option<PathBuf>,
    /// Numeric columns of the --like table that are not genes (e.g. a cluster id).
    #[arg(long, value_name = "COL1,COL2", value_delimiter = ',')]
    pub like_skip: Vec<String>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output CSV file.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
}

fn simulate_counts(a: CountsArgs) -> anyhow::Result<()> {
    use recon_core::synth::counts::CountParams;
    let p = CountParams {
        samples: a.samples,
        genes: a.genes,
        programs: a.programs,
        outlier_rate: a.outlier_rate,
        outlier_z: a.outlier_z,
        shifted: a.shifted,
        shift_fold: a.shift_fold,
        seed: a.seed,
    };
    let (report, dropped) =
        recon::simulate::counts(&p, a.like.as_deref().map(|path| (path, a.like_skip.as_slice())), &a.out)?;
    if dropped > 0 {
        eprintln!("{dropped} all-zero gene(s) dropped");
    }
    print_json(&report)
}

/// Parses a fault type by its name.
fn fault_type() -> impl clap::builder::TypedValueParser<Value = MotorFault> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(MotorFault::ALL.map(MotorFault::name))
        .map(|s: String| MotorFault::parse(&s).expect("one of the possible values"))
}

/// A DC motor (armature L di/dt = V − R i − K ω, mechanics J dω/dt = K i − b ω − T_load, RK4)
/// driven by seeded voltage steps, with measurement noise and one injected fault.
///
/// Writes CSV `time,voltage,speed,current,fault` (fault = "normal" before onset, the fault type
/// after). At constant voltage the steady state is ω = (K V − R T_load)/(R b + K²),
/// i = (b V + K T_load)/(R b + K²).
///
/// Example:
///   recon simulate motor --seed 1 --out normal.csv
///   recon simulate motor --fault load --fault-size 0.005 --fault-start 30 --seed 2 --out load.csv
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct MotorArgs {
    /// Seconds to simulate.
    #[arg(long, default_value_t = 60.0)]
    pub duration: f64,
    /// Output sample period (s).
    #[arg(long, default_value_t = 0.01)]
    pub sample: f64,
    /// RK4 step (s).
    #[arg(long, default_value_t = 0.001)]
    pub dt: f64,
    /// The fault injected at --fault-start: load (a load-torque step of SIZE N·m), friction
    /// (b → b·(1 + SIZE)), speed-drift (a speed-sensor bias growing at SIZE rad/s per second),
    /// speed-stuck (the speed sensor frozen at onset), current-bias (a current-sensor bias of
    /// SIZE A), current-gain (the current reading × (1 + SIZE)).
    #[arg(long, default_value = "none", value_parser = fault_type())]
    pub fault: MotorFault,
    /// Fault onset (s).
    #[arg(long, default_value_t = 30.0)]
    pub fault_start: f64,
    /// Fault size (units depend on the type; see above).
    #[arg(long, default_value_t = 0.0)]
    pub fault_size: f64,
    /// Multiplies the default measurement noise (speed 0.002 rad/s, current 0.02 A).
    #[arg(long, default_value_t = 1.0)]
    pub noise: f64,
    /// Armature resistance R (Ω).
    #[arg(long, default_value_t = 1.0)]
    pub r: f64,
    /// Armature inductance L (H).
    #[arg(long, default_value_t = 0.5)]
    pub l: f64,
    /// Motor constant K (V·s/rad = N·m/A).
    #[arg(long, default_value_t = 0.01)]
    pub k: f64,
    /// Rotor inertia J (kg·m²).
    #[arg(long, default_value_t = 0.01)]
    pub j: f64,
    /// Viscous friction b (N·m·s).
    #[arg(long, default_value_t = 0.1)]
    pub b: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Start from rest (a start-up transient) instead of already running at the first voltage.
    #[arg(long)]
    pub from_rest: bool,
    /// Output CSV file.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
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
        Simulation::Counts(a) => simulate_counts(a),
        Simulation::Groups(a) => {
            let p = recon_core::synth::groups::GroupParams {
                rows: a.rows,
                features: a.features,
                rank: a.rank,
                minority: a.minority,
                noise: a.noise,
                null: a.null,
                minority_noise: a.minority_noise,
                seed: a.seed,
            };
            print_json(&recon::simulate::groups(&p, &a.out)?)
        }
        Simulation::Domains(a) => {
            use recon::generate::Transform;
            let t = match a.transform {
                TransformArg::Invert => Transform::Invert,
                TransformArg::Thicken => Transform::Thicken,
                TransformArg::Rotate => Transform::Rotate,
                TransformArg::Pixelate => Transform::Pixelate { block: a.block },
            };
            let shape = a.shape.as_deref().map(recon::bottleneck::parse_shape).transpose()?;
            print_json(&recon::generate::domains(&a.data, shape, a.label_col.as_deref(), t, a.seed, &a.out)?)
        }
        Simulation::Graph(a) => {
            use recon_core::synth::graphs::{GraphKind, GraphParams};
            let kind = match a.kind {
                GraphKindArg::Grid => GraphKind::Grid,
                GraphKindArg::Ring => GraphKind::Ring,
                GraphKindArg::Geometric => GraphKind::Geometric,
                GraphKindArg::Community => GraphKind::Community,
            };
            let p = GraphParams { kind, nodes: a.nodes, communities: a.communities, seed: a.seed };
            print_json(&recon::simulate::graph(&p, &a.out)?)
        }
        Simulation::Motor(a) => {
            use recon_core::synth::dc_motor::MotorParams;
            let fault = a.fault;
            let d = MotorParams::default();
            let p = MotorParams {
                r: a.r,
                l: a.l,
                k: a.k,
                j: a.j,
                b: a.b,
                duration: a.duration,
                dt: a.dt,
                sample: a.sample,
                noise: (d.noise.0 * a.noise, d.noise.1 * a.noise),
                fault,
                fault_start: a.fault_start,
                fault_size: a.fault_size,
                seed: a.seed,
                from_rest: a.from_rest,
                ..d
            };
            print_json(&recon::simulate::motor(&p, &a.out)?)
        }
        Simulation::Clickstream(a) => {
            let p = ClickstreamParams {
                users: a.users,
                items: a.items,
                days: a.days,
                patterns: a.patterns,
                density: a.density,
                seed: a.seed,
            };
            print_json(&recon::simulate::clickstream(&p, &a.out)?)
        }
    }
}
