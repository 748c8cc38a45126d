"""Benchmark: one full suite run against the demo model on a real Triton server, at several concurrencies.

    .venv/bin/python bench/suite_run.py [--concurrency 1,8] [--out bench/results]

Reports wall time, requests per second, and the monitor process's own CPU time per request (the Triton server
runs in another process, so its model time is not counted). Results are written as JSON named after the host.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.config import Config  # noqa: E402
from monitor.service import Service  # noqa: E402
from tests.triton_server import running_triton_server  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _one(grpc_port: int, concurrency: int, tmp: Path) -> dict[str, Any]:
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp}/bench-{concurrency}.db"},
        "server": {"grpc_listen": f"127.0.0.1:{_free_port()}", "http_listen": f"127.0.0.1:{_free_port()}"},
        "endpoints": [{"name": "demo", "kind": "triton", "url": f"127.0.0.1:{grpc_port}", "model": "llava_demo",
                       "concurrency": concurrency, "max_tokens": 32, "timeout": "60s"}],
    })
    service = Service(cfg)
    await service.start()
    try:
        cpu0, t0 = _cpu_s(), time.perf_counter()
        record = service.runs.start("demo", None, "api")
        await service.runs.wait(record.id)
        wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
        run = service.store.get_run(record.id)
        assert run is not None
    finally:
        await service.stop()
    return {"concurrency": concurrency, "status": run.status.value, "requests": run.total_items,
            "errors": run.error_items, "wall_s": round(wall, 2), "requests_per_s": round(run.total_items / wall, 1),
            "monitor_cpu_ms_per_request": round(1000 * cpu / max(1, run.total_items), 3)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    tmp = REPO / "var" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    with running_triton_server() as server:
        results = [await _one(server.grpc_port, c, tmp) for c in levels]
    report = {
        "benchmark": "suite_run", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "model": "tiny random LLaVA (deploy/demo_model), Triton via nvidia-pytriton, 1 torch thread",
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"suite_run-{platform.node() or 'host'}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    for r in results:
        print(f"concurrency {r['concurrency']:>3}: {r['requests']} requests in {r['wall_s']} s "
              f"({r['requests_per_s']} req/s), monitor CPU {r['monitor_cpu_ms_per_request']} ms/request, "
              f"{r['errors']} errors")
    print(f"written to {path}")


if __name__ == "__main__":
    asyncio.run(main())
