//! Topics: metadata, watermarks, configs, and the admin calls that change them. Speaks
//! lkm's protobuf types (`Topic`, `TopicPartition`) at its boundary.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{
    AdminOptions, ConfigEntry, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier,
    TopicReplication,
};

use super::errors::{Subject, from_code, from_kafka};
use super::native::{self, EARLIEST, LATEST, NativeError};
use super::pool::{ADMIN_TIMEOUT, Clients};
use crate::error::{Error, Result};
use crate::pb::{Topic, TopicPartition};

/// One partition as the metadata shows it.
#[derive(Clone, Debug)]
pub struct PartitionMeta {
    pub id: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

/// One topic as the metadata shows it (partitions sorted by id).
#[derive(Clone, Debug)]
pub struct TopicMeta {
    pub name: String,
    pub partitions: Vec<PartitionMeta>,
}

/// What a new topic looks like.
#[derive(Clone, Debug)]
pub struct NewTopicSpec {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i32,
    pub configs: BTreeMap<String, String>,
}

pub(super) fn admin_options() -> AdminOptions {
    AdminOptions::new()
        .request_timeout(Some(ADMIN_TIMEOUT))
        .operation_timeout(Some(ADMIN_TIMEOUT))
}

/// Runs a blocking Kafka call off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("Kafka call: {e}")))?
}

/// Bounds an rdkafka future by the admin timeout (librdkafka times requests out too; this
/// covers anything that would not).
pub(super) async fn bounded<T>(f: impl Future<Output = T>) -> Result<T> {
    tokio::time::timeout(ADMIN_TIMEOUT + Duration::from_secs(5), f)
        .await
        .map_err(|_| {
            Error::DeadlineExceeded(format!(
                "Kafka did not answer within {}s",
                ADMIN_TIMEOUT.as_secs()
            ))
        })
}

pub(super) fn native_error(e: NativeError, subject: Subject<'_>) -> Error {
    from_code(e.code, &e.message, subject)
}

/// Internal topics (`__consumer_offsets`, …): names starting with two underscores.
pub fn is_internal(name: &str) -> bool {
    name.starts_with("__")
}

/// Metadata of every topic (None) or of one (which must exist).
pub async fn metadata(clients: &Arc<Clients>, topic: Option<&str>) -> Result<Vec<TopicMeta>> {
    let c = clients.clone();
    let wanted = topic.map(str::to_string);
    blocking(move || {
        let md = c
            .admin
            .inner()
            .fetch_metadata(wanted.as_deref(), ADMIN_TIMEOUT)
            .map_err(|e| {
                from_kafka(
                    &e,
                    wanted.as_deref().map_or(Subject::Cluster, Subject::Topic),
                )
            })?;
        let mut topics = Vec::with_capacity(md.topics().len());
        for t in md.topics() {
            if let Some(err) = t.error() {
                if wanted.is_some() {
                    return Err(from_code(err.into(), "", Subject::Topic(t.name())));
                }
                continue;
            }
            let mut partitions: Vec<PartitionMeta> = t
                .partitions()
                .iter()
                .map(|p| PartitionMeta {
                    id: p.id(),
                    leader: p.leader(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                })
                .collect();
            partitions.sort_by_key(|p| p.id);
            topics.push(TopicMeta {
                name: t.name().to_string(),
                partitions,
            });
        }
        if let Some(w) = &wanted
            && !topics.iter().any(|t| &t.name == w)
        {
            return Err(Error::TopicNotFound(w.clone()));
        }
        Ok(topics)
    })
    .await
}

/// Metadata of one topic.
pub async fn topic_metadata(clients: &Arc<Clients>, topic: &str) -> Result<TopicMeta> {
    metadata(clients, Some(topic))
        .await?
        .into_iter()
        .find(|t| t.name == topic)
        .ok_or_else(|| Error::TopicNotFound(topic.to_string()))
}

/// Low and high watermarks per (topic, partition); a partition whose offsets could not be
/// read is missing.
pub async fn watermarks(
    clients: &Arc<Clients>,
    partitions: Vec<(String, i32)>,
) -> Result<HashMap<(String, i32), (i64, i64)>> {
    if partitions.is_empty() {
        return Ok(HashMap::new());
    }
    let c = clients.clone();
    blocking(move || {
        // A partition whose answer is an error or no offset at all (librdkafka's -1001 after a
        // transport failure) is asked again, twice at most; if it still has none, it is left
        // out and callers say its offsets cannot be read (never treated as offset -1001 or 0).
        let mut found = HashMap::new();
        let mut missing = partitions;
        for attempt in 0..3 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(150 * attempt));
            }
            let low = native::list_offsets(&c.admin, &missing, EARLIEST, ADMIN_TIMEOUT)
                .map_err(|e| native_error(e, Subject::Cluster))?;
            let high = native::list_offsets(&c.admin, &missing, LATEST, ADMIN_TIMEOUT)
                .map_err(|e| native_error(e, Subject::Cluster))?;
            let valid = |p: &native::PartitionOffset| p.error.is_none() && p.offset >= 0;
            let lows: HashMap<(String, i32), i64> = low
                .into_iter()
                .filter(valid)
                .map(|p| ((p.topic, p.partition), p.offset))
                .collect();
            for p in high.into_iter().filter(valid) {
                let key = (p.topic, p.partition);
                if let Some(l) = lows.get(&key) {
                    found.insert(key, (*l, p.offset));
                }
            }
            missing.retain(|k| !found.contains_key(k));
            if missing.is_empty() {
                break;
            }
        }
        Ok(found)
    })
    .await
}

