//! What authentication and authorization cost per call: the same calls against two lkm
//! servers started in the same run, one with auth off (the peer) and one with auth on, as the
//! admin and as a viewer whose grant selects half of the clusters (so every listing is
//! filtered). Rounds alternate between the servers so that machine noise hits both alike.
//!
//!   cargo bench --bench auth
//!
//! Prints calls per second (median of the rounds) and the ratio to the auth-off peer; a
//! ratio near 1 means the access layer adds little.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::time::{Duration, Instant};

use common::{Db, Env, admin_token, with_token};
use lkm::pb::access_service_client::AccessServiceClient;
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::*;
use tonic::transport::Channel;

const CLUSTERS: usize = 20;
const CALLS: usize = 1000;
const ROUNDS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn populate(env: &Env, token: &str) {
    let mut g = env.server.clusters().await;
    for i in 0..CLUSTERS {
        g.create_cluster(with_token(
            token,
            CreateClusterRequest {
                name: format!("bench-{i}"),
                environment: if i % 2 == 0 { "dev" } else { "prod" }.into(),
                auto_start: Some(false),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    }
}

/// A viewer of the "dev" clusters, and its token.
async fn viewer(env: &Env, admin: &str) -> String {
    let mut a = AccessServiceClient::new(env.server.channel().await);
    a.grant_access(with_token(
        admin,
        GrantAccessRequest {
            principal: "viewer".into(),
            grant: Some(Grant {
                role: "viewer".into(),
                clusters: Some(ClusterSelector {
                    environment: "dev".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    a.create_token(with_token(
        admin,
        CreateTokenRequest {
            principal: "viewer".into(),
            name: "bench".into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .secret
}

/// Calls per second of `CALLS` sequential GetCluster + ListClusters pairs over gRPC.
async fn grpc_rate(channel: &Channel, token: &str) -> f64 {
    let mut g = ClusterServiceClient::new(channel.clone());
    let t = Instant::now();
    for i in 0..CALLS / 2 {
        g.get_cluster(with_token(
            token,
            GetClusterRequest {
                cluster_id: format!("bench-{}", (i * 2) % CLUSTERS),
            },
        ))
        .await
        .unwrap();
        g.list_clusters(with_token(token, ListClustersRequest::default()))
            .await
            .unwrap();
    }
    CALLS as f64 / t.elapsed().as_secs_f64()
}

/// Calls per second of `CALLS` sequential REST GETs of one cluster.
async fn rest_rate(http: &reqwest::Client, env: &Env, token: &str) -> f64 {
    let t = Instant::now();
    for i in 0..CALLS {
        let mut req = http.get(
            env.server
                .rest(&format!("/clusters/bench-{}", (i * 2) % CLUSTERS)),
        );
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        assert!(res.status().is_success());
        res.bytes().await.unwrap();
    }
    CALLS as f64 / t.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let off = Env::start(Db::Sqlite).await.unwrap();
    let on = Env::start_with(Db::Sqlite, |c| c.auth = true)
        .await
        .unwrap();
    let admin = admin_token(&on.server.config);
    populate(&off, "").await;
    populate(&on, &admin).await;
    let view = viewer(&on, &admin).await;
    let (c_off, c_on) = (off.server.channel().await, on.server.channel().await);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    // Warm-up: connections, statement caches.
    grpc_rate(&c_off, "").await;
    grpc_rate(&c_on, &admin).await;

    let mut rows: Vec<(&str, Vec<f64>)> = vec![
        ("gRPC, auth off (peer)", vec![]),
        ("gRPC, admin token", vec![]),
        ("gRPC, viewer token (filtered)", vec![]),
        ("REST, auth off (peer)", vec![]),
        ("REST, admin token", vec![]),
        ("REST, viewer token", vec![]),
    ];
    for _ in 0..ROUNDS {
        rows[0].1.push(grpc_rate(&c_off, "").await);
        rows[1].1.push(grpc_rate(&c_on, &admin).await);
        rows[2].1.push(grpc_rate(&c_on, &view).await);
        rows[3].1.push(rest_rate(&http, &off, "").await);
        rows[4].1.push(rest_rate(&http, &on, &admin).await);
        rows[5].1.push(rest_rate(&http, &on, &view).await);
    }
    println!(
        "\n{CALLS} sequential calls × {ROUNDS} rounds, {CLUSTERS} clusters (gRPC: GetCluster + ListClusters; REST: GET /clusters/{{id}})\n"
    );
    println!("| | calls/s (median) | vs auth off |");
    println!("|---|---|---|");
    let mut peer = 0.0;
    for (i, (name, rates)) in rows.into_iter().enumerate() {
        let m = median(rates);
        if i % 3 == 0 {
            peer = m;
        }
        println!("| {name} | {m:.0} | {:.2} |", m / peer);
    }
    off.finish().await;
    on.finish().await;
}
