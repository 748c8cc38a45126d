"""A local HTTP server that speaks the Gemini API ``generateContent`` wire format, for adapter and end-to-end tests.

Vendor clouds cannot be reached from here, so this follows the documented request, response and error formats:
``POST /v1beta/models/{model}:generateContent`` (header ``x-goog-api-key``) → ``{"candidates": [{"content":
{"parts": [{"text"}], "role": "model"}, "finishReason", "index", "safetyRatings"}], "usageMetadata":
{"promptTokenCount", "candidatesTokenCount", "totalTokenCount"}, "modelVersion", "responseId"}``; a blocked prompt as
``{"promptFeedback": {"blockReason", "safetyRatings"}, "usageMetadata"}`` (no candidates); ``GET
/v1beta/models/{model}`` → ``{"name": "models/...", "version", "displayName", ...}``; errors as ``{"error": {"code",
"message", "status", "details"}}`` with the HTTP status (429 RESOURCE_EXHAUSTED with a ``google.rpc.RetryInfo``,
400 INVALID_ARGUMENT "API key not valid" ...).
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

MODEL = "gemini-test-flash"
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
_USAGE = {"promptTokenCount": 17, "candidatesTokenCount": 4, "totalTokenCount": 21}
_RATINGS = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]


@dataclass
class FakeGemini:
    script: Script
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)  # (lower-cased headers, body)
    paths: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1beta"

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["action"].partition(":")
        if method != "generateContent":
            return web.json_response(error_body(404, f"method {method!r} not found"), status=404)
        if model != MODEL:
            return web.json_response(error_body(404, f"models/{model} is not found for API version v1beta"),
                                     status=404)
        body = await request.json()
        self.requests.append(({k.lower(): v for k, v in request.headers.items()}, body))
        self.paths.append(request.path)
        out = self.script(body, len(self.requests))
        n = len(self.requests)
        return await scripted_response(request, out, b'{"candidates": [{"content": {"parts": [',
                                       lambda text: answer(text, n=n))

    async def _model(self, request: web.Request) -> web.Response:
        name = request.match_info["action"]
        if name != MODEL:
            return web.json_response(error_body(404, f"models/{name} is not found"), status=404)
        return web.json_response({"name": f"models/{MODEL}", "version": "001", "displayName": "Gemini Test Flash",
                                  "description": "a local stand-in", "inputTokenLimit": 1048576,
                                  "outputTokenLimit": 65536, "supportedGenerationMethods": ["generateContent"]})


def answer(text: str, n: int = 1, finish: str = "STOP") -> dict[str, Any]:
    return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": finish,
                            "index": 0}],
            "usageMetadata": _USAGE, "modelVersion": MODEL, "responseId": f"resp-{n}"}


def prompt_blocked() -> tuple[int, Any, dict[str, str]]:
    """The prompt itself was blocked: ``promptFeedback.blockReason`` and no candidates."""
    return 200, {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": _RATINGS},
                 "usageMetadata": {"promptTokenCount": 17, "totalTokenCount": 17}, "modelVersion": MODEL}, {}


def answer_blocked(reason: str = "SAFETY") -> tuple[int, Any, dict[str, str]]:
    """The answer was blocked: ``candidates[0].finishReason`` SAFETY (or another block reason), no content."""
    return 200, {"candidates": [{"finishReason": reason, "index": 0, "safetyRatings": _RATINGS}],
                 "usageMetadata": {"promptTokenCount": 17, "totalTokenCount": 17}, "modelVersion": MODEL}, {}


def error_body(code: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}
    if details is not None:
        err["details"] = details
    return {"error": err}


def error(code: int, message: str, retry_after: str | None = None,
          details: list[dict[str, Any]] | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return code, error_body(code, message, details), headers


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def key_invalid() -> tuple[int, Any, dict[str, str]]:
    """Google's answer to a wrong key: 400 INVALID_ARGUMENT "API key not valid" with ErrorInfo API_KEY_INVALID."""
    return error(400, "API key not valid. Please pass a valid API key.", details=[
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
         "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}])


@asynccontextmanager
async def fake_gemini(script: Script) -> AsyncIterator[FakeGemini]:
    server = FakeGemini(script)
    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/v1beta/models/{action}", server._generate)
    app.router.add_get("/v1beta/models/{action}", server._model)
    async with serving(app) as port:
        server.port = port
        yield server
