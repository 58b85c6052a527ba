//! The process runtime against real broker processes, through the gRPC API of a real lkm
//! server: Apache Kafka JVMs (one and three KRaft brokers) that lkm launches from a jar-only
//! distribution, and tansu, the other engine.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Db, Env, code_reason};
use lkm::config::RuntimeKind;
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::*;
use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use tonic::Code;
use tonic::transport::Channel;

type Clusters = ClusterServiceClient<Channel>;

const WAIT: Duration = Duration::from_secs(20);

/// The tansu binary (`LKM_TEST_TANSU` or PATH; the test is skipped without one).
fn need_tansu() -> Option<String> {
    common::tansu_binary().map(|p| p.display().to_string())
}

async fn process_env(tansu: &str) -> Option<Env> {
    let tansu = tansu.to_string();
    Env::start_with(Db::Sqlite, move |c| {
        c.runtime = RuntimeKind::Process;
        c.tansu_binary = tansu;
        c.kafka_home = String::new();
    })
    .await
}

/// Whether process `pid` exists (zombies count: a gone process is reaped).
fn process_exists(pid: i32) -> bool {
    unsafe { libc::kill(pid, 0) == 0 }
}

async fn wait_process_gone(pid: i32) {
    let deadline = Instant::now() + WAIT;
    while process_exists(pid) {
        assert!(
            Instant::now() < deadline,
            "process {pid} still exists after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status(grpc: &mut Clusters, id: &str) -> GetClusterStatusResponse {
    grpc.get_cluster_status(GetClusterStatusRequest {
        cluster_id: id.into(),
    })
    .await
    .unwrap()
    .into_inner()
}

async fn get(grpc: &mut Clusters, id: &str) -> Cluster {
    grpc.get_cluster(GetClusterRequest {
        cluster_id: id.into(),
    })
    .await
    .unwrap()
    .into_inner()
    .cluster
    .unwrap()
}

/// StartCluster; returns the cluster and how long it took.
async fn start(grpc: &mut Clusters, id: &str) -> (Cluster, Duration) {
    let t = Instant::now();
    let c = grpc
        .start_cluster(StartClusterRequest {
            cluster_id: id.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    (c, t.elapsed())
}

/// A cluster of the test broker created with auto-start: RUNNING when the call returns.
async fn create_running(grpc: &mut Clusters, name: &str) -> Cluster {
    let c = grpc
        .create_cluster(common::broker_cluster(name, "sqlite"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    c
}

fn broker_pid(st: &GetClusterStatusResponse) -> i32 {
    assert_eq!(st.services.len(), 1, "{:?}", st.services);
    broker_pids(st)[0]
}

fn broker_pids(st: &GetClusterStatusResponse) -> Vec<i32> {
    st.services
        .iter()
        .map(|s| {
            s.runtime_id
                .parse()
                .unwrap_or_else(|_| panic!("runtime_id is a pid: {s:?}"))
        })
        .collect()
}

/// Processes whose working directory is under `dir` (what a cluster left running).
fn processes_under(dir: &Path) -> Vec<i32> {
    let Ok(dir) = dir.canonicalize() else {
        return Vec::new();
    };
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(&dir))
        })
        .collect()
}

fn client(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("socket.timeout.ms", "10000")
        .set("message.timeout.ms", "10000");
    c
}

/// Broker ids in the metadata seen through `bootstrap`.
async fn broker_ids(bootstrap: &str) -> Vec<i32> {
    let bootstrap = bootstrap.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = client(&bootstrap).create().unwrap();
        let md = consumer
            .fetch_metadata(None, Duration::from_secs(10))
            .unwrap();
        md.brokers().iter().map(|b| b.id()).collect()
    })
    .await
    .unwrap()
}

async fn create_topic(bootstrap: &str, topic: &str, replicas: i32) {
    let admin: AdminClient<DefaultClientContext> = client(bootstrap).create().unwrap();
    let res = admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(replicas))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
    }
}

async fn produce(bootstrap: &str, topic: &str, key: &str, value: &str) {
    let producer: FutureProducer = client(bootstrap).create().unwrap();
    producer
        .send(
            FutureRecord::to(topic).key(key).payload(value).partition(0),
            Duration::from_secs(10),
        )
        .await
        .unwrap_or_else(|(e, _)| panic!("produce: {e}"));
}

