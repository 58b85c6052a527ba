//! The Docker runtime against a real Docker engine, with the tansu broker image built from
//! local files (scripts/build-test-images): lifecycle, isolation, persistence, reconciliation,
//! failure paths, and the configuration reaching the containers.

mod common;

use std::time::Duration;

use common::{Db, Env, code_reason, docker, docker_available, docker_has_image, skip, unique_name};
use lkm::config::RuntimeKind;
use lkm::pb::*;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tonic::Code;

const TANSU_IMAGE: &str = "lkm/tansu:latest";
const PROBE_IMAGE: &str = "lkm-test/busybox:latest";

/// A server on the Docker runtime, or None (skipped) when Docker or the test images are
/// missing.
async fn docker_env() -> Option<Env> {
    if !docker_available() {
        skip("no Docker engine answers");
        return None;
    }
    for image in [TANSU_IMAGE, PROBE_IMAGE] {
        if !docker_has_image(image) {
            skip(&format!(
                "image {image} is missing (run scripts/build-test-images)"
            ));
            return None;
        }
    }
    Env::start_with(Db::Sqlite, |c| c.runtime = RuntimeKind::Docker).await
}

fn tansu_cluster(name: &str) -> CreateClusterRequest {
    CreateClusterRequest {
        name: name.into(),
        template_id: "tansu-dev".into(),
        ..Default::default()
    }
}

fn bootstrap(c: &Cluster) -> String {
    c.endpoints["kafka"].clone()
}

