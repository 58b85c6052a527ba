//! `lkm clusters …`: ClusterService's cluster methods.

use std::collections::HashMap;
use std::time::Duration;

use clap::Subcommand;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, Table, fields, short, time};
use super::parse;
use super::reflect;
use crate::pb;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List clusters.
    #[command(visible_alias = "ls")]
    List {
        /// Only clusters in this status.
        #[arg(long, value_enum)]
        status: Option<Status>,
        /// Only clusters of this environment.
        #[arg(long)]
        environment: Option<String>,
        /// Only clusters carrying this tag (KEY=VALUE, or KEY for any value); repeatable.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Follow the clusters: their state now, then each change as it happens (Ctrl-C ends it;
    /// --output json: one WatchClustersResponse per line).
    Watch {
        /// Only clusters of this environment.
        #[arg(long)]
        environment: Option<String>,
    },
    /// Show one cluster.
    Get {
        /// Cluster name or id.
        cluster: String,
    },
    /// Create a cluster from a template (and start it, unless --no-start).
    Create(CreateArgs),
    /// Change a cluster's description, environment, tags or configuration.
    Update(UpdateArgs),
    /// Start a cluster and wait until it is running.
    Start {
        /// Cluster name or id.
        cluster: String,
        /// Restart it when it is already running.
        #[arg(long)]
        force: bool,
        /// How long the server waits for the brokers [default: the server's setting].
        #[arg(long, value_parser = parse::duration)]
        wait: Option<Duration>,
    },
    /// Stop a cluster (its data is kept).
    Stop {
        /// Cluster name or id.
        cluster: String,
        /// Also remove its containers and network.
        #[arg(long)]
        cleanup: bool,
    },
    /// Delete a cluster, its containers, ports and (unless --keep-data) its data.
    #[command(visible_alias = "rm")]
    Delete {
        /// Cluster name or id.
        cluster: String,
        /// Delete it even when it is running (it is stopped first).
        #[arg(long)]
        force: bool,
        /// Keep the data directory on disk.
        #[arg(long)]
        keep_data: bool,
    },
    /// Live status of a cluster: its services, endpoints and disk usage.
    Status {
        /// Cluster name or id.
        cluster: String,
    },
    /// Print the docker-compose file equivalent to the cluster's containers.
    Compose {
        /// Cluster name or id.
        cluster: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Name: lowercase letters, digits and '-', starting with a letter.
    pub name: String,
    /// Template id, e.g. development, testing, tansu-dev (`lkm templates list`).
    #[arg(long, short = 't')]
    pub template: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// Environment label [default: the template's].
    #[arg(long)]
    pub environment: Option<String>,
    /// A tag, KEY=VALUE; repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse::key_value)]
    pub tags: Vec<(String, String)>,
    /// Create it without starting it.
    #[arg(long)]
    pub no_start: bool,
    /// Bootstrap port of the first broker [default: allocated from the server's range].
    #[arg(long)]
    pub kafka_port: Option<i32>,
    /// Register an existing cluster lkm does not run, by its bootstrap servers.
    #[arg(long, value_name = "HOST:PORT,…")]
    pub external: Option<String>,
    /// A broker property (kafka_config.custom_properties), KEY=VALUE; repeatable.
    #[arg(long = "broker-property", value_name = "KEY=VALUE", value_parser = parse::key_value)]
    pub broker_properties: Vec<(String, String)>,
    /// Any field of the request by path, e.g. kafka_config.num_partitions=6,
    /// kafka_config.broker_count=3, retention_policy.storage_quota_bytes=1000000; repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse::key_value)]
    pub set: Vec<(String, String)>,
}

#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    /// Cluster name or id.
    pub cluster: String,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long)]
    pub environment: Option<String>,
    /// The cluster's tags, KEY=VALUE; repeatable; replaces all tags.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse::key_value)]
    pub tags: Vec<(String, String)>,
    /// Remove every tag.
    #[arg(long, conflicts_with = "tags")]
    pub clear_tags: bool,
    /// A field of the cluster by path, e.g. kafka_config.num_partitions=6,
    /// retention_policy.log_retention_bytes=-1; repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse::key_value)]
    pub set: Vec<(String, String)>,
}

