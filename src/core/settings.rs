//! Cluster settings: lkm's base defaults, the field-by-field merge of overrides onto a
//! template, and the validation of an effective (fully merged) configuration.

use crate::error::{Error, Result};
use crate::pb::{
    BrokerEngine, CleanupPolicy, KafkaConfig, RestProxyConfig, RetentionPolicy, UiConfig,
};

use super::validate;

pub const APACHE_KAFKA_IMAGE: &str = "apache/kafka:4.1.0";
pub const TANSU_IMAGE: &str = "lkm/tansu:latest";
pub const REST_PROXY_IMAGE: &str = "confluentinc/cp-kafka-rest:7.9.0";
pub const UI_IMAGE: &str = "ghcr.io/kafbat/kafka-ui:v1.3.0";
pub const MAX_BROKERS: i32 = 9;

/// Broker properties lkm sets itself (listeners, identity, storage); users cannot override
/// them through custom properties.
pub const RESERVED_BROKER_PROPERTIES: &[&str] = &[
    "listeners",
    "advertised.listeners",
    "listener.security.protocol.map",
    "inter.broker.listener.name",
    "controller.listener.names",
    "controller.quorum.voters",
    "controller.quorum.bootstrap.servers",
    "process.roles",
    "node.id",
    "broker.id",
    "log.dirs",
    "log.dir",
    "metadata.log.dir",
];

/// The seed's dataclass defaults: what a cluster gets when neither a template nor an
/// override says otherwise.
pub fn base_kafka() -> KafkaConfig {
    KafkaConfig {
        heap_size: Some("1G".into()),
        log_retention_hours: Some(168),
        log_segment_bytes: Some(1_073_741_824),
        num_partitions: Some(3),
        default_replication_factor: Some(1),
        num_network_threads: Some(3),
        num_io_threads: Some(8),
        socket_send_buffer_bytes: Some(102_400),
        socket_receive_buffer_bytes: Some(102_400),
        custom_properties: Default::default(),
        engine: Some(BrokerEngine::ApacheKafka as i32),
        broker_count: Some(1),
        image: None,
        jmx_enabled: Some(false),
        storage_engine: None,
    }
}

pub fn base_rest_proxy() -> RestProxyConfig {
    RestProxyConfig {
        enabled: Some(true),
        heap_size: Some("512M".into()),
        consumer_request_timeout_ms: Some(30_000),
        producer_request_timeout_ms: Some(30_000),
        custom_properties: Default::default(),
        image: Some(REST_PROXY_IMAGE.into()),
    }
}

pub fn base_ui() -> UiConfig {
    UiConfig {
        enabled: Some(true),
        heap_size: Some("512M".into()),
        clusters_config: None,
        readonly_mode: Some(false),
        topic_creation_enabled: Some(true),
        topic_deletion_enabled: Some(true),
        image: Some(UI_IMAGE.into()),
    }
}

pub fn base_retention() -> RetentionPolicy {
    RetentionPolicy {
        log_retention_bytes: Some(-1),
        cleanup_policy: Some(CleanupPolicy::Delete as i32),
        storage_quota_bytes: Some(0),
        keep_data_on_delete: Some(false),
    }
}

/// Copies every field that `over` sets onto `base`.
macro_rules! overlay {
    ($base:expr, $over:expr; $($field:ident),* $(,)?) => {
        $( if $over.$field.is_some() { $base.$field = $over.$field.clone(); } )*
    };
}

pub fn merge_kafka(base: &mut KafkaConfig, over: &KafkaConfig) {
    overlay!(base, over; heap_size, log_retention_hours, log_segment_bytes, num_partitions,
        default_replication_factor, num_network_threads, num_io_threads,
        socket_send_buffer_bytes, socket_receive_buffer_bytes, engine, broker_count, image,
        jmx_enabled, storage_engine);
    base.custom_properties
        .extend(over.custom_properties.clone());
}

pub fn merge_rest_proxy(base: &mut RestProxyConfig, over: &RestProxyConfig) {
    overlay!(base, over; enabled, heap_size, consumer_request_timeout_ms,
        producer_request_timeout_ms, image);
    base.custom_properties
        .extend(over.custom_properties.clone());
}

