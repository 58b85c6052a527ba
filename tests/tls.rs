//! The listener speaks TLS when given a certificate and key: REST (HTTP/1.1 and HTTP/2 by
//! ALPN) over HTTPS works, plain HTTP on the same port does not.

mod common;

use common::{Db, Env};

/// A server whose listener speaks TLS with a fresh self-signed certificate for `localhost`
/// (`cert.pem` and `key.pem` in the returned directory).
async fn tls_env() -> (Env, rcgen::CertifiedKey, tempfile::TempDir) {
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
    (env, cert, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_speaks_tls() {
    let (env, cert, _dir) = tls_env().await;
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

/// The `lkm` binary against a TLS listener: gRPC over HTTPS (HTTP/2 by ALPN) with the
/// self-signed certificate trusted by --ca-cert; without it the certificate is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_speaks_tls() {
    let (env, _cert, dir) = tls_env().await;
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let server = format!("https://localhost:{}", env.server.addr.port());
    let data_dir = env.server.config.data_dir.clone();
    let lkm = |extra: &[&std::ffi::OsStr]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_lkm"));
        c.arg("--server").arg(&server).args(extra);
        if let Ok(t) = std::fs::read_to_string(data_dir.join("admin.token"))
            && !t.trim().is_empty()
        {
            c.arg("--token").arg(t.trim());
        }
        c.args(["templates", "list", "-o", "json"])
            .env_remove("LKM_SERVER")
            .env_remove("LKM_TOKEN")
            .env_remove("LKM_CA_CERT")
            .env_remove("LKM_TLS_SERVER_NAME")
            .env("LKM_DATA_DIR", &data_dir)
            .stdin(std::process::Stdio::null());
        async move {
            tokio::task::spawn_blocking(move || c.output().unwrap())
                .await
                .unwrap()
        }
    };

    let out = lkm(&["--ca-cert".as_ref(), cert_path.as_os_str()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "lkm failed: {out:?} {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["templates"].as_array().is_some_and(|t| !t.is_empty()),
        "{v}"
    );

    let out = lkm(&[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("certificate") && stderr.contains("--ca-cert"),
        "{stderr}"
    );

    // A file that is not a PEM certificate is named in the message.
    let out = lkm(&["--ca-cert".as_ref(), key_path.as_os_str()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(&key_path.display().to_string()), "{stderr}");
    env.finish().await;
}
