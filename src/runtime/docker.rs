//! The Docker runtime (bollard): per cluster one network, one container per service and one
//! named volume per broker/controller, all labelled with the cluster id so lkm finds them
//! again after a restart. What runs comes from `spec::cluster_spec`.

use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::{
    ContainerCreateBody, ContainerSummary, ContainerSummaryStateEnum, EndpointSettings, HostConfig,
    Mount, MountTypeEnum, NetworkCreateRequest, NetworkingConfig, PortBinding, RestartPolicy,
    RestartPolicyNameEnum, VolumeCreateOptions,
};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, DataUsageOptions, ListContainersOptions,
    LogsOptions, RemoveContainerOptions, RemoveVolumeOptions, StopContainerOptions,
};
use futures::StreamExt;

use super::spec::{self, ClusterSpec, LABEL_CLUSTER_ID, Readiness, ServiceSpec};
use super::{Liveness, Observed, Runtime, StartOptions};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pb::{Cluster, ServiceStatus};

/// Label holding a hash of the spec a container was created from: a container whose spec
/// changed (the cluster was updated) is recreated on the next start.
const LABEL_SPEC_HASH: &str = "lkm.spec.hash";
/// How long a container gets to stop before it is killed.
const STOP_TIMEOUT_SECS: i32 = 30;
/// Timeout of a single Docker API call that should be quick.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

pub struct DockerRuntime {
    docker: Docker,
    bind: IpAddr,
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("Docker: {e}"))
}

fn status_code(e: &DockerError) -> Option<u16> {
    match e {
        DockerError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// Runs a Docker call with a timeout, mapping failures to `Unavailable`.
async fn call<T>(
    what: &str,
    fut: impl Future<Output = std::result::Result<T, DockerError>>,
) -> Result<T> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(unavailable(format!("{what}: {e}"))),
        Err(_) => Err(unavailable(format!(
            "{what}: no answer within {}s",
            CALL_TIMEOUT.as_secs()
        ))),
    }
}

/// Like `call`, but a 404 (or 304 "already done") is success.
async fn call_idempotent(
    what: &str,
    fut: impl Future<Output = std::result::Result<(), DockerError>>,
) -> Result<()> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if matches!(status_code(&e), Some(404 | 304)) => Ok(()),
        Ok(Err(e)) => Err(unavailable(format!("{what}: {e}"))),
        Err(_) => Err(unavailable(format!(
            "{what}: no answer within {}s",
            CALL_TIMEOUT.as_secs()
        ))),
    }
}

fn spec_hash(s: &ServiceSpec) -> String {
    let mut h = DefaultHasher::new();
    format!("{s:?}").hash(&mut h);
    format!("{:016x}", h.finish())
}

impl DockerRuntime {
    /// Connects to the engine (`docker_host` or the local default) and checks it answers.
    pub async fn connect(config: &Config) -> Result<Self> {
        let docker = if config.docker_host.is_empty() {
            Docker::connect_with_local_defaults()
        } else if let Some(path) = config.docker_host.strip_prefix("unix://") {
            Docker::connect_with_unix(path, 120, bollard::API_DEFAULT_VERSION)
        } else {
            Docker::connect_with_http(&config.docker_host, 120, bollard::API_DEFAULT_VERSION)
        }
        .map_err(unavailable)?;
        let docker = tokio::time::timeout(Duration::from_secs(5), docker.negotiate_version())
            .await
            .map_err(|_| unavailable("the engine does not answer"))?
            .map_err(unavailable)?;
        tokio::time::timeout(Duration::from_secs(5), docker.ping())
            .await
            .map_err(|_| unavailable("the engine does not answer"))?
            .map_err(unavailable)?;
        Ok(DockerRuntime {
            docker,
            bind: config.bind_address,
        })
    }

