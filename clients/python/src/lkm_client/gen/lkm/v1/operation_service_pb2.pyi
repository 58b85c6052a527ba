import datetime

from lkm_client.gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lkm_client.gen.lkm.v1 import annotations_pb2 as _annotations_pb2_1
from lkm_client.gen.lkm.v1 import operation_pb2 as _operation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MigrateDataRequest(_message.Message):
    __slots__ = ("source_cluster_id", "target_cluster_id", "topics", "include_consumer_groups", "preserve_timestamps", "preserve_partitions", "dry_run")
    SOURCE_CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CONSUMER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_TIMESTAMPS_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    source_cluster_id: str
    target_cluster_id: str
    topics: _containers.RepeatedScalarFieldContainer[str]
    include_consumer_groups: bool
    preserve_timestamps: bool
    preserve_partitions: bool
    dry_run: bool
    def __init__(self, source_cluster_id: _Optional[str] = ..., target_cluster_id: _Optional[str] = ..., topics: _Optional[_Iterable[str]] = ..., include_consumer_groups: _Optional[bool] = ..., preserve_timestamps: _Optional[bool] = ..., preserve_partitions: _Optional[bool] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class MigrateDataResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _operation_pb2.Operation
    def __init__(self, operation: _Optional[_Union[_operation_pb2.Operation, _Mapping]] = ...) -> None: ...

class ReplicateTopicsRequest(_message.Message):
    __slots__ = ("source_cluster_id", "target_cluster_ids", "topics", "preserve_partitions", "dry_run")
    SOURCE_CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    source_cluster_id: str
    target_cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    topics: _containers.RepeatedScalarFieldContainer[str]
    preserve_partitions: bool
    dry_run: bool
    def __init__(self, source_cluster_id: _Optional[str] = ..., target_cluster_ids: _Optional[_Iterable[str]] = ..., topics: _Optional[_Iterable[str]] = ..., preserve_partitions: _Optional[bool] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ReplicateTopicsResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _operation_pb2.Operation
    def __init__(self, operation: _Optional[_Union[_operation_pb2.Operation, _Mapping]] = ...) -> None: ...

class CompareClustersRequest(_message.Message):
    __slots__ = ("source_cluster", "target_cluster", "include_data")
    SOURCE_CLUSTER_FIELD_NUMBER: _ClassVar[int]
    TARGET_CLUSTER_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DATA_FIELD_NUMBER: _ClassVar[int]
    source_cluster: str
    target_cluster: str
    include_data: bool
    def __init__(self, source_cluster: _Optional[str] = ..., target_cluster: _Optional[str] = ..., include_data: _Optional[bool] = ...) -> None: ...

class CompareClustersResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _operation_pb2.ClusterComparisonResult
    def __init__(self, result: _Optional[_Union[_operation_pb2.ClusterComparisonResult, _Mapping]] = ...) -> None: ...

class GetOperationRequest(_message.Message):
    __slots__ = ("operation_id",)
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    def __init__(self, operation_id: _Optional[str] = ...) -> None: ...

class GetOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _operation_pb2.Operation
    def __init__(self, operation: _Optional[_Union[_operation_pb2.Operation, _Mapping]] = ...) -> None: ...

class ListOperationsRequest(_message.Message):
    __slots__ = ("status", "operation_type", "cluster_id", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OPERATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: _operation_pb2.OperationStatus
    operation_type: _operation_pb2.OperationType
    cluster_id: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[_operation_pb2.OperationStatus, str]] = ..., operation_type: _Optional[_Union[_operation_pb2.OperationType, str]] = ..., cluster_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOperationsResponse(_message.Message):
    __slots__ = ("operations", "next_page_token", "total_size")
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[_operation_pb2.Operation]
    next_page_token: str
    total_size: int
    def __init__(self, operations: _Optional[_Iterable[_Union[_operation_pb2.Operation, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class CancelOperationRequest(_message.Message):
    __slots__ = ("operation_id",)
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    def __init__(self, operation_id: _Optional[str] = ...) -> None: ...

class CancelOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _operation_pb2.Operation
    def __init__(self, operation: _Optional[_Union[_operation_pb2.Operation, _Mapping]] = ...) -> None: ...

class WatchOperationRequest(_message.Message):
    __slots__ = ("operation_id",)
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    def __init__(self, operation_id: _Optional[str] = ...) -> None: ...

class WatchOperationResponse(_message.Message):
    __slots__ = ("operation", "event_time", "final")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    operation: _operation_pb2.Operation
    event_time: _timestamp_pb2.Timestamp
    final: bool
    def __init__(self, operation: _Optional[_Union[_operation_pb2.Operation, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., final: _Optional[bool] = ...) -> None: ...
