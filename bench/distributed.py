"""mode: distributed against an endpoint of known capacity: a full-suite run over 1 API replica and 3 worker
processes on a throwaway PostgreSQL, beside the same run by one single-mode process, against one capacity server
(bench/capacity_server.py, its own process) in one sitting; each mode after a warm-up run, at concurrency =
the server's capacity and at twice it.

    .venv/bin/python bench/distributed.py [--capacity 16] [--service-ms 50] [--workers 3]

The rate of a run is its items over the time from its start (``started_at``: planned, shards deferred) to its end
(``finished_at``: scored, judged), both from the store: what an operator sees, queueing and scoring included.
CPU is every monitor process's (API and workers; user + system from /proc) over that run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO, capacity_server, free_port, machine
from tests.pg_server import PG_PASSWORD, pg_cluster

PW_ENV = "TRUST_MONITOR_PG_PASSWORD"


def _config(path: Path, store: dict[str, Any], base_url: str, capacity: int, mode: str,
            extra: dict[str, Any]) -> tuple[Path, str, str]:
    grpc_addr, http_addr = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    config: dict[str, Any] = {
        "mode": mode, "store": store,
        "server": {"grpc_listen": grpc_addr, "http_listen": http_addr},
        "suite": {"tasks": "all"},
        # the same server at concurrency = its capacity and at twice it (throughput must not fall past capacity)
        "endpoints": [{"name": name, "kind": "openai", "base_url": base_url, "model": "bench-model",
                       "concurrency": width, "timeout": "60s", "max_tokens": 16}
                      for name, width in (("bench", capacity), ("bench-2x", 2 * capacity))],
        **extra,
    }
    path.write_text(yaml.safe_dump(config))
    return path, grpc_addr, http_addr


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _serve(config: Path, http: str, role: str, log: Path, env: dict[str, str]
                 ) -> asyncio.subprocess.Process:
    from tests.serve_process import start_serve

    with log.open("w") as out:
        return await start_serve(config, http, output=out, args=("--role", role), env=env, timeout_s=180)


async def _server(port: int, method: str, path: str) -> dict[str, float]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.request(method, f"http://127.0.0.1:{port}{path}") as resp:
        out: dict[str, float] = await resp.json()
        return out


async def _run(grpc_addr: str, pids: list[int], port: int, endpoint: str = "bench") -> dict[str, Any]:
    """Start a full-suite run over gRPC, wait for it, and read its figures (the server's: when it was busy)."""
    import grpc

    from monitor.api.stubs import load

    pb2, pb2_grpc = load()
    await _server(port, "POST", "/reset")
    cpu0 = {pid: _proc_cpu_s(pid) for pid in pids}
    async with grpc.aio.insecure_channel(grpc_addr) as channel:
        stub = pb2_grpc.TrustMonitorStub(channel)
        run = await stub.StartRun(pb2.StartRunRequest(endpoint=endpoint))
        while True:
            state = await stub.GetRun(pb2.GetRunRequest(run_id=run.id))
            if state.status not in (pb2.RUN_STATUS_QUEUED, pb2.RUN_STATUS_RUNNING):
                break
            await asyncio.sleep(0.2)
    cpu = sum(_proc_cpu_s(pid) - cpu0[pid] for pid in pids)
    seconds = (state.finished_at.ToDatetime() - state.started_at.ToDatetime()).total_seconds()
    served = await _server(port, "GET", "/stats")
    sending = served["last_at"] - served["first_at"]
    return {"status": pb2.RunStatus.Name(state.status), "items": state.total_items, "errors": state.error_items,
            "seconds": round(seconds, 2), "requests_per_s": round(state.total_items / seconds, 1),
            # the server's view: from the first request it took to the last it answered
            "served": int(served["ok"]), "sending_s": round(sending, 2),
            "sending_requests_per_s": round(served["ok"] / sending, 1),
            # planning before the first request, scoring and finishing after the last
            "outside_sending_s": round(seconds - sending, 2),
            "cpu_ms_per_request": round(1000 * cpu / max(1, state.total_items), 3)}


async def _stop(procs: list[asyncio.subprocess.Process]) -> None:
    for proc in procs:
        if proc.returncode is None:
            proc.terminate()
    for proc in procs:
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def measure(capacity: int = 16, service_ms: float = 50, workers: int = 3,
                  work_dir: Path | None = None, shard_size: int | None = None) -> dict[str, Any]:
    work = work_dir or Path(REPO / "var" / "bench-distributed")
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, PW_ENV: PG_PASSWORD}
    out: dict[str, Any] = {"capacity": capacity, "service_ms": service_ms, "workers": workers,
                           "shard_size": shard_size,
                           "ceiling_rps": capacity * 1000 / service_ms, "machine_before": machine()}
    with capacity_server(service_ms, capacity) as server:
        # the plain baseline: one single-mode process, SQLite, the same endpoint and suite
        db = work / "single.db"
        db.unlink(missing_ok=True)
        config, grpc_addr, http_addr = _config(work / "single.yaml", {"url": f"sqlite:///{db}"}, server.base_url,
                                               capacity, "single", {})
        single = await _serve(config, http_addr, "all", work / "single.log", env)
        try:
            out["single_warmup"] = await _run(grpc_addr, [single.pid], server.port)  # imports, image cache, classifier
            out["single"] = await _run(grpc_addr, [single.pid], server.port)
            out["single_2x"] = await _run(grpc_addr, [single.pid], server.port, "bench-2x")
        finally:
            await _stop([single])
        with pg_cluster(max_connections=200) as url:
            store = {"url": url, "password": {"env": PW_ENV}}
            extra: dict[str, Any] = {"distributed": {"endpoint_shards": workers + 1, "worker_concurrency": 4,
                                                     "poll_interval": "0.5s"}}
            if shard_size is not None:
                extra["distributed"]["shard_size"] = shard_size
            nodes = [_config(work / f"node{i}.yaml", store, server.base_url, capacity, "distributed", extra)
                     for i in range(workers + 1)]
            procs: list[asyncio.subprocess.Process] = []
            try:
                procs.append(await _serve(nodes[0][0], nodes[0][2], "api", work / "api.log", env))
                procs += await asyncio.gather(*(_serve(path, http, "worker", work / f"worker{i}.log", env)
                                                for i, (path, _, http) in enumerate(nodes[1:], 1)))
                pids = [p.pid for p in procs]
                out["distributed_warmup"] = await _run(nodes[0][1], pids, server.port)
                out["distributed"] = await _run(nodes[0][1], pids, server.port)
                out["distributed_2x"] = await _run(nodes[0][1], pids, server.port, "bench-2x")
            finally:
                await _stop(procs)
    out["machine_after"] = machine()
    ceiling = out["ceiling_rps"]
    for mode in ("single", "distributed", "single_2x", "distributed_2x"):
        out[f"{mode}_share_of_ceiling"] = round(out[mode]["requests_per_s"] / ceiling, 3)
        out[f"{mode}_sending_share_of_ceiling"] = round(out[mode]["sending_requests_per_s"] / ceiling, 3)
    out["distributed_vs_single"] = round(out["distributed"]["requests_per_s"] / out["single"]["requests_per_s"], 3)
    out["distributed_2x_vs_single_2x"] = round(
        out["distributed_2x"]["requests_per_s"] / out["single_2x"]["requests_per_s"], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=int, default=16)
    parser.add_argument("--service-ms", type=float, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--shard-size", type=int, default=None, help="distributed.shard_size (default: the config's)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "distributed.json")
    args = parser.parse_args()
    t0 = time.monotonic()
    result = asyncio.run(measure(args.capacity, args.service_ms, args.workers,
                                  shard_size=args.shard_size))
    result["took_s"] = round(time.monotonic() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
