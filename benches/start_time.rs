//! Time from StartCluster to RUNNING, for the Docker runtime (tansu image) and the process
//! runtime (tansu binary), each against a bare peer measured in the same run: `docker run` of
//! the same image plus a metadata poll, and spawning the same binary plus a metadata poll.
//!
//!   cargo bench --bench start_time            (needs Docker, lkm/tansu:latest and tansu)
//!
//! Prints a table of medians and the ratio lkm / peer; a ratio near 1 means lkm adds little.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::time::{Duration, Instant};

use common::{Db, Env, docker, docker_cleanup, unique_name};
use lkm::config::RuntimeKind;
use lkm::pb::*;

const RUNS: usize = 5;
const IMAGE: &str = "lkm/tansu:latest";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_metadata(addr: &str) {
    lkm::kafka::wait_ready(&[addr.to_string()], 1, Duration::from_secs(60))
        .await
        .unwrap();
}

/// lkm: create (not started) then time StartCluster until it returns RUNNING.
async fn lkm_start(runtime: RuntimeKind) -> Vec<Duration> {
    let env = Env::start_with(Db::Sqlite, |c| c.runtime = runtime)
        .await
        .unwrap();
    let mut g = env.server.clusters().await;
    let prefix = unique_name("bench");
    let mut times = vec![];
    for i in 0..RUNS {
        let name = format!("{prefix}-{i}");
        g.create_cluster(CreateClusterRequest {
            name: name.clone(),
            template_id: "tansu-dev".into(),
            auto_start: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
        let t = Instant::now();
        let c = g
            .start_cluster(StartClusterRequest {
                cluster_id: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .cluster
            .unwrap();
        times.push(t.elapsed());
        assert_eq!(c.status(), ClusterStatus::Running);
        g.delete_cluster(DeleteClusterRequest {
            cluster_id: name,
            force: true,
            keep_data: false,
        })
        .await
        .unwrap();
    }
    docker_cleanup(&prefix);
    env.finish().await;
    times
}

/// Peer: `docker run` of the same image, then poll metadata.
async fn docker_run_peer() -> Vec<Duration> {
    let mut times = vec![];
    for _ in 0..RUNS {
        let port = free_port();
        let name = unique_name("benchpeer");
        let t = Instant::now();
        let (ok, out) = docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "-p",
            &format!("127.0.0.1:{port}:9092"),
            IMAGE,
            "broker",
            "--listener-url",
            "tcp://0.0.0.0:9092",
            "--advertised-listener-url",
            &format!("tcp://127.0.0.1:{port}"),
            "--storage-engine",
            "sqlite://tansu.db",
        ]);
        assert!(ok, "{out}");
        wait_metadata(&format!("127.0.0.1:{port}")).await;
        times.push(t.elapsed());
        docker(&["rm", "-f", &name]);
    }
    times
}

/// Peer: spawn the tansu binary, then poll metadata.
async fn process_peer() -> Vec<Duration> {
    let mut times = vec![];
    for _ in 0..RUNS {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let mut child = tokio::process::Command::new("tansu")
            .args([
                "broker",
                "--listener-url",
                &format!("tcp://127.0.0.1:{port}"),
                "--advertised-listener-url",
                &format!("tcp://127.0.0.1:{port}"),
                "--storage-engine",
                "sqlite://tansu.db",
            ])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_metadata(&format!("127.0.0.1:{port}")).await;
        times.push(t.elapsed());
        let _ = child.kill().await;
    }
    times
}

fn row(what: &str, lkm: &[Duration], peer: &[Duration], peer_name: &str) {
    let (l, p) = (median(lkm.to_vec()), median(peer.to_vec()));
    println!(
        "{what:<22} lkm {:>8.0} ms   {peer_name:<28} {:>8.0} ms   ratio {:.2}",
        l.as_secs_f64() * 1000.0,
        p.as_secs_f64() * 1000.0,
        l.as_secs_f64() / p.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let docker_ok = common::docker_available() && common::docker_has_image(IMAGE);
    println!("StartCluster → RUNNING, median of {RUNS} runs");
    if docker_ok {
        let peer = docker_run_peer().await;
        let ours = lkm_start(RuntimeKind::Docker).await;
        row("docker runtime", &ours, &peer, "docker run + metadata poll");
    } else {
        println!("docker runtime: skipped (no Docker engine or no {IMAGE})");
    }
    let peer = process_peer().await;
    let ours = lkm_start(RuntimeKind::Process).await;
    row(
        "process runtime",
        &ours,
        &peer,
        "tansu spawn + metadata poll",
    );
}
