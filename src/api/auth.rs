//! Authentication and authorization of every lkm.v1 call, enforced once: a tower layer
//! around the gRPC services, which gRPC, gRPC-web and the REST gateway (calling the services
//! in-process) all go through. It finds the caller from the bearer token, reads the first
//! request message to learn which clusters (or operation) the call names, checks the rule of
//! the method, records denials (repeats counted on one event) and changes in the audit log,
//! and hands the caller to the service in the request's extensions. Streams (server and
//! client) are checked again while they run (`stream_guard`). Failed authentication is
//! rate-limited per client address (`auth_limit`).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::future::BoxFuture;
use http::{Request, Response};
use http_body_util::BodyExt;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, Value};
use tonic::Status;
use tower::{Layer, Service};

use super::auth_limit::{ClientAddr, FailedAuthLimiter};
use super::stream_guard;
use crate::core::Core;
use crate::core::access::{self, Principal};
use crate::error::Error;
use crate::pb::{AuditEvent, Cluster};

/// Services anyone may call: they describe the API and the server's health, nothing else.
const PUBLIC: &[&str] = &["grpc.health.v1.Health", "grpc.reflection."];
/// The largest first request message read to learn what a call names.
const MAX_PEEK: usize = 64 * 1024 * 1024;

/// What a method needs.
#[derive(Clone, Copy, Debug, Default)]
struct Rule {
    /// Request fields naming clusters (string or repeated string) and the action each needs.
    clusters: &'static [(&'static str, &'static str)],
    /// An empty cluster field means the default cluster (legacy routes).
    default_cluster: bool,
    /// The request creates a cluster: the action applies to what it describes.
    new_cluster: bool,
    /// The request names an operation (`operation_id`): the action applies to its clusters.
    operation: Option<&'static str>,
    /// Admin only.
    admin: bool,
    /// Recorded in the audit log when it succeeds too.
    mutating: bool,
    /// What it answers is filtered by the caller's grants as they were when it started (a
    /// watch): a stream that loses one of them ends.
    filtered: bool,
}

const fn on(clusters: &'static [(&'static str, &'static str)]) -> Rule {
    Rule {
        clusters,
        default_cluster: false,
        new_cluster: false,
        operation: None,
        admin: false,
        mutating: false,
        filtered: false,
    }
}

const fn changes(rule: Rule) -> Rule {
    Rule {
        mutating: true,
        ..rule
    }
}

const fn legacy(rule: Rule) -> Rule {
    Rule {
        default_cluster: true,
        ..rule
    }
}

const AUTHENTICATED: Rule = on(&[]);
const ADMIN_ONLY: Rule = Rule {
    admin: true,
    mutating: true,
    ..on(&[])
};

