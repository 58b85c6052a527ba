"""Errors the helper layer raises."""

from __future__ import annotations

from typing import Optional

import grpc

from .gen.google.rpc import error_details_pb2, status_pb2
from .gen.lkm.v1 import operation_pb2


class LkmError(Exception):
    """A failed lkm call: the gRPC status code, the server's message and, when the server sent
    one, the machine-readable ``google.rpc.ErrorInfo`` reason (e.g. ``CLUSTER_NOT_FOUND``)."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        reason: Optional[str] = None,
        metadata: Optional[dict[str, str]] = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}" + (f" ({reason})" if reason else ""))
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata = metadata or {}

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> "LkmError":
        """Builds an LkmError from what grpc raised (a grpc.Call)."""
        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        message = err.details() if hasattr(err, "details") else str(err)
        reason = None
        metadata: dict[str, str] = {}
        trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
        for key, value in trailers or ():
            if key == "grpc-status-details-bin" and isinstance(value, bytes):
                reason, info_metadata = _error_info(value)
                metadata.update(info_metadata)
        return cls(code or grpc.StatusCode.UNKNOWN, message or "", reason, metadata)


def _error_info(details: bytes) -> tuple[Optional[str], dict[str, str]]:
    try:
        status = status_pb2.Status.FromString(details)
    except Exception:  # noqa: BLE001 - a malformed detail is no reason to hide the error
        return None, {}
    for any_detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if any_detail.Is(info.DESCRIPTOR) and any_detail.Unpack(info):
            return info.reason or None, dict(info.metadata)
    return None, {}


class ClusterError(Exception):
    """A cluster reached ERROR while the caller waited for it to run."""

    def __init__(self, cluster_id: str, message: str) -> None:
        super().__init__(f"cluster {cluster_id} is in ERROR: {message}")
        self.cluster_id = cluster_id
        self.message = message


class OperationFailed(Exception):
    """An operation ended FAILED or CANCELLED."""

    def __init__(self, operation: operation_pb2.Operation) -> None:
        status = operation_pb2.OperationStatus.Name(operation.status).removeprefix("OPERATION_STATUS_")
        super().__init__(f"operation {operation.id} {status}: {operation.error_message}")
        self.operation = operation


class ProduceError(Exception):
    """Some records of a produce call were not delivered (``failed``: their ProduceResults,
    which say which and why)."""

    def __init__(self, failed: list, count: Optional[int] = None) -> None:
        count = len(failed) if count is None else count
        message = f"{count} record(s) not delivered"
        if failed:
            message += f"; record {failed[0].index}: {failed[0].error}"
        super().__init__(message)
        self.failed = failed
        # How many were not delivered (ProduceStream lists only the first errors in ``failed``).
        self.count = count
