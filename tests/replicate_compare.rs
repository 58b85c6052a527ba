//! ReplicateTopics and CompareClusters through a real lkm server, over gRPC and REST, against
//! tansu clusters started by lkm's process runtime (sqlite engine: its watermarks count
//! records). Written for what Apache Kafka does; where tansu falls short (topic config
//! sources, broker configs) the test asks `broker_lacks` and checks that part only on a
//! broker that has it. No topic is deleted (tansu's sqlite engine loses every topic then).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{BrokerGap, Db, Env, broker_lacks, code_reason};
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::operation_service_client::OperationServiceClient;
use lkm::pb::payload::Data;
use lkm::pb::*;
use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;

/// An lkm server (process runtime) with some running tansu clusters.
struct Fixture {
    env: Env,
    clusters: ClusterServiceClient<Channel>,
    ops: OperationServiceClient<Channel>,
    http: reqwest::Client,
}

async fn fixture() -> Option<Fixture> {
    let env = Env::with_test_broker(Db::Sqlite, |_| {}).await?;
    Some(Fixture {
        clusters: env.server.clusters().await,
        ops: env.server.operations().await,
        http: reqwest::Client::new(),
        env,
    })
}

impl Fixture {
    /// A running cluster of the test broker (tansu: sqlite engine) named `name`, its
    /// definition changed by `kafka`.
    async fn cluster(&mut self, name: &str, kafka: KafkaConfig) -> Cluster {
        let mut req = common::broker_cluster(name, "sqlite");
        let base = req.kafka_config.take().unwrap_or_default();
        req.kafka_config = Some(KafkaConfig {
            heap_size: kafka.heap_size.clone().or(base.heap_size),
            storage_engine: kafka.storage_engine.clone().or(base.storage_engine),
            num_partitions: kafka.num_partitions.or(base.num_partitions),
            ..kafka
        });
        let res = self
            .clusters
            .create_cluster(req)
            .await
            .unwrap_or_else(|e| panic!("create cluster {name}: {e}"))
            .into_inner();
        let c = res.cluster.unwrap();
        assert_eq!(
            c.status(),
            ClusterStatus::Running,
            "{} {:?}",
            c.status_message,
            res.warnings
        );
        c
    }

