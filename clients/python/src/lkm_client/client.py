"""The helper layer: :func:`connect` and :class:`LkmClient`.

The generated stubs stay one attribute away (``client.clusters``, ``client.templates``,
``client.operations``, ``client.access``) for everything the helpers do not cover; they take the messages of
:mod:`lkm_client.pb` and raise ``grpc.RpcError``. The helpers raise :class:`LkmError`.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import time
from dataclasses import dataclass
from typing import Any, Generator, Iterable, Iterator, Literal, Mapping, Optional, Sequence, Union
from urllib.parse import urlsplit

import grpc
from google.protobuf import duration_pb2, json_format

from ._auth import BearerTokenInterceptor, discover_token
from .errors import ClusterError, LkmError, OperationFailed, ProduceError
from .gen.lkm.v1 import (
    access_pb2,
    access_service_pb2,
    access_service_pb2_grpc,
    cluster_pb2,
    cluster_service_pb2,
    cluster_service_pb2_grpc,
    config_pb2,
    kafka_pb2,
    operation_pb2,
    operation_service_pb2,
    operation_service_pb2_grpc,
    template_pb2,
    template_service_pb2,
    template_service_pb2_grpc,
)
from .payload import Message, PayloadValue, Record, to_datetime, to_record, to_timestamp

DEFAULT_ADDRESS = "127.0.0.1:8000"
# As large as the server accepts (a produce batch of many records).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# ProduceStream: at most this many records per request message (the server's limit), and a
# message is sent once its records reach STREAM_BATCH_BYTES.
MAX_STREAM_BATCH = 10_000
STREAM_BATCH_BYTES = 4 * 1024 * 1024

StartFrom = Literal["beginning", "end", "offset", "timestamp", "committed"]
Format = Literal["auto", "binary", "text", "json"]

_START_FROM = {
    "beginning": kafka_pb2.START_FROM_BEGINNING,
    "end": kafka_pb2.START_FROM_END,
    "offset": kafka_pb2.START_FROM_OFFSET,
    "timestamp": kafka_pb2.START_FROM_TIMESTAMP,
    "committed": kafka_pb2.START_FROM_COMMITTED,
}
_FORMAT = {
    "auto": kafka_pb2.PAYLOAD_FORMAT_UNSPECIFIED,
    "binary": kafka_pb2.PAYLOAD_FORMAT_BINARY,
    "text": kafka_pb2.PAYLOAD_FORMAT_TEXT,
    "json": kafka_pb2.PAYLOAD_FORMAT_JSON,
}


@contextlib.contextmanager
def _rpc() -> Iterator[None]:
    try:
        yield
    except grpc.RpcError as e:
        raise LkmError.from_rpc_error(e) from e


def _name(enum: Any, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)


@dataclass
class ProgressEvent:
    """One event of an operation's progress stream (WatchOperation): the operation as it is
    now, when the server sent it, and whether it is the last event (a final state)."""

    operation: operation_pb2.Operation
    event_time: Optional[datetime.datetime]
    final: bool

    @property
    def id(self) -> str:
        return self.operation.id

    @property
    def status(self) -> str:
        """PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED."""
        return _name(operation_pb2.OperationStatus, self.operation.status, "OPERATION_STATUS_")

    @property
    def succeeded(self) -> bool:
        return self.operation.status == operation_pb2.OPERATION_STATUS_SUCCEEDED

    @property
    def percent(self) -> float:
        return self.operation.progress_percent

    @property
    def messages_copied(self) -> int:
        return self.operation.progress.messages_copied

    @property
    def messages_total(self) -> int:
        return self.operation.progress.messages_total

    @property
    def bytes_copied(self) -> int:
        return self.operation.progress.bytes_copied

    @property
    def messages_per_second(self) -> float:
        return self.operation.progress.messages_per_second

    @property
    def eta(self) -> Optional[datetime.timedelta]:
        p = self.operation.progress
        return p.eta.ToTimedelta() if p.HasField("eta") else None

    @property
    def partitions(self) -> Sequence[operation_pb2.PartitionProgress]:
        return self.operation.progress.partitions

    def __str__(self) -> str:
        return (
            f"{self.id} {self.status} {self.percent:.1f}% "
            f"{self.messages_copied}/{self.messages_total} records"
        )


class LkmClient:
    """A connection to an lkm server. Create it with :func:`connect`; close it (or use it as
    a context manager) when done."""

    def __init__(self, channel: grpc.Channel, address: str, token: Optional[str]) -> None:
        self.channel = channel
        self.address = address
        self.token = token
        self.clusters = cluster_service_pb2_grpc.ClusterServiceStub(channel)
        self.templates = template_service_pb2_grpc.TemplateServiceStub(channel)
        self.operations = operation_service_pb2_grpc.OperationServiceStub(channel)
        self.access = access_service_pb2_grpc.AccessServiceStub(channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "LkmClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- templates ---------------------------------------------------------------------------

    def list_templates(self) -> list[template_pb2.ClusterTemplate]:
        with _rpc():
            return list(self.templates.ListTemplates(template_service_pb2.ListTemplatesRequest()).templates)

    def host_resources(self) -> cluster_service_pb2.GetHostResourcesResponse:
        """What the host has for new clusters: memory and disk free after what running clusters
        hold (the figures lkm's resource guard compares a template's requirements with)."""
        with _rpc():
            return self.clusters.GetHostResources(cluster_service_pb2.GetHostResourcesRequest())

    # ---- clusters ----------------------------------------------------------------------------

    def create_cluster(
        self,
        name: str,
        template: str = "development",
        *,
        environment: str = "",
        description: str = "",
        tags: Optional[Mapping[str, str]] = None,
        kafka_config: Union[config_pb2.KafkaConfig, Mapping[str, Any], None] = None,
        start: bool = True,
        wait: bool = True,
        timeout: Optional[float] = 300.0,
    ) -> cluster_pb2.Cluster:
        """Creates a cluster from ``template`` (a template id), with ``kafka_config`` overrides
        (a KafkaConfig or a dict such as ``{"num_partitions": 3}``). With ``start`` the server
        starts it; with ``wait`` this returns once it is RUNNING (raising
        :class:`ClusterError` if it ends in ERROR, TimeoutError after ``timeout`` seconds)."""
        request = cluster_service_pb2.CreateClusterRequest(
            name=name,
            template_id=template,
            environment=environment,
            description=description,
            tags=dict(tags or {}),
            auto_start=start,
        )
        if kafka_config is not None:
            if isinstance(kafka_config, config_pb2.KafkaConfig):
                request.kafka_config.CopyFrom(kafka_config)
            else:
                json_format.ParseDict(dict(kafka_config), request.kafka_config)
        deadline = None if timeout is None else time.monotonic() + timeout
        with _rpc():
            cluster = self.clusters.CreateCluster(request, timeout=timeout).cluster
        if start and wait:
            self.wait_until_running(cluster.id, timeout=_remaining(deadline))
            cluster = self.get_cluster(cluster.id)
        return cluster

    def get_cluster(self, cluster: str) -> cluster_pb2.Cluster:
        """A cluster by id or name."""
        with _rpc():
            return self.clusters.GetCluster(cluster_service_pb2.GetClusterRequest(cluster_id=cluster)).cluster

    def list_clusters(self, *, environment: str = "", tags: Sequence[str] = ()) -> list[cluster_pb2.Cluster]:
        """Every cluster (all pages), optionally only those of an environment or carrying
        every one of ``tags`` ("key=value" or "key")."""
        out: list[cluster_pb2.Cluster] = []
        token = ""
        with _rpc():
            while True:
                page = self.clusters.ListClusters(
                    cluster_service_pb2.ListClustersRequest(
                        environment=environment, tags=list(tags), page_size=1000, page_token=token
                    )
                )
                out.extend(page.clusters)
                token = page.next_page_token
                if not token:
                    return out

    def start_cluster(self, cluster: str, *, timeout: Optional[float] = 300.0) -> cluster_pb2.Cluster:
        """Starts a cluster; the server answers once it runs."""
        with _rpc():
            return self.clusters.StartCluster(
                cluster_service_pb2.StartClusterRequest(cluster_id=cluster), timeout=timeout
            ).cluster

    def stop_cluster(self, cluster: str, *, cleanup: bool = False) -> cluster_pb2.Cluster:
        with _rpc():
            return self.clusters.StopCluster(
                cluster_service_pb2.StopClusterRequest(cluster_id=cluster, cleanup=cleanup)
            ).cluster

    def delete_cluster(self, cluster: str, *, force: bool = True, keep_data: bool = False) -> None:
        """Deletes a cluster (``force``: even while it runs)."""
        with _rpc():
            self.clusters.DeleteCluster(
                cluster_service_pb2.DeleteClusterRequest(cluster_id=cluster, force=force, keep_data=keep_data)
            )

    def watch_clusters(
        self, *, environment: str = "", timeout: Optional[float] = None
    ) -> Generator[cluster_service_pb2.WatchClustersResponse, None, None]:
        """The clusters this caller may view as they are now (``CLUSTER_EVENT_TYPE_SNAPSHOT``
        events, then one ``CLUSTER_EVENT_TYPE_SYNCED``), then every change as it happens
        (``CHANGED``: created, updated, status changed; ``DELETED``: deleted or out of view),
        until the iterator is closed or the server stops. ``timeout`` bounds the whole watch."""
        call = self.clusters.WatchClusters(
            cluster_service_pb2.WatchClustersRequest(environment=environment), timeout=timeout
        )
        try:
            with _rpc():
                yield from call
        finally:
            call.cancel()

    def cluster_status(self, cluster: str, *, timeout: Optional[float] = None) -> cluster_service_pb2.GetClusterStatusResponse:
        """The live status of a cluster, reconciled with its runtime."""
        with _rpc():
            return self.clusters.GetClusterStatus(
                cluster_service_pb2.GetClusterStatusRequest(cluster_id=cluster), timeout=timeout
            )

    def wait_until_running(
        self, cluster: str, *, timeout: Optional[float] = 120.0, poll_interval: float = 0.5
    ) -> cluster_service_pb2.GetClusterStatusResponse:
        """Polls GetClusterStatus until the cluster is RUNNING and returns that status. Raises
        :class:`ClusterError` when it is in ERROR, TimeoutError when ``timeout`` seconds pass."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last = "unknown"
        while True:
            try:
                status = self.cluster_status(cluster, timeout=_remaining(deadline))
            except LkmError as e:
                if e.code != grpc.StatusCode.DEADLINE_EXCEEDED or deadline is None:
                    raise
                status = None
            if status is not None:
                if status.status == cluster_pb2.CLUSTER_STATUS_RUNNING:
                    return status
                if status.status == cluster_pb2.CLUSTER_STATUS_ERROR:
                    raise ClusterError(status.cluster_id or cluster, status.status_message)
                last = _name(cluster_pb2.ClusterStatus, status.status, "CLUSTER_STATUS_")
                if status.status_message:
                    last += f": {status.status_message}"
            left = _remaining(deadline)
            if left is not None and left <= 0:
                raise TimeoutError(f"cluster {cluster} is not running after {timeout} s (status {last})")
            time.sleep(poll_interval if left is None else min(poll_interval, left))

    # ---- topics and records ------------------------------------------------------------------

    def create_topic(
        self,
        cluster: str,
        name: str,
        *,
        partitions: Optional[int] = None,
        replication_factor: Optional[int] = None,
        configs: Optional[Mapping[str, str]] = None,
    ) -> kafka_pb2.Topic:
        request = cluster_service_pb2.CreateTopicRequest(cluster_id=cluster, name=name, configs=dict(configs or {}))
        if partitions is not None:
            request.partitions = partitions
        if replication_factor is not None:
            request.replication_factor = replication_factor
        with _rpc():
            return self.clusters.CreateTopic(request).topic

    def list_topics(self, cluster: str, *, include_internal: bool = False) -> list[kafka_pb2.Topic]:
        with _rpc():
            return list(
                self.clusters.ListTopics(
                    cluster_service_pb2.ListTopicsRequest(cluster_id=cluster, include_internal=include_internal)
                ).topics
            )

    def produce(
        self,
        cluster: str,
        topic: str,
        records: Iterable[Union[Record, PayloadValue]],
        *,
        check: bool = True,
        timeout: Optional[float] = None,
    ) -> cluster_service_pb2.ProduceResponse:
        """Produces records: :class:`Record` objects or bare values (bytes, str, JSON values;
        see :mod:`lkm_client.payload`). With ``check``, raises :class:`ProduceError` when any
        record was not delivered; ``results`` has each record's partition and offset."""
        request = cluster_service_pb2.ProduceRequest(
            cluster_id=cluster, topic=topic, records=[to_record(r) for r in records]
        )
        with _rpc():
            response = self.clusters.Produce(request, timeout=timeout)
        if check and response.failed_count:
            raise ProduceError([r for r in response.results if r.error])
        return response

    def produce_stream(
        self,
        cluster: str,
        topic: str,
        records: Iterable[Union[Record, PayloadValue]],
        *,
        batch_size: int = 1000,
        check: bool = True,
        timeout: Optional[float] = None,
    ) -> cluster_service_pb2.ProduceStreamResponse:
        """Produces many records over one client-streaming call (ProduceStream): ``records``
        (as for :meth:`produce`; any iterable, also a generator, read as it is sent) go in
        messages of at most ``batch_size`` records (at most 10000) and about 4 MiB. Returns the
        summary: ``records`` produced, ``failed_count``, the first ``errors`` (with each
        record's index in the stream) and the ``last_offsets`` per partition. With ``check``,
        raises :class:`ProduceError` when any record was not delivered.

        Records are delivered as they arrive: when the call fails midway (or ``records``
        raises, which is re-raised here), those sent before stay produced."""
        if not 1 <= batch_size <= MAX_STREAM_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_STREAM_BATCH}, not {batch_size}")
        failure: list[BaseException] = []

        def requests() -> Iterator[cluster_service_pb2.ProduceStreamRequest]:
            # The first message names the cluster and topic (the server reads them from it,
            # so it goes out even without records); later ones leave them empty.
            first = True
            batch: list[kafka_pb2.ProducerRecord] = []
            size = 0
            try:
                for item in records:
                    record = to_record(item)
                    batch.append(record)
                    size += record.ByteSize()
                    if len(batch) >= batch_size or size >= STREAM_BATCH_BYTES:
                        yield _stream_request(cluster, topic, batch, first)
                        first, batch, size = False, [], 0
            except BaseException as e:
                failure.append(e)
                raise
            if batch or first:
                yield _stream_request(cluster, topic, batch, first)

        try:
            response = self.clusters.ProduceStream(requests(), timeout=timeout)
        except grpc.RpcError as e:
            if failure:
                raise failure[0] from None
            raise LkmError.from_rpc_error(e) from e
        if check and response.failed_count:
            raise ProduceError(list(response.errors), count=response.failed_count)
        return response

    def consume(
        self,
        cluster: str,
        topic: str,
        *,
        start_from: Optional[StartFrom] = None,
        offset: Optional[int] = None,
        at: Optional[datetime.datetime] = None,
        partition: Optional[int] = None,
        max_records: int = 100,
        max_wait: Optional[float] = None,
        group_id: str = "",
        key_format: Format = "auto",
        value_format: Format = "auto",
        timeout: Optional[float] = None,
    ) -> list[Message]:
        """Reads up to ``max_records`` records and returns once every partition read reached
        the end it had when the call started (waiting at most ``max_wait`` seconds; by
        default the server's: 30 s to reach the end, 1 s for new records from the end).

        ``start_from`` defaults to ``"offset"`` when ``offset`` is given, ``"timestamp"`` when
        ``at`` is, ``"committed"`` with a ``group_id`` (which also commits what is returned),
        and ``"beginning"`` otherwise."""
        request = cluster_service_pb2.ConsumeRequest(
            cluster_id=cluster,
            topic=topic,
            max_records=max_records,
            max_wait=None if max_wait is None else _duration(max_wait),
            **self._read_options(start_from, offset, at, partition, group_id, key_format, value_format),
        )
        with _rpc():
            response = self.clusters.Consume(request, timeout=timeout)
        return [Message.from_pb(r) for r in response.records]

    def consume_stream(
        self,
        cluster: str,
        topic: str,
        *,
        start_from: Optional[StartFrom] = None,
        offset: Optional[int] = None,
        at: Optional[datetime.datetime] = None,
        partition: Optional[int] = None,
        max_records: int = 0,
        group_id: str = "",
        key_format: Format = "auto",
        value_format: Format = "auto",
        timeout: Optional[float] = None,
    ) -> Generator[Message, None, None]:
        """Yields records as they arrive (ConsumeStream), until ``max_records`` (0: until the
        iterator is closed, or ``timeout`` seconds pass). Options as for :meth:`consume`."""
        request = cluster_service_pb2.ConsumeStreamRequest(
            cluster_id=cluster,
            topic=topic,
            max_records=max_records,
            **self._read_options(start_from, offset, at, partition, group_id, key_format, value_format),
        )
        call = self.clusters.ConsumeStream(request, timeout=timeout)
        try:
            with _rpc():
                for batch in call:
                    for record in batch.records:
                        yield Message.from_pb(record)
        finally:
            call.cancel()

    @staticmethod
    def _read_options(
        start_from: Optional[StartFrom],
        offset: Optional[int],
        at: Optional[datetime.datetime],
        partition: Optional[int],
        group_id: str,
        key_format: Format,
        value_format: Format,
    ) -> dict[str, Any]:
        if start_from is None:
            if offset is not None:
                start_from = "offset"
            elif at is not None:
                start_from = "timestamp"
            elif group_id:
                start_from = "committed"
            else:
                start_from = "beginning"
        options: dict[str, Any] = {
            "start_from": _START_FROM[start_from],
            "group_id": group_id,
            "key_format": _FORMAT[key_format],
            "value_format": _FORMAT[value_format],
        }
        if offset is not None:
            options["offset"] = offset
        if at is not None:
            options["timestamp"] = to_timestamp(at)
        if partition is not None:
            options["partition"] = partition
        return options

    # ---- operations --------------------------------------------------------------------------

    def migrate(
        self,
        source: str,
        target: str,
        *,
        topics: Sequence[str] = (),
        include_consumer_groups: bool = False,
        preserve_timestamps: Optional[bool] = None,
        preserve_partitions: Optional[bool] = None,
        dry_run: bool = False,
    ) -> operation_pb2.Operation:
        """Starts copying ``topics`` (default: all non-internal ones) from ``source`` to
        ``target`` and returns the operation at once; follow it with :meth:`watch_operation`
        or :meth:`wait_for_operation`. A ``dry_run`` returns the plan (``operation.migration``)
        and changes nothing."""
        request = operation_service_pb2.MigrateDataRequest(
            source_cluster_id=source,
            target_cluster_id=target,
            topics=list(topics),
            include_consumer_groups=include_consumer_groups,
            dry_run=dry_run,
        )
        if preserve_timestamps is not None:
            request.preserve_timestamps = preserve_timestamps
        if preserve_partitions is not None:
            request.preserve_partitions = preserve_partitions
        with _rpc():
            return self.operations.MigrateData(request).operation

    def replicate(
        self,
        source: str,
        targets: Union[str, Sequence[str]],
        *,
        topics: Sequence[str] = (),
        preserve_partitions: bool = True,
        dry_run: bool = False,
    ) -> operation_pb2.Operation:
        """Starts creating ``topics`` (default: all non-internal ones) of ``source`` on each of
        ``targets`` (one cluster or several) where they are missing — partition count (with
        ``preserve_partitions``; else the target's default), replication factor and configs;
        no data is copied and existing topics are left as they are — and returns the
        operation at once, like :meth:`migrate`: follow it with :meth:`watch_operation` or
        :meth:`wait_for_operation`. ``operation.replication.targets`` says per target what
        was created, what matched and what conflicts.

        A ``dry_run`` changes nothing and returns the finished operation (SUCCEEDED, unless a
        target could not be examined), each target's ``topics_created`` listing the topics it
        would create."""
        request = operation_service_pb2.ReplicateTopicsRequest(
            source_cluster_id=source,
            target_cluster_ids=_strings(targets),
            topics=_strings(topics),
            preserve_partitions=preserve_partitions,
            dry_run=dry_run,
        )
        with _rpc():
            return self.operations.ReplicateTopics(request).operation

    def compare(
        self, source: str, target: str, *, include_data: bool = False, timeout: Optional[float] = None
    ) -> operation_pb2.ClusterComparisonResult:
        """Compares two clusters at once (no operation is recorded): their definitions and
        brokers' configs (``config_differences``), topics only on one side or configured
        differently, and with ``include_data`` the partitions whose message counts differ.
        ``summary.identical`` says whether anything compared differs; ``not_compared`` lists
        what could not be compared."""
        request = operation_service_pb2.CompareClustersRequest(
            source_cluster=source, target_cluster=target, include_data=include_data
        )
        with _rpc():
            return self.operations.CompareClusters(request, timeout=timeout).result

    def get_operation(self, operation_id: str) -> operation_pb2.Operation:
        with _rpc():
            return self.operations.GetOperation(
                operation_service_pb2.GetOperationRequest(operation_id=operation_id)
            ).operation

    def cancel_operation(self, operation_id: str) -> operation_pb2.Operation:
        with _rpc():
            return self.operations.CancelOperation(
                operation_service_pb2.CancelOperationRequest(operation_id=operation_id)
            ).operation

    def watch_operation(
        self, operation_id: str, *, timeout: Optional[float] = None
    ) -> Generator[ProgressEvent, None, None]:
        """Yields the operation's progress (WatchOperation): its current state first, then
        every change, ending with the final state (``event.final``). Closing the iterator
        early ends the stream."""
        call = self.operations.WatchOperation(
            operation_service_pb2.WatchOperationRequest(operation_id=operation_id), timeout=timeout
        )
        try:
            with _rpc():
                for event in call:
                    yield ProgressEvent(
                        operation=event.operation,
                        event_time=to_datetime(event.event_time) if event.HasField("event_time") else None,
                        final=event.final,
                    )
                    if event.final:
                        return
        finally:
            call.cancel()

    def wait_for_operation(
        self, operation_id: str, *, timeout: Optional[float] = None, check: bool = True
    ) -> operation_pb2.Operation:
        """Follows the operation until it ends and returns its final state; with ``check``,
        raises :class:`OperationFailed` unless it SUCCEEDED. TimeoutError after ``timeout``."""
        last: Optional[operation_pb2.Operation] = None
        try:
            for event in self.watch_operation(operation_id, timeout=timeout):
                last = event.operation
        except LkmError as e:
            if e.code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise TimeoutError(f"operation {operation_id} did not finish within {timeout} s") from e
            raise
        if last is None:
            last = self.get_operation(operation_id)
        if check and last.status != operation_pb2.OPERATION_STATUS_SUCCEEDED:
            raise OperationFailed(last)
        return last

    # ---- access ------------------------------------------------------------------------------

    def whoami(self) -> access_service_pb2.WhoAmIResponse:
        """The caller: ``principal``, its ``grants``, ``authentication`` (False when the server
        checks no tokens: everyone is an admin then) and the ``token`` of this call (no
        secret)."""
        with _rpc():
            return self.access.WhoAmI(access_service_pb2.WhoAmIRequest())

    def check_access(self, cluster: str, action: str, principal: Optional[str] = None) -> bool:
        """Whether ``principal`` (default: the caller; another one needs admin) may perform
        ``action`` ("view", "operate", "configure", "topics.read", "topics.write",
        "messages.read", "messages.produce", "groups.write", "operations.run", "admin") on a
        cluster (id or name)."""
        request = access_service_pb2.CheckAccessRequest(
            principal=principal or "", cluster_id=cluster, action=action
        )
        with _rpc():
            return self.access.CheckAccess(request).allowed

    def my_clusters(self) -> list[access_service_pb2.ClusterAccess]:
        """The clusters the caller may view, each with the actions it may perform there."""
        with _rpc():
            return list(self.access.ListMyClusters(access_service_pb2.ListMyClustersRequest()).clusters)

    def create_token(
        self,
        name: str,
        *,
        principal: Optional[str] = None,
        ttl: Union[float, datetime.timedelta, None] = None,
    ) -> tuple[access_pb2.Token, str]:
        """Creates a token named ``name`` for the caller or (admin) for ``principal``, which is
        created if new; ``ttl`` (seconds or a timedelta; None: never expires) limits its life.
        Returns the token and its secret — shown only now; connect with ``token=secret``."""
        request = access_service_pb2.CreateTokenRequest(principal=principal or "", name=name)
        if ttl is not None:
            request.ttl.CopyFrom(_duration(ttl))
        with _rpc():
            response = self.access.CreateToken(request)
        return response.token, response.secret

    def list_tokens(self, principal: Optional[str] = None) -> list[access_pb2.Token]:
        """The caller's tokens, or (admin) ``principal``'s, or with no principal as admin
        everybody's. Never their secrets; revoked and expired ones too."""
        with _rpc():
            return list(self.access.ListTokens(access_service_pb2.ListTokensRequest(principal=principal or "")).tokens)

    def revoke_token(self, token_id: str) -> None:
        """Revokes a token (the caller's own, or any as admin), from its next call on."""
        with _rpc():
            self.access.RevokeToken(access_service_pb2.RevokeTokenRequest(token_id=token_id))

    def grant(
        self,
        principal: str,
        *,
        role: Optional[str] = None,
        actions: Union[str, Sequence[str]] = (),
        cluster_ids: Union[str, Sequence[str]] = (),
        name_pattern: str = "",
        environment: str = "",
        tags: Optional[Mapping[str, str]] = None,
    ) -> access_pb2.Grant:
        """Grants ``principal`` (admin only) a built-in ``role`` ("admin", "editor",
        "operator", "viewer") and/or ``actions`` (see :meth:`check_access`) on the clusters
        that match every criterion given: ``cluster_ids`` (ids or names), ``name_pattern`` (a
        glob such as ``"team-a-*"``), ``environment``, ``tags``; none given means every
        cluster, also those created later. Returns the grant (its ``id`` revokes it)."""
        grant = access_pb2.Grant(
            role=role or "",
            actions=_strings(actions),
            clusters=access_pb2.ClusterSelector(
                cluster_ids=_strings(cluster_ids),
                name_pattern=name_pattern,
                environment=environment,
                tags=dict(tags or {}),
            ),
        )
        with _rpc():
            return self.access.GrantAccess(access_service_pb2.GrantAccessRequest(principal=principal, grant=grant)).grant

    def revoke_grant(self, principal: str, grant_id: str) -> None:
        """Removes one of ``principal``'s grants (admin only)."""
        with _rpc():
            self.access.RevokeAccess(access_service_pb2.RevokeAccessRequest(principal=principal, grant_id=grant_id))

    def list_grants(self, principal: Optional[str] = None) -> list[access_pb2.Grant]:
        """The grants of the caller, or of ``principal`` (admin, or the principal itself)."""
        with _rpc():
            return list(self.access.ListGrants(access_service_pb2.ListGrantsRequest(principal=principal or "")).grants)

    def audit_events(
        self,
        *,
        cluster: Optional[str] = None,
        principal: Optional[str] = None,
        since: Optional[datetime.datetime] = None,
        until: Optional[datetime.datetime] = None,
        limit: Optional[int] = 100,
    ) -> list[access_pb2.AuditEvent]:
        """The audit log (admin only), newest first: every call that changed something and
        every refused call, optionally only those naming ``cluster`` (id or name), made by
        ``principal``, or at or after ``since`` (and before ``until``; naive datetimes are
        UTC). Follows the pages until ``limit`` events (None: all of them)."""
        if limit is not None and limit <= 0:
            return []
        request = access_service_pb2.ListAuditEventsRequest(cluster_id=cluster or "", principal=principal or "")
        if since is not None:
            request.since.CopyFrom(to_timestamp(since))
        if until is not None:
            request.until.CopyFrom(to_timestamp(until))
        out: list[access_pb2.AuditEvent] = []
        with _rpc():
            while True:
                request.page_size = 1000 if limit is None else min(1000, limit - len(out))
                page = self.access.ListAuditEvents(request)
                out.extend(page.events)
                request.page_token = page.next_page_token
                if not page.next_page_token or (limit is not None and len(out) >= limit):
                    return out if limit is None else out[:limit]


