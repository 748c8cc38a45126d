"""The Gemini generateContent adapter against a local server following the documented wire format."""

from __future__ import annotations

import base64
import io
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from monitor.adapters import AdapterError, ErrorKind, ProbeRequest, create_adapter
from monitor.config import Config, GeminiEndpoint
from monitor.service import Service
from tests.gemini_server import (
    MODEL,
    answer,
    answer_blocked,
    error,
    fake_gemini,
    key_invalid,
    prompt_blocked,
    retry_info,
)
from tests.integration.test_service import free_port

KEY = "AIzaTestSecret789"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_GEMINI_KEY", KEY)


def _endpoint(base_url: str, **kw: Any) -> GeminiEndpoint:
    return GeminiEndpoint.model_validate({"name": "gem", "kind": "gemini", "base_url": base_url, "model": MODEL,
                                          "max_tokens": 64, "api_key": {"env": "TM_TEST_GEMINI_KEY"}, **kw})


async def _generate(reply: Any, request: ProbeRequest | None = None, **kw: Any) -> Any:
    async with fake_gemini(lambda body, n: reply) as server:
        adapter = create_adapter(_endpoint(server.base_url, **kw))
        try:
            return await adapter.generate(request or ProbeRequest("q"), timeout_s=5)
        except AdapterError as exc:
            return exc
        finally:
            await adapter.close()


async def test_request_format_and_reply() -> None:
    async with fake_gemini(lambda body, n: "A red rectangle.") as server:
        adapter = create_adapter(_endpoint(server.base_url, image_max_side=32, temperature=0.7))
        image = np.zeros((64, 128, 3), dtype=np.uint8)
        image[:, :, 0] = 200
        reply = await adapter.generate(ProbeRequest("What is shown?", image=image, max_tokens=16), timeout_s=5)
        await adapter.close()
    assert reply.text == "A red rectangle." and (reply.tokens_in, reply.tokens_out) == (17, 4)
    assert not reply.platform_refusal
    assert server.paths == [f"/v1beta/models/{MODEL}:generateContent"]
    headers, body = server.requests[0]
    assert headers["x-goog-api-key"] == KEY and headers["content-type"] == "application/json"
    assert "authorization" not in headers and "key=" not in server.paths[0]  # the key travels only in the header
    assert body["generationConfig"] == {"temperature": 0.7, "maxOutputTokens": 16}
    (content,) = body["contents"]
    assert content["role"] == "user"
    img, text = content["parts"]  # the image part first, as Google recommends for single-image prompts
    assert text == {"text": "What is shown?"}
    assert set(img) == {"inline_data"} and img["inline_data"]["mime_type"] == "image/png"
    decoded = Image.open(io.BytesIO(base64.b64decode(img["inline_data"]["data"])))  # raw base64, no data: prefix
    assert decoded.format == "PNG" and decoded.size == (32, 16)  # downscaled to the longest side, aspect kept
    pixel = decoded.getpixel((5, 5))
    assert isinstance(pixel, tuple) and pixel[0] > 150


async def test_text_only_request_and_max_tokens_cap() -> None:
    async with fake_gemini(lambda body, n: "ok") as server:
        adapter = create_adapter(_endpoint(server.base_url))
        await adapter.generate(ProbeRequest("hi", max_tokens=500), timeout_s=5)
        await adapter.close()
    _, body = server.requests[0]
    assert body["contents"][0]["parts"] == [{"text": "hi"}]
    assert body["generationConfig"]["maxOutputTokens"] == 64  # capped by the endpoint's max_tokens


async def test_parts_are_joined_and_thoughts_skipped() -> None:
    reply = answer("x")
    reply["candidates"][0]["content"]["parts"] = [{"text": "thinking...", "thought": True}, {"text": "Hello, "},
                                                  {"text": "world."}]
    out = await _generate((200, reply, {}))
    assert out.text == "Hello, world." and not out.platform_refusal


async def test_max_tokens_spent_on_thinking_is_an_empty_answer() -> None:
    reply = answer("x", finish="MAX_TOKENS")
    reply["candidates"][0]["content"] = {"role": "model"}
    out = await _generate((200, reply, {}))
    assert out.text == "" and not out.platform_refusal


@pytest.mark.parametrize("reply", [
    prompt_blocked(),
    answer_blocked("SAFETY"),
    answer_blocked("PROHIBITED_CONTENT"),
    answer_blocked("BLOCKLIST"),
    answer_blocked("SPII"),
    answer_blocked("IMAGE_SAFETY"),
])
async def test_safety_blocks_are_platform_refusals(reply: Any) -> None:
    out = await _generate(reply)
    assert not isinstance(out, AdapterError)
    assert out.platform_refusal and out.text == "" and out.tokens_in == 17