/// The rule of every lkm.v1 method. Unknown methods are refused.
fn rule(method: &str) -> Option<Rule> {
    use access::*;
    const C: &str = "cluster_id";
    Some(match method {
        "lkm.v1.ClusterService/CreateCluster" => changes(Rule {
            new_cluster: true,
            ..on(&[])
        }),
        "lkm.v1.ClusterService/ListClusters" | "lkm.v1.ClusterService/GetHostResources" => {
            AUTHENTICATED
        }
        "lkm.v1.ClusterService/WatchClusters" => Rule {
            filtered: true,
            ..AUTHENTICATED
        },
        "lkm.v1.ClusterService/GetCluster"
        | "lkm.v1.ClusterService/GetClusterStatus"
        | "lkm.v1.ClusterService/GetClusterCompose" => on(&[(C, VIEW)]),
        "lkm.v1.ClusterService/UpdateCluster" | "lkm.v1.ClusterService/DeleteCluster" => {
            changes(on(&[(C, CONFIGURE)]))
        }
        "lkm.v1.ClusterService/StartCluster" | "lkm.v1.ClusterService/StopCluster" => {
            changes(on(&[(C, OPERATE)]))
        }
        "lkm.v1.ClusterService/ListTopics"
        | "lkm.v1.ClusterService/GetTopic"
        | "lkm.v1.ClusterService/ListConsumerGroups"
        | "lkm.v1.ClusterService/GetConsumerGroup" => legacy(on(&[(C, TOPICS_READ)])),
        "lkm.v1.ClusterService/CreateTopic"
        | "lkm.v1.ClusterService/DeleteTopic"
        | "lkm.v1.ClusterService/AddPartitions"
        | "lkm.v1.ClusterService/UpdateTopicConfig" => legacy(changes(on(&[(C, TOPICS_WRITE)]))),
        "lkm.v1.ClusterService/Produce" | "lkm.v1.ClusterService/ProduceStream" => {
            legacy(changes(on(&[(C, MESSAGES_PRODUCE)])))
        }
        "lkm.v1.ClusterService/Consume" | "lkm.v1.ClusterService/ConsumeStream" => {
            legacy(on(&[(C, MESSAGES_READ)]))
        }
        "lkm.v1.ClusterService/ResetConsumerGroupOffsets"
        | "lkm.v1.ClusterService/DeleteConsumerGroup" => legacy(changes(on(&[(C, GROUPS_WRITE)]))),
        "lkm.v1.TemplateService/ListTemplates"
        | "lkm.v1.TemplateService/GetTemplate"
        | "lkm.v1.TemplateService/ApplyTemplate" => AUTHENTICATED,
        "lkm.v1.TemplateService/CreateTemplate"
        | "lkm.v1.TemplateService/UpdateTemplate"
        | "lkm.v1.TemplateService/DeleteTemplate" => ADMIN_ONLY,
        "lkm.v1.OperationService/MigrateData" => changes(on(&[
            ("source_cluster_id", MESSAGES_READ),
            ("target_cluster_id", OPERATIONS_RUN),
        ])),
        "lkm.v1.OperationService/ReplicateTopics" => changes(on(&[
            ("source_cluster_id", TOPICS_READ),
            ("target_cluster_ids", OPERATIONS_RUN),
        ])),
        "lkm.v1.OperationService/CompareClusters" => on(&[
            ("source_cluster", TOPICS_READ),
            ("target_cluster", TOPICS_READ),
        ]),
        // Filtering by a cluster the caller may not view is asking about it.
        "lkm.v1.OperationService/ListOperations" => on(&[(C, VIEW)]),
        "lkm.v1.OperationService/GetOperation" | "lkm.v1.OperationService/WatchOperation" => Rule {
            operation: Some(VIEW),
            ..on(&[])
        },
        "lkm.v1.OperationService/CancelOperation" => changes(Rule {
            operation: Some(OPERATIONS_RUN),
            ..on(&[])
        }),
        // The service checks "self or admin" itself.
        "lkm.v1.AccessService/WhoAmI"
        | "lkm.v1.AccessService/CheckAccess"
        | "lkm.v1.AccessService/ListMyClusters"
        | "lkm.v1.AccessService/ListGrants"
        | "lkm.v1.AccessService/ListTokens" => AUTHENTICATED,
        "lkm.v1.AccessService/CreateToken" | "lkm.v1.AccessService/RevokeToken" => {
            changes(AUTHENTICATED)
        }
        "lkm.v1.AccessService/GrantAccess"
        | "lkm.v1.AccessService/RevokeAccess"
        | "lkm.v1.AccessService/ListAuditEvents" => ADMIN_ONLY,
        _ => return None,
    })
}

/// Every method with a rule (for the test that every RPC has one).
pub fn has_rule(method: &str) -> bool {
    rule(method).is_some()
}

#[derive(Clone)]
pub struct AuthLayer {
    core: Arc<Core>,
    pool: DescriptorPool,
    limiter: Arc<FailedAuthLimiter>,
}

