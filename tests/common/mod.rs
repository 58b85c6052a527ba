//! Test harness: starts the real lkm server in-process on 127.0.0.1:0 against a real
//! registry database, and hands out gRPC and HTTP clients for it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lkm::config::{Config, RuntimeKind};
use lkm::core::ports::PortRange;
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::operation_service_client::OperationServiceClient;
use lkm::pb::template_service_client::TemplateServiceClient;
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// Which registry database a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Whether tests whose real dependency is missing must fail rather than skip (set in CI).
pub fn require_all() -> bool {
    std::env::var("LKM_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Skips (or, under LKM_TEST_REQUIRE_ALL=1, fails) a test that lacks a real dependency.
pub fn skip(why: &str) {
    if require_all() {
        panic!("required test dependency missing: {why}");
    }
    eprintln!("skipped: {why}");
}

/// A fresh, empty database of the given kind, or None when the kind is not available.
pub struct TestDatabase {
    pub url: String,
    admin_url: Option<String>,
    name: String,
}

impl TestDatabase {
    /// No database yet (lkm's default SQLite until one is created).
    pub fn none() -> TestDatabase {
        TestDatabase {
            url: String::new(),
            admin_url: None,
            name: String::new(),
        }
    }

    pub async fn create(db: Db, dir: &std::path::Path) -> Option<TestDatabase> {
        match db {
            Db::Sqlite => Some(TestDatabase {
                url: String::new(), // lkm's default: SQLite in its data directory
                admin_url: None,
                name: dir.display().to_string(),
            }),
            Db::Postgres => {
                let Ok(admin) = std::env::var("LKM_TEST_POSTGRES_URL") else {
                    skip("LKM_TEST_POSTGRES_URL is not set (a PostgreSQL server URL)");
                    return None;
                };
                let name = format!("lkm_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect to LKM_TEST_POSTGRES_URL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Some(TestDatabase {
                    url: format!("{base}/{name}"),
                    admin_url: Some(admin),
                    name,
                })
            }
        }
    }

    pub async fn drop_database(&self) {
        if let Some(admin) = &self.admin_url
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
        {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

/// A port range of `len` ports below the kernel's ephemeral range (32768 and up), starting at
/// a random port that is free now (lkm checks each port anyway). Outside the ephemeral range
/// because a client that keeps dialling a stopped broker's port there can end up connected to
/// itself (TCP simultaneous open) and so hold the port.
pub fn fresh_port_range(len: u16) -> PortRange {
    use rand::Rng;
    let mut rng = rand::rng();
    loop {
        let start = rng.random_range(10_000..32_000 - len);
        if std::net::TcpListener::bind(("127.0.0.1", start)).is_ok() {
            return PortRange {
                start,
                end: start + len - 1,
            };
        }
    }
}

pub fn test_config(data_dir: PathBuf, db: &TestDatabase) -> Config {
    Config {
        data_dir,
        database_url: db.url.clone(),
        runtime: RuntimeKind::None,
        port_range: fresh_port_range(300),
        // Feature tests run without authentication (allowed on loopback); tests/access.rs
        // and the client tests turn it on.
        auth: false,
        // Images the tests build locally.
        allowed_images: vec!["lkm-test/*".into()],
        ..Config::default()
    }
}

/// The admin token a server with authentication wrote on start (empty without one).
/// `msg` as a request carrying `token` (none when the token is empty).
pub fn with_token<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    if !token.is_empty()
        && let Ok(v) = format!("Bearer {token}").parse()
    {
        req.metadata_mut().insert("authorization", v);
    }
    req
}

pub fn admin_token(config: &Config) -> String {
    std::fs::read_to_string(config.data_dir.join("admin.token"))
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<lkm::error::Result<()>>>,
}

impl TestServer {
    pub async fn start(config: Config) -> TestServer {
        let tls = !config.tls_cert.is_empty();
        Self::start_inner(config, tls).await
    }

    async fn start_inner(config: Config, tls: bool) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let cfg = config.clone();
        let handle = tokio::spawn(async move {
            lkm::serve(listener, cfg, async {
                let _ = rx.await;
            })
            .await
        });
        let server = TestServer {
            addr,
            config,
            shutdown: Some(tx),
            handle: Some(handle),
        };
        if tls {
            server.wait_ready_tls().await;
        } else {
            server.wait_ready().await;
        }
        server
    }

    /// Waits until an HTTPS request is answered (any certificate accepted: the test checks
    /// the real one itself).
    async fn wait_ready_tls(&self) {
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let url = format!("https://{}/templates", self.addr);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while client.get(&url).send().await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "lkm (TLS) did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the server answers a health check (it answers once the registry is open).
    async fn wait_ready(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(ch) = Channel::from_shared(self.url()).unwrap().connect().await {
                let mut health = tonic_health::pb::health_client::HealthClient::new(ch);
                if health
                    .check(tonic_health::pb::HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    .is_ok()
                {
                    return;
                }
            }
            if let Some(h) = &self.handle
                && h.is_finished()
            {
                panic!("lkm server exited during start-up");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "lkm server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn rest(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn clusters(&self) -> ClusterServiceClient<Channel> {
        ClusterServiceClient::new(self.channel().await)
    }

    pub async fn templates(&self) -> TemplateServiceClient<Channel> {
        TemplateServiceClient::new(self.channel().await)
    }

    pub async fn operations(&self) -> OperationServiceClient<Channel> {
        OperationServiceClient::new(self.channel().await)
    }

    /// Graceful shutdown; returns the configuration to start it again on the same state.
    pub async fn stop(mut self) -> Config {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
        self.config.clone()
    }
}

/// A server on a fresh database of kind `db`, plus what is needed to clean up after it.
pub struct Env {
    pub server: TestServer,
    // Fields drop in this order: the brokers are killed while their pid files still exist
    // (before `dir` removes them).
    _brokers: BrokerGuard,
    pub db: TestDatabase,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn start(db: Db) -> Option<Env> {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::create(db, dir.path()).await?;
        let config = test_config(dir.path().join("data"), &db);
        let _brokers = BrokerGuard(config.data_dir.clone());
        let server = TestServer::start(config).await;
        Some(Env {
            server,
            db,
            dir,
            _brokers,
        })
    }

    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> Option<Env> {
        Self::start_configured(db, |c| {
            tweak(c);
            Some(())
        })
        .await
    }

    /// A server whose process runtime runs the test broker (see `use_test_broker`), after
    /// `tweak`; None (after `skip`) when the broker is not installed.
    pub async fn with_test_broker(db: Db, tweak: impl FnOnce(&mut Config)) -> Option<Env> {
        Self::start_configured(db, |c| {
            use_test_broker(c)?;
            tweak(c);
            Some(())
        })
        .await
    }

    async fn start_configured(
        db: Db,
        configure: impl FnOnce(&mut Config) -> Option<()>,
    ) -> Option<Env> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path().join("data"), &TestDatabase::none());
        configure(&mut config)?;
        let db = TestDatabase::create(db, dir.path()).await?;
        config.database_url = db.url.clone();
        let _brokers = BrokerGuard(config.data_dir.clone());
        let server = TestServer::start(config).await;
        Some(Env {
            server,
            db,
            dir,
            _brokers,
        })
    }

    /// Stops the server and starts a new one on the same state.
    pub async fn restart(self) -> Env {
        self.restart_with(|_| async {}).await
    }

    /// Stops the server, runs `between` while it is stopped, and starts a new one on the
    /// same state.
    pub async fn restart_with<F, Fut>(self, between: F) -> Env
    where
        F: FnOnce(Config) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let config = self.server.stop().await;
        between(config.clone()).await;
        let server = TestServer::start(config).await;
        Env {
            server,
            db: self.db,
            dir: self.dir,
            _brokers: self._brokers,
        }
    }

    /// Deletes every cluster the test left (so no broker process or container outlives the
    /// test), stops the server and drops the database.
    pub async fn finish(self) {
        // With authentication on, clean up as the bootstrap admin.
        let token = admin_token(&self.server.config);
        if let Ok(mut g) =
            tokio::time::timeout(Duration::from_secs(5), self.server.clusters()).await
            && let Ok(list) = g
                .list_clusters(with_token(
                    &token,
                    lkm::pb::ListClustersRequest {
                        page_size: 1000,
                        ..Default::default()
                    },
                ))
                .await
        {
            for c in list.into_inner().clusters {
                let req = lkm::pb::DeleteClusterRequest {
                    cluster_id: c.id,
                    force: true,
                    keep_data: false,
                };
                let _ = g.delete_cluster(with_token(&token, req)).await;
            }
        }
        self.server.stop().await;
        self.db.drop_database().await;
    }

    /// Names of the per-cluster data directories on disk.
    pub fn cluster_dirs(&self) -> Vec<String> {
        let root = self.server.config.data_dir.join("clusters");
        let mut names: Vec<String> = std::fs::read_dir(root)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// Kills the broker processes (process runtime) under a data directory when dropped: a test
/// that panics before `finish` must not leave brokers running. Part of every `Env`.
pub struct BrokerGuard(pub PathBuf);

impl Drop for BrokerGuard {
    fn drop(&mut self) {
        let Ok(clusters) = std::fs::read_dir(self.0.join("clusters")) else {
            return;
        };
        for cluster in clusters.flatten() {
            let Ok(brokers) = std::fs::read_dir(cluster.path()) else {
                continue;
            };
            for broker in brokers.flatten() {
                let dir = broker.path();
                let Some(pid) = std::fs::read_to_string(dir.join("broker.pid"))
                    .ok()
                    .and_then(|s| s.split_whitespace().next()?.parse::<i32>().ok())
                else {
                    continue;
                };
                // Only a process that still runs in the broker's directory (not a reused pid).
                let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
                if pid > 1 && cwd.as_deref() == dir.canonicalize().ok().as_deref() {
                    // SAFETY: kill(2) with a process-group id; no memory is involved.
                    unsafe {
                        libc::kill(-pid, libc::SIGKILL);
                    }
                }
            }
        }
    }
}

/// Runs each listed async test function once per registry backend.
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Db::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Db::Postgres).await } )*
        }
    };
}

