//! `lkm serve` killed with SIGKILL while it starts a cluster (process runtime, real Apache
//! Kafka), then started again on the same data directory: what actually runs decides the
//! cluster's state, once. Killed after the broker was launched, the broker keeps booting and
//! the cluster settles to RUNNING with the same broker answering; killed before, it settles
//! to STOPPED with nothing left running, and starts normally afterwards. Never ERROR.

mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::*;
use tonic::transport::Channel;

/// An `lkm serve` child process on a port of its own choosing; SIGKILLed when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    /// Starts `lkm serve` on `data_dir` and waits until it says where it listens.
    fn start(data_dir: &Path, ports: &str, kafka_home: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lkm"))
            .args(["serve", "--listen", "127.0.0.1:0", "--runtime", "process"])
            .args(["--no-auth", "--log-format", "json", "--port-range", ports])
            .arg("--data-dir")
            .arg(data_dir)
            .env("LKM_KAFKA_HOME", kafka_home)
            .env("LKM_KAFKA_JVM_OPTIONS", common::TEST_JVM_OPTIONS)
            .env("LKM_LOG", "info")
            // No configuration of the machine leaks in.
            .env("XDG_CONFIG_HOME", data_dir.join("no-config"))
            .env_remove("LKM_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lkm serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log: the listening address, then everything (kept from blocking lkm).
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(t) = &tx
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(addr) = v["fields"]["addr"].as_str()
                    && v["fields"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("serving"))
                {
                    let _ = t.send(addr.to_string());
                    tx = None;
                }
                if line.contains("\"ERROR\"") || line.contains("\"WARN\"") {
                    eprintln!("lkm: {line}");
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("lkm serve says where it listens");
        Serve {
            child,
            url: format!("http://{addr}"),
        }
    }

    async fn clusters(&self) -> ClusterServiceClient<Channel> {
        ClusterServiceClient::new(
            Channel::from_shared(self.url.clone())
                .unwrap()
                .connect()
                .await
                .unwrap(),
        )
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn get(g: &mut ClusterServiceClient<Channel>, id: &str) -> Cluster {
    g.get_cluster(GetClusterRequest {
        cluster_id: id.into(),
    })
    .await
    .unwrap()
    .into_inner()
    .cluster
    .unwrap()
}

fn pid_file(c: &Cluster) -> PathBuf {
    Path::new(&c.data_directory)
        .join("broker-1")
        .join("broker.pid")
}

fn read_pid(c: &Cluster) -> Option<i32> {
    std::fs::read_to_string(pid_file(c))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Processes whose working directory is under `dir`.
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

/// Starts `c` in the background (the call dies with the server) and polls, without sleeping
/// for a guess, until `moment` says the start has got where the test wants to kill lkm.
async fn start_until(
    g: &ClusterServiceClient<Channel>,
    c: &Cluster,
    moment: impl Fn(&Cluster) -> bool,
) -> tokio::task::JoinHandle<()> {
    let mut starter = g.clone();
    let id = c.id.clone();
    let call = tokio::spawn(async move {
        let _ = starter
            .start_cluster(StartClusterRequest {
                cluster_id: id,
                ..Default::default()
            })
            .await;
    });
    let reached = common::eventually(Duration::from_secs(60), || {
        let mut g = g.clone();
        let id = c.id.clone();
        let moment = &moment;
        async move {
            let now = get(&mut g, &id).await;
            moment(&now).then_some(())
        }
    })
    .await;
    assert!(
        reached.is_some(),
        "the start reached the moment to kill lkm"
    );
    call
}

/// Polls until the cluster leaves STARTING/STOPPING, asserting it never shows ERROR.
async fn settled(g: &ClusterServiceClient<Channel>, id: &str) -> Cluster {
    let found = common::eventually(Duration::from_secs(150), || {
        let mut g = g.clone();
        let id = id.to_string();
        async move {
            let c = get(&mut g, &id).await;
            assert_ne!(
                c.status(),
                ClusterStatus::Error,
                "the cluster shows ERROR: {}",
                c.status_message
            );
            (!matches!(
                c.status(),
                ClusterStatus::Starting | ClusterStatus::Stopping
            ))
            .then_some(c)
        }
    })
    .await;
    found.expect("the cluster settles")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_interrupted_by_sigkill_settles_by_what_runs() {
    if common::test_broker() != common::TestBroker::Kafka {
        eprintln!("skipped: this test runs real Apache Kafka brokers");
        return;
    }
    let Some(kafka_home) = common::kafka_home() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let _brokers = common::BrokerGuard(data_dir.clone());
    let range = common::fresh_port_range(50);
    let ports = format!("{}-{}", range.start, range.end);
    let define = |name: &str| {
        let mut req = common::broker_cluster(&common::unique_name(name), "");
        req.auto_start = Some(false);
        req
    };

    let mut serve = Serve::start(&data_dir, &ports, &kafka_home);
    let mut g = serve.clusters().await;
    let early = g
        .create_cluster(define("early"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let late = g
        .create_cluster(define("late"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();

    // 1. Killed before the broker was launched (STARTING, no pid file yet).
    let call = start_until(&g, &early, |c| {
        c.status() == ClusterStatus::Starting && !pid_file(c).exists()
    })
    .await;
    serve.kill();
    let _ = call.await;
    let mut serve = Serve::start(&data_dir, &ports, &kafka_home);
    let mut g = serve.clusters().await;
    let c = settled(&g, &early.id).await;
    eprintln!(
        "killed before the broker was launched: {:?}, {}",
        c.status(),
        c.status_message
    );
    assert_eq!(c.status(), ClusterStatus::Stopped, "{}", c.status_message);
    // Nothing of it runs (a storage format that was under way ends by itself).
    let left = common::eventually(Duration::from_secs(60), || async {
        processes_under(Path::new(&early.data_directory))
            .is_empty()
            .then_some(())
    })
    .await;
    assert!(left.is_some(), "a process of the cluster is left running");

    // 2. Killed after the broker was launched (its pid file written), while it boots.
    let call = start_until(&g, &late, |c| pid_file(c).exists()).await;
    let broker = read_pid(&late).expect("the broker's pid");
    serve.kill();
    let _ = call.await;
    let serve_again = Serve::start(&data_dir, &ports, &kafka_home);
    drop(std::mem::replace(&mut serve, serve_again));
    g = serve.clusters().await;
    let c = settled(&g, &late.id).await;
    eprintln!(
        "killed after the broker was launched: {:?}, {}",
        c.status(),
        c.status_message
    );
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    // The same broker, adopted, answers on the cluster's port.
    assert_eq!(
        read_pid(&late),
        Some(broker),
        "the broker was not restarted"
    );
    let bootstrap = c.endpoints["kafka"].clone();
    let view = lkm::kafka::metadata(&bootstrap, Duration::from_secs(10))
        .await
        .expect("the broker answers");
    assert_eq!(view.broker_ids.len(), 1);
    // Settled once: the live status agrees, and the early cluster stayed STOPPED.
    let live = g
        .get_cluster_status(GetClusterStatusRequest {
            cluster_id: late.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        live.status(),
        ClusterStatus::Running,
        "{}",
        live.status_message
    );
    assert_eq!(
        get(&mut g, &early.id).await.status(),
        ClusterStatus::Stopped
    );

    // The cleaned-up cluster starts normally.
    let started = g
        .start_cluster(StartClusterRequest {
            cluster_id: early.id.clone(),
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

    for c in [&early, &late] {
        g.delete_cluster(DeleteClusterRequest {
            cluster_id: c.id.clone(),
            force: true,
            keep_data: false,
        })
        .await
        .unwrap();
    }
    drop(serve);
}
