//! The cluster manager: creates, configures, starts, stops, inspects and deletes clusters,
//! keeping the registry, the host ports, the data directories and the runtime in step.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::kafka::KafkaPool;
use crate::pb::{
    Cluster, ClusterEventType, ClusterStatus, GetClusterStatusResponse, GetHostResourcesResponse,
    WatchClustersResponse,
};
use crate::registry::Registry;
use crate::runtime::{Liveness, Observed, Runtime, StartOptions};

use super::lifecycle::{self, name as status_name};
use super::pagination::{self, Page};
use super::ports::{self, PortRange};
use super::template_manager::TemplateManager;
use super::templates::Overrides;
use super::{resources, settings, time, update, validate};

/// What the manager needs of the server configuration.
#[derive(Clone, Debug)]
pub struct ClusterSettings {
    pub data_root: PathBuf,
    pub port_range: PortRange,
    pub bind_address: IpAddr,
    pub max_clusters: u32,
    pub start_timeout: Duration,
    pub default_cluster: String,
    /// Refuse clusters the host has too little memory or disk for.
    pub resource_guard: bool,
    /// Images clusters may use besides lkm's defaults (exact, or a prefix ending in '*').
    pub allowed_images: Vec<String>,
}

/// A request to create a cluster.
#[derive(Clone, Debug, Default)]
pub struct NewCluster {
    pub description: String,
    pub template_id: String,
    pub tags: HashMap<String, String>,
    pub overrides: Overrides,
    pub auto_start: bool,
    pub created_by: String,
    /// Host ports asked for explicitly.
    pub ports: Option<crate::pb::PortAllocation>,
    /// Registers an existing cluster lkm does not run.
    pub external_bootstrap_servers: String,
}

/// Filters of a cluster listing.
#[derive(Clone, Debug, Default)]
pub struct ClusterFilter {
    pub status: i32,
    pub environment: String,
    pub tags: Vec<String>,
    /// Only clusters this caller may view.
    pub viewer: Option<super::access::Principal>,
}

pub struct ClusterManager {
    registry: Registry,
    runtime: Arc<dyn Runtime>,
    templates: TemplateManager,
    settings: ClusterSettings,
    /// The pooled Kafka clients of running clusters; a cluster's are dropped when it starts,
    /// stops or is deleted.
    kafka: Arc<KafkaPool>,
    /// Serializes port choice + insert within this process (the database makes it safe
    /// across processes).
    allocation: tokio::sync::Mutex<()>,
    /// One lock per cluster: lifecycle calls on the same cluster run one at a time.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Every change this process makes to a cluster's record, for WatchClusters.
    changes: tokio::sync::broadcast::Sender<ClusterChange>,
    /// Cancelled when the server stops: open watches end.
    closing: tokio_util::sync::CancellationToken,
}

/// A cluster as it was just saved (or deleted), for watchers.
#[derive(Clone, Debug)]
pub struct ClusterChange {
    pub cluster: Cluster,
    pub deleted: bool,
}

