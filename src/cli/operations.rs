//! `lkm ops …`: list, show, watch and cancel operations; how an operation reads.

use std::collections::HashMap;

use clap::Subcommand;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, Table, bytes, count, fields, short, time};
use super::progress::{self, Display};
use crate::pb;

#[derive(Subcommand, Debug)]
pub enum OpsCmd {
    /// List operations, newest first.
    #[command(visible_alias = "ls")]
    List {
        #[arg(long, value_enum)]
        status: Option<OpStatus>,
        #[arg(long = "type", value_enum)]
        kind: Option<OpType>,
        /// Only operations involving this cluster (name or id).
        #[arg(long)]
        cluster: Option<String>,
    },
    /// Show an operation and its result.
    Get { id: String },
    /// Follow an operation's progress until it ends (--output json: one
    /// WatchOperationResponse per line, NDJSON).
    Watch { id: String },
    /// Cancel a pending or running operation.
    Cancel { id: String },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OpStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OpType {
    Migrate,
    Replicate,
    Compare,
}

pub async fn run(ctx: &Ctx, cmd: OpsCmd) -> CliResult {
    let mut api = ctx.api.operations();
    match cmd {
        OpsCmd::List {
            status,
            kind,
            cluster,
        } => {
            let mut all = pb::ListOperationsResponse::default();
            loop {
                let page = api
                    .list_operations(ctx.api.req(pb::ListOperationsRequest {
                        status: status.map_or(0, |s| op_status(s) as i32),
                        operation_type: kind.map_or(0, |k| op_type(k) as i32),
                        cluster_id: cluster.clone().unwrap_or_default(),
                        page_size: 1000,
                        page_token: all.next_page_token.clone(),
                    }))
                    .await?
                    .into_inner();
                all.operations.extend(page.operations);
                all.total_size = page.total_size;
                all.next_page_token = page.next_page_token;
                if all.next_page_token.is_empty() {
                    break;
                }
            }
            if ctx.json() {
                return output::json(&all);
            }
            let names = cluster_names(ctx).await;
            let mut t = Table::new(&[
                "ID", "TYPE", "STATUS", "PROGRESS", "SOURCE", "TARGETS", "CREATED",
            ]);
            for op in &all.operations {
                t.row(vec![
                    op.id.clone(),
                    type_name(op.operation_type),
                    status_name(op.status),
                    format!("{:.0}%", op.progress_percent),
                    name(&names, &op.source_cluster_id),
                    targets(&names, op),
                    time(op.created_at.as_ref()),
                ]);
            }
            t.print_or("no operations")
        }
        OpsCmd::Get { id } => {
            let op = api
                .get_operation(ctx.api.req(pb::GetOperationRequest { operation_id: id }))
                .await?
                .into_inner()
                .operation
                .unwrap_or_default();
            if ctx.json() {
                return output::json(&op);
            }
            output::print(&operation_text(&op, &cluster_names(ctx).await))
        }
        OpsCmd::Watch { id } => {
            let display = if ctx.json() {
                Display::Events
            } else {
                Display::for_stderr()
            };
            let last = progress::follow(ctx, &id, display).await?;
            if !ctx.json() {
                output::print(&operation_text(&last, &cluster_names(ctx).await))?;
            }
            ended(&last)
        }
        OpsCmd::Cancel { id } => {
            let op = api
                .cancel_operation(ctx.api.req(pb::CancelOperationRequest { operation_id: id }))
                .await?
                .into_inner()
                .operation
                .unwrap_or_default();
            if ctx.json() {
                return output::json(&op);
            }
            output::line(&format!(
                "operation {} is {}",
                op.id,
                status_name(op.status)
            ))
        }
    }
}

/// Cluster names by id, to show operations readably (ids when the list is unavailable).
pub(super) async fn cluster_names(ctx: &Ctx) -> HashMap<String, String> {
    let req = ctx.api.req(pb::ListClustersRequest {
        page_size: 1000,
        ..Default::default()
    });
    match ctx.api.clusters().list_clusters(req).await {
        Ok(res) => res
            .into_inner()
            .clusters
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        Err(_) => HashMap::new(),
    }
}

fn name(names: &HashMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_string())
}

