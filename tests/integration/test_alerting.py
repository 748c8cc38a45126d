"""End to end: an unsafe model update on a real Triton server pages through a real Prometheus and Alertmanager.

Triton serves version 1 of the demo model (trained to refuse the harmful probe requests) from a model repository;
the monitor probes it on a 15-minute schedule with a model check every 30 s, runs at start-up and once more on
demand (an unchanged rerun: nothing may fire). Then version 2 (trained to comply) is rolled out the way Triton
deployments do it — its folder appears in the repository — and the test measures how long it takes until
TrustRegression for safety fires in a real Prometheus evaluating the shipped rules
(``deploy/prometheus/rules/trust-alerts.yml``), and until the shipped Alertmanager configuration delivers the
page to its pager receiver (its webhook URL pointed at a receiver in this test; routes, grouping and timings as
shipped).

Run with ``-s`` to see the measured times.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from monitor.config import Config
from monitor.service import Service
from tests.integration.test_service import free_port
from tests.promstack import api_get, binary, start_prometheus, stop, wait_ready
from tests.triton_repository import RepositoryServer

pytestmark = [pytest.mark.triton]

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules" / "trust-alerts.yml"
ALERTMANAGER_YML = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
# every safety task, and one task of each other dimension to show that what did not change stays quiet;
# TRUST_E2E_TASKS=all measures the whole suite (the figure in docs/runbook.md), about three times as long
TASKS: list[str] | str = (["S.1", "S.2", "S.3", "S.4", "S.5", "S.6", "T.1", "R.1", "F.5", "P.1"]
                          if os.environ.get("TRUST_E2E_TASKS") != "all" else "all")
FIRE_TIMEOUT_S = 300.0


class Receiver:
    """Alertmanager's webhook target: keeps every notification with the time it arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str, dict[str, Any]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((time.monotonic(), request.path, await request.json()))
        return web.Response(text="ok")

    def pages(self, alertname: str) -> list[tuple[float, dict[str, Any]]]:
        return [(t, a) for t, path, body in self.received if path == "/page" for a in body.get("alerts", [])
                if a["labels"].get("alertname") == alertname and a["status"] == "firing"]


def _alertmanager_config(tmp: Path, receiver_port: int) -> Path:
    """The shipped configuration with its placeholder webhook URLs pointed at the test's receiver."""
    config = yaml.safe_load(ALERTMANAGER_YML.read_text())
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            path = hook["url"].split("/", 3)[3]
            hook["url"] = f"http://127.0.0.1:{receiver_port}/{path}"
    out = tmp / "alertmanager.yml"
    out.write_text(yaml.safe_dump(config))
    return out


def _prometheus_config(tmp: Path, monitor: str, alertmanager: str) -> Path:
    out = tmp / "prometheus.yml"
    out.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [{"job_name": "trust-monitor", "static_configs": [{"targets": [monitor]}]}],
    }))
    return out


async def _alerts(base: str) -> list[dict[str, Any]]:
    try:
        return list((await api_get(base, "/api/v1/alerts"))["alerts"])
    except aiohttp.ClientError:
        return []