@pytest.mark.parametrize(("reply", "kind", "retry_after"), [
    (error(429, "Resource has been exhausted (e.g. check quota).", retry_after="7"), ErrorKind.RATE_LIMITED, 7.0),
    (error(429, "You exceeded your current quota", details=[retry_info("37s")]), ErrorKind.RATE_LIMITED, 37.0),
    (error(429, "Resource has been exhausted"), ErrorKind.RATE_LIMITED, None),
    (error(500, "An internal error has occurred."), ErrorKind.SERVER, None),
    (error(503, "The model is overloaded. Please try again later.", retry_after="3"), ErrorKind.SERVER, 3.0),
    (error(504, "Deadline exceeded"), ErrorKind.TIMEOUT, None),
    (error(400, "Request contains an invalid argument."), ErrorKind.CLIENT, None),
    (error(404, f"models/{MODEL} is not found for API version v1beta"), ErrorKind.CLIENT, None),
    (error(403, "Method doesn't allow unregistered callers."), ErrorKind.AUTH, None),
    ((502, "<html>bad gateway</html>", {}), ErrorKind.SERVER, None),
    ("NOT_JSON", ErrorKind.MALFORMED, None),
    ("TRUNCATED", ErrorKind.MALFORMED, None),
    ((200, {"usageMetadata": {"promptTokenCount": 3}}, {}), ErrorKind.MALFORMED, None),
    ((200, {"candidates": []}, {}), ErrorKind.MALFORMED, None),
    ((200, {"candidates": [{"finishReason": "OTHER", "index": 0}]}, {}), ErrorKind.MALFORMED, None),
])
async def test_errors_are_classified(reply: Any, kind: ErrorKind, retry_after: float | None) -> None:
    err = await _generate(reply)
    assert isinstance(err, AdapterError)
    assert err.kind is kind
    assert err.retry_after == retry_after
    assert "gemini endpoint 'gem'" in err.message


@pytest.mark.parametrize("reply", [
    key_invalid(),
    error(401, f"API key {KEY} is invalid"),
    error(403, f"Permission denied: Consumer 'api_key:{KEY}' has been suspended."),
])
async def test_rejected_key_names_the_endpoint_and_hides_the_key(reply: Any) -> None:
    err = await _generate(reply)
    assert isinstance(err, AdapterError)
    assert err.kind is ErrorKind.AUTH and not err.retryable
    assert "credentials missing or rejected" in err.message and "'gem'" in err.message
    assert KEY not in str(err)


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = create_adapter(_endpoint(f"http://127.0.0.1:{port}/v1beta"))
    for call in (adapter.generate(ProbeRequest("q"), timeout_s=5), adapter.identity()):
        with pytest.raises(AdapterError) as info:
            await call
        assert info.value.kind is ErrorKind.CONNECTION and "'gem'" in info.value.message
    await adapter.close()


async def test_identity_reads_the_model_description() -> None:
    async with fake_gemini(lambda body, n: "ok") as server:
        adapter = create_adapter(_endpoint(server.base_url))
        ident = await adapter.identity()
        again = await adapter.identity()
        adapter_prefixed = create_adapter(_endpoint(server.base_url, model=f"models/{MODEL}"))
        prefixed = await adapter_prefixed.identity()
        await adapter_prefixed.generate(ProbeRequest("q"), timeout_s=5)
        missing = create_adapter(_endpoint(server.base_url, model="gemini-nope"))
        with pytest.raises(AdapterError) as info:
            await missing.identity()
        for a in (adapter, adapter_prefixed, missing):
            await a.close()
    assert ident.model == MODEL and ident.version == "001" and ident.extra == {"display_name": "Gemini Test Flash"}
    assert len(ident.fingerprint) == 16 and ident == again == prefixed
    assert server.paths == [f"/v1beta/models/{MODEL}:generateContent"]
    assert info.value.kind is ErrorKind.CLIENT


async def test_a_suite_through_the_runner_stores_platform_refusals(tmp_path: Path) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        if n == 1:
            return error(429, "Resource has been exhausted", details=[retry_info("0s")])  # retried by the runner
        parts = body["contents"][0]["parts"]
        if len(parts) == 2:  # image probes: blocked by the platform, alternating the two documented forms
            return prompt_blocked() if n % 2 else answer_blocked("SAFETY")
        return "I'm sorry, but I can't help with that."

    async with fake_gemini(script) as server:
        cfg = Config.model_validate({
            "store": {"url": f"sqlite:///{tmp_path}/gem.db"},
            "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
            "suite": {"tasks": ["S.4", "F.2"], "max_samples_per_task": 2, "min_scored_samples": 1},
            "endpoints": [{"name": "gem", "kind": "gemini", "base_url": server.base_url, "model": MODEL,
                           "api_key": {"env": "TM_TEST_GEMINI_KEY"}, "concurrency": 4,
                           "retries": {"backoff_initial": "10ms"}}],
        })
        service = Service(cfg)
        await service.start()
        try:
            record = service.runs.start("gem", None, "api")
            await service.runs.wait(record.id)
            run = service.store.get_run(record.id)
            results = service.store.results(record.id)
        finally:
            await service.stop()
    assert run is not None and run.status.value == "succeeded" and run.error_items == 0
    assert run.model == MODEL and run.model_version == "001" and run.model_fingerprint
    blocked = [r for r in results if r.variant != "text"]  # every probe with an image
    answered = [r for r in results if r.variant == "text"]  # F.2's text-only variant
    assert blocked and answered and len(results) == run.total_items
    assert all(r.reason == "platform_refusal" and r.error_kind is None and r.answer is None for r in blocked)
    assert all(r.answer and r.error_kind is None for r in answered)
    assert max(r.attempts for r in results) == 2
