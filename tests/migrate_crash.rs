//! A migration survives `kill -9` of lkm at any moment, on real Kafka: lkm runs as its own
//! process (`lkm serve`), is killed at many points of one copy (before its first checkpoint,
//! mid-way several times, once the records are all there but before the end) and started
//! again on the same data directory each time. In the end both sides, read with kcat, hold
//! the same records at the same offsets, the translated group offsets are the source's, and a
//! stranger's record slipped into the target makes the verification fail.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{BrokerGuard, TestBroker};
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::operation_service_client::OperationServiceClient;
use lkm::pb::*;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use tonic::transport::Channel;

const TOPIC: &str = "orders";
const PARTITIONS: i32 = 3;
const RECORDS: i32 = 90_000;

/// `lkm serve` as a child process on a data directory; killed (SIGKILL) on drop.
struct Lkm {
    child: Child,
    addr: SocketAddr,
    /// Settings every start of this lkm gets (the runtime).
    base: Vec<(String, String)>,
}

impl Lkm {
    fn start_with(dir: &Path, settings: &[(&str, &str)]) -> Lkm {
        Self::start_on(dir, Vec::new(), settings)
    }

    /// lkm again on the same data directory, with the same base settings.
    fn again(&self, dir: &Path, settings: &[(&str, &str)]) -> Lkm {
        Self::start_on(dir, self.base.clone(), settings)
    }

    fn start_on(dir: &Path, base: Vec<(String, String)>, settings: &[(&str, &str)]) -> Lkm {
        let config = dir.join("lkm.toml");
        std::fs::write(&config, "").unwrap();
        static STARTS: AtomicUsize = AtomicUsize::new(0);
        let log = dir.join(format!(
            "lkm-{}.log",
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lkm"));
        // Only the settings given here: none from the environment of the test run.
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("LKM_")) {
            cmd.env_remove(k);
        }
        cmd.arg("serve")
            .env("LKM_CONFIG", &config)
            .env("LKM_LISTEN", "127.0.0.1:0")
            .env("LKM_DATA_DIR", dir.join("data"))
            .env("LKM_RUNTIME", "process")
            .env("LKM_AUTH", "false")
            .env("LKM_PORT_RANGE", common::fresh_port_range(100).to_string())
            .env("LKM_KAFKA_HOME", common::kafka_home().unwrap())
            .env("LKM_KAFKA_JVM_OPTIONS", common::TEST_JVM_OPTIONS)
            .env("LKM_LOG_FORMAT", "json")
            .envs(base.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // The address is in the "serving" log line; the rest of the log goes to a file.
        let stderr = child.stderr.take().unwrap();
        let log_path = log.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut out = std::fs::File::create(&log).unwrap();
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = serving_address(&line)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr);
                }
                use std::io::Write;
                let _ = writeln!(out, "{line}");
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| {
                let _ = child.wait();
                panic!(
                    "lkm serve printed no address ({e}): {}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                )
            });
        Lkm { child, addr, base }
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
}

impl Drop for Lkm {
    fn drop(&mut self) {
        self.kill();
    }
}

fn serving_address(line: &str) -> Option<SocketAddr> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = v.get("fields")?;
    if !fields
        .get("message")?
        .as_str()?
        .starts_with("lkm is serving")
    {
        return None;
    }
    fields.get("addr")?.as_str()?.parse().ok()
}

fn producer(bootstrap: &str) -> ThreadedProducer<DefaultProducerContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .unwrap()
}

/// `n` records with distinct keys, values and a header, spread over the partitions.
fn fill(bootstrap: &str, topic: &str, n: i32) {
    let p = producer(bootstrap);
    for i in 0..n {
        let value = format!("{i:08}-{}", "x".repeat(180));
        let seq = i.to_string();
        let record = BaseRecord::to(topic)
            .partition(i % PARTITIONS)
            .key(&seq)
            .payload(&value)
            .headers(
                rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
                    key: "seq",
                    value: Some(&seq),
                }),
            );
        let mut record = record;
        loop {
            match p.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    // Queue full: let it drain.
                    p.poll(Duration::from_millis(10));
                    record = r;
                }
            }
        }
    }
    p.flush(Duration::from_secs(60)).unwrap();
}

