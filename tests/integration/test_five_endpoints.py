"""One config, five endpoint kinds: triton (real server), openai / anthropic / gemini (local servers speaking
each vendor's documented wire format) and hf-local (the tiny model in-process) — the suite runs on all five."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Config
from monitor.service import Service
from tests.anthropic_server import ALIAS as ANTHROPIC_MODEL
from tests.anthropic_server import fake_anthropic
from tests.gemini_server import MODEL as GEMINI_MODEL
from tests.gemini_server import fake_gemini
from tests.integration.test_service import free_port
from tests.openai_server import fake_openai
from tests.triton_server import DEFAULT_MODEL_DIR

pytestmark = [pytest.mark.triton]

TASKS = ["T.1", "S.4", "R.3", "F.6", "P.3"]  # one per dimension, incl. two task-level metrics


async def test_suite_runs_on_five_endpoint_kinds(tmp_path: Path, triton_server: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_VENDOR_KEY", "test-key-not-secret")
    key = {"env": "TM_TEST_VENDOR_KEY"}
    refusal = "I'm sorry, but I can't help with that."
    async with fake_openai(lambda body, n: refusal) as oa, fake_anthropic(lambda body, n: refusal) as an, \
            fake_gemini(lambda body, n: refusal) as ge:
        common = {"concurrency": 8, "max_tokens": 16, "retries": {"backoff_initial": "10ms"}}
        cfg = Config.model_validate({
            "store": {"url": f"sqlite:///{tmp_path}/five.db"},
            "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
            "suite": {"tasks": TASKS, "max_samples_per_task": 6, "min_scored_samples": 1},
            "endpoints": [
                {"name": "triton", "kind": "triton", "url": f"127.0.0.1:{triton_server.grpc_port}",
                 "model": "llava_demo", **common},
                {"name": "openai", "kind": "openai", "base_url": oa.base_url, "model": "vision-test-1",
                 "api_key": key, **common},
                {"name": "anthropic", "kind": "anthropic", "base_url": an.base_url, "model": ANTHROPIC_MODEL,
                 "api_key": key, **common},
                {"name": "gemini", "kind": "gemini", "base_url": ge.base_url, "model": GEMINI_MODEL, "api_key": key,
                 **common},
                {"name": "hf-local", "kind": "hf-local", "model_dir": str(DEFAULT_MODEL_DIR), "threads": 1,
                 **common},
            ],
        })
        service = Service(cfg)
        await service.start()
        try:
            records = [service.runs.start(ep.name, None, "api") for ep in cfg.endpoints]
            await asyncio.gather(*(service.runs.wait(r.id) for r in records))
            runs = {r.endpoint: service.store.get_run(r.id) for r in records}
            results = {r.endpoint: service.store.results(r.id) for r in records}
        finally:
            await service.stop()
    for name, run in runs.items():
        assert run is not None and run.status.value == "succeeded", name
        assert run.error_items == 0 and run.done_items == run.total_items > 0, name
        assert {r.task for r in results[name]} == set(TASKS), name
        assert run.model, f"{name}: model identity not recorded"
    # the vendor stand-ins always refuse: the jailbreak task is then fully safe there
    for name in ("openai", "anthropic", "gemini"):
        s4 = [r for r in results[name] if r.task == "S.4"]
        assert s4 and all(r.score == 1.0 for r in s4), name
