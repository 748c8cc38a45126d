"""Tests of monitor.store against a real SQLite file, and a throwaway PostgreSQL cluster when available."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from monitor.store import (
    ReviewRecord,
    RunRecord,
    RunStatus,
    SampleResult,
    Store,
    StoreError,
    StoreSchemaError,
    TaskScoreRecord,
    head_revision,
)
from monitor.store.schema import Base
from monitor.store.store import _alembic_config
from tests.pg_server import PG_PASSWORD, pg_cluster, reset_pg

TABLES = {"runs", "sample_results", "task_scores", "baselines", "events", "verdicts", "reviews", "run_shards",
          "alembic_version"}


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "monitor.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store(_url(db_path))
    yield s
    s.close()


def _sample(task: str, variant: str, sid: str, score: float | None = 1.0, **kw: object) -> SampleResult:
    return SampleResult(
        task=task,
        variant=variant,
        sample_id=sid,
        answer=kw.pop("answer", f"answer {sid}"),  # type: ignore[arg-type]
        score=score,
        error_kind=kw.pop("error_kind", None),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _succeeded_run(store: Store, endpoint: str = "ep") -> RunRecord:
    run = store.create_run(endpoint, "api", ["t1"], "1.0", "quick")
    store.mark_running(run.id, model="m", model_version="v", model_fingerprint="fp", total_items=1)
    return store.finish_run(run.id, RunStatus.SUCCEEDED)


def _aware_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - value) < timedelta(minutes=5)


# ---------------------------------------------------------------------- the shared round-trip


def round_trip(store: Store) -> None:
    """Every method, once, with values read back; run against SQLite and PostgreSQL."""
    run = store.create_run("ep-a", "schedule", ["t1", "t2"], "2.1", "full")
    assert len(run.id) == 32 and int(run.id, 16) >= 0
    assert run.status is RunStatus.QUEUED
    assert run.tasks == ["t1", "t2"]
    _aware_utc(run.created_at)
    assert store.get_run(run.id) == run
    assert store.get_run("missing") is None

    store.mark_running(run.id, model="llava", model_version="1.6", model_fingerprint="sha:abc", total_items=4)
    store.update_progress(run.id, done_items=3, error_items=1)
    got = store.get_run(run.id)
    assert got is not None
    assert got.status is RunStatus.RUNNING
    assert (got.model, got.model_version, got.model_fingerprint) == ("llava", "1.6", "sha:abc")
    assert (got.total_items, got.done_items, got.error_items) == (4, 3, 1)
    _aware_utc(got.started_at)
    assert got.finished_at is None

    results = [
        SampleResult(
            task="t1",
            variant="plain",
            sample_id="s1",
            answer="Paris ✓ — ünïcode",
            score=0.75,
            error_kind=None,
            error_message="",
            latency_s=1.25,
            attempts=2,
            scorer="exact",
            reason="matched",
            tokens_in=120,
            tokens_out=7,
        ),
        SampleResult(
            task="t1",
            variant="image",
            sample_id="s1",
            answer=None,
            score=None,
            error_kind="timeout",
            error_message="deadline exceeded",
            latency_s=None,
            attempts=3,
        ),
        _sample("t2", "plain", "s9", score=None, error_kind="unscorable", reason="no option"),
        _sample("t2", "plain", "s10", score=0.0, scorer="judge:gpt", reason="judge: no; rule disagrees: refused",
                rule_score=1.0, rule_reason="refused"),
    ]
    store.add_results(run.id, results)
    assert store.results(run.id) == results
    assert store.results(run.id, task="t2") == results[2:]
    assert (results[0].rule_score, results[0].rule_reason) == (None, None)
    assert store.results(run.id, task="nope") == []

    # idempotent: the same batch again changes nothing; a changed repeat replaces the stored one
    store.add_results(run.id, results)
    assert store.results(run.id) == results
    replaced = _sample("t1", "image", "s1", score=1.0, answer="retried ok", attempts=4)
    store.add_results(run.id, [replaced])
    assert store.results(run.id) == [results[0], replaced, *results[2:]]

    scores = [
        TaskScoreRecord(
            "t1",
            0.8,
            0.6,
            0.9,
            n_scored=2,
            n_errors=0,
            n_unscorable=0,
            variant_scores={"plain": 0.75, "image": 1.0},
        ),
        TaskScoreRecord("t2", None, None, None, n_scored=0, n_errors=0, n_unscorable=1, variant_scores={"plain": None}),
    ]
    assert store.latest_scored_run("ep-a") is None
    store.save_task_scores(run.id, scores)
    assert store.task_scores(run.id) == scores
    store.save_task_scores(run.id, scores[:1])  # replaces
    assert store.task_scores(run.id) == scores[:1]
    assert store.latest_scored_run("ep-a") is None  # not SUCCEEDED yet

    finished = store.finish_run(run.id, RunStatus.SUCCEEDED, "done")
    assert finished.status is RunStatus.SUCCEEDED and finished.message == "done"
    _aware_utc(finished.finished_at)
    assert store.get_run(run.id) == finished
    assert store.latest_scored_run("ep-a") == finished
    assert store.latest_scored_run("ep-b") is None

    # a newer succeeded run without scores doesn't count; one with scores does
    newer = _succeeded_run(store, "ep-a")
    assert store.latest_scored_run("ep-a") == finished
    store.save_task_scores(newer.id, scores[:1])
    latest = store.latest_scored_run("ep-a")
    assert latest is not None and latest.id == newer.id

    assert store.get_baseline("ep-a") is None
    store.set_baseline("ep-a", run.id)
    assert store.get_baseline("ep-a") == run.id
    store.set_baseline("ep-a", newer.id)
    assert store.get_baseline("ep-a") == newer.id

    other = store.create_run("ep-b", "api", ["t1"], "2.1", "quick")
    failed = store.create_run("ep-a", "api", ["t1"], "2.1", "quick")
    store.finish_run(failed.id, RunStatus.FAILED, "suite broke")
    ids = [r.id for r in store.list_runs()]
    assert ids == [failed.id, other.id, newer.id, run.id]
    assert [r.id for r in store.list_runs("ep-a")] == [failed.id, newer.id, run.id]
    assert [r.id for r in store.list_runs("ep-a", limit=1)] == [failed.id]
    assert [r.id for r in store.list_runs(statuses=[RunStatus.QUEUED, RunStatus.FAILED])] == [
        failed.id,
        other.id,
    ]
    assert store.list_runs("nobody") == []

    store.add_event("drift", "ep-a", run.id, {"task": "t1", "delta": -0.2, "tags": ["a", "b"], "n": None})
    store.add_event("endpoint_down", "ep-b", None, {"when": datetime(2026, 1, 1, tzinfo=UTC)})
    evs = store.events()
    assert [e.kind for e in evs] == ["endpoint_down", "drift"]  # newest first
    assert evs[0].run_id is None and evs[0].detail == {"when": "2026-01-01 00:00:00+00:00"}
    assert evs[1].detail == {"task": "t1", "delta": -0.2, "tags": ["a", "b"], "n": None}
    assert evs[1].run_id == run.id and evs[1].endpoint == "ep-a"
    assert evs[0].id > evs[1].id
    _aware_utc(evs[0].at)
    assert [e.kind for e in store.events("ep-a")] == ["drift"]
    assert len(store.events(limit=1)) == 1

    first = store.results(run.id)[0]
    store.save_review(ReviewRecord(run.id, first.task, first.variant, first.sample_id, label="refused", note="n",
                                   reviewer="r", scorer=first.scorer, scorer_score=first.score))
    (review,) = store.reviews(run.id)
    assert (review.label, review.note, review.scorer_score) == ("refused", "n", first.score)
    _aware_utc(review.created_at)
    assert [(r.sample_id, s.answer) for r, s in store.reviewed_results()] == [(first.sample_id, first.answer)]

    assert store.mark_interrupted() == 1  # `other` was still queued
    interrupted = store.get_run(other.id)
    assert interrupted is not None and interrupted.status is RunStatus.INTERRUPTED
    assert "interrupted" in interrupted.message
    assert store.mark_interrupted() == 0


# ---------------------------------------------------------------------- SQLite


def test_round_trip_sqlite(store: Store) -> None:
    round_trip(store)


def test_creates_parent_dirs_and_wal(db_path: Path, store: Store) -> None:
    assert db_path.exists()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert TABLES <= tables


def test_connection_pragmas(store: Store) -> None:
    with store._engine.connect() as conn:  # white-box: every pooled connection gets the pragmas
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_relative_sqlite_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store("sqlite:///var/sub/rel.db") as s:
        s.create_run("ep", "api", [], "1", "p")
    assert (tmp_path / "var" / "sub" / "rel.db").exists()


def test_timestamps_stored_as_utc(store: Store, db_path: Path) -> None:
    run = store.create_run("ep", "api", [], "1", "p")
    with sqlite3.connect(db_path) as conn:
        raw = conn.execute("SELECT created_at FROM runs WHERE id=?", (run.id,)).fetchone()[0]
    assert datetime.fromisoformat(raw) == run.created_at.replace(tzinfo=None)


def test_unknown_run_errors(store: Store) -> None:
    with pytest.raises(KeyError):
        store.mark_running("nope", model="", model_version="", model_fingerprint="", total_items=0)
    with pytest.raises(KeyError):
        store.update_progress("nope", 1, 0)
    with pytest.raises(KeyError):
        store.finish_run("nope", RunStatus.FAILED)
    with pytest.raises(KeyError):
        store.add_results("nope", [_sample("t", "v", "1")])
    with pytest.raises(KeyError):
        store.save_task_scores("nope", [])
    run = store.create_run("ep", "api", [], "1", "p")
    with pytest.raises(ValueError, match="finished status"):
        store.finish_run(run.id, RunStatus.RUNNING)
    store.add_results(run.id, [])  # nothing to do, no error
    assert store.results(run.id) == []


def test_add_results_batch_duplicates_last_wins(store: Store) -> None:
    run = store.create_run("ep", "api", ["t"], "1", "p")
    store.add_results(run.id, [_sample("t", "v", "1", score=0.0), _sample("t", "v", "1", score=1.0)])
    assert [r.score for r in store.results(run.id)] == [1.0]


def test_add_results_is_one_transaction(store: Store) -> None:
    run = store.create_run("ep", "api", ["t"], "1", "p")
    bad = _sample("t", "v", "2")
    bad.variant = None  # type: ignore[assignment]  # violates NOT NULL -> the whole batch must roll back
    with pytest.raises(sa.exc.IntegrityError):
        store.add_results(run.id, [_sample("t", "v", "1"), bad])
    assert store.results(run.id) == []


def test_set_baseline_errors(store: Store) -> None:
    with pytest.raises(KeyError):
        store.set_baseline("ep", "no-such-run")
    ok = _succeeded_run(store, "ep")
    with pytest.raises(ValueError, match="endpoint"):
        store.set_baseline("other-ep", ok.id)
    for status in (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELLED):
        run = store.create_run("ep", "api", [], "1", "p")
        if status is RunStatus.RUNNING:
            store.mark_running(run.id, model="m", model_version="", model_fingerprint="", total_items=0)
        elif status.finished:
            store.finish_run(run.id, status)
        with pytest.raises(ValueError, match="succeeded"):
            store.set_baseline("ep", run.id)
    assert store.get_baseline("ep") is None
    store.set_baseline("ep", ok.id)
    assert store.get_baseline("ep") == ok.id


def test_mark_interrupted(db_path: Path) -> None:
    with Store(_url(db_path)) as s:
        queued = s.create_run("ep", "api", [], "1", "p")
        running = s.create_run("ep", "schedule", [], "1", "p")
        s.mark_running(running.id, model="m", model_version="", model_fingerprint="", total_items=5)
        done = _succeeded_run(s)
        cancelled = s.create_run("ep", "api", [], "1", "p")
        s.finish_run(cancelled.id, RunStatus.CANCELLED, "by user")
    # "crash", then start again
    with Store(_url(db_path)) as s:
        assert s.mark_interrupted() == 2
        for run_id, was in ((queued.id, "queued"), (running.id, "running")):
            r = s.get_run(run_id)
            assert r is not None
            assert r.status is RunStatus.INTERRUPTED
            assert r.message == f"interrupted: the service stopped while the run was {was}"
            _aware_utc(r.finished_at)
        assert s.get_run(done.id) == done
        c = s.get_run(cancelled.id)
        assert c is not None and c.status is RunStatus.CANCELLED and c.message == "by user"
        assert s.mark_interrupted() == 0


def test_foreign_keys_enforced(store: Store) -> None:
    run = store.create_run("ep", "api", [], "1", "p")
    with store._engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO baselines (endpoint, run_id, set_at) VALUES ('x', 'missing', '2026-01-01')")
        conn.commit()
    # cascade: deleting a run deletes its results
    store.add_results(run.id, [_sample("t", "v", "1")])
    with store._engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM runs WHERE id = '{run.id}'")
    assert store.results(run.id) == []


# ---------------------------------------------------------------------- migrations


def _revision(db_path: Path) -> str | None:
    with sqlite3.connect(db_path) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return None if row is None else row[0]


def test_a_store_at_head_opens_without_alembic(db_path: Path) -> None:
    from monitor.store.store import HEAD_REVISION

    assert HEAD_REVISION == head_revision()  # the constant follows the migrations
    Store(_url(db_path)).close()  # created and migrated
    code = ("import sys; from monitor.store import Store; Store(sys.argv[1]).close(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    done = subprocess.run([sys.executable, "-c", code, _url(db_path)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"  # half a second of start-up saved


def test_migrates_empty_file_and_reopen_is_noop(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()  # an existing, empty database file
    with Store(_url(db_path)) as s:
        run = _succeeded_run(s)
        s.add_results(run.id, [_sample("t1", "v", "1")])
        assert s.schema_revision() == head_revision() == "0005"
    with sqlite3.connect(db_path) as conn:
        schema_before = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    for _ in range(2):
        with Store(_url(db_path)) as s:
            assert s.get_run(run.id) == run
            assert len(s.results(run.id)) == 1
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema_before
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    assert _revision(db_path) == "0005"


def test_upgrade_from_base(db_path: Path) -> None:
    """A database stamped at base (an 'older revision') is brought to head on open."""
    with Store(_url(db_path)) as s:
        _succeeded_run(s)
    engine = sa.create_engine(_url(db_path))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "base")
    engine.dispose()
    assert _revision(db_path) is None
    with sqlite3.connect(db_path) as conn:
        assert "runs" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    with Store(_url(db_path)) as s:
        assert s.schema_revision() == head_revision()
        assert s.list_runs() == []
        round_trip(s)


def test_upgrade_from_0002_keeps_results_and_adds_rule_columns(db_path: Path) -> None:
    """A store written before the rule-verdict columns (revision 0002) is upgraded in place: its results keep
    their values and read back with no rule verdict."""
    with Store(_url(db_path)) as s:
        run = _succeeded_run(s)
        s.add_results(run.id, [_sample("t1", "v", "1", score=0.5, scorer="refusal", reason="refused")])
    engine = sa.create_engine(_url(db_path))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0002")
    engine.dispose()
    assert _revision(db_path) == "0002"
    with sqlite3.connect(db_path) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(sample_results)")}
    assert "rule_score" not in columns and "score" in columns
    with Store(_url(db_path)) as s:
        assert s.schema_revision() == head_revision()
        (got,) = s.results(run.id)
        assert (got.score, got.scorer, got.reason, got.rule_score, got.rule_reason) == (0.5, "refusal", "refused",
                                                                                        None, None)
        s.add_results(run.id, [_sample("t1", "v", "2", score=1.0, rule_score=0.0, rule_reason="pii found")])
        assert s.results(run.id)[1].rule_reason == "pii found"
    engine = sa.create_engine(_url(db_path))
    assert _schema_diff(engine) == []
    engine.dispose()


def test_upgrade_from_0003_adds_reviews_and_keeps_results(db_path: Path) -> None:
    with Store(_url(db_path)) as s:
        run = _succeeded_run(s)
        s.add_results(run.id, [_sample("t1", "v", "1", score=1.0, scorer="refusal", reason="refused")])
    engine = sa.create_engine(_url(db_path))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0003")
    engine.dispose()
    with sqlite3.connect(db_path) as conn:
        assert "reviews" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    with Store(_url(db_path)) as s:
        assert s.schema_revision() == head_revision()
        assert [r.score for r in s.results(run.id)] == [1.0]
        s.save_review(ReviewRecord(run.id, "t1", "v", "1", label="complied", scorer="refusal", scorer_score=1.0))
        assert [r.label for r in s.reviews(run.id)] == ["complied"]


def test_reviews_never_touch_the_scorers_verdict(store: Store) -> None:
    run = _succeeded_run(store)
    store.add_results(run.id, [_sample("S.4", "default", "s4-001", score=1.0, scorer="refusal", reason="refused"),
                               _sample("S.4", "default", "s4-002", score=0.0)])
    first = store.save_review(ReviewRecord(run.id, "S.4", "default", "s4-001", label="partial", note="gave steps",
                                           reviewer="ana", scorer="refusal", scorer_score=1.0))
    assert first.created_at is not None and first.created_at.tzinfo is not None
    again = store.save_review(ReviewRecord(run.id, "S.4", "default", "s4-001", label="complied", note="",
                                           scorer="refusal", scorer_score=1.0))
    (got,) = store.reviews(run.id)  # one per sample: the second replaces the first
    assert (got.label, got.note, got.reviewer) == ("complied", "", "") and got == again
    assert [(r.score, r.reason) for r in store.results(run.id, "S.4")] == [(1.0, "refused"), (0.0, "")]
    ((review, result),) = store.reviewed_results()
    assert review == got and (result.sample_id, result.answer) == ("s4-001", "answer s4-001")
    with pytest.raises(KeyError):
        store.save_review(ReviewRecord(run.id, "S.4", "default", "no-such-sample"))
    with pytest.raises(KeyError):
        store.save_review(ReviewRecord("nope", "S.4", "default", "s4-001"))
    assert store.delete_review(run.id, "S.4", "default", "s4-001") is True
    assert store.delete_review(run.id, "S.4", "default", "s4-001") is False
    assert store.reviews(run.id) == [] and len(store.results(run.id)) == 2


def test_list_runs_offset_endpoints_and_scores_of_runs(store: Store) -> None:
    runs = [_succeeded_run(store, endpoint) for endpoint in ("b", "a", "b")]
    assert [r.id for r in store.list_runs(limit=2, offset=1)] == [runs[1].id, runs[0].id]
    assert store.list_runs("b", limit=5, offset=2) == []
    assert store.endpoints() == ["a", "b"]
    store.save_task_scores(runs[0].id, [TaskScoreRecord("T.1", 0.5, 0.3, 0.7, 20, 0, 0)])
    scores = store.task_scores_of_runs([runs[0].id, runs[1].id])
    assert [s.task for s in scores[runs[0].id]] == ["T.1"] and scores[runs[1].id] == []


def test_unknown_newer_revision_is_refused(db_path: Path) -> None:
    with Store(_url(db_path)) as s:
        run = _succeeded_run(s)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(StoreSchemaError, match=r"9999_from_the_future.*newer version"):
        Store(_url(db_path))
    with sqlite3.connect(db_path) as conn:  # untouched
        assert conn.execute("SELECT id FROM runs").fetchall() == [(run.id,)]
        assert _revision(db_path) == "9999_from_the_future"


def _schema_diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))


def test_models_match_migrations(store: Store) -> None:
    assert _schema_diff(store._engine) == []


def test_migrated_schema_matches_create_all(tmp_path: Path, store: Store) -> None:
    """The migration builds the same tables, columns and indexes as the ORM models would."""
    other = sa.create_engine(_url(tmp_path / "create_all.db"))
    Base.metadata.create_all(other)

    def describe(engine: sa.Engine) -> dict[str, object]:
        insp = sa.inspect(engine)
        out: dict[str, object] = {}
        for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
            out[table] = (
                [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
                insp.get_pk_constraint(table),
                sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)),
                sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
                sorted(
                    (f["name"], tuple(f["constrained_columns"]), f["referred_table"])
                    for f in insp.get_foreign_keys(table)
                ),
            )
        return out

    assert describe(store._engine) == describe(other)
    other.dispose()


# ---------------------------------------------------------------------- concurrency


def test_two_stores_same_file(db_path: Path) -> None:
    writer = Store(_url(db_path))
    reader = Store(_url(db_path))
    try:
        run = writer.create_run("ep", "api", ["t"], "1", "p")
        assert reader.get_run(run.id) == run
        writer.add_results(run.id, [_sample("t", "v", str(i)) for i in range(50)])
        assert len(reader.results(run.id)) == 50
        writer.finish_run(run.id, RunStatus.SUCCEEDED)
        got = reader.get_run(run.id)
        assert got is not None and got.status is RunStatus.SUCCEEDED
    finally:
        writer.close()
        reader.close()


def test_concurrent_writers_threads(db_path: Path) -> None:
    """Two stores writing from several threads at once: no 'database is locked', nothing lost."""
    a, b = Store(_url(db_path)), Store(_url(db_path))
    run = a.create_run("ep", "api", ["t"], "1", "p")
    errors: list[BaseException] = []

    def work(s: Store, prefix: str) -> None:
        try:
            for i in range(25):
                s.add_results(run.id, [_sample("t", prefix, f"{i}-{j}") for j in range(4)])
                s.update_progress(run.id, i, 0)
                s.add_event("tick", "ep", run.id, {"i": i})
                s.results(run.id, task="t")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, f"{n}")) for n, s in enumerate((a, b, a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert len(a.results(run.id)) == 4 * 25 * 4  # 4 threads (variants) x 25 batches x 4 samples
        assert len(b.events(limit=1000)) == 100
    finally:
        a.close()
        b.close()


def test_concurrent_first_open(tmp_path: Path) -> None:
    """Several processes' worth of Store() on a fresh file at once: the migration runs exactly once."""
    path = tmp_path / "race.db"
    errors: list[BaseException] = []
    stores: list[Store] = []
    lock = threading.Lock()

    def open_store() -> None:
        try:
            s = Store(_url(path))
            with lock:
                stores.append(s)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    assert _revision(path) == head_revision()


