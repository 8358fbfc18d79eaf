//! Recon on Apache Ballista: a scheduler and executors that know Recon's SQL functions, and
//! [`Engine`]s whose plans run on them.
//!
//! A Ballista plan carries function *names*, not code: the scheduler needs Recon's functions to
//! decode and plan a query that calls them, and every executor needs them to decode its tasks.
//! [`run_scheduler`] and [`run_executor`] start the two roles with the functions registered
//! (the scheduler through its session builder, the executor through
//! `ExecutorProcessConfig::override_function_registry`); [`connect`] gives an [`Engine`] whose
//! queries, PCA statistics and curves run on such a cluster, and [`standalone`] one on an
//! in-process scheduler and executor.
//!
//! Tables are read where the executors run: a path must name the same file on every machine
//! (the client turns it into an absolute path; on one machine, or on a shared file system,
//! nothing more is needed).
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), recon_datafusion::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let csv = dir.path().join("t.csv");
//! std::fs::write(&csv, "a,b\n1,2\n2,4.5\n3,5.5\n4,8\n").unwrap();
//! let engine = recon_ballista::standalone(2)?;
//! engine.register("t", &csv)?;
//! let table = engine.sql("SELECT recon_pca_stats(a, b) AS s FROM t")?;
//! let stats = recon_datafusion::PcaStats::from_json(&table.text(0, 0)?)?;
//! assert_eq!((stats.n, stats.mean.clone()), (4, vec![2.5, 5.0]));
//! # Ok(())
//! # }
//! ```

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ballista::extension::SessionContextExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
pub use recon_datafusion::{Engine, Error, Result};

/// How long [`connect`] waits for a scheduler to accept a connection before it gives up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The port a Ballista scheduler listens on when a URL names none.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// A Ballista scheduler's address, from `df://HOST:PORT` or `HOST:PORT` (port 50050 if none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerUrl {
    /// Host name or IP address.
    pub host: String,
    /// gRPC port.
    pub port: u16,
}

impl std::str::FromStr for SchedulerUrl {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let rest = s.strip_prefix("df://").unwrap_or(s);
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains("://") || rest.contains('/') {
            return Err(format!("{s:?} is not a scheduler address: write df://HOST:PORT"));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => {
                let port = p.parse().map_err(|_| format!("{s:?}: {p:?} is not a port (1–65535)"))?;
                if port == 0 {
                    return Err(format!("{s:?}: port 0 is not a scheduler's port"));
                }
                (h, port)
            }
            None => (rest, DEFAULT_SCHEDULER_PORT),
        };
        if host.is_empty() {
            return Err(format!("{s:?}: the host is missing (df://HOST:PORT)"));
        }
        Ok(SchedulerUrl { host: host.to_string(), port })
    }
}

impl std::fmt::Display for SchedulerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "df://{}:{}", self.host, self.port)
    }
}

/// A DataFusion session state with Recon's functions registered: what the scheduler plans
/// with, and what clients and in-process executors start from.
pub fn session_state(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    let mut state = SessionStateBuilder::new().with_config(config).with_default_features().build();
    let (scalar, aggregate, window) = recon_datafusion::functions();
    for f in scalar {
        state.register_udf(Arc::new(f))?;
    }
    for f in aggregate {
        state.register_udaf(Arc::new(f))?;
    }
    for f in window {
        state.register_udwf(Arc::new(f))?;
    }
    Ok(state)
}

/// The built-in functions and Recon's, as an executor resolves them by name.
pub fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    let (scalar, aggregate, window) = recon_datafusion::functions();
    for f in scalar {
        registry.scalar_functions.insert(f.name().to_string(), Arc::new(f));
    }
    for f in aggregate {
        registry.aggregate_functions.insert(f.name().to_string(), Arc::new(f));
    }
    for f in window {
        registry.window_functions.insert(f.name().to_string(), Arc::new(f));
    }
    registry
}

fn runtime(threads: Option<usize>) -> Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        b.worker_threads(n.max(1));
    }
    b.enable_all().build().map_err(|e| Error::Engine(format!("cannot start the engine's threads ({e})")))
}

