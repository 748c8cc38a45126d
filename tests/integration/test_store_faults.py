"""Store faults under the real service: a second process holding the SQLite write lock, and a full database.

The service runs in-process against a local OpenAI-compatible server (tests/openai_server.py) with a small latency,
on a real SQLite file. The lock is taken by another OS process (``sqlite3`` module, BEGIN IMMEDIATE); the full disk
is SQLite's own ``PRAGMA max_page_count`` on the service's connections, so SQLite really answers SQLITE_FULL.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine, event

from monitor.config import Config
from monitor.service import Service
from monitor.store import RunStatus, Store, StoreFullError
from monitor.store import store as store_module
from tests.integration.test_service import free_port
from tests.openai_server import fake_openai

TASKS = ["T.1", "S.4"]


def _refusal(_body: dict[str, Any], _n: int) -> str:
    return "I'm sorry, but I can't help with that."


def _config(tmp: Path, base_url: str, samples: int = 10) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{tmp}/monitor.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "suite": {"tasks": TASKS, "max_samples_per_task": samples, "min_scored_samples": 1},
        "regression": {"enabled": False},
        "endpoints": [{"name": "oa", "kind": "openai", "base_url": base_url, "model": "vision-test-1",
                       "concurrency": 2, "retries": {"backoff_initial": "10ms"}}],
    })


@asynccontextmanager
async def running(cfg: Config) -> AsyncIterator[Service]:
    service = Service(cfg)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def _get(service: Service, path: str) -> int:
    async with aiohttp.ClientSession() as s, s.get(f"http://{service.config.server.http_listen}{path}") as r:
        await r.read()
        return r.status


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


@asynccontextmanager
async def write_lock(db: Path, seconds: float) -> AsyncIterator[subprocess.Popen[str]]:
    """Another process holds the database's write lock for ``seconds`` (from when this enters)."""
    proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.strip() == "locked"
        yield proc
    finally:
        await asyncio.to_thread(proc.wait, 30)


