//! What lkm writes, an independent client (kcat) reads identically, and the other way round;
//! topic changes made through lkm are what kcat sees. Plus one round trip through a cluster on
//! the Docker runtime.

mod common;

use std::io::Write;

use common::{Db, Env};
use lkm::config::RuntimeKind;
use lkm::pb::*;

fn text(s: &str) -> Option<Payload> {
    Some(Payload {
        data: Some(payload::Data::Text(s.into())),
    })
}

fn binary(b: &[u8]) -> Option<Payload> {
    Some(Payload {
        data: Some(payload::Data::Binary(b.to_vec())),
    })
}

fn bytes_of(p: &Option<Payload>) -> Vec<u8> {
    match p.as_ref().and_then(|p| p.data.as_ref()) {
        Some(payload::Data::Binary(b)) => b.clone(),
        Some(payload::Data::Text(t)) => t.as_bytes().to_vec(),
        Some(payload::Data::Json(_)) => panic!("unexpected JSON payload"),
        None => vec![],
    }
}

/// A running cluster of the test broker on the process runtime (None when it is missing).
async fn process_env() -> Option<(Env, Cluster)> {
    let env = Env::with_test_broker(Db::Sqlite, |_| {}).await?;
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(common::broker_cluster("cross", "sqlite"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    Some((env, c))
}

async fn create_topic(env: &Env, cluster: &str, topic: &str, partitions: i32) {
    env.server
        .clusters()
        .await
        .create_topic(CreateTopicRequest {
            cluster_id: cluster.into(),
            name: topic.into(),
            partitions: Some(partitions),
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_lkm_produces_kcat_reads_identically() {
    if common::kcat().is_none() {
        return;
    }
    let Some((env, c)) = process_env().await else {
        return;
    };
    create_topic(&env, "cross", "from-lkm", 2).await;
    let all_bytes: Vec<u8> = (0..=255).collect();
    let records = vec![
        ProducerRecord {
            key: binary(&[0, 1, 2, 255]),
            value: binary(&all_bytes),
            headers: vec![RecordHeader {
                key: "trace".into(),
                value: b"abc".to_vec(),
            }],
            partition: Some(0),
            timestamp: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 123_000_000,
            }),
        },
        ProducerRecord {
            key: text("k2"),
            value: text("héllo wörld"),
            headers: vec![],
            partition: Some(1),
            timestamp: Some(prost_types::Timestamp {
                seconds: 1_700_000_001,
                nanos: 0,
            }),
        },
    ];
    let res = env
        .server
        .clusters()
        .await
        .produce(ProduceRequest {
            cluster_id: "cross".into(),
            topic: "from-lkm".into(),
            records,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(res.failed_count, 0, "{:?}", res.results);
    let read = common::kcat_consume(&c.endpoints["kafka"], "from-lkm");
    assert_eq!(read.len(), 2, "{read:?}");
    let p0 = read.iter().find(|r| r.partition == 0).unwrap();
    assert_eq!(p0.key.as_deref(), Some(&[0u8, 1, 2, 255][..]));
    assert_eq!(p0.value, all_bytes);
    assert_eq!(p0.timestamp_ms, 1_700_000_000_123);
    assert_eq!(p0.headers, "trace=abc");
    assert_eq!(p0.offset, res.results[0].offset);
    let p1 = read.iter().find(|r| r.partition == 1).unwrap();
    assert_eq!(p1.key.as_deref(), Some(&b"k2"[..]));
    assert_eq!(p1.value, "héllo wörld".as_bytes());
    assert_eq!(p1.timestamp_ms, 1_700_000_001_000);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_kcat_produces_lkm_reads_identically() {
    if common::kcat().is_none() {
        return;
    }
    let Some((env, c)) = process_env().await else {
        return;
    };
    create_topic(&env, "cross", "from-kcat", 1).await;
    // A binary value (every byte) from a file, with a key and a header.
    let all_bytes: Vec<u8> = (0..=255).collect();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&all_bytes).unwrap();
    let out = common::kcat()
        .unwrap()
        .args([
            "-b",
            &c.endpoints["kafka"],
            "-P",
            "-t",
            "from-kcat",
            "-p",
            "0",
            "-k",
            "bin-key",
            "-H",
            "source=kcat",
        ])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kcat -P: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Text lines with keys.
    let mut child = common::kcat()
        .unwrap()
        .args([
            "-b",
            &c.endpoints["kafka"],
            "-P",
            "-t",
            "from-kcat",
            "-p",
            "0",
            "-K",
            ":",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("k1:line one\nk2:line two\n".as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());

    let res = env
        .server
        .clusters()
        .await
        .consume(ConsumeRequest {
            cluster_id: "cross".into(),
            topic: "from-kcat".into(),
            start_from: StartFrom::Beginning as i32,
            max_records: 10,
            max_wait: Some(prost_types::Duration {
                seconds: 10,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(res.records.len(), 3, "{:?}", res.records);
    let r0 = &res.records[0];
    assert_eq!(bytes_of(&r0.key), b"bin-key");
    assert_eq!(bytes_of(&r0.value), all_bytes);
    assert!(
        matches!(
            r0.value.as_ref().and_then(|p| p.data.as_ref()),
            Some(payload::Data::Binary(_))
        ),
        "invalid UTF-8 comes back as bytes"
    );
    assert_eq!(
        r0.headers,
        vec![RecordHeader {
            key: "source".into(),
            value: b"kcat".to_vec()
        }]
    );
    assert_eq!(
        (
            bytes_of(&res.records[1].key),
            bytes_of(&res.records[1].value)
        ),
        (b"k1".to_vec(), b"line one".to_vec())
    );
    assert_eq!(
        (
            bytes_of(&res.records[2].key),
            bytes_of(&res.records[2].value)
        ),
        (b"k2".to_vec(), b"line two".to_vec())
    );
    let offsets: Vec<i64> = res.records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![0, 1, 2]);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_made_through_lkm_are_what_kcat_sees() {
    if common::kcat().is_none() {
        return;
    }
    let Some((env, c)) = process_env().await else {
        return;
    };
    create_topic(&env, "cross", "seen-by-kcat", 4).await;
    let out = common::kcat()
        .unwrap()
        .args(["-b", &c.endpoints["kafka"], "-L", "-t", "seen-by-kcat"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("topic \"seen-by-kcat\" with 4 partitions"),
        "{listing}"
    );
    // lkm's own view agrees.
    let t = env
        .server
        .clusters()
        .await
        .get_topic(GetTopicRequest {
            cluster_id: "cross".into(),
            topic: "seen-by-kcat".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!(t.partitions, 4);
    assert_eq!(t.partition_details.len(), 4);
    env.finish().await;
}

/// A round trip through a cluster on the Docker runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_through_a_docker_cluster() {
    if !common::docker_available() || !common::docker_has_image("lkm/tansu:latest") {
        return common::skip("Docker or the lkm/tansu:latest image is missing");
    }
    let env = Env::start_with(Db::Sqlite, |c| c.runtime = RuntimeKind::Docker)
        .await
        .unwrap();
    let name = common::unique_name("dp");
    let _guard = common::DockerGuard(name.clone());
    let mut g = env.server.clusters().await;
    let c = g
        .create_cluster(CreateClusterRequest {
            name: name.clone(),
            template_id: "tansu-dev".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    create_topic(&env, &name, "docker-topic", 1).await;
    let res = g
        .produce(ProduceRequest {
            cluster_id: name.clone(),
            topic: "docker-topic".into(),
            records: vec![ProducerRecord {
                key: text("k"),
                value: binary(&[9, 8, 7]),
                ..Default::default()
            }],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(res.failed_count, 0);
    let got = g
        .consume(ConsumeRequest {
            cluster_id: name.clone(),
            topic: "docker-topic".into(),
            start_from: StartFrom::Beginning as i32,
            max_records: 1,
            max_wait: Some(prost_types::Duration {
                seconds: 10,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.records.len(), 1);
    assert_eq!(bytes_of(&got.records[0].value), vec![9, 8, 7]);
    if let Some(mut kcat) = common::kcat() {
        let out = kcat
            .args([
                "-b",
                &c.endpoints["kafka"],
                "-C",
                "-t",
                "docker-topic",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%k",
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "k");
    }
    g.delete_cluster(DeleteClusterRequest {
        cluster_id: name.clone(),
        force: true,
        keep_data: false,
    })
    .await
    .unwrap();
    env.finish().await;
}
