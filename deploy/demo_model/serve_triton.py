"""Serve a local LLaVA-style image-text-to-text model on a real Triton Inference Server (nvidia-pytriton).

    python deploy/demo_model/serve_triton.py --model-dir var/demo-model \\
        --grpc-port 8001 --http-port 8000 --metrics-port 8002 --workspace var/triton-workspace

Any model directory that ``AutoProcessor`` and ``AutoModelForImageTextToText`` load from disk works: the tiny
demo model built by ``build_model.py``, or real LLaVA weights. Nothing is downloaded (``HF_HUB_OFFLINE=1``).

Tensor layout (the monitor's default "python-backend preset"), batching off:

    PROMPT      BYTES  [1]          UTF-8 user text; the server applies the model's chat template
    IMAGE       UINT8  [-1,-1,3]    optional RGB image (H, W, 3); omit it for a text-only request
    MAX_TOKENS  INT32  [1]          optional; new tokens to generate (default --default-max-tokens)
    TEXT        BYTES  [1]          output: the generated text, UTF-8

Decoding is greedy. All ports bind to 127.0.0.1 unless --host says otherwise. A line starting with ``READY`` is
printed once the model is loaded and serving; SIGTERM or SIGINT stops the server and removes its workspace and
the shared-memory regions its Python backend created.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import sysconfig
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

LOG = logging.getLogger("serve_triton")
READY_PREFIX = "READY"
SHM_DIR = Path("/dev/shm")


# --------------------------------------------------------------------------------------------------- environment


def ensure_libpython_on_ld_path() -> None:
    """Put Python's own LIBDIR first on LD_LIBRARY_PATH for the Triton processes started from here.

    The Python backend stub links against libpython; without this it may pick up the system's libpython (a
    different patch release) and fail to load the model. pytriton passes this process's environment to
    tritonserver, so changing ``os.environ`` before the server starts is enough (no re-exec needed).
    """
    libdir = sysconfig.get_config_var("LIBDIR")
    if not libdir:
        return
    current = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    if current[:1] != [libdir]:
        os.environ["LD_LIBRARY_PATH"] = os.pathsep.join([libdir, *(p for p in current if p != libdir)])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_workspace(parent: Path, model_name: str) -> Path:
    """A fresh pytriton workspace under ``parent``: ``<parent>/<model>-<pid>``.

    pytriton refuses an existing workspace and deletes it on stop, so each run gets its own folder; folders left
    by runs whose process is gone are removed first.
    """
    parent = parent.resolve()
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob(f"{model_name}-*"):
        pid_text = old.name.rsplit("-", 1)[-1]
        if old.is_dir() and pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(old, ignore_errors=True)
    path = parent / f"{model_name}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    return path


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def shm_regions_in_use(pid: int) -> set[Path]:
    """Shared-memory files under /dev/shm mapped or held open by ``pid``'s descendants (tritonserver, stubs)."""
    regions: set[Path] = set()
    for child in _descendants(pid):
        proc = Path(f"/proc/{child}")
        with contextlib.suppress(OSError):
            for line in (proc / "maps").read_text().splitlines():
                parts = line.split(maxsplit=5)  # address perms offset dev inode [path]
                path = parts[5] if len(parts) == 6 else ""
                if path.startswith(f"{SHM_DIR}/"):
                    regions.add(Path(path.removesuffix(" (deleted)")))
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith(f"{SHM_DIR}/"):
                        regions.add(Path(target.removesuffix(" (deleted)")))
    return regions


def remove_shm_regions(regions: set[Path]) -> list[Path]:
    """Remove this server's leftover Python-backend regions; returns what was removed."""
    removed: list[Path] = []
    mine = f"pytrtion{os.getpid()}-"  # pytriton's shm-region prefix: "pytrtion<pid>-<hash>" (sic)
    candidates = set(regions) | set(SHM_DIR.glob(f"{mine}*"))
    for path in sorted(candidates):
        name = path.name
        if not (name.startswith("triton_python_backend_shm_region_") or name.startswith(mine)):
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


# ------------------------------------------------------------------------------------------------------ the model


class Generator:
    """Greedy image-text-to-text generation with a locally stored HF model (the monitor's hf-local loader),
    one request at a time: Triton may call from several threads, the model is not thread-safe."""

    def __init__(self, model_dir: Path, *, device: str, dtype: str, default_max_tokens: int, max_tokens_limit: int):
        from monitor.adapters._hf_generate import LocalModel

        self.model = LocalModel(model_dir, device=device, dtype=dtype)
        self.default_max_tokens = default_max_tokens
        self.max_tokens_limit = max_tokens_limit
        self._lock = threading.Lock()

    def generate(self, prompt: str, image: Any | None, max_tokens: int | None) -> str:
        n = self.default_max_tokens if max_tokens is None else max_tokens
        n = max(1, min(n, self.max_tokens_limit))
        with self._lock:
            return self.model.generate(prompt, image, n).text