async def _until(predicate: Any, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_write_lock_held_for_seconds_is_waited_for_and_the_run_completes(tmp_path: Path) -> None:
    async with fake_openai(_refusal, latency_s=0.02) as server, running(_config(tmp_path, server.base_url)) as service:
        record = service.runs.start("oa", None, "api")
        await _until(lambda: (r := service.store.get_run(record.id)) is not None and r.done_items >= 4)
        t0 = time.monotonic()
        async with write_lock(tmp_path / "monitor.db", 3.0):
            # the service stays responsive while its writes wait: the writes wait in worker threads
            assert await _get(service, "/healthz") == 200
            assert await _get(service, "/metrics") == 200
        await service.runs.wait(record.id)
        run = service.store.get_run(record.id)
        results = service.store.results(record.id)
    assert time.monotonic() - t0 >= 2.9
    assert run is not None and run.status is RunStatus.SUCCEEDED, run
    assert len(results) == run.total_items == run.done_items == 20 and run.error_items == 0


async def test_a_lock_held_past_the_busy_timeout_fails_the_run_in_words_and_keeps_what_was_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    async with fake_openai(_refusal, latency_s=0.02) as server, running(_config(tmp_path, server.base_url)) as service:
        record = service.runs.start("oa", None, "api")
        await _until(lambda: (r := service.store.get_run(record.id)) is not None and r.done_items >= 4)
        async with write_lock(tmp_path / "monitor.db", 0.9):  # 3 busy timeouts: the final status still lands
            await _until(lambda: service.runs.busy("oa") is False, within=10)
        run = service.store.get_run(record.id)
        results = service.store.results(record.id)
        assert await _get(service, "/healthz") == 200
    assert run is not None and run.status is RunStatus.FAILED, run
    assert run.message.startswith("store busy: ") and "stayed locked by another connection" in run.message
    assert 4 <= len(results) == run.done_items < run.total_items == 20  # what was committed is there, counted
    tracebacks = [r for r in caplog.records if r.exc_info and "store busy" in str(r.exc_info[1])]
    assert len(tracebacks) <= 1


def _cap_pages(service: Service, db: Path) -> None:
    conn = sqlite3.connect(db)
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    conn.close()
    engine = service.store._engine

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(engine, "connect", limit)
    engine.dispose()


def _lift_cap(service: Service) -> None:
    engine = service.store._engine

    def unlimited(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA max_page_count=1073741823")

    event.listen(engine, "connect", unlimited)
    engine.dispose()


@pytest.fixture
def error_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO):
        yield caplog


async def test_a_full_disk_fails_runs_in_words_and_the_service_keeps_serving(
        tmp_path: Path, error_log: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "monitor.db"
    async with (fake_openai(_refusal, latency_s=0.005) as server,
                running(_config(tmp_path, server.base_url, samples=40)) as service):
        first = service.runs.start("oa", None, "api")
        await service.runs.wait(first.id)
        kept = service.store.results(first.id)
        done = service.store.get_run(first.id)
        assert done is not None and done.status is RunStatus.SUCCEEDED and len(kept) == done.total_items > 0
        _cap_pages(service, db)
        error_log.clear()
        failed = []
        for _ in range(2):  # again and again: each run fails the same clean way, nothing crashes
            record = service.runs.start("oa", None, "api")
            await service.runs.wait(record.id)
            failed.append(service.store.get_run(record.id))
            assert await _get(service, "/healthz") == 200
            assert await _get(service, "/metrics") == 200
        assert service.store.results(first.id) == kept  # nothing stored before is lost
        _lift_cap(service)  # space freed: the next run goes through
        again = service.runs.start("oa", None, "api")
        await service.runs.wait(again.id)
        recovered = service.store.get_run(again.id)
    for run in failed:
        assert run is not None and run.status is RunStatus.FAILED, run
        assert run.message.startswith("store full: cannot write to sqlite:///"), run.message
        assert "store.retention" in run.message
    assert recovered is not None and recovered.status is RunStatus.SUCCEEDED
    tracebacks = [r for r in error_log.records if r.exc_info]
    assert not tracebacks, [r.getMessage() for r in tracebacks]
    errors = [r.getMessage() for r in error_log.records if r.levelno >= logging.ERROR]
    assert 1 <= len(errors) <= 4 and all("store full" in m for m in errors), errors


@contextmanager
def pages_capped(db: Path, pages: int) -> Iterator[None]:
    """Every SQLAlchemy connection to ``db`` opened meanwhile gets ``PRAGMA max_page_count`` = ``pages``."""

    def limit(dbapi_connection: Any, _record: Any) -> None:
        files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")]
        if str(db) in files:
            dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(Engine, "connect", limit)
    try:
        yield
    finally:
        event.remove(Engine, "connect", limit)


async def test_a_store_full_to_the_last_page_fails_each_scheduled_run_in_one_line(
        tmp_path: Path, error_log: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "monitor.db"
    cfg = _config(tmp_path, "http://127.0.0.1:9/v1")  # unreachable; its errors cannot be stored either
    with Store(cfg.store.url) as store:
        store.add_event("first", "oa", None, {})
    conn = sqlite3.connect(db)
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    conn.close()
    data = cfg.model_dump(mode="json")
    data["endpoints"][0]["schedule"] = {"interval": "1s"}
    with pages_capped(db, pages):
        with Store(cfg.store.url) as store, pytest.raises(StoreFullError):  # fill every free page
            for _ in range(100000):
                store.add_event("filler", "oa", None, {"pad": "x" * 3000})
            for _ in range(100000):
                store.add_event("filler", "oa", None, {})
        error_log.clear()
        async with running(Config.model_validate(data)) as service:
            await asyncio.sleep(3.5)  # three or four schedules
            assert await _get(service, "/healthz") == 200
            assert await _get(service, "/metrics") == 200
            runs = service.store.list_runs("oa")
    assert not [r for r in error_log.records if r.exc_info]  # no traceback
    errors = [r.getMessage() for r in error_log.records if r.levelno >= logging.ERROR]
    assert all("store full: cannot write to sqlite:///" in m for m in errors), errors
    # a first run's few rows may still fit the free room of pages the tables already have; after that, each
    # scheduled run fails in words, with one log line
    full = [r for r in runs if r.status is RunStatus.FAILED]
    assert len(full) >= 2 and all(r.message.startswith("store full:") for r in full), runs
    assert all(r.status is RunStatus.DEGRADED for r in runs if r not in full), runs  # its endpoint is down
    assert len(errors) == len(full), errors