pub fn merge_ui(base: &mut UiConfig, over: &UiConfig) {
    overlay!(base, over; enabled, heap_size, clusters_config, readonly_mode,
        topic_creation_enabled, topic_deletion_enabled, image);
}

pub fn merge_retention(base: &mut RetentionPolicy, over: &RetentionPolicy) {
    overlay!(base, over; log_retention_bytes, cleanup_policy, storage_quota_bytes,
        keep_data_on_delete);
}

/// Fills every unset field from the base defaults, so a partial configuration (a user
/// template, an old record) becomes a complete one.
pub fn complete_kafka(cfg: &KafkaConfig) -> KafkaConfig {
    let mut full = base_kafka();
    merge_kafka(&mut full, cfg);
    if full.image.is_none() {
        full.image = Some(default_image(full.engine()).into());
    }
    full
}

pub fn complete_rest_proxy(cfg: &RestProxyConfig) -> RestProxyConfig {
    let mut full = base_rest_proxy();
    merge_rest_proxy(&mut full, cfg);
    full
}

pub fn complete_ui(cfg: &UiConfig) -> UiConfig {
    let mut full = base_ui();
    merge_ui(&mut full, cfg);
    full
}

pub fn complete_retention(cfg: &RetentionPolicy) -> RetentionPolicy {
    let mut full = base_retention();
    merge_retention(&mut full, cfg);
    full
}

pub fn default_image(engine: BrokerEngine) -> &'static str {
    match engine {
        BrokerEngine::Tansu => TANSU_IMAGE,
        BrokerEngine::ApacheKafka | BrokerEngine::Unspecified => APACHE_KAFKA_IMAGE,
    }
}

/// Refuses an image that is neither one of lkm's defaults nor allowed by configuration
/// (`allowed`: exact references, or prefixes ending in '*'): a cluster definition must not
/// run arbitrary software on the host.
pub fn check_image_allowed(field: &str, image: &str, allowed: &[String]) -> Result<()> {
    let defaults = [APACHE_KAFKA_IMAGE, TANSU_IMAGE, REST_PROXY_IMAGE, UI_IMAGE];
    let repo = |r: &str| {
        r.rsplit_once(':')
            .map_or(r, |(name, tag)| if tag.contains('/') { r } else { name })
            .to_string()
    };
    // lkm's own images, at any tag.
    if defaults.iter().any(|d| repo(d) == repo(image)) {
        return Ok(());
    }
    let ok = allowed.iter().any(|a| match a.strip_suffix('*') {
        Some(prefix) => image.starts_with(prefix),
        None => a == image,
    });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!(
                "image '{}' is not allowed: lkm runs its default images ({}) and those listed in allowed_images",
                validate::printable(image),
                defaults.map(repo).join(", ")
            ),
        ))
    }
}

