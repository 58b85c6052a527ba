//! The core: domain rules and orchestration. Nothing here knows about gRPC or HTTP; the
//! registry and the runtimes are reached through their narrow interfaces.

pub mod access;
pub mod clusters;
pub mod data_plane;
pub mod denial_tally;
pub mod lifecycle;
pub mod operations;
pub mod pagination;
pub mod ports;
pub mod resources;
pub mod settings;
pub mod template_manager;
pub mod templates;
pub mod time;
pub mod update;
pub mod validate;

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::error::Result;
use crate::kafka::KafkaPool;
use crate::registry::Registry;
use crate::runtime::Runtime;

use clusters::{ClusterManager, ClusterSettings};
use data_plane::DataPlane;
use operations::OperationManager;
use template_manager::TemplateManager;

/// Everything the services share.
pub struct Core {
    pub registry: Registry,
    pub clusters: Arc<ClusterManager>,
    /// Topics, records and consumer groups of the clusters.
    pub data: DataPlane,
    pub templates: TemplateManager,
    pub operations: Arc<OperationManager>,
    pub access: access::AccessManager,
}

impl Core {
    pub fn new(config: &Config, registry: Registry, runtime: Arc<dyn Runtime>) -> Self {
        let templates = TemplateManager::new(registry.clone());
        let kafka = Arc::new(KafkaPool::new());
        let clusters = Arc::new(ClusterManager::new(
            registry.clone(),
            runtime,
            templates.clone(),
            ClusterSettings {
                data_root: config.data_dir.clone(),
                port_range: config.port_range,
                bind_address: config.bind_address,
                max_clusters: config.max_clusters,
                start_timeout: Duration::from_secs(config.start_timeout_secs),
                default_cluster: config.default_cluster.clone(),
                resource_guard: config.resource_guard,
                allowed_images: config.allowed_images.clone(),
            },
            kafka.clone(),
        ));
        let data = DataPlane::new(clusters.clone(), kafka.clone());
        let operations = Arc::new(OperationManager::new(
            registry.clone(),
            clusters.clone(),
            kafka,
            config.max_running_operations as usize,
            std::time::Duration::from_millis(config.operation_checkpoint_ms),
        ));
        Core {
            access: access::AccessManager::new(registry.clone(), config.auth, &config.data_dir),
            registry,
            clusters,
            data,
            templates,
            operations,
        }
    }

    /// Brings the registry in line with reality after a (re)start: clusters reconciled with
    /// their runtime, an earlier single-cluster setup registered as the default cluster, and
    /// interrupted operations resumed (or failed, saying why).
    pub async fn recover(&self, default_bootstrap: &str) -> Result<()> {
        self.access.bootstrap().await?;
        self.clusters.reconcile_all().await?;
        self.clusters.register_default(default_bootstrap).await?;
        self.operations.recover().await
    }
}
