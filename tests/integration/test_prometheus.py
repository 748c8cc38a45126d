"""A real Prometheus server scrapes the monitor and answers queries on the contract's metric names."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.service import Service
from tests.integration.test_service import Running, free_port, make_config, pb2
from tests.promstack import binary, start_prometheus, stop

pytestmark = [pytest.mark.triton]


async def _query(base: str, expr: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as s, s.get(f"{base}/api/v1/query", params={"query": expr}) as r:
        body = await r.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


async def test_prometheus_scrapes_scores(tmp_path: Path, triton_server: Any) -> None:
    binary("prometheus")  # skips (or fails under CI) before anything starts
    service = Service(make_config(tmp_path, triton_server.grpc_port))
    await service.start()
    running = Running(service)
    prom_port = free_port()
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: trust-monitor\n    static_configs: [{{targets: ['{service.config.server.http_listen}']}}]\n"
    )
    proc = start_prometheus(tmp_path / "prometheus.yml", tmp_path, prom_port)
    base = f"http://127.0.0.1:{prom_port}"
    try:
        run = await running.stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["S.4", "P.6"]))
        final = await running.wait_run(run.id)
        assert final.status == pb2.RUN_STATUS_SUCCEEDED
        result: list[dict[str, Any]] = []
        for _ in range(60):
            try:
                result = await _query(base, 'trust_task_score{endpoint="demo"}')
            except aiohttp.ClientError:
                result = []
            if result:
                break
            await asyncio.sleep(0.5)
        assert result, "Prometheus never saw trust_task_score"
        assert 0.0 <= float(result[0]["value"][1]) <= 1.0
        tasks = await _query(base, 'trust_task_samples{endpoint="demo"}')
        assert {r["metric"]["task"] for r in tasks} <= {"S.4", "P.6"}
        up = await _query(base, 'up{job="trust-monitor"}')
        assert up and up[0]["value"][1] == "1"
    finally:
        stop(proc)
        await running.channel.close()
        await service.stop()
