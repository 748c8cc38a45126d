"""The Anthropic Messages adapter against a local server following the documented wire format."""

from __future__ import annotations

import base64
import io
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from monitor.adapters import AdapterError, ErrorKind, ProbeRequest, create_adapter
from monitor.config import AnthropicEndpoint, Config
from monitor.service import Service
from tests.anthropic_server import ALIAS, MODEL_ID, error, fake_anthropic, message, refusal
from tests.integration.test_service import free_port

KEY = "sk-ant-test-secret-456"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_ANTHROPIC_KEY", KEY)
    monkeypatch.setenv("TM_TEST_GW", "gw-token")


def _endpoint(base_url: str, **kw: Any) -> AnthropicEndpoint:
    return AnthropicEndpoint.model_validate({"name": "claude", "kind": "anthropic", "base_url": base_url,
                                             "model": ALIAS, "max_tokens": 64,
                                             "api_key": {"env": "TM_TEST_ANTHROPIC_KEY"}, **kw})


async def _fail(reply: Any, **kw: Any) -> AdapterError:
    async with fake_anthropic(lambda body, n: reply) as server:
        adapter = create_adapter(_endpoint(server.base_url, **kw))
        with pytest.raises(AdapterError) as info:
            await adapter.generate(ProbeRequest("q"), timeout_s=5)
        await adapter.close()
    return info.value


async def test_request_format_and_reply() -> None:
    async with fake_anthropic(lambda body, n: "A red rectangle.") as server:
        adapter = create_adapter(_endpoint(server.base_url, image_max_side=32, anthropic_version="2023-06-01",
                                           temperature=0.5, headers={"x-gateway-token": {"env": "TM_TEST_GW"}}))
        image = np.zeros((64, 128, 3), dtype=np.uint8)
        image[:, :, 0] = 200
        reply = await adapter.generate(ProbeRequest("What is shown?", image=image, max_tokens=16), timeout_s=5)
        await adapter.close()
    assert reply.text == "A red rectangle." and (reply.tokens_in, reply.tokens_out) == (21, 5)
    assert not reply.platform_refusal
    assert server.paths == ["/v1/messages"]
    headers, body = server.requests[0]
    assert headers["x-api-key"] == KEY and headers["anthropic-version"] == "2023-06-01"
    assert headers["x-gateway-token"] == "gw-token"
    assert headers["content-type"] == "application/json" and "authorization" not in headers
    assert body["model"] == ALIAS and body["max_tokens"] == 16 and body["temperature"] == 0.5
    (msg,) = body["messages"]
    assert msg["role"] == "user"
    img, text = msg["content"]  # the image block comes first, as Anthropic recommends
    assert text == {"type": "text", "text": "What is shown?"}
    assert img["type"] == "image" and set(img["source"]) == {"type", "media_type", "data"}
    assert img["source"]["type"] == "base64" and img["source"]["media_type"] == "image/png"
    decoded = Image.open(io.BytesIO(base64.b64decode(img["source"]["data"])))  # raw base64, no data: prefix
    assert decoded.format == "PNG" and decoded.size == (32, 16)  # downscaled to the longest side, aspect kept
    pixel = decoded.getpixel((5, 5))
    assert isinstance(pixel, tuple) and pixel[0] > 150


async def test_text_only_request_and_max_tokens_cap() -> None:
    async with fake_anthropic(lambda body, n: "ok") as server:
        adapter = create_adapter(_endpoint(server.base_url))
        await adapter.generate(ProbeRequest("hi", max_tokens=500), timeout_s=5)
        await adapter.close()
    _, body = server.requests[0]
    assert body["messages"][0]["content"] == [{"type": "text", "text": "hi"}]
    assert body["max_tokens"] == 64  # capped by the endpoint's max_tokens


