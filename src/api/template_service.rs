//! gRPC `lkm.v1.TemplateService`.

use std::sync::Arc;

use tonic::{Request, Response};

use super::status::GrpcResult;
use crate::core::Core;
use crate::core::templates::Overrides;
use crate::error::Error;
use crate::pb::template_service_server::TemplateService;
use crate::pb::*;

pub struct TemplateApi {
    core: Arc<Core>,
}

impl TemplateApi {
    pub fn new(core: Arc<Core>) -> Self {
        TemplateApi { core }
    }
}

#[tonic::async_trait]
impl TemplateService for TemplateApi {
    #[tracing::instrument(skip_all)]
    async fn list_templates(
        &self,
        request: Request<ListTemplatesRequest>,
    ) -> GrpcResult<ListTemplatesResponse> {
        let r = request.into_inner();
        let page = self
            .core
            .templates
            .list(r.category, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(ListTemplatesResponse {
            templates: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size,
        }))
    }

    #[tracing::instrument(skip_all, fields(template = %request.get_ref().template_id))]
    async fn get_template(
        &self,
        request: Request<GetTemplateRequest>,
    ) -> GrpcResult<GetTemplateResponse> {
        let t = self
            .core
            .templates
            .get(&request.get_ref().template_id)
            .await?;
        Ok(Response::new(GetTemplateResponse { template: Some(t) }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_template(
        &self,
        request: Request<CreateTemplateRequest>,
    ) -> GrpcResult<CreateTemplateResponse> {
        let t = request
            .into_inner()
            .template
            .ok_or_else(|| Error::invalid("template", "is required"))?;
        let t = self.core.templates.create(t).await?;
        Ok(Response::new(CreateTemplateResponse { template: Some(t) }))
    }

    #[tracing::instrument(skip_all, fields(template = %request.get_ref().template_id))]
    async fn update_template(
        &self,
        request: Request<UpdateTemplateRequest>,
    ) -> GrpcResult<UpdateTemplateResponse> {
        let r = request.into_inner();
        let patch = r
            .template
            .ok_or_else(|| Error::invalid("template", "is required"))?;
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let t = self
            .core
            .templates
            .update(&r.template_id, &patch, &paths)
            .await?;
        Ok(Response::new(UpdateTemplateResponse { template: Some(t) }))
    }

    #[tracing::instrument(skip_all, fields(template = %request.get_ref().template_id))]
    async fn delete_template(
        &self,
        request: Request<DeleteTemplateRequest>,
    ) -> GrpcResult<DeleteTemplateResponse> {
        self.core
            .templates
            .delete(&request.get_ref().template_id)
            .await?;
        Ok(Response::new(DeleteTemplateResponse {}))
    }

    #[tracing::instrument(skip_all, fields(template = %request.get_ref().template_id))]
    async fn apply_template(
        &self,
        request: Request<ApplyTemplateRequest>,
    ) -> GrpcResult<ApplyTemplateResponse> {
        let r = request.into_inner();
        if r.template_id.is_empty() {
            return Err(Error::invalid("template_id", "is required").into());
        }
        let cluster = self
            .core
            .templates
            .apply(
                &r.template_id,
                &Overrides {
                    name: r.name,
                    environment: r.environment,
                    kafka: r.kafka_config,
                    rest_proxy: r.rest_proxy_config,
                    ui: r.ui_config,
                    retention: r.retention_policy,
                },
            )
            .await?;
        Ok(Response::new(ApplyTemplateResponse {
            cluster: Some(cluster),
            warnings: vec![],
        }))
    }
}
