//! `lkm compare`: how two clusters differ, as one diff table.

use super::Ctx;
use super::error::CliResult;
use super::operations::or_unset;
use super::output::{self, Table, count, fields};
use crate::pb;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
The table lists every difference: cluster configuration, topics on one side only, topics
whose partitions, replication factor or configs differ, and with --data the partitions whose
message counts differ. Parts that could not be compared are listed after it.")]
pub struct CompareArgs {
    /// Source cluster name or id.
    pub source: String,
    /// Target cluster name or id.
    pub target: String,
    /// Also compare message counts per partition.
    #[arg(long)]
    pub data: bool,
    /// Exit with status 1 when the clusters differ.
    #[arg(long)]
    pub exit_code: bool,
}

pub async fn compare(ctx: &Ctx, a: CompareArgs) -> CliResult {
    let r = ctx
        .api
        .operations()
        .compare_clusters(ctx.api.req(pb::CompareClustersRequest {
            source_cluster: a.source,
            target_cluster: a.target,
            include_data: a.data,
        }))
        .await?
        .into_inner()
        .result
        .unwrap_or_default();
    let identical = r.summary.as_ref().is_some_and(|s| s.identical);
    if ctx.json() {
        output::json(&r)?;
    } else {
        output::print(&comparison_text(&r, a.data))?;
    }
    if a.exit_code && !identical {
        return Err(format!("{} and {} differ", r.source_cluster, r.target_cluster).into());
    }
    Ok(())
}

/// A comparison as one diff table: KIND, ITEM, then each side's value.
fn comparison_text(r: &pb::ClusterComparisonResult, data: bool) -> String {
    let (src, dst) = (r.source_cluster.as_str(), r.target_cluster.as_str());
    let mut t = Table::new(&["KIND", "DIFFERENCE", src, dst]);
    for c in &r.config_differences {
        t.row(vec![
            "config".into(),
            c.key.clone(),
            or_unset(&c.source_value).into(),
            or_unset(&c.target_value).into(),
        ]);
    }
    for topic in &r.topics_only_in_source {
        t.row(vec![
            "topic".into(),
            topic.clone(),
            "present".into(),
            "missing".into(),
        ]);
    }
    for topic in &r.topics_only_in_target {
        t.row(vec![
            "topic".into(),
            topic.clone(),
            "missing".into(),
            "present".into(),
        ]);
    }
    for d in &r.topics_with_different_config {
        if d.source_partitions != d.target_partitions {
            t.row(vec![
                "topic".into(),
                format!("{} partitions", d.topic),
                d.source_partitions.to_string(),
                d.target_partitions.to_string(),
            ]);
        }
        if d.source_replication_factor != d.target_replication_factor {
            t.row(vec![
                "topic".into(),
                format!("{} replication factor", d.topic),
                d.source_replication_factor.to_string(),
                d.target_replication_factor.to_string(),
            ]);
        }
        for c in &d.config_differences {
            t.row(vec![
                "topic config".into(),
                format!("{} {}", d.topic, c.key),
                or_unset(&c.source_value).into(),
                or_unset(&c.target_value).into(),
            ]);
        }
    }
    for m in &r.message_count_differences {
        t.row(vec![
            "messages".into(),
            format!("{} [{}]", m.topic, m.partition),
            count(m.source_count),
            count(m.target_count),
        ]);
    }
    let what = if data {
        "configuration, topics and message counts"
    } else {
        "configuration and topics"
    };
    let mut text = format!("Comparing {src} → {dst} ({what})\n\n");
    if t.is_empty() {
        text.push_str("No differences.\n");
    } else {
        text.push_str(&t.render(0));
    }
    if !r.not_compared.is_empty() {
        text.push_str("\nNot compared:\n");
        for n in &r.not_compared {
            text.push_str(&format!("  - {n}\n"));
        }
    }
    if let Some(s) = &r.summary {
        text.push('\n');
        let mut summary = vec![(
            "Result",
            if s.identical {
                "identical (nothing that was compared differs)".to_string()
            } else {
                let n = r.config_differences.len()
                    + r.topics_only_in_source.len()
                    + r.topics_only_in_target.len()
                    + r.topics_with_different_config.len()
                    + r.message_count_differences.len();
                format!("{n} difference(s)")
            },
        )];
        if data {
            summary.push((
                "Messages",
                format!(
                    "{src} {}, {dst} {}",
                    count(s.source_messages),
                    count(s.target_messages)
                ),
            ));
        }
        text.push_str(&fields(&summary));
    }
    text
}
