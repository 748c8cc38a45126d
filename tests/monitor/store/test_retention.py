"""store.retention: what a pass removes and keeps, in batches, in the service's loop and from the CLI (real SQLite)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.cli import main
from monitor.config import Config
from monitor.regression.monitor import RegressionMonitor
from monitor.store import (
    ReviewRecord,
    RunRecord,
    RunStatus,
    SampleResult,
    Store,
    TaskScoreRecord,
    Verdict,
    VerdictRecord,
)
from monitor.store.retention import Retention, prune, regression_history
from monitor.store.schema import EventRow, RunRow
from probes.catalogue import all_tasks

DAY = 86400.0


def _config(db: Path, regression: bool = True, **store: Any) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{db}", **store},
        # the history regression detection reads: 2*3 + 3*2 + 20 = 32 runs per endpoint
        "regression": {"windows": [1, 2], "reference_runs": 3, "enabled": regression},
    })


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "monitor.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{db}")
    yield s
    s.close()


def _age(db: Path, run_id: str, days: float) -> None:
    """Make a run (and its events) look ``days`` old."""
    engine = sa.create_engine(f"sqlite:///{db}")
    when = datetime.now(UTC) - timedelta(days=days)
    with engine.begin() as conn:
        conn.execute(sa.update(RunRow).where(RunRow.id == run_id).values(created_at=when))
        conn.execute(sa.update(EventRow).where(EventRow.run_id == run_id).values(at=when))
    engine.dispose()


def _run(store: Store, n: int = 20, *, status: RunStatus = RunStatus.SUCCEEDED, endpoint: str = "ep",
         task: str = "T.1") -> RunRecord:
    run = store.create_run(endpoint, "schedule", [task], "1.0", "default")
    store.mark_running(run.id, model="m", model_version="1", model_fingerprint="fp", total_items=n)
    store.add_results(run.id, [SampleResult(task, "default", f"s{i}", f"answer {i}", float(i % 2), None,
                                            scorer="yes_no") for i in range(n)])
    store.save_task_scores(run.id, [TaskScoreRecord(task, 0.5, 0.3, 0.7, n, 0, 0, {"default": 0.5})])
    store.add_event("sampling", endpoint, run.id, {"per_task": n})
    return store.finish_run(run.id, status)


def test_a_pass_removes_old_samples_and_events_and_keeps_everything_else(db: Path, store: Store) -> None:
    old, reviewed, base, failed, new = (_run(store) for _ in range(5))
    store.save_verdicts(old.id, [VerdictRecord("task", "T.1", "truthfulness", "basic", "T.1", Verdict.OK)])
    store.save_review(ReviewRecord(reviewed.id, "T.1", "default", "s3", label="yes", scorer="yes_no"))
    store.set_baseline("ep", base.id)
    store.finish_run(failed.id, RunStatus.FAILED, "boom")
    for run in (old, reviewed, base, failed):
        _age(db, run.id, 40)
    assert prune(store, _config(db, retention="30d"), dry_run=True).runs_kept == 3  # the newest runs: references
    config = _config(db, regression=False, retention="30d")

    dry = prune(store, config, dry_run=True)
    assert (dry.runs, dry.samples, dry.events, dry.reviewed_kept, dry.runs_kept) == (3, 59, 4, 1, 1)
    assert len(store.results(old.id)) == 20  # a dry run removes nothing

    report = prune(store, config)
    assert (report.runs, report.samples, report.events, report.reviewed_kept, report.runs_kept) == (
        dry.runs, dry.samples, dry.events, dry.reviewed_kept, dry.runs_kept)
    assert store.results(old.id) == [] and store.results(failed.id) == []
    assert [(r.task, r.sample_id) for r in store.results(reviewed.id)] == [("T.1", "s3")]
    assert next(r for r, _ in store.reviewed_results()).sample_id == "s3"  # the labelled answer is exportable
    assert len(store.results(base.id)) == 20  # the pinned baseline keeps every sample
    assert len(store.results(new.id)) == 20  # younger than the retention
    for run in (old, reviewed, base, failed, new):  # summaries, scores and verdicts stay
        got = store.get_run(run.id)
        assert got is not None and got.total_items == 20
        assert [s.score for s in store.task_scores(run.id)] == [0.5]
    assert store.get_run(failed.id).message == "boom"  # type: ignore[union-attr]
    assert [v.name for v in store.verdicts(old.id)] == ["T.1"]
    assert store.get_baseline("ep") == base.id
    assert [e.run_id for e in store.events()] == [new.id]

    again = prune(store, config)  # nothing left to do: a second pass is a no-op
    assert (again.runs, again.samples, again.events) == (0, 0, 0)


def test_runs_that_regression_detection_reads_keep_their_samples(db: Path, store: Store) -> None:
    """However old, the newest runs an endpoint's next regression check takes windows and references from keep
    their samples; the test asks the regression monitor itself which runs those are."""
    config = _config(db, retention="1d")
    history = regression_history(config)
    assert history == 32
    runs = [_run(store, 4) for _ in range(history + 8)]
    flagged = runs[-3]  # a regression found in a run pushes the reference further back
    store.save_verdicts(flagged.id, [VerdictRecord("task", "T.1", "truthfulness", "basic", "T.1", Verdict.REGRESSED)])
    other = [_run(store, 4, endpoint="other") for _ in range(3)]
    for run in (*runs, *other):
        _age(db, run.id, 10)

    report = prune(store, config)
    assert (report.runs, report.samples, report.runs_kept) == (8, 32, history + 3)
    with_samples = {r.id for r in (*runs, *other) if store.results(r.id)}
    assert with_samples == {r.id for r in runs[-history:]} | {r.id for r in other}

    newest = _run(store, 4)  # the next run is judged against what was kept
    monitor = RegressionMonitor(config, store, all_tasks(), lambda _ep: ["T.1"])
    windows, why = monitor.windows(newest)
    assert windows, why
    read = {r for w in windows for r in (*w.runs, *w.reference)}
    assert len(read) > 1 and read <= with_samples | {newest.id}


def test_regression_off_keeps_nothing_for_it(db: Path, store: Store) -> None:
    config = _config(db, regression=False, retention="1h")
    runs = [_run(store, 3) for _ in range(4)]
    for run in runs:
        _age(db, run.id, 1)
    report = prune(store, config)
    assert (report.runs, report.samples, report.runs_kept) == (4, 12, 0)


def test_unfinished_runs_are_never_pruned(db: Path, store: Store) -> None:
    run = store.create_run("ep", "schedule", ["T.1"], "1.0", "default")
    store.add_results(run.id, [SampleResult("T.1", "default", "s1", "a", 1.0, None)])
    _age(db, run.id, 100)
    assert prune(store, _config(db, retention="1d")).samples == 0
    assert len(store.results(run.id)) == 1


def test_rows_go_in_small_batches_and_a_pass_stops_between_them(db: Path, store: Store) -> None:
    run = _run(store, 50)
    _age(db, run.id, 2)
    cutoff = datetime.now(UTC) - timedelta(days=1)
    calls = 0

    def stop_after_two() -> bool:
        nonlocal calls
        calls += 1
        return calls > 2

    partial = store.prune(cutoff, batch_size=7, should_stop=stop_after_two)
    assert partial.samples == 14 and len(store.results(run.id)) == 36
    rest = store.prune(cutoff, batch_size=7)
    assert rest.samples == 36 and store.results(run.id) == []


def test_without_a_retention_nothing_is_pruned(db: Path, store: Store) -> None:
    config = _config(db)
    with pytest.raises(ValueError, match=r"store\.retention is not set"):
        prune(store, config)
    retention = Retention(config, store)
    assert retention.period is None
    retention.start()  # a no-op: no loop, no thread


@pytest.mark.parametrize(("retention", "period"), [("30d", 3600.0), ("2h", 1800.0), ("20s", 5.0), ("2s", 1.0)])
def test_the_pass_period_follows_the_retention(db: Path, retention: str, period: float) -> None:
    assert Retention(_config(db, retention=retention)).period == period


async def test_the_service_loop_prunes_at_start_and_logs_one_line(db: Path, store: Store,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    old = _run(store, 5)
    _age(db, old.id, 3)
    retention = Retention(_config(db, regression=False, retention="1d"))
    with caplog.at_level(logging.INFO, logger="monitor.store.retention"):
        retention.start(store)
        for _ in range(200):
            if retention.passes:
                break
            await asyncio.sleep(0.01)
        await retention.stop()
    assert retention.passes == 1 and retention.last is not None and retention.last.samples == 5
    lines = [r.getMessage() for r in caplog.records if r.name == "monitor.store.retention"]
    assert len(lines) == 1 and lines[0].startswith("store retention (1d): pruned 5 sample row(s) of 1 run(s)")
    assert store.results(old.id) == []


def test_cli_store_prune(db: Path, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _run(store, 6)
    _age(db, old.id, 3)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"store": {"url": f"sqlite:///{db}", "retention": "2d"},
                                   "regression": {"enabled": False}}))
    assert main(["store", "prune", "--config", str(cfg), "--dry-run"]) == 0
    assert "would prune 6 sample row(s) of 1 run(s)" in capsys.readouterr().out
    assert len(store.results(old.id)) == 6
    assert main(["store", "prune", "--config", str(cfg)]) == 0
    assert "store retention (2d): pruned 6 sample row(s) of 1 run(s) and 1 event(s)" in capsys.readouterr().out
    assert store.results(old.id) == []
    # --older-than overrides the config; bad input is a usage error in words
    assert main(["store", "prune", "--config", str(cfg), "--older-than", "soon"]) == 2
    assert "--older-than: invalid duration 'soon'" in capsys.readouterr().err
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump({"store": {"url": f"sqlite:///{db}"}}))
    assert main(["store", "prune", "--config", str(bare)]) == 2
    assert "store.retention is not set" in capsys.readouterr().err
    assert main(["store", "prune", "--config", str(bare), "--older-than", "1h"]) == 0
    assert main(["store", "prune"]) == 2
    assert "give --config" in capsys.readouterr().err


# ---------------------------------------------------------------------- the rule, on random stores

_STATUSES = [RunStatus.SUCCEEDED, RunStatus.DEGRADED, RunStatus.STOPPED, RunStatus.FAILED, RunStatus.CANCELLED,
             RunStatus.INTERRUPTED, RunStatus.RUNNING]
_run_spec = st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["1.0", "2.0"]), st.sampled_from(_STATUSES),
                      st.integers(0, 9),  # age in days (retention: 3 days)
                      st.booleans())  # a reviewer gave a verdict on its first sample


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(_run_spec, min_size=1, max_size=12), keep=st.integers(0, 3), pin=st.integers(0, 11))
def test_what_a_pass_keeps_is_exactly_the_rule(tmp_path_factory: pytest.TempPathFactory, specs: list[Any],
                                               keep: int, pin: int) -> None:
    db = tmp_path_factory.mktemp("prop") / "monitor.db"
    with Store(f"sqlite:///{db}") as store:
        runs = []
        for i, (endpoint, suite, status, age, reviewed) in enumerate(specs):
            run = store.create_run(endpoint, "schedule", ["T.1"], suite, "default")
            store.add_results(run.id, [SampleResult("T.1", "default", f"s{j}", "a", 1.0, None) for j in range(3)])
            store.save_task_scores(run.id, [TaskScoreRecord("T.1", 1.0, 0.9, 1.0, 3, 0, 0, {})])
            if status is not RunStatus.RUNNING:
                store.finish_run(run.id, status)
            if reviewed:
                store.save_review(ReviewRecord(run.id, "T.1", "default", "s0", label="yes"))
            _age(db, run.id, age + i / 1000)  # distinct creation times
            runs.append((run.id, endpoint, suite, status, age, reviewed, age + i / 1000))
        pinned = None
        if pin < len(runs) and runs[pin][3] is RunStatus.SUCCEEDED:
            pinned = runs[pin][0]
            store.set_baseline(runs[pin][1], pinned)
        judged = {RunStatus.SUCCEEDED, RunStatus.DEGRADED, RunStatus.STOPPED}
        history: set[str] = set()
        for group in {(r[1], r[2]) for r in runs}:
            newest_first = sorted((r for r in runs if (r[1], r[2]) == group and r[3] in judged), key=lambda r: r[6])
            history |= {r[0] for r in newest_first[:keep]}

        cutoff = datetime.now(UTC) - timedelta(days=3)
        report = store.prune(cutoff, keep_newest=keep, keep_statuses=sorted(judged))

        removed = 0
        for run_id, _ep, _suite, status, age, reviewed, _days in runs:
            old = age >= 3 and status is not RunStatus.RUNNING
            whole = not old or run_id == pinned or run_id in history
            expected = 3 if whole else (1 if reviewed else 0)
            assert len(store.results(run_id)) == expected, (run_id, status, age, reviewed, whole)
            assert len(store.task_scores(run_id)) == 1 and store.get_run(run_id) is not None
            removed += 3 - expected
        assert report.samples == removed
        assert report.runs == sum(1 for r in runs if r[4] >= 3 and r[3] is not RunStatus.RUNNING
                                  and r[0] != pinned and r[0] not in history)
