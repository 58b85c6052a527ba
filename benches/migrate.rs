//! Migration throughput: lkm's MigrateData between two local clusters against a
//! `kcat -C | kcat -P` pipe and against the copy ceiling (consume-only and produce-only rates
//! of kcat), all measured in the same run on the same brokers.
//!
//!   cargo bench --bench migrate      (needs tansu and kcat; LKM_BENCH_RECORDS, default 200000)
//!
//! tansu's memory engine on both sides (its SQLite engine slows down as a partition grows).
//! The memory engine reports a wrong high watermark when several records share a batch, so
//! the source is loaded one record per batch (`batch.num.messages=1`), which keeps its
//! watermarks exact; loading is not timed.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{Db, Env};
use lkm::config::RuntimeKind;
use lkm::pb::*;

fn records() -> usize {
    std::env::var("LKM_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

async fn cluster(env: &Env, name: &str) -> Cluster {
    env.server
        .clusters()
        .await
        .create_cluster(CreateClusterRequest {
            name: name.into(),
            template_id: "tansu-dev".into(),
            kafka_config: Some(KafkaConfig {
                storage_engine: Some("memory".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap()
}

async fn topic(env: &Env, cluster: &str, name: &str) {
    env.server
        .clusters()
        .await
        .create_topic(CreateTopicRequest {
            cluster_id: cluster.into(),
            name: name.into(),
            partitions: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
}

fn kcat(args: &[&str]) -> std::process::Command {
    let mut c = common::kcat().unwrap();
    c.args(args);
    c
}

/// A file of `n` lines "key-i<TAB>value" with values of `size` bytes.
fn input(n: usize, size: usize) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let value = "x".repeat(size);
    let mut w = std::io::BufWriter::new(f.as_file_mut());
    for i in 0..n {
        writeln!(w, "key-{i}\t{value}").unwrap();
    }
    drop(w);
    f
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let Some(tansu) = common::tansu_binary() else {
        return;
    };
    if common::kcat().is_none() {
        return;
    }
    let n = records();
    let env = Env::start_with(Db::Sqlite, |c| {
        c.runtime = RuntimeKind::Process;
        c.tansu_binary = tansu.display().to_string();
    })
    .await
    .unwrap();
    let src = cluster(&env, "src").await;
    let dst = cluster(&env, "dst").await;
    let (s, d) = (
        src.endpoints["kafka"].clone(),
        dst.endpoints["kafka"].clone(),
    );
    println!("{n} records per size; tansu memory engine; one partition; 2 cores");
    println!(
        "{:<7} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "size", "lkm rec/s", "pipe rec/s", "consume", "produce", "vs pipe", "vs ceil."
    );
    for size in [100usize, 1024] {
        let t = format!("bench-{size}");
        topic(&env, "src", &t).await;
        let file = input(n, size);
        let out = kcat(&[
            "-b",
            &s,
            "-P",
            "-t",
            &t,
            "-p",
            "0",
            "-K",
            "\t",
            "-X",
            "batch.num.messages=1",
            "-l",
        ])
        .arg(file.path())
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // Ceiling: consume-only and produce-only (kcat), same records, same brokers.
        let started = Instant::now();
        let out = kcat(&[
            "-b",
            &s,
            "-C",
            "-t",
            &t,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%k\t%s\n",
        ])
        .output()
        .unwrap();
        let consume = rate(n, started.elapsed());
        assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), n);
        let ceiling_topic = format!("ceiling-{size}");
        topic(&env, "dst", &ceiling_topic).await;
        let started = Instant::now();
        let out = kcat(&[
            "-b",
            &d,
            "-P",
            "-t",
            &ceiling_topic,
            "-p",
            "0",
            "-K",
            "\t",
            "-l",
        ])
        .arg(file.path())
        .output()
        .unwrap();
        assert!(out.status.success());
        let produce = rate(n, started.elapsed());

        // Peer: kcat -C | kcat -P.
        let pipe_topic = format!("pipe-{size}");
        topic(&env, "dst", &pipe_topic).await;
        let started = Instant::now();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "kcat -b {s} -C -t {t} -o beginning -e -q -f '%k\\t%s\\n' | kcat -b {d} -P -t {pipe_topic} -p 0 -K '\\t'"
            ))
            .env(
                "LD_LIBRARY_PATH",
                std::env::var("LKM_TEST_KCAT_LIBDIR").unwrap_or_default(),
            )
            .status()
            .unwrap();
        assert!(status.success());
        let pipe = rate(n, started.elapsed());

        // lkm: MigrateData to SUCCEEDED (copy, then a full read-back to verify).
        let mut ops = env.server.operations().await;
        let started = Instant::now();
        let op = ops
            .migrate_data(MigrateDataRequest {
                source_cluster_id: "src".into(),
                target_cluster_id: "dst".into(),
                topics: vec![t.clone()],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .operation
            .unwrap();
        let mut stream = ops
            .watch_operation(WatchOperationRequest {
                operation_id: op.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut copied_at = None;
        let mut last = None;
        while let Some(e) = stream.message().await.unwrap() {
            let o = e.operation.unwrap();
            let p = o.progress.clone().unwrap_or_default();
            if copied_at.is_none() && p.messages_total > 0 && p.messages_copied >= p.messages_total
            {
                copied_at = Some(started.elapsed());
            }
            let done = e.r#final;
            last = Some(o);
            if done {
                break;
            }
        }
        let total = started.elapsed();
        let last = last.unwrap();
        assert_eq!(
            last.status(),
            OperationStatus::Succeeded,
            "{}",
            last.error_message
        );
        let copy = rate(n, copied_at.unwrap_or(total));
        println!(
            "{:<7} {:>12.0} {:>12.0} {:>12.0} {:>12.0} {:>10.2} {:>10.2}",
            format!("{size} B"),
            copy,
            pipe,
            consume,
            produce,
            copy / pipe,
            copy / consume.min(produce)
        );
        println!(
            "        (with verification, the whole operation: {:.0} rec/s)",
            rate(n, total)
        );
    }
    env.finish().await;
}
