//! Produce requests: a unary batch (every record enqueued, then all deliveries awaited
//! together) and a client stream (batches enqueued as they arrive while earlier deliveries
//! complete). Delivery errors are reported per record, never swallowed.

use std::collections::HashMap;

use futures::{Stream, StreamExt};

use super::{DataPlane, millis, payload, required};
use crate::error::{Error, Result};
use crate::kafka::produce::{Delivery, OutRecord, Sender, delivery_channel};
use crate::kafka::topics as kt;
use crate::pb::{
    ProduceRequest, ProduceResponse, ProduceResult, ProduceStreamRequest, ProduceStreamResponse,
    ProducerRecord,
};

/// Records in one Produce call (and in one message of a ProduceStream).
pub const MAX_RECORDS_PER_CALL: usize = 10_000;
/// Bytes of one record: key, value and headers.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Delivery errors a ProduceStream response reports individually.
const MAX_STREAM_ERRORS: usize = 100;

/// Checks one record and turns it into bytes (moving them, no copy). `field` gives its path
/// for error messages (built only when there is an error: this runs per record).
fn out_record(
    field: impl Fn() -> String,
    r: ProducerRecord,
    partitions: usize,
) -> Result<OutRecord> {
    let key = payload::to_bytes(|| format!("{}.key", field()), r.key)?;
    let value = payload::to_bytes(|| format!("{}.value", field()), r.value)?;
    let headers: Vec<(String, Vec<u8>)> = r.headers.into_iter().map(|h| (h.key, h.value)).collect();
    let size = key.as_ref().map_or(0, Vec::len)
        + value.as_ref().map_or(0, Vec::len)
        + headers
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    if size > MAX_RECORD_BYTES {
        return Err(Error::invalid(
            field(),
            format!(
                "the record has {size} bytes (key, value and headers); at most {MAX_RECORD_BYTES} are allowed"
            ),
        ));
    }
    if let Some(p) = r.partition
        && (p < 0 || usize::try_from(p).is_ok_and(|p| p >= partitions))
    {
        return Err(Error::invalid(
            format!("{}.partition", field()),
            format!(
                "the topic has {partitions} partition(s) (0 to {}); there is no partition {p}",
                partitions.saturating_sub(1)
            ),
        ));
    }
    let timestamp_ms = r
        .timestamp
        .as_ref()
        .map(|t| millis(&format!("{}.timestamp", field()), t))
        .transpose()?;
    Ok(OutRecord {
        key,
        value,
        headers,
        partition: r.partition,
        timestamp_ms,
    })
}

fn check_count(n: usize) -> Result<()> {
    if n > MAX_RECORDS_PER_CALL {
        return Err(Error::invalid(
            "records",
            format!(
                "{n} records in one request; at most {MAX_RECORDS_PER_CALL} are allowed (use ProduceStream for bulk loads)"
            ),
        ));
    }
    Ok(())
}

fn result(index: u64, d: Delivery) -> ProduceResult {
    let index = i32::try_from(index).unwrap_or(i32::MAX);
    match d {
        Ok((partition, offset)) => ProduceResult {
            index,
            partition,
            offset,
            error: String::new(),
        },
        Err(error) => ProduceResult {
            index,
            partition: -1,
            offset: -1,
            error,
        },
    }
}

/// What a ProduceStream has delivered so far.
#[derive(Default)]
struct Summary {
    records: i64,
    failed: i64,
    errors: Vec<ProduceResult>,
    last_offsets: HashMap<i32, i64>,
}

impl Summary {
    fn note(&mut self, index: u64, d: Delivery) {
        self.records += 1;
        match d {
            Ok((partition, offset)) => {
                let last = self.last_offsets.entry(partition).or_insert(offset);
                *last = (*last).max(offset);
            }
            Err(error) => {
                self.failed += 1;
                if self.errors.len() < MAX_STREAM_ERRORS {
                    self.errors.push(result(index, Err(error)));
                }
            }
        }
    }

    fn response(mut self) -> ProduceStreamResponse {
        self.errors.sort_by_key(|e| e.index);
        ProduceStreamResponse {
            records: self.records,
            failed_count: self.failed,
            errors: self.errors,
            last_offsets: self.last_offsets,
        }
    }
}

