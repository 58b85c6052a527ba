//! Kafka clients (rdkafka). Only this module talks the Kafka protocol; at its boundary it
//! speaks lkm's types (protobuf messages, bytes, `crate::error::Error`), never rdkafka's.
//!
//! - `pool`: one admin client and one producer per cluster in use, shared by all requests
//! - `errors`: the one mapping from Kafka errors to lkm errors
//! - `topics`, `produce`, `consume`, `groups`: the data-plane calls
//! - `brokers`: broker ids and the brokers' own configuration
//! - `native`: admin calls the rdkafka crate does not wrap, through librdkafka's C API

pub mod brokers;
pub mod consume;
pub mod copy;
mod errors;
pub mod groups;
mod native;
pub mod pool;
pub mod produce;
pub mod topics;

pub use pool::{Clients, KafkaPool};

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// What one metadata request through one broker address saw.
#[derive(Clone, Debug)]
pub struct BrokerView {
    pub address: String,
    /// Broker ids in the metadata, sorted.
    pub broker_ids: Vec<i32>,
}

/// Asks `address` for cluster metadata (blocking; run it off the async threads).
fn metadata_blocking(address: &str, timeout: Duration) -> Result<BrokerView, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", address)
        .set("socket.timeout.ms", timeout.as_millis().max(10).to_string())
        .set(
            "socket.connection.setup.timeout.ms",
            timeout.as_millis().max(1000).to_string(),
        )
        .set("topic.metadata.refresh.interval.ms", "-1")
        .set("log_level", "0")
        .create()
        .map_err(|e| format!("{address}: {e}"))?;
    let md = consumer
        .fetch_metadata(None, timeout)
        .map_err(|e| format!("{address}: {e}"))?;
    let mut broker_ids: Vec<i32> = md.brokers().iter().map(|b| b.id()).collect();
    broker_ids.sort_unstable();
    Ok(BrokerView {
        address: address.to_string(),
        broker_ids,
    })
}

/// Cluster metadata as seen through `address`.
pub async fn metadata(address: &str, timeout: Duration) -> Result<BrokerView, String> {
    let address = address.to_string();
    tokio::task::spawn_blocking(move || metadata_blocking(&address, timeout))
        .await
        .map_err(|e| format!("metadata probe: {e}"))?
}

/// Polls with a short backoff until a metadata request through *each* of `addresses`
/// answers and lists at least `expected_brokers` brokers, or `timeout` passes. The error
/// names what was last seen.
pub async fn wait_ready(
    addresses: &[String],
    expected_brokers: usize,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut backoff = Duration::from_millis(20);
    let mut last = String::from("no answer yet");
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if remaining.is_zero() {
            return Err(format!(
                "the brokers did not answer within {}s: {last}",
                timeout.as_secs()
            ));
        }
        let per_call = remaining.min(Duration::from_secs(2));
        let probes = addresses.iter().map(|a| metadata(a, per_call));
        let results = futures::future::join_all(probes).await;
        let mut all_ok = true;
        for r in results {
            match r {
                Ok(view) if view.broker_ids.len() >= expected_brokers => {}
                Ok(view) => {
                    all_ok = false;
                    last = format!(
                        "{} reports {} of {expected_brokers} brokers",
                        view.address,
                        view.broker_ids.len()
                    );
                }
                Err(e) => {
                    all_ok = false;
                    last = e;
                }
            }
        }
        if all_ok {
            return Ok(());
        }
        tokio::time::sleep(
            backoff.min(deadline.saturating_duration_since(tokio::time::Instant::now())),
        )
        .await;
        backoff = (backoff * 2).min(Duration::from_millis(200));
    }
}
