//! Defence against web pages in the user's browser, with authentication on or off: a page of
//! another site must not be able to use lkm through the browser, neither by cross-site
//! requests (CSRF) nor by DNS rebinding (its own name resolving to lkm's address).
//!
//! - The Host must be one lkm serves: `localhost`, a loopback address, the listener's address
//!   (any address when it listens on all of them: an address cannot be rebound), or a name
//!   in `allowed_hosts`. A rebinding page's requests carry the page's own name.
//! - A request that changes something (POST, PUT, PATCH, DELETE) and carries an Origin must
//!   come from lkm's own origin (the dashboard) or one in `cors_allowed_origins`.
//! - A request body must be JSON (`application/json`; `application/x-ndjson` for request
//!   streams) or gRPC (`application/grpc…`, gRPC-web included): what a page may send without
//!   a CORS preflight (text/plain, forms) is refused, so a foreign page cannot send a body
//!   at all.
//!
//! Refusals are 403 (Host, Origin) or 415 (content type) with a `google.rpc.Status` JSON body,
//! or the same as a gRPC status to a gRPC caller.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use http_body::Body as _;
use tonic::{Code, Status};

use crate::config::Config;
use crate::core::validate::printable;

/// What the guard lets in.
pub struct WebGuard {
    /// Addresses the listener is bound to (configured and actual).
    addresses: Vec<IpAddr>,
    /// The listener is on every address: any address is lkm's.
    every_address: bool,
    /// `allowed_hosts`, lowercase.
    hosts: Vec<String>,
    /// `cors_allowed_origins`, lowercase.
    origins: Vec<String>,
}

/// Why a request is refused.
struct Refusal {
    status: StatusCode,
    code: Code,
    message: String,
}

impl WebGuard {
    /// The guard of a server configured by `config` and listening on `bound`.
    pub fn new(config: &Config, bound: SocketAddr) -> WebGuard {
        let addresses = vec![config.listen.ip(), bound.ip()];
        WebGuard {
            every_address: addresses.iter().any(IpAddr::is_unspecified),
            addresses,
            hosts: config
                .allowed_hosts
                .iter()
                .map(|h| host_name(h).to_string())
                .collect(),
            origins: config
                .cors_allowed_origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }

    fn host_allowed(&self, authority: &str) -> bool {
        let name = host_name(authority);
        if self.hosts.contains(&name) {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || self.every_address || self.addresses.contains(&ip),
            Err(_) => name == "localhost",
        }
    }

    /// Whether a page of `origin` may change things through a request to `host`: lkm's own
    /// pages (same host and port), or a configured origin.
    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.origins.contains(&origin) {
            return true;
        }
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
    }

    fn check(&self, req: &Request) -> Result<(), Refusal> {
        let forbidden = |message: String| Refusal {
            status: StatusCode::FORBIDDEN,
            code: Code::PermissionDenied,
            message,
        };
        // HTTP/1.1 names the host in `Host`, HTTP/2 in the request's authority.
        let host_header = match req.headers().get(header::HOST).map(HeaderValue::to_str) {
            None => None,
            Some(Ok(h)) => Some(h),
            Some(Err(_)) => return Err(forbidden("the Host header is not text".into())),
        };
        let authority = req.uri().authority().map(|a| a.as_str());
        for host in [host_header, authority].into_iter().flatten() {
            if !self.host_allowed(host) {
                return Err(forbidden(format!(
                    "'{}' is not a host name this lkm serves (loopback names and addresses, \
                     its listen address, and the names in the allowed_hosts setting)",
                    printable(host)
                )));
            }
        }
        let changes = matches!(
            *req.method(),
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        );
        if !changes {
            return Ok(());
        }
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("?");
            if !self.origin_allowed(origin, host_header.or(authority)) {
                return Err(forbidden(format!(
                    "a page of origin '{}' may not change anything here (allowed: lkm's own \
                     pages and the cors_allowed_origins setting)",
                    printable(origin)
                )));
            }
        }
        let content_type = req.headers().get(header::CONTENT_TYPE);
        let has_body = !req.body().is_end_stream() && req.body().size_hint().exact() != Some(0);
        if (has_body || content_type.is_some()) && !content_type.is_some_and(accepted) {
            let given =
                content_type.map_or("none".into(), |v| printable(v.to_str().unwrap_or("?")));
            return Err(Refusal {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: Code::InvalidArgument,
                message: format!(
                    "a request body must be application/json (application/x-ndjson for a \
                     stream of requests) or gRPC, not {given}"
                ),
            });
        }
        Ok(())
    }
}

/// The host of an authority (`name`, `name:port`, `[v6]:port`), lowercase, without brackets.
fn host_name(authority: &str) -> String {
    let host = match authority.parse::<http::uri::Authority>() {
        Ok(a) => a.host().to_string(),
        Err(_) => authority.to_string(),
    };
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn media_type(v: &HeaderValue) -> String {
    let text = v.to_str().unwrap_or_default();
    let essence = text.split(';').next().unwrap_or_default();
    essence.trim().to_ascii_lowercase()
}

fn is_grpc(v: &HeaderValue) -> bool {
    media_type(v).starts_with("application/grpc")
}

fn accepted(v: &HeaderValue) -> bool {
    let t = media_type(v);
    t == "application/json" || t == "application/x-ndjson" || is_grpc(v)
}

/// The middleware: refuses what the guard does not let in, before anything else sees it.
pub async fn check(State(guard): State<Arc<WebGuard>>, req: Request, next: Next) -> Response {
    let Err(refusal) = guard.check(&req) else {
        return next.run(req).await;
    };
    tracing::warn!(
        method = %req.method(),
        path = %req.uri().path(),
        reason = %refusal.message,
        "refused a request a web page may have sent"
    );
    let grpc = req.headers().get(header::CONTENT_TYPE);
    if let Some(ct) = grpc.filter(|v| is_grpc(v)) {
        let mut res = Status::new(refusal.code, refusal.message).into_http::<axum::body::Body>();
        if media_type(ct).starts_with("application/grpc-web") {
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/grpc-web+proto"),
            );
        }
        return res;
    }
    let body = serde_json::json!({
        "code": refusal.code as i32,
        "message": refusal.message,
        "details": [],
    });
    (
        refusal.status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
