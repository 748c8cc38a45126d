"""The OpenAI-compatible adapter against a local server following the documented wire format."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from monitor.adapters import AdapterError, ErrorKind, ProbeRequest, create_adapter
from monitor.config import OpenAIEndpoint
from tests.openai_server import error, fake_openai


def _endpoint(base_url: str, **kw: Any) -> OpenAIEndpoint:
    return OpenAIEndpoint.model_validate({"name": "oa", "kind": "openai", "base_url": base_url,
                                          "model": "vision-test-1", "max_tokens": 64, **kw})


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("TM_TEST_OPENAI_KEY", "sk-test-secret-123")
    return {"env": "TM_TEST_OPENAI_KEY"}


async def test_request_format_and_reply(key: dict[str, str]) -> None:
    async with fake_openai(lambda body, n: "A red circle.") as server:
        adapter = create_adapter(_endpoint(server.base_url, api_key=key, image_max_side=32))
        image = np.zeros((64, 128, 3), dtype=np.uint8)
        image[:, :, 0] = 200
        reply = await adapter.generate(ProbeRequest("What is shown?", image=image, max_tokens=16), timeout_s=5)
        ident = await adapter.identity()
        await adapter.close()
    assert reply.text == "A red circle." and (reply.tokens_in, reply.tokens_out) == (11, 3)
    assert (reply.model, reply.fingerprint) == ("vision-test-1", "fp_test_1")
    assert ident.model == "vision-test-1" and ident.fingerprint
    headers, body = server.requests[0]
    assert headers["Authorization"] == "Bearer sk-test-secret-123"
    assert body["model"] == "vision-test-1" and body["max_tokens"] == 16 and body["temperature"] == 0.0
    (message,) = body["messages"]
    text, img = message["content"]
    assert message["role"] == "user" and text == {"type": "text", "text": "What is shown?"}
    url = img["image_url"]["url"]
    assert img["type"] == "image_url" and url.startswith("data:image/png;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert decoded.size == (32, 16)  # downscaled to the configured longest side, aspect kept
    assert decoded.getpixel((5, 5))[0] > 150


async def test_text_only_request_has_no_image_part() -> None:
    async with fake_openai(lambda body, n: "ok") as server:
        adapter = create_adapter(_endpoint(server.base_url))
        await adapter.generate(ProbeRequest("hi"), timeout_s=5)
        await adapter.close()
    headers, body = server.requests[0]
    assert body["messages"][0]["content"] == [{"type": "text", "text": "hi"}]
    assert "Authorization" not in headers


@pytest.mark.parametrize(("reply", "kind", "retry_after"), [
    (error(429, "Rate limit reached", retry_after="7"), ErrorKind.RATE_LIMITED, 7.0),
    (error(500, "The server had an error"), ErrorKind.SERVER, None),
    (error(503, "overloaded"), ErrorKind.SERVER, None),
    (error(400, "Invalid image"), ErrorKind.CLIENT, None),
    ("NOT_JSON", ErrorKind.MALFORMED, None),
    ("TRUNCATED", ErrorKind.MALFORMED, None),
])
async def test_errors_are_classified(reply: Any, kind: ErrorKind, retry_after: float | None) -> None:
    async with fake_openai(lambda body, n: reply) as server:
        adapter = create_adapter(_endpoint(server.base_url))
        with pytest.raises(AdapterError) as info:
            await adapter.generate(ProbeRequest("q"), timeout_s=5)
        await adapter.close()
    assert info.value.kind is kind
    assert info.value.retry_after == retry_after
    assert "'oa'" in info.value.message


async def test_rejected_key_names_the_endpoint_and_hides_the_key(key: dict[str, str]) -> None:
    bad = error(401, "Incorrect API key provided: sk-test-secret-123")
    async with fake_openai(lambda body, n: bad) as server:
        adapter = create_adapter(_endpoint(server.base_url, api_key=key))
        with pytest.raises(AdapterError) as info:
            await adapter.generate(ProbeRequest("q"), timeout_s=5)
        await adapter.close()
    assert info.value.kind is ErrorKind.AUTH
    assert "credentials missing or rejected" in info.value.message and "'oa'" in info.value.message
    assert "sk-test-secret-123" not in str(info.value)


async def test_connection_refused_and_missing_content() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = create_adapter(_endpoint(f"http://127.0.0.1:{port}/v1"))
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("q"), timeout_s=5)
    assert info.value.kind is ErrorKind.CONNECTION
    await adapter.close()
    async with fake_openai(lambda body, n: (200, {"choices": []}, {})) as server:
        adapter = create_adapter(_endpoint(server.base_url))
        with pytest.raises(AdapterError) as info:
            await adapter.generate(ProbeRequest("q"), timeout_s=5)
        await adapter.close()
    assert info.value.kind is ErrorKind.MALFORMED


async def test_a_prepared_suite_image_is_sent_as_its_shipped_bytes() -> None:
    from monitor import images
    from probes.catalogue import DATA_DIR

    path = next((DATA_DIR / "unrelated" / "photo").glob("*.png"))
    image = images.load(path)
    prompt = 'Is it "safe"? \u0000image-url\u0000 \\ ünïcode'  # the body's splice marker inside a prompt
    async with fake_openai(lambda body, n: "ok") as server:
        for max_side in (None, max(image.width, image.height) - 1):  # as is; then downscaled (re-encoded)
            adapter = create_adapter(_endpoint(server.base_url, image_max_side=max_side))
            await adapter.generate(ProbeRequest(prompt, image=image, max_tokens=8), timeout_s=5)
            await adapter.close()
    (_, sent), (_, scaled) = server.requests
    text, img = sent["messages"][0]["content"]
    assert text == {"type": "text", "text": prompt} and sent["max_tokens"] == 8
    assert img["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    url = scaled["messages"][0]["content"][1]["image_url"]["url"]
    assert Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size != (image.width, image.height)
