//! Reading records: one consumer per request, assigned explicit partitions and start offsets
//! (never subscribed, so a request reads exactly what it asked for and joins no group). With a
//! consumer group, what was read is committed as that group's offsets.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;

use super::errors::{Subject, from_code, from_kafka};
use super::native;
use super::pool::{ADMIN_TIMEOUT, Clients, base_config};
use super::topics::{self, blocking, native_error};
use crate::error::{Error, Result};

/// Where reading starts, in every partition read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    /// The high watermark: only records produced from now on.
    End,
    /// This offset, kept within the partition's low and high watermarks.
    Offset(i64),
    /// The first record at or after this time (ms since the epoch); the end if none.
    Timestamp(i64),
    /// The group's committed offsets; the beginning where it has none.
    Committed,
}

#[derive(Clone, Debug)]
pub struct ReadSpec {
    pub topic: String,
    /// One partition, or all.
    pub partition: Option<i32>,
    pub start: StartAt,
    /// Read as this consumer group (and let `commit` commit for it).
    pub group: Option<String>,
}

/// A consumed record, as bytes.
#[derive(Clone, Debug)]
pub struct InRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// What one poll brought.
#[derive(Debug)]
pub enum Polled {
    Record(InRecord),
    /// The partition has no more records for now.
    EndOfPartition(i32),
    /// Nothing before the deadline.
    Idle,
}

/// A per-request consumer and its position in every partition it reads.
pub struct Reader {
    clients: Arc<Clients>,
    consumer: Option<StreamConsumer>,
    topic: String,
    group: Option<String>,
    /// Per partition: the offset of the next record to return.
    next: BTreeMap<i32, i64>,
    /// Per partition: the high watermark when reading started.
    start_high: BTreeMap<i32, i64>,
    /// Partitions whose end was reached and that have had no record since.
    at_end: BTreeSet<i32>,
    /// Partitions read from since the last commit.
    uncommitted: BTreeSet<i32>,
}

fn clamp(offset: i64, low: i64, high: i64) -> i64 {
    offset.max(low).min(high.max(low))
}

