"""The Triton adapter against a real Triton server serving the tiny demo LLaVA (see tests/triton_server.py)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

from monitor.adapters import AdapterError, ErrorKind, ProbeRequest, create_adapter
from monitor.adapters.triton import TritonAdapter, classify_status
from monitor.config import TensorSpec, TritonEndpoint, TritonTensors

PROMPT = "What colour is the cat in this picture? secret-prompt-marker"
HEADER_VALUE = "header-secret-value-123"


def endpoint(server: Any, **overrides: Any) -> TritonEndpoint:
    fields: dict[str, Any] = {
        "kind": "triton",
        "name": "demo",
        "url": server.grpc_url,
        "model": server.model_name,
        "timeout": 30,
        "max_tokens": 64,
    }
    fields.update(overrides)
    return TritonEndpoint(**fields)


def image(height: int = 96, width: int = 128) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


async def expect_error(adapter: Any, request: ProbeRequest, timeout_s: float = 30.0) -> AdapterError:
    try:
        with pytest.raises(AdapterError) as info:
            await adapter.generate(request, timeout_s=timeout_s)
    finally:
        await adapter.close()
    err = info.value
    assert "demo" in err.message  # names the endpoint
    assert "secret-prompt-marker" not in str(err)  # never the prompt
    return err


@pytest.fixture
async def adapter(triton_server: Any) -> AsyncIterator[Any]:
    a = create_adapter(endpoint(triton_server))
    yield a
    await a.close()


# ------------------------------------------------------------------------------------------- no server needed


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("StatusCode.DEADLINE_EXCEEDED", ErrorKind.TIMEOUT),
        ("StatusCode.UNAVAILABLE", ErrorKind.CONNECTION),
        ("StatusCode.INTERNAL", ErrorKind.SERVER),
        ("StatusCode.UNKNOWN", ErrorKind.SERVER),
        ("StatusCode.RESOURCE_EXHAUSTED", ErrorKind.RATE_LIMITED),
        ("StatusCode.INVALID_ARGUMENT", ErrorKind.CLIENT),
        ("StatusCode.NOT_FOUND", ErrorKind.CLIENT),
        ("StatusCode.UNAUTHENTICATED", ErrorKind.AUTH),
        ("StatusCode.PERMISSION_DENIED", ErrorKind.AUTH),
        ("StatusCode.CANCELLED", ErrorKind.CANCELLED),
        ("StatusCode.SOMETHING_NEW", ErrorKind.SERVER),
        (None, ErrorKind.CLIENT),  # refused by tritonclient before sending
    ],
)
def test_classify_status(status: str | None, kind: ErrorKind) -> None:
    assert classify_status(status) is kind


def test_registered_and_rejects_non_bytes_prompt() -> None:
    ep = TritonEndpoint(kind="triton", name="x", url="127.0.0.1:1", model="m")
    assert isinstance(create_adapter(ep), TritonAdapter)
    with pytest.raises(ValueError, match="must be BYTES"):  # the config refuses it before any adapter exists
        TritonTensors(prompt=TensorSpec(name="PROMPT", datatype="FP32"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_closed_port_is_connection_error() -> None:
    port = free_port()  # nothing listens there once the socket is closed
    ep = TritonEndpoint(kind="triton", name="demo", url=f"127.0.0.1:{port}", model="llava_demo")
    err = await expect_error(create_adapter(ep), ProbeRequest(PROMPT), timeout_s=10)
    assert err.kind is ErrorKind.CONNECTION
    assert err.retryable
    a = create_adapter(ep)
    try:
        with pytest.raises(AdapterError) as info:
            await a.identity()
    finally:
        await a.close()
    assert info.value.kind is ErrorKind.CONNECTION


# ------------------------------------------------------------------------------------------ against the server


@pytest.mark.triton
async def test_identity(adapter: Any, triton_server: Any) -> None:
    ident = await adapter.identity()
    assert ident.model == triton_server.model_name
    assert ident.version == triton_server.model_version
    assert len(ident.fingerprint) == 16
    assert ident.extra["platform"] == "python"
    again = await adapter.identity()
    assert again == ident  # stable


@pytest.mark.triton
async def test_identity_pinned_version(triton_server: Any) -> None:
    a = create_adapter(endpoint(triton_server, model_version=triton_server.model_version))
    try:
        ident = await a.identity()
    finally:
        await a.close()
    assert (ident.model, ident.version) == (triton_server.model_name, triton_server.model_version)


@pytest.mark.triton
async def test_generate_with_image(adapter: Any) -> None:
    reply = await adapter.generate(ProbeRequest(PROMPT, image=image(), max_tokens=32), timeout_s=30)
    assert isinstance(reply.text, str)
    assert reply.text.strip()
    # greedy decoding: the same request gives the same answer
    again = await adapter.generate(ProbeRequest(PROMPT, image=image(), max_tokens=32), timeout_s=30)
    assert again.text == reply.text


@pytest.mark.triton
async def test_generate_text_only(adapter: Any) -> None:
    reply = await adapter.generate(ProbeRequest("Say hello.", max_tokens=20), timeout_s=30)
    assert isinstance(reply.text, str)
    assert reply.text.strip()


@pytest.mark.triton
async def test_generate_with_headers(triton_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_TRITON_HEADER", HEADER_VALUE)
    ep = endpoint(triton_server, headers={"X-Api-Key": {"env": "TM_TEST_TRITON_HEADER"}})
    a = create_adapter(ep)
    try:
        reply = await a.generate(ProbeRequest("Say hello.", max_tokens=8), timeout_s=30)
    finally:
        await a.close()
    assert reply.text.strip()
    # and an error from the same endpoint never shows the header value
    bad = endpoint(triton_server, model="no_such_model", headers={"X-Api-Key": {"env": "TM_TEST_TRITON_HEADER"}})
    err = await expect_error(create_adapter(bad), ProbeRequest(PROMPT))
    assert HEADER_VALUE not in str(err)


@pytest.mark.triton
async def test_tiny_timeout_is_timeout(triton_server: Any) -> None:
    a = create_adapter(endpoint(triton_server))
    err = await expect_error(a, ProbeRequest(PROMPT, image=image(), max_tokens=64), timeout_s=0.001)
    assert err.kind is ErrorKind.TIMEOUT
    assert err.retryable


@pytest.mark.triton
async def test_wrong_input_name_is_client_error(triton_server: Any) -> None:
    # Triton answers INVALID_ARGUMENT: "unexpected inference input 'QUESTION' for model 'llava_demo'"
    tensors = TritonTensors(prompt=TensorSpec(name="QUESTION", datatype="BYTES"))
    err = await expect_error(create_adapter(endpoint(triton_server, tensors=tensors)), ProbeRequest(PROMPT))
    assert err.kind is ErrorKind.CLIENT
    assert "INVALID_ARGUMENT" in err.message
    assert not err.retryable


@pytest.mark.triton
async def test_wrong_input_datatype_is_client_error(triton_server: Any) -> None:
    tensors = TritonTensors(max_tokens=TensorSpec(name="MAX_TOKENS", datatype="INT64"))
    err = await expect_error(create_adapter(endpoint(triton_server, tensors=tensors)), ProbeRequest(PROMPT))
    assert err.kind is ErrorKind.CLIENT


@pytest.mark.triton
async def test_unknown_model_is_client_error(triton_server: Any) -> None:
    # Triton answers NOT_FOUND for an unknown model or version
    a = create_adapter(endpoint(triton_server, model="no_such_model"))
    try:
        with pytest.raises(AdapterError) as info:
            await a.identity()
    finally:
        await a.close()
    assert info.value.kind is ErrorKind.CLIENT
    assert "NOT_FOUND" in info.value.message


@pytest.mark.triton
async def test_wrong_output_name_is_malformed(triton_server: Any) -> None:
    tensors = TritonTensors(output=TensorSpec(name="ANSWER", datatype="BYTES"))
    err = await expect_error(create_adapter(endpoint(triton_server, tensors=tensors)), ProbeRequest(PROMPT))
    assert err.kind is ErrorKind.MALFORMED
    assert "ANSWER" in err.message


@pytest.mark.triton
async def test_bad_image_shape_is_client_error(adapter: Any) -> None:
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest(PROMPT, image=np.zeros((4, 4), dtype=np.uint8)), timeout_s=30)
    assert info.value.kind is ErrorKind.CLIENT


@pytest.mark.triton
async def test_one_client_reused_and_closed(adapter: Any) -> None:
    await adapter.generate(ProbeRequest("One.", max_tokens=4), timeout_s=30)
    first = adapter._client
    await adapter.generate(ProbeRequest("Two.", max_tokens=4), timeout_s=30)
    assert adapter._client is first
    await adapter.close()
    assert adapter._client is None
