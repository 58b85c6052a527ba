//! Migrating data between clusters: plan, create missing topics, copy every partition's
//! records (keys, values, headers, partition, timestamps) through an idempotent producer,
//! checkpoint as it goes, translate consumer-group offsets exactly, and verify the copy.
//!
//! Exactness rests on three facts: the target topics are empty when the copy starts (a
//! topic with data is a conflict), the producer is idempotent (no duplicates on retries,
//! order kept per partition, so delivery reports of a partition arrive in the order sent),
//! and every delivery report says where the record landed. The checkpoint per partition is
//! (next source offset, next target offset, checksum so far, offset runs). After a crash the
//! target may hold records delivered after the last checkpoint: their count is the target's
//! high watermark minus the checkpointed target offset, and they are the next records of the
//! source in order, so the copy resumes by reading the source from the checkpoint and
//! skipping exactly that many (folding them into the checksum), without writing them again.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kafka::copy::{self, CopyRecord, CopyWriter, Range};
use crate::kafka::pool::Clients;
use crate::kafka::produce::{OutRecord, delivery_channel};
use crate::kafka::{brokers, consume, groups, topics as kt};
use crate::pb::{
    Cluster, GroupPartitionOffset, GroupTranslation, MigrateDataRequest, MigrationResult,
    OffsetRun, Operation, OperationProgress, OperationStatus, OperationType, PartitionProgress,
    PartitionVerification, TopicPlan, operation,
};

use super::super::time;
use super::compare::{self, TopicShape};
use super::target_topic::{self, TargetTopic};
use super::{OperationManager, Tracker, checksum};

/// Records per batch handed from the reader to the writer.
const BATCH: usize = 2000;
/// Records sent and not yet reported, at most.
const MAX_IN_FLIGHT: usize = 200_000;
/// Records read from each partition to estimate its bytes in a plan.
const SAMPLE: i64 = 100;

/// The plan of one topic.
struct Planned {
    topic: String,
    /// (partition, low, high) on the source when planned.
    partitions: Vec<(i32, i64, i64)>,
    /// Where each partition's copy starts on the target: its high watermark (with the
    /// partition empty), 0 for a topic still to create.
    target_starts: HashMap<i32, i64>,
    create: bool,
    replication_factor: i32,
    notes: Vec<String>,
    conflict: Option<String>,
    bytes_estimate: i64,
}

fn src_dst(op: &Operation) -> Result<(String, String)> {
    match op.target_cluster_ids.first() {
        Some(t) => Ok((op.source_cluster_id.clone(), t.clone())),
        None => Err(Error::internal("migration without a target")),
    }
}

