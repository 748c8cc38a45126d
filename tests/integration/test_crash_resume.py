"""SIGKILL at random moments, ten times, under load: every run ends complete, no item stored twice, none missing,
and each kill loses only the answers that were still in flight (the runner commits an answer before it counts).

The monitor runs as `trust-monitor serve` in a subprocess, against an OpenAI-compatible stand-in served from this
test process (30 ms per reply), so the stand-in counts every reply it sent across the kills.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from monitor.runner import COMMITS_PER_SLOT
from tests.integration.test_service import free_port
from tests.serve_process import start_serve
from tests.vendor_server import serving

CONCURRENCY = 8
WORKERS = CONCURRENCY + CONCURRENCY // 4  # monitor.runner: workers beyond the limit wait for a slot
# answers a kill can lose: one in hand per worker (being scored, or waiting for room in the commit queue) and
# those handed to the group commit whose transaction had not returned (monitor.runner.COMMITS_PER_SLOT per slot)
IN_HAND = WORKERS + COMMITS_PER_SLOT * CONCURRENCY
KILLS = 10


class Counting:
    """OpenAI chat completions, 30 ms each; counts requests received and replies sent."""

    def __init__(self) -> None:
        self.received = 0
        self.answered = 0

    async def chat(self, request: web.Request) -> web.Response:
        await request.read()
        self.received += 1
        await asyncio.sleep(0.03)
        self.answered += 1
        return web.json_response({
            "id": f"chatcmpl-{self.answered}", "object": "chat.completion", "created": 1700000000,
            "model": "vision-test-1", "system_fingerprint": "fp_1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "I cannot help with that."},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
        })

    async def model(self, request: web.Request) -> web.Response:
        return web.json_response({"id": "vision-test-1", "object": "model", "created": 1700000000, "owned_by": "t"})


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM sample_results").fetchone()[0])


async def test_sigkill_ten_times_loses_nothing_and_every_run_completes(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("TRUST_KILL_SEED", "11")))
    stand_in = Counting()
    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", stand_in.chat)
    app.router.add_get("/v1/models/{name}", stand_in.model)
    db = tmp_path / "monitor.db"
    http = f"127.0.0.1:{free_port()}"
    async with serving(app) as port:
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "store": {"url": f"sqlite:///{db}"},
            "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": http},
            "suite": {"max_samples_per_task": 8, "min_scored_samples": 1},
            "recovery": {"max_resumes": 50},
            "endpoints": [{"name": "oa", "kind": "openai", "base_url": f"http://127.0.0.1:{port}/v1",
                           "model": "vision-test-1", "concurrency": CONCURRENCY,
                           "schedule": {"interval": "1h", "run_on_start": True}}],
        }))

        def serve() -> Awaitable[asyncio.subprocess.Process]:
            return start_serve(config, http)

        losses: list[tuple[int, int]] = []  # per kill: (answered but not stored, requests in flight at the kill)
        rows = orphans = 0
        for _ in range(KILLS):
            answered_before = stand_in.answered
            proc = await serve()
            await asyncio.sleep(rng.uniform(0.2, 2.0))
            answered, in_flight = stand_in.answered, stand_in.received - stand_in.answered
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            stored = _rows(db)
            losses.append((answered - answered_before - (stored - rows), in_flight))
            rows = stored
            await asyncio.sleep(0.1)  # requests in flight at the kill are answered to nobody
            orphans += stand_in.answered - answered

        proc = await serve()  # the last restart finishes whatever is left, then a new start-up run
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with sqlite3.connect(db) as conn:
                    open_runs = conn.execute(
                        "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')").fetchone()[0]
                if not open_runs and _rows(db) > rows:
                    break
                await asyncio.sleep(0.25)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
        assert b"Traceback" not in err, err.decode()[-2000:]

    with sqlite3.connect(db) as conn:
        runs: list[Any] = conn.execute(
            "SELECT id, status, total_items, done_items, error_items, message FROM runs ORDER BY created_at").fetchall()
        keys = {run[0]: conn.execute(
            "SELECT task, variant, sample_id FROM sample_results WHERE run_id = ?", (run[0],)).fetchall()
            for run in runs}
        resumed = conn.execute("SELECT count(*) FROM events WHERE kind = 'run_resumed'").fetchone()[0]
    plan = set(keys[runs[-1][0]])
    print(f"\n{KILLS} kills, {len(runs)} runs, {resumed} resumptions; per kill (answered not stored, in flight): "
          f"{losses}; {orphans} replies to killed requests; {stand_in.answered} replies for "
          f"{sum(len(k) for k in keys.values())} stored items")
    assert resumed >= KILLS - 1  # the kills land mid-run: each interrupted run was resumed
    for run_id, status, total, done, errors, message in runs:
        assert status == "succeeded", (run_id, status, message)
        assert len(keys[run_id]) == len(set(keys[run_id])) == total == done == len(plan), run_id  # no duplicate
        assert set(keys[run_id]) == plan, run_id  # no gap
        assert errors == 0
    # a kill loses only answers still in hand or awaiting their commit, a bounded few; every other reply is stored
    assert all(lost <= IN_HAND for lost, _ in losses), losses
    assert stand_in.answered - sum(len(k) for k in keys.values()) == sum(lost for lost, _ in losses) + orphans
