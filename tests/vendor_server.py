"""Plumbing shared by the local vendor servers of the tests (OpenAI, Anthropic, Gemini wire formats)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


async def scripted_response(request: web.Request, out: Any, truncated_prefix: bytes,
                            ok: Callable[[str], Any]) -> web.StreamResponse:
    """A script's answer as HTTP: (status, body, headers) is an error reply; "NOT_JSON" an HTML page;
    "TRUNCATED" a JSON body cut off mid-stream; any other string the vendor's success body built by ``ok``."""
    if isinstance(out, tuple):
        status, payload, headers = out
        return web.json_response(payload, status=status, headers=headers)
    if out == "NOT_JSON":
        return web.Response(text="<html>bad gateway</html>", status=200, content_type="text/html")
    if out == "TRUNCATED":
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json", "Content-Length": "500"})
        await resp.prepare(request)
        await resp.write(truncated_prefix)
        request.transport.close()  # type: ignore[union-attr]
        return resp
    return web.json_response(ok(out))


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[int]:
    """Serve ``app`` on a free loopback port for the duration of the block; yields the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()
