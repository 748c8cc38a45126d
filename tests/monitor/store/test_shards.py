"""The store's side of distributed runs, on SQLite and a real PostgreSQL: shards, results written by several
workers at once with exact counters, a run finished once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store import RunStatus, SampleResult, Store
from tests.pg_server import PG_PASSWORD, pg_cluster, reset_pg


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path}/shards.db")
    else:
        url = request.getfixturevalue("pg_url")
        reset_pg(url)
        s = Store(url, password=PG_PASSWORD)
    yield s
    s.close()


def _result(n: int, error: bool = False) -> SampleResult:
    return SampleResult(task="T.1", variant="default", sample_id=f"s{n}", answer=None if error else "a",
                        score=None if error else 1.0, error_kind="timeout" if error else None)


def test_a_run_can_be_created_under_a_chosen_id_once(store: Store) -> None:
    run_id = "ab" * 16
    first = store.create_run("ep", "schedule", ["T.1"], "v", "default", run_id=run_id)
    again = store.create_run("ep", "schedule", ["T.2"], "v", "default", run_id=run_id)
    assert first.id == again.id == run_id and again.tasks == ["T.1"]
    assert len(store.list_runs("ep")) == 1


def test_shards_are_stored_once_and_the_last_one_is_seen_once(store: Store) -> None:
    run = store.create_run("ep", "api", ["T.1"], "v", "default")
    store.add_shards(run.id, [(0, 3), (3, 3), (6, 1)])
    store.add_shards(run.id, [(0, 99)])  # a start retried: nothing changes
    assert store.shards(run.id) == [(0, 0, 3, False), (1, 3, 3, False), (2, 6, 1, False)]
    store.shard_taken(run.id, 1, "host:1")
    assert store.shard_done(run.id, 1, "host:2") == (True, 2)
    assert store.shard_done(run.id, 1, "host:3") == (False, 2)  # a duplicate job marks nothing
    lasts: list[int] = []

    def finish(n: int) -> None:
        _, left = store.shard_done(run.id, n, f"w{n}")
        lasts.append(left)

    threads = [threading.Thread(target=finish, args=(n,)) for n in (0, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(lasts) == [0, 1]  # exactly one of two shards finishing together sees none left
    assert all(done for *_, done in store.shards(run.id))


def test_results_from_many_workers_keep_exact_counters(store: Store) -> None:
    run = store.create_run("ep", "api", ["T.1"], "v", "default")
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for batch in range(5):
                n0 = k * 1000 + batch * 10
                store.add_shard_results(run.id, [_result(n, error=n % 7 == 0) for n in range(n0, n0 + 10)])
                # the same results again, as a retried shard would: replaced, never counted twice
                store.add_shard_results(run.id, [_result(n0)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    current = store.get_run(run.id)
    assert current is not None
    stored = store.results(run.id)
    assert current.done_items == len(stored) == 200
    assert current.error_items == sum(r.error_kind is not None for r in stored)


def test_a_run_is_finished_once(store: Store) -> None:
    run = store.create_run("ep", "api", ["T.1"], "v", "default")
    store.add_shard_results(run.id, [_result(1), _result(2, error=True)])
    cancelled = store.finish_run_once(run.id, RunStatus.CANCELLED, "cancelled")
    assert cancelled is not None and cancelled.status is RunStatus.CANCELLED
    assert (cancelled.done_items, cancelled.error_items) == (2, 1)
    assert store.finish_run_once(run.id, RunStatus.SUCCEEDED) is None  # the finisher comes too late
    assert store.add_shard_results(run.id, [_result(3)]) is RunStatus.CANCELLED  # tells the shard to stop
    with pytest.raises(KeyError):
        store.add_shard_results("0" * 32, [_result(1)])
    since = cancelled.finished_at
    assert since is not None
    assert [r.id for r in store.runs_changed_since(since)] == [run.id]
