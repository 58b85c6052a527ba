//! gRPC `lkm.v1.OperationService`.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use tonic::{Request, Response, Status};

use super::status::GrpcResult;
use crate::core::Core;
use crate::core::operations::{OperationFilter, is_final};
use crate::core::time;
use crate::pb::operation_service_server::OperationService;
use crate::pb::*;

pub struct OperationApi {
    core: Arc<Core>,
}

impl OperationApi {
    pub fn new(core: Arc<Core>) -> Self {
        OperationApi { core }
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<WatchOperationResponse, Status>> + Send>>;

#[tonic::async_trait]
impl OperationService for OperationApi {
    #[tracing::instrument(skip_all)]
    async fn migrate_data(
        &self,
        request: Request<MigrateDataRequest>,
    ) -> GrpcResult<MigrateDataResponse> {
        let op = self
            .core
            .operations
            .migrate(
                request.get_ref().clone(),
                super::auth::principal(&request).name,
            )
            .await?;
        Ok(Response::new(MigrateDataResponse {
            operation: Some(op),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn replicate_topics(
        &self,
        request: Request<ReplicateTopicsRequest>,
    ) -> GrpcResult<ReplicateTopicsResponse> {
        let op = self
            .core
            .operations
            .replicate(
                request.get_ref().clone(),
                super::auth::principal(&request).name,
            )
            .await?;
        Ok(Response::new(ReplicateTopicsResponse {
            operation: Some(op),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn compare_clusters(
        &self,
        request: Request<CompareClustersRequest>,
    ) -> GrpcResult<CompareClustersResponse> {
        let result = self.core.operations.compare(request.into_inner()).await?;
        Ok(Response::new(CompareClustersResponse {
            result: Some(result),
        }))
    }

    #[tracing::instrument(skip_all, fields(operation = %request.get_ref().operation_id))]
    async fn get_operation(
        &self,
        request: Request<GetOperationRequest>,
    ) -> GrpcResult<GetOperationResponse> {
        let op = self
            .core
            .operations
            .get(&request.get_ref().operation_id)
            .await?;
        Ok(Response::new(GetOperationResponse {
            operation: Some(op),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_operations(
        &self,
        request: Request<ListOperationsRequest>,
    ) -> GrpcResult<ListOperationsResponse> {
        let viewer = Some(super::auth::principal(&request));
        let r = request.into_inner();
        let page = self
            .core
            .operations
            .list(
                &OperationFilter {
                    status: r.status,
                    operation_type: r.operation_type,
                    cluster: r.cluster_id,
                    viewer,
                },
                r.page_size,
                &r.page_token,
            )
            .await?;
        Ok(Response::new(ListOperationsResponse {
            operations: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size,
        }))
    }

    #[tracing::instrument(skip_all, fields(operation = %request.get_ref().operation_id))]
    async fn cancel_operation(
        &self,
        request: Request<CancelOperationRequest>,
    ) -> GrpcResult<CancelOperationResponse> {
        let op = self
            .core
            .operations
            .cancel(&request.get_ref().operation_id)
            .await?;
        Ok(Response::new(CancelOperationResponse {
            operation: Some(op),
        }))
    }

    type WatchOperationStream = WatchStream;

    #[tracing::instrument(skip_all, fields(operation = %request.get_ref().operation_id))]
    async fn watch_operation(
        &self,
        request: Request<WatchOperationRequest>,
    ) -> GrpcResult<Self::WatchOperationStream> {
        let rx = self
            .core
            .operations
            .watch(&request.get_ref().operation_id)
            .await?;
        // The current state first, then each change, until a final state has been sent.
        let stream =
            futures::stream::unfold((rx, true, false), |(mut rx, first, done)| async move {
                if done {
                    return None;
                }
                if !first && rx.changed().await.is_err() {
                    return None;
                }
                let op = rx.borrow_and_update().clone();
                let last = is_final(op.status());
                let event = WatchOperationResponse {
                    operation: Some(op),
                    event_time: Some(time::now()),
                    r#final: last,
                };
                Some((Ok(event), (rx, false, last)))
            });
        Ok(Response::new(Box::pin(stream)))
    }
}
