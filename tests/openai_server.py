"""A local HTTP server that speaks the OpenAI chat-completions wire format, for adapter and end-to-end tests.

Vendor clouds cannot be reached from here, so this follows the documented request/response and error formats:
``POST /v1/chat/completions`` → ``{"id", "object": "chat.completion", "model", "system_fingerprint",
"choices": [{"index", "message": {"role", "content"}, "finish_reason"}], "usage"}``; errors as
``{"error": {"message", "type", "code"}}`` with the HTTP status (429 with ``Retry-After``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.vendor_server import scripted_response, serving

# A scripted reply: a string answer, or (status, body, headers) for an error, or "TRUNCATED"/"NOT_JSON".
Script = Callable[[dict[str, Any], int], "str | tuple[int, Any, dict[str, str]]"]


@dataclass
class FakeOpenAI:
    script: Script
    model: str = "vision-test-1"
    fingerprint: str = "fp_test_1"
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((dict(request.headers), body))
        out = self.script(body, len(self.requests))
        n = len(self.requests)
        return await scripted_response(request, out, b'{"id": "chatcmpl-1", "choices": [', lambda text: {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": 1700000000,
            "model": self.model, "system_fingerprint": self.fingerprint,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
        })

    async def _model(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name != self.model:
            return web.json_response({"error": {"message": f"The model '{name}' does not exist",
                                                "type": "invalid_request_error", "code": "model_not_found"}},
                                     status=404)
        return web.json_response({"id": self.model, "object": "model", "created": 1700000000, "owned_by": "tests"})


def error(status: int, message: str, retry_after: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return status, {"error": {"message": message, "type": "server_error", "code": None}}, headers


@asynccontextmanager
async def fake_openai(script: Script) -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(script)
    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", server._chat)
    app.router.add_get("/v1/models/{name}", server._model)
    async with serving(app) as port:
        server.port = port
        yield server


def dump(body: dict[str, Any]) -> str:
    return json.dumps(body)
