//! The registry under faults, through the real server: its SQLite file removed or replaced
//! while lkm runs (changes refused with UNAVAILABLE, nothing acknowledged), a read-only
//! registry (reads answered, changes refused with FAILED_PRECONDITION), and a PostgreSQL
//! registry whose server restarts under load (callers get UNAVAILABLE meanwhile, never a 500
//! or a hang, and lkm recovers by itself).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Db, Env, code_reason};
use lkm::pb::*;
use serde_json::{Value, json};
use tonic::Code;

fn define(name: &str) -> CreateClusterRequest {
    CreateClusterRequest {
        name: name.into(),
        template_id: "testing".into(),
        auto_start: Some(false),
        ..Default::default()
    }
}

async fn cluster_names(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = env
        .server
        .clusters()
        .await
        .list_clusters(ListClustersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .clusters
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    names
}

fn registry_file(env: &Env) -> PathBuf {
    env.server.config.data_dir.join("lkm.db")
}

/// A create over gRPC and over REST, both refused with `code` (and its HTTP status); the
/// messages, for the caller to check.
async fn refused_creates(env: &Env, name: &str, code: Code, http: u16) -> (String, Value) {
    let err = env
        .server
        .clusters()
        .await
        .create_cluster(define(name))
        .await
        .unwrap_err();
    assert_eq!(err.code(), code, "gRPC create: {}", err.message());
    let res = reqwest::Client::new()
        .post(env.server.rest("/clusters"))
        .json(&json!({"name": name, "templateId": "testing", "autoStart": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), http, "REST create");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code as i32, "{body}");
    (err.message().to_string(), body)
}

/// A read over gRPC refused with UNAVAILABLE.
async fn refused_list(env: &Env) {
    let err = env
        .server
        .clusters()
        .await
        .list_clusters(ListClustersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(code_reason(&err), (Code::Unavailable, "UNAVAILABLE".into()));
}

/// The registry file moved away, replaced and deleted under a running server: every call is
/// refused with UNAVAILABLE (503) naming the file and what to do, and no change is
/// acknowledged; with the very file moved back lkm serves again. After a deletion, a restart
/// opens what is at the path (an empty registry) and serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_or_replaced_registry_file_refuses_changes() {
    let env = Env::start(Db::Sqlite).await.unwrap();
    let mut g = env.server.clusters().await;
    g.create_cluster(define("kept")).await.unwrap();
    let file = registry_file(&env);
    let moved = file.with_extension("moved");

    std::fs::rename(&file, &moved).unwrap();
    let (message, _) = refused_creates(&env, "lost", Code::Unavailable, 503).await;
    assert!(
        message.contains(&file.display().to_string())
            && message.contains("removed or replaced")
            && message.contains("restart lkm"),
        "{message}"
    );
    let err = g
        .update_cluster(UpdateClusterRequest {
            cluster_id: "kept".into(),
            cluster: Some(Cluster {
                description: "changed".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(code_reason(&err), (Code::Unavailable, "UNAVAILABLE".into()));
    let err = g
        .delete_cluster(DeleteClusterRequest {
            cluster_id: "kept".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{}", err.message());
    // Reads too: what lkm would show is not the registry at that path.
    refused_list(&env).await;
    let res = reqwest::Client::new()
        .get(env.server.rest("/clusters"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    // The refused cluster left no directory behind.
    assert_eq!(env.cluster_dirs().len(), 1, "{:?}", env.cluster_dirs());

    // Another file at the path is not the registry lkm wrote to.
    std::fs::write(&file, b"").unwrap();
    refused_creates(&env, "lost", Code::Unavailable, 503).await;
    std::fs::remove_file(&file).unwrap();

    // The very file back: lkm serves again, and nothing refused was recorded.
    std::fs::rename(&moved, &file).unwrap();
    assert_eq!(cluster_names(&env).await, ["kept"]);
    let kept = g
        .get_cluster(GetClusterRequest {
            cluster_id: "kept".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert!(kept.description.is_empty());
    g.create_cluster(define("later")).await.unwrap();

    // Deleted: refused; a restart opens what the path holds now (nothing: an empty registry).
    std::fs::remove_file(&file).unwrap();
    refused_creates(&env, "lost", Code::Unavailable, 503).await;
    refused_list(&env).await;
    let env = env.restart().await;
    env.server
        .clusters()
        .await
        .create_cluster(define("after"))
        .await
        .unwrap();
    assert_eq!(cluster_names(&env).await, ["after"]);
    env.finish().await;
}

/// What makes a registry read-only for the test, undone when dropped: an immutable SQLite
/// file (`chattr +i`: what a read-only mount or another user's file is to an unprivileged
/// lkm; the tests run as root, which file modes do not stop), or a PostgreSQL database whose
/// transactions are read-only (as on a standby).
enum ReadOnly {
    File(PathBuf),
    Database(String),
}

impl ReadOnly {
    async fn set(db: Db, file: PathBuf, url: String) -> Option<ReadOnly> {
        match db {
            Db::Sqlite => {
                let ok = std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(&file)
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok {
                    common::skip(
                        "chattr +i does not work here (needs CAP_LINUX_IMMUTABLE and ext4/xfs)",
                    );
                    return None;
                }
                Some(ReadOnly::File(file))
            }
            Db::Postgres => {
                postgres_read_only(&url, true).await;
                Some(ReadOnly::Database(url))
            }
        }
    }

    async fn undo(self) {
        match &self {
            ReadOnly::File(_) => drop(self),
            ReadOnly::Database(url) => postgres_read_only(url, false).await,
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if let ReadOnly::File(f) = self {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(f)
                .status();
        }
    }
}

async fn postgres_read_only(url: &str, on: bool) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::query("SET default_transaction_read_only = off")
        .execute(&mut conn)
        .await
        .unwrap();
    let change = if on {
        format!("ALTER DATABASE {name} SET default_transaction_read_only = on")
    } else {
        format!("ALTER DATABASE {name} RESET default_transaction_read_only")
    };
    sqlx::query(&change).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// A registry lkm may read but not write (see `ReadOnly`): lkm starts, answers reads, and
/// refuses every change with FAILED_PRECONDITION (400, reason REGISTRY_READ_ONLY) saying the
/// registry is read-only, changing nothing; writable again, it takes changes after a restart.
async fn a_read_only_registry_answers_reads_and_refuses_changes(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    env.server
        .clusters()
        .await
        .create_cluster(define("existing"))
        .await
        .unwrap();
    let (file, url) = (registry_file(&env), env.db.url.clone());
    let mut read_only = None;
    let slot = &mut read_only;
    let env = env
        .restart_with(|_| async move { *slot = ReadOnly::set(db, file, url).await })
        .await;
    let Some(read_only) = read_only else {
        return env.finish().await;
    };

    // Reads work.
    assert_eq!(cluster_names(&env).await, ["existing"]);
    let res = reqwest::Client::new()
        .get(env.server.rest("/clusters/existing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Changes are refused, clearly.
    let (message, body) = refused_creates(&env, "new", Code::FailedPrecondition, 400).await;
    assert!(message.contains("read-only"), "{message}");
    if db == Db::Sqlite {
        let file = registry_file(&env).display().to_string();
        assert!(message.contains(&file), "{message}");
    }
    assert!(
        body.to_string().contains("REGISTRY_READ_ONLY"),
        "the reason is machine-readable: {body}"
    );
    let err = env
        .server
        .clusters()
        .await
        .delete_cluster(DeleteClusterRequest {
            cluster_id: "existing".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "REGISTRY_READ_ONLY".into())
    );
    assert_eq!(cluster_names(&env).await, ["existing"]);
    assert_eq!(env.cluster_dirs().len(), 1, "{:?}", env.cluster_dirs());

    // Writable again: changes work after a restart.
    let env = env.restart_with(|_| read_only.undo()).await;
    env.server
        .clusters()
        .await
        .create_cluster(define("new"))
        .await
        .unwrap();
    env.finish().await;
}

per_backend!(a_read_only_registry_answers_reads_and_refuses_changes);

/// A PostgreSQL server of the test's own (so restarting it disturbs no other test): a
/// throwaway cluster made by `initdb` in a temporary directory, run as the `postgres` user on
/// a free port, trusting loopback connections. Stopped (and its files removed) when dropped.
struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    user: (u32, u32),
    server: Option<std::process::Child>,
}

impl PrivatePostgres {
    /// None (after `skip`) when PostgreSQL 15 or the `postgres` user is missing.
    async fn start() -> Option<PrivatePostgres> {
        let bin = std::env::var_os("LKM_TEST_POSTGRES_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
        if !bin.join("initdb").is_file() {
            common::skip(&format!("no PostgreSQL binaries in {}", bin.display()));
            return None;
        }
        // PostgreSQL refuses to run as root.
        let Some(user) = system_user("postgres") else {
            common::skip("there is no 'postgres' user to run PostgreSQL as");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::chown(dir.path(), Some(user.0), Some(user.1)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = PrivatePostgres {
            bin,
            dir,
            port,
            user,
            server: None,
        };
        let init = pg
            .command("initdb")
            .args(["-D", "data", "-U", "lkm", "-A", "trust", "-E", "UTF8"])
            .args(["--locale=C", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let mut pg = pg;
        pg.run().await;
        Some(pg)
    }

    fn command(&self, program: &str) -> std::process::Command {
        use std::os::unix::process::CommandExt;
        let mut c = std::process::Command::new(self.bin.join(program));
        c.current_dir(self.dir.path())
            .uid(self.user.0)
            .gid(self.user.1)
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null());
        c
    }

    fn url(&self) -> String {
        format!("postgres://lkm@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it takes connections.
    async fn run(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap();
        std::os::unix::fs::chown(
            self.dir.path().join("server.log"),
            Some(self.user.0),
            Some(self.user.1),
        )
        .unwrap();
        let port = self.port.to_string();
        let child = self
            .command("postgres")
            .args(["-D", "data", "-p", &port, "-k", "."])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.server = Some(child);
        let url = self.url();
        let up = common::eventually(Duration::from_secs(30), || {
            let url = url.clone();
            async move {
                use sqlx::Connection;
                sqlx::PgConnection::connect(&url)
                    .await
                    .ok()?
                    .close()
                    .await
                    .ok()
            }
        })
        .await;
        assert!(up.is_some(), "the private PostgreSQL did not start");
    }

    /// A fast shutdown (what `pg_ctl stop -m fast` does: open connections are terminated),
    /// waiting until the server has exited.
    fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGINT);
            }
            let _ = child.wait();
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if let Some(child) = &mut self.server {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The uid and gid of a system user.
fn system_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.first() == Some(&name) && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

/// What one call of the load got: when it ended, how long it took, and its gRPC code (the
/// REST status mapped back to one; `None` when it did not answer within `HANG`).
#[derive(Clone, Copy, Debug)]
struct Outcome {
    at: tokio::time::Instant,
    took: Duration,
    code: Option<Code>,
}

/// A call that takes longer than this counts as hanging.
const HANG: Duration = Duration::from_secs(15);

fn code_of_http(status: u16) -> Code {
    match status {
        200 | 201 => Code::Ok,
        503 => Code::Unavailable,
        500 => Code::Internal,
        401 => Code::Unauthenticated,
        429 => Code::ResourceExhausted,
        404 => Code::NotFound,
        _ => Code::Unknown,
    }
}

/// The PostgreSQL registry's server restarts while callers create and read clusters over
/// gRPC and REST (with authentication on, so every call also reads its token): while it is
/// down every call gets UNAVAILABLE (503) within the connection wait, none a 500 or a hang;
/// once it is back lkm serves again by itself (no restart), and every cluster it said it
/// created is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_is_unavailable_then_recovered() {
    let Some(mut pg) = PrivatePostgres::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path().join("data"), &common::TestDatabase::none());
    config.database_url = pg.url();
    config.auth = true;
    let server = common::TestServer::start(config).await;
    let token = common::admin_token(&server.config);
    let grpc = server.clusters().await;
    let http = reqwest::Client::new();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let outcomes = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Outcome>::new()));
    let created = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));

    let mut g = grpc.clone();
    g.create_cluster(common::with_token(&token, define("pg-baseline")))
        .await
        .unwrap();
    created.lock().unwrap().push("pg-baseline".into());

    // Six callers, each alternating a create (gRPC), a listing (REST) and a get (gRPC).
    let mut callers = Vec::new();
    for worker in 0..6 {
        let (mut grpc, http, token) = (grpc.clone(), http.clone(), token.clone());
        let (stop, outcomes, created) = (stop.clone(), outcomes.clone(), created.clone());
        let list_url = server.rest("/clusters");
        callers.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let started = tokio::time::Instant::now();
                let call = async {
                    match n % 3 {
                        0 => {
                            let name = format!("pg-{worker}-{n}");
                            let res = grpc
                                .create_cluster(common::with_token(&token, define(&name)))
                                .await;
                            if res.is_ok() {
                                created.lock().unwrap().push(name);
                            }
                            res.map(drop).err().map_or(Code::Ok, |e| e.code())
                        }
                        1 => match http.get(&list_url).bearer_auth(&token).send().await {
                            Ok(res) => code_of_http(res.status().as_u16()),
                            Err(_) => Code::Unknown,
                        },
                        _ => grpc
                            .get_cluster(common::with_token(
                                &token,
                                GetClusterRequest {
                                    cluster_id: "pg-baseline".into(),
                                },
                            ))
                            .await
                            .map(drop)
                            .err()
                            .map_or(Code::Ok, |e| e.code()),
                    }
                };
                let code = tokio::time::timeout(HANG, call).await.ok();
                outcomes.lock().unwrap().push(Outcome {
                    at: tokio::time::Instant::now(),
                    took: started.elapsed(),
                    code,
                });
            }
        }));
    }

    let ok_since = |since: tokio::time::Instant, want: usize| {
        let outcomes = outcomes.clone();
        async move {
            let n = outcomes
                .lock()
                .unwrap()
                .iter()
                .filter(|o| o.at > since && o.code == Some(Code::Ok))
                .count();
            (n >= want).then_some(())
        }
    };
    let t0 = tokio::time::Instant::now();
    common::eventually(Duration::from_secs(30), || ok_since(t0, 30))
        .await
        .expect("the load runs");

    // The restart: down until callers have seen it, including a call that waited for a
    // connection until it gave up, then up again.
    pg.stop();
    let down = tokio::time::Instant::now();
    common::eventually(Duration::from_secs(30), || {
        let outcomes = outcomes.clone();
        async move {
            let outcomes = outcomes.lock().unwrap();
            let seen: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.at > down && o.code == Some(Code::Unavailable))
                .collect();
            let waited = seen
                .iter()
                .any(|o| o.took >= lkm::registry::ACQUIRE_TIMEOUT / 2);
            (seen.len() >= 50 && waited).then_some(())
        }
    })
    .await
    .expect("callers see the registry unavailable");
    pg.run().await;
    let up = tokio::time::Instant::now();
    common::eventually(Duration::from_secs(60), || ok_since(up, 30))
        .await
        .expect("lkm serves again once PostgreSQL is back, without a restart");
    let recovered = outcomes
        .lock()
        .unwrap()
        .iter()
        .find(|o| o.at > up && o.code == Some(Code::Ok))
        .map(|o| o.at - up);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in callers {
        c.await.unwrap();
    }

    let all = outcomes.lock().unwrap().clone();
    let count = |code: Code| all.iter().filter(|o| o.code == Some(code)).count();
    let hung = all.iter().filter(|o| o.code.is_none()).count();
    let slowest = all.iter().map(|o| o.took).max().unwrap_or_default();
    eprintln!(
        "{} calls: {} OK, {} UNAVAILABLE, {hung} hung; slowest {slowest:?}; PostgreSQL down for {:?}; first success {recovered:?} after it was back",
        all.len(),
        count(Code::Ok),
        count(Code::Unavailable),
        up - down,
    );
    let other: Vec<&Outcome> = all
        .iter()
        .filter(|o| !matches!(o.code, Some(Code::Ok | Code::Unavailable)))
        .collect();
    assert!(other.is_empty(), "only OK and UNAVAILABLE: {other:?}");
    assert!(
        slowest < lkm::registry::ACQUIRE_TIMEOUT + Duration::from_secs(5),
        "a call took {slowest:?}"
    );
    // Every cluster lkm said it created is there.
    let listed: std::collections::HashSet<String> = g
        .list_clusters(common::with_token(
            &token,
            ListClustersRequest {
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .clusters
        .into_iter()
        .map(|c| c.name)
        .collect();
    let missing: Vec<String> = created
        .lock()
        .unwrap()
        .iter()
        .filter(|n| !listed.contains(*n))
        .cloned()
        .collect();
    assert!(missing.is_empty(), "acknowledged but gone: {missing:?}");
    server.stop().await;
}
