import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OperationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_TYPE_UNSPECIFIED: _ClassVar[OperationType]
    OPERATION_TYPE_MIGRATE: _ClassVar[OperationType]
    OPERATION_TYPE_REPLICATE: _ClassVar[OperationType]
    OPERATION_TYPE_COMPARE: _ClassVar[OperationType]

class OperationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_STATUS_UNSPECIFIED: _ClassVar[OperationStatus]
    OPERATION_STATUS_PENDING: _ClassVar[OperationStatus]
    OPERATION_STATUS_RUNNING: _ClassVar[OperationStatus]
    OPERATION_STATUS_SUCCEEDED: _ClassVar[OperationStatus]
    OPERATION_STATUS_FAILED: _ClassVar[OperationStatus]
    OPERATION_STATUS_CANCELLED: _ClassVar[OperationStatus]
OPERATION_TYPE_UNSPECIFIED: OperationType
OPERATION_TYPE_MIGRATE: OperationType
OPERATION_TYPE_REPLICATE: OperationType
OPERATION_TYPE_COMPARE: OperationType
OPERATION_STATUS_UNSPECIFIED: OperationStatus
OPERATION_STATUS_PENDING: OperationStatus
OPERATION_STATUS_RUNNING: OperationStatus
OPERATION_STATUS_SUCCEEDED: OperationStatus
OPERATION_STATUS_FAILED: OperationStatus
OPERATION_STATUS_CANCELLED: OperationStatus