/// Validates the request, plans, and either answers the plan (dry run) or starts the copy.
pub async fn start(
    mgr: &Arc<OperationManager>,
    req: MigrateDataRequest,
    created_by: String,
) -> Result<Operation> {
    let (src, targets) = mgr
        .check_clusters(
            ("source_cluster_id", "target_cluster_id"),
            &req.source_cluster_id,
            std::slice::from_ref(&req.target_cluster_id),
        )
        .await?;
    let dst = targets
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("no target"))?;
    let preserve_partitions = req.preserve_partitions.unwrap_or(true);
    for t in &req.topics {
        if t.is_empty() {
            return Err(Error::invalid("topics", "topic names must not be empty"));
        }
    }
    let src_clients = mgr.clients(&src)?;
    let dst_clients = mgr.clients(&dst)?;
    let preserve_timestamps = req.preserve_timestamps.unwrap_or(true);
    let plan = plan(
        &src_clients,
        &dst_clients,
        &req.topics,
        preserve_timestamps,
        req.dry_run,
    )
    .await?;
    let groups = if req.include_consumer_groups {
        groups_on(&src_clients, &plan).await?
    } else {
        Vec::new()
    };
    let now = time::now();
    let mut op = Operation {
        id: uuid::Uuid::now_v7().to_string(),
        operation_type: OperationType::Migrate as i32,
        source_cluster_id: src.id.clone(),
        target_cluster_ids: vec![dst.id.clone()],
        topics: plan.iter().map(|p| p.topic.clone()).collect(),
        include_data: true,
        preserve_partitions,
        include_consumer_groups: req.include_consumer_groups,
        preserve_timestamps,
        dry_run: req.dry_run,
        status: OperationStatus::Pending as i32,
        created_at: Some(now),
        created_by,
        progress: Some(OperationProgress {
            partitions: plan
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(|(p, low, high)| {
                        let target_start = t.target_starts.get(p).copied().unwrap_or(0);
                        PartitionProgress {
                            topic: t.topic.clone(),
                            partition: *p,
                            messages_total: (high - low).max(0),
                            next_offset: *low,
                            end_offset: *high,
                            target_start_offset: target_start,
                            target_next_offset: target_start,
                            checksum: checksum::to_hex(checksum::EMPTY),
                            ..Default::default()
                        }
                    })
                })
                .collect(),
            ..Default::default()
        }),
        results: Some(operation::Results::Migration(MigrationResult {
            topics: plan
                .iter()
                .map(|t| TopicPlan {
                    topic: t.topic.clone(),
                    partitions: i32::try_from(t.partitions.len()).unwrap_or(i32::MAX),
                    messages: t.partitions.iter().map(|(_, l, h)| (h - l).max(0)).sum(),
                    bytes: t.bytes_estimate,
                    create: t.create,
                    replication_factor: t.replication_factor,
                    notes: t.notes.clone(),
                })
                .collect(),
            topics_created: Vec::new(),
            consumer_groups: groups
                .iter()
                .map(|g| GroupTranslation {
                    group_id: g.clone(),
                    offsets: Vec::new(),
                })
                .collect(),
            conflicts: plan.iter().filter_map(|t| t.conflict.clone()).collect(),
            verified: false,
            verification: Vec::new(),
        })),
        ..Default::default()
    };
    if let Some(p) = op.progress.as_mut() {
        p.messages_total = p.partitions.iter().map(|x| x.messages_total).sum();
    }

    if req.dry_run {
        op.status = OperationStatus::Succeeded as i32;
        op.started_at = Some(now);
        op.completed_at = Some(time::now());
        op.progress_percent = 100.0;
        mgr.registry.insert_operation(&op).await?;
        return Ok(op);
    }
    let conflicts = migration(&op)
        .map(|m| m.conflicts.clone())
        .unwrap_or_default();
    if !conflicts.is_empty() {
        return Err(Error::precondition(
            "MIGRATION_CONFLICT",
            format!(
                "the target cannot take the copy as it is: {} (a dry run shows the whole plan)",
                conflicts.join("; ")
            ),
        ));
    }
    let cancel = mgr.claim(
        &op.id,
        op.topics
            .iter()
            .map(|t| (dst.id.clone(), t.clone()))
            .collect(),
    )?;
    if let Err(e) = mgr.registry.insert_operation(&op).await {
        mgr.release(&op.id);
        return Err(e);
    }
    tracing::info!(operation = %op.id, source = %src.name, target = %dst.name, topics = ?op.topics, "migration started");
    spawn(mgr, op.clone(), src, dst, cancel);
    Ok(op)
}

/// Picks up a migration a previous lkm left running.
pub async fn resume(mgr: &Arc<OperationManager>, op: Operation) -> Result<()> {
    let (src_id, dst_id) = src_dst(&op)?;
    let src = mgr.clusters.running(&src_id).await?;
    let dst = mgr.clusters.running(&dst_id).await?;
    let cancel = mgr.claim(
        &op.id,
        op.topics
            .iter()
            .map(|t| (dst.id.clone(), t.clone()))
            .collect(),
    )?;
    spawn(mgr, op, src, dst, cancel);
    Ok(())
}

fn spawn(
    mgr: &Arc<OperationManager>,
    op: Operation,
    src: Cluster,
    dst: Cluster,
    cancel: tokio_util::sync::CancellationToken,
) {
    let mgr = mgr.clone();
    tokio::spawn(async move {
        let id = op.id.clone();
        let mut tracker = Tracker::new(mgr.clone(), op);
        let outcome = run(&mgr, &mut tracker, &src, &dst, &cancel).await;
        if mgr.stopping() {
            // The server stops: leave the operation as its last checkpoint has it.
            tracing::info!(operation = %id, "migration interrupted by shutdown; it resumes on the next start");
            mgr.release(&id);
            return;
        }
        let (status, error) = match outcome {
            Ok(()) if cancel.is_cancelled() => (
                OperationStatus::Cancelled,
                "cancelled on request".to_string(),
            ),
            Ok(()) => (OperationStatus::Succeeded, String::new()),
            Err(e) => (OperationStatus::Failed, e.to_string()),
        };
        if let Err(e) = tracker.finish(status, &error).await {
            tracing::error!(operation = %id, error = %e, "cannot record the end of the operation");
        }
        mgr.release(&id);
    });
}

