//! `lkm topics …`: ClusterService's topic methods.

use clap::Subcommand;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, Table, count, fields};
use super::parse;
use crate::pb;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the topics of a cluster.
    #[command(visible_alias = "ls")]
    List {
        /// Cluster name or id.
        cluster: String,
        /// Include internal topics (names starting with "__").
        #[arg(long)]
        internal: bool,
    },
    /// Show a topic: partitions, watermarks, configs.
    #[command(visible_alias = "get")]
    Describe {
        /// Cluster name or id.
        cluster: String,
        topic: String,
    },
    /// Create a topic.
    Create {
        /// Cluster name or id.
        cluster: String,
        topic: String,
        /// Number of partitions [default: the cluster's num_partitions].
        #[arg(long, short = 'p')]
        partitions: Option<i32>,
        /// Replication factor [default: the cluster's default_replication_factor].
        #[arg(long, short = 'r')]
        replication_factor: Option<i32>,
        /// A topic config, KEY=VALUE (e.g. retention.ms=3600000); repeatable.
        #[arg(long = "config", short = 'c', value_name = "KEY=VALUE", value_parser = parse::key_value)]
        configs: Vec<(String, String)>,
    },
    /// Delete a topic.
    #[command(visible_alias = "rm")]
    Delete {
        /// Cluster name or id.
        cluster: String,
        topic: String,
    },
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> CliResult {
    let mut api = ctx.api.clusters();
    match cmd {
        Cmd::List { cluster, internal } => {
            let res = api
                .list_topics(ctx.api.req(pb::ListTopicsRequest {
                    cluster_id: cluster,
                    include_internal: internal,
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            let mut t = Table::new(&["TOPIC", "PARTITIONS", "REPLICAS", "MESSAGES", "CONFIGS"]);
            for topic in &res.topics {
                t.row(vec![
                    topic.name.clone(),
                    topic.partitions.to_string(),
                    topic.replication_factor.to_string(),
                    count(topic.message_count),
                    output::pairs(&topic.configs),
                ]);
            }
            t.print_or("no topics")
        }
        Cmd::Describe { cluster, topic } => {
            let topic = api
                .get_topic(ctx.api.req(pb::GetTopicRequest {
                    cluster_id: cluster,
                    topic,
                }))
                .await?
                .into_inner()
                .topic
                .unwrap_or_default();
            if ctx.json() {
                return output::json(&topic);
            }
            let mut text = fields(&[
                ("Topic", topic.name.clone()),
                ("Partitions", topic.partitions.to_string()),
                ("Replication factor", topic.replication_factor.to_string()),
                ("Messages", count(topic.message_count)),
                ("Internal", if topic.internal { "yes" } else { "no" }.into()),
            ]);
            let mut parts = Table::new(&[
                "PARTITION",
                "LEADER",
                "REPLICAS",
                "IN SYNC",
                "LOW",
                "HIGH",
                "MESSAGES",
            ]);
            for p in &topic.partition_details {
                parts.row(vec![
                    p.partition.to_string(),
                    p.leader.to_string(),
                    join(&p.replicas),
                    join(&p.in_sync_replicas),
                    p.low_watermark.to_string(),
                    p.high_watermark.to_string(),
                    count(p.high_watermark - p.low_watermark),
                ]);
            }
            if !parts.is_empty() {
                text.push('\n');
                text.push_str(&parts.render(0));
            }
            if !topic.configs.is_empty() {
                let mut configs = Table::new(&["CONFIG", "VALUE"]);
                let mut keys: Vec<&String> = topic.configs.keys().collect();
                keys.sort();
                for k in keys {
                    configs.row(vec![k.clone(), topic.configs[k].clone()]);
                }
                text.push('\n');
                text.push_str(&configs.render(0));
            }
            output::print(&text)
        }
        Cmd::Create {
            cluster,
            topic,
            partitions,
            replication_factor,
            configs,
        } => {
            let t = api
                .create_topic(ctx.api.req(pb::CreateTopicRequest {
                    cluster_id: cluster,
                    name: topic,
                    partitions,
                    replication_factor,
                    configs: configs.into_iter().collect(),
                }))
                .await?
                .into_inner()
                .topic
                .unwrap_or_default();
            if ctx.json() {
                return output::json(&t);
            }
            output::line(&format!(
                "created topic {} ({} partitions, replication factor {})",
                t.name, t.partitions, t.replication_factor
            ))
        }
        Cmd::Delete { cluster, topic } => {
            let res = api
                .delete_topic(ctx.api.req(pb::DeleteTopicRequest {
                    cluster_id: cluster,
                    topic: topic.clone(),
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            output::line(&format!("deleted topic {topic}"))
        }
    }
}

fn join(v: &[i32]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
