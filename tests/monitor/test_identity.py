"""Model-change detection that never goes blind (monitor.identity): an OpenAI-compatible server without identity
routes, a flaky identity route, a new build seen in the probe replies of a run."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from monitor import events
from monitor.adapters import AdapterError, ErrorKind, ModelIdentity, Reply, create_adapter
from monitor.config import Config
from monitor.identity import CANARY_PROMPTS
from monitor.runs import RunManager
from monitor.store import Store
from tests.openai_server import fake_openai
from tests.scripted import ScriptedAdapter


def _config(tmp_path: Path, base_url: str, model_check: dict[str, Any], **endpoint: Any) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/id.db"},
        "suite": {"tasks": ["T.1"], "max_samples_per_task": 4, "min_scored_samples": 1},
        "endpoints": [{"name": "oa", "kind": "openai", "base_url": base_url, "model": "vision-test-1",
                       "model_check": model_check, "retries": {"backoff_initial": "10ms"}, **endpoint}],
    })


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and text in r.getMessage()]


async def test_a_build_change_is_seen_without_identity_routes_and_warned_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with fake_openai(lambda body, n: "ready", model_route=False) as server:
        cfg = _config(tmp_path, server.base_url, {"interval": "1m"})
        store = Store(cfg.store.url)
        adapter = create_adapter(cfg.endpoints[0])
        runs = RunManager(cfg, store, events.EventBus(), {"oa": adapter})
        for _ in range(6):
            assert await runs.check_model("oa") is False
        first = runs.identities["oa"]
        server.fingerprint = "fp_test_2"  # same model name, new backend build
        assert await runs.check_model("oa") is True
        (triggered,) = [r for r in store.list_runs("oa") if r.trigger == "model_change"]
        await runs.wait(triggered.id)
        assert await runs.check_model("oa") is False  # seen once, not again
        probes = [b for _, b in server.requests if b["max_tokens"] == 8]
        await adapter.close()
    assert (first.model, first.version, first.source) == ("vision-test-1", "fp_test_1", "replies")
    assert len(probes) == 9  # one short reply probe per identity read: 8 checks and the start of the run
    (change,) = [e for e in store.events("oa") if e.kind == events.MODEL_CHANGED]
    assert change.detail["what"] == ["model named by replies"] and change.detail["seen_in"] == "check"
    assert change.detail["from"]["version"] == "fp_test_1"  # type: ignore[index]
    assert change.detail["to"]["version"] == "fp_test_2"  # type: ignore[index]
    run = store.get_run(triggered.id)
    assert run is not None and run.status.value == "succeeded"
    assert (run.model, run.model_version) == ("vision-test-1", "fp_test_2") and run.model_fingerprint
    assert len(_warnings(caplog, "by what the replies name")) == 1  # once, not per check
    store.close()


async def test_the_canary_runs_when_no_identity_route_answers(tmp_path: Path) -> None:
    answer = {"text": "ready"}
    async with fake_openai(lambda body, n: answer["text"], model_route=False) as server:
        cfg = _config(tmp_path, server.base_url, {"canary": True, "run_on_change": False})
        store = Store(cfg.store.url)
        adapter = create_adapter(cfg.endpoints[0])
        runs = RunManager(cfg, store, events.EventBus(), {"oa": adapter})
        assert await runs.check_model("oa") is False
        assert await runs.check_model("oa") is False
        answer["text"] = "Ready!"  # same model name and build, other answers: the canary tells
        assert await runs.check_model("oa") is True
        server.fingerprint = "fp_test_3"
        assert await runs.check_model("oa") is True
        prompts = [b["messages"][0]["content"][0]["text"] for _, b in server.requests]
        await adapter.close()
    assert prompts == list(CANARY_PROMPTS) * 4  # every check asked the canary; no separate reply probe
    whats = [e.detail["what"] for e in reversed(store.events("oa")) if e.kind == events.MODEL_CHANGED]
    assert whats == [["canary answers"], ["model named by replies"]]
    assert runs.identities["oa"].source == "replies" and runs.identities["oa"].extra == {"canary": "1"}
    store.close()


class Flaky(ScriptedAdapter):
    """An identity route that times out at every other check; answers from a build that can change."""

    def __init__(self) -> None:
        super().__init__(lambda rid, n: "ready")
        self.reads = 0
        self.build = "b1"

    async def identity(self) -> ModelIdentity:
        self.reads += 1
        if self.reads % 2 == 0:
            raise AdapterError(ErrorKind.TIMEOUT, "no reply within 1s")
        return ModelIdentity("m", "1", "described-fp")

    async def generate(self, request: Any, *, timeout_s: float) -> Reply:
        reply = await super().generate(request, timeout_s=timeout_s)
        return Reply(reply.text, model="m", fingerprint=self.build)


async def test_a_flaky_identity_route_is_no_model_change_and_never_stops_the_canary(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/f.db"},
        "suite": {"tasks": ["T.1"], "max_samples_per_task": 2, "min_scored_samples": 1},
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m",
                       "model_check": {"canary": True, "run_on_change": False}}],
    })
    store = Store(cfg.store.url)
    adapter = Flaky()
    checked: list[str] = []
    bus = events.EventBus()
    bus.subscribe(lambda e: checked.append(str(e.outcome)) if e.kind == events.ENDPOINT_CHECKED else None)
    runs = RunManager(cfg, store, bus, {"ep": adapter})
    results = [await runs.check_model("ep") for _ in range(7)]
    stable = runs.identities["ep"]
    adapter.build = "b2"  # a new build, first seen while the route times out (the 8th read)
    results += [await runs.check_model("ep"), await runs.check_model("ep")]
    assert results == [False] * 7 + [True, False]
    assert adapter.calls["canary/0"] == 9  # the canary ran at every check, read or not
    assert checked == ["ok"] * 9  # the endpoint answered (the canary) even while its identity route timed out
    assert stable.fingerprint and stable.source == "" and stable.extra == {"canary": "1"}
    assert runs.identities["ep"].fingerprint != stable.fingerprint  # the new build is in the fingerprint
    # one warning per change of state (readable -> unreadable and back), not one per check
    assert len(_warnings(caplog, "cannot read the model identity now")) == 4
    assert len(_warnings(caplog, "readable again")) == 4
    (change,) = [e for e in store.events("ep") if e.kind == events.MODEL_CHANGED]
    assert change.detail["what"] == ["model named by replies"]
    store.close()


async def test_a_new_build_in_the_probe_replies_is_recorded_and_queues_one_run(tmp_path: Path) -> None:
    async with fake_openai(lambda body, n: "yes") as server:
        def script(body: dict[str, Any], n: int) -> str:
            if n == 3:
                server.fingerprint = "fp_test_2"  # a rollout while the run is going
            return "yes"

        server.script = script
        cfg = _config(tmp_path, server.base_url, {"run_on_change": True}, concurrency=1)
        store = Store(cfg.store.url)
        adapter = create_adapter(cfg.endpoints[0])
        runs = RunManager(cfg, store, events.EventBus(), {"oa": adapter})
        first = runs.start("oa", None, "schedule")
        await runs.wait(first.id)
        await runs.watch.drain()
        (follow_up,) = [r for r in store.list_runs("oa") if r.trigger == "model_change"]
        await runs.wait(follow_up.id)
        await adapter.close()
    changes = [e for e in store.events("oa") if e.kind == events.MODEL_CHANGED]
    assert len(changes) == 1  # one event although every later reply names the new build
    (change,) = changes
    assert change.run_id == first.id and change.detail["seen_in"] == "probe replies"
    done = store.get_run(follow_up.id)
    assert done is not None and done.status.value == "succeeded"
    store.close()


def test_the_reply_hook_costs_about_a_dict_lookup() -> None:
    cfg = Config.model_validate({"store": {"url": "sqlite:///:memory:"},
                                 "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m"}]})
    from monitor.identity import IdentityWatch

    watch = IdentityWatch(cfg, None, events.EventBus(), running=lambda e: None,  # type: ignore[arg-type]
                          on_change=lambda e: None)
    reply, silent = Reply("yes", model="m", fingerprint="fp"), Reply("yes")
    watch.on_reply("ep", reply)
    n = 200_000
    t0 = time.perf_counter()
    for _ in range(n):
        watch.on_reply("ep", reply)
        watch.on_reply("ep", silent)
    per_call = (time.perf_counter() - t0) / (2 * n)
    assert per_call < 5e-6, f"{per_call * 1e9:.0f} ns per reply"


async def test_after_a_restart_the_last_stored_identity_is_the_reference(tmp_path: Path) -> None:
    async with fake_openai(lambda body, n: "yes", model_route=False) as server:
        cfg = _config(tmp_path, server.base_url, {"run_on_change": False})
        store = Store(cfg.store.url)
        adapter = create_adapter(cfg.endpoints[0])
        first = RunManager(cfg, store, events.EventBus(), {"oa": adapter})
        run = first.start("oa", None, "schedule")
        await first.wait(run.id)
        restarted = RunManager(cfg, store, events.EventBus(), {"oa": adapter})
        assert await restarted.check_model("oa") is False  # same server, same parts: the same identity
        server.fingerprint = "fp_test_2"  # a rollout while the monitor was down
        again = RunManager(cfg, store, events.EventBus(), {"oa": adapter})
        assert await again.check_model("oa") is True
        await adapter.close()
    (change,) = [e for e in store.events("oa") if e.kind == events.MODEL_CHANGED]
    assert change.detail["what"] == ["identity since the last run"]
    assert change.detail["from"]["version"] == "fp_test_1"  # type: ignore[index]
    store.close()