def _remaining(deadline: Optional[float]) -> Optional[float]:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _duration(seconds: Union[float, datetime.timedelta]) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromTimedelta(seconds if isinstance(seconds, datetime.timedelta) else datetime.timedelta(seconds=seconds))
    return d


def _stream_request(
    cluster: str, topic: str, records: list[kafka_pb2.ProducerRecord], first: bool
) -> cluster_service_pb2.ProduceStreamRequest:
    if first:
        return cluster_service_pb2.ProduceStreamRequest(cluster_id=cluster, topic=topic, records=records)
    return cluster_service_pb2.ProduceStreamRequest(records=records)


def _strings(value: Union[str, Iterable[str]]) -> list[str]:
    """A list of strings from one string or several (a bare str is one, not its letters)."""
    return [value] if isinstance(value, str) else list(value)


def _target(address: str) -> tuple[str, str, bool]:
    """(gRPC target "host:port", host, whether the scheme asks for TLS) of an address given as
    "host:port", "host", "http://host:port" or "https://host:port"."""
    scheme = ""
    if "://" in address:
        scheme, _, rest = address.partition("://")
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme in {address!r}: use http://, https:// or host:port")
    else:
        rest = address
    parts = urlsplit("//" + rest)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if scheme == "https" else 80 if scheme == "http" else 8000)
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}", host, scheme == "https"


