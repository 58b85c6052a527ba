//! Producing through a cluster's pooled producer. Records are enqueued one after another
//! (waiting only while librdkafka's queue is full) and their deliveries are futures the
//! caller awaits together, so a batch is in flight at once rather than record by record.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};

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

/// Where the delivery reports of a request go: (record index, outcome). The receiver sees
/// the channel close once every record of the request has been reported and the sender
/// dropped.
pub type DeliveryTx = tokio::sync::mpsc::UnboundedSender<(u64, Delivery)>;
pub type DeliveryRx = tokio::sync::mpsc::UnboundedReceiver<(u64, Delivery)>;

pub fn delivery_channel() -> (DeliveryTx, DeliveryRx) {
    tokio::sync::mpsc::unbounded_channel()
}

/// What each record carries to its delivery report.
pub struct Ticket {
    index: u64,
    reply: DeliveryTx,
}

/// Sends each delivery report to the channel of the record's request. Runs on the producer's
/// polling thread.
pub struct DeliveryContext;

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<Ticket>;

    fn delivery(&self, result: &DeliveryResult<'_>, ticket: Box<Ticket>) {
        let outcome = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, _)) => Err(delivery_error(e)),
        };
        // The request may have gone away (client disconnected): nothing to tell then.
        let _ = ticket.reply.send((ticket.index, outcome));
    }
}

pub struct Sender {
    producer: Arc<ThreadedProducer<DeliveryContext>>,
    topic: String,
}

impl Sender {
    /// Sends to `topic` with the cluster's pooled producer.
    pub fn new(clients: Arc<Clients>, topic: &str) -> Sender {
        Sender::with_producer(clients.producer.clone(), topic)
    }

    pub(super) fn with_producer(
        producer: Arc<ThreadedProducer<DeliveryContext>>,
        topic: &str,
    ) -> Sender {
        Sender {
            producer,
            topic: topic.to_string(),
        }
    }

    /// Hands a record to the producer; its delivery report arrives on `reply` under `index`
    /// (also when it cannot be enqueued at all). Waits while the producer's queue is full.
    pub async fn enqueue(&self, index: u64, record: &OutRecord, reply: &DeliveryTx) {
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
        let ticket = Box::new(Ticket {
            index,
            reply: reply.clone(),
        });
        let mut rec: BaseRecord<'_, [u8], [u8], Box<Ticket>> =
            BaseRecord::with_opaque_to(&self.topic, ticket);
        if let Some(k) = &record.key {
            rec = rec.key(k.as_slice());
        }
        if let Some(v) = &record.value {
            rec = rec.payload(v.as_slice());
        }
        if let Some(p) = record.partition {
            rec = rec.partition(p);
        }
        if let Some(ts) = record.timestamp_ms {
            rec = rec.timestamp(ts);
        }
        if let Some(h) = headers {
            rec = rec.headers(h);
        }
        let started = tokio::time::Instant::now();
        let mut backoff = Duration::from_millis(1);
        loop {
            match self.producer.send(rec) {
                Ok(()) => return,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if started.elapsed() < DELIVERY_TIMEOUT =>
                {
                    rec = back;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(50));
                }
                Err((e, back)) => {
                    let _ = back
                        .delivery_opaque
                        .reply
                        .send((index, Err(delivery_error(&e))));
                    return;
                }
            }
        }
    }
}
