"""A new model deployed behind an endpoint: the next check records the change and starts a run — on a Triton
server (a new model version), and on an OpenAI-compatible server without identity routes (a new build, seen only
in the replies' ``system_fingerprint``) through the scheduler's periodic check."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from monitor import events
from monitor.adapters import create_adapter
from monitor.config import Config
from monitor.runs import RunManager
from monitor.scheduler import Scheduler
from monitor.service import Service
from monitor.store import Store
from tests.integration.test_service import free_port
from tests.openai_server import fake_openai
from tests.triton_server import free_ports, running_triton_server


async def test_periodic_check_sees_a_new_build_on_a_server_without_model_routes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="monitor")
    async with fake_openai(lambda body, n: "ready", model_route=False) as server:
        cfg = Config.model_validate({
            "store": {"url": f"sqlite:///{tmp_path}/periodic.db"},
            "suite": {"tasks": ["T.1"], "max_samples_per_task": 3, "min_scored_samples": 1},
            "endpoints": [{"name": "gw", "kind": "openai", "base_url": server.base_url, "model": server.model,
                           "model_check": {"interval": "100ms", "run_on_change": True}}],
        })
        store = Store(cfg.store.url)
        adapter = create_adapter(cfg.endpoints[0])
        runs = RunManager(cfg, store, events.EventBus(), {"gw": adapter})
        scheduler = Scheduler(cfg, runs)
        scheduler.start()
        try:
            def checks() -> int:
                return sum(1 for _, b in server.requests if b["max_tokens"] == 8)

            async def until_checks(n: int) -> None:
                for _ in range(200):
                    if checks() >= n:
                        return
                    await asyncio.sleep(0.05)
                raise AssertionError(f"only {checks()} periodic checks in 10 s")

            await until_checks(5)  # several periodic checks of the unchanged server
            assert not [r for r in store.list_runs("gw") if r.trigger == "model_change"]
            server.fingerprint = "fp_test_2"  # the gateway now routes to a new build
            for _ in range(200):
                triggered = [r for r in store.list_runs("gw") if r.trigger == "model_change"]
                if triggered:
                    break
                await asyncio.sleep(0.05)
            assert len(triggered) == 1, "the periodic check did not start a run for the new build"
            await runs.wait(triggered[0].id)
            await until_checks(checks() + 3)  # and later checks see nothing new
        finally:
            scheduler.stop()
            await runs.shutdown()
            await adapter.close()
    run = store.get_run(triggered[0].id)
    assert run is not None and run.status.value == "succeeded" and run.model_version == "fp_test_2"
    changes = [e for e in store.events("gw") if e.kind == events.MODEL_CHANGED]
    assert len(changes) == 1
    warned = [r for r in caplog.records
              if r.levelno >= logging.WARNING and "by what the replies name" in r.getMessage()]
    assert len(warned) == 1  # once for the missing routes, not once per check
    store.close()


@pytest.mark.triton
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
