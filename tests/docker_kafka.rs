//! Real Apache Kafka in containers lkm made: the spec lkm generates for `apache/kafka`, run
//! unchanged on the test image `scripts/build-kafka-image` builds from local files (only the
//! image reference differs). A one-node `development` cluster and a three-broker cluster with
//! a three-controller quorum start, serve a client on the host (kcat, through the host port)
//! and one inside the cluster's network (Kafka's own client, through the internal listener),
//! keep their data across stop/start, are re-adopted by a new lkm, and leave nothing behind.

mod common;

use std::time::Duration;

use common::{Db, DockerGuard, Env, docker, docker_available, docker_has_image, skip, unique_name};
use lkm::config::RuntimeKind;
use lkm::pb::*;

const IMAGE: &str = "lkm-test/kafka:4.1.0";

async fn docker_kafka_env() -> Option<Env> {
    if !docker_available() || !docker_has_image(IMAGE) || common::kcat().is_none() {
        skip(&format!(
            "needs Docker, kcat and {IMAGE} (scripts/build-kafka-image)"
        ));
        return None;
    }
    Env::start_with(Db::Sqlite, |c| c.runtime = RuntimeKind::Docker).await
}

fn request(name: &str, template: &str, brokers: Option<i32>) -> CreateClusterRequest {
    CreateClusterRequest {
        name: name.into(),
        template_id: template.into(),
        kafka_config: Some(KafkaConfig {
            image: Some(IMAGE.into()),
            heap_size: Some("256M".into()),
            broker_count: brokers,
            ..Default::default()
        }),
        // Their images cannot be had here (see the README): the brokers alone.
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
    }
}

