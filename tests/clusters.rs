//! ClusterService over gRPC and REST against the real server, on SQLite and PostgreSQL.

mod common;

use common::{Db, Env, code_reason};
use lkm::pb::*;
use serde_json::{Value, json};
use tonic::Code;

fn create(name: &str, template: &str) -> CreateClusterRequest {
    CreateClusterRequest {
        name: name.into(),
        template_id: template.into(),
        auto_start: Some(false),
        ..Default::default()
    }
}

fn ports_of(c: &Cluster) -> Vec<i32> {
    let a = c.port_allocation.clone().unwrap_or_default();
    let mut p = vec![a.kafka_port];
    p.extend(a.additional_kafka_ports);
    p.extend(a.rest_proxy_port);
    p.extend(a.ui_port);
    p.extend(a.jmx_port);
    p
}

async fn names(env: &Env) -> Vec<String> {
    let mut c = env.server.clusters().await;
    let mut n: Vec<String> = c
        .list_clusters(ListClustersRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .clusters
        .into_iter()
        .map(|c| c.name)
        .collect();
    n.sort();
    n
}

async fn create_get_list(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let http = reqwest::Client::new();

    // gRPC create from a template, with overrides, tags and an environment.
    let mut req = create("alpha", "development");
    req.environment = "test".into();
    req.description = "first".into();
    req.tags = [("team".to_string(), "payments".to_string())].into();
    req.kafka_config = Some(KafkaConfig {
        num_partitions: Some(6),
        ..Default::default()
    });
    let res = grpc.create_cluster(req).await.unwrap().into_inner();
    let alpha = res.cluster.unwrap();
    assert!(res.warnings.is_empty(), "{:?}", res.warnings);
    assert_eq!(alpha.status(), ClusterStatus::Created);
    assert_eq!(alpha.environment, "test");
    assert_eq!(alpha.template_id, "development");
    assert_eq!(alpha.network_name, "lkm-alpha");
    let k = alpha.kafka_config.clone().unwrap();
    assert_eq!(k.num_partitions, Some(6), "override applied");
    assert_eq!(
        k.heap_size.as_deref(),
        Some("512M"),
        "template default kept"
    );
    assert_eq!(ports_of(&alpha).len(), 3, "broker, REST proxy and UI ports");
    let range = env.server.config.port_range;
    for p in ports_of(&alpha) {
        assert!(
            (range.start as i32..=range.end as i32).contains(&p),
            "{p} outside {range}"
        );
    }
    assert!(std::path::Path::new(&alpha.data_directory).is_dir());
    assert_eq!(
        alpha.endpoints.get("kafka").unwrap(),
        &format!(
            "127.0.0.1:{}",
            alpha.port_allocation.clone().unwrap().kafka_port
        )
    );

    // REST create with the seed's JSON shape.
    let res = http
        .post(env.server.rest("/clusters"))
        .json(&json!({
            "name": "beta",
            "templateId": "testing",
            "environment": "staging",
            "tags": {"team": "search", "tier": "gold"},
            "autoStart": false,
            "kafkaConfig": {"customProperties": {"log.cleaner.enable": "false"}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let beta: Value = res.json().await.unwrap();
    let beta = &beta["cluster"];
    assert_eq!(beta["name"], "beta");
    assert_eq!(beta["status"], "CLUSTER_STATUS_CREATED");
    assert_eq!(
        beta["kafkaConfig"]["customProperties"]["log.cleaner.enable"],
        "false"
    );
    assert_eq!(
        beta["restProxyConfig"]["enabled"], false,
        "testing template has no REST proxy"
    );

    // Get by id and by name, over both transports.
    for key in [alpha.id.as_str(), "alpha"] {
        let got = grpc
            .get_cluster(GetClusterRequest {
                cluster_id: key.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .cluster
            .unwrap();
        assert_eq!(got, alpha);
        let got: Value = http
            .get(env.server.rest(&format!("/clusters/{key}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got["id"], alpha.id.as_str());
        assert_eq!(got["tags"]["team"], "payments");
    }

    // Both transports list the same clusters.
    assert_eq!(names(&env).await, vec!["alpha", "beta"]);
    let listed: Value = http
        .get(env.server.rest("/clusters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["totalSize"], 2);
    assert_eq!(listed["clusters"][0]["name"], "alpha");
    assert_eq!(listed["clusters"][1]["name"], "beta");
    env.finish().await;
}

async fn filters_and_pagination(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    for i in 0..7 {
        let mut req = create(&format!("c{i}"), "testing");
        req.environment = if i % 2 == 0 { "dev" } else { "prod" }.into();
        req.tags = [("idx".to_string(), i.to_string())].into();
        if i < 3 {
            req.tags.insert("team".into(), "core".into());
        }
        grpc.create_cluster(req).await.unwrap();
    }
    let list = |r: ListClustersRequest| {
        let mut g = grpc.clone();
        async move { g.list_clusters(r).await.map(|r| r.into_inner()) }
    };
    let names = |r: &ListClustersResponse| {
        r.clusters
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };

    let dev = list(ListClustersRequest {
        environment: "dev".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(names(&dev), ["c0", "c2", "c4", "c6"]);
    let team = list(ListClustersRequest {
        tags: vec!["team".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(names(&team), ["c0", "c1", "c2"]);
    let both = list(ListClustersRequest {
        tags: vec!["team=core".into(), "idx=1".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(names(&both), ["c1"]);
    let running = list(ListClustersRequest {
        status: ClusterStatus::Running as i32,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(running.clusters.is_empty());
    let created = list(ListClustersRequest {
        status: ClusterStatus::Created as i32,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(created.total_size, 7);

    // Pages of 3 cover every cluster once, in creation order.
    let mut seen = vec![];
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = list(ListClustersRequest {
            page_size: 3,
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        pages += 1;
        assert!(page.clusters.len() <= 3);
        assert_eq!(page.total_size, 7);
        seen.extend(names(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);

    // Page tokens are checked: garbage, or a token of another filter.
    let first = list(ListClustersRequest {
        page_size: 2,
        ..Default::default()
    })
    .await
    .unwrap();
    for bad in [
        ListClustersRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        },
        ListClustersRequest {
            page_token: first.next_page_token.clone(),
            environment: "dev".into(),
            ..Default::default()
        },
        ListClustersRequest {
            page_size: -1,
            ..Default::default()
        },
        ListClustersRequest {
            status: 42,
            ..Default::default()
        },
        ListClustersRequest {
            tags: vec!["bad key=1".into()],
            ..Default::default()
        },
    ] {
        let err = list(bad).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    }

    // The same over REST: short enum names, repeated tags, camelCase page parameters.
    let http = reqwest::Client::new();
    let v: Value = http
        .get(
            env.server
                .rest("/clusters?environment=prod&tags=idx=3&status=CREATED"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(v["clusters"][0]["name"], "c3");
    let v: Value = http
        .get(env.server.rest("/clusters?pageSize=5"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["clusters"].as_array().unwrap().len(), 5);
    let token = v["nextPageToken"].as_str().unwrap();
    let v: Value = http
        .get(
            env.server
                .rest(&format!("/clusters?pageSize=5&pageToken={token}")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["clusters"].as_array().unwrap().len(), 2);
    assert_eq!(v["nextPageToken"], "");
    for bad in [
        "/clusters?status=BOGUS",
        "/clusters?pageSize=ten",
        "/clusters?nope=1",
    ] {
        let res = http.get(env.server.rest(bad)).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], 3, "{bad}: {body}");
    }
    env.finish().await;
}

async fn update_with_masks(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let http = reqwest::Client::new();
    let c = grpc
        .create_cluster(create("upd", "testing"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();

    // gRPC: only the masked fields change.
    let patch = Cluster {
        description: "described".into(),
        environment: "not-applied".into(),
        kafka_config: Some(KafkaConfig {
            num_partitions: Some(12),
            heap_size: Some("3G".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let updated = grpc
        .update_cluster(UpdateClusterRequest {
            cluster_id: "upd".into(),
            cluster: Some(patch),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into(), "kafka_config.num_partitions".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(updated.description, "described");
    assert_eq!(updated.environment, c.environment);
    let k = updated.kafka_config.clone().unwrap();
    assert_eq!(k.num_partitions, Some(12));
    assert_eq!(k.heap_size, c.kafka_config.clone().unwrap().heap_size);
    assert!(lkm::core::time::millis(&updated.updated_at) >= lkm::core::time::millis(&c.updated_at));

    // REST PUT without a mask: the mask is what the body names.
    let res = http
        .put(env.server.rest("/clusters/upd"))
        .json(&json!({"tags": {"owner": "me"}, "kafkaConfig": {"logRetentionHours": 5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["tags"], json!({"owner": "me"}));
    assert_eq!(v["kafkaConfig"]["logRetentionHours"], 5);
    assert_eq!(v["kafkaConfig"]["numPartitions"], 12, "untouched");
    assert_eq!(v["description"], "described", "untouched");

    // REST PATCH with an explicit mask in the query.
    let res = http
        .patch(env.server.rest("/clusters/upd?updateMask=environment"))
        .json(&json!({"environment": "qa", "description": "ignored"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["environment"], "qa");
    assert_eq!(v["description"], "described");

    // More brokers need more ports: they are allocated, distinct, and the first kept.
    let before = grpc
        .get_cluster(GetClusterRequest {
            cluster_id: "upd".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let res = http
        .put(env.server.rest("/clusters/upd"))
        .json(&json!({"kafkaConfig": {"brokerCount": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let alloc = &v["portAllocation"];
    assert_eq!(
        alloc["kafkaPort"],
        before.port_allocation.clone().unwrap().kafka_port
    );
    let extra = alloc["additionalKafkaPorts"].as_array().unwrap();
    assert_eq!(extra.len(), 2);
    assert_ne!(extra[0], extra[1]);
    assert_eq!(
        v["endpoints"]["kafka"].as_str().unwrap().split(',').count(),
        3
    );

    // Refused updates change nothing.
    let snapshot = grpc
        .get_cluster(GetClusterRequest {
            cluster_id: "upd".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let bad_updates = [
        (json!({"name": "renamed"}), "name"),
        (json!({"kafkaConfig": {"heapSize": "lots"}}), "heap"),
        (
            json!({"kafkaConfig": {"brokerCount": 1, "defaultReplicationFactor": 3}}),
            "rf",
        ),
        (json!({"environment": "Not Valid"}), "env"),
        (
            json!({"kafkaConfig": {"customProperties": {"listeners": "PLAINTEXT://0.0.0.0:1"}}}),
            "reserved",
        ),
        (
            json!({"kafkaConfig": {"customProperties": {"a": "b\nlisteners=x"}}}),
            "newline",
        ),
        (json!({"portAllocation": {"kafkaPort": 1}}), "ports"),
        (json!({"status": "CLUSTER_STATUS_RUNNING"}), "status"),
    ];
    for (body, what) in bad_updates {
        let res = http
            .put(env.server.rest("/clusters/upd"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{what}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], 3, "{what}: {v}");
    }
    let err = grpc
        .update_cluster(UpdateClusterRequest {
            cluster_id: "upd".into(),
            cluster: Some(Cluster::default()),
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::InvalidArgument,
        "a gRPC update needs a mask"
    );
    let after = grpc
        .get_cluster(GetClusterRequest {
            cluster_id: "upd".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(after, snapshot);
    let res = http
        .put(env.server.rest("/clusters/nope"))
        .json(&json!({"description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    env.finish().await;
}

async fn delete_releases_everything(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let first = grpc
        .create_cluster(create("gone", "testing"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let kept = grpc
        .create_cluster(create("kept", "testing"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(env.cluster_dirs().len(), 2);

    // REST delete by name; the data directory goes, the port is free again.
    let http = reqwest::Client::new();
    let res = http
        .delete(env.server.rest("/clusters/gone"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!std::path::Path::new(&first.data_directory).exists());
    let again = grpc
        .create_cluster(create("again", "testing"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(ports_of(&again), ports_of(&first), "released port reused");

    // gRPC delete keeping the data.
    grpc.delete_cluster(DeleteClusterRequest {
        cluster_id: kept.id.clone(),
        keep_data: true,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(std::path::Path::new(&kept.data_directory).is_dir());
    assert_eq!(names(&env).await, vec!["again"]);

    let err = grpc
        .delete_cluster(DeleteClusterRequest {
            cluster_id: "gone".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "CLUSTER_NOT_FOUND".into())
    );
    env.finish().await;
}

async fn errors_have_the_right_codes(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let http = reqwest::Client::new();
    grpc.create_cluster(create("taken", "testing"))
        .await
        .unwrap();
    let dirs = env.cluster_dirs();

    let cases: Vec<(CreateClusterRequest, Code, &str)> = vec![
        (
            create("taken", "testing"),
            Code::AlreadyExists,
            "CLUSTER_ALREADY_EXISTS",
        ),
        (
            create("Bad_Name", "testing"),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        ),
        (
            create("", "testing"),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        ),
        (
            create("x", "no-such-template"),
            Code::NotFound,
            "TEMPLATE_NOT_FOUND",
        ),
        (
            CreateClusterRequest {
                ports: Some(PortAllocation {
                    kafka_port: 70000,
                    ..Default::default()
                }),
                ..create("badport", "testing")
            },
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        ),
        (
            CreateClusterRequest {
                kafka_config: Some(KafkaConfig {
                    engine: Some(77),
                    ..Default::default()
                }),
                ..create("badenum", "testing")
            },
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        ),
    ];
    for (req, code, reason) in cases {
        let name = req.name.clone();
        let err = grpc.create_cluster(req).await.unwrap_err();
        assert_eq!(
            code_reason(&err),
            (code, reason.to_string()),
            "{name}: {err:?}"
        );
    }
    let err = grpc
        .get_cluster(GetClusterRequest {
            cluster_id: "missing".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "CLUSTER_NOT_FOUND".into())
    );

    // REST: status codes and google.rpc.Status bodies.
    let rest_cases = [
        (
            "POST",
            "/clusters",
            json!({"name": "taken", "autoStart": false}).to_string(),
            409,
            "CLUSTER_ALREADY_EXISTS",
        ),
        (
            "POST",
            "/clusters",
            json!({"name": "bad name"}).to_string(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/clusters",
            "{\"name\": ".to_string(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/clusters",
            json!({"name": "x", "unknownField": 1}).to_string(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/clusters",
            json!({"name": "x", "kafkaConfig": {"engine": "BROKER_ENGINE_NOPE"}}).to_string(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            "/clusters",
            json!({"name": "x", "templateId": "nope"}).to_string(),
            404,
            "TEMPLATE_NOT_FOUND",
        ),
        (
            "POST",
            "/clusters",
            json!({"name": "x", "ports": {"kafkaPort": 80}}).to_string(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "GET",
            "/clusters/missing",
            String::new(),
            404,
            "CLUSTER_NOT_FOUND",
        ),
        (
            "GET",
            "/clusters/missing/status",
            String::new(),
            404,
            "CLUSTER_NOT_FOUND",
        ),
        (
            "POST",
            "/clusters/missing/start",
            "{}".to_string(),
            404,
            "CLUSTER_NOT_FOUND",
        ),
    ];
    for (method, path, body, status, reason) in rest_cases {
        let res = http
            .request(method.parse().unwrap(), env.server.rest(path))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status, "{method} {path} {body}");
        let v: Value = res.json().await.unwrap();
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        let got_reason = v["details"]
            .as_array()
            .and_then(|d| {
                d.iter()
                    .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
            })
            .map(|d| d["reason"].clone());
        assert_eq!(got_reason, Some(json!(reason)), "{method} {path}: {v}");
    }

    // None of that changed anything.
    assert_eq!(names(&env).await, vec!["taken"]);
    assert_eq!(env.cluster_dirs(), dirs);
    env.finish().await;
}

async fn exhausted_range(db: Db) {
    // A range of three ports, one of them busy on the host: room for one 1-port cluster.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().port();
    let Some(env) = Env::start_with(db, |c| {
        c.port_range = lkm::core::ports::PortRange {
            start: busy,
            end: busy + 1,
        }
    })
    .await
    else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let one = grpc
        .create_cluster(create("one", "testing"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(
        ports_of(&one),
        vec![i32::from(busy) + 1],
        "the busy port is skipped"
    );
    let err = grpc
        .create_cluster(create("two", "testing"))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::ResourceExhausted, "PORTS_EXHAUSTED".into())
    );
    let res = reqwest::Client::new()
        .post(env.server.rest("/clusters"))
        .json(&json!({"name": "three", "templateId": "testing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    // A port busy on the host cannot be requested either.
    let err = grpc
        .create_cluster(CreateClusterRequest {
            ports: Some(PortAllocation {
                kafka_port: i32::from(busy),
                ..Default::default()
            }),
            ..create("four", "testing")
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "PORT_IN_USE".into())
    );
    assert_eq!(names(&env).await, vec!["one"]);
    assert_eq!(env.cluster_dirs().len(), 1);
    drop(holder);
    env.finish().await;
}

async fn requested_ports(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let free = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = grpc
        .create_cluster(CreateClusterRequest {
            ports: Some(PortAllocation {
                kafka_port: i32::from(free),
                ..Default::default()
            }),
            ..create("fixed", "development")
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let a = c.port_allocation.unwrap();
    assert_eq!(a.kafka_port, i32::from(free));
    assert!(a.rest_proxy_port.is_some() && a.ui_port.is_some());
    // Another cluster cannot have it.
    let err = grpc
        .create_cluster(CreateClusterRequest {
            ports: Some(PortAllocation {
                kafka_port: i32::from(free),
                ..Default::default()
            }),
            ..create("clash", "testing")
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "PORT_IN_USE".into())
    );
    // Nor a service it does not run.
    let err = grpc
        .create_cluster(CreateClusterRequest {
            ports: Some(PortAllocation {
                ui_port: Some(i32::from(free) + 1),
                ..Default::default()
            }),
            ..create("noui", "testing")
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    env.finish().await;
}

async fn lifecycle_without_runtime(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let http = reqwest::Client::new();

    // auto_start (the default) on a server without a runtime: created, not started, and
    // the reason is given rather than a fake RUNNING.
    let res = grpc
        .create_cluster(CreateClusterRequest {
            name: "default".into(),
            template_id: "testing".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let c = res.cluster.unwrap();
    assert_eq!(c.status(), ClusterStatus::Created);
    assert_eq!(res.warnings.len(), 1);
    assert!(
        res.warnings[0].contains("not started"),
        "{:?}",
        res.warnings
    );
    assert!(c.status_message.contains("not started"));

    let err = grpc
        .start_cluster(StartClusterRequest {
            cluster_id: "default".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "NO_RUNTIME".into())
    );
    let err = grpc
        .stop_cluster(StopClusterRequest {
            cluster_id: "default".into(),
            cleanup: false,
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "CLUSTER_NOT_RUNNING".into())
    );
    let err = grpc
        .start_cluster(StartClusterRequest {
            cluster_id: "default".into(),
            timeout: Some(prost_types::Duration {
                seconds: -1,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let status = grpc
        .get_cluster_status(GetClusterStatusRequest {
            cluster_id: "default".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.status(), ClusterStatus::Created);
    assert_eq!(status.runtime, "none");
    assert!(status.services.is_empty());
    assert!(status.checked_at.is_some());
    let v: Value = http
        .get(env.server.rest("/clusters/default/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "CLUSTER_STATUS_CREATED");

    // Topic, produce and consume calls need a running cluster; the legacy routes act on
    // the default cluster and say so.
    let err = grpc
        .list_topics(ListTopicsRequest {
            cluster_id: "default".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::FailedPrecondition, "CLUSTER_NOT_RUNNING".into())
    );
    assert!(err.message().contains("CREATED"), "{}", err.message());
    for (method, path, body) in [
        ("GET", "/topics", ""),
        ("GET", "/consume?topic=t", ""),
        ("POST", "/produce", r#"{"topic":"t"}"#),
        ("GET", "/clusters/default/topics", ""),
        ("POST", "/clusters/default/topics", r#"{"name":"t"}"#),
        ("POST", "/topics", r#"{"name":"t"}"#),
    ] {
        let res = http
            .request(method.parse().unwrap(), env.server.rest(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{method} {path}");
        let v: Value = res.json().await.unwrap();
        assert!(
            v["message"].as_str().unwrap().contains("CREATED"),
            "{path}: {v}"
        );
    }
    grpc.delete_cluster(DeleteClusterRequest {
        cluster_id: "default".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let res = http.get(env.server.rest("/topics")).send().await.unwrap();
    let v: Value = res.json().await.unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("default cluster"),
        "{v}"
    );
    env.finish().await;
}

async fn restart_finds_everything(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    let a = grpc
        .create_cluster(create("persist-a", "development"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    let mut templates = env.server.templates().await;
    templates
        .create_template(CreateTemplateRequest {
            template: Some(ClusterTemplate {
                id: "mine".into(),
                description: "kept across restarts".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();

    let env = env.restart().await;
    let mut grpc = env.server.clusters().await;
    let got = grpc
        .get_cluster(GetClusterRequest {
            cluster_id: "persist-a".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    assert_eq!(got, a);
    let t = env
        .server
        .templates()
        .await
        .get_template(GetTemplateRequest {
            template_id: "mine".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap();
    assert_eq!(t.description, "kept across restarts");
    // Its ports are still claimed: a new cluster gets others.
    let b = grpc
        .create_cluster(create("persist-b", "development"))
        .await
        .unwrap()
        .into_inner()
        .cluster
        .unwrap();
    for p in ports_of(&b) {
        assert!(!ports_of(&a).contains(&p), "port {p} handed out twice");
    }
    env.finish().await;
}

async fn concurrent_creates(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let grpc = env.server.clusters().await;

    // Eight callers race for the same name: exactly one wins.
    let mut tasks = vec![];
    for _ in 0..8 {
        let mut g = grpc.clone();
        tasks.push(tokio::spawn(async move {
            g.create_cluster(create("contested", "testing")).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(e.code(), Code::AlreadyExists, "{e:?}"),
        }
    }
    assert_eq!(won, 1);

    // Twenty distinct clusters at once (three ports each): sixty distinct ports.
    let mut tasks = vec![];
    for i in 0..20 {
        let mut g = grpc.clone();
        tasks.push(tokio::spawn(async move {
            g.create_cluster(create(&format!("par-{i}"), "development"))
                .await
                .map(|r| r.into_inner().cluster.unwrap())
        }));
    }
    let mut all_ports = std::collections::HashSet::new();
    let mut dirs = std::collections::HashSet::new();
    for t in tasks {
        let c = t.await.unwrap().unwrap();
        for p in ports_of(&c) {
            assert!(all_ports.insert(p), "port {p} given twice");
        }
        assert!(dirs.insert(c.data_directory.clone()));
    }
    assert_eq!(all_ports.len(), 60);
    assert_eq!(names(&env).await.len(), 21);
    env.finish().await;
}

async fn cluster_limit(db: Db) {
    let Some(env) = Env::start_with(db, |c| c.max_clusters = 2).await else {
        return;
    };
    let mut grpc = env.server.clusters().await;
    for name in ["one", "two"] {
        grpc.create_cluster(create(name, "testing")).await.unwrap();
    }
    let err = grpc
        .create_cluster(create("three", "testing"))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::ResourceExhausted, "CLUSTER_LIMIT".into())
    );
    assert_eq!(names(&env).await, vec!["one", "two"]);
    assert_eq!(env.cluster_dirs().len(), 2);
    env.finish().await;
}

per_backend!(
    cluster_limit,
    create_get_list,
    filters_and_pagination,
    update_with_masks,
    delete_releases_everything,
    errors_have_the_right_codes,
    exhausted_range,
    requested_ports,
    lifecycle_without_runtime,
    restart_finds_everything,
    concurrent_creates,
);
