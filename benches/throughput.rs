//! Produce and consume throughput through lkm (client-streaming ProduceStream,
//! server-streaming ConsumeStream) against kcat producing/consuming the same records to the
//! same broker in the same run: a one-broker Apache Kafka cluster that lkm runs (the test
//! broker; LKM_TEST_BROKER=tansu for tansu's memory engine).
//!
//!   cargo bench --bench throughput        (needs kcat; LKM_TEST_KCAT_LIBDIR for a modern
//!                                          librdkafka; LKM_BENCH_RECORDS, default 1,000,000)

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;
mod support;

use std::io::Write;
use std::time::Instant;

use common::{Db, Env};
use futures::StreamExt;
use lkm::pb::*;

async fn create_topic(env: &Env, topic: &str) {
    env.server
        .clusters()
        .await
        .create_topic(CreateTopicRequest {
            cluster_id: "bench".into(),
            name: topic.into(),
            partitions: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// lkm: ProduceStream in batches of 1,000 records (built as they are sent). Records per
/// second.
async fn lkm_produce(env: &Env, topic: &str, n: usize, size: usize) -> f64 {
    let value = vec![b'x'; size];
    let batch = 1000;
    let topic = topic.to_string();
    let messages = futures::stream::iter(0..n.div_ceil(batch)).map(move |b| ProduceStreamRequest {
        cluster_id: if b == 0 {
            "bench".into()
        } else {
            String::new()
        },
        topic: if b == 0 { topic.clone() } else { String::new() },
        records: (0..batch.min(n - b * batch))
            .map(|_| ProducerRecord {
                value: Some(Payload {
                    data: Some(payload::Data::Binary(value.clone())),
                }),
                partition: Some(0),
                ..Default::default()
            })
            .collect(),
    });
    let mut g = env.server.clusters().await;
    let t = Instant::now();
    let res = g.produce_stream(messages).await.unwrap().into_inner();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(res.records as usize, n);
    assert_eq!(res.failed_count, 0, "{:?}", res.errors);
    n as f64 / secs
}

/// kcat -P of the same records from a file. Records per second.
fn kcat_produce(bootstrap: &str, topic: &str, n: usize, size: usize) -> f64 {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let line = vec![b'x'; size];
    let mut w = std::io::BufWriter::new(file.as_file_mut());
    for _ in 0..n {
        w.write_all(&line).unwrap();
        w.write_all(b"\n").unwrap();
    }
    drop(w);
    let t = Instant::now();
    let out = common::kcat()
        .unwrap()
        .args(["-b", bootstrap, "-P", "-t", topic, "-p", "0", "-l"])
        .arg(file.path())
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    n as f64 / secs
}

/// lkm: ConsumeStream of `n` records from the beginning. Records per second.
async fn lkm_consume(env: &Env, topic: &str, n: usize) -> f64 {
    let mut g = env.server.clusters().await;
    let t = Instant::now();
    let mut stream = g
        .consume_stream(ConsumeStreamRequest {
            cluster_id: "bench".into(),
            topic: topic.into(),
            start_from: StartFrom::Beginning as i32,
            max_records: n as i64,
            value_format: PayloadFormat::Binary as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut got = 0;
    while let Some(batch) = stream.next().await {
        got += batch.unwrap().records.len();
        if got >= n {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(got, n);
    n as f64 / secs
}

/// kcat -C of `n` records from the beginning (counted as they arrive). Records per second.
fn kcat_consume(bootstrap: &str, topic: &str, n: usize) -> f64 {
    let t = Instant::now();
    let got = support::count_lines(common::kcat().unwrap().args([
        "-b",
        bootstrap,
        "-C",
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-c",
        &n.to_string(),
        "-f",
        "%s\n",
    ]));
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(got, n);
    n as f64 / secs
}

fn row(what: &str, ours: f64, theirs: f64) {
    println!(
        "| {what} | {} rec/s | {} rec/s | {:.2} |",
        support::human_rate(ours),
        support::human_rate(theirs),
        ours / theirs
    );
}

#[tokio::main]
async fn main() {
    if common::kcat().is_none() {
        return;
    }
    let Some(env) = Env::with_test_broker(Db::Sqlite, |_| {}).await else {
        return;
    };
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(common::broker_cluster("bench", "memory"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let bootstrap = c.endpoints["kafka"].clone();
    let n = support::records();
    println!(
        "\n{n} records per run, one partition, {}; lkm's streaming RPCs against kcat, same broker, same run\n",
        support::broker_label()
    );
    println!("| | lkm | kcat | ratio |");
    println!("|---|---|---|---|");
    for size in [100, 1024] {
        let (ours, theirs) = (format!("lkm-{size}"), format!("kcat-{size}"));
        create_topic(&env, &ours).await;
        create_topic(&env, &theirs).await;
        let kp = kcat_produce(&bootstrap, &theirs, n, size);
        let lp = lkm_produce(&env, &ours, n, size).await;
        row(&format!("produce {}", label(size)), lp, kp);
        let kc = kcat_consume(&bootstrap, &ours, n);
        let lc = lkm_consume(&env, &ours, n).await;
        row(&format!("consume {}", label(size)), lc, kc);
    }
    env.finish().await;
}

fn label(size: usize) -> String {
    if size == 1024 {
        "1 KiB".into()
    } else {
        format!("{size} B")
    }
}