/// The gRPC code and ErrorInfo reason of a failed call.
pub fn code_reason(status: &tonic::Status) -> (tonic::Code, String) {
    use tonic_types::StatusExt;
    let reason = status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default();
    (status.code(), reason)
}

/// Whether a Docker engine answers (via the docker CLI).
pub fn docker_available() -> bool {
    std::process::Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the local Docker engine has `image`.
pub fn docker_has_image(image: &str) -> bool {
    std::process::Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the docker CLI; (success, stdout + stderr).
pub fn docker(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A cluster name unique to this test run. Test clusters start with `lkmtest-` so leftovers of
/// an interrupted run can be found (and only they).
pub fn unique_name(tag: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("lkmtest-{tag}-{}", &id[..6])
}

/// Removes every Docker container, network and volume of clusters whose name starts with
/// `prefix` (cleanup when a test fails half-way).
pub fn docker_cleanup(prefix: &str) {
    let filter = format!("name=lkm-{prefix}");
    let (_, ids) = docker(&["ps", "-aq", "--filter", &filter]);
    for id in ids.split_whitespace() {
        docker(&["rm", "-f", id]);
    }
    let (_, nets) = docker(&["network", "ls", "-q", "--filter", &filter]);
    for id in nets.split_whitespace() {
        docker(&["network", "rm", id]);
    }
    let (_, vols) = docker(&["volume", "ls", "-q", "--filter", &filter]);
    for id in vols.split_whitespace() {
        docker(&["volume", "rm", "-f", id]);
    }
}

/// `kcat` with a librdkafka that speaks to the test broker (Debian's is too old for it; see
/// LKM_TEST_KCAT_LIBDIR). None (after `skip`) when kcat is not usable here.
pub fn kcat() -> Option<std::process::Command> {
    let path = std::env::var_os("PATH")?;
    let bin = std::env::split_paths(&path)
        .map(|d| d.join("kcat"))
        .find(|p| p.is_file());
    let Some(bin) = bin else {
        skip("kcat is not installed (Debian package kcat)");
        return None;
    };
    let mut cmd = std::process::Command::new(bin);
    if let Ok(dir) = std::env::var("LKM_TEST_KCAT_LIBDIR") {
        cmd.env("LD_LIBRARY_PATH", dir);
    }
    Some(cmd)
}

/// Polls `check` until it returns Some or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Removes the Docker resources of clusters named `<prefix>…` when dropped, so a failing test
/// leaves nothing behind.
pub struct DockerGuard(pub String);

impl Drop for DockerGuard {
    fn drop(&mut self) {
        docker_cleanup(&self.0);
    }
}

/// The broker the Kafka-facing tests run against: real Apache Kafka by default, tansu with
/// `LKM_TEST_BROKER=tansu`. Tests of the tansu engine itself use tansu whatever this says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBroker {
    Kafka,
    Tansu,
}

pub fn test_broker() -> TestBroker {
    match std::env::var("LKM_TEST_BROKER").as_deref() {
        Ok("tansu") => TestBroker::Tansu,
        _ => TestBroker::Kafka,
    }
}

/// The Apache Kafka distribution the tests run: `LKM_TEST_KAFKA_HOME`, else what
/// `scripts/assemble-kafka` leaves in its cache. None (after `skip`) when there is none.
pub fn kafka_home() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LKM_TEST_KAFKA_HOME")
        && !p.is_empty()
    {
        return Some(PathBuf::from(p));
    }
    let cached = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("lkm").join("kafka-4.1.0"));
    match cached {
        Some(c) if c.join("libs").is_dir() => Some(c),
        _ => {
            skip(
                "no Apache Kafka distribution: run scripts/assemble-kafka (or set LKM_TEST_KAFKA_HOME)",
            );
            None
        }
    }
}

