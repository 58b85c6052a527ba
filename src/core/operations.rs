//! Operations: durable records of long cross-cluster work, and the hub that streams their
//! changes to watchers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::pb::{Operation, OperationStatus, OperationType};
use crate::registry::Registry;

use super::clusters::ClusterManager;
use super::pagination::{self, Page};
use super::time;

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
}

pub struct OperationManager {
    registry: Registry,
    clusters: Arc<ClusterManager>,
    /// Latest state of every operation that has watchers or runs in this process.
    live: Mutex<HashMap<String, watch::Sender<Operation>>>,
}

impl OperationManager {
    pub fn new(registry: Registry, clusters: Arc<ClusterManager>) -> Self {
        OperationManager {
            registry,
            clusters,
            live: Mutex::new(HashMap::new()),
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

    /// Cancels a pending or running operation.
    pub async fn cancel(&self, id: &str) -> Result<Operation> {
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
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if is_final(op.status()) {
            // Finished: one state, no more changes.
            let (_tx, rx) = watch::channel(op);
            return Ok(rx);
        }
        Ok(live
            .entry(op.id.clone())
            .or_insert_with(|| watch::channel(op).0)
            .subscribe())
    }

    /// Marks operations a previous lkm left unfinished as FAILED (on server start).
    pub async fn fail_interrupted(&self) -> Result<()> {
        let unfinished = self
            .registry
            .operations_with_status(&[
                OperationStatus::Pending as i32,
                OperationStatus::Running as i32,
            ])
            .await?;
        for mut op in unfinished {
            op.status = OperationStatus::Failed as i32;
            op.completed_at = Some(time::now());
            op.error_message =
                "interrupted: lkm stopped while the operation ran; what was copied is in the progress"
                    .into();
            self.registry.save_operation(&op).await?;
            tracing::warn!(operation = %op.id, "operation interrupted by a restart, marked FAILED");
        }
        Ok(())
    }

    /// Checks the clusters of a cross-cluster request exist, differ and run. `fields` names
    /// the request's source and target fields, for error messages.
    pub async fn check_clusters(
        &self,
        fields: (&str, &str),
        source: &str,
        targets: &[String],
    ) -> Result<()> {
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
        self.clusters.running(&src.id).await?;
        for t in targets {
            self.clusters.running(t).await?;
        }
        Ok(())
    }
}
