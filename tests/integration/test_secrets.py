"""A sentinel API key reaches no log line (DEBUG included), error, trace, metric, gRPC reply or store row — with
stand-ins that echo the key back in their error bodies upper-cased, masked and in the clear."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
from google.protobuf import json_format

from monitor.api.stubs import load
from monitor.config import Config
from monitor.service import Service
from tests.anthropic_server import ALIAS as ANTHROPIC_MODEL
from tests.anthropic_server import error as anthropic_error
from tests.anthropic_server import fake_anthropic
from tests.gemini_server import MODEL as GEMINI_MODEL
from tests.gemini_server import error as gemini_error
from tests.gemini_server import fake_gemini
from tests.integration.test_service import free_port
from tests.openai_server import error as openai_error
from tests.openai_server import fake_openai
from tests.spans import memory_spans

pb2, pb2_grpc = load()

# The last four characters (U and L are in neither hex nor Crockford's base32) would show in any masked form.
KEY = "tm-sentinel-key-not-secret-Uu9L"
NEEDLES = (KEY.lower(), KEY[-4:].lower(), KEY[:15].lower())


def _leaks(text: str) -> list[str]:
    low = text.lower()
    return [n for n in NEEDLES if n in low]


def _openai_script(body: dict[str, Any], n: int) -> Any:
    if n % 4 == 1:
        return openai_error(401, "Incorrect API key provided")  # the stand-in appends the key, upper and masked
    if n % 4 == 2:
        return openai_error(400, f"Invalid request from key {KEY}")
    return "ready"


def _anthropic_script(body: dict[str, Any], n: int) -> Any:
    if n % 3 == 1:
        return anthropic_error(401, f"invalid x-api-key: {KEY.upper()}")
    if n % 3 == 2:
        return anthropic_error(400, f"key {KEY[:4]}****{KEY[-4:]} may not use this model")
    return "I'm sorry, but I can't help with that."


def _gemini_script(body: dict[str, Any], n: int) -> Any:
    if n % 3 == 1:
        return gemini_error(400, f"API key not valid: ...{KEY[-4:]} (request ?key={KEY})")
    if n % 3 == 2:
        return gemini_error(403, f"Authorization: Bearer {KEY} denied")
    return "No."


async def test_the_key_appears_nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("TM_TEST_SENTINEL_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    for name in ("monitor", "aiohttp", "grpc"):
        caplog.set_level(logging.DEBUG, logger=name)
    spans = memory_spans()
    key = {"env": "TM_TEST_SENTINEL_KEY"}
    common = {"concurrency": 2, "max_tokens": 16, "api_key": key,
              "retries": {"max_attempts": 2, "backoff_initial": "10ms", "backoff_max": "20ms"},
              "model_check": {"canary": True, "run_on_change": False}}
    db = tmp_path / "secrets.db"
    replies: list[str] = []
    async with fake_openai(_openai_script, echo_key=True) as oa, fake_anthropic(_anthropic_script) as an, \
            fake_gemini(_gemini_script) as ge:
        cfg = Config.model_validate({
            "store": {"url": f"sqlite:///{db}"},
            "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
            "suite": {"tasks": ["T.1", "S.4"], "max_samples_per_task": 4, "min_scored_samples": 1},
            "endpoints": [
                # a model name the server does not know: its model route answers 404 echoing the key
                {"name": "openai", "kind": "openai", "base_url": oa.base_url, "model": "gw-model", **common},
                {"name": "anthropic", "kind": "anthropic", "base_url": an.base_url, "model": ANTHROPIC_MODEL,
                 **common},
                {"name": "gemini", "kind": "gemini", "base_url": ge.base_url, "model": GEMINI_MODEL, **common},
            ],
        })
        service = Service(cfg)
        await service.start()
        try:
            for ep in cfg.endpoints:
                await service.runs.check_model(ep.name)
            async with grpc.aio.insecure_channel(cfg.server.grpc_listen) as channel:
                stub = pb2_grpc.TrustMonitorStub(channel)
                started = [await stub.StartRun(pb2.StartRunRequest(endpoint=ep.name)) for ep in cfg.endpoints]
                for run in started:
                    async for event in stub.WatchRun(pb2.WatchRunRequest(run_id=run.id)):
                        replies.append(json_format.MessageToJson(event))
                for run in started:
                    replies.append(json_format.MessageToJson(await stub.GetRun(pb2.GetRunRequest(run_id=run.id))))
                    replies.append(json_format.MessageToJson(
                        await stub.GetScores(pb2.GetScoresRequest(run_id=run.id))))
                replies.append(json_format.MessageToJson(await stub.ListRuns(pb2.ListRunsRequest())))
                replies.append(json_format.MessageToJson(await stub.ListEndpoints(pb2.ListEndpointsRequest())))
                with pytest.raises(grpc.aio.AioRpcError) as bad:  # an error reply of the API
                    await stub.StartRun(pb2.StartRunRequest(endpoint="openai", tasks=["nope"]))
                replies.append(str(bad.value.details()))
            for ep in cfg.endpoints:
                await service.runs.check_model(ep.name)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://{cfg.server.http_listen}/metrics") as resp:
                    metrics = await resp.text()
            errors = [r.error_message or "" for run in started for r in service.store.results(run.id)]
        finally:
            await service.stop()
        await asyncio.sleep(0)
    # the stand-ins did echo the key, and the adapters had something to scrub
    assert sum(1 for e in errors if e) >= 6 and sum(1 for e in errors if "<redacted>" in e) >= 6
    assert "rejected" in " ".join(errors)  # the openai stand-in's echo (key upper-cased and masked) came back
    stored: list[str] = []
    with sqlite3.connect(db) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            stored.extend(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))
    assert {"runs", "sample_results", "events"} <= set(tables) and len(stored) > len(errors)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logs = [formatter.format(r) for r in caplog.records]
    assert any(r.levelno == logging.DEBUG and r.name.startswith("monitor") for r in caplog.records)
    traced = []
    for span in spans.get_finished_spans():
        traced.append(f"{span.name} {dict(span.attributes or {})} {span.status.description}")
        traced.extend(f"{e.name} {dict(e.attributes or {})}" for e in span.events)
    assert any(s.startswith("request ") for s in traced)
    for what, texts in (("log line", logs), ("stored error", errors), ("store row", stored), ("trace", traced),
                        ("metric", [metrics]), ("gRPC reply", replies)):
        leaked = [t for t in texts if _leaks(t)]
        assert not leaked, f"the key leaked into a {what}: {leaked[:3]}"
