//! Clusters lkm does not run: registered by their bootstrap servers (the seed's
//! register_cluster), and the single-cluster setup of an older lkm registered as `default`.

mod common;

use common::{Db, Env, TansuProcess, code_reason};
use lkm::pb::*;
use tonic::Code;

fn register(name: &str, servers: &str) -> CreateClusterRequest {
    CreateClusterRequest {
        name: name.into(),
        external_bootstrap_servers: servers.into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_cluster_is_managed_but_never_run() {
    let Some(mut broker) = TansuProcess::start().await else {
        return;
    };
    let env = Env::start(Db::Sqlite).await.unwrap();
    let mut g = env.server.clusters().await;

    let c = g
        .create_cluster(register("ext", &broker.addr))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.status(), ClusterStatus::Running, "{}", c.status_message);
    assert_eq!(c.external_bootstrap_servers, broker.addr);
    assert_eq!(c.endpoints["kafka"], broker.addr);
    assert!(c.port_allocation.is_none());
    assert!(
        env.cluster_dirs().is_empty(),
        "no data directory for an external cluster"
    );

    // lkm does not start, stop or describe containers of it.
    let err = g
        .start_cluster(StartClusterRequest {
            cluster_id: "ext".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "EXTERNAL_CLUSTER".into())
    );
    let err = g
        .stop_cluster(StopClusterRequest {
            cluster_id: "ext".into(),
            cleanup: false,
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "EXTERNAL_CLUSTER".into())
    );
    let err = g
        .get_cluster_compose(GetClusterComposeRequest {
            cluster_id: "ext".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // Its description and tags can change; configuration does not apply.
    let http = reqwest::Client::new();
    let res = http
        .put(env.server.rest("/clusters/ext"))
        .json(&serde_json::json!({"description": "the team's shared cluster"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .put(env.server.rest("/clusters/ext"))
        .json(&serde_json::json!({"kafkaConfig": {"numPartitions": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Its status follows the broker.
    let st = g
        .get_cluster_status(GetClusterStatusRequest {
            cluster_id: "ext".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (st.status(), st.runtime.as_str()),
        (ClusterStatus::Running, "external")
    );
    broker.kill();
    let st = g
        .get_cluster_status(GetClusterStatusRequest {
            cluster_id: "ext".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(st.status(), ClusterStatus::Error);
    assert!(
        st.status_message.contains("does not answer"),
        "{}",
        st.status_message
    );

    // Deleting unregisters it.
    g.delete_cluster(DeleteClusterRequest {
        cluster_id: "ext".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = g
        .get_cluster(GetClusterRequest {
            cluster_id: "ext".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // Bad bootstrap servers and mixed requests are refused.
    for req in [
        register("bad1", "localhost"),
        register("bad2", "host:notaport"),
        register("bad3", "a b:9092"),
        CreateClusterRequest {
            template_id: "development".into(),
            ..register("bad4", "localhost:9092")
        },
    ] {
        let err = g.create_cluster(req).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    }
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_single_cluster_setup_becomes_the_default_cluster() {
    let Some(broker) = TansuProcess::start().await else {
        return;
    };
    let addr = broker.addr.clone();
    let env = Env::start_with(Db::Sqlite, |c| c.default_bootstrap = addr.clone())
        .await
        .unwrap();
    let c = env
        .server
        .clusters()
        .await
        .get_cluster(GetClusterRequest {
            cluster_id: "default".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.external_bootstrap_servers, broker.addr);
    assert_eq!(c.status(), ClusterStatus::Running);
    // Once only: a restart finds it and registers nothing twice.
    let env = env.restart().await;
    let list = env
        .server
        .clusters()
        .await
        .list_clusters(ListClustersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.total_size, 1);
    // The legacy route acts on it (the data plane answers, not "no default cluster").
    let res = reqwest::get(env.server.rest("/topics")).await.unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        !body["message"]
            .as_str()
            .unwrap_or("")
            .contains("does not exist"),
        "{body}"
    );
    env.finish().await;
}
