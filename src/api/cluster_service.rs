//! gRPC `lkm.v1.ClusterService`: a thin translation between protobuf and the core.

use std::sync::Arc;
use std::time::Duration;

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

    /// Topic and record calls: the cluster must exist and run; their bodies are not built yet.
    async fn data_plane(&self, cluster_id: &str, what: &str) -> Result<(), Error> {
        self.core.clusters.running(cluster_id).await?;
        Err(Error::Unimplemented(format!(
            "{what} is not implemented in this version of lkm"
        )))
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
                created_by: crate::local_user(),
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
        let r = request.into_inner();
        let page = self
            .core
            .clusters
            .list(
                &ClusterFilter {
                    status: r.status,
                    environment: r.environment,
                    tags: r.tags,
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

    async fn list_topics(
        &self,
        request: Request<ListTopicsRequest>,
    ) -> GrpcResult<ListTopicsResponse> {
        self.data_plane(&request.get_ref().cluster_id, "listing topics")
            .await?;
        Ok(Response::new(ListTopicsResponse::default()))
    }

    async fn get_topic(&self, request: Request<GetTopicRequest>) -> GrpcResult<GetTopicResponse> {
        self.data_plane(&request.get_ref().cluster_id, "describing topics")
            .await?;
        Ok(Response::new(GetTopicResponse::default()))
    }

    async fn create_topic(
        &self,
        request: Request<CreateTopicRequest>,
    ) -> GrpcResult<CreateTopicResponse> {
        self.data_plane(&request.get_ref().cluster_id, "creating topics")
            .await?;
        Ok(Response::new(CreateTopicResponse::default()))
    }

    async fn delete_topic(
        &self,
        request: Request<DeleteTopicRequest>,
    ) -> GrpcResult<DeleteTopicResponse> {
        self.data_plane(&request.get_ref().cluster_id, "deleting topics")
            .await?;
        Ok(Response::new(DeleteTopicResponse::default()))
    }

    async fn produce(&self, request: Request<ProduceRequest>) -> GrpcResult<ProduceResponse> {
        self.data_plane(&request.get_ref().cluster_id, "producing records")
            .await?;
        Ok(Response::new(ProduceResponse::default()))
    }

    async fn add_partitions(
        &self,
        request: Request<AddPartitionsRequest>,
    ) -> GrpcResult<AddPartitionsResponse> {
        self.data_plane(&request.get_ref().cluster_id, "adding partitions")
            .await?;
        Ok(Response::new(AddPartitionsResponse::default()))
    }

    async fn update_topic_config(
        &self,
        request: Request<UpdateTopicConfigRequest>,
    ) -> GrpcResult<UpdateTopicConfigResponse> {
        self.data_plane(&request.get_ref().cluster_id, "changing topic configs")
            .await?;
        Ok(Response::new(UpdateTopicConfigResponse::default()))
    }

    async fn produce_stream(
        &self,
        _request: Request<tonic::Streaming<ProduceStreamRequest>>,
    ) -> GrpcResult<ProduceStreamResponse> {
        Err(Error::Unimplemented("streaming produce is not implemented".into()).into())
    }

    type ConsumeStreamStream = std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<ConsumeStreamResponse, tonic::Status>> + Send>,
    >;

    async fn consume_stream(
        &self,
        request: Request<ConsumeStreamRequest>,
    ) -> GrpcResult<Self::ConsumeStreamStream> {
        self.data_plane(&request.get_ref().cluster_id, "streaming consume")
            .await?;
        Err(Error::Unimplemented("streaming consume is not implemented".into()).into())
    }

    async fn list_consumer_groups(
        &self,
        request: Request<ListConsumerGroupsRequest>,
    ) -> GrpcResult<ListConsumerGroupsResponse> {
        self.data_plane(&request.get_ref().cluster_id, "listing groups")
            .await?;
        Ok(Response::new(ListConsumerGroupsResponse::default()))
    }

    async fn get_consumer_group(
        &self,
        request: Request<GetConsumerGroupRequest>,
    ) -> GrpcResult<GetConsumerGroupResponse> {
        self.data_plane(&request.get_ref().cluster_id, "describing groups")
            .await?;
        Ok(Response::new(GetConsumerGroupResponse::default()))
    }

    async fn reset_consumer_group_offsets(
        &self,
        request: Request<ResetConsumerGroupOffsetsRequest>,
    ) -> GrpcResult<ResetConsumerGroupOffsetsResponse> {
        self.data_plane(&request.get_ref().cluster_id, "resetting group offsets")
            .await?;
        Ok(Response::new(ResetConsumerGroupOffsetsResponse::default()))
    }

    async fn delete_consumer_group(
        &self,
        request: Request<DeleteConsumerGroupRequest>,
    ) -> GrpcResult<DeleteConsumerGroupResponse> {
        self.data_plane(&request.get_ref().cluster_id, "deleting groups")
            .await?;
        Ok(Response::new(DeleteConsumerGroupResponse::default()))
    }

    async fn consume(&self, request: Request<ConsumeRequest>) -> GrpcResult<ConsumeResponse> {
        self.data_plane(&request.get_ref().cluster_id, "consuming records")
            .await?;
        Ok(Response::new(ConsumeResponse::default()))
    }
}
