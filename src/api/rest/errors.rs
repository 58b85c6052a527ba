//! gRPC statuses as HTTP responses: the status code from grpc-gateway's table, the body the
//! `google.rpc.Status` JSON (code, message, details such as ErrorInfo).

use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use prost_reflect::DescriptorPool;
use tonic::{Code, Status};

use super::transcode;

pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The `google.rpc.Status` JSON of a status.
pub fn status_json(pool: &DescriptorPool, status: &Status) -> Vec<u8> {
    if !status.details().is_empty()
        && let Some(desc) = pool.get_message_by_name("google.rpc.Status")
        && let Ok(msg) = prost_reflect::DynamicMessage::decode(desc, status.details())
    {
        return transcode::to_json(&msg);
    }
    serde_json::to_vec(&serde_json::json!({
        "code": status.code() as i32,
        "message": status.message(),
        "details": [],
    }))
    .unwrap_or_default()
}

/// The error response of a status; a status that says when to retry (`google.rpc.RetryInfo`)
/// also has a `Retry-After` header (whole seconds, at least 1).
pub fn response(pool: &DescriptorPool, status: &Status) -> Response {
    let mut res = (
        http_status(status.code()),
        [(header::CONTENT_TYPE, "application/json")],
        status_json(pool, status),
    )
        .into_response();
    use tonic_types::StatusExt;
    if let Some(delay) = status.get_details_retry_info().and_then(|r| r.retry_delay) {
        let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        res.headers_mut()
            .insert(header::RETRY_AFTER, http::HeaderValue::from(secs.max(1)));
    }
    res
}
