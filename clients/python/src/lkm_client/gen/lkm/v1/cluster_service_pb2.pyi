import datetime

from lkm_client.gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lkm_client.gen.lkm.v1 import annotations_pb2 as _annotations_pb2_1
from lkm_client.gen.lkm.v1 import cluster_pb2 as _cluster_pb2
from lkm_client.gen.lkm.v1 import config_pb2 as _config_pb2
from lkm_client.gen.lkm.v1 import kafka_pb2 as _kafka_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClusterEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUSTER_EVENT_TYPE_UNSPECIFIED: _ClassVar[ClusterEventType]
    CLUSTER_EVENT_TYPE_SNAPSHOT: _ClassVar[ClusterEventType]
    CLUSTER_EVENT_TYPE_SYNCED: _ClassVar[ClusterEventType]
    CLUSTER_EVENT_TYPE_CHANGED: _ClassVar[ClusterEventType]
    CLUSTER_EVENT_TYPE_DELETED: _ClassVar[ClusterEventType]
CLUSTER_EVENT_TYPE_UNSPECIFIED: ClusterEventType
CLUSTER_EVENT_TYPE_SNAPSHOT: ClusterEventType
CLUSTER_EVENT_TYPE_SYNCED: ClusterEventType
CLUSTER_EVENT_TYPE_CHANGED: ClusterEventType
CLUSTER_EVENT_TYPE_DELETED: ClusterEventType

class CreateClusterRequest(_message.Message):
    __slots__ = ("name", "description", "template_id", "environment", "kafka_config", "rest_proxy_config", "ui_config", "retention_policy", "tags", "auto_start", "ports", "external_bootstrap_servers")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    KAFKA_CONFIG_FIELD_NUMBER: _ClassVar[int]
    REST_PROXY_CONFIG_FIELD_NUMBER: _ClassVar[int]
    UI_CONFIG_FIELD_NUMBER: _ClassVar[int]
    RETENTION_POLICY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    AUTO_START_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_BOOTSTRAP_SERVERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    template_id: str
    environment: str
    kafka_config: _config_pb2.KafkaConfig
    rest_proxy_config: _config_pb2.RestProxyConfig
    ui_config: _config_pb2.UiConfig
    retention_policy: _config_pb2.RetentionPolicy
    tags: _containers.ScalarMap[str, str]
    auto_start: bool
    ports: _cluster_pb2.PortAllocation
    external_bootstrap_servers: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., template_id: _Optional[str] = ..., environment: _Optional[str] = ..., kafka_config: _Optional[_Union[_config_pb2.KafkaConfig, _Mapping]] = ..., rest_proxy_config: _Optional[_Union[_config_pb2.RestProxyConfig, _Mapping]] = ..., ui_config: _Optional[_Union[_config_pb2.UiConfig, _Mapping]] = ..., retention_policy: _Optional[_Union[_config_pb2.RetentionPolicy, _Mapping]] = ..., tags: _Optional[_Mapping[str, str]] = ..., auto_start: _Optional[bool] = ..., ports: _Optional[_Union[_cluster_pb2.PortAllocation, _Mapping]] = ..., external_bootstrap_servers: _Optional[str] = ...) -> None: ...

class CreateClusterResponse(_message.Message):
    __slots__ = ("cluster", "warnings")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    cluster: _cluster_pb2.Cluster
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class GetClusterRequest(_message.Message):
    __slots__ = ("cluster_id",)
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    def __init__(self, cluster_id: _Optional[str] = ...) -> None: ...

class GetClusterResponse(_message.Message):
    __slots__ = ("cluster",)
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: _cluster_pb2.Cluster
    def __init__(self, cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ...) -> None: ...

