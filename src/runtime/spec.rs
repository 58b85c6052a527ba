//! What runs for a cluster: one `ServiceSpec` per container (brokers, KRaft controllers,
//! REST proxy, UI) with its image, command, environment, listeners, host ports, volume and
//! memory limit. The Docker runtime creates exactly these; `compose_yaml` renders the same
//! specs as an equivalent docker-compose file. Pure functions, no I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::pb::{BrokerEngine, CleanupPolicy, Cluster};

/// Broker listener on the cluster network (other containers connect here).
pub const INTERNAL_PORT: u16 = 19092;
/// Broker listener published on the host (advertised as `<host ip>:<host port>`).
pub const EXTERNAL_PORT: u16 = 9092;
/// KRaft controller listener (cluster network only).
pub const CONTROLLER_PORT: u16 = 9093;
pub const JMX_PORT: u16 = 9999;
pub const REST_PROXY_PORT: u16 = 8082;
pub const UI_PORT: u16 = 8080;

/// Labels lkm puts on every container, network and volume it creates.
pub const LABEL_MANAGED: &str = "lkm.managed";
pub const LABEL_CLUSTER_ID: &str = "lkm.cluster.id";
pub const LABEL_CLUSTER_NAME: &str = "lkm.cluster.name";
pub const LABEL_SERVICE: &str = "lkm.service";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceRole {
    /// Broker N (1-based); with one broker it is also the KRaft controller.
    Broker(u8),
    /// Dedicated KRaft controller N (clusters of several brokers).
    Controller(u8),
    RestProxy,
    Ui,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortMapping {
    pub container: u16,
    pub host: u16,
}

/// A named Docker volume mounted at `target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeMount {
    pub volume: String,
    pub target: String,
}

/// How lkm tells a service is ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// A Kafka metadata request through this host address answers.
    KafkaMetadata { address: String },
    /// The container runs (REST proxy, UI, controllers).
    Running,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    pub role: ServiceRole,
    /// Short name: "broker-1", "controller-1", "rest-proxy", "ui".
    pub name: String,
    /// `lkm-<cluster>-<name>`; also its host name on the cluster network.
    pub container_name: String,
    pub image: String,
    /// Replaces the image's entrypoint when set.
    pub entrypoint: Option<Vec<String>>,
    /// Replaces the image's command when non-empty.
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub ports: Vec<PortMapping>,
    pub volume: Option<VolumeMount>,
    pub working_dir: Option<String>,
    /// Hard memory limit of the container, derived from the heap size.
    pub memory_limit_bytes: i64,
    pub readiness: Readiness,
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSpec {
    /// `lkm-<cluster>`.
    pub network: String,
    /// KRaft cluster id (base64url of the cluster's UUID).
    pub kraft_cluster_id: String,
    /// Host address ports are published on.
    pub host_ip: IpAddr,
    pub services: Vec<ServiceSpec>,
    /// Labels of the network and volumes.
    pub labels: BTreeMap<String, String>,
}

impl ClusterSpec {
    pub fn brokers(&self) -> impl Iterator<Item = &ServiceSpec> {
        self.services
            .iter()
            .filter(|s| matches!(s.role, ServiceRole::Broker(_)))
    }
}

/// Kafka broker properties from the cluster's KafkaConfig and RetentionPolicy (custom
/// properties last, so they win). Listener, identity and storage properties are not here:
/// they depend on where the broker runs.
pub fn broker_settings(cluster: &Cluster) -> BTreeMap<String, String> {
    let k = cluster.kafka_config.clone().unwrap_or_default();
    let r = cluster.retention_policy.unwrap_or_default();
    let mut p = BTreeMap::new();
    let mut put = |key: &str, v: Option<String>| {
        if let Some(v) = v {
            p.insert(key.to_string(), v);
        }
    };
    put(
        "log.retention.hours",
        k.log_retention_hours.map(|v| v.to_string()),
    );
    put(
        "log.segment.bytes",
        k.log_segment_bytes.map(|v| v.to_string()),
    );
    put("num.partitions", k.num_partitions.map(|v| v.to_string()));
    put(
        "default.replication.factor",
        k.default_replication_factor.map(|v| v.to_string()),
    );
    put(
        "num.network.threads",
        k.num_network_threads.map(|v| v.to_string()),
    );
    put("num.io.threads", k.num_io_threads.map(|v| v.to_string()));
    put(
        "socket.send.buffer.bytes",
        k.socket_send_buffer_bytes.map(|v| v.to_string()),
    );
    put(
        "socket.receive.buffer.bytes",
        k.socket_receive_buffer_bytes.map(|v| v.to_string()),
    );
    put(
        "log.retention.bytes",
        r.log_retention_bytes.map(|v| v.to_string()),
    );
    put(
        "log.cleanup.policy",
        r.cleanup_policy
            .and_then(|c| match CleanupPolicy::try_from(c) {
                Ok(CleanupPolicy::Delete) => Some("delete".to_string()),
                Ok(CleanupPolicy::Compact) => Some("compact".to_string()),
                Ok(CleanupPolicy::CompactDelete) => Some("compact,delete".to_string()),
                _ => None,
            }),
    );
    // Internal topics cannot be replicated more than there are brokers.
    let rf = k
        .default_replication_factor
        .unwrap_or(1)
        .min(k.broker_count.unwrap_or(1))
        .max(1)
        .to_string();
    put("offsets.topic.replication.factor", Some(rf.clone()));
    put("transaction.state.log.replication.factor", Some(rf));
    put(
        "transaction.state.log.min.isr",
        Some(
            if k.broker_count.unwrap_or(1) >= 3 {
                "2"
            } else {
                "1"
            }
            .into(),
        ),
    );
    put("group.initial.rebalance.delay.ms", Some("0".into()));
    for (key, v) in &k.custom_properties {
        p.insert(key.clone(), v.clone());
    }
    p
}

/// The KRaft cluster id of a cluster: its UUID as 22 characters of base64url.
pub fn kraft_cluster_id(cluster_id: &str) -> String {
    use base64::Engine;
    let bytes = uuid::Uuid::parse_str(cluster_id)
        .map(|u| *u.as_bytes())
        .unwrap_or_else(|_| {
            *uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, cluster_id.as_bytes()).as_bytes()
        });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The containers of `cluster`, with host ports published on `host_ip`.
pub fn cluster_spec(cluster: &Cluster, host_ip: IpAddr) -> Result<ClusterSpec> {
    let _ = (cluster, host_ip, BrokerEngine::Unspecified);
    Err(Error::Unimplemented(
        "container specs are not written yet".into(),
    ))
}

/// The docker-compose file equivalent to `spec`.
pub fn compose_yaml(spec: &ClusterSpec) -> String {
    let _ = spec;
    String::new()
}
