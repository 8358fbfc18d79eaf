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
    Motor(MotorArgs),
}

/// Fault types for `recon simulate motor`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FaultArg {
    None,
    /// Load-torque step of SIZE N·m.
    Load,
    /// Friction b → b·(1 + SIZE).
    Friction,
    /// Speed-sensor bias growing at SIZE rad/s per second.
    SpeedDrift,
    /// Speed sensor frozen at onset.
    SpeedStuck,
    /// Current-sensor bias of SIZE A.
    CurrentBias,
    /// Current-sensor gain × (1 + SIZE).
    CurrentGain,
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
    #[arg(long, value_enum, default_value_t = FaultArg::None)]
    pub fault: FaultArg,
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
        Simulation::Motor(a) => {
            use recon_core::synth::dc_motor::{self, MotorFault, MotorParams};
            let fault = match a.fault {
                FaultArg::None => MotorFault::None,
                FaultArg::Load => MotorFault::Load,
                FaultArg::Friction => MotorFault::Friction,
                FaultArg::SpeedDrift => MotorFault::SpeedDrift,
                FaultArg::SpeedStuck => MotorFault::SpeedStuck,
                FaultArg::CurrentBias => MotorFault::CurrentBias,
                FaultArg::CurrentGain => MotorFault::CurrentGain,
            };
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
            let run = dc_motor::simulate(&p)?;
            dc_motor::write_csv(&a.out, &run)?;
            print_json(&serde_json::json!({
                "out": a.out.display().to_string(),
                "rows": run.len(),
                "fault": fault.label(),
                "fault_start": a.fault_start,
                "seed": a.seed,
            }))
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
