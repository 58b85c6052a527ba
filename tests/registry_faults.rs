//! The registry under faults, through the real server: its SQLite file removed or replaced
//! while lkm runs (changes refused with UNAVAILABLE, nothing acknowledged), a read-only
//! registry (reads answered, changes refused with FAILED_PRECONDITION), and a PostgreSQL
//! registry whose server restarts under load (callers get UNAVAILABLE meanwhile, never a 500
//! or a hang, and lkm recovers by itself).

mod common;

use std::path::PathBuf;

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

/// The registry file deleted under a running server: every change is refused with
/// UNAVAILABLE (503) naming the file and what to do, none is acknowledged, and reads still
/// answer. A different file put at the path is refused the same way. After a restart lkm
/// opens what is at the path and takes changes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_or_replaced_registry_file_refuses_changes() {
    let env = Env::start(Db::Sqlite).await.unwrap();
    let mut g = env.server.clusters().await;
    g.create_cluster(define("kept")).await.unwrap();
    let file = registry_file(&env);
    assert!(file.is_file());

    std::fs::remove_file(&file).unwrap();
    let (message, _) = refused_creates(&env, "lost", Code::Unavailable, 503).await;
    assert!(
        message.contains(&file.display().to_string())
            && message.contains("removed or replaced")
            && message.contains("restart lkm"),
        "{message}"
    );
    // Other changes too: an update, a delete.
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
    // Nothing claimed success: the refused cluster left neither a record nor a directory,
    // and the one that exists is unchanged.
    assert_eq!(cluster_names(&env).await, ["kept"]);
    assert_eq!(env.cluster_dirs().len(), 1, "{:?}", env.cluster_dirs());
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

    // Another file at the path is not the registry lkm wrote to.
    std::fs::write(&file, b"").unwrap();
    refused_creates(&env, "lost", Code::Unavailable, 503).await;
    std::fs::remove_file(&file).unwrap();

    // A restart opens what the path holds now (here: nothing, so an empty registry).
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