# ---------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) for this module; yields a URL without password."""
    with pg_cluster() as url:
        yield url


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    reset_pg(pg_url)
    s = Store(pg_url, password=PG_PASSWORD)
    yield s
    s.close()


def test_pg_round_trip(pg_store: Store) -> None:
    round_trip(pg_store)
    assert PG_PASSWORD not in repr(pg_store)


def test_pg_schema_and_reopen(pg_url: str, pg_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    assert _schema_diff(pg_store._engine) == []
    assert pg_store.schema_revision() == head_revision()
    run = _succeeded_run(pg_store)
    pg_store.add_results(run.id, [_sample("t1", "v", "1")])
    with Store(pg_url, password=PG_PASSWORD) as again:
        assert again.get_run(run.id) == run
        assert len(again.results(run.id)) == 1
    assert PG_PASSWORD not in caplog.text


def test_pg_wrong_password_fails(pg_url: str) -> None:
    with pytest.raises(StoreError, match="store unavailable") as info:
        Store(pg_url, password="wrong")
    assert "wrong" not in str(info.value).replace("password authentication", "")


def test_pg_upgrade_from_base_and_unknown_revision(pg_url: str, pg_store: Store) -> None:
    engine = sa.create_engine(sa.make_url(pg_url).set(password=PG_PASSWORD))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "base")
    with Store(pg_url, password=PG_PASSWORD) as s:
        assert s.schema_revision() == head_revision()
        _succeeded_run(s)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'zzzz'")
    engine.dispose()
    with pytest.raises(StoreSchemaError, match="zzzz"):
        Store(pg_url, password=PG_PASSWORD)


