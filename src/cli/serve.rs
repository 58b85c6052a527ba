//! `lkm serve`: runs the server (gRPC, gRPC-web and REST on one port).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use figment::providers::Serialized;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat, RuntimeKind};
use crate::core::ports::PortRange;

#[derive(clap::Args, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8000; env LKM_LISTEN].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// State directory [default: $XDG_DATA_HOME/lkm; env LKM_DATA_DIR].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Registry database: sqlite://PATH or postgres://… [default: SQLite in the data
    /// directory; env LKM_DATABASE_URL].
    #[arg(long)]
    pub database_url: Option<String>,
    /// TOML configuration file [default: $XDG_CONFIG_HOME/lkm/lkm.toml when present].
    #[arg(long, env = "LKM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Host ports handed to clusters, START-END [default: 9000-9999; env LKM_PORT_RANGE].
    #[arg(long)]
    pub port_range: Option<PortRange>,
    /// Host address cluster ports bind to [default: 127.0.0.1; env LKM_BIND_ADDRESS].
    #[arg(long)]
    pub bind_address: Option<IpAddr>,
    /// Cluster runtime [default: auto; env LKM_RUNTIME].
    #[arg(long, value_enum)]
    pub runtime: Option<RuntimeKind>,
    /// Log format [default: text; env LKM_LOG_FORMAT]. Verbosity: LKM_LOG (e.g. "debug").
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Serve without authentication; only on a loopback listener [env LKM_AUTH=false].
    #[arg(long)]
    pub no_auth: bool,
    /// TLS certificate chain (PEM) of the listener [env LKM_TLS_CERT].
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) [env LKM_TLS_KEY].
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl ServeArgs {
    /// The flags that were given, as a configuration layer.
    fn overrides(&self) -> Serialized<serde_json::Value> {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Option<serde_json::Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        put("listen", self.listen.map(|v| v.to_string().into()));
        put(
            "data_dir",
            self.data_dir
                .as_ref()
                .map(|v| v.display().to_string().into()),
        );
        put("database_url", self.database_url.clone().map(Into::into));
        put("port_range", self.port_range.map(|v| v.to_string().into()));
        put(
            "bind_address",
            self.bind_address.map(|v| v.to_string().into()),
        );
        put(
            "runtime",
            self.runtime.and_then(|v| serde_json::to_value(v).ok()),
        );
        put(
            "log_format",
            self.log_format.and_then(|v| serde_json::to_value(v).ok()),
        );
        put(
            "auth",
            self.no_auth.then_some(serde_json::Value::Bool(false)),
        );
        put(
            "tls_cert",
            self.tls_cert
                .as_ref()
                .map(|v| v.display().to_string().into()),
        );
        put(
            "tls_key",
            self.tls_key
                .as_ref()
                .map(|v| v.display().to_string().into()),
        );
        Serialized::globals(serde_json::Value::Object(m))
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("LKM_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,h2=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let config = Config::load(args.config.as_deref(), args.overrides())
        .map_err(|e| format!("configuration: {e}"))?;
    init_logging(config.log_format);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    crate::serve(listener, config, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
