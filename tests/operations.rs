//! OperationService: lookups, errors, and progress streaming (gRPC and Server-Sent Events)
//! of an operation, on SQLite and PostgreSQL. Migrations themselves come later; here the
//! operation is written straight into the registry, as a running migration would.

mod common;

use std::time::Duration;

use common::{Db, Env, code_reason};
use futures::StreamExt;
use lkm::pb::*;
use lkm::registry::Registry;
use serde_json::Value;
use tonic::Code;

async fn seed_operation(env: &Env, status: OperationStatus) -> Operation {
    let registry = Registry::connect(&env.server.config.registry_url())
        .await
        .unwrap();
    let op = Operation {
        id: uuid::Uuid::now_v7().to_string(),
        operation_type: OperationType::Migrate as i32,
        source_cluster_id: "src".into(),
        target_cluster_ids: vec!["dst".into()],
        topics: vec!["orders".into()],
        status: status as i32,
        progress_percent: 40.0,
        created_at: Some(lkm::core::time::now()),
        started_at: Some(lkm::core::time::now()),
        ..Default::default()
    };
    registry.insert_operation(&op).await.unwrap();
    registry.close().await;
    op
}

/// Reads Server-Sent Events from a response until the stream ends or `limit` events came.
async fn sse_events(res: reqwest::Response, limit: usize) -> Vec<(String, Value)> {
    let mut events = vec![];
    let mut buf = String::new();
    let mut body = res.bytes_stream();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(20), body.next())
        .await
        .expect("SSE stream stalled")
    {
        buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut name = String::from("message");
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if !data.is_empty() {
                events.push((name, serde_json::from_str(&data).unwrap()));
            }
            if events.len() >= limit {
                return events;
            }
        }
    }
    events
}

