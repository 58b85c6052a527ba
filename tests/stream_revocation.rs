//! Open streams end when their caller's access goes mid-stream: the token revoked, the token's
//! TTL running out, or the grant revoked. For every server stream (WatchClusters,
//! WatchOperation, ConsumeStream), over gRPC and as Server-Sent Events, while messages keep
//! coming: nothing arrives later than the re-check bound after the access went, and the
//! stream ends with UNAUTHENTICATED (token) or PERMISSION_DENIED (grant). A caller that keeps
//! its access keeps its stream. The client stream (ProduceStream) likewise: nothing sent
//! after the bound reaches the topic.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use common::{Db, Env, admin_token, with_token as authed};
use futures::{Stream, StreamExt};
use lkm::api::stream_guard::RECHECK;
use lkm::pb::access_service_client::AccessServiceClient;
use lkm::pb::cluster_service_client::ClusterServiceClient;
use lkm::pb::operation_service_client::OperationServiceClient;
use lkm::pb::*;
use serde_json::Value;
use tokio::time::Instant;
use tonic::{Code, Status};

/// Beyond the bound, for a loaded machine (2 cores shared with brokers).
const SLACK: Duration = Duration::from_millis(1500);
/// How much later than the server sent it a message may arrive here.
const IN_FLIGHT: Duration = Duration::from_millis(250);
/// How long a stream may take to deliver its first message.
const WAIT: Duration = Duration::from_secs(30);
/// The TTL of the tokens that expire mid-stream.
const TTL: Duration = Duration::from_secs(6);

/// A stream's messages as seen by the test: Ok per message, the error it ended with.
type Messages = Pin<Box<dyn Stream<Item = Result<(), Status>> + Send>>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Withdrawal {
    RevokeToken,
    Expire,
    RevokeGrant,
    /// Nothing: the control, whose stream must go on.
    None,
}

const WITHDRAWALS: [Withdrawal; 4] = [
    Withdrawal::RevokeToken,
    Withdrawal::Expire,
    Withdrawal::RevokeGrant,
    Withdrawal::None,
];

#[derive(Clone, Copy, Debug)]
enum Transport {
    Grpc,
    Sse,
}

/// A principal with one grant and one token (expiring, for `Expire`).
struct Caller {
    name: String,
    secret: String,
    token_id: String,
    grant_id: String,
    expires_at: Option<SystemTime>,
}

