//! Migration exactness on what real Apache Kafka does and tansu never did: a source written by
//! a transactional producer (committed and aborted transactions: offsets with gaps), a
//! compacted topic whose offsets have holes, a LogAppendTime topic, and a replication factor
//! the target cannot hold. Each side is read back with kcat and compared record for record;
//! groups committed on markers, in aborted ranges and in compaction holes translate to the
//! offset of the next record the group would read.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Db, Env, KcatRecord, TestBroker};
use lkm::pb::*;
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};

const TXN: &str = "txn";
const COMPACT: &str = "compact";
const APPEND_TIME: &str = "append-time";
const REPLICATED: &str = "replicated";

fn kafka_only() -> bool {
    if common::test_broker() != TestBroker::Kafka || common::kcat().is_none() {
        common::skip("the exactness cases need real Kafka and kcat");
        return false;
    }
    true
}

async fn cluster(env: &Env, name: &str, brokers: i32, custom: &[(&str, &str)]) -> Cluster {
    let mut req = common::broker_cluster(name, "sqlite");
    let k = req.kafka_config.get_or_insert_with(Default::default);
    k.broker_count = Some(brokers);
    k.default_replication_factor = Some(brokers);
    k.custom_properties = custom
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let res = env.server.clusters().await.create_cluster(req).await;
    let c = res.unwrap().into_inner().cluster.unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    c
}

async fn topic(
    env: &Env,
    cluster: &str,
    name: &str,
    partitions: i32,
    rf: i32,
    configs: &[(&str, &str)],
) {
    env.server
        .clusters()
        .await
        .create_topic(CreateTopicRequest {
            cluster_id: cluster.into(),
            name: name.into(),
            partitions: Some(partitions),
            replication_factor: Some(rf),
            configs: configs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        })
        .await
        .unwrap();
}

fn producer(
    bootstrap: &str,
    transactional_id: Option<&str>,
) -> ThreadedProducer<rdkafka::producer::DefaultProducerContext> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap).set("linger.ms", "0");
    if let Some(id) = transactional_id {
        c.set("transactional.id", id);
    }
    c.create().unwrap()
}

/// Queues one record (a partition's records keep the order of the calls).
fn send(
    p: &ThreadedProducer<rdkafka::producer::DefaultProducerContext>,
    topic: &str,
    partition: i32,
    key: &str,
    value: &str,
) {
    p.send(
        BaseRecord::to(topic)
            .partition(partition)
            .key(key)
            .payload(value),
    )
    .map_err(|(e, _)| e)
    .unwrap();
}

/// Records by partition in offset order.
fn by_partition(records: Vec<KcatRecord>) -> BTreeMap<i32, Vec<KcatRecord>> {
    let mut out: BTreeMap<i32, Vec<KcatRecord>> = BTreeMap::new();
    for r in records {
        out.entry(r.partition).or_default().push(r);
    }
    for v in out.values_mut() {
        v.sort_by_key(|r| r.offset);
    }
    out
}

/// What a record is, without where it sits.
fn content(r: &KcatRecord) -> (Option<Vec<u8>>, Vec<u8>, i64, String) {
    (
        r.key.clone(),
        r.value.clone(),
        r.timestamp_ms,
        r.headers.clone(),
    )
}

/// Source and target hold the same records, partition by partition, in order.
fn assert_same_records(topic: &str, src: &str, dst: &str) -> BTreeMap<i32, Vec<KcatRecord>> {
    let source = by_partition(common::kcat_consume(src, topic));
    let target = by_partition(common::kcat_consume(dst, topic));
    assert!(!source.is_empty(), "{topic}: the source has records");
    assert_eq!(
        source.keys().collect::<Vec<_>>(),
        target.keys().collect::<Vec<_>>(),
        "{topic}: partitions with records"
    );
    for (p, records) in &source {
        let s: Vec<_> = records.iter().map(content).collect();
        let t: Vec<_> = target[p].iter().map(content).collect();
        assert_eq!(s.len(), t.len(), "{topic}[{p}]: record counts");
        assert_eq!(s, t, "{topic}[{p}]: records differ");
        // The target's offsets are contiguous from 0: one record per offset.
        let offsets: Vec<i64> = target[p].iter().map(|r| r.offset).collect();
        assert_eq!(
            offsets,
            (0..t.len() as i64).collect::<Vec<_>>(),
            "{topic}[{p}]"
        );
    }
    source
}

/// Where a consumer at `source_offset` continues on the target: the target index of the
/// first source record at or after it (the target holds the source's records contiguously).
fn expected_target_offset(source: &[KcatRecord], source_offset: i64) -> i64 {
    source.iter().filter(|r| r.offset < source_offset).count() as i64
}