/// Checks the ranges of every set field; `prefix` is the field path of the message.
pub fn validate_kafka(prefix: &str, c: &KafkaConfig) -> Result<()> {
    let f = |name: &str| format!("{prefix}.{name}");
    if let Some(h) = &c.heap_size {
        validate::heap_size(&f("heap_size"), h)?;
    }
    if let Some(v) = c.log_retention_hours
        && v != -1
    {
        validate::in_range(&f("log_retention_hours"), v, 1, 876_000)?;
    }
    if let Some(v) = c.log_segment_bytes {
        validate::in_range(&f("log_segment_bytes"), v, 1_048_576, i64::from(i32::MAX))?;
    }
    if let Some(v) = c.num_partitions {
        validate::in_range(&f("num_partitions"), v, 1, 10_000)?;
    }
    if let Some(v) = c.default_replication_factor {
        validate::in_range(&f("default_replication_factor"), v, 1, MAX_BROKERS)?;
    }
    if let Some(v) = c.num_network_threads {
        validate::in_range(&f("num_network_threads"), v, 1, 256)?;
    }
    if let Some(v) = c.num_io_threads {
        validate::in_range(&f("num_io_threads"), v, 1, 256)?;
    }
    for (name, v) in [
        ("socket_send_buffer_bytes", c.socket_send_buffer_bytes),
        ("socket_receive_buffer_bytes", c.socket_receive_buffer_bytes),
    ] {
        if let Some(v) = v
            && v != -1
        {
            validate::in_range(&f(name), v, 1024, i32::MAX)?;
        }
    }
    validate::custom_properties(
        &f("custom_properties"),
        &c.custom_properties,
        RESERVED_BROKER_PROPERTIES,
    )?;
    if let Some(e) = c.engine {
        match BrokerEngine::try_from(e) {
            Ok(BrokerEngine::Unspecified) | Err(_) => {
                return Err(Error::invalid(
                    f("engine"),
                    "must be BROKER_ENGINE_APACHE_KAFKA or BROKER_ENGINE_TANSU",
                ));
            }
            Ok(_) => {}
        }
    }
    if let Some(v) = c.broker_count {
        validate::in_range(&f("broker_count"), v, 1, MAX_BROKERS)?;
    }
    if let Some(i) = &c.image {
        validate::image(&f("image"), i)?;
    }
    if let Some(s) = &c.storage_engine
        && !matches!(s.as_str(), "sqlite" | "memory")
    {
        return Err(Error::invalid(
            f("storage_engine"),
            format!(
                "'{}' is not a tansu storage engine: use sqlite or memory",
                validate::printable(s)
            ),
        ));
    }
    Ok(())
}

pub fn validate_rest_proxy(prefix: &str, c: &RestProxyConfig) -> Result<()> {
    let f = |name: &str| format!("{prefix}.{name}");
    if let Some(h) = &c.heap_size {
        validate::heap_size(&f("heap_size"), h)?;
    }
    for (name, v) in [
        ("consumer_request_timeout_ms", c.consumer_request_timeout_ms),
        ("producer_request_timeout_ms", c.producer_request_timeout_ms),
    ] {
        if let Some(v) = v {
            validate::in_range(&f(name), v, 1, 600_000)?;
        }
    }
    validate::custom_properties(
        &f("custom_properties"),
        &c.custom_properties,
        &["bootstrap.servers", "listeners", "host.name", "id"],
    )?;
    if let Some(i) = &c.image {
        validate::image(&f("image"), i)?;
    }
    Ok(())
}

pub fn validate_ui(prefix: &str, c: &UiConfig) -> Result<()> {
    if let Some(h) = &c.heap_size {
        validate::heap_size(&format!("{prefix}.heap_size"), h)?;
    }
    if let Some(i) = &c.image {
        validate::image(&format!("{prefix}.image"), i)?;
    }
    Ok(())
}

pub fn validate_retention(prefix: &str, c: &RetentionPolicy) -> Result<()> {
    if let Some(v) = c.log_retention_bytes
        && v != -1
    {
        validate::in_range(&format!("{prefix}.log_retention_bytes"), v, 0, i64::MAX)?;
    }
    if let Some(v) = c.storage_quota_bytes {
        validate::in_range(&format!("{prefix}.storage_quota_bytes"), v, 0, i64::MAX)?;
    }
    if let Some(p) = c.cleanup_policy
        && matches!(
            CleanupPolicy::try_from(p),
            Ok(CleanupPolicy::Unspecified) | Err(_)
        )
    {
        return Err(Error::invalid(
            format!("{prefix}.cleanup_policy"),
            "must be CLEANUP_POLICY_DELETE, CLEANUP_POLICY_COMPACT or CLEANUP_POLICY_COMPACT_DELETE",
        ));
    }
    Ok(())
}

