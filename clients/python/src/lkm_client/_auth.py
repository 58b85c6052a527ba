"""Finding the API token and sending it with every call.

Every lkm.v1 call carries ``authorization: Bearer <token>``. lkm writes an admin token to
``<data_dir>/admin.token`` (mode 0600) on its first start.
"""

from __future__ import annotations

import collections
import ipaddress
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import grpc

TOKEN_FILE = "admin.token"


def default_data_dir() -> Path:
    """lkm's default data directory: ``$LKM_DATA_DIR``, else ``$XDG_DATA_HOME/lkm``, else
    ``~/.local/share/lkm`` (``~/Library/Application Support/lkm`` on macOS)."""
    if os.environ.get("LKM_DATA_DIR"):
        return Path(os.environ["LKM_DATA_DIR"])
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]) / "lkm"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "lkm"
    return Path.home() / ".local" / "share" / "lkm"


def is_local(host: str) -> bool:
    """Whether ``host`` is this machine (localhost or a loopback address)."""
    host = host.strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def discover_token(token: Optional[str] = None, host: str = "127.0.0.1") -> Optional[str]:
    """The token to send: ``token`` when given (``""`` means: send none), else ``$LKM_TOKEN``,
    else — only for a server on this machine — the admin token lkm wrote to its data directory
    (see :func:`default_data_dir`). ``None`` when there is none."""
    if token is not None:
        return token.strip() or None
    env = os.environ.get("LKM_TOKEN", "").strip()
    if env:
        return env
    if is_local(host):
        try:
            return (default_data_dir() / TOKEN_FILE).read_text().strip() or None
        except OSError:
            return None
    return None


class _CallDetails(
    collections.namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class BearerTokenInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer <token>`` to the metadata of every call. Works on plaintext
    channels too (gRPC's call credentials require TLS)."""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = [m for m in (details.metadata or ()) if m[0] != "authorization"]
        metadata.append(self._header)
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)
