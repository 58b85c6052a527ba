//! Producing through a cluster's pooled producer. Records are enqueued one after another
//! (waiting only while librdkafka's queue is full) and their deliveries are futures the
//! caller awaits together, so a batch is in flight at once rather than record by record.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureRecord;

use super::errors::delivery_error;
use super::pool::{Clients, DELIVERY_TIMEOUT};

/// A record to produce, as bytes.
#[derive(Clone, Debug, Default)]
pub struct OutRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub partition: Option<i32>,
    pub timestamp_ms: Option<i64>,
}

/// Where a record landed (partition, offset), or why it did not.
pub type Delivery = Result<(i32, i64), String>;

/// A delivery to await, tagged with the caller's index of the record.
pub type PendingDelivery = BoxFuture<'static, (u64, Delivery)>;

/// Enqueues records for one topic on a cluster's shared producer.
pub struct Sender {
    clients: Arc<Clients>,
    topic: String,
}

impl Sender {
    pub fn new(clients: Arc<Clients>, topic: &str) -> Sender {
        Sender {
            clients,
            topic: topic.to_string(),
        }
    }

    /// Enqueues `record` (retrying while the producer's queue is full, at most for the
    /// delivery timeout) and returns the future of its delivery. Never fails itself: a
    /// record that cannot be enqueued resolves at once with its error.
    pub async fn enqueue(&self, index: u64, record: &OutRecord) -> PendingDelivery {
        let headers = (!record.headers.is_empty()).then(|| {
            record.headers.iter().fold(
                OwnedHeaders::new_with_capacity(record.headers.len()),
                |h, (k, v)| {
                    h.insert(Header {
                        key: k.as_str(),
                        value: Some(v.as_slice()),
                    })
                },
            )
        });
        let mut fr: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic);
        if let Some(k) = &record.key {
            fr = fr.key(k.as_slice());
        }
        if let Some(v) = &record.value {
            fr = fr.payload(v.as_slice());
        }
        if let Some(p) = record.partition {
            fr = fr.partition(p);
        }
        if let Some(ts) = record.timestamp_ms {
            fr = fr.timestamp(ts);
        }
        if let Some(h) = headers {
            fr = fr.headers(h);
        }
        let started = tokio::time::Instant::now();
        let mut backoff = Duration::from_millis(1);
        loop {
            match self.clients.producer.send_result(fr) {
                Ok(delivery) => {
                    return async move {
                        let outcome = match delivery.await {
                            Ok(Ok(d)) => Ok((d.partition, d.offset)),
                            Ok(Err((e, _))) => Err(delivery_error(&e)),
                            Err(_) => Err(
                                "the producer was closed before delivery (the cluster stopped?)"
                                    .to_string(),
                            ),
                        };
                        (index, outcome)
                    }
                    .boxed();
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if started.elapsed() < DELIVERY_TIMEOUT =>
                {
                    fr = back;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(50));
                }
                Err((e, _)) => {
                    let message = delivery_error(&e);
                    return futures::future::ready((index, Err(message))).boxed();
                }
            }
        }
    }
}
