//! gRPC `lkm.v1.ClusterService`: a thin translation between protobuf and the core.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tonic::{Request, Response};

use super::status::GrpcResult;
use crate::core::Core;
use crate::core::clusters::{ClusterFilter, NewCluster};
use crate::core::templates::Overrides;
use crate::error::Error;
use crate::pb::cluster_service_server::ClusterService;
use crate::pb::*;

pub struct ClusterApi {
    core: Arc<Core>,
}

impl ClusterApi {
    pub fn new(core: Arc<Core>) -> Self {
        ClusterApi { core }
    }
}

fn duration(field: &str, d: Option<prost_types::Duration>) -> Result<Option<Duration>, Error> {
    let Some(d) = d else { return Ok(None) };
    if d.seconds < 0 || d.nanos < 0 || (d.seconds == 0 && d.nanos == 0) {
        return Err(Error::invalid(field, "must be positive"));
    }
    if d.seconds > 3600 {
        return Err(Error::invalid(field, "must be at most one hour"));
    }
    Ok(Some(Duration::new(d.seconds as u64, d.nanos as u32)))
}

#[tonic::async_trait]
impl ClusterService for ClusterApi {
    #[tracing::instrument(skip_all, fields(name = %request.get_ref().name))]
    async fn create_cluster(
        &self,
        request: Request<CreateClusterRequest>,
    ) -> GrpcResult<CreateClusterResponse> {
        let created_by = super::auth::principal(&request).name;
        let r = request.into_inner();
        let (cluster, warnings) = self
            .core
            .clusters
            .create(NewCluster {
                description: r.description,
                template_id: r.template_id,
                tags: r.tags,
                overrides: Overrides {
                    name: r.name,
                    environment: r.environment,
                    kafka: r.kafka_config,
                    rest_proxy: r.rest_proxy_config,
                    ui: r.ui_config,
                    retention: r.retention_policy,
                },
                auto_start: r.auto_start.unwrap_or(true),
                created_by,
                ports: r.ports,
                external_bootstrap_servers: r.external_bootstrap_servers,
            })
            .await?;
        Ok(Response::new(CreateClusterResponse {
            cluster: Some(cluster),
            warnings,
        }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn get_cluster(
        &self,
        request: Request<GetClusterRequest>,
    ) -> GrpcResult<GetClusterResponse> {
        let cluster = self
            .core
            .clusters
            .get(&request.get_ref().cluster_id)
            .await?;
        Ok(Response::new(GetClusterResponse {
            cluster: Some(cluster),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_clusters(
        &self,
        request: Request<ListClustersRequest>,
    ) -> GrpcResult<ListClustersResponse> {
        let viewer = Some(super::auth::principal(&request));
        let r = request.into_inner();
        let page = self
            .core
            .clusters
            .list(
                &ClusterFilter {
                    status: r.status,
                    environment: r.environment,
                    tags: r.tags,
                    viewer,
                },
                r.page_size,
                &r.page_token,
            )
            .await?;
        Ok(Response::new(ListClustersResponse {
            clusters: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size,
        }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn update_cluster(
        &self,
        request: Request<UpdateClusterRequest>,
    ) -> GrpcResult<UpdateClusterResponse> {
        let r = request.into_inner();
        let patch = r
            .cluster
            .ok_or_else(|| Error::invalid("cluster", "is required"))?;
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let cluster = self
            .core
            .clusters
            .update(&r.cluster_id, &patch, &paths)
            .await?;
        Ok(Response::new(UpdateClusterResponse {
            cluster: Some(cluster),
        }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn delete_cluster(
        &self,
        request: Request<DeleteClusterRequest>,
    ) -> GrpcResult<DeleteClusterResponse> {
        let r = request.into_inner();
        self.core
            .clusters
            .delete(&r.cluster_id, r.force, r.keep_data)
            .await?;
        Ok(Response::new(DeleteClusterResponse {}))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn start_cluster(
        &self,
        request: Request<StartClusterRequest>,
    ) -> GrpcResult<StartClusterResponse> {
        let r = request.into_inner();
        let timeout = duration("timeout", r.timeout)?;
        let cluster = self
            .core
            .clusters
            .start(&r.cluster_id, r.force, timeout)
            .await?;
        Ok(Response::new(StartClusterResponse {
            cluster: Some(cluster),
        }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn stop_cluster(
        &self,
        request: Request<StopClusterRequest>,
    ) -> GrpcResult<StopClusterResponse> {
        let r = request.into_inner();
        let cluster = self.core.clusters.stop(&r.cluster_id, r.cleanup).await?;
        Ok(Response::new(StopClusterResponse {
            cluster: Some(cluster),
        }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn get_cluster_status(
        &self,
        request: Request<GetClusterStatusRequest>,
    ) -> GrpcResult<GetClusterStatusResponse> {
        let status = self
            .core
            .clusters
            .status(&request.get_ref().cluster_id)
            .await?;
        Ok(Response::new(status))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn get_cluster_compose(
        &self,
        request: Request<GetClusterComposeRequest>,
    ) -> GrpcResult<GetClusterComposeResponse> {
        let yaml = self
            .core
            .clusters
            .compose(&request.get_ref().cluster_id)
            .await?;
        Ok(Response::new(GetClusterComposeResponse { yaml }))
    }

    type WatchClustersStream = std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<WatchClustersResponse, tonic::Status>> + Send>,
    >;

    #[tracing::instrument(skip_all)]
    async fn watch_clusters(
        &self,
        request: Request<WatchClustersRequest>,
    ) -> GrpcResult<Self::WatchClustersStream> {
        let viewer = Some(super::auth::principal(&request));
        let rx = self
            .core
            .clusters
            .watch(request.into_inner().environment, viewer)
            .await?;
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok),
        )))
    }

    #[tracing::instrument(skip_all)]
    async fn get_host_resources(
        &self,
        _request: Request<GetHostResourcesRequest>,
    ) -> GrpcResult<GetHostResourcesResponse> {
        Ok(Response::new(self.core.clusters.host().await?))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn list_topics(
        &self,
        request: Request<ListTopicsRequest>,
    ) -> GrpcResult<ListTopicsResponse> {
        let topics = self.core.data.list_topics(request.into_inner()).await?;
        Ok(Response::new(ListTopicsResponse { topics }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().topic))]
    async fn get_topic(&self, request: Request<GetTopicRequest>) -> GrpcResult<GetTopicResponse> {
        let topic = self.core.data.get_topic(request.into_inner()).await?;
        Ok(Response::new(GetTopicResponse { topic: Some(topic) }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().name))]
    async fn create_topic(
        &self,
        request: Request<CreateTopicRequest>,
    ) -> GrpcResult<CreateTopicResponse> {
        let topic = self.core.data.create_topic(request.into_inner()).await?;
        Ok(Response::new(CreateTopicResponse { topic: Some(topic) }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().topic))]
    async fn delete_topic(
        &self,
        request: Request<DeleteTopicRequest>,
    ) -> GrpcResult<DeleteTopicResponse> {
        self.core.data.delete_topic(request.into_inner()).await?;
        Ok(Response::new(DeleteTopicResponse {}))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().topic))]
    async fn add_partitions(
        &self,
        request: Request<AddPartitionsRequest>,
    ) -> GrpcResult<AddPartitionsResponse> {
        let topic = self.core.data.add_partitions(request.into_inner()).await?;
        Ok(Response::new(AddPartitionsResponse { topic: Some(topic) }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().topic))]
    async fn update_topic_config(
        &self,
        request: Request<UpdateTopicConfigRequest>,
    ) -> GrpcResult<UpdateTopicConfigResponse> {
        let topic = self
            .core
            .data
            .update_topic_config(request.into_inner())
            .await?;
        Ok(Response::new(UpdateTopicConfigResponse {
            topic: Some(topic),
        }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().topic, records = request.get_ref().records.len()))]
    async fn produce(&self, request: Request<ProduceRequest>) -> GrpcResult<ProduceResponse> {
        let response = self.core.data.produce(request.into_inner()).await?;
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn produce_stream(
        &self,
        request: Request<tonic::Streaming<ProduceStreamRequest>>,
    ) -> GrpcResult<ProduceStreamResponse> {
        let messages = request.into_inner().map(|m| {
            m.map_err(|status| match status.code() {
                // The caller's access went mid-stream (see stream_guard).
                tonic::Code::Unauthenticated => Error::Unauthenticated(status.message().into()),
                tonic::Code::PermissionDenied => Error::PermissionDenied(status.message().into()),
                _ => Error::invalid(
                    "stream",
                    format!("the request stream failed: {}", status.message()),
                ),
            })
        });
        let response = self.core.data.produce_stream(messages).await?;
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().topic))]
    async fn consume(&self, request: Request<ConsumeRequest>) -> GrpcResult<ConsumeResponse> {
        let response = self.core.data.consume(request.into_inner()).await?;
        Ok(Response::new(response))
    }

    type ConsumeStreamStream = std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<ConsumeStreamResponse, tonic::Status>> + Send>,
    >;

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, topic = %request.get_ref().topic))]
    async fn consume_stream(
        &self,
        request: Request<ConsumeStreamRequest>,
    ) -> GrpcResult<Self::ConsumeStreamStream> {
        let batches = self.core.data.consume_stream(request.into_inner()).await?;
        let responses = batches.map(|batch| {
            batch
                .map(|records| ConsumeStreamResponse { records })
                .map_err(tonic::Status::from)
        });
        Ok(Response::new(Box::pin(responses)))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id))]
    async fn list_consumer_groups(
        &self,
        request: Request<ListConsumerGroupsRequest>,
    ) -> GrpcResult<ListConsumerGroupsResponse> {
        let groups = self
            .core
            .data
            .list_consumer_groups(request.into_inner())
            .await?;
        Ok(Response::new(ListConsumerGroupsResponse { groups }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, group = %request.get_ref().group_id))]
    async fn get_consumer_group(
        &self,
        request: Request<GetConsumerGroupRequest>,
    ) -> GrpcResult<GetConsumerGroupResponse> {
        let group = self
            .core
            .data
            .get_consumer_group(request.into_inner())
            .await?;
        Ok(Response::new(GetConsumerGroupResponse {
            group: Some(group),
        }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, group = %request.get_ref().group_id))]
    async fn reset_consumer_group_offsets(
        &self,
        request: Request<ResetConsumerGroupOffsetsRequest>,
    ) -> GrpcResult<ResetConsumerGroupOffsetsResponse> {
        let offsets = self
            .core
            .data
            .reset_consumer_group_offsets(request.into_inner())
            .await?;
        Ok(Response::new(ResetConsumerGroupOffsetsResponse { offsets }))
    }

    #[tracing::instrument(skip_all, fields(cluster = %request.get_ref().cluster_id, group = %request.get_ref().group_id))]
    async fn delete_consumer_group(
        &self,
        request: Request<DeleteConsumerGroupRequest>,
    ) -> GrpcResult<DeleteConsumerGroupResponse> {
        self.core
            .data
            .delete_consumer_group(request.into_inner())
            .await?;
        Ok(Response::new(DeleteConsumerGroupResponse {}))
    }
}
