//! The process runtime: each broker a local process in the cluster's data directory.
//!
//! Two engines:
//! - **tansu** (`BROKER_ENGINE_TANSU`): one `tansu broker` process with SQLite storage;
//! - **Apache Kafka** (`BROKER_ENGINE_APACHE_KAFKA`) from a local distribution (`kafka_home`,
//!   `KAFKA_HOME`: a tarball or the jar-only layout of scripts/assemble-kafka): N JVMs that lkm
//!   launches itself (`kafka_jvm`), each a combined KRaft broker and controller; all N vote.
//!
//! Each broker has its own directory `<data_directory>/broker-N/` holding
//! - `broker.pid`: the pid of the running broker. Pid files are the source of truth: a new
//!   lkm process finds (re-adopts) brokers an earlier one started, as Docker finds containers;
//! - `broker.log`: the broker's stdout and stderr, appended across starts;
//! - tansu: `tansu.db` (its SQLite storage);
//! - Apache Kafka: `server.properties` and `log4j2.properties` (generated at every start),
//!   `controller.port` (chosen at the first start, reused after), `data/` (log.dirs) and
//!   `logs/` (the full broker log, `server.log`; `broker.log` gets warnings and errors).
//!
//! Brokers run in a session of their own, so Ctrl-C or a SIGTERM to lkm does not reach them:
//! they outlive an lkm restart like containers do. A process counts as a cluster's broker only
//! while it is alive *and* runs in (or names) that broker's directory, which guards against
//! pid reuse. No path is followed through a symbolic link out of the data directory.

use std::collections::BTreeMap;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::kafka_jvm::{self, Distribution, Java, JvmSettings};
use super::spec::{broker_settings, kraft_cluster_id};
use super::{Liveness, Observed, Runtime, StartOptions};
use crate::config::Config;
use crate::core::ports::PortRange;
use crate::error::{Error, Result};
use crate::pb::{BrokerEngine, Cluster, ServiceStatus};

const PID_FILE: &str = "broker.pid";
const LOG_FILE: &str = "broker.log";
const PROPERTIES_FILE: &str = "server.properties";
const CONTROLLER_PORT_FILE: &str = "controller.port";
const TANSU_DB: &str = "tansu.db";
/// How long a broker gets to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(20);
/// How long a port of a broker that just stopped may take to be free again.
const PORT_RELEASE: Duration = Duration::from_secs(5);
/// How long a killed broker gets to disappear.
const KILL_GRACE: Duration = Duration::from_secs(5);
/// How long `tansu --version` may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Log lines quoted in a start failure.
const LOG_TAIL_LINES: usize = 20;
const TANSU_INSTALL: &str = "cargo install tansu --locked --features dynostore,libsql";

pub struct ProcessRuntime {
    /// Configured tansu binary; empty means `tansu` on PATH.
    tansu_binary: String,
    /// Configured Kafka distribution; empty means none.
    kafka_home: String,
    /// Extra JVM flags of every Kafka broker (`kafka_jvm_options`).
    kafka_jvm_options: Vec<String>,
    bind: IpAddr,
    /// lkm's host port range: controller ports are chosen outside it.
    port_range: PortRange,
}

/// What runs the brokers of a cluster, resolved to absolute paths.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Engine {
    Tansu { binary: PathBuf },
    Kafka { dist: Distribution, java: Java },
}

