//! MigrateData between real clusters started through lkm (the test broker's processes: real
//! Apache Kafka, or tansu's SQLite engine for exact counts and timestamps): byte-for-byte copies read back with kcat, consumer-group
//! offsets translated, dry runs, conflicts, cancellation, a restart of lkm mid-way, and the
//! progress stream over gRPC and Server-Sent Events.

mod common;

use std::time::Duration;

use common::{Db, Env, code_reason};
use futures::StreamExt;
use lkm::pb::*;
use tonic::Code;

async fn env() -> Option<Env> {
    Env::with_test_broker(Db::Sqlite, |_| {}).await
}

async fn cluster(env: &Env, name: &str) -> Cluster {
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(common::broker_cluster(name, "sqlite"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    c
}

async fn topic(env: &Env, cluster: &str, name: &str, partitions: i32) {
    env.server
        .clusters()
        .await
        .create_topic(CreateTopicRequest {
            cluster_id: cluster.into(),
            name: name.into(),
            partitions: Some(partitions),
            ..Default::default()
        })
        .await
        .unwrap();
}

fn bin(b: &[u8]) -> Option<Payload> {
    Some(Payload {
        data: Some(payload::Data::Binary(b.to_vec())),
    })
}

/// Produces `n` records round-robin over `partitions` partitions: binary keys and values
/// (every byte value appears), a header, explicit timestamps.
async fn fill(env: &Env, cluster: &str, topic: &str, partitions: i32, n: usize) {
    let mut g = env.server.clusters().await;
    let records: Vec<ProducerRecord> = (0..n)
        .map(|i| ProducerRecord {
            key: bin(format!("key-{i}").as_bytes()),
            value: bin(&[(i % 256) as u8, 0, 255, (i / 256 % 256) as u8, b'\n']),
            headers: vec![RecordHeader {
                key: "seq".into(),
                value: i.to_string().into_bytes(),
            }],
            partition: Some((i as i32) % partitions),
            timestamp: Some(prost_types::Timestamp {
                seconds: 1_700_000_000 + i as i64,
                nanos: 0,
            }),
        })
        .collect();
    let messages: Vec<ProduceStreamRequest> = records
        .chunks(5000)
        .enumerate()
        .map(|(i, chunk)| ProduceStreamRequest {
            cluster_id: if i == 0 {
                cluster.into()
            } else {
                String::new()
            },
            topic: if i == 0 { topic.into() } else { String::new() },
            records: chunk.to_vec(),
        })
        .collect();
    let res = g
        .produce_stream(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (res.records, res.failed_count),
        (n as i64, 0),
        "{:?}",
        res.errors
    );
}

/// Every record of `topic` as kcat reads it (partition, offset, timestamp, key, value,
/// headers), in partition and offset order.
fn kcat_dump(bootstrap: &str, topic: &str) -> Vec<String> {
    let mut records = common::kcat_consume(bootstrap, topic);
    records.sort_by_key(|r| (r.partition, r.offset));
    records.iter().map(|r| format!("{r:?}")).collect()
}

async fn watch_to_end(env: &Env, id: &str) -> Vec<Operation> {
    let mut stream = env
        .server
        .operations()
        .await
        .watch_operation(WatchOperationRequest {
            operation_id: id.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = vec![];
    while let Some(e) = tokio::time::timeout(Duration::from_secs(120), stream.message())
        .await
        .expect("progress stream stalled")
        .unwrap()
    {
        let last = e.r#final;
        events.push(e.operation.unwrap());
        if last {
            break;
        }
    }
    events
}

fn migration(op: &Operation) -> &MigrationResult {
    match &op.results {
        Some(operation::Results::Migration(m)) => m,
        other => panic!("no migration result: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_copies_exactly_and_translates_group_offsets() {
    if common::kcat().is_none() {
        return;
    }
    let Some(env) = env().await else { return };
    let src = cluster(&env, "src").await;
    let dst = cluster(&env, "dst").await;
    topic(&env, "src", "orders", 3).await;
    topic(&env, "src", "events", 1).await;
    fill(&env, "src", "orders", 3, 3000).await;
    fill(&env, "src", "events", 1, 500).await;
    // A consumer group half-way through partition 0 of orders.
    let mut g = env.server.clusters().await;
    let half = g
        .consume(ConsumeRequest {
            cluster_id: "src".into(),
            topic: "orders".into(),
            partition: Some(0),
            start_from: StartFrom::Beginning as i32,
            max_records: 400,
            group_id: "billing".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(half.records.len(), 400);

    let op = env
        .server
        .operations()
        .await
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            topics: vec!["orders".into(), "events".into()],
            include_consumer_groups: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    assert!(matches!(
        op.status(),
        OperationStatus::Pending | OperationStatus::Running
    ));
    let events = watch_to_end(&env, &op.id).await;
    let last = events.last().unwrap();
    assert_eq!(
        last.status(),
        OperationStatus::Succeeded,
        "{}",
        last.error_message
    );
    assert_eq!(last.progress_percent, 100.0);
    // Progress only goes forward.
    let copied: Vec<i64> = events
        .iter()
        .map(|e| e.progress.as_ref().map_or(0, |p| p.messages_copied))
        .collect();
    assert!(copied.windows(2).all(|w| w[0] <= w[1]), "{copied:?}");
    let result = migration(last);
    assert!(result.verified);
    assert_eq!(result.verification.len(), 4);
    assert!(
        result
            .verification
            .iter()
            .all(|v| v.matched && v.source_count == v.target_count)
    );
    let mut created = result.topics_created.clone();
    created.sort();
    assert_eq!(created, ["events", "orders"]);
    assert_eq!(last.progress.as_ref().unwrap().messages_copied, 3500);

    // Byte for byte, as an independent client reads both sides.
    for t in ["orders", "events"] {
        let a = kcat_dump(&src.endpoints["kafka"], t);
        let b = kcat_dump(&dst.endpoints["kafka"], t);
        assert_eq!(a.len(), if t == "orders" { 3000 } else { 500 });
        assert_eq!(a, b, "{t} differs");
    }

    // The group resumes on the target at the same record.
    let translated = result
        .consumer_groups
        .iter()
        .find(|g| g.group_id == "billing")
        .expect("billing translated");
    let p0 = translated
        .offsets
        .iter()
        .find(|o| o.topic == "orders" && o.partition == 0)
        .unwrap();
    assert_eq!((p0.source_offset, p0.target_offset), (400, 400));
    let next = |cluster: &str| {
        let mut g = g.clone();
        let cluster = cluster.to_string();
        async move {
            g.consume(ConsumeRequest {
                cluster_id: cluster,
                topic: "orders".into(),
                partition: Some(0),
                start_from: StartFrom::Committed as i32,
                max_records: 1,
                group_id: "billing".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .records
            .remove(0)
        }
    };
    let (on_src, on_dst) = (next("src").await, next("dst").await);
    assert_eq!(on_dst.offset, on_src.offset);
    assert_eq!(on_dst.key, on_src.key);
    assert_eq!(on_dst.value, on_src.value);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_plans_and_changes_nothing() {
    let Some(env) = env().await else { return };
    cluster(&env, "src").await;
    cluster(&env, "dst").await;
    topic(&env, "src", "plan-me", 2).await;
    fill(&env, "src", "plan-me", 2, 1000).await;
    let res = reqwest::Client::new()
        .post(env.server.rest("/operations/migrate"))
        .json(&serde_json::json!({
            "sourceClusterId": "src", "targetClusterId": "dst", "dryRun": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let op: serde_json::Value = res.json().await.unwrap();
    assert_eq!(op["status"], "OPERATION_STATUS_SUCCEEDED");
    assert_eq!(op["dryRun"], true);
    let plan = &op["migration"]["topics"][0];
    assert_eq!(plan["topic"], "plan-me");
    assert_eq!(plan["partitions"], 2);
    assert_eq!(plan["messages"], "1000");
    assert_eq!(plan["create"], true);
    let bytes: i64 = plan["bytes"].as_str().unwrap().parse().unwrap();
    assert!(bytes > 1000 * 5, "estimated bytes {bytes}");
    // Nothing on the target.
    let topics = env
        .server
        .clusters()
        .await
        .list_topics(ListTopicsRequest {
            cluster_id: "dst".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .topics;
    assert!(topics.is_empty(), "{topics:?}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_are_explained_not_mixed() {
    let Some(env) = env().await else { return };
    cluster(&env, "src").await;
    cluster(&env, "dst").await;
    topic(&env, "src", "t", 2).await;
    fill(&env, "src", "t", 2, 10).await;
    topic(&env, "dst", "t", 2).await;
    fill(&env, "dst", "t", 2, 3).await;
    let mut ops = env.server.operations().await;
    let err = ops
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "MIGRATION_CONFLICT".into())
    );
    assert!(
        err.message().contains("already has 3 record"),
        "{}",
        err.message()
    );
    let err = ops
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            topics: vec!["missing".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let listed = ops
        .list_operations(ListOperationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.total_size, 0,
        "refused migrations leave no operation"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_promptly_and_keeps_what_was_done() {
    let Some(env) = env().await else { return };
    cluster(&env, "src").await;
    cluster(&env, "dst").await;
    topic(&env, "src", "big", 1).await;
    fill(&env, "src", "big", 1, 8_000).await;
    let mut ops = env.server.operations().await;
    let op = ops
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    // A second migration into the same topic is refused while this one runs.
    let err = ops
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    // Wait for some progress, then cancel.
    let mut stream = ops
        .watch_operation(WatchOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(e) = stream.message().await.unwrap() {
        let o = e.operation.unwrap();
        if o.progress.as_ref().is_some_and(|p| p.messages_copied > 0) || e.r#final {
            break;
        }
    }
    let cancelled = ops
        .cancel_operation(CancelOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    assert_eq!(cancelled.status(), OperationStatus::Cancelled);
    let p = cancelled.progress.unwrap();
    assert!(
        p.messages_copied > 0 && p.messages_copied < 40_000,
        "{}",
        p.messages_copied
    );
    // What it says it copied is what the target has.
    let t = env
        .server
        .clusters()
        .await
        .get_topic(GetTopicRequest {
            cluster_id: "dst".into(),
            topic: "big".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!(t.message_count, p.messages_copied);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_migration_resumes_without_duplicates() {
    if common::kcat().is_none() {
        return;
    }
    let Some(env) = env().await else { return };
    let src = cluster(&env, "src").await;
    cluster(&env, "dst").await;
    topic(&env, "src", "resume", 2).await;
    fill(&env, "src", "resume", 2, 8_000).await;
    let op = env
        .server
        .operations()
        .await
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    // Stop lkm once a checkpoint with progress is in the registry.
    let mut ops = env.server.operations().await;
    common::eventually(Duration::from_secs(60), || {
        let mut ops = ops.clone();
        let id = op.id.clone();
        async move {
            let o = ops
                .get_operation(GetOperationRequest { operation_id: id })
                .await
                .ok()?
                .into_inner()
                .operation?;
            (o.progress.as_ref()?.messages_copied > 0).then_some(())
        }
    })
    .await
    .expect("the migration made progress");
    let env = env.restart().await;

    // The new lkm resumed it from the checkpoint.
    let events = watch_to_end(&env, &op.id).await;
    let last = events.last().unwrap();
    assert_eq!(
        last.status(),
        OperationStatus::Succeeded,
        "{}",
        last.error_message
    );
    let result = migration(last);
    assert!(result.verified, "{:?}", result.verification);
    let dst = env
        .server
        .clusters()
        .await
        .get_cluster(GetClusterRequest {
            cluster_id: "dst".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    // Nothing duplicated, nothing lost: the target is the source, record for record.
    assert_eq!(
        kcat_dump(&src.endpoints["kafka"], "resume"),
        kcat_dump(&dst.endpoints["kafka"], "resume")
    );
    drop(ops);
    ops = env.server.operations().await;
    let listed = ops
        .list_operations(ListOperationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size, 1);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_streams_over_server_sent_events() {
    let Some(env) = env().await else { return };
    cluster(&env, "src").await;
    cluster(&env, "dst").await;
    topic(&env, "src", "sse", 1).await;
    fill(&env, "src", "sse", 1, 5_000).await;
    let op = env
        .server
        .operations()
        .await
        .migrate_data(MigrateDataRequest {
            source_cluster_id: "src".into(),
            target_cluster_id: "dst".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let res = reqwest::get(env.server.rest(&format!("/operations/{}/events", op.id)))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut buf = String::new();
    let mut events: Vec<serde_json::Value> = vec![];
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(120), body.next())
        .await
        .expect("SSE stalled")
    {
        buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                events.push(serde_json::from_str(data.trim()).unwrap());
            }
        }
    }
    let percents: Vec<f64> = events
        .iter()
        .map(|e| e["operation"]["progressPercent"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    let last = events.last().unwrap();
    assert_eq!(last["final"], true);
    assert_eq!(
        last["operation"]["status"], "OPERATION_STATUS_SUCCEEDED",
        "{}",
        last["operation"]["errorMessage"]
    );
    assert_eq!(last["operation"]["progressPercent"], 100.0);
    env.finish().await;
}
