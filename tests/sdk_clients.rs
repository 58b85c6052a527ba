//! The generated client SDKs in clients/, run against a live server: the Python SDK's pytest
//! suite and the TypeScript SDK's node:test suite (including server-streaming calls over gRPC
//! and gRPC-web) talk to an lkm started in-process with the process runtime (tansu brokers);
//! and the committed generated code must match proto/ (scripts/check-clients).
//!
//! The SDKs' tools come from `clients/ci-setup` (pinned pip packages, `npm ci`); without them
//! these tests say `skipped: …` (a failure under LKM_TEST_REQUIRE_ALL=1).

mod common;

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{Db, Env};
use lkm::config::RuntimeKind;
use tokio::process::Command;

/// How long one SDK suite may take (nextest ends a test after 5 minutes).
const SUITE_TIMEOUT: Duration = Duration::from_secs(240);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn env() -> Option<Env> {
    let tansu = common::tansu_binary()?;
    Env::start_with(Db::Sqlite, |c| {
        c.runtime = RuntimeKind::Process;
        c.tansu_binary = tansu.display().to_string();
        c.auth = true;
    })
    .await
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
/// data directory for token discovery) and asserts it succeeds, showing its output otherwise.
async fn run_suite(env: &Env, what: &str, mut cmd: Command) {
    cmd.env("LKM_TEST_SERVER", env.server.url())
        .env("LKM_TEST_TOKEN", admin_token(env))
        .env("LKM_DATA_DIR", &env.server.config.data_dir)
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
