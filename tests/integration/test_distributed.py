"""mode: distributed for real: a PostgreSQL cluster (tests/pg_server.py), 2 API replicas and 3 workers as separate
`trust-monitor serve --role …` processes, the demo model on a real Triton server.

One sitting, two endpoints on the same Triton model: ``demo`` gets a big on-demand run, ``ticker`` is scheduled
every 2 seconds with one small task. Mid-run a worker that is executing a shard is killed with SIGKILL, then one
API replica. The run completes with every planned item stored exactly once; over 20 ticks the schedule neither
doubles nor drops one (each tick made exactly one run, or exactly one recorded skip because its endpoint was busy);
a replacement API replica publishes the same scores as the surviving one.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
import sqlalchemy as sa
import yaml

from monitor.api.stubs import load
from probes.catalogue import all_tasks
from tests.pg_server import PG_PASSWORD, pg_cluster
from tests.serve_process import start_serve
from tests.triton_server import free_ports

pytestmark = [pytest.mark.triton]

TICK_S = 2
TICKS = 20
PW_ENV = "TRUST_MONITOR_PG_PASSWORD"


def _config(path: Path, url: str, triton: str, grpc_port: int, http_port: int, ticker_task: str) -> Path:
    config: dict[str, Any] = {
        "mode": "distributed",
        "distributed": {"shard_size": 25, "endpoint_shards": 3, "worker_concurrency": 4, "stalled_after": "3s",
                        "poll_interval": "0.3s"},
        "store": {"url": url, "password": {"env": PW_ENV}},
        "server": {"grpc_listen": f"127.0.0.1:{grpc_port}", "http_listen": f"127.0.0.1:{http_port}"},
        "suite": {"max_samples_per_task": 2, "min_scored_samples": 1},
        "endpoints": [
            {"name": "demo", "kind": "triton", "url": triton, "model": "llava_demo", "concurrency": 6,
             "max_tokens": 8, "timeout": "30s"},
            {"name": "ticker", "kind": "triton", "url": triton, "model": "llava_demo", "concurrency": 2,
             "max_tokens": 4, "timeout": "30s", "tasks": [ticker_task],
             "schedule": {"interval": f"{TICK_S}s", "run_on_start": True}},
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _db(url: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(password=PG_PASSWORD))


def _scores(text: str) -> dict[str, str]:
    """The published score series of a /metrics text: trust_task_score, trust_dimension_score, … by labels."""
    out = {}
    for line in text.splitlines():
        if re.match(r"trust_(task_|subdimension_|dimension_|overall_|regression)", line) and "{" in line:
            key, _, value = line.rpartition(" ")
            out[key] = value
    return out


async def _get(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as reply:
        assert reply.status == 200
        return await reply.text()


async def test_distributed_run_survives_kills_and_ticks_stay_exact(tmp_path: Path, triton_server: Any) -> None:
    tasks = all_tasks()
    ticker_task = min(tasks.values(), key=lambda t: (len(t.variants), t.id)).id
    triton = f"127.0.0.1:{triton_server.grpc_port}"
    pb2, pb2_grpc = load()
    env = {**os.environ, PW_ENV: PG_PASSWORD}
    with pg_cluster() as url:
        ports = free_ports(12)
        configs = [_config(tmp_path / f"node{i}.yaml", url, triton, ports[2 * i], ports[2 * i + 1], ticker_task)
                   for i in range(6)]
        http = [f"127.0.0.1:{ports[2 * i + 1]}" for i in range(6)]
        logs = [(tmp_path / f"node{i}.log").open("w") for i in range(6)]  # closed below
        roles = ["api", "api", "worker", "worker", "worker", "api"]  # node 5: the replacement API replica
        procs: dict[int, asyncio.subprocess.Process] = {}
        try:
            # the first API replica creates the schema; the rest start together
            procs[0] = await start_serve(configs[0], http[0], output=logs[0], args=("--role", "api"), env=env,
                                         timeout_s=120)
            started = await asyncio.gather(*(start_serve(configs[i], http[i], output=logs[i],
                                                         args=("--role", roles[i]), env=env, timeout_s=120)
                                              for i in (1, 2, 3, 4)))
            procs.update(zip((1, 2, 3, 4), started, strict=True))
            first_tick_at = time.time()

            async with grpc.aio.insecure_channel(f"127.0.0.1:{ports[0]}") as channel0, \
                    grpc.aio.insecure_channel(f"127.0.0.1:{ports[2]}") as channel1:
                stub0, stub1 = pb2_grpc.TrustMonitorStub(channel0), pb2_grpc.TrustMonitorStub(channel1)
                run = await stub0.StartRun(pb2.StartRunRequest(endpoint="demo"))
                engine = _db(url)
                # wait until the run is under way, then kill a worker that is executing one of its shards
                killed_worker, killed_shards, killed_at, killed_done = "", [], 0.0, 0
                deadline = time.monotonic() + 180
                while not killed_worker and time.monotonic() < deadline:
                    state = await stub1.GetRun(pb2.GetRunRequest(run_id=run.id))
                    if state.total_items and state.done_items >= state.total_items // 4:
                        with engine.connect() as conn:
                            rows = conn.execute(sa.text(
                                "SELECT s.worker, s.shard FROM run_shards s JOIN procrastinate_jobs j "
                                "ON j.status = 'doing' AND j.task_name = 'trust.shard' "
                                "AND j.args->>'run_id' = s.run_id AND (j.args->>'shard')::int = s.shard "
                                "WHERE s.run_id = :run AND s.done_at IS NULL AND s.worker <> ''"),
                                {"run": run.id}).all()
                        pids = {int(name.split(":")[1].split(".")[0]) for name, _ in rows}
                        victims = [i for i in (2, 3, 4) if procs[i].pid in pids]
                        if victims:
                            killed_shards = [n for name, n in rows
                                             if int(name.split(":")[1].split(".")[0]) == procs[victims[0]].pid]
                            killed_at, killed_done = time.time(), state.done_items
                            procs[victims[0]].send_signal(signal.SIGKILL)
                            await procs[victims[0]].wait()
                            killed_worker = f":{procs[victims[0]].pid}"
                            del procs[victims[0]]
                    await asyncio.sleep(0.2)
                assert killed_worker, "no shard of the run was seen running on a worker"
                assert state.done_items < state.total_items, "the run finished before a worker could be killed"
                procs[0].send_signal(signal.SIGKILL)  # an API replica too
                await procs[0].wait()
                del procs[0]

                deadline = time.monotonic() + 240
                while time.monotonic() < deadline:  # the surviving replica sees it through
                    state = await stub1.GetRun(pb2.GetRunRequest(run_id=run.id))
                    if state.status not in (pb2.RUN_STATUS_QUEUED, pb2.RUN_STATUS_RUNNING):
                        break
                    await asyncio.sleep(0.5)
                assert state.status == pb2.RUN_STATUS_SUCCEEDED, state.message

            planned = sum(len(t.variants) * min(2, len(t.samples)) for t in tasks.values())
            with engine.connect() as conn:
                keys = conn.execute(sa.text("SELECT task, variant, sample_id FROM sample_results WHERE run_id = :r"),
                                    {"r": run.id}).all()
                shards = conn.execute(sa.text("SELECT shard, worker FROM run_shards WHERE run_id = :r"),
                                      {"r": run.id}).all()
            assert len(keys) == len(set(keys)) == planned == state.total_items == state.done_items
            assert state.error_items == 0
            assert len(shards) == -(-planned // 25) and all(worker for _, worker in shards)
            assert not any(worker.endswith(killed_worker) for _, worker in shards)  # its shard finished elsewhere
            for f in logs:
                f.flush()
            put_back = sum(f"run_id={run.id}" in line and "put back in the queue" in line
                           for i in range(6) for line in (tmp_path / f"node{i}.log").read_text().splitlines())
            assert put_back >= 1  # the killed worker's shard went back to the queue (its successful job is deleted)
            with engine.connect() as conn:
                redone = conn.execute(sa.text("SELECT max(done_at) FROM run_shards WHERE run_id = :r AND shard = "
                                              "ANY(:n)"), {"r": run.id, "n": killed_shards}).scalar()
            took = state.finished_at.ToDatetime() - state.started_at.ToDatetime()
            print(f"\nFIGURES run: {planned} items in {len(shards)} shards, {took.total_seconds():.1f} s; worker "
                  f"killed at {killed_done}/{planned} items holding shard(s) {killed_shards}, which finished "
                  f"elsewhere {redone.timestamp() - killed_at:.1f} s later; {len(keys)} results, "
                  f"{len(set(keys))} distinct")

            # the schedule: keep going until TICKS ticks have passed since the first
            await asyncio.sleep(max(0.0, first_tick_at + TICK_S * (TICKS + 1) - time.time()))
            with engine.connect() as conn:
                made = [int(t) for (t,) in conn.execute(sa.text(
                    "SELECT detail->>'tick' FROM events WHERE kind = 'scheduled' AND endpoint = 'ticker'"))]
                skipped = [int(t) for (t,) in conn.execute(sa.text(
                    "SELECT detail->>'tick' FROM events WHERE kind = 'tick_skipped' AND endpoint = 'ticker'"))]
                runs = conn.execute(sa.text(
                    "SELECT count(*) FROM runs WHERE endpoint = 'ticker' AND trigger = 'schedule'")).scalar()
            seen = Counter(made + skipped)
            assert seen and max(seen.values()) == 1, f"a tick was handled twice: {seen.most_common(3)}"
            ticks = sorted(seen)
            assert ticks == list(range(ticks[0], ticks[-1] + TICK_S, TICK_S)), "a tick was dropped"
            assert len(ticks) >= TICKS
            assert runs == len(made) and len(made) >= TICKS // 2, (len(made), len(skipped))
            print(f"FIGURES ticks: {len(ticks)} consecutive ticks of {TICK_S} s, {len(made)} runs made, "
                  f"{len(skipped)} recorded as skipped (endpoint busy), none twice")

            # a replacement API replica publishes what the surviving one does
            procs[5] = await start_serve(configs[5], http[5], output=logs[5], args=("--role", "api"), env=env,
                                         timeout_s=120)
            async with aiohttp.ClientSession() as session:
                survivor = _scores(await _get(session, f"http://{http[1]}/metrics"))
                newcomer = _scores(await _get(session, f"http://{http[5]}/metrics"))
            assert any('endpoint="demo"' in k for k in survivor)
            demo = {k: v for k, v in survivor.items() if 'endpoint="demo"' in k}
            assert demo == {k: v for k, v in newcomer.items() if 'endpoint="demo"' in k}
            print(f"FIGURES metrics: {len(demo)} published demo series equal on the surviving and the new replica")
            engine.dispose()
        finally:
            for proc in procs.values():
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            for f in logs:
                f.close()
