//! The listener speaks TLS when given a certificate and key: REST (HTTP/1.1 and HTTP/2 by
//! ALPN) over HTTPS works, plain HTTP on the same port does not.

mod common;

use common::{Db, Env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_speaks_tls() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let (c, k) = (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    );
    let env = Env::start_with(Db::Sqlite, move |cfg| {
        cfg.tls_cert = c;
        cfg.tls_key = k;
    })
    .await
    .unwrap();
    let port = env.server.addr.port();
    let root = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    for http2 in [false, true] {
        let mut b = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(root.clone())
            .resolve("localhost", env.server.addr);
        b = if http2 {
            b.http2_prior_knowledge()
        } else {
            b.http1_only()
        };
        let res = b
            .build()
            .unwrap()
            .get(format!("https://localhost:{port}/templates"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let v: serde_json::Value = res.json().await.unwrap();
        assert!(v["templates"].as_array().is_some_and(|t| !t.is_empty()));
    }
    // Plain HTTP is not served on a TLS listener.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/templates"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    env.finish().await;
}
