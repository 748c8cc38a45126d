"""Every one of the 32 tasks runs against the demo model on a real Triton server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.config import Config
from monitor.service import Service
from probes.catalogue import all_tasks
from tests.integration.test_service import free_port

pytestmark = [pytest.mark.triton]


async def test_every_task_runs_against_triton(tmp_path: Path, triton_server: Any) -> None:
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/all.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "suite": {"max_samples_per_task": 2, "min_scored_samples": 1},
        "endpoints": [{"name": "demo", "kind": "triton", "url": f"127.0.0.1:{triton_server.grpc_port}",
                       "model": "llava_demo", "concurrency": 4, "max_tokens": 12}],
    })
    service = Service(cfg)
    await service.start()
    try:
        record = service.runs.start("demo", None, "api")
        await service.runs.wait(record.id)
        run = service.store.get_run(record.id)
        results = service.store.results(record.id)
    finally:
        await service.stop()
    tasks = all_tasks()
    assert len(tasks) == 32
    assert run is not None and run.status.value == "succeeded" and run.error_items == 0
    assert {r.task for r in results} == set(tasks)
    assert len(results) == sum(len(t.variants) * 2 for t in tasks.values())
    assert all(r.answer is not None for r in results)