/// JVM flags of test brokers: they live seconds, so start fast and stay small.
pub const TEST_JVM_OPTIONS: &str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
/// Heap of a test broker.
pub const TEST_HEAP: &str = "256M";

/// Sets `config` up so lkm's process runtime runs the test broker (None, after `skip`, when
/// it is not installed).
pub fn use_test_broker(config: &mut Config) -> Option<()> {
    config.runtime = RuntimeKind::Process;
    match test_broker() {
        TestBroker::Kafka => {
            config.kafka_home = kafka_home()?.display().to_string();
            config.kafka_jvm_options = TEST_JVM_OPTIONS.into();
        }
        TestBroker::Tansu => {
            config.tansu_binary = tansu_binary()?.display().to_string();
            config.kafka_home = String::new();
        }
    }
    Some(())
}

/// A request for a running one-broker cluster of the test broker: the `testing` template
/// with a small heap and 3 partitions per topic on Kafka, or `tansu-dev` with the given tansu storage engine ("sqlite"
/// where counts and timestamps matter, "memory" where topics are deleted).
pub fn broker_cluster(name: &str, tansu_engine: &str) -> lkm::pb::CreateClusterRequest {
    let (template, kafka) = match test_broker() {
        TestBroker::Kafka => (
            "testing",
            lkm::pb::KafkaConfig {
                heap_size: Some(TEST_HEAP.into()),
                // What tansu-dev clusters have, so tests expect one default on both brokers.
                num_partitions: Some(3),
                ..Default::default()
            },
        ),
        TestBroker::Tansu => (
            "tansu-dev",
            lkm::pb::KafkaConfig {
                storage_engine: Some(tansu_engine.into()),
                ..Default::default()
            },
        ),
    };
    lkm::pb::CreateClusterRequest {
        name: name.into(),
        template_id: template.into(),
        kafka_config: Some(kafka),
        auto_start: Some(true),
        ..Default::default()
    }
}