/// The first offset at or after `timestamp_ms` per partition of `topic`; None for partitions
/// with no such record.
pub async fn offsets_for_time(
    clients: &Arc<Clients>,
    topic: &str,
    partitions: &[i32],
    timestamp_ms: i64,
) -> Result<HashMap<i32, Option<i64>>> {
    let c = clients.clone();
    let name = topic.to_string();
    let list: Vec<(String, i32)> = partitions.iter().map(|p| (name.clone(), *p)).collect();
    blocking(move || {
        let found = native::list_offsets(&c.admin, &list, timestamp_ms.max(0), ADMIN_TIMEOUT)
            .map_err(|e| native_error(e, Subject::Topic(&name)))?;
        let mut out = HashMap::new();
        for p in found {
            if let Some(code) = p.error {
                return Err(from_code(code, "", Subject::Topic(&name)));
            }
            out.insert(p.partition, (p.offset >= 0).then_some(p.offset));
        }
        Ok(out)
    })
    .await
}

/// Configs of topics: all of them, or (`only_overrides`) only those set on the topic.
async fn configs(
    clients: &Arc<Clients>,
    topics: &[String],
    only_overrides: bool,
) -> Result<HashMap<String, HashMap<String, String>>> {
    if topics.is_empty() {
        return Ok(HashMap::new());
    }
    let specs: Vec<ResourceSpecifier<'_>> = topics
        .iter()
        .map(|t| ResourceSpecifier::Topic(t.as_str()))
        .collect();
    let subject = match topics {
        [one] => Subject::Topic(one),
        _ => Subject::Cluster,
    };
    let results = bounded(clients.admin.describe_configs(&specs, &admin_options()))
        .await?
        .map_err(|e| from_kafka(&e, subject))?;
    let mut out = HashMap::new();
    for (topic, result) in topics.iter().zip(results) {
        let resource = result.map_err(|code| from_code(code, "", Subject::Topic(topic)))?;
        let entries = resource
            .entries
            .into_iter()
            .filter(|e| !only_overrides || is_override(e))
            .filter(|e| !e.is_sensitive)
            .filter_map(|e| e.value.map(|v| (e.name, v)))
            .collect();
        out.insert(topic.clone(), entries);
    }
    Ok(out)
}

/// Whether a topic config entry is set on the topic itself (not inherited from the broker).
fn is_override(e: &ConfigEntry) -> bool {
    match e.source {
        ConfigSource::DynamicTopic => true,
        // Brokers before 1.1 do not say where a value comes from.
        ConfigSource::Unknown => !e.is_default,
        _ => false,
    }
}

