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

class TemplateCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEMPLATE_CATEGORY_UNSPECIFIED: _ClassVar[TemplateCategory]
    TEMPLATE_CATEGORY_DEVELOPMENT: _ClassVar[TemplateCategory]
    TEMPLATE_CATEGORY_TESTING: _ClassVar[TemplateCategory]
    TEMPLATE_CATEGORY_STAGING: _ClassVar[TemplateCategory]
    TEMPLATE_CATEGORY_PRODUCTION: _ClassVar[TemplateCategory]
    TEMPLATE_CATEGORY_CUSTOM: _ClassVar[TemplateCategory]
TEMPLATE_CATEGORY_UNSPECIFIED: TemplateCategory
TEMPLATE_CATEGORY_DEVELOPMENT: TemplateCategory
TEMPLATE_CATEGORY_TESTING: TemplateCategory
TEMPLATE_CATEGORY_STAGING: TemplateCategory
TEMPLATE_CATEGORY_PRODUCTION: TemplateCategory
TEMPLATE_CATEGORY_CUSTOM: TemplateCategory

class ClusterTemplate(_message.Message):
    __slots__ = ("id", "name", "description", "category", "default_kafka_config", "default_rest_proxy_config", "default_ui_config", "default_retention_policy", "min_memory_mb", "min_disk_gb", "recommended_memory_mb", "recommended_disk_gb", "version", "created_at", "updated_at", "is_builtin", "tags", "default_environment")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_KAFKA_CONFIG_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_REST_PROXY_CONFIG_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_UI_CONFIG_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RETENTION_POLICY_FIELD_NUMBER: _ClassVar[int]
    MIN_MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    MIN_DISK_GB_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_DISK_GB_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    IS_BUILTIN_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    category: TemplateCategory
    default_kafka_config: _config_pb2.KafkaConfig
    default_rest_proxy_config: _config_pb2.RestProxyConfig
    default_ui_config: _config_pb2.UiConfig
    default_retention_policy: _config_pb2.RetentionPolicy
    min_memory_mb: int
    min_disk_gb: int
    recommended_memory_mb: int
    recommended_disk_gb: int
    version: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    is_builtin: bool
    tags: _containers.RepeatedScalarFieldContainer[str]
    default_environment: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[_Union[TemplateCategory, str]] = ..., default_kafka_config: _Optional[_Union[_config_pb2.KafkaConfig, _Mapping]] = ..., default_rest_proxy_config: _Optional[_Union[_config_pb2.RestProxyConfig, _Mapping]] = ..., default_ui_config: _Optional[_Union[_config_pb2.UiConfig, _Mapping]] = ..., default_retention_policy: _Optional[_Union[_config_pb2.RetentionPolicy, _Mapping]] = ..., min_memory_mb: _Optional[int] = ..., min_disk_gb: _Optional[int] = ..., recommended_memory_mb: _Optional[int] = ..., recommended_disk_gb: _Optional[int] = ..., version: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_builtin: _Optional[bool] = ..., tags: _Optional[_Iterable[str]] = ..., default_environment: _Optional[str] = ...) -> None: ...