/// The template of the test broker's clusters (for tests that create them by template only,
/// e.g. through the CLI).
pub fn broker_template() -> &'static str {
    match test_broker() {
        TestBroker::Kafka => "testing",
        TestBroker::Tansu => "tansu-dev",
    }
}

/// What tansu 0.6 (see the test-broker notes) gets wrong or lacks, in one place. A test that
/// needs one of these asks `broker_lacks`; on real Kafka (the default) it always runs. No
/// test encodes these bugs as expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerGap {
    /// CreatePartitions is unsupported.
    CreatePartitions,
    /// DescribeConfigs of the BROKER resource fails (tansu 0.6 answers
    /// UNKNOWN_TOPIC_OR_PARTITION for the resource).
    DescribeBrokerConfigs,
    /// With the sqlite engine, deleting one topic drops the metadata of all topics.
    DeleteOneTopicSqlite,
    /// With the sqlite engine, DescribeConsumerGroups fails.
    DescribeGroupsSqlite,
    /// With the memory engine, high watermarks count batches, not records.
    WatermarksMemory,
    /// With the memory engine, offsets for a timestamp are always 0.
    OffsetsForTimesMemory,
    /// Topics are not auto-created on produce (Kafka's default does).
    AutoCreateTopics,
    /// DescribeConfigs reports a topic's own configs as defaults (source DEFAULT_CONFIG,
    /// is_default), so they cannot be told from the broker's defaults.
    TopicConfigSources,
    /// DescribeConsumerGroups of a stable group lists no members (and puts a member id where
    /// the assignor belongs).
    GroupMembers,
    /// Offsets for a timestamp after the last record are 0 instead of "none" (-1).
    OffsetsForFutureTimes,
}