    async fn topic(
        &mut self,
        cluster: &str,
        name: &str,
        partitions: i32,
        configs: &[(&str, &str)],
    ) {
        self.clusters
            .create_topic(CreateTopicRequest {
                cluster_id: cluster.into(),
                name: name.into(),
                partitions: Some(partitions),
                configs: configs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("create topic {name} on {cluster}: {e}"));
    }

    /// Topics of a cluster by name.
    async fn topics(&mut self, cluster: &str) -> BTreeMap<String, Topic> {
        self.clusters
            .list_topics(ListTopicsRequest {
                cluster_id: cluster.into(),
                include_internal: false,
            })
            .await
            .unwrap()
            .into_inner()
            .topics
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect()
    }

    /// `n` records into one partition.
    async fn produce(&mut self, cluster: &str, topic: &str, partition: i32, n: usize) {
        let records = (0..n)
            .map(|i| ProducerRecord {
                key: Some(Payload {
                    data: Some(Data::Text(format!("k{i}"))),
                }),
                value: Some(Payload {
                    data: Some(Data::Text(format!("v{i}"))),
                }),
                partition: Some(partition),
                ..Default::default()
            })
            .collect();
        let res = self
            .clusters
            .produce(ProduceRequest {
                cluster_id: cluster.into(),
                topic: topic.into(),
                records,
            })
            .await
            .unwrap_or_else(|e| panic!("produce to {topic} on {cluster}: {e}"))
            .into_inner();
        assert_eq!(res.failed_count, 0, "{:?}", res.results);
    }

    async fn replicate(
        &mut self,
        source: &str,
        targets: &[&str],
        topics: &[&str],
        preserve_partitions: Option<bool>,
    ) -> Result<Operation, tonic::Status> {
        self.ops
            .replicate_topics(ReplicateTopicsRequest {
                source_cluster_id: source.into(),
                target_cluster_ids: targets.iter().map(|t| t.to_string()).collect(),
                topics: topics.iter().map(|t| t.to_string()).collect(),
                preserve_partitions,
                dry_run: false,
            })
            .await
            .map(|r| r.into_inner().operation.unwrap())
    }

    async fn compare(
        &mut self,
        source: &str,
        target: &str,
        include_data: bool,
    ) -> Result<ClusterComparisonResult, tonic::Status> {
        self.ops
            .compare_clusters(CompareClustersRequest {
                source_cluster: source.into(),
                target_cluster: target.into(),
                include_data,
            })
            .await
            .map(|r| r.into_inner().result.unwrap())
    }

    /// Follows an operation over gRPC WatchOperation to its final event; checks the events
    /// on the way (percent never goes back, the last one and only it is final) and returns
    /// the final state.
    async fn watch_to_end(&mut self, id: &str) -> Operation {
        let mut stream = self
            .ops
            .watch_operation(WatchOperationRequest {
                operation_id: id.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut events = Vec::new();
        loop {
            let event = tokio::time::timeout(Duration::from_secs(60), stream.message())
                .await
                .expect("the operation's event stream stalled")
                .unwrap();
            let Some(event) = event else { break };
            events.push(event);
        }
        let last = events.last().expect("at least one event");
        assert!(last.r#final, "the stream ends with the final event");
        assert!(
            events[..events.len() - 1].iter().all(|e| !e.r#final),
            "only the last event is final"
        );
        let percents: Vec<f64> = events
            .iter()
            .map(|e| e.operation.as_ref().unwrap().progress_percent)
            .collect();
        assert!(
            percents.windows(2).all(|w| w[0] <= w[1]),
            "progress goes forward: {percents:?}"
        );
        let op = last.operation.clone().unwrap();
        assert!(op.completed_at.is_some());
        op
    }

    fn rest(&self, path: &str) -> String {
        self.env.server.rest(path)
    }

    async fn finish(self) {
        self.env.finish().await;
    }
}

fn targets(op: &Operation) -> &[TargetReplication] {
    match &op.results {
        Some(operation::Results::Replication(r)) => &r.targets,
        other => panic!("not a replication result: {other:?}"),
    }
}

/// Replicates to two targets (one with a planted conflict), runs it again over REST (all
/// matching), compares the clusters it made equal, and replicates without preserving
/// partitions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicate_to_two_targets() {
    let Some(mut f) = fixture().await else {
        return;
    };
    let src = f.cluster("source", KafkaConfig::default()).await;
    let a = f.cluster("target-a", KafkaConfig::default()).await;
    let b = f.cluster("target-b", KafkaConfig::default()).await;
    f.topic(
        "source",
        "orders",
        3,
        &[("retention.ms", "3600000"), ("cleanup.policy", "compact")],
    )
    .await;
    f.topic("source", "events", 2, &[]).await;
    f.topic("source", "audit", 1, &[]).await;
    // The conflict: target-b already has `events`, with more partitions.
    f.topic("target-b", "events", 4, &[]).await;

    // A dry run first: the plan, finished at once, and nothing created.
    let plan = f
        .ops
        .replicate_topics(ReplicateTopicsRequest {
            source_cluster_id: "source".into(),
            target_cluster_ids: vec!["target-a".into(), "target-b".into()],
            dry_run: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    assert!(plan.dry_run);
    assert_eq!(
        plan.status(),
        OperationStatus::Succeeded,
        "{}",
        plan.error_message
    );
    assert_eq!(plan.progress_percent, 100.0);
    let [plan_a, plan_b] = targets(&plan) else {
        panic!("two targets: {:?}", targets(&plan));
    };
    assert_eq!(plan_a.topics_created, ["audit", "events", "orders"]);
    assert_eq!(plan_b.topics_created, ["audit", "orders"]);
    assert_eq!(plan_b.conflicts.len(), 1);
    assert_eq!(plan_b.conflicts[0].topic, "events");
    assert!(
        f.topics("target-a").await.is_empty(),
        "a dry run creates nothing"
    );
    assert_eq!(
        f.topics("target-b").await.keys().collect::<Vec<_>>(),
        ["events"]
    );

    let op = f
        .replicate("source", &["target-a", "target-b"], &[], None)
        .await
        .unwrap();
    assert_eq!(op.operation_type(), OperationType::Replicate);
    assert_eq!(op.source_cluster_id, src.id);
    assert_eq!(op.target_cluster_ids, [a.id.clone(), b.id.clone()]);
    assert_eq!(
        op.topics,
        ["audit", "events", "orders"],
        "all topics, sorted"
    );
    assert!(
        op.preserve_partitions,
        "preserve_partitions defaults to true"
    );
    assert!(!op.id.is_empty());

    let done = f.watch_to_end(&op.id).await;
    assert_eq!(
        done.status(),
        OperationStatus::Succeeded,
        "{}",
        done.error_message
    );
    assert_eq!(done.progress_percent, 100.0);
    let [on_a, on_b] = targets(&done) else {
        panic!("two targets: {:?}", targets(&done));
    };
    assert_eq!(on_a.target_cluster_id, a.id);
    assert_eq!(on_a.topics_created, ["audit", "events", "orders"]);
    assert!(on_a.topics_matching.is_empty() && on_a.conflicts.is_empty());
    assert_eq!(on_a.error, "");
    assert_eq!(on_b.target_cluster_id, b.id);
    assert_eq!(on_b.topics_created, ["audit", "orders"]);
    assert!(on_b.topics_matching.is_empty());
    assert_eq!(on_b.error, "");
    let [conflict] = on_b.conflicts.as_slice() else {
        panic!("one conflict: {:?}", on_b.conflicts);
    };
    assert_eq!(conflict.topic, "events");
    assert_eq!(
        (conflict.source_partitions, conflict.target_partitions),
        (2, 4)
    );
    assert_eq!(
        (
            conflict.source_replication_factor,
            conflict.target_replication_factor
        ),
        (1, 1)
    );
    assert!(conflict.config_differences.is_empty());

    // What the targets now have: the source's partition counts; the conflicting topic as it
    // was; no data.
    let on_target_a = f.topics("target-a").await;
    let shape = |t: &BTreeMap<String, Topic>| -> Vec<(String, i32, i32, i64)> {
        t.values()
            .map(|t| {
                (
                    t.name.clone(),
                    t.partitions,
                    t.replication_factor,
                    t.message_count,
                )
            })
            .collect()
    };
    let source_shape = shape(&f.topics("source").await);
    assert_eq!(shape(&on_target_a), source_shape);
    let on_target_b = f.topics("target-b").await;
    assert_eq!(
        on_target_b["events"].partitions, 4,
        "the conflict is left as it was"
    );
    assert_eq!(on_target_b["orders"].partitions, 3);
    if !broker_lacks(BrokerGap::TopicConfigSources) {
        // The configs set on the source topic were set on the created one.
        let orders = &on_target_a["orders"].configs;
        assert_eq!(
            orders.get("retention.ms").map(String::as_str),
            Some("3600000")
        );
        assert_eq!(
            orders.get("cleanup.policy").map(String::as_str),
            Some("compact")
        );
    }

    // Again, over REST (202 and the operation at once): everything matches now but the conflict.
    let res = f
        .http
        .post(f.rest("/operations/replicate"))
        .json(&json!({"sourceClusterId": "source", "targetClusterIds": ["target-a", "target-b"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["operationType"], "OPERATION_TYPE_REPLICATE");
    let id = v["id"].as_str().unwrap().to_string();
    let again = f.watch_to_end(&id).await;
    assert_eq!(
        again.status(),
        OperationStatus::Succeeded,
        "{}",
        again.error_message
    );
    let [on_a, on_b] = targets(&again) else {
        panic!("two targets");
    };
    assert!(on_a.topics_created.is_empty(), "{on_a:?}");
    assert_eq!(on_a.topics_matching, ["audit", "events", "orders"]);
    assert!(on_a.conflicts.is_empty(), "{on_a:?}");
    assert!(on_b.topics_created.is_empty(), "{on_b:?}");
    assert_eq!(on_b.topics_matching, ["audit", "orders"]);
    assert_eq!(on_b.conflicts.len(), 1);
    assert_eq!(on_b.conflicts[0].topic, "events");
    // Both are recorded and listed.
    let listed = f
        .ops
        .list_operations(ListOperationsRequest {
            operation_type: OperationType::Replicate as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.operations.len(),
        3,
        "two replications and the dry run"
    );
    assert!(
        listed
            .operations
            .iter()
            .all(|o| o.status() == OperationStatus::Succeeded)
    );

    // The clusters replication made equal compare as identical, structure and data.
    let same = f.compare("source", "target-a", false).await.unwrap();
    assert_no_broker_config_gap_hidden(&same);
    assert!(
        same.config_differences.is_empty(),
        "{:?}",
        same.config_differences
    );
    assert!(same.topics_only_in_source.is_empty() && same.topics_only_in_target.is_empty());
    assert!(same.topics_with_different_config.is_empty(), "{same:?}");
    assert!(same.summary.as_ref().unwrap().identical, "{same:?}");
    f.produce("source", "orders", 1, 3).await;
    f.produce("target-a", "orders", 1, 3).await;
    let same = f.compare("source", "target-a", true).await.unwrap();
    let summary = same.summary.unwrap();
    assert!(summary.identical, "{same:?}");
    assert_eq!((summary.source_messages, summary.target_messages), (3, 3));
    assert!(same.message_count_differences.is_empty());

    // Without preserve_partitions a created topic gets the target's default (tansu-dev: 3),
    // and a partition count that differs is no conflict.
    f.topic("source", "wide", 5, &[]).await;
    let op = f
        .replicate("source", &["target-a"], &["wide"], Some(false))
        .await
        .unwrap();
    assert!(!op.preserve_partitions);
    assert_eq!(op.topics, ["wide"]);
    let done = f.watch_to_end(&op.id).await;
    assert_eq!(
        done.status(),
        OperationStatus::Succeeded,
        "{}",
        done.error_message
    );
    assert_eq!(targets(&done)[0].topics_created, ["wide"]);
    assert_eq!(f.topics("target-a").await["wide"].partitions, 3);
    let op = f
        .replicate("source", &["target-a"], &["wide"], Some(false))
        .await
        .unwrap();
    let done = f.watch_to_end(&op.id).await;
    assert_eq!(targets(&done)[0].topics_matching, ["wide"]);
    // With it, the same topic is a conflict.
    let op = f
        .replicate("source", &["target-a"], &["wide"], None)
        .await
        .unwrap();
    let done = f.watch_to_end(&op.id).await;
    assert_eq!(
        done.status(),
        OperationStatus::Succeeded,
        "conflicts are results"
    );
    let conflicts = &targets(&done)[0].conflicts;
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (
            conflicts[0].source_partitions,
            conflicts[0].target_partitions
        ),
        (5, 3)
    );
    f.finish().await;
}

/// The broker-config part of a comparison is either compared or said to be unavailable.
fn assert_no_broker_config_gap_hidden(r: &ClusterComparisonResult) {
    let summary = r.summary.as_ref().unwrap();
    if broker_lacks(BrokerGap::DescribeBrokerConfigs) {
        assert!(!summary.broker_configs_compared, "{r:?}");
        assert!(
            r.not_compared
                .iter()
                .any(|n| n.starts_with("broker configs: unavailable")),
            "{:?}",
            r.not_compared
        );
    } else {
        assert!(summary.broker_configs_compared, "{:?}", r.not_compared);
        assert!(r.not_compared.is_empty(), "{:?}", r.not_compared);
    }
}

/// Each kind of difference, planted, is found: definitions, topics only on one side,
/// partition counts, topic configs, message counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_finds_each_planted_difference() {
    let Some(mut f) = fixture().await else {
        return;
    };
    f.cluster("left", KafkaConfig::default()).await;
    f.cluster(
        "right",
        KafkaConfig {
            num_partitions: Some(5),
            ..Default::default()
        },
    )
    .await;
    f.topic("left", "only-left", 1, &[]).await;
    f.topic("right", "only-right", 1, &[]).await;
    f.topic("left", "parts", 2, &[]).await;
    f.topic("right", "parts", 3, &[]).await;
    f.topic("left", "conf", 1, &[("retention.ms", "3600000")])
        .await;
    f.topic("right", "conf", 1, &[("retention.ms", "7200000")])
        .await;
    f.topic("left", "same", 2, &[]).await;
    f.topic("right", "same", 2, &[]).await;
    f.produce("left", "only-left", 0, 2).await;
    f.produce("left", "same", 0, 5).await;
    f.produce("right", "same", 0, 3).await;

    let r = f.compare("left", "right", true).await.unwrap();
    assert_eq!(
        (r.source_cluster.as_str(), r.target_cluster.as_str()),
        ("left", "right")
    );
    assert_no_broker_config_gap_hidden(&r);
    // The definitions: the planted num_partitions, and nothing else of the definitions.
    let definition: Vec<(&str, &str, &str)> = r
        .config_differences
        .iter()
        .filter(|d| !d.key.starts_with("broker_config."))
        .map(|d| {
            (
                d.key.as_str(),
                d.source_value.as_str(),
                d.target_value.as_str(),
            )
        })
        .collect();
    assert_eq!(definition, [("kafka_config.num_partitions", "3", "5")]);
    assert_eq!(r.topics_only_in_source, ["only-left"]);
    assert_eq!(r.topics_only_in_target, ["only-right"]);
    let differing: BTreeMap<&str, &TopicDifference> = r
        .topics_with_different_config
        .iter()
        .map(|d| (d.topic.as_str(), d))
        .collect();
    let parts = differing.get("parts").expect("partition counts differ");
    assert_eq!((parts.source_partitions, parts.target_partitions), (2, 3));
    assert!(parts.config_differences.is_empty());
    assert!(!differing.contains_key("same"), "{differing:?}");
    if !broker_lacks(BrokerGap::TopicConfigSources) {
        let conf = differing.get("conf").expect("topic configs differ");
        assert_eq!((conf.source_partitions, conf.target_partitions), (1, 1));
        let diffs: Vec<(&str, &str, &str)> = conf
            .config_differences
            .iter()
            .map(|d| {
                (
                    d.key.as_str(),
                    d.source_value.as_str(),
                    d.target_value.as_str(),
                )
            })
            .collect();
        assert_eq!(diffs, [("retention.ms", "3600000", "7200000")]);
        assert_eq!(differing.len(), 2, "{differing:?}");
    }
    // Message counts: only the partitions that differ, with both sides and the difference.
    let counts: Vec<(&str, i32, i64, i64, i64)> = r
        .message_count_differences
        .iter()
        .map(|c| {
            (
                c.topic.as_str(),
                c.partition,
                c.source_count,
                c.target_count,
                c.difference,
            )
        })
        .collect();
    assert_eq!(counts, [("only-left", 0, 2, 0, 2), ("same", 0, 5, 3, 2)]);
    let s = r.summary.unwrap();
    assert_eq!(s.config_differences as usize, r.config_differences.len());
    assert_eq!((s.topics_only_in_source, s.topics_only_in_target), (1, 1));
    assert_eq!(
        s.topics_with_different_config as usize,
        r.topics_with_different_config.len()
    );
    assert_eq!((s.source_messages, s.target_messages), (7, 3));
    assert_eq!(s.partitions_with_different_counts, 2);
    assert!(!s.identical);

    // Without include_data: no counts at all.
    let r = f.compare("left", "right", false).await.unwrap();
    assert!(r.message_count_differences.is_empty());
    let s = r.summary.unwrap();
    assert_eq!((s.source_messages, s.target_messages), (0, 0));
    assert_eq!(s.partitions_with_different_counts, 0);

    // The same comparison over REST.
    let res = f
        .http
        .get(f.rest("/operations/compare?sourceCluster=left&targetCluster=right&includeData=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["topicsOnlyInSource"], json!(["only-left"]));
    assert_eq!(v["topicsOnlyInTarget"], json!(["only-right"]));
    assert_eq!(v["summary"]["identical"], false);
    assert_eq!(v["summary"]["sourceMessages"], "7");
    assert_eq!(v["summary"]["targetMessages"], "3");
    assert_eq!(v["messageCountDifferences"][1]["topic"], "same");
    assert_eq!(v["messageCountDifferences"][1]["difference"], "2");
    assert!(
        v["configDifferences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["key"] == "kafka_config.num_partitions")
    );
    f.finish().await;
}

/// An external cluster has no definition in lkm: the comparison says so, compares what
/// exists (brokers, topics, data), and replication writes to it like to any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_clusters_compare_what_exists() {
    let Some(mut f) = fixture().await else {
        return;
    };
    let Some(broker) = common::TansuProcess::start().await else {
        return;
    };
    f.cluster("managed", KafkaConfig::default()).await;
    let ext = f
        .clusters
        .create_cluster(CreateClusterRequest {
            name: "outside".into(),
            external_bootstrap_servers: broker.addr.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(
        ext.status(),
        ClusterStatus::Running,
        "{}",
        ext.status_message
    );
    f.topic("managed", "shared", 2, &[]).await;
    f.produce("managed", "shared", 1, 4).await;

    let op = f
        .replicate("managed", &["outside"], &[], None)
        .await
        .unwrap();
    let done = f.watch_to_end(&op.id).await;
    assert_eq!(
        done.status(),
        OperationStatus::Succeeded,
        "{}",
        done.error_message
    );
    assert_eq!(targets(&done)[0].topics_created, ["shared"]);

    let r = f.compare("managed", "outside", true).await.unwrap();
    assert!(
        r.not_compared
            .iter()
            .any(|n| n.starts_with("cluster definitions: outside is external")),
        "{:?}",
        r.not_compared
    );
    assert!(
        r.config_differences
            .iter()
            .all(|d| d.key.starts_with("broker_config.")),
        "no definition differences: {:?}",
        r.config_differences
    );
    assert!(r.topics_only_in_source.is_empty() && r.topics_only_in_target.is_empty());
    assert!(r.topics_with_different_config.is_empty(), "{r:?}");
    // Structure replicated, data not: the four records are a difference.
    let counts: Vec<(&str, i32, i64, i64)> = r
        .message_count_differences
        .iter()
        .map(|c| {
            (
                c.topic.as_str(),
                c.partition,
                c.source_count,
                c.target_count,
            )
        })
        .collect();
    assert_eq!(counts, [("shared", 1, 4, 0)]);
    assert!(!r.summary.unwrap().identical);
    f.finish().await;
}

/// Errors, over gRPC and REST: unknown clusters and topics, the same cluster twice, a
/// cluster that does not run. Nothing starts on a refused request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests() {
    let Some(mut f) = fixture().await else {
        return;
    };
    f.cluster("one", KafkaConfig::default()).await;
    let two = f.cluster("two", KafkaConfig::default()).await;
    f.topic("one", "present", 1, &[]).await;

    // Unknown cluster: NOT_FOUND.
    for err in [
        f.replicate("missing", &["two"], &[], None)
            .await
            .unwrap_err(),
        f.replicate("one", &["two", "missing"], &[], None)
            .await
            .unwrap_err(),
        f.compare("missing", "two", false).await.unwrap_err(),
        f.compare("one", "missing", true).await.unwrap_err(),
    ] {
        assert_eq!(
            code_reason(&err),
            (Code::NotFound, "CLUSTER_NOT_FOUND".into()),
            "{err:?}"
        );
    }
    let res = f
        .http
        .get(f.rest("/operations/compare?sourceCluster=one&targetCluster=missing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = f
        .http
        .post(f.rest("/operations/replicate"))
        .json(&json!({"sourceClusterId": "missing", "targetClusterIds": ["two"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The same cluster on both sides, a target named twice, no target: INVALID_ARGUMENT.
    for err in [
        f.replicate("one", &["one"], &[], None).await.unwrap_err(),
        f.replicate("one", &["two", "one"], &[], None)
            .await
            .unwrap_err(),
        f.replicate("one", &["two", two.id.as_str()], &[], None)
            .await
            .unwrap_err(),
        f.replicate("one", &[], &[], None).await.unwrap_err(),
        f.replicate("one", &["two"], &[""], None).await.unwrap_err(),
        f.compare("one", "one", false).await.unwrap_err(),
        f.compare("", "one", false).await.unwrap_err(),
    ] {
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    }
    let res = f
        .http
        .get(f.rest("/operations/compare?sourceCluster=one&targetCluster=one"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // A topic the source does not have: NOT_FOUND, before anything starts.
    let err = f
        .replicate("one", &["two"], &["present", "nope"], None)
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "TOPIC_NOT_FOUND".into())
    );
    assert!(err.message().contains("nope"), "{}", err.message());
    let res = f
        .http
        .post(f.rest("/operations/replicate"))
        .json(&json!({"sourceClusterId": "one", "targetClusterIds": ["two"], "topics": ["nope"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let listed = f
        .ops
        .list_operations(ListOperationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.operations.is_empty(), "{:?}", listed.operations);
    assert!(
        !f.topics("two").await.contains_key("present"),
        "nothing was created"
    );

    // A stopped cluster: FAILED_PRECONDITION.
    f.clusters
        .stop_cluster(StopClusterRequest {
            cluster_id: "two".into(),
            cleanup: false,
        })
        .await
        .unwrap();
    for err in [
        f.replicate("one", &["two"], &[], None).await.unwrap_err(),
        f.replicate("two", &["one"], &[], None).await.unwrap_err(),
        f.compare("one", "two", false).await.unwrap_err(),
        f.compare("two", "one", true).await.unwrap_err(),
    ] {
        assert_eq!(
            code_reason(&err),
            (Code::FailedPrecondition, "CLUSTER_NOT_RUNNING".into()),
            "{err:?}"
        );
    }
    let res = f
        .http
        .get(f.rest("/operations/compare?sourceCluster=one&targetCluster=two&includeData=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("not RUNNING"),
        "{v}"
    );
    f.finish().await;
}