    /// Every container of the cluster, found by label (running or not).
    async fn containers(&self, cluster: &Cluster) -> Result<Vec<ContainerSummary>> {
        let filters: HashMap<String, Vec<String>> = [(
            "label".to_string(),
            vec![format!("{LABEL_CLUSTER_ID}={}", cluster.id)],
        )]
        .into();
        call(
            "listing containers",
            self.docker.list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            })),
        )
        .await
    }

    /// Makes sure every image of the spec is present, pulling what is missing. Nothing is
    /// created when an image cannot be had.
    async fn ensure_images(&self, spec: &ClusterSpec, options: &StartOptions) -> Result<()> {
        let images: BTreeSet<&str> = spec.services.iter().map(|s| s.image.as_str()).collect();
        for image in images {
            if self.docker.inspect_image(image).await.is_ok() {
                continue;
            }
            let note = format!("pulling image {image}");
            tracing::info!(%image, "pulling image");
            let _ = options.progress.send(note);
            let mut stream = self.docker.create_image(
                Some(CreateImageOptions {
                    from_image: Some(image.to_string()),
                    ..Default::default()
                }),
                None,
                None,
            );
            let mut last_note = tokio::time::Instant::now();
            while let Some(item) = stream.next().await {
                match item {
                    Ok(info) => {
                        if let Some(err) = info.error_detail.and_then(|d| d.message) {
                            return Err(image_unavailable(image, &err));
                        }
                        if last_note.elapsed() >= Duration::from_millis(500) {
                            let text = [info.status, info.progress]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" ");
                            tracing::info!(%image, progress = %text, "pulling image");
                            let _ = options
                                .progress
                                .send(format!("pulling image {image}: {text}"));
                            last_note = tokio::time::Instant::now();
                        }
                    }
                    Err(e) => return Err(image_unavailable(image, &e.to_string())),
                }
            }
            if self.docker.inspect_image(image).await.is_err() {
                return Err(image_unavailable(image, "the pull ended without the image"));
            }
        }
        Ok(())
    }

    async fn ensure_network(&self, spec: &ClusterSpec) -> Result<()> {
        if self
            .docker
            .inspect_network(
                &spec.network,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
            .is_ok()
        {
            return Ok(());
        }
        let res = self
            .docker
            .create_network(NetworkCreateRequest {
                name: spec.network.clone(),
                driver: Some("bridge".into()),
                labels: Some(spec.labels.clone().into_iter().collect()),
                ..Default::default()
            })
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if status_code(&e) == Some(409) => Ok(()),
            Err(e) => Err(unavailable(format!(
                "creating network {}: {e}",
                spec.network
            ))),
        }
    }

    async fn ensure_volume(&self, spec: &ClusterSpec, name: &str) -> Result<()> {
        call(
            &format!("creating volume {name}"),
            self.docker.create_volume(VolumeCreateOptions {
                name: Some(name.to_string()),
                labels: Some(spec.labels.clone().into_iter().collect()),
                ..Default::default()
            }),
        )
        .await
        .map(|_| ())
    }

    fn container_body(&self, spec: &ClusterSpec, s: &ServiceSpec) -> ContainerCreateBody {
        let mut labels: HashMap<String, String> = s.labels.clone().into_iter().collect();
        labels.insert(LABEL_SPEC_HASH.into(), spec_hash(s));
        let host_ip = spec.host_ip.to_string();
        let port_bindings = s
            .ports
            .iter()
            .map(|p| {
                (
                    format!("{}/tcp", p.container),
                    Some(vec![PortBinding {
                        host_ip: Some(host_ip.clone()),
                        host_port: Some(p.host.to_string()),
                    }]),
                )
            })
            .collect();
        let exposed = s
            .ports
            .iter()
            .map(|p| (format!("{}/tcp", p.container), HashMap::new()))
            .collect();
        let mounts = s.volume.as_ref().map(|v| {
            vec![Mount {
                typ: Some(MountTypeEnum::VOLUME),
                source: Some(v.volume.clone()),
                target: Some(v.target.clone()),
                ..Default::default()
            }]
        });
        ContainerCreateBody {
            hostname: Some(s.container_name.clone()),
            image: Some(s.image.clone()),
            entrypoint: s.entrypoint.clone(),
            cmd: (!s.command.is_empty()).then(|| s.command.clone()),
            env: Some(s.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            working_dir: s.working_dir.clone(),
            labels: Some(labels),
            exposed_ports: Some(exposed),
            host_config: Some(HostConfig {
                port_bindings: Some(port_bindings),
                mounts,
                memory: Some(s.memory_limit_bytes),
                memory_swap: Some(s.memory_limit_bytes),
                network_mode: Some(spec.network.clone()),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::NO),
                    maximum_retry_count: None,
                }),
                privileged: Some(false),
                init: Some(true),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(
                    [(
                        spec.network.clone(),
                        EndpointSettings {
                            aliases: Some(vec![s.container_name.clone(), s.name.clone()]),
                            ..Default::default()
                        },
                    )]
                    .into(),
                ),
            }),
            ..Default::default()
        }
    }

    /// Creates (or reuses, when its spec is unchanged) and starts one container.
    async fn run_service(
        &self,
        spec: &ClusterSpec,
        s: &ServiceSpec,
        existing: &[ContainerSummary],
    ) -> Result<()> {
        let found = existing.iter().find(|c| {
            c.names.as_ref().is_some_and(|n| {
                n.iter()
                    .any(|n| n.trim_start_matches('/') == s.container_name)
            })
        });
        if let Some(c) = found {
            let same = c
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_SPEC_HASH))
                .is_some_and(|h| *h == spec_hash(s));
            if same {
                if c.state != Some(ContainerSummaryStateEnum::RUNNING) {
                    call_idempotent(
                        &format!("starting {}", s.container_name),
                        self.docker.start_container(
                            &s.container_name,
                            None::<bollard::query_parameters::StartContainerOptions>,
                        ),
                    )
                    .await?;
                }
                return Ok(());
            }
            self.remove_container(&s.container_name).await?;
        }
        if let Some(v) = &s.volume {
            self.ensure_volume(spec, &v.volume).await?;
        }
        call(
            &format!("creating {}", s.container_name),
            self.docker.create_container(
                Some(CreateContainerOptions {
                    name: Some(s.container_name.clone()),
                    ..Default::default()
                }),
                self.container_body(spec, s),
            ),
        )
        .await?;
        call_idempotent(
            &format!("starting {}", s.container_name),
            self.docker.start_container(
                &s.container_name,
                None::<bollard::query_parameters::StartContainerOptions>,
            ),
        )
        .await
    }

    async fn remove_container(&self, name: &str) -> Result<()> {
        call_idempotent(
            &format!("removing {name}"),
            self.docker.remove_container(
                name,
                Some(RemoveContainerOptions {
                    force: true,
                    v: false,
                    ..Default::default()
                }),
            ),
        )
        .await
    }

    async fn stop_container(&self, name: &str) -> Result<()> {
        let fut = self.docker.stop_container(
            name,
            Some(StopContainerOptions {
                t: Some(STOP_TIMEOUT_SECS),
                signal: None,
            }),
        );
        match tokio::time::timeout(Duration::from_secs(STOP_TIMEOUT_SECS as u64 + 30), fut).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) if matches!(status_code(&e), Some(404 | 304)) => Ok(()),
            Ok(Err(e)) => Err(unavailable(format!("stopping {name}: {e}"))),
            Err(_) => Err(unavailable(format!("stopping {name}: no answer"))),
        }
    }

    /// The last lines a container logged.
    async fn tail_logs(&self, name: &str, lines: usize) -> String {
        let mut stream = self.docker.logs(
            name,
            Some(LogsOptions {
                stdout: true,
                stderr: true,
                tail: lines.to_string(),
                ..Default::default()
            }),
        );
        let mut out = String::new();
        let collect = async {
            while let Some(Ok(chunk)) = stream.next().await {
                out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), collect).await;
        out.trim_end().to_string()
    }

    /// Waits until every broker answers; fails early when a container of the cluster exits.
    async fn wait_ready(
        &self,
        cluster: &Cluster,
        spec: &ClusterSpec,
        timeout: Duration,
    ) -> Result<()> {
        let addresses: Vec<String> = spec
            .services
            .iter()
            .filter_map(|s| match &s.readiness {
                Readiness::KafkaMetadata { address } => Some(address.clone()),
                Readiness::Running => None,
            })
            .collect();
        let brokers = addresses.len();
        let ready = crate::kafka::wait_ready(&addresses, brokers, timeout);
        let watch = async {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if let Ok(containers) = self.containers(cluster).await
                    && let Some(dead) = containers.iter().find(|c| {
                        matches!(
                            c.state,
                            Some(
                                ContainerSummaryStateEnum::EXITED | ContainerSummaryStateEnum::DEAD
                            )
                        )
                    })
                {
                    return container_name(dead);
                }
            }
        };
        tokio::select! {
            r = ready => match r {
                Ok(()) => Ok(()),
                Err(why) => {
                    let first = spec.brokers().next().map(|b| b.container_name.clone()).unwrap_or_default();
                    let logs = self.tail_logs(&first, 20).await;
                    Err(Error::DeadlineExceeded(format!("{why}; last log lines of {first}:\n{logs}")))
                }
            },
            dead = watch => {
                let logs = self.tail_logs(&dead, 20).await;
                Err(Error::Unavailable(format!("container {dead} exited during start-up; its last log lines:\n{logs}")))
            }
        }
    }

    async fn remove_all(&self, cluster: &Cluster, network: &str) -> Result<()> {
        for c in self.containers(cluster).await? {
            self.remove_container(&container_name(&c)).await?;
        }
        call_idempotent(
            &format!("removing network {network}"),
            self.docker.remove_network(network),
        )
        .await
    }

    /// Names of the volumes lkm created for the cluster.
    async fn volumes(&self, cluster: &Cluster) -> Result<Vec<String>> {
        let filters: HashMap<String, Vec<String>> = [(
            "label".to_string(),
            vec![format!("{LABEL_CLUSTER_ID}={}", cluster.id)],
        )]
        .into();
        let res = call(
            "listing volumes",
            self.docker
                .list_volumes(Some(bollard::query_parameters::ListVolumesOptions {
                    filters: Some(filters),
                })),
        )
        .await?;
        Ok(res
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }
}

