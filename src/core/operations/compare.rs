//! Comparing two clusters: their definitions in lkm, their brokers' own configs, their
//! topics (partitions, replication factor, configs) and, on request, their message counts.
//!
//! What "differs" means, part by part:
//! - definitions: every field of `KafkaConfig` and `RetentionPolicy` (found by reflection, so
//!   a new field is compared without code here), keyed `kafka_config.<field>` and
//!   `retention_policy.<field>`, map entries as `kafka_config.custom_properties.<key>`. An
//!   external cluster has no definition: then this part is not compared (see `not_compared`).
//! - broker configs: DescribeConfigs of the lowest-id broker of each side, keyed
//!   `broker_config.<name>`, leaving out the keys that name the broker itself or its host
//!   (ids, listeners, directories), which always differ. A broker that cannot describe itself
//!   within BROKER_CONFIGS_TIMEOUT makes this part "not compared", never a failure.
//! - topic configs: the keys set on the topic (not inherited) on either side, compared by
//!   their effective values on both sides. Values inherited from different broker defaults
//!   show up as broker config differences instead.
//! - a value missing on one side is the empty string.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, ReflectMessage, Value};

use crate::error::{Error, Result};
use crate::kafka::pool::Clients;
use crate::kafka::{brokers, topics as kt};
use crate::pb::{
    Cluster, ClusterComparisonResult, CompareClustersRequest, ComparisonSummary, ConfigDifference,
    PartitionMessageCount, TopicDifference,
};

use super::super::clusters::is_external;
use super::OperationManager;

/// How long a broker may take to describe its own configuration.
const BROKER_CONFIGS_TIMEOUT: Duration = Duration::from_secs(5);

/// Broker config keys that name the broker itself or its host: they differ between any two
/// clusters and say nothing about how they behave.
const BROKER_IDENTITY_KEYS: &[&str] = &[
    "advertised.host.name",
    "advertised.listeners",
    "advertised.port",
    "broker.id",
    "broker.rack",
    "controller.quorum.bootstrap.servers",
    "controller.quorum.voters",
    "host.name",
    "listeners",
    "log.dir",
    "log.dirs",
    "metadata.log.dir",
    "node.id",
    "port",
    "zookeeper.connect",
];

/// One topic as compared: its shape and its configs.
#[derive(Clone, Debug, Default)]
pub(super) struct TopicShape {
    pub partitions: i32,
    pub replication_factor: i32,
    pub configs: kt::TopicConfigs,
}

