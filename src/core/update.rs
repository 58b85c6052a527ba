//! Field-mask updates (AIP-134) of clusters and templates.

use crate::error::{Error, Result};
use crate::pb::{
    Cluster, ClusterTemplate, KafkaConfig, RestProxyConfig, RetentionPolicy, UiConfig,
};

use super::{settings, templates, validate};

/// A copy of `src` keeping only the field `name` (a map field named here is replaced as a
/// whole by the caller), or an error naming `path`.
macro_rules! only_field {
    ($ty:ty, $src:expr, $name:expr, $path:expr; $($f:ident),* ; maps: $($m:ident),*) => {{
        let mut out = <$ty>::default();
        let mut known = false;
        $( if $name == stringify!($f) {
            if $src.$f.is_none() {
                return Err(Error::invalid("update_mask", format!(
                    "'{}' is in the update mask but the request gives it no value", $path)));
            }
            out.$f = $src.$f.clone();
            known = true;
        } )*
        $( if $name == stringify!($m) { known = true; } )*
        if !known {
            return Err(Error::invalid("update_mask", format!(
                "'{}' is not a field that can be updated", $path)));
        }
        Ok(out)
    }};
}

fn kafka_field(src: &KafkaConfig, name: &str, path: &str) -> Result<KafkaConfig> {
    only_field!(KafkaConfig, src, name, path; heap_size, log_retention_hours,
        log_segment_bytes, num_partitions, default_replication_factor, num_network_threads,
        num_io_threads, socket_send_buffer_bytes, socket_receive_buffer_bytes, engine,
        broker_count, image, jmx_enabled, storage_engine; maps: custom_properties)
}

fn rest_field(src: &RestProxyConfig, name: &str, path: &str) -> Result<RestProxyConfig> {
    only_field!(RestProxyConfig, src, name, path; enabled, heap_size,
        consumer_request_timeout_ms, producer_request_timeout_ms, image;
        maps: custom_properties)
}

fn ui_field(src: &UiConfig, name: &str, path: &str) -> Result<UiConfig> {
    only_field!(UiConfig, src, name, path; enabled, heap_size, clusters_config,
        readonly_mode, topic_creation_enabled, topic_deletion_enabled, image; maps: )
}

fn retention_field(src: &RetentionPolicy, name: &str, path: &str) -> Result<RetentionPolicy> {
    only_field!(RetentionPolicy, src, name, path; log_retention_bytes,
        cleanup_policy, storage_quota_bytes, keep_data_on_delete; maps: )
}

/// The four configuration messages a cluster or template carries, updated alike.
struct Configs<'a> {
    kafka: &'a mut KafkaConfig,
    rest: &'a mut RestProxyConfig,
    ui: &'a mut UiConfig,
    retention: &'a mut RetentionPolicy,
}

struct Patch<'a> {
    kafka: Option<&'a KafkaConfig>,
    rest: Option<&'a RestProxyConfig>,
    ui: Option<&'a UiConfig>,
    retention: Option<&'a RetentionPolicy>,
}

/// Applies a config path ("kafka_config" or "kafka_config.heap_size"); false when `path`
/// is not a config path at all.
fn apply_config_path(
    names: [&str; 4],
    path: &str,
    patch: &Patch,
    target: &mut Configs,
) -> Result<bool> {
    let (head, sub) = match path.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (path, None),
    };
    let missing = || {
        Error::invalid(
            "update_mask",
            format!("'{path}' is in the update mask but the request gives it no value"),
        )
    };
    if head == names[0] {
        let p = patch.kafka.ok_or_else(missing)?;
        let engine_before = target.kafka.engine;
        match sub {
            None => settings::merge_kafka(target.kafka, p),
            Some("custom_properties") => {
                target.kafka.custom_properties = p.custom_properties.clone()
            }
            Some(f) => settings::merge_kafka(target.kafka, &kafka_field(p, f, path)?),
        }
        if target.kafka.engine != engine_before && p.image.is_none() {
            target.kafka.image = Some(settings::default_image(target.kafka.engine()).into());
        }
    } else if head == names[1] {
        let p = patch.rest.ok_or_else(missing)?;
        match sub {
            None => settings::merge_rest_proxy(target.rest, p),
            Some("custom_properties") => {
                target.rest.custom_properties = p.custom_properties.clone()
            }
            Some(f) => settings::merge_rest_proxy(target.rest, &rest_field(p, f, path)?),
        }
    } else if head == names[2] {
        let p = patch.ui.ok_or_else(missing)?;
        match sub {
            None => settings::merge_ui(target.ui, p),
            Some(f) => settings::merge_ui(target.ui, &ui_field(p, f, path)?),
        }
    } else if head == names[3] {
        let p = patch.retention.ok_or_else(missing)?;
        match sub {
            None => settings::merge_retention(target.retention, p),
            Some(f) => settings::merge_retention(target.retention, &retention_field(p, f, path)?),
        }
    } else {
        return Ok(false);
    }
    Ok(true)
}