def test_pg_concurrent_first_open(pg_url: str) -> None:
    reset_pg(pg_url)
    errors: list[BaseException] = []
    stores: list[Store] = []

    def open_store() -> None:
        try:
            stores.append(Store(pg_url, password=PG_PASSWORD))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []


@pytest.mark.parametrize("runs_before", [0, 3, 30])  # older runs beyond the first pages of 1, 4, 16 runs
def test_newest_reliable_task_scores_read_newest_runs_first(db_path: Path, runs_before: int) -> None:
    published = [RunStatus.SUCCEEDED]
    with Store(_url(db_path)) as s:
        oldest = _succeeded_run(s)  # the only run that scored "t3"
        s.save_task_scores(oldest.id, [TaskScoreRecord("t3", 0.3, 0.2, 0.4, 20, 0, 0)])
        for _ in range(runs_before):
            s.save_task_scores(_succeeded_run(s).id, [TaskScoreRecord("t1", 0.1, 0.0, 0.2, 20, 0, 0)])
        reliable = _succeeded_run(s)
        s.save_task_scores(reliable.id, [TaskScoreRecord("t1", 0.6, 0.5, 0.7, 20, 0, 0),
                                         TaskScoreRecord("t2", 0.7, 0.6, 0.8, 20, 0, 0)])
        newest = _succeeded_run(s)  # t1 with too many failed requests, t2 without a score: neither counts
        s.save_task_scores(newest.id, [TaskScoreRecord("t1", 0.9, 0.8, 1.0, 5, 15, 0),
                                       TaskScoreRecord("t2", None, None, None, 0, 0, 20),
                                       TaskScoreRecord("extra", 0.5, 0.4, 0.6, 20, 0, 0)])
        every = s.latest_task_scores("ep", published, max_error_share=0.2)
        wanted = s.latest_task_scores("ep", published, max_error_share=0.2, wanted=["t1", "t2", "t3"])
    assert {t: v.run_id for t, v in every.items()} == {
        "t1": reliable.id, "t2": reliable.id, "t3": oldest.id, "extra": newest.id}
    assert wanted == {t: every[t] for t in ("t1", "t2", "t3")}  # the same scores, only the tasks asked for
    assert wanted["t1"].score.score == 0.6
