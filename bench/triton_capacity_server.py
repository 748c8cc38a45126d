"""A Triton model of known capacity, run as its own process by bench/triton_path.py.

    .venv/bin/python bench/triton_capacity_server.py --service-ms 50 --instances 16

Serves ``bench_vlm`` (bench/triton_sleep_model.py) on the ``tritonserver`` that nvidia-pytriton ships, with its
Python backend, the way deploy/demo_model/serve_repository.py serves the demo model: a model repository with
``instance_group [{count: N}]``, so N stub processes each hold a request for the fixed service time; the ceiling
is ``N / service time`` requests/s. Batching is off. Tensors: the monitor's python-backend layout with the image
as one base64 PNG (``tensors.image`` datatype BYTES). Loopback only, free ports; prints ``PORT <grpc port>`` once
the model is ready; SIGTERM or SIGINT stops Triton (its stubs and shared-memory regions go too).

(Why not ``pytriton.triton.Triton.bind`` with N callables: pytriton 0.7.0's model instances fetch their config from
the first instance's handshake socket with a 1 s deadline and no retry; on this 2-core machine the other
instances start first and the model fails to load.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "deploy" / "demo_model"))

from serve_repository import install_server, server_env, stop_server  # noqa: E402  (the project's way to run tritonserver)
from serve_triton import shm_regions_in_use  # noqa: E402

MODEL = "bench_vlm"
CONFIG = """\
name: "{name}"
backend: "python"
max_batch_size: 0
input [
  {{ name: "PROMPT" data_type: TYPE_STRING dims: [ 1 ] }},
  {{ name: "IMAGE" data_type: TYPE_STRING dims: [ 1 ] optional: true }},
  {{ name: "MAX_TOKENS" data_type: TYPE_INT32 dims: [ 1 ] optional: true }}
]
output [
  {{ name: "TEXT" data_type: TYPE_STRING dims: [ 1 ] }}
]
instance_group [ {{ count: {instances} kind: KIND_CPU }} ]
parameters: {{ key: "service_ms" value: {{ string_value: "{service_ms}" }} }}
"""


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _ready(http_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/models/{MODEL}/ready", timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-ms", type=float, default=50.0)
    parser.add_argument("--instances", type=int, default=16)
    parser.add_argument("--startup-timeout", type=float, default=120.0)
    args = parser.parse_args()
    stop = {"signal": 0}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop["signal"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    work = Path(tempfile.mkdtemp(prefix="tm-bench-triton-"))
    model_dir = work / "repository" / MODEL
    (model_dir / "1").mkdir(parents=True)
    shutil.copyfile(HERE / "triton_sleep_model.py", model_dir / "1" / "model.py")
    (model_dir / "config.pbtxt").write_text(CONFIG.format(name=MODEL, instances=args.instances,
                                                          service_ms=args.service_ms))
    server = install_server(work / "tritonserver")
    grpc_port, http_port, metrics_port = _free_ports(3)
    cmd = [str(server / "bin" / "tritonserver"), f"--model-repository={model_dir.parent}",
           f"--backend-directory={server / 'backends'}", "--model-control-mode=none",
           "--http-address=127.0.0.1", f"--http-port={http_port}", "--grpc-address=127.0.0.1",
           f"--grpc-port={grpc_port}", "--metrics-address=127.0.0.1", f"--metrics-port={metrics_port}",
           "--allow-gpu-metrics=false", "--exit-timeout-secs=5", "--log-verbose=0", "--log-info=false"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=server_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    regions: set[Path] = set()
    try:
        ready = False
        while not stop["signal"]:
            if proc.poll() is not None:
                print(f"error: tritonserver exited with code {proc.returncode}", file=sys.stderr, flush=True)
                return 1
            if not ready:
                if _ready(http_port):
                    ready = True
                    regions |= shm_regions_in_use(proc.pid)
                    print(f"PORT {grpc_port}", flush=True)
                    print(json.dumps({"startup_s": round(time.perf_counter() - started, 2)}), file=sys.stderr)
                elif time.perf_counter() - started > args.startup_timeout:
                    print(f"error: model not ready after {args.startup_timeout:g}s", file=sys.stderr, flush=True)
                    return 1
            time.sleep(0.2)
        return 0
    finally:
        regions |= shm_regions_in_use(proc.pid)
        stop_server(proc, regions)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
