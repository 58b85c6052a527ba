//! The one mapping from Kafka's errors (broker error codes and librdkafka's local ones) to
//! lkm's errors.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::error::Error;

/// What a failed Kafka call was about, so that "unknown topic" can name the topic.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    Cluster,
    Topic(&'a str),
    Group(&'a str),
}

/// An lkm error for a Kafka error code; `detail` is the broker's (or librdkafka's) own text,
/// when there is one beyond the code.
pub fn from_code(code: RDKafkaErrorCode, detail: &str, subject: Subject<'_>) -> Error {
    use RDKafkaErrorCode as C;
    let words = if detail.is_empty() || code.to_string().contains(detail) {
        code.to_string()
    } else {
        format!("{code}: {detail}")
    };
    match code {
        C::UnknownTopicOrPartition | C::UnknownTopic | C::UnknownTopicId => match subject {
            Subject::Topic(t) => Error::TopicNotFound(t.to_string()),
            _ => Error::invalid("topic", words),
        },
        C::UnknownPartition => Error::invalid("partition", words),
        C::TopicAlreadyExists => match subject {
            Subject::Topic(t) => Error::TopicAlreadyExists(t.to_string()),
            _ => Error::Broker(words),
        },
        C::GroupIdNotFound => match subject {
            Subject::Group(g) => Error::GroupNotFound(g.to_string()),
            _ => Error::Broker(words),
        },
        C::NonEmptyGroup | C::UnknownMemberId | C::IllegalGeneration | C::RebalanceInProgress => {
            Error::precondition(
                "GROUP_NOT_EMPTY",
                format!(
                    "the consumer group has active members ({words}); stop its consumers first"
                ),
            )
        }
        C::InvalidPartitions => Error::invalid("partitions", words),
        C::InvalidReplicationFactor | C::InvalidReplicaAssignment => {
            Error::invalid("replication_factor", words)
        }
        C::InvalidConfig => Error::invalid("configs", words),
        C::InvalidTopic => Error::invalid("topic", words),
        C::InvalidGroupId => Error::invalid("group_id", words),
        C::MessageSizeTooLarge | C::InvalidMessageSize | C::MessageBatchTooLarge => {
            Error::invalid("records", words)
        }
        C::InvalidTimestamp => Error::invalid("timestamp", words),
        C::InvalidRequest | C::PolicyViolation | C::InvalidArgument | C::InvalidRecord => {
            Error::invalid("request", words)
        }
        C::OffsetOutOfRange => Error::invalid("offset", words),
        C::BrokerTransportFailure
        | C::AllBrokersDown
        | C::Resolve
        | C::NetworkException
        | C::LeaderNotAvailable
        | C::NotLeaderForPartition
        | C::BrokerNotAvailable
        | C::ReplicaNotAvailable
        | C::CoordinatorLoadInProgress
        | C::CoordinatorNotAvailable
        | C::NotCoordinator
        | C::NotController
        | C::WaitingForCoordinator
        | C::NotEnoughReplicas
        | C::NotEnoughReplicasAfterAppend
        | C::KafkaStorageError
        | C::BrokerDestroy
        | C::DestroyBroker
        | C::ThrottlingQuotaExceeded => {
            Error::Unavailable(format!("the Kafka cluster does not answer: {words}"))
        }
        C::MessageTimedOut | C::OperationTimedOut | C::RequestTimedOut | C::TimedOutQueue => {
            Error::DeadlineExceeded(format!("Kafka did not answer in time: {words}"))
        }
        C::UnsupportedFeature
        | C::UnsupportedVersion
        | C::UnsupportedForMessageFormat
        | C::NotImplemented
        | C::TopicDeletionDisabled => {
            Error::Unimplemented(format!("the Kafka broker does not support this: {words}"))
        }
        C::TopicAuthorizationFailed
        | C::GroupAuthorizationFailed
        | C::ClusterAuthorizationFailed
        | C::SaslAuthenticationFailed => Error::PermissionDenied(words),
        _ => Error::Broker(words),
    }
}

/// An lkm error for an rdkafka error.
pub fn from_kafka(e: &KafkaError, subject: Subject<'_>) -> Error {
    match e.rdkafka_error_code() {
        Some(code) => from_code(code, "", subject),
        None => match e {
            KafkaError::AdminOp(code) => from_code(*code, "", subject),
            KafkaError::Canceled => {
                Error::Unavailable("the Kafka client was closed (the cluster stopped?)".into())
            }
            KafkaError::PartitionEOF(_) | KafkaError::NoMessageReceived => {
                Error::internal(format!("unexpected Kafka event: {e}"))
            }
            other => Error::internal(format!("Kafka client: {other}")),
        },
    }
}

/// A short text for one record's delivery error (sent to the caller with that record).
pub fn delivery_error(e: &KafkaError) -> String {
    match e.rdkafka_error_code() {
        Some(code) => code.to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_documented_errors() {
        let t = Subject::Topic("orders");
        let cases = [
            (RDKafkaErrorCode::UnknownTopicOrPartition, "TOPIC_NOT_FOUND"),
            (RDKafkaErrorCode::TopicAlreadyExists, "TOPIC_ALREADY_EXISTS"),
            (RDKafkaErrorCode::InvalidPartitions, "INVALID_ARGUMENT"),
            (
                RDKafkaErrorCode::InvalidReplicationFactor,
                "INVALID_ARGUMENT",
            ),
            (RDKafkaErrorCode::InvalidConfig, "INVALID_ARGUMENT"),
            (RDKafkaErrorCode::InvalidTopic, "INVALID_ARGUMENT"),
            (RDKafkaErrorCode::AllBrokersDown, "UNAVAILABLE"),
            (RDKafkaErrorCode::BrokerTransportFailure, "UNAVAILABLE"),
            (RDKafkaErrorCode::OperationTimedOut, "DEADLINE_EXCEEDED"),
            (RDKafkaErrorCode::MessageTimedOut, "DEADLINE_EXCEEDED"),
            (RDKafkaErrorCode::UnsupportedFeature, "NOT_IMPLEMENTED"),
            (RDKafkaErrorCode::NonEmptyGroup, "GROUP_NOT_EMPTY"),
            (RDKafkaErrorCode::PolicyViolation, "INVALID_ARGUMENT"),
        ];
        for (kafka, reason) in cases {
            assert_eq!(from_code(kafka, "", t).reason(), reason, "{kafka:?}");
        }
        assert!(matches!(
            from_code(RDKafkaErrorCode::UnknownTopicOrPartition, "", t),
            Error::TopicNotFound(n) if n == "orders"
        ));
        assert!(matches!(
            from_code(RDKafkaErrorCode::GroupIdNotFound, "", Subject::Group("g")),
            Error::GroupNotFound(g) if g == "g"
        ));
        let e = from_code(
            RDKafkaErrorCode::UnsupportedFeature,
            "CreatePartitions not supported by broker",
            t,
        );
        assert!(e.to_string().contains("CreatePartitions"), "{e}");
    }
}
