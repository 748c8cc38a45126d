"""Test helpers for the real Prometheus stack (Debian packages `prometheus`, `prometheus-alertmanager`): find a
binary, start a server on a free loopback port, wait until it is ready, and call its HTTP API."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest


def binary(*names: str) -> str:
    """The first of ``names`` on PATH; fails under CI (where `make test` installs it), skips elsewhere."""
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    if os.environ.get("CI"):
        pytest.fail(f"{names[0]} is not installed; `make test` installs it")
    pytest.skip(f"{names[0]} is not installed (make system-deps)")


def start_prometheus(config: Path, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={tmp}/tsdb",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def api_get(base: str, path: str, **params: str) -> Any:
    """``data`` of a successful Prometheus/Alertmanager API answer (asserts the status is success)."""
    async with aiohttp.ClientSession() as s, s.get(f"{base}{path}", params=params) as r:
        body = await r.json()
    assert body["status"] == "success", body
    return body["data"]


async def wait_ready(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(120):
        assert proc.poll() is None, f"{what} exited at start-up"
        try:
            async with aiohttp.ClientSession() as s, s.get(url) as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.25)
    pytest.fail(f"{what} not ready after 30 s")


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=15)
