"""Python values to lkm payloads and back (no server needed)."""

from __future__ import annotations

import datetime

import pytest

from lkm_client import Json, Record, pb
from lkm_client.payload import PayloadValue, from_payload, to_payload, to_record


def kind(value: PayloadValue) -> str | None:
    p = to_payload(value)
    return None if p is None else p.WhichOneof("data")


def test_bytes_text_and_json_are_explicit() -> None:
    assert kind(b"\x00\xff") == "binary"
    assert kind("héllo") == "text"
    assert kind({"a": 1}) == "json"
    assert kind([1, 2]) == "json"
    assert kind(Json("a JSON string")) == "json"
    assert to_payload(None) is None


@pytest.mark.parametrize(
    "value",
    [b"\x00\x01\xfe\xff", "text ✓", {"total": 42, "items": [1.5, True, None, "x"], "nested": {"k": "v"}}, [], 7, False],
)
def test_round_trip(value: PayloadValue) -> None:
    assert from_payload(to_payload(value)) == value


def test_json_whole_numbers_come_back_as_int() -> None:
    back = from_payload(to_payload({"n": 3, "f": 2.5}))
    assert back == {"n": 3, "f": 2.5}
    assert isinstance(back["n"], int)


def test_unsupported_values_are_refused() -> None:
    with pytest.raises(TypeError):
        to_payload(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_payload({1: "non-string key"})


def test_record_fields() -> None:
    when = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    headers: dict[str, bytes | str] = {"src": "api", "raw": b"\x00"}
    r = to_record(Record(value={"x": 1}, key="k-1", headers=headers, partition=2, timestamp=when))
    assert r.key.text == "k-1"
    assert r.value.WhichOneof("data") == "json"
    assert [(h.key, h.value) for h in r.headers] == [("src", b"api"), ("raw", b"\x00")]
    assert r.partition == 2
    assert r.timestamp.ToDatetime(tzinfo=datetime.timezone.utc) == when
    bare = to_record(b"v")
    assert bare.value.binary == b"v" and not bare.HasField("key") and not bare.HasField("partition")
    repeated = to_record(Record(value="v", headers=[("h", "1"), ("h", "2")]))
    assert [h.value for h in repeated.headers] == [b"1", b"2"]


def test_pb_exports_every_message_and_stub() -> None:
    assert callable(pb.ClusterServiceStub) and callable(pb.OperationServiceStub) and callable(pb.TemplateServiceStub)
    assert pb.CreateClusterRequest(name="x").name == "x"
    assert pb.CLUSTER_STATUS_RUNNING == pb.ClusterStatus.Value("CLUSTER_STATUS_RUNNING")
