//! The Docker runtime (bollard): one network, one container per service, named volumes for
//! broker data, all labelled with the cluster id.

use async_trait::async_trait;

use super::{Observed, Runtime, StartOptions};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pb::Cluster;

pub struct DockerRuntime {}

impl DockerRuntime {
    pub async fn connect(config: &Config) -> Result<Self> {
        let _ = config;
        Err(Error::Unavailable(
            "the Docker runtime is not written yet".into(),
        ))
    }
}

#[async_trait]
impl Runtime for DockerRuntime {
    fn kind(&self) -> &'static str {
        "docker"
    }

    async fn check_available(&self, _: &Cluster) -> Result<()> {
        Ok(())
    }

    async fn start(&self, _: &Cluster, _: StartOptions) -> Result<()> {
        Ok(())
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