fn validate_configs(prefix: &str, names: [&str; 4], c: &Configs) -> Result<()> {
    settings::validate_kafka(&format!("{prefix}{}", names[0]), c.kafka)?;
    settings::validate_rest_proxy(&format!("{prefix}{}", names[1]), c.rest)?;
    settings::validate_ui(&format!("{prefix}{}", names[2]), c.ui)?;
    settings::validate_retention(&format!("{prefix}{}", names[3]), c.retention)?;
    settings::validate_effective(c.kafka, c.rest, c.ui)
}

fn require_mask(paths: &[String]) -> Result<()> {
    if paths.is_empty() {
        return Err(Error::invalid(
            "update_mask",
            "is required: name the fields to update (e.g. \"description,tags\")",
        ));
    }
    Ok(())
}

const CLUSTER_CONFIGS: [&str; 4] = [
    "kafka_config",
    "rest_proxy_config",
    "ui_config",
    "retention_policy",
];

/// Applies `paths` of `patch` onto `current`. The result is validated.
pub fn cluster(current: &Cluster, patch: &Cluster, paths: &[String]) -> Result<Cluster> {
    require_mask(paths)?;
    let mut next = current.clone();
    let mut kafka = next.kafka_config.take().unwrap_or_default();
    let mut rest = next.rest_proxy_config.take().unwrap_or_default();
    let mut ui = next.ui_config.take().unwrap_or_default();
    let mut retention = next.retention_policy.take().unwrap_or_default();
    let p = Patch {
        kafka: patch.kafka_config.as_ref(),
        rest: patch.rest_proxy_config.as_ref(),
        ui: patch.ui_config.as_ref(),
        retention: patch.retention_policy.as_ref(),
    };
    for path in paths {
        let mut configs = Configs {
            kafka: &mut kafka,
            rest: &mut rest,
            ui: &mut ui,
            retention: &mut retention,
        };
        if apply_config_path(CLUSTER_CONFIGS, path, &p, &mut configs)? {
            continue;
        }
        match path.as_str() {
            "description" => {
                validate::description("cluster.description", &patch.description)?;
                next.description = patch.description.clone();
            }
            "environment" => {
                validate::environment("cluster.environment", &patch.environment)?;
                next.environment = patch.environment.clone();
            }
            "tags" => {
                validate::tags("cluster.tags", &patch.tags)?;
                next.tags = patch.tags.clone();
            }
            "id" | "name" | "template_id" | "port_allocation" | "network_name"
            | "data_directory" | "created_at" | "updated_at" | "created_by" | "status"
            | "last_started" | "last_stopped" | "status_message" | "endpoints" => {
                return Err(Error::invalid(
                    "update_mask",
                    format!("'{path}' cannot be updated (it is set by lkm or fixed at creation)"),
                ));
            }
            other => {
                return Err(Error::invalid(
                    "update_mask",
                    format!("'{other}' is not a field of Cluster"),
                ));
            }
        }
    }
    let configs = Configs {
        kafka: &mut kafka,
        rest: &mut rest,
        ui: &mut ui,
        retention: &mut retention,
    };
    validate_configs("cluster.", CLUSTER_CONFIGS, &configs)?;
    next.kafka_config = Some(kafka);
    next.rest_proxy_config = Some(rest);
    next.ui_config = Some(ui);
    next.retention_policy = Some(retention);
    Ok(next)
}

