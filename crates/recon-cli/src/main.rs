//! `recon`: reconstruction loss as one ruler for many jobs.
//!
//! A thin binary: parse arguments (clap), call the library, print results.
//! Exit codes: 0 success, 1 failure of the job, 2 bad input or usage.

mod commands;
mod input;

mod output;
mod tour;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Reconstruction loss as one ruler: compress, choose model size, detect, audit.
///
/// Results go to stdout (a table, or one JSON object with --json); progress and messages go to
/// stderr. Exit codes: 0 success, 1 the job failed, 2 bad input or usage.
#[derive(Parser)]
#[command(name = "recon", version, about, long_about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Curve(commands::curve::CurveArgs),
    Compress(commands::compress::CompressArgs),
    Tensor(commands::tensor::TensorArgs),
    Simulate(commands::simulate::SimulateArgs),
    Fit(Box<commands::fit::FitArgs>),
    Score(commands::score::ScoreArgs),
    Diagnose(commands::diagnose::DiagnoseArgs),
    Audit(commands::audit::AuditArgs),
    Frame(commands::frame::FrameArgs),
    Bottleneck(commands::bottleneck::BottleneckArgs),
    Generate(commands::generate::GenerateArgs),
    Stego(commands::stego::StegoArgs),
    Discover(commands::discover::DiscoverArgs),
    Sql(commands::sql::SqlArgs),
    Scheduler(commands::cluster::SchedulerArgs),
    Executor(commands::cluster::ExecutorArgs),
    Tour(tour::TourArgs),
}

/// A usage mistake the argument parser cannot see (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Exit code 2 for bad input (every crate shares `recon::Error`, whose `is_input_error` says
/// which), 1 for a failed job.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<recon::Error>() {
            return if e.is_input_error() { 2 } else { 1 };
        }
        if let Some(e) = cause.downcast_ref::<recon_datafusion::Error>() {
            return if e.is_input_error() { 2 } else { 1 };
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            return 2;
        }
    }
    1
}

fn main() -> ExitCode {
    // SIGINT / SIGTERM: remove the temporary files and staging folders of writes under way, so
    // an interrupted run leaves the previous outputs as they were and nothing half-written.
    let _ = ctrlc::set_handler(|| {
        recon::data::remove_pending();
        std::process::exit(130);
    });
    recon::fixed_parallelism();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Curve(a) => commands::curve::run(a),
        Command::Compress(a) => commands::compress::run(a),
        Command::Tensor(a) => commands::tensor::run(a),
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Fit(a) => commands::fit::run(*a),
        Command::Score(a) => commands::score::run(a),
        Command::Diagnose(a) => commands::diagnose::run(a),
        Command::Audit(a) => commands::audit::run(a),
        Command::Frame(a) => commands::frame::run(a),
        Command::Bottleneck(a) => commands::bottleneck::run(a),
        Command::Generate(a) => commands::generate::run(a),
        Command::Stego(a) => commands::stego::run(a),
        Command::Discover(a) => commands::discover::run(a),
        Command::Sql(a) => commands::sql::run(a),
        Command::Scheduler(a) => commands::cluster::scheduler(a),
        Command::Executor(a) => commands::cluster::executor(a),
        Command::Tour(a) => tour::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}
