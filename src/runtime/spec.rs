//! What runs for a cluster: one `ServiceSpec` per container (brokers, KRaft controllers,
//! REST proxy, UI) with its image, command, environment, listeners, host ports, volume and
//! memory limit. The Docker runtime creates exactly these; `compose_yaml` renders the same
//! specs as an equivalent docker-compose file. Pure functions, no I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::core::settings;
use crate::error::{Error, Result};
use crate::pb::{
    BrokerEngine, CleanupPolicy, Cluster, KafkaConfig, PortAllocation, RestProxyConfig, UiConfig,
};

/// Broker listener on the cluster network (other containers connect here).
pub const INTERNAL_PORT: u16 = 19092;
/// Broker listener published on the host (advertised as `<host ip>:<host port>`).
pub const EXTERNAL_PORT: u16 = 9092;
/// KRaft controller listener (cluster network only).
pub const CONTROLLER_PORT: u16 = 9093;
/// Conventional JMX port. lkm does not remap JMX: broker 1 listens on its allocated host
/// port inside the container too, since the RMI stub a JMX client gets names that port.
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
    let min_isr = if k.broker_count.unwrap_or(1) >= 3 {
        "2"
    } else {
        "1"
    };
    put("offsets.topic.replication.factor", Some(rf.clone()));
    put("transaction.state.log.replication.factor", Some(rf.clone()));
    put("transaction.state.log.min.isr", Some(min_isr.into()));
    put("share.coordinator.state.topic.replication.factor", Some(rf));
    put(
        "share.coordinator.state.topic.min.isr",
        Some(min_isr.into()),
    );
    put("group.initial.rebalance.delay.ms", Some("0".into()));
    // Kafka's default (1 MiB + 12 bytes per batch) refuses a record of the 1 MiB value lkm's
    // API accepts, once the batch's own bytes are added: make room for key, headers and
    // overhead, as lkm's producer does.
    put(
        "message.max.bytes",
        Some(crate::kafka::pool::MAX_MESSAGE_BYTES.to_string()),
    );
    for (key, v) in &k.custom_properties {
        p.insert(key.clone(), v.clone());
    }
    p
}

/// tansu's `--storage-engine` for the cluster: SQLite in the working directory (persistent;
/// the default) or memory.
pub fn tansu_storage_url(cluster: &Cluster) -> &'static str {
    let kafka = cluster.kafka_config.as_ref();
    match kafka.and_then(|k| k.storage_engine.as_deref()) {
        Some("memory") => "memory://tansu/",
        _ => "sqlite://tansu.db",
    }
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

/// Where the apache/kafka image keeps data: the image declares `VOLUME /var/lib/kafka/data`
/// and gives it to its `appuser`, so a fresh named volume mounted there is writable
/// (docker/jvm/Dockerfile in the Kafka repository).
const KAFKA_DATA_DIR: &str = "/var/lib/kafka/data";
/// tansu's working directory and volume; `sqlite://tansu.db` is relative to it.
const TANSU_DATA_DIR: &str = "/data";
/// Heap of a dedicated KRaft controller: it holds only the metadata log.
const CONTROLLER_HEAP_MB: u64 = 256;
/// Controller node ids are 101, 102, …, apart from the broker ids 1..=9.
const CONTROLLER_NODE_ID_BASE: u32 = 100;
const TANSU_MIN_MEMORY_MB: u64 = 128;
const MIB: u64 = 1024 * 1024;

/// Environment variables the apache/kafka image's scripts read themselves
/// (core/src/main/scala/kafka/docker/KafkaDockerWrapper.scala `ExcludeServerPropsEnv`,
/// docker/jvm/launch, bin/kafka-run-class.sh). A broker property whose variable name is one of
/// these would not become a property but change the JVM, so such properties are refused.
const KAFKA_SCRIPT_ENV: &[&str] = &[
    "KAFKA_VERSION",
    "KAFKA_HEAP_OPT",
    "KAFKA_HEAP_OPTS",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_JMX_PORT",
    "KAFKA_JMX_HOSTNAME",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_LOG4J_ROOT_LOGLEVEL",
    "KAFKA_LOG4J_LOGGERS",
    "KAFKA_TOOLS_LOG4J_LOGLEVEL",
    "KAFKA_DEBUG",
    "KAFKA_JDK_COMPATIBILITY_OPTS",
];

/// The containers of `cluster`, with host ports published on `host_ip`.
pub fn cluster_spec(cluster: &Cluster, host_ip: IpAddr) -> Result<ClusterSpec> {
    // A stored cluster has every field set; filling gaps from lkm's defaults keeps this
    // function total for partial definitions too.
    let kafka = settings::complete_kafka(&cluster.kafka_config.clone().unwrap_or_default());
    let rest =
        settings::complete_rest_proxy(&cluster.rest_proxy_config.clone().unwrap_or_default());
    let ui = settings::complete_ui(&cluster.ui_config.clone().unwrap_or_default());
    settings::validate_effective(&kafka, &rest, &ui)?;

    let labels = cluster_labels(cluster);
    let ctx = Ctx {
        cluster,
        ports: cluster.port_allocation.clone().unwrap_or_default(),
        advertised_host: advertised_host(host_ip),
        kraft_id: kraft_cluster_id(&cluster.id),
        labels: labels.clone(),
    };
    let broker_count = kafka.broker_count.unwrap_or(1);
    if !(1..=settings::MAX_BROKERS).contains(&broker_count) {
        return Err(Error::invalid(
            "kafka_config.broker_count",
            format!("must be 1 to {}", settings::MAX_BROKERS),
        ));
    }
    // Bounded by MAX_BROKERS above.
    let broker_count = broker_count as u8;

    let mut services = Vec::new();
    match kafka.engine() {
        BrokerEngine::Tansu => services.push(tansu_broker(&ctx, &kafka)?),
        BrokerEngine::ApacheKafka | BrokerEngine::Unspecified => {
            services.extend(apache_kafka(&ctx, &kafka, broker_count)?);
        }
    }
    let bootstrap = services
        .iter()
        .filter(|s| matches!(s.role, ServiceRole::Broker(_)))
        .map(|s| format!("{}:{INTERNAL_PORT}", s.container_name))
        .collect::<Vec<_>>()
        .join(",");
    if rest.enabled.unwrap_or(false) {
        services.push(rest_proxy(&ctx, &rest, &bootstrap)?);
    }
    if ui.enabled.unwrap_or(false) {
        services.push(kafka_ui(&ctx, &ui, &bootstrap)?);
    }
    Ok(ClusterSpec {
        network: cluster.network_name.clone(),
        kraft_cluster_id: ctx.kraft_id.clone(),
        host_ip,
        services,
        labels,
    })
}

/// What every service of one cluster shares.
struct Ctx<'a> {
    cluster: &'a Cluster,
    ports: PortAllocation,
    /// Host name clients on the host use: `127.0.0.1` for an unspecified bind address.
    advertised_host: String,
    kraft_id: String,
    labels: BTreeMap<String, String>,
}

impl Ctx<'_> {
    fn container_name(&self, service: &str) -> String {
        format!("lkm-{}-{service}", self.cluster.name)
    }

    fn service_labels(&self, service: &str) -> BTreeMap<String, String> {
        let mut l = self.labels.clone();
        l.insert(LABEL_SERVICE.into(), service.into());
        l
    }

    /// `host:port` as a client on the host dials it.
    fn host_address(&self, port: u16) -> String {
        if self.advertised_host.contains(':') {
            format!("[{}]:{port}", self.advertised_host)
        } else {
            format!("{}:{port}", self.advertised_host)
        }
    }

    /// Host port of broker `n` (1-based): `kafka_port` for the first, then
    /// `additional_kafka_ports` in order.
    fn broker_host_port(&self, n: u8) -> Result<u16> {
        let p = if n == 1 {
            Some(self.ports.kafka_port)
        } else {
            self.ports
                .additional_kafka_ports
                .get(usize::from(n) - 2)
                .copied()
        };
        host_port(&format!("broker-{n} Kafka"), p)
    }

    fn volume(&self, service: &str, target: &str) -> VolumeMount {
        VolumeMount {
            volume: self.container_name(service),
            target: target.into(),
        }
    }

    /// A service with the parts every one has; callers fill in the rest.
    fn service(&self, role: ServiceRole, name: &str, image: String) -> ServiceSpec {
        ServiceSpec {
            role,
            name: name.into(),
            container_name: self.container_name(name),
            image,
            entrypoint: None,
            command: Vec::new(),
            env: BTreeMap::new(),
            ports: Vec::new(),
            volume: None,
            working_dir: None,
            memory_limit_bytes: 0,
            readiness: Readiness::Running,
            labels: self.service_labels(name),
        }
    }
}

