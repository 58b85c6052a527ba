"""Token discovery, and the authorization metadata on unary and streaming calls, checked
against an in-process gRPC server built from the generated servicers (no lkm needed)."""

from __future__ import annotations

from concurrent import futures
from pathlib import Path
from typing import Iterator

import grpc
import pytest

import lkm_client
from lkm_client import discover_token, pb


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("LKM_TOKEN", "LKM_DATA_DIR", "XDG_DATA_HOME", "LKM_SERVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def write_token(directory: Path, secret: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "admin.token").write_text(secret + "\n")


def test_argument_beats_env_beats_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_token(clean_env / "data", "from-file")
    monkeypatch.setenv("LKM_DATA_DIR", str(clean_env / "data"))
    assert discover_token() == "from-file"
    monkeypatch.setenv("LKM_TOKEN", "from-env")
    assert discover_token() == "from-env"
    assert discover_token("from-argument") == "from-argument"
    assert discover_token("") is None  # explicitly none


def test_token_file_locations(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert discover_token() is None
    write_token(clean_env / "home" / ".local" / "share" / "lkm", "home-default")
    assert discover_token() == "home-default"
    write_token(clean_env / "xdg" / "lkm", "xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(clean_env / "xdg"))
    assert discover_token() == "xdg"
    write_token(clean_env / "data", "data-dir")
    monkeypatch.setenv("LKM_DATA_DIR", str(clean_env / "data"))
    assert discover_token() == "data-dir"


def test_local_token_file_is_not_sent_to_other_hosts(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_token(clean_env / "data", "local-admin")
    monkeypatch.setenv("LKM_DATA_DIR", str(clean_env / "data"))
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        assert discover_token(host=host) == "local-admin", host
    assert discover_token(host="kafka-admin.example.com") is None
    assert discover_token(host="10.0.0.5") is None
    monkeypatch.setenv("LKM_TOKEN", "explicit")
    assert discover_token(host="kafka-admin.example.com") == "explicit"


class Recorder(pb.TemplateServiceServicer, pb.OperationServiceServicer):
    """Answers ListTemplates and WatchOperation, remembering each call's metadata."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    def ListTemplates(self, request: pb.ListTemplatesRequest, context: grpc.ServicerContext) -> pb.ListTemplatesResponse:
        self.seen.append(dict(context.invocation_metadata()))
        return pb.ListTemplatesResponse(templates=[pb.ClusterTemplate(id="fake")])

    def WatchOperation(self, request: pb.WatchOperationRequest, context: grpc.ServicerContext) -> Iterator[pb.WatchOperationResponse]:
        self.seen.append(dict(context.invocation_metadata()))
        op = pb.Operation(id=request.operation_id, status=pb.OPERATION_STATUS_RUNNING)
        yield pb.WatchOperationResponse(operation=op)
        op.status = pb.OPERATION_STATUS_SUCCEEDED
        op.progress_percent = 100
        yield pb.WatchOperationResponse(operation=op, final=True)


@pytest.fixture
def fake_server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb.add_TemplateServiceServicer_to_server(recorder, server)
    pb.add_OperationServiceServicer_to_server(recorder, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", recorder
    server.stop(grace=None)


def test_bearer_token_on_unary_and_streaming_calls(fake_server: tuple[str, Recorder], clean_env: Path) -> None:
    address, recorder = fake_server
    with lkm_client.connect(address, token="s3cret") as client:
        assert [t.id for t in client.list_templates()] == ["fake"]
        events = list(client.watch_operation("op-1"))
        # The raw stubs go through the same channel.
        client.templates.ListTemplates(pb.ListTemplatesRequest())
    assert [e.status for e in events] == ["RUNNING", "SUCCEEDED"]
    assert events[-1].final and events[-1].succeeded
    assert [m.get("authorization") for m in recorder.seen] == ["Bearer s3cret"] * 3


def test_discovered_token_is_sent(fake_server: tuple[str, Recorder], clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    address, recorder = fake_server
    write_token(clean_env / "data", "admin-secret")
    monkeypatch.setenv("LKM_DATA_DIR", str(clean_env / "data"))
    with lkm_client.connect(f"http://{address}") as client:
        client.list_templates()
    assert recorder.seen[-1].get("authorization") == "Bearer admin-secret"


def test_no_token_no_header(fake_server: tuple[str, Recorder], clean_env: Path) -> None:
    address, recorder = fake_server
    with lkm_client.connect(address) as client:
        assert client.token is None
        client.list_templates()
    assert "authorization" not in recorder.seen[-1]


def test_unreachable_server_is_an_lkm_error(clean_env: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with lkm_client.connect(f"127.0.0.1:{port}") as client:
        with pytest.raises(lkm_client.LkmError) as err:
            client.templates  # noqa: B018 - the stub exists without a connection
            client.list_templates()
    assert err.value.code == grpc.StatusCode.UNAVAILABLE


def test_address_forms() -> None:
    from lkm_client.client import _target

    assert _target("127.0.0.1:8000") == ("127.0.0.1:8000", "127.0.0.1", False)
    assert _target("http://localhost:9000") == ("localhost:9000", "localhost", False)
    assert _target("https://lkm.example.com") == ("lkm.example.com:443", "lkm.example.com", True)
    assert _target("lkm.internal") == ("lkm.internal:8000", "lkm.internal", False)
    assert _target("[::1]:8000") == ("[::1]:8000", "::1", False)
    with pytest.raises(ValueError):
        _target("ftp://x")