impl ClusterManager {
    pub fn new(
        registry: Registry,
        runtime: Arc<dyn Runtime>,
        templates: TemplateManager,
        settings: ClusterSettings,
        kafka: Arc<KafkaPool>,
    ) -> Self {
        ClusterManager {
            registry,
            runtime,
            templates,
            settings,
            kafka,
            allocation: tokio::sync::Mutex::new(()),
            locks: Mutex::new(HashMap::new()),
            changes: tokio::sync::broadcast::channel(1024).0,
            closing: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Ends every open watch (the server is stopping).
    pub fn close_watchers(&self) {
        self.closing.cancel();
    }

    /// WatchClusters: a snapshot of the clusters `viewer` may view (of `environment`, when
    /// given), a SYNCED marker, then every change. A cluster that leaves the view (deleted,
    /// moved to another environment) comes as DELETED. A watcher that falls behind gets a
    /// fresh snapshot. Ends when the receiver is dropped or the server stops.
    pub async fn watch(
        self: &Arc<Self>,
        environment: String,
        viewer: Option<super::access::Principal>,
    ) -> Result<tokio::sync::mpsc::Receiver<WatchClustersResponse>> {
        use tokio::sync::broadcast::error::RecvError;
        if !environment.is_empty() {
            validate::environment("environment", &environment)?;
        }
        // Subscribed before the snapshot is read: no change falls between the two.
        let mut changes = self.subscribe();
        let first = self.registry.list_clusters().await?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let me = self.clone();
        let wanted = move |c: &Cluster| {
            (environment.is_empty() || c.environment == environment)
                && viewer
                    .as_ref()
                    .is_none_or(|p| p.may(super::access::VIEW, c))
        };
        let event = |kind: ClusterEventType, cluster: Option<Cluster>| WatchClustersResponse {
            r#type: kind as i32,
            cluster,
            event_time: Some(time::now()),
        };
        tokio::spawn(async move {
            let mut shown = std::collections::HashSet::new();
            let mut snapshot = Some(first);
            loop {
                if let Some(list) = snapshot.take() {
                    shown.clear();
                    for c in list.into_iter().filter(|c| wanted(c)) {
                        shown.insert(c.id.clone());
                        if tx
                            .send(event(ClusterEventType::Snapshot, Some(c)))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    if tx
                        .send(event(ClusterEventType::Synced, None))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                let change = tokio::select! {
                    () = me.closing.cancelled() => return,
                    () = tx.closed() => return,
                    change = changes.recv() => change,
                };
                let next = match change {
                    Ok(ClusterChange { cluster, deleted }) => {
                        if !deleted && wanted(&cluster) {
                            shown.insert(cluster.id.clone());
                            event(ClusterEventType::Changed, Some(cluster))
                        } else if shown.remove(&cluster.id) {
                            event(ClusterEventType::Deleted, Some(cluster))
                        } else {
                            continue;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::debug!(
                            missed,
                            "a cluster watcher fell behind; sending a fresh snapshot"
                        );
                        match me.registry.list_clusters().await {
                            Ok(list) => snapshot = Some(list),
                            Err(e) => {
                                tracing::warn!(error = %e, "cannot read the clusters for a watcher");
                                return;
                            }
                        }
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                if tx.send(next).await.is_err() {
                    return;
                }
            }
        });
        Ok(rx)
    }

    /// Changes from now on (a watcher that falls more than 1024 behind is told it lagged).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ClusterChange> {
        self.changes.subscribe()
    }

    fn changed(&self, c: &Cluster) {
        let _ = self.changes.send(ClusterChange {
            cluster: c.clone(),
            deleted: false,
        });
    }

    fn removed(&self, c: &Cluster) {
        let _ = self.changes.send(ClusterChange {
            cluster: c.clone(),
            deleted: true,
        });
    }

    pub fn runtime_kind(&self) -> &'static str {
        self.runtime.kind()
    }

    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(id.to_string()).or_default().clone()
    }

    /// A cluster by id or name.
    pub async fn get(&self, id_or_name: &str) -> Result<Cluster> {
        if id_or_name.is_empty() {
            return Err(Error::invalid("cluster_id", "is required"));
        }
        self.registry
            .find_cluster(id_or_name)
            .await?
            .ok_or_else(|| Error::ClusterNotFound(id_or_name.to_string()))
    }

    /// The cluster a request names, or the default cluster when it names none.
    pub async fn resolve(&self, id_or_name: &str) -> Result<Cluster> {
        if id_or_name.is_empty() {
            let name = &self.settings.default_cluster;
            return self.registry.find_cluster(name).await?.ok_or_else(|| {
                Error::precondition(
                    "NO_DEFAULT_CLUSTER",
                    format!(
                        "no cluster id was given and the default cluster '{name}' does not exist; create a cluster named '{name}' or name a cluster"
                    ),
                )
            });
        }
        self.get(id_or_name).await
    }

    /// A cluster that must be running (for topic and record calls).
    /// A cluster whose brokers can be used: a RUNNING one, or an external one (lkm does not
    /// know whether that one is up; the Kafka call will say).
    pub async fn running(&self, id_or_name: &str) -> Result<Cluster> {
        let c = self.resolve(id_or_name).await?;
        if !is_external(&c) {
            lifecycle::require_running(&c.name, c.status())?;
        }
        Ok(c)
    }

    /// Every cluster, oldest first.
    pub async fn all(&self) -> Result<Vec<Cluster>> {
        self.registry.list_clusters().await
    }

    pub async fn list(
        &self,
        filter: &ClusterFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Cluster>> {
        let status = ClusterStatus::try_from(filter.status)
            .map_err(|_| Error::invalid("status", format!("unknown status {}", filter.status)))?;
        if !filter.environment.is_empty() {
            validate::environment("environment", &filter.environment)?;
        }
        let mut tag_filters = Vec::with_capacity(filter.tags.len());
        for t in &filter.tags {
            let (k, v) = match t.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (t.as_str(), None),
            };
            validate::tag_key("tags", k)?;
            tag_filters.push((k.to_string(), v.map(str::to_string)));
        }
        let mut all = self.registry.list_clusters().await?;
        all.retain(|c| {
            filter
                .viewer
                .as_ref()
                .is_none_or(|p| p.may(super::access::VIEW, c))
                && (status == ClusterStatus::Unspecified || c.status() == status)
                && (filter.environment.is_empty() || c.environment == filter.environment)
                && tag_filters.iter().all(|(k, v)| match (c.tags.get(k), v) {
                    (Some(have), Some(want)) => have == want,
                    (Some(_), None) => true,
                    (None, _) => false,
                })
        });
        let key = |c: &Cluster| format!("{:020}/{}", time::millis(&c.created_at), c.id);
        let fp = pagination::fingerprint(&[&status, &filter.environment, &tag_filters]);
        pagination::paginate(all, key, page_size, page_token, fp)
    }

    /// Creates a cluster: validates and merges its configuration, claims ports, makes its data
    /// directory and registers it; then starts it if asked. Warnings come back with it.
    pub async fn create(&self, req: NewCluster) -> Result<(Cluster, Vec<String>)> {
        validate::cluster_name("name", &req.overrides.name)?;
        validate::description("description", &req.description)?;
        validate::tags("tags", &req.tags)?;
        if !req.external_bootstrap_servers.is_empty() {
            return self.register_external(req).await.map(|c| (c, Vec::new()));
        }
        let requested = match &req.ports {
            Some(p) => ports::requested(p)?,
            None => Vec::new(),
        };
        let mut cluster = self
            .templates
            .apply(&req.template_id, &req.overrides)
            .await?;
        cluster.description = req.description.clone();
        cluster.tags = req.tags.clone();
        cluster.created_by = req.created_by.clone();
        let mut warnings = self.guard_resources(&cluster).await?;

        let cluster = {
            let _guard = self.allocation.lock().await;
            if self.registry.find_cluster(&cluster.name).await?.is_some() {
                return Err(Error::ClusterAlreadyExists(cluster.name));
            }
            let max = self.settings.max_clusters as usize;
            if max > 0 && self.registry.count_clusters().await? >= max {
                return Err(Error::ResourceExhausted {
                    reason: "CLUSTER_LIMIT",
                    message: format!(
                        "lkm already manages {max} clusters, its configured maximum (max_clusters); delete one first"
                    ),
                });
            }
            let id = uuid::Uuid::now_v7().to_string();
            let now = time::now();
            cluster.id = id.clone();
            cluster.status = ClusterStatus::Created as i32;
            cluster.created_at = Some(now);
            cluster.updated_at = Some(now);
            cluster.network_name = format!("lkm-{}", cluster.name);
            let dir = self.cluster_dir(&cluster);
            cluster.data_directory = dir.display().to_string();
            create_private_dir(&dir)?;

            let mut attempt = 0;
            loop {
                attempt += 1;
                let mut planned = self
                    .assign_ports(&mut cluster, None, &requested)
                    .await
                    .and_then(|()| self.check_runnable(&cluster));
                // A cluster asked to start that cannot start here (no engine, no Kafka
                // distribution) is refused whole rather than left behind half-made. Without
                // a runtime (registry only) clusters are definitions, made to be kept.
                if planned.is_ok() && req.auto_start && self.runtime.kind() != "none" {
                    planned = self.runtime.check_available(&cluster).await;
                }
                if let Err(e) = planned {
                    remove_dir(&dir);
                    return Err(e);
                }
                match self.registry.insert_cluster(&cluster).await {
                    Ok(()) => {
                        self.changed(&cluster);
                        break;
                    }
                    // Another lkm process claimed one of our ports meanwhile: choose again.
                    Err(Error::PortAllocation(_)) if attempt < 5 => continue,
                    Err(e) => {
                        remove_dir(&dir);
                        return Err(e);
                    }
                }
            }
            cluster
        };
        tracing::info!(cluster = %cluster.name, id = %cluster.id, ports = ?cluster.port_allocation, "cluster created");

        if req.auto_start {
            match self.start(&cluster.id, false, None).await {
                Ok(started) => return Ok((started, warnings)),
                Err(e) => {
                    let why = format!("the cluster was created but not started: {e}");
                    let mut current = self.get(&cluster.id).await?;
                    if current.status() == ClusterStatus::Created {
                        current.status_message = why.clone();
                        self.registry.save_cluster(&current, false).await?;
                        self.changed(&current);
                    }
                    warnings.push(why);
                    return Ok((current, warnings));
                }
            }
        }
        Ok((cluster, warnings))
    }

    /// The resource guard: refuses `cluster` when the host lacks its template's minimum
    /// memory or disk; warnings below the recommendation.
    async fn guard_resources(&self, cluster: &Cluster) -> Result<Vec<String>> {
        if !self.settings.resource_guard || self.runtime.kind() == "none" {
            return Ok(Vec::new());
        }
        let template = if cluster.template_id.is_empty() {
            None
        } else {
            self.templates.get(&cluster.template_id).await.ok()
        };
        let (_, snapshot) = self.host_resources(Some(&cluster.id)).await?;
        resources::check(
            &cluster.name,
            resources::requirement(cluster, template.as_ref()),
            snapshot.free,
        )
    }

    /// How many clusters run or start (other than `except`), and the host's resources with
    /// the memory they hold taken off.
    async fn host_resources(
        &self,
        except: Option<&str>,
    ) -> Result<(usize, resources::HostSnapshot)> {
        let running: Vec<Cluster> = self
            .registry
            .list_clusters()
            .await?
            .into_iter()
            .filter(|c| Some(c.id.as_str()) != except && !is_external(c))
            .filter(|c| matches!(c.status(), ClusterStatus::Running | ClusterStatus::Starting))
            .collect();
        let reserved: u64 = running.iter().map(resources::memory_estimate_mb).sum();
        let root = self.settings.data_root.clone();
        let snapshot =
            tokio::task::spawn_blocking(move || resources::host_snapshot(&root, reserved))
                .await
                .map_err(|e| Error::internal(format!("resource check: {e}")))?;
        Ok((running.len(), snapshot))
    }

    /// What the host has for new clusters (GetHostResources).
    pub async fn host(&self) -> Result<GetHostResourcesResponse> {
        let (running, h) = self.host_resources(None).await?;
        let mb = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Ok(GetHostResourcesResponse {
            total_memory_mb: mb(h.total_memory_mb),
            available_memory_mb: mb(h.available_memory_mb),
            reserved_memory_mb: mb(h.reserved_memory_mb),
            free_memory_mb: mb(h.free.memory_mb),
            free_disk_mb: mb(h.free.disk_mb),
            cpu_count: i32::try_from(h.cpu_count).unwrap_or(i32::MAX),
            running_clusters: i32::try_from(running).unwrap_or(i32::MAX),
            runtime: self.runtime.kind().to_string(),
            resource_guard: self.settings.resource_guard,
        })
    }

    /// Bytes the cluster uses: its data directory plus what the runtime keeps elsewhere.
    async fn disk_usage(&self, c: &Cluster) -> Result<u64> {
        let dir = PathBuf::from(&c.data_directory);
        let local = tokio::task::spawn_blocking(move || dir_size(&dir))
            .await
            .map_err(|e| Error::internal(format!("disk usage: {e}")))?;
        let remote = match self.runtime.disk_usage(c).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(cluster = %c.name, error = %e, "cannot measure runtime disk usage");
                0
            }
        };
        Ok(local + remote)
    }

    /// Refuses to start past the storage quota; a note when close to it.
    async fn check_quota(&self, c: &Cluster) -> Result<Option<String>> {
        let quota = c
            .retention_policy
            .as_ref()
            .and_then(|r| r.storage_quota_bytes)
            .unwrap_or(0);
        if quota <= 0 {
            return Ok(None);
        }
        let used = self.disk_usage(c).await?;
        let quota = quota as u64;
        if used >= quota {
            return Err(Error::ResourceExhausted {
                reason: "STORAGE_QUOTA",
                message: format!(
                    "cluster '{}' uses {used} bytes, at or past its storage quota of {quota} bytes; raise retention_policy.storage_quota_bytes or delete data",
                    c.name
                ),
            });
        }
        Ok((used * 10 >= quota * 8).then(|| {
            format!(
                "storage at {}% of the quota ({used} of {quota} bytes)",
                used * 100 / quota
            )
        }))
    }

    /// Refuses a definition that could not run: what the container specs reject (property
    /// names an image cannot carry, UI settings that collide) is an invalid argument now,
    /// not a failed start later.
    fn check_runnable(&self, cluster: &Cluster) -> Result<()> {
        let images = [
            (
                "kafka_config.image",
                cluster
                    .kafka_config
                    .as_ref()
                    .and_then(|k| k.image.as_deref()),
            ),
            (
                "rest_proxy_config.image",
                cluster
                    .rest_proxy_config
                    .as_ref()
                    .filter(|r| r.enabled == Some(true))
                    .and_then(|r| r.image.as_deref()),
            ),
            (
                "ui_config.image",
                cluster
                    .ui_config
                    .as_ref()
                    .filter(|u| u.enabled == Some(true))
                    .and_then(|u| u.image.as_deref()),
            ),
        ];
        for (field, image) in images {
            if let Some(image) = image {
                settings::check_image_allowed(field, image, &self.settings.allowed_images)?;
            }
        }
        crate::runtime::spec::cluster_spec(cluster, self.settings.bind_address).map(|_| ())
    }

    /// The docker-compose file equivalent to the cluster's containers.
    pub async fn compose(&self, id_or_name: &str) -> Result<String> {
        let c = self.get(id_or_name).await?;
        refuse_external(&c, "has no containers to describe")?;
        let spec = crate::runtime::spec::cluster_spec(&c, self.settings.bind_address)?;
        Ok(crate::runtime::spec::compose_yaml(&spec))
    }

    /// Registers a cluster lkm does not run (the seed's `register_cluster`): no template,
    /// ports, data directory or containers; its status says whether it answers.
    async fn register_external(&self, req: NewCluster) -> Result<Cluster> {
        let servers = validate::bootstrap_servers(
            "external_bootstrap_servers",
            &req.external_bootstrap_servers,
        )?;
        let o = &req.overrides;
        if !req.template_id.is_empty()
            || o.kafka.is_some()
            || o.rest_proxy.is_some()
            || o.ui.is_some()
            || o.retention.is_some()
            || req.ports.is_some()
        {
            return Err(Error::invalid(
                "external_bootstrap_servers",
                "an external cluster takes no template, configuration or ports: lkm does not run it",
            ));
        }
        let environment = if o.environment.is_empty() {
            "dev".to_string()
        } else {
            o.environment.clone()
        };
        validate::environment("environment", &environment)?;
        let now = time::now();
        let mut cluster = Cluster {
            id: uuid::Uuid::now_v7().to_string(),
            name: o.name.clone(),
            description: req.description.clone(),
            environment,
            tags: req.tags.clone(),
            created_by: req.created_by.clone(),
            created_at: Some(now),
            updated_at: Some(now),
            external_bootstrap_servers: servers.clone(),
            endpoints: [("kafka".to_string(), servers)].into(),
            status: ClusterStatus::Created as i32,
            ..Default::default()
        };
        let (status, message) = probe_external(&cluster).await;
        cluster.status = status as i32;
        cluster.status_message = message;
        {
            let _guard = self.allocation.lock().await;
            if self.registry.find_cluster(&cluster.name).await?.is_some() {
                return Err(Error::ClusterAlreadyExists(cluster.name));
            }
            self.registry.insert_cluster(&cluster).await?;
            self.changed(&cluster);
        }
        tracing::info!(cluster = %cluster.name, servers = %cluster.external_bootstrap_servers, "external cluster registered");
        Ok(cluster)
    }

    /// Registers the single-cluster setup of an older lkm (`default_bootstrap`) as the default
    /// cluster, once.
    pub async fn register_default(&self, bootstrap: &str) -> Result<()> {
        let name = self.settings.default_cluster.clone();
        if bootstrap.is_empty() || self.registry.find_cluster(&name).await?.is_some() {
            return Ok(());
        }
        self.register_external(NewCluster {
            description: "the single cluster of an earlier setup (default_bootstrap)".into(),
            external_bootstrap_servers: bootstrap.to_string(),
            overrides: Overrides {
                name,
                ..Default::default()
            },
            created_by: crate::local_user(),
            ..Default::default()
        })
        .await
        .map(|_| ())
    }

    /// Picks ports for what `cluster` needs (the `requested` ones where given; `own` ports
    /// count as free) and writes the allocation and endpoints into it.
    async fn assign_ports(
        &self,
        cluster: &mut Cluster,
        own: Option<&Cluster>,
        requested: &[(ports::PortRole, u16)],
    ) -> Result<()> {
        let roles = ports::needs(cluster);
        let mut taken = self.registry.claimed_ports().await?;
        if let Some(own) = own.and_then(|c| c.port_allocation.as_ref()) {
            for (_, p) in ports::claims(own) {
                taken.remove(&p);
            }
        }
        let bind = self.settings.bind_address;
        let chosen = ports::plan(&roles, requested, self.settings.port_range, &taken, |p| {
            port_is_free(bind, p)
        })?;
        cluster.port_allocation = Some(ports::allocation(&roles, &chosen));
        cluster.endpoints = self.endpoints(cluster);
        Ok(())
    }

    fn endpoints(&self, c: &Cluster) -> HashMap<String, String> {
        let host = match self.settings.bind_address {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let mut e = HashMap::new();
        let Some(a) = &c.port_allocation else {
            return e;
        };
        let brokers: Vec<String> = std::iter::once(a.kafka_port)
            .chain(a.additional_kafka_ports.iter().copied())
            .filter(|p| *p != 0)
            .map(|p| format!("{host}:{p}"))
            .collect();
        if !brokers.is_empty() {
            e.insert("kafka".into(), brokers.join(","));
        }
        if let Some(p) = a.rest_proxy_port {
            e.insert("rest_proxy".into(), format!("http://{host}:{p}"));
        }
        if let Some(p) = a.ui_port {
            e.insert("ui".into(), format!("http://{host}:{p}"));
        }
        if let Some(p) = a.jmx_port {
            e.insert("jmx".into(), format!("{host}:{p}"));
        }
        e
    }

    fn cluster_dir(&self, c: &Cluster) -> PathBuf {
        let short: String = c.id.chars().filter(|c| *c != '-').rev().take(8).collect();
        self.clusters_root().join(format!("{}-{short}", c.name))
    }

    fn clusters_root(&self) -> PathBuf {
        self.settings.data_root.join("clusters")
    }

    /// Updates the fields named by `paths`. Changes to what needs host ports (brokers, REST
    /// proxy, UI, JMX) reallocate ports and need a cluster that is not running.
    pub async fn update(
        &self,
        id_or_name: &str,
        patch: &Cluster,
        paths: &[String],
    ) -> Result<Cluster> {
        let current = self.get(id_or_name).await?;
        let lock = self.lock_for(&current.id);
        let _guard = lock.lock().await;
        let current = self.get(&current.id).await?;
        if is_external(&current) {
            return self.update_external(current, patch, paths).await;
        }
        let mut next = update::cluster(&current, patch, paths)?;
        let needs = ports::needs(&next);
        let reallocate = !ports::satisfies(
            next.port_allocation.as_ref().unwrap_or(&Default::default()),
            &needs,
        );
        if reallocate {
            if matches!(
                current.status(),
                ClusterStatus::Running | ClusterStatus::Starting | ClusterStatus::Stopping
            ) {
                return Err(Error::precondition(
                    "CLUSTER_RUNNING",
                    format!(
                        "changing brokers, REST proxy, UI or JMX changes the cluster's ports; stop cluster '{}' first",
                        current.name
                    ),
                ));
            }
            let _alloc = self.allocation.lock().await;
            // Services that stay keep their ports; new ones get ports from the range.
            let keep: Vec<_> = current
                .port_allocation
                .as_ref()
                .map(ports::claims)
                .unwrap_or_default()
                .into_iter()
                .filter(|(role, _)| needs.contains(role))
                .collect();
            self.assign_ports(&mut next, Some(&current), &keep).await?;
        }
        self.check_runnable(&next)?;
        next.updated_at = Some(time::now());
        self.registry.save_cluster(&next, reallocate).await?;
        self.changed(&next);
        tracing::info!(cluster = %next.name, fields = ?paths, "cluster updated");
        Ok(next)
    }

    /// An external cluster has only its description, environment and tags to change.
    async fn update_external(
        &self,
        current: Cluster,
        patch: &Cluster,
        paths: &[String],
    ) -> Result<Cluster> {
        if let Some(p) = paths
            .iter()
            .find(|p| !matches!(p.as_str(), "description" | "environment" | "tags"))
        {
            return Err(Error::invalid(
                "update_mask",
                format!(
                    "'{p}' does not apply to an external cluster (only description, environment and tags do)"
                ),
            ));
        }
        let mut next = update::cluster(&current, patch, paths)?;
        // The configuration messages the generic update fills in do not apply.
        next.kafka_config = None;
        next.rest_proxy_config = None;
        next.ui_config = None;
        next.retention_policy = None;
        next.updated_at = Some(time::now());
        self.registry.save_cluster(&next, false).await?;
        self.changed(&next);
        Ok(next)
    }

    /// Starts a cluster and waits until its brokers answer (or the timeout passes).
    pub async fn start(
        &self,
        id_or_name: &str,
        force: bool,
        timeout: Option<Duration>,
    ) -> Result<Cluster> {
        let c = self.get(id_or_name).await?;
        let lock = self.lock_for(&c.id);
        let _guard = lock.lock().await;
        let mut c = self.get(&c.id).await?;
        refuse_external(&c, "cannot be started by lkm")?;
        lifecycle::check_start(c.status(), force)?;
        self.kafka.evict(&c.id);
        self.runtime.check_available(&c).await?;
        let quota_note = self.check_quota(&c).await?;
        if !matches!(c.status(), ClusterStatus::Running | ClusterStatus::Starting) {
            for w in self.guard_resources(&c).await? {
                tracing::warn!(cluster = %c.name, "{w}");
            }
        }
        if force && matches!(c.status(), ClusterStatus::Running | ClusterStatus::Starting) {
            self.runtime.stop(&c, false).await?;
        }
        self.set_status(&mut c, ClusterStatus::Starting, "").await?;
        let timeout = timeout.unwrap_or(self.settings.start_timeout);
        tracing::info!(cluster = %c.name, runtime = self.runtime.kind(), "starting cluster");
        let (progress, mut notes) = tokio::sync::mpsc::unbounded_channel::<String>();
        let reporter = {
            let registry = self.registry.clone();
            let changes = self.changes.clone();
            let id = c.id.clone();
            tokio::spawn(async move {
                // Show the latest progress note (image pulls) in the status message.
                while let Some(note) = notes.recv().await {
                    if let Ok(Some(mut current)) = registry.find_cluster(&id).await
                        && current.status() == ClusterStatus::Starting
                    {
                        current.status_message = note;
                        if registry.save_cluster(&current, false).await.is_ok() {
                            let _ = changes.send(ClusterChange {
                                cluster: current,
                                deleted: false,
                            });
                        }
                    }
                }
            })
        };
        let started = self
            .runtime
            .start(&c, StartOptions { timeout, progress })
            .await;
        // The sender is gone with the options: the reporter ends after the last note.
        let _ = reporter.await;
        match started {
            Ok(()) => {
                c.last_started = Some(time::now());
                let note = quota_note.unwrap_or_default();
                self.set_status(&mut c, ClusterStatus::Running, &note)
                    .await?;
                tracing::info!(cluster = %c.name, "cluster running");
                Ok(c)
            }
            Err(e) => {
                tracing::warn!(cluster = %c.name, error = %e, "cluster failed to start");
                self.set_status(&mut c, ClusterStatus::Error, &e.to_string())
                    .await?;
                Err(e)
            }
        }
    }

    /// Stops a cluster; `cleanup` also removes its containers and network. Data stays.
    pub async fn stop(&self, id_or_name: &str, cleanup: bool) -> Result<Cluster> {
        let c = self.get(id_or_name).await?;
        let lock = self.lock_for(&c.id);
        let _guard = lock.lock().await;
        let mut c = self.get(&c.id).await?;
        refuse_external(&c, "cannot be stopped by lkm")?;
        lifecycle::check_stop(c.status())?;
        if c.status() == ClusterStatus::Stopped && !cleanup {
            return Ok(c);
        }
        if c.status() != ClusterStatus::Stopped {
            self.set_status(&mut c, ClusterStatus::Stopping, "").await?;
        }
        self.kafka.evict(&c.id);
        match self.runtime.stop(&c, cleanup).await {
            Ok(()) => {
                c.last_stopped = Some(time::now());
                self.set_status(&mut c, ClusterStatus::Stopped, "").await?;
                tracing::info!(cluster = %c.name, cleanup, "cluster stopped");
                Ok(c)
            }
            Err(e) => {
                self.set_status(&mut c, ClusterStatus::Error, &e.to_string())
                    .await?;
                Err(e)
            }
        }
    }

    /// Deletes a cluster: its runtime resources, its ports, its registry entry and (unless
    /// kept) its data directory.
    pub async fn delete(&self, id_or_name: &str, force: bool, keep_data: bool) -> Result<()> {
        let c = self.get(id_or_name).await?;
        let lock = self.lock_for(&c.id);
        let _guard = lock.lock().await;
        let c = self.get(&c.id).await?;
        if is_external(&c) {
            // Unregister only: lkm holds nothing of it but pooled clients.
            self.kafka.evict(&c.id);
            self.registry.delete_cluster(&c.id).await?;
            self.removed(&c);
            tracing::info!(cluster = %c.name, "external cluster unregistered");
            return Ok(());
        }
        lifecycle::check_delete(c.status(), force)?;
        self.kafka.evict(&c.id);
        let keep = keep_data
            || c.retention_policy
                .as_ref()
                .and_then(|r| r.keep_data_on_delete)
                .unwrap_or(false);
        self.runtime.remove(&c, keep).await?;
        self.registry.delete_cluster(&c.id).await?;
        self.removed(&c);
        if !keep {
            self.remove_data_dir(&c)?;
        }
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&c.id);
        tracing::info!(cluster = %c.name, kept_data = keep, "cluster deleted");
        Ok(())
    }

    /// Removes the data directory of `c`, but only if it really lies under lkm's clusters
    /// directory (never follow a record or a symlink elsewhere).
    fn remove_data_dir(&self, c: &Cluster) -> Result<()> {
        let dir = Path::new(&c.data_directory);
        if !dir.exists() {
            return Ok(());
        }
        let root = self
            .clusters_root()
            .canonicalize()
            .map_err(|e| Error::internal(format!("data root: {e}")))?;
        let meta = std::fs::symlink_metadata(dir)
            .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
        let real = dir
            .canonicalize()
            .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
        if meta.file_type().is_symlink() || real.parent() != Some(root.as_path()) {
            tracing::error!(dir = %dir.display(), "refusing to remove a data directory outside the data root");
            return Ok(());
        }
        std::fs::remove_dir_all(&real)
            .map_err(|e| Error::internal(format!("removing {}: {e}", real.display())))
    }

    /// The live status of a cluster, reconciled with what its runtime really runs.
    pub async fn status(&self, id_or_name: &str) -> Result<GetClusterStatusResponse> {
        let c = self.get(id_or_name).await?;
        let lock = self.lock_for(&c.id);
        let _guard = lock.lock().await;
        let mut c = self.get(&c.id).await?;
        if is_external(&c) {
            let (status, message) = probe_external(&c).await;
            if status != c.status() || message != c.status_message {
                c.status = status as i32;
                c.status_message = message;
                c.updated_at = Some(time::now());
                self.registry.save_cluster(&c, false).await?;
                self.changed(&c);
            }
            return Ok(GetClusterStatusResponse {
                cluster_id: c.id.clone(),
                name: c.name.clone(),
                status: c.status,
                status_message: c.status_message.clone(),
                runtime: "external".into(),
                endpoints: c.endpoints.clone(),
                checked_at: Some(time::now()),
                ..Default::default()
            });
        }
        let observed = self.runtime.observe(&c).await?;
        self.reconcile(&mut c, &observed).await?;
        let disk = self.disk_usage(&c).await?;
        Ok(GetClusterStatusResponse {
            cluster_id: c.id.clone(),
            name: c.name.clone(),
            status: c.status,
            status_message: c.status_message.clone(),
            runtime: self.runtime.kind().into(),
            services: observed.services,
            endpoints: c.endpoints.clone(),
            disk_usage_bytes: i64::try_from(disk).unwrap_or(i64::MAX),
            checked_at: Some(time::now()),
        })
    }

    /// Brings the registry's status in line with what the runtime sees: a cluster recorded
    /// as running whose services are gone is never reported RUNNING.
    async fn reconcile(&self, c: &mut Cluster, observed: &Observed) -> Result<()> {
        let status = c.status();
        match (status, observed.liveness) {
            (ClusterStatus::Running, Liveness::Down | Liveness::Partial) => {
                let why = format!(
                    "not every service of the cluster runs (changed outside lkm?): {}",
                    observed.detail
                );
                tracing::warn!(cluster = %c.name, "{why}");
                self.set_status(c, ClusterStatus::Error, &why).await
            }
            // STARTING and STOPPING left by an lkm that stopped mid-way are settled once, on
            // start (`settle_interrupted`).
            _ => Ok(()),
        }
    }

    /// Settles a cluster an earlier lkm left STARTING or STOPPING (it was killed mid-way) by
    /// what actually runs: nothing → STOPPED; an interrupted start whose brokers all run and
    /// answer a metadata request (waiting for them as the start would have) → RUNNING;
    /// anything else (some brokers, brokers that never answer, an interrupted stop) is
    /// stopped → STOPPED. Called with the cluster's lock held.
    async fn settle_interrupted(&self, c: &mut Cluster) -> Result<()> {
        let was = c.status();
        if !matches!(was, ClusterStatus::Starting | ClusterStatus::Stopping) {
            return Ok(());
        }
        let doing = if was == ClusterStatus::Starting {
            "starting"
        } else {
            "stopping"
        };
        let observed = self.runtime.observe(c).await?;
        if observed.liveness == Liveness::Down {
            let why = format!("lkm stopped while the cluster was {doing}; nothing of it runs");
            tracing::info!(cluster = %c.name, "{why}");
            return self.set_status(c, ClusterStatus::Stopped, &why).await;
        }
        if was == ClusterStatus::Starting && observed.liveness == Liveness::Up {
            self.set_status(
                c,
                ClusterStatus::Starting,
                "lkm restarted while the cluster was starting; waiting for its brokers to answer",
            )
            .await?;
            let addresses: Vec<String> = bootstrap_servers(c)
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect();
            let brokers = c
                .kafka_config
                .as_ref()
                .and_then(|k| k.broker_count)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(1);
            let timeout = self.settings.start_timeout;
            match crate::kafka::wait_ready(&addresses, brokers, timeout).await {
                Ok(()) => {
                    let why =
                        "lkm restarted while the cluster was starting; its brokers run and answer";
                    tracing::info!(cluster = %c.name, "{why}");
                    c.last_started = Some(time::now());
                    return self.set_status(c, ClusterStatus::Running, why).await;
                }
                Err(e) => {
                    tracing::warn!(cluster = %c.name, error = %e, "brokers of an interrupted start do not answer; stopping them");
                }
            }
        }
        // What is left of it is stopped, so the record and reality agree.
        self.kafka.evict(&c.id);
        match self.runtime.stop(c, false).await {
            Ok(()) => {
                let why = format!(
                    "lkm stopped while the cluster was {doing}; lkm stopped what was left of it"
                );
                tracing::info!(cluster = %c.name, "{why}");
                c.last_stopped = Some(time::now());
                self.set_status(c, ClusterStatus::Stopped, &why).await
            }
            Err(e) => {
                let why = format!(
                    "lkm stopped while the cluster was {doing}, and what is left of it cannot be stopped: {e}"
                );
                self.set_status(c, ClusterStatus::Error, &why).await
            }
        }
    }

    /// Notices running clusters whose services died behind lkm's back, without anyone asking
    /// for their status: observes each RUNNING cluster that no lifecycle call holds right now
    /// and records what it finds (watchers see the change).
    pub async fn check_liveness(&self) -> Result<()> {
        for c in self.registry.list_clusters().await? {
            if is_external(&c) || c.status() != ClusterStatus::Running {
                continue;
            }
            let lock = self.lock_for(&c.id);
            let Ok(_guard) = lock.try_lock() else {
                continue;
            };
            // Read again under the lock: a call may have changed it meanwhile.
            let Some(mut c) = self.registry.find_cluster(&c.id).await? else {
                continue;
            };
            if c.status() != ClusterStatus::Running {
                continue;
            }
            match self.runtime.observe(&c).await {
                Ok(observed) => self.reconcile(&mut c, &observed).await?,
                Err(e) => tracing::debug!(cluster = %c.name, error = %e, "cannot observe cluster"),
            }
        }
        Ok(())
    }

    /// Reconciles every cluster (on server start). Clusters an earlier lkm left STARTING or
    /// STOPPING are settled in the background (an interrupted start may need the time a start
    /// takes), each holding its lock, so calls on them wait for the outcome.
    pub async fn reconcile_all(self: &Arc<Self>) -> Result<()> {
        for c in self.registry.list_clusters().await? {
            if is_external(&c) {
                continue;
            }
            let lock = self.lock_for(&c.id);
            if matches!(
                c.status(),
                ClusterStatus::Starting | ClusterStatus::Stopping
            ) {
                let guard = lock.lock_owned().await;
                let (manager, closing) = (self.clone(), self.closing.clone());
                tokio::spawn(async move {
                    let _guard = guard;
                    let mut c = c;
                    tokio::select! {
                        () = closing.cancelled() => {}
                        settled = manager.settle_interrupted(&mut c) => if let Err(e) = settled {
                            tracing::warn!(cluster = %c.name, error = %e, "cannot settle an interrupted start or stop");
                        },
                    }
                });
                continue;
            }
            let _guard = lock.lock().await;
            let mut c = c;
            match self.runtime.observe(&c).await {
                Ok(observed) => {
                    if let Err(e) = self.reconcile(&mut c, &observed).await {
                        tracing::warn!(cluster = %c.name, error = %e, "cannot record what runs of cluster");
                    }
                }
                Err(e) => {
                    tracing::warn!(cluster = %c.name, error = %e, "cannot observe cluster")
                }
            }
        }
        Ok(())
    }

    async fn set_status(&self, c: &mut Cluster, to: ClusterStatus, message: &str) -> Result<()> {
        let from = c.status();
        if from != to {
            lifecycle::transition(from, to)?;
        }
        c.status = to as i32;
        c.status_message = message.to_string();
        c.updated_at = Some(time::now());
        self.registry.save_cluster(c, false).await?;
        self.changed(c);
        if from != to {
            tracing::debug!(cluster = %c.name, from = status_name(from), to = status_name(to), "status");
        }
        Ok(())
    }
}

/// Whether lkm only knows the cluster by its bootstrap servers.
pub fn is_external(c: &Cluster) -> bool {
    !c.external_bootstrap_servers.is_empty()
}

/// The bootstrap servers Kafka clients use for the cluster.
pub fn bootstrap_servers(c: &Cluster) -> String {
    if is_external(c) {
        c.external_bootstrap_servers.clone()
    } else {
        c.endpoints.get("kafka").cloned().unwrap_or_default()
    }
}

fn refuse_external(c: &Cluster, what: &str) -> Result<()> {
    if is_external(c) {
        return Err(Error::precondition(
            "EXTERNAL_CLUSTER",
            format!(
                "cluster '{}' is external (registered by its bootstrap servers {}) and {what}",
                c.name, c.external_bootstrap_servers
            ),
        ));
    }
    Ok(())
}

/// Whether an external cluster answers a metadata request.
async fn probe_external(c: &Cluster) -> (ClusterStatus, String) {
    match crate::kafka::metadata(&c.external_bootstrap_servers, Duration::from_secs(3)).await {
        Ok(view) => (
            ClusterStatus::Running,
            format!("external cluster with {} broker(s)", view.broker_ids.len()),
        ),
        Err(e) => (
            ClusterStatus::Error,
            format!("the external cluster does not answer: {e}"),
        ),
    }
}

/// Whether nothing listens on `port` of `bind` on this host.
pub fn port_is_free(bind: IpAddr, port: u16) -> bool {
    TcpListener::bind(SocketAddr::new(bind, port)).is_ok()
}

fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::internal(format!("creating {}: {e}", dir.display())))
}

fn remove_dir(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not remove directory");
    }
}

/// Bytes used by the files under `dir` (0 when it does not exist).
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}
