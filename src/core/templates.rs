//! Templates: the built-in presets, validation of user templates, and `apply`, which turns a
//! template plus overrides into a cluster definition.

use std::collections::HashMap;

use prost_types::Timestamp;

use crate::error::{Error, Result};
use crate::pb::{
    BrokerEngine, Cluster, ClusterTemplate, KafkaConfig, RestProxyConfig, RetentionPolicy,
    TemplateCategory, UiConfig,
};

use super::{settings, validate};

/// 2026-01-01T00:00:00Z: the date the built-ins carry as their creation time.
const BUILTIN_EPOCH: i64 = 1_767_225_600;
const BUILTIN_VERSION: &str = "1.0.0";

fn props(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn make_builtin(
    id: &str,
    name: &str,
    description: &str,
    category: TemplateCategory,
    environment: &str,
    kafka: KafkaConfig,
    rest: RestProxyConfig,
    ui: UiConfig,
    retention: RetentionPolicy,
    resources: [i32; 4],
    tags: &[&str],
) -> ClusterTemplate {
    let at = Timestamp {
        seconds: BUILTIN_EPOCH,
        nanos: 0,
    };
    ClusterTemplate {
        id: id.into(),
        name: name.into(),
        description: description.into(),
        category: category as i32,
        default_kafka_config: Some(settings::complete_kafka(&kafka)),
        default_rest_proxy_config: Some(settings::complete_rest_proxy(&rest)),
        default_ui_config: Some(settings::complete_ui(&ui)),
        default_retention_policy: Some(settings::complete_retention(&retention)),
        min_memory_mb: resources[0],
        min_disk_gb: resources[1],
        recommended_memory_mb: resources[2],
        recommended_disk_gb: resources[3],
        version: BUILTIN_VERSION.into(),
        created_at: Some(at),
        updated_at: Some(at),
        is_builtin: true,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        default_environment: environment.into(),
    }
}

/// The templates that ship with lkm.
pub fn builtins() -> Vec<ClusterTemplate> {
    vec![
        make_builtin(
            "development",
            "Development",
            "One broker with a REST proxy and a UI; small heap, a day of retention.",
            TemplateCategory::Development,
            "dev",
            KafkaConfig {
                heap_size: Some("512M".into()),
                log_retention_hours: Some(24),
                log_segment_bytes: Some(268_435_456),
                num_partitions: Some(3),
                default_replication_factor: Some(1),
                num_network_threads: Some(2),
                num_io_threads: Some(4),
                ..Default::default()
            },
            RestProxyConfig {
                heap_size: Some("256M".into()),
                ..Default::default()
            },
            UiConfig {
                heap_size: Some("256M".into()),
                ..Default::default()
            },
            RetentionPolicy::default(),
            [1024, 1, 2048, 5],
            &["single-broker", "ui", "rest-proxy"],
        ),
        make_builtin(
            "testing",
            "Testing",
            "One lean broker for automated tests: no REST proxy or UI, one hour of retention, small segments.",
            TemplateCategory::Testing,
            "test",
            KafkaConfig {
                heap_size: Some("512M".into()),
                log_retention_hours: Some(1),
                log_segment_bytes: Some(67_108_864),
                num_partitions: Some(1),
                default_replication_factor: Some(1),
                num_network_threads: Some(2),
                num_io_threads: Some(2),
                ..Default::default()
            },
            RestProxyConfig {
                enabled: Some(false),
                ..Default::default()
            },
            UiConfig {
                enabled: Some(false),
                ..Default::default()
            },
            RetentionPolicy::default(),
            [512, 1, 1024, 2],
            &["single-broker", "ephemeral"],
        ),
        make_builtin(
            "staging",
            "Staging",
            "Three brokers with replication factor 3 and min.insync.replicas 2, REST proxy and UI.",
            TemplateCategory::Staging,
            "staging",
            KafkaConfig {
                heap_size: Some("1G".into()),
                log_retention_hours: Some(72),
                num_partitions: Some(3),
                default_replication_factor: Some(3),
                broker_count: Some(3),
                custom_properties: props(&[("min.insync.replicas", "2")]),
                ..Default::default()
            },
            RestProxyConfig::default(),
            UiConfig::default(),
            RetentionPolicy::default(),
            [4096, 10, 6144, 20],
            &["multi-broker", "replicated", "ui", "rest-proxy"],
        ),
        make_builtin(
            "production",
            "Production-like",
            "Three brokers sized like production: 2G heaps, replication factor 3, min.insync.replicas 2, JMX, read-only UI.",
            TemplateCategory::Production,
            "prod",
            KafkaConfig {
                heap_size: Some("2G".into()),
                log_retention_hours: Some(168),
                num_partitions: Some(6),
                default_replication_factor: Some(3),
                broker_count: Some(3),
                num_network_threads: Some(8),
                num_io_threads: Some(16),
                socket_send_buffer_bytes: Some(1_048_576),
                socket_receive_buffer_bytes: Some(1_048_576),
                jmx_enabled: Some(true),
                custom_properties: props(&[
                    ("min.insync.replicas", "2"),
                    ("unclean.leader.election.enable", "false"),
                    ("auto.create.topics.enable", "false"),
                ]),
                ..Default::default()
            },
            RestProxyConfig {
                heap_size: Some("1G".into()),
                ..Default::default()
            },
            UiConfig {
                heap_size: Some("1G".into()),
                readonly_mode: Some(true),
                topic_creation_enabled: Some(false),
                topic_deletion_enabled: Some(false),
                ..Default::default()
            },
            RetentionPolicy::default(),
            [8192, 50, 16384, 100],
            &["multi-broker", "replicated", "jmx", "readonly-ui"],
        ),
        make_builtin(
            "tansu-dev",
            "tansu development",
            "One tansu broker (an Apache Kafka API compatible broker in Rust): starts in a second, tens of MB of memory, no JVM.",
            TemplateCategory::Development,
            "dev",
            KafkaConfig {
                heap_size: Some("256M".into()),
                engine: Some(BrokerEngine::Tansu as i32),
                num_partitions: Some(3),
                log_retention_hours: Some(24),
                ..Default::default()
            },
            RestProxyConfig {
                enabled: Some(false),
                ..Default::default()
            },
            UiConfig {
                enabled: Some(false),
                ..Default::default()
            },
            RetentionPolicy::default(),
            [128, 1, 256, 1],
            &["single-broker", "tansu", "lightweight"],
        ),
    ]
}

pub fn builtin(id: &str) -> Option<ClusterTemplate> {
    builtins().into_iter().find(|t| t.id == id)
}

pub fn is_builtin(id: &str) -> bool {
    builtins().iter().any(|t| t.id == id)
}

/// Validates a user template and fills what it leaves unset from lkm's base defaults.
pub fn normalize(mut t: ClusterTemplate) -> Result<ClusterTemplate> {
    validate::template_id("template.id", &t.id)?;
    if t.name.is_empty() {
        t.name = t.id.clone();
    }
    if t.name.chars().count() > 100 || t.name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "template.name",
            "must be at most 100 characters, without control characters",
        ));
    }
    validate::description("template.description", &t.description)?;
    match TemplateCategory::try_from(t.category) {
        Ok(TemplateCategory::Unspecified) => t.category = TemplateCategory::Custom as i32,
        Ok(_) => {}
        Err(_) => {
            return Err(Error::invalid(
                "template.category",
                format!("unknown category {}", t.category),
            ));
        }
    }
    let kafka = t.default_kafka_config.take().unwrap_or_default();
    settings::validate_kafka("template.default_kafka_config", &kafka)?;
    let rest = t.default_rest_proxy_config.take().unwrap_or_default();
    settings::validate_rest_proxy("template.default_rest_proxy_config", &rest)?;
    let ui = t.default_ui_config.take().unwrap_or_default();
    settings::validate_ui("template.default_ui_config", &ui)?;
    let retention = t.default_retention_policy.take().unwrap_or_default();
    settings::validate_retention("template.default_retention_policy", &retention)?;
    let kafka = settings::complete_kafka(&kafka);
    let rest = settings::complete_rest_proxy(&rest);
    let ui = settings::complete_ui(&ui);
    settings::validate_effective(&kafka, &rest, &ui)?;
    t.default_kafka_config = Some(kafka);
    t.default_rest_proxy_config = Some(rest);
    t.default_ui_config = Some(ui);
    t.default_retention_policy = Some(settings::complete_retention(&retention));
    for (field, v) in [
        ("template.min_memory_mb", t.min_memory_mb),
        ("template.min_disk_gb", t.min_disk_gb),
        ("template.recommended_memory_mb", t.recommended_memory_mb),
        ("template.recommended_disk_gb", t.recommended_disk_gb),
    ] {
        validate::in_range(field, v, 0, 1_048_576)?;
    }
    if t.recommended_memory_mb == 0 {
        t.recommended_memory_mb = t.min_memory_mb;
    }
    if t.recommended_disk_gb == 0 {
        t.recommended_disk_gb = t.min_disk_gb;
    }
    if t.recommended_memory_mb < t.min_memory_mb {
        return Err(Error::invalid(
            "template.recommended_memory_mb",
            "must not be below min_memory_mb",
        ));
    }
    if t.recommended_disk_gb < t.min_disk_gb {
        return Err(Error::invalid(
            "template.recommended_disk_gb",
            "must not be below min_disk_gb",
        ));
    }
    if t.version.is_empty() {
        t.version = "1.0.0".into();
    }
    if t.version.len() > 32
        || t.version
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::invalid(
            "template.version",
            "must be at most 32 characters, without spaces",
        ));
    }
    if t.tags.len() > validate::MAX_TAGS {
        return Err(Error::invalid("template.tags", "at most 32 tags"));
    }
    for tag in &t.tags {
        validate::tag_key("template.tags", tag)?;
    }
    if !t.default_environment.is_empty() {
        validate::environment("template.default_environment", &t.default_environment)?;
    }
    t.is_builtin = false;
    Ok(t)
}

