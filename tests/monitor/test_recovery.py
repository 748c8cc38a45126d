"""Interrupted runs are resumed at start-up: only the items with no stored result are sent, each item ends stored
exactly once, and runs that must not be resumed stay interrupted with the reason."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from monitor import events
from monitor.adapters import ModelIdentity
from monitor.config import Config
from monitor.recovery import Recovery
from monitor.runs import RunManager
from monitor.store import RunStatus, Store
from monitor.store.schema import EventRow, RunRow
from tests.scripted import ScriptedAdapter


def _config(tmp_path: Path, **recovery: Any) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/r.db"},
        "suite": {"tasks": ["T.1", "F.2"], "min_scored_samples": 1, "max_samples_per_task": 12},
        "recovery": recovery,
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m", "concurrency": 4,
                       "sampling": {"per_task": 5}}],
    })


class Identified(ScriptedAdapter):
    fingerprint = "abc"

    async def identity(self) -> ModelIdentity:
        return ModelIdentity("scripted-model", "7", self.fingerprint)


async def _interrupt_midway(cfg: Config, store: Store, adapter: ScriptedAdapter, trigger: str = "api") -> str:
    """Start a run, let part of it be stored, stop the process's run manager as a SIGTERM would."""
    bus = events.EventBus()
    enough = asyncio.Event()
    bus.subscribe(lambda e: enough.set() if e.kind == events.SAMPLE_DONE and e.done >= 8 else None)
    runs = RunManager(cfg, store, bus, {"ep": adapter})
    record = runs.start("ep", None, trigger)
    await asyncio.wait_for(enough.wait(), 30)
    await runs.shutdown()
    current = store.get_run(record.id)
    assert current is not None and current.status is RunStatus.INTERRUPTED
    return record.id


async def _restart(cfg: Config, store: Store, adapter: ScriptedAdapter) -> tuple[RunManager, list[str]]:
    runs = RunManager(cfg, store, events.EventBus(), {"ep": adapter})
    resumed = await Recovery(cfg, store, runs).resume_interrupted()
    for run_id in resumed:
        await runs.wait(run_id)
    return runs, resumed


async def test_an_interrupted_run_is_finished_with_every_item_exactly_once(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    store = Store(cfg.store.url)
    first = Identified(lambda rid, n: "yes", delay=0.01)
    run_id = await _interrupt_midway(cfg, store, first)
    stored_before = {(r.task, r.variant, r.sample_id) for r in store.results(run_id)}
    record = store.get_run(run_id)
    assert record is not None and record.done_items == len(stored_before)  # the row never runs ahead of its rows

    second = Identified(lambda rid, n: "yes")
    _, resumed = await _restart(cfg, store, second)
    assert resumed == [run_id]
    record = store.get_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    results = store.results(run_id)
    keys = [(r.task, r.variant, r.sample_id) for r in results]
    plan = {f"{it.task.id}/{it.variant}/{it.sample.id}" for it in RunManager(
        cfg, store, events.EventBus(), {"ep": second}).plan(["T.1", "F.2"])}
    assert len(keys) == len(set(keys)) == len(plan) == record.total_items == record.done_items
    assert {f"{t}/{v}/{s}" for t, v, s in keys} == plan
    # only what was missing was sent again, each once
    assert set(second.calls) == {f"{t}/{v}/{s}" for t, v, s in set(keys) - stored_before}
    assert all(n == 1 for n in second.calls.values())
    assert {s.task for s in store.task_scores(run_id)} == {"T.1", "F.2"}
    assert [e.detail["attempt"] for e in store.run_events(run_id, events.RUN_RESUMED)] == [1]
    store.close()


async def test_a_sampled_run_is_resumed_with_its_own_rotation(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    store = Store(cfg.store.url)
    for _ in range(2):  # two finished scheduled runs move the rotation on
        runs = RunManager(cfg, store, events.EventBus(), {"ep": Identified(lambda rid, n: "yes")})
        done = runs.start("ep", None, "schedule")
        await runs.wait(done.id)
    run_id = await _interrupt_midway(cfg, store, Identified(lambda rid, n: "yes", delay=0.05), "schedule")
    planned = RunManager(cfg, store, events.EventBus(), {}).plan(["T.1", "F.2"], (5, 2))
    await _restart(cfg, store, Identified(lambda rid, n: "yes"))
    stored = {(r.task, r.variant, r.sample_id) for r in store.results(run_id)}
    assert stored == {(it.task.id, it.variant, it.sample.id) for it in planned}
    store.close()


def _age(store: Store, run_id: str, hours: float) -> None:
    with store._tx(write=True) as s:
        s.execute(update(RunRow).where(RunRow.id == run_id).values(
            created_at=datetime.now(UTC) - timedelta(hours=hours)))


@pytest.mark.parametrize(("case", "reason"), [
    ("too old", None),
    ("resume off", None),
    ("endpoint gone", "endpoint 'ep' is no longer configured"),
    ("suite changed", "the suite changed since the run started"),
    ("resumed too often", "interrupted again after 3 resumption(s)"),
    ("model changed", "the model behind the endpoint changed since the run started"),
    ("sampling record pruned", "the record of its sampled subset is gone"),
])
async def test_runs_that_must_not_be_resumed_stay_interrupted(tmp_path: Path, case: str, reason: str | None) -> None:
    cfg = _config(tmp_path, **({"resume": False} if case == "resume off" else {}))
    store = Store(cfg.store.url)
    trigger = "schedule" if case == "sampling record pruned" else "api"
    run_id = await _interrupt_midway(cfg, store, Identified(lambda rid, n: "yes", delay=0.01), trigger)
    stored = len(store.results(run_id))
    if case == "too old":
        _age(store, run_id, 7)
    elif case == "endpoint gone":
        cfg = cfg.model_copy(update={"endpoints": []})
    elif case == "suite changed":
        with store._tx(write=True) as s:
            s.execute(update(RunRow).where(RunRow.id == run_id).values(suite_version="older"))
    elif case == "sampling record pruned":
        with store._tx(write=True) as s:  # what a retention shorter than recovery.max_age does to its events
            s.execute(delete(EventRow).where(EventRow.run_id == run_id, EventRow.kind == "sampling"))
    elif case == "resumed too often":
        for n in range(3):
            store.add_event(events.RUN_RESUMED, "ep", run_id, {"attempt": n + 1})
    later = Identified(lambda rid, n: "yes")
    if case == "model changed":
        later.fingerprint = "a-new-model"
    _, resumed = await _restart(cfg, store, later)
    assert resumed == ([run_id] if case == "model changed" else [])  # that one is found out once it holds the endpoint
    record = store.get_run(run_id)
    assert record is not None and record.status is RunStatus.INTERRUPTED
    assert len(store.results(run_id)) == stored and not later.calls  # nothing sent, nothing lost
    if reason is None:
        assert not store.run_events(run_id, events.RUN_NOT_RESUMED)
    else:
        assert reason in record.message
        said = store.run_events(run_id, events.RUN_NOT_RESUMED)
        assert str(said[0].detail["reason"]).startswith(reason)
        # said once: a second restart leaves it alone without another event
        await _restart(cfg, store, Identified(lambda rid, n: "yes"))
        assert len(store.run_events(run_id, events.RUN_NOT_RESUMED)) == 1
    store.close()
