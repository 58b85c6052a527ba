"""The README's example, run as it is written against the live server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import lkm_client

README = Path(__file__).resolve().parents[1] / "README.md"


def example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks, "README.md has no python example"
    return blocks[0]


def test_readme_example_runs(server: str, token: str | None, lkm: lkm_client.LkmClient) -> None:
    code = example()
    names = set(re.findall(r'"(sdk-demo-[a-z-]+)"', code))
    for name in names:  # leftovers of an interrupted run
        try:
            lkm.delete_cluster(name)
        except lkm_client.LkmError:
            pass
    env = dict(os.environ)
    env["LKM_SERVER"] = urlsplit(server).netloc
    env["PYTHONPATH"] = os.pathsep.join([str(README.parent / "src"), env.get("PYTHONPATH", "")])
    if token:
        env["LKM_TOKEN"] = token
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert "SUCCEEDED 100%" in run.stdout
    assert "3 records on the target" in run.stdout
    assert not names & {c.name for c in lkm.list_clusters()}