fn migration(op: &Operation) -> Option<&MigrationResult> {
    match &op.results {
        Some(operation::Results::Migration(m)) => Some(m),
        _ => None,
    }
}

fn migration_mut(op: &mut Operation) -> &mut MigrationResult {
    if !matches!(op.results, Some(operation::Results::Migration(_))) {
        op.results = Some(operation::Results::Migration(MigrationResult::default()));
    }
    match &mut op.results {
        Some(operation::Results::Migration(m)) => m,
        // Set just above.
        _ => unreachable!("migration results are set"),
    }
}

/// What to copy, and what stands in the way.
async fn plan(
    src: &Arc<Clients>,
    dst: &Arc<Clients>,
    wanted: &[String],
    preserve_timestamps: bool,
    estimate_bytes: bool,
) -> Result<Vec<Planned>> {
    let source_topics = kt::metadata(src, None).await?;
    let mut chosen: Vec<&kt::TopicMeta> = if wanted.is_empty() {
        source_topics
            .iter()
            .filter(|t| !kt::is_internal(&t.name))
            .collect()
    } else {
        let mut v = Vec::new();
        for w in wanted {
            match source_topics.iter().find(|t| t.name == *w) {
                Some(t) => v.push(t),
                None => return Err(Error::TopicNotFound(w.clone())),
            }
        }
        v
    };
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    chosen.dedup_by(|a, b| a.name == b.name);
    let marks = kt::watermarks(
        src,
        chosen
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
            .collect(),
    )
    .await?;
    let target_topics = kt::metadata(dst, None).await?;
    let target_marks = kt::watermarks(
        dst,
        target_topics
            .iter()
            .filter(|t| chosen.iter().any(|c| c.name == t.name))
            .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
            .collect(),
    )
    .await?;

    let names: Vec<String> = chosen.iter().map(|t| t.name.clone()).collect();
    let source_metadata: Vec<kt::TopicMeta> = chosen.iter().map(|t| (*t).clone()).collect();
    let source_shapes = compare::shapes(src, &source_metadata, &names).await?;
    let present: Vec<String> = target_topics
        .iter()
        .filter(|t| names.contains(&t.name))
        .map(|t| t.name.clone())
        .collect();
    let target_shapes = compare::shapes(dst, &target_topics, &present).await?;
    let target_brokers = i32::try_from(brokers::ids(dst).await?.len()).unwrap_or(i32::MAX);

    let mut out = Vec::new();
    for t in chosen {
        let mut partitions = Vec::new();
        for p in &t.partitions {
            let (low, high) = marks.get(&(t.name.clone(), p.id)).copied().ok_or_else(|| {
                Error::Unavailable(format!(
                    "cannot read the offsets of partition {} of '{}' on the source",
                    p.id, t.name
                ))
            })?;
            partitions.push((p.id, low, high));
        }
        partitions.sort_unstable();
        let existing = target_topics.iter().find(|x| x.name == t.name);
        let conflict = existing.and_then(|x| {
            if x.partitions.len() < t.partitions.len() {
                return Some(format!(
                    "topic '{}' has {} partition(s) on the target and {} on the source",
                    t.name,
                    x.partitions.len(),
                    t.partitions.len()
                ));
            }
            let records: i64 = x
                .partitions
                .iter()
                .filter_map(|p| target_marks.get(&(x.name.clone(), p.id)))
                .map(|(l, h)| (h - l).max(0))
                .sum();
            (records > 0).then(|| {
                format!(
                    "topic '{}' already has {records} record(s) on the target; copying would mix them with the source's",
                    t.name
                )
            })
        });
        let bytes_estimate = if estimate_bytes {
            estimate(src, &t.name, &partitions).await.unwrap_or(0)
        } else {
            0
        };
        let (replication_factor, notes) = match target_shapes.get(&t.name) {
            Some(theirs) => (
                theirs.replication_factor,
                target_topic::existing_target_note(theirs, preserve_timestamps)
                    .into_iter()
                    .collect(),
            ),
            None => {
                let source = source_shapes.get(&t.name).cloned().unwrap_or_default();
                let created = target_topic::target_topic(
                    &t.name,
                    &source,
                    source.partitions,
                    target_brokers,
                    true,
                );
                (created.spec.replication_factor, created.notes)
            }
        };
        let mut target_starts = HashMap::new();
        for p in existing.map_or(&[][..], |x| x.partitions.as_slice()) {
            // Without it, the records this migration writes could not be told apart.
            let (_, high) = target_marks.get(&(t.name.clone(), p.id)).ok_or_else(|| {
                Error::Unavailable(format!(
                    "cannot read the offsets of partition {} of '{}' on the target",
                    p.id, t.name
                ))
            })?;
            target_starts.insert(p.id, *high);
        }
        out.push(Planned {
            topic: t.name.clone(),
            partitions,
            target_starts,
            create: existing.is_none(),
            replication_factor,
            notes,
            conflict,
            bytes_estimate,
        });
    }
    Ok(out)
}

