"""Serve the demo model's versions from a Triton model repository, the way model updates reach production.

    python deploy/demo_model/serve_repository.py --versions var/demo-versions --live 1 \\
        --repository var/triton-repo --grpc-port 8001 --http-port 8000 --metrics-port 8002

Starts NVIDIA Triton Inference Server (the ``tritonserver`` 2.51 that nvidia-pytriton ships, with its Python
backend) on a model repository it writes: ``<repository>/<model>/config.pbtxt`` and, for each ``--live``
version, ``<repository>/<model>/<version>`` as a link to ``<versions>/<version>`` (the weights; this script puts
``model.py`` beside them). Triton polls the repository (``--model-control-mode=poll``) and serves the newest
version present (its default version policy), so **a model update is one command**:

    ln -s "$PWD/var/demo-versions/2" var/triton-repo/llava_demo/2     # roll out version 2
    rm var/triton-repo/llava_demo/2                                   # roll back to version 1

Within a few seconds Triton loads version 2, unloads version 1, and its model metadata lists version 2 only.
Prints one ``READY …`` line once the model answers; stops on SIGTERM/SIGINT (Triton drains, the Python-backend
stubs and their shared-memory regions go, the server's copy of its binaries is removed). Loopback only unless
``--host`` says otherwise; a busy port exits at once with code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from serve_triton import (  # noqa: E402  (a script beside this one)
    READY_PREFIX,
    ensure_libpython_on_ld_path,
    port_problem,
    remove_shm_regions,
    shm_regions_in_use,
)

MODEL_FILE = HERE / "triton_model.py"

CONFIG_TEMPLATE = """\
# Written by deploy/demo_model/serve_repository.py. Triton serves the newest version folder present.
name: "{name}"
backend: "python"
max_batch_size: 0
input [
  {{ name: "PROMPT" data_type: TYPE_STRING dims: [ 1 ] }},
  {{ name: "IMAGE" data_type: TYPE_UINT8 dims: [ -1, -1, 3 ] optional: true }},
  {{ name: "MAX_TOKENS" data_type: TYPE_INT32 dims: [ 1 ] optional: true }}
]
output [
  {{ name: "TEXT" data_type: TYPE_STRING dims: [ 1 ] }}
]
instance_group [ {{ count: {instances} kind: KIND_CPU }} ]
parameters: {{ key: "torch_threads" value: {{ string_value: "{threads}" }} }}
parameters: {{ key: "default_max_tokens" value: {{ string_value: "{default_max_tokens}" }} }}
parameters: {{ key: "max_tokens_limit" value: {{ string_value: "{max_tokens_limit}" }} }}
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--versions", type=Path, required=True, help="folder of version folders (train_versions.py)")
    p.add_argument("--live", default="1", help="comma-separated versions linked into the repository at start")
    p.add_argument("--repository", type=Path, default=Path("var/triton-repo"), help="model repository to write")
    p.add_argument("--model-name", default="llava_demo")
    p.add_argument("--grpc-port", type=int, default=8001)
    p.add_argument("--http-port", type=int, default=8000)
    p.add_argument("--metrics-port", type=int, default=8002)
    p.add_argument("--host", default="127.0.0.1", help="address all ports bind to (default: loopback only)")
    p.add_argument("--poll-seconds", type=int, default=2, help="how often Triton looks for new versions")
    p.add_argument("--instances", type=int, default=2, help="model instances (stub processes) answering at once")
    p.add_argument("--torch-threads", type=int, default=1, help="torch threads per instance")
    p.add_argument("--default-max-tokens", type=int, default=128)
    p.add_argument("--max-tokens-limit", type=int, default=1024)
    p.add_argument("--startup-timeout", type=float, default=120.0)
    return p.parse_args(argv)


def write_repository(args: argparse.Namespace) -> Path:
    """The model folder with its config and the live version links; every version folder gets model.py."""
    versions = args.versions.resolve()
    found = versions.iterdir() if versions.is_dir() else iter(())
    available = sorted(p.name for p in found if p.is_dir() and p.name.isdigit())
    live = [v.strip() for v in args.live.split(",") if v.strip()]
    missing = [v for v in live if v not in available]
    if not live or missing:
        raise SystemExit(f"error: version(s) {', '.join(missing) or '(none)'} not found under {versions} "
                         f"(found: {', '.join(available) or 'none'}); run train_versions.py first")
    for version in available:
        shutil.copyfile(MODEL_FILE, versions / version / "model.py")
    model_dir = args.repository.resolve() / args.model_name
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    (model_dir / "config.pbtxt").write_text(CONFIG_TEMPLATE.format(
        name=args.model_name, instances=args.instances, threads=args.torch_threads,
        default_max_tokens=args.default_max_tokens, max_tokens_limit=args.max_tokens_limit), encoding="utf-8")
    for version in live:
        (model_dir / version).symlink_to(versions / version, target_is_directory=True)
    return model_dir


