"""Run planning: scheduled runs rotate through a subset; on-demand runs send everything."""

from __future__ import annotations

from pathlib import Path

from monitor import events
from monitor.config import Config
from monitor.runs import RunManager
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