/// Bytes of a topic's records, estimated from the first records of each partition.
async fn estimate(src: &Arc<Clients>, topic: &str, partitions: &[(i32, i64, i64)]) -> Result<i64> {
    let ranges: Vec<Range> = partitions
        .iter()
        .map(|(p, low, high)| Range {
            partition: *p,
            start: *low,
            end: (*low + SAMPLE).min(*high),
        })
        .collect();
    let mut reader = copy::read_ranges(src, topic, &ranges, 1000)?;
    let (mut n, mut bytes) = (0i64, 0i64);
    while let Some(batch) = reader.batches.recv().await {
        for r in batch? {
            n += 1;
            bytes += record_bytes(&r) as i64;
        }
    }
    let total: i64 = partitions.iter().map(|(_, l, h)| (h - l).max(0)).sum();
    Ok(if n == 0 { 0 } else { bytes * total / n })
}

fn record_bytes(r: &CopyRecord) -> usize {
    r.key.as_ref().map_or(0, Vec::len)
        + r.value.as_ref().map_or(0, Vec::len)
        + r.headers
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
}

/// Source groups with committed offsets on the planned topics.
async fn groups_on(src: &Arc<Clients>, plan: &[Planned]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for g in groups::list(src).await? {
        let committed = groups::committed(src, &g.group_id).await?;
        if committed
            .iter()
            .any(|(t, _, _)| plan.iter().any(|p| p.topic == *t))
        {
            out.push(g.group_id);
        }
    }
    out.sort();
    Ok(out)
}

/// One partition's copy state while the copy runs.
struct Lane {
    /// Index into the operation's PartitionProgress list.
    slot: usize,
    /// Source records sent and not yet reported: (source offset, record hash, bytes).
    in_flight: VecDeque<(i64, u64, i64)>,
    /// Records already on the target from before a restart, still to be skipped.
    skip: i64,
    chain: u64,
}

