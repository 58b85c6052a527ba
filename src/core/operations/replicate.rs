//! Replicating topic structure: the source's topics are created on each target where they
//! are missing (partition count, replication factor, the configs set on the topic), and
//! compared where they exist. Data is never touched, nor are existing topics changed.
//!
//! Targets are handled one after the other; a failure on one is recorded in its result and
//! the next one is handled. The operation SUCCEEDS when every target was handled (conflicts
//! are results, not failures) and FAILS otherwise. Progress: one step per (target, topic).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::kafka::{brokers, topics as kt};
use crate::pb::{
    Cluster, Operation, OperationStatus, OperationType, ReplicateTopicsRequest, ReplicationResult,
    TargetReplication, operation,
};

use super::super::time;
use super::compare::{self, TopicShape};
use super::target_topic;
use super::{OperationManager, Tracker};

/// Validates the request, resolves the topics, and starts the replication.
pub async fn start(
    mgr: &Arc<OperationManager>,
    req: ReplicateTopicsRequest,
    created_by: String,
) -> Result<Operation> {
    let (src, targets) = mgr
        .check_clusters(
            ("source_cluster_id", "target_cluster_ids"),
            &req.source_cluster_id,
            &req.target_cluster_ids,
        )
        .await?;
    let mut seen = HashSet::new();
    for t in &targets {
        if !seen.insert(t.id.clone()) {
            return Err(Error::invalid(
                "target_cluster_ids",
                format!("cluster '{}' is named more than once", t.name),
            ));
        }
    }
    if req.topics.iter().any(String::is_empty) {
        return Err(Error::invalid("topics", "topic names must not be empty"));
    }
    let src_clients = mgr.clients(&src)?;
    let source_topics = kt::metadata(&src_clients, None).await?;
    let mut topics: Vec<String> = if req.topics.is_empty() {
        source_topics
            .iter()
            .filter(|t| !kt::is_internal(&t.name))
            .map(|t| t.name.clone())
            .collect()
    } else {
        let mut v = Vec::new();
        for w in &req.topics {
            if !source_topics.iter().any(|t| t.name == *w) {
                return Err(Error::TopicNotFound(w.clone()));
            }
            v.push(w.clone());
        }
        v
    };
    topics.sort();
    topics.dedup();

    let op = Operation {
        id: uuid::Uuid::now_v7().to_string(),
        operation_type: OperationType::Replicate as i32,
        source_cluster_id: src.id.clone(),
        target_cluster_ids: targets.iter().map(|t| t.id.clone()).collect(),
        topics,
        preserve_partitions: req.preserve_partitions.unwrap_or(true),
        dry_run: req.dry_run,
        status: OperationStatus::Pending as i32,
        created_at: Some(time::now()),
        created_by,
        results: Some(operation::Results::Replication(ReplicationResult {
            targets: targets
                .iter()
                .map(|t| TargetReplication {
                    target_cluster_id: t.id.clone(),
                    ..Default::default()
                })
                .collect(),
        })),
        ..Default::default()
    };
    if req.dry_run {
        // Nothing is changed, so nothing is claimed: the plan is worked out now and recorded.
        mgr.registry.insert_operation(&op).await?;
        let op = drive(mgr, op, &src, &targets, &CancellationToken::new()).await;
        tracing::info!(operation = %op.id, source = %src.name, "replication dry run");
        return Ok(op);
    }
    let claims = targets
        .iter()
        .flat_map(|t| op.topics.iter().map(|topic| (t.id.clone(), topic.clone())))
        .collect();
    let cancel = mgr.claim(&op.id, claims)?;
    if let Err(e) = mgr.registry.insert_operation(&op).await {
        mgr.release(&op.id);
        return Err(e);
    }
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    tracing::info!(operation = %op.id, source = %src.name, targets = ?names, topics = op.topics.len(), "replication started");
    spawn(mgr, op.clone(), src, targets, cancel);
    Ok(op)
}

fn spawn(
    mgr: &Arc<OperationManager>,
    op: Operation,
    src: Cluster,
    targets: Vec<Cluster>,
    cancel: CancellationToken,
) {
    let mgr = mgr.clone();
    tokio::spawn(async move {
        let id = op.id.clone();
        drive(&mgr, op, &src, &targets, &cancel).await;
        mgr.release(&id);
    });
}

/// Runs the replication to its end, records the outcome and returns the final operation.
async fn drive(
    mgr: &Arc<OperationManager>,
    op: Operation,
    src: &Cluster,
    targets: &[Cluster],
    cancel: &CancellationToken,
) -> Operation {
    let id = op.id.clone();
    let mut tracker = Tracker::new(mgr.clone(), op);
    let outcome = run(mgr, &mut tracker, src, targets, cancel).await;
    let failed: Vec<String> = replication(&tracker.op)
        .iter()
        .zip(targets)
        .filter(|(r, _)| !r.error.is_empty())
        .map(|(r, t)| format!("{}: {}", t.name, r.error))
        .collect();
    let (status, error) = match outcome {
        Ok(()) if cancel.is_cancelled() => (
            OperationStatus::Cancelled,
            "cancelled on request".to_string(),
        ),
        Ok(()) if failed.is_empty() => (OperationStatus::Succeeded, String::new()),
        Ok(()) => (
            OperationStatus::Failed,
            format!(
                "replication failed on {} of {} target(s): {}",
                failed.len(),
                targets.len(),
                failed.join("; ")
            ),
        ),
        Err(e) => (OperationStatus::Failed, e.to_string()),
    };
    if let Err(e) = tracker.finish(status, &error).await {
        tracing::error!(operation = %id, error = %e, "cannot record the end of the operation");
    }
    tracker.op
}

