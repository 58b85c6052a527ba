//! Authentication, authorization and the audit log, with authentication on: tokens (none,
//! bad, expired, revoked), the admin token file, a matrix of principals × every RPC over gRPC
//! and REST (allowed calls pass the access check; denied ones fail with the right code and
//! change nothing), visibility in listings, and the audit log of changes and denials.

mod common;

use std::collections::BTreeMap;

use futures::StreamExt;
use std::time::Duration;

use common::{Db, Env, admin_token, code_reason};
use lkm::api::rest::bindings;
use lkm::pb::access_service_client::AccessServiceClient;
use lkm::pb::*;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};
use serde_json::{Value, json};
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;

async fn auth_env() -> Env {
    Env::start_with(Db::Sqlite, |c| c.auth = true)
        .await
        .unwrap()
}

use common::with_token as authed;

/// A gRPC codec for already-encoded messages, to call any method by name.
#[derive(Clone, Default)]
struct Raw;
struct RawEnc;
struct RawDec;

impl Encoder for RawEnc {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        let mut v = vec![0; src.remaining()];
        src.copy_to_slice(&mut v);
        Ok(Some(v))
    }
}

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEnc;
    type Decoder = RawDec;
    fn encoder(&mut self) -> RawEnc {
        RawEnc
    }
    fn decoder(&mut self) -> RawDec {
        RawDec
    }
}

fn pool() -> DescriptorPool {
    DescriptorPool::decode(lkm::proto::FILE_DESCRIPTOR_SET).unwrap()
}

