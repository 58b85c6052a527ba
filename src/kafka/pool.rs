//! One set of Kafka clients per cluster in use (an admin client and a producer), created on
//! first use and shared by every request on that cluster; the cluster manager evicts a
//! cluster's set when it starts, stops or is deleted. Consumers are per request (see
//! `consume`), never pooled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::BaseConsumer;
use rdkafka::producer::ThreadedProducer;

use super::produce::DeliveryContext;

use crate::error::{Error, Result};

/// Timeout of one admin or metadata request.
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a produced record may wait for its delivery (librdkafka's message.timeout.ms).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest record the producer accepts locally (key + value + headers + overhead).
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024 + 64 * 1024;

/// The pooled clients of one cluster.
pub struct Clients {
    pub(super) bootstrap: String,
    pub(super) admin: AdminClient<DefaultClientContext>,
    /// Delivery reports go to the channel each record names (see `produce`), not to a
    /// future per record: that is what lets one producer move a million records a second.
    pub(super) producer: Arc<ThreadedProducer<DeliveryContext>>,
    /// The handle committed offsets are read through, made on first use (see
    /// `native::list_group_offsets` for why it is a consumer with a group of its own; it
    /// never joins that group).
    group_reader: OnceLock<BaseConsumer>,
}

impl Clients {
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    pub(super) fn group_reader(&self) -> Result<&BaseConsumer> {
        if let Some(r) = self.group_reader.get() {
            return Ok(r);
        }
        let reader: BaseConsumer = base_config(&self.bootstrap, "lkm-group-reader")
            .set("group.id", "lkm-group-reader")
            .set("enable.auto.commit", "false")
            .create()
            .map_err(|e| {
                Error::internal(format!(
                    "creating the Kafka group reader for {}: {e}",
                    self.bootstrap
                ))
            })?;
        // Another request may have made one meanwhile; either is fine.
        Ok(self.group_reader.get_or_init(|| reader))
    }
}

/// Settings every lkm Kafka client shares.
pub(super) fn base_config(bootstrap: &str, client_id: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("client.id", client_id)
        .set("socket.timeout.ms", "10000")
        .set("socket.connection.setup.timeout.ms", "10000")
        // Describing a topic must never create it (Kafka may auto-create on metadata).
        .set("allow.auto.create.topics", "false")
        .set("log_level", "3");
    c
}

fn create(bootstrap: &str) -> Result<Clients> {
    let fail = |what: &str, e: rdkafka::error::KafkaError| {
        Error::internal(format!("creating the Kafka {what} for {bootstrap}: {e}"))
    };
    let admin = base_config(bootstrap, "lkm-admin")
        .create()
        .map_err(|e| fail("admin client", e))?;
    let producer = base_config(bootstrap, "lkm-producer")
        .set(
            "message.timeout.ms",
            DELIVERY_TIMEOUT.as_millis().to_string(),
        )
        .set("linger.ms", "5")
        .set("message.max.bytes", MAX_MESSAGE_BYTES.to_string())
        .set("queue.buffering.max.messages", "200000")
        .create_with_context(DeliveryContext)
        .map_err(|e| fail("producer", e))?;
    Ok(Clients {
        bootstrap: bootstrap.to_string(),
        admin,
        producer: Arc::new(producer),
        group_reader: OnceLock::new(),
    })
}

/// The clients of every cluster in use, by cluster id.
#[derive(Default)]
pub struct KafkaPool {
    clients: Mutex<HashMap<String, Arc<Clients>>>,
}

impl KafkaPool {
    pub fn new() -> KafkaPool {
        KafkaPool::default()
    }

    /// The clients of cluster `id` at `bootstrap`, created on first use (and again when the
    /// cluster's bootstrap servers changed).
    pub fn get(&self, id: &str, bootstrap: &str) -> Result<Arc<Clients>> {
        if bootstrap.is_empty() {
            return Err(Error::precondition(
                "NO_BOOTSTRAP_SERVERS",
                "the cluster has no Kafka endpoint",
            ));
        }
        let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(id)
            && c.bootstrap == bootstrap
        {
            return Ok(c.clone());
        }
        let fresh = Arc::new(create(bootstrap)?);
        if let Some(old) = map.insert(id.to_string(), fresh.clone()) {
            release(old);
        }
        tracing::debug!(cluster = id, bootstrap, "Kafka clients created");
        Ok(fresh)
    }

    /// Drops the clients of cluster `id` (requests still using them finish with them).
    pub fn evict(&self, id: &str) {
        let old = self
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        if let Some(old) = old {
            tracing::debug!(cluster = id, "Kafka clients dropped");
            release(old);
        }
    }
}

/// Closing librdkafka clients joins their threads and may wait for brokers: do it off the
/// async threads.
fn release(clients: Arc<Clients>) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn_blocking(move || drop(clients));
        }
        Err(_) => drop(clients),
    }
}