fn cluster_labels(cluster: &Cluster) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_MANAGED.to_string(), "true".to_string()),
        (LABEL_CLUSTER_ID.to_string(), cluster.id.clone()),
        (LABEL_CLUSTER_NAME.to_string(), cluster.name.clone()),
    ])
}

fn advertised_host(host_ip: IpAddr) -> String {
    if host_ip.is_unspecified() {
        "127.0.0.1".into()
    } else {
        host_ip.to_string()
    }
}

fn host_port(what: &str, port: Option<i32>) -> Result<u16> {
    port.filter(|p| *p > 0)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| {
            Error::precondition(
                "PORTS_MISSING",
                format!("the cluster has no {what} host port allocated"),
            )
        })
}

/// Heap size in MiB of a service's `heap_size` field.
fn heap_mb(field: &str, heap: Option<&str>) -> Result<u64> {
    let heap = heap.unwrap_or_default();
    crate::core::validate::heap_mb(heap)
        .filter(|mb| *mb > 0)
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("'{heap}' is not a heap size such as 512M or 1G"),
            )
        })
}

/// JVM heap flags: initial heap = maximum heap, so the memory limit is sized for it.
fn heap_opts(mb: u64) -> String {
    format!("-Xmx{mb}m -Xms{mb}m")
}

/// Container memory limit of a JVM (the same figure the resource guard counts).
fn jvm_memory_limit(heap_mb: u64) -> i64 {
    mib_to_bytes(crate::core::resources::jvm_memory_mb(heap_mb))
}

fn mib_to_bytes(mb: u64) -> i64 {
    i64::try_from(mb.saturating_mul(MIB)).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------
// apache/kafka
// ---------------------------------------------------------------------------------------

/// The env variable name of a property under the apache/kafka image's documented rule
/// (docker/examples/README.md in the Kafka repository, "Using Environment Variables"):
/// `.` → `_`, `_` → `__`, `-` → `___`, upper case, prefix `KAFKA_`. The Confluent images use
/// the same escaping in code (`ConvertKey` of confluentinc/common-docker `ub`), whatever
/// their prose says, so `prefix` is the only difference.
fn property_env_name(prefix: &str, property: &str) -> String {
    let mut name = String::from(prefix);
    for c in property.chars() {
        match c {
            '.' => name.push('_'),
            '_' => name.push_str("__"),
            '-' => name.push_str("___"),
            c => name.push(c.to_ascii_uppercase()),
        }
    }
    name
}

/// How the apache/kafka image reads a variable back (`getServerConfigsFromEnv` in
/// core/src/main/scala/kafka/docker/KafkaDockerWrapper.scala): every `KAFKA_` removed, lower
/// case, `_` → `.`, then `...` → `-` and `..` → `_`.
fn kafka_wrapper_property(env: &str) -> String {
    env.replace("KAFKA_", "")
        .to_lowercase()
        .replace('_', ".")
        .replace("...", "-")
        .replace("..", "_")
}

/// How the Go `ub`/`utility` tool reads a variable back (`ConvertKey` in
/// confluentinc/common-docker base-java/ub/ub.go, and the same function in
/// docker/resources/utility/utility.go of the Kafka repository): a `_` between two non-`_` characters becomes `.` (regexp
/// `[^_]_[^_]`, leftmost non-overlapping matches), then `___` → `-`, `__` → `_`, lower case.
fn ub_convert_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len());
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i] != '_' && chars[i + 1] == '_' && chars[i + 2] != '_' {
            out.push(chars[i]);
            out.push('.');
            out.push(chars[i + 2]);
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out.replace("___", "-").replace("__", "_").to_lowercase()
}