async def test_text_blocks_are_joined_and_other_blocks_skipped() -> None:
    content = [{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Hello, "},
               {"type": "text", "text": "world."}]
    async with fake_anthropic(lambda body, n: (200, message(content, stop_reason="max_tokens"), {})) as server:
        adapter = create_adapter(_endpoint(server.base_url))
        reply = await adapter.generate(ProbeRequest("q"), timeout_s=5)
        await adapter.close()
    assert reply.text == "Hello, world." and not reply.platform_refusal


async def test_refusal_stop_reason_is_a_platform_refusal() -> None:
    async with fake_anthropic(lambda body, n: refusal()) as server:
        adapter = create_adapter(_endpoint(server.base_url))
        reply = await adapter.generate(ProbeRequest("q"), timeout_s=5)
        await adapter.close()
    assert reply.platform_refusal and reply.text == "" and reply.tokens_in == 21


@pytest.mark.parametrize(("reply", "kind", "retry_after"), [
    (error(429, "Number of request tokens has exceeded your per-minute rate limit", retry_after="7"),
     ErrorKind.RATE_LIMITED, 7.0),
    (error(429, "rate limited"), ErrorKind.RATE_LIMITED, None),
    (error(529, "Overloaded", retry_after="2"), ErrorKind.SERVER, 2.0),
    (error(500, "Internal server error"), ErrorKind.SERVER, None),
    (error(504, "Request timed out"), ErrorKind.TIMEOUT, None),
    (error(400, "messages.0.content.0.image.source.base64: invalid base64 data"), ErrorKind.CLIENT, None),
    (error(413, "Request exceeds the maximum allowed number of bytes"), ErrorKind.CLIENT, None),
    (error(403, "Your API key does not have permission to use the specified resource"), ErrorKind.AUTH, None),
    ((429, {"type": "error", "error": {"type": "rate_limit_error", "message": "spend limit reached",
                                        "details": {"error_code": "enforced_spend_limit_reached"}}}, {}),
     ErrorKind.CLIENT, None),
    ((502, "<html>bad gateway</html>", {}), ErrorKind.SERVER, None),
    ("NOT_JSON", ErrorKind.MALFORMED, None),
    ("TRUNCATED", ErrorKind.MALFORMED, None),
    ((200, {"type": "message", "role": "assistant"}, {}), ErrorKind.MALFORMED, None),
    ((200, message([{"type": "text"}]), {}), ErrorKind.MALFORMED, None),
])
async def test_errors_are_classified(reply: Any, kind: ErrorKind, retry_after: float | None) -> None:
    err = await _fail(reply)
    assert err.kind is kind
    assert err.retry_after == retry_after
    assert "anthropic endpoint 'claude'" in err.message


async def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    err = await _fail(error(429, "rate limited", retry_after=when))
    assert err.kind is ErrorKind.RATE_LIMITED and err.retry_after is not None and 20 < err.retry_after <= 30


async def test_rejected_key_names_the_endpoint_and_hides_the_key() -> None:
    err = await _fail(error(401, f"invalid x-api-key {KEY}"), headers={"x-gateway": {"env": "TM_TEST_ANTHROPIC_KEY"}})
    assert err.kind is ErrorKind.AUTH and not err.retryable
    assert "credentials missing or rejected" in err.message and "'claude'" in err.message
    assert "authentication_error" in err.message
    assert KEY not in str(err) and "<redacted>" in err.message


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = create_adapter(_endpoint(f"http://127.0.0.1:{port}"))
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("q"), timeout_s=5)
    await adapter.close()
    assert info.value.kind is ErrorKind.CONNECTION and info.value.retryable and "'claude'" in info.value.message


async def test_identity_from_the_models_api_and_an_error_without_it() -> None:
    async with fake_anthropic(lambda body, n: "ok") as server:
        adapter = create_adapter(_endpoint(server.base_url))
        ident = await adapter.identity()
        again = await adapter.identity()
        await adapter.close()
    assert ident.model == MODEL_ID and ident.version == "2025-09-29T00:00:00Z"  # the alias resolved
    assert ident.extra == {"display_name": "Claude Test 4.5"}
    assert len(ident.fingerprint) == 16 and ident == again
    assert ident.source == "model"
    # a Messages-only server: neither the model route nor the list answers; a client error (not retryable) says
    # so, and monitor.identity then identifies the model by what the replies name (tests/monitor/test_identity.py)
    async with fake_anthropic(lambda body, n: "ok", models_api=False) as server:
        adapter = create_adapter(_endpoint(server.base_url))
        with pytest.raises(AdapterError) as info:
            await adapter.identity()
        reply = await adapter.generate(ProbeRequest("q"), timeout_s=5)
        await adapter.close()
    assert info.value.kind is ErrorKind.CLIENT and not info.value.retryable
    assert "model route" in info.value.message and "list route" in info.value.message
    assert reply.model == MODEL_ID  # what the replies name


async def test_identity_errors_other_than_404_are_raised() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = create_adapter(_endpoint(f"http://127.0.0.1:{port}"))
    with pytest.raises(AdapterError) as info:
        await adapter.identity()
    await adapter.close()
    assert info.value.kind is ErrorKind.CONNECTION


async def test_a_suite_through_the_runner_stores_platform_refusals(tmp_path: Path) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        if n == 1:
            return error(529, "Overloaded", retry_after="0")  # retried by the runner
        if len(body["messages"][0]["content"]) == 2:  # image probes: blocked by the platform
            return refusal()
        return "I'm sorry, but I can't help with that."

    async with fake_anthropic(script) as server:
        cfg = Config.model_validate({
            "store": {"url": f"sqlite:///{tmp_path}/an.db"},
            "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
            "suite": {"tasks": ["S.4", "F.2"], "max_samples_per_task": 2, "min_scored_samples": 1},
            "endpoints": [{"name": "claude", "kind": "anthropic", "base_url": server.base_url, "model": ALIAS,
                           "api_key": {"env": "TM_TEST_ANTHROPIC_KEY"}, "concurrency": 4,
                           "retries": {"backoff_initial": "10ms"}}],
        })
        service = Service(cfg)
        await service.start()
        try:
            record = service.runs.start("claude", None, "api")
            await service.runs.wait(record.id)
            run = service.store.get_run(record.id)
            results = service.store.results(record.id)
        finally:
            await service.stop()
    assert run is not None and run.status.value == "succeeded" and run.error_items == 0
    assert run.model == MODEL_ID and run.model_fingerprint
    blocked = [r for r in results if r.variant != "text"]  # every probe with an image
    answered = [r for r in results if r.variant == "text"]  # F.2's text-only variant
    assert blocked and answered and len(results) == run.total_items
    assert all(r.reason == "platform_refusal" and r.error_kind is None and r.answer is None for r in blocked)
    assert all(r.answer and r.error_kind is None for r in answered)
    assert max(r.attempts for r in results) == 2
    assert all(KEY not in (r.error_message or "") for r in results)