/// The records of partition 0 of `topic`, from the beginning, once at least `want` arrived.
async fn consume(bootstrap: &str, topic: &str, want: usize) -> Vec<(String, String)> {
    let bootstrap = bootstrap.to_string();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = client(&bootstrap)
            .set("group.id", format!("lkm-test-{}", uuid::Uuid::new_v4()))
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Beginning)
            .unwrap();
        consumer.assign(&tpl).unwrap();
        let deadline = Instant::now() + WAIT;
        let mut out = Vec::new();
        while out.len() < want {
            assert!(
                Instant::now() < deadline,
                "only {} of {want} records of {topic} within {WAIT:?}",
                out.len()
            );
            match consumer.poll(Duration::from_millis(200)) {
                Some(Ok(m)) => out.push((
                    String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                    String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                )),
                Some(Err(e)) => eprintln!("consume: {e}"),
                None => {}
            }
        }
        out
    })
    .await
    .unwrap()
}

fn port_is_free(addr: SocketAddr) -> bool {
    TcpListener::bind(addr).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tansu_cluster_lifecycle() {
    let Some(tansu) = need_tansu() else {
        return;
    };
    let Some(env) = process_env(&tansu).await else {
        return;
    };
    let req = CreateClusterRequest {
        name: "proc-one".into(),
        template_id: "tansu-dev".into(),
        auto_start: Some(true),
        ..Default::default()
    };
    lifecycle(env, req, 1).await;
}

/// An Apache Kafka environment: the process runtime with the assembled distribution.
async fn kafka_env() -> Option<Env> {
    let home = common::kafka_home()?;
    Env::start_with(Db::Sqlite, move |c| {
        c.runtime = RuntimeKind::Process;
        c.kafka_home = home.display().to_string();
        c.kafka_jvm_options = common::TEST_JVM_OPTIONS.into();
    })
    .await
}

/// A Kafka cluster of `brokers` combined KRaft nodes, replication factor `brokers`.
fn kafka_cluster(name: &str, brokers: i32) -> CreateClusterRequest {
    CreateClusterRequest {
        name: name.into(),
        template_id: "testing".into(),
        kafka_config: Some(KafkaConfig {
            heap_size: Some(common::TEST_HEAP.into()),
            broker_count: Some(brokers),
            default_replication_factor: Some(brokers),
            ..Default::default()
        }),
        auto_start: Some(true),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_one_broker_lifecycle() {
    let Some(env) = kafka_env().await else { return };
    lifecycle(env, kafka_cluster("kafka-one", 1), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_three_broker_lifecycle() {
    let Some(env) = kafka_env().await else { return };
    lifecycle(env, kafka_cluster("kafka-three", 3), 3).await;
}

/// A cluster's whole life on the process runtime: RUNNING only once every broker answers
/// metadata; stop keeps the data; start; a broker killed behind lkm's back is noticed; an
/// lkm restart re-adopts the running brokers; delete leaves no process, file or port.
async fn lifecycle(env: Env, req: CreateClusterRequest, brokers: usize) {
    let mut grpc = env.server.clusters().await;

    // Create with auto_start: RUNNING when the call returns.
    let t = Instant::now();
    let res = grpc.create_cluster(req).await.unwrap().into_inner();
    let created_in = t.elapsed();
    let c = res.cluster.unwrap();
    assert_eq!(
        c.status(),
        ClusterStatus::Running,
        "{} {:?}",
        c.status_message,
        res.warnings
    );
    let id = c.id.clone();
    let bootstrap = c.endpoints["kafka"].clone();
    let alloc = c.port_allocation.clone().unwrap();
    let broker_ports: Vec<i32> = std::iter::once(alloc.kafka_port)
        .chain(alloc.additional_kafka_ports.iter().copied())
        .take(brokers)
        .collect();
    assert_eq!(broker_ports.len(), brokers);
    let data_dir = PathBuf::from(&c.data_directory);
    for i in 1..=brokers {
        assert!(data_dir.join(format!("broker-{i}")).is_dir());
    }
    // Every broker answers, and each one knows all of them.
    for port in &broker_ports {
        let ids = broker_ids(&format!("127.0.0.1:{port}")).await;
        assert_eq!(ids.len(), brokers, "broker on {port} sees {ids:?}");
    }
    let replicas = i32::try_from(brokers).unwrap();
    create_topic(&bootstrap, "orders", replicas).await;
    produce(&bootstrap, "orders", "k1", "v1").await;

    let st = status(&mut grpc, &id).await;
    assert_eq!(st.status(), ClusterStatus::Running);
    assert_eq!(st.runtime, "process");
    assert_eq!(st.services.len(), brokers, "{:?}", st.services);
    for (i, s) in st.services.iter().enumerate() {
        assert_eq!(
            (s.name.as_str(), s.state.as_str(), s.health.as_str()),
            (format!("broker-{}", i + 1).as_str(), "running", "healthy"),
            "{s:?}"
        );
        assert!(s.ports.contains(&broker_ports[i]), "{s:?}");
    }
    let pids = broker_pids(&st);
    assert!(pids.iter().all(|p| process_exists(*p)));
    assert!(
        st.disk_usage_bytes > 0,
        "the broker's files are in the data directory"
    );

    // Stop: the processes are gone, the cluster STOPPED, its ports free.
    let t = Instant::now();
    let stopped = grpc
        .stop_cluster(StopClusterRequest {
            cluster_id: id.clone(),
            cleanup: false,
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let stopped_in = t.elapsed();
    assert_eq!(stopped.status(), ClusterStatus::Stopped);
    for pid in &pids {
        wait_process_gone(*pid).await;
    }
    assert_eq!(processes_under(&data_dir), Vec::<i32>::new());
    let st = status(&mut grpc, &id).await;
    assert_eq!(st.status(), ClusterStatus::Stopped);
    assert!(st.services.iter().all(|s| s.state != "running"));
    for port in &broker_ports {
        assert!(port_is_free(SocketAddr::new(
            env.server.config.bind_address,
            *port as u16
        )));
    }

    // Start: the record is still there.
    let (started, start_in) = start(&mut grpc, &id).await;
    assert_eq!(started.status(), ClusterStatus::Running);
    assert_eq!(
        consume(&bootstrap, "orders", 1).await,
        [("k1".to_string(), "v1".to_string())]
    );

    // A broker killed behind lkm's back: not RUNNING any more, and the status says why.
    let pid = broker_pids(&status(&mut grpc, &id).await)[brokers - 1];
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let deadline = Instant::now() + WAIT;
    let st = loop {
        let st = status(&mut grpc, &id).await;
        if st.status() != ClusterStatus::Running {
            break st;
        }
        assert!(Instant::now() < deadline, "still RUNNING after the kill");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        matches!(st.status(), ClusterStatus::Error | ClusterStatus::Stopped),
        "{:?}",
        st.status()
    );
    assert!(
        st.status_message.contains(&format!("broker-{brokers}")),
        "{}",
        st.status_message
    );
    assert_ne!(
        st.services[brokers - 1].state,
        "running",
        "{:?}",
        st.services
    );

    // It starts again.
    let (started, restart_in) = start(&mut grpc, &id).await;
    assert_eq!(started.status(), ClusterStatus::Running);
    assert_eq!(consume(&bootstrap, "orders", 1).await.len(), 1);
    let pids = broker_pids(&status(&mut grpc, &id).await);

    // lkm restarts while the cluster runs: the brokers live on and are adopted again.
    let env = env.restart().await;
    let mut grpc = env.server.clusters().await;
    assert!(
        pids.iter().all(|p| process_exists(*p)),
        "the brokers outlive lkm"
    );
    let st = status(&mut grpc, &id).await;
    assert_eq!(st.status(), ClusterStatus::Running, "{}", st.status_message);
    assert_eq!(broker_pids(&st), pids, "the same processes, re-adopted");
    assert_eq!(get(&mut grpc, &id).await.status(), ClusterStatus::Running);
    assert_eq!(broker_ids(&bootstrap).await.len(), brokers);
    assert_eq!(
        consume(&bootstrap, "orders", 1).await,
        [("k1".to_string(), "v1".to_string())]
    );

    // Delete: processes, data directory and ports are gone.
    grpc.delete_cluster(DeleteClusterRequest {
        cluster_id: id.clone(),
        force: true,
        keep_data: false,
    })
    .await
    .unwrap();
    for pid in &pids {
        wait_process_gone(*pid).await;
    }
    assert!(!data_dir.exists());
    for port in &broker_ports {
        assert!(port_is_free(SocketAddr::new(
            env.server.config.bind_address,
            *port as u16
        )));
    }
    let err = grpc
        .get_cluster(GetClusterRequest {
            cluster_id: id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    eprintln!(
        "timings ({brokers} broker(s)): create+start {created_in:?}, stop {stopped_in:?}, start {start_in:?}, start after kill {restart_in:?}"
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tansu_binary_is_a_failed_precondition() {
    let missing = "/nonexistent/lkm-test/tansu";
    let Some(env) = process_env(missing).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let res = grpc
        .create_cluster(CreateClusterRequest {
            name: "no-tansu".into(),
            template_id: "tansu-dev".into(),
            auto_start: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let c = res.cluster.unwrap();
    let err = grpc
        .start_cluster(StartClusterRequest {
            cluster_id: c.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let (code, reason) = code_reason(&err);
    assert_eq!(code, Code::FailedPrecondition, "{err:?}");
    assert_eq!(reason, "TANSU_NOT_FOUND");
    assert!(err.message().contains(missing), "{}", err.message());
    assert!(
        err.message()
            .contains("cargo install tansu --locked --features dynostore,libsql"),
        "{}",
        err.message()
    );
    assert_eq!(get(&mut grpc, &c.id).await.status(), ClusterStatus::Created);

    // With auto_start the same reason refuses the creation, which leaves nothing behind.
    let before = env.cluster_dirs();
    let err = grpc
        .create_cluster(CreateClusterRequest {
            name: "no-tansu-auto".into(),
            template_id: "tansu-dev".into(),
            auto_start: Some(true),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "TANSU_NOT_FOUND".into())
    );
    assert_eq!(env.cluster_dirs(), before, "no data directory is left");
    let all = grpc
        .list_clusters(ListClustersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .clusters;
    assert_eq!(all.len(), 1, "only the first cluster: {all:?}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_kafka_without_kafka_home_is_a_failed_precondition() {
    let Some(env) = process_env("").await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let c = grpc
        .create_cluster(CreateClusterRequest {
            name: "no-kafka".into(),
            template_id: "testing".into(),
            auto_start: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(
        c.kafka_config.clone().unwrap().engine(),
        BrokerEngine::ApacheKafka
    );
    let err = grpc
        .start_cluster(StartClusterRequest {
            cluster_id: c.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let (code, reason) = code_reason(&err);
    assert_eq!(code, Code::FailedPrecondition, "{err:?}");
    assert_eq!(reason, "KAFKA_HOME_NOT_SET");
    assert!(err.message().contains("KAFKA_HOME"), "{}", err.message());
    assert_eq!(get(&mut grpc, &c.id).await.status(), ClusterStatus::Created);
    env.finish().await;
}

/// kafka_home values that cannot run a broker: missing, half-assembled, the wrong major
/// version. Each is a FAILED_PRECONDITION naming what is wrong; StartCluster changes nothing
/// (no broker directory, the cluster stays CREATED) and CreateCluster with auto_start creates
/// nothing at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_kafka_homes_are_refused_and_change_nothing() {
    let Some(real) = common::kafka_home() else {
        return;
    };
    let homes = tempfile::tempdir().unwrap();
    let missing = homes.path().join("missing");
    let no_libs = homes.path().join("no-libs");
    std::fs::create_dir_all(no_libs.join("config")).unwrap();
    // Half-assembled: the broker jar but not the rest.
    let half = homes.path().join("half");
    std::fs::create_dir_all(half.join("libs")).unwrap();
    std::fs::copy(
        real.join("libs").join("kafka_2.13-4.1.0.jar"),
        half.join("libs").join("kafka_2.13-4.1.0.jar"),
    )
    .unwrap();
    // Kafka 3: jars named like the 3.9 tarball's.
    let old = homes.path().join("old");
    std::fs::create_dir_all(old.join("libs")).unwrap();
    for jar in ["kafka_2.13-3.9.1.jar", "kafka-clients-3.9.1.jar"] {
        std::fs::write(old.join("libs").join(jar), b"").unwrap();
    }
    let cases = [
        (&missing, "KAFKA_HOME_INVALID", "does not exist"),
        (&no_libs, "KAFKA_HOME_INVALID", "no libs/"),
        (&half, "KAFKA_HOME_INVALID", "kafka-clients-*.jar"),
        (&old, "KAFKA_VERSION_UNSUPPORTED", "3.9.1"),
    ];
    for (home, reason, says) in cases {
        let home_text = home.display().to_string();
        let Some(env) = Env::start_with(Db::Sqlite, |c| {
            c.runtime = RuntimeKind::Process;
            c.kafka_home = home_text.clone();
        })
        .await
        else {
            return;
        };
        let mut grpc = env.server.clusters().await;
        let err = grpc
            .create_cluster(kafka_cluster("bad-home", 1))
            .await
            .unwrap_err();
        assert_eq!(
            code_reason(&err),
            (Code::FailedPrecondition, reason.into()),
            "{home_text}: {err:?}"
        );
        assert!(
            err.message().contains(says),
            "{home_text}: {}",
            err.message()
        );
        assert!(
            err.message().contains(&home_text),
            "names the home: {}",
            err.message()
        );
        assert_eq!(env.cluster_dirs(), Vec::<String>::new(), "{home_text}");

        let c = grpc
            .create_cluster(CreateClusterRequest {
                auto_start: Some(false),
                ..kafka_cluster("later", 1)
            })
            .await
            .unwrap()
            .into_inner()
            .cluster
            .unwrap();
        let err = grpc
            .start_cluster(StartClusterRequest {
                cluster_id: c.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(code_reason(&err), (Code::FailedPrecondition, reason.into()));
        assert_eq!(get(&mut grpc, &c.id).await.status(), ClusterStatus::Created);
        let entries: Vec<_> = std::fs::read_dir(&c.data_directory)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(entries.is_empty(), "the start made {entries:?}");
        env.finish().await;
    }
}

/// A Kafka broker that cannot start: a property Kafka rejects (its storage formatter already
/// refuses it) and a heap too small to run in (the JVM dies). StartCluster fails as soon as
/// that happens, quoting Kafka's own words; the cluster is ERROR and no JVM is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_broker_dying_at_start_fails_with_its_log() {
    let Some(env) = kafka_env().await else { return };
    let mut grpc = env.server.clusters().await;
    let bad_property = |k: &mut KafkaConfig| {
        k.custom_properties
            .insert("num.io.threads".into(), "0".into());
    };
    let tiny_heap = |k: &mut KafkaConfig| k.heap_size = Some("12M".into());
    type Change<'a> = &'a dyn Fn(&mut KafkaConfig);
    let cases: [(&str, Change, &[&str]); 2] = [
        (
            "kafka-bad-prop",
            &bad_property,
            &["num.io.threads", "Value must be at least 1"],
        ),
        (
            "kafka-tiny-heap",
            &tiny_heap,
            &["exited", "OutOfMemoryError", "kafka_config.heap_size"],
        ),
    ];
    for (name, change, says) in cases {
        let mut req = kafka_cluster(name, 1);
        req.auto_start = Some(false);
        change(req.kafka_config.as_mut().unwrap());
        let c = grpc
            .create_cluster(req)
            .await
            .unwrap()
            .into_inner()
            .cluster
            .unwrap();
        let t = Instant::now();
        let err = grpc
            .start_cluster(StartClusterRequest {
                cluster_id: c.id.clone(),
                timeout: Some(prost_types::Duration {
                    seconds: 90,
                    nanos: 0,
                }),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert!(
            t.elapsed() < Duration::from_secs(45),
            "{name}: failed only after {:?}",
            t.elapsed()
        );
        for word in says {
            assert!(err.message().contains(word), "{name}: {}", err.message());
        }
        let st = status(&mut grpc, &c.id).await;
        assert_eq!(st.status(), ClusterStatus::Error, "{name}");
        assert!(
            st.status_message.contains(says[0]),
            "{name}: {}",
            st.status_message
        );
        let data_dir = Path::new(&c.data_directory);
        assert!(!data_dir.join("broker-1").join("broker.pid").exists());
        assert_eq!(
            processes_under(data_dir),
            Vec::<i32>::new(),
            "{name}: no JVM is left"
        );
    }
    env.finish().await;
}

/// A broker port taken by another program: the start is refused naming the port, and
/// nothing is left running; once the port is free the cluster starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_port_taken_fails_the_start_cleanly() {
    let Some(env) = kafka_env().await else { return };
    let mut grpc = env.server.clusters().await;
    let mut req = kafka_cluster("kafka-port", 1);
    req.auto_start = Some(false);
    let c = grpc
        .create_cluster(req)
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let port = c.port_allocation.clone().unwrap().kafka_port;
    let squatter = TcpListener::bind(("127.0.0.1", port as u16)).unwrap();
    let err = grpc
        .start_cluster(StartClusterRequest {
            cluster_id: c.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "PORT_IN_USE".into())
    );
    assert!(
        err.message().contains(&port.to_string()),
        "{}",
        err.message()
    );
    assert_eq!(
        processes_under(Path::new(&c.data_directory)),
        Vec::<i32>::new()
    );
    assert_ne!(get(&mut grpc, &c.id).await.status(), ClusterStatus::Running);
    drop(squatter);
    let (started, _) = start(&mut grpc, &c.id).await;
    assert_eq!(
        started.status(),
        ClusterStatus::Running,
        "{}",
        started.status_message
    );
    env.finish().await;
}

/// A broker that dies during start-up: StartCluster fails at once (not at the timeout) with
/// the broker's last log lines, the cluster is ERROR and nothing is left running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_dying_at_start_fails_with_its_log() {
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("tansu");
    std::fs::write(
        &fake,
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'tansu 0.0.0'; exit 0; }\n\
         echo 'storage engine: FeatureNotEnabled { feature: \"libsql\" }' >&2\nexit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let Some(env) = process_env(fake.to_str().unwrap()).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let c = grpc
        .create_cluster(CreateClusterRequest {
            name: "dies".into(),
            template_id: "tansu-dev".into(),
            auto_start: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let t = Instant::now();
    let err = grpc
        .start_cluster(StartClusterRequest {
            cluster_id: c.id.clone(),
            timeout: Some(prost_types::Duration {
                seconds: 60,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "failed only after {:?}",
        t.elapsed()
    );
    assert!(err.message().contains("exited"), "{}", err.message());
    assert!(
        err.message().contains("FeatureNotEnabled"),
        "the broker's log is quoted: {}",
        err.message()
    );
    let st = status(&mut grpc, &c.id).await;
    assert_eq!(st.status(), ClusterStatus::Error);
    assert!(st.status_message.contains("FeatureNotEnabled"));
    assert_ne!(st.services[0].state, "running");
    let broker = Path::new(&c.data_directory).join("broker-1");
    assert!(!broker.join("broker.pid").exists(), "no pid file is left");
    assert!(broker.join("broker.log").is_file());
    env.finish().await;
}

/// GetHostResources: what the host has, and what running clusters hold of it (gRPC and
/// REST agree).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_resources_count_running_clusters() {
    let Some(env) = Env::with_test_broker(Db::Sqlite, |_| {}).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let host = |grpc: &mut Clusters| {
        let mut grpc = grpc.clone();
        async move {
            grpc.get_host_resources(GetHostResourcesRequest {})
                .await
                .unwrap()
                .into_inner()
        }
    };
    let idle = host(&mut grpc).await;
    assert_eq!(idle.runtime, "process");
    assert_eq!((idle.running_clusters, idle.reserved_memory_mb), (0, 0));
    assert!(idle.total_memory_mb > 0 && idle.cpu_count >= 1, "{idle:?}");
    assert!(idle.free_memory_mb <= idle.total_memory_mb, "{idle:?}");
    assert!(idle.free_disk_mb > 0, "{idle:?}");

    let c = create_running(&mut grpc, "hostres").await;
    let busy = host(&mut grpc).await;
    assert_eq!(busy.running_clusters, 1);
    assert!(busy.reserved_memory_mb >= 128, "{busy:?}");
    assert!(
        busy.free_memory_mb <= busy.total_memory_mb - busy.reserved_memory_mb,
        "{busy:?}"
    );

    let res = reqwest::get(env.server.rest("/host/resources"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["runningClusters"], 1, "{v}");
    assert_eq!(v["runtime"], "process", "{v}");
    assert_eq!(
        v["reservedMemoryMb"].as_str(),
        Some(busy.reserved_memory_mb.to_string().as_str()),
        "int64 is a JSON string: {v}"
    );

    grpc.stop_cluster(StopClusterRequest {
        cluster_id: c.id.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let stopped = host(&mut grpc).await;
    assert_eq!(
        (stopped.running_clusters, stopped.reserved_memory_mb),
        (0, 0)
    );
    env.finish().await;
}

/// WatchClusters: the snapshot, then every change of a cluster's life as it happens,
/// including a broker that dies with nobody asking for its status (lkm's own liveness
/// check), and the deletion; the same stream over REST as Server-Sent Events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_see_every_change_and_a_dead_broker() {
    let Some(env) = Env::with_test_broker(Db::Sqlite, |c| {
        c.liveness_interval_secs = 1;
    })
    .await
    else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let mut watch = grpc
        .watch_clusters(WatchClustersRequest::default())
        .await
        .unwrap()
        .into_inner();
    async fn next(
        watch: &mut tonic::Streaming<WatchClustersResponse>,
    ) -> (ClusterEventType, Option<Cluster>) {
        let e = tokio::time::timeout(WAIT, watch.message())
            .await
            .expect("no cluster event in time")
            .unwrap()
            .expect("the watch ended");
        (e.r#type(), e.cluster)
    }
    assert_eq!(
        next(&mut watch).await.0,
        ClusterEventType::Synced,
        "nothing yet"
    );

    let c = create_running(&mut grpc, "watched").await;
    // Created, starting, running: in that order (progress notes may come in between).
    let mut seen = Vec::new();
    while seen.last() != Some(&ClusterStatus::Running) {
        let (kind, cluster) = next(&mut watch).await;
        assert_eq!(kind, ClusterEventType::Changed);
        let cluster = cluster.unwrap();
        assert_eq!(cluster.id, c.id);
        if seen.last() != Some(&cluster.status()) {
            seen.push(cluster.status());
        }
    }
    assert_eq!(
        seen,
        [
            ClusterStatus::Created,
            ClusterStatus::Starting,
            ClusterStatus::Running
        ]
    );

    // A late watcher over REST gets the cluster in its snapshot.
    let mut sse = reqwest::get(env.server.rest("/events/clusters"))
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let mut text = String::new();
    while !text.contains("CLUSTER_EVENT_TYPE_SYNCED") {
        let chunk = tokio::time::timeout(WAIT, sse.chunk())
            .await
            .expect("no SSE event in time")
            .unwrap()
            .expect("the SSE stream ended");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("CLUSTER_EVENT_TYPE_SNAPSHOT"), "{text}");
    assert!(text.contains("\"watched\""), "{text}");
    drop(sse);

    // Killed behind lkm's back, and nobody asks: the watcher is told.
    let pid = broker_pid(&status(&mut grpc, &c.id).await);
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let dead = loop {
        let (kind, cluster) = next(&mut watch).await;
        assert_eq!(kind, ClusterEventType::Changed);
        let cluster = cluster.unwrap();
        if cluster.status() != ClusterStatus::Running {
            break cluster;
        }
    };
    assert_eq!(
        dead.status(),
        ClusterStatus::Error,
        "{}",
        dead.status_message
    );
    assert!(!dead.status_message.is_empty());

    grpc.delete_cluster(DeleteClusterRequest {
        cluster_id: c.id.clone(),
        force: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let (kind, cluster) = next(&mut watch).await;
    assert_eq!(kind, ClusterEventType::Deleted);
    assert_eq!(cluster.unwrap().id, c.id);
    env.finish().await;
}

/// A test that fails before `Env::finish` leaves no broker running: dropping the Env (as a
/// panic does) kills the brokers under its data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_env_leaves_no_broker_running() {
    let Some(env) = Env::with_test_broker(Db::Sqlite, |_| {}).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let c = create_running(&mut grpc, "orphan").await;
    let pid = broker_pid(&status(&mut grpc, &c.id).await);
    assert!(process_exists(pid));
    drop(grpc);
    drop(env);
    wait_process_gone(pid).await;
}