fn consumer(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap()
}

/// Records on the target's partitions now, read with a client of the test's own.
fn target_records(watcher: &BaseConsumer, topic: &str) -> i64 {
    (0..PARTITIONS)
        .map(|p| {
            watcher
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .map_or(0, |(low, high)| high - low)
        })
        .sum()
}

async fn create_cluster(lkm: &Lkm, req: CreateClusterRequest) -> Cluster {
    let mut g = ClusterServiceClient::new(lkm.channel().await);
    let c = g
        .create_cluster(req)
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    c
}

/// Deletes clusters through lkm (their brokers outlived every kill of lkm).
async fn delete_clusters(lkm: &Lkm, names: &[&str]) {
    let mut g = ClusterServiceClient::new(lkm.channel().await);
    for name in names {
        g.delete_cluster(DeleteClusterRequest {
            cluster_id: name.to_string(),
            force: true,
            keep_data: false,
        })
        .await
        .unwrap();
    }
}

async fn operation(lkm: &Lkm, id: &str) -> Option<Operation> {
    let mut ops = OperationServiceClient::new(lkm.channel().await);
    ops.get_operation(GetOperationRequest {
        operation_id: id.into(),
    })
    .await
    .ok()?
    .into_inner()
    .operation
}

async fn migrate(lkm: &Lkm, topic: &str) -> Operation {
    migrate_between(lkm, "src", "dst", topic).await
}

