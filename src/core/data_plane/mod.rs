//! The Kafka data plane of each cluster: topics, produce, consume and consumer groups.
//! Validates requests, applies defaults and limits, and drives the Kafka adapter
//! (`crate::kafka`) with the cluster's pooled clients. Requests name their cluster by id or
//! name; an empty one means the default cluster (the legacy routes).
//!
//! - `topics`: list, describe, create, delete, add partitions, configs
//! - `produce`: unary batches and client streams
//! - `consume`: unary reads and server streams
//! - `groups`: list, describe (offsets and lag), reset offsets, delete
//! - `payload`: keys and values between `Payload` and bytes

mod consume;
mod groups;
mod payload;
mod produce;
mod topics;

use std::sync::Arc;
use std::time::Duration;

use super::clusters::{self, ClusterManager};
use crate::error::{Error, Result};
use crate::kafka::{Clients, KafkaPool};
use crate::pb::Cluster;

pub use consume::RecordStream;
pub use topics::topic_name;

pub struct DataPlane {
    clusters: Arc<ClusterManager>,
    pool: Arc<KafkaPool>,
}

impl DataPlane {
    pub fn new(clusters: Arc<ClusterManager>, pool: Arc<KafkaPool>) -> DataPlane {
        DataPlane { clusters, pool }
    }

    /// The cluster a request names (which must be running, or external) and its clients.
    async fn cluster(&self, id_or_name: &str) -> Result<(Cluster, Arc<Clients>)> {
        let c = self.clusters.running(id_or_name).await?;
        let clients = self.pool.get(&c.id, &clusters::bootstrap_servers(&c))?;
        Ok((c, clients))
    }
}

/// A required string field.
fn required(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    Ok(())
}

/// A `google.protobuf.Timestamp` as milliseconds since the epoch (not before it).
fn millis(field: &str, t: &prost_types::Timestamp) -> Result<i64> {
    if t.seconds < 0 || !(0..1_000_000_000).contains(&t.nanos) {
        return Err(Error::invalid(
            field,
            "must be a time after 1970-01-01T00:00:00Z",
        ));
    }
    t.seconds
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(i64::from(t.nanos / 1_000_000)))
        .ok_or_else(|| Error::invalid(field, "is too far in the future"))
}

fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// An optional positive duration of at most `max`.
fn duration(
    field: &str,
    d: Option<&prost_types::Duration>,
    default: Duration,
    max: Duration,
) -> Result<Duration> {
    let Some(d) = d else { return Ok(default) };
    if d.seconds < 0 || d.nanos < 0 || (d.seconds == 0 && d.nanos == 0) {
        return Err(Error::invalid(field, "must be positive"));
    }
    let d = Duration::new(d.seconds.unsigned_abs(), d.nanos.unsigned_abs());
    if d > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {}s", max.as_secs()),
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_convert_both_ways() {
        let t = prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 123_456_789,
        };
        assert_eq!(millis("t", &t).unwrap(), 1_700_000_000_123);
        assert_eq!(
            timestamp(1_700_000_000_123),
            prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 123_000_000
            }
        );
        assert!(
            millis(
                "t",
                &prost_types::Timestamp {
                    seconds: -1,
                    nanos: 0
                }
            )
            .is_err()
        );
    }

    #[test]
    fn durations_are_bounded() {
        let max = Duration::from_secs(60);
        let one = Duration::from_secs(1);
        assert_eq!(duration("d", None, one, max).unwrap(), one);
        let d = |s, n| prost_types::Duration {
            seconds: s,
            nanos: n,
        };
        assert_eq!(
            duration("d", Some(&d(0, 500_000_000)), one, max).unwrap(),
            Duration::from_millis(500)
        );
        assert!(duration("d", Some(&d(0, 0)), one, max).is_err());
        assert!(duration("d", Some(&d(61, 0)), one, max).is_err());
        assert!(duration("d", Some(&d(-1, 0)), one, max).is_err());
    }
}
