//! Runtimes run a cluster's brokers (and REST proxy and UI). The core speaks to them through
//! the `Runtime` trait only; each implementation lives in its own module:
//!
//! - `docker`: containers on a per-cluster network (bollard);
//! - `process`: brokers as local child processes (tansu, or Kafka from `KAFKA_HOME`);
//! - `NoRuntime`: registry only.
//!
//! `spec` turns a cluster definition into what runs (containers, their environment,
//! listeners, ports, volumes) and into the equivalent docker-compose file.

pub mod docker;
pub mod kafka_jvm;
pub mod process;
pub mod spec;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::config::{Config, RuntimeKind};
use crate::error::{Error, Result};
use crate::pb::{Cluster, ServiceStatus};

/// What a runtime sees of a cluster right now.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// One entry per container or process the runtime knows of or expects.
    pub services: Vec<ServiceStatus>,
    pub liveness: Liveness,
    /// Why the cluster is not fully up, when it is not.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Liveness {
    /// Nothing of the cluster runs.
    #[default]
    Down,
    /// Some services run, some do not.
    Partial,
    /// Every service runs.
    Up,
}

/// Progress notes of a long start (image pulls); the manager shows the latest in the
/// cluster's status message.
pub type Progress = tokio::sync::mpsc::UnboundedSender<String>;

pub struct StartOptions {
    /// How long to wait for every broker to answer.
    pub timeout: Duration,
    pub progress: Progress,
}

#[async_trait]
pub trait Runtime: Send + Sync + 'static {
    /// "docker", "process" or "none".
    fn kind(&self) -> &'static str;

    /// Fails (without side effects) when this runtime cannot start `cluster` at all: no
    /// engine, an engine it cannot run.
    async fn check_available(&self, cluster: &Cluster) -> Result<()>;

    /// Starts every service of the cluster and returns once each broker answers a metadata
    /// request. On failure nothing it created is left running; the error says why (with the
    /// last log lines of what failed).
    async fn start(&self, cluster: &Cluster, options: StartOptions) -> Result<()>;

    /// Stops the cluster's services; with `cleanup` also removes containers and networks.
    /// Data stays.
    async fn stop(&self, cluster: &Cluster, cleanup: bool) -> Result<()>;

    /// Removes everything the runtime holds for the cluster; its data too unless `keep_data`
    /// (the data directory itself is the manager's).
    async fn remove(&self, cluster: &Cluster, keep_data: bool) -> Result<()>;

    /// What runs of the cluster.
    async fn observe(&self, cluster: &Cluster) -> Result<Observed>;

    /// Bytes the runtime stores for the cluster outside its data directory (Docker volumes).
    async fn disk_usage(&self, _cluster: &Cluster) -> Result<u64> {
        Ok(0)
    }
}

/// A runtime that runs nothing: clusters can be registered, configured and deleted, and a
/// start is refused with a clear error.
pub struct NoRuntime {
    reason: String,
}

impl NoRuntime {
    pub fn new(reason: impl Into<String>) -> Self {
        NoRuntime {
            reason: reason.into(),
        }
    }
}

#[async_trait]
impl Runtime for NoRuntime {
    fn kind(&self) -> &'static str {
        "none"
    }

    async fn check_available(&self, _: &Cluster) -> Result<()> {
        Err(Error::precondition("NO_RUNTIME", self.reason.clone()))
    }

    async fn start(&self, cluster: &Cluster, _: StartOptions) -> Result<()> {
        self.check_available(cluster).await
    }

    async fn stop(&self, _: &Cluster, _: bool) -> Result<()> {
        Ok(())
    }

    async fn remove(&self, _: &Cluster, _: bool) -> Result<()> {
        Ok(())
    }

    async fn observe(&self, _: &Cluster) -> Result<Observed> {
        Ok(Observed::default())
    }
}

/// The runtime the configuration asks for. `auto` takes Docker when an engine answers and
/// the process runtime otherwise.
pub async fn select(config: &Config) -> Result<Arc<dyn Runtime>> {
    Ok(match config.runtime {
        RuntimeKind::None => Arc::new(NoRuntime::new(
            "lkm runs without a cluster runtime (runtime = \"none\"); clusters can be defined but not started",
        )),
        RuntimeKind::Docker => Arc::new(docker::DockerRuntime::connect(config).await?),
        RuntimeKind::Process => Arc::new(process::ProcessRuntime::new(config)),
        RuntimeKind::Auto => match docker::DockerRuntime::connect(config).await {
            Ok(d) => Arc::new(d),
            Err(e) => {
                tracing::info!(reason = %e, "no Docker engine answers; using the process runtime");
                Arc::new(process::ProcessRuntime::new(config))
            }
        },
    })
}