fn container_name(c: &ContainerSummary) -> String {
    c.names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_string())
        .or_else(|| c.id.clone())
        .unwrap_or_default()
}

fn image_unavailable(image: &str, why: &str) -> Error {
    Error::precondition(
        "IMAGE_UNAVAILABLE",
        format!(
            "image {image} is not available to the Docker engine and could not be pulled ({}). Provide it with `docker pull {image}` on a machine with registry access (then `docker save`/`docker load`), build it locally, or set kafka_config.image (or the REST proxy / UI image) to an image the engine has",
            why.trim()
        ),
    )
}

#[async_trait]
impl Runtime for DockerRuntime {
    fn kind(&self) -> &'static str {
        "docker"
    }

    async fn check_available(&self, cluster: &Cluster) -> Result<()> {
        spec::cluster_spec(cluster, self.bind)?;
        tokio::time::timeout(Duration::from_secs(5), self.docker.ping())
            .await
            .map_err(|_| unavailable("the engine does not answer"))?
            .map_err(unavailable)?;
        Ok(())
    }

    async fn start(&self, cluster: &Cluster, options: StartOptions) -> Result<()> {
        let spec = spec::cluster_spec(cluster, self.bind)?;
        // Images first: if one cannot be had, nothing has been created.
        self.ensure_images(&spec, &options).await?;
        self.ensure_network(&spec).await?;
        let existing = self.containers(cluster).await?;
        // Controllers, then brokers, then the services that need brokers.
        let mut ordered: Vec<&ServiceSpec> = spec.services.iter().collect();
        ordered.sort_by_key(|s| match s.role {
            spec::ServiceRole::Controller(_) => 0,
            spec::ServiceRole::Broker(_) => 1,
            _ => 2,
        });
        let result = async {
            for s in ordered {
                self.run_service(&spec, s, &existing).await?;
            }
            self.wait_ready(cluster, &spec, options.timeout).await
        }
        .await;
        if let Err(e) = result {
            // Leave nothing running or half-made; data volumes stay.
            if let Err(cleanup) = self.remove_all(cluster, &spec.network).await {
                tracing::warn!(cluster = %cluster.name, error = %cleanup, "cleanup after a failed start");
            }
            return Err(e);
        }
        Ok(())
    }

    async fn stop(&self, cluster: &Cluster, cleanup: bool) -> Result<()> {
        let containers = self.containers(cluster).await?;
        let stops = containers
            .iter()
            .map(|c| async move { self.stop_container(&container_name(c)).await });
        for r in futures::future::join_all(stops).await {
            r?;
        }
        if cleanup {
            self.remove_all(cluster, &cluster.network_name).await?;
        }
        Ok(())
    }

    async fn remove(&self, cluster: &Cluster, keep_data: bool) -> Result<()> {
        self.remove_all(cluster, &cluster.network_name).await?;
        if !keep_data {
            for v in self.volumes(cluster).await? {
                call_idempotent(
                    &format!("removing volume {v}"),
                    self.docker
                        .remove_volume(&v, Some(RemoveVolumeOptions { force: true })),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn observe(&self, cluster: &Cluster) -> Result<Observed> {
        let containers = self.containers(cluster).await?;
        let expected: Vec<(String, String)> = match spec::cluster_spec(cluster, self.bind) {
            Ok(spec) => spec
                .services
                .into_iter()
                .map(|s| (s.name, s.container_name))
                .collect(),
            Err(_) => containers
                .iter()
                .map(|c| (container_name(c), container_name(c)))
                .collect(),
        };
        let mut services = Vec::new();
        let mut down = Vec::new();
        for (name, container) in &expected {
            let found = containers.iter().find(|c| container_name(c) == *container);
            let status = match found {
                Some(c) => {
                    let running = c.state == Some(ContainerSummaryStateEnum::RUNNING);
                    let text = c.status.clone().unwrap_or_default();
                    if !running {
                        down.push(format!("{name}: {text}"));
                    }
                    ServiceStatus {
                        name: name.clone(),
                        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                        health: if running { "running" } else { "down" }.into(),
                        ports: c
                            .ports
                            .iter()
                            .flatten()
                            .filter_map(|p| p.public_port.map(i32::from))
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect(),
                        runtime_id: c.id.clone().unwrap_or_default(),
                        message: text,
                    }
                }
                None => {
                    down.push(format!("{name}: container {container} is missing"));
                    ServiceStatus {
                        name: name.clone(),
                        state: "missing".into(),
                        health: "down".into(),
                        message: format!("container {container} does not exist"),
                        ..Default::default()
                    }
                }
            };
            services.push(status);
        }
        let running = services.iter().filter(|s| s.health == "running").count();
        let liveness = if !services.is_empty() && running == services.len() {
            Liveness::Up
        } else if running == 0 {
            Liveness::Down
        } else {
            Liveness::Partial
        };
        Ok(Observed {
            services,
            liveness,
            detail: down.join("; "),
        })
    }

    async fn disk_usage(&self, cluster: &Cluster) -> Result<u64> {
        let volumes: BTreeSet<String> = self.volumes(cluster).await?.into_iter().collect();
        if volumes.is_empty() {
            return Ok(0);
        }
        let df = call("disk usage", self.docker.df(None::<DataUsageOptions>)).await?;
        Ok(df
            .volumes
            .unwrap_or_default()
            .iter()
            .filter(|v| volumes.contains(&v.name))
            .filter_map(|v| v.usage_data.as_ref().map(|u| u.size.max(0) as u64))
            .sum())
    }
}