async fn caller(env: &Env, admin: &str, name: &str, grant: Grant, w: Withdrawal) -> Caller {
    let mut access = AccessServiceClient::new(env.server.channel().await);
    let grant_id = access
        .grant_access(authed(
            admin,
            GrantAccessRequest {
                principal: name.into(),
                grant: Some(grant),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .grant
        .unwrap()
        .id;
    let ttl = (w == Withdrawal::Expire).then(|| prost_types::Duration {
        seconds: TTL.as_secs() as i64,
        nanos: 0,
    });
    let created = access
        .create_token(authed(
            admin,
            CreateTokenRequest {
                principal: name.into(),
                name: "stream".into(),
                ttl,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let token = created.token.unwrap();
    Caller {
        name: name.into(),
        secret: created.secret,
        token_id: token.id,
        grant_id,
        expires_at: token.expires_at.map(|t| t.try_into().unwrap()),
    }
}

/// Server-Sent Events as messages: a `message` event is one, an `error` event the status the
/// stream ended with.
fn sse(res: reqwest::Response) -> Messages {
    assert_eq!(res.status(), 200);
    let state = (res.bytes_stream().boxed(), String::new(), false);
    futures::stream::unfold(state, |(mut body, mut buf, done)| async move {
        if done {
            return None;
        }
        loop {
            if let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let mut name = "message".to_string();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                if name == "error" {
                    let v: Value = serde_json::from_str(&data).unwrap();
                    let code = Code::from(v["code"].as_i64().unwrap_or(2) as i32);
                    let status = Status::new(code, v["message"].as_str().unwrap_or_default());
                    return Some((Err(status), (body, buf, true)));
                }
                return Some((Ok(()), (body, buf, false)));
            }
            match body.next().await {
                Some(Ok(chunk)) => buf.push_str(&String::from_utf8_lossy(&chunk)),
                Some(Err(e)) => {
                    let status = Status::unknown(format!("SSE body: {e}"));
                    return Some((Err(status), (body, buf, true)));
                }
                None => return None,
            }
        }
    })
    .boxed()
}

fn grpc<T: Send + 'static>(s: tonic::Streaming<T>) -> Messages {
    s.map(|m| m.map(drop)).boxed()
}

async fn rest_stream(env: &Env, secret: &str, path: &str) -> Messages {
    let res = reqwest::Client::new()
        .get(env.server.rest(path))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    sse(res)
}

/// Takes `c`'s access away; when it went.
async fn withdraw(env: &Env, admin: &str, c: &Caller, w: Withdrawal) -> Instant {
    let mut access = AccessServiceClient::new(env.server.channel().await);
    match w {
        Withdrawal::None => unreachable!("the control keeps its access"),
        Withdrawal::RevokeToken => {
            let revoke = RevokeTokenRequest {
                token_id: c.token_id.clone(),
            };
            access.revoke_token(authed(admin, revoke)).await.unwrap();
            Instant::now()
        }
        Withdrawal::RevokeGrant => {
            let revoke = RevokeAccessRequest {
                principal: c.name.clone(),
                grant_id: c.grant_id.clone(),
            };
            access.revoke_access(authed(admin, revoke)).await.unwrap();
            Instant::now()
        }
        Withdrawal::Expire => {
            let left = c
                .expires_at
                .unwrap()
                .duration_since(SystemTime::now())
                .unwrap_or_else(|_| panic!("{}: the token expired too early", c.name));
            Instant::now() + left
        }
    }
}

fn expected_code(w: Withdrawal) -> Code {
    match w {
        Withdrawal::RevokeGrant => Code::PermissionDenied,
        _ => Code::Unauthenticated,
    }
}

/// How one stream ended.
struct Outcome {
    label: String,
    /// From the access going to the stream's end.
    took: Duration,
}

/// Opens a stream as a new caller, takes its access away as `w` says once it flows, and
/// checks how it ends. The control (`Withdrawal::None`) is returned still open.
async fn run_case<F, Fut>(
    env: &Env,
    admin: &str,
    label: String,
    grant: Grant,
    w: Withdrawal,
    open: F,
) -> Result<Outcome, Messages>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Messages>,
{
    let name = label.to_ascii_lowercase().replace([' ', '/'], "-");
    let c = caller(env, admin, &name, grant, w).await;
    let mut s = open(c.secret.clone()).await;
    tokio::time::timeout(WAIT, s.next())
        .await
        .unwrap_or_else(|_| panic!("{label}: no first message"))
        .unwrap_or_else(|| panic!("{label}: ended before its first message"))
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    if w == Withdrawal::None {
        return Err(s);
    }
    let withdrawn = withdraw(env, admin, &c, w).await;
    let expected = expected_code(w);
    // Messages may come until the access goes (and, at most, the bound after); then the end.
    let mut last_message = None;
    let status = loop {
        match tokio::time::timeout_at(withdrawn + WAIT, s.next()).await {
            Err(_) => panic!("{label}: still streaming {WAIT:?} after its access went"),
            Ok(Some(Ok(()))) => last_message = Some(Instant::now()),
            Ok(Some(Err(status))) => break status,
            Ok(None) => panic!("{label}: ended without a status"),
        }
    };
    let took = Instant::now().saturating_duration_since(withdrawn);
    assert_eq!(status.code(), expected, "{label}: {}", status.message());
    if let Some(t) = last_message {
        assert!(
            t <= withdrawn + RECHECK + IN_FLIGHT,
            "{label}: a message {:?} after the access went",
            t - withdrawn
        );
    }
    assert!(
        took <= RECHECK + SLACK,
        "{label}: ended {took:?} after the access went"
    );
    Ok(Outcome { label, took })
}

/// Runs every withdrawal over both transports at once; returns the controls' streams.
async fn every_case<F, Fut>(
    env: &Env,
    admin: &str,
    kind: &str,
    grant: impl Fn() -> Grant,
    open: F,
) -> Vec<Messages>
where
    F: Fn(Transport, String) -> Fut + Copy,
    Fut: Future<Output = Messages>,
{
    let mut cases = Vec::new();
    for transport in [Transport::Grpc, Transport::Sse] {
        for w in WITHDRAWALS {
            let label = format!("{kind} {transport:?} {w:?}");
            cases.push(run_case(env, admin, label, grant(), w, move |secret| {
                open(transport, secret)
            }));
        }
    }
    let mut controls = Vec::new();
    for outcome in futures::future::join_all(cases).await {
        match outcome {
            Ok(o) => eprintln!(
                "measured: {} ended {:?} after its access went",
                o.label, o.took
            ),
            Err(open) => controls.push(open),
        }
    }
    controls
}

/// The controls still receive messages (after every other stream ended).
async fn still_flowing(controls: Vec<Messages>) {
    for mut s in controls {
        let next = tokio::time::timeout(WAIT, s.next()).await;
        assert!(
            matches!(next, Ok(Some(Ok(())))),
            "a caller that kept its access lost its stream"
        );
    }
}

fn viewer_of(cluster: &Cluster, role: &str) -> Grant {
    Grant {
        role: role.into(),
        clusters: Some(ClusterSelector {
            cluster_ids: vec![cluster.id.clone()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn auth_env() -> Env {
    Env::start_with(Db::Sqlite, |c| c.auth = true)
        .await
        .unwrap()
}

async fn defined_cluster(env: &Env, admin: &str, name: &str) -> Cluster {
    env.server
        .clusters()
        .await
        .create_cluster(authed(
            admin,
            CreateClusterRequest {
                name: name.into(),
                template_id: "testing".into(),
                auto_start: Some(false),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap()
}

/// Runs `tick` every 100 ms until the handle is aborted: messages keep coming.
fn every_100ms<Fut>(
    mut tick: impl FnMut(u64) -> Fut + Send + 'static,
) -> tokio::task::JoinHandle<()>
where
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        for n in 0.. {
            tick(n).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_watches_end_when_access_goes() {
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    let cluster = defined_cluster(&env, &admin, "watched").await;
    // A change every 100 ms: every watcher of the cluster gets an event each time.
    let changes = {
        let (clusters, admin, id) = (
            env.server.clusters().await,
            admin.clone(),
            cluster.id.clone(),
        );
        every_100ms(move |n| {
            let (mut clusters, admin, id) = (clusters.clone(), admin.clone(), id.clone());
            async move {
                let patch = UpdateClusterRequest {
                    cluster_id: id,
                    cluster: Some(Cluster {
                        description: format!("change {n}"),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["description".into()],
                    }),
                };
                // A failure shows as a watch without events.
                let _ = clusters.update_cluster(authed(&admin, patch)).await;
            }
        })
    };
    let channel = env.server.channel().await;
    let env_ref = &env;
    let controls = every_case(
        &env,
        &admin,
        "watch-clusters",
        || viewer_of(&cluster, "viewer"),
        |transport, secret| {
            let channel = channel.clone();
            async move {
                match transport {
                    Transport::Grpc => grpc(
                        ClusterServiceClient::new(channel)
                            .watch_clusters(authed(&secret, WatchClustersRequest::default()))
                            .await
                            .unwrap()
                            .into_inner(),
                    ),
                    Transport::Sse => rest_stream(env_ref, &secret, "/events/clusters").await,
                }
            }
        },
    )
    .await;
    still_flowing(controls).await;
    changes.abort();
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_watches_end_when_access_goes() {
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    let cluster = defined_cluster(&env, &admin, "migrated").await;
    // A running migration of the cluster, as one in progress is recorded; it sends its
    // current state to each watcher, then nothing until it ends.
    let registry = lkm::registry::Registry::connect(&env.server.config.registry_url())
        .await
        .unwrap();
    let op = Operation {
        id: uuid::Uuid::now_v7().to_string(),
        operation_type: OperationType::Migrate as i32,
        source_cluster_id: cluster.id.clone(),
        target_cluster_ids: vec![cluster.id.clone()],
        topics: vec!["orders".into()],
        status: OperationStatus::Running as i32,
        created_at: Some(lkm::core::time::now()),
        started_at: Some(lkm::core::time::now()),
        ..Default::default()
    };
    registry.insert_operation(&op).await.unwrap();
    registry.close().await;
    let channel = env.server.channel().await;
    let env_ref = &env;
    let op_id = op.id.clone();
    let op_id = &op_id;
    let controls = every_case(
        &env,
        &admin,
        "watch-operation",
        || viewer_of(&cluster, "viewer"),
        |transport, secret| {
            let channel = channel.clone();
            async move {
                match transport {
                    Transport::Grpc => grpc(
                        OperationServiceClient::new(channel)
                            .watch_operation(authed(
                                &secret,
                                WatchOperationRequest {
                                    operation_id: op_id.clone(),
                                },
                            ))
                            .await
                            .unwrap()
                            .into_inner(),
                    ),
                    Transport::Sse => {
                        let path = format!("/operations/{op_id}/events");
                        rest_stream(env_ref, &secret, &path).await
                    }
                }
            }
        },
    )
    .await;
    // The controls see the operation's end.
    OperationServiceClient::new(env.server.channel().await)
        .cancel_operation(authed(
            &admin,
            CancelOperationRequest {
                operation_id: op.id.clone(),
            },
        ))
        .await
        .unwrap();
    still_flowing(controls).await;
    env.finish().await;
}

fn text(value: String) -> Option<Payload> {
    Some(Payload {
        data: Some(payload::Data::Text(value)),
    })
}

/// The values on a topic, read from the beginning by the admin.
async fn values_on(env: &Env, admin: &str, cluster_id: &str, topic: &str) -> Vec<String> {
    let consume = ConsumeRequest {
        cluster_id: cluster_id.into(),
        topic: topic.into(),
        start_from: StartFrom::Beginning as i32,
        max_records: 10_000,
        max_wait: Some(prost_types::Duration {
            seconds: 2,
            nanos: 0,
        }),
        ..Default::default()
    };
    let res = env
        .server
        .clusters()
        .await
        .consume(authed(admin, consume))
        .await;
    res.map(|r| r.into_inner().records)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| match r.value?.data? {
            payload::Data::Text(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// A ProduceStream whose caller's access goes as `w` says while it sends a record every
/// 100 ms, each named by when it was sent (milliseconds after the access went): the call
/// ends with the right code within the bound, and no record sent after the bound was
/// produced.
async fn produce_case(env: &Env, admin: &str, cluster_id: &str, w: Withdrawal) -> Outcome {
    let label = format!("produce-stream Grpc {w:?}");
    let name = label.to_ascii_lowercase().replace(' ', "-");
    let grant = Grant {
        role: "editor".into(),
        clusters: Some(ClusterSelector {
            cluster_ids: vec![cluster_id.into()],
            ..Default::default()
        }),
        ..Default::default()
    };
    let c = caller(env, admin, &name, grant, w).await;
    let topic = name.clone();
    let create = CreateTopicRequest {
        cluster_id: cluster_id.into(),
        name: topic.clone(),
        partitions: Some(1),
        ..Default::default()
    };
    let mut clusters = env.server.clusters().await;
    clusters.create_topic(authed(admin, create)).await.unwrap();
    let message = |value: String| ProduceStreamRequest {
        cluster_id: cluster_id.into(),
        topic: topic.clone(),
        records: vec![ProducerRecord {
            value: text(value),
            ..Default::default()
        }],
    };
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tx.try_send(message("first".into())).unwrap();
    let secret = c.secret.clone();
    let mut call = tokio::spawn(async move {
        let requests = tokio_stream::wrappers::ReceiverStream::new(rx);
        clusters.produce_stream(authed(&secret, requests)).await
    });
    let flowing = common::eventually(WAIT, || async {
        (!values_on(env, admin, cluster_id, &topic).await.is_empty()).then_some(())
    });
    flowing
        .await
        .unwrap_or_else(|| panic!("{label}: the first record never landed"));
    let withdrawn = withdraw(env, admin, &c, w).await;
    let result = loop {
        tokio::select! {
            done = &mut call => break done.unwrap(),
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                let now = Instant::now();
                assert!(now < withdrawn + WAIT, "{label}: still producing {WAIT:?} after its access went");
                let after_ms = if now >= withdrawn {
                    (now - withdrawn).as_millis() as i64
                } else {
                    -((withdrawn - now).as_millis() as i64)
                };
                // Full or closed: the server stopped reading; the call's end tells why.
                let _ = tx.try_send(message(after_ms.to_string()));
            }
        }
    };
    let took = Instant::now().saturating_duration_since(withdrawn);
    let status = result.expect_err("the stream is refused");
    assert_eq!(
        status.code(),
        expected_code(w),
        "{label}: {}",
        status.message()
    );
    assert!(
        took <= RECHECK + SLACK,
        "{label}: ended {took:?} after the access went"
    );
    let latest = values_on(env, admin, cluster_id, &topic)
        .await
        .iter()
        .filter_map(|v| v.parse::<i64>().ok())
        .max()
        .unwrap_or(i64::MIN);
    assert!(
        latest <= RECHECK.as_millis() as i64,
        "{label}: a record sent {latest} ms after the access went was produced"
    );
    Outcome { label, took }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_streams_end_when_access_goes() {
    let Some(env) = Env::with_test_broker(Db::Sqlite, |c| c.auth = true).await else {
        return;
    };
    let admin = admin_token(&env.server.config);
    let mut clusters = env.server.clusters().await;
    let cluster = clusters
        .create_cluster(authed(&admin, common::broker_cluster("consumed", "sqlite")))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(
        cluster.status(),
        ClusterStatus::Running,
        "{}",
        cluster.status_message
    );
    clusters
        .create_topic(authed(
            &admin,
            CreateTopicRequest {
                cluster_id: cluster.id.clone(),
                name: "secrets".into(),
                partitions: Some(1),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    // A record every 100 ms: every consumer of the topic gets a batch each time.
    let records = {
        let (clusters, admin, id) = (clusters.clone(), admin.clone(), cluster.id.clone());
        every_100ms(move |n| {
            let (mut clusters, admin, id) = (clusters.clone(), admin.clone(), id.clone());
            async move {
                let produce = ProduceRequest {
                    cluster_id: id,
                    topic: "secrets".into(),
                    records: vec![ProducerRecord {
                        value: text(format!("secret {n}")),
                        ..Default::default()
                    }],
                };
                // A failure shows as a stream without messages.
                let _ = clusters.produce(authed(&admin, produce)).await;
            }
        })
    };
    let channel = env.server.channel().await;
    let env_ref = &env;
    let cluster_id = cluster.id.clone();
    let cluster_id = &cluster_id;
    let controls = every_case(
        &env,
        &admin,
        "consume",
        || viewer_of(&cluster, "operator"),
        |transport, secret| {
            let channel = channel.clone();
            async move {
                match transport {
                    Transport::Grpc => grpc(
                        ClusterServiceClient::new(channel)
                            .consume_stream(authed(
                                &secret,
                                ConsumeStreamRequest {
                                    cluster_id: cluster_id.clone(),
                                    topic: "secrets".into(),
                                    start_from: StartFrom::Beginning as i32,
                                    ..Default::default()
                                },
                            ))
                            .await
                            .unwrap()
                            .into_inner(),
                    ),
                    Transport::Sse => {
                        let path = format!(
                            "/clusters/{cluster_id}/consume/stream?topic=secrets&startFrom=BEGINNING"
                        );
                        rest_stream(env_ref, &secret, &path).await
                    }
                }
            }
        },
    )
    .await;
    still_flowing(controls).await;
    records.abort();
    let produced = [
        Withdrawal::RevokeToken,
        Withdrawal::Expire,
        Withdrawal::RevokeGrant,
    ]
    .map(|w| produce_case(&env, &admin, cluster_id, w));
    for o in futures::future::join_all(produced).await {
        eprintln!(
            "measured: {} ended {:?} after its access went",
            o.label, o.took
        );
    }
    env.finish().await;
}
