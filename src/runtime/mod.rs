//! Runtimes run a cluster's brokers (and REST proxy and UI). The core speaks to them through
//! the `Runtime` trait only; each implementation lives in its own module.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::config::{Config, RuntimeKind};
use crate::error::{Error, Result};
use crate::pb::{Cluster, ServiceStatus};

/// What a runtime sees of a cluster right now.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// One entry per container or process the runtime knows of.
    pub services: Vec<ServiceStatus>,
    pub liveness: Liveness,
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

#[async_trait]
pub trait Runtime: Send + Sync + 'static {
    /// "docker", "process" or "none".
    fn kind(&self) -> &'static str;

    /// Fails (without side effects) when this runtime cannot start clusters at all.
    async fn check_available(&self) -> Result<()>;

    /// Starts every service of the cluster and returns once each broker answers a metadata
    /// request, or fails within `timeout` (leaving what it started for `stop`/`remove`).
    async fn start(&self, cluster: &Cluster, timeout: Duration) -> Result<()>;

    /// Stops the cluster's services; with `cleanup` also removes containers and networks.
    /// Data stays.
    async fn stop(&self, cluster: &Cluster, cleanup: bool) -> Result<()>;

    /// Removes everything the runtime holds for the cluster (not its data directory).
    async fn remove(&self, cluster: &Cluster) -> Result<()>;

    /// What runs of the cluster.
    async fn observe(&self, cluster: &Cluster) -> Result<Observed>;
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

    async fn check_available(&self) -> Result<()> {
        Err(Error::precondition("NO_RUNTIME", self.reason.clone()))
    }

    async fn start(&self, _: &Cluster, _: Duration) -> Result<()> {
        self.check_available().await
    }

    async fn stop(&self, _: &Cluster, _: bool) -> Result<()> {
        Ok(())
    }

    async fn remove(&self, _: &Cluster) -> Result<()> {
        Ok(())
    }

    async fn observe(&self, _: &Cluster) -> Result<Observed> {
        Ok(Observed::default())
    }
}

/// The runtime the configuration asks for.
pub async fn select(config: &Config) -> Result<Arc<dyn Runtime>> {
    let none = |why: &str| -> Arc<dyn Runtime> { Arc::new(NoRuntime::new(why)) };
    Ok(match config.runtime {
        RuntimeKind::None => none(
            "lkm runs without a cluster runtime (runtime = \"none\"); clusters can be defined but not started",
        ),
        RuntimeKind::Auto | RuntimeKind::Docker | RuntimeKind::Process => none(
            "no cluster runtime is available in this build of lkm yet (Docker and process runtimes are not implemented); clusters can be defined but not started",
        ),
    })
}