def connect(
    address: Optional[str] = None,
    token: Optional[str] = None,
    tls: bool = False,
    *,
    root_certificates: Optional[bytes] = None,
    options: Sequence[tuple[str, Any]] = (),
) -> LkmClient:
    """Connects to an lkm server.

    ``address``: "host:port" (default ``$LKM_SERVER``, else ``127.0.0.1:8000``), or an
    ``http://`` / ``https://`` URL. ``token``: sent as ``authorization: Bearer <token>`` on
    every call; when None it is discovered (``$LKM_TOKEN``, else, for a server on this machine,
    ``admin.token`` in lkm's data directory); ``""`` sends none. ``tls`` (or an https URL):
    TLS, verified against ``root_certificates`` (PEM) or the system's roots.

    The channel connects lazily: an unreachable server shows up as UNAVAILABLE on the first
    call.
    """
    address = address or os.environ.get("LKM_SERVER") or DEFAULT_ADDRESS
    target, host, https = _target(address)
    channel_options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        *options,
    ]
    if tls or https:
        channel = grpc.secure_channel(
            target, grpc.ssl_channel_credentials(root_certificates=root_certificates), options=channel_options
        )
    else:
        channel = grpc.insecure_channel(target, options=channel_options)
    found = discover_token(token, host)
    if found:
        channel = grpc.intercept_channel(channel, BearerTokenInterceptor(found))
    return LkmClient(channel, address=target, token=found)
