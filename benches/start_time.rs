//! Time from StartCluster to RUNNING against a bare peer measured in the same run, rounds
//! alternating between the two so that machine noise hits both alike.
//!
//! On Apache Kafka (the default test broker): lkm's process runtime starting a one-broker
//! KRaft cluster, both a first start (lkm formats the storage) and a restart of the stopped
//! cluster, against the same JVM launched by hand — `java <same flags> -cp "<home>/libs/*"
//! kafka.Kafka <same properties>`, after `kafka.tools.StorageTool format` for a first start —
//! followed by a TCP poll and the same metadata poll lkm uses. The peer's command lines come
//! from lkm's own builders (src/runtime/kafka_jvm.rs), so the flags are identical.
//!
//! With LKM_TEST_BROKER=tansu: the tansu binary (process runtime) and the lkm/tansu image
//! (Docker runtime, when present) against spawning the binary / `docker run` of the image.
//!
//!   cargo bench --bench start_time      (LKM_BENCH_RUNS, default 5)
//!
//! Prints medians and the ratio lkm / peer; a ratio near 1 means lkm adds little.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Db, Env, docker, docker_cleanup, unique_name};
use lkm::config::RuntimeKind;
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::*;
use lkm::runtime::kafka_jvm::{self, Distribution, Java, JvmSettings};
use support::{Peer, median, runs};
use tonic::transport::Channel;

const IMAGE: &str = "lkm/tansu:latest";
/// Bound of every wait for a broker.
const WAIT: Duration = Duration::from_secs(120);

/// A port below the ephemeral range, free now.
fn fresh_port() -> u16 {
    common::fresh_port_range(1).start
}

/// Cheap TCP polls until `addr` accepts, then lkm's metadata poll (what StartCluster does).
async fn wait_answering(addr: &str) {
    let deadline = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "{addr} never listened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    lkm::kafka::wait_ready(&[addr.to_string()], 1, WAIT)
        .await
        .unwrap();
}

/// Medians, and the median of the per-round ratios: a round's two starts run next to each
/// other, so their ratio is what the machine's changing load disturbs least.
fn row(what: &str, lkm: &[Duration], peer: &[Duration], peer_name: &str) {
    let (l, p) = (median(lkm.to_vec()), median(peer.to_vec()));
    let mut ratios: Vec<f64> = lkm
        .iter()
        .zip(peer)
        .map(|(l, p)| l.as_secs_f64() / p.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "| {what} | {:.2} s | {peer_name} | {:.2} s | {:.2} | {:.2} |",
        l.as_secs_f64(),
        p.as_secs_f64(),
        ratios[ratios.len() / 2],
        l.as_secs_f64() / p.as_secs_f64()
    );
}

fn header() {
    println!(
        "| | lkm StartCluster → RUNNING | peer | peer | ratio (median of rounds) | ratio of medians |"
    );
    println!("|---|---|---|---|---|---|");
}

// ---- Apache Kafka ----------------------------------------------------------------------

/// The bare peer's broker: lkm's cluster settings, the listener properties a one-node KRaft
/// combined broker needs, lkm's JVM flags.
struct BarePeer {
    java: Java,
    dist: Distribution,
    heap: Option<String>,
    settings: std::collections::BTreeMap<String, String>,
}

impl BarePeer {
    fn properties(&self, dir: &Path, port: u16, controller: u16) -> std::path::PathBuf {
        let mut p = self.settings.clone();
        let mut put = |k: &str, v: String| {
            p.insert(k.into(), v);
        };
        put("node.id", "1".into());
        put("process.roles", "broker,controller".into());
        put(
            "listeners",
            format!("PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}"),
        );
        put(
            "advertised.listeners",
            format!("PLAINTEXT://127.0.0.1:{port}"),
        );
        put(
            "listener.security.protocol.map",
            "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT".into(),
        );
        put("controller.listener.names", "CONTROLLER".into());
        put("inter.broker.listener.name", "PLAINTEXT".into());
        put(
            "controller.quorum.voters",
            format!("1@127.0.0.1:{controller}"),
        );
        put("log.dirs", dir.join("data").display().to_string());
        let text: String = p.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let file = dir.join("server.properties");
        std::fs::write(&file, text).unwrap();
        std::fs::write(dir.join(kafka_jvm::LOG4J_FILE), kafka_jvm::log4j_config()).unwrap();
        file
    }

