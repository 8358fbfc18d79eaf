//! Simulation pipelines: draw from a simulator with planted truth, write the data and the truth
//! beside it, and report what was written (what `recon simulate` prints).
//!
//! # Example
//!
//! ```
//! use recon::synth::dc_motor::MotorParams;
//! # fn main() -> recon::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let p = MotorParams { duration: 2.0, ..Default::default() };
//! let r = recon::simulate::motor(&p, &dir.path().join("m.csv"))?;
//! assert_eq!(r.rows, 201);
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use recon_core::data::{load_table, numeric_columns, write_csv_records, write_npy, write_tns, LoadOptions};
use recon_core::synth::clickstream::{self, ClickstreamParams};
use recon_core::synth::counts::{self, CountModel, CountParams};
use recon_core::synth::dc_motor::{self, MotorParams};
use recon_core::Result;
use serde::Serialize;

/// What simulating a motor run wrote.
#[derive(Debug, Clone, Serialize)]
pub struct MotorReport {
    pub out: String,
    pub rows: usize,
    pub fault: &'static str,
    pub fault_start: f64,
    pub seed: u64,
}

/// Simulates a DC-motor run and writes it as CSV `time,voltage,speed,current,fault`.
pub fn motor(p: &MotorParams, out: &Path) -> Result<MotorReport> {
    let run = dc_motor::simulate(p)?;
    dc_motor::write_csv(out, &run)?;
    Ok(MotorReport {
        out: out.display().to_string(),
        rows: run.len(),
        fault: p.fault.label(),
        fault_start: p.fault_start,
        seed: p.seed,
    })
}

/// What simulating a clickstream wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ClickstreamReport {
    pub out: String,
    pub shape: Vec<usize>,
    pub nnz: usize,
    pub events: u64,
    pub patterns: usize,
    pub seed: u64,
}

/// Simulates a user × item × day clickstream, writes it as FROSTT `.tns` and the planted factors
/// beside it (`STEM.users.npy`, `STEM.items.npy`, `STEM.days.npy`).
pub fn clickstream(p: &ClickstreamParams, out: &Path) -> Result<ClickstreamReport> {
    let sim = clickstream::simulate(p)?;
    write_tns(out, &sim.tensor)?;
    let stem = out.with_extension("");
    for (name, f) in ["users", "items", "days"].iter().zip(&sim.factors) {
        write_npy(&PathBuf::from(format!("{}.{name}.npy", stem.display())), f.as_ref())?;
    }
    Ok(ClickstreamReport {
        out: out.display().to_string(),
        shape: sim.tensor.shape.clone(),
        nnz: sim.tensor.nnz(),
        events: sim.events,
        patterns: p.patterns,
        seed: p.seed,
    })
}

/// What simulating counts wrote.
#[derive(Debug, Clone, Serialize)]
pub struct CountsReport {
    pub out: String,
    pub truth: String,
    pub samples: usize,
    pub genes: usize,
    pub outliers: usize,
    pub shifted_samples: usize,
    pub like: Option<String>,
    pub seed: u64,
}

/// Simulates NB counts (from the drawn model, or with `like = (table, columns to skip)` from one
/// estimated on a real table), writes the table (`sample_id`, `condition` columns last) and the
/// planted outliers beside it (`STEM.outliers.csv`). Returns the report and how many all-zero
/// genes of the real table were dropped.
pub fn counts(p: &CountParams, like: Option<(&Path, &[String])>, out: &Path) -> Result<(CountsReport, usize)> {
    let mut dropped = 0;
    let model = match like {
        Some((path, skip)) => {
            let columns = numeric_columns(path, skip)?;
            let opts = LoadOptions { columns: Some(columns), ..Default::default() };
            let table = load_table(path, &opts)?.dataset;
            recon_neural::likelihood::check_counts(table.x.as_ref(), &table.columns)?;
            let (m, zero) = CountModel::like(&table.x, &table.columns)?;
            dropped = zero.len();
            Some(m)
        }
        None => None,
    };
    let sim = counts::simulate(p, model.as_ref())?;
    let ids: Vec<String> = (0..p.samples).map(|i| format!("sample{:04}", i + 1)).collect();
    let mut header: Vec<&str> = sim.genes.iter().map(String::as_str).collect();
    header.extend(["sample_id", "condition"]);
    let rows = ids.iter().enumerate().map(|(i, id)| {
        let mut rec: Vec<String> = (0..sim.x.ncols()).map(|j| format!("{}", sim.x[(i, j)])).collect();
        rec.push(id.clone());
        rec.push(if sim.shifted[i] { "shifted".into() } else { "normal".into() });
        rec
    });
    write_csv_records(out, &header, rows)?;
    let truth = PathBuf::from(format!("{}.outliers.csv", out.with_extension("").display()));
    let rows = sim.outliers.iter().map(|o| {
        [
            ids[o.sample].clone(),
            sim.genes[o.gene].clone(),
            o.direction.to_string(),
            o.before.to_string(),
            o.after.to_string(),
        ]
    });
    write_csv_records(&truth, &["sample_id", "gene", "direction", "before", "after"], rows)?;
    let report = CountsReport {
        out: out.display().to_string(),
        truth: truth.display().to_string(),
        samples: p.samples,
        genes: sim.genes.len(),
        outliers: sim.outliers.len(),
        shifted_samples: sim.shifted.iter().filter(|&&s| s).count(),
        like: like.map(|(path, _)| path.display().to_string()),
        seed: p.seed,
    };
    Ok((report, dropped))
}