async fn lookups_and_errors(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut ops = env.server.operations().await;
    let http = reqwest::Client::new();

    let list = ops
        .list_operations(ListOperationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(list.operations.is_empty());
    for err in [
        ops.get_operation(GetOperationRequest {
            operation_id: "nope".into(),
        })
        .await
        .unwrap_err(),
        ops.cancel_operation(CancelOperationRequest {
            operation_id: "nope".into(),
        })
        .await
        .unwrap_err(),
        ops.watch_operation(WatchOperationRequest {
            operation_id: "nope".into(),
        })
        .await
        .unwrap_err(),
    ] {
        assert_eq!(
            code_reason(&err),
            (Code::NotFound, "OPERATION_NOT_FOUND".into())
        );
    }
    for path in ["/operations/nope", "/operations/nope/events"] {
        let res = http.get(env.server.rest(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }

    // Cross-cluster requests name real, distinct, running clusters.
    let mut clusters = env.server.clusters().await;
    for name in ["src", "dst"] {
        clusters
            .create_cluster(CreateClusterRequest {
                name: name.into(),
                template_id: "testing".into(),
                auto_start: Some(false),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let migrate = |s: &str, t: &str| MigrateDataRequest {
        source_cluster_id: s.into(),
        target_cluster_id: t.into(),
        ..Default::default()
    };
    let err = ops
        .migrate_data(migrate("missing", "dst"))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "CLUSTER_NOT_FOUND".into())
    );
    let err = ops.migrate_data(migrate("src", "src")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = ops.migrate_data(migrate("", "dst")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = ops.migrate_data(migrate("src", "dst")).await.unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "CLUSTER_NOT_RUNNING".into())
    );
    let err = ops
        .replicate_topics(ReplicateTopicsRequest {
            source_cluster_id: "src".into(),
            target_cluster_ids: vec![],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let res = http
        .get(
            env.server
                .rest("/operations/compare?sourceCluster=src&targetCluster=missing"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = http
        .post(env.server.rest("/operations/migrate"))
        .json(&serde_json::json!({"sourceClusterId": "src", "targetClusterId": "dst"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("not RUNNING"),
        "{v}"
    );
    let err = ops
        .list_operations(ListOperationsRequest {
            status: 99,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    env.finish().await;
}

async fn watchers_follow_an_operation_to_its_end(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let op = seed_operation(&env, OperationStatus::Running).await;
    let mut ops = env.server.operations().await;

    // Listing and filters see it.
    let listed = ops
        .list_operations(ListOperationsRequest {
            status: OperationStatus::Running as i32,
            operation_type: OperationType::Migrate as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.operations.len(), 1);
    assert_eq!(listed.operations[0].id, op.id);

    // Two gRPC watchers and one SSE watcher each get the current state first.
    let mut w1 = ops
        .watch_operation(WatchOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut w2 = ops
        .watch_operation(WatchOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let sse = reqwest::Client::new()
        .get(env.server.rest(&format!("/operations/{}/events", op.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    assert!(
        sse.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let sse_task = tokio::spawn(sse_events(sse, 10));
    for w in [&mut w1, &mut w2] {
        let first = w.message().await.unwrap().unwrap();
        assert_eq!(first.operation.unwrap().status(), OperationStatus::Running);
        assert!(!first.r#final);
    }

    // Cancel over REST: every watcher sees the final state, then its stream ends.
    let res = reqwest::Client::new()
        .post(env.server.rest(&format!("/operations/{}/cancel", op.id)))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "OPERATION_STATUS_CANCELLED");
    for w in [&mut w1, &mut w2] {
        let last = w.message().await.unwrap().unwrap();
        assert!(last.r#final);
        assert_eq!(last.operation.unwrap().status(), OperationStatus::Cancelled);
        assert!(
            w.message().await.unwrap().is_none(),
            "stream ends after the final event"
        );
    }
    let events = sse_task.await.unwrap();
    let statuses: Vec<&str> = events
        .iter()
        .map(|(_, v)| v["operation"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["OPERATION_STATUS_RUNNING", "OPERATION_STATUS_CANCELLED"]
    );
    assert_eq!(events.last().unwrap().1["final"], true);

    // A late watcher gets the final state at once; a second cancel is refused.
    let mut late = ops
        .watch_operation(WatchOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let only = late.message().await.unwrap().unwrap();
    assert!(only.r#final);
    assert!(late.message().await.unwrap().is_none());
    let err = ops
        .cancel_operation(CancelOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "OPERATION_FINISHED".into())
    );
    env.finish().await;
}

async fn restart_never_leaves_an_operation_running(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let op = seed_operation(&env, OperationStatus::Running).await;
    let env = env.restart().await;
    let got = env
        .server
        .operations()
        .await
        .get_operation(GetOperationRequest {
            operation_id: op.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    assert_eq!(got.status(), OperationStatus::Failed);
    assert!(
        got.error_message.contains("interrupted"),
        "{}",
        got.error_message
    );
    assert!(got.completed_at.is_some());
    env.finish().await;
}

per_backend!(
    lookups_and_errors,
    watchers_follow_an_operation_to_its_end,
    restart_never_leaves_an_operation_running,
);

/// A watcher that subscribes while the operation ends still gets the end: watching and the
/// final publish race many times against one registry, and every watcher must see a final
/// state (it once missed it when the end fell between its registry read and its subscription).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_racing_the_end_still_sees_it() {
    let Some(env) = Env::start(Db::Sqlite).await else {
        return;
    };
    let registry = Registry::connect(&env.server.config.registry_url())
        .await
        .unwrap();
    let core = std::sync::Arc::new(lkm::core::Core::new(
        &env.server.config,
        registry,
        std::sync::Arc::new(lkm::runtime::NoRuntime::new("test")),
    ));
    for i in 0..300 {
        let op = seed_operation(&env, OperationStatus::Running).await;
        let ended = Operation {
            status: OperationStatus::Succeeded as i32,
            progress_percent: 100.0,
            ..op.clone()
        };
        let watcher = {
            let core = core.clone();
            let id = op.id.clone();
            tokio::spawn(async move {
                // Stagger the two sides so that the end lands at different points of the
                // watch's set-up.
                for _ in 0..(i % 7) {
                    tokio::task::yield_now().await;
                }
                let mut rx = core.operations.watch(&id).await.unwrap();
                tokio::time::timeout(
                    Duration::from_secs(10),
                    rx.wait_for(|o| o.status() == OperationStatus::Succeeded),
                )
                .await
                .map(|r| r.is_ok())
            })
        };
        core.operations.publish(&ended).await.unwrap();
        let seen = watcher.await.unwrap();
        assert!(
            matches!(seen, Ok(true)),
            "round {i}: the watcher never saw the end ({seen:?})"
        );
    }
    env.finish().await;
}
