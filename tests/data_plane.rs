//! The Kafka data plane through a real lkm server, over gRPC and REST: topics, produce,
//! consume, consumer groups and the legacy routes, against clusters of the test broker (real
//! Apache Kafka; tansu with LKM_TEST_BROKER=tansu) started by lkm's process runtime. Where
//! tansu falls short the test asks `broker_lacks` (see the test-broker notes); its engine per
//! test: sqlite where counts, watermarks and timestamps matter, memory where topics are
//! deleted or group members are described.

mod common;

use std::time::{Duration, Instant};

use common::{BrokerGap, Db, Env, broker_lacks, code_reason};
use futures::StreamExt;
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::payload::Data;
use lkm::pb::*;
use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;

type Clusters = ClusterServiceClient<Channel>;

const WAIT: Duration = Duration::from_secs(20);

/// An lkm server (process runtime) with one running cluster of the test broker.
struct Fixture {
    env: Env,
    grpc: Clusters,
    http: reqwest::Client,
    cluster: Cluster,
}

/// tansu's storage engines (see the test-broker notes for what each gets right).
const SQLITE: &str = "sqlite";
const MEMORY: &str = "memory";

async fn fixture(name: &str, engine: &str) -> Option<Fixture> {
    let env = Env::with_test_broker(Db::Sqlite, |_| {}).await?;
    let mut grpc = env.server.clusters().await;
    let res = grpc
        .create_cluster(common::broker_cluster(name, engine))
        .await
        .unwrap()
        .into_inner();
    let cluster = res.cluster.unwrap();
    assert_eq!(
        cluster.status(),
        ClusterStatus::Running,
        "{} {:?}",
        cluster.status_message,
        res.warnings
    );
    Some(Fixture {
        env,
        grpc,
        http: reqwest::Client::new(),
        cluster,
    })
}

impl Fixture {
    fn id(&self) -> String {
        self.cluster.id.clone()
    }

    fn rest(&self, path: &str) -> String {
        self.env
            .server
            .rest(&format!("/clusters/{}{path}", self.cluster.name))
    }

    async fn create_topic(&mut self, name: &str, partitions: i32) -> Topic {
        self.grpc
            .create_topic(CreateTopicRequest {
                cluster_id: self.id(),
                name: name.into(),
                partitions: Some(partitions),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("create topic {name}: {e}"))
            .into_inner()
            .topic
            .unwrap()
    }

    async fn get_topic(&mut self, name: &str) -> Result<Topic, tonic::Status> {
        self.grpc
            .get_topic(GetTopicRequest {
                cluster_id: self.id(),
                topic: name.into(),
            })
            .await
            .map(|r| r.into_inner().topic.unwrap())
    }

    async fn list_topics(&mut self) -> Vec<Topic> {
        self.grpc
            .list_topics(ListTopicsRequest {
                cluster_id: self.id(),
                include_internal: false,
            })
            .await
            .unwrap()
            .into_inner()
            .topics
    }

    async fn produce(&mut self, topic: &str, records: Vec<ProducerRecord>) -> ProduceResponse {
        let res = self
            .grpc
            .produce(ProduceRequest {
                cluster_id: self.id(),
                topic: topic.into(),
                records,
            })
            .await
            .unwrap_or_else(|e| panic!("produce to {topic}: {e}"))
            .into_inner();
        assert_eq!(res.failed_count, 0, "{:?}", res.results);
        res
    }

    async fn consume(&mut self, mut req: ConsumeRequest) -> ConsumeResponse {
        req.cluster_id = self.id();
        self.grpc
            .consume(req)
            .await
            .unwrap_or_else(|e| panic!("consume: {e}"))
            .into_inner()
    }

    async fn group(&mut self, group: &str) -> Result<ConsumerGroup, tonic::Status> {
        self.grpc
            .get_consumer_group(GetConsumerGroupRequest {
                cluster_id: self.id(),
                group_id: group.into(),
            })
            .await
            .map(|r| r.into_inner().group.unwrap())
    }

    async fn reset(
        &mut self,
        mut req: ResetConsumerGroupOffsetsRequest,
    ) -> Result<Vec<GroupPartitionOffsets>, tonic::Status> {
        req.cluster_id = self.id();
        self.grpc
            .reset_consumer_group_offsets(req)
            .await
            .map(|r| r.into_inner().offsets)
    }

    /// Stops the cluster (so its broker process ends) and the server.
    async fn finish(mut self) {
        let _ = self
            .grpc
            .stop_cluster(StopClusterRequest {
                cluster_id: self.id(),
                cleanup: false,
            })
            .await;
        self.env.finish().await;
    }
}

fn text(s: &str) -> Option<Payload> {
    Some(Payload {
        data: Some(Data::Text(s.into())),
    })
}

fn binary(b: &[u8]) -> Option<Payload> {
    Some(Payload {
        data: Some(Data::Binary(b.to_vec())),
    })
}

fn json_payload(v: &Value) -> Option<Payload> {
    Some(Payload {
        data: Some(Data::Json(to_proto_value(v))),
    })
}

fn to_proto_value(v: &Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap()),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.iter().map(to_proto_value).collect(),
        }),
        Value::Object(o) => Kind::StructValue(prost_types::Struct {
            fields: o
                .iter()
                .map(|(k, v)| (k.clone(), to_proto_value(v)))
                .collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

/// JSON with every number as a float (a google.protobuf.Value number is a double; how the
/// JSON printer writes 7 — "7" or "7.0" — is not the point).
fn numbers_as_floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_floats).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), numbers_as_floats(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn data(p: &Option<Payload>) -> Option<&Data> {
    p.as_ref().and_then(|p| p.data.as_ref())
}

fn bytes_of(p: &Option<Payload>) -> Option<Vec<u8>> {
    data(p).map(|d| match d {
        Data::Binary(b) => b.clone(),
        Data::Text(t) => t.as_bytes().to_vec(),
        Data::Json(_) => panic!("unexpected JSON payload: {p:?}"),
    })
}

fn ts(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms / 1000,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    }
}

fn ms_of(t: &Option<prost_types::Timestamp>) -> i64 {
    let t = t.as_ref().expect("a timestamp");
    t.seconds * 1000 + i64::from(t.nanos / 1_000_000)
}

fn record(key: &str, value: &str) -> ProducerRecord {
    ProducerRecord {
        key: text(key),
        value: text(value),
        ..Default::default()
    }
}

fn from_beginning(topic: &str) -> ConsumeRequest {
    ConsumeRequest {
        topic: topic.into(),
        start_from: StartFrom::Beginning as i32,
        max_wait: Some(prost_types::Duration {
            seconds: 10,
            nanos: 0,
        }),
        max_records: 10_000,
        ..Default::default()
    }
}

fn reset_to(group: &str, topic: &str, to: OffsetReset) -> ResetConsumerGroupOffsetsRequest {
    ResetConsumerGroupOffsetsRequest {
        group_id: group.into(),
        topic: topic.into(),
        to: to as i32,
        ..Default::default()
    }
}