class ListClustersRequest(_message.Message):
    __slots__ = ("status", "environment", "tags", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: _cluster_pb2.ClusterStatus
    environment: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[_cluster_pb2.ClusterStatus, str]] = ..., environment: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClustersResponse(_message.Message):
    __slots__ = ("clusters", "next_page_token", "total_size")
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    clusters: _containers.RepeatedCompositeFieldContainer[_cluster_pb2.Cluster]
    next_page_token: str
    total_size: int
    def __init__(self, clusters: _Optional[_Iterable[_Union[_cluster_pb2.Cluster, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateClusterRequest(_message.Message):
    __slots__ = ("cluster_id", "cluster", "update_mask")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    cluster: _cluster_pb2.Cluster
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, cluster_id: _Optional[str] = ..., cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateClusterResponse(_message.Message):
    __slots__ = ("cluster",)
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: _cluster_pb2.Cluster
    def __init__(self, cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ...) -> None: ...

class DeleteClusterRequest(_message.Message):
    __slots__ = ("cluster_id", "force", "keep_data")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    KEEP_DATA_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    force: bool
    keep_data: bool
    def __init__(self, cluster_id: _Optional[str] = ..., force: _Optional[bool] = ..., keep_data: _Optional[bool] = ...) -> None: ...

class DeleteClusterResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StartClusterRequest(_message.Message):
    __slots__ = ("cluster_id", "force", "timeout")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    force: bool
    timeout: _duration_pb2.Duration
    def __init__(self, cluster_id: _Optional[str] = ..., force: _Optional[bool] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StartClusterResponse(_message.Message):
    __slots__ = ("cluster",)
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: _cluster_pb2.Cluster
    def __init__(self, cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ...) -> None: ...

class StopClusterRequest(_message.Message):
    __slots__ = ("cluster_id", "cleanup")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    CLEANUP_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    cleanup: bool
    def __init__(self, cluster_id: _Optional[str] = ..., cleanup: _Optional[bool] = ...) -> None: ...

class StopClusterResponse(_message.Message):
    __slots__ = ("cluster",)
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: _cluster_pb2.Cluster
    def __init__(self, cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ...) -> None: ...

class GetClusterStatusRequest(_message.Message):
    __slots__ = ("cluster_id",)
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    def __init__(self, cluster_id: _Optional[str] = ...) -> None: ...

class GetClusterStatusResponse(_message.Message):
    __slots__ = ("cluster_id", "name", "status", "status_message", "runtime", "services", "endpoints", "disk_usage_bytes", "checked_at")
    class EndpointsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    DISK_USAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    name: str
    status: _cluster_pb2.ClusterStatus
    status_message: str
    runtime: str
    services: _containers.RepeatedCompositeFieldContainer[_cluster_pb2.ServiceStatus]
    endpoints: _containers.ScalarMap[str, str]
    disk_usage_bytes: int
    checked_at: _timestamp_pb2.Timestamp
    def __init__(self, cluster_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[_cluster_pb2.ClusterStatus, str]] = ..., status_message: _Optional[str] = ..., runtime: _Optional[str] = ..., services: _Optional[_Iterable[_Union[_cluster_pb2.ServiceStatus, _Mapping]]] = ..., endpoints: _Optional[_Mapping[str, str]] = ..., disk_usage_bytes: _Optional[int] = ..., checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetClusterComposeRequest(_message.Message):
    __slots__ = ("cluster_id",)
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    def __init__(self, cluster_id: _Optional[str] = ...) -> None: ...

class GetClusterComposeResponse(_message.Message):
    __slots__ = ("yaml",)
    YAML_FIELD_NUMBER: _ClassVar[int]
    yaml: str
    def __init__(self, yaml: _Optional[str] = ...) -> None: ...

class ListTopicsRequest(_message.Message):
    __slots__ = ("cluster_id", "include_internal")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INTERNAL_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    include_internal: bool
    def __init__(self, cluster_id: _Optional[str] = ..., include_internal: _Optional[bool] = ...) -> None: ...

class ListTopicsResponse(_message.Message):
    __slots__ = ("topics",)
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.Topic]
    def __init__(self, topics: _Optional[_Iterable[_Union[_kafka_pb2.Topic, _Mapping]]] = ...) -> None: ...

class GetTopicRequest(_message.Message):
    __slots__ = ("cluster_id", "topic")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ...) -> None: ...

class GetTopicResponse(_message.Message):
    __slots__ = ("topic",)
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: _kafka_pb2.Topic
    def __init__(self, topic: _Optional[_Union[_kafka_pb2.Topic, _Mapping]] = ...) -> None: ...

class CreateTopicRequest(_message.Message):
    __slots__ = ("cluster_id", "name", "partitions", "replication_factor", "configs")
    class ConfigsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    CONFIGS_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    name: str
    partitions: int
    replication_factor: int
    configs: _containers.ScalarMap[str, str]
    def __init__(self, cluster_id: _Optional[str] = ..., name: _Optional[str] = ..., partitions: _Optional[int] = ..., replication_factor: _Optional[int] = ..., configs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateTopicResponse(_message.Message):
    __slots__ = ("topic",)
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: _kafka_pb2.Topic
    def __init__(self, topic: _Optional[_Union[_kafka_pb2.Topic, _Mapping]] = ...) -> None: ...

class DeleteTopicRequest(_message.Message):
    __slots__ = ("cluster_id", "topic")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ...) -> None: ...

class DeleteTopicResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddPartitionsRequest(_message.Message):
    __slots__ = ("cluster_id", "topic", "partitions")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    partitions: int
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ..., partitions: _Optional[int] = ...) -> None: ...

class AddPartitionsResponse(_message.Message):
    __slots__ = ("topic",)
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: _kafka_pb2.Topic
    def __init__(self, topic: _Optional[_Union[_kafka_pb2.Topic, _Mapping]] = ...) -> None: ...

class UpdateTopicConfigRequest(_message.Message):
    __slots__ = ("cluster_id", "topic", "set", "delete")
    class SetEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    set: _containers.ScalarMap[str, str]
    delete: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ..., set: _Optional[_Mapping[str, str]] = ..., delete: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateTopicConfigResponse(_message.Message):
    __slots__ = ("topic",)
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: _kafka_pb2.Topic
    def __init__(self, topic: _Optional[_Union[_kafka_pb2.Topic, _Mapping]] = ...) -> None: ...

class ProduceRequest(_message.Message):
    __slots__ = ("cluster_id", "topic", "records")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    records: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.ProducerRecord]
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_kafka_pb2.ProducerRecord, _Mapping]]] = ...) -> None: ...

