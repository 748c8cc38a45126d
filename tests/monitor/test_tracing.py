"""Spans run → task → request, with ids and outcomes as attributes and no prompt text."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import events
from monitor.config import Config
from monitor.runs import RunManager
from monitor.store import Store
from monitor.tracing import setup_tracing
from tests.scripted import ScriptedAdapter
from tests.spans import memory_spans


def test_no_exporter_without_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert setup_tracing() is False


async def test_run_task_request_spans(tmp_path: Path) -> None:
    exporter = memory_spans()
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/t.db"},
        "suite": {"tasks": ["T.1", "S.4"], "max_samples_per_task": 3, "min_scored_samples": 1},
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m"}],
    })
    store = Store(cfg.store.url)
    runs = RunManager(cfg, store, events.EventBus(), {"ep": ScriptedAdapter(lambda rid, n: "yes")})
    record = runs.start("ep", None, "api")
    await runs.wait(record.id)
    store.close()
    spans = [s for s in exporter.get_finished_spans() if s.attributes and s.attributes.get("run.id", "") in
             (record.id, "")]
    (run,) = [s for s in spans if s.name == "run"]
    tasks = [s for s in spans if s.name == "task"]
    requests = [s for s in exporter.get_finished_spans() if s.name == "request"
                and s.parent is not None and s.parent.span_id in {t.context.span_id for t in tasks}]
    assert {t.attributes["task"] for t in tasks if t.attributes} == {"T.1", "S.4"}
    assert all(t.parent is not None and t.parent.span_id == run.context.span_id for t in tasks)
    assert len(requests) == 6
    assert all(r.attributes and r.attributes["outcome"] == "ok" for r in requests)
    prompts = {s.prompt for t in runs.catalogue.values() for s in t.samples}
    for span in [run, *tasks, *requests]:
        assert not any(str(v) in prompts for v in (span.attributes or {}).values())
