//! gRPC `lkm.v1.AccessService`: tokens, grants, access checks and the audit log. The auth
//! layer has already authenticated the caller (and checked admin-only methods); what depends
//! on "self or admin" is checked here.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tonic::{Request, Response};

use super::auth::principal;
use super::status::GrpcResult;
use crate::core::Core;
use crate::core::access::{self, Principal};
use crate::core::time;
use crate::error::{Error, Result};
use crate::pb::access_service_server::AccessService;
use crate::pb::*;

pub struct AccessApi {
    core: Arc<Core>,
}

impl AccessApi {
    pub fn new(core: Arc<Core>) -> Self {
        AccessApi { core }
    }

    /// `name` (or the caller when empty) if the caller may act for it.
    fn subject(&self, caller: &Principal, name: &str) -> Result<String> {
        if name.is_empty() || name == caller.name {
            return Ok(caller.name.clone());
        }
        access::principal_name("principal", name)?;
        if caller.is_admin() {
            Ok(name.to_string())
        } else {
            Err(Error::PermissionDenied(format!(
                "{} may only act for itself (acting for '{name}' needs admin)",
                caller.name
            )))
        }
    }

    async fn principal_named(&self, caller: &Principal, name: &str) -> Result<Principal> {
        if name.is_empty() || name == caller.name {
            return Ok(caller.clone());
        }
        let name = self.subject(caller, name)?;
        Ok(Principal {
            grants: self.core.access.grants_of(&name).await?,
            name,
            token: None,
            authenticated: true,
        })
    }
}

const AUDIT_PAGE: i32 = 100;

fn audit_token(time_ms: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("a1\n{time_ms}\n{id}"))
}

fn parse_audit_token(token: &str) -> Result<Option<(i64, String)>> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || Error::invalid("page_token", "is not a page token issued by this server");
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?).map_err(|_| bad())?;
    let mut parts = text.splitn(3, '\n');
    if parts.next() != Some("a1") {
        return Err(bad());
    }
    let t: i64 = parts.next().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
    let id = parts.next().ok_or_else(bad)?.to_string();
    Ok(Some((t, id)))
}

#[tonic::async_trait]
impl AccessService for AccessApi {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> GrpcResult<WhoAmIResponse> {
        let p = principal(&request);
        Ok(Response::new(WhoAmIResponse {
            principal: p.name,
            grants: p.grants,
            authentication: self.core.access.enabled(),
            token: p.token,
        }))
    }

    async fn check_access(
        &self,
        request: Request<CheckAccessRequest>,
    ) -> GrpcResult<CheckAccessResponse> {
        let caller = principal(&request);
        let r = request.into_inner();
        if !access::ACTIONS.contains(&r.action.as_str()) {
            return Err(Error::invalid(
                "action",
                format!("use one of {}", access::ACTIONS.join(", ")),
            )
            .into());
        }
        let subject = self.principal_named(&caller, &r.principal).await?;
        let cluster = self.core.clusters.get(&r.cluster_id).await?;
        if !caller.may(access::VIEW, &cluster) {
            return Err(Error::ClusterNotFound(r.cluster_id).into());
        }
        Ok(Response::new(CheckAccessResponse {
            allowed: subject.may(&r.action, &cluster),
        }))
    }

    async fn list_my_clusters(
        &self,
        request: Request<ListMyClustersRequest>,
    ) -> GrpcResult<ListMyClustersResponse> {
        let p = principal(&request);
        let clusters = self
            .core
            .clusters
            .all()
            .await?
            .into_iter()
            .filter(|c| p.may(access::VIEW, c))
            .map(|c| ClusterAccess {
                actions: p.actions_on(&c),
                cluster_id: c.id,
                name: c.name,
            })
            .collect();
        Ok(Response::new(ListMyClustersResponse { clusters }))
    }

    async fn grant_access(
        &self,
        request: Request<GrantAccessRequest>,
    ) -> GrpcResult<GrantAccessResponse> {
        let caller = principal(&request);
        let r = request.into_inner();
        let grant = r
            .grant
            .ok_or_else(|| Error::invalid("grant", "is required"))?;
        let grant = self
            .core
            .access
            .grant(&r.principal, grant, &caller.name)
            .await?;
        Ok(Response::new(GrantAccessResponse { grant: Some(grant) }))
    }

