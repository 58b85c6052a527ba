//! Migration throughput and group-offset accuracy, all in the same run on the same brokers
//! (one-broker clusters that lkm runs; Apache Kafka by default, LKM_TEST_BROKER=tansu for
//! tansu's memory engine):
//!
//! - lkm's MigrateData (copy + exact consumer-group translation) from `src` to `dst`;
//! - a `kcat -C | kcat -P` pipe (no group translation);
//! - MirrorMaker 2 in dedicated mode (`org.apache.kafka.connect.mirror.MirrorMaker` from
//!   `<kafka_home>/mirror-maker/libs`, which scripts/assemble-kafka assembles) copying the
//!   same topic to its own target `mm2` with group offset sync on, timed from its launch until
//!   the target holds every record (Kafka only);
//! - the ceiling of a copy: how fast one kcat consumer reads the source, and one kcat producer
//!   writes the target.
//!
//! Before the copies a group is committed on the source at known offsets (a quarter into
//! partition 0, half-way plus 13 into partition 1, the end of partition 2); lkm's translated
//! offsets are exact, MirrorMaker 2's (read from the target group once its checkpoints stop
//! changing) are compared with them per partition.
//!
//!   cargo bench --bench migrate    (needs kcat; LKM_BENCH_RECORDS, default 1,000,000)

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Db, Env, TestBroker, test_broker};
use lkm::pb::*;
use support::{Peer, human_rate, rate, run};

const PARTITIONS: i32 = 3;
/// How long MirrorMaker 2's group offsets must stay unchanged to count as final (several of
/// its checkpoint intervals).
const SETTLED: Duration = Duration::from_secs(10);

