//! Server configuration: defaults, then an optional TOML file, then `LKM_*` environment
//! variables, then command-line flags (each overriding the previous).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::core::ports::PortRange;
use crate::error::{Error, Result};

/// Which runtime runs clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeKind {
    /// Docker when an engine answers, otherwise local processes.
    #[default]
    Auto,
    Docker,
    Process,
    /// Registry only: clusters can be defined but not started.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the one listener (gRPC, gRPC-web, REST).
    pub listen: SocketAddr,
    /// Root of lkm's state: the registry database and one directory per cluster.
    pub data_dir: PathBuf,
    /// Registry database; empty means SQLite in the data directory.
    pub database_url: String,
    /// Host ports handed out to clusters.
    pub port_range: PortRange,
    /// Host address cluster ports are bound on (and checked free on).
    pub bind_address: IpAddr,
    pub runtime: RuntimeKind,
    /// Maximum number of clusters in the registry; 0 means no limit.
    pub max_clusters: u32,
    /// Seconds StartCluster waits for the brokers to answer.
    pub start_timeout_secs: u64,
    /// Cluster the legacy routes (/topics, /produce, /consume) act on.
    pub default_cluster: String,
    pub log_format: LogFormat,
    /// Origins allowed to call the API from a browser on another origin (CORS), changes
    /// included.
    pub cors_allowed_origins: Vec<String>,
    /// Host names lkm answers to besides loopback names and addresses and its listen
    /// address (requests naming another host are refused: DNS rebinding).
    pub allowed_hosts: Vec<String>,
    /// Docker engine address; empty means the local default (DOCKER_HOST or the socket).
    pub docker_host: String,
    /// tansu binary for the process runtime; empty means `tansu` on PATH.
    pub tansu_binary: String,
    /// Apache Kafka distribution for the process runtime (KAFKA_HOME); empty means none.
    pub kafka_home: String,
    /// Extra JVM flags for the Kafka brokers of the process runtime, after lkm's own (so they
    /// win), e.g. "-XX:TieredStopAtLevel=1" for brokers that live seconds.
    pub kafka_jvm_options: String,
    /// Refuse to create or start clusters the host has too little free memory or disk for.
    pub resource_guard: bool,
    /// Bootstrap servers of an existing single-cluster setup, registered on first start as
    /// the default cluster (an external cluster) so old clients keep working.
    pub default_bootstrap: String,
    /// Require a bearer token on every call. Off is allowed only on a loopback listener.
    pub auth: bool,
    /// TLS certificate chain (PEM) of the listener; with `tls_key`, the listener speaks TLS.
    pub tls_cert: String,
    /// TLS private key (PEM).
    pub tls_key: String,
    /// Images clusters may use, besides lkm's defaults: exact references, or prefixes
    /// ending in '*' (e.g. "registry.local:5000/*").
    pub allowed_images: Vec<String>,
    /// Cross-cluster operations that may run at once (0: no limit).
    pub max_running_operations: u32,
    /// Milliseconds between checkpoints of a running operation's progress in the registry.
    /// After a crash a migration resumes from its checkpoint: it re-reads (never rewrites)
    /// what it copied since.
    pub operation_checkpoint_ms: u64,
    /// Days the audit log keeps an event (pruned on start and hourly); 0 keeps them forever.
    pub audit_retention_days: u32,
    /// Seconds between checks that running clusters still run (a broker that died is
    /// recorded as ERROR and watchers are told); 0 checks only when asked (GetClusterStatus).
    pub liveness_interval_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8000),
            data_dir: default_data_dir(),
            database_url: String::new(),
            port_range: PortRange::default(),
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            runtime: RuntimeKind::Auto,
            max_clusters: 50,
            start_timeout_secs: 120,
            default_cluster: "default".into(),
            log_format: LogFormat::Text,
            cors_allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            docker_host: String::new(),
            tansu_binary: String::new(),
            kafka_home: std::env::var("KAFKA_HOME").unwrap_or_default(),
            kafka_jvm_options: String::new(),
            resource_guard: true,
            default_bootstrap: String::new(),
            auth: true,
            tls_cert: String::new(),
            tls_key: String::new(),
            allowed_images: Vec::new(),
            max_running_operations: 4,
            operation_checkpoint_ms: 1000,
            audit_retention_days: 90,
            liveness_interval_secs: 5,
        }
    }
}

