"""End to end: every PromQL expression of the three Grafana dashboards returns data from a real Prometheus.

A real Prometheus (the Debian package) runs the shipped scrape configuration (deploy/prometheus/prometheus.yml:
its jobs pointed at this test's ports, 1 s intervals) and the shipped rules. It scrapes a monitor probing two
endpoints — ``demo``, the real Triton server serving the demo model from a model repository, and ``vendor``, a
local server speaking the OpenAI wire format, the kind of endpoint that reports token usage and is priced — and
Triton's own metrics port, so the nv_inference_* panels have data too. Version 2 of the demo model (trained to
comply with the harmful requests) is rolled out after the start-up runs, so the model-change run is judged
`regressed` for safety and TrustRegression fires: the regression panels and annotations have something to show.
Then every panel target, variable query and annotation of every dashboard is run through /api/v1/query with the
variables substituted, and each must return data: no panel ships empty.

Run with ``-s`` to see how long it takes and how many expressions were checked.
"""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config import Config
from monitor.service import Service
from tests.dashboards.promql import Expression, all_expressions, substitute
from tests.integration.test_service import free_port
from tests.openai_server import fake_openai
from tests.promstack import api_get, binary, start_prometheus, stop, wait_ready
from tests.triton_repository import RepositoryServer

pytestmark = [pytest.mark.triton]

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
RULES = ROOT / "deploy" / "prometheus" / "rules" / "trust-alerts.yml"
# Both jailbreak tasks the unsafe version fails, and one task of every other dimension: every dimension and the
# overall score get a value, and a run takes seconds.
DEMO_TASKS = ["S.4", "S.5", "T.1", "R.1", "F.1", "P.1"]
VENDOR_TASKS = ["T.1"]
DIMENSIONS = ("truthfulness", "safety", "robustness", "fairness", "privacy")
# The variables as Grafana would substitute them: multi-value variables in a regex become an alternation.
VALUES = {
    "endpoint": "(demo|vendor)", "dimension": "(safety)",
    "__rate_interval": "5m", "__range": "1h", "__interval": "15s",
}
# Expressions allowed to come back empty here, by "<file>: <where>", with the reason. Keep it short.
EXEMPT: dict[str, str] = {}
RUN_TIMEOUT_S = 300.0


def _prometheus_config(tmp: Path, monitor: str, triton_metrics: str) -> Path:
    """The shipped configuration, its jobs pointed at this test's monitor and Triton, intervals shortened to 1 s,
    the rules loaded from the repository, no Alertmanager."""
    config = yaml.safe_load(SHIPPED_CONFIG.read_text())
    targets = {"trust-monitor": monitor, "triton": triton_metrics}
    assert {job["job_name"] for job in config["scrape_configs"]} == set(targets), "the shipped jobs changed"
    config["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(RULES)]
    config.pop("alerting", None)
    for job in config["scrape_configs"]:
        job["scrape_interval"] = "1s"
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    out = tmp / "prometheus.yml"
    out.write_text(yaml.safe_dump(config))
    return out


def _config(tmp: Path, triton: RepositoryServer, vendor_url: str) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{tmp}/monitor.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "suite": {"tasks": DEMO_TASKS},
        "slo": dict.fromkeys(DIMENSIONS, 0.6),
        "endpoints": [
            {"name": "demo", "kind": "triton", "url": triton.grpc_url, "model": triton.model_name,
             "schedule": {"interval": "15m", "run_on_start": True},
             "model_check": {"interval": "2s", "run_on_change": True},
             "concurrency": 4, "timeout": "30s", "max_tokens": 32},
            {"name": "vendor", "kind": "openai", "base_url": vendor_url, "model": "vision-test-1",
             "api_key": {"env": "TM_TEST_VENDOR_KEY"}, "tasks": VENDOR_TASKS,
             "schedule": {"interval": "15m", "run_on_start": True},
             "pricing": {"input_per_million": 2.5, "output_per_million": 10.0},
             "concurrency": 8, "max_tokens": 16, "retries": {"backoff_initial": "10ms"}},
        ],
    })


