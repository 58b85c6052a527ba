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

pub fn response(pool: &DescriptorPool, status: &Status) -> Response {
    (
        http_status(status.code()),
        [(header::CONTENT_TYPE, "application/json")],
        status_json(pool, status),
    )
        .into_response()
}