/// The copy itself; returns when done, cancelled or failed.
async fn run(
    mgr: &Arc<OperationManager>,
    tracker: &mut Tracker,
    src: &Cluster,
    dst: &Cluster,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<()> {
    tracker.op.status = OperationStatus::Running as i32;
    if tracker.op.started_at.is_none() {
        tracker.op.started_at = Some(time::now());
    }
    tracker.checkpoint().await?;
    let src_clients = mgr.clients(src)?;
    let dst_clients = mgr.clients(dst)?;

    // Topics missing on the target, created like the source's.
    let plan_topics: Vec<TopicPlan> = migration(&tracker.op)
        .map(|m| m.topics.clone())
        .unwrap_or_default();
    let targets = target_topics(&src_clients, &dst_clients, &tracker.op, &plan_topics).await?;
    let existing: Vec<String> = kt::metadata(&dst_clients, None)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    for t in &plan_topics {
        let already_created =
            migration(&tracker.op).is_some_and(|m| m.topics_created.contains(&t.topic));
        if !t.create || already_created {
            continue;
        }
        if existing.contains(&t.topic) {
            // Created by this migration before a crash (nothing is written before it is
            // recorded), or by someone else since the plan: either way it must be empty.
            adopt_empty(&dst_clients, tracker, &t.topic).await?;
        } else {
            let Some(target) = targets.get(&t.topic) else {
                continue;
            };
            kt::create(&dst_clients, &target.spec).await?;
            kt::await_visible(&dst_clients, &t.topic, 1).await?;
            let created = kt::topic_metadata(&dst_clients, &t.topic).await?;
            if (created.partitions.len() as i32) < t.partitions {
                return Err(Error::CrossClusterOperation(format!(
                    "topic '{}' was created on the target with {} partition(s), fewer than the source's {}; migrate with preserve_partitions",
                    t.topic,
                    created.partitions.len(),
                    t.partitions
                )));
            }
        }
        migration_mut(&mut tracker.op)
            .topics_created
            .push(t.topic.clone());
    }
    tracker.checkpoint().await?;

    for t in &plan_topics {
        if cancel.is_cancelled() {
            return Ok(());
        }
        copy_topic(&src_clients, &dst_clients, tracker, &t.topic, cancel).await?;
    }
    if cancel.is_cancelled() {
        return Ok(());
    }
    // Configs that would have changed the records while they were copied (idempotent: a
    // resumed migration sets them again).
    let created: Vec<String> = migration(&tracker.op)
        .map(|m| m.topics_created.clone())
        .unwrap_or_default();
    for topic in created {
        if let Some(target) = targets.get(&topic)
            && !target.after_copy.is_empty()
        {
            kt::alter_configs(&dst_clients, &topic, target.after_copy.clone(), Vec::new()).await?;
        }
    }
    if tracker.op.include_consumer_groups {
        translate_groups(&src_clients, &dst_clients, tracker).await?;
        tracker.checkpoint().await?;
    }
    verify(&dst_clients, tracker, cancel).await
}

/// How each planned topic is created on the target, from the source topics as they are now.
async fn target_topics(
    src: &Arc<Clients>,
    dst: &Arc<Clients>,
    op: &Operation,
    plan: &[TopicPlan],
) -> Result<HashMap<String, TargetTopic>> {
    let names: Vec<String> = plan.iter().map(|t| t.topic.clone()).collect();
    let metadata = kt::metadata(src, None).await?;
    let shapes = compare::shapes(src, &metadata, &names).await?;
    let target_brokers = i32::try_from(brokers::ids(dst).await?.len()).unwrap_or(i32::MAX);
    Ok(plan
        .iter()
        .map(|t| {
            let source = shapes.get(&t.topic).cloned().unwrap_or_else(|| TopicShape {
                partitions: t.partitions,
                replication_factor: t.replication_factor,
                configs: Default::default(),
            });
            // Records keep their partition, so the target needs at least the source's
            // partitions; without preserve_partitions the target's default count is used
            // when it is enough.
            let partitions = if op.preserve_partitions {
                t.partitions
            } else {
                -1
            };
            let target =
                target_topic::target_topic(&t.topic, &source, partitions, target_brokers, true);
            (t.topic.clone(), target)
        })
        .collect())
}

/// Takes a planned topic that already exists on the target as this migration's own, if
/// every partition is empty and starts where the plan expects.
async fn adopt_empty(dst: &Arc<Clients>, tracker: &Tracker, topic: &str) -> Result<()> {
    let meta = kt::topic_metadata(dst, topic).await?;
    let marks = kt::watermarks(
        dst,
        meta.partitions
            .iter()
            .map(|p| (topic.to_string(), p.id))
            .collect(),
    )
    .await?;
    for p in progress(&tracker.op).iter().filter(|p| p.topic == topic) {
        let high = marks.get(&(topic.to_string(), p.partition)).map(|m| m.1);
        if high != Some(p.target_start_offset) {
            return Err(Error::CrossClusterOperation(format!(
                "topic '{topic}' appeared on the target after the migration was planned and partition {} holds records that are not this migration's; nothing was written to it",
                p.partition
            )));
        }
    }
    Ok(())
}

/// Copies the planned ranges of one topic.
async fn copy_topic(
    src: &Arc<Clients>,
    dst: &Arc<Clients>,
    tracker: &mut Tracker,
    topic: &str,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<()> {
    let preserve_timestamps = tracker.op.preserve_timestamps;
    let slots: Vec<usize> = progress(&tracker.op)
        .iter()
        .enumerate()
        .filter(|(_, p)| p.topic == topic && !p.done)
        .map(|(i, _)| i)
        .collect();
    if slots.is_empty() {
        return Ok(());
    }
    // Records a previous run delivered after its last checkpoint.
    let partitions: Vec<(String, i32)> = slots
        .iter()
        .map(|s| (topic.to_string(), progress(&tracker.op)[*s].partition))
        .collect();
    let target_marks = kt::watermarks(dst, partitions).await?;
    let mut lanes: HashMap<i32, Lane> = HashMap::new();
    let mut ranges = Vec::new();
    for s in &slots {
        let p = progress(&tracker.op)[*s].clone();
        // Without the target's high mark the records already delivered cannot be told
        // apart: stop (the migration resumes from its checkpoint) rather than guess.
        let (_, target_high) = target_marks
            .get(&(topic.to_string(), p.partition))
            .copied()
            .ok_or_else(|| {
                Error::Unavailable(format!(
                    "cannot read the offsets of partition {} of '{topic}' on the target (no leader?)",
                    p.partition
                ))
            })?;
        // The target holds this migration's records from its recorded start on; those past
        // the checkpoint were delivered after it (before a crash) and are the next source
        // records in order.
        if target_high < p.target_next_offset {
            return Err(Error::CrossClusterOperation(format!(
                "partition {} of '{topic}' on the target ends at offset {target_high}, before the {} record(s) this migration wrote (up to offset {}): the target lost records",
                p.partition,
                p.target_next_offset - p.target_start_offset,
                p.target_next_offset
            )));
        }
        let skip = target_high - p.target_next_offset;
        lanes.insert(
            p.partition,
            Lane {
                slot: *s,
                in_flight: VecDeque::new(),
                skip,
                chain: checksum::from_hex(&p.checksum),
            },
        );
        ranges.push(Range {
            partition: p.partition,
            start: p.next_offset,
            end: p.end_offset,
        });
    }
    let mut reader = Some(copy::read_ranges(src, topic, &ranges, BATCH)?);
    let writer = CopyWriter::new(dst)?;
    let sender = writer.sender(topic);
    let (reply, mut reports) = delivery_channel();
    let mut in_flight = 0usize;
    let mut reading = true;
    let mut failure: Option<Error> = None;
    loop {
        if !reading && in_flight == 0 {
            break;
        }
        tokio::select! {
            biased;
            () = cancel.cancelled(), if reading => {
                // Stop reading; what is in flight is still delivered and booked.
                reading = false;
                reader = None;
            }
            Some((index, outcome)) = reports.recv(), if in_flight > 0 => {
                in_flight -= 1;
                let partition = (index >> 40) as i32;
                match outcome {
                    Ok((_, target_offset)) => {
                        if let Some(lane) = lanes.get_mut(&partition) {
                            delivered(&mut tracker.op, lane, target_offset);
                        }
                    }
                    Err(e) => {
                        if failure.is_none() {
                            failure = Some(Error::CrossClusterOperation(format!(
                                "writing partition {partition} of '{topic}' to the target failed: {e}"
                            )));
                        }
                        reading = false;
                    }
                }
                if !tracker.mgr.stopping() {
                    tracker.tick().await?;
                }
            }
            batch = next_batch(&mut reader), if reading && in_flight < MAX_IN_FLIGHT => {
                match batch {
                    None => reading = false,
                    Some(Err(e)) => {
                        failure = Some(e);
                        reading = false;
                    }
                    Some(Ok(batch)) => {
                        for r in batch {
                            let Some(lane) = lanes.get_mut(&r.partition) else { continue };
                            let hash = checksum::record(r.key.as_deref(), r.value.as_deref(), &r.headers);
                            let bytes = record_bytes(&r) as i64;
                            if lane.skip > 0 {
                                // Already on the target (delivered before a restart).
                                lane.skip -= 1;
                                lane.in_flight.push_back((r.offset, hash, bytes));
                                let target = progress(&tracker.op)[lane.slot].target_next_offset;
                                delivered(&mut tracker.op, lane, target);
                                continue;
                            }
                            lane.in_flight.push_back((r.offset, hash, bytes));
                            let seq = ((r.partition as u64) << 40) | (r.offset as u64 & ((1 << 40) - 1));
                            let out = OutRecord {
                                key: r.key,
                                value: r.value,
                                headers: r.headers,
                                partition: Some(r.partition),
                                timestamp_ms: if preserve_timestamps { r.timestamp_ms } else { None },
                            };
                            sender.enqueue(seq, &out, &reply).await;
                            in_flight += 1;
                        }
                        if !tracker.mgr.stopping() {
                            tracker.tick().await?;
                        }
                    }
                }
            }
        }
    }
    drop(reader);
    if tracker.mgr.stopping() {
        // Like a crash: no checkpoint past the last periodic one.
        return Ok(());
    }
    // Every lane whose range was read completely is done.
    if failure.is_none() && !cancel.is_cancelled() {
        for lane in lanes.values() {
            let p = &mut progress_mut(&mut tracker.op)[lane.slot];
            if p.next_offset >= p.end_offset || p.messages_copied >= p.messages_total {
                p.done = true;
            }
        }
    }
    tracker.checkpoint().await?;
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

async fn next_batch(reader: &mut Option<copy::RangeReader>) -> Option<Result<copy::Batch>> {
    match reader {
        Some(r) => r.batches.recv().await,
        None => std::future::pending().await,
    }
}

/// Books one delivered record of `lane`: it landed at `target_offset`.
fn delivered(op: &mut Operation, lane: &mut Lane, target_offset: i64) {
    let Some((source_offset, hash, bytes)) = lane.in_flight.pop_front() else {
        return;
    };
    lane.chain = checksum::chain(lane.chain, hash);
    let p = &mut progress_mut(op)[lane.slot];
    p.messages_copied += 1;
    p.bytes_copied += bytes;
    p.next_offset = source_offset + 1;
    p.target_next_offset = target_offset + 1;
    p.checksum = checksum::to_hex(lane.chain);
    match p.offset_runs.last_mut() {
        Some(run)
            if run.source_start + run.length == source_offset
                && run.target_start + run.length == target_offset =>
        {
            run.length += 1;
        }
        _ => p.offset_runs.push(OffsetRun {
            source_start: source_offset,
            target_start: target_offset,
            length: 1,
        }),
    }
}

fn progress(op: &Operation) -> &[PartitionProgress] {
    op.progress
        .as_ref()
        .map_or(&[], |p| p.partitions.as_slice())
}

fn progress_mut(op: &mut Operation) -> &mut Vec<PartitionProgress> {
    &mut op.progress.get_or_insert_with(Default::default).partitions
}

/// Where a source offset (a committed "next record to read") lands on the target: the target
/// offset of the first copied record at or after it.
pub fn translate(p: &PartitionProgress, source_offset: i64) -> i64 {
    for run in &p.offset_runs {
        if source_offset < run.source_start {
            return run.target_start;
        }
        if source_offset < run.source_start + run.length {
            return run.target_start + (source_offset - run.source_start);
        }
    }
    p.target_next_offset
}

/// Commits, for every source group with offsets on the copied topics, the translated offsets
/// on the target.
async fn translate_groups(
    src: &Arc<Clients>,
    dst: &Arc<Clients>,
    tracker: &mut Tracker,
) -> Result<()> {
    let groups: Vec<String> = migration(&tracker.op)
        .map(|m| {
            m.consumer_groups
                .iter()
                .map(|g| g.group_id.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut done = Vec::new();
    for group in groups {
        let committed = groups::committed(src, &group).await?;
        let mut offsets = Vec::new();
        let mut commit = Vec::new();
        for (topic, partition, offset) in committed {
            let Some(p) = progress(&tracker.op)
                .iter()
                .find(|p| p.topic == topic && p.partition == partition)
            else {
                continue;
            };
            let target = translate(p, offset);
            offsets.push(GroupPartitionOffset {
                topic: topic.clone(),
                partition,
                source_offset: offset,
                target_offset: target,
            });
            commit.push((topic, partition, target));
        }
        consume::commit_offsets(dst, &group, commit).await?;
        offsets.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        done.push(GroupTranslation {
            group_id: group,
            offsets,
        });
    }
    migration_mut(&mut tracker.op).consumer_groups = done;
    Ok(())
}

/// Reads back every record of each target partition, from where the copy started to its
/// high watermark now, and compares count and checksum with the source records copied: a
/// duplicate, a loss or a stranger's record fails it.
async fn verify(
    dst: &Arc<Clients>,
    tracker: &mut Tracker,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<()> {
    let mut by_topic: BTreeMap<String, Vec<PartitionProgress>> = BTreeMap::new();
    for p in progress(&tracker.op) {
        by_topic.entry(p.topic.clone()).or_default().push(p.clone());
    }
    let mut results = Vec::new();
    for (topic, parts) in by_topic {
        let marks = kt::watermarks(
            dst,
            parts.iter().map(|p| (topic.clone(), p.partition)).collect(),
        )
        .await?;
        let mut ranges = Vec::new();
        for p in &parts {
            let (low, high) = marks
                .get(&(topic.clone(), p.partition))
                .copied()
                .ok_or_else(|| {
                    Error::Unavailable(format!(
                        "cannot read the offsets of partition {} of '{topic}' on the target to verify it",
                        p.partition
                    ))
                })?;
            ranges.push(Range {
                partition: p.partition,
                // Records gone below the low watermark count as missing.
                start: p.target_start_offset.max(low),
                end: high,
            });
        }
        let mut counts: HashMap<i32, (i64, u64)> = HashMap::new();
        let mut reader = copy::read_ranges(dst, &topic, &ranges, BATCH)?;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return Ok(()),
                batch = reader.batches.recv() => match batch {
                    None => break,
                    Some(batch) => {
                        for r in batch? {
                            let e = counts.entry(r.partition).or_insert((0, checksum::EMPTY));
                            e.0 += 1;
                            e.1 = checksum::chain(
                                e.1,
                                checksum::record(r.key.as_deref(), r.value.as_deref(), &r.headers),
                            );
                        }
                    }
                },
            }
        }
        for p in parts {
            let (count, chain) = counts
                .get(&p.partition)
                .copied()
                .unwrap_or((0, checksum::EMPTY));
            let target_checksum = checksum::to_hex(chain);
            results.push(PartitionVerification {
                topic: topic.clone(),
                partition: p.partition,
                source_count: p.messages_copied,
                target_count: count,
                matched: count == p.messages_copied && target_checksum == p.checksum,
                source_checksum: p.checksum.clone(),
                target_checksum,
            });
        }
    }
    let mismatched: Vec<String> = results
        .iter()
        .filter(|v| !v.matched)
        .map(|v| {
            format!(
                "{}[{}]: {} copied, {} on the target",
                v.topic, v.partition, v.source_count, v.target_count
            )
        })
        .collect();
    let m = migration_mut(&mut tracker.op);
    m.verification = results;
    m.verified = mismatched.is_empty();
    if mismatched.is_empty() {
        Ok(())
    } else {
        Err(Error::CrossClusterOperation(format!(
            "verification failed: the target differs from what was copied in {}",
            mismatched.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_translate_through_runs() {
        let p = PartitionProgress {
            offset_runs: vec![
                OffsetRun {
                    source_start: 10,
                    target_start: 0,
                    length: 5,
                },
                // Source offsets 15..20 were compacted away.
                OffsetRun {
                    source_start: 20,
                    target_start: 5,
                    length: 3,
                },
            ],
            target_next_offset: 8,
            ..Default::default()
        };
        assert_eq!(translate(&p, 0), 0, "before the copied range");
        assert_eq!(translate(&p, 10), 0);
        assert_eq!(translate(&p, 13), 3);
        assert_eq!(translate(&p, 16), 5, "inside a gap: the next copied record");
        assert_eq!(translate(&p, 21), 6);
        assert_eq!(translate(&p, 23), 8, "past the end: the end");
        assert_eq!(translate(&p, 99), 8);
    }
}