async def _wait_run(service: Service, endpoint: str, trigger: str) -> Any:
    """The endpoint's run of that trigger, once it has finished."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        runs = [r for r in service.store.list_runs(endpoint) if r.trigger == trigger]
        if runs:
            await service.runs.wait(runs[0].id)
            run = service.store.get_run(runs[0].id)
            assert run is not None
            return run
        await asyncio.sleep(0.5)
    pytest.fail(f"no {trigger} run of {endpoint} within {RUN_TIMEOUT_S:g}s")


async def _until(prom: str, expr: str, what: str, timeout_s: float = 120.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = list((await api_get(prom, "/api/v1/query", query=expr))["result"])
        if result:
            return result
        await asyncio.sleep(0.5)
    pytest.fail(f"{what}: {expr} returned nothing within {timeout_s:g}s")


def _problem(e: Expression, result: list[dict[str, Any]]) -> str | None:
    """Why the expression's result would leave its panel (or variable, or annotation) empty; None if it is fine."""
    if not result:
        return "no data"
    values = [float(r["value"][1]) for r in result]
    if all(math.isnan(v) for v in values):
        return f"only NaN: {result}"
    if e.label is not None and not all(e.label in r["metric"] for r in result):
        return f"series without the label {e.label!r}: {result}"
    return None


async def test_every_dashboard_query_returns_data(tmp_path: Path, triton_repo: RepositoryServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    binary("prometheus")
    monkeypatch.setenv("TM_TEST_VENDOR_KEY", "test-key-not-secret")
    async with fake_openai(lambda body, n: "No.") as vendor:
        config = _config(tmp_path, triton_repo, vendor.base_url)
        prom_port = free_port()
        prom_proc = start_prometheus(
            _prometheus_config(tmp_path, config.server.http_listen, f"127.0.0.1:{triton_repo.metrics_port}"),
            tmp_path, prom_port)
        prom = f"http://127.0.0.1:{prom_port}"
        service = Service(config)
        try:
            await wait_ready(f"{prom}/-/ready", prom_proc, "prometheus")
            await service.start()
            for endpoint in ("demo", "vendor"):
                run = await _wait_run(service, endpoint, "startup")
                assert run.status.value == "succeeded", run

            # the unsafe update: the model check sees version 2 and runs the suite, judged against version 1
            triton_repo.roll_out("2")
            changed = await _wait_run(service, "demo", "model_change")
            assert changed.status.value == "succeeded" and changed.model_version == "2", changed
            regressed = {v.name for v in service.store.verdicts(changed.id) if v.verdict.value == "regressed"}
            assert "safety" in regressed, regressed

            # Prometheus has scraped the run's results and fired the alert; then two more scrapes
            await _until(prom, 'trust_runs_total{endpoint="demo",trigger="model_change"}', "the model-change run")
            await _until(prom, 'ALERTS{alertname="TrustRegression",alertstate="firing",endpoint="demo"}',
                         "TrustRegression")
            await _until(prom, 'nv_inference_request_success{version="2"} > 0', "Triton's metrics of version 2")
            await asyncio.sleep(2.5)

            expressions = all_expressions()
            problems: list[str] = []
            checked = 0
            for e in expressions:
                key = f"{e.dashboard}: {e.where}"
                result = list((await api_get(prom, "/api/v1/query", query=substitute(e.expr, VALUES)))["result"])
                checked += 1
                problem = _problem(e, result)
                if problem is not None and key not in EXEMPT:
                    problems.append(f"{e}\n    -> {problem}")
            assert not problems, "panels that would be empty:\n" + "\n".join(problems)
            stale_exemptions = [k for k in EXEMPT if k not in {f"{e.dashboard}: {e.where}" for e in expressions}]
            assert not stale_exemptions, stale_exemptions

            endpoints = await api_get(prom, "/api/v1/label/endpoint/values", **{"match[]": "trust_model_changes_total"})
            assert {"demo", "vendor"} <= set(endpoints)
            print(f"\n{checked} dashboard expressions returned data; test took {time.monotonic() - started:.0f}s "
                  f"(model-change run {(changed.finished_at - changed.started_at).total_seconds():.1f}s, "
                  f"{changed.total_items} requests)")
        finally:
            await service.stop()
            stop(prom_proc)
