//! Consume requests: a unary read with limits, and a stream that sends records in batches as
//! they arrive. Each request has its own consumer, assigned (never subscribed) partitions;
//! with a group, what was returned is committed as the group's offsets.

use std::time::Duration;

use futures::Stream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;

use super::{DataPlane, duration, millis, payload, required, timestamp};
use crate::error::{Error, Result};
use crate::kafka::consume::{InRecord, Polled, ReadSpec, Reader, StartAt};
use crate::pb::{
    ConsumeRequest, ConsumeResponse, ConsumeStreamRequest, ConsumedRecord, PayloadFormat,
    RecordHeader, StartFrom,
};

pub const DEFAULT_MAX_RECORDS: i32 = 100;
pub const MAX_RECORDS: i32 = 10_000;
/// From the end: how long to wait for new records by default.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(1);
/// Reading what exists: the call returns once the partitions' end is reached, so the wait
/// only bounds a slow start (a group joining, a coordinator being elected on first use).
pub const DEFAULT_CATCH_UP_WAIT: Duration = Duration::from_secs(30);
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// A stream sends what it has at least this often while records arrive…
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// …and at most this many records per message.
const FLUSH_RECORDS: usize = 500;

/// Batches of consumed records; an error ends the stream.
pub type RecordStream = std::pin::Pin<Box<dyn Stream<Item = Result<Vec<ConsumedRecord>>> + Send>>;

/// The fields ConsumeRequest and ConsumeStreamRequest share.
struct ReadFields<'a> {
    topic: &'a str,
    partition: Option<i32>,
    start_from: i32,
    offset: i64,
    timestamp: Option<&'a prost_types::Timestamp>,
    group_id: &'a str,
    key_format: i32,
    value_format: i32,
}

/// How records are rendered.
#[derive(Clone, Copy)]
struct Formats {
    key: PayloadFormat,
    value: PayloadFormat,
}

fn format(field: &str, v: i32) -> Result<PayloadFormat> {
    PayloadFormat::try_from(v).map_err(|_| Error::invalid(field, format!("unknown format {v}")))
}

fn read_spec(f: &ReadFields<'_>) -> Result<(ReadSpec, Formats)> {
    required("topic", f.topic)?;
    if let Some(p) = f.partition
        && p < 0
    {
        return Err(Error::invalid("partition", "must not be negative"));
    }
    let group = (!f.group_id.is_empty()).then(|| f.group_id.to_string());
    let from = StartFrom::try_from(f.start_from)
        .map_err(|_| Error::invalid("start_from", format!("unknown value {}", f.start_from)))?;
    let start = match from {
        StartFrom::Unspecified | StartFrom::Beginning => StartAt::Beginning,
        StartFrom::End => StartAt::End,
        StartFrom::Offset => {
            if f.offset < 0 {
                return Err(Error::invalid("offset", "must not be negative"));
            }
            StartAt::Offset(f.offset)
        }
        StartFrom::Timestamp => {
            let t = f.timestamp.ok_or_else(|| {
                Error::invalid("timestamp", "is required with START_FROM_TIMESTAMP")
            })?;
            StartAt::Timestamp(millis("timestamp", t)?)
        }
        StartFrom::Committed => {
            if group.is_none() {
                return Err(Error::invalid(
                    "group_id",
                    "is required with START_FROM_COMMITTED",
                ));
            }
            StartAt::Committed
        }
    };
    Ok((
        ReadSpec {
            topic: f.topic.to_string(),
            partition: f.partition,
            start,
            group,
        },
        Formats {
            key: format("key_format", f.key_format)?,
            value: format("value_format", f.value_format)?,
        },
    ))
}

fn consumed(topic: &str, r: InRecord, f: Formats) -> ConsumedRecord {
    ConsumedRecord {
        topic: topic.to_string(),
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp_ms.map(timestamp),
        key: payload::from_bytes(r.key, f.key),
        value: payload::from_bytes(r.value, f.value),
        headers: r
            .headers
            .into_iter()
            .map(|(key, value)| RecordHeader { key, value })
            .collect(),
    }
}

