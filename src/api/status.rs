//! The one mapping from lkm's errors to gRPC statuses (the REST gateway derives its HTTP
//! status from the gRPC code). Every status carries a `google.rpc.ErrorInfo` with a
//! machine-readable reason; invalid arguments also carry a `google.rpc.BadRequest`, rate
//! limits a `google.rpc.RetryInfo`.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::Error;

/// `google.rpc.ErrorInfo.domain` of every lkm error.
pub const ERROR_DOMAIN: &str = "lkm.local";

pub fn code(e: &Error) -> Code {
    match e {
        Error::ClusterNotFound(_)
        | Error::TemplateNotFound(_)
        | Error::OperationNotFound(_)
        | Error::TopicNotFound(_)
        | Error::GroupNotFound(_)
        | Error::NotFound { .. } => Code::NotFound,
        Error::ClusterAlreadyExists(_)
        | Error::TemplateAlreadyExists(_)
        | Error::TopicAlreadyExists(_) => Code::AlreadyExists,
        Error::PortAllocation(_) | Error::ResourceExhausted { .. } | Error::RateLimited { .. } => {
            Code::ResourceExhausted
        }
        Error::InvalidArgument { .. } => Code::InvalidArgument,
        Error::FailedPrecondition { .. } => Code::FailedPrecondition,
        Error::CrossClusterOperation(_) => Code::Aborted,
        Error::Unimplemented(_) => Code::Unimplemented,
        Error::Unavailable(_) => Code::Unavailable,
        Error::PermissionDenied(_) => Code::PermissionDenied,
        Error::Unauthenticated(_) => Code::Unauthenticated,
        Error::DeadlineExceeded(_) => Code::DeadlineExceeded,
        // Another system (the broker) failed in a way lkm cannot classify.
        Error::Broker(_) => Code::Unknown,
        Error::Internal(_) => Code::Internal,
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        let code = code(&e);
        let message = match &e {
            Error::Internal(cause) => {
                // The cause is for the operator's log, not for the caller.
                let reference = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(%reference, cause = %cause, "internal error");
                format!("internal error (reference {reference}; details in the lkm server log)")
            }
            other => other.to_string(),
        };
        let mut details = ErrorDetails::with_error_info(e.reason(), ERROR_DOMAIN, e.metadata());
        match &e {
            Error::InvalidArgument { field, message } => {
                details.add_bad_request_violation(field.clone(), message.clone());
            }
            Error::RateLimited { retry_after, .. } => {
                details.set_retry_info(Some(*retry_after));
            }
            _ => {}
        }
        Status::with_error_details(code, message, details)
    }
}

pub type GrpcResult<T> = Result<tonic::Response<T>, Status>;
