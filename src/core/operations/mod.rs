//! Operations: durable records of long cross-cluster work (migrate, replicate), the tasks that
//! run them, and the hub that streams their changes to watchers. Progress is checkpointed in
//! the registry about once a second and sent to watchers at most ten times a second.

mod checksum;
mod compare;
mod migrate;
mod replicate;
mod target_topic;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::kafka::pool::{Clients, KafkaPool};
use crate::pb::{Cluster, Operation, OperationStatus, OperationType};
use crate::registry::Registry;

use super::clusters::{self, ClusterManager};
use super::pagination::{self, Page};
use super::time;

/// How often watchers hear of progress, at most.
const NOTIFY_EVERY: Duration = Duration::from_millis(100);

/// An operation running in this process.
struct RunningOp {
    cancel: CancellationToken,
    /// (target cluster id, topic) pairs it writes to; no other operation may take them.
    targets: Vec<(String, String)>,
}

pub fn is_final(status: OperationStatus) -> bool {
    matches!(
        status,
        OperationStatus::Succeeded | OperationStatus::Failed | OperationStatus::Cancelled
    )
}

/// Filters of an operation listing.
#[derive(Clone, Debug, Default)]
pub struct OperationFilter {
    pub status: i32,
    pub operation_type: i32,
    pub cluster: String,
    /// Only operations on clusters this caller may view.
    pub viewer: Option<super::access::Principal>,
}

pub struct OperationManager {
    registry: Registry,
    clusters: Arc<ClusterManager>,
    pool: Arc<KafkaPool>,
    /// Latest state of every operation that has watchers or runs in this process.
    live: Mutex<HashMap<String, watch::Sender<Operation>>>,
    running: Mutex<HashMap<String, RunningOp>>,
    /// Set when the server stops: running operations end where they are, without a final
    /// state, and resume from their checkpoint on the next start.
    stopping: std::sync::atomic::AtomicBool,
    /// Operations that may run at once (0: no limit).
    max_running: usize,
    /// How often progress is checkpointed in the registry.
    checkpoint_every: Duration,
}

impl OperationManager {
    pub fn new(
        registry: Registry,
        clusters: Arc<ClusterManager>,
        pool: Arc<KafkaPool>,
        max_running: usize,
        checkpoint_every: Duration,
    ) -> Self {
        OperationManager {
            registry,
            clusters,
            pool,
            live: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
            stopping: std::sync::atomic::AtomicBool::new(false),
            max_running,
            checkpoint_every,
        }
    }

