"""A local HTTP server that speaks the OpenAI chat-completions wire format, for adapter and end-to-end tests.

Vendor clouds cannot be reached from here, so this follows the documented request/response and error formats:
``POST /v1/chat/completions`` → ``{"id", "object": "chat.completion", "model", "system_fingerprint",
"choices": [{"index", "message": {"role", "content"}, "finish_reason"}], "usage"}``; errors as
``{"error": {"message", "type", "code"}}`` with the HTTP status (429 with ``Retry-After``); ``GET /v1/models/{name}``
describes the model.

Options (the defaults are the plain server): ``model_route=False`` drops ``GET /v1/models/{name}`` (404, as on
many compatible servers and gateways); ``list_route=True`` adds ``GET /v1/models`` (``{"object": "list", "data":
[...]}``); ``fingerprint`` (an attribute) is the ``system_fingerprint`` of the replies, settable while serving;
``echo_key=True`` makes every error body echo the caller's API key upper-cased and masked (``sk-...abcd``), as some
gateways do.
"""

from __future__ import annotations

import asyncio
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
    echo_key: bool = False
    listed: list[str] = field(default_factory=list)  # extra model ids in the list route

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((dict(request.headers), body))
        out = self.script(body, len(self.requests))
        n = len(self.requests)
        if isinstance(out, tuple) and self.echo_key:
            out = (out[0], self._echoing(out[1], request), out[2])
        return await scripted_response(request, out, b'{"id": "chatcmpl-1", "choices": [', lambda text: {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": 1700000000,
            "model": self.model, "system_fingerprint": self.fingerprint,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
        })

    def _echoing(self, payload: Any, request: web.Request) -> Any:
        """An error body with the caller's key echoed the ways gateways do: upper-cased and masked."""
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not key or not isinstance(payload, dict) or not isinstance(payload.get("error"), dict):
            return payload
        error = dict(payload["error"])
        error["message"] = (f"{error.get('message', '')} (key {key.upper()} rejected; "
                            f"Incorrect API key provided: {key[:3]}...{key[-4:]})")
        return {**payload, "error": error}

    def _description(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 1700000000, "owned_by": "tests"}

    async def _model(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name != self.model:
            payload = {"error": {"message": f"The model '{name}' does not exist",
                                 "type": "invalid_request_error", "code": "model_not_found"}}
            if self.echo_key:
                payload = self._echoing(payload, request)
            return web.json_response(payload, status=404)
        return web.json_response(self._description(self.model))

    async def _list(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list",
                                  "data": [self._description(m) for m in [*self.listed, self.model]]})


def error(status: int, message: str, retry_after: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return status, {"error": {"message": message, "type": "server_error", "code": None}}, headers


@asynccontextmanager
async def fake_openai(script: Script, *, model_route: bool = True, list_route: bool = False,
                      echo_key: bool = False, latency_s: float = 0.0) -> AsyncIterator[FakeOpenAI]:
    """Serve the stand-in; ``latency_s`` delays every reply (a model's service time)."""
    server = FakeOpenAI(script, echo_key=echo_key)

    @web.middleware
    async def delay(request: web.Request, handler: Any) -> web.StreamResponse:
        await asyncio.sleep(latency_s)
        return await handler(request)

    app = web.Application(client_max_size=32 * 1024 * 1024, middlewares=[delay] if latency_s else [])
    app.router.add_post("/v1/chat/completions", server._chat)
    if model_route:
        app.router.add_get("/v1/models/{name}", server._model)
    if list_route:
        app.router.add_get("/v1/models", server._list)
    async with serving(app) as port:
        server.port = port
        yield server


def dump(body: dict[str, Any]) -> str:
    return json.dumps(body)
