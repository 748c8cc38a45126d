"""Soak: the real service (``trust-monitor serve`` as a subprocess) probing 10 endpoints on accelerated schedules,
"an hour compressed into a few minutes", with a short store.retention.

Every endpoint runs a few tasks every 2 s against a local OpenAI-compatible stand-in (tests/openai_server.py) that
answers after 10 ms. Sampled over time from /proc: resident memory, open file descriptors and threads of the
service; from the SQLite file (read-only): rows and size. After a warm-up, the last third of the samples must not
be above the first third (beyond a small slack) and each figure stays under a fixed bound; with
``store.retention: 20s`` the per-sample rows of old runs are pruned, so the row count levels off.

The CI version lasts ``SOAK_CI_S`` (about 100 s in all); ``pytest -m soak`` runs the long one for
``TRUST_MONITOR_SOAK_S`` seconds (default an hour). Both print the figures.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.test_service import free_port
from tests.openai_server import fake_openai
from tests.serve_process import start_serve

ENDPOINTS = 10
INTERVAL = "1s"
TASKS = ["T.1", "S.4", "F.2"]
SAMPLES = 5
RETENTION_S = 20
SOAK_CI_S = 80.0
# fixed ceilings, far above what a healthy service uses here and far below what a leak reaches in an hour
MAX_RSS_MB = 600.0
MAX_FDS = 256
MAX_THREADS = 64


@dataclass
class Sample:
    t: float
    rss_mb: float
    fds: int
    threads: int
    rows: int  # sample_results
    runs: int
    finished: int
    pruned_runs: int  # finished runs with no sample rows left
    db_mb: float  # the file and its WAL


def _proc(pid: int) -> tuple[float, int, int, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_mb = int(fields["VmRSS"].split()[0]) / 1024
    hwm_mb = int(fields["VmHWM"].split()[0]) / 1024
    threads = int(fields["Threads"])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss_mb, fds, threads, hwm_mb


def _store(db: Path) -> tuple[int, int, int, int, float]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT count(*) FROM sample_results").fetchone()[0]
        runs, finished = conn.execute(
            "SELECT count(*), sum(status NOT IN ('queued', 'running')) FROM runs").fetchone()
        pruned = conn.execute(
            "SELECT count(*) FROM runs WHERE status NOT IN ('queued', 'running') AND NOT EXISTS "
            "(SELECT 1 FROM sample_results s WHERE s.run_id = runs.id)").fetchone()[0]
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    return int(rows), int(runs), int(finished or 0), int(pruned), size / 1e6


def _refusal(_body: dict[str, Any], _n: int) -> str:
    return "I'm sorry, but I can't help with that."


def _config(tmp: Path, base_url: str, http_port: int) -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite:///{tmp}/soak.db", "retention": f"{RETENTION_S}s"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{http_port}"},
        "suite": {"tasks": TASKS, "max_samples_per_task": SAMPLES, "min_scored_samples": 1},
        # the history regression detection keeps samples of: 2*1 + 3*1 + 20 = 25 runs per endpoint
        "regression": {"windows": [1], "reference_runs": 1},
        "endpoints": [{"name": f"ep{i}", "kind": "openai", "base_url": base_url, "model": "vision-test-1",
                       "concurrency": 4, "timeout": "10s", "schedule": {"interval": INTERVAL}}
                      for i in range(ENDPOINTS)],
    }


def _thirds(values: list[float]) -> tuple[float, float]:
    third = max(1, len(values) // 3)
    return max(values[:third]), max(values[-third:])


async def soak(tmp_path: Path, seconds: float) -> None:
    http_port = free_port()
    log_path = tmp_path / "serve.log"
    db = tmp_path / "soak.db"
    samples: list[Sample] = []
    async with fake_openai(_refusal, latency_s=0.01) as server:
        cfg = tmp_path / "soak.yaml"
        cfg.write_text(yaml.safe_dump(_config(tmp_path, server.base_url, http_port)))
        with log_path.open("w") as log:
            proc = await start_serve(cfg, f"127.0.0.1:{http_port}", output=log, timeout_s=30)
        try:
            async with aiohttp.ClientSession() as session:
                t0 = time.monotonic()
                peak_rss = 0.0
                every = max(1.0, seconds / 120)
                while (now := time.monotonic() - t0) < seconds:
                    assert proc.returncode is None, log_path.read_text()[-3000:]
                    rss, fds, threads, hwm = _proc(proc.pid)
                    peak_rss = max(peak_rss, hwm)
                    rows, runs, finished, pruned, size = await asyncio.to_thread(_store, db)
                    samples.append(Sample(now, rss, fds, threads, rows, runs, finished, pruned, size))
                    async with session.get(f"http://127.0.0.1:{http_port}/metrics") as r:
                        assert r.status == 200
                        await r.read()
                    await asyncio.sleep(every)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    log_text = log_path.read_text()
    assert proc.returncode == 0, log_text[-3000:]

    warm = [s for s in samples if s.t >= seconds * 0.4]
    rss_first, rss_last = _thirds([s.rss_mb for s in warm])
    fds_first, fds_last = _thirds([float(s.fds) for s in warm])
    thr_first, thr_last = _thirds([float(s.threads) for s in warm])
    rows_first, rows_last = _thirds([float(s.rows) for s in warm])
    db_first, db_last = _thirds([s.db_mb for s in warm])
    end = samples[-1]
    print(f"\nsoak: {seconds:.0f} s, {ENDPOINTS} endpoints every {INTERVAL}, {len(samples)} samples; "
          f"runs finished {end.finished} (of {end.runs} started), {end.pruned_runs} with their samples pruned; "
          f"peak RSS {peak_rss:.0f} MB (after warm-up: first third max {rss_first:.0f}, last third max "
          f"{rss_last:.0f}); fds {fds_first:.0f} -> {fds_last:.0f}; threads {thr_first:.0f} -> {thr_last:.0f}; "
          f"sample rows {rows_first:.0f} -> {rows_last:.0f} (max {max(s.rows for s in samples)}); "
          f"store file {db_first:.1f} -> {db_last:.1f} MB")
    for s in samples[:: max(1, len(samples) // 12)]:
        print(f"  t={s.t:6.1f}s rss={s.rss_mb:6.1f}MB fds={s.fds:3d} threads={s.threads:3d} rows={s.rows:6d} "
              f"runs={s.finished:5d} pruned={s.pruned_runs:5d} db={s.db_mb:6.2f}MB")

    tracebacks = log_text.count("Traceback")
    assert tracebacks == 0, log_text[-5000:]
    assert " ERROR " not in log_text, [line for line in log_text.splitlines() if " ERROR " in line][:5]
    assert "store retention (20s): pruned" in log_text
    # it did the work: most endpoints' schedules ran many times
    assert end.finished >= ENDPOINTS * seconds / 2 / 4, end
    # fixed ceilings, and no growth trend after the warm-up
    assert peak_rss < MAX_RSS_MB and end.fds < MAX_FDS and end.threads < MAX_THREADS
    assert rss_last <= rss_first * 1.10 + 10, (rss_first, rss_last)
    assert fds_last <= fds_first + 8, (fds_first, fds_last)
    assert thr_last <= thr_first + 4, (thr_first, thr_last)
    # retention: old runs lose their samples, so the rows level off at what the retention window and the
    # regression history (25 runs per endpoint) keep
    items = len(TASKS) * SAMPLES
    assert end.pruned_runs > 0
    per_endpoint_runs = 25 + RETENTION_S + 8  # history kept + runs inside the window + a pass period of slack
    assert max(s.rows for s in warm) <= ENDPOINTS * per_endpoint_runs * items * 1.5
    if end.pruned_runs >= ENDPOINTS * 5:  # long enough for pruning to reach its steady state
        assert rows_last <= rows_first * 1.25 + ENDPOINTS * items * 4, (rows_first, rows_last)


async def test_soak_compressed(tmp_path: Path) -> None:
    await soak(tmp_path, float(os.environ.get("TRUST_MONITOR_SOAK_CI_S", SOAK_CI_S)))


@pytest.mark.soak
async def test_soak_long(tmp_path: Path) -> None:
    await soak(tmp_path, float(os.environ.get("TRUST_MONITOR_SOAK_S", 3600)))