fn replication(op: &Operation) -> &[TargetReplication] {
    match &op.results {
        Some(operation::Results::Replication(r)) => &r.targets,
        _ => &[],
    }
}

fn target_mut(op: &mut Operation, index: usize) -> Option<&mut TargetReplication> {
    match &mut op.results {
        Some(operation::Results::Replication(r)) => r.targets.get_mut(index),
        _ => None,
    }
}

/// Counts (target, topic) steps done and turns them into the operation's percent.
struct Steps {
    done: usize,
    total: usize,
}

impl Steps {
    fn advance(&mut self, tracker: &mut Tracker, by: usize) {
        self.done = (self.done + by).min(self.total);
        tracker.op.progress_percent = if self.total == 0 {
            100.0
        } else {
            self.done as f64 * 100.0 / self.total as f64
        };
    }
}

async fn run(
    mgr: &Arc<OperationManager>,
    tracker: &mut Tracker,
    src: &Cluster,
    targets: &[Cluster],
    cancel: &CancellationToken,
) -> Result<()> {
    tracker.op.status = OperationStatus::Running as i32;
    tracker.op.started_at = Some(time::now());
    tracker.checkpoint().await?;

    // The source, read once for every target.
    let topics = tracker.op.topics.clone();
    let src_clients = mgr.clients(src)?;
    let src_meta = kt::metadata(&src_clients, None).await?;
    let source = compare::shapes(&src_clients, &src_meta, &topics).await?;

    let mut steps = Steps {
        done: 0,
        total: targets.len() * topics.len(),
    };
    for (index, target) in targets.iter().enumerate() {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let before = steps.done;
        if let Err(e) = replicate_to(mgr, tracker, &mut steps, index, target, &source, cancel).await
        {
            tracing::warn!(operation = %tracker.op.id, target = %target.name, error = %e, "replication to a target failed");
            if let Some(r) = target_mut(&mut tracker.op, index) {
                r.error = if r.error.is_empty() {
                    e.to_string()
                } else {
                    format!("{}; {e}", r.error)
                };
            }
            // Its remaining topics are done with.
            let left = topics.len() - (steps.done - before);
            steps.advance(tracker, left);
        }
        tracker.tick().await?;
    }
    Ok(())
}

/// Handles every topic on one target. Errors of single topics are recorded in the target's
/// result (and the next topic is handled); an error that stops the whole target is returned.
async fn replicate_to(
    mgr: &Arc<OperationManager>,
    tracker: &mut Tracker,
    steps: &mut Steps,
    index: usize,
    target: &Cluster,
    source: &BTreeMap<String, TopicShape>,
    cancel: &CancellationToken,
) -> Result<()> {
    let clients = mgr.clients(target)?;
    let existing = kt::metadata(&clients, None).await?;
    let present: Vec<String> = source
        .keys()
        .filter(|t| existing.iter().any(|e| e.name == **t))
        .cloned()
        .collect();
    let there = compare::shapes(&clients, &existing, &present).await?;
    let broker_count = i32::try_from(brokers::ids(&clients).await?.len()).unwrap_or(i32::MAX);
    let default_partitions = target
        .kafka_config
        .as_ref()
        .and_then(|k| k.num_partitions)
        .unwrap_or(-1);
    let preserve_partitions = tracker.op.preserve_partitions;
    let mut errors = Vec::new();

    for (topic, shape) in source {
        if cancel.is_cancelled() {
            return Ok(());
        }
        match there.get(topic) {
            Some(theirs) => {
                let diff = compare::topic_difference(topic, shape, theirs, preserve_partitions);
                if let Some(r) = target_mut(&mut tracker.op, index) {
                    match diff {
                        Some(d) => r.conflicts.push(d),
                        None => r.topics_matching.push(topic.clone()),
                    }
                }
            }
            None if tracker.op.dry_run => {
                if let Some(r) = target_mut(&mut tracker.op, index) {
                    r.topics_created.push(topic.clone());
                }
            }
            None => {
                let partitions = if preserve_partitions {
                    shape.partitions
                } else {
                    default_partitions
                };
                let created =
                    target_topic::target_topic(topic, shape, partitions, broker_count, false);
                match kt::create(&clients, &created.spec).await {
                    Ok(()) => {
                        tracing::info!(operation = %tracker.op.id, target = %target.name, topic, "topic replicated");
                        if let Some(r) = target_mut(&mut tracker.op, index) {
                            r.topics_created.push(topic.clone());
                        }
                    }
                    Err(e) => errors.push(format!("creating topic '{topic}': {e}")),
                }
            }
        }
        if let Some(r) = target_mut(&mut tracker.op, index) {
            r.error = errors.join("; ");
        }
        steps.advance(tracker, 1);
        tracker.tick().await?;
    }
    Ok(())
}