const TEMPLATE_CONFIGS: [&str; 4] = [
    "default_kafka_config",
    "default_rest_proxy_config",
    "default_ui_config",
    "default_retention_policy",
];

/// Applies `paths` of `patch` onto a user template; the result is normalized again.
pub fn template(
    current: &ClusterTemplate,
    patch: &ClusterTemplate,
    paths: &[String],
) -> Result<ClusterTemplate> {
    require_mask(paths)?;
    let mut next = current.clone();
    let mut kafka = next.default_kafka_config.take().unwrap_or_default();
    let mut rest = next.default_rest_proxy_config.take().unwrap_or_default();
    let mut ui = next.default_ui_config.take().unwrap_or_default();
    let mut retention = next.default_retention_policy.take().unwrap_or_default();
    let p = Patch {
        kafka: patch.default_kafka_config.as_ref(),
        rest: patch.default_rest_proxy_config.as_ref(),
        ui: patch.default_ui_config.as_ref(),
        retention: patch.default_retention_policy.as_ref(),
    };
    for path in paths {
        let mut configs = Configs {
            kafka: &mut kafka,
            rest: &mut rest,
            ui: &mut ui,
            retention: &mut retention,
        };
        if apply_config_path(TEMPLATE_CONFIGS, path, &p, &mut configs)? {
            continue;
        }
        match path.as_str() {
            "name" => next.name = patch.name.clone(),
            "description" => next.description = patch.description.clone(),
            "category" => next.category = patch.category,
            "min_memory_mb" => next.min_memory_mb = patch.min_memory_mb,
            "min_disk_gb" => next.min_disk_gb = patch.min_disk_gb,
            "recommended_memory_mb" => next.recommended_memory_mb = patch.recommended_memory_mb,
            "recommended_disk_gb" => next.recommended_disk_gb = patch.recommended_disk_gb,
            "version" => next.version = patch.version.clone(),
            "tags" => next.tags = patch.tags.clone(),
            "default_environment" => next.default_environment = patch.default_environment.clone(),
            "id" | "created_at" | "updated_at" | "is_builtin" => {
                return Err(Error::invalid(
                    "update_mask",
                    format!("'{path}' cannot be updated"),
                ));
            }
            other => {
                return Err(Error::invalid(
                    "update_mask",
                    format!("'{other}' is not a field of ClusterTemplate"),
                ));
            }
        }
    }
    next.default_kafka_config = Some(kafka);
    next.default_rest_proxy_config = Some(rest);
    next.default_ui_config = Some(ui);
    next.default_retention_policy = Some(retention);
    let created_at = next.created_at;
    let mut t = templates::normalize(next)?;
    t.created_at = created_at;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::templates::{Overrides, apply, builtin};

    fn dev() -> Cluster {
        apply(builtin("development").as_ref(), &Overrides::default()).unwrap()
    }

    #[test]
    fn masked_fields_change_and_others_stay() {
        let current = dev();
        let patch = Cluster {
            description: "new".into(),
            environment: "ignored-because-unmasked".into(),
            kafka_config: Some(KafkaConfig {
                num_partitions: Some(9),
                heap_size: Some("4G".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let next = cluster(
            &current,
            &patch,
            &["description".into(), "kafka_config.num_partitions".into()],
        )
        .unwrap();
        assert_eq!(next.description, "new");
        assert_eq!(next.environment, current.environment);
        let k = next.kafka_config.unwrap();
        assert_eq!(k.num_partitions, Some(9));
        assert_eq!(k.heap_size, current.kafka_config.unwrap().heap_size);
    }

    #[test]
    fn bad_masks_are_refused() {
        let c = dev();
        for mask in [
            vec![],
            vec!["name".to_string()],
            vec!["status".to_string()],
            vec!["nope".to_string()],
            vec!["kafka_config.nope".to_string()],
            vec!["kafka_config.heap_size".to_string()],
        ] {
            assert!(cluster(&c, &Cluster::default(), &mask).is_err(), "{mask:?}");
        }
    }

    #[test]
    fn invalid_results_are_refused() {
        let c = dev();
        let patch = Cluster {
            kafka_config: Some(KafkaConfig {
                default_replication_factor: Some(3),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(cluster(&c, &patch, &["kafka_config".into()]).is_err());
    }
}
