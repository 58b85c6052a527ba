//! 200 WatchClusters streams open at once against one server: every stream gets its snapshot,
//! and then a change, within a bound; the test process (server and clients) does not grow a
//! thread per stream, and its memory stays bounded. Prints what it measured.

mod common;

use std::time::{Duration, Instant};

use common::{Db, Env, with_token as authed};
use futures::StreamExt;
use lkm::pb::*;

const STREAMS: usize = 200;
/// Connections the streams share (HTTP/2 multiplexes them; more than one, as 200 clients
/// would not share one).
const CONNECTIONS: usize = 50;
/// How long every stream may take to see a change.
const BOUND: Duration = Duration::from_secs(5);

/// (resident memory in KiB, threads) of this process.
fn process_stats() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("Threads:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_cluster_watchers_all_see_a_change() {
    // With authentication on, as a shared server runs: each stream is a caller with a token.
    let env = Env::start_with(Db::Sqlite, |c| c.auth = true)
        .await
        .unwrap();
    let token = common::admin_token(&env.server.config);
    let mut g = env.server.clusters().await;
    g.create_cluster(authed(
        &token,
        CreateClusterRequest {
            name: "watched".into(),
            template_id: "testing".into(),
            auto_start: Some(false),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let mut channels = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        channels.push(env.server.channel().await);
    }
    let (rss_before, threads_before) = process_stats();

    // Open every stream and read it up to its SYNCED marker.
    let opened = Instant::now();
    let streams: Vec<_> = futures::stream::iter(0..STREAMS)
        .map(|i| {
            let channel = channels[i % CONNECTIONS].clone();
            let token = token.clone();
            async move {
                let mut client =
                    lkm::pb::cluster_service_client::ClusterServiceClient::new(channel);
                let mut stream = client
                    .watch_clusters(authed(&token, WatchClustersRequest::default()))
                    .await
                    .unwrap()
                    .into_inner();
                let synced = tokio::time::timeout(BOUND, async {
                    let mut snapshot = 0;
                    while let Some(event) = stream.message().await.unwrap() {
                        match event.r#type() {
                            ClusterEventType::Snapshot => snapshot += 1,
                            ClusterEventType::Synced => return snapshot,
                            other => panic!("before SYNCED: {other:?}"),
                        }
                    }
                    panic!("the stream ended before SYNCED");
                })
                .await
                .expect("the snapshot arrives in time");
                assert_eq!(synced, 1, "the snapshot holds the one cluster");
                stream
            }
        })
        .buffer_unordered(STREAMS)
        .collect()
        .await;
    let open_took = opened.elapsed();
    let (rss_open, threads_open) = process_stats();

    // One change; every stream sees it.
    let changed = Instant::now();
    g.update_cluster(authed(
        &token,
        UpdateClusterRequest {
            cluster_id: "watched".into(),
            cluster: Some(Cluster {
                description: "seen by all".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into()],
            }),
        },
    ))
    .await
    .unwrap();
    let mut latencies: Vec<Duration> =
        futures::future::join_all(streams.into_iter().map(|mut stream| async move {
            let seen = tokio::time::timeout(BOUND, async {
                while let Some(event) = stream.message().await.unwrap() {
                    if event.r#type() == ClusterEventType::Changed
                        && event
                            .cluster
                            .is_some_and(|c| c.description == "seen by all")
                    {
                        return changed.elapsed();
                    }
                }
                panic!("the stream ended before the change");
            })
            .await
            .expect("every stream sees the change within the bound");
            (seen, stream)
        }))
        .await
        .into_iter()
        .map(|(latency, stream)| {
            drop(stream);
            latency
        })
        .collect();
    latencies.sort();
    let (rss_seen, threads_seen) = process_stats();
    let p50 = latencies[latencies.len() / 2];
    let max = latencies[latencies.len() - 1];
    eprintln!(
        "{STREAMS} WatchClusters streams over {CONNECTIONS} connections: opened and synced in {open_took:?}; \
         a change reached all in {max:?} (median {p50:?}); test process RSS {} → {} → {} MiB, threads {threads_before} → {threads_open} → {threads_seen}",
        rss_before / 1024,
        rss_open / 1024,
        rss_seen / 1024,
    );
    assert!(max < BOUND, "{max:?}");
    // A stream is a task, not a thread; and it holds little memory.
    assert!(
        threads_open <= threads_before + 8,
        "threads {threads_before} → {threads_open}"
    );
    assert!(
        rss_open.saturating_sub(rss_before) < 64 * 1024,
        "RSS grew by {} KiB for {STREAMS} streams",
        rss_open - rss_before
    );

    // With the streams closed, changes still go through (nothing waits for a gone watcher).
    g.update_cluster(authed(
        &token,
        UpdateClusterRequest {
            cluster_id: "watched".into(),
            cluster: Some(Cluster {
                description: "after".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into()],
            }),
        },
    ))
    .await
    .unwrap();
    env.finish().await;
}
