"""Run planning: scheduled runs rotate through a subset; on-demand runs send everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import events
from monitor.config import Config
from monitor.runs import RunError, RunManager
from monitor.store import Store
from tests.scripted import ScriptedAdapter


async def test_scheduled_runs_rotate_and_on_demand_runs_send_all(tmp_path: Path) -> None:
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/r.db"},
        "suite": {"tasks": ["T.1"], "min_scored_samples": 1},
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m",
                       "sampling": {"per_task": 10}}],
    })
    store = Store(cfg.store.url)
    runs = RunManager(cfg, store, events.EventBus(), {"ep": ScriptedAdapter(lambda rid, n: "yes")})
    windows = []
    for _ in range(4):
        record = runs.start("ep", None, "schedule")
        await runs.wait(record.id)
        windows.append({r.sample_id for r in store.results(record.id)})
    assert all(len(w) == 10 for w in windows)
    assert len(set().union(*windows)) == 40  # four scheduled runs cover all 40 samples of T.1
    full = runs.start("ep", None, "api")
    await runs.wait(full.id)
    assert len(store.results(full.id)) == 40
    sampling_events = [e for e in store.events("ep") if e.kind == "sampling"]
    assert sorted(int(str(e.detail["run_number"])) for e in sampling_events) == [0, 1, 2, 3]
    store.close()


async def test_official_data_runs_through_the_same_runner_with_the_multitrust_profile(tmp_path: Path) -> None:
    from tests.probes.official_fixture import write_official

    data = write_official(tmp_path / "data")
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/o.db"},
        "suite": {"official_data": str(data), "min_scored_samples": 2},
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m"}],
    })
    store = Store(cfg.store.url)
    runs = RunManager(cfg, store, events.EventBus(), {"ep": ScriptedAdapter(lambda rid, n: "positive")})
    assert sorted(runs.catalogue) == ["F.2", "R.3"]
    record = runs.start("ep", None, "api")
    assert record.profile == "multitrust" and record.suite_version.startswith("official-")
    await runs.wait(record.id)
    results = store.results(record.id)
    assert len(results) == 5 * 4 + 5 * 2  # every variant of every official sample
    scores = {s.task: s for s in store.task_scores(record.id)}
    # "positive" is right for half of R.3; never agrees with a stereotype (multitrust: not "yes" -> disagrees)
    assert scores["R.3"].variant_scores["text"] == 0.5
    assert scores["F.2"].score == 1.0
    with pytest.raises(RunError, match=r"not available in the official data: T\.1"):
        runs.start("ep", ["T.1"], "api")
    store.close()