class Operation(_message.Message):
    __slots__ = ("id", "operation_type", "source_cluster_id", "target_cluster_ids", "topics", "include_data", "preserve_partitions", "status", "progress_percent", "created_at", "started_at", "completed_at", "error_message", "include_consumer_groups", "preserve_timestamps", "dry_run", "progress", "migration", "replication", "created_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DATA_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CONSUMER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_TIMESTAMPS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    operation_type: OperationType
    source_cluster_id: str
    target_cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    topics: _containers.RepeatedScalarFieldContainer[str]
    include_data: bool
    preserve_partitions: bool
    status: OperationStatus
    progress_percent: float
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    error_message: str
    include_consumer_groups: bool
    preserve_timestamps: bool
    dry_run: bool
    progress: OperationProgress
    migration: MigrationResult
    replication: ReplicationResult
    created_by: str
    def __init__(self, id: _Optional[str] = ..., operation_type: _Optional[_Union[OperationType, str]] = ..., source_cluster_id: _Optional[str] = ..., target_cluster_ids: _Optional[_Iterable[str]] = ..., topics: _Optional[_Iterable[str]] = ..., include_data: _Optional[bool] = ..., preserve_partitions: _Optional[bool] = ..., status: _Optional[_Union[OperationStatus, str]] = ..., progress_percent: _Optional[float] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_message: _Optional[str] = ..., include_consumer_groups: _Optional[bool] = ..., preserve_timestamps: _Optional[bool] = ..., dry_run: _Optional[bool] = ..., progress: _Optional[_Union[OperationProgress, _Mapping]] = ..., migration: _Optional[_Union[MigrationResult, _Mapping]] = ..., replication: _Optional[_Union[ReplicationResult, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...

class OperationProgress(_message.Message):
    __slots__ = ("messages_copied", "messages_total", "bytes_copied", "messages_per_second", "bytes_per_second", "eta", "partitions")
    MESSAGES_COPIED_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BYTES_COPIED_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    BYTES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    messages_copied: int
    messages_total: int
    bytes_copied: int
    messages_per_second: float
    bytes_per_second: float
    eta: _duration_pb2.Duration
    partitions: _containers.RepeatedCompositeFieldContainer[PartitionProgress]
    def __init__(self, messages_copied: _Optional[int] = ..., messages_total: _Optional[int] = ..., bytes_copied: _Optional[int] = ..., messages_per_second: _Optional[float] = ..., bytes_per_second: _Optional[float] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., partitions: _Optional[_Iterable[_Union[PartitionProgress, _Mapping]]] = ...) -> None: ...

class PartitionProgress(_message.Message):
    __slots__ = ("topic", "partition", "messages_copied", "messages_total", "bytes_copied", "next_offset", "done", "end_offset", "target_next_offset", "checksum", "offset_runs", "target_start_offset")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_COPIED_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BYTES_COPIED_FIELD_NUMBER: _ClassVar[int]
    NEXT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    TARGET_NEXT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    OFFSET_RUNS_FIELD_NUMBER: _ClassVar[int]
    TARGET_START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    messages_copied: int
    messages_total: int
    bytes_copied: int
    next_offset: int
    done: bool
    end_offset: int
    target_next_offset: int
    checksum: str
    offset_runs: _containers.RepeatedCompositeFieldContainer[OffsetRun]
    target_start_offset: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., messages_copied: _Optional[int] = ..., messages_total: _Optional[int] = ..., bytes_copied: _Optional[int] = ..., next_offset: _Optional[int] = ..., done: _Optional[bool] = ..., end_offset: _Optional[int] = ..., target_next_offset: _Optional[int] = ..., checksum: _Optional[str] = ..., offset_runs: _Optional[_Iterable[_Union[OffsetRun, _Mapping]]] = ..., target_start_offset: _Optional[int] = ...) -> None: ...

class OffsetRun(_message.Message):
    __slots__ = ("source_start", "target_start", "length")
    SOURCE_START_FIELD_NUMBER: _ClassVar[int]
    TARGET_START_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    source_start: int
    target_start: int
    length: int
    def __init__(self, source_start: _Optional[int] = ..., target_start: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class MigrationResult(_message.Message):
    __slots__ = ("topics_created", "topics", "consumer_groups", "conflicts", "verified", "verification")
    TOPICS_CREATED_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    topics_created: _containers.RepeatedScalarFieldContainer[str]
    topics: _containers.RepeatedCompositeFieldContainer[TopicPlan]
    consumer_groups: _containers.RepeatedCompositeFieldContainer[GroupTranslation]
    conflicts: _containers.RepeatedScalarFieldContainer[str]
    verified: bool
    verification: _containers.RepeatedCompositeFieldContainer[PartitionVerification]
    def __init__(self, topics_created: _Optional[_Iterable[str]] = ..., topics: _Optional[_Iterable[_Union[TopicPlan, _Mapping]]] = ..., consumer_groups: _Optional[_Iterable[_Union[GroupTranslation, _Mapping]]] = ..., conflicts: _Optional[_Iterable[str]] = ..., verified: _Optional[bool] = ..., verification: _Optional[_Iterable[_Union[PartitionVerification, _Mapping]]] = ...) -> None: ...

class TopicPlan(_message.Message):
    __slots__ = ("topic", "partitions", "messages", "bytes", "create", "replication_factor", "notes")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partitions: int
    messages: int
    bytes: int
    create: bool
    replication_factor: int
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, topic: _Optional[str] = ..., partitions: _Optional[int] = ..., messages: _Optional[int] = ..., bytes: _Optional[int] = ..., create: _Optional[bool] = ..., replication_factor: _Optional[int] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class GroupTranslation(_message.Message):
    __slots__ = ("group_id", "offsets")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSETS_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    offsets: _containers.RepeatedCompositeFieldContainer[GroupPartitionOffset]
    def __init__(self, group_id: _Optional[str] = ..., offsets: _Optional[_Iterable[_Union[GroupPartitionOffset, _Mapping]]] = ...) -> None: ...

class GroupPartitionOffset(_message.Message):
    __slots__ = ("topic", "partition", "source_offset", "target_offset")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    TARGET_OFFSET_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    source_offset: int
    target_offset: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., source_offset: _Optional[int] = ..., target_offset: _Optional[int] = ...) -> None: ...

class PartitionVerification(_message.Message):
    __slots__ = ("topic", "partition", "source_count", "target_count", "source_checksum", "target_checksum", "matched")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TARGET_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    TARGET_CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    source_count: int
    target_count: int
    source_checksum: str
    target_checksum: str
    matched: bool
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., source_count: _Optional[int] = ..., target_count: _Optional[int] = ..., source_checksum: _Optional[str] = ..., target_checksum: _Optional[str] = ..., matched: _Optional[bool] = ...) -> None: ...

class ReplicationResult(_message.Message):
    __slots__ = ("targets",)
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    targets: _containers.RepeatedCompositeFieldContainer[TargetReplication]
    def __init__(self, targets: _Optional[_Iterable[_Union[TargetReplication, _Mapping]]] = ...) -> None: ...

class TargetReplication(_message.Message):
    __slots__ = ("target_cluster_id", "topics_created", "topics_matching", "conflicts", "error")
    TARGET_CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPICS_CREATED_FIELD_NUMBER: _ClassVar[int]
    TOPICS_MATCHING_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    target_cluster_id: str
    topics_created: _containers.RepeatedScalarFieldContainer[str]
    topics_matching: _containers.RepeatedScalarFieldContainer[str]
    conflicts: _containers.RepeatedCompositeFieldContainer[TopicDifference]
    error: str
    def __init__(self, target_cluster_id: _Optional[str] = ..., topics_created: _Optional[_Iterable[str]] = ..., topics_matching: _Optional[_Iterable[str]] = ..., conflicts: _Optional[_Iterable[_Union[TopicDifference, _Mapping]]] = ..., error: _Optional[str] = ...) -> None: ...

class ConfigDifference(_message.Message):
    __slots__ = ("key", "source_value", "target_value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_VALUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    source_value: str
    target_value: str
    def __init__(self, key: _Optional[str] = ..., source_value: _Optional[str] = ..., target_value: _Optional[str] = ...) -> None: ...

class TopicDifference(_message.Message):
    __slots__ = ("topic", "source_partitions", "target_partitions", "source_replication_factor", "target_replication_factor", "config_differences")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    TARGET_REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    CONFIG_DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    topic: str
    source_partitions: int
    target_partitions: int
    source_replication_factor: int
    target_replication_factor: int
    config_differences: _containers.RepeatedCompositeFieldContainer[ConfigDifference]
    def __init__(self, topic: _Optional[str] = ..., source_partitions: _Optional[int] = ..., target_partitions: _Optional[int] = ..., source_replication_factor: _Optional[int] = ..., target_replication_factor: _Optional[int] = ..., config_differences: _Optional[_Iterable[_Union[ConfigDifference, _Mapping]]] = ...) -> None: ...

class PartitionMessageCount(_message.Message):
    __slots__ = ("topic", "partition", "source_count", "target_count", "difference")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TARGET_COUNT_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    source_count: int
    target_count: int
    difference: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., source_count: _Optional[int] = ..., target_count: _Optional[int] = ..., difference: _Optional[int] = ...) -> None: ...

class ComparisonSummary(_message.Message):
    __slots__ = ("config_differences", "topics_only_in_source", "topics_only_in_target", "topics_with_different_config", "source_messages", "target_messages", "partitions_with_different_counts", "identical", "broker_configs_compared")
    CONFIG_DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    TOPICS_ONLY_IN_SOURCE_FIELD_NUMBER: _ClassVar[int]
    TOPICS_ONLY_IN_TARGET_FIELD_NUMBER: _ClassVar[int]
    TOPICS_WITH_DIFFERENT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    SOURCE_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TARGET_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_WITH_DIFFERENT_COUNTS_FIELD_NUMBER: _ClassVar[int]
    IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    BROKER_CONFIGS_COMPARED_FIELD_NUMBER: _ClassVar[int]
    config_differences: int
    topics_only_in_source: int
    topics_only_in_target: int
    topics_with_different_config: int
    source_messages: int
    target_messages: int
    partitions_with_different_counts: int
    identical: bool
    broker_configs_compared: bool
    def __init__(self, config_differences: _Optional[int] = ..., topics_only_in_source: _Optional[int] = ..., topics_only_in_target: _Optional[int] = ..., topics_with_different_config: _Optional[int] = ..., source_messages: _Optional[int] = ..., target_messages: _Optional[int] = ..., partitions_with_different_counts: _Optional[int] = ..., identical: _Optional[bool] = ..., broker_configs_compared: _Optional[bool] = ...) -> None: ...

class ClusterComparisonResult(_message.Message):
    __slots__ = ("source_cluster", "target_cluster", "config_differences", "topics_only_in_source", "topics_only_in_target", "topics_with_different_config", "message_count_differences", "summary", "not_compared")
    SOURCE_CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TARGET_CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    TOPICS_ONLY_IN_SOURCE_FIELD_NUMBER: _ClassVar[int]
    TOPICS_ONLY_IN_TARGET_FIELD_NUMBER: _ClassVar[int]
    TOPICS_WITH_DIFFERENT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    NOT_COMPARED_FIELD_NUMBER: _ClassVar[int]
    source_cluster: str
    target_cluster: str
    config_differences: _containers.RepeatedCompositeFieldContainer[ConfigDifference]
    topics_only_in_source: _containers.RepeatedScalarFieldContainer[str]
    topics_only_in_target: _containers.RepeatedScalarFieldContainer[str]
    topics_with_different_config: _containers.RepeatedCompositeFieldContainer[TopicDifference]
    message_count_differences: _containers.RepeatedCompositeFieldContainer[PartitionMessageCount]
    summary: ComparisonSummary
    not_compared: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, source_cluster: _Optional[str] = ..., target_cluster: _Optional[str] = ..., config_differences: _Optional[_Iterable[_Union[ConfigDifference, _Mapping]]] = ..., topics_only_in_source: _Optional[_Iterable[str]] = ..., topics_only_in_target: _Optional[_Iterable[str]] = ..., topics_with_different_config: _Optional[_Iterable[_Union[TopicDifference, _Mapping]]] = ..., message_count_differences: _Optional[_Iterable[_Union[PartitionMessageCount, _Mapping]]] = ..., summary: _Optional[_Union[ComparisonSummary, _Mapping]] = ..., not_compared: _Optional[_Iterable[str]] = ...) -> None: ...
