//! The one error type of lkm. Every failure a caller can see is one of these; the API layer
//! maps each to a gRPC code (and from there to an HTTP status) in exactly one place
//! (`api::status`).

use std::collections::HashMap;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cluster '{0}' not found")]
    ClusterNotFound(String),
    #[error("a cluster named '{0}' already exists")]
    ClusterAlreadyExists(String),
    #[error("template '{0}' not found")]
    TemplateNotFound(String),
    #[error("a template with id '{0}' already exists")]
    TemplateAlreadyExists(String),
    #[error("operation '{0}' not found")]
    OperationNotFound(String),
    #[error("topic '{0}' not found")]
    TopicNotFound(String),
    /// Any other thing a request names that does not exist (tokens, grants).
    #[error("{message}")]
    NotFound {
        reason: &'static str,
        message: String,
    },
    #[error("a topic named '{0}' already exists")]
    TopicAlreadyExists(String),
    #[error("consumer group '{0}' not found")]
    GroupNotFound(String),
    /// No free port (or not enough) in the configured range.
    #[error("{0}")]
    PortAllocation(String),
    /// A limit was reached: number of clusters, storage quota, memory.
    #[error("{message}")]
    ResourceExhausted {
        reason: &'static str,
        message: String,
    },
    /// Too many calls of a kind from one client; it may try again after `retry_after`.
    #[error("{message}")]
    RateLimited {
        reason: &'static str,
        message: String,
        retry_after: std::time::Duration,
    },
    /// The request itself is wrong; `field` names the offending field (proto path).
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    /// The request is fine but the system is not in a state that allows it.
    #[error("{message}")]
    FailedPrecondition {
        reason: &'static str,
        message: String,
    },
    #[error("{0}")]
    CrossClusterOperation(String),
    #[error("{0}")]
    Unimplemented(String),
    /// A dependency (Docker, a Kafka broker, the database) does not answer.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    DeadlineExceeded(String),
    /// A Kafka broker refused a request for a reason lkm has no better code for; the text is
    /// the broker's.
    #[error("{0}")]
    Broker(String),
    /// A bug or an unexpected failure below us. The text is logged, never sent to callers.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Error::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        Error::Internal(context.to_string())
    }

    /// Machine-readable reason (`google.rpc.ErrorInfo.reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::ClusterNotFound(_) => "CLUSTER_NOT_FOUND",
            Error::ClusterAlreadyExists(_) => "CLUSTER_ALREADY_EXISTS",
            Error::TemplateNotFound(_) => "TEMPLATE_NOT_FOUND",
            Error::TemplateAlreadyExists(_) => "TEMPLATE_ALREADY_EXISTS",
            Error::OperationNotFound(_) => "OPERATION_NOT_FOUND",
            Error::TopicNotFound(_) => "TOPIC_NOT_FOUND",
            Error::NotFound { reason, .. } => reason,
            Error::TopicAlreadyExists(_) => "TOPIC_ALREADY_EXISTS",
            Error::GroupNotFound(_) => "GROUP_NOT_FOUND",
            Error::PortAllocation(_) => "PORTS_EXHAUSTED",
            Error::ResourceExhausted { reason, .. } => reason,
            Error::RateLimited { reason, .. } => reason,
            Error::InvalidArgument { .. } => "INVALID_ARGUMENT",
            Error::FailedPrecondition { reason, .. } => reason,
            Error::CrossClusterOperation(_) => "CROSS_CLUSTER_OPERATION_FAILED",
            Error::Unimplemented(_) => "NOT_IMPLEMENTED",
            Error::Unavailable(_) => "UNAVAILABLE",
            Error::PermissionDenied(_) => "PERMISSION_DENIED",
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::DeadlineExceeded(_) => "DEADLINE_EXCEEDED",
            Error::Broker(_) => "KAFKA_ERROR",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// Structured details (`google.rpc.ErrorInfo.metadata`).
    pub fn metadata(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        match self {
            Error::ClusterNotFound(c) | Error::ClusterAlreadyExists(c) => {
                m.insert("cluster".into(), c.clone());
            }
            Error::TemplateNotFound(t) | Error::TemplateAlreadyExists(t) => {
                m.insert("template".into(), t.clone());
            }
            Error::OperationNotFound(o) => {
                m.insert("operation".into(), o.clone());
            }
            Error::TopicNotFound(t) | Error::TopicAlreadyExists(t) => {
                m.insert("topic".into(), t.clone());
            }
            Error::GroupNotFound(g) => {
                m.insert("group".into(), g.clone());
            }
            Error::InvalidArgument { field, .. } => {
                m.insert("field".into(), field.clone());
            }
            _ => {}
        }
        m
    }
}