class ProduceResponse(_message.Message):
    __slots__ = ("results", "failed_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.ProduceResult]
    failed_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[_kafka_pb2.ProduceResult, _Mapping]]] = ..., failed_count: _Optional[int] = ...) -> None: ...

class ProduceStreamRequest(_message.Message):
    __slots__ = ("cluster_id", "topic", "records")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    records: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.ProducerRecord]
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_kafka_pb2.ProducerRecord, _Mapping]]] = ...) -> None: ...

class ProduceStreamResponse(_message.Message):
    __slots__ = ("records", "failed_count", "errors", "last_offsets")
    class LastOffsetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    LAST_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    records: int
    failed_count: int
    errors: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.ProduceResult]
    last_offsets: _containers.ScalarMap[int, int]
    def __init__(self, records: _Optional[int] = ..., failed_count: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[_kafka_pb2.ProduceResult, _Mapping]]] = ..., last_offsets: _Optional[_Mapping[int, int]] = ...) -> None: ...

class ConsumeRequest(_message.Message):
    __slots__ = ("cluster_id", "topic", "partition", "start_from", "offset", "timestamp", "max_records", "max_wait", "group_id", "key_format", "value_format")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    START_FROM_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    MAX_RECORDS_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FORMAT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    partition: int
    start_from: _kafka_pb2.StartFrom
    offset: int
    timestamp: _timestamp_pb2.Timestamp
    max_records: int
    max_wait: _duration_pb2.Duration
    group_id: str
    key_format: _kafka_pb2.PayloadFormat
    value_format: _kafka_pb2.PayloadFormat
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., start_from: _Optional[_Union[_kafka_pb2.StartFrom, str]] = ..., offset: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_records: _Optional[int] = ..., max_wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., group_id: _Optional[str] = ..., key_format: _Optional[_Union[_kafka_pb2.PayloadFormat, str]] = ..., value_format: _Optional[_Union[_kafka_pb2.PayloadFormat, str]] = ...) -> None: ...

class ConsumeResponse(_message.Message):
    __slots__ = ("records", "next_offsets")
    class NextOffsetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.ConsumedRecord]
    next_offsets: _containers.ScalarMap[int, int]
    def __init__(self, records: _Optional[_Iterable[_Union[_kafka_pb2.ConsumedRecord, _Mapping]]] = ..., next_offsets: _Optional[_Mapping[int, int]] = ...) -> None: ...

class ConsumeStreamRequest(_message.Message):
    __slots__ = ("cluster_id", "topic", "partition", "start_from", "offset", "timestamp", "max_records", "group_id", "key_format", "value_format")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    START_FROM_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    MAX_RECORDS_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FORMAT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    topic: str
    partition: int
    start_from: _kafka_pb2.StartFrom
    offset: int
    timestamp: _timestamp_pb2.Timestamp
    max_records: int
    group_id: str
    key_format: _kafka_pb2.PayloadFormat
    value_format: _kafka_pb2.PayloadFormat
    def __init__(self, cluster_id: _Optional[str] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., start_from: _Optional[_Union[_kafka_pb2.StartFrom, str]] = ..., offset: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_records: _Optional[int] = ..., group_id: _Optional[str] = ..., key_format: _Optional[_Union[_kafka_pb2.PayloadFormat, str]] = ..., value_format: _Optional[_Union[_kafka_pb2.PayloadFormat, str]] = ...) -> None: ...

class ConsumeStreamResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.ConsumedRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_kafka_pb2.ConsumedRecord, _Mapping]]] = ...) -> None: ...

class ListConsumerGroupsRequest(_message.Message):
    __slots__ = ("cluster_id",)
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    def __init__(self, cluster_id: _Optional[str] = ...) -> None: ...

class ListConsumerGroupsResponse(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.ConsumerGroup]
    def __init__(self, groups: _Optional[_Iterable[_Union[_kafka_pb2.ConsumerGroup, _Mapping]]] = ...) -> None: ...

class GetConsumerGroupRequest(_message.Message):
    __slots__ = ("cluster_id", "group_id")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    group_id: str
    def __init__(self, cluster_id: _Optional[str] = ..., group_id: _Optional[str] = ...) -> None: ...

class GetConsumerGroupResponse(_message.Message):
    __slots__ = ("group",)
    GROUP_FIELD_NUMBER: _ClassVar[int]
    group: _kafka_pb2.ConsumerGroup
    def __init__(self, group: _Optional[_Union[_kafka_pb2.ConsumerGroup, _Mapping]] = ...) -> None: ...

class ResetConsumerGroupOffsetsRequest(_message.Message):
    __slots__ = ("cluster_id", "group_id", "topic", "partition", "to", "offset", "timestamp", "dry_run")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    group_id: str
    topic: str
    partition: int
    to: _kafka_pb2.OffsetReset
    offset: int
    timestamp: _timestamp_pb2.Timestamp
    dry_run: bool
    def __init__(self, cluster_id: _Optional[str] = ..., group_id: _Optional[str] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., to: _Optional[_Union[_kafka_pb2.OffsetReset, str]] = ..., offset: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ResetConsumerGroupOffsetsResponse(_message.Message):
    __slots__ = ("offsets",)
    OFFSETS_FIELD_NUMBER: _ClassVar[int]
    offsets: _containers.RepeatedCompositeFieldContainer[_kafka_pb2.GroupPartitionOffsets]
    def __init__(self, offsets: _Optional[_Iterable[_Union[_kafka_pb2.GroupPartitionOffsets, _Mapping]]] = ...) -> None: ...

class DeleteConsumerGroupRequest(_message.Message):
    __slots__ = ("cluster_id", "group_id")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    group_id: str
    def __init__(self, cluster_id: _Optional[str] = ..., group_id: _Optional[str] = ...) -> None: ...

class DeleteConsumerGroupResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHostResourcesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHostResourcesResponse(_message.Message):
    __slots__ = ("total_memory_mb", "available_memory_mb", "reserved_memory_mb", "free_memory_mb", "free_disk_mb", "cpu_count", "running_clusters", "runtime", "resource_guard")
    TOTAL_MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    RESERVED_MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    FREE_MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    FREE_DISK_MB_FIELD_NUMBER: _ClassVar[int]
    CPU_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_GUARD_FIELD_NUMBER: _ClassVar[int]
    total_memory_mb: int
    available_memory_mb: int
    reserved_memory_mb: int
    free_memory_mb: int
    free_disk_mb: int
    cpu_count: int
    running_clusters: int
    runtime: str
    resource_guard: bool
    def __init__(self, total_memory_mb: _Optional[int] = ..., available_memory_mb: _Optional[int] = ..., reserved_memory_mb: _Optional[int] = ..., free_memory_mb: _Optional[int] = ..., free_disk_mb: _Optional[int] = ..., cpu_count: _Optional[int] = ..., running_clusters: _Optional[int] = ..., runtime: _Optional[str] = ..., resource_guard: _Optional[bool] = ...) -> None: ...

class WatchClustersRequest(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: str
    def __init__(self, environment: _Optional[str] = ...) -> None: ...

class WatchClustersResponse(_message.Message):
    __slots__ = ("type", "cluster", "event_time")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    type: ClusterEventType
    cluster: _cluster_pb2.Cluster
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, type: _Optional[_Union[ClusterEventType, str]] = ..., cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
