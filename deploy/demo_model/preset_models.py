"""Serve echo models with the request layouts of Triton's vLLM backend and TensorRT-LLM ensemble (nvidia-pytriton).

    python deploy/demo_model/preset_models.py --grpc-port 8001 --http-port 8000 --metrics-port 8002

No weights, no GPU: each model answers with a deterministic JSON text that describes the request it received
(the prompt, the decoded sampling parameters, the images' sizes, ...), so tests can assert exactly what a client
sent. Both models follow their real counterpart's tensor names, datatypes, shapes and semantics:

``vllm_model`` (like ``backend: "vllm"``): decoupled, no batching.
    text_input BYTES [1]; image BYTES [-1] optional, each a base64-encoded image file; stream BOOL [1] optional
    (true is refused: this echo model does not stream); sampling_parameters BYTES [1] optional JSON (absent: the
    request parameters are used, as the real backend does); exclude_input_in_output BOOL [1] optional (absent or
    false: the prompt is prepended to the answer). Output text_output BYTES [-1].
``ensemble`` (like TensorRT-LLM's ``ensemble``): max_batch_size 4, so every tensor has a leading batch dimension.
    text_input BYTES [1]; max_tokens INT32 [1] (required); bad_words, stop_words BYTES [1] optional;
    exclude_input_in_output BOOL [1] optional (absent or false: the prompt is prepended). Output text_output.

The answer text is ``json.dumps(summary, sort_keys=True)`` where summary holds ``model``, ``prompt``, ``echo`` (the
prompt's first max_tokens words) and what else the request carried. A prompt containing ``!fail`` makes the model
raise an error (a server-side failure, for tests).

Ports bind to 127.0.0.1 unless --host says otherwise; --grpc-tls-cert/--grpc-tls-key serve gRPC over TLS
(--grpc-tls-client-ca: mutual TLS; Triton's HTTP port has no TLS of its own). A line starting with ``READY`` is
printed once both models serve; SIGTERM or SIGINT stops the server and removes its workspace and shared-memory
regions (the same handling as serve_triton.py, whose helpers are reused).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import io
import json
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve_triton import (
    READY_PREFIX,
    ensure_libpython_on_ld_path,
    make_workspace,
    port_problem,
    remove_shm_regions,
    shm_regions_in_use,
)

LOG = logging.getLogger("preset_models")
VLLM_MODEL = "vllm_model"
TRTLLM_MODEL = "ensemble"
DEFAULT_MAX_TOKENS = 16


class EchoError(Exception):
    """The request is wrong for the model (reported to the client as an invalid argument)."""


def _scalar(data: dict[str, Any], name: str, *, required: bool = False) -> Any:
    arr = data.get(name)
    if arr is None:
        if required:
            raise EchoError(f"missing input {name!r}")
        return None
    if arr.size != 1:
        raise EchoError(f"{name} must hold exactly one element, got shape {tuple(arr.shape)}")
    return arr.reshape(-1)[0]


def _text(value: Any, name: str) -> str:
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise EchoError(f"{name} is not UTF-8") from None
    return str(value)


def _echo(prompt: str, max_tokens: int) -> str:
    return " ".join(prompt.split()[:max_tokens])


def _images(arr: Any) -> list[dict[str, Any]]:
    """Each element of the image tensor decoded as the vLLM backend does: base64 -> image file -> RGB."""
    from PIL import Image

    found: list[dict[str, Any]] = []
    for item in arr.reshape(-1):
        try:
            raw = base64.b64decode(_text(item, "image"), validate=True)
            with Image.open(io.BytesIO(raw)) as img:
                pixel = img.convert("RGB").getpixel((0, 0))
                found.append({"format": img.format, "width": img.width, "height": img.height,
                              "pixel00": list(pixel) if isinstance(pixel, tuple) else pixel})  # fmt: skip
        except (binascii.Error, OSError, ValueError):
            raise EchoError("image must hold base64-encoded image files") from None
    return found


def _answer(summary: dict[str, Any], prompt: str, exclude_input: Any) -> str:
    if "!fail" in prompt:
        raise RuntimeError("echo model asked to fail")
    text = json.dumps(summary, sort_keys=True)
    return text if exclude_input is not None and bool(exclude_input) else prompt + text


def vllm_one(data: dict[str, Any], parameters: dict[str, Any] | None) -> str:
    prompt = _text(_scalar(data, "text_input", required=True), "text_input")
    stream = _scalar(data, "stream")
    if stream is not None and bool(stream):
        raise EchoError("this echo model does not stream: send stream=false")
    raw = _scalar(data, "sampling_parameters")
    if raw is not None:
        try:
            sampling = json.loads(_text(raw, "sampling_parameters"))
        except ValueError:
            raise EchoError("sampling_parameters is not JSON") from None
        source = "sampling_parameters"
    else:
        sampling = dict(parameters or {})
        source = "request_parameters"
    if not isinstance(sampling, dict):
        raise EchoError("sampling parameters must be a JSON object")
    max_tokens = int(sampling.get("max_tokens", DEFAULT_MAX_TOKENS))
    exclude = _scalar(data, "exclude_input_in_output")
    summary: dict[str, Any] = {
        "model": "vllm",
        "prompt": prompt,
        "echo": _echo(prompt, max_tokens),
        "sampling": sampling,
        "sampling_source": source,
        "stream": None if stream is None else bool(stream),
        "exclude_input_in_output": None if exclude is None else bool(exclude),
        "inputs": sorted(data),
    }
    if data.get("image") is not None:
        summary["images"] = _images(data["image"])
    return _answer(summary, prompt, exclude)


def trtllm_one(data: dict[str, Any], parameters: dict[str, Any] | None) -> str:
    prompt = _text(_scalar(data, "text_input", required=True), "text_input")
    max_tokens = int(_scalar(data, "max_tokens", required=True))
    if max_tokens < 1:
        raise EchoError("max_tokens must be at least 1")
    exclude = _scalar(data, "exclude_input_in_output")
    summary: dict[str, Any] = {
        "model": "trtllm",
        "prompt": prompt,
        "echo": _echo(prompt, max_tokens),
        "max_tokens": max_tokens,
        "bad_words": None if data.get("bad_words") is None else _text(_scalar(data, "bad_words"), "bad_words"),
        "stop_words": None if data.get("stop_words") is None else _text(_scalar(data, "stop_words"), "stop_words"),
        "exclude_input_in_output": None if exclude is None else bool(exclude),
        "shapes": {name: list(arr.shape) for name, arr in sorted(data.items())},
        "parameters": dict(parameters or {}),
    }
    return _answer(summary, prompt, exclude)


def _bad(exc: EchoError) -> Exception:
    from pytriton.exceptions import PyTritonBadParameterError

    return PyTritonBadParameterError(str(exc))


def make_vllm_infer() -> Any:
    import numpy as np

    def infer(requests: list[Any]) -> Iterator[list[dict[str, Any]]]:  # decoupled: a generator of responses
        responses = []
        for request in requests:
            try:
                text = vllm_one(dict(request.data), getattr(request, "parameters", None))
            except EchoError as exc:
                raise _bad(exc) from None
            responses.append({"text_output": np.array([text.encode("utf-8")], dtype=np.object_)})
        yield responses

    return infer


def make_trtllm_infer() -> Any:
    import numpy as np

    def infer(requests: list[Any]) -> list[dict[str, Any]]:
        out = []
        for request in requests:
            data = dict(request.data)
            batch = {arr.shape[0] for arr in data.values()}
            if len(batch) != 1:
                raise _bad(EchoError(f"inputs disagree on the batch size: {sorted(batch)}"))
            texts = []
            for row in range(batch.pop()):
                try:
                    texts.append(trtllm_one({k: v[row] for k, v in data.items()}, getattr(request, "parameters", None)))
                except EchoError as exc:
                    raise _bad(exc) from None
            out.append({"text_output": np.array([[t.encode("utf-8")] for t in texts], dtype=np.object_)})
        return out

    return infer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Serve vLLM- and TRT-LLM-shaped echo models on Triton (pytriton).")
    p.add_argument("--grpc-port", type=int, default=8001)
    p.add_argument("--http-port", type=int, default=8000)
    p.add_argument("--metrics-port", type=int, default=8002)
    p.add_argument("--host", default="127.0.0.1", help="address all ports bind to (default: loopback only)")
    p.add_argument("--workspace", type=Path, default=Path("var/triton-workspace"),
                   help="parent folder for pytriton's per-run workspace")  # fmt: skip
    p.add_argument("--grpc-tls-cert", type=Path, help="PEM server certificate: serve gRPC over TLS")
    p.add_argument("--grpc-tls-key", type=Path, help="PEM key of --grpc-tls-cert")
    p.add_argument("--grpc-tls-client-ca", type=Path, help="PEM CA of accepted client certificates (mutual TLS)")
    p.add_argument("--verbose", action="store_true", help="show pytriton's and Triton's logs")
    args = p.parse_args(argv)
    if (args.grpc_tls_cert is None) != (args.grpc_tls_key is None):
        p.error("give both --grpc-tls-cert and --grpc-tls-key, or neither")
    if args.grpc_tls_client_ca is not None and args.grpc_tls_cert is None:
        p.error("--grpc-tls-client-ca needs --grpc-tls-cert and --grpc-tls-key")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    problem = port_problem(args.host, [args.grpc_port, args.http_port, args.metrics_port])
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    ensure_libpython_on_ld_path()
    import numpy as np
    from pytriton.model_config import ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig

    config = TritonConfig(
        http_address=args.host, http_port=args.http_port,
        grpc_address=args.host, grpc_port=args.grpc_port,
        metrics_address=args.host, metrics_port=args.metrics_port,
        allow_gpu_metrics=False, exit_timeout_secs=1, log_verbose=1 if args.verbose else 0,
    )  # fmt: skip
    if args.grpc_tls_cert is not None:
        config.grpc_use_ssl = True
        config.grpc_server_cert = args.grpc_tls_cert.resolve()
        config.grpc_server_key = args.grpc_tls_key.resolve()
        if args.grpc_tls_client_ca is not None:
            config.grpc_use_ssl_mutual = True
            config.grpc_root_cert = args.grpc_tls_client_ca.resolve()
    workspace = make_workspace(args.workspace, "preset-models")
    regions: set[Path] = set()
    triton = Triton(config=config, workspace=workspace)
    try:
        triton.bind(
            model_name=VLLM_MODEL,
            infer_func=make_vllm_infer(),
            inputs=[
                Tensor(name="text_input", dtype=bytes, shape=(1,)),
                Tensor(name="image", dtype=bytes, shape=(-1,), optional=True),
                Tensor(name="stream", dtype=np.bool_, shape=(1,), optional=True),
                Tensor(name="sampling_parameters", dtype=bytes, shape=(1,), optional=True),
                Tensor(name="exclude_input_in_output", dtype=np.bool_, shape=(1,), optional=True),
            ],
            outputs=[Tensor(name="text_output", dtype=bytes, shape=(-1,))],
            config=ModelConfig(batching=False, decoupled=True),
            strict=True,
        )
        triton.bind(
            model_name=TRTLLM_MODEL,
            infer_func=make_trtllm_infer(),
            inputs=[
                Tensor(name="text_input", dtype=bytes, shape=(1,)),
                Tensor(name="max_tokens", dtype=np.int32, shape=(1,)),
                Tensor(name="bad_words", dtype=bytes, shape=(1,), optional=True),
                Tensor(name="stop_words", dtype=bytes, shape=(1,), optional=True),
                Tensor(name="exclude_input_in_output", dtype=np.bool_, shape=(1,), optional=True),
            ],
            outputs=[Tensor(name="text_output", dtype=bytes, shape=(-1,))],
            config=ModelConfig(batching=True, max_batch_size=4),
            strict=True,
        )
        triton.run()
        regions = shm_regions_in_use(os.getpid())
        print(f"{READY_PREFIX} models={VLLM_MODEL},{TRTLLM_MODEL} grpc={args.host}:{args.grpc_port} "
              f"http={args.host}:{args.http_port} metrics={args.host}:{args.metrics_port}", flush=True)  # fmt: skip
        while not stop.wait(timeout=0.5):
            if not triton.is_alive():
                LOG.error("Triton server or a model stopped unexpectedly")
                return 1
        return 0
    finally:
        regions |= shm_regions_in_use(os.getpid())
        triton.stop()
        remove_shm_regions(regions)
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