fn kcat(args: &[&str], input: Option<&str>) -> String {
    use std::io::Write;
    let mut c = common::kcat().unwrap();
    c.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(text) = input {
        stdin.write_all(text.as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kcat {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The values of `topic`, read from the beginning with kcat.
fn values(bootstrap: &str, topic: &str) -> Vec<String> {
    kcat(
        &[
            "-b",
            bootstrap,
            "-C",
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%s\n",
        ],
        None,
    )
    .lines()
    .map(String::from)
    .collect()
}

/// Kafka's own client, run in a container on the cluster's network, against the brokers'
/// internal listener: the broker ids it sees.
fn broker_ids_inside(network: &str, bootstrap: &str) -> Vec<i32> {
    let (ok, out) = docker(&[
        "run",
        "--rm",
        "--network",
        network,
        "--entrypoint",
        "java",
        IMAGE,
        "-Xmx128m",
        "-XX:TieredStopAtLevel=1",
        "-cp",
        "/opt/kafka/libs/*",
        "org.apache.kafka.tools.BrokerApiVersionsCommand",
        "--bootstrap-server",
        bootstrap,
    ]);
    assert!(ok, "the client inside the network: {out}");
    let mut ids: Vec<i32> = out
        .lines()
        .filter_map(|l| l.split("(id: ").nth(1)?.split(' ').next()?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids
}

fn started_at(container: &str) -> String {
    docker(&["inspect", "-f", "{{.State.StartedAt}}", container]).1
}

/// Names of the Docker objects of a kind (`ps -a`, `network ls`, `volume ls`) matching `name`.
fn objects(kind: &[&str], name: &str) -> Vec<String> {
    let filter = format!("name={name}");
    let mut args = kind.to_vec();
    let format = if kind[0] == "ps" {
        "{{.Names}}"
    } else {
        "{{.Name}}"
    };
    args.extend(["--filter", &filter, "--format", format]);
    docker(&args)
        .1
        .lines()
        .filter(|l| l.contains(name))
        .map(String::from)
        .collect()
}

async fn get(env: &Env, name: &str) -> Cluster {
    env.server
        .clusters()
        .await
        .get_cluster(GetClusterRequest {
            cluster_id: name.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap()
}

async fn delete_leaves_nothing(env: &Env, name: &str) {
    env.server
        .clusters()
        .await
        .delete_cluster(DeleteClusterRequest {
            cluster_id: name.into(),
            force: true,
            keep_data: false,
        })
        .await
        .unwrap();
    let prefix = format!("lkm-{name}");
    assert!(
        objects(&["ps", "-a"], &prefix).is_empty(),
        "containers left"
    );
    assert!(
        objects(&["network", "ls"], &prefix).is_empty(),
        "network left"
    );
    assert!(
        objects(&["volume", "ls"], &prefix).is_empty(),
        "volumes left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_development_cluster_runs_kafka_in_a_container() {
    let Some(env) = docker_kafka_env().await else {
        return;
    };
    let name = unique_name("dkafka");
    let _guard = DockerGuard(name.clone());
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(request(&name, "development", None))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    let bootstrap = c.endpoints["kafka"].clone();
    let broker = format!("lkm-{name}-broker-1");

    // A client on the host, through the host port (the topic is auto-created by Kafka).
    kcat(
        &["-b", &bootstrap, "-P", "-t", "kept", "-p", "0"],
        Some("one\ntwo\n"),
    );
    assert_eq!(values(&bootstrap, "kept"), ["one", "two"]);
    // A client inside the cluster's network, through the internal listener.
    assert_eq!(
        broker_ids_inside(&c.network_name, &format!("{broker}:19092")),
        vec![1]
    );

    // Stop and start, then stop removing the containers and start: the data is kept in the
    // volume both times.
    let mut g = env.server.clusters().await;
    for cleanup in [false, true] {
        g.stop_cluster(StopClusterRequest {
            cluster_id: name.clone(),
            cleanup,
        })
        .await
        .unwrap();
        assert_eq!(get(&env, &name).await.status(), ClusterStatus::Stopped);
        assert_eq!(
            objects(&["ps", "-a"], &broker).is_empty(),
            cleanup,
            "containers after stop (cleanup {cleanup})"
        );
        let started = g
            .start_cluster(StartClusterRequest {
                cluster_id: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .cluster
            .unwrap();
        assert_eq!(
            started.status(),
            ClusterStatus::Running,
            "{}",
            started.status_message
        );
        assert_eq!(
            values(&bootstrap, "kept"),
            ["one", "two"],
            "after a stop (cleanup {cleanup})"
        );
    }

    // A new lkm adopts the running container instead of restarting it.
    let before = started_at(&broker);
    let env = env.restart().await;
    assert_eq!(get(&env, &name).await.status(), ClusterStatus::Running);
    assert_eq!(started_at(&broker), before, "the broker was not restarted");
    assert_eq!(values(&bootstrap, "kept"), ["one", "two"]);

    delete_leaves_nothing(&env, &name).await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_brokers_and_three_controllers_replicate_in_containers() {
    let Some(env) = docker_kafka_env().await else {
        return;
    };
    let name = unique_name("dkafka3");
    let _guard = DockerGuard(name.clone());
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(request(&name, "testing", Some(3)))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    for i in 1..=3 {
        assert!(
            !objects(&["ps"], &format!("lkm-{name}-controller-{i}")).is_empty(),
            "controller {i} runs"
        );
    }
    // Every broker answers on its own host port and knows the three.
    let alloc = c.port_allocation.clone().unwrap();
    let ports: Vec<i32> = std::iter::once(alloc.kafka_port)
        .chain(alloc.additional_kafka_ports.iter().copied())
        .collect();
    assert_eq!(ports.len(), 3, "{alloc:?}");
    for port in &ports {
        let listing = kcat(&["-b", &format!("127.0.0.1:{port}"), "-L"], None);
        assert!(listing.contains(" 3 brokers:"), "{listing}");
    }
    // Inside the network, through the internal listeners.
    let internal: Vec<String> = (1..=3)
        .map(|i| format!("lkm-{name}-broker-{i}:19092"))
        .collect();
    assert_eq!(
        broker_ids_inside(&c.network_name, &internal.join(",")),
        vec![1, 2, 3]
    );

    // A topic replicated three times, written with acks=all and read back.
    env.server
        .clusters()
        .await
        .create_topic(CreateTopicRequest {
            cluster_id: name.clone(),
            name: "replicated".into(),
            partitions: Some(3),
            replication_factor: Some(3),
            configs: [("min.insync.replicas".to_string(), "2".to_string())].into(),
        })
        .await
        .unwrap();
    let bootstrap = c.endpoints["kafka"].clone();
    let input: String = (0..30).map(|i| format!("r{i}\n")).collect();
    kcat(
        &["-b", &bootstrap, "-P", "-t", "replicated", "-X", "acks=all"],
        Some(&input),
    );
    let mut got = values(&bootstrap, "replicated");
    got.sort();
    let mut want: Vec<String> = (0..30).map(|i| format!("r{i}")).collect();
    want.sort();
    assert_eq!(got, want);
    let topic = env
        .server
        .clusters()
        .await
        .get_topic(GetTopicRequest {
            cluster_id: name.clone(),
            topic: "replicated".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    for p in &topic.partition_details {
        assert_eq!(p.in_sync_replicas.len(), 3, "{p:?}");
    }
    tokio::time::timeout(Duration::from_secs(120), delete_leaves_nothing(&env, &name))
        .await
        .expect("delete ended");
    env.finish().await;
}

/// The compose export of a three-broker cluster, run with docker-compose (not by lkm): an
/// equivalent cluster a client can use, then torn down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compose_export_runs() {
    let compose_works = std::process::Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !compose_works {
        skip("docker-compose is not installed");
        return;
    }
    let Some(env) = docker_kafka_env().await else {
        return;
    };
    let name = unique_name("dcompose");
    let _guard = DockerGuard(name.clone());
    let mut req = request(&name, "testing", Some(3));
    req.auto_start = Some(false);
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(req)
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
    let file = env.dir.path().join("docker-compose.yml");
    std::fs::write(&file, v["yaml"].as_str().unwrap()).unwrap();
    let compose = |args: &[&str]| {
        let out = std::process::Command::new("docker-compose")
            .args(["-p", &name, "-f"])
            .arg(&file)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    /// Tears the project down even when an assertion fails.
    struct Down<F: Fn(&[&str]) -> (bool, String)>(F);
    impl<F: Fn(&[&str]) -> (bool, String)> Drop for Down<F> {
        fn drop(&mut self) {
            let (ok, err) = (self.0)(&["down", "-v", "--timeout", "10"]);
            assert!(ok || std::thread::panicking(), "docker-compose down: {err}");
        }
    }
    let down = Down(compose);
    let (ok, err) = (down.0)(&["up", "-d"]);
    assert!(ok, "docker-compose up: {err}");

    let bootstrap = c.endpoints["kafka"].clone();
    let listing = common::eventually(Duration::from_secs(120), || {
        let bootstrap = bootstrap.clone();
        async move {
            let mut k = common::kcat()?;
            let out = k.args(["-b", &bootstrap, "-L", "-m", "5"]).output().ok()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.contains(" 3 brokers:").then_some(text)
        }
    })
    .await
    .expect("the composed cluster answers with its three brokers");
    assert!(listing.contains("broker 2 at"), "{listing}");
    kcat(
        &["-b", &bootstrap, "-P", "-t", "composed", "-p", "0"],
        Some("a\nb\n"),
    );
    assert_eq!(values(&bootstrap, "composed"), ["a", "b"]);
    drop(down);
    assert!(objects(&["ps", "-a"], &format!("lkm-{name}")).is_empty());
    env.finish().await;
}

/// An image without the entrypoint contract (one that only sleeps) given as the Kafka image:
/// the start fails within the start timeout, naming the container, and leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_without_the_contract_fails_the_start_and_leaves_nothing() {
    const SLEEPER: &str = "lkm-test/sleeper:latest";
    if !docker_available() || !docker_has_image(SLEEPER) {
        skip("needs Docker and lkm-test/sleeper (scripts/build-test-images)");
        return;
    }
    let Some(env) = Env::start_with(Db::Sqlite, |c| {
        c.runtime = RuntimeKind::Docker;
        c.start_timeout_secs = 8;
    })
    .await
    else {
        return;
    };
    let name = unique_name("dsleep");
    let _guard = DockerGuard(name.clone());
    let mut req = request(&name, "development", None);
    if let Some(k) = req.kafka_config.as_mut() {
        k.image = Some(SLEEPER.into());
    }
    let t = std::time::Instant::now();
    let res = env.server.clusters().await.create_cluster(req).await;
    let elapsed = t.elapsed();
    let message = match res {
        Ok(r) => {
            let c = r.into_inner().cluster.unwrap();
            assert_eq!(c.status(), ClusterStatus::Error, "{c:?}");
            c.status_message
        }
        Err(status) => status.message().to_string(),
    };
    eprintln!("after {elapsed:?}: {message}");
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    assert!(
        message.contains(&format!("lkm-{name}-broker-1")),
        "{message}"
    );
    assert!(
        objects(&["ps", "-a"], &format!("lkm-{name}")).is_empty(),
        "containers left"
    );
    env.finish().await;
}
