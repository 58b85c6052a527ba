//! Defence against web pages in the user's browser, with authentication off (allowed on
//! loopback) and on: bodies a page can send without a CORS preflight (text/plain, forms),
//! changes from a foreign Origin, and DNS rebinding (a Host lkm does not serve) are refused and
//! change nothing; lkm's own pages, configured origins and hosts, and ordinary clients pass.

mod common;

use common::{Db, Env, admin_token, with_token as authed};
use lkm::config::Config;
use lkm::pb::*;
use prost::Message;
use reqwest::header::{CONTENT_TYPE, HOST, ORIGIN};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tonic::Code;

struct Server {
    env: Env,
    /// The admin token, with authentication on.
    token: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(auth: bool, tweak: impl FnOnce(&mut Config)) -> Server {
        let env = Env::start_with(Db::Sqlite, |c| {
            c.auth = auth;
            tweak(c);
        })
        .await
        .unwrap();
        Server {
            token: admin_token(&env.server.config),
            env,
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, self.env.server.rest(path));
        if self.token.is_empty() {
            req
        } else {
            req.bearer_auth(&self.token)
        }
    }

    /// `host:port` of the listener.
    fn authority(&self) -> String {
        self.env.server.addr.to_string()
    }

    fn own_origin(&self) -> String {
        format!("http://{}", self.authority())
    }

    async fn cluster_names(&self) -> Vec<String> {
        let list = ListClustersRequest::default();
        let mut clusters = self.env.server.clusters().await;
        let res = clusters.list_clusters(authed(&self.token, list)).await;
        let mut names: Vec<String> = res
            .unwrap()
            .into_inner()
            .clusters
            .into_iter()
            .map(|c| c.name)
            .collect();
        names.sort();
        names
    }

    async fn create(&self, name: &str) {
        let res = self
            .request(Method::POST, "/clusters")
            .json(&cluster_body(name))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }

    async fn finish(self) {
        self.env.finish().await;
    }
}

fn cluster_body(name: &str) -> Value {
    json!({"name": name, "templateId": "testing", "autoStart": false})
}