    /// Whether the server is stopping (running operations then stop without a final state).
    fn stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops every running operation where it is, as a crash would (their last checkpoint
    /// stays; the next start resumes them), and waits for them to let go.
    pub async fn shutdown(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let tokens: Vec<CancellationToken> = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|r| r.cancel.clone())
            .collect();
        for t in &tokens {
            t.cancel();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The pooled clients of a usable cluster.
    fn clients(&self, c: &Cluster) -> Result<Arc<Clients>> {
        self.pool.get(&c.id, &clusters::bootstrap_servers(c))
    }

    /// Reserves `targets` for operation `id`: refused while another running operation
    /// writes to one of them.
    fn claim(&self, id: &str, targets: Vec<(String, String)>) -> Result<CancellationToken> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if self.max_running > 0 && running.len() >= self.max_running {
            return Err(Error::ResourceExhausted {
                reason: "TOO_MANY_OPERATIONS",
                message: format!(
                    "{} operations are running, the configured maximum (max_running_operations); wait for one to finish",
                    running.len()
                ),
            });
        }
        for (other, r) in running.iter() {
            if let Some((_, topic)) = r.targets.iter().find(|t| targets.contains(t)) {
                return Err(Error::precondition(
                    "TARGET_TOPIC_BUSY",
                    format!(
                        "operation {other} is already writing to topic '{topic}' of the target cluster; wait for it or cancel it"
                    ),
                ));
            }
        }
        let cancel = CancellationToken::new();
        running.insert(
            id.to_string(),
            RunningOp {
                cancel: cancel.clone(),
                targets,
            },
        );
        Ok(cancel)
    }

    fn release(&self, id: &str) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// Hands `op` to its watchers (without persisting it).
    fn notify(&self, op: &Operation) {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = live.get(&op.id) {
            tx.send_replace(op.clone());
        }
    }

    pub async fn get(&self, id: &str) -> Result<Operation> {
        if id.is_empty() {
            return Err(Error::invalid("operation_id", "is required"));
        }
        self.registry
            .get_operation(id)
            .await?
            .ok_or_else(|| Error::OperationNotFound(id.to_string()))
    }

    pub async fn list(
        &self,
        filter: &OperationFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Operation>> {
        let status = OperationStatus::try_from(filter.status)
            .map_err(|_| Error::invalid("status", format!("unknown status {}", filter.status)))?;
        let kind = OperationType::try_from(filter.operation_type).map_err(|_| {
            Error::invalid(
                "operation_type",
                format!("unknown operation type {}", filter.operation_type),
            )
        })?;
        let cluster_id = if filter.cluster.is_empty() {
            None
        } else {
            Some(self.clusters.get(&filter.cluster).await?.id)
        };
        let mut all = self.registry.list_operations().await?;
        if let Some(p) = filter.viewer.as_ref().filter(|p| !p.is_admin()) {
            let visible: std::collections::HashSet<String> = self
                .clusters
                .all()
                .await?
                .into_iter()
                .filter(|c| p.may(super::access::VIEW, c))
                .map(|c| c.id)
                .collect();
            all.retain(|o| p.sees_operation(o, |id| visible.contains(id)));
        }
        all.retain(|o| {
            (status == OperationStatus::Unspecified || o.status() == status)
                && (kind == OperationType::Unspecified || o.operation_type() == kind)
                && cluster_id.as_ref().is_none_or(|id| {
                    o.source_cluster_id == *id || o.target_cluster_ids.contains(id)
                })
        });
        // Newest first.
        let key =
            |o: &Operation| format!("{:020}/{}", i64::MAX - time::millis(&o.created_at), o.id);
        let fp = pagination::fingerprint(&[&status, &kind, &cluster_id]);
        pagination::paginate(all, key, page_size, page_token, fp)
    }

    /// Cancels a pending or running operation. One running here stops promptly and records
    /// what it did; the answer is its final state.
    pub async fn cancel(&self, id: &str) -> Result<Operation> {
        let token = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .map(|r| r.cancel.clone());
        if let Some(token) = token {
            let mut rx = self.watch(id).await?;
            token.cancel();
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let op = rx.borrow_and_update().clone();
                if is_final(op.status()) {
                    return Ok(op);
                }
                if tokio::time::timeout_at(deadline, rx.changed())
                    .await
                    .is_err()
                {
                    return Err(Error::DeadlineExceeded(format!(
                        "operation '{id}' did not stop within 60s"
                    )));
                }
            }
        }
        let mut op = self.get(id).await?;
        if is_final(op.status()) {
            return Err(Error::precondition(
                "OPERATION_FINISHED",
                format!(
                    "operation '{id}' has already finished ({})",
                    op.status().as_str_name()
                ),
            ));
        }
        op.status = OperationStatus::Cancelled as i32;
        op.completed_at = Some(time::now());
        op.error_message = "cancelled on request".into();
        self.publish(&op).await?;
        tracing::info!(operation = %id, "operation cancelled");
        Ok(op)
    }

    /// Persists `op` and hands it to its watchers.
    pub async fn publish(&self, op: &Operation) -> Result<()> {
        self.registry.save_operation(op).await?;
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = live.get(&op.id) {
            tx.send_replace(op.clone());
        }
        if is_final(op.status()) {
            live.remove(&op.id);
        }
        Ok(())
    }

    /// A receiver of the operation's states: the current one first, then every change.
    pub async fn watch(&self, id: &str) -> Result<watch::Receiver<Operation>> {
        let op = self.get(id).await?;
        if is_final(op.status()) {
            // Finished: one state, no more changes.
            let (_tx, rx) = watch::channel(op);
            return Ok(rx);
        }
        let (rx, created) = {
            let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
            match live.get(&op.id) {
                Some(tx) => (tx.subscribe(), false),
                None => {
                    let (tx, rx) = watch::channel(op.clone());
                    live.insert(op.id.clone(), tx);
                    (rx, true)
                }
            }
        };
        if created {
            // The operation may have ended between the read above and the channel's
            // creation: its final state was saved before it was published (to no channel
            // then), so a second read finds it.
            let now = self.get(id).await?;
            if is_final(now.status()) {
                let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(tx) = live.remove(&now.id) {
                    tx.send_replace(now);
                }
            }
        }
        Ok(rx)
    }

    /// Operations a previous lkm left unfinished (on server start): migrations resume from
    /// their last checkpoint; anything that cannot resume is marked FAILED with the reason.
    pub async fn recover(self: &Arc<Self>) -> Result<()> {
        let unfinished = self
            .registry
            .operations_with_status(&[
                OperationStatus::Pending as i32,
                OperationStatus::Running as i32,
            ])
            .await?;
        for mut op in unfinished {
            let resumed = match op.operation_type() {
                OperationType::Migrate => migrate::resume(self, op.clone()).await,
                _ => Err(Error::precondition(
                    "NOT_RESUMABLE",
                    "this kind of operation does not resume",
                )),
            };
            if let Err(e) = resumed {
                op.status = OperationStatus::Failed as i32;
                op.completed_at = Some(time::now());
                op.error_message = format!(
                    "interrupted: lkm stopped while the operation ran and it cannot resume ({e}); what was done is in the progress"
                );
                self.registry.save_operation(&op).await?;
                tracing::warn!(operation = %op.id, error = %e, "interrupted operation marked FAILED");
            } else {
                tracing::info!(operation = %op.id, "resuming an interrupted operation from its checkpoint");
            }
        }
        Ok(())
    }

    /// Starts a migration (or, with dry_run, answers its plan at once).
    pub async fn migrate(
        self: &Arc<Self>,
        req: crate::pb::MigrateDataRequest,
        created_by: String,
    ) -> Result<Operation> {
        migrate::start(self, req, created_by).await
    }

    /// Starts replicating topic structure to one or more targets.
    pub async fn replicate(
        self: &Arc<Self>,
        req: crate::pb::ReplicateTopicsRequest,
        created_by: String,
    ) -> Result<Operation> {
        replicate::start(self, req, created_by).await
    }

    /// Compares two clusters (at once: no operation is recorded).
    pub async fn compare(
        &self,
        req: crate::pb::CompareClustersRequest,
    ) -> Result<crate::pb::ClusterComparisonResult> {
        compare::compare(self, req).await
    }

    /// Checks the clusters of a cross-cluster request exist, differ and can be used; returns
    /// them. `fields` names the request's source and target fields, for error messages.
    pub async fn check_clusters(
        &self,
        fields: (&str, &str),
        source: &str,
        targets: &[String],
    ) -> Result<(Cluster, Vec<Cluster>)> {
        let (source_field, target_field) = fields;
        if source.is_empty() {
            return Err(Error::invalid(source_field, "is required"));
        }
        if targets.is_empty() || targets.iter().any(String::is_empty) {
            return Err(Error::invalid(target_field, "is required"));
        }
        let src = self.clusters.get(source).await?;
        for t in targets {
            let tgt = self.clusters.get(t).await?;
            if tgt.id == src.id {
                return Err(Error::invalid(
                    target_field,
                    "source and target are the same cluster",
                ));
            }
        }
        let src = self.clusters.running(&src.id).await?;
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            out.push(self.clusters.running(t).await?);
        }
        Ok((src, out))
    }
}

