"""Store faults in words: a full database, a write lock held past the busy timeout, an unreachable server."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from monitor.store import RunStatus, SampleResult, Store, StoreBusyError, StoreError, StoreFullError
from monitor.store import store as store_module
from monitor.store.store import store_error


def _samples(n: int, start: int = 0, size: int = 2000) -> list[SampleResult]:
    return [SampleResult("T.1", "default", f"s{i}", "x" * size, 1.0, None) for i in range(start, start + n)]


def cap_pages(store: Store, extra: int = 0) -> int:
    """Make the database genuinely full for SQLite: at most its current pages (+ ``extra``) on every connection."""
    conn = sqlite3.connect(str(store._engine.url.database))
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0]) + extra
    conn.close()

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(store._engine, "connect", limit)
    store._engine.dispose()  # pooled connections reconnect with the cap
    return pages


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield s
    s.close()


def test_a_full_database_is_a_store_full_error_and_keeps_what_was_stored(store: Store) -> None:
    run = store.create_run("ep", "schedule", ["T.1"], "1.0", "default")
    store.add_results(run.id, _samples(20))
    cap_pages(store)
    with pytest.raises(StoreFullError) as caught:
        store.add_results(run.id, _samples(50, start=20))
    message = str(caught.value)
    assert message.startswith(f"store full: cannot write to {store._safe_url} (database or disk is full)")
    assert "store.retention" in message and "\n" not in message
    assert isinstance(caught.value, StoreError)
    assert len(store.results(run.id)) == 20  # the failed transaction was rolled back, nothing before it lost
    finished = store.finish_run(run.id, RunStatus.FAILED, message)  # a row updated in place still fits
    assert finished.status is RunStatus.FAILED and finished.message.startswith("store full:")


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 200)


def _hold_write_lock(path: str, seconds: float) -> threading.Thread:
    """Another connection takes the write lock (BEGIN IMMEDIATE) and keeps it ``seconds``."""
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(5)
    return thread


@pytest.mark.usefixtures("short_busy_timeout")
def test_a_lock_held_past_the_busy_timeout_is_a_store_busy_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    with Store(f"sqlite:///{path}") as store:
        run = store.create_run("ep", "schedule", ["T.1"], "1.0", "default")
        store.add_results(run.id, _samples(3))
        holder = _hold_write_lock(str(path), 0.6)  # longer than one busy timeout, shorter than four
        t0 = time.monotonic()
        with pytest.raises(StoreBusyError, match=r"^store busy: .* stayed locked by another connection for more "
                           r"than 0\.2 s \(database is locked\)"):
            store.add_results(run.id, _samples(3, start=3))
        assert 0.15 < time.monotonic() - t0 < 0.5  # it waited the busy timeout, no longer
        assert len(store.results(run.id)) == 3  # readers are never blocked (WAL)
        # finishing a run waits out the lock a few more busy timeouts before it gives up
        finished = store.finish_run(run.id, RunStatus.SUCCEEDED)
        assert finished.status is RunStatus.SUCCEEDED and time.monotonic() - t0 >= 0.5
        holder.join()
        store.add_results(run.id, _samples(3, start=3))  # the lock gone, writes go through again
        assert len(store.results(run.id)) == 6


def test_a_lock_shorter_than_the_busy_timeout_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "wait.db"
    with Store(f"sqlite:///{path}") as store:
        run = store.create_run("ep", "schedule", ["T.1"], "1.0", "default")
        holder = _hold_write_lock(str(path), 1.0)
        t0 = time.monotonic()
        store.add_results(run.id, _samples(5))
        assert time.monotonic() - t0 >= 0.8
        holder.join()
        assert len(store.results(run.id)) == 5


class _PgError(Exception):
    def __init__(self, message: str, pgcode: str) -> None:
        super().__init__(message)
        self.pgcode = pgcode


@pytest.mark.parametrize(("orig", "kind", "start"), [
    (_PgError("could not extend file: No space left on device\nHINT: x", "53100"), StoreFullError, "store full:"),
    (_PgError("canceling statement due to lock timeout", "55P03"), StoreBusyError, "store busy:"),
    (_PgError("connection to server at \"db\" failed: Connection refused", "08006"), StoreError,
     "store unavailable:"),
])
def test_postgresql_errors_are_told_apart(orig: Exception, kind: type[StoreError], start: str) -> None:
    error = store_error(OperationalError("INSERT ...", {}, orig), "postgresql://tm:***@db/tm")
    assert type(error) is kind and str(error).startswith(start)
    assert "postgresql://tm:***@db/tm" in str(error) and "\n" not in str(error) and "HINT" not in str(error)