/// Shapes of `names` (which must exist) on a cluster.
pub(super) async fn shapes(
    clients: &Arc<Clients>,
    metadata: &[kt::TopicMeta],
    names: &[String],
) -> Result<BTreeMap<String, TopicShape>> {
    let mut configs = kt::topic_configs(clients, names).await?;
    let mut out = BTreeMap::new();
    for name in names {
        let meta = metadata
            .iter()
            .find(|t| t.name == *name)
            .ok_or_else(|| Error::TopicNotFound(name.clone()))?;
        out.insert(
            name.clone(),
            TopicShape {
                partitions: i32::try_from(meta.partitions.len()).unwrap_or(i32::MAX),
                replication_factor: kt::replication_factor(meta),
                configs: configs.remove(name).unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// The configs set on either side, where their effective values differ.
fn config_differences(src: &kt::TopicConfigs, dst: &kt::TopicConfigs) -> Vec<ConfigDifference> {
    src.overridden
        .union(&dst.overridden)
        .filter_map(|key| {
            let (s, d) = (src.values.get(key), dst.values.get(key));
            (s != d).then(|| ConfigDifference {
                key: key.clone(),
                source_value: s.cloned().unwrap_or_default(),
                target_value: d.cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// How `topic` differs between two clusters, if it does. Partition counts count only with
/// `partitions_matter` (a replication without preserve_partitions leaves them to the target).
pub(super) fn topic_difference(
    topic: &str,
    src: &TopicShape,
    dst: &TopicShape,
    partitions_matter: bool,
) -> Option<TopicDifference> {
    let configs = config_differences(&src.configs, &dst.configs);
    let differs = (partitions_matter && src.partitions != dst.partitions)
        || src.replication_factor != dst.replication_factor
        || !configs.is_empty();
    differs.then(|| TopicDifference {
        topic: topic.to_string(),
        source_partitions: src.partitions,
        target_partitions: dst.partitions,
        source_replication_factor: src.replication_factor,
        target_replication_factor: dst.replication_factor,
        config_differences: configs,
    })
}

/// Differences between two key → value maps (a missing key is the empty value), keys
/// prefixed with `prefix`.
fn map_differences(
    prefix: &str,
    src: &BTreeMap<String, String>,
    dst: &BTreeMap<String, String>,
) -> Vec<ConfigDifference> {
    let keys: BTreeSet<&String> = src.keys().chain(dst.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (s, d) = (src.get(k), dst.get(k));
            (s != d).then(|| ConfigDifference {
                key: format!("{prefix}{k}"),
                source_value: s.cloned().unwrap_or_default(),
                target_value: d.cloned().unwrap_or_default(),
            })
        })
        .collect()
}

fn descriptors() -> Result<&'static DescriptorPool> {
    static POOL: OnceLock<std::result::Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::internal(format!("lkm's own descriptors: {e}")))
}

/// Every set field of `msg` (named `full_name` in the descriptors) as `key → text`.
fn flatten(full_name: &str, msg: &impl Message) -> Result<BTreeMap<String, String>> {
    let desc = descriptors()?
        .get_message_by_name(full_name)
        .ok_or_else(|| Error::internal(format!("no descriptor of {full_name}")))?;
    let dynamic = DynamicMessage::decode(desc, msg.encode_to_vec().as_slice())
        .map_err(|e| Error::internal(format!("re-decoding {full_name}: {e}")))?;
    let mut out = BTreeMap::new();
    flatten_into("", &dynamic, &mut out);
    Ok(out)
}

fn flatten_into(prefix: &str, msg: &DynamicMessage, out: &mut BTreeMap<String, String>) {
    for field in msg.descriptor().fields() {
        if field.supports_presence() && !msg.has_field(&field) {
            continue;
        }
        let key = format!("{prefix}{}", field.name());
        let value = msg.get_field(&field);
        let enum_of = field.kind().as_enum().cloned();
        let text = |v: &Value| -> String {
            match (v, &enum_of) {
                (&Value::EnumNumber(n), Some(e)) => e
                    .get_value(n)
                    .map_or_else(|| n.to_string(), |ev| ev.name().to_string()),
                _ => scalar(v),
            }
        };
        match value.as_ref() {
            Value::Message(m) => flatten_into(&format!("{key}."), m, out),
            Value::Map(entries) => {
                for (k, v) in entries {
                    let k = match k {
                        MapKey::String(s) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    match v {
                        Value::Message(m) => flatten_into(&format!("{key}.{k}."), m, out),
                        other => {
                            out.insert(format!("{key}.{k}"), text(other));
                        }
                    }
                }
            }
            Value::List(items) => {
                if !items.is_empty() {
                    let joined: Vec<String> = items.iter().map(&text).collect();
                    out.insert(key, joined.join(","));
                }
            }
            other => {
                out.insert(key, text(other));
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::F32(n) => n.to_string(),
        Value::F64(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => format!("{} bytes", b.len()),
        Value::EnumNumber(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// A cluster's definition (KafkaConfig and RetentionPolicy) as `kafka_config.<field>` and
/// `retention_policy.<field>` → text.
fn definition(c: &Cluster) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if let Some(k) = &c.kafka_config {
        for (key, v) in flatten("lkm.v1.KafkaConfig", k)? {
            out.insert(format!("kafka_config.{key}"), v);
        }
    }
    if let Some(r) = &c.retention_policy {
        for (key, v) in flatten("lkm.v1.RetentionPolicy", r)? {
            out.insert(format!("retention_policy.{key}"), v);
        }
    }
    Ok(out)
}

/// The configs of a cluster's lowest-id broker, without the keys naming the broker.
async fn broker_configs(clients: &Arc<Clients>) -> Result<BTreeMap<String, String>> {
    let ids = brokers::ids(clients).await?;
    let first = ids
        .first()
        .copied()
        .ok_or_else(|| Error::Unavailable("the metadata lists no broker".into()))?;
    let mut configs = brokers::configs(clients, first, BROKER_CONFIGS_TIMEOUT).await?;
    if configs.is_empty() {
        // Every Kafka broker has hundreds of settings: an empty answer is no answer.
        return Err(Error::Unavailable(format!(
            "broker {first} described an empty configuration"
        )));
    }
    configs.retain(|k, _| !BROKER_IDENTITY_KEYS.contains(&k.as_str()));
    Ok(configs)
}

/// Message counts (high − low watermark) per (topic, partition); partitions whose offsets
/// could not be read are listed in the second value.
async fn message_counts(
    clients: &Arc<Clients>,
    topics: &[kt::TopicMeta],
) -> Result<(BTreeMap<(String, i32), i64>, Vec<String>)> {
    let partitions: Vec<(String, i32)> = topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
        .collect();
    let marks = kt::watermarks(clients, partitions.clone()).await?;
    let mut counts = BTreeMap::new();
    let mut unread = Vec::new();
    for key in partitions {
        match marks.get(&key) {
            Some((low, high)) => {
                counts.insert(key, (high - low).max(0));
            }
            None => unread.push(format!("{}[{}]", key.0, key.1)),
        }
    }
    Ok((counts, unread))
}

pub async fn compare(
    mgr: &OperationManager,
    req: CompareClustersRequest,
) -> Result<ClusterComparisonResult> {
    let (src, targets) = mgr
        .check_clusters(
            ("source_cluster", "target_cluster"),
            &req.source_cluster,
            std::slice::from_ref(&req.target_cluster),
        )
        .await?;
    let dst = targets
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("no target"))?;
    let (sc, dc) = (mgr.clients(&src)?, mgr.clients(&dst)?);
    let mut not_compared = Vec::new();

    // The definitions.
    let mut config_diffs = Vec::new();
    let external: Vec<&str> = [&src, &dst]
        .into_iter()
        .filter(|c| is_external(c))
        .map(|c| c.name.as_str())
        .collect();
    if external.is_empty() {
        config_diffs.extend(map_differences("", &definition(&src)?, &definition(&dst)?));
    } else {
        not_compared.push(format!(
            "cluster definitions: {} {} external (lkm does not run it and has no definition of its configuration); only the brokers' own configs are compared",
            external.join(" and "),
            if external.len() == 1 { "is" } else { "are" },
        ));
    }

    // The brokers' own configs, each side at once.
    let (sb, db) = tokio::join!(broker_configs(&sc), broker_configs(&dc));
    let broker_configs_compared = match (sb, db) {
        (Ok(s), Ok(d)) => {
            config_diffs.extend(map_differences("broker_config.", &s, &d));
            true
        }
        (s, d) => {
            let reasons: Vec<String> = [("source", s.err()), ("target", d.err())]
                .into_iter()
                .filter_map(|(side, e)| e.map(|e| format!("the {side}'s: {e}")))
                .collect();
            not_compared.push(format!(
                "broker configs: unavailable ({})",
                reasons.join("; ")
            ));
            false
        }
    };

    // Topics.
    let (mut st, mut dt) = tokio::try_join!(kt::metadata(&sc, None), kt::metadata(&dc, None))?;
    st.retain(|t| !kt::is_internal(&t.name));
    dt.retain(|t| !kt::is_internal(&t.name));
    let src_names: BTreeSet<String> = st.iter().map(|t| t.name.clone()).collect();
    let dst_names: BTreeSet<String> = dt.iter().map(|t| t.name.clone()).collect();
    let only_src: Vec<String> = src_names.difference(&dst_names).cloned().collect();
    let only_dst: Vec<String> = dst_names.difference(&src_names).cloned().collect();
    let common: Vec<String> = src_names.intersection(&dst_names).cloned().collect();
    let (s_shapes, d_shapes) =
        tokio::try_join!(shapes(&sc, &st, &common), shapes(&dc, &dt, &common))?;
    let topic_diffs: Vec<TopicDifference> = common
        .iter()
        .filter_map(|t| {
            let (s, d) = (s_shapes.get(t)?, d_shapes.get(t)?);
            topic_difference(t, s, d, true)
        })
        .collect();

    // Message counts, on request.
    let mut count_diffs = Vec::new();
    let (mut source_messages, mut target_messages) = (0i64, 0i64);
    if req.include_data {
        let ((s_counts, s_unread), (d_counts, d_unread)) =
            tokio::try_join!(message_counts(&sc, &st), message_counts(&dc, &dt))?;
        for (side, unread) in [("source", s_unread), ("target", d_unread)] {
            if !unread.is_empty() {
                not_compared.push(format!(
                    "message counts of {} on the {side}: their offsets could not be read",
                    unread.join(", ")
                ));
            }
        }
        source_messages = s_counts.values().sum();
        target_messages = d_counts.values().sum();
        let keys: BTreeSet<&(String, i32)> = s_counts.keys().chain(d_counts.keys()).collect();
        for key in keys {
            let (s, d) = (
                s_counts.get(key).copied().unwrap_or(0),
                d_counts.get(key).copied().unwrap_or(0),
            );
            if s != d {
                count_diffs.push(PartitionMessageCount {
                    topic: key.0.clone(),
                    partition: key.1,
                    source_count: s,
                    target_count: d,
                    difference: s - d,
                });
            }
        }
    }

    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let summary = ComparisonSummary {
        config_differences: count(config_diffs.len()),
        topics_only_in_source: count(only_src.len()),
        topics_only_in_target: count(only_dst.len()),
        topics_with_different_config: count(topic_diffs.len()),
        source_messages,
        target_messages,
        partitions_with_different_counts: count(count_diffs.len()),
        identical: config_diffs.is_empty()
            && only_src.is_empty()
            && only_dst.is_empty()
            && topic_diffs.is_empty()
            && count_diffs.is_empty(),
        broker_configs_compared,
    };
    tracing::info!(
        source = %src.name,
        target = %dst.name,
        identical = summary.identical,
        config_differences = summary.config_differences,
        topic_differences = summary.topics_with_different_config,
        "clusters compared"
    );
    Ok(ClusterComparisonResult {
        source_cluster: src.name,
        target_cluster: dst.name,
        config_differences: config_diffs,
        topics_only_in_source: only_src,
        topics_only_in_target: only_dst,
        topics_with_different_config: topic_diffs,
        message_count_differences: count_diffs,
        summary: Some(summary),
        not_compared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{CleanupPolicy, KafkaConfig, RetentionPolicy};

    fn configs(values: &[(&str, &str)], overridden: &[&str]) -> kt::TopicConfigs {
        kt::TopicConfigs {
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            overridden: overridden.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn definitions_differ_by_field_name() {
        let a = Cluster {
            kafka_config: Some(KafkaConfig {
                num_partitions: Some(3),
                heap_size: Some("1G".into()),
                custom_properties: [("log.cleaner.enable".to_string(), "true".to_string())].into(),
                ..Default::default()
            }),
            retention_policy: Some(RetentionPolicy {
                cleanup_policy: Some(CleanupPolicy::Delete as i32),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut b = a.clone();
        if let Some(k) = b.kafka_config.as_mut() {
            k.num_partitions = Some(6);
            k.custom_properties.clear();
        }
        if let Some(r) = b.retention_policy.as_mut() {
            r.cleanup_policy = Some(CleanupPolicy::Compact as i32);
        }
        let diffs = map_differences("", &definition(&a).unwrap(), &definition(&b).unwrap());
        let got: Vec<(&str, &str, &str)> = diffs
            .iter()
            .map(|d| {
                (
                    d.key.as_str(),
                    d.source_value.as_str(),
                    d.target_value.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "kafka_config.custom_properties.log.cleaner.enable",
                    "true",
                    ""
                ),
                ("kafka_config.num_partitions", "3", "6"),
                (
                    "retention_policy.cleanup_policy",
                    "CLEANUP_POLICY_DELETE",
                    "CLEANUP_POLICY_COMPACT"
                ),
            ]
        );
        assert!(map_differences("", &definition(&a).unwrap(), &definition(&a).unwrap()).is_empty());
    }

    #[test]
    fn topic_configs_compare_keys_set_on_either_side() {
        let src = TopicShape {
            partitions: 3,
            replication_factor: 1,
            configs: configs(
                &[("retention.ms", "3600000"), ("cleanup.policy", "delete")],
                &["retention.ms"],
            ),
        };
        // Same override; a key set only on the target differs from the source's inherited value.
        let dst = TopicShape {
            partitions: 3,
            replication_factor: 1,
            configs: configs(
                &[("retention.ms", "3600000"), ("cleanup.policy", "compact")],
                &["retention.ms", "cleanup.policy"],
            ),
        };
        let d = topic_difference("t", &src, &dst, true).unwrap();
        assert_eq!(d.config_differences.len(), 1);
        assert_eq!(d.config_differences[0].key, "cleanup.policy");
        assert_eq!(
            (
                d.config_differences[0].source_value.as_str(),
                d.config_differences[0].target_value.as_str()
            ),
            ("delete", "compact")
        );
        // Inherited values that differ (broker defaults) are not topic differences.
        let plain = |v: &str| TopicShape {
            partitions: 2,
            replication_factor: 1,
            configs: configs(&[("retention.ms", v)], &[]),
        };
        assert!(topic_difference("t", &plain("1"), &plain("2"), true).is_none());
        // Partition counts count only when asked.
        let mut wider = plain("1");
        wider.partitions = 4;
        assert!(topic_difference("t", &plain("1"), &wider, false).is_none());
        let d = topic_difference("t", &plain("1"), &wider, true).unwrap();
        assert_eq!((d.source_partitions, d.target_partitions), (2, 4));
    }
}
