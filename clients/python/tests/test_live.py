"""The helper layer against a live lkm server (see conftest.py): clusters from a template,
records in every encoding, consumer groups, streams, errors, and a migration followed through
its WatchOperation progress stream."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Callable, Iterator

import grpc
import pytest

import lkm_client
from lkm_client import Json, LkmClient, Record, pb

MakeCluster = Callable[[str], pb.Cluster]


def test_templates(lkm: LkmClient, template: str) -> None:
    ids = [t.id for t in lkm.list_templates()]
    assert template in ids
    assert "development" in ids


def test_host_resources(lkm: LkmClient) -> None:
    host = lkm.host_resources()
    assert host.total_memory_mb > 0
    assert 0 <= host.free_memory_mb <= host.total_memory_mb
    assert host.cpu_count >= 1
    assert host.runtime in ("docker", "process", "none")


def test_watch_clusters(lkm: LkmClient, template: str) -> None:
    name = f"lkmtest-watch-{uuid.uuid4().hex[:6]}"
    events = lkm.watch_clusters(timeout=60)
    try:
        for event in events:
            if event.type == pb.CLUSTER_EVENT_TYPE_SYNCED:
                break
            assert event.type == pb.CLUSTER_EVENT_TYPE_SNAPSHOT
        lkm.create_cluster(name, template, start=False)
        event = next(events)
        assert event.type == pb.CLUSTER_EVENT_TYPE_CHANGED
        assert (event.cluster.name, event.cluster.status) == (name, pb.CLUSTER_STATUS_CREATED)
        lkm.delete_cluster(name)
        event = next(events)
        assert (event.type, event.cluster.name) == (pb.CLUSTER_EVENT_TYPE_DELETED, name)
    finally:
        events.close()
        try:
            lkm.delete_cluster(name)
        except lkm_client.LkmError:
            pass


def test_unknown_cluster_is_an_lkm_error_with_reason(lkm: LkmClient) -> None:
    with pytest.raises(lkm_client.LkmError) as err:
        lkm.get_cluster("lkmtest-does-not-exist")
    assert err.value.code == grpc.StatusCode.NOT_FOUND
    assert err.value.reason == "CLUSTER_NOT_FOUND"


def test_create_wait_and_status(lkm: LkmClient, make_cluster: MakeCluster) -> None:
    cluster = make_cluster("py-life")
    assert cluster.status == pb.CLUSTER_STATUS_RUNNING, cluster.status_message
    assert cluster.endpoints["kafka"]
    status = lkm.wait_until_running(cluster.name, timeout=30)
    assert status.status == pb.CLUSTER_STATUS_RUNNING
    assert status.cluster_id == cluster.id
    assert cluster.name in [c.name for c in lkm.list_clusters()]

    # A stopped cluster never becomes running by itself: the wait ends at its deadline.
    lkm.stop_cluster(cluster.name)
    with pytest.raises(TimeoutError, match="not running"):
        lkm.wait_until_running(cluster.name, timeout=1.0, poll_interval=0.2)
    lkm.start_cluster(cluster.name)
    assert lkm.wait_until_running(cluster.id, timeout=60).status == pb.CLUSTER_STATUS_RUNNING


def test_produce_and_consume_every_encoding(lkm: LkmClient, make_cluster: MakeCluster) -> None:
    cluster = make_cluster("py-data").name
    topic = lkm.create_topic(cluster, "orders", partitions=2, configs={"retention.ms": "3600000"})
    assert topic.partitions == 2
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    binary = bytes(range(256))
    response = lkm.produce(
        cluster,
        "orders",
        [
            Record(key="o-1", value={"total": 42, "items": ["a", "b"]}, headers={"src": "py"}, partition=0, timestamp=when),
            Record(key=b"\xff\x00", value=binary, partition=0),
            Record(value="plain text ✓", partition=0),
            Record(value=Json("a JSON string"), partition=1),
        ],
    )
    assert response.failed_count == 0
    assert [(r.partition, r.offset) for r in response.results] == [(0, 0), (0, 1), (0, 2), (1, 0)]

    messages = lkm.consume(cluster, "orders", partition=0)
    assert [m.offset for m in messages] == [0, 1, 2]
    first, second, third = messages
    assert first.key == "o-1"
    assert json.loads(first.value) == {"total": 42, "items": ["a", "b"]}  # UTF-8: text
    assert first.headers == [("src", b"py")]
    assert first.timestamp == when
    assert second.key == b"\xff\x00" and second.value == binary  # not UTF-8: bytes
    assert third.value == "plain text ✓"

    as_json = lkm.consume(cluster, "orders", partition=0, max_records=1, value_format="json")
    assert as_json[0].value == {"total": 42, "items": ["a", "b"]}
    as_bytes = lkm.consume(cluster, "orders", partition=0, offset=2, key_format="binary", value_format="binary")
    assert [m.value for m in as_bytes] == ["plain text ✓".encode()]
    other = lkm.consume(cluster, "orders", partition=1, value_format="json")
    assert other[0].value == "a JSON string"


def test_consumer_group_continues_where_it_left_off(lkm: LkmClient, make_cluster: MakeCluster) -> None:
    cluster = make_cluster("py-group").name
    lkm.create_topic(cluster, "events", partitions=1)
    lkm.produce(cluster, "events", [f"e-{i}" for i in range(5)])
    first = lkm.consume(cluster, "events", group_id="billing", max_records=3)
    assert [m.value for m in first] == ["e-0", "e-1", "e-2"]
    rest = lkm.consume(cluster, "events", group_id="billing")
    assert [m.value for m in rest] == ["e-3", "e-4"]


def test_consume_stream(lkm: LkmClient, make_cluster: MakeCluster) -> None:
    cluster = make_cluster("py-stream").name
    lkm.create_topic(cluster, "ticks", partitions=1)
    lkm.produce(cluster, "ticks", [{"n": i} for i in range(25)])
    got = list(lkm.consume_stream(cluster, "ticks", max_records=25, value_format="json", timeout=30))
    assert [m.value for m in got] == [{"n": i} for i in range(25)]

    # Following (max_records 0) until the caller has enough: closing the iterator ends the call.
    stream = lkm.consume_stream(cluster, "ticks", timeout=30)
    first = [next(stream) for _ in range(3)]
    stream.close()
    assert [m.offset for m in first] == [0, 1, 2]


def test_migration_progress_stream(lkm: LkmClient, make_cluster: MakeCluster) -> None:
    source = make_cluster("py-src").name
    target = make_cluster("py-dst").name
    lkm.create_topic(source, "orders", partitions=2)
    n = 2000
    for start in range(0, n, 500):
        lkm.produce(
            source,
            "orders",
            [Record(key=f"k-{i}", value=f"v-{i}".encode(), partition=i % 2) for i in range(start, start + 500)],
        )

    plan = lkm.migrate(source, target, topics=["orders"], dry_run=True)
    assert plan.migration.topics[0].messages == n

    operation = lkm.migrate(source, target, topics=["orders"])
    assert operation.id
    events = list(lkm.watch_operation(operation.id, timeout=120))
    assert events, "WatchOperation sent nothing"
    assert events[-1].final and events[-1].status == "SUCCEEDED", str(events[-1])
    assert all(not e.final for e in events[:-1])
    copied = [e.messages_copied for e in events]
    assert copied == sorted(copied), "progress went backwards"
    assert events[-1].messages_copied == n
    assert events[-1].percent == pytest.approx(100.0)
    assert events[-1].operation.migration.verified
    assert sum(p.messages_copied for p in events[-1].partitions) == n

    # A late watcher gets the final state at once.
    assert lkm.wait_for_operation(operation.id, timeout=30).status == pb.OPERATION_STATUS_SUCCEEDED
    copied_back = lkm.consume(target, "orders", max_records=n + 10)
    assert len(copied_back) == n

    # Migrating again conflicts (the target topic has records now): the operation fails or the
    # server refuses it; either way nothing is copied twice.
    with pytest.raises((lkm_client.OperationFailed, lkm_client.LkmError)):
        again = lkm.migrate(source, target, topics=["orders"])
        lkm.wait_for_operation(again.id, timeout=60)
    assert len(lkm.consume(target, "orders", max_records=n + 10)) == n


def test_server_checks_the_token(server: str, token: str | None, lkm: LkmClient) -> None:
    """With authentication on (the server wrote an admin token), calls without the token are
    refused and calls with it go through, on unary and streaming methods alike."""
    if not token:
        pytest.skip("the server hands out no token (authentication off)")
    assert lkm.token == token
    assert lkm.list_templates()
    with lkm_client.connect(server, token="") as anonymous:
        with pytest.raises(lkm_client.LkmError) as err:
            anonymous.list_templates()
        assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(lkm_client.LkmError) as err:
            list(anonymous.watch_operation("no-such-operation", timeout=10))
        assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
    with lkm_client.connect(server, token="not-the-token") as wrong:
        with pytest.raises(lkm_client.LkmError) as err:
            wrong.list_templates()
        assert err.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_produce_stream(lkm: LkmClient, make_cluster: MakeCluster) -> None:
    cluster = make_cluster("py-pstream").name
    lkm.create_topic(cluster, "bulk", partitions=3)
    n = 5000

    def records() -> Iterator[Record]:  # a generator: read as it is sent
        for i in range(n):
            yield Record(key=f"k-{i}", value={"n": i}, partition=i % 3)

    summary = lkm.produce_stream(cluster, "bulk", records(), batch_size=700)
    assert summary.records == n and summary.failed_count == 0
    assert dict(summary.last_offsets) == {0: 1666, 1: 1666, 2: 1665}  # 1667, 1667, 1666 records
    got = lkm.consume(cluster, "bulk", max_records=n + 10, value_format="json")
    assert len(got) == n
    assert sorted(m.value["n"] for m in got) == list(range(n))

    # Bare values, an empty stream, and a failing record iterator (its error is raised).
    assert lkm.produce_stream(cluster, "bulk", ["a", b"\x00", Json("j")]).records == 3
    assert lkm.produce_stream(cluster, "bulk", []).records == 0

    def broken() -> Iterator[str]:
        yield "fine"
        raise RuntimeError("no more records")

    with pytest.raises(RuntimeError, match="no more records"):
        lkm.produce_stream(cluster, "bulk", broken(), batch_size=1)
    with pytest.raises(ValueError):
        lkm.produce_stream(cluster, "bulk", ["x"], batch_size=10_001)
    with pytest.raises(lkm_client.LkmError) as err:
        lkm.produce_stream("lkmtest-does-not-exist", "bulk", ["x"])
    assert err.value.reason == "CLUSTER_NOT_FOUND"


def test_replicate_dry_run_and_compare(lkm: LkmClient, make_cluster: MakeCluster) -> None:
    source = make_cluster("py-rsrc").name
    target = make_cluster("py-rdst").name
    lkm.create_topic(source, "orders", partitions=3)
    lkm.create_topic(source, "payments", partitions=1, configs={"retention.ms": "3600000"})
    lkm.create_topic(target, "payments", partitions=2)
    lkm.produce(source, "orders", [Record(value=f"v-{i}", partition=i % 3) for i in range(9)])

    plan = lkm.replicate(source, [target], dry_run=True)
    assert plan.dry_run and plan.status == pb.OPERATION_STATUS_SUCCEEDED, plan.error_message
    assert plan.operation_type == pb.OPERATION_TYPE_REPLICATE
    (planned,) = plan.replication.targets
    assert list(planned.topics_created) == ["orders"]
    assert [c.topic for c in planned.conflicts] == ["payments"]  # 1 partition vs 2
    assert (planned.conflicts[0].source_partitions, planned.conflicts[0].target_partitions) == (1, 2)
    assert "orders" not in [t.name for t in lkm.list_topics(target)]  # nothing created
    # Not preserving partitions, a partition count is no conflict; one topic, one target as a str.
    only = lkm.replicate(source, target, topics=["orders"], preserve_partitions=False, dry_run=True)
    assert list(only.topics) == ["orders"] and not only.preserve_partitions
    assert list(only.replication.targets[0].topics_created) == ["orders"]

    diff = lkm.compare(source, target, include_data=True)
    assert not diff.summary.identical
    assert list(diff.topics_only_in_source) == ["orders"]
    assert list(diff.topics_only_in_target) == []
    assert [t.topic for t in diff.topics_with_different_config] == ["payments"]
    assert diff.summary.source_messages == 9 and diff.summary.target_messages == 0
    counts = {(d.topic, d.partition, d.source_count, d.target_count) for d in diff.message_count_differences}
    assert counts == {("orders", p, 3, 0) for p in range(3)}
    with pytest.raises(lkm_client.LkmError) as err:
        lkm.replicate(source, [target], topics=["no-such-topic"], dry_run=True)
    assert err.value.code == grpc.StatusCode.NOT_FOUND
