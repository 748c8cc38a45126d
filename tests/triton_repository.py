"""Test helper: the demo model's two trained versions served from a real Triton model repository.

    with running_repository_server(build_demo_versions()) as server:
        server.roll_out("2")   # the unsafe update: version 2's folder appears in the repository

``build_demo_versions`` trains ``var/test-cache/demo-versions/{1,2}`` once (``deploy/demo_model/train_versions.py``
keeps a complete build); the server is ``deploy/demo_model/serve_repository.py`` in its own session on free
loopback ports, stopped and cleaned up like the pytriton test server.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.triton_server import (
    DEFAULT_MODEL_DIR,
    DEMO,
    REPO,
    TritonServerError,
    _env,
    _ready_line,
    _stop,
    _tail,
    build_demo_model,
    free_ports,
)

DEFAULT_VERSIONS_DIR = REPO / "var" / "test-cache" / "demo-versions"


@dataclass(frozen=True)
class RepositoryServer:
    grpc_port: int
    http_port: int
    metrics_port: int
    model_name: str
    model_dir: Path  # <repository>/<model>: version links appear and go here
    versions: Path
    pid: int

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def roll_out(self, version: str) -> None:
        """What an operator does to deploy a new version: one link into the repository (atomic)."""
        (self.model_dir / version).symlink_to(self.versions / version, target_is_directory=True)

    def roll_back(self, version: str) -> None:
        (self.model_dir / version).unlink()

    def served_versions(self) -> list[str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/v2/models/{self.model_name}",
                                        timeout=2) as reply:
                return [str(v) for v in json.loads(reply.read()).get("versions") or []]
        except (urllib.error.URLError, OSError, ValueError):
            return []


def build_demo_versions(out: Path = DEFAULT_VERSIONS_DIR, *, timeout_s: float = 900.0) -> Path:
    """Train both versions into ``out`` unless complete builds are already there."""
    base = build_demo_model(DEFAULT_MODEL_DIR)
    proc = subprocess.run(
        [sys.executable, str(DEMO / "train_versions.py"), "--base", str(base), "--out", str(out)],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=timeout_s, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise TritonServerError(f"train_versions.py failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")
    return out


@contextlib.contextmanager
def running_repository_server(
    versions: Path, *, live: str = "1", model_name: str = "llava_demo", startup_timeout_s: float = 180.0
) -> Iterator[RepositoryServer]:
    tmp = Path(tempfile.mkdtemp(prefix="tm-repo-"))
    grpc_port, http_port, metrics_port = free_ports(3)
    log = tmp / "server.log"
    cmd = [
        sys.executable, str(DEMO / "serve_repository.py"), "--versions", str(versions), "--live", live,
        "--repository", str(tmp / "repository"), "--model-name", model_name,
        "--grpc-port", str(grpc_port), "--http-port", str(http_port), "--metrics-port", str(metrics_port),
        "--startup-timeout", str(startup_timeout_s),
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=_env(), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while _ready_line(log) is None:
            if proc.poll() is not None:
                raise TritonServerError(f"serve_repository.py exited with code {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() - started > startup_timeout_s + 10:
                raise TritonServerError(f"serve_repository.py not ready after {startup_timeout_s:g}s:\n{_tail(log)}")
            time.sleep(0.2)
        yield RepositoryServer(grpc_port, http_port, metrics_port, model_name, tmp / "repository" / model_name,
                               versions, proc.pid)
    except BaseException:
        print(_tail(log), file=sys.stderr)  # what the server said, for the failing test's report
        raise
    finally:
        _stop(proc, timeout_s=30)
        shutil.rmtree(tmp, ignore_errors=True)
