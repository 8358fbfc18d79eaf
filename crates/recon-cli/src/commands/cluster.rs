//! `recon scheduler` and `recon executor`: a Ballista cluster with Recon's functions.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use recon_ballista::{ExecutorOptions, SchedulerUrl};

use crate::UsageError;

/// Start a Ballista scheduler that knows Recon's SQL functions.
///
/// Clients send it plans with `recon sql|fit|curve --ballista df://HOST:PORT`; it splits them
/// into stages and hands the tasks to the executors registered with it (`recon executor`).
/// It prints the address it listens on and serves until stopped (Ctrl-C).
///
/// A cluster on one machine, in four commands:
///   recon scheduler --bind 127.0.0.1:50050 &
///   recon executor --scheduler df://127.0.0.1:50050 --bind 127.0.0.1:50051 &
///   recon executor --scheduler df://127.0.0.1:50050 --bind 127.0.0.1:50061 &
///   recon sql "SELECT count(*) FROM t" --table t=runs/ --ballista df://127.0.0.1:50050
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct SchedulerArgs {
    /// Address to listen on (port 0: any free port; the one chosen is printed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
    pub bind: SocketAddr,
}

/// Start a Ballista executor that runs Recon's SQL functions, registered with a scheduler.
///
/// The executor serves Arrow Flight on --bind (results and shuffles are fetched from it) and
/// gRPC on --grpc-port (default: the next port). Two executors on one machine need different
/// ports. Table paths in queries are opened here: they must name the same files as on the
/// client. It serves until stopped (Ctrl-C) and exits with an error when the scheduler cannot
/// be reached within --connect-timeout.
///
/// Example:
///   recon executor --scheduler df://127.0.0.1:50050 --bind 127.0.0.1:50051 --tasks 4
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct ExecutorArgs {
    /// The scheduler to register with.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub scheduler: SchedulerUrl,
    /// Address of the executor's Arrow Flight service, advertised to the scheduler and the
    /// other executors: an address they can reach (not 0.0.0.0).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50051")]
    pub bind: SocketAddr,
    /// Port of the executor's gRPC service (default: the --bind port + 1).
    #[arg(long, value_name = "PORT")]
    pub grpc_port: Option<u16>,
    /// Tasks run at once (default: the cores of this machine).
    #[arg(long, value_name = "N")]
    pub tasks: Option<usize>,
    /// Folder for shuffle files (default: a new folder under the system's temporary folder).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Seconds to keep trying to reach the scheduler at start.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub connect_timeout: u64,
}

pub fn scheduler(args: SchedulerArgs) -> anyhow::Result<()> {
    recon_ballista::run_scheduler(args.bind, |addr| {
        println!("scheduler listening on df://{addr}");
        eprintln!("start executors with: recon executor --scheduler df://{addr} --bind HOST:PORT");
    })?;
    Ok(())
}

pub fn executor(args: ExecutorArgs) -> anyhow::Result<()> {
    if args.tasks == Some(0) {
        return Err(UsageError("--tasks must be at least 1".into()).into());
    }
    let mut opts = ExecutorOptions::new(args.scheduler, args.bind);
    opts.grpc_port = args.grpc_port;
    opts.concurrent_tasks = args.tasks;
    opts.work_dir = args.work_dir;
    opts.connect_timeout = Duration::from_secs(args.connect_timeout.max(1));
    eprintln!("executor on {} registering with {}", args.bind, opts.scheduler);
    recon_ballista::run_executor(&opts)?;
    Ok(())
}
