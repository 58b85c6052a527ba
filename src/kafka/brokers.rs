//! Brokers: which ones a cluster has, and their own configuration (DescribeConfigs of the
//! BROKER resource).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::errors::{Subject, from_kafka};
use super::native;
use super::pool::{ADMIN_TIMEOUT, Clients};
use super::topics::blocking;
use crate::error::{Error, Result};

/// Ids of the cluster's brokers as the metadata lists them, sorted.
pub async fn ids(clients: &Arc<Clients>) -> Result<Vec<i32>> {
    let c = clients.clone();
    blocking(move || {
        let md = c
            .admin
            .inner()
            .fetch_metadata(None, ADMIN_TIMEOUT)
            .map_err(|e| from_kafka(&e, Subject::Cluster))?;
        let mut ids: Vec<i32> = md.brokers().iter().map(|b| b.id()).collect();
        ids.sort_unstable();
        Ok(ids)
    })
    .await
}

/// The configuration of broker `id`: every non-sensitive entry that has a value. Bounded by
/// `timeout` (some Kafka-compatible brokers never answer this request).
pub async fn configs(
    clients: &Arc<Clients>,
    id: i32,
    timeout: Duration,
) -> Result<BTreeMap<String, String>> {
    let c = clients.clone();
    let entries = blocking(move || {
        // Whatever the broker answers instead (an error code, no answer), its configuration
        // is unavailable: say so with its words.
        native::describe_broker_configs(&c.admin, id, timeout).map_err(|e| {
            Error::Unavailable(format!(
                "broker {id} did not describe its configuration: {e}"
            ))
        })
    })
    .await?;
    Ok(entries
        .into_iter()
        .filter(|e| !e.sensitive)
        .filter_map(|e| e.value.map(|v| (e.name, v)))
        .collect())
}
