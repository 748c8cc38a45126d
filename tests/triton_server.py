"""Test helper: build the tiny demo LLaVA and serve it on a real Triton server (nvidia-pytriton).

    with running_triton_server() as server:
        ...  # server.grpc_url, server.model_name, ...

The model is built once into ``var/test-cache/demo-model`` (or ``model_dir``) by
``deploy/demo_model/build_model.py``, which skips the build when a complete model is already there. The server
runs ``deploy/demo_model/serve_triton.py`` as a subprocess in its own session, on free loopback ports; on exit it
gets SIGTERM (SIGKILL for its process group if it does not stop) and its workspace, log and leftover shared-memory
regions are removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "deploy" / "demo_model"
DEFAULT_MODEL_DIR = REPO / "var" / "test-cache" / "demo-model"
READY_PREFIX = "READY"


class TritonServerError(RuntimeError):
    """The test server could not be built or started; the message ends with the tail of its log."""


@dataclass(frozen=True)
class TritonServer:
    grpc_port: int
    http_port: int
    metrics_port: int
    model_name: str
    model_version: str
    model_dir: Path
    pid: int
    startup_s: float

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"127.0.0.1:{self.http_port}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def build_demo_model(model_dir: Path = DEFAULT_MODEL_DIR, *, timeout_s: float = 300.0) -> Path:
    """Build the tiny model into ``model_dir`` unless a complete build is already there."""
    proc = subprocess.run(
        [sys.executable, str(DEMO / "build_model.py"), "--out", str(model_dir)],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-4000:]
        raise TritonServerError(f"build_model.py failed with exit code {proc.returncode}:\n{tail}")
    return model_dir


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free on 127.0.0.1 a moment ago."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-limit:]
    except OSError:
        return "(no log)"


def _ready_line(log: Path) -> str | None:
    with contextlib.suppress(OSError):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(READY_PREFIX):
                return line
    return None


def _model_ready(url: str, model: str, version: str) -> bool:
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    try:
        client = grpcclient.InferenceServerClient(url=url)
        try:
            return bool(
                client.is_server_ready(client_timeout=2.0) and client.is_model_ready(model, version, client_timeout=2.0)
            )
        finally:
            client.close()
    except InferenceServerException:
        return False


def _stop(proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            # the server runs in its own session: its process group is the server and its children
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Python-backend stubs of a stopped server can outlive it in its process group: end them too
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    # a server killed before its own cleanup leaves its Python-backend regions behind; they carry its pid
    for region in Path("/dev/shm").glob(f"pytrtion{proc.pid}-*"):
        with contextlib.suppress(OSError):
            region.unlink()


def _start(
    model_dir: Path, model_name: str, model_version: str, tmp: Path, startup_timeout_s: float, torch_threads: int,
    ports: tuple[int, int, int] | None = None,
) -> tuple[subprocess.Popen[bytes], TritonServer]:
    grpc_port, http_port, metrics_port = ports or free_ports(3)
    log = tmp / f"server-{grpc_port}.log"
    cmd = [
        sys.executable,
        str(DEMO / "serve_triton.py"),
        "--model-dir", str(model_dir),
        "--model-name", model_name,
        "--model-version", model_version,
        "--grpc-port", str(grpc_port),
        "--http-port", str(http_port),
        "--metrics-port", str(metrics_port),
        "--workspace", str(tmp / "workspace"),
        "--torch-threads", str(torch_threads),
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"127.0.0.1:{grpc_port}"
    try:
        while True:
            if proc.poll() is not None:
                raise TritonServerError(f"serve_triton.py exited with code {proc.returncode}:\n{_tail(log)}")
            if _ready_line(log) is not None and _model_ready(url, model_name, model_version):
                break
            if time.monotonic() - started > startup_timeout_s:
                raise TritonServerError(f"serve_triton.py not ready after {startup_timeout_s:g}s:\n{_tail(log)}")
            time.sleep(0.2)
    except BaseException:
        _stop(proc, timeout_s=15)
        raise
    server = TritonServer(
        grpc_port=grpc_port,
        http_port=http_port,
        metrics_port=metrics_port,
        model_name=model_name,
        model_version=model_version,
        model_dir=model_dir,
        pid=proc.pid,
        startup_s=time.monotonic() - started,
    )
    return proc, server


@contextlib.contextmanager
def running_triton_server(
    model_dir: Path | None = None,
    *,
    model_name: str = "llava_demo",
    model_version: str = "1",
    startup_timeout_s: float = 120.0,
    attempts: int = 3,
    torch_threads: int = 1,
    ports: tuple[int, int, int] | None = None,
) -> Iterator[TritonServer]:
    """Build (if needed) and serve the tiny model; yields the running server, stops and cleans up on exit.

    ``model_dir`` may also name real LLaVA-style weights on disk, in which case nothing is built (pass
    ``torch_threads=0`` then: one thread is fastest only for the tiny model). ``ports`` (gRPC, HTTP, metrics)
    pins the ports, e.g. to restart "the same" server with another model version.
    """
    if model_dir is None:
        model_dir = build_demo_model(DEFAULT_MODEL_DIR)
    elif not (model_dir / "config.json").is_file():
        build_demo_model(model_dir)
    tmp = Path(tempfile.mkdtemp(prefix="tm-triton-"))  # short path: pytriton puts unix sockets in it
    try:
        proc: subprocess.Popen[bytes] | None = None
        for attempt in range(1, attempts + 1):
            try:
                proc, server = _start(model_dir, model_name, model_version, tmp, startup_timeout_s, torch_threads,
                                      ports)
                break
            except TritonServerError as exc:
                # another process may have taken one of the free ports between probing and binding
                if attempt == attempts or "already in use" not in str(exc).lower():
                    raise
        assert proc is not None
        try:
            yield server
        finally:
            _stop(proc, timeout_s=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
