//! The REST/JSON gateway. Its routes are derived from the `google.api.http` annotations of
//! the compiled descriptor; each handler transcodes JSON to the RPC's protobuf request,
//! calls the gRPC service in-process and renders the response (or the error) as JSON.
//! Server-streaming RPCs are served as Server-Sent Events.

pub mod bindings;
pub mod errors;
pub mod grpc_call;
pub mod openapi;
pub mod transcode;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, RawQuery};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, on};
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, Method, header};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};
use tonic::Status;

use crate::api::auth_limit::ClientAddr;
use bindings::Binding;
use grpc_call::GrpcService;

/// What every gateway handler shares.
struct Gateway {
    pool: DescriptorPool,
    grpc: GrpcService,
}

impl Gateway {
    async fn handle(
        &self,
        binding: &Binding,
        params: Vec<(String, String)>,
        query: Option<String>,
        headers: HeaderMap,
        client: Option<ClientAddr>,
        body: Bytes,
    ) -> Response {
        let request = if binding.rpc.is_client_streaming() {
            // Newline-delimited JSON: one request message per line.
            let mut frames = Vec::new();
            for (n, line) in body.split(|b| *b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match transcode::request(binding, &params, query.as_deref(), line) {
                    Ok(m) => frames.push(m.encode_to_vec()),
                    Err(e) => {
                        let e = transcode::BadRequest(format!("line {}: {}", n + 1, e.0));
                        return errors::response(&self.pool, &Status::from(e.into_error()));
                    }
                }
            }
            grpc_call::Messages::Many(frames)
        } else {
            match transcode::request(binding, &params, query.as_deref(), &body) {
                Ok(r) => grpc_call::Messages::One(r.encode_to_vec()),
                Err(e) => return errors::response(&self.pool, &Status::from(e.into_error())),
            }
        };
        let path = binding.grpc_path();
        if binding.rpc.is_server_streaming() {
            return self.stream(binding, &path, &headers, client, request).await;
        }
        match grpc_call::unary(&self.grpc, &path, &headers, client, request).await {
            Ok(bytes) => match DynamicMessage::decode(binding.rpc.output(), bytes) {
                Ok(msg) => (
                    binding.success,
                    [(header::CONTENT_TYPE, "application/json")],
                    transcode::to_json(&transcode::response(binding, msg)),
                )
                    .into_response(),
                Err(e) => errors::response(
                    &self.pool,
                    &Status::internal(format!("gateway: undecodable response: {e}")),
                ),
            },
            Err(status) => errors::response(&self.pool, &status),
        }
    }

    /// Server streaming as Server-Sent Events: one `message` event per response message, an
    /// `error` event (google.rpc.Status JSON) if the stream fails. A call that fails before
    /// its first message is an ordinary HTTP error.
    async fn stream(
        &self,
        binding: &Binding,
        path: &str,
        headers: &HeaderMap,
        client: Option<ClientAddr>,
        request: grpc_call::Messages,
    ) -> Response {
        let stream =
            match grpc_call::server_streaming(&self.grpc, path, headers, client, request).await {
                Ok(s) => s,
                Err(status) => return errors::response(&self.pool, &status),
            };
        // A call that fails at once (not found, not running) is an ordinary HTTP error; one
        // that has nothing to send yet (consuming from the end) starts the event stream.
        let mut stream = Box::pin(stream.peekable());
        let first = tokio::time::timeout(Duration::from_millis(250), stream.as_mut().peek()).await;
        if let Ok(Some(Err(status))) = first {
            let status = status.clone();
            return errors::response(&self.pool, &status);
        }
        let pool = self.pool.clone();
        let output = binding.rpc.output();
        let events = stream.map(move |item| -> Result<Event, Infallible> {
            Ok(match item {
                Ok(bytes) => match DynamicMessage::decode(output.clone(), bytes) {
                    Ok(msg) => json_event("message", transcode::to_json(&msg)),
                    Err(e) => json_event(
                        "error",
                        errors::status_json(&pool, &Status::internal(format!("gateway: {e}"))),
                    ),
                },
                Err(status) => json_event("error", errors::status_json(&pool, &status)),
            })
        });
        Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response()
    }
}

fn json_event(name: &str, json: Vec<u8>) -> Event {
    Event::default()
        .event(name)
        .data(String::from_utf8_lossy(&json))
}

fn filter(method: &Method) -> MethodFilter {
    match *method {
        Method::GET => MethodFilter::GET,
        Method::PUT => MethodFilter::PUT,
        Method::POST => MethodFilter::POST,
        Method::DELETE => MethodFilter::DELETE,
        _ => MethodFilter::PATCH,
    }
}

/// The gateway's routes for every binding of the `lkm.v1` services, and the OpenAPI document
/// describing them at `/openapi.json`.
pub fn router(pool: DescriptorPool, grpc: GrpcService, max_body: usize) -> Result<Router, String> {
    let bindings = bindings::from_descriptor(&pool, "lkm.v1")?;
    let document = serde_json::to_vec(&openapi::document(&pool, &bindings))
        .map_err(|e| format!("OpenAPI document: {e}"))?;
    let document = Bytes::from(document);
    let gateway = Arc::new(Gateway { pool, grpc });
    let mut by_path: BTreeMap<String, MethodRouter> = BTreeMap::new();
    for binding in bindings {
        let method = filter(&binding.method);
        let path = binding.path.clone();
        let binding = Arc::new(binding);
        let gw = gateway.clone();
        let handler = move |params: Result<RawPathParams, RawPathParamsRejection>,
                            RawQuery(query): RawQuery,
                            headers: HeaderMap,
                            client: Option<axum::Extension<ClientAddr>>,
                            body: axum::body::Body| {
            let gw = gw.clone();
            let binding = binding.clone();
            async move {
                // A path segment that is not UTF-8 once decoded is a bad request, in JSON.
                let params = match params {
                    Ok(p) => p
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    Err(e) => {
                        let e = crate::error::Error::invalid("request", e.body_text());
                        return errors::response(&gw.pool, &Status::from(e));
                    }
                };
                // An oversized body is a bad request like any other, answered in JSON.
                let body = match axum::body::to_bytes(body, max_body).await {
                    Ok(b) => b,
                    Err(_) => {
                        let e = crate::error::Error::invalid(
                            "request",
                            format!("the request body exceeds {max_body} bytes"),
                        );
                        return errors::response(&gw.pool, &Status::from(e));
                    }
                };
                let client = client.map(|axum::Extension(c)| c);
                gw.handle(&binding, params, query, headers, client, body)
                    .await
            }
        };
        let route = match by_path.remove(&path) {
            Some(existing) => existing.on(method, handler),
            None => on(method, handler),
        };
        by_path.insert(path, route);
    }
    let mut router = Router::new().route(
        "/openapi.json",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
    );
    for (path, route) in by_path {
        router = router.route(&path, route);
    }
    Ok(router.method_not_allowed_fallback(method_not_allowed))
}

/// A method a gateway path does not serve: 405 (with `Allow`), in google.rpc.Status JSON
/// like every other gateway error.
async fn method_not_allowed(method: Method, uri: http::Uri) -> Response {
    let body = serde_json::json!({
        "code": tonic::Code::Unimplemented as i32,
        "message": format!("{method} is not allowed on {}", uri.path()),
        "details": [],
    });
    (
        http::StatusCode::METHOD_NOT_ALLOWED,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
