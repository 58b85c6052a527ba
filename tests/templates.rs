//! TemplateService over gRPC and REST, on SQLite and PostgreSQL.

mod common;

use common::{Db, Env, code_reason};
use lkm::pb::*;
use serde_json::{Value, json};
use tonic::Code;

async fn builtins_and_filters(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.templates().await;
    let all = grpc
        .list_templates(ListTemplatesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = all.templates.iter().map(|t| t.id.as_str()).collect();
    for id in [
        "development",
        "testing",
        "staging",
        "production",
        "tansu-dev",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(all.templates.iter().all(|t| t.is_builtin));
    let staging = all.templates.iter().find(|t| t.id == "staging").unwrap();
    assert_eq!(
        staging.default_kafka_config.as_ref().unwrap().broker_count,
        Some(3)
    );
    assert!(staging.min_memory_mb > 0 && staging.recommended_memory_mb >= staging.min_memory_mb);

    let prod = grpc
        .list_templates(ListTemplatesRequest {
            category: TemplateCategory::Production as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        prod.templates
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["production"]
    );
    let v: Value = reqwest::get(env.server.rest("/templates?category=DEVELOPMENT"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dev_ids: Vec<&str> = v["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(dev_ids, ["development", "tansu-dev"]);
    let res = reqwest::get(env.server.rest("/templates/production"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["category"], "TEMPLATE_CATEGORY_PRODUCTION");
    assert_eq!(v["isBuiltin"], true);
    let res = reqwest::get(env.server.rest("/templates/nope"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    env.finish().await;
}

async fn user_template_crud(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.templates().await;
    let http = reqwest::Client::new();

    // REST create with a partial configuration: the rest is filled from lkm's defaults.
    let res = http
        .post(env.server.rest("/templates"))
        .json(&json!({
            "id": "team-small",
            "name": "Team small",
            "category": "TEMPLATE_CATEGORY_CUSTOM",
            "defaultKafkaConfig": {"numPartitions": 2, "heapSize": "768M"},
            "defaultUiConfig": {"enabled": false},
            "minMemoryMb": 900,
            "tags": ["team"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["isBuiltin"], false);
    assert_eq!(v["defaultKafkaConfig"]["numPartitions"], 2);
    assert_eq!(
        v["defaultKafkaConfig"]["logRetentionHours"], 168,
        "filled from defaults"
    );
    assert_eq!(v["defaultKafkaConfig"]["image"], "apache/kafka:4.1.0");
    assert_eq!(
        v["recommendedMemoryMb"], 900,
        "recommendation defaults to the minimum"
    );

    // It appears after the built-ins and works for clusters.
    let list = grpc
        .list_templates(ListTemplatesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.templates.last().unwrap().id, "team-small");
    let c = env
        .server
        .clusters()
        .await
        .create_cluster(CreateClusterRequest {
            name: "from-user-template".into(),
            template_id: "team-small".into(),
            auto_start: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(c.kafka_config.unwrap().heap_size.as_deref(), Some("768M"));
    assert_eq!(c.ui_config.unwrap().enabled, Some(false));
    assert!(
        c.port_allocation.unwrap().ui_port.is_none(),
        "no UI, no UI port"
    );

    // Duplicates and built-in ids are refused.
    for id in ["team-small", "development"] {
        let err = grpc
            .create_template(CreateTemplateRequest {
                template: Some(ClusterTemplate {
                    id: id.into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(
            code_reason(&err),
            (Code::AlreadyExists, "TEMPLATE_ALREADY_EXISTS".into())
        );
    }
    // Invalid templates are refused and not stored.
    for bad in [
        ClusterTemplate {
            id: "Bad Id".into(),
            ..Default::default()
        },
        ClusterTemplate {
            id: "bad-heap".into(),
            default_kafka_config: Some(KafkaConfig {
                heap_size: Some("big".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ClusterTemplate {
            id: "bad-rf".into(),
            default_kafka_config: Some(KafkaConfig {
                default_replication_factor: Some(2),
                ..Default::default()
            }),
            ..Default::default()
        },
        ClusterTemplate {
            id: "bad-mem".into(),
            min_memory_mb: 2000,
            recommended_memory_mb: 1000,
            ..Default::default()
        },
    ] {
        let err = grpc
            .create_template(CreateTemplateRequest {
                template: Some(bad.clone()),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{bad:?}");
    }
    let count = grpc
        .list_templates(ListTemplatesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .total_size;
    assert_eq!(count, list.total_size);

    // Update with a mask (gRPC) and with an inferred mask (REST).
    let t = grpc
        .update_template(UpdateTemplateRequest {
            template_id: "team-small".into(),
            template: Some(ClusterTemplate {
                description: "now described".into(),
                min_memory_mb: 1,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap();
    assert_eq!(t.description, "now described");
    assert_eq!(t.min_memory_mb, 900);
    let v: Value = http
        .put(env.server.rest("/templates/team-small"))
        .json(&json!({"defaultKafkaConfig": {"numPartitions": 4}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["defaultKafkaConfig"]["numPartitions"], 4);
    assert_eq!(v["defaultKafkaConfig"]["heapSize"], "768M");
    assert_eq!(v["description"], "now described");

    // Built-ins can be neither changed nor deleted.
    let err = grpc
        .update_template(UpdateTemplateRequest {
            template_id: "production".into(),
            template: Some(ClusterTemplate::default()),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "BUILTIN_TEMPLATE".into())
    );
    let res = http
        .delete(env.server.rest("/templates/production"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Delete the user template.
    let res = http
        .delete(env.server.rest("/templates/team-small"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let err = grpc
        .get_template(GetTemplateRequest {
            template_id: "team-small".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "TEMPLATE_NOT_FOUND".into())
    );
    let err = grpc
        .delete_template(DeleteTemplateRequest {
            template_id: "team-small".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    env.finish().await;
}

async fn apply_previews_without_creating(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let http = reqwest::Client::new();
    let res = http
        .post(env.server.rest("/templates/staging/apply"))
        .json(&json!({
            "name": "preview",
            "kafkaConfig": {"numPartitions": 12, "customProperties": {"compression.type": "zstd"}},
            "uiConfig": {"readonlyMode": true}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let c = &v["cluster"];
    assert_eq!(c["name"], "preview");
    assert_eq!(c["id"], "", "a preview is not created");
    assert_eq!(c["environment"], "staging");
    assert_eq!(c["kafkaConfig"]["numPartitions"], 12);
    assert_eq!(c["kafkaConfig"]["brokerCount"], 3);
    assert_eq!(
        c["kafkaConfig"]["customProperties"]["min.insync.replicas"],
        "2"
    );
    assert_eq!(
        c["kafkaConfig"]["customProperties"]["compression.type"],
        "zstd"
    );
    assert_eq!(c["uiConfig"]["readonlyMode"], true);

    let mut grpc = env.server.templates().await;
    let err = grpc
        .apply_template(ApplyTemplateRequest {
            template_id: "staging".into(),
            kafka_config: Some(KafkaConfig {
                broker_count: Some(1),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::InvalidArgument,
        "replication 3 on one broker"
    );
    let err = grpc
        .apply_template(ApplyTemplateRequest {
            template_id: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let clusters = env
        .server
        .clusters()
        .await
        .list_clusters(ListClustersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(clusters.total_size, 0);
    assert!(env.cluster_dirs().is_empty());
    env.finish().await;
}

per_backend!(
    builtins_and_filters,
    user_template_crud,
    apply_previews_without_creating
);