fn ballista_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Engine(format!("{what}: {e}"))
}

/// Starts a Ballista scheduler with Recon's functions on `bind` (port 0: any free port) and
/// serves until the process ends. `ready` is told the address it listens on once it does.
pub fn run_scheduler(bind: SocketAddr, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let rt = runtime(None)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| Error::Query(format!("cannot listen on {bind} ({e})")))?;
        let addr = listener.local_addr().map_err(|e| ballista_error("scheduler", e))?;
        let config = SchedulerConfig {
            bind_host: addr.ip().to_string(),
            bind_port: addr.port(),
            external_host: addr.ip().to_string(),
            override_session_builder: Some(Arc::new(session_state)),
            // A job whose executors are all gone fails after 30 s rather than three minutes.
            no_executors_grace_period_seconds: 30,
            ..Default::default()
        };
        let config = Arc::new(config);
        let cluster = BallistaCluster::new_from_config(&config).await.map_err(|e| ballista_error("scheduler", e))?;
        let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
            .await
            .map_err(|e| ballista_error("scheduler", e))?;
        ready(addr);
        start_grpc_service_with_listener(listener, scheduler).await.map_err(|e| ballista_error("scheduler", e))
    })
}

/// What an executor needs to join a cluster.
#[derive(Clone, Debug)]
pub struct ExecutorOptions {
    /// The scheduler to register with.
    pub scheduler: SchedulerUrl,
    /// Address of the executor's Arrow Flight service (results and shuffles are fetched from
    /// it); its gRPC service listens on `grpc_port`.
    pub bind: SocketAddr,
    /// Port of the executor's gRPC service (default: the Flight port + 1).
    pub grpc_port: Option<u16>,
    /// Tasks run at once (default: the cores of this machine).
    pub concurrent_tasks: Option<usize>,
    /// Folder for shuffle files (default: a fresh temporary folder).
    pub work_dir: Option<PathBuf>,
    /// How long to keep trying to reach the scheduler at start.
    pub connect_timeout: Duration,
}

impl ExecutorOptions {
    /// Options for an executor on `bind` that registers with `scheduler`.
    pub fn new(scheduler: SchedulerUrl, bind: SocketAddr) -> Self {
        ExecutorOptions {
            scheduler,
            bind,
            grpc_port: None,
            concurrent_tasks: None,
            work_dir: None,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Starts a Ballista executor with Recon's functions and serves until the process is stopped
/// (Ctrl-C or SIGTERM) or the scheduler tells it to stop. Fails when the scheduler cannot be
/// reached within `opts.connect_timeout`.
pub fn run_executor(opts: &ExecutorOptions) -> Result<()> {
    let grpc_port = match opts.grpc_port {
        Some(p) => p,
        None => opts.bind.port().checked_add(1).ok_or_else(|| {
            Error::Query(format!("{}: no port above it for the gRPC service (give --grpc-port)", opts.bind))
        })?,
    };
    if opts.bind.ip().is_unspecified() {
        return Err(Error::Query(format!(
            "--bind {}: give an address the scheduler and the other executors can reach (it is advertised to them)",
            opts.bind
        )));
    }
    if opts.bind.port() == 0 || grpc_port == 0 || grpc_port == opts.bind.port() {
        return Err(Error::Query(format!(
            "an executor needs two fixed, different ports (Flight {}, gRPC {grpc_port}): the scheduler is told them",
            opts.bind.port()
        )));
    }
    let work_dir = match &opts.work_dir {
        Some(d) => d.to_str().map(str::to_string).ok_or_else(|| Error::Query("--work-dir is not UTF-8".into()))?,
        None => std::env::temp_dir().join(format!("recon-executor-{}", std::process::id())).display().to_string(),
    };
    std::fs::create_dir_all(&work_dir).map_err(|e| Error::Engine(format!("{work_dir}: {e}")))?;
    let mut config = ExecutorProcessConfig {
        bind_host: opts.bind.ip().to_string(),
        external_host: Some(opts.bind.ip().to_string()),
        port: opts.bind.port(),
        grpc_port,
        scheduler_host: opts.scheduler.host.clone(),
        scheduler_port: opts.scheduler.port,
        // One attempt: Ballista 55's retry loop measures its timeout with
        // `Instant::now().elapsed()` (always ~0) and never gives up, so the wait is ours.
        scheduler_connect_timeout_seconds: 0,
        work_dir: Some(work_dir),
        executor_heartbeat_interval_seconds: 5,
        override_function_registry: Some(Arc::new(function_registry())),
        ..Default::default()
    };
    if let Some(n) = opts.concurrent_tasks {
        config.vcores = n.max(1);
    }
    // Ballista reports a taken port as an internal error after it has registered; check first.
    for port in [opts.bind.port(), grpc_port] {
        let addr = SocketAddr::new(opts.bind.ip(), port);
        std::net::TcpListener::bind(addr).map_err(|e| Error::Query(format!("cannot listen on {addr} ({e})")))?;
    }
    wait_reachable(&opts.scheduler, opts.connect_timeout)?;
    let rt = runtime(None)?;
    rt.block_on(start_executor_process(Arc::new(config))).map_err(|e| ballista_error("executor", e))
}

/// Retries [`reachable`] until `timeout` has passed (a scheduler may still be starting).
fn wait_reachable(url: &SchedulerUrl, timeout: Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    while reachable(url, Duration::from_secs(1).min(timeout.max(Duration::from_millis(100)))).is_err() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(not_there(url, &format!("waited {} s", timeout.as_secs())));
        }
        std::thread::sleep(left.min(Duration::from_millis(250)));
    }
    Ok(())
}

/// Waits up to `timeout` for something to accept a TCP connection at `url`.
fn reachable(url: &SchedulerUrl, timeout: Duration) -> Result<()> {
    let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| Error::Query(format!("{url}: cannot resolve the host ({e})")))?
        .collect();
    let mut last = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    let why = last.map_or_else(|| "no address".to_string(), |e| e.to_string());
    Err(not_there(url, &format!("{why}; waited up to {} s", timeout.as_secs())))
}