/// One broker process to start.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Launch {
    /// "broker-N".
    name: String,
    dir: PathBuf,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl ProcessRuntime {
    pub fn new(config: &Config) -> Self {
        ProcessRuntime {
            tansu_binary: config.tansu_binary.clone(),
            kafka_home: config.kafka_home.clone(),
            kafka_jvm_options: config
                .kafka_jvm_options
                .split_whitespace()
                .map(String::from)
                .collect(),
            bind: config.bind_address,
            port_range: config.port_range,
        }
    }

    /// The engine of `cluster`, checked to be runnable here (no side effects).
    async fn engine(&self, cluster: &Cluster) -> Result<Engine> {
        let kafka = cluster.kafka_config.clone().unwrap_or_default();
        match kafka.engine() {
            BrokerEngine::Tansu => {
                let binary = self.tansu()?;
                probe_tansu(&binary).await?;
                Ok(Engine::Tansu { binary })
            }
            BrokerEngine::ApacheKafka | BrokerEngine::Unspecified => {
                let dist = kafka_jvm::distribution(&self.kafka_home)?;
                let services = [
                    (
                        cluster
                            .rest_proxy_config
                            .as_ref()
                            .and_then(|r| r.enabled)
                            .unwrap_or(false),
                        "a REST proxy (rest_proxy_config.enabled)",
                    ),
                    (
                        cluster
                            .ui_config
                            .as_ref()
                            .and_then(|u| u.enabled)
                            .unwrap_or(false),
                        "a UI (ui_config.enabled)",
                    ),
                ];
                if let Some((_, what)) = services.iter().find(|(on, _)| *on) {
                    return Err(Error::precondition(
                        "UNSUPPORTED_BY_RUNTIME",
                        format!(
                            "cluster '{}' has {what}, but the process runtime runs Kafka brokers only; disable it (UpdateCluster) or use the Docker runtime",
                            cluster.name
                        ),
                    ));
                }
                let java = kafka_jvm::java().await?;
                Ok(Engine::Kafka { dist, java })
            }
        }
    }

    /// The tansu binary: the configured one, or `tansu` on PATH.
    fn tansu(&self) -> Result<PathBuf> {
        let how = format!(
            "install it with `{TANSU_INSTALL}` (the default build has no storage engine), or set tansu_binary (LKM_TANSU_BINARY) to its path"
        );
        let configured = self.tansu_binary.trim();
        if configured.is_empty() {
            return find_on_path("tansu").ok_or_else(|| {
                Error::precondition(
                    "TANSU_NOT_FOUND",
                    format!("the tansu broker binary is not on PATH; {how}"),
                )
            });
        }
        let candidate = if configured.contains('/') {
            Some(PathBuf::from(configured))
        } else {
            find_on_path(configured)
        };
        match candidate.map(|p| std::path::absolute(&p).unwrap_or(p)) {
            Some(p) if is_executable_file(&p) => Ok(p),
            _ => Err(Error::precondition(
                "TANSU_NOT_FOUND",
                format!(
                    "the tansu broker binary '{configured}' (tansu_binary) does not exist or is not executable; {how}"
                ),
            )),
        }
    }

    /// Starts every broker; on failure kills what it started.
    async fn launch_all(
        &self,
        cluster: &Cluster,
        engine: &Engine,
        options: &StartOptions,
        deadline: Instant,
    ) -> Result<()> {
        let root = cluster_dir(cluster)?;
        let ports = broker_ports(cluster)?;
        let n = ports.len();
        // Leftovers of an earlier run (a partly running cluster) go first: a start begins
        // from nothing running.
        self.stop_all(cluster).await?;
        let mut dirs = Vec::with_capacity(n);
        for i in 1..=n {
            let dir = root.join(broker_name(i));
            real_dir(&dir, true)?;
            dirs.push(dir);
        }
        for (i, port) in ports.iter().enumerate() {
            if !port_frees_up(SocketAddr::new(self.bind, *port)).await {
                return Err(Error::precondition(
                    "PORT_IN_USE",
                    format!(
                        "host port {port} of {} ({}) is in use by another process; free it or give the cluster other ports",
                        broker_name(i + 1),
                        self.bind
                    ),
                ));
            }
        }

        let launches = match engine {
            Engine::Tansu { binary } => {
                for dir in &dirs {
                    not_a_link(&dir.join(TANSU_DB))?;
                }
                dirs.iter()
                    .zip(&ports)
                    .enumerate()
                    .map(|(i, (dir, port))| Launch {
                        name: broker_name(i + 1),
                        dir: dir.clone(),
                        program: binary.clone(),
                        args: tansu_args(
                            self.bind,
                            *port,
                            &kraft_cluster_id(&cluster.id),
                            crate::runtime::spec::tansu_storage_url(cluster),
                        ),
                        env: Vec::new(),
                    })
                    .collect::<Vec<_>>()
            }
            Engine::Kafka { dist, java } => {
                self.prepare_kafka(cluster, dist, java, &dirs, &ports, options, deadline)
                    .await?
            }
        };

        let mut started: Vec<(String, PathBuf, u32, u64)> = Vec::new();
        let mut exits = Vec::new();
        for l in &launches {
            let _ = options.progress.send(format!("starting {}", l.name));
            match spawn(l) {
                Ok(s) => {
                    started.push((l.name.clone(), l.dir.clone(), s.pid, s.log_offset));
                    exits.push((l.name.clone(), s.exit));
                }
                Err(e) => {
                    kill_started(&started).await;
                    return Err(e);
                }
            }
        }
        let _ = options
            .progress
            .send(format!("waiting for {n} broker(s) to answer"));
        let host = advertised_host(self.bind);
        let addresses: Vec<String> = ports.iter().map(|p| format!("{host}:{p}")).collect();
        let ready = async {
            // Cheap TCP polls until the listeners are up, so the (slower) metadata probe
            // usually succeeds the first time.
            wait_listening(&addresses, deadline).await;
            let remaining = deadline.saturating_duration_since(Instant::now());
            crate::kafka::wait_ready(&addresses, n, remaining).await
        };
        let failure = tokio::select! {
            ready = ready => match ready {
                Ok(()) => return Ok(()),
                Err(why) => (why, None),
            },
            (name, status) = first_exit(exits) => {
                (format!("{name} exited during start-up ({status})"), Some(name))
            }
        };
        kill_started(&started).await;
        let (why, exited) = failure;
        let mut message = why;
        for (name, dir, _, offset) in &started {
            if exited.as_ref().is_some_and(|e| e != name) {
                continue;
            }
            let log = dir.join(LOG_FILE);
            let tail = log_tail(&log, *offset, LOG_TAIL_LINES);
            if tail.is_empty() {
                message.push_str(&format!("\n{name} wrote nothing to {}", log.display()));
            } else {
                message.push_str(&format!(
                    "\nlast lines of {} ({name}):\n{tail}",
                    log.display()
                ));
            }
        }
        if message.contains("java.lang.OutOfMemoryError") {
            message.push_str(
                "\nthe broker ran out of Java heap: give it a bigger kafka_config.heap_size",
            );
        }
        Err(Error::Unavailable(message))
    }

    /// Writes each Kafka broker's configuration, formats its storage once and returns the
    /// commands that start the brokers.
    #[allow(clippy::too_many_arguments)]
    async fn prepare_kafka(
        &self,
        cluster: &Cluster,
        dist: &Distribution,
        java: &Java,
        dirs: &[PathBuf],
        ports: &[u16],
        options: &StartOptions,
        deadline: Instant,
    ) -> Result<Vec<Launch>> {
        let kafka = cluster.kafka_config.clone().unwrap_or_default();
        let heap = kafka
            .heap_size
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(String::from);
        let mut controller_ports = Vec::with_capacity(dirs.len());
        for dir in dirs {
            controller_ports.push(self.controller_port(dir, &controller_ports)?);
        }
        let kraft_id = kraft_cluster_id(&cluster.id);
        let settings = broker_settings(cluster);
        let jmx = cluster
            .port_allocation
            .as_ref()
            .and_then(|a| a.jmx_port)
            .and_then(|p| u16::try_from(p).ok())
            .filter(|_| kafka.jmx_enabled.unwrap_or(false));
        let mut launches = Vec::with_capacity(dirs.len());
        let mut formats = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            let node = i + 1;
            let data = dir.join("data");
            real_dir(&data, true)?;
            real_dir(&dir.join("logs"), true)?;
            let props = dir.join(PROPERTIES_FILE);
            let text =
                kafka_properties(&settings, node, self.bind, ports, &controller_ports, &data);
            write_private(&props, &text)?;
            write_private(&dir.join(kafka_jvm::LOG4J_FILE), kafka_jvm::log4j_config())?;
            if !exists_no_follow(&data.join("meta.properties"))? {
                let (program, args) = kafka_jvm::format_command(java, dist, dir, &kraft_id, &props);
                formats.push(Launch {
                    name: broker_name(node),
                    dir: dir.clone(),
                    program,
                    args,
                    env: Vec::new(),
                });
            }
            let jvm = JvmSettings {
                heap: heap.clone(),
                // One JMX port per cluster: the first broker's.
                jmx: jmx
                    .filter(|_| node == 1)
                    .map(|p| (advertised_host(self.bind), p)),
                extra: self.kafka_jvm_options.clone(),
            };
            let (program, args) = kafka_jvm::broker_command(java, dist, dir, &props, &jvm)?;
            launches.push(Launch {
                name: broker_name(node),
                dir: dir.clone(),
                program,
                args,
                env: Vec::new(),
            });
        }
        if !formats.is_empty() {
            let _ = options.progress.send(format!(
                "formatting the KRaft storage of {} broker(s) (Apache Kafka {})",
                formats.len(),
                dist.version
            ));
            let runs = formats.iter().map(|f| run_to_log(f, deadline));
            for r in futures::future::join_all(runs).await {
                r?;
            }
        }
        Ok(launches)
    }

    /// The controller port of the broker in `dir`: the one chosen at its first start while
    /// it is still free, else a new free port outside lkm's range (and not in `taken`).
    fn controller_port(&self, dir: &Path, taken: &[u16]) -> Result<u16> {
        let file = dir.join(CONTROLLER_PORT_FILE);
        if let Some(p) = read_small(&file)?.and_then(|s| s.trim().parse::<u16>().ok())
            && p != 0
            && !taken.contains(&p)
        {
            if TcpListener::bind(("127.0.0.1", p)).is_ok() {
                return Ok(p);
            }
            tracing::warn!(dir = %dir.display(), port = p, "controller port in use; choosing another");
        }
        for _ in 0..100 {
            let l = TcpListener::bind(("127.0.0.1", 0))
                .map_err(|e| Error::internal(format!("choosing a controller port: {e}")))?;
            let p = l
                .local_addr()
                .map_err(|e| Error::internal(format!("choosing a controller port: {e}")))?
                .port();
            if (self.port_range.start..=self.port_range.end).contains(&p) || taken.contains(&p) {
                continue;
            }
            write_private(&file, &format!("{p}\n"))?;
            return Ok(p);
        }
        Err(Error::internal(
            "no free controller port outside lkm's port range",
        ))
    }

    /// Stops every broker of the cluster that runs (all `broker-*` directories, whatever the
    /// current broker count).
    async fn stop_all(&self, cluster: &Cluster) -> Result<()> {
        let root = cluster_dir_if_exists(cluster)?;
        let Some(root) = root else {
            return Ok(());
        };
        let mut dirs = Vec::new();
        let entries = std::fs::read_dir(&root)
            .map_err(|e| Error::internal(format!("reading {}: {e}", root.display())))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if parse_broker_name(&name).is_some() && real_dir(&e.path(), false)? {
                dirs.push(e.path());
            }
        }
        let stops = dirs.iter().map(|d| stop_broker(d));
        let mut errors = Vec::new();
        for r in futures::future::join_all(stops).await {
            if let Err(e) = r {
                errors.push(e.to_string());
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Unavailable(errors.join("; ")))
        }
    }
}

