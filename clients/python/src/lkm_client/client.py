"""The helper layer: :func:`connect` and :class:`LkmClient`.

The generated stubs stay one attribute away (``client.clusters``, ``client.templates``,
``client.operations``) for everything the helpers do not cover; they take the messages of
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
        max_wait: float = 1.0,
        group_id: str = "",
        key_format: Format = "auto",
        value_format: Format = "auto",
        timeout: Optional[float] = None,
    ) -> list[Message]:
        """Reads up to ``max_records`` records and returns once every partition read reached
        the end it had when the call started (waiting at most ``max_wait`` seconds).

        ``start_from`` defaults to ``"offset"`` when ``offset`` is given, ``"timestamp"`` when
        ``at`` is, ``"committed"`` with a ``group_id`` (which also commits what is returned),
        and ``"beginning"`` otherwise."""
        request = cluster_service_pb2.ConsumeRequest(
            cluster_id=cluster,
            topic=topic,
            max_records=max_records,
            max_wait=_duration(max_wait),
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


def _remaining(deadline: Optional[float]) -> Optional[float]:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromTimedelta(datetime.timedelta(seconds=seconds))
    return d


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
