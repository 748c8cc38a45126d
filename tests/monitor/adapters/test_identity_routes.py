"""identity() of every HTTP adapter: the model's own route, else the list of models; a missing route moves on, an
unreachable or failing endpoint does not (local servers speaking each vendor's wire format)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from monitor.adapters import AdapterError, ErrorKind, ModelIdentity, create_adapter
from monitor.config import AnthropicEndpoint, GeminiEndpoint, OpenAIEndpoint, TritonEndpoint
from tests.openai_server import fake_openai
from tests.vendor_server import serving

KEY = "sk-routes-Zq81vXl0PaaK3mW7tR2s"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_ROUTES_KEY", KEY)


@asynccontextmanager
async def app_with(routes: list[tuple[str, str, Callable[[web.Request], Any]]]) -> AsyncIterator[tuple[str, list[str]]]:
    """A server with just the given (method, path, handler) routes; yields its root URL and the paths asked."""
    asked: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        asked.append(request.path_qs)
        return await handler(request)  # type: ignore[no-any-return]

    app = web.Application(middlewares=[record])
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}", asked


def _json(payload: Any, status: int = 200) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(payload, status=status)
    return handler


async def test_openai_model_route_then_list_then_a_client_error() -> None:
    async with fake_openai(lambda body, n: "ok") as plain, \
            fake_openai(lambda body, n: "ok", model_route=False, list_route=True) as listing, \
            fake_openai(lambda body, n: "ok", model_route=False) as neither:
        listing.listed = ["other-model"]
        got: dict[str, ModelIdentity | AdapterError] = {}
        for name, server in (("plain", plain), ("listing", listing), ("neither", neither)):
            adapter = create_adapter(OpenAIEndpoint.model_validate(
                {"name": "oa", "kind": "openai", "base_url": server.base_url, "model": server.model}))
            try:
                got[name] = await adapter.identity()
            except AdapterError as exc:
                got[name] = exc
            await adapter.close()
    described, listed, error = got["plain"], got["listing"], got["neither"]
    assert not isinstance(described, AdapterError) and not isinstance(listed, AdapterError)
    assert described.source == "model" and listed.source == "list"
    # the list holds the same model object: the same identity whichever route answered
    assert (described.model, described.version, described.fingerprint) == (
        listed.model, listed.version, listed.fingerprint)
    assert isinstance(error, AdapterError) and error.kind is ErrorKind.CLIENT and not error.retryable
    assert "model route" in error.message and "list route" in error.message


async def test_openai_model_missing_from_the_list_and_a_failing_server_is_not_passed_over() -> None:
    async with app_with([("GET", "/v1/models", _json({"object": "list", "data": [{"id": "another"}]}))]) as (url, _):
        adapter = create_adapter(OpenAIEndpoint.model_validate(
            {"name": "oa", "kind": "openai", "base_url": url + "/v1", "model": "m"}))
        with pytest.raises(AdapterError) as missing:
            await adapter.identity()
        await adapter.close()
    assert missing.value.kind is ErrorKind.CLIENT and "not in the model list (1 models listed)" in missing.value.message
    down = {"error": {"message": "upstream down", "type": "server_error"}}
    async with app_with([("GET", "/v1/models/m", _json(down, 503)), ("GET", "/v1/models", _json({}))]) as (url, asked):
        adapter = create_adapter(OpenAIEndpoint.model_validate(
            {"name": "oa", "kind": "openai", "base_url": url + "/v1", "model": "m"}))
        with pytest.raises(AdapterError) as failing:
            await adapter.identity()
        await adapter.close()
    assert failing.value.kind is ErrorKind.SERVER and failing.value.retryable
    assert asked == ["/v1/models/m"]  # a failing endpoint is not asked for its list too


async def test_anthropic_list_is_paged_until_the_model_is_found() -> None:
    async def models(request: web.Request) -> web.Response:
        if request.query.get("after_id") == "claude-a":
            return web.json_response({"data": [{"type": "model", "id": "claude-b", "display_name": "B",
                                                "created_at": "2025-02-01T00:00:00Z"}],
                                      "has_more": False, "last_id": "claude-b"})
        return web.json_response({"data": [{"type": "model", "id": "claude-a", "display_name": "A",
                                            "created_at": "2025-01-01T00:00:00Z"}],
                                  "has_more": True, "first_id": "claude-a", "last_id": "claude-a"})

    async with app_with([("GET", "/v1/models", models)]) as (url, asked):
        adapter = create_adapter(AnthropicEndpoint.model_validate(
            {"name": "an", "kind": "anthropic", "base_url": url, "model": "claude-b",
             "api_key": {"env": "TM_TEST_ROUTES_KEY"}}))
        ident = await adapter.identity()
        await adapter.close()
    assert (ident.model, ident.version, ident.source) == ("claude-b", "2025-02-01T00:00:00Z", "list")
    assert ident.extra == {"display_name": "B"} and len(ident.fingerprint) == 16
    assert asked == ["/v1/models/claude-b", "/v1/models?limit=1000", "/v1/models?limit=1000&after_id=claude-a"]


async def test_gemini_list_and_tuned_models() -> None:
    async def models(request: web.Request) -> web.Response:
        if request.query.get("pageToken") == "p2":
            return web.json_response({"models": [{"name": "models/gemini-x", "version": "002",
                                                  "displayName": "X"}]})
        return web.json_response({"models": [{"name": "models/gemini-y", "version": "001"}], "nextPageToken": "p2"})

    tuned = _json({"tunedModels": [{"name": "tunedModels/mine", "displayName": "Mine"}]})
    async with app_with([("GET", "/v1beta/models", models), ("GET", "/v1beta/tunedModels", tuned)]) as (url, asked):
        got = []
        for model in ("gemini-x", "tunedModels/mine"):
            adapter = create_adapter(GeminiEndpoint.model_validate(
                {"name": "ge", "kind": "gemini", "base_url": url + "/v1beta", "model": model,
                 "api_key": {"env": "TM_TEST_ROUTES_KEY"}}))
            got.append(await adapter.identity())
            await adapter.close()
    assert [(i.model, i.version, i.source) for i in got] == [("gemini-x", "002", "list"),
                                                             ("tunedModels/mine", "", "list")]
    assert "/v1beta/models?pageSize=1000&pageToken=p2" in asked


async def test_triton_metadata_then_the_repository_index() -> None:
    index = [{"name": "llava", "version": "1", "state": "UNAVAILABLE"}, {"name": "llava", "version": "2",
                                                                          "state": "READY"},
             {"name": "other", "version": "1", "state": "READY"}]
    not_found = _json({"error": "Request for unknown model: 'llava' is not found"}, 404)
    routes = [("GET", "/v2/models/llava", not_found), ("GET", "/v2/models/llava/config", not_found),
              ("POST", "/v2/repository/index", _json(index))]
    async with app_with(routes) as (url, asked):
        host = url.removeprefix("http://")
        adapter = create_adapter(TritonEndpoint(kind="triton", name="tr", url=host, model="llava", protocol="http"))
        ident = await adapter.identity()
        pinned = create_adapter(TritonEndpoint(kind="triton", name="tr", url=host, model="llava", protocol="http",
                                               model_version="1"))
        with pytest.raises(AdapterError) as info:
            await pinned.identity()
        for a in (adapter, pinned):
            await a.close()
    assert (ident.model, ident.version, ident.source) == ("llava", "2", "list") and len(ident.fingerprint) == 16
    assert info.value.kind is ErrorKind.CLIENT and "1: UNAVAILABLE" in info.value.message
    assert "/v2/repository/index" in asked