/// Whether the broker under test lacks `gap` (prints the skip reason when it does).
pub fn broker_lacks(gap: BrokerGap) -> bool {
    if test_broker() == TestBroker::Kafka {
        return false;
    }
    eprintln!("skipped part: the test broker (tansu) lacks {gap:?}");
    true
}

/// The tansu binary: LKM_TEST_TANSU, or `tansu` on PATH (None, after `skip`, when absent).
pub fn tansu_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LKM_TEST_TANSU")
        && !p.is_empty()
    {
        return Some(PathBuf::from(p));
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("tansu"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip("tansu is not on PATH (cargo install tansu --locked --features dynostore,libsql)");
    }
    found
}

/// A tansu broker run by the test itself (a Kafka cluster lkm did not create); killed on drop.
pub struct TansuProcess {
    child: std::process::Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl TansuProcess {
    /// Starts tansu on a free port and waits until it answers metadata.
    pub async fn start() -> Option<TansuProcess> {
        let bin = tansu_binary()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(bin)
            .args([
                "broker",
                "--listener-url",
                &format!("tcp://{addr}"),
                "--advertised-listener-url",
                &format!("tcp://{addr}"),
                "--storage-engine",
                "sqlite://tansu.db",
            ])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let t = TansuProcess {
            child,
            addr,
            _dir: dir,
        };
        lkm::kafka::wait_ready(std::slice::from_ref(&t.addr), 1, Duration::from_secs(30))
            .await
            .unwrap();
        Some(t)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TansuProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One record as kcat prints it with the format below.
#[derive(Debug, PartialEq)]
pub struct KcatRecord {
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub timestamp_ms: i64,
    pub partition: i32,
    pub offset: i64,
    pub headers: String,
}

/// Reads every record of `topic` with kcat. The format carries lengths so binary keys and
/// values are read back exactly.
pub fn kcat_consume(bootstrap: &str, topic: &str) -> Vec<KcatRecord> {
    let mut kcat = kcat().expect("kcat");
    let out = kcat
        .args([
            "-b",
            bootstrap,
            "-C",
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%K %S %T %p %o\n%k%s\n%h\n",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kcat -C: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = out.stdout;
    let mut records = vec![];
    let mut i = 0;
    let line = |i: &mut usize| -> String {
        let end = data[*i..].iter().position(|b| *b == b'\n').unwrap() + *i;
        let s = String::from_utf8(data[*i..end].to_vec()).unwrap();
        *i = end + 1;
        s
    };
    while i < data.len() {
        let head = line(&mut i);
        let f: Vec<i64> = head.split(' ').map(|x| x.parse().unwrap()).collect();
        let (klen, vlen) = (f[0], f[1]);
        let key = (klen >= 0).then(|| {
            let k = data[i..i + klen as usize].to_vec();
            i += klen as usize;
            k
        });
        let value = data[i..i + vlen.max(0) as usize].to_vec();
        i += vlen.max(0) as usize;
        assert_eq!(data[i], b'\n');
        i += 1;
        let headers = line(&mut i);
        records.push(KcatRecord {
            key,
            value,
            timestamp_ms: f[2],
            partition: f[3] as i32,
            offset: f[4],
            headers,
        });
    }
    records
}

/// Commits `offsets` for `group` on `bootstrap` with a client of its own (the group
/// coordinator of a fresh cluster may need a moment: retried until a deadline).
pub fn commit_offsets(bootstrap: &str, group: &str, topic: &str, offsets: &[(i32, i64)]) {
    use rdkafka::consumer::Consumer;
    let consumer: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for (p, o) in offsets {
        tpl.add_partition_offset(topic, *p, rdkafka::Offset::Offset(*o))
            .unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match consumer.commit(&tpl, rdkafka::consumer::CommitMode::Sync) {
            Ok(()) => return,
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("commit {group}: {e}; retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("commit {group}: {e}"),
        }
    }
}

/// The offsets `group` has committed on `topic`, read with a client of its own.
pub fn committed_offsets(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> std::collections::BTreeMap<i32, i64> {
    use rdkafka::consumer::Consumer;
    let consumer: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = consumer
        .committed_offsets(tpl, Duration::from_secs(30))
        .unwrap();
    got.elements()
        .iter()
        .filter_map(|e| Some((e.partition(), e.offset().to_raw()?)))
        .filter(|(_, o)| *o >= 0)
        .collect()
}