# ------------------------------------------------------------------------------------------------------ inference


def make_infer_func(gen: Generator) -> Any:
    import numpy as np
    from pytriton.exceptions import PyTritonBadParameterError

    def _one(data: dict[str, Any]) -> dict[str, Any]:
        prompt_arr = data.get("PROMPT")
        if prompt_arr is None or prompt_arr.size != 1:
            raise PyTritonBadParameterError("PROMPT must hold exactly one UTF-8 string")
        raw = prompt_arr.reshape(-1)[0]
        try:
            prompt = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else str(raw)
        except UnicodeDecodeError:
            raise PyTritonBadParameterError("PROMPT is not valid UTF-8") from None

        image = data.get("IMAGE")
        if image is not None:
            if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
                raise PyTritonBadParameterError(f"IMAGE must have shape (H, W, 3), got {tuple(image.shape)}")
            image = np.ascontiguousarray(image, dtype=np.uint8)

        max_tokens: int | None = None
        mt = data.get("MAX_TOKENS")
        if mt is not None:
            if mt.size != 1:
                raise PyTritonBadParameterError("MAX_TOKENS must hold exactly one integer")
            max_tokens = int(mt.reshape(-1)[0])
            if max_tokens < 1:
                raise PyTritonBadParameterError("MAX_TOKENS must be at least 1")

        text = gen.generate(prompt, image, max_tokens)
        return {"TEXT": np.array([text.encode("utf-8")], dtype=np.object_)}

    def infer(requests: list[Any]) -> list[dict[str, Any]]:
        return [_one(dict(request.data)) for request in requests]

    return infer


# ------------------------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Serve a local LLaVA-style model on Triton (nvidia-pytriton).")
    p.add_argument("--model-dir", type=Path, required=True, help="local model directory (save_pretrained layout)")
    p.add_argument("--model-name", default="llava_demo", help="Triton model name (default: llava_demo)")
    p.add_argument("--model-version", type=int, default=1, help="Triton model version (default: 1)")
    p.add_argument("--grpc-port", type=int, default=8001)
    p.add_argument("--http-port", type=int, default=8000)
    p.add_argument("--metrics-port", type=int, default=8002)
    p.add_argument("--host", default="127.0.0.1", help="address all ports bind to (default: loopback only)")
    p.add_argument("--workspace", type=Path, default=Path("var/triton-workspace"),
                   help="parent folder for pytriton's per-run workspace")  # fmt: skip
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    p.add_argument("--dtype", default="auto", choices=["auto", "float32", "float16", "bfloat16"])
    p.add_argument("--default-max-tokens", type=int, default=128, help="new tokens when MAX_TOKENS is omitted")
    p.add_argument("--max-tokens-limit", type=int, default=1024, help="upper bound applied to MAX_TOKENS")
    p.add_argument("--torch-threads", type=int, default=0,
                   help="torch CPU threads (0: torch's default; 1 is fastest for the tiny model)")  # fmt: skip
    p.add_argument("--verbose", action="store_true", help="show pytriton's and Triton's logs")
    return p.parse_args(argv)


class _Interrupted(BaseException):  # like KeyboardInterrupt: not swallowed by "except Exception"
    """Raised in the main thread by a stop signal that arrives before the server is serving."""


def ports_in_use(host: str, ports: list[int]) -> list[int]:
    """The ports among ``ports`` that cannot be bound on ``host`` right now."""
    busy: list[int] = []
    for port in ports:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Triton does: TIME_WAIT is no conflict
            try:
                sock.bind((host, port))
            except OSError:
                busy.append(port)
    return busy


def port_problem(host: str, ports: list[int]) -> str | None:
    """Why Triton could not listen on these ports (checked first: pytriton would wait minutes), or None."""
    if len(set(ports)) != len(ports):
        return f"the gRPC, HTTP and metrics ports must differ, got {ports}"
    busy = ports_in_use(host, ports)
    if busy:
        return f"port(s) {', '.join(map(str, busy))} on {host} already in use"
    return None


