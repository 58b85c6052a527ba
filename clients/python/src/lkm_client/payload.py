"""Keys and values: Python values to ``lkm.v1.Payload`` and back.

lkm makes the encoding of every key and value explicit (``binary``, ``text`` or ``json``):

=====================================  ================  ==========================
Python value                           produced as       consumed back as (auto)
=====================================  ================  ==========================
``bytes`` / ``bytearray``              binary            ``bytes`` (``str`` if UTF-8)
``str``                                text              ``str``
``Json(x)``, ``dict``, ``list``,       json              the JSON value (see below)
``int``, ``float``, ``bool``
``None``                               no key / value    ``None``
=====================================  ================  ==========================

Consumed records come back as text when their bytes are UTF-8 and as bytes otherwise, unless a
``key_format`` / ``value_format`` is asked for (``"binary"``, ``"text"``, ``"json"``). JSON
numbers come back as ``int`` when they are whole (JSON does not tell 1 from 1.0).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Union

from google.protobuf import struct_pb2, timestamp_pb2

from .gen.lkm.v1 import kafka_pb2

# JSON documents: what json.loads returns.
JsonValue = Union[None, bool, int, float, str, list, dict]


@dataclass(frozen=True)
class Json:
    """Marks a value to be produced as JSON (needed for a JSON string, which would otherwise be
    produced as text)."""

    value: JsonValue


PayloadValue = Union[bytes, bytearray, memoryview, str, Json, dict, list, int, float, bool, None]
HeaderValue = Union[bytes, str]


@dataclass
class Record:
    """A record to produce. ``headers`` maps names to bytes (str is encoded as UTF-8); a list
    of pairs keeps repeated names."""

    value: PayloadValue = None
    key: PayloadValue = None
    headers: Union[Mapping[str, HeaderValue], Iterable[tuple[str, HeaderValue]], None] = None
    partition: Optional[int] = None
    timestamp: Optional[datetime.datetime] = None


@dataclass
class Message:
    """A consumed record. ``key`` and ``value`` are ``bytes``, ``str`` or a JSON value as the
    payload's encoding says; ``raw`` is the record as the server sent it."""

    topic: str
    partition: int
    offset: int
    timestamp: Optional[datetime.datetime]
    key: Any
    value: Any
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    raw: Optional[kafka_pb2.ConsumedRecord] = field(default=None, repr=False, compare=False)

    @classmethod
    def from_pb(cls, record: kafka_pb2.ConsumedRecord) -> "Message":
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp=to_datetime(record.timestamp) if record.HasField("timestamp") else None,
            key=from_payload(record.key) if record.HasField("key") else None,
            value=from_payload(record.value) if record.HasField("value") else None,
            headers=[(h.key, h.value) for h in record.headers],
            raw=record,
        )


def to_payload(value: PayloadValue) -> Optional[kafka_pb2.Payload]:
    """The Payload for a Python value (see the module's table); None for None."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return kafka_pb2.Payload(binary=bytes(value))
    if isinstance(value, str):
        return kafka_pb2.Payload(text=value)
    if isinstance(value, Json):
        value = value.value
    elif not isinstance(value, (dict, list, int, float, bool)):
        raise TypeError(f"cannot produce a {type(value).__name__}: use bytes, str or Json(...)")
    return kafka_pb2.Payload(json=to_value(value))


def from_payload(payload: Optional[kafka_pb2.Payload]) -> Any:
    """The Python value of a Payload: bytes, str, a JSON value, or None."""
    if payload is None:
        return None
    kind = payload.WhichOneof("data")
    if kind == "binary":
        return payload.binary
    if kind == "text":
        return payload.text
    if kind == "json":
        return from_value(payload.json)
    return None


def to_value(value: JsonValue) -> struct_pb2.Value:
    """A JSON value as google.protobuf.Value."""
    v = struct_pb2.Value()
    if value is None:
        v.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        v.bool_value = value
    elif isinstance(value, (int, float)):
        v.number_value = value
    elif isinstance(value, str):
        v.string_value = value
    elif isinstance(value, (list, tuple)):
        v.list_value.values.extend(to_value(x) for x in value)
    elif isinstance(value, dict):
        for k, x in value.items():
            if not isinstance(k, str):
                raise TypeError(f"JSON object keys must be strings, not {type(k).__name__}")
            v.struct_value.fields[k].CopyFrom(to_value(x))
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")
    return v


def from_value(v: struct_pb2.Value) -> JsonValue:
    """A google.protobuf.Value as a JSON value (whole numbers as int)."""
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        n = v.number_value
        return int(n) if n.is_integer() and abs(n) <= 2**53 else n
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "struct_value":
        return {k: from_value(x) for k, x in v.struct_value.fields.items()}
    if kind == "list_value":
        return [from_value(x) for x in v.list_value.values]
    return None


def to_record(item: Union[Record, PayloadValue]) -> kafka_pb2.ProducerRecord:
    """A ProducerRecord from a Record or a bare value."""
    if not isinstance(item, Record):
        item = Record(value=item)
    record = kafka_pb2.ProducerRecord()
    key = to_payload(item.key)
    if key is not None:
        record.key.CopyFrom(key)
    value = to_payload(item.value)
    if value is not None:
        record.value.CopyFrom(value)
    headers = item.headers.items() if isinstance(item.headers, Mapping) else item.headers or ()
    for name, h in headers:
        record.headers.add(key=name, value=h.encode() if isinstance(h, str) else bytes(h))
    if item.partition is not None:
        record.partition = item.partition
    if item.timestamp is not None:
        record.timestamp.CopyFrom(to_timestamp(item.timestamp))
    return record


def to_timestamp(t: datetime.datetime) -> timestamp_pb2.Timestamp:
    """A datetime (naive means UTC) as a Timestamp."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(t)
    return ts


def to_datetime(ts: timestamp_pb2.Timestamp) -> datetime.datetime:
    """A Timestamp as an aware UTC datetime."""
    return ts.ToDatetime(tzinfo=datetime.timezone.utc)