impl DataPlane {
    /// Produces a batch; one result per record, in request order.
    pub async fn produce(&self, r: ProduceRequest) -> Result<ProduceResponse> {
        let (_, clients) = self.cluster(&r.cluster_id).await?;
        required("topic", &r.topic)?;
        if r.records.is_empty() {
            return Err(Error::invalid("records", "at least one record is required"));
        }
        check_count(r.records.len())?;
        let partitions = kt::topic_metadata(&clients, &r.topic)
            .await?
            .partitions
            .len();
        let records = r
            .records
            .into_iter()
            .enumerate()
            .map(|(i, rec)| out_record(|| format!("records[{i}]"), rec, partitions))
            .collect::<Result<Vec<_>>>()?;
        let sender = Sender::new(clients, &r.topic);
        let (reply, mut reports) = delivery_channel();
        for (i, rec) in records.iter().enumerate() {
            sender.enqueue(i as u64, rec, &reply).await;
        }
        drop(reply);
        let mut results: Vec<ProduceResult> = Vec::with_capacity(records.len());
        while let Some((i, d)) = reports.recv().await {
            results.push(result(i, d));
        }
        results.sort_by_key(|r| r.index);
        let failed_count = results.iter().filter(|r| !r.error.is_empty()).count();
        Ok(ProduceResponse {
            failed_count: i32::try_from(failed_count).unwrap_or(i32::MAX),
            results,
        })
    }

    /// Produces a stream of batches; cluster and topic come from the first message.
    pub async fn produce_stream<S>(&self, mut messages: S) -> Result<ProduceStreamResponse>
    where
        S: Stream<Item = Result<ProduceStreamRequest>> + Unpin + Send,
    {
        let Some(first) = messages.next().await.transpose()? else {
            return Err(Error::invalid(
                "records",
                "the stream ended before its first message",
            ));
        };
        let (_, clients) = self.cluster(&first.cluster_id).await?;
        required("topic", &first.topic)?;
        let partitions = kt::topic_metadata(&clients, &first.topic)
            .await?
            .partitions
            .len();
        let sender = Sender::new(clients, &first.topic);
        let (cluster_id, topic) = (first.cluster_id.clone(), first.topic.clone());
        // Delivery reports are summed up by a drain task while this loop keeps feeding the
        // producer.
        let (reply, mut reports) = delivery_channel();
        let drain = tokio::spawn(async move {
            let mut summary = Summary::default();
            while let Some((i, d)) = reports.recv().await {
                summary.note(i, d);
            }
            summary
        });
        let mut next_index: u64 = 0;
        let mut message_no = 0usize;
        let mut current = Some(first);
        loop {
            if let Some(m) = current.take() {
                let field = || format!("messages[{message_no}]");
                if (!m.cluster_id.is_empty() && m.cluster_id != cluster_id)
                    || (!m.topic.is_empty() && m.topic != topic)
                {
                    return Err(Error::invalid(
                        field(),
                        "every message of a stream goes to the cluster and topic of the first",
                    ));
                }
                check_count(m.records.len())?;
                let records = m
                    .records
                    .into_iter()
                    .enumerate()
                    .map(|(i, rec)| {
                        out_record(|| format!("{}.records[{i}]", field()), rec, partitions)
                    })
                    .collect::<Result<Vec<_>>>()
                    .map_err(|e| match e {
                        Error::InvalidArgument { field, message } if next_index > 0 => {
                            Error::InvalidArgument {
                                field,
                                message: format!(
                                    "{message} (the {next_index} records before this message were produced)"
                                ),
                            }
                        }
                        other => other,
                    })?;
                for rec in &records {
                    sender.enqueue(next_index, rec, &reply).await;
                    next_index += 1;
                }
                message_no += 1;
            }
            match messages.next().await {
                Some(m) => current = Some(m?),
                None => break,
            }
        }
        // The drain ends once every record is reported and this last sender is gone.
        drop(reply);
        let summary = drain
            .await
            .map_err(|e| Error::internal(format!("produce stream: {e}")))?;
        Ok(summary.response())
    }
}
