"""End to end over loopback: a real Triton server, the real gRPC API driven through the proto's stubs,
/metrics parsed with prometheus-client's parser, a real SQLite file, and the CLI as a subprocess."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from monitor.api.stubs import load
from monitor.config import Config
from monitor.service import Service

pb2, pb2_grpc = load()
pytestmark = [pytest.mark.triton]

TASKS = ["T.1", "S.4", "R.3", "F.2", "P.6"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_config(tmp: Path, triton_grpc_port: int, **server: Any) -> Config:
    data: dict[str, Any] = {
        "store": {"url": f"sqlite:///{tmp}/monitor.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}",
                   **server},
        "suite": {"tasks": TASKS, "max_samples_per_task": 10, "min_scored_samples": 6},
        "endpoints": [
            {"name": "demo", "kind": "triton", "url": f"127.0.0.1:{triton_grpc_port}", "model": "llava_demo",
             "concurrency": 4, "timeout": "20s", "max_tokens": 12},
            {"name": "down", "kind": "triton", "url": f"127.0.0.1:{free_port()}", "model": "llava_demo",
             "concurrency": 8, "timeout": "2s", "tasks": ["T.1", "S.4"],
             "retries": {"max_attempts": 2, "backoff_initial": "10ms", "backoff_max": "20ms"}},
        ],
    }
    (tmp / "config.yaml").write_text(yaml.safe_dump(data))
    return Config.model_validate(data)


class Running:
    def __init__(self, service: Service) -> None:
        self.service = service
        cfg = service.config.server
        self.grpc_addr = cfg.grpc_listen
        self.http = f"http://{cfg.http_listen}"
        self.channel = grpc.aio.insecure_channel(self.grpc_addr)
        self.stub = pb2_grpc.TrustMonitorStub(self.channel)

    async def metrics(self) -> dict[str, list[Any]]:
        async with aiohttp.ClientSession() as s, s.get(f"{self.http}/metrics") as r:
            assert r.status == 200
            text = await r.text()
        out: dict[str, list[Any]] = {}
        for fam in text_string_to_metric_families(text):
            for sample in fam.samples:
                out.setdefault(sample.name, []).append(sample)
        return out

    async def wait_run(self, run_id: str) -> Any:
        last = None
        async for ev in self.stub.WatchRun(pb2.WatchRunRequest(run_id=run_id)):
            last = ev
        assert last is not None
        return await self.stub.GetRun(pb2.GetRunRequest(run_id=run_id))


@pytest.fixture
async def running(tmp_path: Path, triton_server: Any) -> AsyncIterator[Running]:
    service = Service(make_config(tmp_path, triton_server.grpc_port, max_queued_runs=1))
    await service.start()
    r = Running(service)
    try:
        yield r
    finally:
        await r.channel.close()
        await r.service.stop()  # the test may have replaced it (restart)


def _labels(samples: list[Any], **match: str) -> list[dict[str, str]]:
    return [s.labels for s in samples if all(s.labels.get(k) == v for k, v in match.items())]


async def test_full_run_against_real_triton(running: Running, tmp_path: Path) -> None:
    stub = running.stub
    tasks = await stub.ListTasks(pb2.ListTasksRequest())
    assert set(TASKS) <= {t.id for t in tasks.tasks} and tasks.suite_version
    eps = await stub.ListEndpoints(pb2.ListEndpointsRequest())
    assert [e.name for e in eps.endpoints] == ["demo", "down"]

    run = await stub.StartRun(pb2.StartRunRequest(endpoint="demo"))
    assert run.status == pb2.RUN_STATUS_QUEUED and list(run.tasks) == TASKS
    kinds: list[str] = []
    async for ev in stub.WatchRun(pb2.WatchRunRequest(run_id=run.id)):
        kinds.append(ev.kind)
    assert kinds[-1] == "finished" and "progress" in kinds
    final = await stub.GetRun(pb2.GetRunRequest(run_id=run.id))
    assert final.status == pb2.RUN_STATUS_SUCCEEDED
    assert final.total_items == 2 * 10 + 3 * 5 * 10 and final.done_items == final.total_items
    assert final.error_items == 0
    assert final.model.model == "llava_demo" and final.model.version

    published = await stub.GetScores(pb2.GetScoresRequest(endpoint="demo"))
    assert published.run_id == run.id and all(t.run_id == run.id and t.has_score for t in published.tasks)
    scores = await stub.GetScores(pb2.GetScoresRequest(run_id=run.id))
    by_task = {t.task: t for t in scores.tasks}
    assert {t.task for t in published.tasks} == {t for t, s in by_task.items() if s.has_score}
    assert set(by_task) == set(TASKS)
    for t in by_task.values():
        if t.has_score:
            assert 0 <= t.ci95.low <= t.score <= t.ci95.high <= 1
    assert {d.name for d in scores.dimensions} <= {"truthfulness", "safety", "robustness", "fairness", "privacy"}

    m = await running.metrics()
    scored = [t for t in by_task.values() if t.has_score]
    assert len(_labels(m["trust_task_score"], endpoint="demo")) == len(scored)
    for t in scored:
        (labels,) = _labels(m["trust_task_score"], endpoint="demo", task=t.task)
        assert labels == {"endpoint": "demo", "dimension": t.dimension, "subdimension": t.subdimension,
                          "task": t.task}
        for name in ("trust_task_score_ci_low", "trust_task_score_ci_high", "trust_task_samples"):
            assert _labels(m[name], endpoint="demo", task=t.task)
    # group scores only from a complete set of the endpoint's tasks; otherwise absent, with the reason
    if scores.has_overall:
        assert _labels(m["trust_overall_score"], endpoint="demo") == [{"endpoint": "demo"}]
    else:
        assert not _labels(m.get("trust_overall_score", []), endpoint="demo") and scores.overall_reason
    assert {d["dimension"] for d in _labels(m.get("trust_dimension_score", []), endpoint="demo")} == {
        d.name for d in scores.dimensions if d.has_score}
    assert all(d.reason for d in scores.dimensions if not d.has_score)
    assert _labels(m["trust_runs_total"], endpoint="demo", trigger="api", status="succeeded")
    assert _labels(m["trust_model_info"], endpoint="demo", model="llava_demo")
    assert _labels(m["trust_probe_requests_total"], endpoint="demo", outcome="ok")
    assert m["trust_endpoint_up"] and _labels(m["trust_endpoint_up"], endpoint="demo")
    assert len(m["trust_suite_info"]) == 1
    # no free text in any label
    for samples in m.values():
        for s in samples:
            assert all(len(v) < 80 and "\n" not in v for v in s.labels.values())

    # the first run had nothing to compare with; pinned as the baseline, it is judged again - against itself,
    # which is no comparison either
    assert {v.verdict for v in (await stub.GetRun(pb2.GetRunRequest(run_id=run.id))).verdicts} == {"inconclusive"}
    base = await stub.SetBaseline(pb2.SetBaselineRequest(endpoint="demo", run_id=run.id))
    assert base.run_id == run.id
    judged = await stub.GetRun(pb2.GetRunRequest(run_id=run.id))
    assert judged.regression == "inconclusive" and "is this run itself" in judged.verdicts[0].reason
    m = await running.metrics()
    assert not _labels(m.get("trust_task_score_delta", []), endpoint="demo")

    # the CLI as a user runs it, against the same server
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "runs", "show", run.id, "--json", "--server", running.grpc_addr,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    shown = json.loads(out)
    assert shown["run"]["status"] == "succeeded" and len(shown["scores"]["tasks"]) == 5

    # restart: scores come back from the store before any new run
    await running.service.stop()
    again = Service(running.service.config)
    await again.start()
    try:
        m = await running.metrics()
        assert bool(_labels(m.get("trust_overall_score", []), endpoint="demo")) == scores.has_overall
        assert len(_labels(m["trust_task_score"], endpoint="demo")) == len(scored)
    finally:
        running.service = again  # the fixture stops it


async def test_endpoint_down_gives_errors_not_scores(running: Running) -> None:
    stub = running.stub
    run = await stub.StartRun(pb2.StartRunRequest(endpoint="down"))
    final = await running.wait_run(run.id)
    assert final.status == pb2.RUN_STATUS_DEGRADED and "20 of 20 requests failed" in final.message
    assert final.error_items == final.total_items == 20
    scores = await stub.GetScores(pb2.GetScoresRequest(run_id=run.id))
    assert all(not t.has_score and t.errors == 10 and t.scored == 0 for t in scores.tasks)
    assert not scores.has_overall and not any(d.has_score for d in scores.dimensions)
    m = await running.metrics()
    assert not _labels(m.get("trust_task_score", []), endpoint="down")
    assert not _labels(m.get("trust_overall_score", []), endpoint="down")
    (up,) = [s for s in m["trust_endpoint_up"] if s.labels["endpoint"] == "down"]
    assert up.value == 0
    assert _labels(m["trust_probe_requests_total"], endpoint="down", outcome="connection")
    assert _labels(m["trust_runs_total"], endpoint="down", status="degraded")
    # nothing was ever measured reliably: nothing is published
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetScores(pb2.GetScoresRequest(endpoint="down"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND and "no scored run yet" in str(info.value.details())


async def test_api_errors_carry_status_codes(running: Running) -> None:
    stub = running.stub

    async def code(coro: Any) -> grpc.StatusCode:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await coro
        return info.value.code()

    assert await code(stub.StartRun(pb2.StartRunRequest(endpoint="nope"))) == grpc.StatusCode.NOT_FOUND
    assert await code(stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["X.9"]))) == \
        grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stub.GetRun(pb2.GetRunRequest(run_id="0" * 32))) == grpc.StatusCode.NOT_FOUND
    assert await code(stub.ListRuns(pb2.ListRunsRequest(limit=100000))) == grpc.StatusCode.INVALID_ARGUMENT

    # one run holds the endpoint, one waits (max_queued_runs=1), the next is refused
    first = await stub.StartRun(pb2.StartRunRequest(endpoint="demo"))
    second = await stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["T.1"]))
    assert await code(stub.StartRun(pb2.StartRunRequest(endpoint="demo"))) == grpc.StatusCode.RESOURCE_EXHAUSTED
    eps = await stub.ListEndpoints(pb2.ListEndpointsRequest())
    assert {e.name: e.busy for e in eps.endpoints}["demo"]

    cancelled = await stub.CancelRun(pb2.CancelRunRequest(run_id=second.id))
    assert cancelled.status == pb2.RUN_STATUS_CANCELLED
    cancelled = await stub.CancelRun(pb2.CancelRunRequest(run_id=first.id))
    assert cancelled.status == pb2.RUN_STATUS_CANCELLED
    assert await code(stub.CancelRun(pb2.CancelRunRequest(run_id=first.id))) == grpc.StatusCode.FAILED_PRECONDITION
    assert await code(stub.SetBaseline(pb2.SetBaselineRequest(endpoint="demo", run_id=first.id))) == \
        grpc.StatusCode.FAILED_PRECONDITION
    runs = await stub.ListRuns(pb2.ListRunsRequest(endpoint="demo"))
    assert [r.id for r in runs.runs][:2] == [second.id, first.id]


async def test_health_and_reflection(running: Running) -> None:
    health = health_pb2_grpc.HealthStub(running.channel)
    for service in ("", "trust_monitor.v1.TrustMonitor"):
        resp = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert resp.status == health_pb2.HealthCheckResponse.SERVING
    refl = reflection_pb2_grpc.ServerReflectionStub(running.channel)

    async def requests() -> AsyncIterator[Any]:
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names: list[str] = []
    async for resp in refl.ServerReflectionInfo(requests()):
        names = [s.name for s in resp.list_services_response.service]
    assert "trust_monitor.v1.TrustMonitor" in names and "grpc.health.v1.Health" in names
    async with aiohttp.ClientSession() as s:
        for path in ("/healthz", "/readyz"):
            async with s.get(f"{running.http}{path}") as r:
                assert r.status == 200


async def test_tokens_required_when_configured(tmp_path: Path, triton_server: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_API_TOKEN", "tok-123")
    service = Service(make_config(tmp_path, triton_server.grpc_port, auth={"tokens": [{"env": "TM_TEST_API_TOKEN"}]}))
    await service.start()
    r = Running(service)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await r.stub.ListTasks(pb2.ListTasksRequest())
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await r.stub.ListTasks(pb2.ListTasksRequest(), metadata=[("authorization", "Bearer wrong")])
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED and "tok-123" not in str(info.value)
        ok = await r.stub.ListTasks(pb2.ListTasksRequest(), metadata=[("authorization", "Bearer tok-123")])
        assert len(ok.tasks) >= 5
        health = health_pb2_grpc.HealthStub(r.channel)
        assert (await health.Check(health_pb2.HealthCheckRequest())).status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await r.channel.close()
        await service.stop()


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_against_running_server(running: Running) -> None:
    server = ["--server", running.grpc_addr]
    rc, out, err = await _cli("run", "demo", "--tasks", "S.4,P.6", "--wait", "--json", *server)
    assert rc == 0, err
    result = json.loads(out)
    assert result["run"]["status"] == "succeeded"
    assert {t["task"] for t in result["scores"]["tasks"]} == {"S.4", "P.6"}
    run_id = result["run"]["id"]

    rc, out, err = await _cli("run", "demo", "--tasks", "T.1", "--wait", *server)
    assert rc == 0, err
    assert "T.1" in out and "overall" in out

    rc, out, _ = await _cli("runs", "list", "--json", *server)
    assert rc == 0 and run_id in {r["id"] for r in json.loads(out)}
    rc, out, _ = await _cli("baseline", "set", "demo", run_id, *server)
    assert rc == 0 and run_id in out

    rc, _, err = await _cli("run", "nope", *server)
    assert rc == 1 and "NOT_FOUND" in err and "unknown endpoint 'nope'" in err
    rc, _, err = await _cli("runs", "list", "--server", f"127.0.0.1:{free_port()}")
    assert rc == 1 and "no monitor answering" in err


def test_probes_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.cli import main

    assert main(["probes", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert set(TASKS) <= {t["id"] for t in listing["tasks"]}
    for t in listing["tasks"]:
        assert set(t) == {"id", "name", "dimension", "subdimension", "modality", "variants", "samples", "scorer",
                          "aggregator", "profiles"}
        assert t["samples"] >= 30