    fn command(&self, program: &Path, args: &[String], dir: &Path) -> Command {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("broker.log"))
            .unwrap();
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        cmd
    }

    /// (first start with formatting, restart of the stopped broker).
    async fn run(&self) -> (Duration, Duration) {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let (port, controller) = (fresh_port(), fresh_port());
        let props = self.properties(dir, port, controller);
        let addr = format!("127.0.0.1:{port}");
        let kraft_id = lkm::runtime::spec::kraft_cluster_id(&uuid::Uuid::new_v4().to_string());
        let (fmt_program, fmt_args) =
            kafka_jvm::format_command(&self.java, &self.dist, dir, &kraft_id, &props);
        let settings = JvmSettings {
            heap: self.heap.clone(),
            jmx: None,
            extra: common::TEST_JVM_OPTIONS
                .split_whitespace()
                .map(String::from)
                .collect(),
        };
        let (program, args) =
            kafka_jvm::broker_command(&self.java, &self.dist, dir, &props, &settings).unwrap();

        let t = Instant::now();
        let status = self
            .command(&fmt_program, &fmt_args, dir)
            .status()
            .expect("storage tool");
        assert!(status.success(), "format failed: see {}", dir.display());
        let mut broker = Peer::spawn("bare broker", &mut self.command(&program, &args, dir));
        wait_answering(&addr).await;
        let first = t.elapsed();
        broker.stop(WAIT);

        let t = Instant::now();
        let mut broker = Peer::spawn("bare broker", &mut self.command(&program, &args, dir));
        wait_answering(&addr).await;
        let restart = t.elapsed();
        broker.stop(WAIT);
        (first, restart)
    }
}