/// Rules that span fields of a complete configuration.
pub fn validate_effective(
    kafka: &KafkaConfig,
    rest: &RestProxyConfig,
    ui: &UiConfig,
) -> Result<()> {
    if kafka.engine() != BrokerEngine::Tansu && kafka.storage_engine.is_some() {
        return Err(Error::invalid(
            "kafka_config.storage_engine",
            "only the tansu engine has a choice of storage engine",
        ));
    }
    if kafka.engine() == BrokerEngine::Tansu {
        // tansu advertises one listener, which services on the cluster network cannot use,
        // and its brokers do not form a multi-broker cluster here.
        if kafka.broker_count.unwrap_or(1) != 1 {
            return Err(Error::invalid(
                "kafka_config.broker_count",
                "the tansu engine runs one broker per cluster",
            ));
        }
        if rest.enabled.unwrap_or(false) {
            return Err(Error::invalid(
                "rest_proxy_config.enabled",
                "the REST proxy needs an internal broker listener, which the tansu engine does not have; disable it or use BROKER_ENGINE_APACHE_KAFKA",
            ));
        }
        if ui.enabled.unwrap_or(false) {
            return Err(Error::invalid(
                "ui_config.enabled",
                "the UI needs an internal broker listener, which the tansu engine does not have; disable it or use BROKER_ENGINE_APACHE_KAFKA",
            ));
        }
    }
    let brokers = kafka.broker_count.unwrap_or(1);
    let rf = kafka.default_replication_factor.unwrap_or(1);
    if rf > brokers {
        return Err(Error::invalid(
            "kafka_config.default_replication_factor",
            format!("{rf} exceeds the number of brokers ({brokers})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_merge_field_by_field() {
        let mut base = base_kafka();
        base.custom_properties.insert("a".into(), "1".into());
        let over = KafkaConfig {
            num_partitions: Some(12),
            custom_properties: [("b".to_string(), "2".to_string())].into(),
            ..Default::default()
        };
        merge_kafka(&mut base, &over);
        assert_eq!(base.num_partitions, Some(12));
        assert_eq!(base.heap_size.as_deref(), Some("1G"));
        assert_eq!(base.custom_properties.len(), 2);
    }

    #[test]
    fn replication_cannot_exceed_brokers() {
        let (r, u) = (base_rest_proxy(), base_ui());
        let mut k = base_kafka();
        k.default_replication_factor = Some(3);
        assert!(validate_effective(&k, &r, &u).is_err());
        k.broker_count = Some(3);
        validate_effective(&k, &r, &u).unwrap();
    }

    #[test]
    fn tansu_runs_one_broker_without_companions() {
        let mut k = base_kafka();
        k.engine = Some(BrokerEngine::Tansu as i32);
        let off = RestProxyConfig {
            enabled: Some(false),
            ..base_rest_proxy()
        };
        let ui_off = UiConfig {
            enabled: Some(false),
            ..base_ui()
        };
        validate_effective(&k, &off, &ui_off).unwrap();
        assert!(validate_effective(&k, &base_rest_proxy(), &ui_off).is_err());
        assert!(validate_effective(&k, &off, &base_ui()).is_err());
        k.broker_count = Some(2);
        assert!(validate_effective(&k, &off, &ui_off).is_err());
    }

    #[test]
    fn images_must_be_allowed() {
        check_image_allowed("i", "apache/kafka:3.9.1", &[]).unwrap();
        check_image_allowed("i", "lkm/tansu:dev", &[]).unwrap();
        assert!(check_image_allowed("i", "evil/miner:latest", &[]).is_err());
        let allowed = vec![
            "registry.local:5000/*".to_string(),
            "mine/kafka:1".to_string(),
        ];
        check_image_allowed("i", "registry.local:5000/kafka:4", &allowed).unwrap();
        check_image_allowed("i", "mine/kafka:1", &allowed).unwrap();
        assert!(check_image_allowed("i", "mine/kafka:2", &allowed).is_err());
    }

    #[test]
    fn complete_fills_image_from_engine() {
        let k = complete_kafka(&KafkaConfig {
            engine: Some(BrokerEngine::Tansu as i32),
            ..Default::default()
        });
        assert_eq!(k.image.as_deref(), Some(TANSU_IMAGE));
        assert_eq!(
            complete_kafka(&KafkaConfig::default()).image.as_deref(),
            Some(APACHE_KAFKA_IMAGE)
        );
    }
}
