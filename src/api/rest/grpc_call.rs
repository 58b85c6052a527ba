//! Calls the gRPC services in-process: the gateway frames the request as gRPC and hands it to
//! the same tower service that serves gRPC clients, so REST and gRPC run the same code
//! (including whatever layers wrap the services).

use std::convert::Infallible;

use bytes::{Buf, Bytes, BytesMut};
use futures::Stream;
use http::{HeaderMap, Request, header};
use http_body_util::BodyExt;
use tonic::Status;
use tower::ServiceExt;

use crate::api::auth_limit::ClientAddr;

/// The gRPC services as a tower service (behind the auth layer, like every other caller).
pub type GrpcService = crate::api::auth::Auth<tonic::service::Routes>;

/// Request headers forwarded to the gRPC call.
const FORWARDED: &[&str] = &["authorization", "x-request-id"];

/// The request message(s) of a call: one, or a whole client stream.
pub enum Messages {
    One(Vec<u8>),
    Many(Vec<Vec<u8>>),
}

impl Messages {
    fn framed(&self) -> Bytes {
        let all: &[Vec<u8>] = match self {
            Messages::One(m) => std::slice::from_ref(m),
            Messages::Many(ms) => ms,
        };
        let mut buf = BytesMut::with_capacity(all.iter().map(|m| m.len() + 5).sum());
        for message in all {
            buf.extend_from_slice(&[0]);
            buf.extend_from_slice(&(message.len() as u32).to_be_bytes());
            buf.extend_from_slice(message);
        }
        buf.freeze()
    }
}

async fn call(
    grpc: &GrpcService,
    path: &str,
    headers: &HeaderMap,
    client: Option<ClientAddr>,
    message: Messages,
) -> Result<http::Response<tonic::body::Body>, Status> {
    let mut req = Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .version(http::Version::HTTP_2)
        .header(header::CONTENT_TYPE, "application/grpc")
        .header(header::TE, "trailers")
        .body(axum::body::Body::from(message.framed()))
        .map_err(|e| Status::internal(format!("gateway: {e}")))?;
    for name in FORWARDED {
        if let Some(v) = headers.get(*name) {
            req.headers_mut().insert(*name, v.clone());
        }
    }
    // Who called, for the limit on failed authentication and the audit log.
    if let Some(client) = client {
        req.extensions_mut().insert(client);
    }
    let res: Result<_, Infallible> = grpc.clone().oneshot(req).await;
    let res = match res {
        Ok(r) => r,
        Err(never) => match never {},
    };
    // A "trailers-only" response: the call failed before sending anything.
    if let Some(status) = Status::from_header_map(res.headers())
        && status.code() != tonic::Code::Ok
    {
        return Err(status);
    }
    Ok(res)
}

/// Pulls complete gRPC messages out of a buffer of frames.
fn next_message(buf: &mut BytesMut) -> Result<Option<Bytes>, Status> {
    if buf.len() < 5 {
        return Ok(None);
    }
    if buf[0] != 0 {
        return Err(Status::internal(
            "gateway: compressed response frames are not expected",
        ));
    }
    let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
    if buf.len() < 5 + len {
        return Ok(None);
    }
    buf.advance(5);
    Ok(Some(buf.split_to(len).freeze()))
}

fn status_of(trailers: &HeaderMap) -> Option<Status> {
    Status::from_header_map(trailers).filter(|s| s.code() != tonic::Code::Ok)
}

/// A unary call: the response message, or the status it failed with.
pub async fn unary(
    grpc: &GrpcService,
    path: &str,
    headers: &HeaderMap,
    client: Option<ClientAddr>,
    message: Messages,
) -> Result<Bytes, Status> {
    let res = call(grpc, path, headers, client, message).await?;
    let collected = res
        .into_body()
        .collect()
        .await
        .map_err(|e| Status::internal(format!("gateway: reading response: {e}")))?;
    if let Some(status) = collected.trailers().and_then(status_of) {
        return Err(status);
    }
    let mut buf = BytesMut::from(collected.to_bytes().as_ref());
    next_message(&mut buf)?.ok_or_else(|| Status::internal("gateway: empty response"))
}

/// A server-streaming call: its messages as they come, ending with an error if the call
/// fails mid-way.
pub async fn server_streaming(
    grpc: &GrpcService,
    path: &str,
    headers: &HeaderMap,
    client: Option<ClientAddr>,
    message: Messages,
) -> Result<impl Stream<Item = Result<Bytes, Status>> + Send + use<>, Status> {
    let res = call(grpc, path, headers, client, message).await?;
    let body = res.into_body();
    let state = (body, BytesMut::new(), false);
    Ok(futures::stream::unfold(
        state,
        |(mut body, mut buf, done)| async move {
            if done {
                return None;
            }
            loop {
                match next_message(&mut buf) {
                    Ok(Some(msg)) => return Some((Ok(msg), (body, buf, false))),
                    Ok(None) => {}
                    Err(status) => return Some((Err(status), (body, buf, true))),
                }
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(trailers) = frame.trailers_ref() {
                            return status_of(trailers).map(|s| (Err(s), (body, buf, true)));
                        }
                        if let Ok(data) = frame.into_data() {
                            buf.extend_from_slice(&data);
                        }
                    }
                    Some(Err(e)) => {
                        let status = Status::unavailable(format!("stream interrupted: {e}"));
                        return Some((Err(status), (body, buf, true)));
                    }
                    None => return None,
                }
            }
        },
    ))
}