/// What simulating two groups wrote.
#[derive(Debug, Clone, Serialize)]
pub struct GroupsReport {
    pub out: String,
    pub truth: String,
    pub rows: usize,
    pub minority_rows: usize,
    pub features: usize,
    pub rank: usize,
    pub null: bool,
    /// Expected per-row error of each group's own best rank-r subspace, `(d − r) σ²`: majority,
    /// minority.
    pub own_rank_error: [f64; 2],
    pub minority_noise: f64,
    pub seed: u64,
}

/// Simulates a majority and a minority ([`recon_core::synth::groups`]), writes the table
/// (`x0…`, then `group` = majority / minority) and the truth beside it (`STEM.truth.json`).
pub fn groups(p: &recon_core::synth::groups::GroupParams, out: &Path) -> Result<GroupsReport> {
    let s = recon_core::synth::groups::simulate(p)?;
    let mut header: Vec<String> = (0..p.features).map(|j| format!("x{j}")).collect();
    header.push("group".into());
    let header_ref: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = (0..p.rows).map(|i| {
        let mut rec: Vec<String> = (0..p.features).map(|j| format!("{}", s.x[(i, j)])).collect();
        rec.push(if s.minority[i] { "minority".into() } else { "majority".into() });
        rec
    });
    write_csv_records(out, &header_ref, rows)?;
    let truth = PathBuf::from(format!("{}.truth.json", out.with_extension("").display()));
    let report = GroupsReport {
        out: out.display().to_string(),
        truth: truth.display().to_string(),
        rows: p.rows,
        minority_rows: s.minority.iter().filter(|&&m| m).count(),
        features: p.features,
        rank: p.rank,
        null: p.null,
        own_rank_error: s.own_rank_error,
        minority_noise: p.minority_noise,
        seed: p.seed,
    };
    recon_core::data::write_json(&truth, &report)?;
    Ok(report)
}

/// What simulating a graph wrote.
#[derive(Debug, Clone, Serialize)]
pub struct GraphReport {
    /// Edge list (`source,target,weight`).
    pub out: String,
    /// Node signals (`node,smooth,rough`).
    pub signal: String,
    pub kind: String,
    pub nodes: usize,
    pub edges: usize,
    /// Edges added to join components (random kinds).
    pub joined: usize,
    /// `xᵀLx / xᵀx` of the smooth and the rough signal.
    pub smoothness: [f64; 2],
    /// Largest Laplacian eigenvalue.
    pub lambda_max: f64,
    pub seed: u64,
}

/// Simulates a graph with a smooth and a rough node signal ([`recon_core::synth::graphs`]),
/// writes the edge list to `out` and the signals to `STEM.nodes.csv` beside it.
pub fn graph(p: &recon_core::synth::graphs::GraphParams, out: &Path) -> Result<GraphReport> {
    let s = recon_core::synth::graphs::simulate(p)?;
    let signal = PathBuf::from(format!("{}.nodes.csv", out.with_extension("").display()));
    recon_core::data::write_graph(out, &s.graph)?;
    recon_core::data::write_node_signals(&signal, &s.graph, &["smooth", "rough"], &[&s.smooth, &s.rough])?;
    Ok(GraphReport {
        out: out.display().to_string(),
        signal: signal.display().to_string(),
        kind: format!("{:?}", p.kind).to_lowercase(),
        nodes: s.graph.n_nodes(),
        edges: s.graph.edges.len(),
        joined: s.joined,
        smoothness: s.smoothness,
        lambda_max: s.lambda_max,
        seed: p.seed,
    })
}