    async fn revoke_access(
        &self,
        request: Request<RevokeAccessRequest>,
    ) -> GrpcResult<RevokeAccessResponse> {
        let r = request.into_inner();
        self.core
            .access
            .revoke_grant(&r.principal, &r.grant_id)
            .await?;
        Ok(Response::new(RevokeAccessResponse {}))
    }

    async fn list_grants(
        &self,
        request: Request<ListGrantsRequest>,
    ) -> GrpcResult<ListGrantsResponse> {
        let caller = principal(&request);
        let name = self.subject(&caller, &request.get_ref().principal)?;
        Ok(Response::new(ListGrantsResponse {
            grants: self.core.access.grants_of(&name).await?,
        }))
    }

    async fn create_token(
        &self,
        request: Request<CreateTokenRequest>,
    ) -> GrpcResult<CreateTokenResponse> {
        let caller = principal(&request);
        let r = request.into_inner();
        let owner = self.subject(&caller, &r.principal)?;
        let ttl = match r.ttl {
            None => None,
            Some(d) if d.seconds > 0 && d.seconds <= 10 * 366 * 24 * 3600 && d.nanos >= 0 => {
                Some(Duration::new(d.seconds as u64, d.nanos as u32))
            }
            Some(_) => {
                return Err(
                    Error::invalid("ttl", "must be between one second and ten years").into(),
                );
            }
        };
        let (token, secret) = self.core.access.create_token(&owner, &r.name, ttl).await?;
        Ok(Response::new(CreateTokenResponse {
            token: Some(token),
            secret,
        }))
    }

    async fn list_tokens(
        &self,
        request: Request<ListTokensRequest>,
    ) -> GrpcResult<ListTokensResponse> {
        let caller = principal(&request);
        let asked = &request.get_ref().principal;
        let tokens = if asked.is_empty() && caller.is_admin() {
            self.core.access.list_tokens(None).await?
        } else {
            let name = self.subject(&caller, asked)?;
            self.core.access.list_tokens(Some(&name)).await?
        };
        Ok(Response::new(ListTokensResponse { tokens }))
    }

    async fn revoke_token(
        &self,
        request: Request<RevokeTokenRequest>,
    ) -> GrpcResult<RevokeTokenResponse> {
        let caller = principal(&request);
        let id = &request.get_ref().token_id;
        let token = self.core.access.find_token(id).await?;
        if token.principal != caller.name && !caller.is_admin() {
            // Someone else's token does not exist for this caller.
            return Err(Error::NotFound {
                reason: "TOKEN_NOT_FOUND",
                message: format!("token '{id}' not found"),
            }
            .into());
        }
        self.core.access.revoke_token(id).await?;
        Ok(Response::new(RevokeTokenResponse {}))
    }

    async fn list_audit_events(
        &self,
        request: Request<ListAuditEventsRequest>,
    ) -> GrpcResult<ListAuditEventsResponse> {
        let r = request.into_inner();
        let size = match r.page_size {
            0 => AUDIT_PAGE,
            n if n < 0 => return Err(Error::invalid("page_size", "must not be negative").into()),
            n => n.min(1000),
        } as usize;
        let cluster = if r.cluster_id.is_empty() {
            None
        } else {
            Some(self.core.clusters.get(&r.cluster_id).await?.id)
        };
        let since = time::millis(&r.since);
        let until = if r.until.is_some() {
            time::millis(&r.until)
        } else {
            i64::MAX
        };
        let mut cursor = parse_audit_token(&r.page_token)?;
        let mut events = Vec::new();
        let mut more = false;
        // Filter in batches until the page is full or the log is exhausted.
        'fill: loop {
            let batch = self
                .core
                .access
                .audit(since, until, cursor.clone(), (size * 4) as i64)
                .await?;
            if batch.is_empty() {
                break;
            }
            for e in &batch {
                cursor = Some((time::millis(&e.time), e.id.clone()));
                let keep = cluster.as_ref().is_none_or(|c| e.cluster_ids.contains(c))
                    && (r.principal.is_empty() || e.principal == r.principal);
                if keep {
                    if events.len() == size {
                        more = true;
                        break 'fill;
                    }
                    events.push(e.clone());
                }
            }
        }
        let next_page_token = match (more, events.last()) {
            (true, Some(last)) => audit_token(time::millis(&last.time), &last.id),
            _ => String::new(),
        };
        Ok(Response::new(ListAuditEventsResponse {
            events,
            next_page_token,
        }))
    }
}
