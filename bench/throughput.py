"""Full-suite throughput and CPU per request: the monitor beside a plain client and the one-at-a-time loop.

    .venv/bin/python bench/throughput.py [--service-ms 50] [--capacity 32] [--profile bench/results/suite.prof]

One capacity server (bench/capacity_server.py, its own process) serves every pass, so the figures are ratios
measured in one sitting: the monitor's full suite at concurrency = capacity (first run: cold caches and imports;
then warm) and 2× capacity, the plain client at the same concurrencies and the one-request-at-a-time loop.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench._common import REPO, capacity_server, cpu_s, free_port, machine
from bench.clients import MODEL, one_at_a_time, plain_client, suite_requests
from monitor.config import Config
from monitor.service import Service

SEQUENTIAL_REQUESTS = 80


def _config(base_url: str, levels: list[int], db: Path, per_minute: int | None = None) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{db}"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "endpoints": [{"name": f"c{c}", "kind": "openai", "base_url": base_url, "model": MODEL, "concurrency": c,
                       "max_tokens": 32, "timeout": "30s", "requests_per_minute": per_minute} for c in levels],
    })


def thread_cpu_s() -> dict[str, float]:
    """CPU time (user + system, s) of this process's threads so far, summed by kind: ``MainThread`` (the event
    loop), ``asyncio`` (the default thread pool: the store's commits, run-end scoring), ``scoring`` (the rule
    scorers' worker), other Python threads by their target, threads that Python did not start (gRPC's) by their
    OS name. Linux only (``/proc``); empty elsewhere."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {str(t.native_id): t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            name = names.get(tid)
            if name is None:
                with open(f"/proc/self/task/{tid}/comm") as f:
                    name = f.read().strip()
        except (OSError, IndexError):
            continue  # the thread ended meanwhile
        target = re.search(r"\((\w+)\)$", name)  # "Thread-3 (target)"
        kind = target.group(1) if target else re.sub(r"_\d+$", "", name)
        out[kind] = out.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


async def _monitor_pass(service: Service, endpoint: str, profile: cProfile.Profile | None) -> dict[str, Any]:
    scoring = service.runs.runner.scoring
    threads0 = thread_cpu_s()
    cpu0, t0, scoring0 = cpu_s(), time.perf_counter(), scoring.cpu_s
    if profile is not None:
        profile.enable()
    record = service.runs.start(endpoint, None, "api")
    await service.runs.wait(record.id)
    if profile is not None:
        profile.disable()
    wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    threads = thread_cpu_s()
    run = service.store.get_run(record.id)
    assert run is not None
    n = max(1, run.total_items)
    by_thread = {kind: round(1000 * (t - threads0.get(kind, 0.0)) / n, 3) for kind, t in threads.items()}
    return {"status": run.status.value, "requests": run.total_items, "errors": run.error_items, "wall_s": wall,
            "requests_per_s": run.total_items / wall, "cpu_ms_per_request": 1000 * cpu / n,
            "scoring_cpu_ms_per_request": 1000 * (scoring.cpu_s - scoring0) / n,
            # threads that ended during the pass are missing here (their CPU is in cpu_ms_per_request)
            "cpu_ms_per_request_by_thread": dict(sorted(((k, v) for k, v in by_thread.items() if v > 0),
                                                        key=lambda kv: -kv[1]))}


async def measure(service_ms: float, capacity: int, profile_to: Path | None = None) -> dict[str, Any]:
    levels = [capacity, 2 * capacity]
    requests = suite_requests()
    ceiling = capacity / (service_ms / 1000)
    tmp = REPO / "var" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / f"throughput-{capacity}.db"
    db.unlink(missing_ok=True)
    out: dict[str, Any] = {"service_ms": service_ms, "capacity": capacity, "ceiling_rps": ceiling,
                           "suite_requests": len(requests)}
    with capacity_server(service_ms, capacity) as server:
        service = Service(_config(server.base_url, levels, db))
        await service.start()
        try:
            out["monitor_cold"] = await _monitor_pass(service, f"c{capacity}", None)
            for c in levels:
                out[f"monitor_{c}"] = await _monitor_pass(service, f"c{c}", None)
                cpu0 = cpu_s()
                out[f"plain_{c}"] = await plain_client(server.base_url, requests, c)
                out[f"plain_{c}"]["cpu_ms_per_request"] = 1000 * (cpu_s() - cpu0) / len(requests)
            if profile_to is not None:  # one more pass, under the profiler (its figures are not the measured ones)
                profile = cProfile.Profile()
                out["monitor_profiled"] = await _monitor_pass(service, f"c{capacity}", profile)
                profile_to.parent.mkdir(parents=True, exist_ok=True)
                profile.dump_stats(str(profile_to))
        finally:
            await service.stop()
        step = max(1, len(requests) // SEQUENTIAL_REQUESTS)
        out["one_at_a_time"] = await asyncio.to_thread(one_at_a_time, server.base_url, requests[::step])
    return out


async def rate_limited(rate: float, concurrency: int = 32, service_ms: float = 50, budgeted: bool = False
                       ) -> dict[str, Any]:
    """The full suite against a server that answers 429 with Retry-After beyond ``rate`` requests/s; the endpoint
    is configured as usual (concurrency 32, default retries): no tuning for the limit. ``budgeted``: the endpoint
    is given the limit as its ``requests_per_minute``."""
    tmp = REPO / "var" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / f"rate-limited{'-budgeted' if budgeted else ''}.db"
    db.unlink(missing_ok=True)
    with capacity_server(service_ms, 64, rate_limit=rate) as server:
        service = Service(_config(server.base_url, [concurrency], db, int(rate * 60) if budgeted else None))
        await service.start()
        try:
            await _monitor_pass(service, f"c{concurrency}", None)  # warm-up: imports, caches, the limit found
            result = await _monitor_pass(service, f"c{concurrency}", None)
            failed = [r for r in service.store.results(service.store.list_runs(f"c{concurrency}", 1)[0].id)
                      if r.error_kind == "rate_limited"]
            limit = service.runs.runner.limit_of(service.config.endpoints[0]).limit
        finally:
            await service.stop()
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{server.port}/stats") as resp:
            stats = await resp.json()
    return {**result, "rate_limit_rps": rate, "failed_rate_limited": len(failed), "server_429s": stats["rate_limited"],
            "limit_at_end": limit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-ms", type=float, default=50)
    parser.add_argument("--capacity", type=int, default=32)
    parser.add_argument("--profile", type=Path, default=None, help="also write a cProfile of one more monitor pass")
    args = parser.parse_args()
    result = asyncio.run(measure(args.service_ms, args.capacity, args.profile))
    print(json.dumps({"machine": machine(), **result}, indent=2))


if __name__ == "__main__":
    main()
