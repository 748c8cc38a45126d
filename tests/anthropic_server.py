"""A local HTTP server that speaks Anthropic's Messages API wire format, for adapter and end-to-end tests.

Vendor clouds cannot be reached from here, so this follows the documented request, response and error formats:
``POST /v1/messages`` (headers ``x-api-key``, ``anthropic-version``) → ``{"id", "type": "message", "role":
"assistant", "model", "content": [{"type": "text", "text"}], "stop_reason", "stop_sequence", "usage":
{"input_tokens", "output_tokens"}}``; ``GET /v1/models/{id}`` → ``{"type": "model", "id", "display_name",
"created_at"}``; errors as ``{"type": "error", "error": {"type", "message"}, "request_id"}`` with the HTTP status
(429 ``rate_limit_error`` with ``retry-after``, 529 ``overloaded_error``, 401 ``authentication_error`` ...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.vendor_server import scripted_response, serving

# A scripted reply: a string answer, or (status, body, headers) for any other JSON reply, or "TRUNCATED"/"NOT_JSON".
Script = Callable[[dict[str, Any], int], "str | tuple[int, Any, dict[str, str]]"]

MODEL_ID = "claude-test-4-5-20250929"
ALIAS = "claude-test-4-5"
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
               504: "timeout_error", 529: "overloaded_error"}


@dataclass
class FakeAnthropic:
    script: Script
    models_api: bool = True  # False: a Messages-only server (GET /v1/models/... answers 404)
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)  # (lower-cased headers, body)
    paths: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(({k.lower(): v for k, v in request.headers.items()}, body))
        self.paths.append(request.path)
        out = self.script(body, len(self.requests))
        n = len(self.requests)
        return await scripted_response(request, out, b'{"id": "msg_01", "type": "message", "content": [',
                                       lambda text: message([{"type": "text", "text": text}], n=n))

    async def _model(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not self.models_api or name not in (MODEL_ID, ALIAS):
            return web.json_response(error_body(404, f"model: {name}"), status=404)
        return web.json_response({"type": "model", "id": MODEL_ID, "display_name": "Claude Test 4.5",
                                  "created_at": "2025-09-29T00:00:00Z"})


def message(content: list[dict[str, Any]], stop_reason: str = "end_turn", n: int = 1) -> dict[str, Any]:
    return {"id": f"msg_{n:04d}", "type": "message", "role": "assistant", "model": MODEL_ID, "content": content,
            "stop_reason": stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": 21, "output_tokens": 5, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0}}


def refusal() -> tuple[int, Any, dict[str, str]]:
    """A reply stopped by the platform's safety classifiers (``stop_reason: "refusal"``)."""
    return 200, message([{"type": "text", "text": "I"}], stop_reason="refusal"), {}


def error_body(status: int, msg: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": msg},
            "request_id": "req_011CTest"}


def error(status: int, msg: str, retry_after: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return status, error_body(status, msg), headers


@asynccontextmanager
async def fake_anthropic(script: Script, *, models_api: bool = True) -> AsyncIterator[FakeAnthropic]:
    server = FakeAnthropic(script, models_api=models_api)
    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/v1/messages", server._messages)
    app.router.add_get("/v1/models/{name}", server._model)
    async with serving(app) as port:
        server.port = port
        yield server