/// Cluster states, for filters.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Status {
    Created,
    Starting,
    Running,
    Stopping,
    Stopped,
    Error,
}

impl From<Status> for pb::ClusterStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Created => pb::ClusterStatus::Created,
            Status::Starting => pb::ClusterStatus::Starting,
            Status::Running => pb::ClusterStatus::Running,
            Status::Stopping => pb::ClusterStatus::Stopping,
            Status::Stopped => pb::ClusterStatus::Stopped,
            Status::Error => pb::ClusterStatus::Error,
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> CliResult {
    let mut api = ctx.api.clusters();
    match cmd {
        Cmd::List {
            status,
            environment,
            tags,
        } => {
            let mut all = pb::ListClustersResponse::default();
            loop {
                let page = api
                    .list_clusters(ctx.api.req(pb::ListClustersRequest {
                        status: status.map_or(0, |s| pb::ClusterStatus::from(s) as i32),
                        environment: environment.clone().unwrap_or_default(),
                        tags: tags.clone(),
                        page_size: 1000,
                        page_token: all.next_page_token.clone(),
                    }))
                    .await?
                    .into_inner();
                all.clusters.extend(page.clusters);
                all.total_size = page.total_size;
                all.next_page_token = page.next_page_token;
                if all.next_page_token.is_empty() {
                    break;
                }
            }
            if ctx.json() {
                return output::json(&all);
            }
            let mut t = Table::new(&[
                "NAME",
                "STATUS",
                "ENVIRONMENT",
                "TEMPLATE",
                "KAFKA",
                "CREATED",
            ]);
            for c in &all.clusters {
                t.row(vec![
                    c.name.clone(),
                    status_name(c.status),
                    c.environment.clone(),
                    c.template_id.clone(),
                    bootstrap(c),
                    time(c.created_at.as_ref()),
                ]);
            }
            t.print_or("no clusters")
        }
        Cmd::Get { cluster } => {
            let c = api
                .get_cluster(ctx.api.req(pb::GetClusterRequest {
                    cluster_id: cluster,
                }))
                .await?
                .into_inner()
                .cluster
                .unwrap_or_default();
            show(ctx, &c)
        }
        Cmd::Create(args) => create(ctx, args).await,
        Cmd::Update(args) => update(ctx, args).await,
        Cmd::Start {
            cluster,
            force,
            wait,
        } => {
            let c = api
                .start_cluster(ctx.api.req(pb::StartClusterRequest {
                    cluster_id: cluster,
                    force,
                    timeout: wait.map(parse::proto_duration),
                }))
                .await?
                .into_inner()
                .cluster
                .unwrap_or_default();
            if ctx.json() {
                return output::json(&c);
            }
            output::line(&format!(
                "cluster {} is {}{}",
                c.name,
                status_name(c.status),
                endpoint_note(&c)
            ))
        }
        Cmd::Stop { cluster, cleanup } => {
            let c = api
                .stop_cluster(ctx.api.req(pb::StopClusterRequest {
                    cluster_id: cluster,
                    cleanup,
                }))
                .await?
                .into_inner()
                .cluster
                .unwrap_or_default();
            if ctx.json() {
                return output::json(&c);
            }
            output::line(&format!("cluster {} is {}", c.name, status_name(c.status)))
        }
        Cmd::Delete {
            cluster,
            force,
            keep_data,
        } => {
            let res = api
                .delete_cluster(ctx.api.req(pb::DeleteClusterRequest {
                    cluster_id: cluster.clone(),
                    force,
                    keep_data,
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            output::line(&format!("deleted cluster {cluster}"))
        }
        Cmd::Status { cluster } => {
            let s = api
                .get_cluster_status(ctx.api.req(pb::GetClusterStatusRequest {
                    cluster_id: cluster,
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&s);
            }
            let mut text = fields(&[
                ("Cluster", s.name.clone()),
                ("Status", status_name(s.status)),
                ("Message", s.status_message.clone()),
                ("Runtime", s.runtime.clone()),
                ("Disk usage", output::bytes(s.disk_usage_bytes)),
                ("Checked at", time(s.checked_at.as_ref())),
            ]);
            text.push_str(&endpoint_lines(&s.endpoints));
            if !s.services.is_empty() {
                let mut t = Table::new(&[
                    "SERVICE",
                    "STATE",
                    "HEALTH",
                    "PORTS",
                    "RUNTIME ID",
                    "MESSAGE",
                ]);
                for svc in &s.services {
                    t.row(vec![
                        svc.name.clone(),
                        svc.state.clone(),
                        svc.health.clone(),
                        join(&svc.ports),
                        svc.runtime_id.chars().take(12).collect(),
                        svc.message.clone(),
                    ]);
                }
                text.push('\n');
                text.push_str(&t.render(0));
            }
            output::print(&text)
        }
        Cmd::Watch { environment } => {
            let mut events = api
                .watch_clusters(pb::WatchClustersRequest {
                    environment: environment.unwrap_or_default(),
                })
                .await?
                .into_inner();
            while let Some(e) = events.message().await? {
                if ctx.json() {
                    output::json(&e)?;
                    continue;
                }
                let what = match e.r#type() {
                    pb::ClusterEventType::Synced => {
                        eprintln!("(watching for changes; Ctrl-C to stop)");
                        continue;
                    }
                    pb::ClusterEventType::Snapshot => "now",
                    pb::ClusterEventType::Deleted => "deleted",
                    _ => "changed",
                };
                let c = e.cluster.unwrap_or_default();
                let mut line = format!(
                    "{}  {what:<7}  {}  {}",
                    time(e.event_time.as_ref()),
                    c.name,
                    status_name(c.status)
                );
                if !c.status_message.is_empty() {
                    line.push_str(&format!("  {}", c.status_message));
                }
                output::line(&line)?;
            }
            Ok(())
        }
        Cmd::Compose { cluster } => {
            let res = api
                .get_cluster_compose(ctx.api.req(pb::GetClusterComposeRequest {
                    cluster_id: cluster,
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            output::print(&res.yaml)
        }
    }
}

async fn create(ctx: &Ctx, args: CreateArgs) -> CliResult {
    let mut req = pb::CreateClusterRequest {
        name: args.name,
        description: args.description.unwrap_or_default(),
        template_id: args.template.unwrap_or_default(),
        environment: args.environment.unwrap_or_default(),
        tags: args.tags.into_iter().collect(),
        auto_start: args.no_start.then_some(false),
        ports: args.kafka_port.map(|p| pb::PortAllocation {
            kafka_port: p,
            ..Default::default()
        }),
        external_bootstrap_servers: args.external.unwrap_or_default(),
        ..Default::default()
    };
    if !args.broker_properties.is_empty() {
        req.kafka_config
            .get_or_insert_with(Default::default)
            .custom_properties
            .extend(args.broker_properties);
    }
    reflect::set_fields(&mut req, &args.set)?;
    let wants_start = req.auto_start.unwrap_or(true) && req.external_bootstrap_servers.is_empty();
    let res = ctx
        .api
        .clusters()
        .create_cluster(ctx.api.req(req))
        .await?
        .into_inner();
    for w in &res.warnings {
        eprintln!("warning: {w}");
    }
    let c = res.cluster.clone().unwrap_or_default();
    if ctx.json() {
        output::json(&res)?;
    } else {
        show(ctx, &c)?;
    }
    if wants_start && c.status() != pb::ClusterStatus::Running {
        return Err(format!(
            "cluster {} was created but is {}{}",
            c.name,
            status_name(c.status),
            if c.status_message.is_empty() {
                String::new()
            } else {
                format!(": {}", c.status_message)
            }
        )
        .into());
    }
    Ok(())
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> CliResult {
    let mut cluster = pb::Cluster::default();
    let mut paths = Vec::new();
    if let Some(d) = args.description {
        cluster.description = d;
        paths.push("description".to_string());
    }
    if let Some(e) = args.environment {
        cluster.environment = e;
        paths.push("environment".to_string());
    }
    if !args.tags.is_empty() || args.clear_tags {
        cluster.tags = args.tags.into_iter().collect::<HashMap<_, _>>();
        paths.push("tags".to_string());
    }
    reflect::set_fields(&mut cluster, &args.set)?;
    paths.extend(args.set.iter().map(|(p, _)| p.clone()));
    if paths.is_empty() {
        return Err(
            "nothing to update: give --description, --environment, --tag, --clear-tags or --set"
                .into(),
        );
    }
    let c = ctx
        .api
        .clusters()
        .update_cluster(ctx.api.req(pb::UpdateClusterRequest {
            cluster_id: args.cluster,
            cluster: Some(cluster),
            update_mask: Some(prost_types::FieldMask { paths }),
        }))
        .await?
        .into_inner()
        .cluster
        .unwrap_or_default();
    show(ctx, &c)
}

/// A cluster in detail (or as JSON).
fn show(ctx: &Ctx, c: &pb::Cluster) -> CliResult {
    if ctx.json() {
        return output::json(c);
    }
    let status = if c.status_message.is_empty() {
        status_name(c.status)
    } else {
        format!("{} ({})", status_name(c.status), c.status_message)
    };
    let created = match (time(c.created_at.as_ref()), c.created_by.as_str()) {
        (t, "") => t,
        (t, by) => format!("{t} by {by}"),
    };
    let mut text = fields(&[
        ("Name", c.name.clone()),
        ("ID", c.id.clone()),
        ("Status", status),
        ("Environment", c.environment.clone()),
        ("Template", c.template_id.clone()),
        ("Description", c.description.clone()),
        ("External", c.external_bootstrap_servers.clone()),
        ("Tags", output::pairs(&c.tags)),
        ("Data directory", c.data_directory.clone()),
        ("Network", c.network_name.clone()),
        ("Created", created),
        ("Last started", time(c.last_started.as_ref())),
        ("Last stopped", time(c.last_stopped.as_ref())),
    ]);
    text.push_str(&endpoint_lines(&c.endpoints));
    text.push_str(&output::config_section(
        "Configuration",
        c.kafka_config.as_ref(),
        c.rest_proxy_config.as_ref(),
        c.ui_config.as_ref(),
        c.retention_policy.as_ref(),
    )?);
    output::print(&text)
}

fn endpoint_lines(endpoints: &HashMap<String, String>) -> String {
    if endpoints.is_empty() {
        return String::new();
    }
    let mut keys: Vec<&String> = endpoints.keys().collect();
    keys.sort();
    let pairs: Vec<(&str, String)> = keys
        .iter()
        .map(|k| (k.as_str(), endpoints[*k].clone()))
        .collect();
    let mut text = String::from("Endpoints:\n");
    for l in fields(&pairs).lines() {
        text.push_str(&format!("  {l}\n"));
    }
    text
}

pub fn status_name(status: i32) -> String {
    let name = pb::ClusterStatus::try_from(status)
        .map(|s| s.as_str_name())
        .unwrap_or("UNKNOWN");
    short(name, "CLUSTER_STATUS_")
}

/// The cluster's bootstrap servers.
fn bootstrap(c: &pb::Cluster) -> String {
    c.endpoints
        .get("kafka")
        .cloned()
        .unwrap_or_else(|| c.external_bootstrap_servers.clone())
}

fn endpoint_note(c: &pb::Cluster) -> String {
    match bootstrap(c) {
        b if b.is_empty() => String::new(),
        b => format!("; Kafka at {b}"),
    }
}

fn join(ports: &[i32]) -> String {
    ports
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `lkm host`: what the host has for new clusters.
pub async fn host(ctx: &Ctx) -> CliResult {
    let h = ctx
        .api
        .clusters()
        .get_host_resources(ctx.api.req(pb::GetHostResourcesRequest {}))
        .await?
        .into_inner();
    if ctx.json() {
        return output::json(&h);
    }
    let mib = |v: i64| output::bytes(v.saturating_mul(1024 * 1024));
    output::print(&output::fields(&[
        ("Memory free", mib(h.free_memory_mb)),
        ("Memory available", mib(h.available_memory_mb)),
        ("Memory total", mib(h.total_memory_mb)),
        (
            "Held by running clusters",
            format!(
                "{} ({})",
                mib(h.reserved_memory_mb),
                output::plural(i64::from(h.running_clusters), "cluster")
            ),
        ),
        ("Disk free", mib(h.free_disk_mb)),
        ("CPUs", h.cpu_count.to_string()),
        ("Runtime", h.runtime.clone()),
        (
            "Resource guard",
            if h.resource_guard { "on" } else { "off" }.to_string(),
        ),
    ]))
}