fn plain_property_name(property: &str) -> bool {
    !property.is_empty()
        && property
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// Adds the broker properties to a Kafka container's environment, refusing any property the
/// image would read back under another name (checked against both readers the Kafka
/// repository's docker scripts have had: the Scala wrapper and the older Go `utility`; real
/// Kafka property names pass both) or that
/// would land on a variable with another meaning (lkm's own settings, the JVM options of
/// the start scripts).
fn put_kafka_properties(
    env: &mut BTreeMap<String, String>,
    properties: &BTreeMap<String, String>,
) -> Result<()> {
    const FIELD: &str = "kafka_config.custom_properties";
    for (key, value) in properties {
        let name = property_env_name("KAFKA_", key);
        let readable = plain_property_name(key)
            && kafka_wrapper_property(&name) == *key
            && ub_convert_key(&name["KAFKA_".len()..]) == *key;
        if !readable {
            return Err(Error::invalid(
                FIELD,
                format!(
                    "'{key}' cannot be passed to the apache/kafka image: its environment variable {name} reads back as another property"
                ),
            ));
        }
        if KAFKA_SCRIPT_ENV.contains(&name.as_str()) || env.contains_key(&name) {
            return Err(Error::invalid(
                FIELD,
                format!("'{key}' maps to {name}, which lkm or the image's scripts set"),
            ));
        }
        env.insert(name, value.clone());
    }
    Ok(())
}

/// Brokers (and, with several brokers, dedicated KRaft controllers) on the official
/// apache/kafka image, configured through its environment variables.
fn apache_kafka(ctx: &Ctx, kafka: &KafkaConfig, brokers: u8) -> Result<Vec<ServiceSpec>> {
    let image = kafka.image.clone().unwrap_or_default();
    let heap = heap_mb("kafka_config.heap_size", kafka.heap_size.as_deref())?;
    let properties = broker_settings(ctx.cluster);
    let controller_addr = |name: &str| format!("{}:{CONTROLLER_PORT}", ctx.container_name(name));
    // One broker: a combined broker+controller node (docker/examples single-node). More:
    // isolated controllers, three once there are three brokers so the quorum survives one
    // loss (docker/examples/docker-compose-files/cluster/isolated).
    let controllers: u8 = match brokers {
        1 => 0,
        2 => 1,
        _ => 3,
    };
    let voters = if controllers == 0 {
        format!("1@{}", controller_addr("broker-1"))
    } else {
        (1..=controllers)
            .map(|c| {
                format!(
                    "{}@{}",
                    CONTROLLER_NODE_ID_BASE + u32::from(c),
                    controller_addr(&format!("controller-{c}"))
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let jmx_host_port = if kafka.jmx_enabled.unwrap_or(false) {
        Some(host_port("JMX", ctx.ports.jmx_port)?)
    } else {
        None
    };

    // What every KRaft node of the cluster shares. Controllers get the broker properties too:
    // in KRaft the controller applies defaults such as num.partitions and
    // default.replication.factor to topics it creates.
    let common = |node_id: u32, roles: &str, heap_mb: u64| -> Result<BTreeMap<String, String>> {
        let mut env = BTreeMap::from([
            ("KAFKA_NODE_ID".to_string(), node_id.to_string()),
            ("KAFKA_PROCESS_ROLES".to_string(), roles.to_string()),
            ("KAFKA_CONTROLLER_QUORUM_VOTERS".to_string(), voters.clone()),
            (
                "KAFKA_CONTROLLER_LISTENER_NAMES".to_string(),
                "CONTROLLER".to_string(),
            ),
            ("KAFKA_LOG_DIRS".to_string(), KAFKA_DATA_DIR.to_string()),
            // Read by the image's start-up to format the log directory
            // (docker/examples/README.md: "for example `CLUSTER_ID`").
            ("CLUSTER_ID".to_string(), ctx.kraft_id.clone()),
            // Read by kafka-server-start.sh. The image's wrapper also writes it to
            // server.properties as `heap.opts` (its exclusion list names `KAFKA_HEAP_OPT`);
            // Kafka only logs that unknown property.
            ("KAFKA_HEAP_OPTS".to_string(), heap_opts(heap_mb)),
        ]);
        put_kafka_properties(&mut env, &properties)?;
        Ok(env)
    };

    let mut services = Vec::new();
    for c in 1..=controllers {
        let name = format!("controller-{c}");
        let mut s = ctx.service(ServiceRole::Controller(c), &name, image.clone());
        s.env = common(
            CONTROLLER_NODE_ID_BASE + u32::from(c),
            "controller",
            CONTROLLER_HEAP_MB,
        )?;
        // The image refuses KAFKA_ADVERTISED_LISTENERS on a controller-only node
        // (docker/resources/common-scripts/configure), so none is set.
        s.env.insert(
            "KAFKA_LISTENERS".into(),
            format!("CONTROLLER://0.0.0.0:{CONTROLLER_PORT}"),
        );
        s.env.insert(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP".into(),
            "CONTROLLER:PLAINTEXT".into(),
        );
        s.volume = Some(ctx.volume(&name, KAFKA_DATA_DIR));
        s.memory_limit_bytes = jvm_memory_limit(CONTROLLER_HEAP_MB);
        services.push(s);
    }

    for n in 1..=brokers {
        let name = format!("broker-{n}");
        let host_port = ctx.broker_host_port(n)?;
        let combined = controllers == 0;
        let mut s = ctx.service(ServiceRole::Broker(n), &name, image.clone());
        s.env = common(
            u32::from(n),
            if combined {
                "broker,controller"
            } else {
                "broker"
            },
            heap,
        )?;
        let mut listeners =
            format!("INTERNAL://0.0.0.0:{INTERNAL_PORT},EXTERNAL://0.0.0.0:{EXTERNAL_PORT}");
        if combined {
            listeners.push_str(&format!(",CONTROLLER://0.0.0.0:{CONTROLLER_PORT}"));
        }
        s.env.insert("KAFKA_LISTENERS".into(), listeners);
        s.env.insert(
            "KAFKA_ADVERTISED_LISTENERS".into(),
            format!(
                "INTERNAL://{}:{INTERNAL_PORT},EXTERNAL://{}",
                s.container_name,
                ctx.host_address(host_port)
            ),
        );
        s.env.insert(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP".into(),
            "CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT".into(),
        );
        s.env
            .insert("KAFKA_INTER_BROKER_LISTENER_NAME".into(), "INTERNAL".into());
        s.ports.push(PortMapping {
            container: EXTERNAL_PORT,
            host: host_port,
        });
        if let (1, Some(jmx)) = (n, jmx_host_port) {
            // docker/jvm/launch of the image: KAFKA_JMX_PORT becomes JMX_PORT and adds
            // -Dcom.sun.management.jmxremote.port and .rmi.port (both this port) and
            // -Djava.rmi.server.hostname=$KAFKA_JMX_HOSTNAME to KAFKA_JMX_OPTS. The RMI stub
            // a JMX client receives names that host and port, so the port inside the
            // container is the host port itself (not JMX_PORT): a remapped port would hand
            // the client an address that does not answer.
            s.env.insert("KAFKA_JMX_PORT".into(), jmx.to_string());
            s.env
                .insert("KAFKA_JMX_HOSTNAME".into(), ctx.advertised_host.clone());
            s.ports.push(PortMapping {
                container: jmx,
                host: jmx,
            });
        }
        s.volume = Some(ctx.volume(&name, KAFKA_DATA_DIR));
        s.memory_limit_bytes = jvm_memory_limit(heap);
        s.readiness = Readiness::KafkaMetadata {
            address: ctx.host_address(host_port),
        };
        services.push(s);
    }
    Ok(services)
}

// ---------------------------------------------------------------------------------------
// tansu
// ---------------------------------------------------------------------------------------

/// One tansu broker; the image's entrypoint is the tansu binary. Flags of `tansu broker`
/// (0.6): --cluster-id, --listener-url, --advertised-listener-url, --storage-engine. tansu has
/// no node id flag and no flags for the broker properties (partitions, retention, …), so
/// those do not apply to it.
fn tansu_broker(ctx: &Ctx, kafka: &KafkaConfig) -> Result<ServiceSpec> {
    let heap = heap_mb("kafka_config.heap_size", kafka.heap_size.as_deref())?;
    let host_port = ctx.broker_host_port(1)?;
    let address = ctx.host_address(host_port);
    let mut s = ctx.service(
        ServiceRole::Broker(1),
        "broker-1",
        kafka.image.clone().unwrap_or_default(),
    );
    s.command = vec![
        "broker".into(),
        "--cluster-id".into(),
        ctx.kraft_id.clone(),
        "--listener-url".into(),
        format!("tcp://0.0.0.0:{EXTERNAL_PORT}"),
        "--advertised-listener-url".into(),
        format!("tcp://{address}"),
        "--storage-engine".into(),
        // SQLite is relative to the working directory, which is the volume.
        tansu_storage_url(ctx.cluster).into(),
    ];
    s.working_dir = Some(TANSU_DATA_DIR.into());
    s.volume = Some(ctx.volume("broker-1", TANSU_DATA_DIR));
    s.ports.push(PortMapping {
        container: EXTERNAL_PORT,
        host: host_port,
    });
    // No JVM: the heap size is the container's limit.
    s.memory_limit_bytes = mib_to_bytes(heap.max(TANSU_MIN_MEMORY_MB));
    s.readiness = Readiness::KafkaMetadata { address };
    Ok(s)
}

// ---------------------------------------------------------------------------------------
// REST proxy
// ---------------------------------------------------------------------------------------

/// Confluent REST Proxy (`confluentinc/cp-kafka-rest`). The image turns every `KAFKA_REST_*`
/// variable into a kafka-rest.properties entry (kafka-rest.properties.template and configure
/// in confluentinc/kafka-rest-images; requires KAFKA_REST_BOOTSTRAP_SERVERS and
/// KAFKA_REST_HOST_NAME); KAFKAREST_HEAP_OPTS is read by kafka-rest-run-class. Settings:
/// docs.confluent.io "REST Proxy Configuration Options" (`consumer.request.timeout.ms`; Java
/// client settings with the `producer.` prefix go to its producers).
fn rest_proxy(ctx: &Ctx, rest: &RestProxyConfig, bootstrap: &str) -> Result<ServiceSpec> {
    const FIELD: &str = "rest_proxy_config.custom_properties";
    let host_port = host_port("REST proxy", ctx.ports.rest_proxy_port)?;
    let heap = heap_mb("rest_proxy_config.heap_size", rest.heap_size.as_deref())?;
    let mut s = ctx.service(
        ServiceRole::RestProxy,
        "rest-proxy",
        rest.image.clone().unwrap_or_default(),
    );
    let managed = BTreeMap::from([
        (
            "KAFKA_REST_BOOTSTRAP_SERVERS".to_string(),
            bootstrap.to_string(),
        ),
        (
            "KAFKA_REST_LISTENERS".to_string(),
            format!("http://0.0.0.0:{REST_PROXY_PORT}"),
        ),
        ("KAFKA_REST_HOST_NAME".to_string(), s.container_name.clone()),
    ]);
    let mut env = BTreeMap::new();
    if let Some(ms) = rest.consumer_request_timeout_ms {
        env.insert(
            "KAFKA_REST_CONSUMER_REQUEST_TIMEOUT_MS".to_string(),
            ms.to_string(),
        );
    }
    if let Some(ms) = rest.producer_request_timeout_ms {
        env.insert(
            "KAFKA_REST_PRODUCER_REQUEST_TIMEOUT_MS".to_string(),
            ms.to_string(),
        );
    }
    // Custom properties come after the typed settings, so they win (as for brokers).
    let custom: BTreeMap<&String, &String> = rest.custom_properties.iter().collect();
    for (key, value) in custom {
        let name = property_env_name("KAFKA_REST_", key);
        if !plain_property_name(key) || ub_convert_key(&name["KAFKA_REST_".len()..]) != **key {
            return Err(Error::invalid(
                FIELD,
                format!(
                    "'{key}' cannot be passed to the REST proxy image: its environment variable {name} reads back as another property"
                ),
            ));
        }
        if managed.contains_key(&name) {
            return Err(Error::invalid(
                FIELD,
                format!("'{key}' is managed by lkm and cannot be set"),
            ));
        }
        env.insert(name, value.clone());
    }
    env.extend(managed);
    env.insert("KAFKAREST_HEAP_OPTS".into(), heap_opts(heap));
    s.env = env;
    s.ports.push(PortMapping {
        container: REST_PROXY_PORT,
        host: host_port,
    });
    s.memory_limit_bytes = jvm_memory_limit(heap);
    Ok(s)
}

// ---------------------------------------------------------------------------------------
// UI
// ---------------------------------------------------------------------------------------

/// kafbat UI (`ghcr.io/kafbat/kafka-ui`), configured through Spring environment variables
/// (kafbat ui-docs, configuration/misc-configuration-properties.md): KAFKA_CLUSTERS_0_NAME,
/// KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS, KAFKA_CLUSTERS_0_READONLY, SERVER_PORT,
/// DYNAMIC_CONFIG_ENABLED. The image runs `java … $JAVA_OPTS -jar api.jar` (api/Dockerfile).
fn kafka_ui(ctx: &Ctx, ui: &UiConfig, bootstrap: &str) -> Result<ServiceSpec> {
    let host_port = host_port("UI", ctx.ports.ui_port)?;
    let heap = heap_mb("ui_config.heap_size", ui.heap_size.as_deref())?;
    let mut s = ctx.service(ServiceRole::Ui, "ui", ui.image.clone().unwrap_or_default());
    let mut env = BTreeMap::new();
    if let Some(config) = &ui.clusters_config {
        flatten_struct(&mut env, "KAFKA_CLUSTERS_0", config)?;
    }
    for managed in ["NAME", "BOOTSTRAPSERVERS", "READONLY"] {
        let name = format!("KAFKA_CLUSTERS_0_{managed}");
        if env.contains_key(&name) {
            return Err(Error::invalid(
                "ui_config.clusters_config",
                format!(
                    "{name} is set by lkm (cluster name, brokers, ui_config.readonly_mode) and cannot be overridden"
                ),
            ));
        }
    }
    // kafbat has one per-cluster write switch, `readOnly` (ClustersProperties.Cluster in
    // kafbat/kafka-ui); there is no setting for topic creation or deletion alone (its
    // topic-deletion feature follows the broker's delete.topic.enable, which lkm leaves alone
    // because lkm's own API deletes topics). So a UI that may not create or may not delete
    // topics is made read-only: the UI never allows what the configuration forbids, at the
    // price of its other writes.
    let read_only = ui.readonly_mode.unwrap_or(false)
        || !ui.topic_creation_enabled.unwrap_or(true)
        || !ui.topic_deletion_enabled.unwrap_or(true);
    env.insert("KAFKA_CLUSTERS_0_NAME".into(), ctx.cluster.name.clone());
    env.insert("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS".into(), bootstrap.into());
    env.insert("KAFKA_CLUSTERS_0_READONLY".into(), read_only.to_string());
    env.insert("SERVER_PORT".into(), UI_PORT.to_string());
    env.insert("DYNAMIC_CONFIG_ENABLED".into(), "false".into());
    env.insert("JAVA_OPTS".into(), heap_opts(heap));
    s.env = env;
    s.ports.push(PortMapping {
        container: UI_PORT,
        host: host_port,
    });
    s.memory_limit_bytes = jvm_memory_limit(heap);
    Ok(s)
}

/// `{"schemaRegistry": "http://sr:8081", "properties": {"security_protocol": "PLAINTEXT"}}`
/// under `KAFKA_CLUSTERS_0` becomes KAFKA_CLUSTERS_0_SCHEMAREGISTRY and
/// KAFKA_CLUSTERS_0_PROPERTIES_SECURITY_PROTOCOL; list items get their index
/// (KAFKA_CLUSTERS_0_KAFKACONNECT_0_NAME), as in Spring's binding of environment variables.
fn flatten_struct(
    env: &mut BTreeMap<String, String>,
    prefix: &str,
    s: &prost_types::Struct,
) -> Result<()> {
    for (key, value) in &s.fields {
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::invalid(
                "ui_config.clusters_config",
                format!(
                    "key {key:?} must be letters, digits and '_' (it becomes part of an environment variable name)"
                ),
            ));
        }
        flatten_value(
            env,
            &format!("{prefix}_{}", key.to_ascii_uppercase()),
            value,
        )?;
    }
    Ok(())
}

fn flatten_value(
    env: &mut BTreeMap<String, String>,
    name: &str,
    value: &prost_types::Value,
) -> Result<()> {
    use prost_types::value::Kind;
    let scalar = match &value.kind {
        None | Some(Kind::NullValue(_)) => return Ok(()),
        Some(Kind::StructValue(s)) => return flatten_struct(env, name, s),
        Some(Kind::ListValue(list)) => {
            for (i, item) in list.values.iter().enumerate() {
                flatten_value(env, &format!("{name}_{i}"), item)?;
            }
            return Ok(());
        }
        Some(Kind::BoolValue(b)) => b.to_string(),
        Some(Kind::StringValue(s)) => s.clone(),
        Some(Kind::NumberValue(n)) => {
            if !n.is_finite() {
                return Err(Error::invalid(
                    "ui_config.clusters_config",
                    format!("{name} is not a finite number"),
                ));
            }
            if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
                format!("{}", *n as i64)
            } else {
                n.to_string()
            }
        }
    };
    if scalar.contains('\0') {
        return Err(Error::invalid(
            "ui_config.clusters_config",
            format!("{name} contains a NUL character"),
        ));
    }
    if env.insert(name.to_string(), scalar).is_some() {
        return Err(Error::invalid(
            "ui_config.clusters_config",
            format!("two keys both become {name}"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// docker-compose
// ---------------------------------------------------------------------------------------

/// The docker-compose file equivalent to `spec`.
///
/// Every string is written as a double-quoted scalar with JSON-compatible escapes, and `$` is
/// doubled so Compose's variable interpolation leaves values as they are.
pub fn compose_yaml(spec: &ClusterSpec) -> String {
    use std::fmt::Write as _;
    let mut y = String::new();
    let q = |s: &str| quote(&s.replace('$', "$$"));
    let host_ip = match spec.host_ip {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    // Writing to a String cannot fail.
    let _ = writeln!(
        y,
        "# Generated by lkm: the containers of one cluster. Run it with\n#   docker compose -p {} up -d",
        spec.network
    );
    // Format 2.4 rather than the newer top-level `name`: Compose v2 reads it too, and
    // docker-compose 1.x (Debian's) refuses files without a version it knows; its
    // mem_limit/memswap_limit are the format-2 keys.
    let _ = writeln!(y, "version: \"2.4\"");
    let _ = writeln!(y, "services:");
    for s in &spec.services {
        let _ = writeln!(y, "  {}:", quote(&s.name));
        let _ = writeln!(y, "    image: {}", q(&s.image));
        let _ = writeln!(y, "    container_name: {}", q(&s.container_name));
        let _ = writeln!(y, "    hostname: {}", q(&s.container_name));
        if let Some(entrypoint) = &s.entrypoint {
            let _ = writeln!(y, "    entrypoint: {}", flow_list(entrypoint, &q));
        }
        if !s.command.is_empty() {
            let _ = writeln!(y, "    command: {}", flow_list(&s.command, &q));
        }
        if let Some(dir) = &s.working_dir {
            let _ = writeln!(y, "    working_dir: {}", q(dir));
        }
        write_map(&mut y, "    ", "environment", &s.env, &q);
        if !s.ports.is_empty() {
            let _ = writeln!(y, "    ports:");
            for p in &s.ports {
                let _ = writeln!(
                    y,
                    "      - {}",
                    q(&format!("{host_ip}:{}:{}", p.host, p.container))
                );
            }
        }
        if let Some(v) = &s.volume {
            let _ = writeln!(y, "    volumes:");
            let _ = writeln!(y, "      - {}", q(&format!("{}:{}", v.volume, v.target)));
        }
        // The runtime sets the swap limit equal to the memory limit: no swap.
        let _ = writeln!(y, "    mem_limit: {}", s.memory_limit_bytes);
        let _ = writeln!(y, "    memswap_limit: {}", s.memory_limit_bytes);
        write_map(&mut y, "    ", "labels", &s.labels, &q);
        let _ = writeln!(y, "    networks:");
        let _ = writeln!(y, "      - {}", quote(&spec.network));
        let deps: Vec<&str> = spec
            .services
            .iter()
            .filter(|d| {
                matches!(
                    (&s.role, &d.role),
                    (ServiceRole::Broker(_), ServiceRole::Controller(_))
                        | (
                            ServiceRole::RestProxy | ServiceRole::Ui,
                            ServiceRole::Broker(_)
                        )
                )
            })
            .map(|d| d.name.as_str())
            .collect();
        if !deps.is_empty() {
            let _ = writeln!(y, "    depends_on:");
            for d in deps {
                let _ = writeln!(y, "      - {}", quote(d));
            }
        }
    }
    let _ = writeln!(y, "networks:");
    let _ = writeln!(y, "  {}:", quote(&spec.network));
    let _ = writeln!(y, "    name: {}", q(&spec.network));
    write_map(&mut y, "    ", "labels", &spec.labels, &q);
    let volumes: std::collections::BTreeSet<&str> = spec
        .services
        .iter()
        .filter_map(|s| s.volume.as_ref().map(|v| v.volume.as_str()))
        .collect();
    if !volumes.is_empty() {
        let _ = writeln!(y, "volumes:");
        for v in volumes {
            let _ = writeln!(y, "  {}:", quote(v));
            let _ = writeln!(y, "    name: {}", q(v));
            write_map(&mut y, "    ", "labels", &spec.labels, &q);
        }
    }
    y
}

fn write_map(
    y: &mut String,
    indent: &str,
    key: &str,
    map: &BTreeMap<String, String>,
    q: &dyn Fn(&str) -> String,
) {
    use std::fmt::Write as _;
    if map.is_empty() {
        let _ = writeln!(y, "{indent}{key}: {{}}");
        return;
    }
    let _ = writeln!(y, "{indent}{key}:");
    for (k, v) in map {
        let _ = writeln!(y, "{indent}  {}: {}", quote(k), q(v));
    }
}

fn flow_list(items: &[String], q: &dyn Fn(&str) -> String) -> String {
    let items: Vec<String> = items.iter().map(|i| q(i)).collect();
    format!("[{}]", items.join(", "))
}

/// A double-quoted scalar that is both a JSON string and a YAML 1.1/1.2 double-quoted
/// scalar: `"` and `\` escaped, and every character YAML does not allow raw (C0 and C1
/// controls, DEL, line/paragraph separators, BOM, non-characters) written as `\uXXXX`.
fn quote(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if matches!(c as u32, 0..=0x1f | 0x7f..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff) =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::{Ipv4Addr, Ipv6Addr};

    use prost_types::value::Kind;
    use prost_types::{ListValue, Struct, Value};

    use super::*;
    use crate::core::templates::{Overrides, apply, builtin};

    const ID: &str = "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const MIB: i64 = 1024 * 1024;

    /// A "development" cluster named `dev` with `o` applied and every port it needs.
    fn cluster(o: Overrides) -> Cluster {
        let o = Overrides {
            name: "dev".into(),
            ..o
        };
        let mut c = apply(builtin("development").as_ref(), &o).expect("valid overrides");
        c.id = ID.into();
        c.network_name = "lkm-dev".into();
        let k = c.kafka_config.clone().unwrap_or_default();
        let brokers = k.broker_count.unwrap_or(1);
        c.port_allocation = Some(PortAllocation {
            kafka_port: 29092,
            additional_kafka_ports: (1..brokers).map(|i| 29092 + i).collect(),
            rest_proxy_port: Some(28082),
            ui_port: Some(28080),
            jmx_port: k.jmx_enabled.unwrap_or(false).then_some(29999),
        });
        c
    }

    fn kafka(k: KafkaConfig) -> Overrides {
        Overrides {
            kafka: Some(k),
            ..Default::default()
        }
    }

    fn brokers(n: i32) -> Overrides {
        kafka(KafkaConfig {
            broker_count: Some(n),
            ..Default::default()
        })
    }

    fn service<'a>(spec: &'a ClusterSpec, name: &str) -> &'a ServiceSpec {
        spec.services
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no service {name}"))
    }

    fn env<'a>(s: &'a ServiceSpec, key: &str) -> &'a str {
        s.env
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{} has no {key}", s.name))
    }

    fn names(spec: &ClusterSpec) -> Vec<&str> {
        spec.services.iter().map(|s| s.name.as_str()).collect()
    }

    fn invalid_field(e: Error) -> String {
        match e {
            Error::InvalidArgument { field, .. } => field,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    fn str_value(s: &str) -> Value {
        Value {
            kind: Some(Kind::StringValue(s.into())),
        }
    }

    fn struct_value(fields: Vec<(&str, Value)>) -> Struct {
        Struct {
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    #[test]
    fn apache_kafka_single_broker_is_a_combined_node() {
        let c = cluster(kafka(KafkaConfig {
            custom_properties: HashMap::from([
                ("log.cleaner.enable".to_string(), "true".to_string()),
                ("my_plugin.max-items".to_string(), "7".to_string()),
            ]),
            ..Default::default()
        }));
        let spec = cluster_spec(&c, LOCAL).expect("spec");
        assert_eq!(names(&spec), ["broker-1", "rest-proxy", "ui"]);
        assert_eq!(spec.network, "lkm-dev");
        assert_eq!(spec.kraft_cluster_id, kraft_cluster_id(ID));
        assert_eq!(spec.host_ip, LOCAL);
        assert_eq!(spec.brokers().count(), 1);

        let b = service(&spec, "broker-1");
        assert_eq!(b.role, ServiceRole::Broker(1));
        assert_eq!(b.container_name, "lkm-dev-broker-1");
        assert_eq!(b.image, settings::APACHE_KAFKA_IMAGE);
        assert_eq!(b.entrypoint, None);
        assert!(b.command.is_empty());
        assert_eq!(env(b, "KAFKA_NODE_ID"), "1");
        assert_eq!(env(b, "KAFKA_PROCESS_ROLES"), "broker,controller");
        assert_eq!(
            env(b, "KAFKA_LISTENERS"),
            "INTERNAL://0.0.0.0:19092,EXTERNAL://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093"
        );
        assert_eq!(
            env(b, "KAFKA_ADVERTISED_LISTENERS"),
            "INTERNAL://lkm-dev-broker-1:19092,EXTERNAL://127.0.0.1:29092"
        );
        assert_eq!(
            env(b, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"),
            "CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT"
        );
        assert_eq!(env(b, "KAFKA_CONTROLLER_LISTENER_NAMES"), "CONTROLLER");
        assert_eq!(env(b, "KAFKA_INTER_BROKER_LISTENER_NAME"), "INTERNAL");
        assert_eq!(
            env(b, "KAFKA_CONTROLLER_QUORUM_VOTERS"),
            "1@lkm-dev-broker-1:9093"
        );
        assert_eq!(env(b, "CLUSTER_ID"), kraft_cluster_id(ID));
        assert_eq!(env(b, "CLUSTER_ID").len(), 22);
        assert_eq!(env(b, "KAFKA_LOG_DIRS"), "/var/lib/kafka/data");
        assert_eq!(env(b, "KAFKA_HEAP_OPTS"), "-Xmx512m -Xms512m");
        // Broker settings, converted with the image's rule.
        assert_eq!(env(b, "KAFKA_NUM_PARTITIONS"), "3");
        assert_eq!(env(b, "KAFKA_LOG_RETENTION_HOURS"), "24");
        assert_eq!(env(b, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"), "1");
        assert_eq!(env(b, "KAFKA_LOG_CLEANER_ENABLE"), "true");
        assert_eq!(env(b, "KAFKA_MY__PLUGIN_MAX___ITEMS"), "7");
        assert!(!b.env.contains_key("KAFKA_JMX_PORT"));
        assert_eq!(
            b.ports,
            [PortMapping {
                container: EXTERNAL_PORT,
                host: 29092
            }]
        );
        assert_eq!(b.memory_limit_bytes, (512 + 256) * MIB);
        assert_eq!(
            b.volume,
            Some(VolumeMount {
                volume: "lkm-dev-broker-1".into(),
                target: "/var/lib/kafka/data".into()
            })
        );
        assert_eq!(
            b.readiness,
            Readiness::KafkaMetadata {
                address: "127.0.0.1:29092".into()
            }
        );
        let cluster_labels = BTreeMap::from([
            (LABEL_MANAGED.to_string(), "true".to_string()),
            (LABEL_CLUSTER_ID.to_string(), ID.to_string()),
            (LABEL_CLUSTER_NAME.to_string(), "dev".to_string()),
        ]);
        assert_eq!(spec.labels, cluster_labels);
        for s in &spec.services {
            let mut expected = cluster_labels.clone();
            expected.insert(LABEL_SERVICE.into(), s.name.clone());
            assert_eq!(s.labels, expected, "labels of {}", s.name);
            assert_eq!(s.container_name, format!("lkm-dev-{}", s.name));
        }
    }

    #[test]
    fn three_brokers_get_three_dedicated_controllers() {
        let spec = cluster_spec(&cluster(brokers(3)), LOCAL).expect("spec");
        assert_eq!(
            names(&spec),
            [
                "controller-1",
                "controller-2",
                "controller-3",
                "broker-1",
                "broker-2",
                "broker-3",
                "rest-proxy",
                "ui"
            ]
        );
        let voters = "101@lkm-dev-controller-1:9093,102@lkm-dev-controller-2:9093,103@lkm-dev-controller-3:9093";
        for n in 1..=3u8 {
            let b = service(&spec, &format!("broker-{n}"));
            let host = 29092 + u16::from(n) - 1;
            assert_eq!(b.role, ServiceRole::Broker(n));
            assert_eq!(env(b, "KAFKA_NODE_ID"), n.to_string());
            assert_eq!(env(b, "KAFKA_PROCESS_ROLES"), "broker");
            assert_eq!(env(b, "KAFKA_CONTROLLER_QUORUM_VOTERS"), voters);
            assert_eq!(
                env(b, "KAFKA_LISTENERS"),
                "INTERNAL://0.0.0.0:19092,EXTERNAL://0.0.0.0:9092"
            );
            assert_eq!(
                env(b, "KAFKA_ADVERTISED_LISTENERS"),
                format!("INTERNAL://lkm-dev-broker-{n}:19092,EXTERNAL://127.0.0.1:{host}")
            );
            assert_eq!(
                b.ports,
                [PortMapping {
                    container: EXTERNAL_PORT,
                    host
                }]
            );
            assert_eq!(
                b.readiness,
                Readiness::KafkaMetadata {
                    address: format!("127.0.0.1:{host}")
                }
            );
            assert_eq!(
                b.volume.as_ref().map(|v| v.volume.as_str()),
                Some(format!("lkm-dev-broker-{n}").as_str())
            );
        }
        for c in 1..=3u8 {
            let s = service(&spec, &format!("controller-{c}"));
            assert_eq!(s.role, ServiceRole::Controller(c));
            assert_eq!(s.container_name, format!("lkm-dev-controller-{c}"));
            assert_eq!(env(s, "KAFKA_NODE_ID"), (100 + u32::from(c)).to_string());
            assert_eq!(env(s, "KAFKA_PROCESS_ROLES"), "controller");
            assert_eq!(env(s, "KAFKA_CONTROLLER_QUORUM_VOTERS"), voters);
            assert_eq!(env(s, "KAFKA_LISTENERS"), "CONTROLLER://0.0.0.0:9093");
            assert_eq!(env(s, "CLUSTER_ID"), kraft_cluster_id(ID));
            assert_eq!(env(s, "KAFKA_HEAP_OPTS"), "-Xmx256m -Xms256m");
            // Controllers create topics in KRaft, so they get the same defaults.
            assert_eq!(env(s, "KAFKA_NUM_PARTITIONS"), "3");
            assert!(!s.env.contains_key("KAFKA_ADVERTISED_LISTENERS"));
            assert!(s.ports.is_empty());
            assert_eq!(s.readiness, Readiness::Running);
            assert_eq!(s.memory_limit_bytes, 512 * MIB);
            assert_eq!(
                s.volume,
                Some(VolumeMount {
                    volume: format!("lkm-dev-controller-{c}"),
                    target: "/var/lib/kafka/data".into()
                })
            );
        }
        let bootstrap = "lkm-dev-broker-1:19092,lkm-dev-broker-2:19092,lkm-dev-broker-3:19092";
        assert_eq!(
            env(service(&spec, "rest-proxy"), "KAFKA_REST_BOOTSTRAP_SERVERS"),
            bootstrap
        );
        assert_eq!(
            env(service(&spec, "ui"), "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"),
            bootstrap
        );
        // Internal topics are replicated as far as the brokers allow.
        let b1 = service(&spec, "broker-1");
        assert_eq!(env(b1, "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"), "2");
    }

    #[test]
    fn two_brokers_get_one_controller() {
        let spec = cluster_spec(&cluster(brokers(2)), LOCAL).expect("spec");
        assert_eq!(
            names(&spec),
            ["controller-1", "broker-1", "broker-2", "rest-proxy", "ui"]
        );
        for s in spec
            .services
            .iter()
            .filter(|s| matches!(s.role, ServiceRole::Broker(_) | ServiceRole::Controller(_)))
        {
            assert_eq!(
                env(s, "KAFKA_CONTROLLER_QUORUM_VOTERS"),
                "101@lkm-dev-controller-1:9093"
            );
        }
        assert_eq!(env(service(&spec, "broker-2"), "KAFKA_NODE_ID"), "2");
        assert_eq!(
            service(&spec, "broker-2").ports[0],
            PortMapping {
                container: EXTERNAL_PORT,
                host: 29093
            }
        );
    }

    #[test]
    fn jmx_is_exposed_on_the_first_broker() {
        let c = cluster(kafka(KafkaConfig {
            broker_count: Some(2),
            jmx_enabled: Some(true),
            ..Default::default()
        }));
        let spec = cluster_spec(&c, LOCAL).expect("spec");
        let b1 = service(&spec, "broker-1");
        assert_eq!(env(b1, "KAFKA_JMX_PORT"), "29999");
        assert_eq!(env(b1, "KAFKA_JMX_HOSTNAME"), "127.0.0.1");
        assert!(b1.ports.contains(&PortMapping {
            container: 29999,
            host: 29999
        }));
        let b2 = service(&spec, "broker-2");
        assert!(!b2.env.contains_key("KAFKA_JMX_PORT"));
        assert_eq!(b2.ports.len(), 1);

        // Without JMX the allocated port is not used.
        let mut off = c.clone();
        if let Some(k) = off.kafka_config.as_mut() {
            k.jmx_enabled = Some(false);
        }
        let spec = cluster_spec(&off, LOCAL).expect("spec");
        assert!(
            !service(&spec, "broker-1")
                .env
                .contains_key("KAFKA_JMX_PORT")
        );

        // JMX asked for without a port.
        let mut missing = c;
        if let Some(p) = missing.port_allocation.as_mut() {
            p.jmx_port = None;
        }
        assert!(matches!(
            cluster_spec(&missing, LOCAL),
            Err(Error::FailedPrecondition {
                reason: "PORTS_MISSING",
                ..
            })
        ));
    }

    fn tansu_cluster(heap: &str) -> Cluster {
        cluster(Overrides {
            kafka: Some(KafkaConfig {
                engine: Some(BrokerEngine::Tansu as i32),
                heap_size: Some(heap.into()),
                ..Default::default()
            }),
            rest_proxy: Some(RestProxyConfig {
                enabled: Some(false),
                ..Default::default()
            }),
            ui: Some(UiConfig {
                enabled: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    #[test]
    fn tansu_runs_one_broker_with_its_command_line() {
        let spec = cluster_spec(&tansu_cluster("256M"), LOCAL).expect("spec");
        assert_eq!(names(&spec), ["broker-1"]);
        let b = service(&spec, "broker-1");
        assert_eq!(b.image, settings::TANSU_IMAGE);
        assert_eq!(b.entrypoint, None);
        assert_eq!(
            b.command,
            [
                "broker",
                "--cluster-id",
                &kraft_cluster_id(ID),
                "--listener-url",
                "tcp://0.0.0.0:9092",
                "--advertised-listener-url",
                "tcp://127.0.0.1:29092",
                "--storage-engine",
                "sqlite://tansu.db"
            ]
        );
        assert_eq!(b.working_dir.as_deref(), Some("/data"));
        assert_eq!(
            b.volume,
            Some(VolumeMount {
                volume: "lkm-dev-broker-1".into(),
                target: "/data".into()
            })
        );
        assert_eq!(
            b.ports,
            [PortMapping {
                container: 9092,
                host: 29092
            }]
        );
        assert!(b.env.is_empty());
        assert_eq!(b.memory_limit_bytes, 256 * MIB);
        assert_eq!(
            b.readiness,
            Readiness::KafkaMetadata {
                address: "127.0.0.1:29092".into()
            }
        );
        // The limit has a floor.
        let spec = cluster_spec(&tansu_cluster("64M"), LOCAL).expect("spec");
        assert_eq!(spec.services[0].memory_limit_bytes, 128 * MIB);
    }

    #[test]
    fn tansu_refuses_companions() {
        let mut c = tansu_cluster("256M");
        c.rest_proxy_config = Some(RestProxyConfig {
            enabled: Some(true),
            ..Default::default()
        });
        assert_eq!(
            invalid_field(cluster_spec(&c, LOCAL).expect_err("REST proxy on tansu")),
            "rest_proxy_config.enabled"
        );
    }

    #[test]
    fn rest_proxy_env() {
        let c = cluster(Overrides {
            rest_proxy: Some(RestProxyConfig {
                consumer_request_timeout_ms: Some(1500),
                producer_request_timeout_ms: Some(2500),
                custom_properties: HashMap::from([
                    ("producer.compression.type".to_string(), "lz4".to_string()),
                    ("client.some_thing-x".to_string(), "y".to_string()),
                ]),
                ..Default::default()
            }),
            ..Default::default()
        });
        let spec = cluster_spec(&c, LOCAL).expect("spec");
        let r = service(&spec, "rest-proxy");
        assert_eq!(r.role, ServiceRole::RestProxy);
        assert_eq!(r.container_name, "lkm-dev-rest-proxy");
        assert_eq!(r.image, settings::REST_PROXY_IMAGE);
        assert_eq!(
            env(r, "KAFKA_REST_BOOTSTRAP_SERVERS"),
            "lkm-dev-broker-1:19092"
        );
        assert_eq!(env(r, "KAFKA_REST_LISTENERS"), "http://0.0.0.0:8082");
        assert_eq!(env(r, "KAFKA_REST_HOST_NAME"), "lkm-dev-rest-proxy");
        assert_eq!(env(r, "KAFKAREST_HEAP_OPTS"), "-Xmx256m -Xms256m");
        assert_eq!(env(r, "KAFKA_REST_CONSUMER_REQUEST_TIMEOUT_MS"), "1500");
        assert_eq!(env(r, "KAFKA_REST_PRODUCER_REQUEST_TIMEOUT_MS"), "2500");
        assert_eq!(env(r, "KAFKA_REST_PRODUCER_COMPRESSION_TYPE"), "lz4");
        assert_eq!(env(r, "KAFKA_REST_CLIENT_SOME__THING___X"), "y");
        assert_eq!(
            ub_convert_key("CLIENT_SOME__THING___X"),
            "client.some_thing-x"
        );
        assert_eq!(
            r.ports,
            [PortMapping {
                container: REST_PROXY_PORT,
                host: 28082
            }]
        );
        assert_eq!(r.volume, None);
        assert_eq!(r.readiness, Readiness::Running);
        assert_eq!(r.memory_limit_bytes, 512 * MIB);
    }

    #[test]
    fn ui_env() {
        let spec = cluster_spec(&cluster(Overrides::default()), LOCAL).expect("spec");
        let u = service(&spec, "ui");
        assert_eq!(u.role, ServiceRole::Ui);
        assert_eq!(u.image, settings::UI_IMAGE);
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_NAME"), "dev");
        assert_eq!(
            env(u, "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"),
            "lkm-dev-broker-1:19092"
        );
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_READONLY"), "false");
        assert_eq!(env(u, "SERVER_PORT"), "8080");
        assert_eq!(env(u, "DYNAMIC_CONFIG_ENABLED"), "false");
        assert_eq!(env(u, "JAVA_OPTS"), "-Xmx256m -Xms256m");
        assert_eq!(
            u.ports,
            [PortMapping {
                container: UI_PORT,
                host: 28080
            }]
        );
        assert_eq!(u.memory_limit_bytes, 512 * MIB);
        assert_eq!(u.readiness, Readiness::Running);

        for ui in [
            UiConfig {
                readonly_mode: Some(true),
                ..Default::default()
            },
            UiConfig {
                topic_deletion_enabled: Some(false),
                ..Default::default()
            },
            UiConfig {
                topic_creation_enabled: Some(false),
                ..Default::default()
            },
        ] {
            let c = cluster(Overrides {
                ui: Some(ui.clone()),
                ..Default::default()
            });
            let spec = cluster_spec(&c, LOCAL).expect("spec");
            assert_eq!(
                env(service(&spec, "ui"), "KAFKA_CLUSTERS_0_READONLY"),
                "true",
                "{ui:?}"
            );
        }
    }

    fn ui_with(config: Struct) -> Result<ClusterSpec> {
        let c = cluster(Overrides {
            ui: Some(UiConfig {
                clusters_config: Some(config),
                ..Default::default()
            }),
            ..Default::default()
        });
        cluster_spec(&c, LOCAL)
    }

    #[test]
    fn ui_clusters_config_is_flattened() {
        let config = struct_value(vec![
            ("schemaRegistry", str_value("http://sr:8081")),
            (
                "properties",
                Value {
                    kind: Some(Kind::StructValue(struct_value(vec![(
                        "security_protocol",
                        str_value("PLAINTEXT"),
                    )]))),
                },
            ),
            (
                "kafkaConnect",
                Value {
                    kind: Some(Kind::ListValue(ListValue {
                        values: vec![Value {
                            kind: Some(Kind::StructValue(struct_value(vec![
                                ("name", str_value("connect")),
                                ("address", str_value("http://connect:8083")),
                            ]))),
                        }],
                    })),
                },
            ),
            (
                "pollingThrottleRate",
                Value {
                    kind: Some(Kind::NumberValue(1000.0)),
                },
            ),
            (
                "ratio",
                Value {
                    kind: Some(Kind::NumberValue(0.5)),
                },
            ),
            (
                "flag",
                Value {
                    kind: Some(Kind::BoolValue(true)),
                },
            ),
            (
                "nothing",
                Value {
                    kind: Some(Kind::NullValue(0)),
                },
            ),
        ]);
        let spec = ui_with(config).expect("spec");
        let u = service(&spec, "ui");
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_SCHEMAREGISTRY"), "http://sr:8081");
        assert_eq!(
            env(u, "KAFKA_CLUSTERS_0_PROPERTIES_SECURITY_PROTOCOL"),
            "PLAINTEXT"
        );
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_KAFKACONNECT_0_NAME"), "connect");
        assert_eq!(
            env(u, "KAFKA_CLUSTERS_0_KAFKACONNECT_0_ADDRESS"),
            "http://connect:8083"
        );
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_POLLINGTHROTTLERATE"), "1000");
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_RATIO"), "0.5");
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_FLAG"), "true");
        assert!(!u.env.contains_key("KAFKA_CLUSTERS_0_NOTHING"));
        // lkm's own settings are still there.
        assert_eq!(env(u, "KAFKA_CLUSTERS_0_NAME"), "dev");
    }

    #[test]
    fn ui_clusters_config_rejects_bad_keys() {
        for key in ["security.protocol", "a-b", "", "ключ", "a b"] {
            let err = ui_with(struct_value(vec![(key, str_value("x"))])).expect_err("key accepted");
            assert_eq!(invalid_field(err), "ui_config.clusters_config", "{key:?}");
        }
        // Nested keys are checked too.
        let nested = struct_value(vec![(
            "properties",
            Value {
                kind: Some(Kind::StructValue(struct_value(vec![(
                    "sasl.mechanism",
                    str_value("PLAIN"),
                )]))),
            },
        )]);
        assert_eq!(
            invalid_field(ui_with(nested).expect_err("nested key accepted")),
            "ui_config.clusters_config"
        );
        // What lkm sets cannot be overridden.
        for key in ["bootstrapServers", "name", "readOnly"] {
            let err = ui_with(struct_value(vec![(key, str_value("x"))]))
                .expect_err("managed key accepted");
            assert_eq!(invalid_field(err), "ui_config.clusters_config", "{key}");
        }
        // Two spellings of one variable.
        let twice = struct_value(vec![
            ("schemaRegistry", str_value("a")),
            ("SCHEMAREGISTRY", str_value("b")),
        ]);
        assert!(ui_with(twice).is_err());
    }

    #[test]
    fn unspecified_host_ip_advertises_loopback() {
        let c = cluster(brokers(2));
        let spec = cluster_spec(&c, IpAddr::V4(Ipv4Addr::UNSPECIFIED)).expect("spec");
        assert_eq!(spec.host_ip, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let b2 = service(&spec, "broker-2");
        assert_eq!(
            env(b2, "KAFKA_ADVERTISED_LISTENERS"),
            "INTERNAL://lkm-dev-broker-2:19092,EXTERNAL://127.0.0.1:29093"
        );
        assert_eq!(
            b2.readiness,
            Readiness::KafkaMetadata {
                address: "127.0.0.1:29093".into()
            }
        );
        let spec = cluster_spec(&c, IpAddr::V6(Ipv6Addr::UNSPECIFIED)).expect("spec");
        assert_eq!(
            env(service(&spec, "broker-1"), "KAFKA_ADVERTISED_LISTENERS"),
            "INTERNAL://lkm-dev-broker-1:19092,EXTERNAL://127.0.0.1:29092"
        );

        // A specific address is advertised as itself.
        let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
        let spec = cluster_spec(&c, ip).expect("spec");
        assert_eq!(
            env(service(&spec, "broker-1"), "KAFKA_ADVERTISED_LISTENERS"),
            "INTERNAL://lkm-dev-broker-1:19092,EXTERNAL://192.168.1.10:29092"
        );
        let spec = cluster_spec(&c, IpAddr::V6(Ipv6Addr::LOCALHOST)).expect("spec");
        let b1 = service(&spec, "broker-1");
        assert_eq!(
            env(b1, "KAFKA_ADVERTISED_LISTENERS"),
            "INTERNAL://lkm-dev-broker-1:19092,EXTERNAL://[::1]:29092"
        );
        assert_eq!(
            b1.readiness,
            Readiness::KafkaMetadata {
                address: "[::1]:29092".into()
            }
        );
    }

    fn ports_missing(c: &Cluster) -> bool {
        matches!(
            cluster_spec(c, LOCAL),
            Err(Error::FailedPrecondition {
                reason: "PORTS_MISSING",
                ..
            })
        )
    }

    #[test]
    fn missing_ports_are_a_precondition_failure() {
        let mut c = cluster(Overrides::default());
        c.port_allocation = None;
        assert!(ports_missing(&c));

        let mut c = cluster(brokers(3));
        if let Some(p) = c.port_allocation.as_mut() {
            p.additional_kafka_ports.truncate(1);
        }
        assert!(ports_missing(&c));

        let mut c = cluster(Overrides::default());
        if let Some(p) = c.port_allocation.as_mut() {
            p.rest_proxy_port = None;
        }
        assert!(ports_missing(&c));

        let mut c = cluster(Overrides::default());
        if let Some(p) = c.port_allocation.as_mut() {
            p.ui_port = Some(70_000);
        }
        assert!(ports_missing(&c));

        // A disabled service needs no port.
        let mut c = cluster(Overrides {
            ui: Some(UiConfig {
                enabled: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        });
        if let Some(p) = c.port_allocation.as_mut() {
            p.ui_port = None;
        }
        assert_eq!(
            names(&cluster_spec(&c, LOCAL).expect("spec")),
            ["broker-1", "rest-proxy"]
        );
    }

    #[test]
    fn property_names_follow_the_image_escaping() {
        assert_eq!(
            property_env_name("KAFKA_", "log.retention.hours"),
            "KAFKA_LOG_RETENTION_HOURS"
        );
        // docker/examples/README.md: abc-def → KAFKA_ABC___DEF, abc_def → KAFKA_ABC__DEF.
        assert_eq!(property_env_name("KAFKA_", "abc-def"), "KAFKA_ABC___DEF");
        assert_eq!(property_env_name("KAFKA_", "abc_def"), "KAFKA_ABC__DEF");
        for p in [
            "abc.def",
            "abc-def",
            "abc_def",
            "a.b_c-d.e",
            "transaction.state.log.min.isr",
        ] {
            let name = property_env_name("KAFKA_", p);
            assert_eq!(kafka_wrapper_property(&name), p);
            assert_eq!(ub_convert_key(&name["KAFKA_".len()..]), p);
        }
        // The Go tool's regexp does not see a one-letter segment after a replaced one.
        assert_eq!(ub_convert_key("X_A_B"), "x.a_b");
    }

    #[test]
    fn unreadable_or_colliding_broker_properties_are_refused() {
        for key in [
            // → KAFKA_X___Y, which the image reads as x-y.
            "x._y",
            // → KAFKA_CONFLUENT_KAFKA_X: the wrapper removes every "KAFKA_".
            "confluent.kafka.x",
            // Variables of the start scripts, not properties.
            "heap.opts",
            "jmx.port",
            "opts",
        ] {
            let c = cluster(kafka(KafkaConfig {
                custom_properties: HashMap::from([(key.to_string(), "1".to_string())]),
                ..Default::default()
            }));
            let err = cluster_spec(&c, LOCAL).expect_err(key);
            assert_eq!(
                invalid_field(err),
                "kafka_config.custom_properties",
                "{key}"
            );
        }
        let c = cluster(Overrides {
            rest_proxy: Some(RestProxyConfig {
                custom_properties: HashMap::from([("x.a.b".to_string(), "1".to_string())]),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(
            invalid_field(cluster_spec(&c, LOCAL).expect_err("x.a.b")),
            "rest_proxy_config.custom_properties"
        );
    }

    #[test]
    fn quoted_strings_are_json_and_yaml() {
        let nasty = "a\"b\\c\nd\re\tf\u{1}g\u{7f}h\u{85}i\u{2028}j\u{feff}k ü 😀 : # - ' {x}";
        let q = quote(nasty);
        assert!(!q.contains('\n'));
        let from_json: String = serde_json::from_str(&q).expect("JSON string");
        assert_eq!(from_json, nasty);
        let from_yaml: String = serde_yaml::from_str(&q).expect("YAML scalar");
        assert_eq!(from_yaml, nasty);
    }

    type Yaml = serde_yaml::Value;

    fn yaml_str(v: &Yaml) -> String {
        v.as_str()
            .unwrap_or_else(|| panic!("not a string: {v:?}"))
            .replace("$$", "$")
    }

    fn yaml_map(v: &Yaml) -> BTreeMap<String, String> {
        v.as_mapping()
            .unwrap_or_else(|| panic!("not a mapping: {v:?}"))
            .iter()
            .map(|(k, v)| (yaml_str(k), yaml_str(v)))
            .collect()
    }

    fn yaml_list(v: &Yaml) -> Vec<String> {
        v.as_sequence()
            .unwrap_or_else(|| panic!("not a sequence: {v:?}"))
            .iter()
            .map(yaml_str)
            .collect()
    }

    /// Parses the compose file and checks it says what the spec says.
    fn check_compose(spec: &ClusterSpec) -> Yaml {
        let text = compose_yaml(spec);
        let doc: Yaml = serde_yaml::from_str(&text).expect("compose file parses");
        assert_eq!(doc["version"].as_str(), Some("2.4"));
        let services = doc["services"].as_mapping().expect("services");
        assert_eq!(services.len(), spec.services.len());
        let host = match spec.host_ip {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        for s in &spec.services {
            let y = &doc["services"][s.name.as_str()];
            assert_eq!(yaml_str(&y["image"]), s.image);
            assert_eq!(yaml_str(&y["container_name"]), s.container_name);
            assert_eq!(yaml_str(&y["hostname"]), s.container_name);
            assert_eq!(yaml_map(&y["environment"]), s.env, "env of {}", s.name);
            assert_eq!(yaml_map(&y["labels"]), s.labels);
            assert_eq!(y["mem_limit"].as_i64(), Some(s.memory_limit_bytes));
            assert_eq!(yaml_list(&y["networks"]), [spec.network.as_str()]);
            let ports: Vec<String> = s
                .ports
                .iter()
                .map(|p| format!("{host}:{}:{}", p.host, p.container))
                .collect();
            if ports.is_empty() {
                assert!(y.get("ports").is_none());
            } else {
                assert_eq!(yaml_list(&y["ports"]), ports);
            }
            match &s.volume {
                Some(v) => assert_eq!(
                    yaml_list(&y["volumes"]),
                    [format!("{}:{}", v.volume, v.target)]
                ),
                None => assert!(y.get("volumes").is_none()),
            }
            if s.command.is_empty() {
                assert!(y.get("command").is_none());
            } else {
                assert_eq!(yaml_list(&y["command"]), s.command);
            }
            assert_eq!(
                y.get("working_dir").map(yaml_str),
                s.working_dir.clone(),
                "working_dir of {}",
                s.name
            );
        }
        let net = &doc["networks"][spec.network.as_str()];
        assert_eq!(yaml_str(&net["name"]), spec.network);
        assert_eq!(yaml_map(&net["labels"]), spec.labels);
        for v in spec.services.iter().filter_map(|s| s.volume.as_ref()) {
            let y = &doc["volumes"][v.volume.as_str()];
            assert_eq!(yaml_str(&y["name"]), v.volume);
            assert_eq!(yaml_map(&y["labels"]), spec.labels);
        }
        // Deterministic.
        assert_eq!(compose_yaml(spec), text);
        doc
    }

    #[test]
    fn compose_file_matches_the_spec() {
        let c = cluster(Overrides {
            kafka: Some(KafkaConfig {
                broker_count: Some(3),
                jmx_enabled: Some(true),
                custom_properties: HashMap::from([(
                    "my.secret".to_string(),
                    "p@ss $HOME ${X} \"q\" 'a': #b".to_string(),
                )]),
                ..Default::default()
            }),
            ui: Some(UiConfig {
                clusters_config: Some(struct_value(vec![(
                    "schemaRegistry",
                    str_value("line1\nline2 \u{85} ü"),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        });
        let spec = cluster_spec(&c, LOCAL).expect("spec");
        let doc = check_compose(&spec);
        assert_eq!(
            yaml_list(&doc["services"]["broker-1"]["ports"]),
            ["127.0.0.1:29092:9092", "127.0.0.1:29999:29999"]
        );
        // $ is doubled so Compose does not interpolate it.
        assert!(compose_yaml(&spec).contains("p@ss $$HOME $${X}"));
        assert_eq!(
            yaml_list(&doc["services"]["broker-2"]["depends_on"]),
            ["controller-1", "controller-2", "controller-3"]
        );
        assert_eq!(
            yaml_list(&doc["services"]["ui"]["depends_on"]),
            ["broker-1", "broker-2", "broker-3"]
        );
        assert!(doc["services"]["controller-1"].get("depends_on").is_none());

        let tansu =
            cluster_spec(&tansu_cluster("256M"), IpAddr::V6(Ipv6Addr::LOCALHOST)).expect("spec");
        let doc = check_compose(&tansu);
        assert_eq!(
            yaml_list(&doc["services"]["broker-1"]["ports"]),
            ["[::1]:29092:9092"]
        );
    }
}