/// The error for a scheduler that does not answer, with what was tried.
fn not_there(url: &SchedulerUrl, tried: &str) -> Error {
    let start = format!("recon scheduler --bind {}:{}", url.host, url.port);
    Error::Query(format!("no Ballista scheduler answers at {url} ({tried}): start one with `{start}`"))
}

/// An [`Engine`] whose plans run on the Ballista cluster at `url`. Fails with a clear error
/// when nothing accepts a connection there within [`CONNECT_TIMEOUT`].
pub fn connect(url: &SchedulerUrl) -> Result<Engine> {
    reachable(url, CONNECT_TIMEOUT)?;
    let rt = runtime(None)?;
    let state = session_state(SessionConfig::new())?;
    let endpoint = format!("df://{}:{}", url.host, url.port);
    let ctx = rt.block_on(SessionContext::remote_with_state(&endpoint, state))?;
    Engine::on_runtime(rt, ctx)
}

/// An [`Engine`] on an in-process Ballista scheduler and executor with `concurrent_tasks`
/// task slots: the same plans as a cluster, serialised and shuffled the same way, in one
/// process (for tests, and to see what a plan does on Ballista).
pub fn standalone(concurrent_tasks: usize) -> Result<Engine> {
    let rt = runtime(None)?;
    let config = SessionConfig::new().with_target_partitions(concurrent_tasks.max(1));
    let state = session_state(config)?;
    let ctx = rt.block_on(SessionContext::standalone_with_state(state))?;
    Engine::on_runtime(rt, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_urls() {
        let u: SchedulerUrl = "df://127.0.0.1:50050".parse().unwrap();
        assert_eq!(u, SchedulerUrl { host: "127.0.0.1".into(), port: 50050 });
        assert_eq!("localhost".parse::<SchedulerUrl>().unwrap().port, DEFAULT_SCHEDULER_PORT);
        assert_eq!("h:7".parse::<SchedulerUrl>().unwrap().to_string(), "df://h:7");
        for bad in ["", "df://", "http://h:1", "h:x", "h:0", ":80", "h:99999", "df://h:1/path"] {
            assert!(bad.parse::<SchedulerUrl>().is_err(), "{bad}");
        }
    }
}
