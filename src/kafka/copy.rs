//! The Kafka side of copying a topic between clusters: a reader of exact offset ranges on a
//! thread of its own (batches handed over through a bounded channel, so a slow target slows
//! the reader down instead of filling memory), and an idempotent writer whose delivery
//! reports arrive in order per partition.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Message, Timestamp};
use rdkafka::producer::{Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc;

use super::errors::{Subject, from_kafka};
use super::native;
use super::pool::{Clients, DELIVERY_TIMEOUT, MAX_MESSAGE_BYTES, base_config};
use super::produce::{DeliveryContext, Sender};
use crate::error::{Error, Result};

/// Offsets `[start, end)` of one partition to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

/// A record read for copying, with everything that must survive the copy.
#[derive(Clone, Debug)]
pub struct CopyRecord {
    pub partition: i32,
    pub offset: i64,
    /// CreateTime or LogAppendTime, as the source has it.
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Records read in one go.
pub type Batch = Vec<CopyRecord>;

/// The receiving end of a range reader. Dropping it (or setting `stop`) ends the reader.
pub struct RangeReader {
    pub batches: mpsc::Receiver<Result<Batch>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for RangeReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The thread notices within one poll and closes its consumer; don't block on it here.
        if let Some(t) = self.thread.take() {
            std::thread::spawn(move || {
                let _ = t.join();
            });
        }
    }
}

/// Starts reading `ranges` of `topic`; batches of at most `batch_records` records (in offset
/// order per partition) arrive on the returned reader until every range is read.
pub fn read_ranges(
    source: &Arc<Clients>,
    topic: &str,
    ranges: &[Range],
    batch_records: usize,
) -> Result<RangeReader> {
    let mut config = base_config(source.bootstrap(), "lkm-migrate-reader");
    config
        .set("group.id", format!("lkm-migrate-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("message.max.bytes", MAX_MESSAGE_BYTES.to_string());
    let consumer: BaseConsumer = config
        .create()
        .map_err(|e| from_kafka(&e, Subject::Topic(topic)))?;
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for r in ranges.iter().filter(|r| r.start < r.end) {
        tpl.add_partition_offset(topic, r.partition, Offset::Offset(r.start))
            .map_err(|e| from_kafka(&e, Subject::Topic(topic)))?;
        ends.insert(r.partition, r.end);
    }
    let (tx, rx) = mpsc::channel(8);
    let stop = Arc::new(AtomicBool::new(false));
    if ends.is_empty() {
        return Ok(RangeReader {
            batches: rx,
            stop,
            thread: None,
        });
    }
    consumer
        .assign(&tpl)
        .map_err(|e| from_kafka(&e, Subject::Topic(topic)))?;
    let topic = topic.to_string();
    let halt = stop.clone();
    let thread = std::thread::Builder::new()
        .name("lkm-copy-reader".into())
        .spawn(move || read_loop(consumer, topic, ends, batch_records.max(1), tx, halt))
        .map_err(|e| Error::internal(format!("starting a reader thread: {e}")))?;
    Ok(RangeReader {
        batches: rx,
        stop,
        thread: Some(thread),
    })
}

fn read_loop(
    consumer: BaseConsumer,
    topic: String,
    mut ends: BTreeMap<i32, i64>,
    batch_records: usize,
    tx: mpsc::Sender<Result<Batch>>,
    stop: Arc<AtomicBool>,
) {
    let mut batch = Vec::with_capacity(batch_records);
    let mut idle_polls = 0u32;
    while !ends.is_empty() && !stop.load(Ordering::Relaxed) {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                idle_polls = 0;
                let p = m.partition();
                let Some(end) = ends.get(&p).copied() else {
                    continue;
                };
                if m.offset() < end {
                    batch.push(CopyRecord {
                        partition: p,
                        offset: m.offset(),
                        timestamp_ms: match m.timestamp() {
                            Timestamp::NotAvailable => None,
                            t => t.to_millis(),
                        },
                        key: m.key().map(<[u8]>::to_vec),
                        value: m.payload().map(<[u8]>::to_vec),
                        headers: native::message_headers(&m),
                    });
                }
                if m.offset() + 1 >= end {
                    ends.remove(&p);
                }
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                // At the end of what exists: a range ending beyond it (records removed by
                // compaction or retention at the tail) is complete.
                if let Ok(Some(pos)) = consumer.position().map(|tpl| {
                    tpl.find_partition(&topic, p)
                        .and_then(|e| e.offset().to_raw())
                }) && ends.get(&p).is_some_and(|end| pos >= *end)
                {
                    ends.remove(&p);
                }
            }
            // Lost connections are librdkafka's to restore; if they stay lost, the idle
            // limit below ends the read.
            Some(Err(KafkaError::MessageConsumption(
                RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::BrokerTransportFailure,
            ))) => {
                idle_polls += 1;
                tracing::debug!(%topic, "copy reader lost its broker connection; retrying");
            }
            Some(Err(e)) => {
                let _ = tx.blocking_send(Err(from_kafka(&e, Subject::Topic(&topic))));
                return;
            }
            None => {
                idle_polls += 1;
                // A range whose end is no longer there (the tail was deleted) would never
                // finish; after two minutes without records, say so.
                if idle_polls > 1200 && batch.is_empty() {
                    let _ = tx.blocking_send(Err(Error::Unavailable(format!(
                        "no records arrive from partitions {:?} of '{topic}' although the copy is not complete",
                        ends.keys().collect::<Vec<_>>()
                    ))));
                    return;
                }
            }
        }
        let flush = batch.len() >= batch_records || (ends.is_empty() && !batch.is_empty());
        let idle_flush = !batch.is_empty() && idle_polls > 0;
        if (flush || idle_flush) && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err() {
            return; // the copy was cancelled
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Ok(batch));
    }
}

/// An idempotent producer for copies: acks from all replicas, no duplicates on retries, and
/// per-partition order kept, so delivery reports of a partition arrive in the order sent.
pub struct CopyWriter {
    producer: Arc<ThreadedProducer<DeliveryContext>>,
}

impl CopyWriter {
    pub fn new(target: &Arc<Clients>) -> Result<CopyWriter> {
        let producer: ThreadedProducer<DeliveryContext> =
            base_config(target.bootstrap(), "lkm-migrate-writer")
                .set("enable.idempotence", "true")
                .set("acks", "all")
                .set("linger.ms", "5")
                .set("batch.num.messages", "10000")
                .set("queue.buffering.max.messages", "500000")
                .set("message.max.bytes", MAX_MESSAGE_BYTES.to_string())
                .set(
                    "message.timeout.ms",
                    DELIVERY_TIMEOUT.as_millis().to_string(),
                )
                .create_with_context(DeliveryContext)
                .map_err(|e| Error::internal(format!("creating the copy producer: {e}")))?;
        Ok(CopyWriter {
            producer: Arc::new(producer),
        })
    }

    pub fn sender(&self, topic: &str) -> Sender {
        Sender::with_producer(self.producer.clone(), topic)
    }

    /// Waits (off the async threads) until everything sent is delivered or `timeout` passes.
    pub async fn flush(&self, timeout: Duration) -> Result<()> {
        let p = self.producer.clone();
        tokio::task::spawn_blocking(move || p.flush(timeout))
            .await
            .map_err(|e| Error::internal(format!("flush: {e}")))?
            .map_err(|e| Error::Unavailable(format!("the target did not take every record: {e}")))
    }
}

impl Drop for CopyWriter {
    fn drop(&mut self) {
        let p = self.producer.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn_blocking(move || drop(p));
        }
    }
}