/// Committed offsets of `group` per partition of `topic`.
fn committed(g: &ConsumerGroup, topic: &str) -> Vec<(i32, i64)> {
    let mut v: Vec<(i32, i64)> = g
        .offsets
        .iter()
        .filter(|o| o.topic == topic)
        .map(|o| (o.partition, o.committed_offset))
        .collect();
    v.sort();
    v
}

fn assert_code(status: &tonic::Status, code: Code, reason: &str) {
    assert_eq!(
        code_reason(status),
        (code, reason.to_string()),
        "{}",
        status.message()
    );
}

/// Partition count of `topic` as an independent client (rdkafka, not through lkm) sees it.
async fn partitions_seen_by_rdkafka(bootstrap: &str, topic: &str) -> Option<usize> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let bootstrap = bootstrap.to_string();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        let md = c
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .unwrap();
        md.topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map(|t| t.partitions().len())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_lifecycle_and_configs() {
    let Some(mut f) = fixture("topics", MEMORY).await else {
        return;
    };
    let bootstrap = f.cluster.endpoints["kafka"].clone();
    assert!(f.list_topics().await.is_empty());

    // Create with configs: the answer and a later description show them.
    let created = f
        .grpc
        .create_topic(CreateTopicRequest {
            cluster_id: f.id(),
            name: "orders".into(),
            partitions: Some(3),
            configs: [
                ("retention.ms".to_string(), "3600000".to_string()),
                ("cleanup.policy".to_string(), "compact".to_string()),
            ]
            .into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!(created.name, "orders");
    assert_eq!((created.partitions, created.replication_factor), (3, 1));
    assert_eq!(created.configs["retention.ms"], "3600000");
    assert_eq!(created.configs["cleanup.policy"], "compact");
    assert_eq!(
        partitions_seen_by_rdkafka(&bootstrap, "orders").await,
        Some(3)
    );

    let t = f.get_topic("orders").await.unwrap();
    assert_eq!(t.partition_details.len(), 3);
    for (i, p) in t.partition_details.iter().enumerate() {
        assert_eq!(p.partition, i as i32);
        assert!(p.leader >= 0, "{p:?}");
        assert_eq!(p.replicas.len(), 1, "{p:?}");
        assert_eq!(p.in_sync_replicas, p.replicas, "{p:?}");
        assert_eq!((p.low_watermark, p.high_watermark), (0, 0), "{p:?}");
    }
    assert_eq!(t.configs["retention.ms"], "3600000");
    assert_eq!(t.message_count, 0);

    // Partitions and replication factor default to the cluster's KafkaConfig (tansu-dev: 3).
    let defaults = f
        .grpc
        .create_topic(CreateTopicRequest {
            cluster_id: f.id(),
            name: "defaults".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!((defaults.partitions, defaults.replication_factor), (3, 1));

    // The listing: names, partitions, replication factor, counts, configs set on the topic.
    let list = f.list_topics().await;
    let names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["defaults", "orders"]);
    let orders = &list[1];
    assert_eq!((orders.partitions, orders.replication_factor), (3, 1));
    assert_eq!(orders.message_count, 0);
    assert!(orders.partition_details.is_empty());
    if !broker_lacks(BrokerGap::TopicConfigSources) {
        assert_eq!(
            orders.configs.get("retention.ms").map(String::as_str),
            Some("3600000")
        );
        assert!(
            defaults_have_no_overrides(&list[0]),
            "{:?}",
            list[0].configs
        );
    }

    // Incremental config change: one set, one deleted, the others kept.
    let updated = f
        .grpc
        .update_topic_config(UpdateTopicConfigRequest {
            cluster_id: f.id(),
            topic: "orders".into(),
            set: [("retention.ms".to_string(), "60000".to_string())].into(),
            delete: vec!["cleanup.policy".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!(updated.configs["retention.ms"], "60000");
    assert_ne!(
        updated.configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );
    let again = f.get_topic("orders").await.unwrap();
    assert_eq!(again.configs["retention.ms"], "60000");

    // Errors: duplicates, bad partition counts, Kafka's topic-name rules.
    let err = f
        .grpc
        .create_topic(CreateTopicRequest {
            cluster_id: f.id(),
            name: "orders".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::AlreadyExists, "TOPIC_ALREADY_EXISTS");
    let long = "x".repeat(250);
    for bad in ["", ".", "..", "has space", "a/b", "ümlaut", long.as_str()] {
        let err = f
            .grpc
            .create_topic(CreateTopicRequest {
                cluster_id: f.id(),
                name: bad.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert!(
            err.message().starts_with("name:") && err.message().contains("1 to 249 characters"),
            "{bad}: {}",
            err.message()
        );
    }
    let max_name = "y".repeat(249);
    f.create_topic(&max_name, 1).await;
    let err = f
        .grpc
        .create_topic(CreateTopicRequest {
            cluster_id: f.id(),
            name: "zero".into(),
            partitions: Some(0),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");

    // Adding partitions: the new total must exceed the current count.
    let id = f.id();
    let add = |n: i32| AddPartitionsRequest {
        cluster_id: id.clone(),
        topic: "orders".into(),
        partitions: n,
    };
    let err = f.grpc.add_partitions(add(3)).await.unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert!(
        err.message().contains("has 3 partition"),
        "{}",
        err.message()
    );
    let res = f.grpc.add_partitions(add(5)).await;
    if broker_lacks(BrokerGap::CreatePartitions) {
        // What lkm says when a broker lacks a feature: UNIMPLEMENTED, in the broker's words.
        let err = res.unwrap_err();
        assert_code(&err, Code::Unimplemented, "NOT_IMPLEMENTED");
        assert!(
            err.message().contains("CreatePartitions"),
            "{}",
            err.message()
        );
    } else {
        assert_eq!(res.unwrap().into_inner().topic.unwrap().partitions, 5);
        assert_eq!(
            partitions_seen_by_rdkafka(&bootstrap, "orders").await,
            Some(5)
        );
    }

    // Delete: gone for lkm and for an independent client; the other topics stay.
    f.grpc
        .delete_topic(DeleteTopicRequest {
            cluster_id: f.id(),
            topic: "orders".into(),
        })
        .await
        .unwrap();
    assert_code(
        &f.get_topic("orders").await.unwrap_err(),
        Code::NotFound,
        "TOPIC_NOT_FOUND",
    );
    assert_eq!(partitions_seen_by_rdkafka(&bootstrap, "orders").await, None);
    let names: Vec<String> = f.list_topics().await.into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["defaults".to_string(), max_name.clone()]);
    let err = f
        .grpc
        .delete_topic(DeleteTopicRequest {
            cluster_id: f.id(),
            topic: "orders".into(),
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::NotFound, "TOPIC_NOT_FOUND");
    let err = f
        .grpc
        .update_topic_config(UpdateTopicConfigRequest {
            cluster_id: f.id(),
            topic: "orders".into(),
            set: [("retention.ms".to_string(), "1".to_string())].into(),
            delete: vec![],
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::NotFound, "TOPIC_NOT_FOUND");

    // The same over REST.
    let res = f
        .http
        .post(f.rest("/topics"))
        .json(&json!({"name": "web", "partitions": 2, "configs": {"retention.ms": "1000"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["name"].as_str(), v["partitions"].as_i64()),
        (Some("web"), Some(2))
    );
    let v: Value = f
        .http
        .get(f.rest("/topics/web"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["configs"]["retention.ms"], "1000", "{v}");
    assert_eq!(
        v["partitionDetails"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );
    let res = f
        .http
        .patch(f.rest("/topics/web/configs"))
        .json(&json!({"set": {"retention.ms": "2000"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["configs"]["retention.ms"], "2000", "{v}");
    let v: Value = f
        .http
        .get(f.rest("/topics"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        v["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "web"),
        "{v}"
    );
    let res = f.http.delete(f.rest("/topics/web")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = f.http.get(f.rest("/topics/web")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["details"][0]["reason"], "TOPIC_NOT_FOUND", "{v}");
    let res = f
        .http
        .post(f.rest("/topics"))
        .json(&json!({"name": "no spaces allowed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    f.finish().await;
}

fn defaults_have_no_overrides(t: &Topic) -> bool {
    t.configs.is_empty()
}

/// Every topic name the cluster has, internal ones included, as an independent client
/// (rdkafka, not through lkm) sees them.
async fn topics_seen_by_rdkafka(bootstrap: &str) -> Vec<String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let bootstrap = bootstrap.to_string();
    tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        let md = c.fetch_metadata(None, Duration::from_secs(10)).unwrap();
        let mut names: Vec<String> = md.topics().iter().map(|t| t.name().to_string()).collect();
        names.sort();
        names
    })
    .await
    .unwrap()
}

/// What lkm can know about a topic request is checked before the broker sees it: Kafka's
/// internal names (any name starting with "__"), a replication factor above the cluster's
/// broker count, config names that are not config names and values with control characters
/// are INVALID_ARGUMENT over gRPC and 400 over REST, and the cluster gains no topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_input_is_checked_before_the_broker() {
    let Some(mut f) = fixture("topicinput", MEMORY).await else {
        return;
    };
    let bootstrap = f.cluster.endpoints["kafka"].clone();
    let before = topics_seen_by_rdkafka(&bootstrap).await;
    let id = f.id();
    let named = |name: &str| CreateTopicRequest {
        cluster_id: id.clone(),
        name: name.into(),
        partitions: Some(1),
        ..Default::default()
    };
    let with_config = |name: &str, value: &str| CreateTopicRequest {
        configs: [(name.to_string(), value.to_string())].into(),
        ..named("okname")
    };
    let attempts: Vec<(&str, CreateTopicRequest, &str)> = vec![
        ("__consumer_offsets", named("__consumer_offsets"), "name"),
        ("__transaction_state", named("__transaction_state"), "name"),
        ("__share_group_state", named("__share_group_state"), "name"),
        ("__cluster_metadata", named("__cluster_metadata"), "name"),
        ("any __ name", named("__mine"), "name"),
        (
            "more replicas than brokers",
            CreateTopicRequest {
                replication_factor: Some(2),
                ..named("toomany")
            },
            "replication_factor",
        ),
        (
            "a newline in a value",
            with_config("retention.ms", "1000\nsegment.ms=1"),
            "configs[retention.ms]",
        ),
        (
            "a NUL in a value",
            with_config("cleanup.policy", "delete\0"),
            "configs[cleanup.policy]",
        ),
        (
            "a name with '='",
            with_config("retention.ms=1", "1"),
            "configs",
        ),
        (
            "a name with a space",
            with_config("retention ms", "1"),
            "configs",
        ),
        ("an empty name", with_config("", "1"), "configs"),
        (
            "a name starting with '.'",
            with_config(".hidden", "1"),
            "configs",
        ),
    ];
    for (what, req, field) in &attempts {
        let err = f.grpc.create_topic(req.clone()).await.unwrap_err();
        assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
        use tonic_types::StatusExt;
        let violations = err.get_details_bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, *field, "{what}: {}", err.message());
    }
    // Topics that exist are not reshaped or deleted through an internal name either.
    let err = f
        .grpc
        .delete_topic(DeleteTopicRequest {
            cluster_id: f.id(),
            topic: "__consumer_offsets".into(),
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let err = f
        .grpc
        .update_topic_config(UpdateTopicConfigRequest {
            cluster_id: f.id(),
            topic: "__consumer_offsets".into(),
            set: [("retention.ms".to_string(), "1".to_string())].into(),
            delete: vec![],
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");

    // The same over REST.
    let bodies = [
        json!({"name": "__consumer_offsets"}),
        json!({"name": "toomany", "replicationFactor": 2}),
        json!({"name": "okname", "configs": {"retention.ms": "1\r\nx=y"}}),
        json!({"name": "okname", "configs": {"retention.ms\n": "1"}}),
    ];
    for body in bodies {
        let res = f
            .http
            .post(f.rest("/topics"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], 3, "{body}: {v}");
    }
    let res = f
        .http
        .patch(f.rest("/topics/__consumer_offsets/configs"))
        .json(&json!({"set": {"retention.ms": "1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Nothing reached the broker: it has the topics it had.
    assert_eq!(topics_seen_by_rdkafka(&bootstrap).await, before);
    assert!(f.list_topics().await.is_empty());
    // A valid request still works (one broker: one replica).
    let ok = f
        .grpc
        .create_topic(CreateTopicRequest {
            replication_factor: Some(1),
            configs: [("retention.ms".to_string(), "60000".to_string())].into(),
            ..named("okname")
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.topic.unwrap().configs["retention.ms"], "60000");
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_consume_round_trip_is_exact() {
    let Some(mut f) = fixture("roundtrip", SQLITE).await else {
        return;
    };
    f.create_topic("rt", 2).await;
    let all_bytes: Vec<u8> = (0..=255).collect();
    let reversed: Vec<u8> = (0..=255).rev().collect();
    let base = 1_700_000_000_000i64;
    let records = vec![
        ProducerRecord {
            key: binary(&all_bytes),
            value: binary(&reversed),
            headers: vec![
                RecordHeader {
                    key: "h-bin".into(),
                    value: vec![0, 1, 2, 255],
                },
                RecordHeader {
                    key: "h-empty".into(),
                    value: vec![],
                },
            ],
            partition: Some(0),
            timestamp: Some(ts(base)),
        },
        ProducerRecord {
            key: text("k1"),
            value: text("héllo wörld"),
            partition: Some(1),
            timestamp: Some(ts(base + 1000)),
            ..Default::default()
        },
        ProducerRecord {
            key: None,
            value: json_payload(&json!({"a": 1, "b": [true, null, "x"]})),
            partition: Some(0),
            timestamp: Some(ts(base + 2000)),
            ..Default::default()
        },
        ProducerRecord {
            key: text("k3"),
            value: None,
            partition: Some(1),
            timestamp: Some(ts(base + 3000)),
            ..Default::default()
        },
    ];
    let sent = records.clone();
    let res = f.produce("rt", records).await;
    let placed: Vec<(i32, i32, i64)> = res
        .results
        .iter()
        .map(|r| (r.index, r.partition, r.offset))
        .collect();
    assert_eq!(placed, [(0, 0, 0), (1, 1, 0), (2, 0, 1), (3, 1, 1)]);
    assert!(res.results.iter().all(|r| r.error.is_empty()));

    // Everything back, byte for byte; the call returns once the data is read.
    let t = Instant::now();
    let got = f
        .consume(ConsumeRequest {
            key_format: PayloadFormat::Binary as i32,
            value_format: PayloadFormat::Binary as i32,
            ..from_beginning("rt")
        })
        .await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}: a unary consume returns at the high watermark, not after max_wait",
        t.elapsed()
    );
    let mut recs = got.records.clone();
    recs.sort_by_key(|r| (r.partition, r.offset));
    assert_eq!(recs.len(), 4);
    let order = [0usize, 2, 1, 3]; // by (partition, offset)
    for (r, i) in recs.iter().zip(order) {
        let want = &sent[i];
        assert_eq!(r.topic, "rt");
        assert_eq!(Some(r.partition), want.partition);
        assert_eq!(bytes_of(&r.key), bytes_of(&want.key), "record {i}");
        let want_value = match data(&want.value) {
            Some(Data::Json(_)) => Some(br#"{"a":1,"b":[true,null,"x"]}"#.to_vec()),
            _ => bytes_of(&want.value),
        };
        assert_eq!(bytes_of(&r.value), want_value, "record {i}");
        assert_eq!(ms_of(&r.timestamp), ms_of(&want.timestamp), "record {i}");
        let headers: Vec<(String, Vec<u8>)> = r
            .headers
            .iter()
            .map(|h| (h.key.clone(), h.value.clone()))
            .collect();
        let want_headers: Vec<(String, Vec<u8>)> = want
            .headers
            .iter()
            .map(|h| (h.key.clone(), h.value.clone()))
            .collect();
        assert_eq!(headers, want_headers, "record {i}");
        if let Some(Data::Binary(_)) = data(&r.value) {
        } else if r.value.is_some() {
            panic!("BINARY format returned {:?}", r.value);
        }
    }
    assert_eq!(got.next_offsets, [(0, 2), (1, 2)].into());

    // Formats: text when UTF-8 (else bytes, never lossy); JSON when it parses.
    let got = f.consume(from_beginning("rt")).await;
    let by_pos = |p: i32, o: i64| {
        got.records
            .iter()
            .find(|r| r.partition == p && r.offset == o)
            .unwrap()
            .clone()
    };
    assert_eq!(
        data(&by_pos(0, 0).value),
        Some(&Data::Binary(reversed.clone()))
    );
    assert_eq!(
        data(&by_pos(0, 0).key),
        Some(&Data::Binary(all_bytes.clone()))
    );
    assert_eq!(
        data(&by_pos(1, 0).value),
        Some(&Data::Text("héllo wörld".into()))
    );
    assert_eq!(data(&by_pos(1, 0).key), Some(&Data::Text("k1".into())));
    assert_eq!(
        data(&by_pos(0, 1).value),
        Some(&Data::Text(r#"{"a":1,"b":[true,null,"x"]}"#.into()))
    );
    assert_eq!(by_pos(0, 1).key, None);
    assert_eq!(by_pos(1, 1).value, None, "a null value stays null");
    let got = f
        .consume(ConsumeRequest {
            value_format: PayloadFormat::Json as i32,
            ..from_beginning("rt")
        })
        .await;
    let r = got
        .records
        .iter()
        .find(|r| r.partition == 0 && r.offset == 1)
        .unwrap();
    assert_eq!(
        data(&r.value),
        Some(&Data::Json(to_proto_value(
            &json!({"a": 1, "b": [true, null, "x"]})
        )))
    );
    let r = got
        .records
        .iter()
        .find(|r| r.partition == 1 && r.offset == 0)
        .unwrap();
    assert_eq!(data(&r.value), Some(&Data::Text("héllo wörld".into())));

    // One partition, from an offset.
    let got = f
        .consume(ConsumeRequest {
            partition: Some(1),
            start_from: StartFrom::Offset as i32,
            offset: 1,
            ..from_beginning("rt")
        })
        .await;
    assert_eq!(got.records.len(), 1);
    assert_eq!(bytes_of(&got.records[0].key), Some(b"k3".to_vec()));
    assert_eq!(got.next_offsets, [(1, 2)].into());

    // From a time: the first record at or after it, per partition.
    let got = f
        .consume(ConsumeRequest {
            start_from: StartFrom::Timestamp as i32,
            timestamp: Some(ts(base + 500)),
            ..from_beginning("rt")
        })
        .await;
    let mut at: Vec<(i32, i64)> = got
        .records
        .iter()
        .map(|r| (r.partition, r.offset))
        .collect();
    at.sort();
    assert_eq!(at, [(0, 1), (1, 0), (1, 1)]);

    // max_records.
    let got = f
        .consume(ConsumeRequest {
            max_records: 1,
            ..from_beginning("rt")
        })
        .await;
    assert_eq!(got.records.len(), 1);

    // From the end: waits for new records, at most max_wait.
    let t = Instant::now();
    let got = f
        .consume(ConsumeRequest {
            start_from: StartFrom::End as i32,
            max_wait: Some(prost_types::Duration {
                seconds: 0,
                nanos: 600_000_000,
            }),
            ..from_beginning("rt")
        })
        .await;
    assert!(got.records.is_empty());
    assert!(
        t.elapsed() >= Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(got.next_offsets, [(0, 2), (1, 2)].into());

    // An empty topic answers at once.
    f.create_topic("empty", 3).await;
    let t = Instant::now();
    let got = f.consume(from_beginning("empty")).await;
    assert!(got.records.is_empty());
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(got.next_offsets, [(0, 0), (1, 0), (2, 0)].into());
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_payload_encodings() {
    let Some(mut f) = fixture("restpay", SQLITE).await else {
        return;
    };
    f.create_topic("enc", 1).await;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let bin: Vec<u8> = (0..=255).collect();
    let res = f
        .http
        .post(f.rest("/produce"))
        .json(&json!({
            "topic": "enc",
            "records": [
                {"key": {"text": "t"}, "value": {"text": "plain text ✓"}},
                {"key": {"text": "j"}, "value": {"json": {"id": 7, "tags": ["a", "b"], "ok": true}}},
                {"key": {"binary": b64.encode(&bin)}, "value": {"binary": b64.encode(&bin)},
                 "headers": [{"key": "h", "value": b64.encode([0u8, 255])}],
                 "timestamp": "2023-11-14T22:13:20.500Z"}
            ]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["failedCount"], 0, "{v}");
    let offsets: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["offset"].as_str().unwrap())
        .collect();
    assert_eq!(offsets, ["0", "1", "2"]);

    let res = f
        .http
        .get(f.rest("/consume?topic=enc&max_wait=10s&value_format=PAYLOAD_FORMAT_JSON"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let recs = v["records"].as_array().unwrap();
    assert_eq!(recs.len(), 3, "{v}");
    assert_eq!(recs[0]["value"]["text"], "plain text ✓");
    assert_eq!(
        numbers_as_floats(&recs[1]["value"]["json"]),
        numbers_as_floats(&json!({"id": 7, "tags": ["a", "b"], "ok": true}))
    );
    assert_eq!(recs[2]["value"]["binary"], b64.encode(&bin));
    assert_eq!(recs[2]["key"]["binary"], b64.encode(&bin));
    assert_eq!(recs[2]["headers"][0]["value"], b64.encode([0u8, 255]));
    assert_eq!(recs[2]["timestamp"], "2023-11-14T22:13:20.500Z");
    assert_eq!(v["nextOffsets"]["0"], "3", "{v}");

    // Binary format: every value as base64.
    let v: Value = f
        .http
        .get(f.rest("/consume?topic=enc&max_wait=10s&value_format=BINARY&partition=0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["records"][0]["value"]["binary"],
        b64.encode("plain text ✓".as_bytes()),
        "{v}"
    );

    // Malformed base64 is the caller's error.
    let res = f
        .http
        .post(f.rest("/produce"))
        .json(&json!({"topic": "enc", "records": [{"value": {"binary": "not*base64!"}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], 3, "{v}");
    // Nothing was produced by the refused request.
    let got = f.consume(from_beginning("enc")).await;
    assert_eq!(got.records.len(), 3);
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_clear() {
    let Some(mut f) = fixture("errors", SQLITE).await else {
        return;
    };
    f.create_topic("two", 2).await;
    let id = f.id();
    let produce = |topic: &str, records: Vec<ProducerRecord>| ProduceRequest {
        cluster_id: id.clone(),
        topic: topic.into(),
        records,
    };

    // Unknown topic (tansu, like Kafka with auto-creation off, does not create it).
    let err = f
        .grpc
        .produce(produce("nope", vec![record("k", "v")]))
        .await
        .unwrap_err();
    assert_code(&err, Code::NotFound, "TOPIC_NOT_FOUND");
    assert!(err.message().contains("nope"), "{}", err.message());
    let err = f
        .grpc
        .consume(ConsumeRequest {
            cluster_id: f.id(),
            ..from_beginning("nope")
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::NotFound, "TOPIC_NOT_FOUND");
    assert_code(
        &f.get_topic("nope").await.unwrap_err(),
        Code::NotFound,
        "TOPIC_NOT_FOUND",
    );
    let res = f
        .http
        .post(f.rest("/produce"))
        .json(&json!({"topic": "nope", "records": [{"value": {"text": "v"}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Bad partition.
    let err = f
        .grpc
        .produce(produce(
            "two",
            vec![ProducerRecord {
                partition: Some(7),
                ..record("k", "v")
            }],
        ))
        .await
        .unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert!(
        err.message().starts_with("records[0].partition"),
        "{}",
        err.message()
    );
    let err = f
        .grpc
        .consume(ConsumeRequest {
            cluster_id: f.id(),
            partition: Some(9),
            ..from_beginning("two")
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let res = f
        .http
        .get(f.rest("/consume?topic=two&partition=9"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Limits: records per call, bytes per record, max_records, max_wait.
    let err = f
        .grpc
        .produce(produce("two", vec![record("k", "v"); 10_001]))
        .await
        .unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert!(err.message().contains("10000"), "{}", err.message());
    let err = f.grpc.produce(produce("two", vec![])).await.unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let big = ProducerRecord {
        value: binary(&vec![7u8; 1024 * 1024 + 1]),
        ..Default::default()
    };
    let err = f.grpc.produce(produce("two", vec![big])).await.unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    // A record of exactly 1 MiB is fine.
    let res = f
        .produce(
            "two",
            vec![ProducerRecord {
                value: binary(&vec![7u8; 1024 * 1024]),
                partition: Some(0),
                ..Default::default()
            }],
        )
        .await;
    assert_eq!(res.results[0].offset, 0);
    for req in [
        ConsumeRequest {
            max_records: 10_001,
            ..from_beginning("two")
        },
        ConsumeRequest {
            max_wait: Some(prost_types::Duration {
                seconds: 61,
                nanos: 0,
            }),
            ..from_beginning("two")
        },
        ConsumeRequest {
            start_from: StartFrom::Committed as i32,
            ..from_beginning("two")
        },
        ConsumeRequest {
            start_from: StartFrom::Timestamp as i32,
            ..from_beginning("two")
        },
    ] {
        let err = f
            .grpc
            .consume(ConsumeRequest {
                cluster_id: f.id(),
                ..req.clone()
            })
            .await
            .unwrap_err();
        assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    }

    // Unknown cluster.
    let err = f
        .grpc
        .list_topics(ListTopicsRequest {
            cluster_id: "no-such-cluster".into(),
            include_internal: false,
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::NotFound, "CLUSTER_NOT_FOUND");

    // A stopped cluster: FAILED_PRECONDITION naming its status, over gRPC and REST.
    f.grpc
        .stop_cluster(StopClusterRequest {
            cluster_id: f.id(),
            cleanup: false,
        })
        .await
        .unwrap();
    let err = f
        .grpc
        .produce(produce("two", vec![record("k", "v")]))
        .await
        .unwrap_err();
    assert_code(&err, Code::FailedPrecondition, "CLUSTER_NOT_RUNNING");
    assert!(err.message().contains("STOPPED"), "{}", err.message());
    let err = f
        .grpc
        .consume(ConsumeRequest {
            cluster_id: f.id(),
            ..from_beginning("two")
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::FailedPrecondition, "CLUSTER_NOT_RUNNING");
    for (method, path) in [
        ("GET", "/topics"),
        ("GET", "/consume?topic=two"),
        ("GET", "/groups"),
    ] {
        let res = f
            .http
            .request(method.parse().unwrap(), f.rest(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path}");
        let v: Value = res.json().await.unwrap();
        assert!(v["message"].as_str().unwrap().contains("STOPPED"), "{v}");
    }
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_streaming_produce_of_ten_thousand_records() {
    let Some(mut f) = fixture("bulk", SQLITE).await else {
        return;
    };
    f.create_topic("bulk", 3).await;
    let id = f.id();
    let messages: Vec<ProduceStreamRequest> = (0..10)
        .map(|batch| ProduceStreamRequest {
            cluster_id: if batch == 0 {
                id.clone()
            } else {
                String::new()
            },
            topic: if batch == 0 {
                "bulk".into()
            } else {
                String::new()
            },
            records: (0..1000)
                .map(|i| ProducerRecord {
                    key: text(&format!("k{}", batch * 1000 + i)),
                    value: binary(&[b'x'; 100]),
                    ..Default::default()
                })
                .collect(),
        })
        .collect();
    let res = f
        .grpc
        .produce_stream(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (res.records, res.failed_count),
        (10_000, 0),
        "{:?}",
        res.errors
    );
    assert!(res.errors.is_empty());
    let written: i64 = res.last_offsets.values().map(|last| last + 1).sum();
    assert_eq!(written, 10_000, "{:?}", res.last_offsets);

    let count = |topics: &[Topic]| {
        topics
            .iter()
            .find(|t| t.name == "bulk")
            .map(|t| t.message_count)
    };
    assert_eq!(count(&f.list_topics().await), Some(10_000));
    let v: Value = f
        .http
        .get(f.rest("/topics"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["topics"][0]["messageCount"], "10000", "{v}");

    // The same RPC over REST: newline-delimited JSON.
    let body = [
        json!({"topic": "bulk", "records": [{"value": {"text": "a"}}, {"value": {"text": "b"}}]}),
        json!({"records": [{"value": {"text": "c"}}]}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let res = f
        .http
        .post(f.rest("/produce/stream"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["records"].as_str(), v["failedCount"].as_str()),
        (Some("3"), Some("0")),
        "{v}"
    );
    assert_eq!(count(&f.list_topics().await), Some(10_003));

    // A stream names one topic; unknown topics are refused.
    let err = f
        .grpc
        .produce_stream(futures::stream::iter(vec![
            ProduceStreamRequest {
                cluster_id: id.clone(),
                topic: "bulk".into(),
                records: vec![record("k", "v")],
            },
            ProduceStreamRequest {
                topic: "other".into(),
                records: vec![record("k", "v")],
                ..Default::default()
            },
        ]))
        .await
        .unwrap_err();
    assert_code(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let err = f
        .grpc
        .produce_stream(futures::stream::iter(vec![ProduceStreamRequest {
            cluster_id: id.clone(),
            topic: "missing".into(),
            records: vec![record("k", "v")],
        }]))
        .await
        .unwrap_err();
    assert_code(&err, Code::NotFound, "TOPIC_NOT_FOUND");
    f.finish().await;
}

/// librdkafka's threads in this process (it names them "rdk:…"): a consumer or client
/// that lkm let go of takes its threads with it. None when other tests share the process
/// (only nextest runs each test in a process of its own).
fn rdk_threads() -> Option<usize> {
    std::env::var_os("NEXTEST")?;
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .flatten()
            .filter(|t| {
                std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with("rdk:"))
            })
            .count(),
    )
}

/// librdkafka's thread count once it has stopped changing (readers of earlier requests are
/// closed in the background).
async fn settled_rdk_threads() -> Option<usize> {
    let mut last = rdk_threads()?;
    let deadline = Instant::now() + WAIT;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = rdk_threads()?;
        if now == last || Instant::now() > deadline {
            return Some(now);
        }
        last = now;
    }
}

/// Waits until librdkafka's thread count is at most `n`.
async fn rdk_threads_drop_to(n: usize) -> bool {
    if rdk_threads().is_none() {
        eprintln!("skipped part: thread counting needs a process per test (cargo nextest)");
        return true;
    }
    common::eventually(WAIT, || async move { rdk_threads().filter(|c| *c <= n) })
        .await
        .is_some()
}

/// Collects a consume stream until it ends (or WAIT passes).
async fn drain(
    mut stream: tonic::Streaming<ConsumeStreamResponse>,
) -> (Vec<ConsumedRecord>, Option<tonic::Status>) {
    let mut records = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => panic!(
                "the stream did not end within {WAIT:?} ({} records)",
                records.len()
            ),
            Ok(None) => return (records, None),
            Ok(Some(Ok(batch))) => {
                assert!(!batch.records.is_empty(), "empty batch");
                records.extend(batch.records);
            }
            Ok(Some(Err(status))) => return (records, Some(status)),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_stream_receives_records_produced_after_it_started() {
    let Some(mut f) = fixture("follow", SQLITE).await else {
        return;
    };
    f.create_topic("live", 1).await;
    f.produce(
        "live",
        (0..3).map(|i| record("old", &format!("old-{i}"))).collect(),
    )
    .await;

    let stream = f
        .grpc
        .consume_stream(ConsumeStreamRequest {
            cluster_id: f.id(),
            topic: "live".into(),
            start_from: StartFrom::End as i32,
            max_records: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // The stream is open (and positioned at the end): now produce.
    f.produce(
        "live",
        (0..5).map(|i| record("new", &format!("new-{i}"))).collect(),
    )
    .await;
    let (records, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    let values: Vec<Vec<u8>> = records
        .iter()
        .map(|r| bytes_of(&r.value).unwrap())
        .collect();
    let want: Vec<Vec<u8>> = (0..5).map(|i| format!("new-{i}").into_bytes()).collect();
    assert_eq!(values, want);
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, [3, 4, 5, 6, 7]);

    // Following with no limit; the caller going away ends it (and frees its consumer).
    let before = settled_rdk_threads().await;
    let mut stream = f
        .grpc
        .consume_stream(ConsumeStreamRequest {
            cluster_id: f.id(),
            topic: "live".into(),
            start_from: StartFrom::Beginning as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = 0;
    while seen < 8 {
        let batch = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("records within WAIT")
            .expect("the stream goes on")
            .unwrap();
        seen += batch.records.len();
    }
    assert_eq!(seen, 8);
    if let (Some(before), Some(during)) = (before, rdk_threads()) {
        assert!(
            during > before,
            "the stream has a consumer: {during} > {before}"
        );
    }
    drop(stream);
    if let Some(before) = before {
        assert!(
            rdk_threads_drop_to(before).await,
            "the stream's consumer is released when the caller goes away"
        );
    }

    // With a group: what was streamed is committed.
    let (records, error) = drain(
        f.grpc
            .consume_stream(ConsumeStreamRequest {
                cluster_id: f.id(),
                topic: "live".into(),
                start_from: StartFrom::Beginning as i32,
                max_records: 6,
                group_id: "streamers".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner(),
    )
    .await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(records.len(), 6);
    let g = f.group("streamers").await.unwrap();
    assert_eq!(committed(&g, "live"), [(0, 6)]);
    assert_eq!(g.total_lag, 2);

    // Over REST: Server-Sent Events, one event per batch.
    let res = f
        .http
        .get(f.rest("/consume/stream?topic=live&max_records=2&value_format=TEXT"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = tokio::time::timeout(WAIT, res.text())
        .await
        .unwrap()
        .unwrap();
    let values: Vec<Value> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| serde_json::from_str::<Value>(d.trim()).unwrap())
        .flat_map(|m| m["records"].as_array().cloned().unwrap_or_default())
        .map(|r| r["value"]["text"].clone())
        .collect();
    assert_eq!(values, [json!("old-0"), json!("old-1")], "{body}");
    assert!(!body.contains("event: error"), "{body}");
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ends_with_an_error_when_the_cluster_goes_away() {
    let Some(mut f) = fixture("streamerr", MEMORY).await else {
        return;
    };
    f.create_topic("t", 1).await;
    let stream = f
        .grpc
        .consume_stream(ConsumeStreamRequest {
            cluster_id: f.id(),
            topic: "t".into(),
            start_from: StartFrom::End as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    f.grpc
        .stop_cluster(StopClusterRequest {
            cluster_id: f.id(),
            cleanup: false,
        })
        .await
        .unwrap();
    let (records, error) = drain(stream).await;
    assert!(records.is_empty());
    let error = error.expect("the stream ends with an error");
    assert_eq!(error.code(), Code::Unavailable, "{}", error.message());
    // Its consumer is gone, and the cluster's pooled clients were dropped when it stopped.
    assert!(
        rdk_threads_drop_to(0).await,
        "{:?} librdkafka threads left",
        rdk_threads()
    );
    f.finish().await;
}

/// The first group calls on a new cluster meet a group coordinator that does not exist yet
/// (real Kafka creates `__consumer_offsets` on first use and answers NOT_COORDINATOR and
/// COORDINATOR_LOAD_IN_PROGRESS meanwhile). Each call waits for it and answers; none fails,
/// and none takes the server down (librdkafka crashed on exactly this, see
/// `kafka::native::list_group_offsets`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_group_calls_wait_for_the_coordinator() {
    let Some(mut f) = fixture("coordinator", SQLITE).await else {
        return;
    };
    f.create_topic("first", 1).await;
    f.produce("first", vec![record("k", "v"), record("k", "w")])
        .await;
    // Several groups at once, before any coordinator has loaded.
    let calls = ["alpha", "beta", "gamma"].map(|g| {
        let mut grpc = f.grpc.clone();
        let id = f.id();
        async move {
            let lookup = grpc
                .get_consumer_group(GetConsumerGroupRequest {
                    cluster_id: id.clone(),
                    group_id: g.into(),
                })
                .await;
            let consumed = grpc
                .consume(ConsumeRequest {
                    cluster_id: id,
                    group_id: g.into(),
                    max_records: 1,
                    ..from_beginning("first")
                })
                .await;
            (g, lookup, consumed)
        }
    });
    for (g, lookup, consumed) in futures::future::join_all(calls).await {
        match lookup {
            Ok(_) => {}
            Err(e) => assert_eq!(e.code(), Code::NotFound, "{g}: {e}"),
        }
        let consumed = consumed.unwrap_or_else(|e| panic!("{g}: {e}")).into_inner();
        assert_eq!(consumed.records.len(), 1, "{g}");
        let group = f.group(g).await.unwrap_or_else(|e| panic!("{g}: {e}"));
        assert_eq!(committed(&group, "first"), [(0, 1)], "{g}: {group:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_group_offsets_lag_and_resets() {
    let Some(mut f) = fixture("groups", SQLITE).await else {
        return;
    };
    f.create_topic("g", 2).await;
    let base = 1_700_000_000_000i64;
    let records: Vec<ProducerRecord> = (0..2)
        .flat_map(|p| {
            (0..5).map(move |i| ProducerRecord {
                key: text(&format!("p{p}-{i}")),
                value: text(&format!("v{i}")),
                partition: Some(p),
                timestamp: Some(ts(base + i * 1000)),
                ..Default::default()
            })
        })
        .collect();
    f.produce("g", records).await;

    // Consuming as a group commits what was returned.
    let got = f
        .consume(ConsumeRequest {
            group_id: "billing".into(),
            max_records: 6,
            ..from_beginning("g")
        })
        .await;
    assert_eq!(got.records.len(), 6);
    let g = f.group("billing").await.unwrap();
    let offsets = committed(&g, "g");
    assert_eq!(offsets.len(), 2, "{g:?}");
    assert_eq!(offsets.iter().map(|(_, o)| o).sum::<i64>(), 6, "{g:?}");
    for o in &g.offsets {
        assert_eq!(o.high_watermark, 5, "{o:?}");
        assert_eq!(o.lag, 5 - o.committed_offset, "{o:?}");
    }
    assert_eq!(g.total_lag, 4);
    for (p, o) in &got.next_offsets {
        assert!(
            offsets.contains(&(*p, *o)),
            "{offsets:?} vs {:?}",
            got.next_offsets
        );
    }
    if broker_lacks(BrokerGap::DescribeGroupsSqlite) {
        // The broker cannot describe the group: the offsets still come, and say so.
        assert!(!g.members_error.is_empty(), "{g:?}");
    } else {
        assert!(g.members_error.is_empty(), "{}", g.members_error);
        assert_eq!(g.state, "Empty");
        assert!(g.members.is_empty());
    }

    // Continuing from the committed offsets reads the rest; then no lag.
    let rest = f
        .consume(ConsumeRequest {
            group_id: "billing".into(),
            start_from: StartFrom::Committed as i32,
            ..from_beginning("g")
        })
        .await;
    assert_eq!(rest.records.len(), 4);
    let mut all: Vec<(i32, i64)> = got
        .records
        .iter()
        .chain(&rest.records)
        .map(|r| (r.partition, r.offset))
        .collect();
    all.sort();
    assert_eq!(all.len(), 10);
    all.dedup();
    assert_eq!(all.len(), 10, "no record twice");
    let g = f.group("billing").await.unwrap();
    assert_eq!(committed(&g, "g"), [(0, 5), (1, 5)]);
    assert_eq!(g.total_lag, 0);

    let list = f
        .grpc
        .list_consumer_groups(ListConsumerGroupsRequest { cluster_id: f.id() })
        .await
        .unwrap()
        .into_inner()
        .groups;
    assert!(list.iter().any(|g| g.group_id == "billing"), "{list:?}");
    assert!(
        !list.iter().any(|g| g.group_id.starts_with("lkm-reader-")),
        "reads without a group leave no group behind: {list:?}"
    );

    // Resets, read back from the group.
    let res = f
        .reset(reset_to("billing", "g", OffsetReset::Earliest))
        .await
        .unwrap();
    assert_eq!(
        res.iter().map(|o| o.committed_offset).collect::<Vec<_>>(),
        [0, 0]
    );
    let g = f.group("billing").await.unwrap();
    assert_eq!(committed(&g, "g"), [(0, 0), (1, 0)]);
    assert_eq!(g.total_lag, 10);

    f.reset(ResetConsumerGroupOffsetsRequest {
        partition: Some(1),
        ..reset_to("billing", "g", OffsetReset::Latest)
    })
    .await
    .unwrap();
    assert_eq!(
        committed(&f.group("billing").await.unwrap(), "g"),
        [(0, 0), (1, 5)]
    );

    f.reset(ResetConsumerGroupOffsetsRequest {
        offset: 3,
        ..reset_to("billing", "g", OffsetReset::Offset)
    })
    .await
    .unwrap();
    assert_eq!(
        committed(&f.group("billing").await.unwrap(), "g"),
        [(0, 3), (1, 3)]
    );

    let res = f
        .reset(ResetConsumerGroupOffsetsRequest {
            offset: 99,
            partition: Some(0),
            ..reset_to("billing", "g", OffsetReset::Offset)
        })
        .await
        .unwrap();
    assert_eq!(res[0].committed_offset, 5, "kept within the watermarks");

    f.reset(ResetConsumerGroupOffsetsRequest {
        timestamp: Some(ts(base + 1500)),
        ..reset_to("billing", "g", OffsetReset::Timestamp)
    })
    .await
    .unwrap();
    assert_eq!(
        committed(&f.group("billing").await.unwrap(), "g"),
        [(0, 2), (1, 2)]
    );

    // dry_run says what it would do and changes nothing.
    let res = f
        .reset(ResetConsumerGroupOffsetsRequest {
            dry_run: true,
            ..reset_to("billing", "g", OffsetReset::Earliest)
        })
        .await
        .unwrap();
    assert_eq!(
        res.iter().map(|o| o.committed_offset).collect::<Vec<_>>(),
        [0, 0]
    );
    assert_eq!(res.iter().map(|o| o.lag).collect::<Vec<_>>(), [5, 5]);
    assert_eq!(
        committed(&f.group("billing").await.unwrap(), "g"),
        [(0, 2), (1, 2)]
    );

    // A consumer of the group continues where the reset put it.
    let got = f
        .consume(ConsumeRequest {
            group_id: "billing".into(),
            start_from: StartFrom::Committed as i32,
            ..from_beginning("g")
        })
        .await;
    let mut at: Vec<(i32, i64)> = got
        .records
        .iter()
        .map(|r| (r.partition, r.offset))
        .collect();
    at.sort();
    assert_eq!(at, [(0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4)]);

    // Reset errors.
    for (req, code) in [
        (
            reset_to("billing", "g", OffsetReset::Unspecified),
            Code::InvalidArgument,
        ),
        (
            reset_to("billing", "missing", OffsetReset::Earliest),
            Code::NotFound,
        ),
        (
            ResetConsumerGroupOffsetsRequest {
                partition: Some(5),
                ..reset_to("billing", "g", OffsetReset::Earliest)
            },
            Code::InvalidArgument,
        ),
        (
            reset_to("billing", "g", OffsetReset::Timestamp),
            Code::InvalidArgument,
        ),
    ] {
        let err = f.reset(req).await.unwrap_err();
        assert_eq!(err.code(), code, "{}", err.message());
    }

    // Over REST.
    let res = f
        .http
        .post(f.rest("/groups/billing/reset"))
        .json(&json!({"topic": "g", "to": "OFFSET_RESET_EARLIEST"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = f
        .http
        .get(f.rest("/groups/billing"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["groupId"], "billing");
    assert_eq!(v["totalLag"], "10", "{v}");
    let v: Value = f
        .http
        .get(f.rest("/groups"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["groupId"] == "billing"),
        "{v}"
    );

    // Delete.
    f.grpc
        .delete_consumer_group(DeleteConsumerGroupRequest {
            cluster_id: f.id(),
            group_id: "billing".into(),
        })
        .await
        .unwrap();
    assert_code(
        &f.group("billing").await.unwrap_err(),
        Code::NotFound,
        "GROUP_NOT_FOUND",
    );
    let err = f
        .grpc
        .delete_consumer_group(DeleteConsumerGroupRequest {
            cluster_id: f.id(),
            group_id: "billing".into(),
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::NotFound, "GROUP_NOT_FOUND");
    let res = f
        .http
        .get(f.rest("/groups/never-was"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_with_active_members_is_not_changed() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let Some(mut f) = fixture("active", MEMORY).await else {
        return;
    };
    f.create_topic("a", 1).await;
    let bootstrap = f.cluster.endpoints["kafka"].clone();
    // A member of the group, as any application would be: subscribed, assigned.
    let member: std::sync::Arc<BaseConsumer> = std::sync::Arc::new(
        rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "live")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap(),
    );
    member.subscribe(&["a"]).unwrap();
    let m = member.clone();
    let assigned = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            m.poll(Duration::from_millis(100));
            if m.assignment().is_ok_and(|a| a.count() > 0) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(assigned, "the member joined the group");

    let g = f.group("live").await.unwrap();
    assert_eq!(g.state, "Stable", "{g:?}");
    if !broker_lacks(BrokerGap::GroupMembers) {
        assert_eq!(g.members.len(), 1, "{g:?}");
    }
    let err = f
        .reset(reset_to("live", "a", OffsetReset::Earliest))
        .await
        .unwrap_err();
    assert_code(&err, Code::FailedPrecondition, "GROUP_NOT_EMPTY");
    let err = f
        .grpc
        .delete_consumer_group(DeleteConsumerGroupRequest {
            cluster_id: f.id(),
            group_id: "live".into(),
        })
        .await
        .unwrap_err();
    assert_code(&err, Code::FailedPrecondition, "GROUP_NOT_EMPTY");

    // Once the member leaves, the group can be reset.
    let m = member.clone();
    tokio::task::spawn_blocking(move || m.unsubscribe())
        .await
        .unwrap();
    drop(member);
    let reset = common::eventually(WAIT, || {
        let mut grpc = f.grpc.clone();
        let id = f.id();
        async move {
            grpc.reset_consumer_group_offsets(ResetConsumerGroupOffsetsRequest {
                cluster_id: id,
                ..reset_to("live", "a", OffsetReset::Earliest)
            })
            .await
            .ok()
        }
    })
    .await;
    assert!(
        reset.is_some(),
        "the group can be reset once its member left"
    );
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_routes_act_on_the_default_cluster() {
    let Some(mut f) = fixture("default", SQLITE).await else {
        return;
    };
    let rest = |p: &str| f.env.server.rest(p);
    let res = f
        .http
        .post(rest("/topics"))
        .json(&json!({"name": "legacy", "partitions": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = f
        .http
        .get(rest("/topics"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["topics"][0]["name"], "legacy", "{v}");
    let res = f
        .http
        .post(rest("/produce"))
        .json(&json!({"topic": "legacy", "records": [
            {"key": {"text": "k"}, "value": {"text": "v1"}},
            {"key": {"text": "k"}, "value": {"json": {"n": 2}}}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = f
        .http
        .get(rest("/consume?topic=legacy&max_wait=10s&value_format=JSON"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["records"][0]["value"]["text"], "v1", "{v}");
    assert_eq!(
        v["records"][1]["value"]["json"]["n"].as_f64(),
        Some(2.0),
        "{v}"
    );
    assert_eq!(v["records"][1]["key"]["text"], "k", "{v}");
    // gRPC with no cluster id means the default cluster too.
    let topics = f
        .grpc
        .list_topics(ListTopicsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .topics;
    assert_eq!(topics[0].name, "legacy");
    assert_eq!(topics[0].message_count, 2);
    f.finish().await;
}
