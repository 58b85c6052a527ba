//! Topic requests: Kafka's naming rules, defaults from the cluster's KafkaConfig, limits.

use std::collections::BTreeMap;

use super::{DataPlane, required};
use crate::core::validate;
use crate::error::{Error, Result};
use crate::kafka::brokers;
use crate::kafka::topics::{self as kt, NewTopicSpec};
use crate::pb::{
    AddPartitionsRequest, CreateTopicRequest, DeleteTopicRequest, GetTopicRequest,
    ListTopicsRequest, Topic, UpdateTopicConfigRequest,
};

/// Kafka's limit on topic name length.
pub const MAX_TOPIC_NAME: usize = 249;
/// lkm's limit on partitions per topic.
pub const MAX_PARTITIONS: i32 = 10_000;

/// Kafka's topic-name rules: 1 to 249 characters of ASCII letters, digits, '.', '_' and
/// '-', and neither "." nor "..".
pub fn topic_name(field: &str, name: &str) -> Result<()> {
    let rule = "a topic name is 1 to 249 characters of ASCII letters, digits, '.', '_' and '-', and not '.' or '..'";
    if name.is_empty() {
        return Err(Error::invalid(field, format!("is required ({rule})")));
    }
    let shown: String = name.chars().take(60).collect();
    if name.len() > MAX_TOPIC_NAME {
        return Err(Error::invalid(
            field,
            format!("'{shown}…' is {} characters long; {rule}", name.len()),
        ));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid(
            field,
            format!("'{name}' is not allowed; {rule}"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(Error::invalid(
            field,
            format!("'{}' contains {bad:?}; {rule}", shown.escape_debug()),
        ));
    }
    Ok(())
}

/// Refuses Kafka's internal topics (`__consumer_offsets`, `__transaction_state`,
/// `__share_group_state`, `__cluster_metadata`, …): Kafka reserves every name starting with
/// two underscores for them, and creating, deleting or reshaping one breaks the cluster.
pub fn not_internal(field: &str, name: &str) -> Result<()> {
    if kt::is_internal(name) {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is an internal topic name: names starting with '__' are reserved for Kafka's own topics",
                validate::printable(name)
            ),
        ));
    }
    Ok(())
}

/// The longest topic config name lkm accepts (Kafka's are well under 100 characters).
const MAX_CONFIG_NAME: usize = 255;

/// Config names as Kafka writes them: a letter or digit, then letters, digits, '.', '_' and
/// '-' (`retention.ms`, `cleanup.policy`).
fn config_name(field: &str, name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = name.len() <= MAX_CONFIG_NAME
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a config name: use up to {MAX_CONFIG_NAME} ASCII letters, digits, '.', '_' and '-', starting with a letter or digit",
                validate::printable(name)
            ),
        ));
    }
    Ok(())
}

fn config_keys<'a>(field: &str, keys: impl IntoIterator<Item = &'a String>) -> Result<()> {
    keys.into_iter().try_for_each(|k| config_name(field, k))
}

/// Config names and values: a value with a control character (a newline, a NUL) is never
/// a Kafka setting, and some brokers write configs to line-oriented files.
fn config_entries<'a>(
    field: &str,
    entries: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Result<()> {
    for (name, value) in entries {
        config_name(field, name)?;
        if value.chars().any(char::is_control) {
            return Err(Error::invalid(
                format!("{field}[{name}]"),
                format!(
                    "'{}' contains a control character (newline, tab, NUL, …); config values are one line of text",
                    validate::printable(value)
                ),
            ));
        }
    }
    Ok(())
}