async fn status(env: &Env, name: &str) -> GetClusterStatusResponse {
    env.server
        .clusters()
        .await
        .get_cluster_status(GetClusterStatusRequest {
            cluster_id: name.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

fn metadata_brokers(bootstrap: &str) -> usize {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap()
        .brokers()
        .len()
}

async fn create_topic(bootstrap: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let res = admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    res[0].as_ref().unwrap();
}

async fn produce(bootstrap: &str, topic: &str, key: &[u8], value: &[u8]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("message.timeout.ms", "10000")
        .create()
        .unwrap();
    producer
        .send(
            FutureRecord::to(topic)
                .key(key)
                .payload(value)
                .partition(0)
                .headers(OwnedHeaders::new().insert(Header {
                    key: "h",
                    value: Some("v"),
                })),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
}

/// Every record of partition 0 of `topic`, as (key, value, header h).
fn consume_all(bootstrap: &str, topic: &str) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("lkmtest-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, rdkafka::Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let mut out = vec![];
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::time::Instant::now() < deadline && out.is_empty() {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
            let h = m
                .headers()
                .and_then(|h| {
                    h.iter()
                        .find(|h| h.key == "h")
                        .and_then(|h| h.value.map(<[u8]>::to_vec))
                })
                .unwrap_or_default();
            out.push((
                m.key().unwrap_or_default().to_vec(),
                m.payload().unwrap_or_default().to_vec(),
                h,
            ));
        }
    }
    out
}

/// Whether a container on `network` reaches `host:port`.
fn reachable_from(network: &str, host: &str, port: u16) -> bool {
    docker(&[
        "run",
        "--rm",
        "--network",
        network,
        PROBE_IMAGE,
        "nc",
        "-w",
        "3",
        host,
        &port.to_string(),
    ])
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_isolated_clusters_live_and_die_cleanly() {
    let Some(env) = docker_env().await else {
        return;
    };
    let prefix = unique_name("life");
    let _guard = common::DockerGuard(prefix.clone());
    let names: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|s| format!("{prefix}-{s}"))
        .collect();

    // Create and start three clusters at once.
    let grpc = env.server.clusters().await;
    let started = tokio::time::Instant::now();
    let mut tasks = vec![];
    for n in &names {
        let mut g = grpc.clone();
        let req = tansu_cluster(n);
        tasks.push(tokio::spawn(async move { g.create_cluster(req).await }));
    }
    let mut clusters = vec![];
    for t in tasks {
        let res = t.await.unwrap().unwrap().into_inner();
        assert!(res.warnings.is_empty(), "{:?}", res.warnings);
        clusters.push(res.cluster.unwrap());
    }
    eprintln!("three clusters RUNNING in {:?}", started.elapsed());
    for c in &clusters {
        assert_eq!(
            c.status(),
            ClusterStatus::Running,
            "{}: {}",
            c.name,
            c.status_message
        );
    }
    let mut ports: Vec<i32> = clusters
        .iter()
        .map(|c| c.port_allocation.clone().unwrap().kafka_port)
        .collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 3, "distinct ports");
    let mut dirs: Vec<&str> = clusters.iter().map(|c| c.data_directory.as_str()).collect();
    dirs.sort();
    dirs.dedup();
    assert_eq!(dirs.len(), 3, "distinct data directories");
    for c in &clusters {
        let (ok, out) = docker(&["network", "inspect", "-f", "{{.Name}}", &c.network_name]);
        assert!(ok, "network of {}: {out}", c.name);
        // A Kafka client reaches each cluster on its advertised 127.0.0.1 port.
        assert_eq!(metadata_brokers(&bootstrap(c)), 1);
        if let Some(mut kcat) = common::kcat() {
            let out = kcat
                .args(["-b", &bootstrap(c), "-L", "-m", "10"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "kcat -L: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(text.contains("1 brokers"), "{text}");
            assert!(text.contains(&bootstrap(c)), "advertised address: {text}");
        }
    }

    // Isolation: from cluster A's network, A's broker answers by name and B's does not.
    let (a, b) = (&clusters[0], &clusters[1]);
    let a_broker = format!("lkm-{}-broker-1", a.name);
    let b_broker = format!("lkm-{}-broker-1", b.name);
    assert!(
        reachable_from(&a.network_name, &a_broker, 9092),
        "A reaches its own broker"
    );
    assert!(
        !reachable_from(&a.network_name, &b_broker, 9092),
        "A must not reach B's broker"
    );

    // Stop and start keep a produced record.
    create_topic(&bootstrap(a), "keep").await;
    produce(&bootstrap(a), "keep", b"k1", &[0, 1, 2, 255]).await;
    let mut g = grpc.clone();
    let stopped = g
        .stop_cluster(StopClusterRequest {
            cluster_id: a.name.clone(),
            cleanup: false,
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(stopped.status(), ClusterStatus::Stopped);
    let (_, state) = docker(&["inspect", "-f", "{{.State.Status}}", &a_broker]);
    assert_eq!(state.trim(), "exited");
    let restarted = g
        .start_cluster(StartClusterRequest {
            cluster_id: a.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(restarted.status(), ClusterStatus::Running);
    let records = consume_all(&bootstrap(a), "keep");
    assert_eq!(
        records,
        vec![(b"k1".to_vec(), vec![0, 1, 2, 255], b"v".to_vec())]
    );

    // Stop with cleanup removes containers and network; the data volume stays, so a start
    // brings the record back.
    g.stop_cluster(StopClusterRequest {
        cluster_id: a.name.clone(),
        cleanup: true,
    })
    .await
    .unwrap();
    assert!(
        !docker(&["inspect", "--type", "container", &a_broker]).0,
        "container removed"
    );
    assert!(
        !docker(&["network", "inspect", &a.network_name]).0,
        "network removed"
    );
    let a_label = format!("label=lkm.cluster.id={}", a.id);
    assert!(
        !docker(&["volume", "ls", "-q", "--filter", &a_label])
            .1
            .trim()
            .is_empty(),
        "data kept"
    );
    g.start_cluster(StartClusterRequest {
        cluster_id: a.name.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(consume_all(&bootstrap(a), "keep").len(), 1);

    // A broker killed behind lkm's back shows in the status, never as RUNNING.
    docker(&["kill", &a_broker]);
    let st = status(&env, &a.name).await;
    assert_eq!(st.status(), ClusterStatus::Error, "{}", st.status_message);
    assert!(
        st.status_message.contains("broker-1"),
        "{}",
        st.status_message
    );
    assert_eq!(st.services[0].state, "exited");
    assert_eq!(st.runtime, "docker");
    assert!(st.disk_usage_bytes > 0, "the broker wrote data");

    // Restarting lkm reconciles: B still runs, A is still in error.
    let env = env.restart().await;
    assert_eq!(status(&env, &b.name).await.status(), ClusterStatus::Running);
    assert_eq!(metadata_brokers(&bootstrap(b)), 1);
    let got = env
        .server
        .clusters()
        .await
        .get_cluster(GetClusterRequest {
            cluster_id: a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(got.status(), ClusterStatus::Error);

    // Delete (force for the running ones) removes containers, network, volumes, data, ports.
    let mut g = env.server.clusters().await;
    for c in &clusters {
        g.delete_cluster(DeleteClusterRequest {
            cluster_id: c.name.clone(),
            force: true,
            keep_data: false,
        })
        .await
        .unwrap();
        let label = format!("label=lkm.cluster.id={}", c.id);
        let (_, left) = docker(&["ps", "-aq", "--filter", &label]);
        assert!(left.trim().is_empty(), "containers left: {left}");
        let (_, vols) = docker(&["volume", "ls", "-q", "--filter", &label]);
        assert!(vols.trim().is_empty(), "volumes left: {vols}");
        let (exists, _) = docker(&["network", "inspect", &c.network_name]);
        assert!(!exists, "network {} left", c.network_name);
        assert!(!std::path::Path::new(&c.data_directory).exists());
    }
    let again = g
        .create_cluster(CreateClusterRequest {
            auto_start: Some(false),
            ..tansu_cluster(&format!("{prefix}-d"))
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert!(
        ports.contains(&again.port_allocation.unwrap().kafka_port),
        "a released port is reused"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_that_cannot_be_had_leaves_nothing_behind() {
    let Some(env) = docker_env().await else {
        return;
    };
    let name = unique_name("noimg");
    let _guard = common::DockerGuard(name.clone());
    let mut g = env.server.clusters().await;
    let res = g
        .create_cluster(CreateClusterRequest {
            kafka_config: Some(KafkaConfig {
                image: Some("lkm-test/no-such-image:1".into()),
                ..Default::default()
            }),
            ..tansu_cluster(&name)
        })
        .await
        .unwrap()
        .into_inner();
    let c = res.cluster.unwrap();
    assert_eq!(c.status(), ClusterStatus::Error);
    assert!(
        c.status_message.contains("lkm-test/no-such-image:1"),
        "{}",
        c.status_message
    );
    assert!(c.status_message.contains("docker load") || c.status_message.contains("docker pull"));
    let label = format!("label=lkm.cluster.id={}", c.id);
    assert!(
        docker(&["ps", "-aq", "--filter", &label])
            .1
            .trim()
            .is_empty()
    );
    assert!(
        docker(&["volume", "ls", "-q", "--filter", &label])
            .1
            .trim()
            .is_empty()
    );
    assert!(!docker(&["network", "inspect", &c.network_name]).0);
    let err = g
        .start_cluster(StartClusterRequest {
            cluster_id: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "IMAGE_UNAVAILABLE".into())
    );
    g.delete_cluster(DeleteClusterRequest {
        cluster_id: name.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guards_refuse_what_the_host_cannot_hold() {
    let Some(env) = docker_env().await else {
        return;
    };
    let name = unique_name("guard");
    let _guard = common::DockerGuard(name.clone());
    // A template asking for more memory than any test machine has.
    env.server
        .templates()
        .await
        .create_template(CreateTemplateRequest {
            template: Some(ClusterTemplate {
                id: format!("{name}-huge"),
                default_kafka_config: Some(KafkaConfig {
                    engine: Some(BrokerEngine::Tansu as i32),
                    ..Default::default()
                }),
                default_rest_proxy_config: Some(RestProxyConfig {
                    enabled: Some(false),
                    ..Default::default()
                }),
                default_ui_config: Some(UiConfig {
                    enabled: Some(false),
                    ..Default::default()
                }),
                min_memory_mb: 1_000_000,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let mut g = env.server.clusters().await;
    let err = g
        .create_cluster(CreateClusterRequest {
            name: name.clone(),
            template_id: format!("{name}-huge"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::ResourceExhausted, "INSUFFICIENT_MEMORY".into())
    );
    assert!(env.cluster_dirs().is_empty());

    // A storage quota: the first start is fine, once data is written a start is refused.
    let c = g
        .create_cluster(CreateClusterRequest {
            retention_policy: Some(RetentionPolicy {
                storage_quota_bytes: Some(1),
                ..Default::default()
            }),
            ..tansu_cluster(&name)
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    create_topic(&bootstrap(&c), "fill").await;
    produce(&bootstrap(&c), "fill", b"k", &[7; 1000]).await;
    g.stop_cluster(StopClusterRequest {
        cluster_id: name.clone(),
        cleanup: false,
    })
    .await
    .unwrap();
    let err = g
        .start_cluster(StartClusterRequest {
            cluster_id: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::ResourceExhausted, "STORAGE_QUOTA".into())
    );
    g.delete_cluster(DeleteClusterRequest {
        cluster_id: name.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_export_matches_the_cluster() {
    let Some(env) = docker_env().await else {
        return;
    };
    let name = unique_name("compose");
    let _guard = common::DockerGuard(name.clone());
    let mut g = env.server.clusters().await;
    let c = g
        .create_cluster(CreateClusterRequest {
            name: name.clone(),
            template_id: "staging".into(),
            auto_start: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let v: serde_json::Value = reqwest::get(env.server.rest(&format!("/clusters/{name}/compose")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let yaml = v["yaml"].as_str().unwrap();
    let a = c.port_allocation.unwrap();
    for needle in [
        format!("lkm-{name}-broker-1"),
        format!("lkm-{name}-broker-3"),
        format!("lkm-{name}-controller-1"),
        format!("lkm-{name}-rest-proxy"),
        format!("lkm-{name}-ui"),
        format!("{}:9092", a.kafka_port),
        "apache/kafka".to_string(),
    ] {
        assert!(yaml.contains(&needle), "{needle} not in:\n{yaml}");
    }
    env.finish().await;
}

/// The environment of a container as a map.
fn container_env(name: &str) -> Option<std::collections::HashMap<String, String>> {
    let (ok, out) = docker(&["inspect", "-f", "{{json .Config.Env}}", name]);
    if !ok {
        return None;
    }
    let list: Vec<String> = serde_json::from_str(out.trim()).ok()?;
    Some(
        list.into_iter()
            .filter_map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect(),
    )
}

fn inspect(name: &str, format: &str) -> String {
    docker(&["inspect", "-f", format, name])
        .1
        .trim()
        .to_string()
}

/// The configuration of a cluster reaches its containers. The apache/kafka, REST proxy and UI
/// images cannot be pulled here, so a container that only sleeps stands in for each; lkm
/// creates the containers exactly as for the real images, and this test reads them back
/// through Docker while lkm waits for brokers that never answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_reaches_the_containers() {
    const SLEEPER: &str = "lkm-test/sleeper:latest";
    let Some(env) = docker_env().await else {
        return;
    };
    if !docker_has_image(SLEEPER) {
        return skip("image lkm-test/sleeper:latest is missing (run scripts/build-test-images)");
    }
    let name = unique_name("env");
    let _guard = common::DockerGuard(name.clone());
    let mut g = env.server.clusters().await;
    let c = g
        .create_cluster(CreateClusterRequest {
            name: name.clone(),
            template_id: "development".into(),
            auto_start: Some(false),
            kafka_config: Some(KafkaConfig {
                image: Some(SLEEPER.into()),
                heap_size: Some("768M".into()),
                log_retention_hours: Some(12),
                log_segment_bytes: Some(104_857_600),
                num_partitions: Some(5),
                num_network_threads: Some(4),
                num_io_threads: Some(6),
                socket_send_buffer_bytes: Some(204_800),
                custom_properties: [("log.cleaner.enable".to_string(), "false".to_string())].into(),
                ..Default::default()
            }),
            rest_proxy_config: Some(RestProxyConfig {
                image: Some(SLEEPER.into()),
                consumer_request_timeout_ms: Some(4321),
                ..Default::default()
            }),
            ui_config: Some(UiConfig {
                image: Some(SLEEPER.into()),
                readonly_mode: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let ports = c.port_allocation.clone().unwrap();
    let mut starter = g.clone();
    let start = tokio::spawn({
        let name = name.clone();
        async move {
            starter
                .start_cluster(StartClusterRequest {
                    cluster_id: name,
                    timeout: Some(prost_types::Duration {
                        seconds: 6,
                        nanos: 0,
                    }),
                    ..Default::default()
                })
                .await
        }
    });
    let broker = format!("lkm-{name}-broker-1");
    let ui = format!("lkm-{name}-ui");
    let rest = format!("lkm-{name}-rest-proxy");
    let envs = common::eventually(Duration::from_secs(20), || {
        let (broker, ui, rest) = (broker.clone(), ui.clone(), rest.clone());
        async move {
            Some((
                container_env(&broker)?,
                container_env(&rest)?,
                container_env(&ui)?,
            ))
        }
    })
    .await
    .expect("lkm created the containers");
    let (b, r, u) = envs;
    let expect = [
        ("KAFKA_LOG_RETENTION_HOURS", "12"),
        ("KAFKA_LOG_SEGMENT_BYTES", "104857600"),
        ("KAFKA_NUM_PARTITIONS", "5"),
        ("KAFKA_NUM_NETWORK_THREADS", "4"),
        ("KAFKA_NUM_IO_THREADS", "6"),
        ("KAFKA_SOCKET_SEND_BUFFER_BYTES", "204800"),
        ("KAFKA_LOG_CLEANER_ENABLE", "false"),
        ("KAFKA_PROCESS_ROLES", "broker,controller"),
        ("KAFKA_NODE_ID", "1"),
    ];
    for (k, v) in expect {
        assert_eq!(b.get(k).map(String::as_str), Some(v), "{k} in {b:?}");
    }
    assert!(
        b["KAFKA_HEAP_OPTS"].to_lowercase().contains("-xmx768m"),
        "{}",
        b["KAFKA_HEAP_OPTS"]
    );
    assert!(
        b["KAFKA_ADVERTISED_LISTENERS"].contains(&format!("127.0.0.1:{}", ports.kafka_port)),
        "{}",
        b["KAFKA_ADVERTISED_LISTENERS"]
    );
    assert_eq!(r["KAFKA_REST_CONSUMER_REQUEST_TIMEOUT_MS"], "4321");
    assert!(r["KAFKA_REST_BOOTSTRAP_SERVERS"].contains(&format!("{broker}:19092")));
    assert_eq!(u["KAFKA_CLUSTERS_0_READONLY"], "true");
    assert!(u["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"].contains(&format!("{broker}:19092")));
    // Memory limit from the heap, ports on 127.0.0.1, the cluster's network and labels.
    let memory: i64 = inspect(&broker, "{{.HostConfig.Memory}}").parse().unwrap();
    assert_eq!(memory, (768 + 384) * 1024 * 1024);
    let binding = inspect(&broker, "{{json .HostConfig.PortBindings}}");
    assert!(
        binding.contains("127.0.0.1") && binding.contains(&ports.kafka_port.to_string()),
        "{binding}"
    );
    assert_eq!(
        inspect(&broker, "{{.HostConfig.NetworkMode}}"),
        c.network_name
    );
    assert_eq!(
        inspect(&broker, "{{index .Config.Labels \"lkm.cluster.id\"}}"),
        c.id
    );
    assert_eq!(inspect(&broker, "{{.HostConfig.Privileged}}"), "false");

    // No broker ever answers: the start fails, says why, and takes its containers down.
    let err = start.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    let st = status(&env, &name).await;
    assert_eq!(st.status(), ClusterStatus::Error);
    assert!(
        st.status_message.contains("did not answer"),
        "{}",
        st.status_message
    );
    let label = format!("label=lkm.cluster.id={}", c.id);
    assert!(
        docker(&["ps", "-aq", "--filter", &label])
            .1
            .trim()
            .is_empty()
    );
    g.delete_cluster(DeleteClusterRequest {
        cluster_id: name.clone(),
        force: true,
        keep_data: false,
    })
    .await
    .unwrap();
    env.finish().await;
}

/// Broker configuration read back through the Kafka admin API needs a real Kafka broker:
/// the test broker (tansu) takes no broker properties and cannot describe broker configs.
/// Runs where the apache/kafka image is present.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_kafka_broker_configs_through_the_admin_api() {
    use rdkafka::admin::{ConfigSource, ResourceSpecifier};
    // The spec lkm makes for apache/kafka, on the test image with its contract.
    const IMAGE: &str = "lkm-test/kafka:4.1.0";
    if !docker_available() || !docker_has_image(IMAGE) {
        skip(&format!("needs {IMAGE} (scripts/build-kafka-image)"));
        return;
    }
    let Some(env) = docker_env().await else {
        return;
    };
    let name = unique_name("kafka");
    let _guard = common::DockerGuard(name.clone());
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(CreateClusterRequest {
            name: name.clone(),
            template_id: "testing".into(),
            kafka_config: Some(KafkaConfig {
                image: Some(IMAGE.into()),
                heap_size: Some("256M".into()),
                log_retention_hours: Some(13),
                num_partitions: Some(4),
                custom_properties: [("log.cleaner.enable".to_string(), "false".to_string())].into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap(&c))
        .create()
        .unwrap();
    let res = admin
        .describe_configs(&[ResourceSpecifier::Broker(1)], &AdminOptions::new())
        .await
        .unwrap();
    let config = res[0].as_ref().unwrap();
    for (k, v) in [
        ("log.retention.hours", "13"),
        ("num.partitions", "4"),
        ("log.cleaner.enable", "false"),
    ] {
        let entry = config.get(k).unwrap();
        assert_eq!(entry.value.as_deref(), Some(v), "{k}");
        assert_ne!(entry.source, ConfigSource::Default, "{k}");
    }
    env.server
        .clusters()
        .await
        .delete_cluster(DeleteClusterRequest {
            cluster_id: name.clone(),
            force: true,
            keep_data: false,
        })
        .await
        .unwrap();
    env.finish().await;
}