fn targets(names: &HashMap<String, String>, op: &pb::Operation) -> String {
    op.target_cluster_ids
        .iter()
        .map(|t| name(names, t))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_name(s: i32) -> String {
    short(
        pb::OperationStatus::try_from(s).map_or("UNKNOWN", |s| s.as_str_name()),
        "OPERATION_STATUS_",
    )
}

fn type_name(t: i32) -> String {
    short(
        pb::OperationType::try_from(t).map_or("UNKNOWN", |t| t.as_str_name()),
        "OPERATION_TYPE_",
    )
    .to_lowercase()
}

fn op_status(s: OpStatus) -> pb::OperationStatus {
    match s {
        OpStatus::Pending => pb::OperationStatus::Pending,
        OpStatus::Running => pb::OperationStatus::Running,
        OpStatus::Succeeded => pb::OperationStatus::Succeeded,
        OpStatus::Failed => pb::OperationStatus::Failed,
        OpStatus::Cancelled => pb::OperationStatus::Cancelled,
    }
}

fn op_type(t: OpType) -> pb::OperationType {
    match t {
        OpType::Migrate => pb::OperationType::Migrate,
        OpType::Replicate => pb::OperationType::Replicate,
        OpType::Compare => pb::OperationType::Compare,
    }
}

pub(super) fn migration(op: &pb::Operation) -> Option<&pb::MigrationResult> {
    match &op.results {
        Some(pb::operation::Results::Migration(m)) => Some(m),
        _ => None,
    }
}

/// An operation and its result, for people.
pub(super) fn operation_text(op: &pb::Operation, names: &HashMap<String, String>) -> String {
    let elapsed = match (&op.started_at, &op.completed_at) {
        (Some(s), Some(c)) => {
            let secs = (c.seconds - s.seconds) as f64 + (c.nanos - s.nanos) as f64 / 1e9;
            Some(secs.max(0.0))
        }
        _ => None,
    };
    let copied = match &op.progress {
        Some(p) if op.operation_type() == pb::OperationType::Migrate && !op.dry_run => {
            let avg = elapsed
                .filter(|s| *s > 0.0)
                .map(|s| format!(", {} rec/s", output::rate(p.messages_copied as f64 / s)))
                .unwrap_or_default();
            format!(
                "{} of {} records, {}{avg}",
                count(p.messages_copied),
                count(p.messages_total),
                bytes(p.bytes_copied)
            )
        }
        _ => String::new(),
    };
    let mut text = fields(&[
        ("Operation", op.id.clone()),
        ("Type", type_name(op.operation_type)),
        ("Status", status_name(op.status)),
        ("Source", name(names, &op.source_cluster_id)),
        ("Target", targets(names, op)),
        ("Topics", op.topics.join(", ")),
        ("Created", time(op.created_at.as_ref())),
        ("Completed", time(op.completed_at.as_ref())),
        ("Took", elapsed.map(output::span).unwrap_or_default()),
        ("Copied", copied),
        ("Error", op.error_message.clone()),
    ]);
    match &op.results {
        Some(pb::operation::Results::Migration(_)) => text.push_str(&migration_text(op)),
        Some(pb::operation::Results::Replication(r)) => {
            text.push_str(&replication_text(r, names, op.dry_run))
        }
        None => {}
    }
    text
}

/// A migration's plan (dry run) or result.
pub(super) fn migration_text(op: &pb::Operation) -> String {
    let Some(m) = migration(op) else {
        return String::new();
    };
    let mut text = String::new();
    if op.dry_run {
        let mut t = Table::new(&[
            "TOPIC",
            "PARTITIONS",
            "RECORDS",
            "BYTES (EST.)",
            "ON TARGET",
        ]);
        for p in &m.topics {
            t.row(vec![
                p.topic.clone(),
                p.partitions.to_string(),
                count(p.messages),
                bytes(p.bytes),
                if p.create { "create" } else { "exists" }.into(),
            ]);
        }
        text.push('\n');
        text.push_str(&t.render(0));
    } else if let Some(p) = &op.progress {
        // Per topic, from the partitions' progress.
        let mut per: Vec<(String, i32, i64, i64)> = Vec::new();
        for part in &p.partitions {
            match per.iter_mut().find(|(t, ..)| *t == part.topic) {
                Some(e) => {
                    e.1 += 1;
                    e.2 += part.messages_copied;
                    e.3 += part.bytes_copied;
                }
                None => per.push((
                    part.topic.clone(),
                    1,
                    part.messages_copied,
                    part.bytes_copied,
                )),
            }
        }
        per.sort();
        if !per.is_empty() {
            let mut t = Table::new(&["TOPIC", "PARTITIONS", "RECORDS", "BYTES", "CREATED"]);
            for (topic, parts, records, b) in per {
                let created = m.topics_created.contains(&topic);
                t.row(vec![
                    topic,
                    parts.to_string(),
                    count(records),
                    bytes(b),
                    if created { "yes" } else { "no" }.into(),
                ]);
            }
            text.push('\n');
            text.push_str(&t.render(0));
        }
        if !m.verification.is_empty() {
            let bad: Vec<&pb::PartitionVerification> =
                m.verification.iter().filter(|v| !v.matched).collect();
            text.push('\n');
            if m.verified && bad.is_empty() {
                text.push_str(&format!(
                    "Verified: {} partitions read back from the target; counts and checksums match\n",
                    m.verification.len()
                ));
            } else {
                text.push_str("Verification FAILED:\n");
                let mut t = Table::new(&[
                    "TOPIC",
                    "PARTITION",
                    "SOURCE",
                    "TARGET",
                    "SOURCE CHECKSUM",
                    "TARGET CHECKSUM",
                ]);
                for v in bad {
                    t.row(vec![
                        v.topic.clone(),
                        v.partition.to_string(),
                        count(v.source_count),
                        count(v.target_count),
                        v.source_checksum.clone(),
                        v.target_checksum.clone(),
                    ]);
                }
                text.push_str(&t.render(2));
            }
        }
    }
    if !m.consumer_groups.is_empty() {
        let mut t = Table::new(&[
            "GROUP",
            "TOPIC",
            "PARTITION",
            "SOURCE OFFSET",
            "TARGET OFFSET",
        ]);
        for g in &m.consumer_groups {
            for o in &g.offsets {
                t.row(vec![
                    g.group_id.clone(),
                    o.topic.clone(),
                    o.partition.to_string(),
                    o.source_offset.to_string(),
                    o.target_offset.to_string(),
                ]);
            }
        }
        text.push_str("\nConsumer-group offsets");
        text.push_str(if op.dry_run {
            " to translate:\n"
        } else {
            " translated:\n"
        });
        text.push_str(&t.render(2));
    }
    if !m.conflicts.is_empty() {
        text.push_str("\nConflicts:\n");
        for c in &m.conflicts {
            text.push_str(&format!("  - {c}\n"));
        }
    }
    text
}

fn replication_text(
    r: &pb::ReplicationResult,
    names: &HashMap<String, String>,
    dry_run: bool,
) -> String {
    let mut t = Table::new(&[
        "TARGET",
        if dry_run { "WOULD CREATE" } else { "CREATED" },
        "ALREADY MATCHING",
        "CONFLICTS",
        "ERROR",
    ]);
    let mut conflicts = Table::new(&["TARGET", "TOPIC", "DIFFERENCE"]);
    for target in &r.targets {
        let tname = name(names, &target.target_cluster_id);
        t.row(vec![
            tname.clone(),
            target.topics_created.join(", "),
            target.topics_matching.join(", "),
            target.conflicts.len().to_string(),
            target.error.clone(),
        ]);
        for d in &target.conflicts {
            for what in differences(d) {
                conflicts.row(vec![tname.clone(), d.topic.clone(), what]);
            }
        }
    }
    let mut text = format!("\n{}", t.render(0));
    if !conflicts.is_empty() {
        text.push_str("\nConflicts (left as they are):\n");
        text.push_str(&conflicts.render(2));
    }
    text
}

/// What differs in a topic, one entry per attribute: "partitions: 3 → 6".
fn differences(d: &pb::TopicDifference) -> Vec<String> {
    let mut out = Vec::new();
    if d.source_partitions != d.target_partitions {
        out.push(format!(
            "partitions: {} → {}",
            d.source_partitions, d.target_partitions
        ));
    }
    if d.source_replication_factor != d.target_replication_factor {
        out.push(format!(
            "replication factor: {} → {}",
            d.source_replication_factor, d.target_replication_factor
        ));
    }
    for c in &d.config_differences {
        out.push(format!(
            "{}: {} → {}",
            c.key,
            or_unset(&c.source_value),
            or_unset(&c.target_value)
        ));
    }
    out
}

pub(super) fn or_unset(v: &str) -> &str {
    if v.is_empty() { "(unset)" } else { v }
}

/// Ok when the operation succeeded; its error otherwise.
pub(super) fn ended(op: &pb::Operation) -> CliResult {
    let kind = type_name(op.operation_type);
    match op.status() {
        pb::OperationStatus::Succeeded => Ok(()),
        pb::OperationStatus::Failed => {
            Err(format!("{kind} {} failed: {}", op.id, op.error_message).into())
        }
        pb::OperationStatus::Cancelled => Err(format!("{kind} {} was cancelled", op.id).into()),
        other => Err(format!(
            "{kind} {} is still {}: the progress stream ended before it did",
            op.id,
            short(other.as_str_name(), "OPERATION_STATUS_")
        )
        .into()),
    }
}