def install_server(into: Path) -> Path:
    """A private copy of the tritonserver that nvidia-pytriton ships, with the Python-backend stub of this Python."""
    from pytriton.utils.distribution import get_root_module_path, get_stub_path

    source = get_root_module_path() / "tritonserver"
    shutil.copytree(source, into, ignore=shutil.ignore_patterns("python_backend_stubs"))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    shutil.copy(get_stub_path(version), into / "backends" / "python" / "triton_python_backend_stub")
    return into


def server_env() -> dict[str, str]:
    """The stub's Python is this environment's (found as the first ``python3`` on PATH); it imports monitor/."""
    from pytriton.utils.distribution import get_libs_path

    ensure_libpython_on_ld_path()
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    libraries = (env.get("LD_LIBRARY_PATH", ""), str(get_libs_path()))
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in libraries if p)
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def stop_server(proc: subprocess.Popen[bytes], regions: set[Path]) -> None:
    """SIGTERM tritonserver (SIGKILL after 20 s) and remove the shared-memory regions its backends left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    remove_shm_regions(regions)


def _ready(host: str, port: int, model: str) -> str | None:
    """The version Triton serves once the model answers as ready, else None."""
    import json

    base = f"http://{host}:{port}/v2/models/{model}"
    try:
        with urllib.request.urlopen(f"{base}/ready", timeout=2) as reply:
            if reply.status != 200:
                return None
        with urllib.request.urlopen(base, timeout=2) as reply:
            versions = json.loads(reply.read()).get("versions") or []
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return str(versions[-1]) if versions else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problem = port_problem(args.host, [args.grpc_port, args.http_port, args.metrics_port])
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    model_dir = write_repository(args)
    workdir = Path(tempfile.mkdtemp(prefix="tritonserver-"))
    server = install_server(workdir / "tritonserver")
    cmd = [
        str(server / "bin" / "tritonserver"),
        f"--model-repository={model_dir.parent}",
        f"--backend-directory={server / 'backends'}",
        "--model-control-mode=poll", f"--repository-poll-secs={args.poll_seconds}",
        f"--http-address={args.host}", f"--http-port={args.http_port}",
        f"--grpc-address={args.host}", f"--grpc-port={args.grpc_port}",
        f"--metrics-address={args.host}", f"--metrics-port={args.metrics_port}",
        "--allow-gpu-metrics=false", "--exit-timeout-secs=5", "--log-verbose=0",
    ]  # fmt: skip
    started = time.perf_counter()
    stop = {"signal": 0}

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop["signal"] = signum

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    proc = subprocess.Popen(cmd, env=server_env(), stdin=subprocess.DEVNULL)
    regions: set[Path] = set()
    code = 0
    try:
        serving: str | None = None
        while not stop["signal"]:
            if proc.poll() is not None:
                print(f"error: tritonserver exited with code {proc.returncode}", file=sys.stderr)
                return 1
            if serving is None:
                serving = _ready(args.host, args.http_port, args.model_name)
                if serving is not None:
                    print(f"{READY_PREFIX} model={args.model_name} version={serving} grpc={args.host}:{args.grpc_port} "
                          f"http={args.host}:{args.http_port} metrics={args.host}:{args.metrics_port} "
                          f"repository={model_dir} (start-to-ready {time.perf_counter() - started:.1f}s)", flush=True)
                elif time.perf_counter() - started > args.startup_timeout:
                    print(f"error: model not ready after {args.startup_timeout:g}s", file=sys.stderr)
                    code = 1
                    break
            regions |= shm_regions_in_use(os.getpid())
            time.sleep(0.5)
        return code
    finally:
        regions |= shm_regions_in_use(os.getpid())
        stop_server(proc, regions)
        shutil.rmtree(workdir, ignore_errors=True)
        with contextlib.suppress(OSError):
            shutil.rmtree(model_dir)


if __name__ == "__main__":
    sys.exit(main())