/// (first start, restart) of one lkm cluster, each StartCluster → RUNNING.
async fn lkm_run(g: &mut ClusterServiceClient<Channel>, name: &str) -> (Duration, Duration) {
    let start = |g: &mut ClusterServiceClient<Channel>| {
        let mut g = g.clone();
        let name = name.to_string();
        async move {
            let t = Instant::now();
            let c = g
                .start_cluster(StartClusterRequest {
                    cluster_id: name,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .cluster
                .unwrap();
            let took = t.elapsed();
            assert_eq!(c.status(), ClusterStatus::Running);
            took
        }
    };
    let first = start(g).await;
    g.stop_cluster(StopClusterRequest {
        cluster_id: name.into(),
        cleanup: false,
    })
    .await
    .unwrap();
    let restart = start(g).await;
    g.delete_cluster(DeleteClusterRequest {
        cluster_id: name.into(),
        force: true,
        keep_data: false,
    })
    .await
    .unwrap();
    (first, restart)
}

async fn kafka_rows() {
    let Some(env) = Env::with_test_broker(Db::Sqlite, |_| {}).await else {
        return;
    };
    let home = env.server.config.kafka_home.clone();
    let dist = kafka_jvm::distribution(&home).unwrap();
    let java = kafka_jvm::java().await.unwrap();
    let mut g = env.server.clusters().await;
    let prefix = unique_name("bench");
    let request = |i: usize| CreateClusterRequest {
        auto_start: Some(false),
        ..common::broker_cluster(&format!("{prefix}-{i}"), "sqlite")
    };
    // The peer runs what lkm would run for the same cluster.
    let template = g
        .create_cluster(request(0))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let peer = BarePeer {
        java: java.clone(),
        dist: dist.clone(),
        heap: template
            .kafka_config
            .as_ref()
            .and_then(|k| k.heap_size.clone()),
        settings: lkm::runtime::spec::broker_settings(&template),
    };
    let n = runs();
    let (mut lkm_first, mut lkm_restart, mut peer_first, mut peer_restart) =
        (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        if i > 0 {
            g.create_cluster(request(i)).await.unwrap();
        }
        let name = format!("{prefix}-{i}");
        // Alternate who goes first.
        let (ours, theirs) = if i % 2 == 0 {
            let p = peer.run().await;
            (lkm_run(&mut g, &name).await, p)
        } else {
            let l = lkm_run(&mut g, &name).await;
            (l, peer.run().await)
        };
        eprintln!(
            "round {i}: lkm {:?} / {:?}, peer {:?} / {:?}",
            ours.0, ours.1, theirs.0, theirs.1
        );
        lkm_first.push(ours.0);
        lkm_restart.push(ours.1);
        peer_first.push(theirs.0);
        peer_restart.push(theirs.1);
    }
    println!(
        "\nApache Kafka {} (process runtime, one combined KRaft broker, heap {}, {}), median of {n}\n",
        dist.version,
        peer.heap.as_deref().unwrap_or("1G"),
        common::TEST_JVM_OPTIONS
    );
    header();
    row(
        "first start (formats storage)",
        &lkm_first,
        &peer_first,
        "StorageTool format + java kafka.Kafka + metadata poll",
    );
    row(
        "restart",
        &lkm_restart,
        &peer_restart,
        "java kafka.Kafka + metadata poll",
    );
    env.finish().await;
}

// ---- tansu (LKM_TEST_BROKER=tansu) ---------------------------------------------------

/// lkm: create (not started) then time StartCluster until it returns RUNNING.
async fn tansu_lkm_start(runtime: RuntimeKind) -> Vec<Duration> {
    let env = Env::with_test_broker(Db::Sqlite, |c| c.runtime = runtime)
        .await
        .unwrap();
    let mut g = env.server.clusters().await;
    let prefix = unique_name("bench");
    let mut times = vec![];
    for i in 0..runs() {
        let name = format!("{prefix}-{i}");
        g.create_cluster(CreateClusterRequest {
            name: name.clone(),
            template_id: "tansu-dev".into(),
            auto_start: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
        let t = Instant::now();
        let c = g
            .start_cluster(StartClusterRequest {
                cluster_id: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .cluster
            .unwrap();
        times.push(t.elapsed());
        assert_eq!(c.status(), ClusterStatus::Running);
        g.delete_cluster(DeleteClusterRequest {
            cluster_id: name,
            force: true,
            keep_data: false,
        })
        .await
        .unwrap();
    }
    docker_cleanup(&prefix);
    env.finish().await;
    times
}

/// Peer: `docker run` of the same image, then poll metadata.
async fn docker_run_peer() -> Vec<Duration> {
    let mut times = vec![];
    for _ in 0..runs() {
        let port = fresh_port();
        let name = unique_name("benchpeer");
        let t = Instant::now();
        let (ok, out) = docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "-p",
            &format!("127.0.0.1:{port}:9092"),
            IMAGE,
            "broker",
            "--listener-url",
            "tcp://0.0.0.0:9092",
            "--advertised-listener-url",
            &format!("tcp://127.0.0.1:{port}"),
            "--storage-engine",
            "sqlite://tansu.db",
        ]);
        assert!(ok, "{out}");
        wait_answering(&format!("127.0.0.1:{port}")).await;
        times.push(t.elapsed());
        docker(&["rm", "-f", &name]);
    }
    times
}

/// Peer: spawn the tansu binary, then poll metadata.
async fn tansu_process_peer(tansu: &Path) -> Vec<Duration> {
    let mut times = vec![];
    for _ in 0..runs() {
        let port = fresh_port();
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let _broker = Peer::spawn(
            "tansu",
            Command::new(tansu)
                .args([
                    "broker",
                    "--listener-url",
                    &format!("tcp://127.0.0.1:{port}"),
                    "--advertised-listener-url",
                    &format!("tcp://127.0.0.1:{port}"),
                    "--storage-engine",
                    "sqlite://tansu.db",
                ])
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_answering(&format!("127.0.0.1:{port}")).await;
        times.push(t.elapsed());
    }
    times
}

async fn tansu_rows() {
    let Some(tansu) = common::tansu_binary() else {
        return;
    };
    println!("\ntansu, median of {}\n", runs());
    header();
    if common::docker_available() && common::docker_has_image(IMAGE) {
        let peer = docker_run_peer().await;
        let ours = tansu_lkm_start(RuntimeKind::Docker).await;
        row("docker runtime", &ours, &peer, "docker run + metadata poll");
    } else {
        println!("| docker runtime | skipped (no Docker engine or no {IMAGE}) | | | | |");
    }
    let peer = tansu_process_peer(&tansu).await;
    let ours = tansu_lkm_start(RuntimeKind::Process).await;
    row(
        "process runtime",
        &ours,
        &peer,
        "tansu spawn + metadata poll",
    );
}

#[tokio::main]
async fn main() {
    match common::test_broker() {
        common::TestBroker::Kafka => kafka_rows().await,
        common::TestBroker::Tansu => tansu_rows().await,
    }
}