impl AuthLayer {
    pub fn new(core: Arc<Core>, pool: DescriptorPool) -> Self {
        AuthLayer {
            core,
            pool,
            limiter: Arc::default(),
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            core: self.core.clone(),
            pool: self.pool.clone(),
            limiter: self.limiter.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    core: Arc<Core>,
    pool: DescriptorPool,
    limiter: Arc<FailedAuthLimiter>,
}

type Reply = Response<tonic::body::Body>;

impl<S, B> Service<Request<B>> for Auth<S>
where
    S: Service<Request<axum::body::Body>, Response = Reply, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Reply;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Reply, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // The ready service goes with the call; a clone stays for the next one.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let (core, pool, limiter) = (self.core.clone(), self.pool.clone(), self.limiter.clone());
        Box::pin(async move {
            let req = req.map(axum::body::Body::new);
            Ok(handle(inner, core, pool, &limiter, req).await)
        })
    }
}

fn reply(status: Status) -> Reply {
    let (parts, ()) = status.into_http::<()>().into_parts();
    Response::from_parts(parts, tonic::body::Body::empty())
}

async fn handle<S>(
    mut inner: S,
    core: Arc<Core>,
    pool: DescriptorPool,
    limiter: &FailedAuthLimiter,
    mut req: Request<axum::body::Body>,
) -> Reply
where
    S: Service<Request<axum::body::Body>, Response = Reply, Error = Infallible>,
{
    let method = req.uri().path().trim_start_matches('/').to_string();
    if PUBLIC.iter().any(|p| method.starts_with(p)) {
        return call(&mut inner, req).await;
    }
    // Subscribed before the caller is checked: a revocation after the check reaches the
    // stream the call may open.
    let revocations = core.access.revocations();
    let bearer = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::to_string);
    let client = req.extensions().get::<ClientAddr>().map(|c| c.0.ip());
    let client_address = client.map(|ip| ip.to_string()).unwrap_or_default();
    let principal = match core.access.authenticate(bearer.as_deref()).await {
        Ok(p) => p,
        Err(e) => {
            // Wrong tokens only spend the address's allowance (a valid token always passes,
            // and the registry not answering is nobody's failure).
            let failed = matches!(e, Error::Unauthenticated(_));
            let limited = client
                .filter(|_| failed)
                .and_then(|ip| limiter.fail(ip).map(|wait| (ip, wait)));
            let e = match limited {
                Some((ip, wait)) => Error::RateLimited {
                    reason: "TOO_MANY_FAILED_AUTHENTICATIONS",
                    message: format!(
                        "too many failed authentications from {ip}; try again in {} s",
                        wait.as_secs().max(1)
                    ),
                    retry_after: wait,
                },
                None => e,
            };
            let denial = event("anonymous", &method, &[], "", &e);
            core.access
                .record_denial(AuditEvent {
                    client_address,
                    ..denial
                })
                .await;
            return refuse(req, e.into()).await;
        }
    };
    let Some(rule) = rule(&method) else {
        let e =
            Error::PermissionDenied(format!("'{method}' is not a method lkm serves to clients"));
        return refuse(req, e.into()).await;
    };
    // Learn what the call names from its first message.
    let (first, body) = match peek(req.body_mut()).await {
        Ok(v) => v,
        Err(status) => return refuse(req, status).await,
    };
    *req.body_mut() = body;
    let descriptor = method_descriptor(&pool, &method);
    let message = first.and_then(|bytes| decode(descriptor.as_ref(), bytes));
    let decision = decide(&core, &principal, &method, rule, message.as_ref()).await;
    let (cluster_ids, operation_id) = match decision {
        Ok(named) => named,
        Err((named, e)) => {
            let denial = event(&principal.name, &method, &named.0, &named.1, &e);
            core.access
                .record_denial(AuditEvent {
                    client_address,
                    ..denial
                })
                .await;
            return refuse(req, e.into()).await;
        }
    };
    let who = principal.name.clone();
    // Streams are checked again while they run: requests (client streams) as they come,
    // responses (server streams) as they go.
    let (client_streams, server_streams) = descriptor.as_ref().map_or((false, false), |d| {
        (d.is_client_streaming(), d.is_server_streaming())
    });
    let open = (core.access.enabled() && (client_streams || server_streams)).then(|| OpenStream {
        core: core.clone(),
        bearer,
        principal: who.clone(),
        grants: principal.grants.iter().map(|g| g.id.clone()).collect(),
        method: method.clone(),
        rule,
        message,
    });
    req.extensions_mut().insert(principal);
    if let Some(open) = open.as_ref().filter(|_| client_streams) {
        let body = std::mem::take(req.body_mut());
        *req.body_mut() = stream_guard::request(body, open.clone(), revocations.clone());
    }
    let res = call(&mut inner, req).await;
    // A server stream that started (no trailers-only status).
    if let Some(open) = open.filter(|_| server_streams)
        && Status::from_header_map(res.headers()).is_none()
    {
        return res.map(|body| stream_guard::response(body, open, revocations));
    }
    if rule.mutating {
        let outcome =
            Status::from_header_map(res.headers()).filter(|s| s.code() != tonic::Code::Ok);
        let (code, message) = match &outcome {
            Some(s) => (code_name(s.code()), s.message().to_string()),
            None => ("OK".to_string(), String::new()),
        };
        core.access
            .record(AuditEvent {
                principal: who,
                method,
                cluster_ids,
                operation_id,
                outcome: code,
                message,
                client_address,
                ..Default::default()
            })
            .await;
    }
    res
}

