//! The web dashboard served by lkm: the page and its assets (content types, validators, 404s,
//! every module import resolving), REST routes untouched by it, and the whole story in
//! headless Chromium against real clusters (web/tests/e2e.mjs, playwright-core).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use common::{Db, Env};

const JS: &str = "text/javascript; charset=utf-8";

fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The module specifiers a script imports relative to itself (`from './x.js'`).
fn relative_imports(source: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?m)(?:from|import)\s*['"](\.{1,2}/[^'"]+)['"]"#).unwrap();
    re.captures_iter(source).map(|c| c[1].to_string()).collect()
}

/// `/ui/views/x.js` + `../api.js` → `/ui/api.js`.
fn resolve(from: &str, spec: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in spec.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_and_assets_are_served_and_rest_routes_still_answer_json() {
    let Some(env) = Env::start(Db::Sqlite).await else {
        return;
    };
    let http = reqwest::Client::new();

    // The page.
    let res = http.get(env.server.rest("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(content_type(&res), "text/html; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(res.headers().contains_key("etag"));
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/ui/app.js">"#));
    assert!(html.contains(r#"href="/ui/style.css""#));
    assert!(html.contains(r##"<a href="#/access" data-nav="access">Access</a>"##));
    assert!(html.contains(r##"<a href="#/templates" data-nav="templates">Templates</a>"##));
    let head = http.head(env.server.rest("/")).send().await.unwrap();
    assert_eq!(head.status(), 200);

    // Assets, with their types.
    for (path, ty) in [
        ("/ui/app.js", JS),
        ("/ui/views/cluster.js", JS),
        ("/ui/style.css", "text/css; charset=utf-8"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let res = http.get(env.server.rest(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(content_type(&res), ty, "{path}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        // Revalidation: the same ETag gives 304 without a body.
        let etag = res.headers()["etag"].clone();
        let again = http
            .get(env.server.rest(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }

    // Every module the page loads resolves to a served script (no broken import).
    let mut seen = BTreeSet::new();
    let mut queue = vec!["/ui/app.js".to_string()];
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let res = http.get(env.server.rest(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path} is imported but not served");
        assert_eq!(content_type(&res), JS, "{path}");
        let source = res.text().await.unwrap();
        for spec in relative_imports(&source) {
            queue.push(resolve(&path, &spec));
        }
    }
    assert!(seen.len() >= 8, "modules: {seen:?}");
    assert!(seen.contains("/ui/views/operations.js"), "{seen:?}");
    assert!(seen.contains("/ui/views/templates.js"), "{seen:?}");

    // Unknown assets: 404 with a google.rpc.Status body.
    for path in ["/ui/nope.js", "/ui/views/", "/ui/%2e%2e/Cargo.toml"] {
        let res = http.get(env.server.rest(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(content_type(&res), "application/json", "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], 5, "{path}");
    }

    // The REST gateway is untouched: JSON answers, JSON errors.
    for path in ["/clusters", "/templates", "/operations"] {
        let res = http.get(env.server.rest(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(content_type(&res), "application/json", "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body.is_object(), "{path}: {body}");
    }
    let templates: serde_json::Value = http
        .get(env.server.rest("/templates"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        templates["templates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "tansu-dev"),
        "{templates}"
    );
    for (method, path, status) in [
        ("GET", "/clusters/nope", 404),
        // Legacy routes: answered by the gateway (no default cluster here).
        ("GET", "/topics", 400),
        ("POST", "/produce", 400),
        ("GET", "/consume?topic=x", 400),
        ("GET", "/no/such/route", 404),
    ] {
        let res = http
            .request(method.parse().unwrap(), env.server.rest(path))
            .header("content-type", "application/json")
            .body(if method == "POST" {
                r#"{"topic": "x", "records": [{"value": {"text": "v"}}]}"#
            } else {
                ""
            })
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{method} {path}");
        assert_eq!(content_type(&res), "application/json", "{method} {path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["message"].is_string(), "{method} {path}: {body}");
    }
    // The cluster events the overview and a cluster's page follow: Server-Sent Events, the
    // snapshot (none here) then SYNCED.
    let mut res = http
        .get(env.server.rest("/events/clusters"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        content_type(&res).starts_with("text/event-stream"),
        "{}",
        content_type(&res)
    );
    let mut text = String::new();
    let synced = tokio::time::timeout(Duration::from_secs(10), async {
        while !text.contains("CLUSTER_EVENT_TYPE_SYNCED") {
            match res.chunk().await.unwrap() {
                Some(chunk) => text.push_str(&String::from_utf8_lossy(&chunk)),
                None => break,
            }
        }
    })
    .await;
    assert!(synced.is_ok() && text.contains("event: message"), "{text}");
    drop(res);

    let res = http
        .post(env.server.rest("/clusters"))
        .header("content-type", "application/json")
        .body(r#"{"name": "Not Valid"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(content_type(&res), "application/json");

    // And gRPC still answers on the same port.
    let list = env
        .server
        .clusters()
        .await
        .list_clusters(lkm::pb::ListClustersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.total_size, 0);

    env.finish().await;
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the end-to-end test's screenshots are kept.
fn screenshot_dir() -> PathBuf {
    manifest_dir().join("target").join("dashboard-screenshots")
}

/// What the browser test needs besides lkm: Node.js, Chromium and playwright-core (installed
/// by `web/ci-setup`). None, after `common::skip`, when something is missing.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("LKM_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        common::skip(&format!(
            "{} is missing (Debian package chromium; web/ci-setup installs it)",
            chromium.display()
        ));
        return None;
    }
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        common::skip("node is not installed (web/ci-setup needs Node.js and npm)");
        return None;
    }
    let web = manifest_dir().join("web");
    if !web
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        common::skip("playwright-core is not installed in web/ (run web/ci-setup)");
        return None;
    }
    Some((chromium, web))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dashboard_end_to_end_in_headless_chromium() {
    let Some((chromium, web)) = browser_tools() else {
        return;
    };
    let Some(env) = Env::with_test_broker(Db::Sqlite, |c| {
        // Tested as users meet it: every call carries the admin token.
        c.auth = true;
    })
    .await
    else {
        return;
    };
    let shots = screenshot_dir();
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let token = common::admin_token(&env.server.config);
    assert!(!token.is_empty(), "the server wrote no admin.token");

    let run = tokio::process::Command::new("node")
        .arg("tests/e2e.mjs")
        .current_dir(&web)
        .env("LKM_TEST_URL", env.server.url())
        .env("LKM_TEST_TOKEN", &token)
        .env("LKM_TEST_SCREENSHOTS", &shots)
        .env("LKM_TEST_CHROMIUM", &chromium)
        .env("LKM_TEST_NAME_PREFIX", common::unique_name("ui"))
        .env("LKM_TEST_TEMPLATE", common::broker_template())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), run).await;
    env.finish().await;
    let out = out
        .expect("the browser test did not finish within 5 minutes")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "the browser test failed (screenshots in {})",
        shots.display()
    );
    assert!(stdout.contains("dashboard e2e passed"), "{stdout}");
    let pictures = std::fs::read_dir(&shots)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .count();
    assert!(
        pictures >= 10,
        "{pictures} screenshots in {}",
        shots.display()
    );
}