async fn cluster(env: &Env, name: &str) -> Cluster {
    env.server
        .clusters()
        .await
        .create_cluster(common::broker_cluster(name, "memory"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap()
}

async fn topic(env: &Env, cluster: &str, name: &str) {
    env.server
        .clusters()
        .await
        .create_topic(CreateTopicRequest {
            cluster_id: cluster.into(),
            name: name.into(),
            partitions: Some(PARTITIONS),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// High watermarks per partition, or None while the topic does not exist.
async fn watermarks(env: &Env, cluster: &str, topic: &str) -> Option<Vec<i64>> {
    let t = env
        .server
        .clusters()
        .await
        .get_topic(GetTopicRequest {
            cluster_id: cluster.into(),
            topic: topic.into(),
        })
        .await
        .ok()?
        .into_inner()
        .topic?;
    let mut parts = t.partition_details;
    parts.sort_by_key(|p| p.partition);
    Some(parts.iter().map(|p| p.high_watermark).collect())
}

/// The group's committed offsets on `topic`, by partition (-1: none).
async fn group_offsets(env: &Env, cluster: &str, group: &str, topic: &str) -> Vec<i64> {
    let mut out = vec![-1; PARTITIONS as usize];
    let Ok(res) = env
        .server
        .clusters()
        .await
        .get_consumer_group(GetConsumerGroupRequest {
            cluster_id: cluster.into(),
            group_id: group.into(),
        })
        .await
    else {
        return out;
    };
    for o in res
        .into_inner()
        .group
        .map(|g| g.offsets)
        .unwrap_or_default()
    {
        if o.topic == topic && (0..PARTITIONS).contains(&o.partition) {
            out[o.partition as usize] = o.committed_offset;
        }
    }
    out
}

async fn commit(env: &Env, cluster: &str, group: &str, topic: &str, partition: i32, offset: i64) {
    env.server
        .clusters()
        .await
        .reset_consumer_group_offsets(ResetConsumerGroupOffsetsRequest {
            cluster_id: cluster.into(),
            group_id: group.into(),
            topic: topic.into(),
            partition: Some(partition),
            to: OffsetReset::Offset as i32,
            offset,
            ..Default::default()
        })
        .await
        .unwrap();
}

fn kcat(args: &[&str]) -> Command {
    let mut c = common::kcat().unwrap();
    c.args(args);
    c
}

struct LkmCopy {
    copy: Duration,
    whole: Duration,
    /// Target offsets of the group, by partition.
    translated: Vec<i64>,
}

/// lkm: MigrateData with group translation, watched to the end.
async fn lkm_migrate(env: &Env, topic: &str, group: &str) -> LkmCopy {
    let mut ops = env.server.operations().await;
    let started = Instant::now();
    let op = ops
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            topics: vec![topic.into()],
            include_consumer_groups: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let mut stream = ops
        .watch_operation(WatchOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut copied_at = None;
    let mut last = None;
    while let Some(e) = tokio::time::timeout(Duration::from_secs(300), stream.message())
        .await
        .expect("migration progress stalled")
        .unwrap()
    {
        let o = e.operation.unwrap();
        let p = o.progress.clone().unwrap_or_default();
        if copied_at.is_none() && p.messages_total > 0 && p.messages_copied >= p.messages_total {
            copied_at = Some(started.elapsed());
        }
        let done = e.r#final;
        last = Some(o);
        if done {
            break;
        }
    }
    let whole = started.elapsed();
    let last = last.unwrap();
    assert_eq!(
        last.status(),
        OperationStatus::Succeeded,
        "{}",
        last.error_message
    );
    let Some(operation::Results::Migration(result)) = &last.results else {
        panic!("no migration result");
    };
    assert!(result.verified);
    let mut translated = vec![-1; PARTITIONS as usize];
    for o in result
        .consumer_groups
        .iter()
        .filter(|g| g.group_id == group)
        .flat_map(|g| &g.offsets)
    {
        translated[o.partition as usize] = o.target_offset;
    }
    LkmCopy {
        copy: copied_at.unwrap_or(whole),
        whole,
        translated,
    }
}

struct Mm2Copy {
    /// Launch → every record on the target.
    all: Duration,
    /// Launch → the first record on the target (JVM and connector start).
    first: Duration,
    /// The group's offsets on the target once they stopped changing (-1: never synced).
    translated: Vec<i64>,
}

/// mm2.properties for a one-way `src → mm2` copy of `topic` with the offsets of `group`:
/// every internal topic at replication factor 1 (one-broker clusters), checkpoints and
/// group offset syncs every second, offset commits every second (its last offset syncs wait
/// for one; the default is a minute), and the plugin discovery its start-up warning advises
/// (a classpath scan otherwise adds seconds to its start).
fn mm2_properties(dir: &Path, src: &str, dst: &str, topic: &str, group: &str) -> String {
    let text = format!(
        "clusters = src, mm2\n\
         src.bootstrap.servers = {src}\n\
         mm2.bootstrap.servers = {dst}\n\
         src->mm2.enabled = true\n\
         mm2->src.enabled = false\n\
         src->mm2.topics = {topic}\n\
         src->mm2.groups = {group}\n\
         replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n\
         tasks.max = {PARTITIONS}\n\
         sync.group.offsets.enabled = true\n\
         sync.group.offsets.interval.seconds = 1\n\
         emit.checkpoints.interval.seconds = 1\n\
         emit.heartbeats.enabled = false\n\
         refresh.topics.interval.seconds = 5\n\
         refresh.groups.interval.seconds = 5\n\
         sync.topic.configs.enabled = false\n\
         sync.topic.acls.enabled = false\n\
         offset-syncs.topic.location = source\n\
         offset-syncs.topic.replication.factor = 1\n\
         replication.factor = 1\n\
         checkpoints.topic.replication.factor = 1\n\
         heartbeats.topic.replication.factor = 1\n\
         offset.storage.replication.factor = 1\n\
         status.storage.replication.factor = 1\n\
         config.storage.replication.factor = 1\n\
         plugin.discovery = service_load\n\
         offset.flush.interval.ms = 1000\n"
    );
    let file = dir.join("mm2.properties");
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

/// MirrorMaker 2 copying `topic` (and syncing `group`) from `src` to the `mm2` cluster.
async fn mm2_copy(
    env: &Env,
    home: &Path,
    src: &str,
    dst: &str,
    topic: &str,
    group: &str,
    n: usize,
) -> Mm2Copy {
    let java = lkm::runtime::kafka_jvm::java().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let props = mm2_properties(dir.path(), src, dst, topic, group);
    let log_path = dir.path().join("mm2.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let started = Instant::now();
    let mut mm2 = Peer::spawn(
        "MirrorMaker 2",
        Command::new(&java.path)
            // What connect-mirror-maker.sh gives it.
            .args(["-Xms256M", "-Xmx2G", "-Djava.awt.headless=true"])
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                home.join("config/log4j2.properties").display()
            ))
            .arg("-cp")
            .arg(format!("{}/mirror-maker/libs/*", home.display()))
            .arg("org.apache.kafka.connect.mirror.MirrorMaker")
            .arg(&props)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log),
    );
    let tail = || {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    let deadline = started + Duration::from_secs(120) + Duration::from_millis(n as u64);
    let mut first = None;
    let all = loop {
        if let Some(status) = mm2.exited() {
            panic!("MirrorMaker 2 exited ({status}):\n{}", tail());
        }
        assert!(
            Instant::now() < deadline,
            "MirrorMaker 2 did not copy {n} records in time:\n{}",
            tail()
        );
        let copied: i64 = watermarks(env, "mm2", topic)
            .await
            .map_or(0, |w| w.iter().sum());
        if copied > 0 && first.is_none() {
            first = Some(started.elapsed());
        }
        if copied as usize >= n {
            break started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Its checkpoints trail the copy: wait until the target group's offsets stop changing.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = group_offsets(env, "mm2", group, topic).await;
    let mut since = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = group_offsets(env, "mm2", group, topic).await;
        if now != seen {
            (seen, since) = (now, Instant::now());
        } else if since.elapsed() >= SETTLED && seen.iter().all(|o| *o >= 0) {
            break;
        }
    }
    // Its graceful shutdown takes tens of seconds and is not what is measured.
    mm2.kill();
    Mm2Copy {
        all,
        first: first.unwrap_or(all),
        translated: seen,
    }
}

fn label(size: usize) -> String {
    if size == 1024 {
        "1 KiB".into()
    } else {
        format!("{size} B")
    }
}

#[tokio::main]
async fn main() {
    if common::kcat().is_none() {
        return;
    }
    let Some(env) = Env::with_test_broker(Db::Sqlite, |_| {}).await else {
        return;
    };
    let kafka = test_broker() == TestBroker::Kafka;
    let home = env.server.config.kafka_home.clone();
    let n = support::records();
    let src = cluster(&env, "src").await;
    let dst = cluster(&env, "dst").await;
    let (s, d) = (
        src.endpoints["kafka"].clone(),
        dst.endpoints["kafka"].clone(),
    );
    let mm2_target = if kafka {
        Some(cluster(&env, "mm2").await.endpoints["kafka"].clone())
    } else {
        None
    };
    let kcat_env = (
        "LD_LIBRARY_PATH",
        std::env::var("LKM_TEST_KCAT_LIBDIR").unwrap_or_default(),
    );
    let mut rows = vec![];
    let mut accuracy = vec![];
    for size in [100usize, 1024] {
        let t = format!("bench-{size}");
        let group = format!("bench-group-{size}");
        topic(&env, "src", &t).await;
        let file = support::keyed_input(n, size);
        let mut load = kcat(&["-b", &s, "-P", "-t", &t, "-K", "\t"]);
        if !kafka {
            // tansu's memory engine counts batches in its high watermark: one record each.
            load.args(["-X", "batch.num.messages=1"]);
        }
        run(load.arg("-l").arg(file.path()));
        let marks = watermarks(&env, "src", &t).await.unwrap();
        assert_eq!(marks.iter().sum::<i64>() as usize, n, "{marks:?}");
        let committed = [marks[0] / 4, marks[1] / 2 + 13, marks[2]];
        for (p, o) in committed.iter().enumerate() {
            commit(&env, "src", &group, &t, p as i32, *o).await;
        }

        // Ceiling: one consumer reading the source, one producer writing the target.
        let started = Instant::now();
        let read = support::count_lines(&mut kcat(&[
            "-b",
            &s,
            "-C",
            "-t",
            &t,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%k\t%s\n",
        ]));
        let consume = rate(n, started.elapsed());
        assert_eq!(read, n);
        let ceiling_topic = format!("ceiling-{size}");
        topic(&env, "dst", &ceiling_topic).await;
        let started = Instant::now();
        run(kcat(&["-b", &d, "-P", "-t", &ceiling_topic, "-K", "\t", "-l"]).arg(file.path()));
        let produce = rate(n, started.elapsed());

        // Peer: kcat -C | kcat -P.
        let pipe_topic = format!("pipe-{size}");
        topic(&env, "dst", &pipe_topic).await;
        let started = Instant::now();
        run(Command::new("sh")
            .arg("-c")
            .arg(format!(
                "set -e; kcat -b {s} -C -t {t} -o beginning -e -q -f '%k\\t%s\\n' | kcat -b {d} -P -t {pipe_topic} -K '\\t'"
            ))
            .env(kcat_env.0, &kcat_env.1));
        let pipe = rate(n, started.elapsed());
        if kafka {
            // (tansu's memory engine counts batches in its watermarks.)
            let piped: i64 = watermarks(&env, "dst", &pipe_topic)
                .await
                .unwrap()
                .iter()
                .sum();
            assert_eq!(piped as usize, n);
        }

        let ours = lkm_migrate(&env, &t, &group).await;
        // An identity copy into an empty topic: the same record sits at the same offset.
        assert_eq!(ours.translated, committed, "lkm's translation");
        assert_eq!(group_offsets(&env, "dst", &group, &t).await, committed);

        let theirs = match &mm2_target {
            Some(m) => Some(mm2_copy(&env, Path::new(&home), &s, m, &t, &group, n).await),
            None => None,
        };
        let copy = rate(n, ours.copy);
        let mm2 = |f: &dyn Fn(&Mm2Copy) -> String| theirs.as_ref().map_or("—".into(), f);
        rows.push(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {:.2} |",
            label(size),
            human_rate(copy),
            human_rate(rate(n, ours.whole)),
            human_rate(pipe),
            mm2(&|m| human_rate(rate(n, m.all))),
            mm2(&|m| human_rate(rate(n, m.all - m.first))),
            human_rate(consume),
            human_rate(produce),
            copy / pipe,
            mm2(&|m| format!("{:.1}", copy / rate(n, m.all))),
            copy / consume.min(produce),
        ));
        eprintln!(
            "{}: lkm copy {:?}, whole operation with verification {:?} ({} rec/s){}",
            label(size),
            ours.copy,
            ours.whole,
            human_rate(rate(n, ours.whole)),
            theirs.as_ref().map_or(String::new(), |m| format!(
                "; MirrorMaker 2: first record after {:?}, all after {:?} ({} rec/s after its first record)",
                m.first,
                m.all,
                human_rate(rate(n, m.all - m.first))
            ))
        );
        if let Some(m) = theirs {
            for p in 0..PARTITIONS as usize {
                let exact = ours.translated[p];
                let mm2 = m.translated[p];
                accuracy.push(format!(
                    "| {} | {p} | {} | {} | {exact} | {} | {} |",
                    label(size),
                    marks[p],
                    committed[p],
                    if mm2 < 0 {
                        "not synced".into()
                    } else {
                        mm2.to_string()
                    },
                    if mm2 < 0 {
                        "—".into()
                    } else {
                        (exact - mm2).to_string()
                    },
                ));
            }
        }
    }
    println!(
        "\n{n} records per size, {PARTITIONS} partitions, {}, rec/s; lkm: MigrateData to all copied (with group translation); MirrorMaker 2: launch to all on the target\n",
        support::broker_label()
    );
    println!(
        "| size | lkm | lkm with verification | kcat pipe | MM2 from launch | MM2 after its first record | consume-only | produce-only | lkm / pipe | lkm / MM2 | lkm / ceiling |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!("{r}");
    }
    if !accuracy.is_empty() {
        println!(
            "\nGroup offsets on the target (exact − MM2: positive = records a switched consumer reads again, negative = records it skips)\n"
        );
        println!(
            "| size | partition | records | source offset | lkm (exact) | MirrorMaker 2 | exact − MM2 |"
        );
        println!("|---|---|---|---|---|---|---|");
        for r in &accuracy {
            println!("{r}");
        }
    }
    env.finish().await;
}
