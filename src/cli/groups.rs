//! `lkm groups …`: consumer groups of a cluster.

use clap::Subcommand;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, Table, count, fields};
use super::parse;
use crate::pb;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the consumer groups of a cluster.
    #[command(visible_alias = "ls")]
    List {
        /// Cluster name or id.
        cluster: String,
    },
    /// Show a group: members, committed offsets and lag per partition.
    #[command(visible_alias = "get")]
    Describe {
        /// Cluster name or id.
        cluster: String,
        group: String,
    },
    /// Move a group's committed offsets on a topic (the group must have no active members).
    Reset(ResetArgs),
    /// Delete a group (it must have no active members).
    #[command(visible_alias = "rm")]
    Delete {
        /// Cluster name or id.
        cluster: String,
        group: String,
    },
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("to").required(true).args(["to_earliest", "to_latest", "to_offset", "to_time"])))]
pub struct ResetArgs {
    /// Cluster name or id.
    pub cluster: String,
    pub group: String,
    /// The topic whose offsets move.
    #[arg(long, short = 't')]
    pub topic: String,
    /// Only this partition [default: every partition of the topic].
    #[arg(long, short = 'p')]
    pub partition: Option<i32>,
    /// To the first record.
    #[arg(long)]
    pub to_earliest: bool,
    /// To the end (past the last record).
    #[arg(long)]
    pub to_latest: bool,
    /// To this offset.
    #[arg(long, value_name = "OFFSET")]
    pub to_offset: Option<i64>,
    /// To the first record at or after this time: RFC 3339, or an age like 15m.
    #[arg(long, value_name = "TIME", value_parser = parse::timestamp)]
    pub to_time: Option<prost_types::Timestamp>,
    /// Show the new offsets without committing them.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> CliResult {
    let mut api = ctx.api.clusters();
    match cmd {
        Cmd::List { cluster } => {
            let res = api
                .list_consumer_groups(ctx.api.req(pb::ListConsumerGroupsRequest {
                    cluster_id: cluster,
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            let mut t = Table::new(&["GROUP", "STATE", "PROTOCOL TYPE", "MEMBERS"]);
            for g in &res.groups {
                t.row(vec![
                    g.group_id.clone(),
                    g.state.clone(),
                    g.protocol_type.clone(),
                    g.members.len().to_string(),
                ]);
            }
            t.print_or("no consumer groups")
        }
        Cmd::Describe { cluster, group } => {
            let g = api
                .get_consumer_group(ctx.api.req(pb::GetConsumerGroupRequest {
                    cluster_id: cluster,
                    group_id: group,
                }))
                .await?
                .into_inner()
                .group
                .unwrap_or_default();
            if ctx.json() {
                return output::json(&g);
            }
            let mut text = fields(&[
                ("Group", g.group_id.clone()),
                ("State", g.state.clone()),
                ("Protocol", join_nonempty(&g.protocol_type, &g.protocol)),
                ("Members", g.members.len().to_string()),
                ("Total lag", count(g.total_lag)),
                ("Note", g.members_error.clone()),
            ]);
            if !g.members.is_empty() {
                let mut t = Table::new(&["MEMBER", "CLIENT", "HOST"]);
                for m in &g.members {
                    t.row(vec![
                        m.member_id.clone(),
                        m.client_id.clone(),
                        m.client_host.clone(),
                    ]);
                }
                text.push('\n');
                text.push_str(&t.render(0));
            }
            if !g.offsets.is_empty() {
                text.push('\n');
                text.push_str(&offsets_table(&g.offsets).render(0));
            }
            output::print(&text)
        }
        Cmd::Reset(a) => {
            let to = if a.to_earliest {
                pb::OffsetReset::Earliest
            } else if a.to_latest {
                pb::OffsetReset::Latest
            } else if a.to_offset.is_some() {
                pb::OffsetReset::Offset
            } else {
                pb::OffsetReset::Timestamp
            };
            let res = api
                .reset_consumer_group_offsets(ctx.api.req(pb::ResetConsumerGroupOffsetsRequest {
                    cluster_id: a.cluster,
                    group_id: a.group.clone(),
                    topic: a.topic,
                    partition: a.partition,
                    to: to as i32,
                    offset: a.to_offset.unwrap_or_default(),
                    timestamp: a.to_time,
                    dry_run: a.dry_run,
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            if a.dry_run {
                output::line(&format!(
                    "dry run: {} would get these offsets (nothing changed)",
                    a.group
                ))?;
            }
            output::print(&offsets_table(&res.offsets).render(0))
        }
        Cmd::Delete { cluster, group } => {
            let res = api
                .delete_consumer_group(ctx.api.req(pb::DeleteConsumerGroupRequest {
                    cluster_id: cluster,
                    group_id: group.clone(),
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            output::line(&format!("deleted consumer group {group}"))
        }
    }
}

fn offsets_table(offsets: &[pb::GroupPartitionOffsets]) -> Table {
    let mut t = Table::new(&["TOPIC", "PARTITION", "COMMITTED", "HIGH WATERMARK", "LAG"]);
    for o in offsets {
        t.row(vec![
            o.topic.clone(),
            o.partition.to_string(),
            if o.committed_offset < 0 {
                "-".into()
            } else {
                o.committed_offset.to_string()
            },
            o.high_watermark.to_string(),
            count(o.lag),
        ]);
    }
    t
}

fn join_nonempty(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (false, false) => format!("{a} / {b}"),
        (false, true) => a.into(),
        (true, _) => b.into(),
    }
}
