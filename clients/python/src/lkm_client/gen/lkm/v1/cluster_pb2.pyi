import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lkm_client.gen.lkm.v1 import config_pb2 as _config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClusterStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUSTER_STATUS_UNSPECIFIED: _ClassVar[ClusterStatus]
    CLUSTER_STATUS_CREATED: _ClassVar[ClusterStatus]
    CLUSTER_STATUS_STARTING: _ClassVar[ClusterStatus]
    CLUSTER_STATUS_RUNNING: _ClassVar[ClusterStatus]
    CLUSTER_STATUS_STOPPING: _ClassVar[ClusterStatus]
    CLUSTER_STATUS_STOPPED: _ClassVar[ClusterStatus]
    CLUSTER_STATUS_ERROR: _ClassVar[ClusterStatus]
CLUSTER_STATUS_UNSPECIFIED: ClusterStatus
CLUSTER_STATUS_CREATED: ClusterStatus
CLUSTER_STATUS_STARTING: ClusterStatus
CLUSTER_STATUS_RUNNING: ClusterStatus
CLUSTER_STATUS_STOPPING: ClusterStatus
CLUSTER_STATUS_STOPPED: ClusterStatus
CLUSTER_STATUS_ERROR: ClusterStatus

class PortAllocation(_message.Message):
    __slots__ = ("kafka_port", "additional_kafka_ports", "rest_proxy_port", "ui_port", "jmx_port")
    KAFKA_PORT_FIELD_NUMBER: _ClassVar[int]
    ADDITIONAL_KAFKA_PORTS_FIELD_NUMBER: _ClassVar[int]
    REST_PROXY_PORT_FIELD_NUMBER: _ClassVar[int]
    UI_PORT_FIELD_NUMBER: _ClassVar[int]
    JMX_PORT_FIELD_NUMBER: _ClassVar[int]
    kafka_port: int
    additional_kafka_ports: _containers.RepeatedScalarFieldContainer[int]
    rest_proxy_port: int
    ui_port: int
    jmx_port: int
    def __init__(self, kafka_port: _Optional[int] = ..., additional_kafka_ports: _Optional[_Iterable[int]] = ..., rest_proxy_port: _Optional[int] = ..., ui_port: _Optional[int] = ..., jmx_port: _Optional[int] = ...) -> None: ...

class Cluster(_message.Message):
    __slots__ = ("id", "name", "description", "template_id", "environment", "kafka_config", "rest_proxy_config", "ui_config", "port_allocation", "network_name", "data_directory", "retention_policy", "created_at", "updated_at", "created_by", "tags", "status", "last_started", "last_stopped", "status_message", "endpoints", "external_bootstrap_servers")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class EndpointsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    KAFKA_CONFIG_FIELD_NUMBER: _ClassVar[int]
    REST_PROXY_CONFIG_FIELD_NUMBER: _ClassVar[int]
    UI_CONFIG_FIELD_NUMBER: _ClassVar[int]
    PORT_ALLOCATION_FIELD_NUMBER: _ClassVar[int]
    NETWORK_NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    RETENTION_POLICY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_STARTED_FIELD_NUMBER: _ClassVar[int]
    LAST_STOPPED_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_BOOTSTRAP_SERVERS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    template_id: str
    environment: str
    kafka_config: _config_pb2.KafkaConfig
    rest_proxy_config: _config_pb2.RestProxyConfig
    ui_config: _config_pb2.UiConfig
    port_allocation: PortAllocation
    network_name: str
    data_directory: str
    retention_policy: _config_pb2.RetentionPolicy
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    created_by: str
    tags: _containers.ScalarMap[str, str]
    status: ClusterStatus
    last_started: _timestamp_pb2.Timestamp
    last_stopped: _timestamp_pb2.Timestamp
    status_message: str
    endpoints: _containers.ScalarMap[str, str]
    external_bootstrap_servers: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., template_id: _Optional[str] = ..., environment: _Optional[str] = ..., kafka_config: _Optional[_Union[_config_pb2.KafkaConfig, _Mapping]] = ..., rest_proxy_config: _Optional[_Union[_config_pb2.RestProxyConfig, _Mapping]] = ..., ui_config: _Optional[_Union[_config_pb2.UiConfig, _Mapping]] = ..., port_allocation: _Optional[_Union[PortAllocation, _Mapping]] = ..., network_name: _Optional[str] = ..., data_directory: _Optional[str] = ..., retention_policy: _Optional[_Union[_config_pb2.RetentionPolicy, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., status: _Optional[_Union[ClusterStatus, str]] = ..., last_started: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_stopped: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_message: _Optional[str] = ..., endpoints: _Optional[_Mapping[str, str]] = ..., external_bootstrap_servers: _Optional[str] = ...) -> None: ...

class ServiceStatus(_message.Message):
    __slots__ = ("name", "state", "health", "ports", "runtime_id", "message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: str
    health: str
    ports: _containers.RepeatedScalarFieldContainer[int]
    runtime_id: str
    message: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[str] = ..., health: _Optional[str] = ..., ports: _Optional[_Iterable[int]] = ..., runtime_id: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
