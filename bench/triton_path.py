"""The Triton path: the monitor's full suite against a Triton model of known capacity, beside a plain client.

    .venv/bin/python bench/triton_path.py [--service-ms 50] [--instances 16] [--profile bench/results/triton.prof]

One Triton server (bench/triton_capacity_server.py, its own process: N model instances, each holding a request a
fixed service time) serves every pass, so the figures are ratios from one sitting: the monitor's full suite at
concurrency N (a cold pass first, then warm) and 2N, through a Service with one triton endpoint per
concurrency (preset python-backend, the image as a base64 PNG: ``tensors.image`` BYTES); beside it a plain
tritonclient ``grpc.aio`` client at the same concurrencies sending the same requests, built by the monitor's own
Triton adapter (``TritonAdapter.tensors``) from the suite's prompts and prepared images.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tritonclient.grpc.aio as grpcaio
from tritonclient.grpc import InferInput

from bench._common import REPO, cpu_s, free_port, machine
from bench.clients import SuiteRequest, suite_requests
from bench.throughput import _monitor_pass
from monitor import images
from monitor.adapters import ProbeRequest
from monitor.adapters.triton import TritonAdapter
from monitor.config import Config, TritonEndpoint
from monitor.service import Service

MODEL = "bench_vlm"
MAX_TOKENS = 32


@contextmanager
def triton_capacity_server(service_ms: float, instances: int) -> Iterator[int]:
    """bench/triton_capacity_server.py in its own process; yields its gRPC port."""
    cmd = [sys.executable, str(REPO / "bench" / "triton_capacity_server.py"), "--service-ms", str(service_ms),
           "--instances", str(instances)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"Triton capacity server did not start (exit code {proc.poll()}): {line!r}")
        yield int(line.split()[1])
    finally:
        proc.terminate()
        proc.wait(40)


def _endpoint(name: str, url: str, concurrency: int) -> dict[str, Any]:
    return {"name": name, "kind": "triton", "url": url, "model": MODEL, "preset": "python-backend",
            "tensors": {"image": {"name": "IMAGE", "datatype": "BYTES"}}, "concurrency": concurrency,
            "max_tokens": MAX_TOKENS, "timeout": "30s"}


def _config(url: str, levels: list[int], db: Path) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{db}"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "endpoints": [_endpoint(f"t{c}", url, c) for c in levels],
    })


async def plain_triton_client(url: str, requests: list[SuiteRequest], concurrency: int) -> dict[str, Any]:
    """``concurrency`` workers sending the suite through one tritonclient grpc.aio client; each request's tensors
    are built by the monitor's Triton adapter (the prepared image's base64 PNG, made once per image)."""
    adapter = TritonAdapter(TritonEndpoint.model_validate(_endpoint("plain", url, concurrency)))
    client = grpcaio.InferenceServerClient(url=url)
    queue = iter(requests)
    failed = 0

    async def worker() -> None:
        nonlocal failed
        for i, req in enumerate(queue):
            image = images.load(req.image) if req.image is not None else None
            probe = ProbeRequest(prompt=req.prompt, image=image, max_tokens=MAX_TOKENS, request_id=str(i))
            inputs = []
            for t in adapter.tensors(probe):
                tensor = InferInput(t.name, list(t.array.shape), t.datatype)
                tensor.set_data_from_numpy(t.array)
                inputs.append(tensor)
            result = await client.infer(MODEL, inputs, client_timeout=30)
            text = result.as_numpy("TEXT")
            if text is None or not text.reshape(-1)[0]:
                failed += 1

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await client.close()
    wall = time.perf_counter() - t0
    return {"requests": len(requests), "failed": failed, "wall_s": wall, "requests_per_s": len(requests) / wall}


async def measure(service_ms: float = 50, instances: int = 16, profile_to: Path | None = None) -> dict[str, Any]:
    levels = [instances, 2 * instances]
    requests = suite_requests()
    tmp = REPO / "var" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / f"triton-{instances}.db"
    db.unlink(missing_ok=True)
    out: dict[str, Any] = {"service_ms": service_ms, "instances": instances,
                           "ceiling_rps": instances / (service_ms / 1000), "suite_requests": len(requests),
                           "tensors": "python-backend preset, image as base64 PNG (BYTES)"}
    with triton_capacity_server(service_ms, instances) as port:
        url = f"127.0.0.1:{port}"
        service = Service(_config(url, levels, db))
        await service.start()
        try:
            out["monitor_cold"] = await _monitor_pass(service, f"t{instances}", None)
            for c in levels:
                out[f"monitor_{c}"] = await _monitor_pass(service, f"t{c}", None)
                cpu0 = cpu_s()
                out[f"plain_{c}"] = await plain_triton_client(url, requests, c)
                out[f"plain_{c}"]["cpu_ms_per_request"] = 1000 * (cpu_s() - cpu0) / len(requests)
            if profile_to is not None:  # one more pass, under the profiler (its figures are not the measured ones)
                profile = cProfile.Profile()
                out["monitor_profiled"] = await _monitor_pass(service, f"t{instances}", profile)
                profile_to.parent.mkdir(parents=True, exist_ok=True)
                profile.dump_stats(str(profile_to))
        finally:
            await service.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-ms", type=float, default=50)
    parser.add_argument("--instances", type=int, default=16)
    parser.add_argument("--profile", type=Path, default=None, help="also write a cProfile of one more monitor pass")
    args = parser.parse_args()
    result = asyncio.run(measure(args.service_ms, args.instances, args.profile))
    print(json.dumps({"machine": machine(), **result}, indent=2))


if __name__ == "__main__":
    main()