impl Reader {
    /// Checks the topic and partition, works out the start offset of every partition and
    /// assigns them to a new consumer.
    pub async fn open(clients: Arc<Clients>, spec: ReadSpec) -> Result<Reader> {
        let meta = topics::topic_metadata(&clients, &spec.topic).await?;
        let all: Vec<i32> = meta.partitions.iter().map(|p| p.id).collect();
        let ids = match spec.partition {
            Some(p) if all.contains(&p) => vec![p],
            Some(p) => {
                return Err(Error::invalid(
                    "partition",
                    format!(
                        "topic '{}' has {} partition(s) (0 to {}); there is no partition {p}",
                        spec.topic,
                        all.len(),
                        all.len().saturating_sub(1)
                    ),
                ));
            }
            None => all,
        };
        let marks = topics::watermarks(
            &clients,
            ids.iter().map(|p| (spec.topic.clone(), *p)).collect(),
        )
        .await?;
        let mut bounds = BTreeMap::new();
        for p in &ids {
            let (low, high) = marks
                .get(&(spec.topic.clone(), *p))
                .copied()
                .ok_or_else(|| {
                    Error::Unavailable(format!(
                        "cannot read the offsets of partition {p} of '{}' (no leader?)",
                        spec.topic
                    ))
                })?;
            bounds.insert(*p, (low, high));
        }
        let starts: BTreeMap<i32, i64> = match spec.start {
            StartAt::Beginning => bounds.iter().map(|(p, (low, _))| (*p, *low)).collect(),
            StartAt::End => bounds.iter().map(|(p, (_, high))| (*p, *high)).collect(),
            StartAt::Offset(o) => bounds
                .iter()
                .map(|(p, (low, high))| (*p, clamp(o, *low, *high)))
                .collect(),
            StartAt::Timestamp(ts) => {
                let found = topics::offsets_for_time(&clients, &spec.topic, &ids, ts).await?;
                bounds
                    .iter()
                    .map(|(p, (low, high))| {
                        let at = found.get(p).copied().flatten().unwrap_or(*high);
                        (*p, clamp(at, *low, *high))
                    })
                    .collect()
            }
            StartAt::Committed => {
                let group = spec.group.clone().ok_or_else(|| {
                    Error::invalid("group_id", "starting from committed offsets needs a group")
                })?;
                let committed = committed_offsets(&clients, &group, &spec.topic, &ids).await?;
                bounds
                    .iter()
                    .map(|(p, (low, high))| {
                        let at = committed
                            .get(p)
                            .copied()
                            .filter(|o| *o >= 0)
                            .unwrap_or(*low);
                        (*p, clamp(at, *low, *high))
                    })
                    .collect()
            }
        };
        let group_id = spec
            .group
            .clone()
            .unwrap_or_else(|| format!("lkm-reader-{}", uuid::Uuid::new_v4().simple()));
        let consumer: StreamConsumer = base_config(clients.bootstrap(), "lkm-consumer")
            .set("group.id", &group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", "100")
            .set("queued.max.messages.kbytes", "16384")
            .create()
            .map_err(|e| Error::internal(format!("creating a Kafka consumer: {e}")))?;
        let mut tpl = TopicPartitionList::new();
        for (p, o) in &starts {
            tpl.add_partition_offset(&spec.topic, *p, Offset::Offset(*o))
                .map_err(|e| from_kafka(&e, Subject::Topic(&spec.topic)))?;
        }
        consumer
            .assign(&tpl)
            .map_err(|e| from_kafka(&e, Subject::Topic(&spec.topic)))?;
        Ok(Reader {
            clients,
            consumer: Some(consumer),
            topic: spec.topic,
            group: spec.group,
            start_high: bounds.iter().map(|(p, (_, high))| (*p, *high)).collect(),
            next: starts,
            at_end: BTreeSet::new(),
            uncommitted: BTreeSet::new(),
        })
    }

    /// The next record, the end of a partition, or Idle when `deadline` passes first.
    pub async fn poll(&mut self, deadline: Instant) -> Result<Polled> {
        loop {
            let Some(consumer) = self.consumer.as_ref() else {
                return Err(Error::internal("reader used after close"));
            };
            let got = match tokio::time::timeout_at(deadline, consumer.recv()).await {
                Err(_) => return Ok(Polled::Idle),
                Ok(Ok(m)) => Ok(InRecord {
                    partition: m.partition(),
                    offset: m.offset(),
                    timestamp_ms: m.timestamp().to_millis(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers: native::message_headers(&m),
                }),
                Ok(Err(e)) => Err(e),
            };
            match got {
                Ok(r) => {
                    self.next.insert(r.partition, r.offset + 1);
                    self.at_end.remove(&r.partition);
                    self.uncommitted.insert(r.partition);
                    return Ok(Polled::Record(r));
                }
                Err(KafkaError::PartitionEOF(p)) => {
                    self.at_end.insert(p);
                    return Ok(Polled::EndOfPartition(p));
                }
                // librdkafka reconnects by itself; when every broker is gone it says so.
                Err(KafkaError::MessageConsumption(RDKafkaErrorCode::BrokerTransportFailure)) => {
                    tracing::debug!(topic = %self.topic, "consumer lost a broker connection");
                }
                Err(e) => return Err(from_kafka(&e, Subject::Topic(&self.topic))),
            }
        }
    }

    /// Whether every partition reached the high watermark it had when reading started.
    pub fn caught_up(&self) -> bool {
        self.next.iter().all(|(p, next)| {
            self.at_end.contains(p) || self.start_high.get(p).is_none_or(|h| next >= h)
        })
    }

    /// Whether every partition is at its end right now.
    pub fn all_at_end(&self) -> bool {
        self.next.keys().all(|p| self.at_end.contains(p))
    }

    /// Per partition, the offset to continue from.
    pub fn next_offsets(&self) -> &BTreeMap<i32, i64> {
        &self.next
    }

    /// Commits, for the group, the position after the last record returned in every
    /// partition read since the last commit. Nothing to do without a group.
    pub async fn commit(&mut self) -> Result<()> {
        let Some(group) = self.group.clone() else {
            return Ok(());
        };
        if self.uncommitted.is_empty() {
            return Ok(());
        }
        let offsets: Vec<(String, i32, i64)> = self
            .uncommitted
            .iter()
            .filter_map(|p| self.next.get(p).map(|o| (self.topic.clone(), *p, *o)))
            .collect();
        commit_offsets(&self.clients, &group, offsets).await?;
        self.uncommitted.clear();
        Ok(())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // Closing a consumer waits for librdkafka's threads: keep it off the async threads.
        if let Some(consumer) = self.consumer.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn_blocking(move || drop(consumer));
                }
                Err(_) => drop(consumer),
            }
        }
    }
}

/// The committed offsets of `group` in the given partitions of `topic` (absent: none).
pub async fn committed_offsets(
    clients: &Arc<Clients>,
    group: &str,
    topic: &str,
    partitions: &[i32],
) -> Result<BTreeMap<i32, i64>> {
    let c = clients.clone();
    let g = group.to_string();
    let t = topic.to_string();
    let list: Vec<(String, i32)> = partitions.iter().map(|p| (t.clone(), *p)).collect();
    blocking(move || {
        let found = native::list_group_offsets(c.group_reader()?, &g, Some(&list), ADMIN_TIMEOUT)
            .map_err(|e| native_error(e, Subject::Group(&g)))?;
        Ok(found
            .into_iter()
            .filter(|p| p.error.is_none() && p.offset >= 0 && p.topic == t)
            .map(|p| (p.partition, p.offset))
            .collect())
    })
    .await
}

/// Commits `offsets` (topic, partition, offset) for `group` as a client outside the group,
/// which Kafka allows only while the group has no active members.
pub async fn commit_offsets(
    clients: &Arc<Clients>,
    group: &str,
    offsets: Vec<(String, i32, i64)>,
) -> Result<()> {
    if offsets.is_empty() {
        return Ok(());
    }
    let c = clients.clone();
    let g = group.to_string();
    blocking(move || {
        let result = native::alter_group_offsets(&c.admin, &g, &offsets, ADMIN_TIMEOUT)
            .map_err(|e| native_error(e, Subject::Group(&g)))?;
        match result.into_iter().find(|p| p.error.is_some()) {
            Some(p) => Err(from_code(
                p.error.unwrap_or(RDKafkaErrorCode::Fail),
                &format!(
                    "committing offset {} of partition {}",
                    p.offset, p.partition
                ),
                Subject::Group(&g),
            )),
            None => Ok(()),
        }
    })
    .await
}
