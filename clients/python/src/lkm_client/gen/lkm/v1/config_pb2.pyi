from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BrokerEngine(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROKER_ENGINE_UNSPECIFIED: _ClassVar[BrokerEngine]
    BROKER_ENGINE_APACHE_KAFKA: _ClassVar[BrokerEngine]
    BROKER_ENGINE_TANSU: _ClassVar[BrokerEngine]

class CleanupPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLEANUP_POLICY_UNSPECIFIED: _ClassVar[CleanupPolicy]
    CLEANUP_POLICY_DELETE: _ClassVar[CleanupPolicy]
    CLEANUP_POLICY_COMPACT: _ClassVar[CleanupPolicy]
    CLEANUP_POLICY_COMPACT_DELETE: _ClassVar[CleanupPolicy]
BROKER_ENGINE_UNSPECIFIED: BrokerEngine
BROKER_ENGINE_APACHE_KAFKA: BrokerEngine
BROKER_ENGINE_TANSU: BrokerEngine
CLEANUP_POLICY_UNSPECIFIED: CleanupPolicy
CLEANUP_POLICY_DELETE: CleanupPolicy
CLEANUP_POLICY_COMPACT: CleanupPolicy
CLEANUP_POLICY_COMPACT_DELETE: CleanupPolicy

class KafkaConfig(_message.Message):
    __slots__ = ("heap_size", "log_retention_hours", "log_segment_bytes", "num_partitions", "default_replication_factor", "num_network_threads", "num_io_threads", "socket_send_buffer_bytes", "socket_receive_buffer_bytes", "custom_properties", "engine", "broker_count", "image", "jmx_enabled", "storage_engine")
    class CustomPropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HEAP_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOG_RETENTION_HOURS_FIELD_NUMBER: _ClassVar[int]
    LOG_SEGMENT_BYTES_FIELD_NUMBER: _ClassVar[int]
    NUM_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    NUM_NETWORK_THREADS_FIELD_NUMBER: _ClassVar[int]
    NUM_IO_THREADS_FIELD_NUMBER: _ClassVar[int]
    SOCKET_SEND_BUFFER_BYTES_FIELD_NUMBER: _ClassVar[int]
    SOCKET_RECEIVE_BUFFER_BYTES_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    BROKER_COUNT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    JMX_ENABLED_FIELD_NUMBER: _ClassVar[int]
    STORAGE_ENGINE_FIELD_NUMBER: _ClassVar[int]
    heap_size: str
    log_retention_hours: int
    log_segment_bytes: int
    num_partitions: int
    default_replication_factor: int
    num_network_threads: int
    num_io_threads: int
    socket_send_buffer_bytes: int
    socket_receive_buffer_bytes: int
    custom_properties: _containers.ScalarMap[str, str]
    engine: BrokerEngine
    broker_count: int
    image: str
    jmx_enabled: bool
    storage_engine: str
    def __init__(self, heap_size: _Optional[str] = ..., log_retention_hours: _Optional[int] = ..., log_segment_bytes: _Optional[int] = ..., num_partitions: _Optional[int] = ..., default_replication_factor: _Optional[int] = ..., num_network_threads: _Optional[int] = ..., num_io_threads: _Optional[int] = ..., socket_send_buffer_bytes: _Optional[int] = ..., socket_receive_buffer_bytes: _Optional[int] = ..., custom_properties: _Optional[_Mapping[str, str]] = ..., engine: _Optional[_Union[BrokerEngine, str]] = ..., broker_count: _Optional[int] = ..., image: _Optional[str] = ..., jmx_enabled: _Optional[bool] = ..., storage_engine: _Optional[str] = ...) -> None: ...

class RestProxyConfig(_message.Message):
    __slots__ = ("enabled", "heap_size", "consumer_request_timeout_ms", "producer_request_timeout_ms", "custom_properties", "image")
    class CustomPropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    HEAP_SIZE_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_REQUEST_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_REQUEST_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    heap_size: str
    consumer_request_timeout_ms: int
    producer_request_timeout_ms: int
    custom_properties: _containers.ScalarMap[str, str]
    image: str
    def __init__(self, enabled: _Optional[bool] = ..., heap_size: _Optional[str] = ..., consumer_request_timeout_ms: _Optional[int] = ..., producer_request_timeout_ms: _Optional[int] = ..., custom_properties: _Optional[_Mapping[str, str]] = ..., image: _Optional[str] = ...) -> None: ...

class UiConfig(_message.Message):
    __slots__ = ("enabled", "heap_size", "clusters_config", "readonly_mode", "topic_creation_enabled", "topic_deletion_enabled", "image")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    HEAP_SIZE_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_CONFIG_FIELD_NUMBER: _ClassVar[int]
    READONLY_MODE_FIELD_NUMBER: _ClassVar[int]
    TOPIC_CREATION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    TOPIC_DELETION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    heap_size: str
    clusters_config: _struct_pb2.Struct
    readonly_mode: bool
    topic_creation_enabled: bool
    topic_deletion_enabled: bool
    image: str
    def __init__(self, enabled: _Optional[bool] = ..., heap_size: _Optional[str] = ..., clusters_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., readonly_mode: _Optional[bool] = ..., topic_creation_enabled: _Optional[bool] = ..., topic_deletion_enabled: _Optional[bool] = ..., image: _Optional[str] = ...) -> None: ...

class RetentionPolicy(_message.Message):
    __slots__ = ("log_retention_bytes", "cleanup_policy", "storage_quota_bytes", "keep_data_on_delete")
    LOG_RETENTION_BYTES_FIELD_NUMBER: _ClassVar[int]
    CLEANUP_POLICY_FIELD_NUMBER: _ClassVar[int]
    STORAGE_QUOTA_BYTES_FIELD_NUMBER: _ClassVar[int]
    KEEP_DATA_ON_DELETE_FIELD_NUMBER: _ClassVar[int]
    log_retention_bytes: int
    cleanup_policy: CleanupPolicy
    storage_quota_bytes: int
    keep_data_on_delete: bool
    def __init__(self, log_retention_bytes: _Optional[int] = ..., cleanup_policy: _Optional[_Union[CleanupPolicy, str]] = ..., storage_quota_bytes: _Optional[int] = ..., keep_data_on_delete: _Optional[bool] = ...) -> None: ...
