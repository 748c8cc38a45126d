"""A new model version deployed on the Triton server: the next check records the change and starts a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import events
from monitor.config import Config
from monitor.service import Service
from tests.integration.test_service import free_port
from tests.triton_server import free_ports, running_triton_server

pytestmark = [pytest.mark.triton]


async def test_version_swap_on_triton_is_detected_and_triggers_a_run(tmp_path: Path) -> None:
    ports = free_ports(3)
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/swap.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "suite": {"tasks": ["S.4"], "max_samples_per_task": 3, "min_scored_samples": 1},
        "endpoints": [{"name": "demo", "kind": "triton", "url": f"127.0.0.1:{ports[0]}", "model": "llava_demo",
                       "max_tokens": 8, "model_check": {"run_on_change": True}}],
    })
    service = Service(cfg)
    await service.start()
    try:
        with running_triton_server(model_version="1", ports=ports):
            first = service.runs.start("demo", None, "api")
            await service.runs.wait(first.id)
            assert await service.runs.check_model("demo") is False
        with running_triton_server(model_version="2", ports=ports):  # the model update
            assert await service.runs.check_model("demo") is True
            (triggered,) = [r for r in service.store.list_runs("demo") if r.trigger == "model_change"]
            await service.runs.wait(triggered.id)
        before = service.store.get_run(first.id)
        after = service.store.get_run(triggered.id)
        changes = [e for e in service.store.events("demo") if e.kind == events.MODEL_CHANGED]
        metrics = service.metrics
    finally:
        await service.stop()
    assert before is not None and before.model_version == "1"
    assert after is not None and after.status.value == "succeeded" and after.model_version == "2"
    assert len(changes) == 1 and changes[0].detail["to"]["version"] == "2"  # type: ignore[index]
    assert metrics.model_changes.labels("demo")._value.get() == 1
    info = [s for s in metrics.model_info.collect()[0].samples if s.labels["endpoint"] == "demo"]
    assert [s.labels["version"] for s in info] == ["2"]  # trust_model_info follows the new version
