from lkm_client.gen.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from lkm_client.gen.lkm.v1 import annotations_pb2 as _annotations_pb2_1
from lkm_client.gen.lkm.v1 import cluster_pb2 as _cluster_pb2
from lkm_client.gen.lkm.v1 import config_pb2 as _config_pb2
from lkm_client.gen.lkm.v1 import template_pb2 as _template_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListTemplatesRequest(_message.Message):
    __slots__ = ("category", "page_size", "page_token")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    category: _template_pb2.TemplateCategory
    page_size: int
    page_token: str
    def __init__(self, category: _Optional[_Union[_template_pb2.TemplateCategory, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTemplatesResponse(_message.Message):
    __slots__ = ("templates", "next_page_token", "total_size")
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[_template_pb2.ClusterTemplate]
    next_page_token: str
    total_size: int
    def __init__(self, templates: _Optional[_Iterable[_Union[_template_pb2.ClusterTemplate, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetTemplateRequest(_message.Message):
    __slots__ = ("template_id",)
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    def __init__(self, template_id: _Optional[str] = ...) -> None: ...

class GetTemplateResponse(_message.Message):
    __slots__ = ("template",)
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    template: _template_pb2.ClusterTemplate
    def __init__(self, template: _Optional[_Union[_template_pb2.ClusterTemplate, _Mapping]] = ...) -> None: ...

class CreateTemplateRequest(_message.Message):
    __slots__ = ("template",)
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    template: _template_pb2.ClusterTemplate
    def __init__(self, template: _Optional[_Union[_template_pb2.ClusterTemplate, _Mapping]] = ...) -> None: ...

class CreateTemplateResponse(_message.Message):
    __slots__ = ("template",)
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    template: _template_pb2.ClusterTemplate
    def __init__(self, template: _Optional[_Union[_template_pb2.ClusterTemplate, _Mapping]] = ...) -> None: ...

class UpdateTemplateRequest(_message.Message):
    __slots__ = ("template_id", "template", "update_mask")
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    template: _template_pb2.ClusterTemplate
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, template_id: _Optional[str] = ..., template: _Optional[_Union[_template_pb2.ClusterTemplate, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateTemplateResponse(_message.Message):
    __slots__ = ("template",)
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    template: _template_pb2.ClusterTemplate
    def __init__(self, template: _Optional[_Union[_template_pb2.ClusterTemplate, _Mapping]] = ...) -> None: ...

class DeleteTemplateRequest(_message.Message):
    __slots__ = ("template_id",)
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    def __init__(self, template_id: _Optional[str] = ...) -> None: ...

class DeleteTemplateResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ApplyTemplateRequest(_message.Message):
    __slots__ = ("template_id", "name", "environment", "kafka_config", "rest_proxy_config", "ui_config", "retention_policy")
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    KAFKA_CONFIG_FIELD_NUMBER: _ClassVar[int]
    REST_PROXY_CONFIG_FIELD_NUMBER: _ClassVar[int]
    UI_CONFIG_FIELD_NUMBER: _ClassVar[int]
    RETENTION_POLICY_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    name: str
    environment: str
    kafka_config: _config_pb2.KafkaConfig
    rest_proxy_config: _config_pb2.RestProxyConfig
    ui_config: _config_pb2.UiConfig
    retention_policy: _config_pb2.RetentionPolicy
    def __init__(self, template_id: _Optional[str] = ..., name: _Optional[str] = ..., environment: _Optional[str] = ..., kafka_config: _Optional[_Union[_config_pb2.KafkaConfig, _Mapping]] = ..., rest_proxy_config: _Optional[_Union[_config_pb2.RestProxyConfig, _Mapping]] = ..., ui_config: _Optional[_Union[_config_pb2.UiConfig, _Mapping]] = ..., retention_policy: _Optional[_Union[_config_pb2.RetentionPolicy, _Mapping]] = ...) -> None: ...

class ApplyTemplateResponse(_message.Message):
    __slots__ = ("cluster", "warnings")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    cluster: _cluster_pb2.Cluster
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...
