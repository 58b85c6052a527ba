//! Consumer-group requests: list, describe with committed offsets and lag, reset offsets,
//! delete. A group with active members is never changed. Where the broker cannot describe
//! a group (its members), the rest of the answer still comes, with `members_error` saying so.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{DataPlane, millis, required};
use crate::error::{Error, Result};
use crate::kafka::Clients;
use crate::kafka::consume::commit_offsets;
use crate::kafka::groups as kg;
use crate::kafka::topics as kt;
use crate::pb::{
    ConsumerGroup, DeleteConsumerGroupRequest, GetConsumerGroupRequest, GroupPartitionOffsets,
    ListConsumerGroupsRequest, OffsetReset, ResetConsumerGroupOffsetsRequest,
};

/// A partition's position: lag counts from the committed offset, or without one from the
/// low watermark (what a consumer of the group would read).
fn position(
    topic: &str,
    partition: i32,
    committed: Option<i64>,
    marks: Option<(i64, i64)>,
) -> GroupPartitionOffsets {
    let (low, high) = marks.unwrap_or((-1, -1));
    let lag = match (committed, marks) {
        (_, None) => 0,
        (Some(c), Some(_)) => (high - c).max(0),
        (None, Some(_)) => (high - low).max(0),
    };
    GroupPartitionOffsets {
        topic: topic.to_string(),
        partition,
        committed_offset: committed.unwrap_or(-1),
        high_watermark: high,
        lag,
    }
}

/// Refuses to change a group that has active members. When the broker cannot say, the
/// change goes ahead: Kafka itself refuses it for a group with members.
async fn require_no_members(clients: &Arc<Clients>, group: &str) -> Result<()> {
    match kg::is_active(clients, group).await {
        Some(true) => Err(kg::has_members(group)),
        _ => Ok(()),
    }
}

impl DataPlane {
    pub async fn list_consumer_groups(
        &self,
        r: ListConsumerGroupsRequest,
    ) -> Result<Vec<ConsumerGroup>> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        kg::list(&clients).await
    }

    /// A group's state and members, and its committed offsets with the high watermark and
    /// lag of every partition of each topic it has offsets on (or is assigned).
    pub async fn get_consumer_group(&self, r: GetConsumerGroupRequest) -> Result<ConsumerGroup> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        required("group_id", &r.group_id)?;
        let info = kg::describe(&clients, &r.group_id).await?;
        let committed = kg::committed(&clients, &r.group_id).await?;
        if !info.exists && committed.is_empty() {
            return Err(Error::GroupNotFound(r.group_id));
        }
        let mut by_partition: BTreeMap<(String, i32), i64> =
            committed.into_iter().map(|(t, p, o)| ((t, p), o)).collect();
        let topics: BTreeSet<String> = by_partition
            .keys()
            .map(|(t, _)| t.clone())
            .chain(info.assigned_topics.iter().cloned())
            .collect();
        let mut partitions: BTreeSet<(String, i32)> = by_partition.keys().cloned().collect();
        for t in &topics {
            match kt::topic_metadata(&clients, t).await {
                Ok(meta) => partitions.extend(meta.partitions.iter().map(|p| (t.clone(), p.id))),
                // Offsets of a deleted topic are still the group's; they have no watermarks.
                Err(Error::TopicNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let marks = kt::watermarks(&clients, partitions.iter().cloned().collect()).await?;
        let offsets: Vec<GroupPartitionOffsets> = partitions
            .into_iter()
            .map(|key| {
                let committed = by_partition.remove(&key);
                position(&key.0, key.1, committed, marks.get(&key).copied())
            })
            .collect();
        let mut group = info.group;
        group.total_lag = offsets.iter().map(|o| o.lag).sum();
        group.offsets = offsets;
        Ok(group)
    }

    /// Moves a group's committed offsets in one topic (one partition or all) to the earliest
    /// or latest offset, to the first offset at a time, or to an explicit offset (kept within
    /// the watermarks). With dry_run, says what it would set and changes nothing.
    pub async fn reset_consumer_group_offsets(
        &self,
        r: ResetConsumerGroupOffsetsRequest,
    ) -> Result<Vec<GroupPartitionOffsets>> {
        let (cluster, clients) = self.cluster(&r.cluster_id).await?;
        required("group_id", &r.group_id)?;
        required("topic", &r.topic)?;
        let to = OffsetReset::try_from(r.to)
            .map_err(|_| Error::invalid("to", format!("unknown value {}", r.to)))?;
        let timestamp_ms = match to {
            OffsetReset::Unspecified => {
                return Err(Error::invalid(
                    "to",
                    "is required: EARLIEST, LATEST, TIMESTAMP or OFFSET",
                ));
            }
            OffsetReset::Offset if r.offset < 0 => {
                return Err(Error::invalid("offset", "must not be negative"));
            }
            OffsetReset::Timestamp => Some(millis(
                "timestamp",
                r.timestamp.as_ref().ok_or_else(|| {
                    Error::invalid("timestamp", "is required with OFFSET_RESET_TIMESTAMP")
                })?,
            )?),
            _ => None,
        };
        let meta = kt::topic_metadata(&clients, &r.topic).await?;
        let all: Vec<i32> = meta.partitions.iter().map(|p| p.id).collect();
        let ids = match r.partition {
            None => all,
            Some(p) if all.contains(&p) => vec![p],
            Some(p) => {
                return Err(Error::invalid(
                    "partition",
                    format!(
                        "topic '{}' has {} partition(s); there is no partition {p}",
                        r.topic,
                        all.len()
                    ),
                ));
            }
        };
        require_no_members(&clients, &r.group_id).await?;
        let marks = kt::watermarks(
            &clients,
            ids.iter().map(|p| (r.topic.clone(), *p)).collect(),
        )
        .await?;
        let at_time = match timestamp_ms {
            Some(ts) => kt::offsets_for_time(&clients, &r.topic, &ids, ts).await?,
            None => Default::default(),
        };
        let mut targets = Vec::with_capacity(ids.len());
        for p in &ids {
            let (low, high) = marks.get(&(r.topic.clone(), *p)).copied().ok_or_else(|| {
                Error::Unavailable(format!(
                    "cannot read the offsets of partition {p} of '{}' (no leader?)",
                    r.topic
                ))
            })?;
            let offset = match to {
                OffsetReset::Earliest => low,
                OffsetReset::Latest => high,
                OffsetReset::Timestamp => at_time.get(p).copied().flatten().unwrap_or(high),
                _ => r.offset,
            }
            .clamp(low, high.max(low));
            targets.push((*p, offset, (low, high)));
        }
        if !r.dry_run {
            commit_offsets(
                &clients,
                &r.group_id,
                targets
                    .iter()
                    .map(|(p, o, _)| (r.topic.clone(), *p, *o))
                    .collect(),
            )
            .await?;
            tracing::info!(cluster = %cluster.name, group = %r.group_id, topic = %r.topic, ?to, "group offsets reset");
        }
        Ok(targets
            .into_iter()
            .map(|(p, o, marks)| position(&r.topic, p, Some(o), Some(marks)))
            .collect())
    }

    pub async fn delete_consumer_group(&self, r: DeleteConsumerGroupRequest) -> Result<()> {
        let (cluster, clients) = self.cluster(&r.cluster_id).await?;
        required("group_id", &r.group_id)?;
        require_no_members(&clients, &r.group_id).await?;
        kg::delete(&clients, &r.group_id).await?;
        tracing::info!(cluster = %cluster.name, group = %r.group_id, "consumer group deleted");
        Ok(())
    }
}