/// Calls `method` with the request given as proto3 JSON; the gRPC status (Ok for success).
async fn grpc_call(channel: &Channel, token: &str, method: &str, request: &Value) -> tonic::Status {
    let pool = pool();
    let (service, name) = method.split_once('/').unwrap();
    let m = pool
        .get_service_by_name(service)
        .unwrap()
        .methods()
        .find(|m| m.name() == name)
        .unwrap();
    let msg = DynamicMessage::deserialize(m.input(), request).unwrap();
    let bytes = msg.encode_to_vec();
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let path: http::uri::PathAndQuery = format!("/{method}").parse().unwrap();
    let result = match (m.is_client_streaming(), m.is_server_streaming()) {
        (false, false) => grpc
            .unary(authed(token, bytes), path, Raw)
            .await
            .map(|_| ()),
        (false, true) => match grpc.server_streaming(authed(token, bytes), path, Raw).await {
            Ok(resp) => {
                let mut s = resp.into_inner();
                // The first message or the stream's error; don't wait for a whole stream.
                match tokio::time::timeout(Duration::from_millis(500), s.message()).await {
                    Ok(Err(e)) => Err(e),
                    _ => Ok(()),
                }
            }
            Err(e) => Err(e),
        },
        (true, _) => grpc
            .client_streaming(authed(token, futures::stream::iter([bytes])), path, Raw)
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => tonic::Status::ok(""),
        Err(s) => s,
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.push(c.to_ascii_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Calls `method` through its first REST binding; (HTTP status, ErrorInfo reason).
async fn rest_call(env: &Env, token: &str, method: &str, request: &Value) -> (u16, String) {
    let pool = pool();
    let all = bindings::from_descriptor(&pool, "lkm.v1").unwrap();
    let b = all
        .iter()
        .find(|b| format!("{}/{}", b.rpc.parent_service().full_name(), b.rpc.name()) == method)
        .unwrap();
    let mut fields = request.as_object().cloned().unwrap_or_default();
    let mut path = b.path.clone();
    for p in b.path_params() {
        let v = fields.remove(&camel(&p)).unwrap_or(json!(""));
        path = path.replace(&format!("{{{p}}}"), v.as_str().unwrap_or(""));
    }
    let http = reqwest::Client::new();
    let mut req = http.request(b.method.clone(), env.server.rest(&path));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    match b.body.as_deref() {
        Some("*") => {
            let body = Value::Object(fields).to_string();
            req = req.header("content-type", "application/json").body(body);
        }
        Some(field) => {
            let body = fields.remove(&camel(field)).unwrap_or(json!({}));
            let mask: Vec<(String, String)> = fields
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect();
            req = req
                .query(&mask)
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        None => {
            let mut query = Vec::new();
            for (k, v) in &fields {
                match v {
                    Value::Array(items) => {
                        for i in items {
                            query.push((k.clone(), i.as_str().unwrap_or("").to_string()));
                        }
                    }
                    Value::String(s) => query.push((k.clone(), s.clone())),
                    other => query.push((k.clone(), other.to_string())),
                }
            }
            req = req.query(&query);
        }
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let is_sse = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"));
    if is_sse || status < 300 {
        return (status, String::new());
    }
    let v: Value = res.json().await.unwrap_or(json!({}));
    let reason = v["details"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find_map(|d| d["reason"].as_str().map(str::to_string))
        })
        .unwrap_or_default();
    (status, reason)
}

/// What each test principal may do, stated independently of the server's rules.
fn may(who: &str, action: &str, cluster: &str) -> bool {
    let editor = [
        "view",
        "operate",
        "configure",
        "topics.read",
        "topics.write",
        "messages.read",
        "messages.produce",
        "groups.write",
        "operations.run",
    ];
    match who {
        "admin" => true,
        // editor on environment dev (dev1, and the clusters it creates there)
        "alice" => cluster.starts_with("dev") && editor.contains(&action),
        // operator everywhere
        "bob" => ["view", "operate", "topics.read", "messages.read"].contains(&action),
        // viewer of dev1 only
        "carol" => cluster == "dev1" && ["view", "topics.read"].contains(&action),
        _ => false,
    }
}

/// A method, a request naming the test clusters, and what it needs: (action, cluster) pairs
/// checked in order; "auth" only needs a valid token, "admin" needs admin.
/// (method, request, needs).
type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);

fn matrix() -> Vec<Case> {
    let c = "lkm.v1.ClusterService/";
    let dev = |extra: Value| {
        let mut v = json!({"clusterId": "dev1"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let m = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    vec![
        (
            m(&format!("{c}GetCluster")),
            dev(json!({})),
            vec![("view", "dev1")],
        ),
        (m(&format!("{c}ListClusters")), json!({}), vec![]),
        (
            m(&format!("{c}UpdateCluster")),
            dev(json!({"cluster": {"description": "x"}, "updateMask": "description"})),
            vec![("configure", "dev1")],
        ),
        (
            m(&format!("{c}StartCluster")),
            dev(json!({})),
            vec![("operate", "dev1")],
        ),
        (
            m(&format!("{c}StopCluster")),
            dev(json!({})),
            vec![("operate", "dev1")],
        ),
        (
            m(&format!("{c}GetClusterStatus")),
            dev(json!({})),
            vec![("view", "dev1")],
        ),
        (
            m(&format!("{c}GetClusterCompose")),
            dev(json!({})),
            vec![("view", "dev1")],
        ),
        (
            m(&format!("{c}ListTopics")),
            dev(json!({})),
            vec![("topics.read", "dev1")],
        ),
        (
            m(&format!("{c}GetTopic")),
            dev(json!({"topic": "t"})),
            vec![("topics.read", "dev1")],
        ),
        (
            m(&format!("{c}CreateTopic")),
            dev(json!({"name": "t"})),
            vec![("topics.write", "dev1")],
        ),
        (
            m(&format!("{c}DeleteTopic")),
            dev(json!({"topic": "t"})),
            vec![("topics.write", "dev1")],
        ),
        (
            m(&format!("{c}AddPartitions")),
            dev(json!({"topic": "t", "partitions": 2})),
            vec![("topics.write", "dev1")],
        ),
        (
            m(&format!("{c}UpdateTopicConfig")),
            dev(json!({"topic": "t"})),
            vec![("topics.write", "dev1")],
        ),
        (
            m(&format!("{c}Produce")),
            dev(json!({"topic": "t", "records": [{"value": {"text": "x"}}]})),
            vec![("messages.produce", "dev1")],
        ),
        (
            m(&format!("{c}ProduceStream")),
            dev(json!({"topic": "t", "records": [{"value": {"text": "x"}}]})),
            vec![("messages.produce", "dev1")],
        ),
        (
            m(&format!("{c}Consume")),
            dev(json!({"topic": "t"})),
            vec![("messages.read", "dev1")],
        ),
        (
            m(&format!("{c}ConsumeStream")),
            dev(json!({"topic": "t"})),
            vec![("messages.read", "dev1")],
        ),
        (
            m(&format!("{c}ListConsumerGroups")),
            dev(json!({})),
            vec![("topics.read", "dev1")],
        ),
        (
            m(&format!("{c}GetConsumerGroup")),
            dev(json!({"groupId": "g"})),
            vec![("topics.read", "dev1")],
        ),
        (
            m(&format!("{c}ResetConsumerGroupOffsets")),
            dev(json!({"groupId": "g", "topic": "t"})),
            vec![("groups.write", "dev1")],
        ),
        (
            m(&format!("{c}DeleteConsumerGroup")),
            dev(json!({"groupId": "g"})),
            vec![("groups.write", "dev1")],
        ),
        (m(&format!("{c}GetHostResources")), json!({}), vec![]),
        (m(&format!("{c}WatchClusters")), json!({}), vec![]),
        ("lkm.v1.TemplateService/ListTemplates", json!({}), vec![]),
        (
            "lkm.v1.TemplateService/GetTemplate",
            json!({"templateId": "development"}),
            vec![],
        ),
        (
            "lkm.v1.TemplateService/ApplyTemplate",
            json!({"templateId": "development"}),
            vec![],
        ),
        (
            "lkm.v1.TemplateService/UpdateTemplate",
            json!({"templateId": "nope", "template": {"description": "x"}, "updateMask": "description"}),
            vec![("admin", "")],
        ),
        (
            "lkm.v1.TemplateService/DeleteTemplate",
            json!({"templateId": "nope"}),
            vec![("admin", "")],
        ),
        (
            "lkm.v1.OperationService/MigrateData",
            json!({"sourceClusterId": "dev1", "targetClusterId": "prod1"}),
            vec![("messages.read", "dev1"), ("operations.run", "prod1")],
        ),
        (
            "lkm.v1.OperationService/ReplicateTopics",
            json!({"sourceClusterId": "dev1", "targetClusterIds": ["prod1"]}),
            vec![("topics.read", "dev1"), ("operations.run", "prod1")],
        ),
        (
            "lkm.v1.OperationService/CompareClusters",
            json!({"sourceCluster": "dev1", "targetCluster": "prod1"}),
            vec![("topics.read", "dev1"), ("topics.read", "prod1")],
        ),
        ("lkm.v1.OperationService/ListOperations", json!({}), vec![]),
        (
            "lkm.v1.OperationService/ListOperations",
            json!({"clusterId": "prod1"}),
            vec![("view", "prod1")],
        ),
        (
            "lkm.v1.OperationService/GetOperation",
            json!({"operationId": "OP"}),
            vec![("op-view", "")],
        ),
        (
            "lkm.v1.OperationService/WatchOperation",
            json!({"operationId": "OP"}),
            vec![("op-view", "")],
        ),
        (
            "lkm.v1.OperationService/CancelOperation",
            json!({"operationId": "OP"}),
            vec![("op-run", "")],
        ),
        (
            "lkm.v1.TemplateService/CreateTemplate",
            json!({"template": {"id": "t-matrix"}}),
            vec![("admin", "")],
        ),
        ("lkm.v1.AccessService/WhoAmI", json!({}), vec![]),
        (
            "lkm.v1.AccessService/CheckAccess",
            json!({"clusterId": "dev1", "action": "view"}),
            vec![("view", "dev1")],
        ),
        ("lkm.v1.AccessService/ListGrants", json!({}), vec![]),
        (
            "lkm.v1.AccessService/CreateToken",
            json!({"name": "matrix"}),
            vec![],
        ),
        (
            "lkm.v1.AccessService/GrantAccess",
            json!({"principal": "nobody", "grant": {"role": "viewer"}}),
            vec![("admin", "")],
        ),
        (
            "lkm.v1.ClusterService/DeleteCluster",
            json!({"clusterId": "dev-victim"}),
            vec![("configure", "dev-victim")],
        ),
        ("lkm.v1.AccessService/ListMyClusters", json!({}), vec![]),
        ("lkm.v1.AccessService/ListTokens", json!({}), vec![]),
        (
            "lkm.v1.AccessService/RevokeToken",
            json!({"tokenId": "nope"}),
            vec![],
        ),
        (
            "lkm.v1.AccessService/RevokeAccess",
            json!({"principal": "nobody", "grantId": "nope"}),
            vec![("admin", "")],
        ),
        (
            "lkm.v1.AccessService/ListAuditEvents",
            json!({}),
            vec![("admin", "")],
        ),
    ]
}

/// Expected outcome: None when allowed, else the denial (code, reason).
fn expected(who: &str, needs: &[(&str, &str)]) -> Option<(Code, &'static str)> {
    for (action, cluster) in needs {
        // An operation from dev1 to prod1: seen only by who sees both, run by who also runs
        // prod1.
        if *action == "op-view" || *action == "op-run" {
            let sees = may(who, "view", "dev1") && may(who, "view", "prod1");
            let ok = if *action == "op-view" {
                sees
            } else {
                may(who, "operations.run", "prod1")
            };
            if !ok {
                return Some(if sees {
                    (Code::PermissionDenied, "PERMISSION_DENIED")
                } else {
                    (Code::NotFound, "OPERATION_NOT_FOUND")
                });
            }
            continue;
        }
        if *action == "admin" {
            if who != "admin" {
                return Some((Code::PermissionDenied, "PERMISSION_DENIED"));
            }
            continue;
        }
        if !may(who, action, cluster) {
            return Some(if may(who, "view", cluster) {
                (Code::PermissionDenied, "PERMISSION_DENIED")
            } else {
                (Code::NotFound, "CLUSTER_NOT_FOUND")
            });
        }
    }
    None
}

fn http_of(code: Code) -> u16 {
    match code {
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::Unauthenticated => 401,
        _ => 0,
    }
}

/// Everything a denied call must leave as it was.
async fn snapshot(env: &Env, admin: &str) -> String {
    let ch = env.server.channel().await;
    let mut parts = BTreeMap::new();
    for (m, req) in [
        (
            "lkm.v1.ClusterService/ListClusters",
            json!({"pageSize": 1000}),
        ),
        (
            "lkm.v1.TemplateService/ListTemplates",
            json!({"pageSize": 1000}),
        ),
        (
            "lkm.v1.OperationService/ListOperations",
            json!({"pageSize": 1000}),
        ),
        ("lkm.v1.AccessService/ListTokens", json!({})),
    ] {
        let pool = pool();
        let (service, name) = m.split_once('/').unwrap();
        let method = pool
            .get_service_by_name(service)
            .unwrap()
            .methods()
            .find(|x| x.name() == name)
            .unwrap();
        let mut grpc = tonic::client::Grpc::new(ch.clone());
        grpc.ready().await.unwrap();
        let bytes = DynamicMessage::deserialize(method.input(), &req)
            .unwrap()
            .encode_to_vec();
        let out = grpc
            .unary(authed(admin, bytes), format!("/{m}").parse().unwrap(), Raw)
            .await
            .unwrap()
            .into_inner();
        let msg = DynamicMessage::decode(method.output(), out.as_slice()).unwrap();
        // Through serde_json::Value: keys sorted (protobuf maps have no order); when a token
        // was last used is not state a call may not change.
        let mut v: Value = serde_json::to_value(&msg).unwrap();
        if let Some(tokens) = v["tokens"].as_array_mut() {
            for t in tokens {
                t.as_object_mut().unwrap().remove("lastUsedAt");
            }
        }
        parts.insert(m, v.to_string());
    }
    format!("{parts:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_required_and_checked() {
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    assert!(admin.starts_with("lkm_"), "admin token file: {admin:?}");
    // The token file is readable by its owner only.
    let mode = std::fs::metadata(env.server.config.data_dir.join("admin.token"))
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .unwrap();
    assert_eq!(mode, 0o600);

    let ch = env.server.channel().await;
    let mut clusters = lkm::pb::cluster_service_client::ClusterServiceClient::new(ch.clone());
    // Refusals do not tell an unauthenticated caller where the admin token file is.
    let data_dir = env.server.config.data_dir.display().to_string();
    let reveals = |text: &str| text.contains(&data_dir) || text.contains("admin.token");
    for token in ["", "garbage", "lkm_0123456789abcdef0123456789abcdef_nope"] {
        let err = clusters
            .list_clusters(authed(token, ListClustersRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{token:?}");
        assert!(!reveals(err.message()), "{token:?}: {}", err.message());
        let mut req = reqwest::Client::new().get(env.server.rest("/clusters"));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{token:?}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("UNAUTHENTICATED") || body.contains("\"code\":16"),
            "{body}"
        );
        assert!(!reveals(&body), "{token:?}: {body}");
    }
    clusters
        .list_clusters(authed(&admin, ListClustersRequest::default()))
        .await
        .unwrap();
    // Health and reflection need no token.
    let mut health = tonic_health::pb::health_client::HealthClient::new(ch.clone());
    health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .unwrap();

    // A token that expires, and one that is revoked.
    let mut access = AccessServiceClient::new(ch.clone());
    let short = access
        .create_token(authed(
            &admin,
            CreateTokenRequest {
                name: "short".into(),
                ttl: Some(prost_types::Duration {
                    seconds: 1,
                    nanos: 0,
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!short.secret.is_empty());
    clusters
        .list_clusters(authed(&short.secret, ListClustersRequest::default()))
        .await
        .unwrap();
    let expired = common::eventually(Duration::from_secs(10), || {
        let mut c = clusters.clone();
        let secret = short.secret.clone();
        async move {
            match c
                .list_clusters(authed(&secret, ListClustersRequest::default()))
                .await
            {
                Err(e) if e.code() == Code::Unauthenticated => Some(e),
                _ => None,
            }
        }
    })
    .await
    .expect("the token expires");
    assert!(
        expired.message().contains("expired"),
        "{}",
        expired.message()
    );

    let other = access
        .create_token(authed(
            &admin,
            CreateTokenRequest {
                name: "other".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    clusters
        .list_clusters(authed(&other.secret, ListClustersRequest::default()))
        .await
        .unwrap();
    let listed = access
        .list_tokens(authed(&admin, ListTokensRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed
            .tokens
            .iter()
            .any(|t| t.id == other.token.as_ref().unwrap().id)
    );
    let as_text = format!("{listed:?}");
    assert!(!as_text.contains(&other.secret), "secrets are never listed");
    access
        .revoke_token(authed(
            &admin,
            RevokeTokenRequest {
                token_id: other.token.unwrap().id,
            },
        ))
        .await
        .unwrap();
    let err = clusters
        .list_clusters(authed(&other.secret, ListClustersRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("revoked"), "{}", err.message());
    env.finish().await;
}

/// The test's principals: a token each, and the grants the matrix assumes.
async fn principals(env: &Env, admin: &str) -> BTreeMap<&'static str, String> {
    let mut access = AccessServiceClient::new(env.server.channel().await);
    let grants = [
        (
            "alice",
            json!({"role": "editor", "clusters": {"environment": "dev"}}),
        ),
        ("bob", json!({"role": "operator"})),
        (
            "carol",
            json!({"role": "viewer", "clusters": {"clusterIds": ["dev1"]}}),
        ),
    ];
    for (who, grant) in grants {
        let g: Grant = serde_json::from_value::<Value>(grant.clone())
            .map(|v| {
                let d = DynamicMessage::deserialize(
                    pool().get_message_by_name("lkm.v1.Grant").unwrap(),
                    &v,
                )
                .unwrap();
                Grant::decode(d.encode_to_vec().as_slice()).unwrap()
            })
            .unwrap();
        access
            .grant_access(authed(
                admin,
                GrantAccessRequest {
                    principal: who.into(),
                    grant: Some(g),
                },
            ))
            .await
            .unwrap();
    }
    let mut tokens = BTreeMap::new();
    tokens.insert("admin", admin.to_string());
    for who in ["alice", "bob", "carol", "dave"] {
        let t = access
            .create_token(authed(
                admin,
                CreateTokenRequest {
                    principal: who.into(),
                    name: "test".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        tokens.insert(who, t.secret);
    }
    tokens
}

async fn create_cluster(env: &Env, admin: &str, name: &str, environment: &str) {
    lkm::pb::cluster_service_client::ClusterServiceClient::new(env.server.channel().await)
        .create_cluster(authed(
            admin,
            CreateClusterRequest {
                name: name.into(),
                environment: environment.into(),
                template_id: "testing".into(),
                auto_start: Some(false),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_and_rpc_over_grpc_and_rest() {
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    create_cluster(&env, &admin, "dev1", "dev").await;
    create_cluster(&env, &admin, "prod1", "prod").await;
    let tokens = principals(&env, &admin).await;
    let channel = env.server.channel().await;
    // A running operation from dev1 to prod1, as a migration would leave it.
    let id = |name: &str| {
        let mut g = lkm::pb::cluster_service_client::ClusterServiceClient::new(channel.clone());
        let t = admin.clone();
        let name = name.to_string();
        async move {
            g.get_cluster(authed(&t, GetClusterRequest { cluster_id: name }))
                .await
                .unwrap()
                .into_inner()
                .cluster
                .unwrap()
                .id
        }
    };
    let ids = (id("dev1").await, id("prod1").await);
    let registry = lkm::registry::Registry::connect(&env.server.config.registry_url())
        .await
        .unwrap();

    for (who, token) in &tokens {
        let op_id = uuid::Uuid::now_v7().to_string();
        registry
            .insert_operation(&Operation {
                id: op_id.clone(),
                operation_type: OperationType::Replicate as i32,
                source_cluster_id: ids.0.clone(),
                target_cluster_ids: vec![ids.1.clone()],
                status: OperationStatus::Running as i32,
                created_at: Some(lkm::core::time::now()),
                ..Default::default()
            })
            .await
            .unwrap();
        for (method, mut request, needs) in matrix() {
            if request.get("operationId").is_some() {
                request["operationId"] = json!(op_id);
            }
            let expect = expected(who, &needs);
            let mutating = !method.contains("/Get")
                && !method.contains("/List")
                && !method.contains("/Consume")
                && !method.contains("/WhoAmI")
                && !method.contains("/Apply")
                && !method.contains("/Compare")
                && !method.contains("/Watch")
                && !method.contains("/Check");
            // Something to delete, for whoever may.
            let ensure_victim = || async {
                if method.ends_with("/DeleteCluster")
                    && lkm::pb::cluster_service_client::ClusterServiceClient::new(channel.clone())
                        .get_cluster(authed(
                            &admin,
                            GetClusterRequest {
                                cluster_id: "dev-victim".into(),
                            },
                        ))
                        .await
                        .is_err()
                {
                    create_cluster(&env, &admin, "dev-victim", "dev").await;
                }
            };
            ensure_victim().await;
            let before = if expect.is_some() && mutating {
                Some(snapshot(&env, &admin).await)
            } else {
                None
            };
            let status = grpc_call(&channel, token, method, &request).await;
            let (code, reason) = code_reason(&status);
            match expect {
                Some((want, want_reason)) => {
                    assert_eq!(
                        (code, reason.as_str()),
                        (want, want_reason),
                        "gRPC {method} as {who}: {}",
                        status.message()
                    );
                }
                None => assert!(
                    !matches!(code, Code::PermissionDenied | Code::Unauthenticated)
                        && reason != "CLUSTER_NOT_FOUND",
                    "gRPC {method} as {who} should pass the access check: {code:?} {}",
                    status.message()
                ),
            }
            ensure_victim().await;
            let before = match before {
                Some(_) => Some(snapshot(&env, &admin).await),
                None => None,
            };
            let (http, reason) = rest_call(&env, token, method, &request).await;
            match expect {
                Some((want, want_reason)) => assert_eq!(
                    (http, reason.as_str()),
                    (http_of(want), want_reason),
                    "REST {method} as {who}"
                ),
                None => assert!(
                    !matches!(http, 401 | 403) && reason != "CLUSTER_NOT_FOUND",
                    "REST {method} as {who} should pass the access check: {http} {reason}"
                ),
            }
            if let Some(before) = before {
                assert_eq!(
                    before,
                    snapshot(&env, &admin).await,
                    "{method} as {who} changed something"
                );
            }
        }
    }

    // An operation is listed, read and watched only by who may view every cluster it
    // names: carol sees dev1 only, so neither dev1 → prod1 nor prod1 → dev1 exists for her;
    // alice (dev) sees dev1 → dev-victim.
    let op = |source: &str, target: &str| Operation {
        id: uuid::Uuid::now_v7().to_string(),
        operation_type: OperationType::Migrate as i32,
        source_cluster_id: source.to_string(),
        target_cluster_ids: vec![target.to_string()],
        status: OperationStatus::Running as i32,
        created_at: Some(lkm::core::time::now()),
        ..Default::default()
    };
    let victim = id("dev-victim").await;
    let (to_prod, to_dev, within_dev) =
        (op(&ids.0, &ids.1), op(&ids.1, &ids.0), op(&ids.0, &victim));
    for o in [&to_prod, &to_dev, &within_dev] {
        registry.insert_operation(o).await.unwrap();
    }
    for (who, sees) in [
        ("admin", [true, true, true]),
        ("alice", [false, false, true]),
        ("bob", [true, true, true]),
        ("carol", [false, false, false]),
        ("dave", [false, false, false]),
    ] {
        let token = &tokens[who];
        let listed: Vec<String> =
            lkm::pb::operation_service_client::OperationServiceClient::new(channel.clone())
                .list_operations(authed(
                    token,
                    ListOperationsRequest {
                        page_size: 1000,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .operations
                .into_iter()
                .map(|o| o.id)
                .collect();
        let rest_listed: Value = reqwest::Client::new()
            .get(env.server.rest("/operations?pageSize=1000"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rest_ids: Vec<&str> = rest_listed["operations"]
            .as_array()
            .map(|ops| ops.iter().filter_map(|o| o["id"].as_str()).collect())
            .unwrap_or_default();
        for (o, visible) in [&to_prod, &to_dev, &within_dev].into_iter().zip(sees) {
            let route = format!("{} → {}", o.source_cluster_id, o.target_cluster_ids[0]);
            assert_eq!(listed.contains(&o.id), visible, "{who} lists {route}");
            assert_eq!(
                rest_ids.contains(&o.id.as_str()),
                visible,
                "{who} lists {route} over REST"
            );
            let get = grpc_call(
                &channel,
                token,
                "lkm.v1.OperationService/GetOperation",
                &json!({"operationId": o.id}),
            )
            .await;
            let want = if visible {
                (Code::Ok, String::new())
            } else {
                (Code::NotFound, "OPERATION_NOT_FOUND".to_string())
            };
            assert_eq!(code_reason(&get).0, want.0, "{who} gets {route}");
            if !visible {
                assert_eq!(code_reason(&get), want, "{who} gets {route}");
                let (http, reason) = rest_call(
                    &env,
                    token,
                    "lkm.v1.OperationService/GetOperation",
                    &json!({"operationId": o.id}),
                )
                .await;
                assert_eq!((http, reason.as_str()), (404, "OPERATION_NOT_FOUND"));
            }
        }
    }

    // Creating a cluster is configuring it: alice may in dev, not in prod; others not.
    let mut g = lkm::pb::cluster_service_client::ClusterServiceClient::new(channel.clone());
    let create = |name: &str, env: &str| CreateClusterRequest {
        name: name.into(),
        environment: env.into(),
        template_id: "testing".into(),
        auto_start: Some(false),
        ..Default::default()
    };
    g.create_cluster(authed(&tokens["alice"], create("dev2", "dev")))
        .await
        .unwrap();
    for (who, name, environment) in [
        ("alice", "prod2", "prod"),
        ("bob", "dev3", "dev"),
        ("carol", "dev4", "dev"),
    ] {
        let err = g
            .create_cluster(authed(&tokens[who], create(name, environment)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{who}");
    }

    // Listings show only what the caller may view.
    let names = |t: &str| {
        let mut g = g.clone();
        let t = t.to_string();
        async move {
            let mut n: Vec<String> = g
                .list_clusters(authed(&t, ListClustersRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .clusters
                .into_iter()
                .map(|c| c.name)
                .collect();
            n.sort();
            n
        }
    };
    assert_eq!(
        names(&tokens["admin"]).await,
        ["dev-victim", "dev1", "dev2", "prod1"]
    );
    assert_eq!(
        names(&tokens["alice"]).await,
        ["dev-victim", "dev1", "dev2"]
    );
    assert_eq!(names(&tokens["carol"]).await, ["dev1"]);
    assert!(names(&tokens["dave"]).await.is_empty());
    let mine = AccessServiceClient::new(channel.clone())
        .list_my_clusters(authed(&tokens["carol"], ListMyClustersRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.clusters.len(), 1);
    assert_eq!(mine.clusters[0].actions, ["view", "topics.read"]);

    // Templates and grants are admin matters.
    let mut templates =
        lkm::pb::template_service_client::TemplateServiceClient::new(channel.clone());
    let err = templates
        .create_template(authed(
            &tokens["alice"],
            CreateTemplateRequest {
                template: Some(ClusterTemplate {
                    id: "mine".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    env.finish().await;
}

/// WatchClusters shows a caller only the clusters it may view, and a cluster that leaves its
/// view (moved to another environment) as DELETED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_watchers_see_only_what_they_may_view() {
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    create_cluster(&env, &admin, "dev1", "dev").await;
    create_cluster(&env, &admin, "prod1", "prod").await;
    let tokens = principals(&env, &admin).await;
    let mut g =
        lkm::pb::cluster_service_client::ClusterServiceClient::new(env.server.channel().await);
    // alice: editor of the dev environment.
    let mut watch = g
        .watch_clusters(authed(&tokens["alice"], WatchClustersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    async fn next(
        s: &mut tonic::Streaming<WatchClustersResponse>,
    ) -> (ClusterEventType, (String, String)) {
        let e = tokio::time::timeout(Duration::from_secs(20), s.message())
            .await
            .expect("no cluster event in time")
            .unwrap()
            .expect("the watch ended");
        (
            e.r#type(),
            e.cluster
                .map(|c| (c.name, c.description))
                .unwrap_or_default(),
        )
    }
    assert_eq!(
        next(&mut watch).await,
        (ClusterEventType::Snapshot, ("dev1".into(), String::new()))
    );
    assert_eq!(next(&mut watch).await.0, ClusterEventType::Synced);
    let describe = |name: &str, description: &str| UpdateClusterRequest {
        cluster_id: name.into(),
        cluster: Some(Cluster {
            description: description.into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["description".into()],
        }),
    };
    let mut g2 = g.clone();
    let update = |req: UpdateClusterRequest| {
        let admin = admin.clone();
        let mut g = g2.clone();
        async move {
            g.update_cluster(authed(&admin, req)).await.unwrap();
        }
    };
    // A change alice may not see, then one she may: only the second reaches her.
    update(describe("prod1", "hidden")).await;
    update(describe("dev1", "seen")).await;
    assert_eq!(
        next(&mut watch).await,
        (ClusterEventType::Changed, ("dev1".into(), "seen".into()))
    );
    // Moved out of her environment: gone from her view.
    update(UpdateClusterRequest {
        cluster_id: "dev1".into(),
        cluster: Some(Cluster {
            environment: "prod".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["environment".into()],
        }),
    })
    .await;
    assert_eq!(next(&mut watch).await.0, ClusterEventType::Deleted);
    // Without a token: refused.
    let err = g2
        .watch_clusters(WatchClustersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    env.finish().await;
}

/// Events older than `audit_retention_days` are pruned (on start, and hourly); newer ones stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_audit_events_are_pruned() {
    let env = Env::start_with(Db::Sqlite, |c| {
        c.auth = true;
        c.audit_retention_days = 30;
    })
    .await
    .unwrap();
    let registry = lkm::registry::Registry::connect(&env.server.config.registry_url())
        .await
        .unwrap();
    let day = 86_400_000;
    let now = lkm::core::time::millis(&Some(lkm::core::time::now()));
    for (id, age_days) in [("old", 100), ("recent", 2)] {
        registry
            .write_audit(&AuditEvent {
                id: format!("seeded-{id}"),
                time: Some(lkm::core::time::from_millis(now - age_days * day)),
                principal: "seeded".into(),
                method: "lkm.v1.ClusterService/DeleteCluster".into(),
                outcome: "OK".into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    registry.close().await;
    let env = env.restart().await;
    let admin = admin_token(&env.server.config);
    let mut access = AccessServiceClient::new(env.server.channel().await);
    let events = access
        .list_audit_events(authed(
            &admin,
            ListAuditEventsRequest {
                principal: "seeded".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["seeded-recent"], "the 100-day-old event is pruned");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_records_changes_and_denials() {
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    create_cluster(&env, &admin, "dev1", "dev").await;
    let tokens = principals(&env, &admin).await;
    let ch = env.server.channel().await;
    let mut g = lkm::pb::cluster_service_client::ClusterServiceClient::new(ch.clone());
    // A denied change, a permitted change, and an unauthenticated call.
    let err = g
        .delete_cluster(authed(
            &tokens["carol"],
            DeleteClusterRequest {
                cluster_id: "dev1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    g.update_cluster(authed(
        &tokens["alice"],
        UpdateClusterRequest {
            cluster_id: "dev1".into(),
            cluster: Some(Cluster {
                description: "audited".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into()],
            }),
        },
    ))
    .await
    .unwrap();
    let _ = g
        .list_clusters(authed("bad", ListClustersRequest::default()))
        .await;

    let mut access = AccessServiceClient::new(ch.clone());
    let events = access
        .list_audit_events(authed(
            &admin,
            ListAuditEventsRequest {
                cluster_id: "dev1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let find = |who: &str, method: &str| {
        events
            .iter()
            .find(|e| e.principal == who && e.method.ends_with(method))
            .cloned()
    };
    let denied = find("carol", "DeleteCluster").expect("the denial is recorded");
    assert_eq!(denied.outcome, "PERMISSION_DENIED");
    let changed = find("alice", "UpdateCluster").expect("the change is recorded");
    assert_eq!(changed.outcome, "OK");
    assert!(changed.time.is_some());
    let all = access
        .list_audit_events(authed(&admin, ListAuditEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(
        all.iter()
            .any(|e| e.principal == "anonymous" && e.outcome == "UNAUTHENTICATED")
    );
    // Filtered by principal; paginated.
    let alice = access
        .list_audit_events(authed(
            &admin,
            ListAuditEventsRequest {
                principal: "alice".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(alice.iter().all(|e| e.principal == "alice"));
    let page = access
        .list_audit_events(authed(
            &admin,
            ListAuditEventsRequest {
                page_size: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.events.len(), 1);
    assert!(!page.next_page_token.is_empty());
    // Only an admin reads the log.
    let err = access
        .list_audit_events(authed(&tokens["alice"], ListAuditEventsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_am_i_and_access_checks() {
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    create_cluster(&env, &admin, "dev1", "dev").await;
    let tokens = principals(&env, &admin).await;
    let mut access = AccessServiceClient::new(env.server.channel().await);
    let me = access
        .who_am_i(authed(&tokens["carol"], WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.principal, "carol");
    assert!(me.authentication);
    assert_eq!(me.grants.len(), 1);
    let checker = access.clone();
    let check = |who: &'static str, principal: &'static str, action: &'static str| {
        let mut a = checker.clone();
        let t = tokens[who].clone();
        async move {
            a.check_access(authed(
                &t,
                CheckAccessRequest {
                    principal: principal.into(),
                    cluster_id: "dev1".into(),
                    action: action.into(),
                },
            ))
            .await
        }
    };
    assert!(
        check("carol", "", "view")
            .await
            .unwrap()
            .into_inner()
            .allowed
    );
    assert!(
        !check("carol", "", "topics.write")
            .await
            .unwrap()
            .into_inner()
            .allowed
    );
    assert!(
        check("admin", "alice", "topics.write")
            .await
            .unwrap()
            .into_inner()
            .allowed
    );
    assert_eq!(
        check("carol", "alice", "view").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        check("carol", "", "fly").await.unwrap_err().code(),
        Code::InvalidArgument
    );
    // Grants can be revoked; bad grants are refused.
    let grants = access
        .list_grants(authed(
            &admin,
            ListGrantsRequest {
                principal: "carol".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .grants;
    access
        .revoke_access(authed(
            &admin,
            RevokeAccessRequest {
                principal: "carol".into(),
                grant_id: grants[0].id.clone(),
            },
        ))
        .await
        .unwrap();
    assert!(
        !check("admin", "carol", "view")
            .await
            .unwrap()
            .into_inner()
            .allowed
    );
    for bad in [
        Grant {
            role: "emperor".into(),
            ..Default::default()
        },
        Grant {
            actions: vec!["fly".into()],
            ..Default::default()
        },
        Grant::default(),
    ] {
        let err = access
            .grant_access(authed(
                &admin,
                GrantAccessRequest {
                    principal: "carol".into(),
                    grant: Some(bad),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
    }
    env.finish().await;
}

#[test]
fn no_auth_only_on_loopback() {
    let mut c = lkm::config::Config {
        auth: false,
        ..Default::default()
    };
    c.validate().unwrap();
    c.listen = "0.0.0.0:8000".parse().unwrap();
    assert!(c.validate().is_err());
    c.auth = true;
    c.validate().unwrap();
}

/// Rows of unauthenticated callers in the audit log, counted in the database itself.
async fn anonymous_audit_rows(env: &Env) -> i64 {
    use sqlx::Connection;
    let mut db = sqlx::SqliteConnection::connect(&env.server.config.registry_url())
        .await
        .unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE principal = 'anonymous'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    db.close().await.unwrap();
    n
}

/// 2,000 calls with a bad token from one address: after a burst they get 429 with Retry-After
/// (REST) and RESOURCE_EXHAUSTED with RetryInfo (gRPC) instead of 401, a valid token from the
/// same address keeps working meanwhile, and the audit log gains a handful of rows whose
/// counts add up to the 2,000 calls, not a row each. Once the address stops failing for a
/// moment it may fail with a plain 401 again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentication_is_rate_limited_and_counted_not_logged_per_call() {
    use tonic_types::StatusExt;
    let env = auth_env().await;
    let admin = admin_token(&env.server.config);
    let rows_before = anonymous_audit_rows(&env).await;
    let bad = "lkm_0123456789abcdef0123456789abcdef_nope";
    let http = reqwest::Client::new();
    let channel = env.server.channel().await;
    let clusters = lkm::pb::cluster_service_client::ClusterServiceClient::new(channel.clone());
    let url = env.server.rest("/clusters");
    let started = std::time::Instant::now();
    // 1,000 over REST and 1,000 over gRPC, 16 at a time.
    let outcomes: Vec<(u16, Option<u64>)> = futures::stream::iter(0..2000)
        .map(|i| {
            let (http, url, mut clusters) = (http.clone(), url.clone(), clusters.clone());
            async move {
                if i % 2 == 0 {
                    let res = http.get(&url).bearer_auth(bad).send().await.unwrap();
                    let retry = res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok()?.parse().ok());
                    (res.status().as_u16(), retry)
                } else {
                    let err = clusters
                        .list_clusters(authed(bad, ListClustersRequest::default()))
                        .await
                        .unwrap_err();
                    let retry = err
                        .get_details_retry_info()
                        .and_then(|r| r.retry_delay)
                        .map(|d| d.as_secs().max(1));
                    let http = match err.code() {
                        Code::Unauthenticated => 401,
                        Code::ResourceExhausted => 429,
                        other => panic!("gRPC: {other:?} {}", err.message()),
                    };
                    (http, retry)
                }
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let refused = outcomes.iter().filter(|(s, _)| *s == 401).count();
    let limited = outcomes.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!(refused + limited, 2000, "only 401 and 429");
    // A burst, then a few failures a second.
    let allowed = lkm::api::auth_limit::BURST as usize
        + (elapsed.as_secs_f64() * lkm::api::auth_limit::REFILL_PER_SEC) as usize
        + 1;
    assert!(
        refused <= allowed,
        "{refused} calls got 401 in {elapsed:?} (at most {allowed} expected)"
    );
    assert!(
        outcomes
            .iter()
            .all(|(s, retry)| *s != 429 || retry.is_some_and(|r| (1..=10).contains(&r))),
        "every 429 says when to retry"
    );

    // The address is being limited, yet a valid token from it works, on both transports.
    let listed = http
        .get(&url)
        .bearer_auth(bad)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(listed, 429);
    let ok = http.get(&url).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    clusters
        .clone()
        .list_clusters(authed(&admin, ListClustersRequest::default()))
        .await
        .unwrap();

    // The audit log counts the denials on a few events (per method and outcome), written
    // as the counts grow.
    let mut access = AccessServiceClient::new(channel.clone());
    let counted = common::eventually(Duration::from_secs(10), || {
        let mut access = access.clone();
        let admin = admin.clone();
        async move {
            let events = access
                .list_audit_events(authed(
                    &admin,
                    ListAuditEventsRequest {
                        principal: "anonymous".into(),
                        page_size: 1000,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .events;
            let total: i64 = events.iter().map(|e| e.count).sum();
            (total >= 2001).then_some(events)
        }
    })
    .await
    .expect("the counts of the denials reach the audit log");
    assert!(counted.len() <= 4, "{counted:?}");
    let total: i64 = counted.iter().map(|e| e.count).sum();
    assert_eq!(total, 2001, "every denied call is counted once");
    for e in &counted {
        assert_eq!(e.client_address, "127.0.0.1", "{e:?}");
        assert_eq!(e.method, "lkm.v1.ClusterService/ListClusters");
        assert!(
            ["UNAUTHENTICATED", "RESOURCE_EXHAUSTED"].contains(&e.outcome.as_str()),
            "{e:?}"
        );
    }
    assert!(
        counted
            .iter()
            .any(|e| e.outcome == "RESOURCE_EXHAUSTED" && e.count > 1000),
        "{counted:?}"
    );
    let rows = anonymous_audit_rows(&env).await - rows_before;
    eprintln!(
        "2,000 bad-token calls in {elapsed:?}: {refused} got 401, {limited} got 429; {rows} audit rows"
    );
    assert!(rows <= 4, "{rows} audit rows for 2,001 denied calls");

    // The allowance refills: after a pause a bad token is a plain 401 again.
    let refilled = common::eventually(Duration::from_secs(5), || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let s = http
                .get(&url)
                .bearer_auth(bad)
                .send()
                .await
                .unwrap()
                .status();
            (s == 401).then_some(())
        }
    })
    .await;
    assert!(refilled.is_some(), "the limit lifts");
    let _ = access
        .who_am_i(authed(&admin, WhoAmIRequest {}))
        .await
        .unwrap();
    env.finish().await;
}
