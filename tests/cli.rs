//! The `lkm` command line as a user runs it: the real binary against a live lkm server
//! (tansu brokers run as local processes), checking what it prints and its exit codes.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;

use common::{Db, Env};
use lkm::config::Config;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// How to call the binary against one server.
struct Lkm {
    server: String,
    token: Option<String>,
    data_dir: PathBuf,
}

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, 0, "lkm failed: {self:?}");
        self
    }

    #[track_caller]
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:?}"))
    }
}

impl Lkm {
    /// The server's address and its admin token (when it wrote one).
    fn new(env: &Env) -> Lkm {
        let data_dir = env.server.config.data_dir.clone();
        let token = std::fs::read_to_string(data_dir.join("admin.token"))
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        Lkm {
            server: env.server.url(),
            token,
            data_dir,
        }
    }

    /// The binary with --server and --token given explicitly, and no LKM_* settings of the
    /// machine leaking in.
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_lkm"));
        c.arg("--server").arg(&self.server);
        if let Some(t) = &self.token {
            c.arg("--token").arg(t);
        }
        c.args(args)
            .env_remove("LKM_SERVER")
            .env_remove("LKM_TOKEN")
            .env("LKM_DATA_DIR", &self.data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    async fn run(&self, args: &[&str]) -> Run {
        finish(self.command(args)).await
    }

    async fn run_with_input(&self, args: &[&str], input: &[u8]) -> Run {
        let mut c = self.command(args);
        c.stdin(Stdio::piped());
        let mut child = c.spawn().expect("run lkm");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).await.expect("write stdin");
        drop(stdin);
        let out = child.wait_with_output().await.expect("lkm output");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

async fn finish(mut c: tokio::process::Command) -> Run {
    let out = c.output().await.expect("run lkm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Authentication on (the server then writes `admin.token`), so the CLI runs the way users
/// run it.
fn with_auth(c: &mut Config) {
    c.auth = true;
}

async fn broker_env() -> Option<Env> {
    Env::with_test_broker(Db::Sqlite, with_auth).await
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_produce_consume_migrate_compare_delete() {
    let Some(env) = broker_env().await else {
        return;
    };
    let lkm = Lkm::new(&env);

    // A cluster from the tansu template, running once the command returns.
    let created = lkm
        .run(&[
            "clusters",
            "create",
            "src",
            "--template",
            common::broker_template(),
        ])
        .await
        .ok();
    assert!(created.stdout.contains("RUNNING"), "{created:?}");
    let status = lkm.run(&["clusters", "status", "src"]).await.ok();
    assert!(status.stdout.contains("RUNNING"), "{status:?}");
    assert!(status.stdout.contains("broker-1"), "{status:?}");
    let status = lkm
        .run(&["clusters", "status", "src", "-o", "json"])
        .await
        .ok();
    assert_eq!(status.json()["status"], "CLUSTER_STATUS_RUNNING");

    let topic = lkm
        .run(&["topics", "create", "src", "orders", "--partitions", "2"])
        .await
        .ok();
    assert!(topic.stdout.contains("2 partitions"), "{topic:?}");

    // Lines from stdin, some with keys.
    let mut input = String::new();
    for i in 0..150 {
        input.push_str(&format!("line-{i}\n"));
    }
    for i in 0..50 {
        input.push_str(&format!("k{i}:keyed-{i}\n"));
    }
    let produced = lkm
        .run_with_input(
            &["produce", "src", "orders", "--key-separator", ":"],
            input.as_bytes(),
        )
        .await
        .ok();
    assert!(
        produced.stdout.contains("produced 200 records to orders"),
        "{produced:?}"
    );

    // Back, as plain values and as a table.
    let values = lkm
        .run(&["consume", "src", "orders", "--values", "-n", "1000"])
        .await
        .ok();
    let expected: BTreeSet<String> = (0..150)
        .map(|i| format!("line-{i}"))
        .chain((0..50).map(|i| format!("keyed-{i}")))
        .collect();
    assert_eq!(lines(&values.stdout), expected);
    let table = lkm
        .run(&["consume", "src", "orders", "--partition", "0", "-n", "1000"])
        .await
        .ok();
    let header = table.stdout.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("PARTITION") && header.contains("KEY") && header.contains("VALUE"),
        "{table:?}"
    );
    let json = lkm
        .run(&["consume", "src", "orders", "-n", "1000", "-o", "json"])
        .await
        .ok();
    let records = json.json()["records"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(records.len(), 200);
    assert!(
        records
            .iter()
            .any(|r| r["key"]["text"] == "k7" && r["value"]["text"] == "keyed-7"),
        "{records:?}"
    );
    // A group reads a few and commits them.
    lkm.run(&[
        "consume", "src", "orders", "--group", "billing", "-p", "0", "-n", "5",
    ])
    .await
    .ok();
    let groups = lkm.run(&["groups", "list", "src", "-o", "json"]).await.ok();
    assert!(
        groups.json()["groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g["groupId"] == "billing")),
        "{groups:?}"
    );

    // A second cluster; the plan, then the migration with its progress.
    lkm.run(&["clusters", "create", "dst", "-t", common::broker_template()])
        .await
        .ok();
    let plan = lkm.run(&["migrate", "src", "dst", "--dry-run"]).await.ok();
    assert!(plan.stdout.contains("orders"), "{plan:?}");
    assert!(plan.stdout.contains("create"), "{plan:?}");
    let migrated = lkm
        .run(&["migrate", "src", "dst", "--include-consumer-groups"])
        .await
        .ok();
    // Not a terminal: plain progress lines on stderr, the result on stdout.
    assert!(
        migrated
            .stderr
            .lines()
            .any(|l| l.contains("orders") && l.contains("200/200 records (100%)")),
        "{migrated:?}"
    );
    assert!(
        !migrated.stderr.contains('\u{1b}'),
        "escape codes: {migrated:?}"
    );
    assert!(migrated.stdout.contains("SUCCEEDED"), "{migrated:?}");
    assert!(migrated.stdout.contains("Verified"), "{migrated:?}");
    assert!(migrated.stdout.contains("billing"), "{migrated:?}");

    // Equal now, structure and data.
    let compared = lkm
        .run(&["compare", "src", "dst", "--data", "--exit-code"])
        .await
        .ok();
    assert!(compared.stdout.contains("No differences."), "{compared:?}");
    assert!(compared.stdout.contains("identical"), "{compared:?}");
    let compared = lkm
        .run(&["compare", "src", "dst", "--data", "-o", "json"])
        .await
        .ok();
    assert_eq!(compared.json()["summary"]["identical"], true);
    let copied = lkm
        .run(&["consume", "dst", "orders", "--values", "-n", "1000"])
        .await
        .ok();
    assert_eq!(lines(&copied.stdout), expected);

    // A difference shows as a row of the diff table, and --exit-code says so.
    lkm.run(&["topics", "create", "src", "extra", "-p", "1"])
        .await
        .ok();
    let differs = lkm.run(&["compare", "src", "dst", "--exit-code"]).await;
    assert_eq!(differs.code, 1, "{differs:?}");
    let row = differs
        .stdout
        .lines()
        .find(|l| l.contains("extra"))
        .unwrap_or_default()
        .to_string();
    assert!(
        row.contains("present") && row.contains("missing"),
        "{differs:?}"
    );

    // A replication's dry run names what it would create, and creates nothing.
    let would = lkm
        .run(&["replicate", "src", "dst", "--dry-run"])
        .await
        .ok();
    assert!(would.stdout.contains("dry run"), "{would:?}");
    assert!(would.stdout.contains("WOULD CREATE"), "{would:?}");
    let row = would
        .stdout
        .lines()
        .find(|l| l.starts_with("dst"))
        .unwrap_or_default()
        .to_string();
    assert!(row.contains("extra") && row.contains("orders"), "{would:?}");
    let on_dst = lkm.run(&["topics", "list", "dst", "-o", "json"]).await.ok();
    assert!(
        !on_dst.stdout.contains("\"extra\""),
        "a dry run creates nothing: {on_dst:?}"
    );

    // A second migration of the same topic would mix data: the plan says so and fails.
    let conflict = lkm
        .run(&["migrate", "src", "dst", "--topic", "orders", "--dry-run"])
        .await;
    assert_eq!(conflict.code, 1, "{conflict:?}");
    assert!(conflict.stdout.contains("Conflicts"), "{conflict:?}");

    // The operations, listed, shown and watched (NDJSON ending with the final event).
    let ops = lkm.run(&["ops", "list", "-o", "json"]).await.ok();
    let ops = ops.json()["operations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let done = ops
        .iter()
        .find(|o| o["dryRun"] == false && o["operationType"] == "OPERATION_TYPE_MIGRATE")
        .expect("the migration is listed");
    let id = done["id"].as_str().unwrap_or_default().to_string();
    let shown = lkm.run(&["ops", "get", &id]).await.ok();
    assert!(shown.stdout.contains("SUCCEEDED"), "{shown:?}");
    let watched = lkm.run(&["ops", "watch", &id, "-o", "json"]).await.ok();
    let events: Vec<serde_json::Value> = watched
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect();
    assert_eq!(events.last().map(|e| e["final"].clone()), Some(true.into()));

    // JSON of the listings parses.
    for args in [
        &["clusters", "list", "-o", "json"][..],
        &["clusters", "get", "src", "-o", "json"],
        &["topics", "list", "src", "-o", "json"],
        &["topics", "describe", "src", "orders", "-o", "json"],
        &["templates", "list", "-o", "json"],
        &["host", "-o", "json"],
    ] {
        lkm.run(args).await.ok().json();
    }

    let host = lkm.run(&["host"]).await.ok();
    assert!(host.stdout.contains("Memory free:"), "{host:?}");
    assert!(host.stdout.contains("(2 clusters)"), "{host:?}");
    for name in ["dst", "src"] {
        let deleted = lkm.run(&["clusters", "delete", name, "--force"]).await.ok();
        assert!(deleted.stdout.contains("deleted"), "{deleted:?}");
    }
    let left = lkm.run(&["clusters", "list", "-o", "json"]).await.ok();
    assert_eq!(left.json()["clusters"], serde_json::json!([]));
    env.finish().await;
}

/// Tokens, grants and the audit log from the command line, and what they change for the
/// principal they are given to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_grants_and_audit() {
    let Some(env) = Env::start_with(Db::Sqlite, with_auth).await else {
        return;
    };
    let admin = Lkm::new(&env);
    let me = admin.run(&["whoami"]).await.ok();
    assert!(me.stdout.contains("Principal:  admin"), "{me:?}");
    // A watcher (NDJSON) running while the clusters are created.
    let mut watcher = admin
        .command(&["clusters", "watch", "-o", "json"])
        .spawn()
        .expect("run lkm clusters watch");
    let mut events = tokio::io::BufReader::new(watcher.stdout.take().expect("stdout")).lines();
    async fn next_event(
        events: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    ) -> serde_json::Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), events.next_line())
            .await
            .expect("no watch event in time")
            .expect("read the watcher's output")
            .expect("the watcher ended");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }
    assert_eq!(
        next_event(&mut events).await["type"],
        "CLUSTER_EVENT_TYPE_SYNCED"
    );
    admin
        .run(&[
            "clusters",
            "create",
            "dev-one",
            "--environment",
            "dev",
            "--no-start",
        ])
        .await
        .ok();
    admin
        .run(&[
            "clusters",
            "create",
            "prod-one",
            "--environment",
            "prod",
            "--no-start",
        ])
        .await
        .ok();
    for name in ["dev-one", "prod-one"] {
        let e = next_event(&mut events).await;
        assert_eq!(e["type"], "CLUSTER_EVENT_TYPE_CHANGED", "{e}");
        assert_eq!(e["cluster"]["name"], name, "{e}");
        assert_eq!(e["cluster"]["status"], "CLUSTER_STATUS_CREATED", "{e}");
    }
    watcher.kill().await.ok();

    // A token for alice, shown once (stdout: the secret alone).
    let created = admin
        .run(&[
            "tokens",
            "create",
            "laptop",
            "--principal",
            "alice",
            "--ttl",
            "1d",
        ])
        .await
        .ok();
    let secret = created.stdout.trim().to_string();
    assert!(secret.starts_with("lkm_"), "{created:?}");
    assert!(created.stderr.contains("shown only now"), "{created:?}");
    let listed = admin
        .run(&["tokens", "list", "--principal", "alice", "-o", "json"])
        .await
        .ok();
    let tokens = listed.json()["tokens"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tokens.len(), 1, "{listed:?}");
    let token_id = tokens[0]["id"].as_str().unwrap_or_default().to_string();
    assert!(tokens[0]["expiresAt"].is_string(), "{listed:?}");

    // Viewer of the dev clusters.
    let granted = admin
        .run(&[
            "grants",
            "add",
            "alice",
            "--role",
            "viewer",
            "--environment",
            "dev",
        ])
        .await
        .ok();
    assert!(
        granted
            .stdout
            .contains("granted viewer to alice on environment dev"),
        "{granted:?}"
    );
    let grants = admin
        .run(&["grants", "list", "--principal", "alice"])
        .await
        .ok();
    assert!(grants.stdout.contains("environment dev"), "{grants:?}");
    let bad = admin
        .run(&["grants", "add", "alice", "--role", "emperor"])
        .await;
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("INVALID_ARGUMENT"), "{bad:?}");

    let alice = Lkm {
        token: Some(secret.clone()),
        ..Lkm::new(&env)
    };
    let who = alice.run(&["whoami"]).await.ok();
    assert!(who.stdout.contains("alice"), "{who:?}");
    assert!(who.stdout.contains("viewer"), "{who:?}");
    let seen = alice.run(&["clusters", "list", "-o", "json"]).await.ok();
    let names: Vec<String> = seen.json()["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names, ["dev-one"], "only what alice may view");
    let denied = alice
        .run(&["clusters", "delete", "dev-one", "--force"])
        .await;
    assert_eq!(denied.code, 1, "{denied:?}");
    assert!(denied.stderr.contains("PERMISSION_DENIED"), "{denied:?}");
    let audit = alice.run(&["audit"]).await;
    assert_eq!(audit.code, 1, "the audit log is for admins: {audit:?}");

    // The admin sees the denied call in the audit log.
    let log = admin
        .run(&[
            "audit",
            "--principal",
            "alice",
            "--since",
            "1h",
            "-o",
            "json",
        ])
        .await
        .ok();
    let events = log.json()["events"].as_array().cloned().unwrap_or_default();
    assert!(
        events
            .iter()
            .any(|e| e["method"] == "lkm.v1.ClusterService/DeleteCluster"
                && e["outcome"] == "PERMISSION_DENIED"),
        "{log:?}"
    );
    let table = admin.run(&["audit", "-n", "5"]).await.ok();
    assert!(table.stdout.starts_with("TIME"), "{table:?}");
    assert_eq!(
        table.stdout.lines().count(),
        6,
        "header and 5 events: {table:?}"
    );

    // Revoked: alice's next call is refused.
    admin.run(&["tokens", "revoke", &token_id]).await.ok();
    let after = alice.run(&["clusters", "list"]).await;
    assert_eq!(after.code, 1, "{after:?}");
    assert!(after.stderr.contains("revoked"), "{after:?}");
    let state = admin
        .run(&["tokens", "list", "--principal", "alice"])
        .await
        .ok();
    assert!(state.stdout.contains("revoked"), "{state:?}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_exit_non_zero_with_the_servers_message() {
    let Some(env) = Env::start_with(Db::Sqlite, with_auth).await else {
        return;
    };
    let lkm = Lkm::new(&env);

    let missing = lkm.run(&["clusters", "get", "nope"]).await;
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("'nope'"), "{missing:?}");
    assert!(missing.stderr.contains("NOT_FOUND"), "{missing:?}");
    assert!(missing.stdout.is_empty(), "{missing:?}");

    let bad_template = lkm
        .run(&[
            "clusters",
            "create",
            "x1",
            "--template",
            "no-such-template",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(bad_template.code, 1, "{bad_template:?}");
    assert!(
        bad_template.stderr.contains("no-such-template"),
        "{bad_template:?}"
    );
    assert!(
        bad_template.stderr.contains("NOT_FOUND"),
        "{bad_template:?}"
    );
    assert!(bad_template.stdout.is_empty(), "{bad_template:?}");

    let bad_name = lkm.run(&["clusters", "create", "Bad_Name"]).await;
    assert_eq!(bad_name.code, 1, "{bad_name:?}");
    assert!(bad_name.stderr.contains("INVALID_ARGUMENT"), "{bad_name:?}");

    let bad_flag = lkm
        .run(&["clusters", "create", "x2", "--set", "kafka_config.nope=1"])
        .await;
    assert_eq!(bad_flag.code, 1, "{bad_flag:?}");
    assert!(bad_flag.stderr.contains("nope"), "{bad_flag:?}");

    let unknown_op = lkm.run(&["ops", "watch", "no-such-operation"]).await;
    assert_eq!(unknown_op.code, 1, "{unknown_op:?}");
    assert!(unknown_op.stderr.contains("NOT_FOUND"), "{unknown_op:?}");

    // Without a runtime a cluster can still be registered, and shows in the listings.
    let reg = lkm
        .run(&[
            "clusters",
            "create",
            "reg",
            "--no-start",
            "--tag",
            "team=payments",
            "-o",
            "json",
        ])
        .await
        .ok();
    assert_eq!(reg.json()["cluster"]["status"], "CLUSTER_STATUS_CREATED");
    let listed = lkm
        .run(&["clusters", "list", "--tag", "team=payments"])
        .await
        .ok();
    assert!(
        listed.stdout.lines().any(|l| l.starts_with("reg ")),
        "{listed:?}"
    );
    let updated = lkm
        .run(&[
            "clusters",
            "update",
            "reg",
            "--set",
            "kafka_config.num_partitions=7",
            "-o",
            "json",
        ])
        .await
        .ok();
    assert_eq!(updated.json()["kafkaConfig"]["numPartitions"], 7);

    // A template of our own, from flags.
    lkm.run(&[
        "templates",
        "create",
        "mine",
        "--category",
        "custom",
        "--set",
        "default_kafka_config.num_partitions=6",
    ])
    .await
    .ok();
    let mine = lkm
        .run(&["templates", "get", "mine", "-o", "json"])
        .await
        .ok();
    assert_eq!(mine.json()["defaultKafkaConfig"]["numPartitions"], 6);
    lkm.run(&["templates", "delete", "mine"]).await.ok();
    let builtin = lkm.run(&["templates", "delete", "tansu-dev"]).await;
    assert_eq!(builtin.code, 1, "{builtin:?}");

    // No server there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let nobody = Lkm {
        server: format!("http://127.0.0.1:{port}"),
        token: None,
        data_dir: lkm.data_dir.clone(),
    };
    let refused = nobody.run(&["clusters", "list"]).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("cannot connect"), "{refused:?}");

    // With authentication on (the server wrote a token file), the token is found in the
    // data directory when none is given; from a directory without one nothing is sent, and
    // the server's refusal is printed.
    if lkm.token.is_some() {
        let from_file = Lkm {
            token: None,
            server: lkm.server.clone(),
            data_dir: lkm.data_dir.clone(),
        };
        from_file.run(&["clusters", "list"]).await.ok();
        let without = Lkm {
            token: None,
            server: lkm.server.clone(),
            data_dir: env.dir.path().join("no-token-here"),
        };
        let refused = without.run(&["clusters", "list"]).await;
        assert_eq!(refused.code, 1, "{refused:?}");
        assert!(refused.stderr.contains("UNAUTHENTICATED"), "{refused:?}");
        // The server's answer no longer says where its token file is; the CLI's hint names
        // the file it looked for.
        let looked_for = without.data_dir.join("admin.token");
        assert!(
            refused.stderr.contains(&looked_for.display().to_string()),
            "{refused:?}"
        );
        let wrong = Lkm {
            token: Some("not-the-token".into()),
            server: lkm.server.clone(),
            data_dir: lkm.data_dir.clone(),
        };
        let refused = wrong.run(&["clusters", "list"]).await;
        assert_eq!(refused.code, 1, "{refused:?}");
        assert!(refused.stderr.contains("UNAUTHENTICATED"), "{refused:?}");
    } else {
        eprintln!("this lkm wrote no admin.token: the token checks are skipped");
    }
    env.finish().await;
}

#[tokio::test]
async fn completions_and_help() {
    let run = |args: &'static [&'static str]| async move {
        finish({
            let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_lkm"));
            c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
            c
        })
        .await
    };
    let bash = run(&["completions", "bash"]).await.ok();
    assert!(bash.stdout.contains("_lkm()"), "{bash:?}");
    assert!(bash.stdout.contains("complete -F _lkm"), "{bash:?}");
    assert!(bash.stdout.contains("migrate"), "{bash:?}");
    let zsh = run(&["completions", "zsh"]).await.ok();
    assert!(zsh.stdout.contains("#compdef lkm"), "{zsh:?}");

    let help = run(&["consume", "--help"]).await.ok();
    assert!(help.stdout.contains("NDJSON"), "{help:?}");
    let help = run(&["ops", "watch", "--help"]).await.ok();
    assert!(help.stdout.contains("NDJSON"), "{help:?}");
    let help = run(&["--help"]).await.ok();
    assert!(help.stdout.contains("--server"), "{help:?}");
    assert!(help.stdout.contains("admin.token"), "{help:?}");

    let usage = run(&["consume"]).await;
    assert_eq!(usage.code, 2, "{usage:?}");
}
