//! The OpenAPI document of the REST gateway (`/openapi.json`), and the gateway against bad
//! input: the document covers every annotated route and is self-consistent; a property-based
//! test throws random paths, query strings and bodies at the live server, which never
//! answers 5xx nor drops a connection; schemathesis checks the live server against the
//! document.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use common::{Db, Env};
use lkm::api::rest::bindings::{self, Binding};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use prost_reflect::{DescriptorPool, Kind, MessageDescriptor};
use serde_json::Value;

fn gateway_bindings() -> (DescriptorPool, Vec<Binding>) {
    let pool = DescriptorPool::decode(lkm::proto::FILE_DESCRIPTOR_SET).unwrap();
    let bindings = bindings::from_descriptor(&pool, "lkm.v1").unwrap();
    (pool, bindings)
}

async fn fetch_document(env: &Env) -> Value {
    let res = reqwest::get(env.server.rest("/openapi.json"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    res.json().await.unwrap()
}

/// Resolves a local `#/a/b` reference in `doc`.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Every `$ref` under `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_describes_every_route() {
    let env = Env::start(Db::Sqlite).await.unwrap();
    let doc = fetch_document(&env).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["info"]["title"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );

    let (_, bindings) = gateway_bindings();
    let mut ids = HashSet::new();
    for b in &bindings {
        let method = b.method.as_str().to_ascii_lowercase();
        let op = &doc["paths"][&b.path][&method];
        assert!(op.is_object(), "no operation for {method} {}", b.path);
        let id = op["operationId"].as_str().unwrap();
        assert!(ids.insert(id.to_string()), "operationId {id} is not unique");
        assert!(
            id.contains(b.rpc.name()),
            "{id} does not name {}",
            b.rpc.name()
        );
        let success = b.success.as_u16().to_string();
        assert!(
            op["responses"][&success].is_object(),
            "{id}: no {success} response"
        );
        assert_eq!(
            op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/google.rpc.Status",
            "{id}"
        );
        // Path parameters are exactly the template's variables.
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_path: BTreeSet<String> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            in_path,
            b.path_params().into_iter().collect::<BTreeSet<_>>(),
            "{id}"
        );
        // A body where the annotation takes one; no query parameters when the body is `*`.
        assert_eq!(op["requestBody"].is_object(), b.body.is_some(), "{id}");
        if b.body.as_deref() == Some("*") {
            assert!(params.iter().all(|p| p["in"] != "query"), "{id}");
        }
        let content = if b.rpc.is_server_streaming() {
            "text/event-stream"
        } else {
            "application/json"
        };
        assert!(
            op["responses"][&success]["content"][content].is_object(),
            "{id}: no {content} response"
        );
        if b.rpc.is_client_streaming() {
            assert!(op["requestBody"]["content"]["application/x-ndjson"].is_object());
        }
    }
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, bindings.len(), "one operation per binding");

    // The routes of the seed and the main resources are there.
    for (method, path) in [
        ("post", "/clusters"),
        ("get", "/clusters"),
        ("get", "/clusters/{cluster_id}"),
        ("patch", "/clusters/{cluster_id}"),
        ("post", "/clusters/{cluster_id}/start"),
        ("post", "/clusters/{cluster_id}/stop"),
        ("get", "/clusters/{cluster_id}/consume/stream"),
        ("post", "/clusters/{cluster_id}/produce/stream"),
        ("get", "/topics"),
        ("post", "/produce"),
        ("get", "/consume"),
        ("get", "/templates"),
        ("post", "/operations/migrate"),
        ("get", "/operations/{operation_id}/events"),
        ("get", "/access/whoami"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }

    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50);
    for r in &all {
        assert!(resolve(&doc, r).is_some(), "unresolved {r}");
    }

    // The proto3 JSON mapping.
    let schemas = &doc["components"]["schemas"];
    let cluster = &schemas["lkm.v1.Cluster"];
    assert_eq!(cluster["additionalProperties"], false);
    assert_eq!(cluster["properties"]["createdAt"]["format"], "date-time");
    assert_eq!(
        cluster["properties"]["tags"]["additionalProperties"]["type"],
        "string"
    );
    let int64 = &schemas["lkm.v1.KafkaConfig"]["properties"]["logSegmentBytes"]["anyOf"];
    assert_eq!(int64[0]["type"], "string", "int64 as a string");
    assert_eq!(int64[1]["type"], "integer", "int64 accepted as a number");
    let list = &doc["paths"]["/clusters"]["get"];
    let query: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in ["status", "environment", "tags", "page_size", "page_token"] {
        assert!(query.contains(&name), "GET /clusters lacks ?{name}");
    }
    assert_eq!(
        list["summary"], "Lists clusters, filtered and paginated.",
        "summaries come from the proto comments"
    );
    // The body of an update is the resource; its mask is a query parameter.
    let update = &doc["paths"]["/clusters/{cluster_id}"]["patch"];
    assert_eq!(
        update["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/lkm.v1.Cluster"
    );
    assert!(
        update["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "update_mask" && p["in"] == "query")
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_needs_no_token() {
    let env = Env::start_with(Db::Sqlite, |c| c.auth = true)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let res = client
        .get(env.server.rest("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["paths"]["/clusters"].is_object());
    // …while the API itself wants one.
    let res = client
        .get(env.server.rest("/clusters"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    env.finish().await;
}

// ---- property-based test over REST request decoding -----------------------------------

/// One route of the gateway, as the fuzzer sees it.
#[derive(Clone, Debug)]
struct Route {
    method: reqwest::Method,
    path: String,
    client_streaming: bool,
    /// Field names of the body's message (JSON and proto spellings).
    body_keys: Vec<String>,
    /// Query parameter names the route takes (dotted for nested fields).
    query_keys: Vec<String>,
    /// JSON paths of the body to google.protobuf.Struct/Value fields (`uiConfig.clustersConfig`).
    struct_paths: Vec<Vec<String>>,
}

impl Route {
    fn of(b: &Binding) -> Route {
        let input = b.rpc.input();
        let body_message = match b.body.as_deref() {
            Some("*") => Some(input.clone()),
            Some(field) => input.get_field_by_name(field).and_then(|f| match f.kind() {
                Kind::Message(m) => Some(m),
                _ => None,
            }),
            None => None,
        };
        let mut body_keys = Vec::new();
        let mut struct_paths = Vec::new();
        if let Some(m) = &body_message {
            for f in m.fields() {
                body_keys.push(f.json_name().to_string());
                body_keys.push(f.name().to_string());
            }
            find_structs(m, &mut Vec::new(), &mut struct_paths);
        }
        let mut query_keys = Vec::new();
        if b.body.as_deref() != Some("*") {
            for f in input.fields() {
                query_keys.push(f.name().to_string());
                if let Kind::Message(m) = f.kind() {
                    for c in m.fields() {
                        query_keys.push(format!("{}.{}", f.name(), c.name()));
                    }
                }
            }
        }
        Route {
            method: reqwest::Method::from_bytes(b.method.as_str().as_bytes()).unwrap(),
            path: b.path.clone(),
            client_streaming: b.rpc.is_client_streaming(),
            body_keys,
            query_keys,
            struct_paths,
        }
    }
}

/// JSON paths (three levels at most) from `m` to its Struct and Value fields.
fn find_structs(m: &MessageDescriptor, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if prefix.len() >= 3 {
        return;
    }
    for f in m.fields() {
        let Kind::Message(child) = f.kind() else {
            continue;
        };
        if f.is_list() || f.is_map() {
            continue;
        }
        prefix.push(f.json_name().to_string());
        match child.full_name() {
            "google.protobuf.Struct" | "google.protobuf.Value" => out.push(prefix.clone()),
            name if name.starts_with("google.") => {}
            _ => find_structs(&child, prefix, out),
        }
        prefix.pop();
    }
}

/// One random request.
#[derive(Clone, Debug)]
struct Case {
    route: usize,
    method: Option<reqwest::Method>,
    segments: Vec<String>,
    query: String,
    body: Vec<u8>,
    content_type: &'static str,
}

/// Percent-encodes every byte outside the unreserved set.
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (*b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Field names of every lkm message (proto and JSON spellings), so random bodies often hit
/// real fields at any depth.
fn field_names(pool: &DescriptorPool) -> Vec<String> {
    let mut names = BTreeSet::new();
    for m in pool.all_messages().filter(|m| m.package_name() == "lkm.v1") {
        for f in m.fields() {
            names.insert(f.name().to_string());
            names.insert(f.json_name().to_string());
        }
    }
    names.into_iter().collect()
}

fn json_key(keys: Vec<String>) -> BoxedStrategy<String> {
    prop_oneof![
        5 => prop::sample::select(keys),
        1 => any::<String>(),
    ]
    .boxed()
}

fn object_text(fields: &[(String, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// Text of a random JSON value; numbers and strings lean towards what breaks decoders.
fn json_text(keys: Vec<String>) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() {
            f.to_string()
        } else {
            "1e999".into()
        }),
        prop::sample::select(vec![
            "1e400",
            "-1e400",
            "1e-400",
            "-0",
            "0.5",
            "18446744073709551616",
            "-9223372036854775809",
            "123456789012345678901234567890123456789012345678901234567890",
        ])
        .prop_map(String::from),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        prop::sample::select(vec![
            "\"\"",
            "\"2024-01-01T00:00:00Z\"",
            "\"9999-99-99T99:99:99Z\"",
            "\"1.5s\"",
            "\"-315576000001s\"",
            "\"name,kafkaConfig.heapSize\"",
            "\"CLUSTER_STATUS_RUNNING\"",
            "\"NaN\"",
            "\"Infinity\"",
            "\"AAEC\"",
            "\"not base64!\"",
            "\"\\ud800\"",
            "\"-9223372036854775809\"",
            "\"../../etc/passwd\"",
            "\"a\\nb=c\"",
            "\"st-alpha\"",
        ])
        .prop_map(String::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((json_key(keys.clone()), inner), 0..6)
                .prop_map(|kv| object_text(&kv)),
        ]
    })
    .boxed()
}

/// A JSON object whose keys are mostly the body's own fields.
fn json_object(top: Vec<String>, keys: Vec<String>) -> BoxedStrategy<String> {
    let key = if top.is_empty() {
        json_key(keys.clone())
    } else {
        prop_oneof![4 => prop::sample::select(top), 1 => json_key(keys.clone())].boxed()
    };
    prop::collection::vec((key, json_text(keys)), 0..6)
        .prop_map(|kv| object_text(&kv))
        .boxed()
}

/// `{"a":{"a":…{}…}}`, `depth` levels.
fn nested(depth: usize) -> String {
    format!("{}{{}}{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

fn body(route: &Route, keys: Vec<String>) -> BoxedStrategy<Vec<u8>> {
    let top = route.body_keys.clone();
    let nest_key = prop::sample::select(keys.clone());
    // A Struct nested `depth` levels deep in a field that takes one.
    let deep_struct = if route.struct_paths.is_empty() {
        (1usize..200)
            .prop_map(|d| format!("{{\"labels\":{}}}", nested(d)).into_bytes())
            .boxed()
    } else {
        (prop::sample::select(route.struct_paths.clone()), 1usize..64)
            .prop_map(|(path, d)| {
                let mut json = nested(d);
                for key in path.iter().rev() {
                    json = format!("{{{}:{json}}}", serde_json::to_string(key).unwrap());
                }
                json.into_bytes()
            })
            .boxed()
    };
    prop_oneof![
        1 => Just(Vec::new()),
        2 => prop::collection::vec(any::<u8>(), 0..300),
        6 => json_object(top.clone(), keys.clone()).prop_map(String::into_bytes),
        // Truncated JSON.
        2 => (json_object(top.clone(), keys.clone()), any::<prop::sample::Index>()).prop_map(
            |(j, i)| {
                let cut = i.index(j.len().max(1));
                j.as_bytes()[..cut.min(j.len())].to_vec()
            }
        ),
        // Deep nesting: arrays, objects, a google.protobuf.Struct where one fits, a field
        // name over and over.
        1 => (1usize..20_000).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes()),
        1 => (1usize..5_000).prop_map(|d| nested(d).into_bytes()),
        3 => deep_struct,
        1 => (nest_key, 1usize..200).prop_map(|(k, d)| {
            let open = format!("{{{}:", serde_json::to_string(&k).unwrap());
            format!("{}{{}}{}", open.repeat(d), "}".repeat(d)).into_bytes()
        }),
        // Invalid UTF-8 inside a JSON string.
        1 => prop::collection::vec(0x80u8..=0xff, 1..8).prop_map(|bad| {
            let mut b = b"{\"name\":\"".to_vec();
            b.extend(bad);
            b.extend(b"\"}");
            b
        }),
        // Several documents: NDJSON (and garbage between lines).
        2 => prop::collection::vec(
            prop_oneof![
                4 => json_object(top, keys.clone()),
                1 => Just(String::new()),
                1 => any::<String>(),
            ],
            1..6
        )
        .prop_map(|lines| lines.join("\n").into_bytes()),
    ]
    .boxed()
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "st-alpha", "st-beta", "development", "tansu-dev", "0", "-1", "orders",
            "anonymous", "__consumer_offsets", "..", "%2F", "%2e%2e", "a%00b", "%",
        ])
        .prop_map(String::from),
        2 => "[a-z0-9._-]{1,20}",
        2 => any::<String>().prop_map(|s| encode(s.as_bytes())),
        // Bytes that are not UTF-8 once decoded.
        2 => prop::collection::vec(any::<u8>(), 0..24).prop_map(|b| encode(&b)),
        1 => (1usize..4000).prop_map(|n| "a".repeat(n)),
    ]
}

fn query(route: &Route, keys: Vec<String>) -> BoxedStrategy<String> {
    let mut own = route.query_keys.clone();
    own.extend(["", "a.b.c.d", "page_size.x", "tags.", "."].map(String::from));
    let key = prop_oneof![
        4 => prop::sample::select(own),
        1 => prop::sample::select(keys),
        1 => any::<String>(),
    ];
    let value = prop_oneof![
        prop::sample::select(vec![
            "",
            "true",
            "false",
            "1",
            "-1",
            "0",
            "NaN",
            "inf",
            "1e999",
            "0x10",
            "99999999999999999999999999",
            "-9223372036854775809",
            "18446744073709551616",
            "RUNNING",
            "CLUSTER_STATUS_RUNNING",
            "running",
            "2024-01-01T00:00:00Z",
            "1.5s",
            "garbage",
            "a,b",
            "AAEC",
            "====",
            "st-alpha",
        ])
        .prop_map(String::from),
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..16)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    prop_oneof![
        // Most routes take no query (or refuse one): leave it out half of the time.
        8 => Just(String::new()),
        6 => prop::collection::vec((key, value), 1..6).prop_map(|kv| {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &kv {
                ser.append_pair(k, v);
            }
            ser.finish()
        }),
        // Raw, not necessarily well-formed: bytes percent-encoded, stray '%', '&', '='.
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| encode(&b)),
        1 => "[%&=a-z0-9.]{0,30}",
    ]
    .boxed()
}

fn case(routes: Vec<Route>, keys: Vec<String>) -> impl Strategy<Value = Case> {
    (0..routes.len()).prop_flat_map(move |i| {
        let route = &routes[i];
        let method = prop_oneof![
            8 => Just(None),
            1 => prop::sample::select(vec![
                reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::PUT,
                reqwest::Method::PATCH, reqwest::Method::DELETE, reqwest::Method::HEAD,
                reqwest::Method::OPTIONS,
            ])
            .prop_map(Some),
        ];
        (
            Just(i),
            method,
            prop::collection::vec(segment(), 3),
            query(route, keys.clone()),
            body(route, keys.clone()),
            prop::sample::select(vec![
                "application/json",
                "application/x-ndjson",
                "text/plain",
                "",
            ]),
        )
            .prop_map(
                |(route, method, segments, query, body, content_type)| Case {
                    route,
                    method,
                    segments,
                    query,
                    body,
                    content_type,
                },
            )
    })
}

impl Case {
    fn url(&self, base: &str, route: &Route) -> String {
        let mut segments = self.segments.iter();
        let path: Vec<String> = route
            .path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    segments.next().cloned().unwrap_or_default()
                } else {
                    s.to_string()
                }
            })
            .collect();
        let mut url = format!("{base}{}", path.join("/"));
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url
    }
}

/// Sends one case; Err when the server failed it (5xx other than 501, a dropped
/// connection, an error that is not google.rpc.Status JSON).
async fn check(
    client: &reqwest::Client,
    base: &str,
    route: &Route,
    case: &Case,
) -> Result<(), String> {
    let method = case.method.clone().unwrap_or_else(|| route.method.clone());
    let url = case.url(base, route);
    let mut req = client.request(method.clone(), &url).body(case.body.clone());
    if !case.content_type.is_empty() {
        req = req.header("content-type", case.content_type);
    }
    if route.client_streaming {
        req = req.header("content-type", "application/x-ndjson");
    }
    let res = req
        .send()
        .await
        .map_err(|e| format!("{method} {url}: no answer: {e}"))?;
    let status = res.status();
    // `..` segments can lead out of the gateway, to the web page (`/`, `/ui/…`), whose
    // answers are not the gateway's to check.
    let gateway = !(res.url().path() == "/" || res.url().path().starts_with("/ui/"));
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if status.is_server_error() && status.as_u16() != 501 {
        let body = res.text().await.unwrap_or_default();
        return Err(format!("{method} {url}: {status} {body}"));
    }
    // An event stream may go on: its status is the answer.
    if content_type.starts_with("text/event-stream") || method == reqwest::Method::HEAD {
        return Ok(());
    }
    let body = res
        .bytes()
        .await
        .map_err(|e| format!("{method} {url}: body cut off: {e}"))?;
    if !status.is_success() && gateway {
        let json: Value = serde_json::from_slice(&body).map_err(|e| {
            format!(
                "{method} {url}: {status} with a body that is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })?;
        if !json["code"].is_i64() || !json["message"].is_string() {
            return Err(format!(
                "{method} {url}: {status} not a google.rpc.Status: {json}"
            ));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_decoding_never_fails_the_server() {
    let env = Env::start(Db::Sqlite).await.unwrap();
    let base = env.server.rest("");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    // Something for the random requests to find.
    for name in ["st-alpha", "st-beta"] {
        let res = client
            .post(env.server.rest("/clusters"))
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    let (pool, bindings) = gateway_bindings();
    let routes: Vec<Route> = bindings.iter().map(Route::of).collect();
    let cases: u32 = std::env::var("LKM_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    });
    let started = Instant::now();
    let handle = tokio::runtime::Handle::current();
    let strategy = case(routes.clone(), field_names(&pool));
    let result = tokio::task::block_in_place(|| {
        runner
            .run(&strategy, |case| {
                let route = &routes[case.route];
                handle
                    .block_on(check(&client, &base, route, &case))
                    .map_err(TestCaseError::fail)
            })
            .map_err(|e| e.to_string())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("{cases} random requests in {:?}", started.elapsed());

    // The server still answers, over gRPC and REST.
    let mut health = tonic_health::pb::health_client::HealthClient::new(env.server.channel().await);
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        serving.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    let res = client
        .get(env.server.rest("/clusters"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    env.finish().await;
}

/// Known cases that once failed (kept as plain checks, independent of the random search).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_bad_requests_get_json_errors() {
    let env = Env::start(Db::Sqlite).await.unwrap();
    let client = reqwest::Client::new();
    // A google.protobuf.Struct nested deeper than the services' decoder goes: it was a 500
    // (INTERNAL "failed to decode Protobuf message") before the gateway checked the depth.
    let mut inner = "{}".to_string();
    for _ in 0..40 {
        inner = format!("{{\"a\":{inner}}}");
    }
    let body = format!("{{\"name\":\"st-deep\",\"uiConfig\":{{\"clustersConfig\":{inner}}}}}");
    let res = client
        .post(env.server.rest("/clusters"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["code"], 3, "{json}");
    // A method a route does not serve: 405 with Allow, in JSON (it was an empty body).
    let res = client
        .post(env.server.rest("/clusters/x/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert!(res.headers().contains_key("allow"));
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["code"], 12, "{json}");
    // A path variable that is not UTF-8 once decoded: 400 in JSON (it was text/plain).
    let res = client
        .get(env.server.rest("/clusters/%FF%FE"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["code"], 3, "{json}");
    env.finish().await;
}

// ---- schemathesis -------------------------------------------------------------------------

/// The schemathesis CLI, or None (after `skip`) when it is not installed.
fn schemathesis() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("schemathesis"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        common::skip("schemathesis is not installed (pip install schemathesis==4.32.5)");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_contradiction() {
    let Some(st) = schemathesis() else { return };
    let env = Env::start(Db::Sqlite).await.unwrap();
    let client = reqwest::Client::new();
    for name in ["st-alpha", "st-beta", "st-gamma"] {
        let res = client
            .post(env.server.rest("/clusters"))
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    // Dictionaries of real names, so part of the generated requests reach existing
    // resources (the rest are random and mostly refused, which is checked too).
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        r#"
[dictionaries.clusters]
values = ["st-alpha", "st-beta", "st-gamma"]

[dictionaries.templates]
values = ["development", "testing", "tansu-dev", "st-template"]

[dictionaries.names]
values = ["st-new", "st-other", "st-template"]

[parameters]
"path.cluster_id" = { dictionary = "clusters", probability = 0.7 }
"path.template_id" = { dictionary = "templates", probability = 0.7 }
"body.name" = { dictionary = "names", probability = 0.5 }
"body.templateId" = { dictionary = "templates", probability = 0.5 }
"body.sourceClusterId" = { dictionary = "clusters", probability = 0.7 }
"body.targetClusterId" = { dictionary = "clusters", probability = 0.7 }
"query.cluster_id" = { dictionary = "clusters", probability = 0.7 }
"query.source_cluster_id" = { dictionary = "clusters", probability = 0.7 }
"query.target_cluster_id" = { dictionary = "clusters", probability = 0.7 }
"#,
    )
    .unwrap();
    let hooks =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis/hooks.py");
    let examples = std::env::var("LKM_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into());
    let mut cmd = tokio::process::Command::new(st);
    cmd.current_dir(dir.path())
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .arg("--config-file")
        .arg(&config)
        .args(["run", &env.server.rest("/openapi.json")])
        .args(["--max-examples", &examples])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
        ])
        .args(["--request-timeout", "10", "--generation-database", "none"])
        // An event stream that never ends by itself (it follows the clusters until the
        // client leaves) cannot be read to its end; the random-request test covers it.
        .args(["--exclude-path", "/events/clusters"])
        .args(["--no-color", "--workers", "2"])
        .kill_on_drop(true);
    if let Ok(seed) = std::env::var("LKM_SCHEMATHESIS_SEED") {
        cmd.args(["--seed", &seed]);
    }
    let started = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("schemathesis did not finish in 5 minutes")
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("schemathesis ran for {:?}", started.elapsed());
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    // The summary, for the test log.
    if let Some(at) = stdout.find("SUMMARY") {
        eprintln!("{}", &stdout[at..]);
    }
    env.finish().await;
}
