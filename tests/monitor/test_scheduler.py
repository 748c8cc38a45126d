"""The scheduler never runs one endpoint twice at once, and an overrunning run does not pile up."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from monitor import events
from monitor.config import Config
from monitor.runs import RunManager
from monitor.scheduler import Scheduler
from monitor.store import RunStatus, Store
from tests.scripted import ScriptedAdapter


def _config(tmp: Path, interval: str) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{tmp}/s.db"},
        "suite": {"tasks": ["T.1"], "max_samples_per_task": 4, "min_scored_samples": 1},
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m", "concurrency": 1,
                       "schedule": {"interval": interval}}],
    })


async def test_overrunning_runs_do_not_overlap_or_pile_up(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "300ms")
    store = Store(cfg.store.url)
    # 4 samples x 0.25 s at concurrency 1: each run takes ~1 s, more than three intervals
    adapter = ScriptedAdapter(lambda rid, n: "yes", delay=0.25)
    runs = RunManager(cfg, store, events.EventBus(), {"ep": adapter})
    scheduler = Scheduler(cfg, runs)
    scheduler.start()
    try:
        await asyncio.sleep(2.6)
    finally:
        scheduler.stop()
        await runs.shutdown()
    records = sorted(store.list_runs("ep"), key=lambda r: r.created_at)
    store.close()
    assert 2 <= len(records) <= 3, [r.status for r in records]  # not the ~8 firings of a 300 ms interval
    assert adapter.max_in_flight == 1
    finished = [r for r in records if r.status is RunStatus.SUCCEEDED]
    assert finished and all(r.trigger == "schedule" for r in records)
    for earlier, later in itertools.pairwise(records):
        assert earlier.finished_at is not None and later.started_at is not None
        assert earlier.finished_at <= later.started_at  # never two runs of one endpoint at once
    assert records[-1].status in (RunStatus.SUCCEEDED, RunStatus.INTERRUPTED)


async def test_on_demand_run_waits_for_the_running_one(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "1h")
    store = Store(cfg.store.url)
    adapter = ScriptedAdapter(lambda rid, n: "yes", delay=0.1)
    runs = RunManager(cfg, store, events.EventBus(), {"ep": adapter})
    first = runs.start("ep", None, "api")
    second = runs.start("ep", None, "api")
    await runs.wait(first.id)
    await runs.wait(second.id)
    a, b = store.get_run(first.id), store.get_run(second.id)
    store.close()
    assert a is not None and b is not None and a.finished_at is not None and b.started_at is not None
    assert a.finished_at <= b.started_at
    assert adapter.max_in_flight == 1


def test_nominal_interval() -> None:
    from datetime import UTC, datetime

    from monitor.config import ScheduleConfig
    from monitor.scheduler import nominal_interval

    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert nominal_interval(None) is None
    assert nominal_interval(ScheduleConfig(interval=900)) == 900
    assert nominal_interval(ScheduleConfig(cron="*/15 * * * *"), monday) == 900
    assert nominal_interval(ScheduleConfig(cron="0 9 * * 1-5"), monday) == 3 * 86400  # over the weekend
    assert nominal_interval(ScheduleConfig(run_on_start=True)) is None
