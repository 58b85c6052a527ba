//! Bad input gets INVALID_ARGUMENT and creates nothing: path traversal in names, injection
//! through custom properties, images that are not allowed, oversized and malformed bodies,
//! unknown fields — checked on the registry, the data directory and (where there is one)
//! Docker. And the limit on concurrent operations.

mod common;

use common::{Db, Env, code_reason};
use lkm::config::RuntimeKind;
use lkm::pb::*;
use serde_json::{Value, json};
use tonic::Code;

async fn nothing_created(env: &Env, marker: &str) {
    let list = env
        .server
        .clusters()
        .await
        .list_clusters(ListClustersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.total_size, 0, "{:?}", list.clusters);
    assert!(env.cluster_dirs().is_empty(), "{:?}", env.cluster_dirs());
    if common::docker_available() {
        let filter = format!("name={marker}");
        let (_, ids) = common::docker(&["ps", "-aq", "--filter", &filter]);
        assert!(ids.trim().is_empty(), "containers: {ids}");
        let (_, vols) = common::docker(&["volume", "ls", "-q", "--filter", &filter]);
        assert!(vols.trim().is_empty(), "volumes: {vols}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_attempts_are_refused_and_create_nothing() {
    let runtime = if common::docker_available() {
        RuntimeKind::Docker
    } else {
        RuntimeKind::None
    };
    let env = Env::start_with(Db::Sqlite, |c| c.runtime = runtime)
        .await
        .unwrap();
    let mut g = env.server.clusters().await;
    let base = |name: &str| CreateClusterRequest {
        name: name.into(),
        template_id: "tansu-dev".into(),
        ..Default::default()
    };
    let attempts: Vec<(&str, CreateClusterRequest)> = vec![
        ("traversal", base("../../etc")),
        ("absolute", base("/etc/passwd")),
        ("dotdot", base("..")),
        ("newline name", base("inj\nected")),
        (
            "newline in a property",
            CreateClusterRequest {
                kafka_config: Some(KafkaConfig {
                    custom_properties: [(
                        "log.cleaner.enable".to_string(),
                        "true\nlisteners=PLAINTEXT://0.0.0.0:1".to_string(),
                    )]
                    .into(),
                    ..Default::default()
                }),
                ..base("injprops")
            },
        ),
        (
            "'=' in a property name",
            CreateClusterRequest {
                kafka_config: Some(KafkaConfig {
                    custom_properties: [("a=b".to_string(), "c".to_string())].into(),
                    ..Default::default()
                }),
                ..base("injeq")
            },
        ),
        (
            "a property lkm manages",
            CreateClusterRequest {
                kafka_config: Some(KafkaConfig {
                    custom_properties: [("log.dirs".to_string(), "/".to_string())].into(),
                    ..Default::default()
                }),
                ..base("injdirs")
            },
        ),
        (
            "an image that is not allowed",
            CreateClusterRequest {
                kafka_config: Some(KafkaConfig {
                    image: Some("evil/miner:latest".into()),
                    ..Default::default()
                }),
                ..base("injimage")
            },
        ),
        (
            "an image reference with a shell in it",
            CreateClusterRequest {
                kafka_config: Some(KafkaConfig {
                    image: Some("lkm/tansu:latest; rm -rf /".into()),
                    ..Default::default()
                }),
                ..base("injshell")
            },
        ),
    ];
    for (what, req) in attempts {
        let err = g.create_cluster(req).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{what}: {err:?}");
    }
    nothing_created(&env, "inj").await;

    // The same over REST, plus what only REST can get wrong.
    let http = reqwest::Client::new();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("malformed JSON", b"{\"name\": \"injjson\",".to_vec()),
        ("not JSON at all", vec![0xff, 0xfe, 0x00, 0x01]),
        (
            "an unknown field",
            json!({"name": "injunknown", "dataDirectory": "/etc"})
                .to_string()
                .into_bytes(),
        ),
        (
            "a wrong type",
            json!({"name": ["injtype"]}).to_string().into_bytes(),
        ),
        ("an oversized body", {
            let mut b = json!({"name": "injbig", "description": ""})
                .to_string()
                .into_bytes();
            b.splice(
                b.len() - 2..b.len() - 2,
                std::iter::repeat_n(b'x', 65 * 1024 * 1024),
            );
            b
        }),
    ];
    for (what, body) in bodies {
        let res = http
            .post(env.server.rest("/clusters"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{what}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], 3, "{what}: {v}");
    }
    // Fields lkm sets itself cannot be set through an update either.
    nothing_created(&env, "inj").await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_operations_are_limited() {
    let Some(env) = Env::with_test_broker(Db::Sqlite, |c| {
        c.max_running_operations = 1;
    })
    .await
    else {
        return;
    };
    let mut g = env.server.clusters().await;
    for name in ["src", "dst"] {
        g.create_cluster(common::broker_cluster(name, "sqlite"))
            .await
            .unwrap();
    }
    g.create_topic(CreateTopicRequest {
        cluster_id: "src".into(),
        name: "t".into(),
        partitions: Some(1),
        ..Default::default()
    })
    .await
    .unwrap();
    let records: Vec<ProducerRecord> = (0..3000)
        .map(|i| ProducerRecord {
            value: Some(Payload {
                data: Some(payload::Data::Text(format!("v{i}"))),
            }),
            ..Default::default()
        })
        .collect();
    g.produce(ProduceRequest {
        cluster_id: "src".into(),
        topic: "t".into(),
        records,
    })
    .await
    .unwrap();
    let mut ops = env.server.operations().await;
    let first = ops
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
    let err = ops
        .replicate_topics(ReplicateTopicsRequest {
            source_cluster_id: "src".into(),
            target_cluster_ids: vec!["dst".into()],
            topics: vec!["t".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    // Refused either as too many operations, or (same topic) as a busy target topic.
    let (code, reason) = code_reason(&err);
    assert!(
        (code, reason.as_str()) == (Code::ResourceExhausted, "TOO_MANY_OPERATIONS")
            || (code, reason.as_str()) == (Code::FailedPrecondition, "TARGET_TOPIC_BUSY"),
        "{err:?}"
    );
    ops.cancel_operation(CancelOperationRequest {
        operation_id: first.id,
    })
    .await
    .ok();
    env.finish().await;
}