#[async_trait]
impl Runtime for ProcessRuntime {
    fn kind(&self) -> &'static str {
        "process"
    }

    async fn check_available(&self, cluster: &Cluster) -> Result<()> {
        self.engine(cluster).await?;
        broker_ports(cluster)?;
        cluster_dir(cluster)?;
        Ok(())
    }

    async fn start(&self, cluster: &Cluster, options: StartOptions) -> Result<()> {
        let deadline = Instant::now() + options.timeout;
        let engine = self.engine(cluster).await?;
        self.launch_all(cluster, &engine, &options, deadline).await
    }

    async fn stop(&self, cluster: &Cluster, _cleanup: bool) -> Result<()> {
        // Nothing but processes to clean up: logs and data stay.
        self.stop_all(cluster).await
    }

    async fn remove(&self, cluster: &Cluster, _keep_data: bool) -> Result<()> {
        // The data directory (everything the brokers wrote) is the manager's to remove.
        self.stop_all(cluster).await
    }

    async fn observe(&self, cluster: &Cluster) -> Result<Observed> {
        let count = broker_count(cluster);
        let ports = broker_ports(cluster).unwrap_or_default();
        let root = cluster_dir_if_exists(cluster)?;
        let host = advertised_host(self.bind);
        let mut services = Vec::with_capacity(count);
        let mut down = Vec::new();
        for i in 1..=count {
            let name = broker_name(i);
            let port = ports.get(i - 1).copied();
            let dir = root.as_ref().map(|r| r.join(&name));
            let mut status = ServiceStatus {
                name: name.clone(),
                state: "missing".into(),
                health: "unknown".into(),
                ports: port.map(i32::from).into_iter().collect(),
                ..Default::default()
            };
            let seen = match &dir {
                Some(d) if real_dir(d, false)? => see_broker(d)?,
                _ => Seen::NoPidFile,
            };
            if let Some(ctl) = dir
                .as_ref()
                .and_then(|d| read_small(&d.join(CONTROLLER_PORT_FILE)).ok().flatten())
                .and_then(|s| s.trim().parse::<u16>().ok())
            {
                status.ports.push(i32::from(ctl));
            }
            match seen {
                Seen::Running(pid) => {
                    status.state = "running".into();
                    status.runtime_id = pid.to_string();
                    match port {
                        Some(p) if accepts(&format!("{host}:{p}")).await => {
                            status.health = "healthy".into();
                        }
                        Some(p) => {
                            status.health = "unhealthy".into();
                            status.message =
                                format!("process {pid} runs but port {p} accepts no connections");
                        }
                        None => {}
                    }
                }
                Seen::Gone(pid) => {
                    status.state = "exited".into();
                    status.runtime_id = pid.to_string();
                    status.message = format!("process {pid} is gone (exited or killed)");
                    if let Some(d) = &dir {
                        let last = log_tail(&d.join(LOG_FILE), 0, 1);
                        if !last.is_empty() {
                            status.message.push_str(&format!("; last log line: {last}"));
                        }
                        // A stale pid file: the process is gone for good.
                        remove_pid_file(d);
                    }
                    down.push(format!("{name} is not running ({})", status.message));
                }
                Seen::NoPidFile => {
                    status.message = "not running".into();
                    down.push(format!("{name} is not running"));
                }
            }
            services.push(status);
        }
        let running = services.iter().filter(|s| s.state == "running").count();
        let liveness = match running {
            0 => Liveness::Down,
            r if r == count => Liveness::Up,
            _ => Liveness::Partial,
        };
        Ok(Observed {
            services,
            liveness,
            detail: down.join("; "),
        })
    }
}