/// Asserts a refusal: `status`, and the gRPC `code` in a google.rpc.Status JSON body whose
/// message mentions `says`.
async fn refused(res: reqwest::Response, status: StatusCode, code: Code, says: &str) {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code as i32, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_a_page_can_send_without_preflight_are_refused() {
    for auth in [false, true] {
        let s = Server::start(auth, |_| {}).await;
        let json_text = cluster_body("sneaky").to_string();
        // text/plain carrying JSON, forms: what a page may POST anywhere without asking.
        for (content_type, body) in [
            ("text/plain", json_text.clone()),
            ("text/plain;charset=UTF-8", json_text.clone()),
            (
                "application/x-www-form-urlencoded",
                "name=sneaky&templateId=testing".to_string(),
            ),
            (
                "multipart/form-data; boundary=x",
                "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nsneaky\r\n--x--\r\n"
                    .to_string(),
            ),
        ] {
            let res = s
                .request(Method::POST, "/clusters")
                .header(CONTENT_TYPE, content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            refused(
                res,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::InvalidArgument,
                "application/json",
            )
            .await;
        }
        // A body without a content type is not JSON either.
        let res = s
            .request(Method::POST, "/clusters")
            .body(json_text.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "auth {auth}"
        );
        assert!(
            s.cluster_names().await.is_empty(),
            "auth {auth}: nothing created"
        );

        // JSON passes, with or without a charset; so does a body-less POST.
        s.create("kept").await;
        let res = s
            .request(Method::POST, "/clusters")
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(cluster_body("also").to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "auth {auth}");
        let res = s
            .request(Method::POST, "/clusters/kept/stop")
            .send()
            .await
            .unwrap();
        assert_ne!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "auth {auth}"
        );

        // The gRPC paths want gRPC: a DeleteCluster framed as gRPC but sent as text/plain
        // (HTTP/2, as gRPC runs) deletes nothing.
        let message = DeleteClusterRequest {
            cluster_id: "kept".into(),
            force: true,
            keep_data: false,
        }
        .encode_to_vec();
        let mut frame = vec![0u8];
        frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
        frame.extend_from_slice(&message);
        let h2 = reqwest::Client::builder()
            .http2_prior_knowledge()
            .build()
            .unwrap();
        let mut req = h2
            .post(s.env.server.rest("/lkm.v1.ClusterService/DeleteCluster"))
            .header(CONTENT_TYPE, "text/plain")
            .body(frame);
        if auth {
            req = req.bearer_auth(&s.token);
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "auth {auth}"
        );
        assert_eq!(s.cluster_names().await, ["also", "kept"], "auth {auth}");
        s.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_from_a_foreign_origin_are_refused() {
    for auth in [false, true] {
        let s = Server::start(auth, |c| {
            c.cors_allowed_origins = vec!["https://tools.example".into()];
        })
        .await;
        s.create("target").await;
        for origin in [
            "https://evil.example",
            "null",
            "http://127.0.0.1.evil.example",
        ] {
            let res = s
                .request(Method::DELETE, "/clusters/target")
                .header(ORIGIN, origin)
                .send()
                .await
                .unwrap();
            refused(res, StatusCode::FORBIDDEN, Code::PermissionDenied, "origin").await;
            let res = s
                .request(Method::POST, "/clusters")
                .header(ORIGIN, origin)
                .json(&cluster_body("planted"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "auth {auth}: {origin}");
        }
        assert_eq!(
            s.cluster_names().await,
            ["target"],
            "auth {auth}: unchanged"
        );

        // Reading from a foreign page is CORS's business (the browser hides the answer).
        let res = s
            .request(Method::GET, "/clusters")
            .header(ORIGIN, "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        // lkm's own pages (the dashboard) and a configured origin may change things.
        s.create("second").await;
        for (origin, name) in [
            (s.own_origin(), "target"),
            ("https://tools.example".into(), "second"),
        ] {
            let res = s
                .request(Method::DELETE, &format!("/clusters/{name}"))
                .header(ORIGIN, origin.as_str())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "auth {auth}: {origin}");
        }
        assert!(s.cluster_names().await.is_empty(), "auth {auth}");
        s.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_lkm_does_not_serve_are_refused() {
    for auth in [false, true] {
        let s = Server::start(auth, |c| c.allowed_hosts = vec!["lkm.internal".into()]).await;
        s.create("existing").await;
        let port = s.env.server.addr.port();
        // A rebinding page's requests name the page's host: refused, reads and the page too.
        for (method, path) in [
            (Method::GET, "/clusters"),
            (Method::GET, "/"),
            (Method::DELETE, "/clusters/existing"),
        ] {
            for host in ["evil.example".to_string(), format!("evil.example:{port}")] {
                let res = s
                    .request(method.clone(), path)
                    .header(HOST, host.as_str())
                    .send()
                    .await
                    .unwrap();
                refused(
                    res,
                    StatusCode::FORBIDDEN,
                    Code::PermissionDenied,
                    "allowed_hosts",
                )
                .await;
            }
        }
        assert_eq!(s.cluster_names().await, ["existing"], "auth {auth}");
        // Loopback names and addresses, the listen address and allowed_hosts pass.
        for host in [
            format!("localhost:{port}"),
            format!("LocalHost:{port}"),
            format!("[::1]:{port}"),
            format!("127.0.0.1:{port}"),
            format!("lkm.internal:{port}"),
            "LKM.internal".to_string(),
        ] {
            let res = s
                .request(Method::GET, "/clusters")
                .header(HOST, host.as_str())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "auth {auth}: {host}");
        }
        // gRPC callers too: the authority of an HTTP/2 request is its host.
        let foreign = tonic::transport::Endpoint::from_shared(s.env.server.url())
            .unwrap()
            .origin("http://evil.example".parse().unwrap())
            .connect()
            .await
            .unwrap();
        let err = lkm::pb::cluster_service_client::ClusterServiceClient::new(foreign)
            .list_clusters(authed(&s.token, ListClustersRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{}", err.message());
        assert!(err.message().contains("allowed_hosts"), "{}", err.message());
        s.finish().await;
    }
}

#[test]
fn allowed_hosts_are_host_names() {
    for bad in [
        "http://lkm.internal",
        "lkm.internal:8000",
        "lkm/x",
        "",
        "a@b",
    ] {
        let c = Config {
            allowed_hosts: vec![bad.into()],
            ..Config::default()
        };
        assert!(c.validate().is_err(), "{bad:?}");
    }
    let c = Config {
        allowed_hosts: vec!["lkm.internal".into(), "10.0.0.5".into(), "[fd00::1]".into()],
        ..Config::default()
    };
    c.validate().unwrap();
}