/// The live state of a running operation: updates go to watchers at most every
/// NOTIFY_EVERY and to the registry every `checkpoint_every` (and at the end).
struct Tracker {
    mgr: Arc<OperationManager>,
    op: Operation,
    last_notify: Instant,
    last_checkpoint: Instant,
    started: Instant,
    /// (time, messages copied) samples of the last few seconds, for the rate.
    samples: std::collections::VecDeque<(Instant, i64, i64)>,
}

impl Tracker {
    fn new(mgr: Arc<OperationManager>, op: Operation) -> Tracker {
        let now = Instant::now();
        Tracker {
            mgr,
            op,
            last_notify: now,
            last_checkpoint: now,
            started: now,
            samples: Default::default(),
        }
    }

    /// Recomputes totals, rate and ETA from the per-partition progress.
    fn refresh(&mut self) {
        let now = Instant::now();
        let p = self.op.progress.get_or_insert_with(Default::default);
        p.messages_copied = p.partitions.iter().map(|x| x.messages_copied).sum();
        p.messages_total = p.partitions.iter().map(|x| x.messages_total).sum();
        p.bytes_copied = p.partitions.iter().map(|x| x.bytes_copied).sum();
        self.samples
            .push_back((now, p.messages_copied, p.bytes_copied));
        while self
            .samples
            .front()
            .is_some_and(|(t, _, _)| now.duration_since(*t) > Duration::from_secs(5))
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
        if let (Some((t0, m0, b0)), Some((t1, m1, b1))) =
            (self.samples.front(), self.samples.back())
        {
            let secs = t1.duration_since(*t0).as_secs_f64();
            if secs > 0.05 {
                p.messages_per_second = (m1 - m0) as f64 / secs;
                p.bytes_per_second = (b1 - b0) as f64 / secs;
            }
        }
        let remaining = (p.messages_total - p.messages_copied).max(0);
        p.eta = (p.messages_per_second > 0.0).then(|| {
            let secs = remaining as f64 / p.messages_per_second;
            prost_types::Duration {
                seconds: secs as i64,
                nanos: ((secs.fract()) * 1e9) as i32,
            }
        });
        // Operations that copy no records (replicate) set their percent themselves.
        if !p.partitions.is_empty() {
            self.op.progress_percent = if p.messages_total > 0 {
                (p.messages_copied as f64 * 100.0 / p.messages_total as f64).min(99.0)
            } else {
                0.0
            };
        }
    }

    /// Sends progress to watchers and checkpoints it, when due.
    async fn tick(&mut self) -> Result<()> {
        let now = Instant::now();
        if now.duration_since(self.last_notify) >= NOTIFY_EVERY {
            self.refresh();
            self.mgr.notify(&self.op);
            self.last_notify = now;
        }
        if now.duration_since(self.last_checkpoint) >= self.mgr.checkpoint_every {
            self.checkpoint().await?;
        }
        Ok(())
    }

    /// Persists the current state now.
    async fn checkpoint(&mut self) -> Result<()> {
        self.refresh();
        self.mgr.publish(&self.op).await?;
        self.last_checkpoint = Instant::now();
        self.last_notify = self.last_checkpoint;
        Ok(())
    }

    /// Records the final state.
    async fn finish(&mut self, status: OperationStatus, error: &str) -> Result<()> {
        self.refresh();
        self.op.status = status as i32;
        self.op.error_message = error.to_string();
        self.op.completed_at = Some(time::now());
        if status == OperationStatus::Succeeded {
            self.op.progress_percent = 100.0;
        }
        tracing::info!(
            operation = %self.op.id,
            status = status.as_str_name(),
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            error,
            "operation finished"
        );
        self.mgr.publish(&self.op).await
    }
}
