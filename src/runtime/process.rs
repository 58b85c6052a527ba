//! The process runtime: each broker a local child process in the cluster's data directory.

use async_trait::async_trait;

use super::{Observed, Runtime, StartOptions};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pb::Cluster;

pub struct ProcessRuntime {}

impl ProcessRuntime {
    pub fn new(config: &Config) -> Self {
        let _ = config;
        ProcessRuntime {}
    }
}

#[async_trait]
impl Runtime for ProcessRuntime {
    fn kind(&self) -> &'static str {
        "process"
    }

    async fn check_available(&self, _: &Cluster) -> Result<()> {
        Err(Error::precondition(
            "NO_RUNTIME",
            "the process runtime is not written yet",
        ))
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