async fn migrate_between(lkm: &Lkm, src: &str, dst: &str, topic: &str) -> Operation {
    OperationServiceClient::new(lkm.channel().await)
        .migrate_data(MigrateDataRequest {
            source_cluster_id: src.into(),
            target_cluster_id: dst.into(),
            topics: vec![topic.into()],
            include_consumer_groups: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap()
}

/// Records copied according to the checkpoint lkm left in its registry, and whether that
/// says the operation ended.
async fn checkpointed(data: &Path, id: &str) -> (i64, bool) {
    let registry =
        lkm::registry::Registry::connect(&lkm::registry::sqlite_url(&data.join("lkm.db")))
            .await
            .unwrap();
    let op = registry.get_operation(id).await.unwrap().unwrap();
    let copied = op
        .progress
        .as_ref()
        .map_or(0, |p| p.partitions.iter().map(|x| x.messages_copied).sum());
    (copied, op.completed_at.is_some())
}

async fn wait_end(lkm: &Lkm, id: &str) -> Operation {
    common::eventually(Duration::from_secs(240), || async {
        operation(lkm, id)
            .await
            .filter(|o| o.completed_at.is_some())
    })
    .await
    .expect("the migration ended")
}

/// Every record (partition, offset, key, value, headers, timestamp), in order.
fn dump(bootstrap: &str, topic: &str) -> Vec<common::KcatRecord> {
    let mut records = common::kcat_consume(bootstrap, topic);
    records.sort_by_key(|r| (r.partition, r.offset));
    records
}

/// Kills lkm when the target holds at least each of `thresholds` records, and more than at
/// the kill before (the last threshold: every record, while the operation may not have
/// ended), starting it again between kills. Returns lkm (killed, unless the operation ended
/// first) and for each kill the records on the target and what the checkpoint had.
async fn kill_at(
    dir: &Path,
    mut lkm: Lkm,
    id: &str,
    topic: &str,
    watcher: &BaseConsumer,
    thresholds: &[i64],
) -> (Lkm, Vec<(i64, (i64, bool))>) {
    let data = dir.join("data");
    let mut kills: Vec<(i64, (i64, bool))> = Vec::new();
    for (i, &wanted) in thresholds.iter().enumerate() {
        if i > 0 {
            // Checkpoints every 200 ms: kills also land between a checkpoint and the next.
            lkm = lkm.again(dir, &[("LKM_OPERATION_CHECKPOINT_MS", "200")]);
        }
        let threshold = kills
            .last()
            .map_or(wanted, |(there, _)| wanted.max(there + 1));
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut ops = OperationServiceClient::new(lkm.channel().await);
        let mut last = None;
        for poll in 0u64.. {
            let there = target_records(watcher, topic);
            if there >= threshold {
                lkm.kill();
                kills.push((there, checkpointed(&data, id).await));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the copy stalled below {threshold}: {last:?}"
            );
            if poll % 20 != 19 {
                tokio::time::sleep(Duration::from_millis(2)).await;
                continue;
            }
            let op = ops
                .get_operation(GetOperationRequest {
                    operation_id: id.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .operation
                .unwrap();
            if op.completed_at.is_some() {
                eprintln!(
                    "{topic}: the migration ended ({:?} {}) with {there} records on the target",
                    op.status(),
                    op.error_message
                );
                return (lkm, kills);
            }
            last = op.progress;
        }
    }
    (lkm, kills)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_killed_at_many_points_ends_exact() {
    if common::test_broker() != TestBroker::Kafka || common::kcat().is_none() {
        common::skip("the crash test runs lkm's process runtime on real Kafka, with kcat");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _brokers = BrokerGuard(dir.path().join("data"));
    // The first lkm checkpoints only at the end: the first kill comes before its first
    // progress checkpoint, with records on the target. The others checkpoint every second.
    let lkm = Lkm::start_with(dir.path(), &[("LKM_OPERATION_CHECKPOINT_MS", "3600000")]);
    let src = create_cluster(&lkm, common::broker_cluster("src", "sqlite")).await;
    let dst = create_cluster(&lkm, common::broker_cluster("dst", "sqlite")).await;
    let (sb, db) = (
        src.endpoints["kafka"].clone(),
        dst.endpoints["kafka"].clone(),
    );
    ClusterServiceClient::new(lkm.channel().await)
        .create_topic(CreateTopicRequest {
            cluster_id: "src".into(),
            name: TOPIC.into(),
            partitions: Some(PARTITIONS),
            ..Default::default()
        })
        .await
        .unwrap();
    // On the target the topic exists, empty: the copy starts writing at once.
    ClusterServiceClient::new(lkm.channel().await)
        .create_topic(CreateTopicRequest {
            cluster_id: "dst".into(),
            name: TOPIC.into(),
            partitions: Some(PARTITIONS),
            ..Default::default()
        })
        .await
        .unwrap();
    let b = sb.clone();
    tokio::task::spawn_blocking(move || {
        fill(&b, TOPIC, RECORDS);
        let per = i64::from(RECORDS / PARTITIONS);
        common::commit_offsets(&b, "g-spread", TOPIC, &[(0, 1000), (1, 0), (2, per)]);
        common::commit_offsets(
            &b,
            "g-middle",
            TOPIC,
            &[(0, per / 2), (1, per / 2 + 7), (2, per - 1)],
        );
    })
    .await
    .unwrap();
    let watcher = consumer(&db, "lkm-test-watcher");

    let op = migrate(&lkm, TOPIC).await;
    let total = i64::from(RECORDS);
    let thresholds: Vec<i64> = [0, 10, 25, 40, 55, 70, 85, 100]
        .iter()
        .map(|pct| (total * pct / 100).max(1))
        .collect();
    let (mut lkm, kills) = kill_at(dir.path(), lkm, &op.id, TOPIC, &watcher, &thresholds).await;
    if !lkm.running() {
        lkm = lkm.again(dir.path(), &[]);
    }
    eprintln!("kills (records on the target, records checkpointed): {kills:?}");
    assert!(
        kills.len() >= 5,
        "killed at only {} points: {kills:?}",
        kills.len()
    );
    assert!(
        kills
            .first()
            .is_some_and(|(there, (saved, _))| *saved == 0 && *there > 0),
        "one kill came before the first checkpoint, with records on the target: {kills:?}"
    );
    assert!(
        kills
            .iter()
            .filter(|(there, (saved, _))| there > saved && *saved > 0)
            .count()
            >= 2,
        "kills after a progress checkpoint, with records delivered since: {kills:?}"
    );
    assert!(
        kills
            .iter()
            .filter(|(there, (saved, _))| there > saved)
            .count()
            >= 3,
        "kills between deliveries and their checkpoint: {kills:?}"
    );

    let after_copy = kills
        .iter()
        .any(|(there, (_, ended))| *there == total && !ended);
    eprintln!("killed with every record copied but the migration not ended: {after_copy}");
    let done = wait_end(&lkm, &op.id).await;
    assert_eq!(
        done.status(),
        OperationStatus::Succeeded,
        "{}",
        done.error_message
    );
    let Some(operation::Results::Migration(result)) = &done.results else {
        panic!("{done:?}")
    };
    assert!(result.verified, "{:?}", result.verification);
    for v in &result.verification {
        assert_eq!(v.target_count, i64::from(RECORDS / PARTITIONS), "{v:?}");
    }
    // The target is the source, record for record, at the same offsets (nothing twice).
    let source = dump(&sb, TOPIC);
    assert_eq!(source.len(), RECORDS as usize);
    assert_eq!(dump(&db, TOPIC), source);
    // The groups continue where they were (the offsets are the same on both sides).
    let b = db.clone();
    let s = sb.clone();
    tokio::task::spawn_blocking(move || {
        for group in ["g-spread", "g-middle"] {
            assert_eq!(
                common::committed_offsets(&b, group, TOPIC, PARTITIONS),
                common::committed_offsets(&s, group, TOPIC, PARTITIONS),
                "{group}"
            );
        }
    })
    .await
    .unwrap();
    for g in &result.consumer_groups {
        for o in &g.offsets {
            assert_eq!(o.source_offset, o.target_offset, "{g:?}");
        }
    }

    // A stranger's record written into the target during a crash is not taken for one of
    // the migration's own: the verification reads the whole partition and fails.
    let tampered = "tampered";
    ClusterServiceClient::new(lkm.channel().await)
        .create_topic(CreateTopicRequest {
            cluster_id: "src".into(),
            name: tampered.into(),
            partitions: Some(PARTITIONS),
            ..Default::default()
        })
        .await
        .unwrap();
    let b = sb.clone();
    tokio::task::spawn_blocking(move || fill(&b, tampered, RECORDS / 3))
        .await
        .unwrap();
    ClusterServiceClient::new(lkm.channel().await)
        .create_topic(CreateTopicRequest {
            cluster_id: "dst".into(),
            name: tampered.into(),
            partitions: Some(PARTITIONS),
            ..Default::default()
        })
        .await
        .unwrap();
    // A client that knows the new topic.
    let watcher = consumer(&db, "lkm-test-watcher");
    let op = migrate(&lkm, tampered).await;
    // The kill comes with the first records on the target (no progress checkpoint yet).
    let (lkm_killed, kills) = kill_at(dir.path(), lkm, &op.id, tampered, &watcher, &[1]).await;
    assert_eq!(kills.len(), 1, "killed during the second copy");
    let b = db.clone();
    tokio::task::spawn_blocking(move || {
        let p = producer(&b);
        p.send(
            BaseRecord::to(tampered)
                .partition(0)
                .key("stranger")
                .payload("not from the source"),
        )
        .map_err(|(e, _)| e)
        .unwrap();
        p.flush(Duration::from_secs(30)).unwrap();
    })
    .await
    .unwrap();
    let lkm = lkm_killed.again(dir.path(), &[]);
    let done = wait_end(&lkm, &op.id).await;
    assert_eq!(done.status(), OperationStatus::Failed, "{done:?}");
    assert!(
        done.error_message.contains("verification failed"),
        "{}",
        done.error_message
    );
    let Some(operation::Results::Migration(result)) = &done.results else {
        panic!("{done:?}")
    };
    assert!(!result.verified);
    let bad: Vec<i32> = result
        .verification
        .iter()
        .filter(|v| !v.matched)
        .map(|v| v.partition)
        .collect();
    assert_eq!(bad, vec![0], "{:?}", result.verification);

    // Delete the clusters through lkm (their brokers outlived every kill).
    delete_clusters(&lkm, &["src", "dst"]).await;
    drop(lkm);
}

/// The same into a Docker-runtime cluster: lkm runs Kafka containers (the test image with
/// the apache/kafka contract), is killed at several points of a copy between two of them, and
/// is started again each time; the containers outlive every kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_between_docker_clusters_killed_mid_way_ends_exact() {
    const IMAGE: &str = "lkm-test/kafka:4.1.0";
    if !common::docker_available() || !common::docker_has_image(IMAGE) || common::kcat().is_none() {
        common::skip("needs Docker, the Kafka test image (scripts/build-kafka-image) and kcat");
        return;
    }
    let prefix = common::unique_name("crash");
    let _containers = common::DockerGuard(prefix.clone());
    let dir = tempfile::tempdir().unwrap();
    let lkm = Lkm::start_on(
        dir.path(),
        vec![
            ("LKM_RUNTIME".into(), "docker".into()),
            ("LKM_ALLOWED_IMAGES".into(), format!("[\"{IMAGE}\"]")),
        ],
        &[("LKM_OPERATION_CHECKPOINT_MS", "3600000")],
    );
    let (src_name, dst_name) = (format!("{prefix}-src"), format!("{prefix}-dst"));
    let kafka = |name: &str| CreateClusterRequest {
        name: name.into(),
        template_id: "testing".into(),
        kafka_config: Some(KafkaConfig {
            image: Some(IMAGE.into()),
            heap_size: Some(common::TEST_HEAP.into()),
            ..Default::default()
        }),
        rest_proxy_config: Some(RestProxyConfig {
            enabled: Some(false),
            ..Default::default()
        }),
        ui_config: Some(UiConfig {
            enabled: Some(false),
            ..Default::default()
        }),
        auto_start: Some(true),
        ..Default::default()
    };
    let src = create_cluster(&lkm, kafka(&src_name)).await;
    let dst = create_cluster(&lkm, kafka(&dst_name)).await;
    let (sb, db) = (
        src.endpoints["kafka"].clone(),
        dst.endpoints["kafka"].clone(),
    );
    for cluster in [&src_name, &dst_name] {
        ClusterServiceClient::new(lkm.channel().await)
            .create_topic(CreateTopicRequest {
                cluster_id: cluster.clone(),
                name: TOPIC.into(),
                partitions: Some(PARTITIONS),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let b = sb.clone();
    tokio::task::spawn_blocking(move || {
        fill(&b, TOPIC, RECORDS);
        common::commit_offsets(&b, "g-docker", TOPIC, &[(0, 100), (1, 0), (2, 2000)]);
    })
    .await
    .unwrap();
    let watcher = consumer(&db, "lkm-test-watcher");
    let op = migrate_between(&lkm, &src_name, &dst_name, TOPIC).await;
    let total = i64::from(RECORDS);
    let thresholds: Vec<i64> = [0, 30, 60, 100]
        .iter()
        .map(|pct| (total * pct / 100).max(1))
        .collect();
    let (mut lkm, kills) = kill_at(dir.path(), lkm, &op.id, TOPIC, &watcher, &thresholds).await;
    eprintln!("kills (records on the target, records checkpointed): {kills:?}");
    assert!(
        kills.len() >= 3,
        "killed at only {} points: {kills:?}",
        kills.len()
    );
    assert!(
        kills
            .first()
            .is_some_and(|(there, (saved, _))| *saved == 0 && *there > 0),
        "the first kill came before the first checkpoint: {kills:?}"
    );
    if !lkm.running() {
        lkm = lkm.again(dir.path(), &[]);
    }
    let done = wait_end(&lkm, &op.id).await;
    assert_eq!(
        done.status(),
        OperationStatus::Succeeded,
        "{}",
        done.error_message
    );
    let source = dump(&sb, TOPIC);
    assert_eq!(source.len(), RECORDS as usize);
    assert_eq!(dump(&db, TOPIC), source);
    let (b, s) = (db.clone(), sb.clone());
    tokio::task::spawn_blocking(move || {
        assert_eq!(
            common::committed_offsets(&b, "g-docker", TOPIC, PARTITIONS),
            common::committed_offsets(&s, "g-docker", TOPIC, PARTITIONS)
        );
    })
    .await
    .unwrap();
    delete_clusters(&lkm, &[&src_name, &dst_name]).await;
}
