//! The generated client SDKs in clients/, run against a live server: the Python SDK's pytest
//! suite and the TypeScript SDK's node:test suite (including server-streaming calls over gRPC
//! and gRPC-web) talk to an lkm started in-process with the process runtime (tansu brokers);
//! the web build does the same from a page in headless Chromium (cross-origin, through lkm's
//! CORS layer); and the committed generated code must match proto/ (scripts/check-clients).
//!
//! The SDKs' tools come from `clients/ci-setup` (pinned pip packages, `npm ci`), the browser's
//! from `web/ci-setup` (Debian's chromium, playwright-core); without them these tests say
//! `skipped: …` (a failure under LKM_TEST_REQUIRE_ALL=1).

mod common;

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{Db, Env};
use tokio::process::Command;

/// How long one SDK suite may take (nextest ends a test after 5 minutes).
const SUITE_TIMEOUT: Duration = Duration::from_secs(240);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn env() -> Option<Env> {
    Env::with_test_broker(Db::Sqlite, |c| c.auth = true).await
}

/// The admin token the server wrote to its data directory (authentication is on here).
fn admin_token(env: &Env) -> String {
    let token = common::admin_token(&env.server.config);
    assert!(!token.is_empty(), "the server wrote no admin.token");
    token
}

/// Runs `cmd` in the repository (killed after SUITE_TIMEOUT) and returns its output.
async fn run(mut cmd: Command) -> Output {
    cmd.current_dir(repo())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let shown = format!("{cmd:?}");
    match tokio::time::timeout(SUITE_TIMEOUT, cmd.output()).await {
        Ok(out) => out.unwrap_or_else(|e| panic!("cannot run {shown}: {e}")),
        Err(_) => panic!("{shown} did not finish within {SUITE_TIMEOUT:?}"),
    }
}

/// Runs `cmd` with the live server's coordinates (LKM_TEST_SERVER, LKM_TEST_TOKEN, and its
/// data directory for token discovery) and asserts it succeeds, showing its output otherwise;
/// returns the output.
async fn run_suite(env: &Env, what: &str, mut cmd: Command) -> String {
    cmd.env("LKM_TEST_SERVER", env.server.url())
        .env("LKM_TEST_TOKEN", admin_token(env))
        .env("LKM_DATA_DIR", &env.server.config.data_dir)
        .env("LKM_TEST_TEMPLATE", common::broker_template())
        .env_remove("LKM_TOKEN")
        .env_remove("LKM_SERVER");
    let out = run(cmd).await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    eprintln!("{text}");
    text
}

/// Whether `program args…` runs and exits 0.
async fn works(program: &str, args: &[&str]) -> bool {
    let mut cmd = Command::new(program);
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    run(cmd).await.status.success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_against_live_server() {
    if !works("python3", &["-c", "import grpc, google.protobuf, pytest"]).await {
        common::skip("python3 with grpcio, protobuf and pytest (run clients/ci-setup)");
        return;
    }
    let Some(env) = env().await else { return };
    let mut pytest = Command::new("python3");
    pytest.args([
        "-m",
        "pytest",
        "clients/python/tests",
        "-q",
        "-p",
        "no:cacheprovider",
    ]);
    run_suite(&env, "pytest clients/python/tests", pytest).await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_against_live_server() {
    let ts = repo().join("clients/typescript");
    if !works("node", &["--version"]).await || !ts.join("node_modules/.bin/tsc").exists() {
        common::skip("node and clients/typescript/node_modules (run clients/ci-setup)");
        return;
    }
    // The tests import the built package: build it from the current sources first.
    let mut build = Command::new("node");
    build.args([
        "clients/typescript/node_modules/typescript/bin/tsc",
        "-p",
        "clients/typescript",
    ]);
    let out = run(build).await;
    assert!(
        out.status.success(),
        "tsc -p clients/typescript failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let Some(env) = env().await else { return };
    let mut node = Command::new("node");
    node.args(["--test", "clients/typescript/test/"]);
    run_suite(&env, "node --test clients/typescript/test/", node).await;
    env.finish().await;
}

/// The origin the browser test's page is served from (by playwright, from disk).
const BROWSER_ORIGIN: &str = "https://sdk.test";

/// The TypeScript SDK's web build in headless Chromium (Debian's, driven by playwright-core
/// from web/node_modules, as tests/dashboard.rs): a page from another origin calls lkm over
/// gRPC-web with the admin token (CORS, unary, server streaming, errors, no token, a refused
/// origin). Tools from `web/ci-setup` and `clients/ci-setup`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_in_headless_chromium() {
    let ts = repo().join("clients/typescript");
    if !works("node", &["--version"]).await || !ts.join("node_modules/.bin/tsc").exists() {
        common::skip("node and clients/typescript/node_modules (run clients/ci-setup)");
        return;
    }
    let chromium = std::env::var_os("LKM_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        common::skip(&format!(
            "{} is missing (Debian package chromium; web/ci-setup installs it)",
            chromium.display()
        ));
        return;
    }
    if !repo()
        .join("web/node_modules/playwright-core/package.json")
        .is_file()
    {
        common::skip("playwright-core is not installed in web/ (run web/ci-setup)");
        return;
    }
    // The page imports the built package: build it from the current sources first, into a
    // directory of its own (typescript_sdk_against_live_server rebuilds dist/ meanwhile).
    let dist = tempfile::tempdir().unwrap();
    let mut build = Command::new("node");
    build
        .args([
            "clients/typescript/node_modules/typescript/bin/tsc",
            "-p",
            "clients/typescript",
            "--outDir",
        ])
        .arg(dist.path());
    let out = run(build).await;
    assert!(
        out.status.success(),
        "tsc -p clients/typescript failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let Some(env) = Env::with_test_broker(Db::Sqlite, |c| {
        c.auth = true;
        c.cors_allowed_origins = vec![BROWSER_ORIGIN.into()];
    })
    .await
    else {
        return;
    };
    let mut node = Command::new("node");
    node.args([
        "--test",
        "--test-reporter=tap",
        "clients/typescript/test/browser.test.mjs",
    ])
    .env("LKM_TEST_BROWSER_ORIGIN", BROWSER_ORIGIN)
    .env("LKM_TEST_SDK_DIST", dist.path())
    .env("LKM_TEST_CHROMIUM", &chromium);
    let text = run_suite(
        &env,
        "node --test clients/typescript/test/browser.test.mjs",
        node,
    )
    .await;
    env.finish().await;
    // The file skips its tests (TAP: "# SKIP <why>") when something it needs is missing.
    let passed: Option<u64> = text
        .lines()
        .find_map(|l| l.strip_prefix("# pass "))
        .and_then(|n| n.trim().parse().ok());
    if text.contains("# SKIP") || passed.unwrap_or(0) == 0 {
        common::skip(&format!("the browser tests did not run:\n{text}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_sdk_code_is_up_to_date() {
    let out = run(Command::new(repo().join("scripts/check-clients"))).await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Exit 2: the pinned generators are not installed.
    if out.status.code() == Some(2) {
        common::skip(&format!("SDK generators (run clients/ci-setup): {text}"));
        return;
    }
    assert!(
        out.status.success(),
        "the generated SDK code under clients/ does not match proto/:\n{text}"
    );
}