/// A topic's configs as its broker describes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicConfigs {
    /// Every non-sensitive config with a value, set on the topic or inherited.
    pub values: BTreeMap<String, String>,
    /// The keys set on the topic itself.
    pub overridden: BTreeSet<String>,
}

impl TopicConfigs {
    /// The configs set on the topic itself, with their values.
    pub fn overrides(&self) -> BTreeMap<String, String> {
        self.overridden
            .iter()
            .filter_map(|k| self.values.get(k).map(|v| (k.clone(), v.clone())))
            .collect()
    }
}

/// The configs of `topics` (one DescribeConfigs request for all of them).
pub async fn topic_configs(
    clients: &Arc<Clients>,
    topics: &[String],
) -> Result<HashMap<String, TopicConfigs>> {
    if topics.is_empty() {
        return Ok(HashMap::new());
    }
    let specs: Vec<ResourceSpecifier<'_>> = topics
        .iter()
        .map(|t| ResourceSpecifier::Topic(t.as_str()))
        .collect();
    let subject = match topics {
        [one] => Subject::Topic(one),
        _ => Subject::Cluster,
    };
    let results = bounded(clients.admin.describe_configs(&specs, &admin_options()))
        .await?
        .map_err(|e| from_kafka(&e, subject))?;
    let mut out = HashMap::new();
    for (topic, result) in topics.iter().zip(results) {
        let resource = result.map_err(|code| from_code(code, "", Subject::Topic(topic)))?;
        let mut configs = TopicConfigs::default();
        for e in resource.entries {
            if e.is_sensitive {
                continue;
            }
            if is_override(&e) {
                configs.overridden.insert(e.name.clone());
            }
            if let Some(v) = e.value {
                configs.values.insert(e.name, v);
            }
        }
        out.insert(topic.clone(), configs);
    }
    Ok(out)
}

/// Replication factor of a topic: the replica count of its first partition.
pub fn replication_factor(t: &TopicMeta) -> i32 {
    t.partitions
        .first()
        .map_or(0, |p| i32::try_from(p.replicas.len()).unwrap_or(i32::MAX))
}

/// Every topic with its partition count, replication factor, record count (from the
/// watermarks) and the configs set on it.
pub async fn list(clients: &Arc<Clients>, include_internal: bool) -> Result<Vec<Topic>> {
    let mut topics = metadata(clients, None).await?;
    topics.retain(|t| include_internal || !is_internal(&t.name));
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let partitions: Vec<(String, i32)> = topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
        .collect();
    let marks = watermarks(clients, partitions).await?;
    let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
    let mut configs = match configs(clients, &names, true).await {
        Ok(c) => c,
        Err(e) => {
            // The listing is still useful without them; the topic's own page shows errors.
            tracing::warn!(error = %e, "cannot read topic configs for the listing");
            HashMap::new()
        }
    };
    Ok(topics
        .into_iter()
        .map(|t| {
            let message_count = t
                .partitions
                .iter()
                .filter_map(|p| marks.get(&(t.name.clone(), p.id)))
                .map(|(low, high)| (high - low).max(0))
                .sum();
            Topic {
                partitions: i32::try_from(t.partitions.len()).unwrap_or(i32::MAX),
                replication_factor: replication_factor(&t),
                configs: configs.remove(&t.name).unwrap_or_default(),
                message_count,
                internal: is_internal(&t.name),
                partition_details: Vec::new(),
                name: t.name,
            }
        })
        .collect())
}