/// Overrides a user asks for on top of a template.
#[derive(Default, Clone, Debug)]
pub struct Overrides {
    pub name: String,
    pub environment: String,
    pub kafka: Option<KafkaConfig>,
    pub rest_proxy: Option<RestProxyConfig>,
    pub ui: Option<UiConfig>,
    pub retention: Option<RetentionPolicy>,
}

/// The seed's `apply_template`: the cluster definition a template plus overrides yields.
/// `template` None means lkm's base defaults. The result is validated; it has no id, ports
/// or directories yet.
pub fn apply(template: Option<&ClusterTemplate>, o: &Overrides) -> Result<Cluster> {
    if let Some(k) = &o.kafka {
        settings::validate_kafka("kafka_config", k)?;
    }
    if let Some(r) = &o.rest_proxy {
        settings::validate_rest_proxy("rest_proxy_config", r)?;
    }
    if let Some(u) = &o.ui {
        settings::validate_ui("ui_config", u)?;
    }
    if let Some(r) = &o.retention {
        settings::validate_retention("retention_policy", r)?;
    }
    let mut kafka = template
        .and_then(|t| t.default_kafka_config.clone())
        .unwrap_or_default();
    let mut rest = template
        .and_then(|t| t.default_rest_proxy_config.clone())
        .unwrap_or_default();
    let mut ui = template
        .and_then(|t| t.default_ui_config.clone())
        .unwrap_or_default();
    let mut retention = template
        .and_then(|t| t.default_retention_policy)
        .unwrap_or_default();
    let engine_before = kafka.engine;
    if let Some(k) = &o.kafka {
        settings::merge_kafka(&mut kafka, k);
        // A new engine without a new image means the engine's image, not the template's.
        if k.engine.is_some() && k.engine != engine_before && k.image.is_none() {
            kafka.image = None;
        }
    }
    if let Some(r) = &o.rest_proxy {
        settings::merge_rest_proxy(&mut rest, r);
    }
    if let Some(u) = &o.ui {
        settings::merge_ui(&mut ui, u);
    }
    if let Some(r) = &o.retention {
        settings::merge_retention(&mut retention, r);
    }
    let kafka = settings::complete_kafka(&kafka);
    let rest = settings::complete_rest_proxy(&rest);
    let ui = settings::complete_ui(&ui);
    settings::validate_effective(&kafka, &rest, &ui)?;

    let environment = if !o.environment.is_empty() {
        o.environment.clone()
    } else {
        template
            .map(|t| t.default_environment.clone())
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "dev".into())
    };
    validate::environment("environment", &environment)?;
    if !o.name.is_empty() {
        validate::cluster_name("name", &o.name)?;
    }
    Ok(Cluster {
        name: o.name.clone(),
        template_id: template.map(|t| t.id.clone()).unwrap_or_default(),
        environment,
        kafka_config: Some(kafka),
        rest_proxy_config: Some(rest),
        ui_config: Some(ui),
        retention_policy: Some(settings::complete_retention(&retention)),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_valid_and_complete() {
        let all = builtins();
        for id in [
            "development",
            "testing",
            "staging",
            "production",
            "tansu-dev",
        ] {
            assert!(all.iter().any(|t| t.id == id), "{id} missing");
        }
        for t in all {
            let k = t.default_kafka_config.as_ref().unwrap();
            settings::validate_kafka("k", k).unwrap();
            let (r, u) = (
                t.default_rest_proxy_config.as_ref().unwrap(),
                t.default_ui_config.as_ref().unwrap(),
            );
            settings::validate_effective(k, r, u).unwrap();
            assert!(k.image.is_some() && k.heap_size.is_some() && k.broker_count.is_some());
            assert!(t.min_memory_mb <= t.recommended_memory_mb);
            assert!(t.min_disk_gb <= t.recommended_disk_gb);
        }
    }

    #[test]
    fn apply_merges_overrides_onto_template() {
        let t = builtin("staging").unwrap();
        let c = apply(
            Some(&t),
            &Overrides {
                name: "s1".into(),
                kafka: Some(KafkaConfig {
                    num_partitions: Some(12),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .unwrap();
        let k = c.kafka_config.unwrap();
        assert_eq!(k.num_partitions, Some(12));
        assert_eq!(k.broker_count, Some(3));
        assert_eq!(
            k.custom_properties
                .get("min.insync.replicas")
                .map(String::as_str),
            Some("2")
        );
        assert_eq!(c.environment, "staging");
        assert_eq!(c.template_id, "staging");
    }

    #[test]
    fn apply_rejects_an_invalid_result() {
        let t = builtin("staging").unwrap();
        let err = apply(
            Some(&t),
            &Overrides {
                kafka: Some(KafkaConfig {
                    broker_count: Some(1),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("default_replication_factor"),
            "{err}"
        );
    }

    #[test]
    fn switching_engine_switches_image() {
        let t = builtin("testing").unwrap();
        let c = apply(
            Some(&t),
            &Overrides {
                kafka: Some(KafkaConfig {
                    engine: Some(BrokerEngine::Tansu as i32),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            c.kafka_config.unwrap().image.as_deref(),
            Some(settings::TANSU_IMAGE)
        );
    }
}