/// Answers a refused call. The rest of the request body is read first (bounded
/// in size and time): an HTTP/1.1 client (gRPC-web from Node) that is still
/// sending would otherwise see a reset connection instead of the status.
async fn refuse(req: Request<axum::body::Body>, status: Status) -> Reply {
    use http_body_util::BodyExt;
    const LIMIT: usize = 4 << 20;
    let mut body = req.into_body();
    let drain = async {
        let mut read = 0usize;
        while read < LIMIT {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
    reply(status)
}

async fn call<S>(inner: &mut S, req: Request<axum::body::Body>) -> Reply
where
    S: Service<Request<axum::body::Body>, Response = Reply, Error = Infallible>,
{
    use tower::ServiceExt;
    match inner.ready().await {
        Ok(svc) => match svc.call(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        },
        Err(never) => match never {},
    }
}

/// Reads the request body up to its first complete gRPC message; returns that message (if
/// any) and a body that yields everything read and the rest.
async fn peek(body: &mut axum::body::Body) -> Result<(Option<Bytes>, axum::body::Body), Status> {
    let mut original = std::mem::take(body);
    let mut buf = BytesMut::new();
    let mut ended = false;
    loop {
        if buf.len() >= 5 {
            let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
            if len > MAX_PEEK {
                return Err(Status::resource_exhausted("request message too large"));
            }
            if buf.len() >= 5 + len {
                break;
            }
        }
        match original.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                return Err(Status::invalid_argument(format!(
                    "reading the request: {e}"
                )));
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    let read = buf.freeze();
    let first = (read.len() >= 5 && read[0] == 0).then(|| {
        let len = u32::from_be_bytes([read[1], read[2], read[3], read[4]]) as usize;
        read.slice(5..(5 + len).min(read.len()))
    });
    let rest = if ended {
        axum::body::Body::from(read)
    } else {
        let head = futures::stream::once(async move { Ok::<Bytes, axum::Error>(read) });
        axum::body::Body::from_stream(head.chain(original.into_data_stream()))
    };
    Ok((first, rest))
}

fn method_descriptor(pool: &DescriptorPool, method: &str) -> Option<MethodDescriptor> {
    let (service, name) = method.split_once('/')?;
    pool.get_service_by_name(service)?
        .methods()
        .find(|m| m.name() == name)
}

fn decode(method: Option<&MethodDescriptor>, bytes: Bytes) -> Option<DynamicMessage> {
    DynamicMessage::decode(method?.input(), bytes).ok()
}

/// The caller of an open stream, as it started: checked again while the stream runs,
/// by the same rule as at its start, with the token and grants as they are now.
#[derive(Clone)]
struct OpenStream {
    core: Arc<Core>,
    bearer: Option<String>,
    principal: String,
    /// Ids of the grants the caller had when the stream started.
    grants: Vec<String>,
    method: String,
    rule: Rule,
    message: Option<DynamicMessage>,
}

impl OpenStream {
    /// Ok while the caller may still receive the stream; who, what the call names and why
    /// not otherwise.
    async fn verdict(&self) -> Result<(), (String, Named, Error)> {
        let none = || (Vec::new(), String::new());
        let p = match self.core.access.authenticate(self.bearer.as_deref()).await {
            Ok(p) => p,
            Err(e) => return Err((self.principal.clone(), none(), e)),
        };
        let withdrawn = |why: String| {
            Error::PermissionDenied(format!(
                "{} may no longer receive this stream: {why}",
                p.name
            ))
        };
        let decision = decide(
            &self.core,
            &p,
            &self.method,
            self.rule,
            self.message.as_ref(),
        );
        if let Err((named, e)) = decision.await {
            return Err((p.name.clone(), named, withdrawn(e.to_string())));
        }
        let lost = self
            .grants
            .iter()
            .any(|id| !p.grants.iter().any(|g| g.id == *id));
        if self.rule.filtered && lost {
            let why = "a grant it was opened with was revoked; watch again for what remains";
            return Err((p.name.clone(), none(), withdrawn(why.into())));
        }
        Ok(())
    }
}

impl stream_guard::Recheck for OpenStream {
    fn recheck(&self) -> BoxFuture<'_, Result<(), Status>> {
        Box::pin(async move {
            let (who, named, e) = match self.verdict().await {
                Ok(()) => return Ok(()),
                Err(refused) => refused,
            };
            tracing::info!(principal = %who, method = %self.method, reason = %e, "ended an open stream");
            self.core
                .access
                .record(event(&who, &self.method, &named.0, &named.1, &e))
                .await;
            Err(e.into())
        })
    }
}

/// String values of a (string or repeated string) field.
fn strings(msg: Option<&DynamicMessage>, field: &str) -> Vec<String> {
    let Some(v) = msg.and_then(|m| m.get_field_by_name(field)) else {
        return vec![String::new()];
    };
    match v.as_ref() {
        Value::String(s) => vec![s.clone()],
        Value::List(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

type Named = (Vec<String>, String);

/// Checks the rule; on success the clusters and operation the call names, on refusal those
/// and the error.
async fn decide(
    core: &Core,
    p: &Principal,
    method: &str,
    rule: Rule,
    msg: Option<&DynamicMessage>,
) -> Result<Named, (Named, Error)> {
    let mut named: Named = (Vec::new(), String::new());
    let denied = |what: String| Error::PermissionDenied(format!("{} may not {what}", p.name));
    if rule.admin && !p.is_admin() {
        return Err((named, denied(format!("call {method} (admin only)"))));
    }
    if rule.new_cluster {
        let m = msg;
        let would_be = Cluster {
            name: strings(m, "name").concat(),
            environment: strings(m, "environment").concat(),
            tags: m
                .and_then(|m| m.get_field_by_name("tags"))
                .and_then(|v| v.as_map().cloned())
                .map(|map| {
                    map.into_iter()
                        .filter_map(|(k, v)| {
                            Some((k.as_str()?.to_string(), v.as_str()?.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            ..Default::default()
        };
        if !p.may(access::CONFIGURE, &would_be) {
            return Err((named, denied(format!("create cluster '{}'", would_be.name))));
        }
    }
    for (field, action) in rule.clusters {
        for id in strings(msg, field) {
            let found = if id.is_empty() {
                if !rule.default_cluster {
                    continue;
                }
                core.clusters.resolve("").await
            } else {
                core.clusters.get(&id).await
            };
            // Unknown clusters are the service's to report.
            let Some(c) = known(found).map_err(|e| (named.clone(), e))? else {
                continue;
            };
            named.0.push(c.id.clone());
            check(p, action, &c).map_err(|e| (named.clone(), e))?;
        }
    }
    if let Some(action) = rule.operation {
        let id = strings(msg, "operation_id").concat();
        named.1 = id.clone();
        let found = known(core.operations.get(&id).await).map_err(|e| (named.clone(), e))?;
        if let Some(op) = found {
            let source = core.clusters.get(&op.source_cluster_id).await.ok();
            let mut targets = Vec::new();
            for t in &op.target_cluster_ids {
                if let Ok(c) = core.clusters.get(t).await {
                    targets.push(c);
                }
            }
            named.0 = std::iter::once(op.source_cluster_id.clone())
                .chain(op.target_cluster_ids.iter().cloned())
                .collect();
            let all: Vec<&Cluster> = source.iter().chain(targets.iter()).collect();
            let sees = p.sees_operation(&op, |id| {
                all.iter().any(|c| c.id == id && p.may(access::VIEW, c))
            });
            // Viewing needs every one of its clusters; acting also needs the action on every
            // target (admin when the clusters are gone).
            let ok = sees
                && (action == access::VIEW
                    || if targets.is_empty() {
                        p.is_admin()
                    } else {
                        targets.iter().all(|c| p.may(action, c))
                    });
            if !ok {
                let e = if sees {
                    denied(format!("{action} on operation {id}"))
                } else {
                    Error::OperationNotFound(id.clone())
                };
                return Err((named, e));
            }
        }
    }
    Ok(named)
}

/// What a lookup found; a thing that does not exist (or a bad name) is the service's to
/// report, but a registry that cannot answer fails the call here.
fn known<T>(found: Result<T, Error>) -> Result<Option<T>, Error> {
    match found {
        Ok(v) => Ok(Some(v)),
        Err(e @ (Error::Unavailable(_) | Error::Internal(_))) => Err(e),
        Err(_) => Ok(None),
    }
}

/// May `p` perform `action` on `c`? A cluster it may not even view does not exist for it.
fn check(p: &Principal, action: &str, c: &Cluster) -> Result<(), Error> {
    if p.may(action, c) {
        Ok(())
    } else if p.may(access::VIEW, c) {
        Err(Error::PermissionDenied(format!(
            "{} may not {action} on cluster '{}'",
            p.name, c.name
        )))
    } else {
        Err(Error::ClusterNotFound(c.name.clone()))
    }
}

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}")
        .chars()
        .fold(String::new(), |mut s, ch| {
            if ch.is_uppercase() && !s.is_empty() {
                s.push('_');
            }
            s.push(ch.to_ascii_uppercase());
            s
        })
}

fn event(
    principal: &str,
    method: &str,
    clusters: &[String],
    operation: &str,
    e: &Error,
) -> AuditEvent {
    AuditEvent {
        principal: principal.to_string(),
        method: method.to_string(),
        cluster_ids: clusters.to_vec(),
        operation_id: operation.to_string(),
        outcome: code_name(crate::api::status::code(e)),
        message: e.to_string(),
        ..Default::default()
    }
}

/// The caller of a request, as the layer found it. Without one (the layer did not run) the
/// caller may do nothing.
pub fn principal<T>(req: &tonic::Request<T>) -> Principal {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .unwrap_or(Principal {
            name: "unknown".into(),
            grants: Vec::new(),
            token: None,
            authenticated: true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_has_a_rule() {
        let pool = DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        for s in pool.services().filter(|s| s.package_name() == "lkm.v1") {
            for m in s.methods() {
                let name = format!("{}/{}", s.full_name(), m.name());
                assert!(has_rule(&name), "{name} has no access rule");
            }
        }
    }

    #[test]
    fn code_names() {
        assert_eq!(
            code_name(tonic::Code::PermissionDenied),
            "PERMISSION_DENIED"
        );
        assert_eq!(code_name(tonic::Code::Ok), "OK");
    }
}
