import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PayloadFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYLOAD_FORMAT_UNSPECIFIED: _ClassVar[PayloadFormat]
    PAYLOAD_FORMAT_BINARY: _ClassVar[PayloadFormat]
    PAYLOAD_FORMAT_TEXT: _ClassVar[PayloadFormat]
    PAYLOAD_FORMAT_JSON: _ClassVar[PayloadFormat]

class StartFrom(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    START_FROM_UNSPECIFIED: _ClassVar[StartFrom]
    START_FROM_BEGINNING: _ClassVar[StartFrom]
    START_FROM_END: _ClassVar[StartFrom]
    START_FROM_OFFSET: _ClassVar[StartFrom]
    START_FROM_TIMESTAMP: _ClassVar[StartFrom]
    START_FROM_COMMITTED: _ClassVar[StartFrom]

class OffsetReset(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OFFSET_RESET_UNSPECIFIED: _ClassVar[OffsetReset]
    OFFSET_RESET_EARLIEST: _ClassVar[OffsetReset]
    OFFSET_RESET_LATEST: _ClassVar[OffsetReset]
    OFFSET_RESET_TIMESTAMP: _ClassVar[OffsetReset]
    OFFSET_RESET_OFFSET: _ClassVar[OffsetReset]
PAYLOAD_FORMAT_UNSPECIFIED: PayloadFormat
PAYLOAD_FORMAT_BINARY: PayloadFormat
PAYLOAD_FORMAT_TEXT: PayloadFormat
PAYLOAD_FORMAT_JSON: PayloadFormat
START_FROM_UNSPECIFIED: StartFrom
START_FROM_BEGINNING: StartFrom
START_FROM_END: StartFrom
START_FROM_OFFSET: StartFrom
START_FROM_TIMESTAMP: StartFrom
START_FROM_COMMITTED: StartFrom
OFFSET_RESET_UNSPECIFIED: OffsetReset
OFFSET_RESET_EARLIEST: OffsetReset
OFFSET_RESET_LATEST: OffsetReset
OFFSET_RESET_TIMESTAMP: OffsetReset
OFFSET_RESET_OFFSET: OffsetReset

class Topic(_message.Message):
    __slots__ = ("name", "partitions", "replication_factor", "configs", "message_count", "internal", "partition_details")
    class ConfigsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    CONFIGS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    PARTITION_DETAILS_FIELD_NUMBER: _ClassVar[int]
    name: str
    partitions: int
    replication_factor: int
    configs: _containers.ScalarMap[str, str]
    message_count: int
    internal: bool
    partition_details: _containers.RepeatedCompositeFieldContainer[TopicPartition]
    def __init__(self, name: _Optional[str] = ..., partitions: _Optional[int] = ..., replication_factor: _Optional[int] = ..., configs: _Optional[_Mapping[str, str]] = ..., message_count: _Optional[int] = ..., internal: _Optional[bool] = ..., partition_details: _Optional[_Iterable[_Union[TopicPartition, _Mapping]]] = ...) -> None: ...

class TopicPartition(_message.Message):
    __slots__ = ("partition", "leader", "replicas", "in_sync_replicas", "low_watermark", "high_watermark")
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    IN_SYNC_REPLICAS_FIELD_NUMBER: _ClassVar[int]
    LOW_WATERMARK_FIELD_NUMBER: _ClassVar[int]
    HIGH_WATERMARK_FIELD_NUMBER: _ClassVar[int]
    partition: int
    leader: int
    replicas: _containers.RepeatedScalarFieldContainer[int]
    in_sync_replicas: _containers.RepeatedScalarFieldContainer[int]
    low_watermark: int
    high_watermark: int
    def __init__(self, partition: _Optional[int] = ..., leader: _Optional[int] = ..., replicas: _Optional[_Iterable[int]] = ..., in_sync_replicas: _Optional[_Iterable[int]] = ..., low_watermark: _Optional[int] = ..., high_watermark: _Optional[int] = ...) -> None: ...

class Payload(_message.Message):
    __slots__ = ("binary", "text", "json")
    BINARY_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    binary: bytes
    text: str
    json: _struct_pb2.Value
    def __init__(self, binary: _Optional[bytes] = ..., text: _Optional[str] = ..., json: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class RecordHeader(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: bytes
    def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...

class ProducerRecord(_message.Message):
    __slots__ = ("key", "value", "headers", "partition", "timestamp")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    key: Payload
    value: Payload
    headers: _containers.RepeatedCompositeFieldContainer[RecordHeader]
    partition: int
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, key: _Optional[_Union[Payload, _Mapping]] = ..., value: _Optional[_Union[Payload, _Mapping]] = ..., headers: _Optional[_Iterable[_Union[RecordHeader, _Mapping]]] = ..., partition: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProduceResult(_message.Message):
    __slots__ = ("index", "partition", "offset", "error")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    index: int
    partition: int
    offset: int
    error: str
    def __init__(self, index: _Optional[int] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class ConsumerGroup(_message.Message):
    __slots__ = ("group_id", "state", "protocol_type", "protocol", "members", "offsets", "total_lag", "members_error")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    OFFSETS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LAG_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_ERROR_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    state: str
    protocol_type: str
    protocol: str
    members: _containers.RepeatedCompositeFieldContainer[GroupMember]
    offsets: _containers.RepeatedCompositeFieldContainer[GroupPartitionOffsets]
    total_lag: int
    members_error: str
    def __init__(self, group_id: _Optional[str] = ..., state: _Optional[str] = ..., protocol_type: _Optional[str] = ..., protocol: _Optional[str] = ..., members: _Optional[_Iterable[_Union[GroupMember, _Mapping]]] = ..., offsets: _Optional[_Iterable[_Union[GroupPartitionOffsets, _Mapping]]] = ..., total_lag: _Optional[int] = ..., members_error: _Optional[str] = ...) -> None: ...

class GroupMember(_message.Message):
    __slots__ = ("member_id", "client_id", "client_host")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_HOST_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    client_id: str
    client_host: str
    def __init__(self, member_id: _Optional[str] = ..., client_id: _Optional[str] = ..., client_host: _Optional[str] = ...) -> None: ...

class GroupPartitionOffsets(_message.Message):
    __slots__ = ("topic", "partition", "committed_offset", "high_watermark", "lag")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_OFFSET_FIELD_NUMBER: _ClassVar[int]
    HIGH_WATERMARK_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    committed_offset: int
    high_watermark: int
    lag: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., committed_offset: _Optional[int] = ..., high_watermark: _Optional[int] = ..., lag: _Optional[int] = ...) -> None: ...

class ConsumedRecord(_message.Message):
    __slots__ = ("topic", "partition", "offset", "timestamp", "key", "value", "headers")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    offset: int
    timestamp: _timestamp_pb2.Timestamp
    key: Payload
    value: Payload
    headers: _containers.RepeatedCompositeFieldContainer[RecordHeader]
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., key: _Optional[_Union[Payload, _Mapping]] = ..., value: _Optional[_Union[Payload, _Mapping]] = ..., headers: _Optional[_Iterable[_Union[RecordHeader, _Mapping]]] = ...) -> None: ...
