"""The package builds into a wheel that carries the generated modules and type information."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_generated_code(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info", ".pytest_cache"))
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (wheel,) = (tmp_path / "dist").glob("lkm_client-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "lkm_client/__init__.py",
        "lkm_client/py.typed",
        "lkm_client/gen/lkm/v1/__init__.py",
        "lkm_client/gen/lkm/v1/cluster_service_pb2.py",
        "lkm_client/gen/lkm/v1/cluster_service_pb2.pyi",
        "lkm_client/gen/lkm/v1/operation_service_pb2_grpc.py",
        "lkm_client/gen/google/api/annotations_pb2.py",
        "lkm_client/gen/google/rpc/error_details_pb2.py",
    ):
        assert expected in names, f"{expected} missing from {wheel.name}"
    assert not any(n.startswith(("tests/", "generate")) for n in names)