fn plan_of<'a>(op: &'a Operation, topic: &str) -> &'a TopicPlan {
    match &op.results {
        Some(operation::Results::Migration(m)) => m
            .topics
            .iter()
            .find(|t| t.topic == topic)
            .unwrap_or_else(|| panic!("no plan for {topic}: {m:?}")),
        other => panic!("no migration result: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_exact_on_transactions_compaction_log_append_time_and_replication() {
    if !kafka_only() {
        return;
    }
    let Some(env) = Env::with_test_broker(Db::Sqlite, |_| {}).await else {
        return;
    };
    // A source of three brokers whose log cleaner looks for work every 100 ms, and a
    // one-broker target.
    let src = cluster(&env, "src", 3, &[("log.cleaner.backoff.ms", "100")]).await;
    let dst = cluster(&env, "dst", 1, &[]).await;
    let (sb, db) = (
        src.endpoints["kafka"].clone(),
        dst.endpoints["kafka"].clone(),
    );

    // (a) Transactions: per partition, committed and aborted transactions of three records.
    topic(&env, "src", TXN, 2, 1, &[]).await;
    let b = sb.clone();
    let (commit_markers, aborted_starts) = tokio::task::spawn_blocking(move || {
        let p = producer(&b, Some("lkm-test-txn"));
        p.init_transactions(Duration::from_secs(60)).unwrap();
        // Offsets (per partition) of the commit markers and of the first aborted records.
        let (mut markers, mut aborted) = (
            BTreeMap::<i32, Vec<i64>>::new(),
            BTreeMap::<i32, Vec<i64>>::new(),
        );
        let mut next = BTreeMap::from([(0, 0i64), (1, 0i64)]);
        for txn in 0..12 {
            p.begin_transaction().unwrap();
            for partition in 0..2 {
                for i in 0..3 {
                    send(
                        &p,
                        TXN,
                        partition,
                        &format!("t{txn}-{i}"),
                        &format!("v{txn}-{i}-{partition}"),
                    );
                }
            }
            p.flush(Duration::from_secs(30)).unwrap();
            let abort = txn % 3 == 1;
            for partition in 0..2 {
                let start = next[&partition];
                if abort {
                    aborted.entry(partition).or_default().push(start);
                } else {
                    markers.entry(partition).or_default().push(start + 3);
                }
                // Three records and the transaction's marker.
                next.insert(partition, start + 4);
            }
            if abort {
                p.abort_transaction(Duration::from_secs(30)).unwrap();
            } else {
                p.commit_transaction(Duration::from_secs(30)).unwrap();
            }
        }
        (markers, aborted)
    })
    .await
    .unwrap();
    // g-marker sits on a commit marker of each partition, g-aborted inside an aborted range.
    let marker_offsets: Vec<(i32, i64)> =
        vec![(0, commit_markers[&0][1]), (1, commit_markers[&1][3])];
    let aborted_offsets: Vec<(i32, i64)> =
        vec![(0, aborted_starts[&0][0] + 1), (1, aborted_starts[&1][2])];
    common::commit_offsets(&sb, "g-marker", TXN, &marker_offsets);
    common::commit_offsets(&sb, "g-aborted", TXN, &aborted_offsets);

    // (b) Compaction: ten keys overwritten 30 times, then records with keys of their own
    // until the cleaner has run (the active segment is never cleaned; segments roll every
    // 100 ms while records arrive).
    topic(
        &env,
        "src",
        COMPACT,
        1,
        1,
        &[
            ("cleanup.policy", "compact"),
            ("segment.ms", "100"),
            ("min.cleanable.dirty.ratio", "0.01"),
            ("min.compaction.lag.ms", "0"),
        ],
    )
    .await;
    let b = sb.clone();
    let produced = tokio::task::spawn_blocking(move || {
        let p = producer(&b, None);
        let mut produced = 0i64;
        for round in 0..30 {
            for key in 0..10 {
                send(
                    &p,
                    COMPACT,
                    0,
                    &format!("k{key}"),
                    &format!("round {round}"),
                );
                produced += 1;
            }
        }
        p.flush(Duration::from_secs(30)).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            send(&p, COMPACT, 0, &format!("tail-{produced}"), "tail");
            p.flush(Duration::from_secs(30)).unwrap();
            produced += 1;
            if (common::kcat_consume(&b, COMPACT).len() as i64) < produced {
                return produced;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the log cleaner never ran"
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    })
    .await
    .unwrap();
    let compacted = common::kcat_consume(&sb, COMPACT);
    let present: Vec<i64> = compacted.iter().map(|r| r.offset).collect();
    let hole = (1..produced)
        .find(|o| !present.contains(o) && present.iter().any(|p| p > o))
        .expect("a hole before a kept record");
    common::commit_offsets(&sb, "g-hole", COMPACT, &[(0, hole)]);

    // (c) LogAppendTime: the source broker stamps each record with its own time.
    topic(
        &env,
        "src",
        APPEND_TIME,
        1,
        1,
        &[("message.timestamp.type", "LogAppendTime")],
    )
    .await;
    // (d) Replication factor 3 with min.insync.replicas 2, to a one-broker target.
    topic(
        &env,
        "src",
        REPLICATED,
        3,
        3,
        &[("min.insync.replicas", "2")],
    )
    .await;
    let b = sb.clone();
    tokio::task::spawn_blocking(move || {
        let p = producer(&b, None);
        for i in 0..50 {
            send(&p, APPEND_TIME, 0, &format!("a{i}"), "appended");
            send(&p, REPLICATED, i % 3, &format!("r{i}"), "replicated");
        }
        p.flush(Duration::from_secs(30)).unwrap();
    })
    .await
    .unwrap();

    let topics: Vec<String> = [TXN, COMPACT, APPEND_TIME, REPLICATED]
        .map(String::from)
        .to_vec();
    let mut ops = env.server.operations().await;
    // The plan explains what differs on the target before anything is copied.
    let plan = ops
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            topics: topics.clone(),
            include_consumer_groups: true,
            dry_run: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let replicated = plan_of(&plan, REPLICATED);
    assert_eq!(replicated.replication_factor, 1, "{replicated:?}");
    assert!(
        replicated
            .notes
            .iter()
            .any(|n| n.contains("replication factor 3"))
            && replicated
                .notes
                .iter()
                .any(|n| n.contains("min.insync.replicas 2")),
        "{replicated:?}"
    );
    let appended = plan_of(&plan, APPEND_TIME);
    assert!(
        appended.notes.iter().any(|n| n.contains("LogAppendTime")),
        "{appended:?}"
    );
    assert!(plan_of(&plan, TXN).notes.is_empty(), "{plan:?}");

    let op = ops
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            topics,
            include_consumer_groups: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let done = common::eventually(Duration::from_secs(180), || {
        let mut ops = ops.clone();
        let id = op.id.clone();
        async move {
            let o = ops
                .get_operation(GetOperationRequest { operation_id: id })
                .await
                .ok()?
                .into_inner()
                .operation?;
            (o.completed_at.is_some()).then_some(o)
        }
    })
    .await
    .expect("the migration ended");
    assert_eq!(
        done.status(),
        OperationStatus::Succeeded,
        "{}",
        done.error_message
    );

    // (a) Exactly the committed records; groups continue with the next committed record.
    let source = assert_same_records(TXN, &sb, &db);
    assert_eq!(
        source.values().map(Vec::len).sum::<usize>(),
        2 * 8 * 3,
        "8 committed transactions of 3 records per partition"
    );
    for (group, offsets) in [
        ("g-marker", &marker_offsets),
        ("g-aborted", &aborted_offsets),
    ] {
        let want: BTreeMap<i32, i64> = offsets
            .iter()
            .map(|(p, o)| (*p, expected_target_offset(&source[p], *o)))
            .collect();
        assert_eq!(
            common::committed_offsets(&db, group, TXN, 2),
            want,
            "{group} translated from {offsets:?}"
        );
    }

    // (b) The compacted records, holes closed; the group in a hole continues with the record
    // after it.
    let source = assert_same_records(COMPACT, &sb, &db);
    assert!(
        (source[&0].len() as i64) < produced,
        "compaction removed records on the source"
    );
    assert_eq!(
        common::committed_offsets(&db, "g-hole", COMPACT, 1),
        BTreeMap::from([(0, expected_target_offset(&source[&0], hole))])
    );

    // (c) The source broker's timestamps kept (compared above), and the target topic stamps
    // its own time from now on.
    assert_same_records(APPEND_TIME, &sb, &db);
    let t = env
        .server
        .clusters()
        .await
        .get_topic(GetTopicRequest {
            cluster_id: "dst".into(),
            topic: APPEND_TIME.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!(
        t.configs.get("message.timestamp.type").map(String::as_str),
        Some("LogAppendTime")
    );

    // (d) Every record, on a topic of replication factor 1 whose writes are accepted.
    assert_same_records(REPLICATED, &sb, &db);
    let t = env
        .server
        .clusters()
        .await
        .get_topic(GetTopicRequest {
            cluster_id: "dst".into(),
            topic: REPLICATED.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!(t.replication_factor, 1);
    assert_eq!(
        t.configs.get("min.insync.replicas").map(String::as_str),
        Some("1")
    );
    env.finish().await;
}