/// One topic: per-partition leader, replicas, in-sync replicas and watermarks, and all its
/// configs.
pub async fn describe(clients: &Arc<Clients>, name: &str) -> Result<Topic> {
    let t = topic_metadata(clients, name).await?;
    let marks = watermarks(
        clients,
        t.partitions
            .iter()
            .map(|p| (t.name.clone(), p.id))
            .collect(),
    )
    .await?;
    let mut configs = configs(clients, std::slice::from_ref(&t.name), false).await?;
    let partition_details: Vec<TopicPartition> = t
        .partitions
        .iter()
        .map(|p| {
            let (low, high) = marks
                .get(&(t.name.clone(), p.id))
                .copied()
                .unwrap_or((-1, -1));
            TopicPartition {
                partition: p.id,
                leader: p.leader,
                replicas: p.replicas.clone(),
                in_sync_replicas: p.isr.clone(),
                low_watermark: low,
                high_watermark: high,
            }
        })
        .collect();
    Ok(Topic {
        name: t.name.clone(),
        partitions: i32::try_from(t.partitions.len()).unwrap_or(i32::MAX),
        replication_factor: replication_factor(&t),
        configs: configs.remove(&t.name).unwrap_or_default(),
        message_count: partition_details
            .iter()
            .filter(|p| p.high_watermark >= 0 && p.low_watermark >= 0)
            .map(|p| (p.high_watermark - p.low_watermark).max(0))
            .sum(),
        internal: is_internal(&t.name),
        partition_details,
    })
}

/// Waits (briefly) until the metadata shows `name` with `partitions` partitions: Kafka
/// answers CreateTopics before every broker knows the topic.
pub async fn await_visible(clients: &Arc<Clients>, name: &str, partitions: usize) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match topic_metadata(clients, name).await {
            Ok(t) if t.partitions.len() >= partitions => return Ok(()),
            Ok(_) | Err(Error::TopicNotFound(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Ok(_) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

pub async fn create(clients: &Arc<Clients>, spec: &NewTopicSpec) -> Result<()> {
    let partitions = spec.partitions;
    let mut topic = NewTopic::new(
        &spec.name,
        partitions,
        TopicReplication::Fixed(spec.replication_factor),
    );
    for (k, v) in &spec.configs {
        topic = topic.set(k, v);
    }
    let results = bounded(clients.admin.create_topics([&topic], &admin_options()))
        .await?
        .map_err(|e| from_kafka(&e, Subject::Topic(&spec.name)))?;
    for r in results {
        r.map_err(|(name, code)| from_code(code, "", Subject::Topic(&name)))?;
    }
    await_visible(
        clients,
        &spec.name,
        usize::try_from(partitions).unwrap_or(0),
    )
    .await
}

pub async fn delete(clients: &Arc<Clients>, name: &str) -> Result<()> {
    let results = bounded(clients.admin.delete_topics(&[name], &admin_options()))
        .await?
        .map_err(|e| from_kafka(&e, Subject::Topic(name)))?;
    for r in results {
        r.map_err(|(t, code)| from_code(code, "", Subject::Topic(&t)))?;
    }
    Ok(())
}

/// Raises the partition count of `name` to `total`.
pub async fn add_partitions(clients: &Arc<Clients>, name: &str, total: usize) -> Result<()> {
    let spec = NewPartitions::new(name, total);
    let results = bounded(clients.admin.create_partitions([&spec], &admin_options()))
        .await?
        .map_err(|e| match from_kafka(&e, Subject::Topic(name)) {
            Error::Unimplemented(words) => {
                Error::Unimplemented(format!("adding partitions (CreatePartitions): {words}"))
            }
            other => other,
        })?;
    for r in results {
        r.map_err(|(t, code)| from_code(code, "", Subject::Topic(&t)))?;
    }
    await_visible(clients, name, total).await
}

/// Sets and deletes configs of `name` incrementally (IncrementalAlterConfigs): the configs
/// not named stay as they are.
///
/// rdkafka 0.39 only wraps the older AlterConfigs, which replaces a topic's whole set of
/// configs. Emulating the incremental call with describe + AlterConfigs would be racy, is
/// deprecated in Kafka, and brokers that only speak the newer API (tansu among them) refuse
/// it; the librdkafka rdkafka bundles has IncrementalAlterConfigs, so it is called directly
/// (see `native`).
pub async fn alter_configs(
    clients: &Arc<Clients>,
    name: &str,
    set: Vec<(String, String)>,
    delete: Vec<String>,
) -> Result<()> {
    let c = clients.clone();
    let topic = name.to_string();
    blocking(move || {
        native::incremental_alter_topic_configs(&c.admin, &topic, &set, &delete, ADMIN_TIMEOUT)
            .map_err(|e| native_error(e, Subject::Topic(&topic)))
    })
    .await
}
