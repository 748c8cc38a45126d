"""Regression detection end to end: the service judges every run of a local OpenAI-compatible stand-in that
behaves like a model, over real gRPC and a real SQLite file; an unsafe model update is caught, stored, exported,
shown and restored after a restart; the release gate (the CLI as a user runs it) passes an unchanged model and
fails the unsafe one."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Config
from monitor.service import Service
from tests.behaving_model import BehavingModel
from tests.integration.test_service import Running, _labels, free_port, pb2
from tests.openai_server import FakeOpenAI, fake_openai

TASKS = ["T.1", "S.4", "S.5", "S.6"]


@dataclass
class Setup:
    running: Running
    model: BehavingModel
    server: FakeOpenAI
    tmp: Path

    async def run(self, tasks: list[str] | None = None) -> Any:
        run = await self.running.stub.StartRun(pb2.StartRunRequest(endpoint="oa", tasks=tasks or []))
        return await self.running.wait_run(run.id)

    async def cli(self, *args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor.cli", *args, "--server", self.running.grpc_addr,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()


def config(tmp: Path, base_url: str, **suite: Any) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{tmp}/regression.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "suite": {"tasks": TASKS, "min_scored_samples": 5, **suite},
        "regression": {"reference_runs": 5},
        "endpoints": [{"name": "oa", "kind": "openai", "base_url": base_url, "model": "vision-test-1",
                       "concurrency": 16, "timeout": "5s",
                       "retries": {"max_attempts": 1, "backoff_initial": "10ms"}}],
    })


async def started(tmp: Path, model: BehavingModel, **suite: Any) -> AsyncIterator[Setup]:
    """A service probing ``model`` behind the OpenAI-compatible stand-in, for the duration of the iteration."""
    async with fake_openai(model) as server:
        service = Service(config(tmp, server.base_url, **suite))
        await service.start()
        running = Running(service)
        try:
            yield Setup(running, model, server, tmp)
        finally:
            await running.channel.close()
            await running.service.stop()  # the test may have replaced it (restart)


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async for s in started(tmp_path, BehavingModel(TASKS, flip=0.03, seed=7)):
        yield s


def _verdicts(run: Any) -> dict[tuple[str, str], Any]:
    return {(v.level, v.name): v for v in run.verdicts}


async def test_an_unsafe_update_is_caught_stored_exported_and_gated(setup: Setup) -> None:
    stub = setup.running.stub
    first = await setup.run()
    assert first.status == pb2.RUN_STATUS_SUCCEEDED
    # nothing to compare the first run with: inconclusive, never a regression
    assert first.regression == "inconclusive"
    assert all(v.verdict == "inconclusive" and "no reference run yet" in v.reason for v in first.verdicts)
    same = [await setup.run() for _ in range(3)]
    assert [r.regression for r in same] == ["ok", "ok", "ok"]
    judged = _verdicts(same[-1])
    assert judged[("dimension", "safety")].verdict == "ok" and judged[("task", "S.6")].paired == 180
    assert list(judged[("task", "S.6")].reference_runs) == [same[1].id, same[0].id, first.id]

    # the release gate passes two runs of the unchanged model
    rc, out, err = await setup.cli("compare", same[0].id, same[1].id, "--json")
    assert rc == 0, err
    gate = json.loads(out)
    assert gate["result"] == "pass" and gate["reference_runs"] == [same[0].id]

    # the model behind the endpoint is updated: it now complies with half of the harmful requests
    setup.model.unsafe = 0.5
    events: list[Any] = []
    started = await stub.StartRun(pb2.StartRunRequest(endpoint="oa"))
    async for ev in stub.WatchRun(pb2.WatchRunRequest(run_id=started.id)):
        events.append(ev)
    bad = await stub.GetRun(pb2.GetRunRequest(run_id=started.id))
    assert bad.regression == "regressed"
    verdicts = _verdicts(bad)
    for key in (("dimension", "safety"), ("subdimension", "jailbreaking"), ("task", "S.6")):
        assert verdicts[key].verdict == "regressed", key
        assert verdicts[key].delta < -0.3 and verdicts[key].evidence > 4
    assert verdicts[("task", "T.1")].verdict == "ok"
    kinds = [e.kind for e in events]
    assert kinds[-2:] == ["regression", "finished"]
    assert events[-2].message.startswith("regressed: ") and "safety (dimension" in events[-2].message
    stored = [e for e in setup.running.service.store.events("oa") if e.kind == "regression" and e.run_id == bad.id]
    assert stored and stored[0].detail["verdict"] == "regressed"

    m = await setup.running.metrics()
    flags = {(s.labels["dimension"], s.labels["subdimension"], s.labels["task"]): s.value
             for s in m["trust_regression"] if s.labels["endpoint"] == "oa"}
    assert flags[("safety", "", "")] == 1 and flags[("safety", "jailbreaking", "S.6")] == 1
    assert flags[("truthfulness", "inherent_deficiency", "T.1")] == 0
    dims = {s.labels["dimension"]: s.value for s in m["trust_dimension_regression"]}
    assert dims == {"safety": 1.0, "truthfulness": 0.0}
    assert _labels(m["trust_regression_evidence"], endpoint="oa", dimension="safety", subdimension="", task="")
    (delta,) = [s.value for s in m["trust_task_score_delta"] if s.labels["task"] == "S.6"]
    assert delta == pytest.approx(verdicts[("task", "S.6")].delta)

    # GetScores (published view) and runs show carry the verdicts
    scores = await stub.GetScores(pb2.GetScoresRequest(endpoint="oa"))
    assert {(v.level, v.name): v.verdict for v in scores.verdicts}[("dimension", "safety")] == "regressed"
    rc, out, err = await setup.cli("runs", "show", bad.id)
    assert rc == 0, err
    assert "regression check: regressed" in out and "regressed" in out.split("S.6")[1]

    # the release gate fails it, and names what dropped
    rc, out, err = await setup.cli("compare", same[1].id, bad.id)
    assert rc == 1, err
    out = " ".join(out.split())  # the table wraps at the terminal's width
    assert "REGRESSION" in out and "safety (dimension)" in out
    # run --wait --gate: the next run is compared with the pre-update reference (the regressed run is not one)
    rc, out, err = await setup.cli("run", "oa", "--wait", "--gate", "--json")
    assert rc == 1, err
    gated = json.loads(out)
    assert gated["gate"]["result"] == "regression" and bad.id not in gated["gate"]["reference_runs"]

    # a restart publishes the same verdicts before any new run
    service = setup.running.service
    await service.stop()
    again = Service(service.config)
    await again.start()
    setup.running.service = again
    m = await setup.running.metrics()
    assert {s.labels["dimension"]: s.value for s in m["trust_dimension_regression"]}["safety"] == 1
    again_flags = {(s.labels["dimension"], s.labels["subdimension"], s.labels["task"]): s.value
                   for s in m["trust_regression"]}
    assert again_flags[("safety", "", "")] == 1


async def test_gate_is_inconclusive_when_the_candidate_could_not_be_measured(setup: Setup) -> None:
    a = await setup.run()
    b = await setup.run()
    assert b.regression == "ok"
    stub = setup.running.stub
    result = await stub.CompareRuns(pb2.CompareRunsRequest(baseline_run_id=a.id, candidate_run_id=b.id))
    assert result.result == "pass" and result.alpha == 0.05
    # a T.1-only candidate: T.1 and the groups that hold no other task of the endpoint, nothing else
    c = await setup.run(["T.1"])
    result = await stub.CompareRuns(pb2.CompareRunsRequest(baseline_run_id=a.id, candidate_run_id=c.id))
    assert result.result == "pass"
    assert {v.name for v in result.verdicts} == {"T.1", "inherent_deficiency", "truthfulness"}
    with pytest.raises(Exception) as info:
        await stub.CompareRuns(pb2.CompareRunsRequest(baseline_run_id=a.id, candidate_run_id="f" * 32))
    assert "unknown candidate run" in str(info.value)
    rc, _, err = await setup.cli("compare", a.id, a.id)
    assert rc == 1 and "FAILED_PRECONDITION" in err and "same run" in err

    # the endpoint is down during the candidate run: nothing was measured, so the gate cannot pass it
    setup.model.down = True
    down = await setup.run()
    assert down.status == pb2.RUN_STATUS_DEGRADED and down.regression == ""
    rc, out, err = await setup.cli("compare", a.id, down.id)
    assert rc == 2, err
    assert "INCONCLUSIVE" in out and "no measured task in common" in " ".join(out.split())


async def test_a_queued_run_says_what_it_waits_for(setup: Setup) -> None:
    stub = setup.running.stub
    first = await stub.StartRun(pb2.StartRunRequest(endpoint="oa"))
    second = await stub.StartRun(pb2.StartRunRequest(endpoint="oa", tasks=["T.1"]))
    stream = stub.WatchRun(pb2.WatchRunRequest(run_id=second.id))
    state = await stream.read()
    assert state.kind == "state" and state.status == pb2.RUN_STATUS_QUEUED
    assert state.message.startswith(f"queued behind run {first.id}")
    stream.cancel()
    assert (await setup.running.wait_run(second.id)).status == pb2.RUN_STATUS_SUCCEEDED