/// `$XDG_DATA_HOME/lkm` (usually `~/.local/share/lkm`).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("lkm")
}

/// `$XDG_CONFIG_HOME/lkm/lkm.toml`, read when it exists and no other file is named.
pub fn default_config_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("lkm").join("lkm.toml"))
}

/// Keys settable through `LKM_<KEY>`.
const ENV_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "port_range",
    "bind_address",
    "runtime",
    "max_clusters",
    "start_timeout_secs",
    "default_cluster",
    "log_format",
    "cors_allowed_origins",
    "allowed_hosts",
    "docker_host",
    "tansu_binary",
    "kafka_home",
    "kafka_jvm_options",
    "resource_guard",
    "default_bootstrap",
    "auth",
    "tls_cert",
    "tls_key",
    "allowed_images",
    "max_running_operations",
    "operation_checkpoint_ms",
    "audit_retention_days",
    "liveness_interval_secs",
];

impl Config {
    /// Layers defaults, `file` (or the default file when it exists), `LKM_*` and `overrides`
    /// (the flags given on the command line, as a partial TOML-like map).
    pub fn load(file: Option<&Path>, overrides: Serialized<serde_json::Value>) -> Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                if !f.is_file() {
                    return Err(Error::invalid(
                        "config",
                        format!("configuration file {} does not exist", f.display()),
                    ));
                }
                fig = fig.merge(Toml::file(f));
            }
            None => {
                if let Some(f) = default_config_file().filter(|f| f.is_file()) {
                    fig = fig.merge(Toml::file(f));
                }
            }
        }
        fig = fig
            .merge(Env::prefixed("LKM_").only(ENV_KEYS))
            .merge(overrides);
        let config: Config = fig
            .extract()
            .map_err(|e| Error::invalid("config", e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        if self.operation_checkpoint_ms < 100 {
            return Err(Error::invalid(
                "operation_checkpoint_ms",
                "must be at least 100 (every checkpoint is a registry write)",
            ));
        }
        if self.start_timeout_secs == 0 {
            return Err(Error::invalid("start_timeout_secs", "must be at least 1"));
        }
        crate::core::validate::cluster_name("default_cluster", &self.default_cluster)?;
        if !self.auth && !self.listen.ip().is_loopback() {
            return Err(Error::invalid(
                "auth",
                format!(
                    "authentication can only be turned off on a loopback listener, not on {}",
                    self.listen
                ),
            ));
        }
        for host in &self.allowed_hosts {
            let bare = host
                .parse::<http::uri::Authority>()
                .is_ok_and(|a| a.as_str() == host && a.port().is_none() && !host.contains('@'));
            if !bare {
                return Err(Error::invalid(
                    "allowed_hosts",
                    format!(
                        "'{}' is not a host name (no scheme, port or path)",
                        crate::core::validate::printable(host)
                    ),
                ));
            }
        }
        if self.tls_cert.is_empty() != self.tls_key.is_empty() {
            return Err(Error::invalid(
                "tls_cert",
                "give both tls_cert and tls_key, or neither",
            ));
        }
        Ok(())
    }

    /// The registry URL: the configured one or SQLite in the data directory.
    pub fn registry_url(&self) -> String {
        if self.database_url.is_empty() {
            crate::registry::sqlite_url(&self.data_dir.join("lkm.db"))
        } else {
            self.database_url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lkm.toml");
        std::fs::write(
            &file,
            "port_range = \"10000-10100\"\nmax_clusters = 3\nlisten = \"127.0.0.1:9100\"\n",
        )
        .unwrap();
        let flags = Serialized::globals(serde_json::json!({ "max_clusters": 7 }));
        let c = Config::load(Some(&file), flags).unwrap();
        assert_eq!(c.port_range.start, 10000);
        assert_eq!(c.max_clusters, 7);
        assert_eq!(c.listen.port(), 9100);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lkm.toml");
        std::fs::write(&file, "prot_range = \"1-2\"\n").unwrap();
        assert!(Config::load(Some(&file), Serialized::globals(serde_json::json!({}))).is_err());
        std::fs::write(&file, "port_range = \"9-1\"\n").unwrap();
        assert!(Config::load(Some(&file), Serialized::globals(serde_json::json!({}))).is_err());
        let missing = dir.path().join("nope.toml");
        assert!(Config::load(Some(&missing), Serialized::globals(serde_json::json!({}))).is_err());
    }
}