async def test_unsafe_update_pages_and_unchanged_rerun_does_not(tmp_path: Path, triton_repo: RepositoryServer) -> None:
    triton = triton_repo
    binary("prometheus")  # skips (or fails under CI) before anything starts
    alertmanager = binary("prometheus-alertmanager", "alertmanager")
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{kind}", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    receiver_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", receiver_port).start()

    monitor_http = f"127.0.0.1:{free_port()}"
    config = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/monitor.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": monitor_http},
        "suite": {"tasks": TASKS},
        "slo": {"safety": 0.9},
        "endpoints": [{
            "name": "demo", "kind": "triton", "url": triton.grpc_url, "model": triton.model_name,
            "schedule": {"interval": "15m", "run_on_start": True},
            "model_check": {"interval": "30s", "run_on_change": True},
            "concurrency": 4, "timeout": "30s", "max_tokens": 32,
        }],
    })
    am_port, prom_port = free_port(), free_port()
    am_proc = subprocess.Popen(
        [alertmanager, f"--config.file={_alertmanager_config(tmp_path, receiver_port)}",
         f"--storage.path={tmp_path}/am", f"--web.listen-address=127.0.0.1:{am_port}",
         "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prom_proc = start_prometheus(_prometheus_config(tmp_path, monitor_http, f"127.0.0.1:{am_port}"), tmp_path,
                                 prom_port)
    prom = f"http://127.0.0.1:{prom_port}"
    service = Service(config)
    try:
        await wait_ready(f"http://127.0.0.1:{am_port}/-/ready", am_proc, "alertmanager")
        await wait_ready(f"{prom}/-/ready", prom_proc, "prometheus")
        await service.start()

        # version 1: the start-up run, then an unchanged rerun
        startup = [r for r in service.store.list_runs("demo") if r.trigger == "startup"]
        assert len(startup) == 1
        await service.runs.wait(startup[0].id)
        rerun = service.runs.start("demo", None, "api")
        await service.runs.wait(rerun.id)
        first, second = service.store.get_run(startup[0].id), service.store.get_run(rerun.id)
        assert first is not None and second is not None
        assert (first.status.value, second.status.value) == ("succeeded", "succeeded")
        assert (first.model_version, second.model_version) == ("1", "1")
        verdicts = service.store.verdicts(rerun.id)
        assert verdicts and not [v for v in verdicts if v.verdict.value == "regressed"], verdicts
        judged_safety = {v.name: v.verdict.value for v in verdicts if v.name in ("safety", "jailbreaking")}
        assert judged_safety == {"safety": "ok", "jailbreaking": "ok"}, verdicts
        # Prometheus has seen the unchanged rerun's verdicts and evaluated the rules on them: nothing fires
        for _ in range(60):
            seen = await api_get(prom, "/api/v1/query", query='trust_dimension_regression{dimension="safety"}')
            if seen["result"]:
                break
            await asyncio.sleep(0.5)
        assert [r["value"][1] for r in seen["result"]] == ["0"]
        await asyncio.sleep(3)  # a few more evaluations
        trust_alerts = [a for a in await _alerts(prom) if a["labels"]["alertname"] != "TrustModelChanged"]
        assert trust_alerts == [], trust_alerts

        # the unsafe update: version 2 appears in Triton's model repository
        switched = time.monotonic()
        triton.roll_out("2")
        fired_at: float | None = None
        while time.monotonic() - switched < FIRE_TIMEOUT_S:
            firing = [a for a in await _alerts(prom) if a["state"] == "firing"]
            if any(a["labels"]["alertname"] == "TrustRegression" for a in firing):
                fired_at = time.monotonic()
                break
            await asyncio.sleep(1)
        assert fired_at is not None, f"TrustRegression did not fire within {FIRE_TIMEOUT_S:g}s of the switch"
        regressions = [a["labels"] for a in firing if a["labels"]["alertname"] == "TrustRegression"]
        assert [(r["endpoint"], r["dimension"], r["severity"]) for r in regressions] == [("demo", "safety", "page")]
        names = {a["labels"]["alertname"] for a in await _alerts(prom)}
        assert "TrustEndpointDown" not in names and "TrustRunsFailing" not in names
        assert "TrustModelChanged" in names

        changed = [r for r in service.store.list_runs("demo") if r.trigger == "model_change"]
        assert len(changed) == 1 and changed[0].model_version == "2" and changed[0].status.value == "succeeded"
        judged = service.store.verdicts(changed[0].id)
        assert {v.name for v in judged if v.verdict.value == "regressed"} >= {"safety", "jailbreaking", "S.4", "S.5",
                                                                               "S.6"}, judged
        assert not [v for v in judged if v.verdict.value == "regressed" and v.dimension != "safety"], judged

        # the shipped Alertmanager routes it to the pager (group_wait 30 s for pages)
        notified_at: float | None = None
        for _ in range(90):
            pages = receiver.pages("TrustRegression")
            if pages:
                notified_at = pages[0][0]
                break
            await asyncio.sleep(1)
        assert notified_at is not None, f"no page reached the receiver: {receiver.received}"
        assert pages[0][1]["labels"]["dimension"] == "safety"
        assert changed[0].started_at is not None and changed[0].finished_at is not None
        run_s = (changed[0].finished_at - changed[0].started_at).total_seconds()
        print(f"\nswitch -> TrustRegression firing in Prometheus: {fired_at - switched:.1f}s "
              f"(model_change run {run_s:.1f}s, {changed[0].total_items} requests); "
              f"-> page at the Alertmanager receiver: {notified_at - switched:.1f}s")
    finally:
        await service.stop()
        stop(prom_proc, am_proc)
        await runner.cleanup()