impl DataPlane {
    /// Reads up to max_records within max_wait. Returns as soon as every partition read
    /// reached the high watermark it had at the start; from the end, once new records
    /// arrived and were read (or max_wait passed).
    pub async fn consume(&self, r: ConsumeRequest) -> Result<ConsumeResponse> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        let (spec, formats) = read_spec(&ReadFields {
            topic: &r.topic,
            partition: r.partition,
            start_from: r.start_from,
            offset: r.offset,
            timestamp: r.timestamp.as_ref(),
            group_id: &r.group_id,
            key_format: r.key_format,
            value_format: r.value_format,
        })?;
        let max = match r.max_records {
            0 => DEFAULT_MAX_RECORDS,
            n if (1..=MAX_RECORDS).contains(&n) => n,
            _ => {
                return Err(Error::invalid(
                    "max_records",
                    format!("must be between 1 and {MAX_RECORDS}"),
                ));
            }
        };
        let max = usize::try_from(max).unwrap_or(0);
        let follow = spec.start == StartAt::End;
        let default_wait = if follow {
            DEFAULT_MAX_WAIT
        } else {
            DEFAULT_CATCH_UP_WAIT
        };
        let wait = duration("max_wait", r.max_wait.as_ref(), default_wait, MAX_WAIT)?;
        let topic = spec.topic.clone();
        let deadline = Instant::now() + wait;
        let mut reader = Reader::open(clients, spec).await?;
        let mut records = Vec::new();
        while records.len() < max {
            if !follow && reader.caught_up() {
                break;
            }
            if follow && !records.is_empty() && reader.all_at_end() {
                break;
            }
            match reader.poll(deadline).await? {
                Polled::Record(rec) => records.push(consumed(&topic, rec, formats)),
                Polled::EndOfPartition(_) => {}
                Polled::Idle => break,
            }
        }
        reader.commit().await?;
        Ok(ConsumeResponse {
            records,
            next_offsets: reader
                .next_offsets()
                .iter()
                .map(|(p, o)| (*p, *o))
                .collect(),
        })
    }

    /// Follows a topic, sending records in batches as they arrive, until max_records (0:
    /// until the caller goes away). Errors before the first record fail the call; later ones
    /// end the stream.
    pub async fn consume_stream(&self, r: ConsumeStreamRequest) -> Result<RecordStream> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        let (spec, formats) = read_spec(&ReadFields {
            topic: &r.topic,
            partition: r.partition,
            start_from: r.start_from,
            offset: r.offset,
            timestamp: r.timestamp.as_ref(),
            group_id: &r.group_id,
            key_format: r.key_format,
            value_format: r.value_format,
        })?;
        if r.max_records < 0 {
            return Err(Error::invalid(
                "max_records",
                "must not be negative (0 follows until the caller goes away)",
            ));
        }
        let limit = u64::try_from(r.max_records).unwrap_or(0);
        let topic = spec.topic.clone();
        let reader = Reader::open(clients, spec).await?;
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(follow(reader, tx, topic, limit, formats));
        Ok(Box::pin(ReceiverStream::new(rx)))
    }
}

/// The task behind a consume stream. It ends when the limit is reached, when reading fails
/// (sending the error) or when the receiver is gone (the caller disconnected); the reader,
/// and with it the consumer, goes with it.
async fn follow(
    mut reader: Reader,
    tx: mpsc::Sender<Result<Vec<ConsumedRecord>>>,
    topic: String,
    limit: u64,
    formats: Formats,
) {
    let mut sent: u64 = 0;
    let mut batch: Vec<ConsumedRecord> = Vec::new();
    let mut flush_at: Option<Instant> = None;
    loop {
        let wake = flush_at.unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        let polled = tokio::select! {
            _ = tx.closed() => return,
            p = reader.poll(wake) => p,
        };
        match polled {
            Ok(Polled::Record(r)) => {
                batch.push(consumed(&topic, r, formats));
                flush_at.get_or_insert_with(|| Instant::now() + FLUSH_INTERVAL);
            }
            Ok(Polled::EndOfPartition(_) | Polled::Idle) => {}
            Err(e) => {
                if !batch.is_empty() && tx.send(Ok(std::mem::take(&mut batch))).await.is_ok() {
                    let _ = reader.commit().await;
                }
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
        let reached = limit > 0 && sent + batch.len() as u64 >= limit;
        let due = batch.len() >= FLUSH_RECORDS
            || flush_at.is_some_and(|t| Instant::now() >= t)
            || reader.all_at_end()
            || reached;
        if !batch.is_empty() && due {
            let n = batch.len() as u64;
            if tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                return;
            }
            sent += n;
            flush_at = None;
            if let Err(e) = reader.commit().await {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
        if reached {
            return;
        }
    }
}
