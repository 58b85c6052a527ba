//! `lkm migrate` and `lkm replicate`: start an operation, follow it, print its result.

use super::Ctx;
use super::error::CliResult;
use super::operations::{cluster_names, ended, migration, migration_text, operation_text};
use super::output;
use super::progress::{self, Display};
use crate::pb;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Progress: on a terminal a bar per topic (records, bytes, rate, ETA) on stderr; otherwise a
progress line per topic about once a second and when it is done. The result (per topic
copied, verification, consumer-group offsets translated) goes to stdout. With --output json,
stdout holds the final Operation as one JSON document (with --detach, the started one).
Ctrl-C stops following; the migration goes on in the server (`lkm ops watch ID`).

Examples:
  lkm migrate dev staging --dry-run
  lkm migrate dev staging --topic orders --topic events --include-consumer-groups")]
pub struct MigrateArgs {
    /// Source cluster name or id.
    pub source: String,
    /// Target cluster name or id.
    pub target: String,
    /// A topic to copy; repeatable [default: every non-internal topic].
    #[arg(long = "topic", short = 't', value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Also translate the consumer groups' committed offsets and commit them on the target.
    #[arg(long, visible_alias = "groups")]
    pub include_consumer_groups: bool,
    /// Give copied records the time of copying instead of their own timestamps.
    #[arg(long)]
    pub no_preserve_timestamps: bool,
    /// Create missing target topics with the target's default partition count.
    #[arg(long)]
    pub no_preserve_partitions: bool,
    /// Show the plan (topics, records, bytes, topics to create, conflicts); change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Start the migration and return at once.
    #[arg(long)]
    pub detach: bool,
}

#[derive(clap::Args, Debug)]
pub struct ReplicateArgs {
    /// Source cluster name or id.
    pub source: String,
    /// Target cluster names or ids.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// A topic to replicate; repeatable [default: every non-internal topic].
    #[arg(long = "topic", short = 't', value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Create missing topics with the target's default partition count (and do not count
    /// other partition counts as conflicts).
    #[arg(long)]
    pub no_preserve_partitions: bool,
    /// Show what would be created, what already matches and the conflicts; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Start the replication and return at once.
    #[arg(long)]
    pub detach: bool,
}

pub async fn migrate(ctx: &Ctx, a: MigrateArgs) -> CliResult {
    let op = ctx
        .api
        .operations()
        .migrate_data(ctx.api.req(pb::MigrateDataRequest {
            source_cluster_id: a.source.clone(),
            target_cluster_id: a.target.clone(),
            topics: a.topics,
            include_consumer_groups: a.include_consumer_groups,
            preserve_timestamps: a.no_preserve_timestamps.then_some(false),
            preserve_partitions: a.no_preserve_partitions.then_some(false),
            dry_run: a.dry_run,
        }))
        .await?
        .into_inner()
        .operation
        .unwrap_or_default();
    if a.dry_run {
        if ctx.json() {
            output::json(&op)?;
        } else {
            output::line(&format!(
                "Plan to migrate {} → {} (dry run: nothing changed)",
                a.source, a.target
            ))?;
            output::print(&migration_text(&op))?;
        }
        let conflicts = migration(&op).map_or(0, |m| m.conflicts.len());
        if conflicts > 0 {
            return Err(format!("the migration would fail: {conflicts} conflict(s)").into());
        }
        return Ok(());
    }
    started(
        ctx,
        &op,
        a.detach,
        &format!("migrating {} → {}", a.source, a.target),
    )
    .await
}

pub async fn replicate(ctx: &Ctx, a: ReplicateArgs) -> CliResult {
    let what = format!("replicating {} → {}", a.source, a.targets.join(", "));
    let op = ctx
        .api
        .operations()
        .replicate_topics(ctx.api.req(pb::ReplicateTopicsRequest {
            source_cluster_id: a.source,
            target_cluster_ids: a.targets,
            topics: a.topics,
            preserve_partitions: a.no_preserve_partitions.then_some(false),
            dry_run: a.dry_run,
        }))
        .await?
        .into_inner()
        .operation
        .unwrap_or_default();
    if a.dry_run {
        if ctx.json() {
            output::json(&op)?;
        } else {
            output::line(&format!("Plan for {what} (dry run: nothing changed)"))?;
            output::print(&operation_text(&op, &cluster_names(ctx).await))?;
        }
        return ended(&op);
    }
    started(ctx, &op, a.detach, &what).await
}

/// After starting an operation: returns at once (detach) or follows it to its end and
/// prints the result.
async fn started(ctx: &Ctx, op: &pb::Operation, detach: bool, what: &str) -> CliResult {
    if detach {
        if ctx.json() {
            return output::json(op);
        }
        return output::line(&format!(
            "started operation {id} ({what}); follow it with `lkm ops watch {id}`",
            id = op.id
        ));
    }
    let display = if ctx.json() {
        Display::Quiet
    } else {
        eprintln!("{what} (operation {})", op.id);
        if op.operation_type() == pb::OperationType::Migrate {
            Display::for_stderr()
        } else {
            Display::Quiet
        }
    };
    let last = progress::follow(ctx, &op.id, display).await?;
    if ctx.json() {
        output::json(&last)?;
    } else {
        output::print(&operation_text(&last, &cluster_names(ctx).await))?;
    }
    ended(&last)
}