def _tritonserver_pids(pid: int) -> list[int]:
    found: list[int] = []
    for child in _descendants(pid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{child}/comm").read_text().strip() == "tritonserver":
                found.append(child)
    return found


def _watch_startup(done: threading.Event, failed: threading.Event) -> None:
    """Stop the startup when tritonserver exits before it is ready (pytriton itself would wait minutes)."""
    seen = False
    while not done.wait(timeout=0.5):
        alive = bool(_tritonserver_pids(os.getpid()))
        if alive:
            seen = True
        elif seen:
            LOG.error("tritonserver exited during startup (see its output above)")
            failed.set()
            os.kill(os.getpid(), signal.SIGTERM)
            return


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    LOG.setLevel(logging.INFO)
    started = time.perf_counter()

    stop = threading.Event()
    serving = threading.Event()
    startup_failed = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        first = not stop.is_set()
        stop.set()
        if first and not startup_failed.is_set():
            LOG.info("received %s, stopping", signal.Signals(signum).name)
        if first and not serving.is_set():
            raise _Interrupted  # abort loading or startup; cleanup runs in the finally clauses

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    if not (args.model_dir / "config.json").is_file():
        print(f"error: {args.model_dir} is not a model directory (no config.json)", file=sys.stderr)
        return 2
    problem = port_problem(args.host, [args.grpc_port, args.http_port, args.metrics_port])
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    try:
        return _serve(args, started, stop, serving, startup_failed)
    except _Interrupted:
        if startup_failed.is_set():
            return 1
        LOG.info("stopped before the server was ready")
        return 0


def _serve(
    args: argparse.Namespace,
    started: float,
    stop: threading.Event,
    serving: threading.Event,
    startup_failed: threading.Event,
) -> int:
    ensure_libpython_on_ld_path()
    import numpy as np
    from pytriton.model_config import ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig

    if args.torch_threads > 0:
        import torch

        torch.set_num_threads(args.torch_threads)
    LOG.info("loading %s", args.model_dir)
    gen = Generator(
        args.model_dir,
        device=args.device,
        dtype=args.dtype,
        default_max_tokens=args.default_max_tokens,
        max_tokens_limit=args.max_tokens_limit,
    )
    loaded = time.perf_counter()

    config = TritonConfig(
        http_address=args.host,
        http_port=args.http_port,
        grpc_address=args.host,
        grpc_port=args.grpc_port,
        metrics_address=args.host,
        metrics_port=args.metrics_port,
        allow_gpu_metrics=False,
        exit_timeout_secs=5,
        log_verbose=1 if args.verbose else 0,
    )
    workspace = make_workspace(args.workspace, args.model_name)
    regions: set[Path] = set()
    startup_done = threading.Event()
    watchdog = threading.Thread(target=_watch_startup, args=(startup_done, startup_failed), daemon=True)
    triton = Triton(config=config, workspace=workspace)
    try:
        triton.bind(
            model_name=args.model_name,
            model_version=args.model_version,
            infer_func=make_infer_func(gen),
            inputs=[
                Tensor(name="PROMPT", dtype=bytes, shape=(1,)),
                Tensor(name="IMAGE", dtype=np.uint8, shape=(-1, -1, 3), optional=True),
                Tensor(name="MAX_TOKENS", dtype=np.int32, shape=(1,), optional=True),
            ],
            outputs=[Tensor(name="TEXT", dtype=bytes, shape=(1,))],
            config=ModelConfig(batching=False),
            strict=True,
        )
        watchdog.start()
        triton.run()  # starts tritonserver, loads the model and waits until it is ready
        startup_done.set()
        serving.set()
        regions = shm_regions_in_use(os.getpid())
        ready = time.perf_counter()
        print(
            f"{READY_PREFIX} model={args.model_name} version={args.model_version} "
            f"grpc={args.host}:{args.grpc_port} http={args.host}:{args.http_port} "
            f"metrics={args.host}:{args.metrics_port} "
            f"(model load {loaded - started:.1f}s, start-to-ready {ready - started:.1f}s)",
            flush=True,
        )
        while not stop.wait(timeout=1.0):
            if not triton.is_alive():
                LOG.error("Triton server or model stopped unexpectedly")
                return 1
        return 0
    finally:
        startup_done.set()
        serving.set()  # a second signal during cleanup must not interrupt it
        regions |= shm_regions_in_use(os.getpid())
        triton.stop()
        removed = remove_shm_regions(regions)
        if removed:
            LOG.info("removed %d leftover shared-memory region(s)", len(removed))
        shutil.rmtree(workspace, ignore_errors=True)
        LOG.info("stopped")


if __name__ == "__main__":
    sys.exit(main())