// ---- what runs: pure functions -----------------------------------------------------------

fn broker_name(node: usize) -> String {
    format!("broker-{node}")
}

fn parse_broker_name(name: &str) -> Option<usize> {
    name.strip_prefix("broker-")?
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
}

fn broker_count(cluster: &Cluster) -> usize {
    cluster
        .kafka_config
        .as_ref()
        .and_then(|k| k.broker_count)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1)
        .max(1)
}

/// Host ports of brokers 1..N.
fn broker_ports(cluster: &Cluster) -> Result<Vec<u16>> {
    let n = broker_count(cluster);
    let a = cluster.port_allocation.clone().unwrap_or_default();
    let ports: Vec<u16> = std::iter::once(a.kafka_port)
        .chain(a.additional_kafka_ports)
        .filter_map(|p| u16::try_from(p).ok().filter(|p| *p != 0))
        .collect();
    if ports.len() < n {
        return Err(Error::precondition(
            "PORTS_MISSING",
            format!(
                "cluster '{}' has {n} broker(s) but {} broker port(s) allocated",
                cluster.name,
                ports.len()
            ),
        ));
    }
    Ok(ports.into_iter().take(n).collect())
}

/// Host clients reach the brokers at (what the brokers advertise).
fn advertised_host(bind: IpAddr) -> String {
    match bind {
        ip if ip.is_unspecified() => "127.0.0.1".into(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

/// Host part of a listener on `bind`.
fn listen_host(bind: IpAddr) -> String {
    match bind {
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

/// Arguments of `tansu` for a broker listening on `bind:port`, storing into SQLite in its
/// working directory.
fn tansu_args(bind: IpAddr, port: u16, cluster_id: &str, storage: &str) -> Vec<String> {
    vec![
        "broker".into(),
        "--cluster-id".into(),
        cluster_id.into(),
        "--listener-url".into(),
        format!("tcp://{}:{port}", listen_host(bind)),
        "--advertised-listener-url".into(),
        format!("tcp://{}:{port}", advertised_host(bind)),
        "--storage-engine".into(),
        storage.into(),
    ]
}

/// `server.properties` of broker `node` (1-based) of a cluster whose brokers listen on
/// `ports` (host) and `controller_ports` (127.0.0.1). The cluster's settings come first; the
/// listener, identity and storage properties are the runtime's and win.
fn kafka_properties(
    settings: &BTreeMap<String, String>,
    node: usize,
    bind: IpAddr,
    ports: &[u16],
    controller_ports: &[u16],
    log_dir: &Path,
) -> String {
    let port = ports.get(node - 1).copied().unwrap_or_default();
    let ctl = controller_ports.get(node - 1).copied().unwrap_or_default();
    let voters: Vec<String> = controller_ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}@127.0.0.1:{p}", i + 1))
        .collect();
    let mut p = settings.clone();
    let mut put = |k: &str, v: String| {
        p.insert(k.to_string(), v);
    };
    put("node.id", node.to_string());
    put("process.roles", "broker,controller".into());
    put(
        "listeners",
        format!(
            "PLAINTEXT://{}:{port},CONTROLLER://127.0.0.1:{ctl}",
            listen_host(bind)
        ),
    );
    put(
        "advertised.listeners",
        format!("PLAINTEXT://{}:{port}", advertised_host(bind)),
    );
    put(
        "listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT".into(),
    );
    put("controller.listener.names", "CONTROLLER".into());
    put("inter.broker.listener.name", "PLAINTEXT".into());
    put("controller.quorum.voters", voters.join(","));
    put("log.dirs", log_dir.display().to_string());
    let mut out = String::from("# Generated by lkm at every start; edits are overwritten.\n");
    for (k, v) in &p {
        out.push_str(&escape_property(k, true));
        out.push('=');
        out.push_str(&escape_property(v, false));
        out.push('\n');
    }
    out
}

/// Escapes a key or value for a Java properties file, so that no text can start another
/// entry or a comment.
fn escape_property(s: &str, key: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '=' | ':' if key => {
                out.push('\\');
                out.push(c);
            }
            ' ' if key || i == 0 => out.push_str("\\ "),
            '#' | '!' if key && i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

// ---- binaries -----------------------------------------------------------------------------

fn is_executable_file(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub(super) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| is_executable_file(p))
}

/// Runs `tansu --version`: the binary must really execute here.
async fn probe_tansu(binary: &Path) -> Result<()> {
    let failed = |why: String| {
        Error::precondition(
            "TANSU_NOT_RUNNABLE",
            format!(
                "the tansu broker binary {} does not run ({why}); reinstall it with `{TANSU_INSTALL}` or set tansu_binary (LKM_TANSU_BINARY) to a working one",
                binary.display()
            ),
        )
    };
    let run = tokio::process::Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(PROBE_TIMEOUT, run).await {
        Err(_) => Err(failed(format!(
            "`--version` gave no answer within {}s",
            PROBE_TIMEOUT.as_secs()
        ))),
        Ok(Err(e)) => Err(failed(e.to_string())),
        Ok(Ok(out)) if !out.status.success() => Err(failed(format!(
            "`--version` failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Ok(Ok(_)) => Ok(()),
    }
}

// ---- files, safely inside the data directory ----------------------------------------------

/// The cluster's data directory, which must exist as a real directory (not a symbolic link).
/// Returned canonical, as /proc shows a process's working directory.
fn cluster_dir(cluster: &Cluster) -> Result<PathBuf> {
    cluster_dir_if_exists(cluster)?.ok_or_else(|| {
        Error::precondition(
            "DATA_DIRECTORY_MISSING",
            format!(
                "the data directory of cluster '{}' ({}) does not exist",
                cluster.name, cluster.data_directory
            ),
        )
    })
}

fn cluster_dir_if_exists(cluster: &Cluster) -> Result<Option<PathBuf>> {
    let dir = Path::new(&cluster.data_directory);
    if !dir.is_absolute() {
        return Err(Error::internal(format!(
            "cluster '{}' has no absolute data directory ({:?})",
            cluster.name, cluster.data_directory
        )));
    }
    if !real_dir(dir, false)? {
        return Ok(None);
    }
    dir.canonicalize()
        .map(Some)
        .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))
}

fn unsafe_path(path: &Path, what: &str) -> Error {
    Error::precondition(
        "UNSAFE_PATH",
        format!(
            "{} is {what}; lkm does not follow links or replace files in a cluster's data directory",
            path.display()
        ),
    )
}

/// Whether `path` is a real directory (never a symbolic link); creates it (0700) when it is
/// missing and `create` is set.
fn real_dir(path: &Path, create: bool) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(unsafe_path(path, "a symbolic link")),
        Ok(m) if m.is_dir() => Ok(true),
        Ok(_) => Err(unsafe_path(path, "not a directory")),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if !create {
                return Ok(false);
            }
            DirBuilder::new()
                .mode(0o700)
                .create(path)
                .map_err(|e| Error::internal(format!("creating {}: {e}", path.display())))?;
            Ok(true)
        }
        Err(e) => Err(Error::internal(format!("{}: {e}", path.display()))),
    }
}

/// Fails when `path` is a symbolic link.
fn not_a_link(path: &Path) -> Result<()> {
    exists_no_follow(path).map(|_| ())
}

/// Whether `path` exists; a symbolic link is an error.
fn exists_no_follow(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(unsafe_path(path, "a symbolic link")),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::internal(format!("{}: {e}", path.display()))),
    }
}