impl DataPlane {
    pub async fn list_topics(&self, r: ListTopicsRequest) -> Result<Vec<Topic>> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        kt::list(&clients, r.include_internal).await
    }

    pub async fn get_topic(&self, r: GetTopicRequest) -> Result<Topic> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        required("topic", &r.topic)?;
        kt::describe(&clients, &r.topic).await
    }

    /// Creates a topic; partitions and replication factor default to the cluster's
    /// KafkaConfig (for a cluster lkm does not run: to the broker's defaults).
    pub async fn create_topic(&self, r: CreateTopicRequest) -> Result<Topic> {
        let (cluster, clients) = self.cluster(&r.cluster_id).await?;
        topic_name("name", &r.name)?;
        not_internal("name", &r.name)?;
        let kafka = cluster.kafka_config.as_ref();
        // -1 asks the broker for its default (KIP-464).
        let partitions = r
            .partitions
            .or_else(|| kafka.and_then(|k| k.num_partitions))
            .unwrap_or(-1);
        let replication_factor = r
            .replication_factor
            .or_else(|| kafka.and_then(|k| k.default_replication_factor))
            .unwrap_or(-1);
        if r.partitions.is_some() && !(1..=MAX_PARTITIONS).contains(&partitions) {
            return Err(Error::invalid(
                "partitions",
                format!("must be between 1 and {MAX_PARTITIONS}"),
            ));
        }
        if r.replication_factor.is_some()
            && !(1..=i32::from(i16::MAX)).contains(&replication_factor)
        {
            return Err(Error::invalid(
                "replication_factor",
                "must be at least 1 (and at most the number of brokers)",
            ));
        }
        config_entries("configs", &r.configs)?;
        // More replicas than brokers can never be placed; the broker count is the cluster's
        // own answer (what lkm runs, or an external cluster).
        if replication_factor > 0 {
            let brokers = brokers::ids(&clients).await?.len();
            if usize::try_from(replication_factor).unwrap_or(usize::MAX) > brokers {
                return Err(Error::invalid(
                    "replication_factor",
                    format!(
                        "is {replication_factor}, more than the {brokers} broker(s) of cluster '{}'",
                        cluster.name
                    ),
                ));
            }
        }
        kt::create(
            &clients,
            &NewTopicSpec {
                name: r.name.clone(),
                partitions,
                replication_factor,
                configs: r.configs.into_iter().collect::<BTreeMap<_, _>>(),
            },
        )
        .await?;
        tracing::info!(cluster = %cluster.name, topic = %r.name, partitions, "topic created");
        kt::describe(&clients, &r.name).await
    }

    pub async fn delete_topic(&self, r: DeleteTopicRequest) -> Result<()> {
        let (cluster, clients) = self.cluster(&r.cluster_id).await?;
        required("topic", &r.topic)?;
        not_internal("topic", &r.topic)?;
        kt::delete(&clients, &r.topic).await?;
        tracing::info!(cluster = %cluster.name, topic = %r.topic, "topic deleted");
        Ok(())
    }

    /// Raises the partition count of a topic to `partitions` (more than it has).
    pub async fn add_partitions(&self, r: AddPartitionsRequest) -> Result<Topic> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        required("topic", &r.topic)?;
        not_internal("topic", &r.topic)?;
        let current = kt::topic_metadata(&clients, &r.topic)
            .await?
            .partitions
            .len();
        let wanted = usize::try_from(r.partitions).unwrap_or(0);
        if wanted <= current {
            return Err(Error::invalid(
                "partitions",
                format!(
                    "is the new total and must exceed the current count: topic '{}' has {current} partition(s)",
                    r.topic
                ),
            ));
        }
        if r.partitions > MAX_PARTITIONS {
            return Err(Error::invalid(
                "partitions",
                format!("must be at most {MAX_PARTITIONS}"),
            ));
        }
        kt::add_partitions(&clients, &r.topic, wanted).await?;
        kt::describe(&clients, &r.topic).await
    }

    /// Sets and deletes topic configs; the configs not named keep their values.
    pub async fn update_topic_config(&self, r: UpdateTopicConfigRequest) -> Result<Topic> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        required("topic", &r.topic)?;
        not_internal("topic", &r.topic)?;
        if r.set.is_empty() && r.delete.is_empty() {
            return Err(Error::invalid(
                "set",
                "name at least one config to set or to delete",
            ));
        }
        config_entries("set", &r.set)?;
        config_keys("delete", r.delete.iter())?;
        if let Some(both) = r.delete.iter().find(|k| r.set.contains_key(*k)) {
            return Err(Error::invalid(
                "delete",
                format!("'{both}' is both set and deleted"),
            ));
        }
        kt::topic_metadata(&clients, &r.topic).await?;
        let mut set: Vec<(String, String)> = r.set.into_iter().collect();
        set.sort();
        kt::alter_configs(&clients, &r.topic, set, r.delete).await?;
        kt::describe(&clients, &r.topic).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_topic_name_rules() {
        for ok in [
            "a",
            "orders",
            "my.topic_v2-x",
            "A.B",
            &"x".repeat(249),
            "...",
        ] {
            assert!(topic_name("name", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "has space",
            "ümlaut",
            "a/b",
            "a:b",
            &"x".repeat(250),
        ] {
            let e = topic_name("name", bad).unwrap_err();
            assert!(e.to_string().contains("1 to 249 characters"), "{bad}: {e}");
            assert!(e.to_string().starts_with("name:"), "{e}");
        }
    }

    #[test]
    fn config_names_and_values() {
        for ok in [
            "retention.ms",
            "cleanup.policy",
            "x",
            "a-b_c.9",
            "Confluent.Tier",
        ] {
            config_name("configs", ok).unwrap();
        }
        for bad in ["", ".a", "-a", "a b", "a=b", "a\nb", "é", &"x".repeat(256)] {
            assert!(config_name("configs", bad).is_err(), "{bad:?}");
        }
        let entry = |v: &str| {
            config_entries(
                "set",
                std::iter::once((&"retention.ms".to_string(), &v.to_string())),
            )
        };
        entry("1000").unwrap();
        entry("").unwrap();
        for bad in ["1\n2", "1\r", "\t1", "1\0"] {
            let e = entry(bad).unwrap_err();
            assert!(e.to_string().starts_with("set[retention.ms]:"), "{e}");
        }
    }

    #[test]
    fn internal_topics_are_refused() {
        for name in ["__consumer_offsets", "__transaction_state", "__x"] {
            assert!(not_internal("name", name).is_err(), "{name}");
        }
        not_internal("name", "_schemas").unwrap();
    }
}
