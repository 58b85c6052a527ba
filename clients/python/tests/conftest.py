"""Test setup. Live tests talk to the lkm server named by LKM_TEST_SERVER (e.g.
http://127.0.0.1:8000; tests/sdk_clients.rs starts one with the process runtime) with the token
LKM_TEST_TOKEN (empty: none), creating clusters from LKM_TEST_TEMPLATE (default tansu-dev).
Without LKM_TEST_SERVER they are skipped; the unit tests always run."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

# Test this source tree, not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import lkm_client  # noqa: E402


@pytest.fixture(scope="session")
def server() -> str:
    url = os.environ.get("LKM_TEST_SERVER", "")
    if not url:
        pytest.skip("LKM_TEST_SERVER is not set (the URL of a running lkm server)")
    return url


@pytest.fixture(scope="session")
def token() -> str | None:
    return os.environ.get("LKM_TEST_TOKEN") or None


@pytest.fixture(scope="session")
def template() -> str:
    return os.environ.get("LKM_TEST_TEMPLATE", "tansu-dev")


@pytest.fixture
def lkm(server: str, token: str | None) -> Iterator[lkm_client.LkmClient]:
    with lkm_client.connect(server, token=token) as client:
        yield client


def unique(tag: str) -> str:
    """A cluster name of this test run (test clusters start with lkmtest-)."""
    return f"lkmtest-{tag}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def make_cluster(lkm: lkm_client.LkmClient, template: str) -> Iterator[Callable[[str], lkm_client.pb.Cluster]]:
    """Creates running clusters from the test template; deletes them after the test."""
    created: list[str] = []

    def make(tag: str) -> lkm_client.pb.Cluster:
        name = unique(tag)
        created.append(name)
        return lkm.create_cluster(name, template, timeout=120)

    yield make
    for name in created:
        try:
            lkm.delete_cluster(name, force=True)
        except lkm_client.LkmError:
            pass