fn open_error(path: &Path, e: std::io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        unsafe_path(path, "a symbolic link")
    } else {
        Error::internal(format!("{}: {e}", path.display()))
    }
}

/// Writes a file readable by lkm's user only, never through a symbolic link.
fn write_private(path: &Path, contents: &str) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| open_error(path, e))?;
    f.write_all(contents.as_bytes())
        .map_err(|e| Error::internal(format!("writing {}: {e}", path.display())))
}

/// A small file's contents (None when missing), never through a symbolic link.
fn read_small(path: &Path) -> Result<Option<String>> {
    let f = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(open_error(path, e)),
    };
    let mut s = String::new();
    f.take(4096)
        .read_to_string(&mut s)
        .map_err(|e| Error::internal(format!("reading {}: {e}", path.display())))?;
    Ok(Some(s))
}

fn open_log(dir: &Path) -> Result<File> {
    let path = dir.join(LOG_FILE);
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| open_error(&path, e))
}

/// The last `lines` lines written to the log at `path` after byte `from`.
fn log_tail(path: &Path, from: u64, lines: usize) -> String {
    const MAX: u64 = 64 * 1024;
    let Ok(mut f) = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = from.max(len.saturating_sub(MAX)).min(len);
    if f.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    if f.take(MAX).read_to_end(&mut buf).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---- processes ----------------------------------------------------------------------------

struct Spawned {
    pid: u32,
    /// Where this start's output begins in the broker's log.
    log_offset: u64,
    /// Receives how the process ended (sent by the task that reaps it).
    exit: oneshot::Receiver<String>,
}

fn command_line(l: &Launch) -> String {
    std::iter::once(l.program.display().to_string())
        .chain(l.args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds the command of `l`: working directory the broker's, output appended to its log,
/// in a new session (so signals to lkm's process group do not reach it).
fn command(l: &Launch, log: &File) -> Result<tokio::process::Command> {
    let out = log
        .try_clone()
        .map_err(|e| Error::internal(format!("broker log: {e}")))?;
    let err = log
        .try_clone()
        .map_err(|e| Error::internal(format!("broker log: {e}")))?;
    let mut cmd = tokio::process::Command::new(&l.program);
    cmd.args(&l.args)
        .envs(l.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&l.dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(cmd)
}

/// Starts a broker, records its pid and hands the child to a task that reaps it.
fn spawn(l: &Launch) -> Result<Spawned> {
    let mut log = open_log(&l.dir)?;
    let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = writeln!(
        log,
        "--- lkm {}: starting {}: {}",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        l.name,
        command_line(l)
    );
    let mut child = command(l, &log)?.spawn().map_err(|e| {
        Error::Unavailable(format!(
            "cannot start {} ({}): {e}",
            l.name,
            l.program.display()
        ))
    })?;
    let Some(pid) = child.id() else {
        return Err(Error::internal(format!("{} exited at once", l.name)));
    };
    if let Err(e) = write_private(&l.dir.join(PID_FILE), &format!("{pid}\n")) {
        signal_group(pid, libc::SIGKILL);
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        return Err(e);
    }
    tracing::info!(broker = %l.name, pid, dir = %l.dir.display(), "broker process started");
    let (tx, exit) = oneshot::channel();
    let name = l.name.clone();
    tokio::spawn(async move {
        let how = match child.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => format!("unknown: {e}"),
        };
        tracing::info!(broker = %name, pid, status = %how, "broker process ended");
        let _ = tx.send(how);
    });
    Ok(Spawned {
        pid,
        log_offset,
        exit,
    })
}

/// Runs a short-lived command of a broker (storage format) to completion, its output
/// appended to the broker's log.
async fn run_to_log(l: &Launch, deadline: Instant) -> Result<()> {
    let mut log = open_log(&l.dir)?;
    let offset = log.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = writeln!(
        log,
        "--- lkm {}: {}: {}",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        l.name,
        command_line(l)
    );
    let mut cmd = command(l, &log)?;
    cmd.kill_on_drop(true);
    let remaining = deadline.saturating_duration_since(Instant::now());
    let status = match tokio::time::timeout(remaining, cmd.status()).await {
        Err(_) => Err("it did not finish in time".to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(s)) if !s.success() => Err(s.to_string()),
        Ok(Ok(_)) => Ok(()),
    };
    status.map_err(|why| {
        let log_path = l.dir.join(LOG_FILE);
        Error::Unavailable(format!(
            "formatting the storage of {} failed ({why}); last lines of {}:\n{}",
            l.name,
            log_path.display(),
            log_tail(&log_path, offset, LOG_TAIL_LINES)
        ))
    })
}

/// The first of the processes to end: its name and how it ended.
async fn first_exit(exits: Vec<(String, oneshot::Receiver<String>)>) -> (String, String) {
    let mut all: FuturesUnordered<_> = exits
        .into_iter()
        .map(|(name, rx)| async move { (name, rx.await) })
        .collect();
    while let Some((name, how)) = all.next().await {
        if let Ok(how) = how {
            return (name, how);
        }
    }
    std::future::pending().await
}

/// Kills brokers a failed start left and removes their pid files.
async fn kill_started(started: &[(String, PathBuf, u32, u64)]) {
    for (name, dir, pid, _) in started {
        // Only while it is still the broker: an exited broker's pid may be reused.
        if alive(*pid) && runs_in(*pid, dir) {
            signal_group(*pid, libc::SIGKILL);
        }
        if !wait_gone(*pid, KILL_GRACE).await {
            tracing::error!(broker = %name, pid, "broker process survived SIGKILL");
        }
        remove_pid_file(dir);
    }
}

/// Sends `sig` to the process group of `pid` (brokers lead their own), or to `pid` alone
/// when it leads no group.
fn signal_group(pid: u32, sig: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid <= 1 {
        return;
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        if libc::kill(-pid, sig) == -1 {
            libc::kill(pid, sig);
        }
    }
}

/// Whether `pid` is a live process (a zombie is not).
fn alive(pid: u32) -> bool {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if p <= 1 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence.
    let exists = unsafe { libc::kill(p, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && proc_state(pid) != Some('Z')
}

/// The state letter of /proc/<pid>/stat ("R", "S", "Z", ...).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain anything.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Whether live process `pid` is the broker of `dir` (canonical): its working directory is
/// `dir` or its command line names `dir`. Guards against a reused pid.
fn runs_in(pid: u32, dir: &Path) -> bool {
    if !Path::new("/proc/self").exists() {
        // No procfs: liveness is all we can tell.
        return true;
    }
    if std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir) {
        return true;
    }
    let needle = dir.display().to_string();
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
        cmd.split(|b| *b == 0)
            .any(|arg| String::from_utf8_lossy(arg).contains(&needle))
    })
}

/// What the pid file of a broker directory says.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    NoPidFile,
    /// The broker runs as this pid.
    Running(u32),
    /// The pid file names a process that is gone (or is no longer the broker).
    Gone(u32),
}

fn see_broker(dir: &Path) -> Result<Seen> {
    let Some(text) = read_small(&dir.join(PID_FILE))? else {
        return Ok(Seen::NoPidFile);
    };
    let pid = text.trim().parse::<u32>().unwrap_or(0);
    Ok(if alive(pid) && runs_in(pid, dir) {
        Seen::Running(pid)
    } else {
        Seen::Gone(pid)
    })
}

fn remove_pid_file(dir: &Path) {
    let p = dir.join(PID_FILE);
    if let Err(e) = std::fs::remove_file(&p)
        && e.kind() != ErrorKind::NotFound
    {
        tracing::warn!(file = %p.display(), error = %e, "cannot remove pid file");
    }
}

/// Polls until `pid` is gone; false when it is still there at the end of `within`.
async fn wait_gone(pid: u32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if !alive(pid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Stops the broker of `dir`: SIGTERM to its process group, SIGKILL after `STOP_GRACE`.
async fn stop_broker(dir: &Path) -> Result<()> {
    let pid = match see_broker(dir)? {
        Seen::NoPidFile => return Ok(()),
        Seen::Gone(_) => {
            remove_pid_file(dir);
            return Ok(());
        }
        Seen::Running(pid) => pid,
    };
    tracing::info!(dir = %dir.display(), pid, "stopping broker process");
    signal_group(pid, libc::SIGTERM);
    if !wait_gone(pid, STOP_GRACE).await {
        tracing::warn!(dir = %dir.display(), pid, "broker did not stop within {}s; killing it", STOP_GRACE.as_secs());
        signal_group(pid, libc::SIGKILL);
        if !wait_gone(pid, KILL_GRACE).await {
            return Err(Error::Unavailable(format!(
                "broker process {pid} ({}) does not exit even after SIGKILL",
                dir.display()
            )));
        }
    }
    remove_pid_file(dir);
    Ok(())
}

/// Whether `addr` can be listened on, now or within `PORT_RELEASE`: a broker that just
/// stopped leaves its side of each client connection holding the port until the client
/// closes too (Linux's SO_REUSEADDR only passes over TIME_WAIT), which clients do at once.
async fn port_frees_up(addr: SocketAddr) -> bool {
    let deadline = Instant::now() + PORT_RELEASE;
    loop {
        if TcpListener::bind(addr).is_ok() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until every address accepts TCP connections, or `deadline`.
async fn wait_listening(addresses: &[String], deadline: Instant) {
    loop {
        let all = futures::future::join_all(addresses.iter().map(|a| accepts(a))).await;
        if all.into_iter().all(|ok| ok) || Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether something accepts TCP connections at `address`.
async fn accepts(address: &str) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_millis(500),
            tokio::net::TcpStream::connect(address)
        )
        .await,
        Ok(Ok(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{KafkaConfig, PortAllocation};
    use std::net::Ipv4Addr;

    fn local() -> IpAddr {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }

    fn cluster(dir: &Path, brokers: i32, ports: &[i32]) -> Cluster {
        Cluster {
            id: "0190d6f8-7e4c-7a51-9d3e-6f0c2b8a1e11".into(),
            name: "alpha".into(),
            data_directory: dir.display().to_string(),
            kafka_config: Some(KafkaConfig {
                broker_count: Some(brokers),
                heap_size: Some("512M".into()),
                num_partitions: Some(3),
                engine: Some(BrokerEngine::ApacheKafka as i32),
                ..Default::default()
            }),
            port_allocation: Some(PortAllocation {
                kafka_port: ports[0],
                additional_kafka_ports: ports[1..].to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn runtime(tansu: &str, kafka_home: &str) -> ProcessRuntime {
        ProcessRuntime::new(&Config {
            tansu_binary: tansu.into(),
            kafka_home: kafka_home.into(),
            ..Config::default()
        })
    }

    fn props(text: &str) -> BTreeMap<String, String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tansu_command_line() {
        assert_eq!(
            tansu_args(local(), 9092, "abc", "sqlite://tansu.db"),
            [
                "broker",
                "--cluster-id",
                "abc",
                "--listener-url",
                "tcp://127.0.0.1:9092",
                "--advertised-listener-url",
                "tcp://127.0.0.1:9092",
                "--storage-engine",
                "sqlite://tansu.db"
            ]
        );
        let any = tansu_args(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            9100,
            "abc",
            "sqlite://tansu.db",
        );
        assert_eq!(any[4], "tcp://0.0.0.0:9100");
        assert_eq!(
            any[6], "tcp://127.0.0.1:9100",
            "never advertise the wildcard"
        );
        let v6 = tansu_args("::1".parse().unwrap(), 9100, "abc", "sqlite://tansu.db");
        assert_eq!(v6[4], "tcp://[::1]:9100");
        assert_eq!(v6[6], "tcp://[::1]:9100");
    }

    #[test]
    fn kafka_properties_of_a_three_broker_cluster() {
        let dir = Path::new("/var/lkm/clusters/alpha-1234/broker-2");
        let c = cluster(dir, 3, &[9001, 9002, 9003]);
        let mut settings = broker_settings(&c);
        settings.insert("listeners".into(), "PLAINTEXT://evil:1".into());
        settings.insert("log.cleaner.enable".into(), "false".into());
        let text = kafka_properties(
            &settings,
            2,
            local(),
            &[9001, 9002, 9003],
            &[40001, 40002, 40003],
            &dir.join("data"),
        );
        let p = props(&text);
        assert_eq!(p["node.id"], "2");
        assert_eq!(p["process.roles"], "broker,controller");
        assert_eq!(
            p["listeners"], "PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:40002",
            "the runtime's listeners win over custom properties"
        );
        assert_eq!(p["advertised.listeners"], "PLAINTEXT://127.0.0.1:9002");
        assert_eq!(
            p["listener.security.protocol.map"],
            "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
        );
        assert_eq!(p["controller.listener.names"], "CONTROLLER");
        assert_eq!(p["inter.broker.listener.name"], "PLAINTEXT");
        assert_eq!(
            p["controller.quorum.voters"],
            "1@127.0.0.1:40001,2@127.0.0.1:40002,3@127.0.0.1:40003"
        );
        assert_eq!(p["log.dirs"], "/var/lkm/clusters/alpha-1234/broker-2/data");
        assert_eq!(p["num.partitions"], "3");
        assert_eq!(p["offsets.topic.replication.factor"], "1");
        assert_eq!(p["transaction.state.log.min.isr"], "2");
        assert_eq!(p["log.cleaner.enable"], "false");
        for (k, v) in &settings {
            if k != "listeners" {
                assert_eq!(p.get(k), Some(v), "{k} carried over");
            }
        }
    }

    #[test]
    fn kafka_properties_on_the_wildcard_address() {
        let text = kafka_properties(
            &BTreeMap::new(),
            1,
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            &[9001],
            &[40001],
            Path::new("/d/data"),
        );
        let p = props(&text);
        assert_eq!(
            p["listeners"],
            "PLAINTEXT://0.0.0.0:9001,CONTROLLER://127.0.0.1:40001"
        );
        assert_eq!(p["advertised.listeners"], "PLAINTEXT://127.0.0.1:9001");
        assert_eq!(p["controller.quorum.voters"], "1@127.0.0.1:40001");
    }

    #[test]
    fn property_text_cannot_inject_entries() {
        let mut settings = BTreeMap::new();
        settings.insert("a=b:c d".to_string(), "x\nnode.id=99\\ #".to_string());
        let text = kafka_properties(&settings, 1, local(), &[1], &[2], Path::new("/d"));
        assert!(
            text.contains("a\\=b\\:c\\ d=x\\nnode.id=99\\\\ #\n"),
            "{text}"
        );
        assert_eq!(
            text.lines().filter(|l| l.starts_with("node.id=")).count(),
            1
        );
        assert_eq!(escape_property(" lead", false), "\\ lead");
        assert_eq!(escape_property("#k", true), "\\#k");
    }

    #[test]
    fn broker_ports_follow_the_allocation() {
        let d = Path::new("/d");
        assert_eq!(
            broker_ports(&cluster(d, 3, &[9001, 9005, 9007])).unwrap(),
            [9001, 9005, 9007]
        );
        assert_eq!(broker_ports(&cluster(d, 1, &[9001, 9005])).unwrap(), [9001]);
        let err = broker_ports(&cluster(d, 3, &[9001, 9005])).unwrap_err();
        assert!(err.to_string().contains("3 broker(s) but 2"), "{err}");
    }

    #[tokio::test]
    async fn unavailable_engines_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = cluster(dir.path(), 1, &[9001]);
        let err = runtime("", "").check_available(&c).await.unwrap_err();
        assert_eq!(err.reason(), "KAFKA_HOME_NOT_SET");
        assert!(err.to_string().contains("KAFKA_HOME"), "{err}");
        assert!(err.to_string().contains("tansu"), "{err}");

        let err = runtime("", dir.path().to_str().unwrap())
            .check_available(&c)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), "KAFKA_HOME_INVALID");
        assert!(err.to_string().contains("no libs/"), "{err}");

        c.kafka_config.as_mut().unwrap().engine = Some(BrokerEngine::Tansu as i32);
        let missing = dir.path().join("no-tansu");
        let err = runtime(missing.to_str().unwrap(), "")
            .check_available(&c)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), "TANSU_NOT_FOUND");
        assert!(err.to_string().contains(TANSU_INSTALL), "{err}");
        assert!(err.to_string().contains("no-tansu"), "{err}");

        // Executable but broken.
        let fake = dir.path().join("tansu");
        std::fs::write(&fake, "#!/bin/sh\nexit 3\n").unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = runtime(fake.to_str().unwrap(), "")
            .check_available(&c)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), "TANSU_NOT_RUNNABLE");
    }

    #[tokio::test]
    async fn kafka_with_a_rest_proxy_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("kafka");
        kafka_jvm::tests::fake_layout(&home);
        let mut c = cluster(dir.path(), 1, &[9001]);
        c.rest_proxy_config = Some(crate::pb::RestProxyConfig {
            enabled: Some(true),
            ..Default::default()
        });
        let rt = runtime("", home.to_str().unwrap());
        let e = rt.check_available(&c).await.unwrap_err();
        assert_eq!(e.reason(), "UNSUPPORTED_BY_RUNTIME");
        assert!(e.to_string().contains("rest_proxy_config.enabled"), "{e}");
    }

    #[test]
    fn symbolic_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let link = dir.path().join("broker-1");
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        let err = real_dir(&link, true).unwrap_err();
        assert_eq!(err.reason(), "UNSAFE_PATH");
        let file_link = dir.path().join("broker.pid");
        std::os::unix::fs::symlink(outside.path().join("x"), &file_link).unwrap();
        assert_eq!(
            write_private(&file_link, "1").unwrap_err().reason(),
            "UNSAFE_PATH"
        );
        assert!(!outside.path().join("x").exists());
        assert_eq!(read_small(&file_link).unwrap_err().reason(), "UNSAFE_PATH");

        let c = cluster(&link, 1, &[9001]);
        assert_eq!(cluster_dir(&c).unwrap_err().reason(), "UNSAFE_PATH");
    }

    #[test]
    fn log_tail_reads_only_this_start() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join(LOG_FILE);
        std::fs::write(&log, "old 1\nold 2\n").unwrap();
        let offset = std::fs::metadata(&log).unwrap().len();
        let mut text = String::from("old 1\nold 2\n");
        for i in 0..30 {
            text.push_str(&format!("line {i}\n"));
        }
        std::fs::write(&log, &text).unwrap();
        let tail = log_tail(&log, offset, 20);
        assert_eq!(tail.lines().count(), 20);
        assert!(
            tail.starts_with("line 10\n") && tail.ends_with("line 29"),
            "{tail}"
        );
        assert_eq!(log_tail(&log, offset, 100).lines().count(), 30);
        assert_eq!(log_tail(&dir.path().join("none"), 0, 5), "");
    }

    /// A stand-in broker (`sleep`) in broker-1 of a one-broker cluster.
    fn fake_broker(root: &Path) -> (Cluster, u32) {
        let dir = root.canonicalize().unwrap().join("broker-1");
        real_dir(&dir, true).unwrap();
        let s = spawn(&Launch {
            name: "broker-1".into(),
            dir: dir.clone(),
            program: "/bin/sleep".into(),
            args: vec!["300".into()],
            env: Vec::new(),
        })
        .unwrap();
        let mut c = cluster(root, 1, &[1]);
        c.kafka_config.as_mut().unwrap().engine = Some(BrokerEngine::Tansu as i32);
        (c, s.pid)
    }

    #[tokio::test]
    async fn pid_files_are_the_source_of_truth() {
        let root = tempfile::tempdir().unwrap();
        let rt = runtime("", "");
        let empty = rt.observe(&cluster(root.path(), 2, &[1, 2])).await.unwrap();
        assert_eq!(empty.liveness, Liveness::Down);
        assert_eq!(empty.services.len(), 2);
        assert!(empty.services.iter().all(|s| s.state == "missing"));

        let (c, pid) = fake_broker(root.path());
        let seen = rt.observe(&c).await.unwrap();
        assert_eq!(seen.liveness, Liveness::Up, "{}", seen.detail);
        assert_eq!(seen.services[0].state, "running");
        assert_eq!(seen.services[0].runtime_id, pid.to_string());
        assert_eq!(seen.services[0].ports, [1]);
        // Its own session and process group.
        assert_eq!(unsafe { libc::getpgid(pid as i32) }, pid as i32);
        assert_eq!(unsafe { libc::getsid(pid as i32) }, pid as i32);

        // Killed behind lkm's back: exited, and the stale pid file goes.
        signal_group(pid, libc::SIGKILL);
        assert!(wait_gone(pid, Duration::from_secs(5)).await);
        let seen = rt.observe(&c).await.unwrap();
        assert_eq!(seen.liveness, Liveness::Down);
        assert_eq!(seen.services[0].state, "exited");
        assert!(seen.detail.contains("broker-1"), "{}", seen.detail);
        let pid_file = root.path().join("broker-1").join(PID_FILE);
        assert!(!pid_file.exists());
        assert_eq!(rt.observe(&c).await.unwrap().services[0].state, "missing");

        // A pid file naming a live process that is not the broker (pid reuse) is not trusted.
        std::fs::write(&pid_file, format!("{}\n", std::process::id())).unwrap();
        let seen = rt.observe(&c).await.unwrap();
        assert_eq!(seen.services[0].state, "exited");
        assert_eq!(seen.liveness, Liveness::Down);
        // ... and stop leaves that process alone.
        std::fs::write(&pid_file, format!("{}\n", std::process::id())).unwrap();
        rt.stop(&c, false).await.unwrap();
        assert!(!pid_file.exists());
    }

    #[tokio::test]
    async fn stop_terminates_the_process_group() {
        let root = tempfile::tempdir().unwrap();
        let rt = runtime("", "");
        let (c, pid) = fake_broker(root.path());
        let two = cluster(root.path(), 2, &[1, 2]);
        let seen = rt.observe(&two).await.unwrap();
        assert_eq!(seen.liveness, Liveness::Partial);
        assert!(seen.detail.contains("broker-2"), "{}", seen.detail);
        rt.stop(&c, false).await.unwrap();
        assert!(!alive(pid));
        assert!(!root.path().join("broker-1").join(PID_FILE).exists());
        assert_eq!(rt.observe(&c).await.unwrap().liveness, Liveness::Down);
        // Stopping what is stopped is fine.
        rt.stop(&c, true).await.unwrap();
        rt.remove(&c, false).await.unwrap();
    }
}
