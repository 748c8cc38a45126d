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
    assert sorted(runs.catalogue) == ["F.2", "F.3", "R.3"]
    record = runs.start("ep", None, "api")
    assert record.profile == "multitrust" and record.suite_version.startswith("official-")
    await runs.wait(record.id)
    results = store.results(record.id)
    assert len(results) == 5 * 4 + 5 * 2 + 2 * 5  # every variant of every official sample
    scores = {s.task: s for s in store.task_scores(record.id)}
    # "positive" is right for half of R.3; never agrees with a stereotype (multitrust: not "yes" -> disagrees)
    assert scores["R.3"].variant_scores["text"] == 0.5
    assert scores["F.2"].score == 1.0
    with pytest.raises(RunError, match=r"not available in the official data: T\.1"):
        runs.start("ep", ["T.1"], "api")
    store.close()


async def test_model_change_is_recorded_counted_and_triggers_a_full_run(tmp_path: Path) -> None:
    from monitor.adapters import ModelIdentity
    from monitor.metrics import Metrics

    class Swappable(ScriptedAdapter):
        version = "1"

        async def identity(self) -> ModelIdentity:
            return ModelIdentity("m", self.version, f"fp{self.version}")

    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/m.db"},
        "suite": {"tasks": ["T.1"], "min_scored_samples": 1, "max_samples_per_task": 2},
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m",
                       "model_check": {"interval": "1m", "canary": True}}],
    })
    store = Store(cfg.store.url)
    bus = events.EventBus()
    metrics = Metrics()
    bus.subscribe(metrics.on_event)
    adapter = Swappable(lambda rid, n: "answer from v" + Swappable.version)
    runs = RunManager(cfg, store, bus, {"ep": adapter})
    first = runs.start("ep", None, "schedule")
    await runs.wait(first.id)
    assert await runs.check_model("ep") is False  # nothing changed
    Swappable.version = "2"  # a new model version is deployed behind the endpoint
    assert await runs.check_model("ep") is True
    (triggered,) = [r for r in store.list_runs("ep") if r.trigger == "model_change"]
    await runs.wait(triggered.id)
    done = store.get_run(triggered.id)
    assert done is not None and done.status.value == "succeeded" and done.model_version == "2"
    assert done.total_items == 2  # a full run (this config caps samples at 2 per task)
    (change,) = [e for e in store.events("ep") if e.kind == events.MODEL_CHANGED]
    assert change.detail["from"]["version"] == "1" and change.detail["to"]["version"] == "2"  # type: ignore[index]
    assert metrics.model_changes.labels("ep")._value.get() == 1
    # canary answers are part of the fingerprint
    assert first.id != triggered.id and done.model_fingerprint != store.get_run(first.id).model_fingerprint  # type: ignore[union-attr]
    assert any(rid.startswith("canary/") for rid in adapter.calls)
    store.close()


async def test_openai_system_fingerprint_change_is_seen_by_the_canary(tmp_path: Path) -> None:
    from monitor.adapters import create_adapter
    from tests.openai_server import fake_openai

    async with fake_openai(lambda body, n: "ready") as server:
        cfg = Config.model_validate({
            "store": {"url": f"sqlite:///{tmp_path}/fp.db"},
            "suite": {"tasks": ["T.1"]},
            "endpoints": [{"name": "oa", "kind": "openai", "base_url": server.base_url, "model": server.model,
                           "model_check": {"canary": True, "run_on_change": False}}],
        })
        store = Store(cfg.store.url)
        adapter = create_adapter(cfg.endpoints[0])
        runs = RunManager(cfg, store, events.EventBus(), {"oa": adapter})
        assert await runs.check_model("oa") is False  # first sight
        assert await runs.check_model("oa") is False
        server.fingerprint = "fp_test_2"  # same model name, new backend build
        assert await runs.check_model("oa") is True
        await adapter.close()
        store.close()
